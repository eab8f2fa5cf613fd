// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Passing dma-buf fds over UNIX sockets (SCM_RIGHTS) with a metadata header.
 *
 * Wire format, little endian, one header per fd:
 *	u32 magic "P2PB", u16 version (1), u16 len (header length in bytes),
 *	u64 size, u64 offset, u32 provider, u32 flags, u64 tag, u64 reserved.
 * That is version 1's base header, 48 bytes, and every sender sends at
 * least it. The header grows by appending fields: a newer sender sends a
 * larger len, an older receiver reads the base and skips the rest; a newer
 * receiver that gets a shorter header reads the fields it lacks as absent.
 * The version changes only for a layout an older receiver must refuse
 * (EPROTONOSUPPORT, after skipping the header so the next one is intact).
 *
 * The fd rides on the first byte that the sender manages to send. The
 * receiver reads the base header in one recvmsg(), never into the next
 * message, and owns the fd only once the whole header has arrived intact:
 * on every error path every fd it was handed is closed. Once part of a
 * header has arrived, the rest must follow within P2PBUF_FD_WAIT_MS, on
 * both sides: a stalled peer is ETIMEDOUT, never a hang.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "private.h"

#define WIRE_MAGIC	0x42503250U	/* "P2PB" */
#define WIRE_VERSION	1
#define WIRE_BASE_LEN	48		/* version 1's header, the least sent */
#define WIRE_MAX_LEN	4096		/* the most a receiver skips */

#ifndef SCM_PIDFD
#define SCM_PIDFD	0x04	/* SO_PASSPIDFD, Linux 6.5; a pidfd to close */
#endif

/*
 * Control space for one recvmsg(): one fd, and what the kernel puts before
 * it when the caller turned on SO_PASSCRED (credentials) or SO_PASSPIDFD
 * (a pidfd). Without room for those they take the space and the fd is cut
 * off (MSG_CTRUNC). A second fd does not fit: the kernel drops it, sets
 * MSG_CTRUNC, and the one that fit is closed (EPROTO).
 */
#define RECV_CTL_LEN	(CMSG_SPACE(sizeof(struct ucred)) + \
			 CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(int)))

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

_Static_assert(sizeof(struct wire) == WIRE_BASE_LEN, "wire header size");

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Waits for @events until @deadline (CLOCK_MONOTONIC, ms): 0, -ETIMEDOUT,
 * or another negative errno. EINTR is retried against the same deadline.
 */
static int wait_fd(int sock, short events, int64_t deadline)
{
	struct pollfd p = { .fd = sock, .events = events };

	for (;;) {
		int64_t left = deadline - now_ms();
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, (int)left);
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
	int64_t deadline = 0;
	size_t done = 0;

	if (sock < 0 || fd < 0)
		return -EBADF;
	memset(&w, 0, sizeof(w));
	w.magic = htole32(WIRE_MAGIC);
	w.version = htole16(WIRE_VERSION);
	w.len = htole16(WIRE_BASE_LEN);
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

		if (!done) {
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
		/* after the first byte, never block: the deadline decides */
		n = sendmsg(sock, &msg, MSG_NOSIGNAL | (done ? MSG_DONTWAIT : 0));
		if (n < 0) {
			int err = errno;

			if (err == EINTR && !done)
				continue;
			if (!done)
				return -err;	/* EAGAIN: nothing was sent */
			if (err != EINTR && err != EAGAIN && err != EWOULDBLOCK)
				return -err;
			err = -wait_fd(sock, POLLOUT, deadline);
			if (err)
				return -err;
			continue;
		}
		if (!done)
			deadline = now_ms() + P2PBUF_FD_WAIT_MS;
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
static void take_fds(struct msghdr *msg, int *got, int *extra)
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
			if (pidfd) {
				close(f);
			} else if (*got < 0) {
				*got = f;
			} else {
				close(f);
				(*extra)++;
			}
		}
	}
}

/*
 * One recvmsg() into @buf: the fds it brings go to take_fds(). Returns the
 * byte count (0 at end of stream) or a negative errno; *flags gets
 * msg_flags. @wait: 0 for the first read (the caller's socket mode
 * decides), else the deadline for the rest of a header.
 */
static ssize_t recv_part(int sock, void *buf, size_t len, int64_t wait,
			 int *fd, int *extra, int *flags)
{
	union {
		char buf[RECV_CTL_LEN];
		struct cmsghdr align;
	} ctl;

	for (;;) {
		struct iovec iov = { .iov_base = buf, .iov_len = len };
		struct msghdr msg = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.buf,
			.msg_controllen = sizeof(ctl.buf),
		};
		ssize_t n;
		int err;

		if (wait) {
			err = wait_fd(sock, POLLIN, wait);
			if (err)
				return err;
		}
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC |
			    (wait ? MSG_DONTWAIT : 0));
		if (n >= 0) {
			/* fds first, so that every error can close them */
			take_fds(&msg, fd, extra);
			*flags = msg.msg_flags;
			return n;
		}
		err = errno;
		if (err == EINTR ||
		    (wait && (err == EAGAIN || err == EWOULDBLOCK)))
			continue;
		return -err;
	}
}

