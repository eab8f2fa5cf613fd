/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libp2pbuf: PCI BAR memory as dma-buf fds, moved between processes and
 * devices.
 *
 * Return conventions:
 *   calls returning a pointer return NULL and set errno on failure;
 *   calls returning int return 0 (or a documented count or yes/no) on
 *   success and a negative errno value on failure, as libdrm's drmMode*()
 *   calls do; this is not rdma-core's convention, whose verbs return a
 *   positive errno value;
 *   calls returning a file descriptor return it (>= 0), or -1 and set errno.
 * ioctls are retried on EINTR, and on EAGAIN at most 1000 times 1 ms apart
 * (then the call fails with EAGAIN).
 *
 * Growth: struct p2pbuf_provider, struct p2pbuf_buf and
 * struct p2pbuf_path_info keep their size; fields added later take words of
 * their reserved[] and a bit of their comp_mask, which the library sets for
 * every such field it filled (rdma-core's comp_mask, as an output). A field
 * whose bit is clear was not filled: an older library or kernel. Until the
 * 1.0 release the version node LIBP2PBUF_1 is not frozen (README.md).
 *
 * The core (this header) depends on libc only. The importer helpers live in
 * their own small libraries: <p2pbuf/verbs.h> (libp2pbuf-verbs, links
 * libibverbs) and <p2pbuf/drm.h> (libp2pbuf-drm, links libdrm).
 */
#ifndef P2PBUF_P2PBUF_H
#define P2PBUF_P2PBUF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && !defined(P2PBUF_EXPORT)
#define P2PBUF_EXPORT __attribute__((visibility("default")))
#elif !defined(P2PBUF_EXPORT)
#define P2PBUF_EXPORT
#endif

#define P2PBUF_DEFAULT_DEV	"/dev/p2pbuf"
#define P2PBUF_BDF_NONE		0xffffffffU

/* ---- context (man p2pbuf_open(3)) ---- */

struct p2pbuf_ctx;

P2PBUF_EXPORT struct p2pbuf_ctx *p2pbuf_open(const char *path);
P2PBUF_EXPORT int p2pbuf_close(struct p2pbuf_ctx *ctx);
P2PBUF_EXPORT int p2pbuf_ctx_fd(const struct p2pbuf_ctx *ctx);

/* ---- providers (man p2pbuf_get_providers(3)) ---- */

/* enum p2pbuf_kind values, as in <linux/p2pbuf.h> */
#define P2PBUF_LIB_KIND_BAR		1
#define P2PBUF_LIB_KIND_P2PMEM		2

/* struct p2pbuf_provider.flags, as in <linux/p2pbuf.h> */
#define P2PBUF_PROV_AVAILABLE		(1U << 0)
#define P2PBUF_PROV_PUBLISHED		(1U << 1)
#define P2PBUF_PROV_PAGES		(1U << 2)

/* a provider, as p2pbuf_get_providers() lists it */
struct p2pbuf_provider {
	uint32_t comp_mask;	/* no optional field yet: 0 */
	uint32_t id;
	uint32_t kind;		/* P2PBUF_LIB_KIND_* */
	uint32_t flags;		/* P2PBUF_PROV_* */
	uint32_t bar;
	uint32_t bdf;		/* domain << 16 | bus << 8 | devfn */
	uint32_t vendor_device;	/* vendor << 16 | device */
	uint32_t reserved0;	/* zero */
	uint64_t bar_offset;
	uint64_t size;
	uint64_t free;
	uint64_t bus_addr;
	char name[32];
	char reason[128];
	uint64_t reserved[4];	/* zero, room to grow */
};

P2PBUF_EXPORT struct p2pbuf_provider *
p2pbuf_get_providers(struct p2pbuf_ctx *ctx, int *num);
P2PBUF_EXPORT void p2pbuf_free_providers(struct p2pbuf_provider *list);
P2PBUF_EXPORT const char *p2pbuf_kind_str(uint32_t kind);

/* ---- buffers (man p2pbuf_alloc(3)) ---- */

/* flags of p2pbuf_alloc() */
#define P2PBUF_F_CLOEXEC	(1U << 0)
#define P2PBUF_F_RDWR		(1U << 1)
#define P2PBUF_F_FIXED_OFFSET	(1U << 2)

/* struct p2pbuf_buf.flags */
#define P2PBUF_BUF_OURS		(1U << 0)	/* exported by p2pbuf: metadata valid */
#define P2PBUF_BUF_IS_REVOKED	(1U << 1)	/* provider went away */
#define P2PBUF_BUF_IS_DMABUF	(1U << 2)	/* fdinfo says it is a dma-buf */

struct p2pbuf_buf {
	int fd;
	uint32_t flags;		/* P2PBUF_BUF_* */
	uint64_t size;		/* always valid (lseek) */
	uint64_t offset;	/* offset within the provider's region */
	uint64_t bar_offset;
	uint64_t bus_addr;
	uint32_t provider_id;
	uint32_t kind;
	uint32_t attachments;
	uint32_t comp_mask;	/* no optional field yet: 0 */
	char exporter[32];	/* exp_name from fdinfo, "" if unknown */
	char provider_name[32];
	char last_refusal[128];
	uint64_t reserved[4];	/* zero, room to grow */
};

P2PBUF_EXPORT int p2pbuf_alloc(struct p2pbuf_ctx *ctx, uint32_t provider_id,
			       uint64_t size, uint32_t flags,
			       struct p2pbuf_buf *buf);
P2PBUF_EXPORT int p2pbuf_query(struct p2pbuf_ctx *ctx, int fd,
			       struct p2pbuf_buf *buf);

/* ---- paths and orchestration (man p2pbuf_path(3)) ---- */

/*
 * Directions a client needs or gets: the flags of p2pbuf_path_bdf() and the
 * bits of struct p2pbuf_path_info.dirs, the values of P2PBUF_PATH_READ and
 * P2PBUF_PATH_WRITE in <linux/p2pbuf.h>. Read: the client reads the first
 * device's memory; write: it writes it.
 */
#define P2PBUF_PATH_F_READ	(1U << 1)
#define P2PBUF_PATH_F_WRITE	(1U << 2)

/* struct p2pbuf_path_info.comp_mask: the kernel said which directions */
#define P2PBUF_PATH_INFO_DIRS	(1U << 0)

/* map types and reasons: the values of <linux/p2pbuf.h> */
struct p2pbuf_path_info {
	uint32_t comp_mask;	/* P2PBUF_PATH_INFO_* fields filled */
	uint32_t provider_id;	/* 0 when asked by PCI address */
	uint32_t provider_bdf;	/* BDF of the first device (the memory) */
	uint32_t client;	/* BDF */
	uint32_t map_type;	/* enum p2pbuf_map_type */
	uint32_t reason;	/* enum p2pbuf_reason */
	int32_t distance;	/* -1 if refused */
	uint32_t via;		/* BDF of the deciding bridge, P2PBUF_BDF_NONE */
	uint32_t via_id;	/* vendor << 16 | device of via */
	uint32_t dirs;		/* P2PBUF_PATH_F_* allowed, with _INFO_DIRS */
	char reason_str[128];
	uint64_t reserved[4];	/* zero, room to grow */
};

/* every call here takes the provider (the memory) first, then the client */
P2PBUF_EXPORT int p2pbuf_path(struct p2pbuf_ctx *ctx, uint32_t provider_id,
			      uint32_t client_bdf,
			      struct p2pbuf_path_info *info);
P2PBUF_EXPORT int p2pbuf_path_bdf(struct p2pbuf_ctx *ctx,
				  uint32_t provider_bdf, uint32_t client_bdf,
				  uint32_t flags,
				  struct p2pbuf_path_info *info);
P2PBUF_EXPORT int p2pbuf_can_reach(struct p2pbuf_ctx *ctx,
				   uint32_t provider_id, uint32_t client_bdf,
				   char *why, size_t why_len);
P2PBUF_EXPORT int p2pbuf_pick_provider(struct p2pbuf_ctx *ctx,
				       const uint32_t *clients, int nclients,
				       uint64_t min_free,
				       uint32_t *provider_id);
P2PBUF_EXPORT const char *p2pbuf_map_type_str(uint32_t map_type);
P2PBUF_EXPORT const char *p2pbuf_reason_str(uint32_t reason);

P2PBUF_EXPORT int p2pbuf_parse_bdf(const char *str, uint32_t *bdf);
P2PBUF_EXPORT char *p2pbuf_format_bdf(uint32_t bdf, char *buf, size_t len);

/* ---- passing fds (man p2pbuf_send_fd(3)) ---- */

/*
 * Sent with the fd. p2pbuf_send_fd() sends the first five fields and
 * ignores the rest; p2pbuf_recv_fd() fills every field, comp_mask naming
 * those past tag that it filled (rdma-core's output comp_mask).
 */
struct p2pbuf_fd_meta {
	uint64_t size;
	uint64_t offset;
	uint32_t provider_id;
	uint32_t flags;		/* free for the application */
	uint64_t tag;		/* user tag */
	uint32_t comp_mask;	/* P2PBUF_FD_META_*, set by p2pbuf_recv_fd() */
	uint32_t hdr_len;	/* bytes of header the sender sent (48 in 1.0) */
};

/* struct p2pbuf_fd_meta.comp_mask */
#define P2PBUF_FD_META_HDR_LEN	(1U << 0)

/* the longest either call waits for the rest of a started header */
#define P2PBUF_FD_WAIT_MS	1000

P2PBUF_EXPORT int p2pbuf_send_fd(int sock, int fd,
				 const struct p2pbuf_fd_meta *meta);
P2PBUF_EXPORT int p2pbuf_recv_fd(int sock, struct p2pbuf_fd_meta *meta);

/* ---- file and NVMe I/O (man p2pbuf_copy(3)) ---- */

#define P2PBUF_COPY_TO_BUF	0	/* file -> buffer */
#define P2PBUF_COPY_FROM_BUF	1	/* buffer -> file */
#define P2PBUF_COPY_NO_BOUNCE	(1U << 8) /* fail instead of bouncing */

struct p2pbuf_copy_stats {
	uint64_t bytes_direct;	/* moved device to device (P2P DMA) */
	uint64_t bytes_bounced;	/* moved through a system-memory buffer */
	uint64_t bounce_events;	/* times the direct path was refused */
	int first_refusal;	/* errno of the first refusal, 0 if none */
	int kernel;		/* 1: the counts are the kernel's (P2PBUF_IOC_BUF_IO) */
	char why[128];		/* what refused the direct path, "" if none */
};

typedef int (*p2pbuf_progress_fn)(uint64_t done, uint64_t total, void *arg);

P2PBUF_EXPORT int p2pbuf_copy(int file_fd, uint64_t file_off, int buf_fd,
			      uint64_t buf_off, uint64_t len, uint32_t flags,
			      struct p2pbuf_copy_stats *stats,
			      p2pbuf_progress_fn progress, void *arg);

/* ---- NVMe block devices (man p2pbuf_nvme_blockdev(3)) ---- */

/*
 * "/dev/nvmeXnY", the first namespace of the NVMe controller with PCI
 * address or serial ctrl, found in sysfs (sysfs_root, "/sys" when NULL);
 * the controller's PCI address in *bdf when bdf is not NULL.
 */
P2PBUF_EXPORT int p2pbuf_nvme_blockdev(const char *sysfs_root,
				       const char *ctrl, char *dev,
				       size_t len, uint32_t *bdf);

/* ---- topology from sysfs (man p2pbuf_topo(3)) ---- */

struct p2pbuf_topo;

/* device roles in the topology */
#define P2PBUF_DEV_BRIDGE	(1U << 0)
#define P2PBUF_DEV_ENDPOINT	(1U << 1)
#define P2PBUF_DEV_PROVIDER	(1U << 2)
#define P2PBUF_DEV_HOST_BRIDGE	(1U << 3)

struct p2pbuf_topo_dev {
	uint32_t bdf;
	uint32_t vendor_device;
	uint32_t class_code;	/* 24 bits */
	uint32_t roles;		/* P2PBUF_DEV_* */
	int parent;		/* index of the upstream bridge, -1 at the root */
	int acs_redir;		/* 1: ACS RR/CR/EC set, 0: not, -1: unknown */
	uint32_t acs_ctrl;	/* ACS control register, if acs_redir >= 0 */
	int has_acs_cap;
	uint64_t p2pmem_size;	/* published p2pmem size, 0 if none */
	char name[16];		/* "0000:03:00.0" */
	char driver[32];
	char kind[16];		/* "nvme", "bridge", "root-port", ... */
};

struct p2pbuf_topo_path {
	uint32_t map_type;	/* enum p2pbuf_map_type */
	uint32_t reason;	/* enum p2pbuf_reason */
	int distance;
	int via;		/* device index deciding it, -1 if none */
	uint32_t via_bdf;	/* its BDF, P2PBUF_BDF_NONE if none */
	int common;		/* index of the common upstream bridge, -1 */
	int nhops;
	int hops[32];		/* device indexes, a -> ... -> b */
};

/*
 * The module's policy, as /sys/module/p2pbuf/parameters/ holds it:
 * allow_bridges (host bridges P2P may cross), deny_bridges (bridges it must
 * not cross, beats allow), by PCI vendor:device, with the importer's
 * direction (1 read, 2 write, 3 both); kernel_whitelist trusts the host
 * bridges the P2PDMA core whitelists.
 */
struct p2pbuf_rule {
	uint32_t id;		/* vendor << 16 | device */
	uint32_t dirs;
};

struct p2pbuf_policy {
	int nallow;
	int ndeny;
	int kernel_whitelist;
	int reserved;
	struct p2pbuf_rule allow[16];
	struct p2pbuf_rule deny[16];
};

P2PBUF_EXPORT struct p2pbuf_topo *p2pbuf_topo_load(const char *sysfs_root);
P2PBUF_EXPORT void p2pbuf_topo_free(struct p2pbuf_topo *topo);
P2PBUF_EXPORT int p2pbuf_topo_num_devs(const struct p2pbuf_topo *topo);
P2PBUF_EXPORT const struct p2pbuf_topo_dev *
p2pbuf_topo_dev(const struct p2pbuf_topo *topo, int idx);
P2PBUF_EXPORT int p2pbuf_topo_find(const struct p2pbuf_topo *topo,
				   uint32_t bdf);
P2PBUF_EXPORT int p2pbuf_topo_host_bridge(const struct p2pbuf_topo *topo,
					  int idx);
P2PBUF_EXPORT int p2pbuf_topo_iommu(const struct p2pbuf_topo *topo);
P2PBUF_EXPORT int p2pbuf_topo_get_policy(const struct p2pbuf_topo *topo,
					 struct p2pbuf_policy *policy);
P2PBUF_EXPORT int p2pbuf_parse_rules(const char *str,
				     struct p2pbuf_rule *rules, int max);
P2PBUF_EXPORT int p2pbuf_topo_path(const struct p2pbuf_topo *topo,
				   int provider, int client,
				   const struct p2pbuf_policy *policy,
				   struct p2pbuf_topo_path *path);

#ifdef __cplusplus
}
#endif
#endif /* P2PBUF_P2PBUF_H */
