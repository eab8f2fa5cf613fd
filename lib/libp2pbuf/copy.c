// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * I/O between a file (or block device) and a P2P buffer.
 *
 * First choice: the kernel does it (P2PBUF_IOC_BUF_IO on /dev/p2pbuf), and
 * says how every byte went: device to device into the buffer's P2PDMA
 * pages, or through a bounce buffer, with the reason. The stats are then
 * the kernel's (stats->kernel = 1), never the library's guess.
 *
 * Where the kernel has no such ioctl (an older p2pbuf module) or the fd is
 * not a p2pbuf buffer, the library does the I/O itself through a mapping of
 * the buffer: O_DIRECT into the mapping, and when the kernel refuses that
 * (EREMOTEIO from a block device that cannot reach the provider, EFAULT for
 * page-less BAR memory or a kernel without CONFIG_PCI_P2PDMA, EINVAL or
 * EOPNOTSUPP from a driver without P2P support) the chunk moves through an
 * aligned bounce buffer in system memory, with O_DIRECT where the file
 * takes it (buffered I/O is 25 times slower into RAM here, issue 12) and
 * buffered I/O where it does not, and a copy. Every bounced byte is counted
 * and the first refusal kept with its reason: the fallback is never silent,
 * and P2PBUF_COPY_NO_BOUNCE turns it off.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>
#include <linux/p2pbuf.h>
#include <unistd.h>

#include "private.h"

#define CHUNK		(1024 * 1024)
#define KERNEL_PIECE	(16 * 1024 * 1024)	/* per ioctl, between progress calls */
#define DIO_ALIGN	512	/* when the kernel does not say */
#define BOUNCE_ALIGN	4096

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

/*
 * The file's O_DIRECT alignment: offsets and lengths (offset_align), and
 * the memory address (mem_align). statx(STATX_DIOALIGN) where the kernel
 * and the headers have it, the logical block size for a block device,
 * else 512.
 */
static void dio_align(int fd, size_t *offset_align, size_t *mem_align)
{
	struct stat sb;
	int ss;

	*offset_align = *mem_align = DIO_ALIGN;
#ifdef STATX_DIOALIGN
	{
		struct statx sx;

		if (!statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) &&
		    (sx.stx_mask & STATX_DIOALIGN) && sx.stx_dio_offset_align) {
			*offset_align = sx.stx_dio_offset_align;
			*mem_align = sx.stx_dio_mem_align ?
				     sx.stx_dio_mem_align : *offset_align;
			return;
		}
	}
#endif
	if (!fstat(fd, &sb) && S_ISBLK(sb.st_mode) &&
	    !ioctl(fd, BLKSSZGET, &ss) && ss > 0)
		*offset_align = *mem_align = ss;
}

/*
 * A private open file for the caller's file, with or without O_DIRECT:
 * toggling O_DIRECT with F_SETFL on the caller's own open file would
 * change it for every process sharing it, for the whole copy.
 */
static int reopen(int fd, int fl, int odirect)
{
	char path[40];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, (fl & O_ACCMODE) | O_CLOEXEC |
		    (odirect ? O_DIRECT : 0));
}

static ssize_t xpio(int fd, char *p, size_t len, uint64_t off, int dir)
{
	ssize_t n;

	do {
		n = dir == P2PBUF_COPY_TO_BUF ? pread(fd, p, len, off) :
						pwrite(fd, p, len, off);
	} while (n < 0 && errno == EINTR);
	return n;
}

/* through system memory, with fd (buffered, or O_DIRECT to probe) */
static ssize_t bounce_io(int fd, uint64_t file_off, char *map, size_t len,
			 int dir, char *bounce)
{
	ssize_t n;

	if (dir == P2PBUF_COPY_FROM_BUF)
		memcpy(bounce, map, len);
	n = xpio(fd, bounce, len, file_off, dir);
	if (n > 0 && dir == P2PBUF_COPY_TO_BUF)
		memcpy(map, bounce, n);
	return n < 0 ? -errno : n;
}

/*
 * A bounced piece: O_DIRECT into the aligned bounce buffer (dfd) where the
 * offsets allow and the file has not refused it yet, else buffered (bfd).
 * *no_dio is set once O_DIRECT said EINVAL: buffered from then on.
 */
static ssize_t bounce_piece(int dfd, int bfd, uint64_t foff, char *map,
			    size_t n, int dir, char *bounce, size_t align,
			    int *no_dio)
{
	ssize_t r;

	if (dfd >= 0 && !*no_dio && !(foff % align) && !(n % align)) {
		r = bounce_io(dfd, foff, map, n, dir, bounce);
		if (r != -EINVAL)
			return r;
		*no_dio = 1;
	}
	return bounce_io(bfd, foff, map, n, dir, bounce);
}

