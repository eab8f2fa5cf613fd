// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Context, buffers and paths: thin, checked wrappers around the /dev/p2pbuf
 * ioctls of <linux/p2pbuf.h>. The provider listing is providers.c.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <linux/p2pbuf.h>

#include "private.h"

#define EAGAIN_RETRIES	1000

/* the library's direction bits are the kernel's */
_Static_assert(P2PBUF_PATH_F_READ == P2PBUF_PATH_READ &&
	       P2PBUF_PATH_F_WRITE == P2PBUF_PATH_WRITE, "direction bits");

P2PBUF_HIDDEN int p2pbuf_xioctl(int fd, unsigned long req, void *arg)
{
	int tries = 0;

	for (;;) {
		if (ioctl(fd, req, arg) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN && ++tries < EAGAIN_RETRIES) {
			struct timespec ts = { 0, 1000 * 1000 };

			nanosleep(&ts, NULL);
			continue;
		}
		return -errno;
	}
}

static void copy_str(char *dst, size_t dlen, const char *src, size_t slen)
{
	size_t n = strnlen(src, slen);

	if (n >= dlen)
		n = dlen - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

P2PBUF_EXPORT struct p2pbuf_ctx *p2pbuf_open(const char *path)
{
	struct p2pbuf_ctx *ctx;

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return NULL;
	if (!path)
		path = P2PBUF_DEFAULT_DEV;
	ctx->fd = open(path, O_RDWR | O_CLOEXEC);
	/* who may not allocate may still ask: read-only answers queries */
	if (ctx->fd < 0 && (errno == EACCES || errno == EPERM ||
			    errno == EROFS))
		ctx->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ctx->fd < 0) {
		int err = errno;

		free(ctx);
		errno = err;
		return NULL;
	}
	return ctx;
}

P2PBUF_EXPORT int p2pbuf_close(struct p2pbuf_ctx *ctx)
{
	int ret = 0;

	if (!ctx)
		return 0;
	if (close(ctx->fd))
		ret = -errno;
	free(ctx);
	return ret;
}

P2PBUF_EXPORT int p2pbuf_ctx_fd(const struct p2pbuf_ctx *ctx)
{
	if (!ctx) {
		errno = EINVAL;
		return -1;
	}
	return ctx->fd;
}

P2PBUF_EXPORT int p2pbuf_alloc(struct p2pbuf_ctx *ctx, uint32_t provider_id,
			       uint64_t size, uint32_t flags,
			       struct p2pbuf_buf *buf)
{
	struct p2pbuf_alloc a;
	int ret;

	if (!ctx || !size ||
	    (flags & ~(P2PBUF_F_CLOEXEC | P2PBUF_F_RDWR |
		       P2PBUF_F_FIXED_OFFSET))) {
		errno = EINVAL;
		return -1;
	}
	memset(&a, 0, sizeof(a));
	a.size = size;
	a.provider_id = provider_id;
	if (flags & P2PBUF_F_CLOEXEC)
		a.flags |= P2PBUF_ALLOC_CLOEXEC;
	if (flags & P2PBUF_F_RDWR)
		a.flags |= P2PBUF_ALLOC_RDWR;
	if (flags & P2PBUF_F_FIXED_OFFSET) {
		a.flags |= P2PBUF_ALLOC_FIXED_OFFSET;
		a.offset = buf ? buf->offset : 0;
	}
	ret = p2pbuf_xioctl(ctx->fd, P2PBUF_IOC_ALLOC, &a);
	if (ret) {
		errno = -ret;
		return -1;
	}
	if (buf) {
		memset(buf, 0, sizeof(*buf));
		buf->fd = a.fd;
		buf->flags = P2PBUF_BUF_OURS | P2PBUF_BUF_IS_DMABUF;
		buf->size = a.size;
		buf->offset = a.offset;
		buf->bus_addr = a.bus_addr;
		buf->provider_id = provider_id;
		strcpy(buf->exporter, "p2pbuf");
	}
	return a.fd;
}

