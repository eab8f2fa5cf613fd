// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * PRIME import of a p2pbuf dma-buf into a DRM device over libdrm's
 * drmPrimeFDToHandle(). The DRM driver decides whether it can reach the
 * BAR memory (it attaches with allow_peer2peer or not); a refusal comes
 * back with the kernel's reason, which p2pbuf records for the buffer and
 * this helper copies into @msg.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <xf86drm.h>

#include <p2pbuf/drm.h>

P2PBUF_EXPORT int p2pbuf_drm_import(int drm_fd, int dmabuf_fd,
				    uint32_t *handle, char *msg,
				    size_t msg_len)
{
	drmVersionPtr v;
	char drv[32] = "?";
	struct p2pbuf_buf b;
	int ret, err;

	if (msg && msg_len)
		msg[0] = '\0';
	if (drm_fd < 0 || dmabuf_fd < 0 || !handle)
		return -EINVAL;
	v = drmGetVersion(drm_fd);
	if (v) {
		snprintf(drv, sizeof(drv), "%s", v->name);
		drmFreeVersion(v);
	}
	ret = drmPrimeFDToHandle(drm_fd, dmabuf_fd, handle);
	if (!ret)
		return 0;
	err = errno ? errno : EINVAL;
	if (msg) {
		if (!p2pbuf_query(NULL, dmabuf_fd, &b) &&
		    (b.flags & P2PBUF_BUF_OURS) && b.last_refusal[0])
			snprintf(msg, msg_len, "DRM driver %s refused %s: %s",
				 drv, b.provider_name, b.last_refusal);
		else
			snprintf(msg, msg_len, "DRM driver %s import failed: %s",
				 drv, strerror(err));
	}
	return -err;
}
