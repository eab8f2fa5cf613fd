// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf benchmarks, guest side of `make bench`: every figure of issue 12
 * measured against a baseline in the same run, written as raw JSON (every
 * repeat, no summary: bench/report.py takes medians and spreads and judges
 * the targets). Timing loops of attach/map run in the test importer
 * (tests/kmod, P2PBUF_TI_BENCH); everything else uses libp2pbuf and the
 * uapi as a user would.
 *
 *   p2pbuf_bench [-r REPEATS] [-q] > raw.json
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/membarrier.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/p2pbuf.h>
#include <linux/udmabuf.h>
#include <p2pbuf/p2pbuf.h>

#include "p2pbuf_test_importer.h"

#define KiB	1024ULL
#define MiB	(1024 * KiB)
#define BDF(b, d, f)	P2PBUF_BDF(0, b, ((d) << 3) | (f))

/* the reference topology (tools/testing/vm/README.md) */
#define BDF_NVME0	BDF(3, 0, 0)	/* CMB 16 MiB */
#define BDF_NVME1	BDF(4, 0, 0)	/* CMB 16 MiB */
#define BDF_IVSHMEM	BDF(5, 0, 0)	/* BAR2 128 MiB, the "GPU" */
#define BDF_EDU		BDF(6, 0, 0)	/* DMA engine, 64 KiB segments */

static int repeats = 11;
static bool quiet;
/* -s: a comma-separated list of sections to run (profiling); all if NULL */
static const char *only;
/* -m: the map and alloc figures at this size only (profiling); all if 0 */
static uint64_t map_only;

static bool want(const char *section)
{
	size_t n = strlen(section);

	for (const char *p = only; p; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (!strncmp(p, section, n) && (p[n] == ',' || !p[n]))
			return true;
	}
	return !only;
}

static struct p2pbuf_ctx *ctx;
static int p2pfd, ti = -1, udmabuf_dev = -1;
static uint32_t bar_prov, cmb_prov;	/* ivshmem BAR and nvme1's p2pmem */

