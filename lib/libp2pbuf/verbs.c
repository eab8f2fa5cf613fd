// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ibv_reg_dmabuf_mr() for p2pbuf buffers.
 *
 * As rdma-core documents it: @offset is the byte offset of the MR's first
 * byte within the dma-buf (not within the BAR or the provider region),
 * @iova the address the MR is accessed at through this MR's lkey/rkey
 * (commonly equal to @offset, or any virtual address the application
 * chooses), with offset % page size == iova % page size, which rdma-core
 * requires: the helper fails with EINVAL otherwise.
 * The helper checks offset + length against the dma-buf size (lseek), and
 * turns a device that cannot do dma-buf MRs into EOPNOTSUPP with a message
 * naming the RDMA device and the provider.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <p2pbuf/verbs.h>

P2PBUF_EXPORT struct ibv_mr *
p2pbuf_ibv_reg_dmabuf_mr(struct ibv_pd *pd, int fd, uint64_t offset,
			 size_t length, uint64_t iova, int access,
			 char *msg, size_t msg_len)
{
	const char *dev = pd && pd->context && pd->context->device ?
			  ibv_get_device_name(pd->context->device) : "?";
	char prov[64] = "a non-p2pbuf dma-buf";
	struct p2pbuf_buf b;
	struct ibv_mr *mr;
	long pg = sysconf(_SC_PAGESIZE);
	int err;

	if (msg && msg_len)
		msg[0] = '\0';
	if (!pd || fd < 0 || !length) {
		errno = EINVAL;
		return NULL;
	}
	err = p2pbuf_query(NULL, fd, &b);
	if (err) {
		if (msg)
			snprintf(msg, msg_len, "fd %d is not a dma-buf: %s",
				 fd, strerror(-err));
		errno = -err;
		return NULL;
	}
	if (b.flags & P2PBUF_BUF_OURS)
		snprintf(prov, sizeof(prov), "p2pbuf provider %u (%s)",
			 b.provider_id, b.provider_name);
	if (offset > b.size || length > b.size - offset) {
		if (msg)
			snprintf(msg, msg_len,
				 "offset %#llx + length %#zx is outside the %llu-byte dma-buf",
				 (unsigned long long)offset, length,
				 (unsigned long long)b.size);
		errno = EINVAL;
		return NULL;
	}
	/* rdma-core: iova must have the same offset within a page as offset */
	if ((offset % pg) != (iova % pg)) {
		if (msg)
			snprintf(msg, msg_len,
				 "offset %#llx and iova %#llx differ within a page (offset %% page size must equal iova %% page size)",
				 (unsigned long long)offset,
				 (unsigned long long)iova);
		errno = EINVAL;
		return NULL;
	}

	mr = ibv_reg_dmabuf_mr(pd, offset, length, iova, fd, access);
	if (mr)
		return mr;
	err = errno;
	if (err == EOPNOTSUPP || err == ENOSYS || err == ENOTSUP ||
	    err == EPROTONOSUPPORT || err == 524 /* ENOTSUPP */) {
		if (msg)
			snprintf(msg, msg_len,
				 "RDMA device %s cannot register dma-buf MRs (%s); cannot reach %s",
				 dev, strerror(err), prov);
		errno = EOPNOTSUPP;
		return NULL;
	}
	if (msg)
		snprintf(msg, msg_len,
			 "ibv_reg_dmabuf_mr on %s for %s failed: %s", dev, prov,
			 strerror(err));
	errno = err;
	return NULL;
}
