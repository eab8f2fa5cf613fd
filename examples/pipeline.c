// SPDX-License-Identifier: MIT
/*
 * A three-process pipeline sharing one p2pbuf buffer by its dma-buf fd.
 *
 *   producer   allocates a writable buffer, fills it with a pattern, and
 *              passes the fd (p2pbuf_send_fd()) to
 *   transform  which maps it read-write, checks every byte, XORs each with
 *              a key in place and passes the fd on to
 *   checker    which maps it read-only and checks every transformed byte.
 *
 * Each stage is this program run again (fork + exec, the fd socket given as
 * "--stage NAME FD"), as separate programs of a real pipeline would be. The
 * answers go back the way the fd came, as one struct answer per stage; the
 * producer finally checks the buffer itself. CPU access is bracketed by
 * DMA_BUF_IOCTL_SYNC, as for any dma-buf.
 *
 *   pipeline [--provider ID] [--size BYTES]
 *
 * Exit: 0 when every byte was verified by every stage, 1 when a byte or a
 * stage was wrong, 2 for usage errors, 77 when there is no provider to
 * allocate on (no /dev/p2pbuf, or nothing available of that size).
 *
 * Build: make -C examples (pkg-config libp2pbuf).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <p2pbuf/p2pbuf.h>

#define EXIT_BAD	1
#define EXIT_USAGE	2
#define EXIT_NO_PROVIDER 77

#define KEY		0xa5
#define SEED		0x5eed

/* what a stage answers, back along the socket its fd came on */
struct answer {
	uint64_t verified;	/* bytes found as expected */
	uint64_t first_bad;	/* offset of the first wrong byte, or size */
	int32_t err;		/* 0, or the errno that stopped the stage */
	char stage[12];
	char why[100];
};

static const char *prog;

static uint8_t pattern_byte(uint64_t i, uint32_t seed)
{
	uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ULL ^ seed;

	x ^= x >> 29;
	return (uint8_t)(x * 0xbf58476d1ce4e5b9ULL >> 56);
}

static int dmabuf_sync(int fd, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags };

	while (ioctl(fd, DMA_BUF_IOCTL_SYNC, &s)) {
		if (errno != EINTR && errno != EAGAIN)
			return -errno;
	}
	return 0;
}

/* checks p[0..size) against pattern ^ key; fills in a */
static void verify(const uint8_t *p, uint64_t size, uint8_t key,
		   struct answer *a)
{
	uint64_t i;

	a->verified = 0;
	a->first_bad = size;
	for (i = 0; i < size; i++) {
		if (p[i] == (uint8_t)(pattern_byte(i, SEED) ^ key))
			a->verified++;
		else if (a->first_bad == size)
			a->first_bad = i;
	}
	if (a->verified != size)
		snprintf(a->why, sizeof(a->why),
			 "%" PRIu64 " wrong bytes, first at %#" PRIx64,
			 size - a->verified, a->first_bad);
}

static int send_answer(int sock, const struct answer *a)
{
	return send(sock, a, sizeof(*a), MSG_NOSIGNAL) == sizeof(*a) ? 0 : -errno;
}

static int recv_answer(int sock, struct answer *a, const char *from)
{
	ssize_t n = recv(sock, a, sizeof(*a), MSG_WAITALL);

	if (n == sizeof(*a)) {
		a->stage[sizeof(a->stage) - 1] = '\0';
		a->why[sizeof(a->why) - 1] = '\0';
		return 0;
	}
	memset(a, 0, sizeof(*a));
	a->err = n < 0 ? errno : EPIPE;
	snprintf(a->stage, sizeof(a->stage), "%s", from);
	snprintf(a->why, sizeof(a->why), "no answer from the %s stage", from);
	return -a->err;
}

/* fork and exec this program as stage @name, its end of a socketpair */
static pid_t start_stage(const char *name, int *sock)
{
	int sv[2];
	char fdstr[16];
	pid_t pid;

	/* SEQPACKET: one fd and one header per record, never merged */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (!pid) {
		/* the child's end survives exec; everything else is CLOEXEC */
		if (fcntl(sv[1], F_SETFD, 0))
			_exit(127);
		snprintf(fdstr, sizeof(fdstr), "%d", sv[1]);
		execl("/proc/self/exe", prog, "--stage", name, fdstr, (char *)NULL);
		fprintf(stderr, "%s: exec %s stage: %s\n", prog, name, strerror(errno));
		_exit(127);
	}
	close(sv[1]);
	*sock = sv[0];
	return pid;
}