static void note(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* ---- JSON out: one object, members written in order ---------------------- */

static bool json_first = true;

static void jkey(const char *key)
{
	printf("%s\n\"%s\": ", json_first ? "" : ",", key);
	json_first = false;
}

static void jarr(const char *key, const double *v, int n)
{
	jkey(key);
	putchar('[');
	for (int i = 0; i < n; i++)
		printf("%s%.6g", i ? ", " : "", v[i]);
	putchar(']');
}

/* jarr(), only when every value is one: a loop that failed returns < 0 */
static void jarr_all(const char *key, const double *v, int n)
{
	for (int i = 0; i < n; i++)
		if (v[i] < 0)
			return;
	jarr(key, v, n);
}

/* an object member built by the caller with printf */
static void jraw(const char *key, const char *fmt, ...)
{
	va_list ap;

	jkey(key);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

/* ---- buffers --------------------------------------------------------------- */

static int p2p_alloc(uint32_t prov, uint64_t size)
{
	struct p2pbuf_alloc a = {
		.size = size, .provider_id = prov,
		.flags = P2PBUF_ALLOC_CLOEXEC | P2PBUF_ALLOC_RDWR,
	};

	if (ioctl(p2pfd, P2PBUF_IOC_ALLOC, &a))
		return -errno;
	return a.fd;
}

/* a sealed, populated memfd of @size bytes (udmabuf's source) */
static int memfd_of(uint64_t size)
{
	int fd = memfd_create("p2pbuf-bench", MFD_ALLOW_SEALING | MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, size) || fallocate(fd, 0, 0, size) ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int udmabuf_of(int memfd, uint64_t size)
{
	struct udmabuf_create c = {
		.memfd = memfd, .flags = UDMABUF_FLAGS_CLOEXEC, .size = size,
	};
	int fd = ioctl(udmabuf_dev, UDMABUF_CREATE, &c);

	return fd < 0 ? -errno : fd;
}

static int ti_bench(struct p2pbuf_ti_bench *b)
{
	return ioctl(ti, P2PBUF_TI_BENCH, b) ? -errno : 0;
}

/* ---- attach + map + unmap + detach ---------------------------------------- */

struct importer {
	const char *name;
	uint32_t client, flags;
};

static const struct importer edu = { "edu", 0, P2PBUF_TI_EDU };
static const struct importer nvme = { "nvme", BDF_NVME0, 0 };

/* ns per attach+map+unmap+detach of @fd, over @iters; nents of the map */
static double map_loop(int fd, const struct importer *imp, uint32_t iters,
		       uint32_t *nents, int *err)
{
	struct p2pbuf_ti_bench b = {
		.op = P2PBUF_TI_BENCH_ATTACH_MAP, .iters = iters, .fd = fd,
		.client = imp->client, .flags = imp->flags,
	};

	*err = ti_bench(&b);
	*nents = b.nents;
	return *err ? 0 : (double)b.ns / iters;
}

/* upstream: dma_map_sgtable + unmap of a p2pmem sgl of @provider */
static double p2pmem_loop(uint32_t provider, uint64_t size,
			  const struct importer *imp, uint32_t iters,
			  uint32_t *nents, int *err)
{
	struct p2pbuf_ti_bench b = {
		.op = P2PBUF_TI_BENCH_P2PMEM_MAP, .iters = iters,
		.client = imp->client, .flags = imp->flags,
		.provider = provider, .size = size,
	};

	*err = ti_bench(&b);
	*nents = b.nents;
	return *err ? 0 : (double)b.ns / iters;
}

/*
 * Loop count for about 50 ms per measurement, from a probe of @ns; one
 * when a single call takes longer (udmabuf's 64 MiB map under the debug
 * kernel's DMA-API checks takes seconds).
 */
static uint32_t iters_for(double ns)
{
	double n = 50e6 / (ns > 1 ? ns : 1);

	return n < 1 ? 1 : n > 50000 ? 50000 : (uint32_t)n;
}

/* one side of a map figure: a p2pbuf or udmabuf fd, or upstream's p2pmem */
struct map_side {
	int fd;			/* -1: upstream's p2pmem of @size */
	uint64_t size;
	const struct importer *imp;
	uint32_t nents;
};

static double side_loop(struct map_side *m, uint32_t iters, int *err)
{
	return m->fd < 0 ?
	       p2pmem_loop(BDF_NVME1, m->size, m->imp, iters, &m->nents, err) :
	       map_loop(m->fd, m->imp, iters, &m->nents, err);
}

/*
 * Iterations for about 50 ms of @m's own loop. A first probe of three
 * calls can include a cold start (a first map fills the verdict cache), so
 * a second one, of about 5 ms by the first, sets the count.
 */
static uint32_t side_iters(struct map_side *m, int *err)
{
	double t = side_loop(m, 3, err);
	uint32_t n = iters_for(t) / 10;

	if (!*err && n > 3)
		t = side_loop(m, n, err);
	return iters_for(t);
}

/*
 * @a's and @b's loops, each sized for its own 50 ms, @repeats times in
 * turn: @ta and @tb get ns per call, @ia and @ib the iterations.
 */
static void time_sides(struct map_side *a, struct map_side *b, double *ta,
		       double *tb, uint32_t *ia, uint32_t *ib, int *err)
{
	*ia = side_iters(a, err);
	if (!*err)
		*ib = side_iters(b, err);
	for (int r = 0; r < repeats && !*err; r++) {
		ta[r] = side_loop(a, *ia, err);
		if (!*err)
			tb[r] = side_loop(b, *ib, err);
	}
}

static void emit_pair(const char *key, const char *extra, const double *a,
		      const double *b, int n)
{
	double r[64];

	for (int i = 0; i < n; i++)
		r[i] = b[i] > 0 ? a[i] / b[i] : 0;
	jkey(key);
	printf("{%s\"ns\": [", extra);
	for (int i = 0; i < n; i++)
		printf("%s%.1f", i ? ", " : "", a[i]);
	printf("], \"base_ns\": [");
	for (int i = 0; i < n; i++)
		printf("%s%.1f", i ? ", " : "", b[i]);
	printf("], \"ratio\": [");
	for (int i = 0; i < n; i++)
		printf("%s%.4f", i ? ", " : "", r[i]);
	printf("]}");
}

/* p2pbuf buffer on @prov vs udmabuf of the same size, for one importer */
static void bench_map(const char *fig, uint32_t prov, uint64_t size,
		      const struct importer *imp, bool upstream)
{
	double a[64], b[64];
	uint32_t it = 0, bit = 0, na = 0, nb = 0;
	char key[96], extra[160];
	int fd, memfd = -1, ufd = -1, err = 0;

	fd = p2p_alloc(prov, size);
	if (fd < 0) {
		note("%s: alloc %llu: %s\n", fig, (unsigned long long)size,
		     strerror(-fd));
		err = fd;
		goto out;
	}
	if (!upstream) {
		memfd = memfd_of(size);
		ufd = memfd < 0 ? -errno : udmabuf_of(memfd, size);
		if (ufd < 0) {
			err = ufd;
			goto out;
		}
	}
	/*
	 * Warm up, then each side's loop sized for about 50 ms of its own:
	 * sized for the slower from one short probe, a 64 MiB p2pbuf map ran
	 * 15 times in all, and a 4 KiB edu map 265 times, too short to time.
	 */
	map_loop(fd, imp, 2, &na, &err);
	if (!err) {
		struct map_side sa = { fd, size, imp, 0 };
		struct map_side sb = { upstream ? -1 : ufd, size, imp, 0 };

		time_sides(&sa, &sb, a, b, &it, &bit, &err);
		na = sa.nents;
		nb = sb.nents;
	}
out:
	snprintf(key, sizeof(key), "%s/%s/%llu", fig, imp->name,
		 (unsigned long long)size);
	if (err) {
		jraw(key, "{\"error\": \"%s\"}", strerror(-err));
	} else {
		snprintf(extra, sizeof(extra),
			 "\"nents\": %u, \"base_nents\": %u, \"iters\": %u, "
			 "\"base_iters\": %u, ", na, nb, it, bit);
		emit_pair(key, extra, a, b, repeats);
	}
	if (fd >= 0)
		close(fd);
	if (ufd >= 0)
		close(ufd);
	if (memfd >= 0)
		close(memfd);
}

/*
 * Flat in size: p2pbuf's 4 KiB and 64 MiB maps for the large-segment
 * importer, in turn, with nothing between them. Next to udmabuf's 64 MiB
 * map (16384 pages mapped and freed between its repeats), p2pbuf's 64 MiB
 * loop ran slower, repeat after repeat, than the same loop on its own.
 */
static void bench_map_flat(void)
{
	double a[64], b[64];
	uint32_t ia = 0, ib = 0;
	int err = 0, small, large;

	small = p2p_alloc(bar_prov, 4 * KiB);
	large = p2p_alloc(bar_prov, 64 * MiB);
	if (small < 0 || large < 0) {
		jraw("map_flat/nvme", "{\"error\": \"%s\"}",
		     strerror(-(small < 0 ? small : large)));
		goto out;
	}
	{
		struct map_side sa = { large, 64 * MiB, &nvme, 0 };
		struct map_side sb = { small, 4 * KiB, &nvme, 0 };

		time_sides(&sa, &sb, a, b, &ia, &ib, &err);
	}
	if (err) {
		jraw("map_flat/nvme", "{\"error\": \"%s\"}", strerror(-err));
	} else {
		char extra[64];

		snprintf(extra, sizeof(extra), "\"iters\": %u, \"base_iters\": %u, ",
			 ia, ib);
		emit_pair("map_flat/nvme", extra, a, b, repeats);
	}
out:
	if (small >= 0)
		close(small);
	if (large >= 0)
		close(large);
}

/* ---- alloc + free vs udmabuf create + close -------------------------------- */

static double alloc_loop(uint32_t prov, uint64_t size, int n, int *err)
{
	uint64_t t = now_ns();

	for (int i = 0; i < n; i++) {
		int fd = p2p_alloc(prov, size);

		if (fd < 0) {
			*err = fd;
			return 0;
		}
		close(fd);
	}
	return (double)(now_ns() - t) / n;
}

static double udmabuf_loop(int memfd, uint64_t size, int n, int *err)
{
	uint64_t t = now_ns();

	for (int i = 0; i < n; i++) {
		int fd = udmabuf_of(memfd, size);

		if (fd < 0) {
			*err = fd;
			return 0;
		}
		close(fd);
	}
	return (double)(now_ns() - t) / n;
}

static void bench_alloc(uint64_t size)
{
	double a[64], b[64];
	char key[64], extra[64];
	int memfd, err = 0, n;

	memfd = memfd_of(size);
	if (memfd < 0) {
		snprintf(key, sizeof(key), "alloc/%llu", (unsigned long long)size);
		jraw(key, "{\"error\": \"memfd: %s\"}", strerror(errno));
		return;
	}
	{
		double pa, pb;

		alloc_loop(bar_prov, size, 1, &err);
		udmabuf_loop(memfd, size, 1, &err);
		pa = alloc_loop(bar_prov, size, 2, &err);
		pb = udmabuf_loop(memfd, size, 2, &err);
		n = (int)iters_for(pa > pb ? pa : pb);
		if (n > 5000)
			n = 5000;
	}
	for (int r = 0; r < repeats && !err; r++) {
		a[r] = alloc_loop(bar_prov, size, n, &err);
		b[r] = udmabuf_loop(memfd, size, n, &err);
	}
	close(memfd);
	snprintf(key, sizeof(key), "alloc/%llu", (unsigned long long)size);
	if (err) {
		jraw(key, "{\"error\": \"%s\"}", strerror(-err));
		return;
	}
	snprintf(extra, sizeof(extra), "\"iters\": %d, ", n);
	emit_pair(key, extra, a, b, repeats);
}

/* ---- kernel memory: slabinfo and vmalloc deltas ---------------------------- */

struct kmem {
	long long slab, kmalloc, vmalloc, caches;	/* caches: p2pbuf's own */
	bool ok;
};

/*
 * Hand every CPU's free slab objects back first: slabinfo counts those as
 * active, so without this a delta moves by whole per-CPU slabs.
 */
static void slab_shrink_all(void)
{
	DIR *d = opendir("/sys/kernel/slab");
	char path[512];
	struct dirent *e;
	int fd;

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", e->d_name);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (write(fd, "1", 1) != 1)
				note("kmem: %s: %s\n", path, strerror(errno));
			close(fd);
		}
	}
	if (d)
		closedir(d);
}

/*
 * Closed files, dentries and inodes are freed after an RCU grace period:
 * let the last phase's frees land before the next phase counts or times
 * (MEMBARRIER_CMD_GLOBAL waits for a grace period; the callbacks run soon
 * after).
 */
static void rcu_settle(void)
{
	syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);
	usleep(100 * 1000);
}

