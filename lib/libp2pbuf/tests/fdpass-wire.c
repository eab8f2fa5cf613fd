// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Host test of the fd-passing wire header and its limits: a newer sender's
 * longer header is accepted and skipped (stream and seqpacket), a header
 * under version 1's 48 bytes and another version are refused with the
 * next message intact, a peer that stalls inside a header is ETIMEDOUT
 * after P2PBUF_FD_WAIT_MS with the fd closed, a full non-blocking socket is
 * EAGAIN at once, and a hand-off costs one recvmsg() and no getsockopt().
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <p2pbuf/p2pbuf.h>
#include "tap.h"
#include "fdpass.h"

/*
 * The library's own calls of getsockopt() and recvmsg() (this executable's
 * definitions preempt libc's for libp2pbuf.so too): a hand-off must cost
 * one recvmsg() and no SO_TYPE query, with a control buffer no larger than
 * one fd plus the credentials and pidfd a socket may add.
 */
static int n_getsockopt, n_recvmsg;
static size_t max_controllen;

int getsockopt(int s, int level, int name, void *val, socklen_t *len)
{
	static int (*real)(int, int, int, void *, socklen_t *);

	if (!real)
		real = dlsym(RTLD_NEXT, "getsockopt");
	n_getsockopt++;
	return real(s, level, name, val, len);
}

ssize_t recvmsg(int s, struct msghdr *m, int flags)
{
	static ssize_t (*real)(int, struct msghdr *, int);

	if (!real)
		real = dlsym(RTLD_NEXT, "recvmsg");
	n_recvmsg++;
	if (m->msg_controllen > max_controllen)
		max_controllen = m->msg_controllen;
	return real(s, m, flags);
}

static void test_cost(int type, const char *tname)
{
	struct p2pbuf_fd_meta m = { .tag = 1 }, r;
	int sv[2], mfd, i, ok = 1, base = count_fds();
	size_t need = CMSG_SPACE(sizeof(struct ucred)) +
		      2 * CMSG_SPACE(sizeof(int));

	pair(type, sv);
	mfd = memfd_create("cost", MFD_CLOEXEC);
	n_getsockopt = n_recvmsg = 0;
	max_controllen = 0;
	for (i = 0; i < 100; i++) {
		int fd;

		m.tag = i;
		if (p2pbuf_send_fd(sv[0], mfd, &m)) {
			ok = 0;
			break;
		}
		fd = p2pbuf_recv_fd(sv[1], &r);
		if (fd < 0 || r.tag != (uint64_t)i)
			ok = 0;
		if (fd >= 0)
			close(fd);
	}
	tap_ok(ok, "%s: 100 hand-offs", tname);
	tap_ok(n_getsockopt == 0,
	       "%s: no getsockopt() per hand-off (%d calls in 100)", tname,
	       n_getsockopt);
	tap_ok(n_recvmsg == 100, "%s: one recvmsg() per hand-off (%d in 100)",
	       tname, n_recvmsg);
	tap_ok(max_controllen <= need,
	       "%s: control buffer %zu bytes, at most %zu (one fd, credentials, pidfd)",
	       tname, max_controllen, need);
	close(mfd);
	close(sv[0]);
	close(sv[1]);
	tap_ok(count_fds() == base, "%s: cost: fd count at baseline", tname);
}

/* a header of @len bytes: version 1's base, then @len - 48 bytes of 0x5a */
static void make_long_hdr(unsigned char *h, size_t len, uint16_t version,
			  uint64_t tag)
{
	make_hdr(h, tag);
	memset(h + HDR, 0x5a, len - HDR);
	h[4] = version & 0xff;
	h[5] = version >> 8;
	h[6] = len & 0xff;
	h[7] = len >> 8;
}

/*
 * A newer sender's longer header (fields this receiver does not know), on
 * a stream and on a seqpacket socket: accepted, the known fields read, the
 * rest skipped, hdr_len says how long it was, and the next message (a 1.0
 * sender's 48 bytes) is intact.
 */
static void test_newer_sender(int type, const char *tname)
{
	unsigned char h[HDR + 40];
	struct p2pbuf_fd_meta r;
	int sv[2], a, b, fd, base = count_fds();

	pair(type, sv);
	a = memfd_create("a", MFD_CLOEXEC);
	b = memfd_create("b", MFD_CLOEXEC);
	make_long_hdr(h, HDR + 40, 1, 11);
	send_raw(sv[0], h, HDR + 40, &a, 1);
	make_hdr(h, 12);
	send_raw(sv[0], h, HDR, &b, 1);
	close(a);
	close(b);
	memset(&r, 0, sizeof(r));
	fd = p2pbuf_recv_fd(sv[1], &r);
	tap_ok(fd >= 0 && r.tag == 11 && r.hdr_len == HDR + 40,
	       "%s: a newer sender's %d-byte header is accepted (fd %d, tag %llu, hdr_len %u)",
	       tname, HDR + 40, fd, (unsigned long long)r.tag, r.hdr_len);
	if (fd >= 0)
		close(fd);
	memset(&r, 0, sizeof(r));
	fd = p2pbuf_recv_fd(sv[1], &r);
	tap_ok(fd >= 0 && r.tag == 12 && r.hdr_len == HDR,
	       "%s: the 1.0 header after it is intact (tag %llu, hdr_len %u)",
	       tname, (unsigned long long)r.tag, r.hdr_len);
	if (fd >= 0)
		close(fd);

	/* a header shorter than version 1's base is no header */
	make_long_hdr(h, HDR, 1, 13);
	h[6] = HDR - 8;
	a = memfd_create("a", MFD_CLOEXEC);
	send_raw(sv[0], h, HDR, &a, 1);
	close(a);
	fd = p2pbuf_recv_fd(sv[1], NULL);
	tap_ok(fd == -1 && errno == EBADMSG,
	       "%s: len %d, under the base header: EBADMSG (%s)", tname,
	       HDR - 8, strerror(errno));
	close(sv[0]);
	close(sv[1]);
	tap_ok(count_fds() == base, "%s: newer sender: fd count at baseline",
	       tname);
}

