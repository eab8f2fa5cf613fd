// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * O_DIRECT I/O between a file (or block device) and a mapping of a P2P
 * buffer. When the kernel refuses the direct path (EREMOTEIO from a block
 * device that cannot reach the provider, EFAULT for page-less BAR memory or
 * a kernel without CONFIG_PCI_P2PDMA, EINVAL/EOPNOTSUPP from a driver
 * without P2P support), the chunk moves through a system-memory bounce
 * buffer instead. Every bounced byte is counted in the stats and the first
 * refusal is kept with its reason: the fallback is never silent, and
 * P2PBUF_COPY_NO_BOUNCE turns it off.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "private.h"

#define CHUNK		(1024 * 1024)
#define DIO_ALIGN	4096

static int is_refusal(int err)
{
	switch (err) {
	case EREMOTEIO:
	case EFAULT:
	case EINVAL:
	case EOPNOTSUPP:
	case 524:	/* kernel ENOTSUPP leaking out of a driver */
		return 1;
	default:
		return 0;
	}
}

static const char *refusal_why(int err)
{
	switch (err) {
	case EREMOTEIO:
		return "the device cannot reach the P2P memory (no common upstream bridge or allowed host bridge)";
	case EFAULT:
		return "the kernel cannot pin the mapping for O_DIRECT (page-less BAR memory, or CONFIG_PCI_P2PDMA off)";
	case EINVAL:
		return "the device or filesystem refused the P2P pages for O_DIRECT";
	default:
		return "the device does not support P2P DMA";
	}
}

static void note_refusal(struct p2pbuf_copy_stats *st, int err,
			 const char *why)
{
	st->bounce_events++;
	if (!st->first_refusal) {
		st->first_refusal = err;
		snprintf(st->why, sizeof(st->why), "%s", why);
	}
}

/*
 * The buffer's size: a dma-buf answers lseek(SEEK_END) without moving any
 * file position; anything else (a memfd standing in for one) by fstat.
 */
static int buf_size(int fd, uint64_t *size)
{
	struct stat sb;
	off_t end;

	if (fstat(fd, &sb))
		return -errno;
	if (S_ISREG(sb.st_mode)) {
		*size = sb.st_size;
		return 0;
	}
	end = lseek(fd, 0, SEEK_END);
	if (end < 0)
		return -errno;
	*size = end;
	return 0;
}

/* one chunk through the bounce buffer; returns bytes moved or -errno */
static ssize_t bounce_chunk(int file_fd, uint64_t file_off, char *map,
			    size_t len, int dir, char *bounce, int *dio_off)
{
	size_t alen = (len + DIO_ALIGN - 1) & ~(size_t)(DIO_ALIGN - 1);
	ssize_t n;

	for (;;) {
		if (dir == P2PBUF_COPY_TO_BUF) {
			n = pread(file_fd, bounce, *dio_off ? len : alen,
				  file_off);
			if (n > (ssize_t)len)
				n = len;
			if (n > 0)
				memcpy(map, bounce, n);
		} else {
			memcpy(bounce, map, len);
			n = pwrite(file_fd, bounce, len, file_off);
		}
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == EINVAL && !*dio_off) {
			/* unaligned for O_DIRECT: go buffered for the rest */
			int fl = fcntl(file_fd, F_GETFL);

			if (fl >= 0 && !fcntl(file_fd, F_SETFL, fl & ~O_DIRECT)) {
				*dio_off = 1;
				continue;
			}
		}
		return -errno;
	}
}

P2PBUF_EXPORT int p2pbuf_copy(int file_fd, uint64_t file_off, int buf_fd,
			      uint64_t buf_off, uint64_t len, uint32_t flags,
			      struct p2pbuf_copy_stats *stats,
			      p2pbuf_progress_fn progress, void *arg)
{
	struct p2pbuf_copy_stats local;
	struct p2pbuf_copy_stats *st = stats ? stats : &local;
	int dir = flags & 1, fl, ret = 0, sticky = 0, dio_off = 0;
	long pg = sysconf(_SC_PAGESIZE);
	uint64_t map_start, map_len, size = 0, done = 0;
	char *map, *bounce = NULL;

	memset(st, 0, sizeof(*st));
	if (file_fd < 0 || buf_fd < 0 ||
	    (flags & ~(1U | P2PBUF_COPY_NO_BOUNCE)))
		return -EINVAL;
	if (!len)
		return 0;
	/* the range must fit the buffer and the file, before any mapping */
	if (len > UINT64_MAX - buf_off)
		return -EINVAL;
	ret = buf_size(buf_fd, &size);
	if (ret)
		return ret;
	if (buf_off + len > size)
		return -EINVAL;
	if (file_off > INT64_MAX || len > INT64_MAX - file_off)
		return -EOVERFLOW;

	map_start = buf_off & ~(uint64_t)(pg - 1);
	map_len = buf_off + len - map_start;
	if (map_len > SIZE_MAX)
		return -ENOMEM;
	map = mmap(NULL, map_len,
		   dir == P2PBUF_COPY_TO_BUF ? PROT_READ | PROT_WRITE : PROT_READ,
		   MAP_SHARED, buf_fd, map_start);
	if (map == MAP_FAILED)
		return -errno;

	fl = fcntl(file_fd, F_GETFL);
	if (fl < 0) {
		ret = -errno;
		goto out_unmap;
	}
	if (!(fl & O_DIRECT) && fcntl(file_fd, F_SETFL, fl | O_DIRECT)) {
		/* filesystem without O_DIRECT: every byte bounces, say why */
		note_refusal(st, errno, "the file does not support O_DIRECT");
		sticky = 1;
	}
	if (posix_memalign((void **)&bounce, DIO_ALIGN, CHUNK)) {
		ret = -ENOMEM;
		goto out_flags;
	}

	while (done < len) {
		char *p = map + (buf_off - map_start) + done;
		uint64_t foff = file_off + done;
		size_t n = len - done > CHUNK ? CHUNK : len - done;
		ssize_t r = -1;

		/* O_DIRECT needs aligned I/O: an unaligned tail bounces */
		if (!sticky && (n % 512 || foff % 512 ||
				(uintptr_t)p % 512)) {
			note_refusal(st, EINVAL,
				     "unaligned tail (O_DIRECT needs 512-byte alignment)");
			goto bounce;
		}
		if (!sticky) {
			do {
				r = dir == P2PBUF_COPY_TO_BUF ?
					pread(file_fd, p, n, foff) :
					pwrite(file_fd, p, n, foff);
			} while (r < 0 && errno == EINTR);
			if (r >= 0) {
				st->bytes_direct += r;
				done += r;
				if (r == 0)
					break;	/* end of file */
				goto progress;
			}
			if (!is_refusal(errno)) {
				ret = -errno;
				goto out_free;
			}
			note_refusal(st, errno, refusal_why(errno));
			/* one refusal is the device's answer for the rest */
			sticky = 1;
		}
bounce:
		if (flags & P2PBUF_COPY_NO_BOUNCE) {
			ret = -st->first_refusal;
			goto out_free;
		}
		r = bounce_chunk(file_fd, foff, p, n, dir, bounce, &dio_off);
		if (r < 0) {
			ret = r;
			goto out_free;
		}
		st->bytes_bounced += r;
		done += r;
		if (r == 0)
			break;
progress:
		if (progress && progress(done, len, arg)) {
			ret = -ECANCELED;
			goto out_free;
		}
	}
out_free:
	free(bounce);
out_flags:
	fcntl(file_fd, F_SETFL, fl);
out_unmap:
	munmap(map, map_len);
	return ret;
}
