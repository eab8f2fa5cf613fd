// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf buffer I/O: P2PBUF_IOC_BUF_IO moves bytes between a file (or a
 * block device) and a buffer inside the kernel, so that the kernel knows,
 * and counts, how they went: by DMA between the device and the buffer's
 * P2PDMA pages, or through a bounce buffer in system memory.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/bvec.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <kunit/visibility.h>

#include "p2pbuf_internal.h"

/**
 * DOC: buffer I/O
 *
 * The direct path hands the buffer's P2PDMA pages to a block device as an
 * O_DIRECT request built on a bio_vec iterator. Such a request does not go
 * through get_user_pages(), where FOLL_PCI_P2PDMA would ask the queue
 * whether it takes P2PDMA pages, so p2pbuf asks it itself
 * (blk_queue_pci_p2pdma()) and goes direct to block devices only: a
 * filesystem may fall back to buffered I/O and copy with the CPU, which
 * would be counted as direct. The driver maps the pages with the DMA API,
 * which picks bus addresses or the host bridge (pci_p2pdma_map_type()), or
 * refuses with EREMOTEIO; then the rest bounces.
 *
 * The bounce path reads (or writes) a piece into a buffer of system memory,
 * with O_DIRECT where the file takes it at those offsets and buffered I/O
 * where not, and copies it to (or from) the buffer through its kernel
 * mapping: the P2PDMA pages' own, or a temporary mapping of a page-less BAR
 * piece, write-combined when the BAR is prefetchable.
 *
 * A call holds the buffer's @io_count from the revoked check to its last
 * byte: a removal waits for it (p2pbuf_revoke_wait()), so no page or BAR
 * range it touches is lent out or torn down under it. No lock is held
 * across the file I/O.
 */

/* system memory to bounce through: up to a piece, in one run of pages */
struct p2pbuf_bounce {
	struct page *page;
	unsigned int order;
	size_t size;
};

static int p2pbuf_bounce_alloc(struct p2pbuf_bounce *b)
{
	unsigned int order = get_order(P2PBUF_IO_PIECE);

	for (;;) {
		b->page = alloc_pages(GFP_KERNEL | __GFP_NOWARN |
				      (order ? __GFP_NORETRY : 0), order);
		if (b->page || !order)
			break;
		order--;
	}
	if (!b->page)
		return -ENOMEM;
	b->order = order;
	b->size = PAGE_SIZE << order;
	return 0;
}

/* one synchronous request of @iter at @pos; O_DIRECT with @direct */
static ssize_t p2pbuf_io_file(struct file *file, loff_t pos,
			      struct iov_iter *iter, bool to_file, bool direct)
{
	struct kiocb kiocb;

	init_sync_kiocb(&kiocb, file);
	kiocb.ki_pos = pos;
	if (direct)
		kiocb.ki_flags |= IOCB_DIRECT;
	else
		kiocb.ki_flags &= ~IOCB_DIRECT;
	return to_file ? vfs_iocb_iter_write(file, &kiocb, iter) :
			 vfs_iocb_iter_read(file, &kiocb, iter);
}

/* the block device behind @file, or NULL */
static struct block_device *p2pbuf_io_bdev(struct file *file)
{
	struct inode *inode = file->f_mapping->host;

	return S_ISBLK(inode->i_mode) ? I_BDEV(inode) : NULL;
}

/* can O_DIRECT do @len bytes at @pos of @file, from page-aligned memory? */
static bool p2pbuf_io_dio_fits(struct file *file, loff_t pos, u64 len,
			       u64 mem_off)
{
	struct block_device *bdev = p2pbuf_io_bdev(file);
	struct inode *inode = file->f_mapping->host;
	unsigned int lbs;

	if (bdev) {
		lbs = bdev_logical_block_size(bdev);
		return !((pos | len) & (lbs - 1)) &&
		       !(mem_off & bdev_dma_alignment(bdev));
	}
	if (!(file->f_mode & FMODE_CAN_ODIRECT) || !inode->i_sb->s_bdev)
		return false;
	lbs = bdev_logical_block_size(inode->i_sb->s_bdev);
	return !((pos | len | mem_off) & (lbs - 1));
}

