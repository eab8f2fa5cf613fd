// SPDX-License-Identifier: GPL-2.0
/*
 * The uapi fuzzer of the reliability suite: seeded random and deliberately
 * invalid calls on /dev/p2pbuf and on dma-buf fds, from several processes
 * at once, half of them as an unprivileged member of the device's group.
 *
 * Every call must return success or an errno of its documented set; any
 * other errno, a signal in the fuzzing process, or a provider that is not
 * all free once every fd is closed fails the subtest. The seed is printed
 * and taken from P2PBUF_FUZZ_SEED, so a failing run can be repeated.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/dma-buf.h>

#include "igt.h"
#include "p2pbuf_igt.h"
#include "reliability.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define PAGE		4096UL
#define POOL		8	/* live buffers per process */
#define FUZZ_GID	4242	/* the udev rule's group, as the test emulates it */
#define FUZZ_UID	1000
#define MSG_LEN		1024

/* what a fuzzing process reports through shared memory */
struct fuzz_report {
	uint64_t calls;
	uint64_t unexpected;
	uint64_t signals;
	uint64_t allocs;
	uint64_t maps;
	uint64_t forks;
	uint64_t alloc_errno[140];	/* why P2PBUF_IOC_ALLOC failed, by errno */
	char msg[MSG_LEN];
};

struct fuzz {
	uint64_t rng;
	int p2p;
	int pool[POOL];
	uint64_t pool_size[POOL];
	bool pool_rw[POOL];
	uint32_t providers[MAX_PROVIDERS];
	int nproviders;
	int foreign[6];		/* file, socket, udmabuf, vgem, closed, dev */
	uint8_t *scratch;	/* two pages, random bytes */
	uint8_t *guard;		/* the page after a mapped one: PROT_NONE */
	void *unmapped;
	struct fuzz_report *rep;
	int max_fd;
};

static sigjmp_buf fuzz_jmp;
static volatile sig_atomic_t fuzz_sig;

static void fuzz_signal(int sig)
{
	fuzz_sig = sig;
	siglongjmp(fuzz_jmp, 1);
}

static uint64_t rnd(struct fuzz *f)
{
	/* xorshift64* */
	f->rng ^= f->rng >> 12;
	f->rng ^= f->rng << 25;
	f->rng ^= f->rng >> 27;
	return f->rng * 0x2545F4914F6CDD1DULL;
}

static uint64_t rnd_below(struct fuzz *f, uint64_t n)
{
	return n ? rnd(f) % n : 0;
}

