// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Passing dma-buf fds over UNIX sockets (SCM_RIGHTS) with a metadata header.
 *
 * Wire format, little endian, one message per fd:
 *	u32 magic "P2PB", u16 version (1), u16 header length (48),
 *	u64 size, u64 offset, u32 provider, u32 flags, u64 tag, u64 reserved.
 * The fd rides on the first byte that the sender manages to send. The
 * receiver reads exactly one header (never into the next message, so two
 * fds are never merged into one read), and owns the fd only once the whole
 * header has arrived intact: on every error path every fd it was handed is
 * closed.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "private.h"

#define WIRE_MAGIC	0x42503250U	/* "P2PB" */
#define WIRE_VERSION	1
#define WIRE_LEN	48
#define MAX_FDS		8		/* room to receive (and close) extras */

#ifndef SCM_PIDFD
#define SCM_PIDFD	0x04	/* SO_PASSPIDFD, Linux 6.5; a pidfd to close */
#endif

/*
 * Control space for one recvmsg(): the sender's credentials (SO_PASSCRED
 * on this socket), its pidfd (SO_PASSPIDFD) and the fds. Without room for
 * the credentials they take the space, the fds are cut off (MSG_CTRUNC)
 * and every message would be lost.
 */
#define RECV_CTL_LEN	(CMSG_SPACE(sizeof(struct ucred)) + \
			 CMSG_SPACE(sizeof(int)) + \
			 CMSG_SPACE(MAX_FDS * sizeof(int)))

struct wire {
	uint32_t magic;
	uint16_t version;
	uint16_t len;
	uint64_t size;
	uint64_t offset;
	uint32_t provider;
	uint32_t flags;
	uint64_t tag;
	uint64_t reserved;
} __attribute__((packed));

_Static_assert(sizeof(struct wire) == WIRE_LEN, "wire header size");

static int wait_fd(int sock, short events)
{
	struct pollfd p = { .fd = sock, .events = events };

	for (;;) {
		int r = poll(&p, 1, -1);

		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

P2PBUF_EXPORT int p2pbuf_send_fd(int sock, int fd,
				 const struct p2pbuf_fd_meta *meta)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct wire w;
	size_t done = 0;
	int fd_sent = 0;

	if (sock < 0 || fd < 0)
		return -EBADF;
	memset(&w, 0, sizeof(w));
	w.magic = htole32(WIRE_MAGIC);
	w.version = htole16(WIRE_VERSION);
	w.len = htole16(WIRE_LEN);
	if (meta) {
		w.size = htole64(meta->size);
		w.offset = htole64(meta->offset);
		w.provider = htole32(meta->provider_id);
		w.flags = htole32(meta->flags);
		w.tag = htole64(meta->tag);
	}

	while (done < sizeof(w)) {
		struct iovec iov = {
			.iov_base = (char *)&w + done,
			.iov_len = sizeof(w) - done,
		};
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n;

		if (!fd_sent) {
			struct cmsghdr *c;

			memset(&ctl, 0, sizeof(ctl));
			msg.msg_control = ctl.buf;
			msg.msg_controllen = sizeof(ctl.buf);
			c = CMSG_FIRSTHDR(&msg);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(c), &fd, sizeof(int));
		}
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
		if (n < 0) {
			int err = errno;

			if (err == EINTR)
				continue;
			if (err == EAGAIN || err == EWOULDBLOCK) {
				/* nothing sent yet: let a non-blocking caller retry */
				if (!done)
					return -EAGAIN;
				err = -wait_fd(sock, POLLOUT);
				if (!err)
					continue;
			}
			return -err;
		}
		if (n > 0)
			fd_sent = 1;
		done += n;
	}
	return 0;
}

/*
 * Takes every fd the kernel installed with this message: the first
 * SCM_RIGHTS fd into *got, any further one closed and counted in *extra,
 * a pidfd (SCM_PIDFD) closed and not counted: it is the socket's, not the
 * sender's payload.
 */
static void close_cmsg_fds(struct msghdr *msg, int *got, int *extra)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		int nfd, i, pidfd;

		if (c->cmsg_level != SOL_SOCKET ||
		    (c->cmsg_type != SCM_RIGHTS && c->cmsg_type != SCM_PIDFD))
			continue;
		pidfd = c->cmsg_type == SCM_PIDFD;
		nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfd; i++) {
			int f;

			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (pidfd)
				close(f);
			else if (*got < 0)
				*got = f;
			else {
				close(f);
				(*extra)++;
			}
		}
	}
}

P2PBUF_EXPORT int p2pbuf_recv_fd(int sock, struct p2pbuf_fd_meta *meta)
{
	union {
		char buf[RECV_CTL_LEN];
		struct cmsghdr align;
	} ctl;
	struct wire w;
	size_t done = 0;
	int fd = -1, extra = 0, err = 0, type = 0;
	socklen_t tlen = sizeof(type);

	if (sock < 0) {
		errno = EBADF;
		return -1;
	}
	/*
	 * SOCK_SEQPACKET keeps records: a second read for the rest of a short
	 * one would swallow the next message (and its fd). One record, one
	 * recvmsg(), and it is a header only if exactly a header arrived.
	 */
	if (getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &tlen))
		return -1;
	while (done < sizeof(w)) {
		struct iovec iov = {
			.iov_base = (char *)&w + done,
			.iov_len = sizeof(w) - done,
		};
		struct msghdr msg = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.buf,
			.msg_controllen = sizeof(ctl.buf),
		};
		ssize_t n;

		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
		if (n < 0) {
			err = errno;
			if (err == EINTR)
				continue;
			if (err == EAGAIN || err == EWOULDBLOCK) {
				if (!done)
					goto out_err;
				err = -wait_fd(sock, POLLIN);
				if (!err)
					continue;
			}
			goto out_err;
		}
		/* fds first, so that every error below can close them */
		close_cmsg_fds(&msg, &fd, &extra);
		if (msg.msg_flags & MSG_CTRUNC) {
			err = EPROTO;	/* fds were lost in the kernel */
			goto out_err;
		}
		if (type == SOCK_SEQPACKET && n > 0 &&
		    ((size_t)n != sizeof(w) || (msg.msg_flags & MSG_TRUNC))) {
			err = EBADMSG;	/* a record that is not one header */
			goto out_err;
		}
		if (msg.msg_flags & MSG_TRUNC) {
			err = EMSGSIZE;	/* datagram larger than a header */
			goto out_err;
		}
		if (extra) {
			err = EPROTO;	/* more than one fd for one header */
			goto out_err;
		}
		if (n == 0) {
			/*
			 * peer closed: at a message boundary that is a clean
			 * end (EPIPE), inside a message the message is lost
			 * (ECONNABORTED)
			 */
			err = done || fd >= 0 ? ECONNABORTED : EPIPE;
			goto out_err;
		}
		done += n;
	}
	if (le32toh(w.magic) != WIRE_MAGIC ||
	    le16toh(w.version) != WIRE_VERSION || le16toh(w.len) != WIRE_LEN) {
		err = EBADMSG;
		goto out_err;
	}
	if (fd < 0) {
		err = ENOMSG;	/* a header without an fd */
		goto out_err;
	}
	if (meta) {
		meta->size = le64toh(w.size);
		meta->offset = le64toh(w.offset);
		meta->provider_id = le32toh(w.provider);
		meta->flags = le32toh(w.flags);
		meta->tag = le64toh(w.tag);
	}
	return fd;

out_err:
	if (fd >= 0)
		close(fd);
	errno = err;
	return -1;
}
