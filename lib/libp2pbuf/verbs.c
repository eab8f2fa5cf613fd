// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ibv_reg_dmabuf_mr() for dma-bufs, p2pbuf's or any other exporter's.
 *
 * The helpers take ibv_reg_dmabuf_mr()'s arguments in its order (pd,
 * offset, length, iova, fd, access). As rdma-core documents them: @offset
 * is the byte offset of the MR's first byte within the dma-buf (not within
 * the BAR or the provider region), @iova the address the MR is accessed at
 * through its lkey/rkey (commonly equal to @offset), with offset % page
 * size == iova % page size, which rdma-core requires: the helpers fail with
 * EINVAL otherwise. They check offset + length against the dma-buf size
 * (lseek), and turn a device that cannot do dma-buf MRs into EOPNOTSUPP
 * with a message naming the RDMA device and the exporter.
 *
 * p2pbuf_ibv_dmabuf_supported() is NCCL's probe: ibv_reg_dmabuf_mr() with
 * fd -1 fails with EOPNOTSUPP or EPROTONOSUPPORT where the device (or the
 * library or kernel under it) has no dma-buf MRs, and with EBADF where it
 * has them and only the fd is wrong.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <p2pbuf/verbs.h>

P2PBUF_EXPORT int p2pbuf_ibv_dmabuf_supported(struct ibv_pd *pd)
{
	struct ibv_mr *mr;

	if (!pd)
		return -EINVAL;
	errno = 0;
	mr = ibv_reg_dmabuf_mr(pd, 0, 0, 0, -1, 0);
	if (mr) {
		/* no device registers fd -1; one that did can do dma-bufs */
		ibv_dereg_mr(mr);
		return 1;
	}
	switch (errno) {
	case EBADF:
		return 1;
	case EOPNOTSUPP:
	case EPROTONOSUPPORT:
		return 0;	/* errno stays as the device said */
	default:
		return errno ? -errno : -EIO;
	}
}

static const char *dev_name(struct ibv_pd *pd)
{
	return pd && pd->context && pd->context->device ?
	       ibv_get_device_name(pd->context->device) : "?";
}

static int unsupported(int err)
{
	return err == EOPNOTSUPP || err == ENOSYS || err == ENOTSUP ||
	       err == EPROTONOSUPPORT || err == 524 /* ENOTSUPP */;
}

/*
 * Validates a registration of [offset, offset + length) of @fd, before any
 * device is asked: 0, or a negative errno with @msg filled. @what names the
 * exporter for later messages.
 */
static int check_range(int fd, uint64_t offset, size_t length, uint64_t iova,
		       char *what, size_t what_len, char *msg, size_t msg_len)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct p2pbuf_buf b;
	int err;

	if (fd < 0 || !length) {
		if (msg)
			snprintf(msg, msg_len, "%s", fd < 0 ? "no fd" : "length 0");
		return -EINVAL;
	}
	err = p2pbuf_query(NULL, fd, &b);
	if (err) {
		if (msg)
			snprintf(msg, msg_len, "fd %d: %s", fd, strerror(-err));
		return err;
	}
	if (b.flags & P2PBUF_BUF_OURS)
		snprintf(what, what_len, "p2pbuf provider %u (%s)",
			 b.provider_id, b.provider_name);
	else if (b.exporter[0])
		snprintf(what, what_len, "a %s dma-buf", b.exporter);
	else
		snprintf(what, what_len, "fd %d", fd);
	if (offset > b.size || length > b.size - offset) {
		if (msg)
			snprintf(msg, msg_len,
				 "offset %#llx + length %#zx is outside the %llu-byte dma-buf",
				 (unsigned long long)offset, length,
				 (unsigned long long)b.size);
		return -EINVAL;
	}
	/* rdma-core: iova must have the same offset within a page as offset */
	if ((offset % pg) != (iova % pg)) {
		if (msg)
			snprintf(msg, msg_len,
				 "offset %#llx and iova %#llx differ within a page (offset %% page size must equal iova %% page size)",
				 (unsigned long long)offset,
				 (unsigned long long)iova);
		return -EINVAL;
	}
	return 0;
}

