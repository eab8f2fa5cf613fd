/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libp2pbuf-drm: import a p2pbuf dma-buf into a DRM device (PRIME).
 * A separate library (link with -lp2pbuf-drm, pkg-config libp2pbuf-drm)
 * so that the core never depends on libdrm.
 */
#ifndef P2PBUF_DRM_H
#define P2PBUF_DRM_H

#include <stddef.h>
#include <stdint.h>
#include <p2pbuf/p2pbuf.h>

#ifdef __cplusplus
extern "C" {
#endif

P2PBUF_EXPORT int p2pbuf_drm_import(int drm_fd, int dmabuf_fd,
				    uint32_t *handle, char *msg,
				    size_t msg_len);

#ifdef __cplusplus
}
#endif
#endif
