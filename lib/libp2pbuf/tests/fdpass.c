// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Host test of p2pbuf_send_fd()/p2pbuf_recv_fd() over socketpairs: round
 * trip, partial messages, EINTR, closed peers, MSG_CTRUNC, extra fds,
 * garbage, headers of other lengths (an older or newer sender), a peer
 * that stalls inside a header (ETIMEDOUT), the syscalls one hand-off costs,
 * and the fd count after every case.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <p2pbuf/p2pbuf.h>
#include "tap.h"

#define HDR 48

/* a valid header, as the library writes it (little endian host assumed) */
static void make_hdr(unsigned char *h, uint64_t tag)
{
	memset(h, 0, HDR);
	memcpy(h, "P2PB", 4);
	h[4] = 1;
	h[6] = HDR;
	memcpy(h + 32, &tag, 8);
}

static ssize_t send_raw(int s, const void *p, size_t len, const int *fds,
			int nfds)
{
	char ctl[CMSG_SPACE(sizeof(int) * 64)];
	struct iovec iov = { .iov_base = (void *)p, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds) {
		struct cmsghdr *c;

		memset(ctl, 0, sizeof(ctl));
		m.msg_control = ctl;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	return sendmsg(s, &m, MSG_NOSIGNAL);
}

static int pair(int type, int sv[2])
{
	return socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv);
}

static void test_roundtrip(int type, const char *tname)
{
	struct p2pbuf_fd_meta m = { .size = 8192, .offset = 4096,
				    .provider_id = 3, .flags = 5,
				    .tag = 0x1122334455667788ULL }, r;
	struct stat a, b;
	int sv[2], mfd, fd, base = count_fds();

	pair(type, sv);
	mfd = memfd_create("p2pbuf-test", MFD_CLOEXEC);
	ftruncate(mfd, 8192);
	tap_ok(p2pbuf_send_fd(sv[0], mfd, &m) == 0, "%s: send", tname);
	memset(&r, 0, sizeof(r));
	fd = p2pbuf_recv_fd(sv[1], &r);
	tap_ok(fd >= 0, "%s: recv returns an fd", tname);
	fstat(mfd, &a);
	fstat(fd, &b);
	tap_ok(a.st_ino == b.st_ino && a.st_dev == b.st_dev,
	       "%s: same file on both ends", tname);
	tap_ok(r.size == m.size && r.offset == m.offset &&
	       r.provider_id == m.provider_id && r.flags == m.flags &&
	       r.tag == m.tag, "%s: metadata intact", tname);
	tap_ok(r.comp_mask == P2PBUF_FD_META_HDR_LEN && r.hdr_len == HDR,
	       "%s: comp_mask names hdr_len, a 1.0 sender's %u bytes (%#x, %u)",
	       tname, HDR, r.comp_mask, r.hdr_len);
	tap_ok(fcntl(fd, F_GETFD) & FD_CLOEXEC, "%s: received fd is CLOEXEC",
	       tname);
	close(fd);
	close(mfd);
	close(sv[0]);
	close(sv[1]);
	tap_ok(count_fds() == base, "%s: fd count back to baseline", tname);
}

