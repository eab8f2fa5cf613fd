// SPDX-License-Identifier: GPL-2.0
/**
 * TEST: p2pbuf safety
 * Category: Core
 * Description: what Documentation/p2pbuf/security.rst promises: a range is
 *	never lent twice while an importer can still reach it, nobody sees the
 *	bytes of a buffer's previous user, and who may allocate how much is
 *	bounded and explicit. Buffers are checked where the data landed: through
 *	the CPU mapping and with QEMU's edu DMA engine (tests/kmod).
 * Feature: p2pbuf
 *
 * SUBTEST: alloc-cleared
 * Description: a buffer is filled with a pattern and freed; a new buffer
 *	over the same range reads zero through its mmap and through the DMA
 *	engine, on the ivshmem BAR provider and on an NVMe CMB (p2pmem).
 *
 * SUBTEST: pinned-outlives-revoke
 * Description: with pinned_importers=wait, unbinding the provider while the
 *	DMA engine pins and maps a buffer does not return, however many
 *	revoke_timeout_ms pass; it warns naming the importer, listing is not
 *	held up, the engine still reaches its range, and nothing lends that
 *	range again until the importer lets go; then the unbind completes and a
 *	new buffer over the range reads zero.
 *
 * SUBTEST: pinned-refused
 * Description: with pinned_importers=refuse, dma_buf_pin is refused with
 *	EOPNOTSUPP and the recorded reason; a dynamic importer still maps on a
 *	kernel with CONFIG_DMABUF_MOVE_NOTIFY (every map pins, and is refused,
 *	on the stock kernel), and the unbind does not wait.
 *
 * SUBTEST: rebind-keeps-held-range
 * Description: the same check across unbind and rebind (the bind waits) and
 *	across a function reset of the provider: while the engine holds its
 *	mapping no provider comes back over the range, and the engine's writes
 *	never show in a buffer lent after it.
 *
 * SUBTEST: concurrent-unregister
 * Description: two processes unbind the provider at once while the DMA
 *	engine pins and maps a buffer: neither returns before the importer
 *	lets go, and both return once it has.
 *
 * SUBTEST: export-races-unbind
 * Description: processes allocate on the ivshmem provider and read the
 *	debugfs buffer list and P2PBUF_IOC_LIST while it is unbound and bound
 *	again over and over: every allocation succeeds or fails with a
 *	documented errno, the listing only shows buffers with their provider,
 *	and nothing leaks (KASAN in the p2pdma kernel checks the export path
 *	that fails when the provider went away meanwhile).
 *
 * SUBTEST: reset-restores-decode
 * Description: after a function reset and after AER recovery with a
 *	secondary bus reset (aer_inject), the provider comes back only with the
 *	BAR decoded, and its buffers round-trip data through mmap and the DMA
 *	engine.
 *
 * SUBTEST: quota
 * Description: user_max_pct and user_max_buffers are enforced per uid with
 *	EDQUOT and nothing allocated; a buffer stays charged after its fd moved
 *	to another process, until it is released; freeing restores the quota; a
 *	second user is not affected; CAP_SYS_RESOURCE is exempt.
 *
 * SUBTEST: unprivileged
 * Description: /dev/p2pbuf is 0664 root:root from devtmpfs (the udev rule
 *	gives it group p2pbuf); without the group it opens read-only only, and
 *	there lists providers but P2PBUF_IOC_ALLOC fails with EBADF and
 *	allocates nothing; with the group a
 *	user allocates but gets EPERM for P2PBUF_ALLOC_FIXED_OFFSET; without
 *	CAP_SYS_ADMIN no policy or quota parameter can be changed (EPERM, value
 *	unchanged).
 *
 * SUBTEST: list-is-read-only
 * Description: P2PBUF_IOC_LIST and the providers file return at once while
 *	an unbind is waiting for an importer; on the stock kernel NVMe CMBs are
 *	not listed (their registers are never probed); with P2PDMA a CMB that
 *	nvme publishes after a late bind is still found, without a rescan.
 *
 * SUBTEST: non-prefetchable-bar-refused
 * Description: p2pbuf_bar refuses a device whose memory BARs are not
 *	prefetchable (the second edu, registers only) with ENODEV and a message
 *	naming bar_override; with bar_override naming BAR0 it binds and maps it
 *	uncached, while the prefetchable ivshmem BAR maps write-combined: as
 *	p2pbuf's debugfs line of the buffer says it chose, and, on a kernel
 *	with x86 PAT (stock), as the memory type reserved over the page, which
 *	is what a CPU fault of the mapping takes.
 *
 * SUBTEST: readonly-fd-writable-mmap-refused
 * Description: a buffer allocated without P2PBUF_ALLOC_RDWR refuses a
 *	writable shared mmap and mprotect(PROT_WRITE) with EACCES, and device
 *	mappings that would write (DMA_FROM_DEVICE, DMA_BIDIRECTIONAL) with
 *	EACCES and a recorded reason; DMA_TO_DEVICE works and the engine cannot
 *	write into the buffer.
 *
 * SUBTEST: dma-none-refused
 * Description: map_dma_buf with DMA_NONE fails with EINVAL, maps nothing,
 *	and leaves the attachment usable.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "igt.h"
#include "p2pbuf_igt.h"

/* vram.bin range of reset-restores-decode's host check */
#define HOST_CHECK_RESET_OFFSET	(112LL << 20)

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define SZ_4K		4096ULL
#define SZ_1M		(1ULL << 20)
#define XFER		(16 * 1024ULL)	/* edu: ~200 ms per page */
#define REVOKE_MS	300		/* revoke_timeout_ms during a test */
#define IVSHMEM_SYSFS	"/sys/bus/pci/devices/" NAME_IVSHMEM
#define EDU2_SYSFS	"/sys/bus/pci/devices/" NAME_EDU2
#define TI_DRIVER	"p2pbuf_test_importer"
#define BAR_DRIVER	"p2pbuf_bar"
#define PROVIDERS_FILE	"/sys/class/misc/p2pbuf/providers"
#define DEBUGFS_BUFFERS	"/sys/kernel/debug/p2pbuf/buffers"
#define RESCAN_FILE	"/sys/class/misc/p2pbuf/rescan"
/* the udev rule's group, and two users, as the test emulates them */
#define P2PBUF_GID	4242
#define UID_A		1000
#define UID_B		1001
#define PINNED_REFUSED	"pinned importers refused (pinned_importers=refuse)"
#define RO_REFUSED	"read-only buffer, mapping needs write"

static int p2p = -1, ti = -1;
static char bar_driver[64];
static int soft_fails;

/* what a subtest holds, released by cleanup() even when it failed */
static int held_fds[64];
static int nr_held_fds;
static struct { void *p; size_t len; } held_maps[32];
static int nr_held_maps;
static struct p2pbuf_user *users[4];
static struct stat dev_saved;
static bool dev_changed;

/* A check that does not stop the subtest: every one that fails is reported. */
#define expect(cond, f...) do { \
	if (!(cond)) { \
		soft_fails++; \
		igt_warn("check failed: " #cond ": " f); \
	} \
} while (0)

static void expect_done(void)
{
	igt_assert_f(soft_fails == 0, "%d check(s) failed, see above\n",
		     soft_fails);
}

static void hold_fd(int fd)
{
	igt_assert(nr_held_fds < (int)ARRAY_SIZE(held_fds));
	held_fds[nr_held_fds++] = fd;
}

static void drop_fd(int fd)
{
	for (int i = 0; i < nr_held_fds; i++) {
		if (held_fds[i] == fd) {
			held_fds[i] = held_fds[--nr_held_fds];
			close(fd);
			return;
		}
	}
	close(fd);
}

static void *hold_map(void *p, size_t len)
{
	igt_assert(nr_held_maps < (int)ARRAY_SIZE(held_maps));
	held_maps[nr_held_maps].p = p;
	held_maps[nr_held_maps++].len = len;
	return p;
}

static void drop_map(void *p)
{
	for (int i = 0; i < nr_held_maps; i++) {
		if (held_maps[i].p == p) {
			munmap(p, held_maps[i].len);
			held_maps[i] = held_maps[--nr_held_maps];
			return;
		}
	}
}

static struct p2pbuf_user *start_user(uid_t uid, bool in_group,
				      uint64_t drop_caps)
{
	static const gid_t grp[] = { P2PBUF_GID };
	int i;

	for (i = 0; i < (int)ARRAY_SIZE(users) && users[i]; i++)
		;
	igt_assert(i < (int)ARRAY_SIZE(users));
	users[i] = p2pbuf_user_start(uid, uid ? uid : 0, grp, in_group ? 1 : 0,
				     drop_caps);
	return users[i];
}

static void stop_user(struct p2pbuf_user *u)
{
	for (int i = 0; i < (int)ARRAY_SIZE(users); i++)
		if (users[i] == u)
			users[i] = NULL;
	p2pbuf_user_stop(u);
}

/* /dev/p2pbuf as the udev rule leaves it: group P2PBUF_GID, 0664 */
static void emulate_udev_rule(void)
{
	if (!dev_changed) {
		igt_assert_eq(stat("/dev/p2pbuf", &dev_saved), 0);
		dev_changed = true;
	}
	igt_assert_eq(chown("/dev/p2pbuf", 0, P2PBUF_GID), 0);
	igt_assert_eq(chmod("/dev/p2pbuf", 0664), 0);
}

static bool ivshmem_provider(struct p2pbuf_provider_info *p)
{
	return p2pbuf_find(p2p, NAME_IVSHMEM, P2PBUF_KIND_BAR, p) &&
	       (p->flags & P2PBUF_PROVIDER_AVAILABLE);
}

/* wait for an available ivshmem provider other than @old_id */
static bool wait_ivshmem(uint32_t old_id, int ms, struct p2pbuf_provider_info *p)
{
	double end = p2pbuf_now() + ms / 1000.0;

	do {
		if (ivshmem_provider(p) && p->id != old_id)
			return true;
		usleep(50 * 1000);
	} while (p2pbuf_now() < end);
	return false;
}

static void pci_bind(const char *driver, const char *dev)
{
	char path[128];
	int ret;

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/bind", driver);
	ret = sysfs_write(path, dev);
	igt_assert_f(ret == 0, "bind %s to %s: %s\n", dev, driver, strerror(-ret));
}

/* read the command register and BAR @bar of @name from its config space */
static bool pci_decode(const char *name, int bar, uint16_t *cmd, uint64_t *addr)
{
	char path[128];
	uint32_t lo = 0, hi = 0;
	bool ok;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ok = pread(fd, cmd, 2, 4) == 2 &&
	     pread(fd, &lo, 4, 0x10 + 4 * bar) == 4 &&
	     pread(fd, &hi, 4, 0x14 + 4 * bar) == 4;
	close(fd);
	/* a 64-bit memory BAR (ivshmem BAR2 is one) */
	*addr = ((uint64_t)hi << 32 | lo) & ~0xfULL;
	return ok;
}

