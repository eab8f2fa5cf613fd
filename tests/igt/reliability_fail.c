// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection of the reliability suite, the way syzkaller drives it:
 * each allocating path is called with /proc/thread-self/fail-nth set to
 * 1, 2, 3, ... until the call no longer reaches an N-th fault point. The
 * stack filter of failslab and fail_page_alloc limits the fault points to
 * allocations made with module code on the stack (p2pbuf, and for attach
 * and map the test importer that calls it), so the loop covers p2pbuf's
 * error paths rather than the rest of the kernel's. Every injected failure
 * must return a clean errno and leave no fd, no buffer, no module reference
 * and no provider behind; KASAN, lockdep and kmemleak watch the rest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "igt.h"
#include "p2pbuf_igt.h"
#include "reliability.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define FI		"/sys/kernel/debug/"
#define MAX_NTH		2000
#define BUF_SIZE	(64 * 1024)
/*
 * x86-64's module mapping space (Documentation/arch/x86/x86_64/mm.rst):
 * every module's text lies in it, the kernel's own does not.
 */
#define MODULES_START	"0xffffffffa0000000"
#define MODULES_END	"0xffffffffff000000"

static const char *const fi_knobs[][2] = {
	{ FI "failslab/ignore-gfp-wait", "N" },
	{ FI "failslab/verbose", "0" },
	{ FI "failslab/require-start", MODULES_START },
	{ FI "failslab/require-end", MODULES_END },
	{ FI "failslab/stacktrace-depth", "32" },
	{ FI "fail_page_alloc/ignore-gfp-wait", "N" },
	{ FI "fail_page_alloc/ignore-gfp-highmem", "N" },
	{ FI "fail_page_alloc/min-order", "0" },
	{ FI "fail_page_alloc/verbose", "0" },
	{ FI "fail_page_alloc/require-start", MODULES_START },
	{ FI "fail_page_alloc/require-end", MODULES_END },
	{ FI "fail_page_alloc/stacktrace-depth", "32" },
};
static char fi_saved[ARRAY_SIZE(fi_knobs)][32];

struct fctx {
	int p2p, ti, nth_fd;
	struct p2pbuf_provider_info prov;
	int buf;		/* the buffer attach and map work on */
	uint32_t handle;	/* the import map works on */
	int out_fd;		/* what a call made, for undo */
	void *map;
	uint32_t out_handle;
	char bar_driver[64];
};

static void fi_setup(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(fi_knobs); i++) {
		int ret;

		ret = sysfs_read(fi_knobs[i][0], fi_saved[i], sizeof(fi_saved[i]));
		igt_require_f(ret == 0, "%s: %s (CONFIG_FAULT_INJECTION_DEBUG_FS, CONFIG_FAULT_INJECTION_STACKTRACE_FILTER)\n",
			      fi_knobs[i][0], strerror(-ret));
		igt_assert_eq(sysfs_write(fi_knobs[i][0], fi_knobs[i][1]), 0);
	}
}

static void fi_restore(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(fi_knobs); i++)
		if (fi_saved[i][0])
			sysfs_write(fi_knobs[i][0], fi_saved[i]);
}

static void nth_set(struct fctx *c, int n)
{
	char s[16];
	int len = snprintf(s, sizeof(s), "%d", n);

	igt_assert_eq(pwrite(c->nth_fd, s, len, 0), len);
}

/* whether the fault fired; fail-nth is off afterwards */
static bool nth_fired(struct fctx *c)
{
	char s[16] = "";
	bool fired;

	igt_assert_lt(0, pread(c->nth_fd, s, sizeof(s) - 1, 0));
	fired = atoi(s) == 0;
	nth_set(c, 0);
	return fired;
}

static int module_refcnt(void)
{
	char s[16] = "";

	sysfs_read("/sys/module/p2pbuf/refcnt", s, sizeof(s));
	return atoi(s);
}

/* ---- the paths ---------------------------------------------------------- */

static int call_alloc(struct fctx *c)
{
	struct p2pbuf_alloc a = {
		.size = BUF_SIZE, .provider_id = c->prov.id,
		.flags = P2PBUF_ALLOC_RDWR | P2PBUF_ALLOC_CLOEXEC, .fd = -1,
	};

	if (ioctl(c->p2p, P2PBUF_IOC_ALLOC, &a))
		return -errno;
	c->out_fd = a.fd;
	return 0;
}