/* the kernel's reason (enum p2pbuf_io_why) as an errno and words */
static int kernel_why(uint32_t why, uint32_t refusal, const char **words)
{
	switch (why) {
	case P2PBUF_IO_WHY_PAGELESS:
		*words = "the kernel bounced: the buffer has no P2PDMA pages (page-less BAR, or CONFIG_PCI_P2PDMA off)";
		return EFAULT;
	case P2PBUF_IO_WHY_NOT_BLOCKDEV:
		*words = "the kernel bounced: the file is not a block device";
		return EOPNOTSUPP;
	case P2PBUF_IO_WHY_QUEUE:
		*words = "the kernel bounced: the block device does not take P2PDMA pages";
		return EOPNOTSUPP;
	case P2PBUF_IO_WHY_UNALIGNED:
		*words = "the kernel bounced: offsets or length not aligned to the device's logical block size";
		return EINVAL;
	default:
		*words = "the kernel bounced: the device cannot reach the P2P memory (no common upstream bridge or allowed host bridge)";
		return refusal ? (int)refusal : EREMOTEIO;
	}
}

/*
 * The kernel does the copy. Returns 0 or -errno when it did (all of it, or
 * up to an error), 1 when it cannot (no ioctl, not a p2pbuf buffer) and
 * nothing moved: the caller does it itself.
 */