/*
 * A provider restored without its decode leaves the device unusable for
 * every later test: put the BAR and the memory enable back by hand.
 */
static void repair_ivshmem_decode(void)
{
	uint64_t start = pci_bar_start(NAME_IVSHMEM, IVSHMEM_BAR), addr;
	uint32_t lo = start, hi = start >> 32;
	uint16_t cmd;
	int fd;

	if (!start || !pci_decode(NAME_IVSHMEM, IVSHMEM_BAR, &cmd, &addr) ||
	    ((cmd & 2) && addr == start))
		return;
	igt_warn("%s: BAR%d reads %#llx and memory decode is %s; restoring %#llx\n",
		 NAME_IVSHMEM, IVSHMEM_BAR, (unsigned long long)addr,
		 cmd & 2 ? "on" : "off", (unsigned long long)start);
	fd = open(IVSHMEM_SYSFS "/config", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	cmd |= 2;
	if (pwrite(fd, &lo, 4, 0x10 + 4 * IVSHMEM_BAR) != 4 ||
	    pwrite(fd, &hi, 4, 0x14 + 4 * IVSHMEM_BAR) != 4 ||
	    pwrite(fd, &cmd, 2, 4) != 2)
		igt_warn("writing %s config: %s\n", NAME_IVSHMEM, strerror(errno));
	close(fd);
}

/* Put back what a subtest changed, also after it failed half-way. */
static void cleanup(void)
{
	char drv[64];
	int i;

	/* closing the importer releases every import: blocked removals finish */
	if (ti >= 0)
		close(ti);
	ti = -1;
	while (nr_held_maps)
		drop_map(held_maps[0].p);
	while (nr_held_fds)
		drop_fd(held_fds[0]);
	for (i = 0; i < (int)ARRAY_SIZE(users); i++) {
		p2pbuf_user_stop(users[i]);
		users[i] = NULL;
	}
	for (i = 0; i < 100 && p2pbuf_bg_pending(); i++)
		usleep(100 * 1000);
	p2pbuf_params_restore();
	if (dev_changed) {
		chown("/dev/p2pbuf", dev_saved.st_uid, dev_saved.st_gid);
		chmod("/dev/p2pbuf", dev_saved.st_mode & 07777);
		dev_changed = false;
	}
	if (p2pbuf_bg_pending()) {
		/* a bind now would wait on the same device lock */
		igt_warn("%d unbind/reset still blocked after the importer let go: bindings not restored\n",
			 p2pbuf_bg_pending());
		return;
	}
	/* the second edu back to the test importer */
	pci_driver_name(NAME_EDU2, drv, sizeof(drv));
	if (strcmp(drv, TI_DRIVER) && access(EDU2_SYSFS, F_OK) == 0) {
		if (drv[0])
			sysfs_write(EDU2_SYSFS "/driver/unbind", NAME_EDU2);
		sysfs_write(EDU2_SYSFS "/driver_override", "\n");
		sysfs_write("/sys/bus/pci/drivers/" TI_DRIVER "/bind", NAME_EDU2);
	}
	/* ivshmem back to its provider driver, decoding */
	repair_ivshmem_decode();
	pci_driver_name(NAME_IVSHMEM, drv, sizeof(drv));
	if (!drv[0] && bar_driver[0]) {
		char path[128];

		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/bind",
			 bar_driver);
		sysfs_write(path, NAME_IVSHMEM);
	}
}

static void begin(void)
{
	cleanup();
	soft_fails = 0;
	ti = ti_open();
}

static void need_ivshmem(struct p2pbuf_provider_info *p)
{
	igt_require_f(bar_driver[0], "%s was not bound to a driver at start\n",
		      NAME_IVSHMEM);
	igt_assert_f(wait_ivshmem(0, 10000, p),
		     "no available provider for %s\n", NAME_IVSHMEM);
}

static bool need_cmb(struct p2pbuf_provider_info *p)
{
	if (p2pbuf_find(p2p, NAME_NVME0, P2PBUF_KIND_P2PMEM, p) &&
	    (p->flags & P2PBUF_PROVIDER_AVAILABLE))
		return true;
	igt_info("no p2pmem on %s: %s\n", NAME_NVME0,
		 p2pbuf_config() == CONFIG_STOCK ?
		 "P2PDMA is not in the stock kernel" : "not listed");
	return false;
}

/*
 * QEMU 7.2 sends same-switch P2P through the vIOMMU, which faults the bus
 * addresses Linux rightly picks (DESIGN.md): in the iommu config the engine
 * cannot move data to the BAR by bus address, so data checks are left out.
 */
static bool data_path_works(uint32_t provider)
{
	struct p2pbuf_path path;

	igt_assert_eq(igt_p2pbuf_path(p2p, provider, BDF_EDU, &path), 0);
	igt_assert_f(path.map_type != P2PBUF_MAP_NOT_SUPPORTED,
		     "edu refused: %s\n", path.reason_str);
	if (p2pbuf_config() == CONFIG_IOMMU &&
	    path.map_type == P2PBUF_MAP_BUS_ADDR) {
		igt_info("iommu config: QEMU 7.2 faults same-switch P2P in its vIOMMU; DMA data not checked\n");
		return false;
	}
	return true;
}

/* A buffer of @size on @p, at region offset @fixed if >= 0, kept by the test. */
static int alloc_buf(const struct p2pbuf_provider_info *p, uint64_t size,
		     long long fixed, uint32_t flags, struct p2pbuf_buf_info *info)
{
	struct p2pbuf_alloc a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.size = size;
	a.provider_id = p->id;
	a.flags = flags | P2PBUF_ALLOC_CLOEXEC;
	if (fixed >= 0) {
		a.flags |= P2PBUF_ALLOC_FIXED_OFFSET;
		a.offset = fixed;
	}
	a.fd = -1;
	ret = p2pbuf_ioctl(p2p, P2PBUF_IOC_ALLOC, &a);
	igt_assert_f(ret == 0, "alloc %#llx bytes%s on %s (provider %u): %s\n",
		     (unsigned long long)size, fixed >= 0 ? " at a fixed offset" : "",
		     p->name, p->id, strerror(-ret));
	hold_fd(a.fd);
	igt_assert_eq(p2pbuf_buf_info(p2p, a.fd, info), 0);
	return a.fd;
}

static uint8_t *map_buf(int buf, uint64_t size, int prot)
{
	void *m = mmap(NULL, size, prot, MAP_SHARED, buf, 0);

	igt_assert_f(m != MAP_FAILED, "mmap: %s\n", strerror(errno));
	return hold_map(m, size);
}

static uint32_t import_edu(int buf, uint32_t mode)
{
	uint32_t h;
	int ret = ti_import(ti, buf, BDF_EDU, mode | P2PBUF_TI_EDU, &h);

	igt_assert_f(ret == 0, "edu import: %s\n", strerror(-ret));
	return h;
}

/* offset of the first byte that is not zero, or -1 */
static long first_nonzero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return (long)i;
	return -1;
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* wait until the allocator got @want bytes back (frees may be deferred) */
static void wait_free(uint32_t provider, uint64_t want)
{
	for (int i = 0; i < 100; i++) {
		if (p2pbuf_free_bytes(p2p, provider) >= want)
			return;
		usleep(20 * 1000);
	}
	igt_assert_f(false, "provider %u: %#llx bytes free, expected %#llx after the free\n",
		     provider, (unsigned long long)p2pbuf_free_bytes(p2p, provider),
		     (unsigned long long)want);
}

/* ---- alloc-cleared ---------------------------------------------------- */

static void check_cleared(const struct p2pbuf_provider_info *p, uint64_t size,
			  long long fixed, uint32_t seed, bool record)
{
	struct p2pbuf_buf_info a, b;
	uint8_t *m, *user = malloc(XFER);
	uint64_t free_before = p2pbuf_free_bytes(p2p, p->id), ov;
	long bad;
	uint32_t h;
	int buf;

	/* the previous user: fills its buffer and frees it */
	buf = alloc_buf(p, size, fixed, P2PBUF_ALLOC_RDWR, &a);
	m = map_buf(buf, size, PROT_READ | PROT_WRITE);
	fill_pattern(m, size, seed);
	igt_assert(check_pattern(m, size, seed) < 0);
	drop_map(m);
	drop_fd(buf);
	wait_free(p->id, free_before);

	/* the next one gets the same range */
	buf = alloc_buf(p, size, fixed, P2PBUF_ALLOC_RDWR, &b);
	igt_info("%s: first buffer at bus %#llx, second at %#llx (%#llx bytes)\n",
		 p->name, (unsigned long long)a.bus_addr,
		 (unsigned long long)b.bus_addr, (unsigned long long)size);
	igt_assert_f(ranges_overlap(a.bus_addr, size, b.bus_addr, size),
		     "%s: the allocator did not hand out the freed range again; nothing to check\n",
		     p->name);
	ov = a.bus_addr > b.bus_addr ? a.bus_addr - b.bus_addr : 0;
	m = map_buf(buf, size, PROT_READ);
	bad = first_nonzero(m, size);
	expect(bad < 0,
	       "%s: byte %#lx of a new buffer reads %#x through mmap%s\n",
	       p->name, bad, bad < 0 ? 0 : m[bad],
	       ov < size && check_pattern(m + ov, 64, seed) < 0 ?
	       ": the previous user's pattern" : "");
	if (record) {
		/* what the host must find there: zeros, not the pattern */
		memset(user, 0, XFER);
		host_check_record("alloc-cleared", "vram.bin", b.bar_offset,
				  user, XFER);
	}
	if (data_path_works(p->id)) {
		memset(user, 0xee, XFER);
		h = import_edu(buf, P2PBUF_TI_DYNAMIC);
		igt_assert_eq(ti_dma(ti, h, 0, 0, 0, XFER, user), 0);
		bad = first_nonzero(user, XFER);
		expect(bad < 0,
		       "%s: byte %#lx of a new buffer reads %#x through the DMA engine\n",
		       p->name, bad, bad < 0 ? 0 : user[bad]);
		igt_assert_eq(ti_detach(ti, h), 0);
	}
	drop_map(m);
	drop_fd(buf);
	free(user);
}

static void test_alloc_cleared(void)
{
	struct p2pbuf_provider_info p, cmb;

	need_ivshmem(&p);
	check_cleared(&p, SZ_1M, p.size - 20 * SZ_1M, 0xc1ea4, true);
	if (need_cmb(&cmb))
		check_cleared(&cmb, 64 * 1024, -1, 0xc3b0, false);
	else
		igt_info("CMB part left out\n");
	expect_done();
}

/* ---- pinned importers and removal -------------------------------------- */