static struct kmem kmem_now(void)
{
	struct kmem k = { 0 };
	char line[512], name[128];
	long long active, num, objsize;
	FILE *f;

	rcu_settle();
	slab_shrink_all();
	f = fopen("/proc/slabinfo", "r");
	if (!f)
		return k;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %lld %lld %lld", name, &active, &num,
			   &objsize) != 4)
			continue;
		k.slab += active * objsize;
		/* what a driver allocates: kmalloc, and p2pbuf's own caches */
		if (!strncmp(name, "kmalloc-", 8) || !strncmp(name, "dma-kmalloc-", 12) ||
		    !strncmp(name, "p2pbuf_", 7))
			k.kmalloc += active * objsize;
		if (!strncmp(name, "p2pbuf_", 7))
			k.caches += active * objsize;
	}
	fclose(f);
	f = fopen("/proc/meminfo", "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmallocUsed: %lld", &active) == 1)
			k.vmalloc = active * 1024;
	if (f)
		fclose(f);
	k.ok = true;
	return k;
}

/*
 * ---- kernel memory: allocations traced to a module's code ----------------
 *
 * slabinfo counts every cache, so other kernel activity during a count
 * moves it by whole slabs (tens of bytes per buffer at KMEM_N buffers).
 * The kmem tracepoints name the code that allocated: the slab objects
 * allocated from a module's own code and not freed before the count are
 * exactly that module's share. Allocations it makes through helpers
 * (kvmalloc(), sg_alloc_table()) name the helper and are not counted: none
 * is on p2pbuf's allocation path, while udmabuf's arrays all come from
 * kvmalloc(), so only p2pbuf is traced.
 */
#define TRACEFS	"/sys/kernel/tracing"

static const char *const kmtrace_events[] = {
	"kmem/kmalloc", "kmem/kmem_cache_alloc", "kmem/kfree",
	"kmem/kmem_cache_free",
};

static bool trace_set(const char *file, const char *val)
{
	char path[256];
	int fd, n;

	snprintf(path, sizeof(path), TRACEFS "/%s", file);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (int)strlen(val);
}