static int reap(pid_t pid, const char *name)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(st) && !WEXITSTATUS(st))
		return 0;
	fprintf(stderr, "%s: %s stage %s %d\n", prog, name,
		WIFEXITED(st) ? "exited" : "was killed by signal",
		WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	return -1;
}

/*
 * A consumer: the fd arrives on @sock with its size, mapped with @prot;
 * transform (@key != 0) or only check, pass it on to @next (if any),
 * and answer with this stage's result followed by the next one's.
 */
static int stage(const char *name, int sock, int prot, uint8_t key,
		 const char *next)
{
	struct p2pbuf_fd_meta m;
	struct answer a = { 0 }, na;
	struct p2pbuf_buf b;
	int fd, nsock = -1, ret = EXIT_BAD;
	pid_t npid = -1;
	uint8_t *p;
	uint64_t i;

	snprintf(a.stage, sizeof(a.stage), "%s", name);
	fd = p2pbuf_recv_fd(sock, &m);
	if (fd < 0) {
		a.err = errno;
		snprintf(a.why, sizeof(a.why), "p2pbuf_recv_fd: %s", strerror(errno));
		goto answer;
	}
	/* the size the sender claims must be the buffer's own */
	if (p2pbuf_query(NULL, fd, &b) || b.size != m.size) {
		a.err = EBADMSG;
		snprintf(a.why, sizeof(a.why),
			 "the fd is not the %" PRIu64 "-byte buffer announced", m.size);
		goto answer;
	}
	p = mmap(NULL, m.size, prot, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		a.err = errno;
		snprintf(a.why, sizeof(a.why), "mmap(%s): %s",
			 prot & PROT_WRITE ? "read-write" : "read-only",
			 strerror(errno));
		goto answer;
	}
	dmabuf_sync(fd, DMA_BUF_SYNC_START |
		    (prot & PROT_WRITE ? DMA_BUF_SYNC_RW : DMA_BUF_SYNC_READ));
	/* what the previous stage left: the pattern XOR the key applied so far */
	verify(p, m.size, (uint8_t)m.flags, &a);
	if (a.verified == m.size && key) {
		for (i = 0; i < m.size; i++)
			p[i] ^= key;
		m.flags ^= key;
	}
	dmabuf_sync(fd, DMA_BUF_SYNC_END |
		    (prot & PROT_WRITE ? DMA_BUF_SYNC_RW : DMA_BUF_SYNC_READ));
	munmap(p, m.size);
	if (a.verified == m.size)
		ret = 0;
	if (!ret && next) {
		npid = start_stage(next, &nsock);
		if (npid < 0 || p2pbuf_send_fd(nsock, fd, &m)) {
			a.err = errno;
			snprintf(a.why, sizeof(a.why), "passing the fd to %s failed", next);
			ret = EXIT_BAD;
		}
	}
answer:
	if (fd >= 0)
		close(fd);
	if (send_answer(sock, &a))
		ret = EXIT_BAD;
	if (nsock >= 0) {
		if (recv_answer(nsock, &na, next) || send_answer(sock, &na) ||
		    na.err || na.verified != m.size)
			ret = EXIT_BAD;
		close(nsock);
	}
	if (npid > 0 && reap(npid, next))
		ret = EXIT_BAD;
	return ret;
}

/* the first available provider with @size bytes free, or -1 */
static int pick_provider(struct p2pbuf_ctx *ctx, uint64_t size)
{
	struct p2pbuf_provider *l;
	int n, i, id = -1;

	l = p2pbuf_get_providers(ctx, &n);
	if (!l)
		return -1;
	for (i = 0; i < n && id < 0; i++)
		if ((l[i].flags & P2PBUF_PROV_AVAILABLE) && l[i].free >= size)
			id = l[i].id;
	p2pbuf_free_providers(l);
	return id;
}

