// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf copy SRC DST: between a file or block device (NVMe) and a buffer
 * (buf:PROVIDER for a new one, fd:N, PID:FD), device to device where the
 * path allows, through system memory where it does not; what moved which
 * way (device to device only where the kernel says the buffer is P2P
 * memory), how fast, and --verify reads it back in chunks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "p2pbuf.h"

struct progress_state {
	int on;
};

/* what --verify reads at a time, through one cached bounce buffer */
#define VERIFY_CHUNK	(1U << 20)

/* whether the kernel says the direct bytes went device to device */
enum d2d {
	D2D_CONFIRMED,	/* the buffer's provider has struct pages: P2P memory */
	D2D_UNKNOWN,	/* O_DIRECT worked, the kernel does not say where to */
};

struct copy_job {
	uint64_t size, foff, boff, mism, moved, first_mism;
	double secs;
	int d2d;
	char d2d_why[128];
	const char *fspec, *bspec;
	char how[96];
	int dir, ffd, bfd, verify, nob, do_hold, own, ret;
	struct progress_state ps;
	struct p2pbuf_copy_stats st;
	struct p2pbuf_buf b;
};

static int show_progress(uint64_t done, uint64_t total, void *arg)
{
	struct progress_state *ps = arg;
	char a[32], b[32];

	if (!ps->on)
		return 0;
	fprintf(stderr, "\r  %3d%%  %s of %s", (int)(done * 100 / total),
		hsize(done & ~0xfffffULL, a, sizeof(a)), hsize(total, b, sizeof(b)));
	if (done == total)
		fputc('\n', stderr);
	return 0;
}

static const struct option copy_opts[] = {
	{ "size", required_argument, NULL, 's' },
	{ "file-offset", required_argument, NULL, 'F' },
	{ "buf-offset", required_argument, NULL, 'B' },
	{ "verify", no_argument, NULL, 'v' },
	{ "no-bounce", no_argument, NULL, 'n' },
	{ "progress", no_argument, NULL, 'p' },
	{ "hold", no_argument, NULL, 'H' },
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 },
};

/* buffer side: "buf:PROVIDER" (new), "fd:N", "PID:FD"; 1 if it is one */
static int is_buf_spec(const char *s)
{
	const char *c = strchr(s, ':');

	if (!strncmp(s, "buf:", 4) || !strncmp(s, "fd:", 3))
		return 1;
	return c && c != s && strspn(s, "0123456789") == (size_t)(c - s) &&
	       c[1] && strspn(c + 1, "0123456789") == strlen(c + 1);
}

static uint64_t file_size(int fd)
{
	struct stat st;
	uint64_t sz = 0;

	if (fstat(fd, &st))
		return 0;
	if (S_ISBLK(st.st_mode) && !ioctl(fd, BLKGETSIZE64, &sz))
		return sz;
	return st.st_size;
}

/* options and the two sides; which one is the buffer gives the direction */
static void copy_args(int argc, char **argv, const struct cmd *cmd,
		      struct copy_job *cj)
{
	int o;

	optind = 0;
	while ((o = getopt_long(argc, argv, "s:F:B:vnpHj", copy_opts, NULL)) != -1) {
		switch (o) {
		case 's':
			cj->size = parse_size(optarg);
			break;
		case 'F':
			cj->foff = parse_size(optarg);
			break;
		case 'B':
			cj->boff = parse_size(optarg);
			break;
		case 'v':
			cj->verify = 1;
			break;
		case 'n':
			cj->nob = 1;
			break;
		case 'p':
			cj->ps.on = 1;
			break;
		case 'H':
			cj->do_hold = 1;
			break;
		case 'j':
			opt_json = 1;
			break;
		default:
			cmd_usage(cmd);
		}
	}
	if (argc - optind != 2)
		usage_error(cmd, "copy: %s", argc - optind < 2 ?
			    "SRC and DST are needed" : "more than SRC and DST");
	if (is_buf_spec(argv[optind + 1]) && !is_buf_spec(argv[optind])) {
		cj->dir = P2PBUF_COPY_TO_BUF;
		cj->fspec = argv[optind];
		cj->bspec = argv[optind + 1];
	} else if (is_buf_spec(argv[optind]) && !is_buf_spec(argv[optind + 1])) {
		cj->dir = P2PBUF_COPY_FROM_BUF;
		cj->bspec = argv[optind];
		cj->fspec = argv[optind + 1];
	} else {
		die("one side must be a buffer (buf:PROVIDER, fd:N, PID:FD), the other a file");
	}
}