static void kmtrace_enable(const char *on)
{
	char file[64];

	for (unsigned int i = 0; i < sizeof(kmtrace_events) / sizeof(*kmtrace_events); i++) {
		snprintf(file, sizeof(file), "events/%s/enable", kmtrace_events[i]);
		trace_set(file, on);
	}
}

/* start recording slab allocations and frees; false when there is no tracefs */
static bool kmtrace_start(void)
{
	if (access(TRACEFS "/trace", W_OK))
		mount("nodev", TRACEFS, "tracefs", 0, NULL);
	if (!trace_set("tracing_on", "0") || !trace_set("buffer_size_kb", "8192"))
		return false;
	trace_set("trace", "");
	/* whole pointers, so that a free is never matched to the wrong object */
	trace_set("options/hash-ptr", "0");
	kmtrace_enable("1");
	return trace_set("tracing_on", "1");
}

struct kmlive {
	unsigned long long ptr;
	long long bytes;
};

/*
 * Stop recording. Return: bytes allocated from code of module @mod (the
 * "[mod]" that call_site=%pS ends with) and not freed since, or -1 when
 * the record is not usable (it overflowed, or has no such line format).
 */
static long long kmtrace_stop(const char *mod)
{
	static struct kmlive live[16384];
	unsigned long long ptr;
	char line[512], tag[40];
	long long sum = 0, bytes;
	unsigned int n = 0, i;
	bool alloc, seen = false;
	FILE *f;

	trace_set("tracing_on", "0");
	kmtrace_enable("0");
	snprintf(tag, sizeof(tag), " [%s] ptr=", mod);
	f = fopen(TRACEFS "/trace", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, ": call_site=");
		unsigned long kept, written;

		/* the ring overwrote events, or dropped them */
		if (line[0] == '#' && (p = strstr(line, "entries-written:")) &&
		    sscanf(p, "entries-written: %lu/%lu", &kept, &written) == 2 &&
		    kept != written)
			goto bad;
		if (strstr(line, "[LOST "))
			goto bad;
		p = strstr(line, ": call_site=");
		if (!p)
			continue;
		seen = true;
		alloc = strstr(line, " kmalloc: ") || strstr(line, " kmem_cache_alloc: ");
		p = strstr(p, " ptr=");
		if (!p || sscanf(p, " ptr=%llx", &ptr) != 1)
			continue;
		if (alloc) {
			char *b = strstr(p, "bytes_alloc=");

			if (!strstr(line, tag) || !b || sscanf(b, "bytes_alloc=%lld", &bytes) != 1)
				continue;
			if (n == sizeof(live) / sizeof(*live))
				goto bad;
			live[n].ptr = ptr;
			live[n++].bytes = bytes;
		} else {
			for (i = n; i-- > 0;)
				if (live[i].ptr == ptr && live[i].bytes) {
					live[i].bytes = 0;
					break;
				}
		}
	}
	fclose(f);
	trace_set("trace", "");
	for (i = 0; i < n; i++)
		sum += live[i].bytes;
	return seen ? sum : -1;
bad:
	fclose(f);
	return -1;
}

#define KMEM_N	512

/* per-buffer deltas of KMEM_N live buffers of @size, p2pbuf and udmabuf */
static void bench_kmem(uint64_t size)
{
	static int fds[KMEM_N], memfds[KMEM_N];
	struct kmem k0, k1, k2;
	long long own;
	char key[64];
	int i, n = 0, err = 0;

	k0 = kmem_now();
	for (n = 0; n < KMEM_N; n++) {
		fds[n] = p2p_alloc(bar_prov, size);
		if (fds[n] < 0) {
			err = fds[n];
			break;
		}
	}
	k1 = kmem_now();
	while (n > 0)
		close(fds[--n]);
	k2 = kmem_now();	/* back to where p2pbuf started, near enough */
	/*
	 * udmabuf's memfds only now: what shmem sets up for them after the
	 * fact (kmalloc-96 objects, policy nodes) is not p2pbuf's
	 */
	for (i = 0; i < KMEM_N; i++)
		memfds[i] = memfd_of(size);
	sync();
	struct kmem u0 = kmem_now(), u1;

	for (n = 0; n < KMEM_N && !err; n++) {
		fds[n] = memfds[n] < 0 ? -ENOMEM : udmabuf_of(memfds[n], size);
		if (fds[n] < 0) {
			err = fds[n];
			break;
		}
	}
	u1 = kmem_now();
	while (n > 0)
		close(fds[--n]);

	/* p2pbuf again, traced: tracing allocates too, so not in the counts */
	own = -1;
	if (!err && kmtrace_start()) {
		for (n = 0; n < KMEM_N; n++) {
			fds[n] = p2p_alloc(bar_prov, size);
			if (fds[n] < 0)
				break;
		}
		own = kmtrace_stop("p2pbuf");
		if (n < KMEM_N)
			own = -1;
		while (n > 0)
			close(fds[--n]);
	}
	for (i = 0; i < KMEM_N; i++)
		if (memfds[i] >= 0)
			close(memfds[i]);
	snprintf(key, sizeof(key), "kmem/%llu", (unsigned long long)size);
	if (err || !k0.ok) {
		jraw(key, "{\"error\": \"%s\"}",
		     err ? strerror(-err) : "no /proc/slabinfo in this kernel");
		return;
	}
	jraw(key, "{\"n\": %d, \"slab\": %lld, \"kmalloc\": %lld, \"vmalloc\": %lld, "
	     "\"caches\": %lld, \"traced\": %lld, "
	     "\"slab_after_free\": %lld, \"base_slab\": %lld, \"base_kmalloc\": %lld, "
	     "\"base_vmalloc\": %lld}", KMEM_N,
	     k1.slab - k0.slab, k1.kmalloc - k0.kmalloc, k1.vmalloc - k0.vmalloc,
	     k1.caches - k0.caches, own,
	     k2.slab - k0.slab, u1.slab - u0.slab, u1.kmalloc - u0.kmalloc,
	     u1.vmalloc - u0.vmalloc);
}

