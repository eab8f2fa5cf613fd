// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libp2pbuf-verbs on the host, against a fake libibverbs: this executable
 * defines ibv_reg_dmabuf_mr(), ibv_dereg_mr(), ibv_query_device() and
 * ibv_get_device_name(), which take the place of libibverbs' for
 * libp2pbuf-verbs.so too (as an LD_PRELOAD shim would). The fake records
 * every registration and fails with the errno the test sets.
 *
 * Checked: NCCL's probe contract for each errno, the call it makes
 * (pd, 0, 0, 0, -1, 0); argument checks before any device is asked
 * (offset and iova at different offsets within a page, a range outside the
 * buffer); ibv_reg_dmabuf_mr()'s argument order passed through; the
 * unsupported errnos folded into EOPNOTSUPP with a message naming the
 * device; and where the split helper cuts a range into MRs (4 GiB, the
 * device's max_mr_size, page rounding, undo on failure).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <p2pbuf/verbs.h>
#include "tap.h"

#define GiB (1ULL << 30)

struct call {
	uint64_t offset, length, iova;
	int fd, access;
};

static struct call calls[64];
static int ncalls, nlive, fail_at = -1, fail_errno;
static uint64_t fake_max_mr_size = ~0ULL;

struct ibv_mr *ibv_reg_dmabuf_mr(struct ibv_pd *pd, uint64_t offset,
				 size_t length, uint64_t iova, int fd,
				 int access)
{
	struct ibv_mr *mr;
	int i = ncalls++;

	if (i < 64)
		calls[i] = (struct call){ offset, length, iova, fd, access };
	if (fail_at >= 0 && i >= fail_at) {
		errno = fail_errno;
		return NULL;
	}
	mr = calloc(1, sizeof(*mr));
	mr->pd = pd;
	mr->length = length;
	nlive++;
	return mr;
}

int ibv_dereg_mr(struct ibv_mr *mr)
{
	nlive--;
	free(mr);
	return 0;
}

int ibv_query_device(struct ibv_context *context,
		     struct ibv_device_attr *attr)
{
	(void)context;
	memset(attr, 0, sizeof(*attr));
	attr->max_mr_size = fake_max_mr_size;
	return 0;
}

const char *ibv_get_device_name(struct ibv_device *device)
{
	(void)device;
	return "fake0";
}

static struct ibv_device dev;
static struct ibv_context ctx = { .device = &dev };
static struct ibv_pd pd = { .context = &ctx };

static void reset(int at, int err)
{
	ncalls = 0;
	fail_at = at;
	fail_errno = err;
}

static void test_probe(void)
{
	static const struct { int err, want; const char *name; } t[] = {
		{ EOPNOTSUPP, 0, "EOPNOTSUPP" },
		{ EPROTONOSUPPORT, 0, "EPROTONOSUPPORT" },
		{ EBADF, 1, "EBADF" },
		{ EINVAL, -EINVAL, "EINVAL" },
		{ EACCES, -EACCES, "EACCES" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int ret, err;

		reset(0, t[i].err);
		ret = p2pbuf_ibv_dmabuf_supported(&pd);
		err = errno;
		tap_ok(ret == t[i].want, "probe: %s -> %d (got %d)", t[i].name,
		       t[i].want, ret);
		if (t[i].want == 0)
			tap_ok(err == t[i].err,
			       "probe: %s: errno stays %s (got %s)", t[i].name,
			       t[i].name, strerror(err));
	}
	tap_ok(ncalls == 1 && calls[0].offset == 0 && calls[0].length == 0 &&
	       calls[0].iova == 0 && calls[0].fd == -1 && calls[0].access == 0,
	       "probe: calls ibv_reg_dmabuf_mr(pd, 0, 0, 0, -1, 0) once");
	reset(-1, 0);
	tap_ok(p2pbuf_ibv_dmabuf_supported(&pd) == 1 && nlive == 0,
	       "probe: a device that registers fd -1 counts as supported, the MR is released");
	tap_ok(p2pbuf_ibv_dmabuf_supported(NULL) == -EINVAL, "probe: NULL pd: -EINVAL");
}

static void test_reg(int fd, long pg)
{
	char msg[256];
	struct ibv_mr *mr;
	int err;

	reset(-1, 0);
	mr = p2pbuf_ibv_reg_dmabuf_mr(&pd, 100, pg, 0, fd, 0, msg, sizeof(msg));
	err = errno;
	tap_ok(!mr && err == EINVAL && strstr(msg, "iova") && !ncalls,
	       "offset %% page != iova %% page: EINVAL before the device (\"%s\")",
	       msg);
	mr = p2pbuf_ibv_reg_dmabuf_mr(&pd, 12 * GiB - pg, 2 * pg,
				      12 * GiB - pg, fd, 0, msg, sizeof(msg));
	err = errno;
	tap_ok(!mr && err == EINVAL && strstr(msg, "outside") && !ncalls,
	       "range outside the buffer: EINVAL (\"%s\")", msg);
	mr = p2pbuf_ibv_reg_dmabuf_mr(&pd, pg + 100, pg, 0x10000 + 100, fd, 7,
				      msg, sizeof(msg));
	tap_ok(mr && ncalls == 1 && calls[0].offset == (uint64_t)pg + 100 &&
	       calls[0].length == (uint64_t)pg &&
	       calls[0].iova == 0x10000 + 100 && calls[0].fd == fd &&
	       calls[0].access == 7,
	       "ibv_reg_dmabuf_mr() gets offset, length, iova, fd, access as given");
	if (mr)
		ibv_dereg_mr(mr);
	reset(0, EPROTONOSUPPORT);
	mr = p2pbuf_ibv_reg_dmabuf_mr(&pd, 0, pg, 0, fd, 0, msg, sizeof(msg));
	err = errno;
	tap_ok(!mr && err == EOPNOTSUPP && strstr(msg, "fake0"),
	       "EPROTONOSUPPORT from the device: EOPNOTSUPP, the message names it (\"%s\")",
	       msg);
	reset(0, ENOMEM);
	mr = p2pbuf_ibv_reg_dmabuf_mr(&pd, 0, pg, 0, fd, 0, msg, sizeof(msg));
	err = errno;
	tap_ok(!mr && err == ENOMEM, "other errors pass through (%s)",
	       strerror(err));
}

/* one split: the pieces' offsets, lengths and iovas as @want lists them */
static void check_split(int fd, uint64_t off, uint64_t len, uint64_t iova,
			uint64_t max, int want_n, const uint64_t *want_len,
			const char *what)
{
	struct ibv_mr *mrs[8] = { 0 };
	char msg[256];
	uint64_t at = 0;
	int n, i, ok;

	reset(-1, 0);
	n = p2pbuf_ibv_reg_dmabuf_mr_split(&pd, off, len, iova, fd, 0, max,
					   mrs, 8, msg, sizeof(msg));
	ok = n == want_n && ncalls == want_n;
	for (i = 0; ok && i < n; i++) {
		if (calls[i].offset != off + at || calls[i].iova != iova + at ||
		    calls[i].length != want_len[i] || !mrs[i])
			ok = 0;
		at += want_len[i];
	}
	tap_ok(ok && at == len, "split %s: %d MRs (got %d: %s)", what, want_n,
	       n, msg);
	for (i = 0; i < n && i < 8; i++)
		ibv_dereg_mr(mrs[i]);
}

static void test_split(int fd, long pg)
{
	static const uint64_t four[] = { 4 * GiB };
	static const uint64_t four1[] = { 4 * GiB, 4096 };
	static const uint64_t ten[] = { 4 * GiB, 4 * GiB, 2 * GiB };
	static const uint64_t dev3[] = { 3 * GiB, 3 * GiB, 3 * GiB, 1 * GiB };
	struct ibv_mr *mrs[2];
	char msg[256];
	int n;

	check_split(fd, 0, 4 * GiB, 0, P2PBUF_IBV_MR_4G, 1, four,
		    "exactly 4 GiB");
	check_split(fd, 0, 4 * GiB + 4096, 0, P2PBUF_IBV_MR_4G, 2, four1,
		    "4 GiB + 4 KiB");
	check_split(fd, pg, 10 * GiB, 0x7f0000000000ULL + pg, P2PBUF_IBV_MR_4G,
		    3, ten, "10 GiB at an offset, iova follows");
	fake_max_mr_size = 3 * GiB + 123;	/* rounded down to pages */
	check_split(fd, 0, 10 * GiB, 0, 0, 4, dev3,
		    "max_len 0: the device's max_mr_size");
	fake_max_mr_size = ~0ULL;

	reset(-1, 0);
	n = p2pbuf_ibv_reg_dmabuf_mr_split(&pd, 0, 10 * GiB, 0, fd, 0,
					   P2PBUF_IBV_MR_4G, mrs, 2, msg,
					   sizeof(msg));
	tap_ok(n == -ENOSPC && !ncalls,
	       "split: room for 2 MRs, 3 needed: -ENOSPC before the device (\"%s\")",
	       msg);
	{
		struct ibv_mr *three[3] = { 0 };

		reset(2, ENOMEM);
		nlive = 0;
		n = p2pbuf_ibv_reg_dmabuf_mr_split(&pd, 0, 10 * GiB, 0, fd, 0,
						   P2PBUF_IBV_MR_4G, three, 3,
						   msg, sizeof(msg));
		tap_ok(n == -ENOMEM && ncalls == 3 && nlive == 0 &&
		       !three[0] && !three[1],
		       "split: the third MR fails: -ENOMEM, the first two deregistered (%d live)",
		       nlive);
	}
	n = p2pbuf_ibv_reg_dmabuf_mr_split(&pd, 0, 4 * GiB, 0, fd, 0, 100,
					   mrs, 2, msg, sizeof(msg));
	tap_ok(n == -EINVAL, "split: a largest MR under a page: -EINVAL");
}

int main(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	int fd;

	test_probe();
	/* any fd with a size will do: a sparse 12 GiB memfd */
	fd = memfd_create("buf", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 12 * GiB)) {
		tap_ok(0, "a 12 GiB sparse memfd");
		return tap_done();
	}
	test_reg(fd, pg);
	test_split(fd, pg);
	close(fd);
	return tap_done();
}