/* the buffer side: a new buffer on buf:PROVIDER, or an fd; its size checked */
static void copy_open_buf(const struct env *e, struct copy_job *cj)
{
	long pg = sysconf(_SC_PAGESIZE);
	int ret;

	if (!strncmp(cj->bspec, "buf:", 4)) {
		uint64_t asz = (cj->boff + cj->size + pg - 1) & ~(uint64_t)(pg - 1);
		uint32_t id;

		if (!cj->size)
			die("--size is needed for a new buffer");
		id = resolve_provider(e, cj->bspec + 4, asz);
		cj->bfd = p2pbuf_alloc(e->ctx, id, asz,
				       P2PBUF_F_CLOEXEC | P2PBUF_F_RDWR, &cj->b);
		if (cj->bfd < 0)
			die("allocating %" PRIu64 " bytes on provider %u: %s",
			    asz, id, alloc_strerror(errno));
		snprintf(cj->how, sizeof(cj->how), "new buffer on provider %u (%s)",
			 id, provider_name(e, id));
		cj->own = 1;
	} else {
		cj->bfd = grab_fd(!strncmp(cj->bspec, "fd:", 3) ? cj->bspec + 3 :
				  cj->bspec, cj->how, sizeof(cj->how));
		if (cj->bfd < 0)
			die("%s: %s", cj->bspec, strerror(-cj->bfd));
		cj->own = strchr(cj->bspec, ':') && strncmp(cj->bspec, "fd:", 3);
	}
	ret = p2pbuf_query(e->ctx, cj->bfd, &cj->b);
	if (ret)
		die("%s: %s", cj->how, strerror(-ret));
	if (!cj->size)
		cj->size = cj->b.size - cj->boff;
	if (cj->boff > cj->b.size || cj->size > cj->b.size - cj->boff)
		die("%" PRIu64 " bytes at %#" PRIx64 " do not fit the %" PRIu64 "-byte buffer",
		    cj->size, cj->boff, cj->b.size);
}

/*
 * Read back what moved and count the bytes that differ, VERIFY_CHUNK at a
 * time: the buffer's chunk is copied out of its (uncached, write-combined)
 * BAR mapping once, with memcpy, into a cached bounce buffer, and compared
 * there with the file's chunk; nothing the size of the copy is allocated.
 */
static void copy_verify(struct copy_job *cj)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *bounce, *f;
	uint64_t done, i;
	int rfd = open(cj->fspec, O_RDONLY | O_CLOEXEC);

	bounce = malloc(VERIFY_CHUNK);
	f = malloc(VERIFY_CHUNK);
	if (rfd < 0 || !bounce || !f)
		die("verify: cannot read back %s: %s", cj->fspec, strerror(errno));
	cj->first_mism = UINT64_MAX;
	for (done = 0; done < cj->moved; done += VERIFY_CHUNK) {
		uint64_t n = cj->moved - done < VERIFY_CHUNK ? cj->moved - done :
			     VERIFY_CHUNK;
		uint64_t off = cj->boff + done;
		uint64_t moff = off & ~(uint64_t)(pg - 1);
		size_t mlen = off - moff + n;
		ssize_t got;
		void *m;

		m = mmap(NULL, mlen, PROT_READ, MAP_SHARED, cj->bfd, moff);
		if (m == MAP_FAILED)
			die("verify: mmap of the buffer at %#" PRIx64 ": %s", moff,
			    strerror(errno));
		memcpy(bounce, (unsigned char *)m + (off - moff), n);
		munmap(m, mlen);
		got = pread(rfd, f, n, cj->foff + done);
		if (got != (ssize_t)n)
			die("verify: reading %s at %" PRIu64 ": %s", cj->fspec,
			    cj->foff + done, got < 0 ? strerror(errno) : "short read");
		if (!memcmp(bounce, f, n))
			continue;
		for (i = 0; i < n; i++)
			if (bounce[i] != f[i]) {
				if (cj->first_mism == UINT64_MAX)
					cj->first_mism = done + i;
				cj->mism++;
			}
	}
	free(bounce);
	free(f);
	close(rfd);
}