#define REG_N	16

/* kernel memory of registering the ivshmem BAR2 REG_N times more */
static void bench_kmem_register(void)
{
	struct p2pbuf_ti_bench b = {
		.op = P2PBUF_TI_BENCH_REGISTER, .iters = REG_N,
		.provider = BDF_IVSHMEM, .bar = 2, .size = 128 * MiB,
	};
	struct kmem k0, k1;
	int err;

	k0 = kmem_now();
	err = ti_bench(&b);
	k1 = kmem_now();
	b.op = P2PBUF_TI_BENCH_UNREGISTER;
	ti_bench(&b);
	if (err || !k0.ok) {
		jraw("kmem_register", "{\"error\": \"%s\"}",
		     err ? strerror(-err) : "no /proc/slabinfo in this kernel");
		return;
	}
	jraw("kmem_register", "{\"bytes\": %llu, \"slab\": %lld, \"vmalloc\": %lld}",
	     REG_N * 128 * MiB, k1.slab - k0.slab, k1.vmalloc - k0.vmalloc);
}

/* ---- fd hand-offs ----------------------------------------------------------- */

static int bare_send(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	char c = 'x';
	struct iovec iov = { &c, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &m, 0) == 1 ? 0 : -1;
}

static int bare_recv(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	char c;
	struct iovec iov = { &c, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&m);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* ns per hand-off of @fd to a child process, @lib: through libp2pbuf */
static double handoff_loop(int fd, bool lib, int n)
{
	struct p2pbuf_fd_meta meta = { .size = 4096 };
	int sv[2], status;
	uint64_t t;
	char ack;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 0;
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		for (int i = 0; i < n; i++) {
			int got = lib ? p2pbuf_recv_fd(sv[1], &meta) :
					bare_recv(sv[1]);

			if (got < 0)
				_exit(1);
			close(got);
		}
		_exit(write(sv[1], "k", 1) == 1 ? 0 : 1);
	}
	close(sv[1]);
	t = now_ns();
	for (int i = 0; i < n; i++)
		if (lib ? p2pbuf_send_fd(sv[0], fd, &meta) : bare_send(sv[0], fd))
			break;
	if (read(sv[0], &ack, 1) != 1)
		t = now_ns() + 1;	/* the child failed: no figure */
	t = now_ns() - t;
	close(sv[0]);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return 0;
	return (double)t / n;
}

static void bench_handoff(void)
{
	double a[64], b[64];
	int fd = p2p_alloc(bar_prov, 4096);

	if (fd < 0) {
		jraw("handoff", "{\"error\": \"%s\"}", strerror(-fd));
		return;
	}
	for (int r = 0; r < repeats; r++) {
		a[r] = handoff_loop(fd, true, 2000);
		b[r] = handoff_loop(fd, false, 2000);
	}
	close(fd);
	emit_pair("handoff", "\"iters\": 2000, ", a, b, repeats);
}

/* ---- fragmentation ----------------------------------------------------------- */

static uint64_t rng = 0x2545F4914F6CDD1DULL;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng >> 11;
}

/* best fit over page extents: the userspace model */
#define MODEL_MAX	4096
struct extent { uint64_t start, len; };
static struct extent holes[MODEL_MAX];
static int nholes;

static int64_t model_alloc(uint64_t len)
{
	int best = -1;
	uint64_t at;

	for (int i = 0; i < nholes; i++)
		if (holes[i].len >= len &&
		    (best < 0 || holes[i].len < holes[best].len))
			best = i;
	if (best < 0)
		return -1;
	at = holes[best].start;
	holes[best].start += len;
	holes[best].len -= len;
	if (!holes[best].len)
		memmove(&holes[best], &holes[best + 1],
			(--nholes - best) * sizeof(holes[0]));
	return at;
}

static void model_free(uint64_t start, uint64_t len)
{
	int i = 0;

	while (i < nholes && holes[i].start < start)
		i++;
	memmove(&holes[i + 1], &holes[i], (nholes - i) * sizeof(holes[0]));
	holes[i] = (struct extent){ start, len };
	nholes++;
	if (i + 1 < nholes && holes[i].start + holes[i].len == holes[i + 1].start) {
		holes[i].len += holes[i + 1].len;
		memmove(&holes[i + 1], &holes[i + 2],
			(nholes - i - 2) * sizeof(holes[0]));
		nholes--;
	}
	if (i > 0 && holes[i - 1].start + holes[i - 1].len == holes[i].start) {
		holes[i - 1].len += holes[i].len;
		memmove(&holes[i], &holes[i + 1], (nholes - i - 1) * sizeof(holes[0]));
		nholes--;
	}
}

static uint64_t provider_free(uint32_t id)
{
	struct p2pbuf_provider *list;
	uint64_t free = 0;
	int n;

	list = p2pbuf_get_providers(ctx, &n);
	for (int i = 0; list && i < n; i++)
		if (list[i].id == id)
			free = list[i].free;
	p2pbuf_free_providers(list);
	return free;
}

/* the largest buffer the provider hands out now, by bisection in pages */
static uint64_t largest_alloc(uint32_t prov, uint64_t free)
{
	uint64_t lo = 0, hi = free / 4096;

	while (lo < hi) {
		uint64_t mid = (lo + hi + 1) / 2;
		int fd = p2p_alloc(prov, mid * 4096);

		if (fd >= 0) {
			close(fd);
			lo = mid;
		} else {
			hi = mid - 1;
		}
	}
	return lo * 4096;
}