/* the rest of a stream header, with the deadline; 0 or a negative errno */
static int recv_rest(int sock, unsigned char *buf, size_t len, size_t done,
		     int64_t deadline, int *fd, int *extra)
{
	while (done < len) {
		int flags = 0;
		ssize_t n = recv_part(sock, buf + done, len - done, deadline,
				      fd, extra, &flags);

		if (n < 0)
			return (int)n;
		if ((flags & MSG_CTRUNC) || *extra)
			return -EPROTO;
		if (!n)
			return -ECONNABORTED;	/* peer closed inside a header */
		done += n;
	}
	return 0;
}

/* skip @len bytes of a stream header this receiver does not know */
static int skip_rest(int sock, size_t len, int64_t deadline, int *fd,
		     int *extra)
{
	unsigned char tail[256];

	while (len) {
		size_t chunk = len < sizeof(tail) ? len : sizeof(tail);
		int err = recv_rest(sock, tail, chunk, 0, deadline, fd, extra);

		if (err)
			return err;
		len -= chunk;
	}
	return 0;
}

static int is_stream(int sock)
{
	int type = 0;
	socklen_t tlen = sizeof(type);

	if (getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &tlen))
		return -errno;
	return type == SOCK_STREAM;
}

P2PBUF_EXPORT int p2pbuf_recv_fd(int sock, struct p2pbuf_fd_meta *meta)
{
	struct wire w;
	int64_t deadline = 0;
	int fd = -1, extra = 0, err = 0, flags = 0;
	unsigned int len, version;
	ssize_t n;

	if (sock < 0) {
		errno = EBADF;
		return -1;
	}
	/* the base header in one read: every sender sends at least that */
	n = recv_part(sock, &w, sizeof(w), 0, &fd, &extra, &flags);
	if (n < 0) {
		err = (int)-n;	/* EAGAIN: nothing was consumed */
		goto out_err;
	}
	if (flags & MSG_CTRUNC) {
		err = EPROTO;	/* fds were lost in the kernel */
		goto out_err;
	}
	if (extra) {
		err = EPROTO;	/* more than one fd for one header */
		goto out_err;
	}
	if (n == 0) {
		/*
		 * peer closed: at a message boundary that is a clean end
		 * (EPIPE); with an fd, an empty record is not a header
		 */
		err = fd >= 0 ? EBADMSG : EPIPE;
		goto out_err;
	}
	if ((size_t)n < sizeof(w)) {
		/*
		 * Short: the rest of a stream header is on its way; a record
		 * (SOCK_SEQPACKET) is whole, and a short one is no header.
		 * Only this rare path asks the socket type.
		 */
		int stream = is_stream(sock);

		if (stream <= 0) {
			err = stream < 0 ? -stream : EBADMSG;
			goto out_err;
		}
		deadline = now_ms() + P2PBUF_FD_WAIT_MS;
		err = -recv_rest(sock, (unsigned char *)&w, sizeof(w), n,
				 deadline, &fd, &extra);
		if (err)
			goto out_err;
	}
	len = le16toh(w.len);
	version = le16toh(w.version);
	if (le32toh(w.magic) != WIRE_MAGIC || len < WIRE_BASE_LEN ||
	    len > WIRE_MAX_LEN || !version) {
		err = EBADMSG;
		goto out_err;
	}
	if (flags & MSG_TRUNC) {
		/*
		 * A record longer than the base header: the kernel dropped
		 * its tail. Fine for a newer sender's longer header; a record
		 * longer than the header it carries is not one header.
		 */
		if (len == WIRE_BASE_LEN) {
			err = EBADMSG;
			goto out_err;
		}
	} else if (len > WIRE_BASE_LEN) {
		/* a newer sender's fields, on a stream: read and skip them */
		if (!deadline)
			deadline = now_ms() + P2PBUF_FD_WAIT_MS;
		err = -skip_rest(sock, len - WIRE_BASE_LEN, deadline, &fd,
				 &extra);
		if (err)
			goto out_err;
	}
	if (version != WIRE_VERSION) {
		err = EPROTONOSUPPORT;	/* skipped, the next one is intact */
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
		meta->comp_mask = P2PBUF_FD_META_HDR_LEN;
		meta->hdr_len = len;
	}
	return fd;

out_err:
	if (fd >= 0)
		close(fd);
	errno = err;
	return -1;
}