/*
 * Device to device only where the kernel says so. When the kernel did the
 * copy (P2PBUF_IOC_BUF_IO; stats.kernel) its counts are the answer. When
 * the library did it through a mapping, the one signal is that the buffer's
 * provider (BUF_INFO) has struct pages (LIST: P2PBUF_PROV_PAGES), which
 * O_DIRECT needs to reach it at all. A file or another exporter's buffer
 * taking O_DIRECT says nothing.
 */
static void copy_d2d(const struct env *e, struct copy_job *cj)
{
	int i;

	if (cj->st.kernel) {
		cj->d2d = D2D_CONFIRMED;
		snprintf(cj->d2d_why, sizeof(cj->d2d_why),
			 "the kernel's count: P2PBUF_IOC_BUF_IO");
		return;
	}
	cj->d2d = D2D_UNKNOWN;
	if (!(cj->b.flags & P2PBUF_BUF_OURS)) {
		snprintf(cj->d2d_why, sizeof(cj->d2d_why),
			 "the buffer is not a p2pbuf buffer, the kernel does not say it is P2P memory");
		return;
	}
	for (i = 0; i < e->nprov; i++) {
		if (e->prov[i].id != cj->b.provider_id)
			continue;
		if (e->prov[i].flags & P2PBUF_PROV_PAGES) {
			cj->d2d = D2D_CONFIRMED;
			snprintf(cj->d2d_why, sizeof(cj->d2d_why),
				 "provider %u is P2P memory with struct pages",
				 e->prov[i].id);
		} else {
			snprintf(cj->d2d_why, sizeof(cj->d2d_why),
				 "provider %u has no struct pages", e->prov[i].id);
		}
		return;
	}
	snprintf(cj->d2d_why, sizeof(cj->d2d_why),
		 "provider %u is not in the kernel's list", cj->b.provider_id);
}

static void copy_json(const struct copy_job *cj)
{
	struct json j;

	j_start(&j);
	j_str(&j, "direction", cj->dir == P2PBUF_COPY_TO_BUF ? "to-buffer" : "from-buffer");
	j_str(&j, "file", cj->fspec);
	j_str(&j, "buffer", cj->how);
	j_u64(&j, "bytes", cj->moved);
	j_u64(&j, "bytes_requested", cj->size);
	j_bool(&j, "file_ended", cj->ret == -ENODATA);
	j_u64(&j, "bytes_direct", cj->st.bytes_direct);
	if (cj->d2d == D2D_CONFIRMED)
		j_u64(&j, "bytes_device_to_device", cj->st.bytes_direct);
	else
		j_null(&j, "bytes_device_to_device");
	j_str(&j, "device_to_device", cj->d2d == D2D_CONFIRMED ? "confirmed" :
	      "unknown");
	j_str(&j, "device_to_device_why", cj->d2d_why);
	j_u64(&j, "bytes_bounced", cj->st.bytes_bounced);
	j_str(&j, "counted_by", cj->st.kernel ? "kernel" : "library");
	j_u64(&j, "nanoseconds", (uint64_t)(cj->secs * 1e9));
	j_u64(&j, "bytes_per_second", cj->secs > 0 ?
	      (uint64_t)(cj->moved / cj->secs) : 0);
	j_u64(&j, "bounce_events", cj->st.bounce_events);
	j_str(&j, "first_refusal", cj->st.first_refusal ?
	      strerror(cj->st.first_refusal) : "");
	j_str(&j, "why", cj->st.why);
	if (cj->verify) {
		j_bool(&j, "data_ok", !cj->mism);
		j_u64(&j, "bytes_differing", cj->mism);
	} else {
		j_null(&j, "data_ok");
	}
	j_bool(&j, "ok", !cj->ret && !cj->mism);
	j_end(&j, '}');
	j_done(&j);
}