#define FRAG_OPS	800
#define FRAG_LIVE	512

static void bench_frag(void)
{
	struct live { int fd; int64_t at; uint64_t pages; } live[FRAG_LIVE];
	uint64_t region = 0, mfree = 0, mlargest = 0, kfree, klargest;
	int nlive = 0, kfail = 0, mfail = 0;
	struct p2pbuf_provider *list;
	int n;

	list = p2pbuf_get_providers(ctx, &n);
	for (int i = 0; list && i < n; i++)
		if (list[i].id == bar_prov)
			region = list[i].size;
	p2pbuf_free_providers(list);
	nholes = 1;
	holes[0] = (struct extent){ 0, region / 4096 };
	rng = 0x2545F4914F6CDD1DULL;	/* seeded: the same stream every run */

	for (int op = 0; op < FRAG_OPS; op++) {
		if (nlive < FRAG_LIVE && (nlive == 0 || rnd() % 100 < 55)) {
			/* 4 KiB .. 8 MiB, small sizes more often */
			uint64_t pages = (1 + rnd() % 4) << (rnd() % 10);

			live[nlive].pages = pages;
			live[nlive].fd = p2p_alloc(bar_prov, pages * 4096);
			live[nlive].at = model_alloc(pages);
			kfail += live[nlive].fd < 0;
			mfail += live[nlive].at < 0;
			nlive++;
		} else {
			int v = rnd() % nlive;

			if (live[v].fd >= 0)
				close(live[v].fd);
			if (live[v].at >= 0)
				model_free(live[v].at, live[v].pages);
			live[v] = live[--nlive];
		}
	}
	for (int i = 0; i < nholes; i++) {
		mfree += holes[i].len * 4096;
		if (holes[i].len * 4096 > mlargest)
			mlargest = holes[i].len * 4096;
	}
	kfree = provider_free(bar_prov);
	klargest = largest_alloc(bar_prov, kfree);
	jraw("frag", "{\"ops\": %d, \"region\": %llu, \"free\": %llu, \"largest\": %llu, "
	     "\"failed\": %d, \"model_free\": %llu, \"model_largest\": %llu, "
	     "\"model_failed\": %d}", FRAG_OPS, (unsigned long long)region,
	     (unsigned long long)kfree, (unsigned long long)klargest, kfail,
	     (unsigned long long)mfree, (unsigned long long)mlargest, mfail);
	for (int i = 0; i < nlive; i++)
		if (live[i].fd >= 0)
			close(live[i].fd);
}

/* ---- listing and path queries ------------------------------------------------ */

#define TI_BENCH_LIST_ROOM	128	/* more than bench_list() registers */

static double list_loop(int n)
{
	uint64_t t = now_ns();
	int cnt;

	for (int i = 0; i < n; i++)
		p2pbuf_free_providers(p2pbuf_get_providers(ctx, &cnt));
	return (double)(now_ns() - t) / n;
}

/* the cheapest call there is: LIST with count 0 only counts (one syscall) */
static double syscall_loop(int n)
{
	uint64_t t = now_ns();

	for (int i = 0; i < n; i++) {
		struct p2pbuf_list l = { 0 };

		if (ioctl(p2pfd, P2PBUF_IOC_LIST, &l))
			return -1;	/* an error path is no floor */
	}
	return (double)(now_ns() - t) / n;
}

/* the LIST ioctl alone, into an array kept between calls: the kernel's part */
static double rawlist_loop(int n)
{
	static struct p2pbuf_provider_info raw[TI_BENCH_LIST_ROOM];
	uint64_t t;

	/* in memory first: LIST takes its slow path into absent pages */
	memset(raw, 0, sizeof(raw));
	t = now_ns();

	for (int i = 0; i < n; i++) {
		struct p2pbuf_list l = {
			.count = TI_BENCH_LIST_ROOM,
			.entry_size = sizeof(raw[0]),
			.entries = (uintptr_t)raw,
		};

		if (ioctl(p2pfd, P2PBUF_IOC_LIST, &l) ||
		    l.count > TI_BENCH_LIST_ROOM)
			return -1;
	}
	return (double)(now_ns() - t) / n;
}

static double path_loop(int n)
{
	struct p2pbuf_path_info info;
	uint64_t t = now_ns();

	for (int i = 0; i < n; i++)
		p2pbuf_path(ctx, bar_prov, BDF_NVME0, &info);
	return (double)(now_ns() - t) / n;
}

static int provider_count(void)
{
	int n = 0;

	p2pbuf_free_providers(p2pbuf_get_providers(ctx, &n));
	return n;
}

/* extra 4 KiB providers on the edu device's BAR0 up to @want in all */
static int providers_up_to(int want)
{
	struct p2pbuf_ti_bench b = {
		.op = P2PBUF_TI_BENCH_REGISTER, .provider = BDF_EDU,
		.bar = 0, .size = 4096,
	};
	int have = provider_count();

	if (have >= want)
		return have;
	b.iters = want - have;
	ti_bench(&b);
	return provider_count();
}

static void bench_list(int want)
{
	double l[64], p[64], a[64], sc[64], rl[64];
	char key[32];
	int err = 0, have = providers_up_to(want);

	for (int r = 0; r < repeats; r++) {
		l[r] = list_loop(500);
		p[r] = path_loop(500);
		a[r] = alloc_loop(bar_prov, 4096, 500, &err);
		/* the 500 closed buffers' frees, not in the next two loops */
		rcu_settle();
		sc[r] = syscall_loop(500);
		rl[r] = rawlist_loop(500);
	}
	snprintf(key, sizeof(key), "list/%d", want);
	if (err) {
		jraw(key, "{\"error\": \"%s\"}", strerror(-err));
		return;
	}
	jkey(key);
	printf("{\"providers\": %d, ", have);
	json_first = true;
	jarr("list_ns", l, repeats);
	jarr("path_ns", p, repeats);
	jarr("alloc_close_ns", a, repeats);
	jarr_all("syscall_ns", sc, repeats);
	jarr_all("ioctl_ns", rl, repeats);
	json_first = false;
	putchar('}');
}