/* the direct path's preconditions; P2PBUF_IO_DIRECT when they hold */
static enum p2pbuf_io_why p2pbuf_io_direct_why(struct p2pbuf_buffer *buf,
					       struct file *file,
					       const struct p2pbuf_buf_io *io)
{
	struct block_device *bdev = p2pbuf_io_bdev(file);

	if (!p2pbuf_has_pages(buf->chunk->prov))
		return P2PBUF_IO_WHY_PAGELESS;
	if (!bdev)
		return P2PBUF_IO_WHY_NOT_BLOCKDEV;
	if (!blk_queue_pci_p2pdma(bdev_get_queue(bdev)))
		return P2PBUF_IO_WHY_QUEUE;
	if (!p2pbuf_io_dio_fits(file, io->file_offset, io->length,
				io->buf_offset))
		return P2PBUF_IO_WHY_UNALIGNED;
	return P2PBUF_IO_DIRECT;
}

/**
 * p2pbuf_io_bvecs - the bio_vecs of memory in the kernel's linear map
 * @bv: room for P2PBUF_IO_BVECS vectors
 * @kaddr: the first byte (a P2PDMA page's kernel address)
 * @len: bytes, at most P2PBUF_IO_PIECE
 *
 * Physically contiguous pages share a vector, as bio_add_page() merges
 * them for user memory (a piece lies in one chunk of one provider, so in
 * one pgmap, and a vector of at most P2PBUF_IO_PIECE bytes cannot overflow
 * bv_len): with a vector per page, direct reads into a CMB
 * ran at a third to a twelfth of an O_DIRECT read into the same pages
 * through an mmap() (the same requests, 512 KiB each, were built of 128
 * vectors instead of one).
 *
 * Return: the number of vectors filled.
 */