static int kernel_copy(int file_fd, uint64_t file_off, int buf_fd,
		       uint64_t buf_off, uint64_t len, uint32_t flags,
		       struct p2pbuf_copy_stats *st,
		       p2pbuf_progress_fn progress, void *arg)
{
	uint64_t done = 0, piece, moved;
	struct p2pbuf_buf_io io;
	const char *words;
	int dev, ret = 0, err;

	dev = open("/dev/p2pbuf", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return 1;
	while (done < len) {
		piece = len - done > KERNEL_PIECE ? KERNEL_PIECE : len - done;
		memset(&io, 0, sizeof(io));
		io.buf_fd = buf_fd;
		io.file_fd = file_fd;
		io.flags = ((flags & 1) == P2PBUF_COPY_FROM_BUF ?
			    P2PBUF_IO_TO_FILE : 0) |
			   (flags & P2PBUF_COPY_NO_BOUNCE ?
			    P2PBUF_IO_NO_BOUNCE : 0);
		io.buf_offset = buf_off + done;
		io.file_offset = file_off + done;
		io.length = piece;
		do {
			err = ioctl(dev, P2PBUF_IOC_BUF_IO, &io) ? errno : 0;
		} while (err == EINTR || err == EAGAIN);
		if (err && !done && (err == ENOTTY || err == EINVAL)) {
			/* an older module, or not a p2pbuf buffer */
			close(dev);
			return 1;
		}
		st->kernel = 1;
		if (err) {
			if (flags & P2PBUF_COPY_NO_BOUNCE &&
			    (err == EOPNOTSUPP || err == EREMOTEIO)) {
				/* out fields are not written back on errors */
				note_refusal(st, err, err == EREMOTEIO ?
					     "the kernel refused: the device cannot reach the P2P memory" :
					     "the kernel refused: no direct path for this buffer and file (no P2PDMA pages, or not a P2P-capable block device)");
			}
			ret = -err;
			break;
		}
		st->bytes_direct += io.bytes_direct;
		st->bytes_bounced += io.bytes_bounced;
		if (io.bytes_bounced) {
			err = kernel_why(io.why, io.refusal, &words);
			note_refusal(st, err, words);
		}
		moved = io.bytes_direct + io.bytes_bounced;
		done += moved;
		if (moved < piece) {
			ret = -ENODATA;	/* the file ended first */
			break;
		}
		if (progress && progress(done, len, arg)) {
			ret = -ECANCELED;
			break;
		}
	}
	close(dev);
	return ret;
}

P2PBUF_EXPORT int p2pbuf_copy(int file_fd, uint64_t file_off, int buf_fd,
			      uint64_t buf_off, uint64_t len, uint32_t flags,
			      struct p2pbuf_copy_stats *stats,
			      p2pbuf_progress_fn progress, void *arg)
{
	struct p2pbuf_copy_stats local;
	struct p2pbuf_copy_stats *st = stats ? stats : &local;
	int dir = flags & 1, fl, ret = 0, sticky = 0, pend_err = 0;
	int dfd = -1, bfd = -1, no_dio = 0;
	long pg = sysconf(_SC_PAGESIZE);
	uint64_t map_start, map_len, size = 0, done = 0;
	size_t align, mem_align;
	char *map, *bounce = NULL, pend_why[sizeof(st->why)] = "";

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
	fl = fcntl(file_fd, F_GETFL);
	if (fl < 0)
		return -errno;

	ret = kernel_copy(file_fd, file_off, buf_fd, buf_off, len, flags, st,
			  progress, arg);
	if (ret <= 0)
		return ret;
	ret = 0;

	map_start = buf_off & ~(uint64_t)(pg - 1);
	map_len = buf_off + len - map_start;
	if (map_len > SIZE_MAX)
		return -ENOMEM;
	map = mmap(NULL, map_len,
		   dir == P2PBUF_COPY_TO_BUF ? PROT_READ | PROT_WRITE : PROT_READ,
		   MAP_SHARED, buf_fd, map_start);
	if (map == MAP_FAILED)
		return -errno;

	/* the caller's open file keeps its flags: private ones for us */
	dfd = fl & O_DIRECT ? file_fd : reopen(file_fd, fl, 1);
	if (dfd < 0) {
		/* no O_DIRECT here: every byte bounces, say why (if any does) */
		pend_err = errno;
		snprintf(pend_why, sizeof(pend_why), "%s",
			 errno == EINVAL ? "the file does not support O_DIRECT" :
			 "cannot open the file with O_DIRECT");
		sticky = 1;
	}
	bfd = fl & O_DIRECT ? reopen(file_fd, fl, 0) : file_fd;
	if (bfd < 0) {
		ret = -errno;
		goto out;
	}
	dio_align(dfd >= 0 ? dfd : file_fd, &align, &mem_align);
	if (posix_memalign((void **)&bounce,
			   mem_align > BOUNCE_ALIGN ? mem_align : BOUNCE_ALIGN,
			   CHUNK)) {
		ret = -ENOMEM;
		goto out;
	}

	while (done < len) {
		char *p = map + (buf_off - map_start) + done;
		uint64_t foff = file_off + done;
		size_t n = len - done > CHUNK ? CHUNK : len - done;
		size_t dn = 0;
		ssize_t r;

		/*
		 * O_DIRECT takes the aligned part of the chunk; only what is
		 * left below the alignment (or all of it, if the offsets are
		 * unaligned) goes through the bounce buffer. Alignment is not
		 * a refusal of the P2P memory.
		 */
		if (!sticky && !(foff % align) && !((uintptr_t)p % mem_align))
			dn = n - n % align;
		if (dn) {
			r = xpio(dfd, p, dn, foff, dir);
			if (r > 0) {
				st->bytes_direct += r;
				done += r;
				goto progress;
			}
			if (!r)
				break;	/* end of file */
			if (!is_refusal(errno)) {
				ret = -errno;
				goto out;
			}
			pend_err = errno;
			snprintf(pend_why, sizeof(pend_why), "%s",
				 refusal_why(errno));
			if (pend_err == EINVAL && !(flags & P2PBUF_COPY_NO_BOUNCE)) {
				/*
				 * EINVAL is also O_DIRECT's answer to an
				 * alignment it cannot do: the same I/O from
				 * system memory tells the two apart.
				 */
				r = bounce_io(dfd, foff, p, dn, dir, bounce);
				if (r == -EINVAL) {
					pend_err = 0;	/* misaligned, not refused */
					sticky = 1;
					continue;
				}
				sticky = 1;
				if (r < 0) {
					ret = r;
					goto out;
				}
				if (!r)
					break;
				note_refusal(st, pend_err, pend_why);
				pend_err = 0;
				st->bytes_bounced += r;
				done += r;
				goto progress;
			}
			/* one refusal is the device's answer for the rest */
			sticky = 1;
		}
		if (flags & P2PBUF_COPY_NO_BOUNCE) {
			if (pend_err) {
				note_refusal(st, pend_err, pend_why);
				ret = -pend_err;
			} else {
				ret = -EINVAL;	/* unaligned for O_DIRECT */
			}
			goto out;
		}
		r = bounce_piece(dfd, bfd, foff, p, n, dir, bounce, align,
				 &no_dio);
		if (r < 0) {
			ret = r;
			goto out;
		}
		if (!r)
			break;		/* end of file */
		if (pend_err) {
			/* a refusal counts once something really bounced */
			note_refusal(st, pend_err, pend_why);
			pend_err = 0;
		}
		st->bytes_bounced += r;
		done += r;
progress:
		if (progress && progress(done, len, arg)) {
			ret = -ECANCELED;
			goto out;
		}
	}
	if (!ret && done < len)
		ret = -ENODATA;	/* the file ended first: stats say how much moved */
out:
	free(bounce);
	if (dfd >= 0 && dfd != file_fd)
		close(dfd);
	if (bfd >= 0 && bfd != file_fd)
		close(bfd);
	munmap(map, map_len);
	return ret;
}