/* ---- storage: NVMe -> BAR / CMB through libp2pbuf ----------------------------- */

struct io_run {
	double ns, cpu_ns;
	uint64_t direct, bounced;	/* the library's count */
	uint64_t kdirect, kbounced;	/* the kernel's, from P2PBUF_IOC_BUF_INFO */
	int err;
	char why[128];
};

/* the kernel's lifetime counters of @buf; false when it does not answer */
static bool buf_counters(int buf, uint64_t *direct, uint64_t *bounced)
{
	struct p2pbuf_buf_info bi = { .fd = buf };

	if (ioctl(p2pfd, P2PBUF_IOC_BUF_INFO, &bi))
		return false;
	*direct = bi.bytes_direct;
	*bounced = bi.bytes_bounced;
	return true;
}

static double cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
}

static struct io_run copy_run(const char *dev, int buf, uint64_t len)
{
	struct p2pbuf_copy_stats st = { 0 };
	struct io_run r = { 0 };
	uint64_t d0, b0, d1, b1;
	double c;
	uint64_t t;
	int fd = open(dev, O_RDONLY);

	if (fd < 0 || !buf_counters(buf, &d0, &b0)) {
		r.err = errno;
		if (fd >= 0)
			close(fd);
		return r;
	}
	d1 = d0;
	b1 = b0;
	c = cpu_ns();
	t = now_ns();
	r.err = -p2pbuf_copy(fd, 0, buf, 0, len, P2PBUF_COPY_TO_BUF, &st,
			     NULL, NULL);
	r.ns = now_ns() - t;
	r.cpu_ns = cpu_ns() - c;
	r.direct = st.bytes_direct;
	r.bounced = st.bytes_bounced;
	if (!r.err && !buf_counters(buf, &d1, &b1))
		r.err = errno;
	r.kdirect = d1 - d0;
	r.kbounced = b1 - b0;
	snprintf(r.why, sizeof(r.why), "%s", st.why);
	close(fd);
	return r;
}

static struct io_run odirect_run(const char *dev, uint64_t len)
{
	struct io_run r = { 0 };
	double c = cpu_ns();
	uint64_t t = now_ns(), done = 0;
	void *mem;
	int fd = open(dev, O_RDONLY | O_DIRECT);

	if (fd < 0 || posix_memalign(&mem, 4096, len)) {
		r.err = errno;
		if (fd >= 0)
			close(fd);
		return r;
	}
	while (done < len) {
		ssize_t n = pread(fd, (char *)mem + done, len - done, done);

		if (n <= 0) {
			r.err = n < 0 ? errno : EIO;
			break;
		}
		done += n;
	}
	r.ns = now_ns() - t;
	r.cpu_ns = cpu_ns() - c;
	r.direct = done;
	free(mem);
	close(fd);
	return r;
}

static void emit_io(const char *key, struct io_run *runs, int n)
{
	jkey(key);
	if (runs[0].err) {
		printf("{\"error\": \"%s\"}", strerror(runs[0].err));
		return;
	}
	printf("{\"direct\": %llu, \"bounced\": %llu, \"kernel_direct\": %llu, "
	       "\"kernel_bounced\": %llu, \"why\": \"%s\", \"ns\": [",
	       (unsigned long long)runs[0].direct,
	       (unsigned long long)runs[0].bounced,
	       (unsigned long long)runs[0].kdirect,
	       (unsigned long long)runs[0].kbounced, runs[0].why);
	for (int i = 0; i < n; i++)
		printf("%s%.0f", i ? ", " : "", runs[i].ns);
	printf("], \"cpu_ns\": [");
	for (int i = 0; i < n; i++)
		printf("%s%.0f", i ? ", " : "", runs[i].cpu_ns);
	printf("]}");
}

#define IO_LEN	(8 * MiB)
#define IO_REPEATS 7	/* rounds; the host is noisy and a round is short */

/*
 * Two drives read into the CMB buffer, which is nvme1's p2pmem: nvme0,
 * across the switch, and nvme1 itself. Each also reads into the BAR
 * buffer (the bounce) in the same round, so each direct path has its own
 * bounce to compare with.
 */
static void bench_storage(void)
{
	static const struct {
		const char *bdf, *bar_key, *cmb_key;
	} drive[] = {
		{ "0000:03:00.0", "storage/nvme_to_bar", "storage/nvme_to_cmb" },
		{ "0000:04:00.0", "storage/own_to_bar", "storage/own_to_cmb" },
	};
	struct io_run ram[IO_REPEATS], bar[2][IO_REPEATS], cmb[2][IO_REPEATS];
	char dev[2][64];
	int bfd, cfd = -1;

	for (int d = 0; d < 2; d++)
		if (p2pbuf_nvme_blockdev(NULL, drive[d].bdf, dev[d], sizeof(dev[d]), NULL)) {
			jraw("storage", "{\"error\": \"no namespace on %s\"}", drive[d].bdf);
			return;
		}
	jraw("storage_len", "%llu", IO_LEN);
	bfd = p2p_alloc(bar_prov, IO_LEN);
	if (cmb_prov)
		cfd = p2p_alloc(cmb_prov, IO_LEN);
	for (int r = 0; r < IO_REPEATS; r++) {
		ram[r] = odirect_run(dev[0], IO_LEN);
		for (int d = 0; d < 2; d++) {
			bar[d][r] = bfd >= 0 ? copy_run(dev[d], bfd, IO_LEN) :
					       (struct io_run){ .err = -bfd };
			if (cfd >= 0)
				cmb[d][r] = copy_run(dev[d], cfd, IO_LEN);
		}
	}
	emit_io("storage/odirect_ram", ram, IO_REPEATS);
	for (int d = 0; d < 2; d++) {
		emit_io(drive[d].bar_key, bar[d], IO_REPEATS);
		if (cfd >= 0)
			emit_io(drive[d].cmb_key, cmb[d], IO_REPEATS);
		else
			jraw(drive[d].cmb_key, "{\"error\": \"%s\"}",
			     cmb_prov ? strerror(-cfd) : "no p2pmem provider in this kernel");
	}
	if (bfd >= 0)
		close(bfd);
	if (cfd >= 0)
		close(cfd);
}