enum removal { BY_UNBIND, BY_RESET };

static const char *removal_name(enum removal how)
{
	return how == BY_UNBIND ? "unbind" : "reset";
}

static pid_t start_removal(enum removal how)
{
	if (how == BY_UNBIND)
		return p2pbuf_bg_write(IVSHMEM_SYSFS "/driver/unbind", NAME_IVSHMEM);
	return p2pbuf_bg_write(IVSHMEM_SYSFS "/reset", "1");
}

static void require_reset(void)
{
	char method[64] = "";

	igt_require_f(sysfs_read(IVSHMEM_SYSFS "/reset_method", method,
				 sizeof(method)) == 0 && method[0],
		      "%s cannot be reset here (no reset_method)\n", NAME_IVSHMEM);
	igt_info("%s reset methods: %s\n", NAME_IVSHMEM, method);
}

static void set_param(const char *name, const char *val)
{
	int ret = p2pbuf_param_set(name, val);

	igt_assert_f(ret == 0, "%s = %s: %s\n", name, val, strerror(-ret));
}

static void set_wait_policy(void)
{
	int ret = p2pbuf_param_set("pinned_importers", "wait");

	if (ret == -ENOENT)
		igt_warn("no parameter pinned_importers: testing the module's only behaviour, which must be the default (wait)\n");
	else
		igt_assert_f(ret == 0, "pinned_importers = wait: %s\n",
			     strerror(-ret));
}

/*
 * Removal returned while the engine still held its range: show what that
 * means, a provider lending the range again, and the engine's write landing
 * in the new owner's buffer; then fail.
 */
static void report_relent(enum removal how, const struct p2pbuf_provider_info *p,
			  uint64_t off, const struct p2pbuf_buf_info *held,
			  uint32_t h, bool data, double took, int ret)
{
	struct p2pbuf_provider_info q;
	struct p2pbuf_buf_info b;
	uint8_t *m, *user = malloc(XFER);
	const char *landed = "was not tried (no data path)";
	int buf, r;

	igt_warn("%s of %s returned (%s) after %.2f s while %s still pinned and mapped [%#llx, +%#llx)\n",
		 removal_name(how), NAME_IVSHMEM, strerror(-ret), took, NAME_EDU,
		 (unsigned long long)held->bus_addr, (unsigned long long)XFER);
	if (how == BY_UNBIND)
		pci_bind(bar_driver, NAME_IVSHMEM);
	igt_assert_f(wait_ivshmem(p->id, 10000, &q),
		     "%s returned early and no new provider came back\n",
		     removal_name(how));
	buf = alloc_buf(&q, XFER, off, P2PBUF_ALLOC_RDWR, &b);
	m = map_buf(buf, XFER, PROT_READ | PROT_WRITE);
	memset(m, 0, XFER);
	if (data) {
		fill_pattern(user, XFER, 0x5ca1e);
		r = ti_dma(ti, 0, 0, h, 0, XFER, user);
		landed = r ? "failed" :
			 check_pattern(m, XFER, 0x5ca1e) < 0 ? "landed in" :
			 "did not land in";
		if (r)
			igt_info("engine write through the held mapping: %s\n",
				 strerror(-r));
	}
	free(user);
	expect(false,
		     "provider %u was removed while its range was held; new provider %u lent [%#llx, +%#llx) to the next user, %s the held range; the engine's write through its held mapping %s the new buffer\n",
		     p->id, q.id, (unsigned long long)b.bus_addr,
		     (unsigned long long)XFER,
		     ranges_overlap(b.bus_addr, XFER, held->bus_addr, XFER) ?
		     "overlapping" : "not overlapping", landed);
}

/*
 * A provider under removal is listed unavailable, with why, and LIST says
 * the same on both of its paths: the usual entry size, written while it
 * walks the providers (@list), and a longer one, from a snapshot.
 */
static void check_removed_listed(uint32_t id,
				 const struct p2pbuf_provider_info *list, int n)
{
	static struct {
		struct p2pbuf_provider_info info;
		unsigned char more[8];	/* past what the kernel knows: zeroed */
	} wide[MAX_PROVIDERS];
	const char *want = "removed, waiting for its importers";
	struct p2pbuf_list l = { .count = MAX_PROVIDERS,
				 .entry_size = sizeof(wide[0]),
				 .entries = (uintptr_t)wide };
	const struct p2pbuf_provider_info *e = NULL, *w = NULL;
	size_t len;

	for (int i = 0; i < n; i++)
		if (list[i].id == id)
			e = &list[i];
	expect(e, "provider %u no longer listed during its removal\n", id);
	if (!e)
		return;
	expect(!(e->flags & P2PBUF_PROVIDER_AVAILABLE) && !strcmp(e->reason, want),
	       "provider %u under removal listed with flags %#x, reason \"%s\"\n",
	       id, e->flags, e->reason);
	len = strnlen(e->reason, sizeof(e->reason));
	for (size_t b = len; b < sizeof(e->reason); b++)
		expect(!e->reason[b], "reason byte %zu is %#x\n", b, e->reason[b]);

	memset(wide, 0xa5, sizeof(wide));
	igt_assert_eq(p2pbuf_ioctl(p2p, P2PBUF_IOC_LIST, &l), 0);
	for (unsigned int i = 0; i < l.count && i < MAX_PROVIDERS; i++) {
		if (wide[i].info.id == id)
			w = &wide[i].info;
		for (size_t b = 0; b < sizeof(wide[i].more); b++)
			expect(!wide[i].more[b], "entry %u: byte %zu past the struct is %#x\n",
			       i, sizeof(wide[i].info) + b, wide[i].more[b]);
	}
	expect(w && w->flags == e->flags &&
	       !memcmp(w->reason, e->reason, sizeof(e->reason)),
	       "LIST's snapshot disagrees on provider %u: flags %#x, reason \"%s\"\n",
	       id, w ? w->flags : 0, w ? w->reason : "(missing)");
}

/*
 * The engine pins and maps a buffer, the provider is removed by @how. The
 * removal must wait for the importer, however long; meanwhile the range
 * stays the importer's. @rebind also tries to bind the provider again
 * while the unbind waits: that waits too.
 */
static void check_held_range(enum removal how, bool rebind)
{
	struct p2pbuf_provider_info p, q, list[MAX_PROVIDERS];
	struct p2pbuf_buf_info held, b;
	struct p2pbuf_ti_map m;
	struct p2pbuf_alloc a;
	char line[512] = "", want_prov[64];
	const char *warn[] = { NAME_EDU " still maps", "or pins",
			       "a revoked buffer of " NAME_IVSHMEM, want_prov,
			       NULL };
	uint8_t *cpu, *user = malloc(XFER);
	uint64_t off;
	pid_t removal, bind = 0;
	double t0, dt;
	bool data, done;
	long bad;
	int buf, kmsg, ret, n;
	uint32_t h;

	need_ivshmem(&p);
	if (how == BY_RESET)
		require_reset();
	data = data_path_works(p.id);
	set_param("revoke_timeout_ms", "300");
	set_wait_policy();
	off = p.size - 32 * SZ_1M;

	buf = alloc_buf(&p, XFER, off, P2PBUF_ALLOC_RDWR, &held);
	cpu = map_buf(buf, XFER, PROT_READ | PROT_WRITE);
	fill_pattern(cpu, XFER, 0x419d);
	drop_map(cpu);
	h = import_edu(buf, P2PBUF_TI_PINNED);
	igt_assert_eq(ti_map(ti, h, 0, &m), 0);
	igt_info("%s pins and maps [%#llx, +%#llx) of provider %u (sg %#llx)\n",
		 NAME_EDU, (unsigned long long)held.bus_addr,
		 (unsigned long long)XFER, p.id, (unsigned long long)m.addr[0]);
	igt_assert_eq_u64(m.addr[0], held.bus_addr);
	if (data) {
		igt_assert_eq(ti_dma(ti, h, 0, 0, 0, XFER, user), 0);
		igt_assert(check_pattern(user, XFER, 0x419d) < 0);
	}

	kmsg = p2pbuf_kmsg_open();
	snprintf(want_prov, sizeof(want_prov), "removal of provider %u waits for it",
		 p.id);
	t0 = p2pbuf_now();
	removal = start_removal(how);
	done = p2pbuf_bg_wait(removal, 6 * REVOKE_MS, &ret);
	dt = p2pbuf_now() - t0;
	if (done) {
		report_relent(how, &p, off, &held, h, data, dt, ret);
		free(user);
		return;
	}
	igt_info("%s still waiting after %.2f s (%d x revoke_timeout_ms)\n",
		 removal_name(how), dt, 6);

	/* it says who it waits for */
	expect(p2pbuf_kmsg_wait(kmsg, 4 * REVOKE_MS, warn, line, sizeof(line)),
	       "no warning \"... %s still maps (.) or pins (.) a revoked buffer of %s; %s\" in the kernel log\n",
	       NAME_EDU, NAME_IVSHMEM, want_prov);
	if (kmsg >= 0)
		close(kmsg);
	igt_info("kernel log: %s\n", line);

	/* listing does not wait, and nothing lends the held range again */
	t0 = p2pbuf_now();
	n = p2pbuf_list(p2p, list, MAX_PROVIDERS);
	dt = p2pbuf_now() - t0;
	igt_assert_lte(0, n);
	expect(dt < 1.0, "P2PBUF_IOC_LIST took %.2f s during the %s\n", dt,
	       removal_name(how));
	for (int i = 0; i < n; i++)
		expect(!(list[i].flags & P2PBUF_PROVIDER_AVAILABLE) ||
		       !ranges_overlap(list[i].bus_addr, list[i].size,
				       held.bus_addr, XFER),
		       "provider %u (%s) is available over the held range\n",
		       list[i].id, list[i].name);
	check_removed_listed(p.id, list, n);
	ret = igt_p2pbuf_alloc(p2p, p.id, XFER, P2PBUF_ALLOC_CLOEXEC, &a);
	expect(ret < 0, "provider %u still allocates during its removal\n", p.id);
	if (!ret)
		hold_fd(a.fd);

	/* the importer still reaches its range: exactly why it is not lent */
	if (data) {
		memset(user, 0, XFER);
		ret = ti_dma(ti, h, 0, 0, 0, XFER, user);
		expect(ret == 0 && check_pattern(user, XFER, 0x419d) < 0,
		       "the engine cannot read its held range during the %s: %s\n",
		       removal_name(how), strerror(-ret));
		fill_pattern(user, XFER, 0x5ca1e);
		ret = ti_dma(ti, 0, 0, h, 0, XFER, user);
		expect(ret == 0, "the engine cannot write its held range: %s\n",
		       strerror(-ret));
	}

	if (rebind && how == BY_UNBIND) {
		bind = p2pbuf_bg_write("/sys/bus/pci/drivers/" BAR_DRIVER "/bind",
				       NAME_IVSHMEM);
		done = p2pbuf_bg_wait(bind, 1000, &ret);
		expect(!done, "bind of %s returned (%s) while its unbind waits\n",
		       NAME_IVSHMEM, strerror(-ret));
		if (done)
			bind = 0;
	}

	/* let go: the removal completes */
	t0 = p2pbuf_now();
	igt_assert_eq(ti_detach(ti, h), 0);
	done = p2pbuf_bg_wait(removal, 10000, &ret);
	igt_assert_f(done, "%s still blocked 10 s after the importer let go\n",
		     removal_name(how));
	igt_info("%s completed %.2f s after the importer let go\n",
		 removal_name(how), p2pbuf_now() - t0);
	igt_assert_f(ret == 0, "%s: %s\n", removal_name(how), strerror(-ret));
	if (bind) {
		igt_assert_f(p2pbuf_bg_wait(bind, 10000, &ret),
			     "bind still blocked 10 s after the unbind\n");
		expect(ret == 0, "bind after the unbind: %s\n", strerror(-ret));
	}
	igt_assert_eq(p2pbuf_buf_info(p2p, buf, &held), 0);
	expect(held.flags & P2PBUF_BUF_REVOKED, "buffer not revoked\n");
	drop_fd(buf);

	/* a new provider; the next user's buffer over the range is clean */
	if (how == BY_UNBIND && !bind)
		pci_bind(bar_driver, NAME_IVSHMEM);
	igt_assert_f(wait_ivshmem(p.id, 10000, &q),
		     "no new provider after the %s\n", removal_name(how));
	buf = alloc_buf(&q, XFER, off, P2PBUF_ALLOC_RDWR, &b);
	cpu = map_buf(buf, XFER, PROT_READ);
	bad = first_nonzero(cpu, XFER);
	expect(bad < 0, "byte %#lx of the next buffer over the range reads %#x%s\n",
	       bad, bad < 0 ? 0 : cpu[bad],
	       check_pattern(cpu, XFER, 0x5ca1e) < 0 ?
	       ": the engine's write through the old mapping" : "");
	if (data) {
		h = import_edu(buf, P2PBUF_TI_DYNAMIC);
		memset(user, 0xee, XFER);
		igt_assert_eq(ti_dma(ti, h, 0, 0, 0, XFER, user), 0);
		bad = first_nonzero(user, XFER);
		expect(bad < 0, "the engine reads %#x at %#lx of the next buffer\n",
		       bad < 0 ? 0 : user[bad], bad);
		igt_assert_eq(ti_detach(ti, h), 0);
	}
	drop_map(cpu);
	drop_fd(buf);
	free(user);
}

