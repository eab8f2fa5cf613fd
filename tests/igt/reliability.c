// SPDX-License-Identifier: GPL-2.0
/**
 * TEST: reliability
 * Category: Stress
 * Description: p2pbuf keeps working, loses nothing and leaks nothing when
 *	nobody behaves: hostile callers, failing allocations, providers that
 *	vanish mid-DMA, the module unloaded under its users, many processes at
 *	once. Runs in the test kernel (KASAN, lockdep, DMA-API debug,
 *	kmemleak) and, for what applies, in the stock one. Sizes come from the
 *	environment (P2PBUF_FUZZ_CALLS, P2PBUF_UNPLUG_CYCLES, ...) with the
 *	defaults the issue asks for; the last subtest prints one figures line.
 * Feature: p2pbuf
 *
 * SUBTEST: uapi-fuzz
 * Description: seeded random and invalid calls (every ioctl number of
 *	p2pbuf's and dma-buf's type, any size, direction, flags, reserved
 *	fields and offsets; NULL, unmapped, kernel and half-mapped pointers;
 *	regular files, sockets, udmabuf and vgem dma-bufs, closed fds;
 *	DMA_BUF_IOCTL_SYNC, DMA_BUF_SET_NAME, lseek, odd mmaps, mremap, fork
 *	with live mappings) from several processes, half of them unprivileged:
 *	only documented errnos, no signal, every provider all free afterwards.
 *
 * SUBTEST: fail-nth
 * Description: alloc+export, attach (dynamic, pinned), map, mmap on the BAR
 *	and the CMB provider, p2pbuf_bar's probe and module load (which adopts
 *	p2pmem) are driven through every fault point under module code with
 *	/proc/thread-self/fail-nth: each failure is a clean errno and leaves
 *	nothing behind.
 *
 * SUBTEST: unplug-remove
 * Description: the provider is removed (sysfs remove) while processes hold
 *	fds, mmaps, dynamic and pinned attachments and DMA is in flight, then
 *	rescanned and bound again, over and over: importers are notified, new
 *	maps fail with ENODEV, the zapped mmap raises SIGBUS, the removal waits
 *	for the pinned importer, and the range comes back cleared.
 *
 * SUBTEST: unplug-unbind
 * Description: the same with the driver unbound and bound again.
 *
 * SUBTEST: unplug-nvme-cmb
 * Description: nvme is unbound from the drive whose CMB p2pbuf adopted
 *	while a buffer of it is mapped by the CPU and an importer, and bound
 *	again: the buffer is revoked, the CMB comes back as a new provider.
 *
 * SUBTEST: quota-overflow
 * Description: two root processes (charged, not limited) ask for buffers
 *	of 2^63 bytes and more at once: each fails with ENOMEM, the per-user
 *	counters stay intact (no warning) and normal buffers still work.
 *
 * SUBTEST: unload-live
 * Description: removing p2pbuf.ko while fds, mmaps and attachments are
 *	live is refused and changes nothing; once they are gone it unloads,
 *	and unload + load work over and over with a buffer used each time.
 *
 * SUBTEST: stress
 * Description: threads in several processes allocate, pass fds, attach,
 *	map, move data, unmap and free while another lists providers and reads
 *	debugfs: no two live buffers overlap and every byte written reads back.
 *
 * SUBTEST: figures
 * Description: the figures line of the whole run; fails on any overlap,
 *	corruption, p2pbuf leak (kmemleak) or kernel splat since the start.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/udmabuf.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xf86drm.h>

#include "igt.h"
#include "p2pbuf_igt.h"
#include "reliability.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define PAGE		4096UL
#define IVSHMEM_SYSFS	"/sys/bus/pci/devices/" NAME_IVSHMEM
#define NVME0_SYSFS	"/sys/bus/pci/devices/" NAME_NVME0
#define DEBUGFS_BUFFERS	"/sys/kernel/debug/p2pbuf/buffers"
#define KMEMLEAK	"/sys/kernel/debug/kmemleak"
#define XFER		PAGE	/* edu moves a page in ~200 ms under TCG */

struct rel_figures rel_fig;
static int kmsg = -1;
static char bar_driver[64];

/*
 * How much of each part runs: the figures in p2pdma and stock, a
 * tenth in iommu and stock61, which share those paths and would otherwise
 * double the time `make check` takes.
 */
long rel_amount(const char *name, long full)
{
	const char *c = getenv("P2PBUF_CONFIG");

	if (c && (!strcmp(c, "iommu") || !strcmp(c, "stock61")))
		full = full / 10 ? full / 10 : 1;
	return rel_env(name, full);
}

long rel_env(const char *name, long def)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (!v || !*v)
		return def;
	n = strtol(v, &end, 0);
	return *end ? def : n;
}

/* ---- what a healthy provider set looks like ----------------------------- */

static struct {
	char name[P2PBUF_NAME_LEN];
	uint32_t kind;
	uint64_t free;
} snap[MAX_PROVIDERS];
static int nsnap;

/* remember each provider's free bytes by device and kind (ids change) */
static void rel_snapshot(int p2p)
{
	struct p2pbuf_provider_info list[MAX_PROVIDERS];
	int n = p2pbuf_list(p2p, list, MAX_PROVIDERS);

	igt_assert_lte(0, n);
	nsnap = 0;
	for (int i = 0; i < n; i++) {
		if (!(list[i].flags & P2PBUF_PROVIDER_AVAILABLE))
			continue;
		memcpy(snap[nsnap].name, list[i].name, P2PBUF_NAME_LEN);
		snap[nsnap].kind = list[i].kind;
		snap[nsnap++].free = list[i].free;
	}
}