/*
 * An incompatible version: EPROTONOSUPPORT, its fd closed, its header
 * skipped by its len so that the next message on a stream is intact.
 */
static void test_other_version(void)
{
	unsigned char h[HDR + 16];
	struct p2pbuf_fd_meta r;
	int sv[2], a, fd, err, base = count_fds();

	pair(SOCK_STREAM, sv);
	a = memfd_create("a", MFD_CLOEXEC);
	make_long_hdr(h, HDR + 16, 2, 21);
	send_raw(sv[0], h, HDR + 16, &a, 1);
	make_hdr(h, 22);
	send_raw(sv[0], h, HDR, &a, 1);
	close(a);
	fd = p2pbuf_recv_fd(sv[1], NULL);
	err = errno;
	tap_ok(fd == -1 && err == EPROTONOSUPPORT,
	       "version 2: EPROTONOSUPPORT (%s)", strerror(err));
	tap_ok(count_fds() == base + 2, "version 2: its fd is closed");
	fd = p2pbuf_recv_fd(sv[1], &r);
	tap_ok(fd >= 0 && r.tag == 22, "version 2: the next message is intact");
	if (fd >= 0)
		close(fd);
	close(sv[0]);
	close(sv[1]);
	tap_ok(count_fds() == base, "version 2: fd count at baseline");
}

static double since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * A peer that sends part of a header (with the fd) and stalls, on a
 * blocking socket: ETIMEDOUT after about P2PBUF_FD_WAIT_MS, the fd closed.
 * Once inside the base header, once inside a newer sender's tail.
 */
static void test_stall(size_t sent, size_t len, const char *what)
{
	unsigned char h[HDR + 16];
	struct timespec t0;
	int sv[2], a, fd, err, base = count_fds();
	double dt;

	pair(SOCK_STREAM, sv);
	a = memfd_create("a", MFD_CLOEXEC);
	make_long_hdr(h, len, 1, 31);
	send_raw(sv[0], h, sent, &a, 1);
	close(a);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fd = p2pbuf_recv_fd(sv[1], NULL);
	err = errno;
	dt = since(&t0);
	tap_ok(fd == -1 && err == ETIMEDOUT,
	       "stall %s: -1/ETIMEDOUT (%d, %s)", what, fd, strerror(err));
	tap_ok(dt >= P2PBUF_FD_WAIT_MS / 1000.0 * 0.9 &&
	       dt < P2PBUF_FD_WAIT_MS / 1000.0 * 3,
	       "stall %s: gave up after %.2f s (wait %d ms)", what, dt,
	       P2PBUF_FD_WAIT_MS);
	tap_ok(count_fds() == base + 2, "stall %s: the received fd is closed",
	       what);
	close(sv[0]);
	close(sv[1]);
	tap_ok(count_fds() == base, "stall %s: fd count at baseline", what);
}

/* a full non-blocking socket: send returns -EAGAIN at once, nothing sent */
static void test_send_full(void)
{
	char junk[4096];
	struct timespec t0;
	int sv[2], a, ret, base = count_fds();
	double dt;

	memset(junk, 0, sizeof(junk));
	pair(SOCK_STREAM | SOCK_NONBLOCK, sv);
	while (send(sv[0], junk, sizeof(junk), MSG_DONTWAIT) > 0)
		;
	while (send(sv[0], junk, 1, MSG_DONTWAIT) > 0)
		;
	a = memfd_create("a", MFD_CLOEXEC);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = p2pbuf_send_fd(sv[0], a, NULL);
	dt = since(&t0);
	tap_ok(ret == -EAGAIN && dt < 0.5,
	       "full non-blocking socket: -EAGAIN at once (%d, %.3f s)", ret,
	       dt);
	close(a);
	close(sv[0]);
	close(sv[1]);
	tap_ok(count_fds() == base, "full socket: fd count at baseline");
}

int main(void)
{
	test_cost(SOCK_STREAM, "stream");
	test_cost(SOCK_SEQPACKET, "seqpacket");
	test_newer_sender(SOCK_STREAM, "stream");
	test_newer_sender(SOCK_SEQPACKET, "seqpacket");
	test_other_version();
	test_stall(10, HDR, "inside the base header");
	test_stall(HDR + 4, HDR + 16, "inside a newer sender's tail");
	test_send_full();
	return tap_done();
}