static void test_pinned_outlives_revoke(void)
{
	check_held_range(BY_UNBIND, false);
	expect_done();
}

static void test_pinned_refused(void)
{
	struct p2pbuf_provider_info p;
	struct p2pbuf_buf_info info;
	struct p2pbuf_ti_map m;
	uint8_t *cpu, *user = malloc(XFER);
	bool data, stock = p2pbuf_config() == CONFIG_STOCK;
	pid_t unbind;
	uint32_t h;
	int buf, ret;

	need_ivshmem(&p);
	data = data_path_works(p.id);
	set_param("revoke_timeout_ms", "300");
	ret = p2pbuf_param_set("pinned_importers", "refuse");
	igt_assert_f(ret == 0, "pinned_importers = refuse: %s\n", strerror(-ret));

	buf = alloc_buf(&p, XFER, -1, P2PBUF_ALLOC_RDWR, &info);
	cpu = map_buf(buf, XFER, PROT_READ | PROT_WRITE);
	fill_pattern(cpu, XFER, 0x9e7);

	/* dma_buf_pin: refused, with the reason recorded */
	ret = ti_import(ti, buf, BDF_EDU, P2PBUF_TI_EDU | P2PBUF_TI_PINNED, &h);
	expect(ret == -EOPNOTSUPP, "pinned import: %s, expected EOPNOTSUPP\n",
	       ret ? strerror(-ret) : "accepted");
	igt_assert_eq(p2pbuf_buf_info(p2p, buf, &info), 0);
	expect(!strcmp(info.last_refusal, PINNED_REFUSED),
	       "recorded refusal \"%s\", expected \"%s\"\n", info.last_refusal,
	       PINNED_REFUSED);
	if (!ret)
		ti_detach(ti, h);

	/* a dynamic importer attaches; it maps unless the core pins on map */
	h = import_edu(buf, P2PBUF_TI_DYNAMIC);
	ret = ti_map(ti, h, 0, &m);
	if (stock) {
		igt_info("stock kernel (CONFIG_DMABUF_MOVE_NOTIFY=n): every map pins\n");
		expect(ret == -EOPNOTSUPP, "dynamic map on stock: %s, expected EOPNOTSUPP\n",
		       ret ? strerror(-ret) : "accepted");
		igt_assert_eq(p2pbuf_buf_info(p2p, buf, &info), 0);
		expect(!strcmp(info.last_refusal, PINNED_REFUSED),
		       "recorded refusal \"%s\"\n", info.last_refusal);
	} else {
		expect(ret == 0, "dynamic map: %s\n", strerror(-ret));
		if (!ret && data) {
			igt_assert_eq(ti_dma(ti, h, 0, 0, 0, XFER, user), 0);
			expect(check_pattern(user, XFER, 0x9e7) < 0,
			       "the engine read other bytes\n");
		}
	}

	/* no pins, so an unbind does not wait: the dynamic importer lets go */
	drop_map(cpu);
	unbind = start_removal(BY_UNBIND);
	igt_assert_f(p2pbuf_bg_wait(unbind, 3000, &ret),
		     "unbind blocked with no pinned importer\n");
	expect(ret == 0, "unbind: %s\n", strerror(-ret));
	igt_assert_eq(p2pbuf_buf_info(p2p, buf, &info), 0);
	expect(info.flags & P2PBUF_BUF_REVOKED, "buffer not revoked\n");
	igt_assert_eq(ti_detach(ti, h), 0);
	free(user);
	expect_done();
}

static void test_rebind_keeps_held_range(void)
{
	check_held_range(BY_UNBIND, true);
	/* a fresh start for the reset, whatever the unbind left */
	cleanup();
	ti = ti_open();
	check_held_range(BY_RESET, false);
	expect_done();
}

/* ---- concurrent-unregister ---------------------------------------------- */

static void test_concurrent_unregister(void)
{
	struct p2pbuf_provider_info p;
	struct p2pbuf_buf_info info;
	struct p2pbuf_ti_map m;
	char unbind[128];
	pid_t first, second;
	int buf, ret1, ret2;
	bool done1, done2;
	double t0;
	uint32_t h;

	need_ivshmem(&p);
	set_param("revoke_timeout_ms", "300");
	set_wait_policy();
	buf = alloc_buf(&p, XFER, -1, P2PBUF_ALLOC_RDWR, &info);
	h = import_edu(buf, P2PBUF_TI_PINNED);
	igt_assert_eq(ti_map(ti, h, 0, &m), 0);

	/* by the driver's file: the device's driver link goes with the unbind */
	snprintf(unbind, sizeof(unbind), "/sys/bus/pci/drivers/%s/unbind",
		 bar_driver);
	first = p2pbuf_bg_write(unbind, NAME_IVSHMEM);
	usleep(200 * 1000);
	second = p2pbuf_bg_write(unbind, NAME_IVSHMEM);
	done2 = p2pbuf_bg_wait(second, 6 * REVOKE_MS, &ret2);
	done1 = p2pbuf_bg_wait(first, 0, &ret1);
	expect(!done1, "the first unbind returned (%s) while %s pins the buffer\n",
	       strerror(-ret1), NAME_EDU);
	expect(!done2, "the second unbind returned (%s) while the first waits for %s\n",
	       strerror(-ret2), NAME_EDU);

	t0 = p2pbuf_now();
	igt_assert_eq(ti_detach(ti, h), 0);
	igt_assert_f(p2pbuf_bg_wait(first, 10000, &ret1),
		     "the first unbind still blocked 10 s after the importer let go\n");
	igt_assert_f(p2pbuf_bg_wait(second, 10000, &ret2),
		     "the second unbind still blocked 10 s after the importer let go\n");
	igt_info("both unbinds returned %.2f s after the importer let go: %s, %s\n",
		 p2pbuf_now() - t0, strerror(-ret1), strerror(-ret2));
	expect(ret1 == 0, "first unbind: %s\n", strerror(-ret1));
	/* the second found the device unbound once it got the device lock */
	expect(ret2 == 0 || ret2 == -ENODEV, "second unbind: %s\n",
	       strerror(-ret2));
	igt_assert_eq(p2pbuf_buf_info(p2p, buf, &info), 0);
	expect(info.flags & P2PBUF_BUF_REVOKED, "buffer not revoked\n");
	drop_fd(buf);
	expect_done();
}

/* ---- export-races-unbind ------------------------------------------------ */

#define RACE_SECONDS	4
#define RACE_ALLOCATORS	3

/* the newest ivshmem provider's id, or 0; no igt_assert() in a child */
static uint32_t race_find(int fd)
{
	struct p2pbuf_provider_info list[MAX_PROVIDERS];
	int n = p2pbuf_list(fd, list, MAX_PROVIDERS);
	uint32_t id = 0;

	for (int i = 0; i < n; i++)
		if (!strcmp(list[i].name, NAME_IVSHMEM) &&
		    list[i].kind == P2PBUF_KIND_BAR && list[i].id > id)
			id = list[i].id;
	return id;
}

/*
 * A child: allocate and free on the ivshmem provider until @end; exit 0 if
 * every failure was one the uapi documents for a provider going away.
 */
static int race_allocator(double end)
{
	struct p2pbuf_buf_info info;
	struct p2pbuf_alloc a;
	int fd = open("/dev/p2pbuf", O_RDWR | O_CLOEXEC), ret, ok = 0;
	uint32_t id;

	if (fd < 0)
		return 2;
	while (p2pbuf_now() < end) {
		id = race_find(fd);
		if (!id)
			continue;
		memset(&a, 0, sizeof(a));
		a.size = SZ_4K;
		a.provider_id = id;
		a.flags = P2PBUF_ALLOC_CLOEXEC | P2PBUF_ALLOC_RDWR;
		ret = p2pbuf_ioctl(fd, P2PBUF_IOC_ALLOC, &a);
		if (ret == -ENODEV || ret == -EINVAL || ret == -EOPNOTSUPP)
			continue;
		if (ret) {
			fprintf(stderr, "alloc on provider %u: %s\n", id,
				strerror(-ret));
			return 1;
		}
		ret = p2pbuf_buf_info(fd, a.fd, &info);
		if (ret || info.provider_id != id) {
			fprintf(stderr, "BUF_INFO of a buffer of provider %u: %s, provider %u\n",
				id, strerror(-ret), info.provider_id);
			return 1;
		}
		close(a.fd);
		ok++;
	}
	close(fd);
	printf("allocator %d: %d buffers\n", getpid(), ok);
	return 0;
}

