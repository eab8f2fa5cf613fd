/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* Helpers of the fd-passing host tests: raw headers and messages. */
#ifndef P2PBUF_TEST_FDPASS_H
#define P2PBUF_TEST_FDPASS_H
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#define HDR 48

/* a valid header, as the library writes it (little endian host assumed) */
static inline void make_hdr(unsigned char *h, uint64_t tag)
{
	memset(h, 0, HDR);
	memcpy(h, "P2PB", 4);
	h[4] = 1;
	h[6] = HDR;
	memcpy(h + 32, &tag, 8);
}

static inline ssize_t send_raw(int s, const void *p, size_t len, const int *fds,
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

static inline int pair(int type, int sv[2])
{
	return socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv);
}
#endif