bool rel_wait_all_free(int p2p, int timeout_ms, char *why, size_t len)
{
	struct p2pbuf_provider_info list[MAX_PROVIDERS];
	double end = p2pbuf_now() + timeout_ms / 1000.0;
	int n, i, j;

	do {
		n = p2pbuf_list(p2p, list, MAX_PROVIDERS);
		for (i = 0; i < nsnap; i++) {
			for (j = 0; j < n; j++)
				if (!strcmp(list[j].name, snap[i].name) &&
				    list[j].kind == snap[i].kind)
					break;
			if (j == n) {
				snprintf(why, len, "provider %s (kind %u) is gone",
					 snap[i].name, snap[i].kind);
				break;
			}
			/* a provider that came back new may have more */
			if (list[j].free < snap[i].free) {
				snprintf(why, len, "provider %u (%s): %#llx bytes free, %#llx before",
					 list[j].id, list[j].name,
					 (unsigned long long)list[j].free,
					 (unsigned long long)snap[i].free);
				break;
			}
		}
		if (i == nsnap)
			return true;
		usleep(50 * 1000);
	} while (p2pbuf_now() < end);
	return false;
}

/* ---- other exporters' dma-bufs ------------------------------------------ */

int rel_udmabuf(uint64_t size)
{
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = size };
	int dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC), fd = -1, mfd;

	if (dev < 0)
		return -1;
	mfd = memfd_create("p2pbuf-reliability", MFD_ALLOW_SEALING);
	c.memfd = mfd;
	if (mfd >= 0 && ftruncate(mfd, size) == 0 &&
	    fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK) == 0)
		fd = ioctl(dev, UDMABUF_CREATE, &c);
	if (mfd >= 0)
		close(mfd);
	close(dev);
	return fd;
}

int rel_vgem_dmabuf(uint64_t size)
{
	struct drm_mode_create_dumb d = { .height = 1, .bpp = 32, .width = size / 4 };
	int vgem = p2pbuf_open_vgem(), fd = -1;

	if (vgem < 0)
		return -1;
	if (drmIoctl(vgem, DRM_IOCTL_MODE_CREATE_DUMB, &d) == 0 &&
	    drmPrimeHandleToFD(vgem, d.handle, DRM_CLOEXEC | DRM_RDWR, &fd))
		fd = -1;
	close(vgem);
	return fd;
}

/*
 * Put the test bed back as a subtest that failed half-way may have left
 * it: both modules loaded, the "GPU" there and bound to p2pbuf_bar.
 */
static void rel_repair(void)
{
	char drv[64];

	rel_load_modules();
	if (access(IVSHMEM_SYSFS, F_OK))
		sysfs_write("/sys/bus/pci/rescan", "1");
	pci_driver_name(NAME_IVSHMEM, drv, sizeof(drv));
	if (!drv[0]) {
		sysfs_write(IVSHMEM_SYSFS "/driver_override", "p2pbuf_bar");
		sysfs_write("/sys/bus/pci/drivers/p2pbuf_bar/bind", NAME_IVSHMEM);
	}
	pci_driver_name(NAME_NVME0, drv, sizeof(drv));
	if (!drv[0])
		sysfs_write("/sys/bus/pci/drivers/nvme/bind", NAME_NVME0);
}

/* ---- hot-unplug under load ---------------------------------------------- */

/*
 * QEMU's device_del is not among the ways: QEMU 7.2 (Debian 12's) aborts
 * in qemu_ram_set_idstr() when ivshmem-plain is added back on its memory
 * backend, and 6.12's pciehp reports a lockdep cycle (reset_lock against
 * pci_rescan_remove_lock) in its own slot removal; sysfs remove takes the
 * same path through p2pbuf (BUS_NOTIFY_DEL_DEVICE after the unbind).
 */
enum unplug { BY_REMOVE, BY_UNBIND };

static const char *const unplug_name[] = { "remove", "unbind" };

static sigjmp_buf bus_jmp;

static void on_sigbus(int sig)
{
	siglongjmp(bus_jmp, 1);
}

/* whether reading @p raises SIGBUS */
static bool raises_sigbus(volatile uint8_t *p)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	bool bus = false;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(bus_jmp, 1) == 0)
		(void)*p;
	else
		bus = true;
	sigaction(SIGBUS, &old, NULL);
	return bus;
}

static bool wait_ivshmem(int p2p, uint32_t old_id, int ms,
			 struct p2pbuf_provider_info *p)
{
	double end = p2pbuf_now() + ms / 1000.0;

	do {
		if (p2pbuf_find(p2p, NAME_IVSHMEM, P2PBUF_KIND_BAR, p) &&
		    (p->flags & P2PBUF_PROVIDER_AVAILABLE) && p->id != old_id)
			return true;
		usleep(20 * 1000);
	} while (p2pbuf_now() < end);
	return false;
}

/* DMA in flight while the provider goes: the engine reads in a loop */
struct dma_loop {
	int ti;
	uint32_t handle;
	volatile bool stop;
	int moved, refused, other, last_err;
};

static void *dma_thread(void *arg)
{
	struct dma_loop *d = arg;
	uint8_t *user = malloc(XFER);

	while (!d->stop) {
		int ret = ti_dma(d->ti, d->handle, 0, 0, 0, XFER, user);

		if (!ret)
			d->moved++;
		else if (ret == -ENODEV)
			d->refused++;
		else
			d->other++, d->last_err = -ret;
		if (ret)
			usleep(10 * 1000);
	}
	free(user);
	return NULL;
}

static pid_t start_unplug(enum unplug how)
{
	if (how == BY_REMOVE)
		return p2pbuf_bg_write(IVSHMEM_SYSFS "/remove", "1");
	return p2pbuf_bg_write(IVSHMEM_SYSFS "/driver/unbind", NAME_IVSHMEM);
}