/* A child: read the debugfs buffer list and LIST until @end. */
static int race_reader(double end)
{
	struct p2pbuf_provider_info list[MAX_PROVIDERS];
	char *text = malloc(1 << 16);
	int fd = open("/dev/p2pbuf", O_RDWR | O_CLOEXEC), d, n = 0;
	ssize_t len;

	if (fd < 0 || !text)
		return 2;
	while (p2pbuf_now() < end) {
		d = open(DEBUGFS_BUFFERS, O_RDONLY | O_CLOEXEC);
		if (d < 0)
			return 2;
		while ((len = read(d, text, (1 << 16) - 1)) > 0) {
			text[len] = 0;
			/* every buffer is listed with its provider */
			if (strstr(text, "provider 0 ")) {
				fprintf(stderr, "debugfs lists a buffer without provider:\n%s\n",
					text);
				return 1;
			}
		}
		close(d);
		if (p2pbuf_list(fd, list, MAX_PROVIDERS) < 0)
			return 1;
		n++;
	}
	close(fd);
	free(text);
	printf("reader: %d listings\n", n);
	return 0;
}

static void test_export_races_unbind(void)
{
	struct p2pbuf_provider_info p, q;
	pid_t kids[RACE_ALLOCATORS + 1];
	double end;
	int cycles = 0, status, i;
	char unbind[128];

	need_ivshmem(&p);
	igt_require_f(access(DEBUGFS_BUFFERS, R_OK) == 0, "no %s\n",
		      DEBUGFS_BUFFERS);
	snprintf(unbind, sizeof(unbind), "/sys/bus/pci/drivers/%s/unbind",
		 bar_driver);
	end = p2pbuf_now() + RACE_SECONDS;
	fflush(NULL);
	for (i = 0; i < (int)ARRAY_SIZE(kids); i++) {
		kids[i] = fork();
		igt_assert(kids[i] >= 0);
		if (kids[i] == 0)
			_exit(i ? race_allocator(end) : race_reader(end));
	}
	while (p2pbuf_now() < end - 0.5) {
		igt_assert_eq(sysfs_write(unbind, NAME_IVSHMEM), 0);
		pci_bind(bar_driver, NAME_IVSHMEM);
		igt_assert_f(wait_ivshmem(p.id, 5000, &q),
			     "no provider after rebind %d\n", cycles);
		p = q;
		cycles++;
	}
	for (i = 0; i < (int)ARRAY_SIZE(kids); i++) {
		igt_assert_eq(waitpid(kids[i], &status, 0), kids[i]);
		expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		       "%s %d failed (status %#x)\n", i ? "allocator" : "reader",
		       i, status);
	}
	igt_info("%d unbind/bind cycles under %d allocators and a reader\n",
		 cycles, RACE_ALLOCATORS);
	igt_assert_lt(0, cycles);
	/* every buffer went back */
	wait_free(p.id, p.size);
	expect_done();
}

/* ---- reset-restores-decode --------------------------------------------- */

/* the new provider is decoded and its buffers round-trip data */
static void check_roundtrip(const struct p2pbuf_provider_info *p, const char *after)
{
	struct p2pbuf_buf_info info;
	uint64_t start = pci_bar_start(NAME_IVSHMEM, IVSHMEM_BAR), addr = 0;
	uint8_t *cpu, *user = malloc(XFER);
	uint16_t cmd = 0;
	long bad;
	uint32_t h;
	int buf;

	igt_assert(pci_decode(NAME_IVSHMEM, IVSHMEM_BAR, &cmd, &addr));
	igt_info("after %s: command %#x, BAR%d %#llx (resource %#llx)\n", after,
		 cmd, IVSHMEM_BAR, (unsigned long long)addr,
		 (unsigned long long)start);
	expect(cmd & 2, "after %s provider %u lends a BAR with memory decode off\n",
	       after, p->id);
	expect(addr == start, "after %s BAR%d reads %#llx, not %#llx\n", after,
	       IVSHMEM_BAR, (unsigned long long)addr, (unsigned long long)start);

	/*
	 * At a fixed offset of its own: the host checks vram.bin after the VM
	 * exits, and later allocations clear whatever they cover.
	 */
	buf = alloc_buf(p, XFER, HOST_CHECK_RESET_OFFSET, P2PBUF_ALLOC_RDWR,
			&info);
	cpu = map_buf(buf, XFER, PROT_READ | PROT_WRITE);
	fill_pattern(cpu, XFER, 0xdec0de);
	bad = check_pattern(cpu, XFER, 0xdec0de);
	expect(bad < 0, "after %s byte %ld written through mmap reads %#x\n",
	       after, bad, bad < 0 ? 0 : cpu[bad]);
	if (data_path_works(p->id)) {
		h = import_edu(buf, P2PBUF_TI_DYNAMIC);
		memset(user, 0, XFER);
		igt_assert_eq(ti_dma(ti, h, 0, 0, 0, XFER, user), 0);
		bad = check_pattern(user, XFER, 0xdec0de);
		expect(bad < 0, "after %s the engine reads byte %ld as %#x\n", after,
		       bad, bad < 0 ? 0 : user[bad]);
		fill_pattern(user, XFER, 0xfeed);
		igt_assert_eq(ti_dma(ti, 0, 0, h, 0, XFER, user), 0);
		bad = check_pattern(cpu, XFER, 0xfeed);
		expect(bad < 0, "after %s byte %ld the engine wrote reads %#x through mmap\n",
		       after, bad, bad < 0 ? 0 : cpu[bad]);
		igt_assert_eq(ti_detach(ti, h), 0);
		if (bad < 0)
			host_check_record("reset-restores-decode", "vram.bin",
					  info.bar_offset, cpu, XFER);
	}
	drop_map(cpu);
	drop_fd(buf);
	free(user);
}

/* include/linux/aer.h's struct aer_error_inj, as drivers/pci/pcie/aer_inject.c takes it */
struct aer_error_inj {
	uint8_t bus, dev, fn;
	uint32_t uncor_status, cor_status;
	uint32_t header_log[4];
	uint32_t domain;
};

#define PCI_ERR_UNC_MALF_TLP	0x00040000	/* fatal by default */
#define DSP_IVSHMEM_BUS		2	/* 02:02.0, the port above ivshmem */
#define DSP_IVSHMEM_DEVFN	(2 << 3)

static void test_reset_restores_decode(void)
{
	struct aer_error_inj e = {
		.bus = DSP_IVSHMEM_BUS,
		.dev = DSP_IVSHMEM_DEVFN >> 3,
		.fn = DSP_IVSHMEM_DEVFN & 7,
		.uncor_status = PCI_ERR_UNC_MALF_TLP,
	};
	struct p2pbuf_provider_info p, q;
	pid_t reset;
	int fd, ret;

	need_ivshmem(&p);
	require_reset();
	reset = start_removal(BY_RESET);
	igt_assert_f(p2pbuf_bg_wait(reset, 10000, &ret),
		     "reset blocked with no importer\n");
	igt_assert_f(ret == 0, "reset: %s\n", strerror(-ret));
	igt_assert_f(wait_ivshmem(p.id, 10000, &q),
		     "no new provider after the function reset\n");
	check_roundtrip(&q, "a function reset");

	/* AER: a fatal error below the switch port, recovered by a bus reset */
	fd = open("/dev/aer_inject", O_WRONLY | O_CLOEXEC);
	if (fd < 0 && access("/p2pbuf/modules/aer_inject.ko", F_OK) == 0) {
		igt_assert_eq(system("insmod /p2pbuf/modules/aer_inject.ko 2>/dev/null; true"), 0);
		fd = open("/dev/aer_inject", O_WRONLY | O_CLOEXEC);
	}
	if (fd < 0) {
		expect_done();
		igt_skip("AER part: /dev/aer_inject: %s (this kernel has no CONFIG_PCIEAER_INJECT)\n",
			 strerror(errno));
	}
	ret = write(fd, &e, sizeof(e)) == sizeof(e) ? 0 : -errno;
	close(fd);
	if (ret) {
		expect_done();
		igt_skip("AER part: injecting into 0000:02:02.0: %s (no native AER here)\n",
			 strerror(-ret));
	}
	igt_info("injected a fatal uncorrectable error at 0000:02:02.0\n");
	igt_assert_f(wait_ivshmem(q.id, 20000, &p),
		     "no new provider 20 s after AER recovery\n");
	check_roundtrip(&p, "AER recovery");
	expect_done();
}

/* ---- quota --------------------------------------------------------------- */