static int run_producer(long provider, uint64_t size)
{
	struct p2pbuf_fd_meta m = { 0 };
	struct p2pbuf_ctx *ctx;
	struct p2pbuf_buf b;
	struct answer a;
	int fd, sock = -1, ret = EXIT_BAD, i;
	uint8_t *p;
	pid_t pid;
	uint64_t j;

	ctx = p2pbuf_open(NULL);
	if (!ctx) {
		fprintf(stderr, "%s: %s: %s (is p2pbuf loaded?)\n", prog,
			P2PBUF_DEFAULT_DEV, strerror(errno));
		return EXIT_NO_PROVIDER;
	}
	if (provider < 0)
		provider = pick_provider(ctx, size);
	if (provider < 0) {
		fprintf(stderr, "%s: no provider with %" PRIu64 " bytes free (p2pbuf list)\n",
			prog, size);
		p2pbuf_close(ctx);
		return EXIT_NO_PROVIDER;
	}
	/* RDWR: the transform stage writes through its mapping */
	fd = p2pbuf_alloc(ctx, provider, size, P2PBUF_F_CLOEXEC | P2PBUF_F_RDWR, &b);
	if (fd < 0) {
		fprintf(stderr, "%s: p2pbuf_alloc(provider %ld, %" PRIu64 " bytes): %s\n",
			prog, provider, size, strerror(errno));
		p2pbuf_close(ctx);
		return EXIT_BAD;
	}
	/* what the kernel says about it: its provider's device, its size */
	p2pbuf_query(ctx, fd, &b);
	p2pbuf_close(ctx);	/* the buffer lives on in its fd */
	p = mmap(NULL, b.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "%s: mmap: %s\n", prog, strerror(errno));
		goto out;
	}
	dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	for (j = 0; j < b.size; j++)
		p[j] = pattern_byte(j, SEED);
	dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	printf("producer: %" PRIu64 " bytes on provider %u (%s), pattern written\n",
	       b.size, b.provider_id, b.provider_name[0] ? b.provider_name : "?");
	fflush(stdout);

	pid = start_stage("transform", &sock);
	if (pid < 0) {
		fprintf(stderr, "%s: starting the transform stage: %s\n", prog, strerror(errno));
		goto out_unmap;
	}
	m.size = b.size;
	m.provider_id = b.provider_id;
	m.flags = 0;		/* the key applied so far */
	m.tag = SEED;
	i = p2pbuf_send_fd(sock, fd, &m);
	if (i)
		fprintf(stderr, "%s: p2pbuf_send_fd: %s\n", prog, strerror(-i));
	/* one answer per stage: transform, then checker */
	ret = i ? EXIT_BAD : 0;
	for (i = 0; i < 2 && !ret; i++) {
		if (recv_answer(sock, &a, i ? "checker" : "transform"))
			ret = EXIT_BAD;
		printf("%s: %" PRIu64 " of %" PRIu64 " bytes verified%s%s\n",
		       a.stage, a.verified, b.size, a.why[0] ? ": " : "", a.why);
		if (a.err || a.verified != b.size)
			ret = EXIT_BAD;
	}
	close(sock);
	if (reap(pid, "transform"))
		ret = EXIT_BAD;

	/* and what the producer sees now: the pattern XOR the key */
	dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	verify(p, b.size, KEY, &a);
	dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	printf("producer: %" PRIu64 " of %" PRIu64 " transformed bytes verified%s%s\n",
	       a.verified, b.size, a.why[0] ? ": " : "", a.why);
	if (a.verified != b.size)
		ret = EXIT_BAD;
out_unmap:
	munmap(p, b.size);
out:
	close(fd);
	printf("pipeline: %s\n", ret ? "FAILED" : "every byte verified by every stage");
	return ret;
}

static int print_usage(void)
{
	fprintf(stderr, "usage: %s [--provider ID] [--size BYTES]\n", prog);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	uint64_t size = 1 << 20;
	long provider = -1;
	char *end;
	int i;

	prog = argv[0];
	if (argc == 4 && !strcmp(argv[1], "--stage")) {
		int sock = (int)strtol(argv[3], &end, 10);

		if (*end || sock < 0)
			return print_usage();
		if (!strcmp(argv[2], "transform"))
			return stage("transform", sock, PROT_READ | PROT_WRITE, KEY, "checker");
		if (!strcmp(argv[2], "checker"))
			return stage("checker", sock, PROT_READ, 0, NULL);
		return print_usage();
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--provider") && i + 1 < argc) {
			provider = strtol(argv[++i], &end, 10);
			if (*end || provider < 0)
				return print_usage();
		} else if (!strcmp(argv[i], "--size") && i + 1 < argc) {
			size = strtoull(argv[++i], &end, 0);
			if (*end || !size || size % 4096)
				return print_usage();
		} else {
			return print_usage();
		}
	}
	return run_producer(provider, size);
}