/* exp_name of a dma-buf from /proc/self/fdinfo; 0 if found */
static int fdinfo_exporter(int fd, char *name, size_t len)
{
	char path[64], line[256];
	int found = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "exp_name:", 9)) {
			char *p = line + 9;

			p += strspn(p, " \t");
			p[strcspn(p, "\n")] = '\0';
			copy_str(name, len, p, strlen(p));
			found = 0;
			break;
		}
	}
	fclose(f);
	return found;
}

/*
 * The size of whatever fd this is, without moving its file position (the
 * fd may be shared with another process, or be another process's, taken
 * with pidfd_getfd): a regular file by fstat, a block device by
 * BLKGETSIZE64, a dma-buf by lseek(SEEK_END), which dma-buf answers with
 * its size and no position change. Anything else has no size: -ESPIPE.
 */
static int fd_size(int fd, int is_dmabuf, uint64_t *size)
{
	struct stat sb;
	off_t end;

	if (fstat(fd, &sb))
		return -errno;
	if (S_ISREG(sb.st_mode)) {
		*size = sb.st_size;
		return 0;
	}
	if (S_ISBLK(sb.st_mode))
		return ioctl(fd, BLKGETSIZE64, size) ? -errno : 0;
	if (!is_dmabuf)
		return -ESPIPE;
	end = lseek(fd, 0, SEEK_END);
	if (end < 0)
		return -errno;
	*size = end;
	return 0;
}

P2PBUF_EXPORT int p2pbuf_query(struct p2pbuf_ctx *ctx, int fd,
			       struct p2pbuf_buf *buf)
{
	struct p2pbuf_buf_info bi;
	struct p2pbuf_ctx *own = NULL;
	uint64_t size = 0;
	int ret;

	if (fd < 0 || !buf)
		return -EINVAL;
	memset(buf, 0, sizeof(*buf));
	buf->fd = fd;
	if (!fdinfo_exporter(fd, buf->exporter, sizeof(buf->exporter)))
		buf->flags |= P2PBUF_BUF_IS_DMABUF;
	ret = fd_size(fd, buf->flags & P2PBUF_BUF_IS_DMABUF, &size);
	if (ret)
		return ret;
	buf->size = size;

	if (!ctx) {
		own = p2pbuf_open(NULL);
		ctx = own;
	}
	if (!ctx)
		return 0;	/* no p2pbuf here: size is all we know */

	memset(&bi, 0, sizeof(bi));
	bi.fd = fd;
	ret = p2pbuf_xioctl(ctx->fd, P2PBUF_IOC_BUF_INFO, &bi);
	p2pbuf_close(own);
	/*
	 * EINVAL/EBADF: not one of ours; ENOTTY from an older module or a
	 * context that is not p2pbuf's, anything else: we cannot say it is
	 * ours. The size stands either way.
	 */
	if (ret)
		return 0;
	buf->flags |= P2PBUF_BUF_OURS;
	if (bi.flags & P2PBUF_BUF_REVOKED)
		buf->flags |= P2PBUF_BUF_IS_REVOKED;
	buf->size = bi.size;
	buf->offset = bi.offset;
	buf->bar_offset = bi.bar_offset;
	buf->bus_addr = bi.bus_addr;
	buf->provider_id = bi.provider_id;
	buf->kind = bi.kind;
	buf->attachments = bi.attachments;
	copy_str(buf->provider_name, sizeof(buf->provider_name),
		 bi.provider_name, sizeof(bi.provider_name));
	copy_str(buf->last_refusal, sizeof(buf->last_refusal),
		 bi.last_refusal, sizeof(bi.last_refusal));
	return 0;
}

/* P2PBUF_IOC_PATH, as asked in @p, into @info */
static int path_ask(struct p2pbuf_ctx *ctx, struct p2pbuf_path *p,
		    struct p2pbuf_path_info *info)
{
	int ret;

	ret = p2pbuf_xioctl(ctx->fd, P2PBUF_IOC_PATH, p);
	if (ret)
		return ret;
	memset(info, 0, sizeof(*info));
	info->provider_id = p->provider_id;
	info->provider_bdf = p->provider_bdf;
	info->client = p->client;
	info->map_type = p->map_type;
	info->reason = p->reason;
	info->distance = p->distance;
	info->via = p->via;
	info->via_id = p->via_id;
	info->dirs = p->dirs & (P2PBUF_PATH_F_READ | P2PBUF_PATH_F_WRITE);
	/* an older kernel leaves dirs zero: an allowed path with none */
	if (p->map_type == P2PBUF_MAP_NOT_SUPPORTED || info->dirs)
		info->comp_mask |= P2PBUF_PATH_INFO_DIRS;
	copy_str(info->reason_str, sizeof(info->reason_str), p->reason_str,
		 sizeof(p->reason_str));
	return 0;
}