static void note(struct fuzz *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(struct fuzz *f, const char *fmt, ...)
{
	size_t used = strlen(f->rep->msg);
	va_list ap;

	if (used + 2 >= MSG_LEN)
		return;
	va_start(ap, fmt);
	vsnprintf(f->rep->msg + used, MSG_LEN - used, fmt, ap);
	va_end(ap);
}

/* the errnos a call of this kind may return, as the ABI documents them */
static bool errno_ok(int e)
{
	static const int ok[] = {
		EINVAL, ENOTTY, EFAULT, EBADF, E2BIG, ENODEV, ENOMEM, ENOSPC,
		EPERM, EACCES, EDQUOT, EOPNOTSUPP, EBUSY, ENXIO, ESPIPE,
		EOVERFLOW, ERANGE, ENOENT, EAGAIN, EPIPE, ENOTCONN,
	};

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		if (ok[i] == e)
			return true;
	return false;
}

static void check(struct fuzz *f, const char *what, long ret)
{
	f->rep->calls++;
	if (ret != -1 || errno_ok(errno))
		return;
	if (!f->rep->unexpected++)
		note(f, "first unexpected errno: %s -> %s; ", what,
		     strerror(errno));
}

static int pick_fd(struct fuzz *f)
{
	int i = rnd_below(f, POOL + ARRAY_SIZE(f->foreign) + 3);

	if (i < POOL)
		return f->pool[i];
	i -= POOL;
	if (i < (int)ARRAY_SIZE(f->foreign))
		return f->foreign[i];
	if (i == 6)
		return -1;
	if (i == 7)
		/*
		 * A random fd number, but never one the process inherited:
		 * at or below max_fd are stdout (the suite's results file,
		 * which a random lseek once ruined), whatever else the
		 * harness left open, and our own fds.
		 */
		return f->max_fd + 1 + (int)rnd_below(f, 4096);
	return INT32_MAX;
}

/* an fd this process opened: a buffer, a foreign fd, the device */
static int known_fd(struct fuzz *f)
{
	int i = rnd_below(f, POOL + ARRAY_SIZE(f->foreign));

	return i < POOL ? f->pool[i] : f->foreign[i - POOL];
}

static int live_buf(struct fuzz *f)
{
	int start = rnd_below(f, POOL);

	for (int i = 0; i < POOL; i++)
		if (f->pool[(start + i) % POOL] >= 0)
			return (start + i) % POOL;
	return -1;
}

/* an argument pointer: valid, NULL, unmapped, kernel, or across a fault */
static void *pick_ptr(struct fuzz *f, size_t size)
{
	switch (rnd_below(f, 10)) {
	case 0:
		return NULL;
	case 1:
		return f->unmapped;
	case 2:
		return (void *)0xffff888000000000ULL;
	case 3:
		/* the struct starts on a readable page and ends past it */
		return f->guard - (size > 1 ? 1 + rnd_below(f, size - 1) : 1);
	case 4:
		return (void *)(uintptr_t)rnd(f);
	default:
		for (size_t i = 0; i < 2 * PAGE; i += 8)
			*(uint64_t *)(f->scratch + i) = rnd_below(f, 4) ? 0 : rnd(f);
		return f->scratch;
	}
}

static uint32_t pick_provider(struct fuzz *f)
{
	if (f->nproviders && rnd_below(f, 8))
		return f->providers[rnd_below(f, f->nproviders)];
	return rnd_below(f, 2) ? (uint32_t)rnd(f) : (uint32_t)rnd_below(f, 200);
}

static uint64_t pick_size(struct fuzz *f)
{
	static const uint64_t sizes[] = {
		0, 1, PAGE - 1, PAGE, PAGE + 1, 2 * PAGE, 16 * PAGE, 64 * PAGE,
		256 * PAGE, 2UL << 20, 1ULL << 40, ~0ULL, ~0ULL - PAGE + 1,
	};

	/* mostly small: every allocation clears what it covers */
	if (rnd_below(f, 3))
		return PAGE * (1 + rnd_below(f, rnd_below(f, 8) ? 4 : 16));
	return sizes[rnd_below(f, ARRAY_SIZE(sizes))];
}

static void pool_put(struct fuzz *f, int fd, uint64_t size, bool rw)
{
	int i = rnd_below(f, POOL);

	if (f->pool[i] >= 0)
		close(f->pool[i]);
	f->pool[i] = fd;
	f->pool_size[i] = size;
	f->pool_rw[i] = rw;
}

static void op_alloc(struct fuzz *f)
{
	struct p2pbuf_alloc a;
	long ret;

	memset(&a, 0, sizeof(a));
	a.size = pick_size(f);
	a.provider_id = pick_provider(f);
	a.flags = rnd_below(f, 4) ? rnd_below(f, 4) | P2PBUF_ALLOC_CLOEXEC :
		  (uint32_t)rnd(f);
	if (rnd_below(f, 8) == 0) {
		a.flags |= P2PBUF_ALLOC_FIXED_OFFSET;
		/* low in the region: the top is where host checks record */
		a.offset = rnd_below(f, 4) ? PAGE * rnd_below(f, 4096) : rnd(f);
	} else if (rnd_below(f, 16) == 0) {
		a.offset = rnd(f);
	}
	if (rnd_below(f, 16) == 0)
		a.reserved[rnd_below(f, ARRAY_SIZE(a.reserved))] = rnd(f);
	if (rnd_below(f, 16) == 0)
		a.__pad = rnd(f);
	a.fd = (int)rnd(f);
	ret = ioctl(f->p2p, P2PBUF_IOC_ALLOC, &a);
	check(f, "P2PBUF_IOC_ALLOC", ret);
	if (ret && errno > 0 && errno < 140)
		f->rep->alloc_errno[errno]++;
	if (ret == 0) {
		f->rep->allocs++;
		pool_put(f, a.fd, a.size, a.flags & P2PBUF_ALLOC_RDWR);
	}
}

static void op_list(struct fuzz *f)
{
	static struct p2pbuf_provider_info out[MAX_PROVIDERS + 1];
	struct p2pbuf_list l;

	memset(&l, 0, sizeof(l));
	l.count = rnd_below(f, 3) ? rnd_below(f, MAX_PROVIDERS) : (uint32_t)rnd(f);
	l.entry_size = rnd_below(f, 3) ? sizeof(out[0]) :
		       (uint32_t)rnd_below(f, 2 * PAGE);
	l.entries = rnd_below(f, 3) ? (uintptr_t)out :
		    (uintptr_t)pick_ptr(f, sizeof(out[0]));
	if (rnd_below(f, 16) == 0)
		l.flags = rnd(f);
	if (rnd_below(f, 16) == 0)
		l.reserved[rnd_below(f, ARRAY_SIZE(l.reserved))] = rnd(f);
	check(f, "P2PBUF_IOC_LIST", ioctl(f->p2p, P2PBUF_IOC_LIST, &l));
}

static void op_buf_info(struct fuzz *f)
{
	struct p2pbuf_buf_info b;

	memset(&b, 0, sizeof(b));
	b.fd = pick_fd(f);
	if (rnd_below(f, 16) == 0)
		b.reserved[rnd_below(f, ARRAY_SIZE(b.reserved))] = rnd(f);
	check(f, "P2PBUF_IOC_BUF_INFO", ioctl(f->p2p, P2PBUF_IOC_BUF_INFO, &b));
}

static void op_path(struct fuzz *f)
{
	static const uint32_t bdfs[] = {
		BDF_NVME0, BDF_NVME1, BDF_IVSHMEM, BDF_EDU, BDF_NVME2, BDF_EDU2,
		BDF_HOST_BRIDGE, P2PBUF_BDF(0, 0x02, 0x00), P2PBUF_BDF(7, 0, 0),
	};
	struct p2pbuf_path p;

	memset(&p, 0, sizeof(p));
	p.provider_id = pick_provider(f);
	p.client = rnd_below(f, 4) ? bdfs[rnd_below(f, ARRAY_SIZE(bdfs))] :
		   (uint32_t)rnd(f);
	if (rnd_below(f, 8) == 0)
		p.flags = rnd_below(f, 2) ? 1U << rnd_below(f, 32) : (uint32_t)rnd(f);
	if (rnd_below(f, 16) == 0)
		p.reserved[rnd_below(f, ARRAY_SIZE(p.reserved))] = rnd(f);
	check(f, "P2PBUF_IOC_PATH", ioctl(f->p2p, P2PBUF_IOC_PATH, &p));
}

/* any ioctl number of p2pbuf's type, or dma-buf's, with any size and direction */
static void op_raw_ioctl(struct fuzz *f)
{
	unsigned int type = rnd_below(f, 2) ? P2PBUF_IOCTL_BASE : DMA_BUF_BASE;
	unsigned int nr = rnd_below(f, 4) ? rnd_below(f, 8) : rnd_below(f, 256);
	unsigned int size = rnd_below(f, 2) ? rnd_below(f, 512) :
			    rnd_below(f, 1U << 14);
	unsigned long cmd = _IOC(rnd_below(f, 4), type, nr, size);
	int fd = rnd_below(f, 2) ? f->p2p : pick_fd(f);

	check(f, "raw ioctl", ioctl(fd, cmd, pick_ptr(f, size)));
}

/* the generic dma-buf calls, on p2pbuf's fds and on the others */
static void op_dmabuf(struct fuzz *f)
{
	int i = live_buf(f);
	int fd = i >= 0 && rnd_below(f, 4) ? f->pool[i] : pick_fd(f);
	int kfd = i >= 0 && rnd_below(f, 4) ? f->pool[i] : known_fd(f);
	struct dma_buf_sync sync;
	char name[64];

	switch (rnd_below(f, 6)) {
	case 0:
		/*
		 * p2pbuf's buffers only: 6.12's udmabuf syncs with the
		 * direction it did not map (a DMA-API debug splat that is
		 * not p2pbuf's to fix or to test)
		 */
		if (i < 0)
			break;
		sync.flags = rnd_below(f, 2) ? rnd_below(f, 16) :
			     rnd_below(f, 2) ? 1ULL << rnd_below(f, 64) : rnd(f);
		check(f, "DMA_BUF_IOCTL_SYNC",
		      ioctl(f->pool[i], DMA_BUF_IOCTL_SYNC, &sync));
		break;
	case 1:
		for (size_t j = 0; j < sizeof(name); j++)
			name[j] = 1 + rnd_below(f, 255);
		name[rnd_below(f, sizeof(name))] = 0;
		check(f, "DMA_BUF_SET_NAME",
		      ioctl(fd, DMA_BUF_SET_NAME_B,
			    rnd_below(f, 3) ? name : (char *)pick_ptr(f, 32)));
		break;
	case 2:
		check(f, "lseek", lseek(fd, rnd_below(f, 2) ? 0 : (off_t)rnd(f),
					rnd_below(f, 5)));
		break;
	case 3:
		/* never a random fd number: that could be a terminal */
		check(f, "read", read(kfd, f->scratch, rnd_below(f, 2 * PAGE)));
		break;
	case 4:
		check(f, "write", write(kfd, f->scratch, rnd_below(f, 2 * PAGE)));
		break;
	default:
		check(f, "fcntl", fcntl(fd, F_GETFL));
		break;
	}
}

static void touch(struct fuzz *f, volatile uint8_t *p, size_t len, bool write)
{
	size_t at = rnd_below(f, len);
	uint8_t v = p[at];

	if (write)
		p[at] = v + 1;
}

/* mmap with odd offsets, lengths and protections; mremap; fork */
static void op_mmap(struct fuzz *f)
{
	int i = live_buf(f), prot, flags;
	uint64_t size, off, len;
	uint8_t *m, *n;

	if (i < 0)
		return;
	size = f->pool_size[i];
	off = rnd_below(f, 4) ? PAGE * rnd_below(f, size / PAGE + 1) :
	      rnd_below(f, 2) ? rnd(f) : rnd_below(f, size + PAGE);
	len = rnd_below(f, 4) ? PAGE * (1 + rnd_below(f, size / PAGE + 1)) :
	      rnd_below(f, 2) ? rnd_below(f, 4 * size) : ~0ULL;
	prot = rnd_below(f, 2) ? PROT_READ : PROT_READ | PROT_WRITE;
	if (rnd_below(f, 16) == 0)
		prot |= PROT_EXEC;
	flags = rnd_below(f, 8) ? MAP_SHARED : MAP_PRIVATE;
	m = mmap(NULL, len, prot, flags, f->pool[i], off);
	check(f, "mmap", m == MAP_FAILED ? -1 : 0);
	if (m == MAP_FAILED)
		return;
	f->rep->maps++;
	if (off + len > size || off % PAGE)
		note(f, "mmap accepted offset %#llx len %#llx of a %#llx buffer; ",
		     (unsigned long long)off, (unsigned long long)len,
		     (unsigned long long)size), f->rep->unexpected++;
	len = len > size ? size : len;
	touch(f, m, len, (prot & PROT_WRITE) && flags == MAP_SHARED);
	switch (rnd_below(f, 4)) {
	case 0:	/* grow: dma-buf mappings cannot */
		n = mremap(m, len, len + PAGE, MREMAP_MAYMOVE);
		check(f, "mremap grow", n == MAP_FAILED ? -1 : 0);
		if (n != MAP_FAILED) {
			note(f, "mremap grew a dma-buf mapping; ");
			f->rep->unexpected++;
			m = n;
			len += PAGE;
		}
		break;
	case 1:	/* move onto a reserved range */
		n = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (n == MAP_FAILED)
			break;
		m = mremap(m, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, n);
		check(f, "mremap move", m == MAP_FAILED ? -1 : 0);
		if (m == MAP_FAILED)
			m = n;	/* the reservation, unmapped below */
		else
			touch(f, m, len, false);
		break;
	case 2:	/* a child touches and drops the inherited mapping */
		if (rnd_below(f, 64))
			break;
		f->rep->forks++;
		fflush(NULL);
		if (fork() == 0) {
			touch(f, m, len, false);
			munmap(m, len);
			_exit(0);
		}
		wait(NULL);
		break;
	default:
		if (len > PAGE)
			check(f, "munmap part", munmap(m + PAGE, PAGE));
		break;
	}
	munmap(m, len);
}

static void op_close(struct fuzz *f)
{
	int i = live_buf(f);

	if (i < 0)
		return;
	if (rnd_below(f, 2)) {
		close(f->pool[i]);
		f->pool[i] = -1;
	} else {
		/* a dup, and a dup the kernel must not confuse with it */
		int d = dup(f->pool[i]);

		if (d >= 0)
			pool_put(f, d, f->pool_size[i], f->pool_rw[i]);
	}
}

/* close what a successful random call returned: sync files, buffers */
static void sweep_fds(struct fuzz *f)
{
	for (int fd = f->max_fd + 1; fd < f->max_fd + 256; fd++) {
		bool ours = false;

		for (int i = 0; i < POOL; i++)
			ours |= f->pool[i] == fd;
		if (!ours)
			close(fd);
	}
}

static void fuzz_setup(struct fuzz *f)
{
	struct p2pbuf_provider_info list[MAX_PROVIDERS];
	char path[] = "/tmp/p2pbuf-fuzz-XXXXXX";
	struct dirent *de;
	int n, sv[2], fd;
	DIR *dir;

	f->scratch = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	igt_assert(f->scratch != MAP_FAILED);
	f->guard = f->scratch + 2 * PAGE;
	igt_assert_eq(mprotect(f->guard, PAGE, PROT_NONE), 0);
	f->unmapped = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			   -1, 0);
	munmap(f->unmapped, PAGE);

	n = p2pbuf_list(f->p2p, list, MAX_PROVIDERS);
	for (int i = 0; i < n; i++)
		f->providers[f->nproviders++] = list[i].id;
	for (int i = 0; i < POOL; i++)
		f->pool[i] = -1;

	fd = mkstemp(path);
	unlink(path);
	f->foreign[0] = fd;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0) {
		f->foreign[1] = sv[0];
		close(sv[1]);
	} else {
		f->foreign[1] = -1;
	}
	f->foreign[2] = rel_udmabuf(4 * PAGE);
	f->foreign[3] = rel_vgem_dmabuf(4 * PAGE);
	fd = dup(0);
	close(fd);
	f->foreign[4] = fd;	/* closed */
	f->foreign[5] = f->p2p;
	/*
	 * Everything open now, inherited fds included, lies at or below
	 * max_fd: random fd numbers and the sweep stay above it. The pool's
	 * fds go just above, and are kept by the sweep.
	 */
	f->max_fd = f->p2p;
	dir = opendir("/proc/self/fd");
	if (!dir) {
		/* a child reports through its slot, not on the shared stdout */
		note(f, "opendir /proc/self/fd: %s; ", strerror(errno));
		f->rep->unexpected++;
		_exit(1);
	}
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.' && atoi(de->d_name) > f->max_fd)
			f->max_fd = atoi(de->d_name);
	closedir(dir);
}