static void test_quota(void)
{
	struct p2pbuf_provider_info p;
	struct p2pbuf_user *a, *b, *root_nores;
	char val[64];
	uint64_t half, free_now;
	int sa[4], sb, fd, ret, i;

	need_ivshmem(&p);
	expect(p2pbuf_param_read("user_max_pct", val, sizeof(val)) == 0 &&
	       !strcmp(val, "50"), "user_max_pct is \"%s\", expected 50\n", val);
	expect(p2pbuf_param_read("user_max_buffers", val, sizeof(val)) == 0 &&
	       !strcmp(val, "1024"), "user_max_buffers is \"%s\", expected 1024\n",
	       val);
	igt_require_f(p.free == p.size, "%s: %#llx of %#llx bytes already allocated\n",
		      p.name, (unsigned long long)(p.size - p.free),
		      (unsigned long long)p.size);
	half = p.size / 2;
	emulate_udev_rule();
	a = start_user(UID_A, true, 0);
	b = start_user(UID_B, true, 0);
	igt_assert_eq(p2pbuf_user_open(a), 0);
	igt_assert_eq(p2pbuf_user_open(b), 0);

	/* uid A takes its half, and no more */
	igt_assert_eq(p2pbuf_user_alloc(a, p.id, half / 2, 0, 0, &sa[0]), 0);
	igt_assert_eq(p2pbuf_user_alloc(a, p.id, half / 2, 0, 0, &sa[1]), 0);
	free_now = p2pbuf_free_bytes(p2p, p.id);
	ret = p2pbuf_user_alloc(a, p.id, SZ_4K, 0, 0, NULL);
	igt_assert_f(ret == -EDQUOT,
		     "uid %d holds %#llx of %#llx bytes; one more page: %s, expected EDQUOT\n",
		     UID_A, (unsigned long long)half, (unsigned long long)p.size,
		     ret ? strerror(-ret) : "allocated");
	igt_assert_eq_u64(p2pbuf_free_bytes(p2p, p.id), free_now);

	/* uid B is not affected */
	ret = p2pbuf_user_alloc(b, p.id, half / 2, 0, 0, &sb);
	expect(ret == 0, "uid %d beside uid %d at its limit: %s\n", UID_B, UID_A,
	       strerror(-ret));

	/* charged until released: the fd moves to us, A is still at its limit */
	igt_assert_eq(p2pbuf_user_give(a, sa[1], &fd), 0);
	hold_fd(fd);
	ret = p2pbuf_user_alloc(a, p.id, SZ_4K, 0, 0, NULL);
	expect(ret == -EDQUOT, "after handing a buffer over, uid %d allocates: %s\n",
	       UID_A, ret ? strerror(-ret) : "allocated");
	free_now = p2pbuf_free_bytes(p2p, p.id);
	drop_fd(fd);	/* the last reference: released now */
	wait_free(p.id, free_now + half / 2);
	ret = p2pbuf_user_alloc(a, p.id, SZ_4K, 0, 0, &sa[2]);
	expect(ret == 0, "uid %d after its buffer was released: %s\n", UID_A,
	       strerror(-ret));
	igt_assert_eq(p2pbuf_user_free(a, sa[0]), 0);
	if (sa[2] >= 0)
		p2pbuf_user_free(a, sa[2]);
	if (sb >= 0)
		p2pbuf_user_free(b, sb);
	wait_free(p.id, p.size);

	/* CAP_SYS_RESOURCE is exempt, root without it is not */
	fd = alloc_buf(&p, half + SZ_1M, -1, 0, &(struct p2pbuf_buf_info){ 0 });
	drop_fd(fd);
	wait_free(p.id, p.size);
	root_nores = start_user(0, false, 1ULL << CAP_SYS_RESOURCE);
	igt_assert_eq(p2pbuf_user_open(root_nores), 0);
	ret = p2pbuf_user_alloc(root_nores, p.id, half + SZ_1M, 0, 0, NULL);
	expect(ret == -EDQUOT, "root without CAP_SYS_RESOURCE takes %#llx bytes: %s\n",
	       (unsigned long long)(half + SZ_1M), ret ? strerror(-ret) : "allocated");
	stop_user(root_nores);
	wait_free(p.id, p.size);

	/* user_max_buffers */
	ret = p2pbuf_param_set("user_max_buffers", "3");
	igt_assert_f(ret == 0, "user_max_buffers = 3: %s\n", strerror(-ret));
	for (i = 0; i < 3; i++)
		igt_assert_eq(p2pbuf_user_alloc(a, p.id, SZ_4K, 0, 0, &sa[i]), 0);
	ret = p2pbuf_user_alloc(a, p.id, SZ_4K, 0, 0, NULL);
	expect(ret == -EDQUOT, "a fourth buffer with user_max_buffers=3: %s\n",
	       ret ? strerror(-ret) : "allocated");
	expect(p2pbuf_user_alloc(b, p.id, SZ_4K, 0, 0, NULL) == 0,
	       "uid %d is limited by uid %d's buffers\n", UID_B, UID_A);
	igt_assert_eq(p2pbuf_user_free(a, sa[0]), 0);
	ret = p2pbuf_user_alloc(a, p.id, SZ_4K, 0, 0, &sa[0]);
	expect(ret == 0, "after freeing one of three: %s\n", strerror(-ret));

	/* user_max_pct */
	ret = p2pbuf_param_set("user_max_pct", "10");
	igt_assert_f(ret == 0, "user_max_pct = 10: %s\n", strerror(-ret));
	ret = p2pbuf_user_alloc(b, p.id, p.size / 8, 0, 0, NULL);
	expect(ret == -EDQUOT, "uid %d takes 12.5%% with user_max_pct=10: %s\n",
	       UID_B, ret ? strerror(-ret) : "allocated");
	expect_done();
}

/* ---- unprivileged -------------------------------------------------------- */

static const char *const privileged_params[] = {
	"allow_bridges", "deny_bridges", "kernel_whitelist", "bar_override",
	"pinned_importers", "user_max_pct", "user_max_buffers",
};

/* a valid value that differs from what the parameter holds */
static const char *other_value(const char *name, const char *cur)
{
	if (!strcmp(name, "allow_bridges") || !strcmp(name, "deny_bridges"))
		return strcmp(cur, "8086:29c0") ? "8086:29c0" : "\n";
	if (!strcmp(name, "kernel_whitelist"))
		return cur[0] == 'Y' ? "N" : "Y";
	if (!strcmp(name, "bar_override"))
		return "0000:08:00.0@0";
	if (!strcmp(name, "pinned_importers"))
		return strcmp(cur, "refuse") ? "refuse" : "wait";
	if (!strcmp(name, "user_max_pct"))
		return strcmp(cur, "10") ? "10" : "20";
	return strcmp(cur, "7") ? "7" : "8";
}

/*
 * As @uid without the group: /dev/p2pbuf opens read-only, lists, and
 * refuses P2PBUF_IOC_ALLOC with EBADF; nothing is allocated.
 */
static void check_readonly_user(uid_t uid, uint32_t provider)
{
	uint64_t free_before = p2pbuf_free_bytes(p2p, provider);
	int status;
	pid_t pid;

	pid = fork();
	igt_assert(pid >= 0);
	if (!pid) {
		struct p2pbuf_list l = { .entry_size = sizeof(struct p2pbuf_provider_info) };
		struct p2pbuf_alloc a = { .size = SZ_1M, .provider_id = provider,
					  .flags = P2PBUF_ALLOC_RDWR, .fd = -1 };
		int fd;

		if (setgroups(0, NULL) || setgid(uid) || setuid(uid))
			_exit(10);
		fd = open("/dev/p2pbuf", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			_exit(11);
		if (ioctl(fd, P2PBUF_IOC_LIST, &l) || !l.count)
			_exit(12);
		if (ioctl(fd, P2PBUF_IOC_ALLOC, &a) == 0)
			_exit(13);
		_exit(errno == EBADF && a.fd == -1 ? 0 : 14);
	}
	igt_assert_eq(waitpid(pid, &status, 0), pid);
	expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "uid %d read-only: status %#x (11: no read-only open, 12: no list, 13: allocated, 14: not EBADF)\n",
	       uid, status);
	expect(p2pbuf_free_bytes(p2p, provider) == free_before,
	       "a refused read-only allocation changed the provider's free bytes\n");
}

static void test_unprivileged(void)
{
	struct p2pbuf_provider_info p;
	struct p2pbuf_user *u;
	struct p2pbuf_alloc a;
	struct stat st;
	char path[128], before[256], after[256];
	int ret, slot;

	need_ivshmem(&p);
	/* devtmpfs, no udev: the module's own mode */
	igt_assert_eq(stat("/dev/p2pbuf", &st), 0);
	igt_info("/dev/p2pbuf: mode %04o, %u:%u\n", st.st_mode & 07777,
		 st.st_uid, st.st_gid);
	expect((st.st_mode & 07777) == 0664 && st.st_uid == 0 && st.st_gid == 0,
	       "/dev/p2pbuf is %04o %u:%u, expected 0664 root:root\n",
	       st.st_mode & 07777, st.st_uid, st.st_gid);

	emulate_udev_rule();
	/* without the group: no write open, a read-only one that only asks */
	u = start_user(UID_B, false, 0);
	ret = p2pbuf_user_open(u);
	expect(ret == -EACCES, "uid %d without the group opens /dev/p2pbuf for writing: %s\n",
	       UID_B, ret ? strerror(-ret) : "opened");
	check_readonly_user(UID_B, p.id);

	/* with it: allocate, but no fixed offset and no policy */
	u = start_user(UID_A, true, 0);
	igt_assert_eq(p2pbuf_user_open(u), 0);
	ret = p2pbuf_user_alloc(u, p.id, SZ_1M, P2PBUF_ALLOC_RDWR, 0, &slot);
	expect(ret == 0, "uid %d in the group allocates: %s\n", UID_A,
	       strerror(-ret));
	ret = p2pbuf_user_alloc(u, p.id, SZ_1M, P2PBUF_ALLOC_FIXED_OFFSET,
				p.size - 40 * SZ_1M, NULL);
	expect(ret == -EPERM, "uid %d allocates at a fixed offset: %s, expected EPERM\n",
	       UID_A, ret ? strerror(-ret) : "allocated");
	for (size_t i = 0; i < ARRAY_SIZE(privileged_params); i++) {
		snprintf(path, sizeof(path), P2PBUF_PARAMS "%s", privileged_params[i]);
		expect(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644 &&
		       st.st_uid == 0,
		       "%s: %s, expected 0644 root\n", path,
		       errno == ENOENT ? "missing" : "other mode or owner");
		ret = p2pbuf_user_write(u, path, "1");
		expect(ret == -EACCES || ret == -EPERM || ret == -ENOENT,
		       "uid %d writes %s: %s\n", UID_A, path, strerror(-ret));
	}

	/* root without CAP_SYS_ADMIN: the file opens, the set op refuses */
	u = start_user(0, false, 1ULL << CAP_SYS_ADMIN);
	igt_assert_eq(p2pbuf_user_open(u), 0);
	ret = p2pbuf_user_alloc(u, p.id, SZ_1M, P2PBUF_ALLOC_FIXED_OFFSET,
				p.size - 42 * SZ_1M, NULL);
	expect(ret == -EPERM, "without CAP_SYS_ADMIN, a fixed offset: %s, expected EPERM\n",
	       ret ? strerror(-ret) : "allocated");
	for (size_t i = 0; i < ARRAY_SIZE(privileged_params); i++) {
		const char *name = privileged_params[i], *val;

		if (p2pbuf_param_read(name, before, sizeof(before))) {
			expect(false, "no parameter %s\n", name);
			continue;
		}
		/* let the cleanup put it back, should the write get through */
		igt_assert_eq(p2pbuf_param_set(name, before[0] ? before : "\n"), 0);
		snprintf(path, sizeof(path), P2PBUF_PARAMS "%s", name);
		val = other_value(name, before);
		ret = p2pbuf_user_write(u, path, val);
		p2pbuf_param_read(name, after, sizeof(after));
		expect(ret == -EPERM, "without CAP_SYS_ADMIN, %s = %s: %s, expected EPERM\n",
		       name, val, ret ? strerror(-ret) : "written");
		expect(!strcmp(before, after), "%s changed from \"%s\" to \"%s\"\n",
		       name, before, after);
	}

	/* and root with it may */
	memset(&a, 0, sizeof(a));
	a.size = SZ_1M;
	a.provider_id = p.id;
	a.flags = P2PBUF_ALLOC_FIXED_OFFSET | P2PBUF_ALLOC_CLOEXEC;
	a.offset = p.size - 46 * SZ_1M;
	ret = p2pbuf_ioctl(p2p, P2PBUF_IOC_ALLOC, &a);
	expect(ret == 0, "root allocates at a fixed offset: %s\n", strerror(-ret));
	if (!ret)
		hold_fd(a.fd);
	expect_done();
}

