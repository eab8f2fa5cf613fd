// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf copy SRC DST: between a file or block device (NVMe) and a buffer
 * (buf:PROVIDER for a new one, fd:N, PID:FD), device to device where the
 * path allows, through system memory where it does not; what moved which
 * way, and --verify reads it back.
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
#include <unistd.h>

#include "p2pbuf.h"

struct progress_state {
	int on;
};

struct copy_job {
	uint64_t size, foff, boff, mism, moved;
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
			die("usage: p2pbuf copy SRC DST [options]");
		}
	}
	if (argc - optind != 2)
		cmd_usage(cmd);
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
			    asz, id, strerror(errno));
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

/* read back what moved and count the bytes that differ */
static void copy_verify(struct copy_job *cj)
{
	unsigned char *m, *f;
	int rfd = open(cj->fspec, O_RDONLY | O_CLOEXEC);
	uint64_t i;

	m = mmap(NULL, cj->boff + cj->size, PROT_READ, MAP_SHARED, cj->bfd, 0);
	f = malloc(cj->moved);
	if (rfd < 0 || m == MAP_FAILED || !f ||
	    pread(rfd, f, cj->moved, cj->foff) != (ssize_t)cj->moved)
		die("verify: cannot read back: %s", strerror(errno));
	for (i = 0; i < cj->moved; i++)
		if (m[cj->boff + i] != f[i])
			cj->mism++;
	munmap(m, cj->boff + cj->size);
	free(f);
	close(rfd);
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
	j_u64(&j, "bytes_device_to_device", cj->st.bytes_direct);
	j_u64(&j, "bytes_bounced", cj->st.bytes_bounced);
	j_u64(&j, "bounce_events", cj->st.bounce_events);
	j_str(&j, "first_refusal", cj->st.first_refusal ?
	      strerror(cj->st.first_refusal) : "");
	j_str(&j, "why", cj->st.why);
	if (cj->verify)
		j_bool(&j, "data_ok", !cj->mism);
	else
		j_null(&j, "data_ok");
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
	printf("  device to device: %" PRIu64 " bytes\n", st->bytes_direct);
	printf("  bounced:          %" PRIu64 " bytes through system memory\n",
	       st->bytes_bounced);
	if (st->first_refusal)
		printf("  direct path refused %" PRIu64 " time%s: %s (%s)%s\n",
		       st->bounce_events, st->bounce_events == 1 ? "" : "s",
		       strerror(st->first_refusal), st->why,
		       cj->nob ? "; --no-bounce: stopped" : "");
	if (cj->verify)
		printf("  data check:       %s\n", cj->mism ? "MISMATCH" : "OK");
}

int cmd_copy(int argc, char **argv, const struct cmd *cmd)
{
	struct copy_job cj = { 0 };
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

	cj.ret = p2pbuf_copy(cj.ffd, cj.foff, cj.bfd, cj.boff, cj.size,
			     cj.dir | (cj.nob ? P2PBUF_COPY_NO_BOUNCE : 0), &cj.st,
			     show_progress, &cj.ps);
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
		hold();
	if (cj.own)
		close(cj.bfd);
	close(cj.ffd);
	env_free(&e);
	return cj.ret || cj.mism ? 1 : 0;
}