/* header in three pieces, the fd with the first; a pause between them */
static void test_partial(void)
{
	unsigned char h[HDR];
	struct p2pbuf_fd_meta r;
	int sv[2], mfd, fd, base = count_fds();
	pid_t pid;

	pair(SOCK_STREAM, sv);
	mfd = memfd_create("p2pbuf-test", MFD_CLOEXEC);
	make_hdr(h, 42);
	pid = fork();
	if (!pid) {
		send_raw(sv[0], h, 5, &mfd, 1);
		usleep(50000);
		send_raw(sv[0], h + 5, 20, NULL, 0);
		usleep(50000);
		send_raw(sv[0], h + 25, HDR - 25, NULL, 0);
		_exit(0);
	}
	close(sv[0]);
	close(mfd);
	fd = p2pbuf_recv_fd(sv[1], &r);
	waitpid(pid, NULL, 0);
	tap_ok(fd >= 0 && r.tag == 42, "partial: header in 3 pieces assembled");
	if (fd >= 0)
		close(fd);
	close(sv[1]);
	tap_ok(count_fds() == base, "partial: fd count back to baseline");
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* signals interrupt the blocked recv (no SA_RESTART) many times */
static void test_eintr(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { { 0, 5000 }, { 0, 5000 } }, off = { 0 };
	struct p2pbuf_fd_meta m = { .tag = 7 }, r;
	int sv[2], mfd, fd, base = count_fds();
	pid_t pid;

	sigaction(SIGALRM, &sa, NULL);
	pair(SOCK_STREAM, sv);
	mfd = memfd_create("p2pbuf-test", MFD_CLOEXEC);
	pid = fork();
	if (!pid) {
		usleep(200000);
		_exit(p2pbuf_send_fd(sv[0], mfd, &m) ? 1 : 0);
	}
	close(sv[0]);
	close(mfd);
	setitimer(ITIMER_REAL, &it, NULL);
	fd = p2pbuf_recv_fd(sv[1], &r);
	setitimer(ITIMER_REAL, &off, NULL);
	waitpid(pid, NULL, 0);
	tap_ok(fd >= 0 && r.tag == 7, "eintr: recv survives signals");
	if (fd >= 0)
		close(fd);
	close(sv[1]);
	tap_ok(count_fds() == base, "eintr: fd count back to baseline");
}

static void test_closed_mid(void)
{
	unsigned char h[HDR];
	int sv[2], mfd, fd, err, base = count_fds();

	pair(SOCK_STREAM, sv);
	mfd = memfd_create("p2pbuf-test", MFD_CLOEXEC);
	make_hdr(h, 1);
	send_raw(sv[0], h, 10, &mfd, 1);
	close(sv[0]);
	close(mfd);
	fd = p2pbuf_recv_fd(sv[1], NULL);
	err = errno;
	tap_ok(fd == -1 && err == ECONNABORTED,
	       "closed peer mid-message: -1/ECONNABORTED (got %d/%s)", fd,
	       strerror(err));
	close(sv[1]);
	tap_ok(count_fds() == base,
	       "closed peer mid-message: the half-received fd is closed");
}

static void test_closed_boundary(void)
{
	int sv[2], fd, err, base = count_fds();

	pair(SOCK_STREAM, sv);
	close(sv[0]);
	fd = p2pbuf_recv_fd(sv[1], NULL);
	err = errno;
	tap_ok(fd == -1 && err == EPIPE, "closed peer at a boundary: EPIPE");
	tap_ok(p2pbuf_send_fd(sv[1], 0, NULL) == -EPIPE,
	       "send to a closed peer: -EPIPE, no SIGPIPE");
	close(sv[1]);
	tap_ok(count_fds() == base, "closed peer: fd count at baseline");
}

/* more fds than the receiver has room for: the kernel sets MSG_CTRUNC */
static void test_ctrunc(void)
{
	unsigned char h[HDR];
	int fds[32], sv[2], fd, err, i, base = count_fds();

	pair(SOCK_STREAM, sv);
	for (i = 0; i < 32; i++)
		fds[i] = memfd_create("p2pbuf-test", MFD_CLOEXEC);
	make_hdr(h, 1);
	send_raw(sv[0], h, HDR, fds, 32);
	for (i = 0; i < 32; i++)
		close(fds[i]);
	fd = p2pbuf_recv_fd(sv[1], NULL);
	err = errno;
	tap_ok(fd == -1 && err == EPROTO, "MSG_CTRUNC: -1/EPROTO (got %s)",
	       strerror(err));
	close(sv[0]);
	close(sv[1]);
	tap_ok(count_fds() == base, "MSG_CTRUNC: no fd leaked");
}

static void test_two_fds(void)
{
	unsigned char h[HDR];
	int fds[2], sv[2], fd, err, base = count_fds();

	pair(SOCK_STREAM, sv);
	fds[0] = memfd_create("a", MFD_CLOEXEC);
	fds[1] = memfd_create("b", MFD_CLOEXEC);
	make_hdr(h, 1);
	send_raw(sv[0], h, HDR, fds, 2);
	close(fds[0]);
	close(fds[1]);
	fd = p2pbuf_recv_fd(sv[1], NULL);
	err = errno;
	tap_ok(fd == -1 && err == EPROTO, "two fds for one header: EPROTO");
	close(sv[0]);
	close(sv[1]);
	tap_ok(count_fds() == base, "two fds: both closed");
}

static void test_garbage(void)
{
	unsigned char h[HDR];
	int sv[2], mfd, fd, err, base = count_fds();

	pair(SOCK_STREAM, sv);
	mfd = memfd_create("p2pbuf-test", MFD_CLOEXEC);
	memset(h, 0xa5, sizeof(h));
	send_raw(sv[0], h, HDR, &mfd, 1);
	close(mfd);
	fd = p2pbuf_recv_fd(sv[1], NULL);
	err = errno;
	tap_ok(fd == -1 && err == EBADMSG, "bad magic: EBADMSG");
	make_hdr(h, 1);
	send_raw(sv[0], h, HDR, NULL, 0);
	fd = p2pbuf_recv_fd(sv[1], NULL);
	err = errno;
	tap_ok(fd == -1 && err == ENOMSG, "header without an fd: ENOMSG");
	close(sv[0]);
	close(sv[1]);
	tap_ok(count_fds() == base, "garbage: fd count at baseline");
}

static void test_nonblock(void)
{
	int sv[2], fd, err;

	pair(SOCK_STREAM | SOCK_NONBLOCK, sv);
	fd = p2pbuf_recv_fd(sv[1], NULL);
	err = errno;
	tap_ok(fd == -1 && err == EAGAIN, "non-blocking, nothing queued: EAGAIN");
	close(sv[0]);
	close(sv[1]);
}

/* back-to-back messages on a stream are never merged */
static void test_back_to_back(void)
{
	struct p2pbuf_fd_meta m = { 0 }, r;
	int sv[2], fds[4], got[4], i, ok = 1, base = count_fds();

	pair(SOCK_STREAM, sv);
	for (i = 0; i < 4; i++) {
		fds[i] = memfd_create("x", MFD_CLOEXEC);
		m.tag = 100 + i;
		p2pbuf_send_fd(sv[0], fds[i], &m);
	}
	for (i = 0; i < 4; i++) {
		struct stat a, b;

		got[i] = p2pbuf_recv_fd(sv[1], &r);
		fstat(fds[i], &a);
		if (got[i] < 0 || r.tag != (uint64_t)(100 + i) ||
		    fstat(got[i], &b) || a.st_ino != b.st_ino)
			ok = 0;
	}
	tap_ok(ok, "4 messages back to back: each fd with its own header");
	for (i = 0; i < 4; i++) {
		close(fds[i]);
		if (got[i] >= 0)
			close(got[i]);
	}
	close(sv[0]);
	close(sv[1]);
	tap_ok(count_fds() == base, "back to back: fd count at baseline");
}

/*
 * SOCK_SEQPACKET: a short record (with an fd) followed by a good one. The
 * short one is EBADMSG with its fd closed; the good one still arrives.
 */
static void test_seqpacket_short(void)
{
	unsigned char h[HDR];
	struct p2pbuf_fd_meta r;
	int sv[2], a, b, fd, err, base = count_fds();

	struct timeval tmo = { .tv_sec = 2 };

	pair(SOCK_SEQPACKET, sv);
	/* a receiver that reads on into the next record must not hang here */
	setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	a = memfd_create("a", MFD_CLOEXEC);
	b = memfd_create("b", MFD_CLOEXEC);
	make_hdr(h, 1);
	send_raw(sv[0], h, 20, &a, 1);
	make_hdr(h, 2);
	send_raw(sv[0], h, HDR, &b, 1);
	close(a);
	close(b);
	fd = p2pbuf_recv_fd(sv[1], &r);
	err = errno;
	tap_ok(fd == -1 && err == EBADMSG,
	       "seqpacket: a short record is EBADMSG (%d, %s)", fd,
	       strerror(err));
	tap_ok(count_fds() == base + 2, "seqpacket: its fd is closed");
	memset(&r, 0, sizeof(r));
	fd = p2pbuf_recv_fd(sv[1], &r);
	tap_ok(fd >= 0 && r.tag == 2,
	       "seqpacket: the next message is intact (tag %llu)",
	       (unsigned long long)r.tag);
	if (fd >= 0)
		close(fd);
	/* a record longer than a header */
	{
		unsigned char big[HDR + 16];

		make_hdr(big, 3);
		a = memfd_create("a", MFD_CLOEXEC);
		send_raw(sv[0], big, sizeof(big), &a, 1);
		close(a);
		fd = p2pbuf_recv_fd(sv[1], NULL);
		err = errno;
		tap_ok(fd == -1 && err == EBADMSG,
		       "seqpacket: a long record is EBADMSG (%s)", strerror(err));
	}
	close(sv[0]);
	close(sv[1]);
	tap_ok(count_fds() == base, "seqpacket: fd count back to baseline");
}

#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD	76
#endif

/*
 * The receiving socket asks for the sender's credentials (SO_PASSCRED) or
 * pidfd (SO_PASSPIDFD): the fd still arrives, and the pidfd the kernel
 * adds to every message is closed, on success and on error.
 */
static void test_passcred(int opt, const char *oname)
{
	struct p2pbuf_fd_meta m = { .size = 4096, .tag = 7 }, r;
	unsigned char h[HDR];
	int sv[2], mfd, fd, err, one = 1, base = count_fds();

	pair(SOCK_STREAM, sv);
	if (setsockopt(sv[1], SOL_SOCKET, opt, &one, sizeof(one))) {
		tap_skip("%s: not supported here (%s)", oname, strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return;
	}
	mfd = memfd_create("p2pbuf-test", MFD_CLOEXEC);
	p2pbuf_send_fd(sv[0], mfd, &m);
	memset(&r, 0, sizeof(r));
	fd = p2pbuf_recv_fd(sv[1], &r);
	err = errno;
	tap_ok(fd >= 0 && r.tag == 7, "%s: fd received (%s)", oname,
	       fd >= 0 ? "ok" : strerror(err));
	/* the socket pair, the memfd and the received fd */
	tap_ok(count_fds() == base + 4, "%s: exactly one new fd (%d, want %d)",
	       oname, count_fds(), base + 4);
	if (fd >= 0)
		close(fd);

	/* in three pieces, a pidfd with each */
	make_hdr(h, 8);
	send_raw(sv[0], h, 5, &mfd, 1);
	send_raw(sv[0], h + 5, 20, NULL, 0);
	send_raw(sv[0], h + 25, HDR - 25, NULL, 0);
	fd = p2pbuf_recv_fd(sv[1], &r);
	tap_ok(fd >= 0 && r.tag == 8 && count_fds() == base + 4,
	       "%s: header in pieces: one fd, no pidfd left", oname);
	if (fd >= 0)
		close(fd);

	/* an error path: garbage header with an fd */
	memset(h, 0xa5, HDR);
	send_raw(sv[0], h, HDR, &mfd, 1);
	fd = p2pbuf_recv_fd(sv[1], NULL);
	err = errno;
	tap_ok(fd == -1 && err == EBADMSG, "%s: garbage: EBADMSG (%s)", oname,
	       strerror(err));
	tap_ok(count_fds() == base + 3, "%s: garbage: nothing leaked", oname);
	close(mfd);
	close(sv[0]);
	close(sv[1]);
	tap_ok(count_fds() == base, "%s: fd count back to baseline", oname);
}

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
	signal(SIGPIPE, SIG_DFL);
	test_roundtrip(SOCK_STREAM, "stream");
	test_roundtrip(SOCK_SEQPACKET, "seqpacket");
	test_partial();
	test_eintr();
	test_closed_mid();
	test_closed_boundary();
	test_ctrunc();
	test_two_fds();
	test_garbage();
	test_nonblock();
	test_back_to_back();
	test_seqpacket_short();
	test_passcred(SO_PASSCRED, "SO_PASSCRED");
	test_passcred(SO_PASSPIDFD, "SO_PASSPIDFD");
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