/* ---- list-is-read-only --------------------------------------------------- */

/*
 * Listing no longer rescans, so discovery must not miss a CMB that nvme
 * publishes from its asynchronous reset work after a late bind: the bus
 * notifier's delayed rescan has to find it, with no write to rescan.
 */
static void check_late_bind_adopted(void)
{
	struct p2pbuf_provider_info p, q;
	char drv[64];
	bool found = false;
	double t0;
	int ret;

	if (!need_cmb(&p))
		return;
	ret = sysfs_write("/sys/bus/pci/devices/" NAME_NVME0 "/driver/unbind",
			  NAME_NVME0);
	igt_assert_f(ret == 0, "unbind %s: %s\n", NAME_NVME0, strerror(-ret));
	expect(!p2pbuf_find(p2p, NAME_NVME0, P2PBUF_KIND_P2PMEM, &q) ||
	       !(q.flags & P2PBUF_PROVIDER_AVAILABLE),
	       "%s's p2pmem still listed available after its unbind\n",
	       NAME_NVME0);
	t0 = p2pbuf_now();
	pci_bind("nvme", NAME_NVME0);
	do {
		found = p2pbuf_find(p2p, NAME_NVME0, P2PBUF_KIND_P2PMEM, &q) &&
			(q.flags & P2PBUF_PROVIDER_AVAILABLE) && q.id != p.id;
		if (!found)
			usleep(50 * 1000);
	} while (!found && p2pbuf_now() - t0 < 10.0);
	pci_driver_name(NAME_NVME0, drv, sizeof(drv));
	igt_info("%s rebound to \"%s\": its CMB %s after %.2f s\n", NAME_NVME0,
		 drv, found ? "listed again" : "not listed", p2pbuf_now() - t0);
	expect(found, "%s's CMB not adopted 10 s after nvme bound, with no rescan written\n",
	       NAME_NVME0);
}

static void test_list_is_read_only(void)
{
	struct p2pbuf_provider_info p, list[MAX_PROVIDERS];
	struct p2pbuf_buf_info info;
	struct p2pbuf_ti_map m;
	struct stat st;
	char *text = malloc(65536);
	double t0, t_list, t_file;
	pid_t unbind;
	bool done;
	uint32_t h;
	int buf, n, fd, ret;
	ssize_t len;

	need_ivshmem(&p);
	expect(stat(RESCAN_FILE, &st) == 0 && (st.st_mode & 0777) == 0200,
	       "%s is not 0200\n", RESCAN_FILE);
	expect(stat(PROVIDERS_FILE, &st) == 0 && (st.st_mode & 0777) == 0444,
	       "%s is not 0444\n", PROVIDERS_FILE);
	/* long enough that a list waiting for the revoke is seen waiting */
	set_param("revoke_timeout_ms", "3000");
	set_wait_policy();
	buf = alloc_buf(&p, XFER, -1, P2PBUF_ALLOC_RDWR, &info);
	h = import_edu(buf, P2PBUF_TI_PINNED);
	igt_assert_eq(ti_map(ti, h, 0, &m), 0);

	unbind = start_removal(BY_UNBIND);
	done = p2pbuf_bg_wait(unbind, 500, &ret);
	igt_assert_f(!done, "unbind returned (%s) at once although %s pins a buffer\n",
		     strerror(-ret), NAME_EDU);

	/* in this process: a list that waits is a failure, not a hang */
	t0 = p2pbuf_now();
	n = p2pbuf_list(p2p, list, MAX_PROVIDERS);
	t_list = p2pbuf_now() - t0;
	t0 = p2pbuf_now();
	fd = open(PROVIDERS_FILE, O_RDONLY | O_CLOEXEC);
	igt_assert_lte(0, fd);
	len = read(fd, text, 65535);
	close(fd);
	t_file = p2pbuf_now() - t0;
	done = p2pbuf_bg_wait(unbind, 0, &ret);
	igt_info("during the unbind (%s): P2PBUF_IOC_LIST %.3f s, %s %.3f s\n",
		 done ? "it returned meanwhile" : "still waiting", t_list,
		 PROVIDERS_FILE, t_file);
	igt_assert_lte(0, n);
	igt_assert_lte(0, len);
	text[len] = 0;
	expect(t_list < 1.0, "P2PBUF_IOC_LIST waited %.2f s for the revoke\n", t_list);
	expect(t_file < 1.0, "reading %s waited %.2f s for the revoke\n",
	       PROVIDERS_FILE, t_file);
	expect(!done, "unbind returned while the buffer was pinned\n");

	igt_assert_eq(ti_detach(ti, h), 0);
	igt_assert_f(p2pbuf_bg_wait(unbind, 10000, &ret),
		     "unbind still blocked 10 s after the importer let go\n");
	expect(ret == 0, "unbind: %s\n", strerror(-ret));

	/* stock: the NVMe CMB registers of a bound nvme are never probed */
	if (p2pbuf_config() == CONFIG_STOCK) {
		n = p2pbuf_list(p2p, list, MAX_PROVIDERS);
		for (int i = 0; i < n; i++)
			expect(strcmp(list[i].name, NAME_NVME0) &&
			       strcmp(list[i].name, NAME_NVME1),
			       "stock kernel lists %s (%s), probed behind nvme's back\n",
			       list[i].name, list[i].reason);
	}
	check_late_bind_adopted();
	/* an explicit rescan still works, for root */
	expect(sysfs_write(RESCAN_FILE, "1") == 0, "rescan failed\n");
	free(text);
	expect_done();
}

/* ---- BAR choice and CPU mapping attributes ------------------------------ */

/*
 * The PAT memory type the CPU gets for the page at physical @phys, or "" when
 * the kernel has no PAT (no pat_memtype_list: the test kernel is built
 * without MTRR, so without PAT). On x86 a fault of a VM_PFNMAP mapping
 * (vmf_insert_pfn) takes its cache mode from the memtype reserved over the
 * page, not from the vma (track_pfn_insert), and a page of MMIO that nothing
 * reserved maps uncached-minus (lookup_memtype): so the entry that covers
 * @phys is what a CPU mapping of it gets.
 */
static void pat_type(uint64_t phys, char *out, size_t len)
{
	unsigned long long start, end;
	char line[256], type[64];
	FILE *f = fopen("/sys/kernel/debug/x86/pat_memtype_list", "re");

	out[0] = 0;
	if (!f)
		return;
	snprintf(out, len, "uncached-minus");
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "PAT: [mem 0x%llx-0x%llx] %63s", &start, &end,
			   type) == 3 && start <= phys && phys < end) {
			snprintf(out, len, "%s", type);
			break;
		}
	}
	fclose(f);
}

/* the CPU mapping debugfs says p2pbuf makes of buffer @buf, or "" */
static void debugfs_cpu_type(int buf, char *out, size_t len)
{
	char *text = malloc(65536), key[48], *line, *cpu;
	struct stat st;
	ssize_t n;
	int fd;

	out[0] = 0;
	fd = open("/sys/kernel/debug/p2pbuf/buffers", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(buf, &st)) {
		if (fd >= 0)
			close(fd);
		free(text);
		return;
	}
	n = read(fd, text, 65535);
	close(fd);
	text[n > 0 ? n : 0] = 0;
	snprintf(key, sizeof(key), "buf %lu ", (unsigned long)st.st_ino);
	line = strstr(text, key);
	if (line) {
		line[strcspn(line, "\n")] = 0;
		cpu = strstr(line, " cpu ");
		if (cpu)
			snprintf(out, len, "%.*s", (int)strcspn(cpu + 5, " "),
				 cpu + 5);
	}
	free(text);
}

/*
 * What p2pbuf chose for the CPU mapping of a buffer on @p (its debugfs
 * line, @want_dbg), and, where the kernel has PAT, the memory type the CPU
 * really gets there (@want_pat).
 */
static void check_cpu_type(const struct p2pbuf_provider_info *p, const char *dev,
			   int bar, uint64_t off, const char *want_dbg,
			   const char *want_pat)
{
	struct p2pbuf_buf_info info;
	char type[64];
	uint8_t *cpu;
	int buf;

	buf = alloc_buf(p, SZ_4K, off, P2PBUF_ALLOC_RDWR, &info);
	cpu = map_buf(buf, SZ_4K, PROT_READ);
	debugfs_cpu_type(buf, type, sizeof(type));
	igt_info("%s BAR%d: p2pbuf maps it \"%s\"\n", dev, bar, type);
	expect(!strcmp(type, want_dbg), "%s BAR%d: debugfs says cpu \"%s\", expected \"%s\"\n",
	       dev, bar, type, want_dbg);
	pat_type(pci_bar_start(dev, bar) + info.bar_offset, type, sizeof(type));
	if (!type[0]) {
		igt_info("%s: no x86 PAT in this kernel (no pat_memtype_list): memory type not checked\n",
			 dev);
	} else {
		igt_info("%s BAR%d: PAT memory type %s\n", dev, bar, type);
		expect(!strcmp(type, want_pat), "%s BAR%d is mapped %s, expected %s\n",
		       dev, bar, type, want_pat);
	}
	drop_map(cpu);
	drop_fd(buf);
}