static void fuzz_child(int idx, uint64_t seed, uint64_t calls,
		       struct fuzz_report *rep, bool unprivileged)
{
	static const gid_t grp[] = { FUZZ_GID };
	struct fuzz f = { .rng = seed * 0x9E3779B97F4A7C15ULL + idx + 1, .rep = rep };
	struct sigaction sa = { .sa_handler = fuzz_signal };
	volatile bool lost = false;
	volatile int last_op = -1;

	if (unprivileged &&
	    (setgroups(1, grp) || setgid(FUZZ_UID) || setuid(FUZZ_UID))) {
		snprintf(rep->msg, MSG_LEN, "dropping to uid %d: %s", FUZZ_UID,
			 strerror(errno));
		rep->unexpected++;
		_exit(1);
	}
	f.p2p = open("/dev/p2pbuf", O_RDWR | O_CLOEXEC);
	if (f.p2p < 0) {
		snprintf(rep->msg, MSG_LEN, "open /dev/p2pbuf as uid %d: %s",
			 getuid(), strerror(errno));
		rep->unexpected++;
		_exit(1);
	}
	fuzz_setup(&f);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (sigsetjmp(fuzz_jmp, 1)) {
		rep->signals++;
		note(&f, "signal %d in the fuzzer after %llu calls; ", fuzz_sig,
		     (unsigned long long)rep->calls);
		if (rep->signals > 8)
			_exit(1);
	}
	while (rep->calls < calls) {
		int op = rnd_below(&f, 20);

		/* the process's own device fd must survive every call */
		if (fcntl(f.p2p, F_GETFL) < 0 && !lost) {
			lost = true;
			rep->unexpected++;
			note(&f, "the /dev/p2pbuf fd %d went away (%s) after %llu calls, last op %d; ",
			     f.p2p, strerror(errno), (unsigned long long)rep->calls, last_op);
		}
		last_op = op;
		switch (op) {
		case 0 ... 2:
			op_alloc(&f);
			break;
		case 3 ... 5:
			op_list(&f);
			break;
		case 6 ... 7:
			op_buf_info(&f);
			break;
		case 8 ... 9:
			op_path(&f);
			break;
		case 10 ... 13:
			op_raw_ioctl(&f);
			break;
		case 14 ... 16:
			op_dmabuf(&f);
			break;
		case 17 ... 18:
			op_mmap(&f);
			break;
		default:
			op_close(&f);
			break;
		}
		if ((rep->calls & 511) == 0)
			sweep_fds(&f);
	}
	_exit(0);
}

