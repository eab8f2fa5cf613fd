/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
#ifndef P2PBUF_PRIVATE_H
#define P2PBUF_PRIVATE_H

#include <p2pbuf/p2pbuf.h>

struct p2pbuf_ctx {
	int fd;
};

int p2pbuf_xioctl(int fd, unsigned long req, void *arg);

#define P2PBUF_HIDDEN __attribute__((visibility("hidden")))

#endif
