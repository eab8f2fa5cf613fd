// SPDX-License-Identifier: GPL-2.0
/*
 * Output helpers of the p2pbuf command: the error exit, sizes, PCI
 * addresses and vendor:device ids, plain and JSON.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p2pbuf.h"

void die(const char *fmt, ...)
{
	va_list ap;

	fputs("p2pbuf: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* "usage: p2pbuf NAME ARGS" on stderr, exit 1 */
void cmd_usage(const struct cmd *cmd)
{
	die("usage: p2pbuf %s %s", cmd->name, cmd->usage ? cmd->usage : cmd->args);
}

/* what is wrong with the command line, then the usage: exit 1 */
void usage_error(const struct cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("p2pbuf: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cmd_usage(cmd);
}

/*
 * For the subcommands that take no option: anything that looks like one is
 * an unknown option, and a word count other than nargs (the name
 * included) is a usage error.
 */
void plain_args(int argc, char **argv, const struct cmd *cmd, int nargs)
{
	int i;

	for (i = 1; i < argc; i++)
		if (argv[i][0] == '-' && argv[i][1])
			usage_error(cmd, "%s: unknown option '%s'", cmd->name, argv[i]);
	if (argc > nargs)
		usage_error(cmd, "%s: unexpected argument '%s'", cmd->name, argv[nargs]);
	if (argc < nargs)
		usage_error(cmd, "%s: missing argument", cmd->name);
}

/* the largest unit that divides v: 4096 -> "4 KiB", 4097 -> "4097 B" */
const char *hsize(uint64_t v, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;

	while (v >= 1024 && !(v % 1024) && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%" PRIu64 " %s", v, unit[u]);
	return buf;
}

/* buf: at least 16 bytes */
char *bdfstr(uint32_t bdf, char *buf)
{
	return p2pbuf_format_bdf(bdf, buf, 16);
}

/* "03:00.0" in the matrix when every device is in domain 0 */
const char *short_bdf(const char *name)
{
	return !strncmp(name, "0000:", 5) ? name + 5 : name;
}

/* "vendor_device": "1b36:0010" */
void j_id(struct json *j, const char *key, uint32_t vendor_device)
{
	char s[16];

	snprintf(s, sizeof(s), ID_FMT, ID_ARG(vendor_device));
	j_str(j, key, s);
}

/*
 * Every JSON document the command prints is one object that starts with
 * "schema_version" (p2pbuf.1, JSON OUTPUT): bumped when a member changes
 * meaning or goes away, not when one is added.
 */
void j_start(struct json *j)
{
	j_init(j, stdout);
	j_obj(j, NULL);
	j_u64(j, "schema_version", P2PBUF_JSON_SCHEMA);
}