static void bring_back(enum unplug how)
{
	char drv[64];
	int ret;

	if (how == BY_REMOVE) {
		igt_assert_eq(sysfs_write("/sys/bus/pci/rescan", "1"), 0);
		igt_assert_f(access(IVSHMEM_SYSFS, F_OK) == 0,
			     "%s did not come back from the rescan\n", NAME_IVSHMEM);
		igt_assert_eq(sysfs_write(IVSHMEM_SYSFS "/driver_override",
					  bar_driver), 0);
	}
	pci_driver_name(NAME_IVSHMEM, drv, sizeof(drv));
	if (drv[0])
		return;
	ret = sysfs_write("/sys/bus/pci/drivers/p2pbuf_bar/bind", NAME_IVSHMEM);
	igt_assert_f(ret == 0, "bind %s: %s\n", NAME_IVSHMEM, strerror(-ret));
}

static void unplug_cycle(int p2p, int ti, enum unplug how, int cycle, bool data)
{
	struct p2pbuf_provider_info p, q;
	struct p2pbuf_buf_info a, b, c;
	struct p2pbuf_ti_status st;
	struct p2pbuf_ti_map m;
	struct dma_loop dma = { .ti = ti };
	bool pinned = cycle % 4 == 0, in_flight = data && cycle % 10 == 0;
	int fa, fb, fc = -1, ret;
	uint32_t hb, hc = 0;
	pthread_t thr;
	uint8_t *cpu;
	pid_t gone;
	bool done;

	igt_assert_f(wait_ivshmem(p2p, 0, 10000, &p), "no ivshmem provider\n");
	fa = p2pbuf_alloc_rw(p2p, p.id, 16 * PAGE, &a);
	cpu = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fa, 0);
	igt_assert(cpu != MAP_FAILED);
	fill_pattern(cpu, 16 * PAGE, cycle);
	fb = p2pbuf_alloc_rw(p2p, p.id, 4 * PAGE, &b);
	igt_assert_eq(ti_import(ti, fb, BDF_EDU, P2PBUF_TI_DYNAMIC | P2PBUF_TI_EDU, &hb), 0);
	igt_assert_eq(ti_map(ti, hb, 0, &m), 0);
	if (pinned) {
		fc = p2pbuf_alloc_rw(p2p, p.id, 4 * PAGE, &c);
		igt_assert_eq(ti_import(ti, fc, BDF_EDU,
					P2PBUF_TI_PINNED | P2PBUF_TI_EDU, &hc), 0);
		igt_assert_eq(ti_map(ti, hc, 0, &m), 0);
	}
	if (in_flight) {
		dma.handle = hb;
		igt_assert_eq(pthread_create(&thr, NULL, dma_thread, &dma), 0);
		usleep(100 * 1000);
	}

	gone = start_unplug(how);
	if (pinned) {
		/* nothing lends the range while the pinned importer reaches it */
		done = p2pbuf_bg_wait(gone, 300, &ret);
		igt_assert_f(!done, "cycle %d: the %s returned (%s) while %s still pinned its buffer\n",
			     cycle, unplug_name[how], strerror(-ret), NAME_EDU);
		igt_assert_eq(ti_detach(ti, hc), 0);
	}
	igt_assert_f(p2pbuf_bg_wait(gone, 30000, &ret),
		     "cycle %d: the %s still blocked after 30 s\n", cycle,
		     unplug_name[how]);
	igt_assert_f(ret == 0, "cycle %d: %s\n", cycle, strerror(-ret));
	if (in_flight) {
		dma.stop = true;
		pthread_join(thr, NULL);
		igt_assert_f(dma.other == 0,
			     "cycle %d: DMA in flight failed %d times, last with %s (ENODEV expected)\n",
			     cycle, dma.other, strerror(dma.last_err));
	}

	/* importers were told, nothing maps the revoked buffers again */
	igt_assert_eq(ti_status(ti, hb, &st), 0);
	igt_assert_f(st.invalidations >= 1, "cycle %d: the dynamic importer was never notified\n",
		     cycle);
	igt_assert_errno(ti_map(ti, hb, 0, &m), ENODEV);
	igt_assert_f(raises_sigbus(cpu + PAGE),
		     "cycle %d: the CPU mapping still reaches the removed BAR\n",
		     cycle);
	igt_assert_eq(p2pbuf_buf_info(p2p, fa, &a), 0);
	igt_assert(a.flags & P2PBUF_BUF_REVOKED);
	ret = ti_import(ti, fa, BDF_EDU, P2PBUF_TI_DYNAMIC | P2PBUF_TI_EDU, &hc);
	igt_assert_f(ret == -ENODEV, "cycle %d: attach of a revoked buffer: %s\n",
		     cycle, strerror(-ret));
	igt_assert_eq(ti_detach(ti, hb), 0);
	munmap(cpu, 16 * PAGE);
	close(fa);
	close(fb);
	if (fc >= 0)
		close(fc);

	/* back, usable, and the range reads zero for its next user */
	bring_back(how);
	igt_assert_f(wait_ivshmem(p2p, p.id, 10000, &q),
		     "cycle %d: no new provider after the %s\n", cycle,
		     unplug_name[how]);
	fa = p2pbuf_alloc_rw(p2p, q.id, 16 * PAGE, &a);
	cpu = mmap(NULL, 16 * PAGE, PROT_READ, MAP_SHARED, fa, 0);
	igt_assert(cpu != MAP_FAILED);
	for (unsigned long i = 0; i < 16 * PAGE; i += 64)
		igt_assert_f(!cpu[i], "cycle %d: byte %#lx of a new buffer reads %#x\n",
			     cycle, i, cpu[i]);
	munmap(cpu, 16 * PAGE);
	close(fa);
	rel_fig.unplug_cycles++;
}

