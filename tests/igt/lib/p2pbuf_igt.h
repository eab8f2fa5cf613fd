/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the p2pbuf IGT tests: raw ioctls on /dev/p2pbuf and on
 * the test importer, the reference topology's BDFs, sysfs, host checks.
 * Deliberately independent of libp2pbuf: these tests check the kernel ABI.
 */
#ifndef P2PBUF_IGT_HELPERS_H
#define P2PBUF_IGT_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/p2pbuf.h>
#include "p2pbuf_test_importer.h"

/* tools/testing/vm/README.md */
#define BDF_NVME0	P2PBUF_BDF(0, 0x03, 0x00)	/* CMB, same switch */
#define BDF_NVME1	P2PBUF_BDF(0, 0x04, 0x00)	/* CMB, same switch */
#define BDF_IVSHMEM	P2PBUF_BDF(0, 0x05, 0x00)	/* BAR2 128 MiB */
#define BDF_EDU		P2PBUF_BDF(0, 0x06, 0x00)	/* DMA engine */
#define BDF_NVME2	P2PBUF_BDF(0, 0x07, 0x00)	/* behind root port 2 */
#define BDF_EDU2	P2PBUF_BDF(0, 0x08, 0x00)	/* DMA engine behind root port 3 */
#define BDF_HOST_BRIDGE	P2PBUF_BDF(0, 0x00, 0x00)
#define NAME_NVME0	"0000:03:00.0"
#define NAME_NVME1	"0000:04:00.0"
#define NAME_IVSHMEM	"0000:05:00.0"
#define NAME_EDU	"0000:06:00.0"
#define NAME_NVME2	"0000:07:00.0"
#define NAME_EDU2	"0000:08:00.0"
#define HOST_BRIDGE_ID	"8086:29c0"
#define IVSHMEM_BAR	2
#define IVSHMEM_SIZE	(128ULL << 20)

#define P2PBUF_PARAMS	"/sys/module/p2pbuf/parameters/"
#define ALLOW_BRIDGES	P2PBUF_PARAMS "allow_bridges"
#define MAX_PROVIDERS	64

enum p2pbuf_config { CONFIG_P2PDMA, CONFIG_IOMMU, CONFIG_STOCK };

enum p2pbuf_config p2pbuf_config(void);
const char *p2pbuf_config_name(void);

int igt_p2pbuf_open(void);			/* igt_require()s /dev/p2pbuf */
int ti_open(void);			/* igt_require()s the test importer */
int p2pbuf_open_vgem(void);		/* the vgem DRM device, or -1 */

/* ioctls: 0 or -errno */
int p2pbuf_ioctl(int fd, unsigned long cmd, void *arg);
int p2pbuf_list(int fd, struct p2pbuf_provider_info *out, unsigned int max);
int igt_p2pbuf_alloc(int fd, uint32_t provider, uint64_t size, uint32_t flags,
		 struct p2pbuf_alloc *out);
int p2pbuf_buf_info(int fd, int buf, struct p2pbuf_buf_info *out);
int igt_p2pbuf_path(int fd, uint32_t provider, uint32_t client,
		struct p2pbuf_path *out);

/* the provider of @name and @kind; false if there is none */
bool p2pbuf_find(int fd, const char *name, uint32_t kind,
		 struct p2pbuf_provider_info *out);
/* an available provider of @kind with @size free, or false */
bool p2pbuf_find_kind(int fd, uint32_t kind, uint64_t size,
		      struct p2pbuf_provider_info *out);
uint64_t p2pbuf_free_bytes(int fd, uint32_t provider);
/* a new RDWR buffer of @size on @provider, asserted; returns the dma-buf fd */
int p2pbuf_alloc_rw(int fd, uint32_t provider, uint64_t size,
		    struct p2pbuf_buf_info *info);

int ti_import(int ti, int buf, uint32_t client, uint32_t flags,
	      uint32_t *handle);
int ti_map(int ti, uint32_t handle, uint32_t dir, struct p2pbuf_ti_map *out);
int ti_unmap(int ti, uint32_t handle);
int ti_map_held(int ti, uint32_t handle, uint32_t count, uint32_t rounds,
		struct p2pbuf_ti_held *out);
int ti_detach(int ti, uint32_t handle);
int ti_dma(int ti, uint32_t src, uint64_t src_off, uint32_t dst,
	   uint64_t dst_off, uint64_t len, void *user);