P2PBUF_EXPORT int p2pbuf_path(struct p2pbuf_ctx *ctx, uint32_t provider_id,
			      uint32_t client_bdf,
			      struct p2pbuf_path_info *info)
{
	struct p2pbuf_path p;
	int ret;

	if (!ctx || !info)
		return -EINVAL;
	memset(&p, 0, sizeof(p));
	p.provider_id = provider_id;
	p.client = client_bdf;
	ret = path_ask(ctx, &p, info);
	if (ret)
		return ret;
	/* asked by id: the caller has the address from the provider list */
	info->provider_bdf = P2PBUF_BDF_NONE;
	return 0;
}

/*
 * Any two PCI devices, the first named by address (P2PBUF_PATH_BY_BDF),
 * provider or not; flags: P2PBUF_PATH_F_READ/WRITE, none for any direction.
 */
P2PBUF_EXPORT int p2pbuf_path_bdf(struct p2pbuf_ctx *ctx,
				  uint32_t provider_bdf, uint32_t client_bdf,
				  uint32_t flags,
				  struct p2pbuf_path_info *info)
{
	struct p2pbuf_path p;

	if (!ctx || !info ||
	    (flags & ~(P2PBUF_PATH_F_READ | P2PBUF_PATH_F_WRITE)))
		return -EINVAL;
	memset(&p, 0, sizeof(p));
	p.flags = P2PBUF_PATH_BY_BDF |
		  (flags & P2PBUF_PATH_F_READ ? P2PBUF_PATH_READ : 0) |
		  (flags & P2PBUF_PATH_F_WRITE ? P2PBUF_PATH_WRITE : 0);
	p.provider_bdf = provider_bdf;
	p.client = client_bdf;
	return path_ask(ctx, &p, info);
}

/* 1: reachable, 0: not (why says so), < 0: error */
P2PBUF_EXPORT int p2pbuf_can_reach(struct p2pbuf_ctx *ctx,
				   uint32_t provider_id, uint32_t client_bdf,
				   char *why, size_t why_len)
{
	struct p2pbuf_path_info pi;
	int ret;

	ret = p2pbuf_path(ctx, provider_id, client_bdf, &pi);
	if (ret)
		return ret;
	if (why && why_len) {
		if (pi.reason_str[0])
			snprintf(why, why_len, "%s", pi.reason_str);
		else
			snprintf(why, why_len, "%s",
				 p2pbuf_reason_str(pi.reason));
	}
	return pi.map_type != P2PBUF_MAP_NOT_SUPPORTED;
}

static uint32_t rand_u32(void)
{
	uint32_t r;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (uint32_t)time(NULL) ^ (uint32_t)getpid();
	return r;
}

/*
 * As pci_p2pmem_find_many(): the provider with the smallest total distance
 * to all clients wins; providers that any client cannot reach are skipped;
 * ties are broken at random (reservoir sampling over the closest).
 */
P2PBUF_EXPORT int p2pbuf_pick_provider(struct p2pbuf_ctx *ctx,
				       const uint32_t *clients, int nclients,
				       uint64_t min_free,
				       uint32_t *provider_id)
{
	struct p2pbuf_provider *list;
	long best = -1;
	int n, i, c, ties = 0, ret;

	if (!ctx || !provider_id || nclients < 0 || (nclients && !clients))
		return -EINVAL;
	list = p2pbuf_get_providers(ctx, &n);
	if (!list)
		return -errno;
	for (i = 0; i < n; i++) {
		long total = 0;

		if (!(list[i].flags & P2PBUF_PROV_AVAILABLE) ||
		    list[i].free < min_free)
			continue;
		for (c = 0; c < nclients; c++) {
			struct p2pbuf_path_info pi;

			ret = p2pbuf_path(ctx, list[i].id, clients[c], &pi);
			if (ret || pi.map_type == P2PBUF_MAP_NOT_SUPPORTED ||
			    pi.distance < 0) {
				total = -1;
				break;
			}
			total += pi.distance;
		}
		if (total < 0)
			continue;
		if (best < 0 || total < best) {
			best = total;
			ties = 1;
			*provider_id = list[i].id;
		} else if (total == best) {
			ties++;
			if (rand_u32() % ties == 0)
				*provider_id = list[i].id;
		}
	}
	p2pbuf_free_providers(list);
	return best < 0 ? -ENODEV : 0;
}