static void test_unplug(enum unplug how)
{
	int cycles = rel_amount("P2PBUF_UNPLUG_CYCLES", 50);
	struct p2pbuf_provider_info p;
	struct p2pbuf_path path;
	char why[256];
	double t0 = p2pbuf_now();
	int p2p, ti;
	bool data;

	pci_driver_name(NAME_IVSHMEM, bar_driver, sizeof(bar_driver));
	igt_require_f(bar_driver[0], "%s is not bound\n", NAME_IVSHMEM);
	p2p = igt_p2pbuf_open();
	ti = ti_open();
	igt_assert(wait_ivshmem(p2p, 0, 10000, &p));
	rel_snapshot(p2p);
	igt_assert_eq(igt_p2pbuf_path(p2p, p.id, BDF_EDU, &path), 0);
	/* QEMU 7.2's vIOMMU faults same-switch P2P (DESIGN.md) */
	data = !(p2pbuf_config() == CONFIG_IOMMU &&
		 path.map_type == P2PBUF_MAP_BUS_ADDR);
	for (int i = 0; i < cycles; i++)
		unplug_cycle(p2p, ti, how, i, data);
	igt_info("%d %s cycles in %.1f s%s\n", cycles, unplug_name[how],
		 p2pbuf_now() - t0, data ? "" : " (no DMA in flight: iommu config)");
	close(ti);
	igt_assert_f(rel_wait_all_free(p2p, 10000, why, sizeof(why)), "%s\n", why);
	close(p2p);
}

static void test_unplug_nvme(void)
{
	int cycles = rel_amount("P2PBUF_NVME_CYCLES", 5);
	struct p2pbuf_provider_info p;
	struct p2pbuf_buf_info info;
	struct p2pbuf_ti_status st;
	struct p2pbuf_ti_map m;
	char drv[64];
	uint32_t h, old = 0;
	uint8_t *cpu;
	int buf;

	int p2p = igt_p2pbuf_open(), ti;
	bool cmb = p2pbuf_find(p2p, NAME_NVME0, P2PBUF_KIND_P2PMEM, &p);

	/* nothing open may outlive a skip: unload-live counts references */
	if (!cmb)
		close(p2p);
	igt_require_f(cmb, "no CMB adopted on %s%s\n", NAME_NVME0,
		      p2pbuf_config() == CONFIG_STOCK ?
		      ": P2PDMA is not in the stock kernel" : "");
	ti = ti_open();
	for (int c = 0; c < cycles; c++) {
		double end = p2pbuf_now() + 30;

		while (!(p2pbuf_find(p2p, NAME_NVME0, P2PBUF_KIND_P2PMEM, &p) &&
			 (p.flags & P2PBUF_PROVIDER_AVAILABLE) && p.id != old) &&
		       p2pbuf_now() < end)
			usleep(100 * 1000);
		igt_assert_f(p2pbuf_now() < end, "cycle %d: the CMB of %s did not come back\n",
			     c, NAME_NVME0);
		old = p.id;
		buf = p2pbuf_alloc_rw(p2p, p.id, 4 * PAGE, &info);
		cpu = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
		igt_assert(cpu != MAP_FAILED);
		fill_pattern(cpu, 4 * PAGE, c);
		igt_assert_eq(ti_import(ti, buf, BDF_EDU,
					P2PBUF_TI_DYNAMIC | P2PBUF_TI_EDU, &h), 0);
		igt_assert_eq(ti_map(ti, h, 0, &m), 0);
		pci_driver_name(NAME_NVME0, drv, sizeof(drv));
		igt_assert_eq_str(drv, "nvme");
		/* the CPU mapping pins nothing: the unbind does not wait for it */
		igt_assert_eq(sysfs_write(NVME0_SYSFS "/driver/unbind", NAME_NVME0), 0);
		igt_assert_eq(ti_status(ti, h, &st), 0);
		igt_assert_f(st.invalidations >= 1, "cycle %d: importer not notified\n", c);
		igt_assert_errno(ti_map(ti, h, 0, &m), ENODEV);
		igt_assert_f(raises_sigbus(cpu), "cycle %d: the mmap still reaches the CMB\n", c);
		igt_assert_eq(p2pbuf_buf_info(p2p, buf, &info), 0);
		igt_assert(info.flags & P2PBUF_BUF_REVOKED);
		igt_assert_eq(ti_detach(ti, h), 0);
		munmap(cpu, 4 * PAGE);
		close(buf);
		igt_assert_eq(sysfs_write("/sys/bus/pci/drivers/nvme/bind", NAME_NVME0), 0);
		rel_fig.unplug_cycles++;
	}
	close(ti);
	close(p2p);
}

/* ---- unload with live users ---------------------------------------------- */

#define TI_MODULE	"p2pbuf_test_importer"