static void test_non_prefetchable_bar_refused(void)
{
	const char *need[] = { NAME_EDU2, "bar_override", NULL };
	struct p2pbuf_provider_info p, e;
	char drv[64], line[512] = "";
	int kmsg, ret;

	need_ivshmem(&p);
	/* the prefetchable ivshmem BAR: write-combined */
	check_cpu_type(&p, NAME_IVSHMEM, IVSHMEM_BAR, p.size - 44 * SZ_1M,
		       "wc", "write-combining");

	pci_driver_name(NAME_EDU2, drv, sizeof(drv));
	igt_require_f(!strcmp(drv, TI_DRIVER), "%s is bound to \"%s\", not %s\n",
		      NAME_EDU2, drv, TI_DRIVER);
	igt_assert_eq(sysfs_write(EDU2_SYSFS "/driver/unbind", NAME_EDU2), 0);
	igt_assert_eq(sysfs_write(EDU2_SYSFS "/driver_override", BAR_DRIVER), 0);

	/* BAR0 of edu: 1 MiB of registers, not prefetchable */
	kmsg = p2pbuf_kmsg_open();
	ret = sysfs_write("/sys/bus/pci/drivers/" BAR_DRIVER "/bind", NAME_EDU2);
	pci_driver_name(NAME_EDU2, drv, sizeof(drv));
	if (!ret && p2pbuf_find(p2p, NAME_EDU2, P2PBUF_KIND_BAR, &e))
		igt_warn("%s lends BAR%u of %s (%#llx bytes of registers)\n",
			 BAR_DRIVER, e.bar, NAME_EDU2, (unsigned long long)e.size);
	igt_assert_f(ret == -ENODEV, "binding %s (no prefetchable BAR) to %s: %s, expected ENODEV\n",
		     NAME_EDU2, BAR_DRIVER, ret ? strerror(-ret) : "bound");
	expect(p2pbuf_kmsg_wait(kmsg, 1000, need, line, sizeof(line)),
	       "no message naming %s and bar_override\n", NAME_EDU2);
	igt_info("kernel log: %s\n", line);
	if (kmsg >= 0)
		close(kmsg);

	/* the administrator names it */
	set_param("bar_override", NAME_EDU2 "@0");
	ret = sysfs_write("/sys/bus/pci/drivers/" BAR_DRIVER "/bind", NAME_EDU2);
	igt_assert_f(ret == 0, "bind with bar_override=%s@0: %s\n", NAME_EDU2,
		     strerror(-ret));
	igt_assert_f(p2pbuf_find(p2p, NAME_EDU2, P2PBUF_KIND_BAR, &e),
		     "no provider for %s\n", NAME_EDU2);
	expect(e.bar == 0, "%s lends BAR%u, not BAR0\n", NAME_EDU2, e.bar);
	/* edu decodes nothing at the end of BAR0: safe to clear and map there */
	if (e.flags & P2PBUF_PROVIDER_AVAILABLE)
		check_cpu_type(&e, NAME_EDU2, 0, e.size - SZ_4K, "uc",
			       "uncached-minus");
	igt_assert_eq(sysfs_write(EDU2_SYSFS "/driver/unbind", NAME_EDU2), 0);
	cleanup();	/* back to the test importer */
	ti = ti_open();
	pci_driver_name(NAME_EDU2, drv, sizeof(drv));
	igt_assert_f(!strcmp(drv, TI_DRIVER), "%s not back on %s: \"%s\"\n",
		     NAME_EDU2, TI_DRIVER, drv);
	expect_done();
}

/* ---- read-only fds, DMA_NONE ------------------------------------------- */

static void test_readonly_fd(void)
{
	struct p2pbuf_provider_info p;
	struct p2pbuf_buf_info info;
	struct p2pbuf_ti_map m;
	uint8_t *cpu, *user = malloc(XFER);
	void *w;
	bool data;
	uint32_t h;
	int buf, ret;

	need_ivshmem(&p);
	data = data_path_works(p.id);
	buf = alloc_buf(&p, XFER, -1, 0, &info);
	expect((fcntl(buf, F_GETFL) & O_ACCMODE) == O_RDONLY,
	       "the fd is not read-only\n");

	/* the CPU: no writable shared mapping, no upgrade of a read-only one */
	w = mmap(NULL, XFER, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	expect(w == MAP_FAILED && errno == EACCES,
	       "writable shared mmap of a read-only fd: %s\n",
	       w == MAP_FAILED ? strerror(errno) : "mapped");
	if (w != MAP_FAILED)
		munmap(w, XFER);
	cpu = map_buf(buf, XFER, PROT_READ);
	ret = mprotect(cpu, XFER, PROT_READ | PROT_WRITE);
	expect(ret == -1 && errno == EACCES, "mprotect(PROT_WRITE): %s\n",
	       ret ? strerror(errno) : "allowed");

	/* a device: attach and read, never write */
	h = import_edu(buf, P2PBUF_TI_DYNAMIC);
	ret = ti_map(ti, h, 2, &m);
	expect(ret == -EACCES, "DMA_FROM_DEVICE map of a read-only buffer: %s\n",
	       ret ? strerror(-ret) : "mapped");
	igt_assert_eq(p2pbuf_buf_info(p2p, buf, &info), 0);
	expect(!strcmp(info.last_refusal, RO_REFUSED),
	       "recorded refusal \"%s\", expected \"%s\"\n", info.last_refusal,
	       RO_REFUSED);
	ti_unmap(ti, h);
	ret = ti_map(ti, h, 0, &m);
	expect(ret == -EACCES, "DMA_BIDIRECTIONAL map (an RDMA MR) of a read-only buffer: %s\n",
	       ret ? strerror(-ret) : "mapped");
	ti_unmap(ti, h);
	ret = ti_map(ti, h, 1, &m);
	igt_assert_f(ret == 0, "DMA_TO_DEVICE map of a read-only buffer: %s\n",
		     strerror(-ret));
	if (data) {
		memset(user, 0xee, XFER);
		igt_assert_eq(ti_dma(ti, h, 0, 0, 0, XFER, user), 0);
		expect(!memcmp(user, cpu, XFER), "the engine reads other bytes than mmap\n");
		fill_pattern(user, XFER, 0x40);
		ret = ti_dma(ti, 0, 0, h, 0, XFER, user);
		expect(ret == -EACCES, "the engine writes into a read-only buffer: %s\n",
		       ret ? strerror(-ret) : "written");
		expect(check_pattern(cpu, XFER, 0x40) >= 0,
		       "the engine's bytes are in the read-only buffer\n");
	}
	igt_assert_eq(ti_detach(ti, h), 0);

	/* RDWR buffers are unaffected */
	drop_map(cpu);
	buf = alloc_buf(&p, XFER, -1, P2PBUF_ALLOC_RDWR, &info);
	cpu = map_buf(buf, XFER, PROT_READ | PROT_WRITE);
	h = import_edu(buf, P2PBUF_TI_DYNAMIC);
	igt_assert_eq(ti_map(ti, h, 0, &m), 0);
	igt_assert_eq(ti_detach(ti, h), 0);
	free(user);
	expect_done();
}

static void test_dma_none(void)
{
	struct p2pbuf_provider_info p;
	struct p2pbuf_buf_info info;
	struct p2pbuf_ti_status st;
	struct p2pbuf_ti_map m;
	uint32_t mode[] = { P2PBUF_TI_DYNAMIC, P2PBUF_TI_PINNED };
	char policy[32];
	uint32_t h;
	int buf, ret;

	need_ivshmem(&p);
	buf = alloc_buf(&p, XFER, -1, P2PBUF_ALLOC_RDWR, &info);
	for (int i = 0; i < 2; i++) {
		if (mode[i] == P2PBUF_TI_PINNED &&
		    p2pbuf_param_read("pinned_importers", policy,
				      sizeof(policy)) == 0 &&
		    !strcmp(policy, "refuse"))
			continue;
		h = import_edu(buf, mode[i]);
		ret = ti_map(ti, h, 3, &m);
		expect(ret == -EINVAL, "%s map with DMA_NONE: %s, expected EINVAL\n",
		       i ? "pinned" : "dynamic", ret ? strerror(-ret) : "mapped");
		igt_assert_eq(ti_status(ti, h, &st), 0);
		expect(!(st.state & P2PBUF_TI_MAPPED) && st.map_errors == 1 &&
		       st.last_error == EINVAL,
		       "importer state %#x, %u refused maps, last error %u\n",
		       st.state, st.map_errors, st.last_error);
		ti_unmap(ti, h);
		/* the attachment is still good */
		igt_assert_eq(p2pbuf_buf_info(p2p, buf, &info), 0);
		expect(info.attachments == 1, "%u attachments\n", info.attachments);
		ret = ti_map(ti, h, 0, &m);
		expect(ret == 0 && m.addr[0] == info.bus_addr,
		       "map after the refusal: %s\n", strerror(-ret));
		igt_assert_eq(ti_detach(ti, h), 0);
	}
	expect_done();
}

igt_main
{
	igt_fixture {
		char drv[64];

		p2p = igt_p2pbuf_open();
		ti = ti_open();
		pci_driver_name(NAME_EDU, drv, sizeof(drv));
		igt_require_f(!strcmp(drv, TI_DRIVER),
			      "edu %s is bound to \"%s\", not the test importer\n",
			      NAME_EDU, drv);
		pci_driver_name(NAME_IVSHMEM, bar_driver, sizeof(bar_driver));
		igt_info("config %s, ivshmem bound to \"%s\"\n",
			 p2pbuf_config_name(), bar_driver);
	}

	igt_describe("A new buffer over a freed range reads zero through mmap and the DMA engine, on a BAR and on a CMB.");
	igt_subtest("alloc-cleared") {
		begin();
		test_alloc_cleared();
	}

	igt_describe("pinned_importers=wait: removal waits for a pinned importer, warns naming it, and nothing lends its range meanwhile.");
	igt_subtest("pinned-outlives-revoke") {
		begin();
		test_pinned_outlives_revoke();
	}

	igt_describe("pinned_importers=refuse: dma_buf_pin gets EOPNOTSUPP with the reason; every map on a kernel without move_notify.");
	igt_subtest("pinned-refused") {
		begin();
		test_pinned_refused();
	}

	igt_describe("While the DMA engine holds a mapping, neither rebind nor a function reset lends its range again.");
	igt_subtest("rebind-keeps-held-range") {
		begin();
		test_rebind_keeps_held_range();
	}

	igt_describe("Two concurrent unbinds both wait for a pinned importer.");
	igt_subtest("concurrent-unregister") {
		begin();
		test_concurrent_unregister();
	}

	igt_describe("Allocations and listings race unbinds without a use-after-free or a leak.");
	igt_subtest("export-races-unbind") {
		begin();
		test_export_races_unbind();
	}

	igt_describe("After a function reset and AER recovery the provider is decoded and round-trips data.");
	igt_subtest("reset-restores-decode") {
		begin();
		test_reset_restores_decode();
	}

	igt_describe("Per-uid byte and buffer limits: EDQUOT, charged until released, restored by freeing, others unaffected.");
	igt_subtest("quota") {
		begin();
		test_quota();
	}

	igt_describe("Only the group opens /dev/p2pbuf; FIXED_OFFSET and policy changes need CAP_SYS_ADMIN.");
	igt_subtest("unprivileged") {
		begin();
		test_unprivileged();
	}

	igt_describe("Listing returns at once while an unbind waits for an importer.");
	igt_subtest("list-is-read-only") {
		begin();
		test_list_is_read_only();
	}

	igt_describe("A device without a prefetchable BAR is refused unless bar_override names the BAR; CPU maps are WC only for prefetchable BARs.");
	igt_subtest("non-prefetchable-bar-refused") {
		begin();
		test_non_prefetchable_bar_refused();
	}

	igt_describe("A read-only fd refuses writable shared mmaps and device mappings that write.");
	igt_subtest("readonly-fd-writable-mmap-refused") {
		begin();
		test_readonly_fd();
	}

	igt_describe("map_dma_buf refuses DMA_NONE with EINVAL.");
	igt_subtest("dma-none-refused") {
		begin();
		test_dma_none();
	}

	igt_fixture {
		cleanup();
		close(p2p);
	}
}