static void copy_plain(const struct copy_job *cj)
{
	const struct p2pbuf_copy_stats *st = &cj->st;
	char s[32];

	printf("%s %s %s %s: %s\n",
	       cj->ret && cj->ret != -ENODATA ? "refused" : "copied",
	       hsize(cj->moved, s, sizeof(s)),
	       cj->dir == P2PBUF_COPY_TO_BUF ? "from" : "to", cj->fspec, cj->how);
	if (cj->ret == -ENODATA)
		printf("  short:            the file ended after %" PRIu64
		       " of %" PRIu64 " bytes\n", cj->moved, cj->size);
	if (st->kernel)
		printf("  device to device: %" PRIu64 " bytes (%s)\n",
		       st->bytes_direct, cj->d2d_why);
	else if (cj->d2d == D2D_CONFIRMED)
		printf("  device to device: %" PRIu64 " bytes (O_DIRECT; %s)\n",
		       st->bytes_direct, cj->d2d_why);
	else
		printf("  device to device: unknown: %" PRIu64 " bytes moved with O_DIRECT, but %s\n",
		       st->bytes_direct, cj->d2d_why);
	printf("  bounced:          %" PRIu64 " bytes through system memory%s\n",
	       st->bytes_bounced, st->kernel ? " (the kernel's count)" : "");
	if (cj->secs > 0)
		printf("  throughput:       %.1f MiB/s (%" PRIu64 " bytes in %.3f s)\n",
		       cj->moved / cj->secs / (1 << 20), cj->moved, cj->secs);
	if (st->first_refusal)
		printf("  direct path refused %" PRIu64 " time%s: %s (%s)%s\n",
		       st->bounce_events, st->bounce_events == 1 ? "" : "s",
		       strerror(st->first_refusal), st->why,
		       cj->nob ? "; --no-bounce: stopped" : "");
	if (cj->verify && cj->mism)
		printf("  data check:       MISMATCH: %" PRIu64 " bytes differ, the first at %" PRIu64 "\n",
		       cj->mism, cj->first_mism);
	else if (cj->verify)
		printf("  data check:       OK\n");
}

int cmd_copy(int argc, char **argv, const struct cmd *cmd)
{
	struct copy_job cj = { 0 };
	struct timespec t0, t1;
	struct env e;

	copy_args(argc, argv, cmd, &cj);
	env_load(&e, 0);
	cj.ffd = open(cj.fspec, (cj.dir == P2PBUF_COPY_TO_BUF ? O_RDONLY :
				 O_RDWR | O_CREAT) | O_CLOEXEC, 0644);
	if (cj.ffd < 0)
		die("%s: %s", cj.fspec, strerror(errno));
	if (!cj.size) {
		uint64_t fsz = cj.dir == P2PBUF_COPY_TO_BUF ? file_size(cj.ffd) : 0;

		if (cj.dir == P2PBUF_COPY_TO_BUF && cj.foff >= fsz)
			die("%s: --file-offset %" PRIu64 " is at or past its end (%" PRIu64 " bytes)",
			    cj.fspec, cj.foff, fsz);
		cj.size = fsz - cj.foff;
		if (!cj.size && strncmp(cj.bspec, "buf:", 4))
			cj.size = 0;	/* from the buffer: its size, below */
	}
	copy_open_buf(&e, &cj);
	if (!cj.ps.on && isatty(2) && cj.size >= (64 << 20))
		cj.ps.on = 1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	cj.ret = p2pbuf_copy(cj.ffd, cj.foff, cj.bfd, cj.boff, cj.size,
			     cj.dir | (cj.nob ? P2PBUF_COPY_NO_BOUNCE : 0), &cj.st,
			     show_progress, &cj.ps);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cj.secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	copy_d2d(&e, &cj);
	if (cj.ret && cj.ret != -ENODATA && !(cj.nob && cj.st.first_refusal))
		die("copy: %s", strerror(-cj.ret));
	/* what really moved: less than asked when the file ended first */
	cj.moved = cj.st.bytes_direct + cj.st.bytes_bounced;

	if (cj.verify && cj.moved && (!cj.ret || cj.ret == -ENODATA))
		copy_verify(&cj);
	if (opt_json)
		copy_json(&cj);
	else
		copy_plain(&cj);
	if (cj.do_hold && !cj.ret)
		hold(opt_json);
	if (cj.own)
		close(cj.bfd);
	close(cj.ffd);
	env_free(&e);
	return cj.ret || cj.mism ? 1 : 0;
}