static int load_module(const char *name)
{
	char path[128];
	int fd, ret;

	snprintf(path, sizeof(path), "/p2pbuf/modules/%s.ko", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

static int unload_module(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

/*
 * p2pbuf.ko and the test importer, which uses p2pbuf's in-kernel API and so
 * goes first; the importer's files must be closed. 0 or -errno.
 */
int rel_unload_modules(void)
{
	int ret = 0;

	if (access("/sys/module/" TI_MODULE, F_OK) == 0)
		ret = unload_module(TI_MODULE);
	return ret ? ret : unload_module("p2pbuf");
}

int rel_load_modules(void)
{
	int ret = load_module("p2pbuf");

	if (ret == -EEXIST)
		ret = 0;
	if (!ret)
		ret = load_module(TI_MODULE);
	return ret == -EEXIST ? 0 : ret;
}

static int module_refcnt(const char *name)
{
	char path[64], s[16] = "-1";

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", name);
	sysfs_read(path, s, sizeof(s));
	return atoi(s);
}

/* a buffer round-trips through the CPU and, where it can, the engine */
static void use_once(int p2p, int ti, int seed)
{
	struct p2pbuf_provider_info p;
	struct p2pbuf_buf_info info;
	struct p2pbuf_ti_map m;
	uint8_t *cpu, user[XFER];
	uint32_t h;
	int buf;

	igt_assert_f(wait_ivshmem(p2p, 0, 10000, &p), "no ivshmem provider\n");
	buf = p2pbuf_alloc_rw(p2p, p.id, XFER, &info);
	cpu = mmap(NULL, XFER, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	igt_assert(cpu != MAP_FAILED);
	fill_pattern(cpu, XFER, seed);
	igt_assert_eq(ti_import(ti, buf, BDF_EDU, P2PBUF_TI_DYNAMIC | P2PBUF_TI_EDU, &h), 0);
	igt_assert_eq(ti_map(ti, h, 0, &m), 0);
	if (p2pbuf_config() != CONFIG_IOMMU) {
		igt_assert_eq(ti_dma(ti, h, 0, 0, 0, XFER, user), 0);
		igt_assert_f(check_pattern(user, XFER, seed) < 0,
			     "the engine read other bytes than the CPU wrote\n");
	}
	igt_assert_eq(ti_detach(ti, h), 0);
	munmap(cpu, XFER);
	close(buf);
}

static void test_unload_live(void)
{
	int cycles = rel_amount("P2PBUF_UNLOAD_CYCLES", 20);
	int p2p = igt_p2pbuf_open(), ti = ti_open(), buf, ret;
	struct p2pbuf_provider_info p;
	struct p2pbuf_buf_info info;
	struct p2pbuf_ti_map m;
	uint32_t hd, hp;
	uint8_t *cpu;

	igt_assert(wait_ivshmem(p2p, 0, 10000, &p));
	buf = p2pbuf_alloc_rw(p2p, p.id, 4 * PAGE, &info);
	cpu = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	igt_assert(cpu != MAP_FAILED);
	fill_pattern(cpu, 4 * PAGE, 77);
	igt_assert_eq(ti_import(ti, buf, BDF_EDU, P2PBUF_TI_DYNAMIC | P2PBUF_TI_EDU, &hd), 0);
	igt_assert_eq(ti_map(ti, hd, 0, &m), 0);
	igt_assert_eq(ti_import(ti, buf, BDF_EDU, P2PBUF_TI_PINNED | P2PBUF_TI_EDU, &hp), 0);
	igt_assert_eq(ti_map(ti, hp, 0, &m), 0);

	/*
	 * Refused while anything is live, and nothing changed: every buffer
	 * holds a reference on p2pbuf.ko, the open device one more, so the
	 * removal is refused by p2pbuf's own count, not only by the
	 * importer that depends on it.
	 */
	igt_assert_lt(0, module_refcnt("p2pbuf"));
	ret = unload_module("p2pbuf");
	igt_assert_f(ret == -EWOULDBLOCK || ret == -EBUSY,
		     "rmmod p2pbuf with live users: %s\n", ret ? strerror(-ret) : "unloaded");
	close(p2p);
	igt_assert_f(module_refcnt("p2pbuf") > 0,
		     "p2pbuf.ko holds no reference for a live buffer\n");
	igt_assert_f(check_pattern(cpu, 4 * PAGE, 77) < 0, "the mmap changed\n");
	igt_assert_eq(ti_unmap(ti, hd), 0);
	igt_assert_eq(ti_map(ti, hd, 0, &m), 0);
	igt_assert_eq(ti_detach(ti, hd), 0);
	igt_assert_eq(ti_detach(ti, hp), 0);
	munmap(cpu, 4 * PAGE);
	close(buf);
	close(ti);

	for (int c = 0; c < cycles; c++) {
		double end = p2pbuf_now() + 10;

		/* the last dma-buf reference goes with the file: may lag */
		while ((ret = rel_unload_modules()) && p2pbuf_now() < end)
			usleep(50 * 1000);
		igt_assert_f(ret == 0, "cycle %d: rmmod: %s (p2pbuf refcnt %d)\n",
			     c, strerror(-ret), module_refcnt("p2pbuf"));
		igt_assert(access("/dev/p2pbuf", F_OK) != 0);
		ret = rel_load_modules();
		igt_assert_f(ret == 0, "cycle %d: insmod: %s\n", c, strerror(-ret));
		p2p = igt_p2pbuf_open();
		ti = ti_open();
		use_once(p2p, ti, c);
		close(ti);
		close(p2p);
		rel_fig.unload_cycles++;
	}
}

/* ---- concurrency stress --------------------------------------------------- */

#define STRESS_SLOTS	256

struct stress_shared {
	pthread_mutex_t lock;
	struct { uint64_t bus, size; int used; } live[STRESS_SLOTS];
	unsigned int overlaps, corruptions, ops, passes, errors;
	char first[256];
};

struct stress_thread {
	struct stress_shared *sh;
	int p2p, ti, sock, idx;
	uint32_t providers[2];
	int nproviders;
	double end;
	bool data;
};

static int live_add(struct stress_shared *sh, uint64_t bus, uint64_t size)
{
	int slot = -1;

	pthread_mutex_lock(&sh->lock);
	for (int i = 0; i < STRESS_SLOTS; i++) {
		if (!sh->live[i].used) {
			if (slot < 0)
				slot = i;
			continue;
		}
		if (bus < sh->live[i].bus + sh->live[i].size &&
		    sh->live[i].bus < bus + size) {
			if (!sh->overlaps++)
				snprintf(sh->first, sizeof(sh->first),
					 "live buffers [%#llx, +%#llx) and [%#llx, +%#llx) overlap",
					 (unsigned long long)bus, (unsigned long long)size,
					 (unsigned long long)sh->live[i].bus,
					 (unsigned long long)sh->live[i].size);
		}
	}
	if (slot >= 0) {
		sh->live[slot].bus = bus;
		sh->live[slot].size = size;
		sh->live[slot].used = 1;
	}
	pthread_mutex_unlock(&sh->lock);
	return slot;
}

static void live_del(struct stress_shared *sh, int slot)
{
	if (slot < 0)
		return;
	pthread_mutex_lock(&sh->lock);
	sh->live[slot].used = 0;
	pthread_mutex_unlock(&sh->lock);
}

static void corrupt(struct stress_shared *sh, const char *what, long at)
{
	pthread_mutex_lock(&sh->lock);
	if (!sh->corruptions++)
		snprintf(sh->first, sizeof(sh->first), "%s: byte %ld differs", what, at);
	pthread_mutex_unlock(&sh->lock);
}

static void error(struct stress_shared *sh, const char *what, int err)
{
	pthread_mutex_lock(&sh->lock);
	if (!sh->errors++)
		snprintf(sh->first, sizeof(sh->first), "%s: %s", what, strerror(err));
	pthread_mutex_unlock(&sh->lock);
}

/* a buffer passed in by the neighbour process: check it, let it go */
static void stress_receive(struct stress_thread *t)
{
	struct p2pbuf_fd_pass { uint32_t seed; uint64_t size; } msg;
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &msg, sizeof(msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	uint8_t *m;
	long bad;
	int fd;

	if (recvmsg(t->sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) != sizeof(msg))
		return;
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return;
	memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	m = mmap(NULL, msg.size, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		error(t->sh, "mmap of a passed fd", errno);
	} else {
		bad = check_pattern(m, msg.size, msg.seed);
		if (bad >= 0)
			corrupt(t->sh, "a buffer passed to another process", bad);
		munmap(m, msg.size);
	}
	close(fd);
	__atomic_add_fetch(&t->sh->passes, 1, __ATOMIC_RELAXED);
}

static void stress_send(struct stress_thread *t, int fd, uint32_t seed, uint64_t size)
{
	struct { uint32_t seed; uint64_t size; } msg = { seed, size };
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { &msg, sizeof(msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	sendmsg(t->sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void *stress_worker(void *arg)
{
	struct stress_thread *t = arg;
	uint8_t *user = malloc(XFER);
	uint64_t rng = 0x51ed + t->idx * 7919;
	int n = 0;

	while (p2pbuf_now() < t->end) {
		struct p2pbuf_alloc a = { .flags = P2PBUF_ALLOC_RDWR | P2PBUF_ALLOC_CLOEXEC };
		struct p2pbuf_ti_map m;
		uint32_t seed = (uint32_t)(rng = rng * 6364136223846793005ULL + 1442695040888963407ULL);
		uint8_t *cpu;
		uint32_t h;
		long bad;
		int slot, ret;

		a.size = PAGE << (seed % 7);	/* 4 KiB ... 256 KiB */
		a.provider_id = t->providers[(seed >> 8) % t->nproviders];
		ret = p2pbuf_ioctl(t->p2p, P2PBUF_IOC_ALLOC, &a);
		if (ret) {
			if (ret != -ENOSPC && ret != -EDQUOT)
				error(t->sh, "alloc", -ret);
			stress_receive(t);
			continue;
		}
		slot = live_add(t->sh, a.bus_addr, a.size);
		cpu = mmap(NULL, a.size, PROT_READ | PROT_WRITE, MAP_SHARED, a.fd, 0);
		if (cpu == MAP_FAILED) {
			error(t->sh, "mmap", errno);
			goto out;
		}
		fill_pattern(cpu, a.size, seed);
		ret = ti_import(t->ti, a.fd, BDF_EDU, P2PBUF_TI_DYNAMIC | P2PBUF_TI_EDU, &h);
		if (ret) {
			error(t->sh, "attach", -ret);
		} else {
			ret = ti_map(t->ti, h, (seed >> 16) % 3, &m);
			if (ret)
				error(t->sh, "map", -ret);
			/* the engine is slow under TCG: one move in 16 */
			if (!ret && t->data && (seed >> 20) % 16 == 0) {
				ret = ti_dma(t->ti, h, 0, 0, 0, XFER, user);
				if (ret)
					error(t->sh, "dma", -ret);
				else if ((bad = check_pattern(user, XFER, seed)) >= 0)
					corrupt(t->sh, "engine read", bad);
			}
			ti_unmap(t->ti, h);
			ti_detach(t->ti, h);
		}
		bad = check_pattern(cpu, a.size, seed);
		if (bad >= 0)
			corrupt(t->sh, "CPU read back", bad);
		munmap(cpu, a.size);
		if (++n % 4 == 0)
			stress_send(t, a.fd, seed, a.size);
		stress_receive(t);
out:
		live_del(t->sh, slot);
		close(a.fd);
		__atomic_add_fetch(&t->sh->ops, 1, __ATOMIC_RELAXED);
	}
	free(user);
	return NULL;
}

static void *stress_lister(void *arg)
{
	struct stress_thread *t = arg;
	struct p2pbuf_provider_info list[MAX_PROVIDERS];
	static char text[1 << 16];

	while (p2pbuf_now() < t->end) {
		int fd = open(DEBUGFS_BUFFERS, O_RDONLY | O_CLOEXEC);

		if (p2pbuf_list(t->p2p, list, MAX_PROVIDERS) < 0)
			error(t->sh, "list", EIO);
		if (fd >= 0) {
			while (read(fd, text, sizeof(text)) > 0)
				;
			close(fd);
		}
		usleep(5000);
	}
	return NULL;
}

static void stress_process(struct stress_shared *sh, int sock, int threads,
			   double end, int idx)
{
	struct stress_thread t[16 + 1];
	struct p2pbuf_provider_info p;
	pthread_t thr[16 + 1];
	struct p2pbuf_path path;
	int p2p = igt_p2pbuf_open(), n = 0;
	uint32_t prov[2];
	bool data;

	igt_assert(p2pbuf_find(p2p, NAME_IVSHMEM, P2PBUF_KIND_BAR, &p));
	prov[n++] = p.id;
	igt_assert_eq(igt_p2pbuf_path(p2p, p.id, BDF_EDU, &path), 0);
	data = !(p2pbuf_config() == CONFIG_IOMMU &&
		 path.map_type == P2PBUF_MAP_BUS_ADDR);
	if (p2pbuf_find(p2p, NAME_NVME0, P2PBUF_KIND_P2PMEM, &p) &&
	    (p.flags & P2PBUF_PROVIDER_AVAILABLE))
		prov[n++] = p.id;
	for (int i = 0; i <= threads; i++) {
		t[i] = (struct stress_thread){ .sh = sh, .p2p = p2p, .ti = ti_open(),
			.sock = sock, .idx = idx * 16 + i, .end = end, .data = data,
			.nproviders = n };
		memcpy(t[i].providers, prov, sizeof(prov));
	}
	for (int i = 0; i < threads; i++)
		pthread_create(&thr[i], NULL, stress_worker, &t[i]);
	pthread_create(&thr[threads], NULL, stress_lister, &t[threads]);
	for (int i = 0; i <= threads; i++)
		pthread_join(thr[i], NULL);
	for (int i = 0; i <= threads; i++)
		close(t[i].ti);
	close(p2p);
}

static void test_stress(void)
{
	int procs = rel_env("P2PBUF_STRESS_PROCS", 2);
	int threads = rel_env("P2PBUF_STRESS_THREADS", 3);
	int secs = rel_amount("P2PBUF_STRESS_SECONDS", 30);
	struct stress_shared *sh;
	pthread_mutexattr_t ma;
	int p2p = igt_p2pbuf_open(), sv[2], status;
	pid_t pid[8];
	char why[256];
	double end;

	igt_assert(procs >= 2 && procs <= 8 && threads >= 1 && threads <= 16);
	rel_snapshot(p2p);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	igt_assert(sh != MAP_FAILED);
	memset(sh, 0, sizeof(*sh));
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&sh->lock, &ma);
	igt_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	end = p2pbuf_now() + secs;
	fflush(NULL);
	for (int i = 0; i < procs; i++) {
		pid[i] = fork();
		igt_assert(pid[i] >= 0);
		if (pid[i] == 0) {
			stress_process(sh, sv[i & 1], threads, end, i);
			_exit(0);
		}
	}
	for (int i = 0; i < procs; i++) {
		igt_assert_eq(waitpid(pid[i], &status, 0), pid[i]);
		igt_assert_f(WIFEXITED(status) && !WEXITSTATUS(status),
			     "stress process %d: status %#x\n", i, status);
	}
	close(sv[0]);
	close(sv[1]);
	igt_info("stress: %d processes x %d threads, %d s: %u buffers, %u passed to the other process, %u overlaps, %u corruptions, %u errors%s%s\n",
		 procs, threads, secs, sh->ops, sh->passes, sh->overlaps,
		 sh->corruptions, sh->errors, sh->first[0] ? "; first: " : "",
		 sh->first);
	rel_fig.stress_threads = procs * threads;
	rel_fig.stress_seconds = secs;
	rel_fig.overlaps += sh->overlaps;
	rel_fig.corruptions += sh->corruptions;
	igt_assert_f(!sh->overlaps && !sh->corruptions && !sh->errors,
		     "%s\n", sh->first);
	igt_assert_f(sh->ops > 0, "no buffer went through the loop\n");
	munmap(sh, sizeof(*sh));
	igt_assert_f(rel_wait_all_free(p2p, 10000, why, sizeof(why)), "%s\n", why);
	close(p2p);
}

static int count_splats(void);

/* ---- quota counters at the edge -------------------------------------------- */

/*
 * Found by uapi-fuzz: root (CAP_SYS_RESOURCE, charged but not limited)
 * asking for buffers near 2^64 bytes from two processes at once wrapped the
 * per-user byte counter, and the uncharge of the failed allocations warned
 * (quota.c) with the counter corrupt from then on.
 */
static void test_quota_overflow(void)
{
	static const uint64_t huge[] = { 1ULL << 63, ~0ULL & ~(PAGE - 1), 3ULL << 62 };
	int p2p = igt_p2pbuf_open(), status, k = p2pbuf_kmsg_open(), splats;
	struct p2pbuf_provider_info p;
	struct p2pbuf_buf_info info;
	char why[256];
	pid_t pid[2];

	igt_assert(wait_ivshmem(p2p, 0, 10000, &p));
	rel_snapshot(p2p);
	fflush(NULL);
	for (int i = 0; i < 2; i++) {
		pid[i] = fork();
		igt_assert(pid[i] >= 0);
		if (pid[i] == 0) {
			for (int n = 0; n < 3000; n++) {
				struct p2pbuf_alloc a = {
					.size = huge[n % 3], .provider_id = p.id,
					.flags = P2PBUF_ALLOC_CLOEXEC,
				};
				int ret = p2pbuf_ioctl(p2p, P2PBUF_IOC_ALLOC, &a);

				if (ret != -ENOMEM && ret != -EDQUOT)
					_exit(1);
			}
			_exit(0);
		}
	}
	for (int i = 0; i < 2; i++) {
		igt_assert_eq(waitpid(pid[i], &status, 0), pid[i]);
		igt_assert_f(WIFEXITED(status) && !WEXITSTATUS(status),
			     "an allocation of 2^63 bytes or more did not fail with ENOMEM or EDQUOT\n");
	}
	/* the counters still add up: a normal buffer comes and goes */
	close(p2pbuf_alloc_rw(p2p, p.id, 4 * PAGE, &info));
	igt_assert_f(rel_wait_all_free(p2p, 5000, why, sizeof(why)), "%s\n", why);
	splats = 0;
	if (k >= 0) {
		int save = kmsg;

		kmsg = k;
		splats = count_splats();
		kmsg = save;
		close(k);
	}
	igt_assert_f(splats == 0, "%d kernel warnings while the counters were pushed to their edge\n",
		     splats);
	close(p2p);
}

/* ---- figures --------------------------------------------------------------- */

/* splats in the kernel log since the suite started, as scan-log counts them */
static int count_splats(void)
{
	static const char *const pat[] = {
		"BUG: ", "WARNING: ", "kernel BUG at", "Oops", "general protection fault",
		"UBSAN: ", "possible circular locking", "possible recursive locking",
		"inconsistent lock state", "suspicious RCU usage", "DMA-API: device driver",
		"blocked for more than",
	};
	char rec[2048];
	int n = 0;
	ssize_t r;

	if (kmsg < 0)
		return -1;
	while ((r = read(kmsg, rec, sizeof(rec) - 1)) > 0 || (r < 0 && errno == EPIPE)) {
		if (r <= 0)
			continue;
		rec[r] = 0;
		for (size_t i = 0; i < ARRAY_SIZE(pat); i++)
			if (strstr(rec, pat[i])) {
				igt_warn("splat: %s", strchr(rec, ';') ? strchr(rec, ';') + 1 : rec);
				n++;
				break;
			}
	}
	return n;
}

/*
 * kmemleak objects with p2pbuf in their backtrace, or -1 without kmemleak.
 * One kind is the kernel's, counted in @slab_names instead: when fail-nth
 * fails an allocation inside the sysfs registration of p2pbuf's slab caches
 * (module load), SLUB 6.12 leaks the kobject name it had just set; upstream
 * fixed that in 2420baa8e046 ("mm/slab: Allow cache creation to proceed
 * even if sysfs registration fails").
 */
static int count_leaks(int *slab_names)
{
	static char text[1 << 18];
	ssize_t len = 0, r;
	char *o;
	int fd, n = 0;

	if (sysfs_write(KMEMLEAK, "scan") || sysfs_write(KMEMLEAK, "scan"))
		return -1;
	fd = open(KMEMLEAK, O_RDONLY);
	if (fd < 0)
		return -1;
	while (len < (ssize_t)sizeof(text) - 1 &&
	       (r = read(fd, text + len, sizeof(text) - 1 - len)) > 0)
		len += r;
	close(fd);
	text[len] = 0;
	for (o = strstr(text, "unreferenced object"); o; ) {
		char *next = strstr(o + 1, "unreferenced object");
		char save = next ? *next : 0;

		if (next)
			*next = 0;
		if (strstr(o, "sysfs_slab_add") &&
		    strstr(o, "kobject_set_name_vargs"))
			(*slab_names)++;
		else if (strstr(o, "p2pbuf"))
			n++;
		if (next)
			*next = save;
		o = next;
	}
	return n;
}

static void test_figures(void)
{
	int slab_names = 0, splats = count_splats();
	int leaks = count_leaks(&slab_names);

	igt_info("reliability: fuzzed=%llu fail-nth=%llu unplug-cycles=%u unload-cycles=%u stress=%ux%us overlaps=%u corruptions=%u leaks=%s%d splats=%d\n",
		 (unsigned long long)rel_fig.fuzzed,
		 (unsigned long long)rel_fig.fail_nth, rel_fig.unplug_cycles,
		 rel_fig.unload_cycles, rel_fig.stress_threads,
		 rel_fig.stress_seconds, rel_fig.overlaps, rel_fig.corruptions,
		 leaks < 0 ? "n/a(no kmemleak)," : "", leaks < 0 ? 0 : leaks,
		 splats);
	if (slab_names)
		igt_info("not counted: %d slab cache names the kernel leaked when fail-nth failed their sysfs registration (SLUB before 2420baa8e046)\n",
			 slab_names);
	igt_assert_f(!rel_fig.overlaps && !rel_fig.corruptions && leaks <= 0 &&
		     splats == 0, "see the figures line\n");
}

igt_main
{
	igt_fixture {
		int fd = igt_p2pbuf_open();

		close(fd);
		/* everything logged from here on counts for the figures */
		kmsg = p2pbuf_kmsg_open();
	}

	igt_describe("Random and invalid calls from several processes get documented errnos and leak nothing.");
	igt_subtest("uapi-fuzz") {
		int p2p;

		rel_repair();
		p2p = igt_p2pbuf_open();

		rel_snapshot(p2p);
		rel_fuzz(p2p);
		close(p2p);
	}

	igt_describe("Every fault point of the allocating paths fails cleanly.");
	igt_subtest("fail-nth") {
		int p2p;

		rel_repair();
		p2p = igt_p2pbuf_open();

		rel_snapshot(p2p);
		close(p2p);
		rel_fail_nth();
	}

	igt_describe("Provider removed and rescanned under load, over and over.");
	igt_subtest("unplug-remove") {
		rel_repair();
		test_unplug(BY_REMOVE);
	}

	igt_describe("Provider unbound and bound again under load, over and over.");
	igt_subtest("unplug-unbind") {
		rel_repair();
		test_unplug(BY_UNBIND);
	}

	igt_describe("nvme unbound under a live buffer of its adopted CMB, and bound again.");
	igt_subtest("unplug-nvme-cmb") {
		rel_repair();
		test_unplug_nvme();
	}

	igt_describe("Buffers near 2^64 bytes from two root processes leave the quota counters intact.");
	igt_subtest("quota-overflow") {
		rel_repair();
		test_quota_overflow();
	}

	igt_describe("Module unload refused with live users, then unload + load cycles.");
	igt_subtest("unload-live") {
		rel_repair();
		test_unload_live();
	}

	igt_describe("Threads x processes allocate, pass, attach, map, move and free at once.");
	igt_subtest("stress") {
		rel_repair();
		test_stress();
	}

	igt_describe("The figures line; fails on overlaps, corruptions, leaks or splats.");
	igt_subtest("figures")
		test_figures();

	igt_fixture {
		if (kmsg >= 0)
			close(kmsg);
	}
}
