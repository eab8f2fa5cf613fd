/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the p2pbuf command's files share: the global options, the command
 * table entry, the environment a command works on (sysfs model, kernel
 * providers), output helpers (output.c), verdicts (verdict.c) and buffer
 * helpers (buffer.c).
 */
#ifndef P2PBUF_CMD_H
#define P2PBUF_CMD_H
#include <stddef.h>
#include <stdint.h>

#include <linux/p2pbuf.h>
#include <p2pbuf/p2pbuf.h>

#include "json.h"

/* global options, set in p2pbuf.c */
extern int opt_json, opt_model;
extern const char *opt_sysfs;
extern const char *opt_dev;

/**
 * struct cmd - one subcommand of the command table
 * @name: the word on the command line
 * @fn: the handler; argv[0] is @name, argc counts it
 * @args: the synopsis after @name, as the overview shows it
 * @help: one line for the overview
 * @usage: the synopsis for cmd_usage() when it differs from @args, or NULL
 */
struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv, const struct cmd *cmd);
	const char *args;
	const char *help;
	const char *usage;
};

int cmd_list(int argc, char **argv, const struct cmd *cmd);
int cmd_topo(int argc, char **argv, const struct cmd *cmd);
int cmd_check(int argc, char **argv, const struct cmd *cmd);
int cmd_alloc(int argc, char **argv, const struct cmd *cmd);
int cmd_copy(int argc, char **argv, const struct cmd *cmd);
int cmd_info(int argc, char **argv, const struct cmd *cmd);

/* ---- output.c: messages, sizes and names, plain and JSON ---- */

#define BDF_FMT "%04x:%02x:%02x.%x"
#define BDF_ARG(b) (b) >> 16, ((b) >> 8) & 0xff, ((b) >> 3) & 0x1f, (b) & 7
#define ID_FMT "%04x:%04x"
#define ID_ARG(i) (i) >> 16, (i) & 0xffff

void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void cmd_usage(const struct cmd *cmd) __attribute__((noreturn));
void usage_error(const struct cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
void plain_args(int argc, char **argv, const struct cmd *cmd, int nargs);
const char *hsize(uint64_t v, char *buf, size_t len);
char *bdfstr(uint32_t bdf, char *buf);
const char *short_bdf(const char *name);
void j_id(struct json *j, const char *key, uint32_t vendor_device);
#define P2PBUF_JSON_SCHEMA	1
void j_start(struct json *j);

/* ---- env.c: the sysfs model and the kernel's providers ---- */

struct env {
	struct p2pbuf_topo *topo;
	struct p2pbuf_ctx *ctx;
	struct p2pbuf_provider *prov;	/* kernel list, NULL without module */
	int nprov;
	int ctx_errno;
};

/*
 * Exit status of every subcommand (p2pbuf.1, EXIT STATUS): 1 for errors,
 * usage errors included; check answers with 0, 2 or 3.
 */
#define EXIT_ALLOWED	0
#define EXIT_ERROR	1
#define EXIT_REFUSED	2
#define EXIT_UNKNOWN	3

void env_load(struct env *e, int need_topo);
void env_free(struct env *e);
void env_need_ctx(const struct env *e);
const char *alloc_strerror(int err);
const struct p2pbuf_provider *kprov_of(const struct env *e, uint32_t bdf);
int is_provider(const struct env *e, int idx);
int find_dev(const struct env *e, const char *arg);
void provider_desc(const struct env *e, int idx, char *buf, size_t len);

/* ---- verdict.c: the verdict on a path and its explanation ---- */

/* the three answers; their words and exit codes are stable (p2pbuf.1) */
enum answer {
	ANSWER_ALLOWED,
	ANSWER_REFUSED,
	ANSWER_UNKNOWN,
};

/**
 * struct verdict - the answer on one provider -> client path
 * @answer: allowed, refused, or unknown (what the model could not read)
 * @source: "kernel" (P2PBUF_IOC_PATH) or "model" (libp2pbuf over sysfs)
 * @why_model: when @source is "model", why the kernel did not answer
 * @unknown: when unknown, what could not be read
 * @settle: when unknown, what would settle it
 */
struct verdict {
	uint32_t map_type, reason;
	int distance;
	uint32_t via, via_id, acs_ctrl;
	int answer;
	char why[192];
	const char *source;
	char why_model[128];
	char unknown[192];
	char settle[256];
	struct p2pbuf_topo_path path;	/* the model's path: hops */
};

void get_verdict(const struct env *e, int p, int c, struct verdict *v);
int get_directions(const struct env *e, int p, int c, struct verdict *rd,
		   struct verdict *wr);
const char *cell(const struct verdict *v);
int verdict_refused(const struct verdict *v);
const char *verdict_word(const struct verdict *v);
const char *verdict_code(const struct verdict *v);
const char *verdict_name(const struct verdict *v);
const char *verdict_source_str(const struct verdict *v);
int verdict_exit(const struct verdict *v);
const char *map_type_code(uint32_t map_type);
const char *reason_code(uint32_t reason);
void fix_text(const struct env *e, const struct verdict *v, char *buf,
	      size_t len);
void j_verdict(struct json *j, const struct verdict *v, const char *path);

/* ---- pciids.c: names from the PCI ID database ---- */

char *pci_ids_load(void);
void pci_ids_name(const char *ids, uint32_t vendor_device, char *buf,
		  size_t len);

/* ---- buffer.c: sizes, providers, fds of buffers ---- */

uint64_t parse_size(const char *s);
uint32_t resolve_provider(const struct env *e, const char *arg, uint64_t size);
const char *provider_name(const struct env *e, uint32_t id);
int grab_fd(const char *arg, char *how, size_t hlen);
int run_with_fd(int fd, char **cmd);
void hold(int quiet_stdout);
#endif