void rel_fuzz(int p2p)
{
	long total = rel_amount("P2PBUF_FUZZ_CALLS", 1000000);
	int nproc = rel_env("P2PBUF_FUZZ_PROCS", 4);
	uint64_t seed = rel_env("P2PBUF_FUZZ_SEED", (long)time(NULL));
	struct fuzz_report *rep;
	uint64_t calls = 0, bad = 0;
	struct stat st;
	int status[16];
	pid_t pid[16];
	char why[256];
	double t0 = p2pbuf_now();
	off_t out0, out1;

	igt_assert(nproc > 0 && nproc <= 16);
	igt_info("fuzz: seed %llu, %ld calls in %d processes (P2PBUF_FUZZ_SEED, P2PBUF_FUZZ_CALLS, P2PBUF_FUZZ_PROCS)\n",
		 (unsigned long long)seed, total, nproc);
	rep = mmap(NULL, nproc * sizeof(*rep), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	igt_assert(rep != MAP_FAILED);
	memset(rep, 0, nproc * sizeof(*rep));

	/* the udev rule's group, so the odd processes may open the node */
	igt_assert_eq(stat("/dev/p2pbuf", &st), 0);
	igt_assert_eq(chown("/dev/p2pbuf", 0, FUZZ_GID), 0);
	igt_assert_eq(chmod("/dev/p2pbuf", (st.st_mode & 0777) | 0060), 0);

	fflush(NULL);
	out0 = lseek(STDOUT_FILENO, 0, SEEK_CUR);
	for (int i = 0; i < nproc; i++) {
		pid[i] = fork();
		igt_assert(pid[i] >= 0);
		if (pid[i] == 0)
			fuzz_child(i, seed, total / nproc, &rep[i], i & 1);
	}
	for (int i = 0; i < nproc; i++)
		igt_assert_eq(waitpid(pid[i], &status[i], 0), pid[i]);
	/*
	 * The children share stdout's file offset and write nothing there:
	 * no call of theirs may have moved it. When stdout is a file (the
	 * test bed's results), a random lseek there once left a hole that
	 * stalled the VM's copy of the results. A jump back, or forward by
	 * more than any message, is such a seek: undo it before the report.
	 */
	out1 = lseek(STDOUT_FILENO, 0, SEEK_CUR);
	if (out0 >= 0 && (out1 < out0 || out1 - out0 > (1 << 20)))
		lseek(STDOUT_FILENO, out0, SEEK_SET);
	for (int i = 0; i < nproc; i++) {
		calls += rep[i].calls;
		bad += rep[i].unexpected + rep[i].signals;
		igt_info("fuzz process %d (%s): %llu calls, %llu allocations, %llu mmaps, %llu forks, %llu unexpected, %llu signals, exit %#x%s%s\n",
			 i, i & 1 ? "uid 1000, group p2pbuf" : "root",
			 (unsigned long long)rep[i].calls,
			 (unsigned long long)rep[i].allocs,
			 (unsigned long long)rep[i].maps,
			 (unsigned long long)rep[i].forks,
			 (unsigned long long)rep[i].unexpected,
			 (unsigned long long)rep[i].signals, status[i],
			 rep[i].msg[0] ? ": " : "", rep[i].msg);
		if (!WIFEXITED(status[i]) || WEXITSTATUS(status[i]))
			bad++;
		for (int e = 1; e < 140; e++)
			if (rep[i].alloc_errno[e])
				igt_debug("  alloc %s: %llu\n", strerror(e),
					  (unsigned long long)rep[i].alloc_errno[e]);
	}
	chown("/dev/p2pbuf", st.st_uid, st.st_gid);
	chmod("/dev/p2pbuf", st.st_mode & 07777);
	munmap(rep, nproc * sizeof(*rep));
	if (out1 != out0) {
		igt_warn("the fuzzer's children moved stdout's offset from %lld to %lld\n",
			 (long long)out0, (long long)out1);
		bad++;
	}
	rel_fig.fuzzed += calls;
	igt_info("fuzz: %llu calls in %.1f s\n", (unsigned long long)calls,
		 p2pbuf_now() - t0);

	igt_assert_f(bad == 0, "%llu unexpected results, see above (seed %llu)\n",
		     (unsigned long long)bad, (unsigned long long)seed);
	igt_assert_f(calls >= (uint64_t)total - nproc,
		     "only %llu of %ld calls made\n", (unsigned long long)calls,
		     total);
	igt_assert_f(rel_wait_all_free(p2p, 10000, why, sizeof(why)),
		     "after the fuzzer closed every fd: %s\n", why);
}