int ti_status(int ti, uint32_t handle, struct p2pbuf_ti_status *out);
/* pin user pages as an O_DIRECT request in flight does, until unpin/close */
int igt_p2pbuf_ti_pin(int ti, void *addr, uint64_t len);
int igt_p2pbuf_ti_unpin(int ti);

/* sysfs: 0 or -errno; read strips the trailing newline */
int sysfs_read(const char *path, char *buf, size_t len);
int sysfs_write(const char *path, const char *val);
/* CPU physical start of BAR @bar of @name from .../resource, 0 if unknown */
uint64_t pci_bar_start(const char *name, int bar);
/* basename of the bound driver, "" when unbound */
void pci_driver_name(const char *name, char *buf, size_t len);

/*
 * Module parameters of p2pbuf.ko by name. p2pbuf_param_set() remembers the
 * value it found the first time, p2pbuf_params_restore() writes back every
 * value changed since; both return 0 or -errno.
 */
int p2pbuf_param_read(const char *name, char *buf, size_t len);
int p2pbuf_param_set(const char *name, const char *val);
void p2pbuf_params_restore(void);

/*
 * Kernel log: p2pbuf_kmsg_open() returns an fd of /dev/kmsg positioned at
 * the end (-1 if unreadable); p2pbuf_kmsg_wait() waits at most @timeout_ms
 * for a record that contains every string of the NULL-terminated @needles
 * and copies it to @line.
 */
int p2pbuf_kmsg_open(void);
bool p2pbuf_kmsg_wait(int kmsg, int timeout_ms, const char *const *needles,
		      char *line, size_t len);

/*
 * Background sysfs writes (unbind, bind, reset) that may block in the
 * kernel: the write runs in a child; p2pbuf_bg_wait() waits at most
 * @timeout_ms, returns true once it finished and stores its result
 * (0 or -errno) in @ret. A child still blocked is left running and counted
 * by p2pbuf_bg_pending(); it can never be killed, only unblocked.
 */
pid_t p2pbuf_bg_write(const char *path, const char *val);
bool p2pbuf_bg_wait(pid_t pid, int timeout_ms, int *ret);
int p2pbuf_bg_pending(void);
double p2pbuf_now(void);

/*
 * A process running as another user, driven by the test: it runs
 * setgroups(@groups), setgid(@gid), setuid(@uid), and with @uid 0 drops
 * the capabilities in @drop_caps (bits of CAP_*) instead. The calls below
 * return what the call returned in it (0 or -errno).
 */
struct p2pbuf_user;
struct p2pbuf_user *p2pbuf_user_start(uid_t uid, gid_t gid,
				      const gid_t *groups, int ngroups,
				      uint64_t drop_caps);
int p2pbuf_user_open(struct p2pbuf_user *u);		/* /dev/p2pbuf */
/* allocate; on success the buffer is kept in slot *@slot of the user */
int p2pbuf_user_alloc(struct p2pbuf_user *u, uint32_t provider, uint64_t size,
		      uint32_t flags, uint64_t offset, int *slot);
int p2pbuf_user_free(struct p2pbuf_user *u, int slot);
/* hand the buffer of @slot to the test (SCM_RIGHTS), closed in the user */
int p2pbuf_user_give(struct p2pbuf_user *u, int slot, int *fd);
int p2pbuf_user_write(struct p2pbuf_user *u, const char *path,
		      const char *val);
void p2pbuf_user_stop(struct p2pbuf_user *u);	/* closes everything it held */

int count_open_fds(void);
void fill_pattern(void *buf, size_t len, uint32_t seed);
/* offset of the first byte that differs from the pattern, or -1 */
long check_pattern(const void *buf, size_t len, uint32_t seed);

void sha256_hex(const void *data, size_t len, char out[65]);
/*
 * Append "<file> <offset> <len> <sha256 of data>" to
 * /results/host-checks/<test>.check: after the VM exits, the host checks
 * that @file (in its workdir: vram.bin) holds @data at @offset.
 */
void host_check_record(const char *test, const char *file, uint64_t offset,
		       const void *data, size_t len);
/*
 * The same for @data written at @offset of the NVMe namespace open as @fd:
 * recorded as "serial:<serial>" of the drive behind @fd, which the host
 * maps to that drive's image. Never a device name: the kernel names
 * namespaces in probe order, so nvme0n1 is not the same drive every boot.
 */
void host_check_record_nvme(const char *test, int fd, uint64_t offset,
			    const void *data, size_t len);
/* serial of the NVMe drive behind block device @fd (sysfs, padding cut); 0 or -errno */
int nvme_serial_of_fd(int fd, char *buf, size_t len);

#endif