static void reg_failed(struct ibv_pd *pd, int err, const char *what,
		       char *msg, size_t msg_len)
{
	if (!msg)
		return;
	if (unsupported(err))
		snprintf(msg, msg_len,
			 "RDMA device %s cannot register dma-buf MRs (%s); cannot reach %s",
			 dev_name(pd), strerror(err), what);
	else
		snprintf(msg, msg_len, "ibv_reg_dmabuf_mr on %s for %s failed: %s",
			 dev_name(pd), what, strerror(err));
}

P2PBUF_EXPORT struct ibv_mr *
p2pbuf_ibv_reg_dmabuf_mr(struct ibv_pd *pd, uint64_t offset, size_t length,
			 uint64_t iova, int fd, int access,
			 char *msg, size_t msg_len)
{
	char what[96];
	struct ibv_mr *mr;
	int err;

	if (msg && msg_len)
		msg[0] = '\0';
	if (!pd) {
		errno = EINVAL;
		return NULL;
	}
	err = check_range(fd, offset, length, iova, what, sizeof(what), msg,
			  msg_len);
	if (err) {
		errno = -err;
		return NULL;
	}
	mr = ibv_reg_dmabuf_mr(pd, offset, length, iova, fd, access);
	if (mr)
		return mr;
	err = errno;
	reg_failed(pd, err, what, msg, msg_len);
	errno = unsupported(err) ? EOPNOTSUPP : err;
	return NULL;
}

P2PBUF_EXPORT int
p2pbuf_ibv_reg_dmabuf_mr_split(struct ibv_pd *pd, uint64_t offset,
			       size_t length, uint64_t iova, int fd, int access,
			       uint64_t max_len, struct ibv_mr **mrs, int nmrs,
			       char *msg, size_t msg_len)
{
	long pg = sysconf(_SC_PAGESIZE);
	char what[96];
	uint64_t need;
	int i, err;

	if (msg && msg_len)
		msg[0] = '\0';
	if (!pd || !mrs || nmrs <= 0)
		return -EINVAL;
	if (!max_len) {
		struct ibv_device_attr attr;

		err = ibv_query_device(pd->context, &attr);
		if (err) {
			if (msg)
				snprintf(msg, msg_len,
					 "ibv_query_device on %s: %s",
					 dev_name(pd), strerror(err));
			return -err;
		}
		max_len = attr.max_mr_size;
	}
	max_len &= ~(uint64_t)(pg - 1);	/* pieces keep iova's page offset */
	if (!max_len) {
		if (msg)
			snprintf(msg, msg_len, "largest MR under a page");
		return -EINVAL;
	}
	err = check_range(fd, offset, length, iova, what, sizeof(what), msg,
			  msg_len);
	if (err)
		return err;
	need = (length - 1) / max_len + 1;
	if (need > (uint64_t)nmrs) {
		if (msg)
			snprintf(msg, msg_len,
				 "%zu bytes in MRs of at most %#llx need %llu MRs, room for %d",
				 length, (unsigned long long)max_len,
				 (unsigned long long)need, nmrs);
		return -ENOSPC;
	}
	for (i = 0; (uint64_t)i < need; i++) {
		uint64_t at = (uint64_t)i * max_len;
		size_t len = length - at < max_len ? length - at : max_len;

		mrs[i] = ibv_reg_dmabuf_mr(pd, offset + at, len, iova + at, fd,
					   access);
		if (!mrs[i]) {
			err = errno;
			reg_failed(pd, err, what, msg, msg_len);
			while (i--) {
				ibv_dereg_mr(mrs[i]);
				mrs[i] = NULL;
			}
			return -(unsupported(err) ? EOPNOTSUPP : err);
		}
	}
	return (int)need;
}