P2PBUF_EXPORT const char *p2pbuf_map_type_str(uint32_t map_type)
{
	switch (map_type) {
	case P2PBUF_MAP_NOT_SUPPORTED:
		return "refused";
	case P2PBUF_MAP_BUS_ADDR:
		return "bus address";
	case P2PBUF_MAP_THRU_HOST_BRIDGE:
		return "through host bridge";
	default:
		return "unknown";
	}
}

P2PBUF_EXPORT const char *p2pbuf_reason_str(uint32_t reason)
{
	static const char *const names[] = {
		[P2PBUF_REASON_OK] = "ok",
		[P2PBUF_REASON_NOT_PCI] = "importer is not a PCI device",
		[P2PBUF_REASON_NO_PEER2PEER] = "importer did not set allow_peer2peer",
		[P2PBUF_REASON_NO_COMMON_ROOT] = "devices are in different PCI domains",
		[P2PBUF_REASON_ACS_REDIRECT] = "ACS redirect on a bridge on the path",
		[P2PBUF_REASON_HOST_BRIDGE_NOT_ALLOWED] = "crosses a host bridge with no allow rule",
		[P2PBUF_REASON_DENIED] = "a deny rule matches a bridge on the path",
		[P2PBUF_REASON_REVOKED] = "provider is gone",
		[P2PBUF_REASON_DIRECTION] = "allow rule does not cover this direction",
		[P2PBUF_REASON_DMA_MASK] = "buffer's bus addresses are beyond the importer's DMA mask",
		[P2PBUF_REASON_ACS_UNKNOWN] = "ACS state unreadable; run as root or load p2pbuf to know",
	};

	if (reason < sizeof(names) / sizeof(names[0]) && names[reason])
		return names[reason];
	return "unknown reason";
}

/* hex digits only, at most max of them; returns chars used or -1 */
static int hexfield(const char *s, int max, unsigned int *v)
{
	int n = 0;

	*v = 0;
	while (n < max && isxdigit((unsigned char)s[n])) {
		char c = s[n];

		*v = *v * 16 + (isdigit((unsigned char)c) ? c - '0' :
				(tolower((unsigned char)c) - 'a' + 10));
		n++;
	}
	return n ? n : -1;
}

/* "0000:03:00.0" or "03:00.0", nothing before or after */
P2PBUF_EXPORT int p2pbuf_parse_bdf(const char *str, uint32_t *bdf)
{
	unsigned int f[4];
	const char *p;
	int i, n, nf;

	if (!str || !bdf)
		return -EINVAL;
	nf = strchr(str, ':') != strrchr(str, ':') ? 4 : 3;
	for (p = str, i = 4 - nf; i < 4; i++) {
		static const int width[] = { 4, 2, 2, 1 };
		static const char sep[] = { ':', ':', '.', '\0' };

		n = hexfield(p, width[i], &f[i]);
		if (n < 0 || p[n] != sep[i])
			return -EINVAL;
		p += n + (sep[i] ? 1 : 0);
	}
	if (nf == 3)
		f[0] = 0;
	if (f[2] > 0x1f || f[3] > 7)
		return -EINVAL;
	*bdf = P2PBUF_BDF(f[0], f[1], (f[2] << 3) | f[3]);
	return 0;
}

P2PBUF_EXPORT char *p2pbuf_format_bdf(uint32_t bdf, char *buf, size_t len)
{
	if (!buf || len < 13) {
		errno = EINVAL;
		return NULL;
	}
	snprintf(buf, len, "%04x:%02x:%02x.%x", bdf >> 16, (bdf >> 8) & 0xff,
		 (bdf >> 3) & 0x1f, bdf & 7);
	return buf;
}