/* ---- main ---------------------------------------------------------------------- */

static void find_providers(void)
{
	struct p2pbuf_provider *list;
	int n;

	list = p2pbuf_get_providers(ctx, &n);
	for (int i = 0; list && i < n; i++) {
		if (list[i].bdf == BDF_IVSHMEM && list[i].kind == P2PBUF_LIB_KIND_BAR)
			bar_prov = list[i].id;
		if (list[i].bdf == BDF_NVME1 && list[i].kind == P2PBUF_LIB_KIND_P2PMEM &&
		    (list[i].flags & P2PBUF_PROV_AVAILABLE))
			cmb_prov = list[i].id;
	}
	p2pbuf_free_providers(list);
}

int main(int argc, char **argv)
{
	static const uint64_t map_sizes[] = { 4 * KiB, 2 * MiB, 64 * MiB };
	static const uint64_t cmb_sizes[] = { 4 * KiB, 2 * MiB, 4 * MiB };
	static const uint64_t alloc_sizes[] = { 4 * KiB, 64 * KiB, 2 * MiB, 64 * MiB };
	struct p2pbuf_ti_bench info = { .op = P2PBUF_TI_BENCH_INFO };
	int opt;

	while ((opt = getopt(argc, argv, "r:qs:m:")) != -1) {
		if (opt == 'r')
			repeats = atoi(optarg);
		else if (opt == 'q')
			quiet = true;
		else if (opt == 's')
			only = optarg;
		else if (opt == 'm')
			map_only = strtoull(optarg, NULL, 0);
	}
	if (repeats < 1 || repeats > 64)
		repeats = 11;
	{
		/* KMEM_N buffers and as many memfds and udmabufs at once */
		struct rlimit rl = { 4096, 4096 };

		setrlimit(RLIMIT_NOFILE, &rl);
	}
	ctx = p2pbuf_open(NULL);
	ti = open("/dev/p2pbuf_test_importer", O_RDWR | O_CLOEXEC);
	udmabuf_dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (!ctx || ti < 0 || udmabuf_dev < 0) {
		fprintf(stderr, "p2pbuf_bench: need /dev/p2pbuf, the test importer and /dev/udmabuf\n");
		return 2;
	}
	p2pfd = p2pbuf_ctx_fd(ctx);
	find_providers();
	if (!bar_prov) {
		fprintf(stderr, "p2pbuf_bench: no BAR provider on 0000:05:00.0\n");
		return 2;
	}

	printf("{");
	jraw("repeats", "%d", repeats);
	ti_bench(&info);
	jraw("core_kmalloc", "%llu", (unsigned long long)info.value);
	jraw("providers_at_start", "%d", provider_count());
	jraw("has_cmb", "%s", cmb_prov ? "true" : "false");

	if (want("map")) {
		note("map\n");
		for (unsigned int i = 0; i < 3; i++) {
			if (map_only && map_sizes[i] != map_only)
				continue;
			bench_map("map", bar_prov, map_sizes[i], &edu, false);
			bench_map("map", bar_prov, map_sizes[i], &nvme, false);
		}
		if (!map_only)
			bench_map_flat();
	}
	if (want("cmb")) {
		note("cmb\n");
		for (unsigned int i = 0; i < 3; i++) {
			if (!cmb_prov) {
				char key[64];

				snprintf(key, sizeof(key), "cmb/nvme/%llu",
					 (unsigned long long)cmb_sizes[i]);
				jraw(key, "{\"error\": \"no p2pmem provider in this kernel\"}");
				continue;
			}
			/*
			 * NVMe only: upstream's sgl is one entry, which a 64
			 * KiB-segment importer (edu) could not take past 64 KiB
			 * (DMA-API debug says so); p2pbuf splits at the
			 * importer's limit.
			 */
			bench_map("cmb", cmb_prov, cmb_sizes[i], &nvme, true);
		}
	}
	if (want("alloc")) {
		note("alloc\n");
		for (unsigned int i = 0; i < 4; i++)
			if (!map_only || alloc_sizes[i] == map_only)
				bench_alloc(alloc_sizes[i]);
	}
	if (want("kmem")) {
		note("kmem\n");
		bench_kmem(4 * KiB);
		bench_kmem(128 * KiB);
		bench_kmem_register();
	}
	if (want("handoff")) {
		note("handoff\n");
		bench_handoff();
	}
	if (want("frag")) {
		note("frag\n");
		bench_frag();
	}
	if (want("storage")) {
		note("storage\n");
		bench_storage();
	}
	if (want("list")) {
		note("list\n");
		bench_list(3);
		bench_list(64);
	}
	{
		struct p2pbuf_ti_bench u = { .op = P2PBUF_TI_BENCH_UNREGISTER };

		ti_bench(&u);
	}
	printf("\n}\n");
	p2pbuf_close(ctx);
	return 0;
}