static void undo_fd(struct fctx *c)
{
	close(c->out_fd);
	c->out_fd = -1;
}

static int call_import(struct fctx *c, uint32_t mode)
{
	struct p2pbuf_ti_import imp = {
		.fd = c->buf, .client = BDF_EDU, .flags = mode | P2PBUF_TI_EDU,
	};

	if (ioctl(c->ti, P2PBUF_TI_IMPORT, &imp))
		return -errno;
	c->out_handle = imp.handle;
	return 0;
}

static int call_attach_dynamic(struct fctx *c)
{
	return call_import(c, P2PBUF_TI_DYNAMIC);
}

static int call_attach_pinned(struct fctx *c)
{
	return call_import(c, P2PBUF_TI_PINNED);
}

static void undo_import(struct fctx *c)
{
	igt_assert_eq(ti_detach(c->ti, c->out_handle), 0);
}

static int call_map(struct fctx *c)
{
	static struct p2pbuf_ti_map m;

	m.handle = c->handle;
	m.dir = 0;
	return ioctl(c->ti, P2PBUF_TI_MAP, &m) ? -errno : 0;
}

static void undo_map(struct fctx *c)
{
	igt_assert_eq(ti_unmap(c->ti, c->handle), 0);
}

static int call_mmap(struct fctx *c)
{
	c->map = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		      c->buf, 0);
	return c->map == MAP_FAILED ? -errno : 0;
}

static void undo_mmap(struct fctx *c)
{
	munmap(c->map, BUF_SIZE);
}

static int call_bind(struct fctx *c)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/bind",
		 c->bar_driver);
	return sysfs_write(path, NAME_IVSHMEM);
}

static void undo_bind(struct fctx *c)
{
	igt_assert_eq(sysfs_write("/sys/bus/pci/devices/" NAME_IVSHMEM "/driver/unbind",
				  NAME_IVSHMEM), 0);
}