unsigned int p2pbuf_io_bvecs(struct bio_vec *bv, void *kaddr, size_t len)
{
	struct bio_vec *last = NULL;
	unsigned int n = 0;
	size_t done, step;

	for (done = 0; done < len; done += step) {
		struct page *page = virt_to_page(kaddr + done);
		unsigned int off = offset_in_page(kaddr + done);

		step = min_t(size_t, len - done, PAGE_SIZE - off);
		/* KMSAN's metadata of adjacent pages need not be adjacent */
		if (!IS_ENABLED(CONFIG_KMSAN) && last &&
		    page_to_phys(last->bv_page) + last->bv_offset +
		    last->bv_len == page_to_phys(page) + off) {
			last->bv_len += step;
			continue;
		}
		last = &bv[n++];
		bvec_set_page(last, page, step, off);
	}
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(p2pbuf_io_bvecs);

/*
 * Direct: @len bytes between the file at @pos and the buffer's pages from
 * @off, as one O_DIRECT request of a bio_vec iterator.
 */
static ssize_t p2pbuf_io_direct(struct p2pbuf_buffer *buf, struct file *file,
				struct bio_vec *bv, u64 off, loff_t pos,
				size_t len, bool to_file)
{
	struct iov_iter iter;
	unsigned int n;

	/* a block request references the pages: a free must check them */
	WRITE_ONCE(buf->chunk->cpu_mapped, true);
	n = p2pbuf_io_bvecs(bv, buf->chunk->kaddr + off, len);
	iov_iter_bvec(&iter, to_file ? ITER_SOURCE : ITER_DEST, bv, n, len);
	return p2pbuf_io_file(file, pos, &iter, to_file, true);
}

/* the CPU's view of @len bytes of the buffer from @off; NULL: no mapping */
static void __iomem *p2pbuf_io_map(struct p2pbuf_buffer *buf, u64 off,
				   size_t len)
{
	struct p2pbuf_chunk *chunk = buf->chunk;
	struct p2pbuf_provider *prov = chunk->prov;
	phys_addr_t phys = prov->phys + chunk->offset + off;

	if (p2pbuf_has_pages(prov))
		return (void __iomem __force *)(chunk->kaddr + off);
	return prov->prefetchable ? ioremap_wc(phys, len) : ioremap(phys, len);
}

static void p2pbuf_io_unmap(struct p2pbuf_buffer *buf, void __iomem *va)
{
	if (!p2pbuf_has_pages(buf->chunk->prov))
		iounmap(va);
}

/*
 * Bounce: @len bytes (at most the bounce size) between the file at @pos and
 * the buffer from @off, through system memory.
 */
static ssize_t p2pbuf_io_bounce(struct p2pbuf_buffer *buf, struct file *file,
				struct p2pbuf_bounce *b, u64 off, loff_t pos,
				size_t len, bool to_file)
{
	void *mem = page_address(b->page);
	struct iov_iter iter;
	struct bio_vec bv;
	void __iomem *va;
	ssize_t ret;

	va = p2pbuf_io_map(buf, off, len);
	if (!va)
		return -ENOMEM;
	if (to_file)
		memcpy_fromio(mem, va, len);

	bvec_set_page(&bv, b->page, len, 0);
	iov_iter_bvec(&iter, to_file ? ITER_SOURCE : ITER_DEST, &bv, 1, len);
	ret = -EINVAL;
	if (p2pbuf_io_dio_fits(file, pos, len, 0))
		ret = p2pbuf_io_file(file, pos, &iter, to_file, true);
	if (ret == -EINVAL) {
		/* no O_DIRECT here, or not at these offsets: buffered */
		iov_iter_bvec(&iter, to_file ? ITER_SOURCE : ITER_DEST, &bv, 1,
			      len);
		ret = p2pbuf_io_file(file, pos, &iter, to_file, false);
	}
	if (ret > 0 && !to_file) {
		memcpy_toio(va, mem, ret);
		/* WC: the bytes reach the BAR before anyone is told */
		wmb();
	}
	p2pbuf_io_unmap(buf, va);
	return ret;
}

static int p2pbuf_buf_io_run(struct p2pbuf_buffer *buf, struct file *file,
			     struct p2pbuf_buf_io *io)
{
	bool to_file = io->flags & P2PBUF_IO_TO_FILE;
	struct p2pbuf_bounce b = { };
	struct bio_vec *bv = NULL;
	u64 done = 0;
	ssize_t n;
	size_t len;
	int ret = 0;

	io->why = p2pbuf_io_direct_why(buf, file, io);
	if (io->why == P2PBUF_IO_DIRECT) {
		bv = kmalloc_array(P2PBUF_IO_BVECS, sizeof(*bv), GFP_KERNEL);
		if (!bv)
			return -ENOMEM;
	} else if (io->flags & P2PBUF_IO_NO_BOUNCE) {
		return -EOPNOTSUPP;
	}

	while (done < io->length) {
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		if (io->why == P2PBUF_IO_DIRECT) {
			len = min_t(u64, io->length - done, P2PBUF_IO_PIECE);
			n = p2pbuf_io_direct(buf, file, bv, io->buf_offset + done,
					     io->file_offset + done, len,
					     to_file);
			if (n >= 0) {
				atomic64_add(n, &buf->bytes_direct);
				io->bytes_direct += n;
			} else if (n == -EREMOTEIO) {
				/* the driver cannot reach the provider */
				io->why = P2PBUF_IO_WHY_REFUSED;
				io->refusal = EREMOTEIO;
				if (io->flags & P2PBUF_IO_NO_BOUNCE) {
					ret = -EREMOTEIO;
					break;
				}
				continue;
			}
		} else {
			if (!b.page) {
				ret = p2pbuf_bounce_alloc(&b);
				if (ret)
					break;
			}
			len = min_t(u64, io->length - done, b.size);
			n = p2pbuf_io_bounce(buf, file, &b, io->buf_offset + done,
					     io->file_offset + done, len,
					     to_file);
			if (n >= 0) {
				atomic64_add(n, &buf->bytes_bounced);
				io->bytes_bounced += n;
			}
		}
		if (n < 0) {
			ret = n;
			break;
		}
		done += n;
		if (n < len)
			break;	/* end of the file */
		cond_resched();
	}
	if (b.page)
		__free_pages(b.page, b.order);
	kfree(bv);
	return ret;
}

/**
 * p2pbuf_buf_io - move bytes between a file and a buffer, and count how
 * @buf: the buffer (a reference to its dma-buf held by the caller)
 * @file: the file or block device (a reference held by the caller)
 * @io: the request, checked by the caller against the buffer's size and
 *	the access modes; its out fields are filled in
 *
 * See P2PBUF_IOC_BUF_IO in the uapi header and DOC: buffer I/O.
 *
 * Context: process context, may sleep for as long as the I/O takes.
 *
 * Return: 0 (fewer bytes than asked at the end of the file), -ENODEV when
 * the buffer is revoked, else the first error.
 */
int p2pbuf_buf_io(struct p2pbuf_buffer *buf, struct file *file,
		  struct p2pbuf_buf_io *io)
{
	int ret;

	atomic_inc(&buf->io_count);
	/* pairs with revoke: it sets @revoked, then waits for @io_count */
	smp_mb__after_atomic();
	if (READ_ONCE(buf->revoked))
		ret = -ENODEV;
	else
		ret = p2pbuf_buf_io_run(buf, file, io);
	if (atomic_dec_and_test(&buf->io_count))
		p2pbuf_buffer_idle_wake(buf);
	return ret;
}
