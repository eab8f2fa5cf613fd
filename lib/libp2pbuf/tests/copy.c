// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * p2pbuf_copy() on the host, with a memfd standing in for the buffer:
 * O_DIRECT from a disk file goes "direct"; a tmpfs file (no O_DIRECT)
 * bounces, and says so; an unaligned tail bounces and is counted;
 * P2PBUF_COPY_NO_BOUNCE refuses instead.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <p2pbuf/p2pbuf.h>
#include "tap.h"

#define LEN (3 * 1024 * 1024)

static int make_src(const char *path, unsigned char *pat, size_t len)
{
	size_t i;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	for (i = 0; i < len; i++)
		pat[i] = (unsigned char)(i * 7 + i / 4096);
	if (write(fd, pat, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	fsync(fd);
	return fd;
}

/* during the copy the caller's open file keeps its own flags */
static int progress_calls, watch_fd = -1, watch_fl, flags_changed;
static int progress(uint64_t done, uint64_t total, void *arg)
{
	(void)done, (void)total, (void)arg;
	progress_calls++;
	if (watch_fd >= 0 && fcntl(watch_fd, F_GETFL) != watch_fl)
		flags_changed++;
	return 0;
}

/*
 * The caller opened the file O_DIRECT itself: the flags stay, the aligned
 * part goes direct and the tail still bounces (not read with O_DIRECT
 * into an unaligned spot, nor by clearing the caller's O_DIRECT).
 */
static void run_odirect(const char *path, const char *what)
{
	struct p2pbuf_copy_stats st;
	int src, buf, ret;
	static unsigned char pat[LEN + 4196];
	size_t len = LEN + 4196;

	src = make_src(path, pat, len);
	close(src);
	src = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	buf = memfd_create("buf", MFD_CLOEXEC);
	ftruncate(buf, LEN + 8192);
	flags_changed = 0;
	watch_fd = src;
	watch_fl = fcntl(src, F_GETFL);
	ret = p2pbuf_copy(src, 0, buf, 0, len, P2PBUF_COPY_TO_BUF, &st,
			  progress, NULL);
	tap_ok(ret == 0 && st.bytes_direct == LEN + 4096 &&
	       st.bytes_bounced == 100,
	       "%s, caller's O_DIRECT fd: %d, direct %llu, bounced %llu", what,
	       ret, (unsigned long long)st.bytes_direct,
	       (unsigned long long)st.bytes_bounced);
	tap_ok(!flags_changed && fcntl(src, F_GETFL) == watch_fl &&
	       (watch_fl & O_DIRECT),
	       "%s, caller's O_DIRECT fd: O_DIRECT stays set throughout", what);
	watch_fd = -1;
	close(buf);
	close(src);
}

static void run(const char *dir, const char *what, int expect_direct)
{
	static unsigned char pat[LEN + 4196];
	struct p2pbuf_copy_stats st;
	char path[512];
	unsigned char *m;
	int src, buf, ret;
	size_t len = LEN + 4196;	/* a last chunk of 4096 + 100 bytes */

	snprintf(path, sizeof(path), "%s/p2pbuf-copy-test.%d", dir, getpid());
	src = make_src(path, pat, len);
	if (src < 0) {
		tap_skip("%s: cannot create %s", what, path);
		return;
	}
	buf = memfd_create("buf", MFD_CLOEXEC);
	ftruncate(buf, LEN + 8192);
	progress_calls = 0;
	flags_changed = 0;
	watch_fd = src;
	watch_fl = fcntl(src, F_GETFL);
	ret = p2pbuf_copy(src, 0, buf, 0, len, P2PBUF_COPY_TO_BUF, &st,
			  progress, NULL);
	tap_ok(ret == 0, "%s: copy to buffer returns 0 (%d)", what, ret);
	tap_ok(!flags_changed && fcntl(src, F_GETFL) == watch_fl,
	       "%s: the caller's file flags never changed", what);
	watch_fd = -1;
	m = mmap(NULL, LEN + 8192, PROT_READ, MAP_SHARED, buf, 0);
	tap_ok(m != MAP_FAILED && !memcmp(m, pat, len), "%s: data landed", what);
	tap_ok(st.bytes_direct + st.bytes_bounced == len,
	       "%s: direct %llu + bounced %llu == %zu", what,
	       (unsigned long long)st.bytes_direct,
	       (unsigned long long)st.bytes_bounced, len);
	if (expect_direct || st.bytes_direct) {
		/* tmpfs has O_DIRECT since Linux 6.6 */
		tap_ok(st.bytes_direct == LEN + 4096 && st.bytes_bounced == 100,
		       "%s: aligned part direct (%llu), only the 100 bytes below the alignment bounced (%llu)",
		       what, (unsigned long long)st.bytes_direct,
		       (unsigned long long)st.bytes_bounced);
		tap_ok(!st.bounce_events && !st.first_refusal && !st.why[0],
		       "%s: an unaligned tail is not a refusal (\"%s\")", what,
		       st.why);
	} else {
		tap_ok(st.bytes_bounced == len && strstr(st.why, "O_DIRECT"),
		       "%s: no O_DIRECT: everything bounced, reason given", what);
		tap_ok(st.bounce_events > 0 && st.why[0],
		       "%s: the bounce is reported: \"%s\"", what, st.why);
	}
	tap_ok(progress_calls >= 3, "%s: progress reported (%d calls)", what,
	       progress_calls);

	/* and back: buffer -> file, then compare */
	ftruncate(src, 0);
	ret = p2pbuf_copy(src, 0, buf, 0, LEN, P2PBUF_COPY_FROM_BUF, &st,
			  NULL, NULL);
	{
		static unsigned char back[LEN];

		tap_ok(ret == 0 && pread(src, back, LEN, 0) == LEN &&
		       !memcmp(back, pat, LEN),
		       "%s: copy from buffer to file, data checked", what);
	}
	/* the file ends before len: -ENODATA, the stats say what moved */
	ret = p2pbuf_copy(src, 0, buf, 0, LEN + 8192, P2PBUF_COPY_TO_BUF, &st,
			  NULL, NULL);
	tap_ok(ret == -ENODATA && st.bytes_direct + st.bytes_bounced == LEN,
	       "%s: copy past the end of the file: -ENODATA (%d), %llu bytes moved",
	       what, ret,
	       (unsigned long long)(st.bytes_direct + st.bytes_bounced));
	tap_ok(st.bytes_bounced || (!st.bounce_events && !st.first_refusal),
	       "%s: nothing bounced, no refusal recorded", what);
	ret = p2pbuf_copy(src, 0, buf, 0, len, P2PBUF_COPY_TO_BUF |
			  P2PBUF_COPY_NO_BOUNCE, &st, NULL, NULL);
	tap_ok(ret < 0 && st.bytes_bounced == 0,
	       "%s: NO_BOUNCE refuses (%s), bounces nothing", what,
	       strerror(-ret));
	if (m != MAP_FAILED)
		munmap(m, LEN + 8192);
	close(buf);
	close(src);
	if (expect_direct)
		run_odirect(path, what);
	unlink(path);
}

/* run one p2pbuf_copy() in a child: a crash is a failed test, not a dead run */
static int copy_in_child(int src, uint64_t foff, int buf, uint64_t boff,
			 uint64_t len, struct p2pbuf_copy_stats *st)
{
	struct p2pbuf_copy_stats *shared;
	int status, ret;
	pid_t pid;

	shared = mmap(NULL, sizeof(*shared) + sizeof(int),
		      PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return -12345;
	pid = fork();
	if (!pid) {
		*(int *)(shared + 1) = p2pbuf_copy(src, foff, buf, boff, len,
						   P2PBUF_COPY_TO_BUF, shared,
						   NULL, NULL);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	ret = WIFEXITED(status) ? *(int *)(shared + 1) : -1000 - WTERMSIG(status);
	*st = *shared;
	munmap(shared, sizeof(*shared) + sizeof(int));
	return ret;
}

/* ranges that do not fit the buffer or the file are refused up front */
static void test_bad_ranges(void)
{
	struct p2pbuf_copy_stats st;
	int src, buf, ret;

	src = memfd_create("src", MFD_CLOEXEC);
	buf = memfd_create("buf", MFD_CLOEXEC);
	ftruncate(src, 65536);
	ftruncate(buf, 65536);

	/* buf_off + len wraps: a tiny mapping, then a write far past it */
	ret = copy_in_child(src, 0, buf, 8192, UINT64_MAX - 4096, &st);
	tap_ok(ret == -EINVAL, "buf_off + len overflows: -EINVAL, no crash (%d)",
	       ret);
	ret = copy_in_child(src, 0, buf, 61440, 8192, &st);
	tap_ok(ret == -EINVAL && !st.bytes_direct && !st.bytes_bounced,
	       "buf_off + len past the buffer's end: -EINVAL (%d)", ret);
	ret = copy_in_child(src, 0, buf, 0, 65537, &st);
	tap_ok(ret == -EINVAL, "len one byte more than the buffer: -EINVAL (%d)",
	       ret);
	ret = copy_in_child(src, INT64_MAX, buf, 0, 4096, &st);
	tap_ok(ret == -EOVERFLOW && !st.bounce_events && !st.first_refusal,
	       "file_off + len > INT64_MAX: -EOVERFLOW, not a refusal (%d, %s)",
	       ret, st.why);
	ret = copy_in_child(src, (uint64_t)INT64_MAX + 4096, buf, 0, 4096, &st);
	tap_ok(ret == -EOVERFLOW && !st.bounce_events && !st.first_refusal,
	       "negative file offset: -EOVERFLOW, not a refusal (%d)", ret);
	close(src);
	close(buf);
}

int main(int argc, char **argv)
{
	int fd;

	/* a disk-backed directory: the build dir, or argv[1] */
	const char *disk = argc > 1 ? argv[1] : LIBDIR;

	fd = open(disk, O_RDONLY | O_DIRECTORY);
	close(fd);
	{
		char p[512];
		int t;

		snprintf(p, sizeof(p), "%s/.odirect-probe", disk);
		t = open(p, O_RDWR | O_CREAT | O_DIRECT, 0600);
		if (t >= 0) {
			close(t);
			unlink(p);
			run(disk, "disk file", 1);
		} else {
			tap_skip("%s does not support O_DIRECT", disk);
		}
	}
	if (!access("/dev/shm", W_OK))
		run("/dev/shm", "tmpfs file", 0);
	else
		tap_skip("no /dev/shm");
	test_bad_ranges();
	tap_ok(p2pbuf_copy(-1, 0, 0, 0, 1, 0, NULL, NULL, NULL) == -EINVAL,
	       "bad fd: -EINVAL");
	return tap_done();
}