static int call_load(struct fctx *c)
{
	int fd = open("/p2pbuf/modules/p2pbuf.ko", O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

static void undo_load(struct fctx *c)
{
	for (int i = 0; i < 100; i++) {
		if (rel_unload_modules() == 0)
			return;
		usleep(50 * 1000);
	}
	igt_assert_f(false, "rmmod p2pbuf: %s\n", strerror(errno));
}

struct fpath {
	const char *name;
	int (*call)(struct fctx *c);
	void (*undo)(struct fctx *c);
	/* what the core makes of a failed allocation there, 0-terminated */
	int also_errno[3];
};

static bool also(const struct fpath *p, int err)
{
	for (int i = 0; i < 3 && p->also_errno[i]; i++)
		if (p->also_errno[i] == err)
			return true;
	return false;
}

/*
 * Drive one path through every fault point it reaches. Returns the number
 * of injected failures. @state must read the same before and after each
 * failed call.
 */
static int drive(struct fctx *c, const struct fpath *p,
		 void (*state)(struct fctx *c, char *buf, size_t len))
{
	char before[512], after[512];
	int n, ret, injected = 0, succeeded_anyway = 0;

	for (n = 1; n <= MAX_NTH; n++) {
		state(c, before, sizeof(before));
		nth_set(c, n);
		ret = p->call(c);
		if (!nth_fired(c)) {
			igt_assert_f(ret == 0, "%s without an injected fault: %s\n",
				     p->name, strerror(-ret));
			p->undo(c);
			break;
		}
		injected++;
		if (ret == 0) {
			/* a fallback absorbed the failure: fine, if it is clean */
			succeeded_anyway++;
			p->undo(c);
		} else {
			igt_assert_f(ret == -ENOMEM || ret == -ENOSPC ||
				     ret == -EAGAIN || ret == -EINTR || ret == -ENODEV ||
				     ret == -ENXIO || ret == -EFAULT ||
				     also(p, -ret),
				     "%s, fault %d: %s is not an allocation failure's errno\n",
				     p->name, n, strerror(-ret));
		}
		state(c, after, sizeof(after));
		igt_assert_f(!strcmp(before, after),
			     "%s, fault %d (%s): state before \"%s\", after \"%s\"\n",
			     p->name, n, ret ? strerror(-ret) : "succeeded",
			     before, after);
	}
	igt_assert_f(n <= MAX_NTH, "%s still reaches fault %d\n", p->name, n);
	igt_info("%s: %d fault points, each failed cleanly (%d absorbed by a fallback)\n",
		 p->name, injected, succeeded_anyway);
	return injected;
}

/* fds, the provider's free bytes, module references, imports */
static void buf_state(struct fctx *c, char *buf, size_t len)
{
	uint64_t free = 0;

	/* frees are deferred to the last dma-buf reference: let them land */
	for (int i = 0; i < 50; i++) {
		uint64_t f = p2pbuf_free_bytes(c->p2p, c->prov.id);

		if (i && f == free)
			break;
		free = f;
		usleep(2000);
	}
	snprintf(buf, len, "fds %d, free %#llx, refcnt %d", count_open_fds(),
		 (unsigned long long)free, module_refcnt());
}

static void import_state(struct fctx *c, char *buf, size_t len)
{
	struct p2pbuf_buf_info b;

	buf_state(c, buf, len);
	igt_assert_eq(p2pbuf_buf_info(c->p2p, c->buf, &b), 0);
	snprintf(buf + strlen(buf), len - strlen(buf), ", attachments %u",
		 b.attachments);
}

static void map_state(struct fctx *c, char *buf, size_t len)
{
	struct p2pbuf_ti_status st;

	import_state(c, buf, len);
	igt_assert_eq(ti_status(c->ti, c->handle, &st), 0);
	snprintf(buf + strlen(buf), len - strlen(buf), ", mapped %d",
		 !!(st.state & P2PBUF_TI_MAPPED));
}

static void bind_state(struct fctx *c, char *buf, size_t len)
{
	struct p2pbuf_provider_info p;
	char drv[64];

	pci_driver_name(NAME_IVSHMEM, drv, sizeof(drv));
	snprintf(buf, len, "fds %d, driver \"%s\", provider %d, refcnt %d",
		 count_open_fds(), drv,
		 p2pbuf_find(c->p2p, NAME_IVSHMEM, P2PBUF_KIND_BAR, &p),
		 module_refcnt());
}

static void load_state(struct fctx *c, char *buf, size_t len)
{
	snprintf(buf, len, "fds %d, module %s, /dev/p2pbuf %s",
		 count_open_fds(),
		 access("/sys/module/p2pbuf", F_OK) ? "absent" : "present",
		 access("/dev/p2pbuf", F_OK) ? "absent" : "present");
}

static bool wait_provider(int p2p, const char *name, uint32_t kind, int ms,
			  struct p2pbuf_provider_info *p)
{
	for (int i = 0; i < ms / 50; i++) {
		if (p2pbuf_find(p2p, name, kind, p) &&
		    (p->flags & P2PBUF_PROVIDER_AVAILABLE))
			return true;
		usleep(50 * 1000);
	}
	return false;
}

static void drive_buffer_paths(struct fctx *c, const char *what)
{
	static const struct fpath alloc = { "alloc+export", call_alloc, undo_fd, { 0 } };
	static const struct fpath dyn = { "attach (dynamic)", call_attach_dynamic, undo_import, { 0 } };
	static const struct fpath pin = { "attach (pinned)", call_attach_pinned, undo_import, { 0 } };
	static const struct fpath map = { "map", call_map, undo_map, { 0 } };
	static const struct fpath mm = { "mmap", call_mmap, undo_mmap, { 0 } };
	struct p2pbuf_buf_info info;

	igt_info("-- %s: provider %u (%s)\n", what, c->prov.id, c->prov.name);
	rel_fig.fail_nth += drive(c, &alloc, buf_state);
	c->buf = p2pbuf_alloc_rw(c->p2p, c->prov.id, BUF_SIZE, &info);
	rel_fig.fail_nth += drive(c, &dyn, import_state);
	rel_fig.fail_nth += drive(c, &pin, import_state);
	rel_fig.fail_nth += drive(c, &mm, buf_state);
	igt_assert_eq(ti_import(c->ti, c->buf, BDF_EDU,
				P2PBUF_TI_DYNAMIC | P2PBUF_TI_EDU, &c->handle), 0);
	rel_fig.fail_nth += drive(c, &map, map_state);
	igt_assert_eq(ti_detach(c->ti, c->handle), 0);
	close(c->buf);
}

void rel_fail_nth(void)
{
	/* pci_request_region() reports a failed allocation as EBUSY */
	static const struct fpath bind = { "p2pbuf_bar probe", call_bind, undo_bind,
					   { EBUSY } };
	/*
	 * Registering p2pbuf_bar: bus_add_driver() reports a failed
	 * allocation of the module's "drivers" links as EINVAL, and
	 * misc_register() a failed minor as EBUSY.
	 */
	static const struct fpath load = { "module load (init, p2pmem adoption)",
					   call_load, undo_load, { EINVAL, EBUSY } };
	struct fctx c = { .out_fd = -1 };
	struct p2pbuf_provider_info cmb;
	char why[256];
	int holders, p2p;

	c.nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	igt_require_f(c.nth_fd >= 0, "/proc/thread-self/fail-nth: %s (CONFIG_FAULT_INJECTION)\n",
		      strerror(errno));
	fi_setup();
	p2p = igt_p2pbuf_open();
	c.p2p = p2p;
	c.ti = ti_open();
	pci_driver_name(NAME_IVSHMEM, c.bar_driver, sizeof(c.bar_driver));
	igt_assert_f(c.bar_driver[0], "%s is not bound\n", NAME_IVSHMEM);

	igt_assert(wait_provider(p2p, NAME_IVSHMEM, P2PBUF_KIND_BAR, 10000, &c.prov));
	drive_buffer_paths(&c, "BAR provider");
	if (wait_provider(p2p, NAME_NVME0, P2PBUF_KIND_P2PMEM, 100, &c.prov))
		drive_buffer_paths(&c, "p2pmem provider");
	else
		igt_info("no p2pmem provider on %s: p2pmem paths left out (%s)\n",
			 NAME_NVME0, p2pbuf_config() == CONFIG_STOCK ?
			 "P2PDMA is not in the stock kernel" : "not listed");

	/* the BAR driver's probe, from an unbound device */
	undo_bind(&c);
	rel_fig.fail_nth += drive(&c, &bind, bind_state);
	igt_assert_eq(call_bind(&c), 0);
	igt_assert(wait_provider(p2p, NAME_IVSHMEM, P2PBUF_KIND_BAR, 10000, &c.prov));

	/* module init, which adopts p2pmem: needs every user of p2pbuf gone */
	close(c.ti);
	c.ti = -1;
	holders = access("/sys/module/p2pbuf/holders", F_OK) == 0;
	close(p2p);
	undo_load(&c);
	/* stack traces of the injected faults, for P2PBUF_FAIL_VERBOSE=2 */
	sysfs_write(FI "failslab/verbose", getenv("P2PBUF_FAIL_VERBOSE") ?: "0");
	sysfs_write(FI "fail_page_alloc/verbose", getenv("P2PBUF_FAIL_VERBOSE") ?: "0");
	rel_fig.fail_nth += drive(&c, &load, load_state);
	igt_assert_eq(rel_load_modules(), 0);
	fi_restore();
	close(c.nth_fd);
	igt_info("module reloaded (holders directory %s)\n", holders ? "present" : "absent");
	p2p = igt_p2pbuf_open();
	igt_assert_f(wait_provider(p2p, NAME_IVSHMEM, P2PBUF_KIND_BAR, 10000, &c.prov),
		     "no BAR provider after the reload\n");
	if (p2pbuf_config() != CONFIG_STOCK)
		igt_assert_f(wait_provider(p2p, NAME_NVME0, P2PBUF_KIND_P2PMEM,
					   10000, &cmb),
			     "the CMB of %s was not adopted after the reload\n",
			     NAME_NVME0);
	igt_assert_f(rel_wait_all_free(p2p, 10000, why, sizeof(why)), "%s\n", why);
	close(p2p);
}
