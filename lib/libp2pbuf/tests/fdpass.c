// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Host test of p2pbuf_send_fd()/p2pbuf_recv_fd() over socketpairs: round
 * trip, partial messages, EINTR, closed peers, MSG_CTRUNC, extra fds,
 * garbage, and the fd count after every case. fdpass-wire.c: headers of
 * other lengths and versions, stalls, the cost of a hand-off.
 */
#define _GNU_SOURCE
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
#include "fdpass.h"

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
	return tap_done();
}
