// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf sg tables: page-less scatterlists that hold DMA addresses only, one
 * entry per contiguous range, split at the importer's maximum segment size
 * and segment boundary. Such a table has no CPU list: its orig_nents is 0, as
 * dma_buf_phys_vec_to_sgt() makes it, so that for_each_sgtable_sg() and
 * dma_sync_sgtable_*() do nothing; only nents and the DMA side are set.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/visibility.h>
#include <linux/minmax.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/scatterlist.h>

#include "p2pbuf_internal.h"

static u64 p2pbuf_seg_len(u64 addr, u64 left, u64 max_seg, u64 boundary_mask)
{
	u64 len = min(left, max_seg);

	if (boundary_mask != U64_MAX)
		len = min(len, (addr | boundary_mask) - addr + 1);
	return len;
}

static u64 p2pbuf_max_seg(unsigned int max_seg)
{
	u64 m = round_down((u64)max_seg, PAGE_SIZE);

	return m ? m : PAGE_SIZE;
}

/* @n / @d, rounded up, without overflowing near U64_MAX */
static u64 p2pbuf_div_up(u64 n, u64 d)
{
	u64 rem, q = div64_u64_rem(n, d, &rem);

	return q + !!rem;
}

/*
 * p2pbuf_sg_count(), inline: every map counts its entries, nearly always
 * one, which takes no division and, inlined, no call.
 */
static __always_inline u64 p2pbuf_sg_entries(u64 addr, u64 len,
					     unsigned int max_seg,
					     u64 boundary_mask)
{
	u64 max = p2pbuf_max_seg(max_seg), win, head, full, rem;

	if (!len)
		return 0;
	/* most maps: one entry, and no division */
	if (p2pbuf_seg_len(addr, len, max, boundary_mask) == len)
		return 1;
	if (boundary_mask == U64_MAX)
		return p2pbuf_div_up(len, max);
	win = boundary_mask + 1;
	head = min(len, win - (addr & boundary_mask));
	len -= head;
	full = div64_u64_rem(len, win, &rem);
	return p2pbuf_div_up(head, max) + full * p2pbuf_div_up(win, max) +
	       p2pbuf_div_up(rem, max);
}

/**
 * p2pbuf_sg_count - entries needed to describe a contiguous range
 * @addr: first address
 * @len: bytes
 * @max_seg: longest entry the device takes (rounded down to pages)
 * @boundary_mask: an entry may not cross a (mask + 1) boundary; mask + 1 is
 *	a power of two, as for dma_set_seg_boundary(), or the mask is U64_MAX
 *
 * Computed, not walked, and in 64 bits: a big range in small segments can
 * need more entries than an sg table holds, and the caller must see that
 * rather than a count that wrapped. The first entry ends at the first
 * boundary, every window of (mask + 1) bytes after it takes the same number
 * of entries, and the tail what it needs.
 *
 * Return: the number of entries.
 */
u64 p2pbuf_sg_count(u64 addr, u64 len, unsigned int max_seg,
		    u64 boundary_mask)
{
	return p2pbuf_sg_entries(addr, len, max_seg, boundary_mask);
}
EXPORT_SYMBOL_IF_KUNIT(p2pbuf_sg_count);

/**
 * p2pbuf_sg_fill_into - p2pbuf_sg_fill(), into the caller's entries if enough
 * @sgt: the table to fill
 * @sg: @nsg entries of the caller's, used when the range needs no more; the
 *	table is then not freed with p2pbuf_sg_free() (its @sgl is @sg)
 * @nsg: entries at @sg, 0 for none
 * @addr: DMA address of the first byte
 * @len: bytes
 * @max_seg: longest entry the device takes
 * @boundary_mask: an entry may not cross a (mask + 1) boundary
 * @bus_addr: mark each entry sg_dma_mark_bus_address(), for an importer
 *	that reaches the range by its bus address, untranslated
 *
 * A map of a contiguous buffer needs one entry or a few: taking them from
 * the mapping itself saves an allocation on every map.
 *
 * Return: as p2pbuf_sg_fill().
 */
int p2pbuf_sg_fill_into(struct sg_table *sgt, struct scatterlist *sg,
			unsigned int nsg, u64 addr, u64 len,
			unsigned int max_seg, u64 boundary_mask, bool bus_addr)
{
	u64 seg, n, max = p2pbuf_max_seg(max_seg);
	unsigned int i;
	int ret;

	n = p2pbuf_sg_entries(addr, len, max_seg, boundary_mask);

	/* never a table that leaves the end of the range out */
	if (n > UINT_MAX)
		return -E2BIG;
	if (n == 1 && nsg) {
		/* sg_init_table() of one entry, without its call and memset's */
		memset(sg, 0, sizeof(*sg));
		sg_init_marker(sg, 1);
		sgt->sgl = sg;
		sgt->nents = 1;
	} else if (n && n <= nsg) {
		sg_init_table(sg, n);
		sgt->sgl = sg;
		sgt->nents = n;
	} else {
		ret = sg_alloc_table(sgt, n, GFP_KERNEL);
		if (ret)
			return ret;
	}
	/* sg_next() between entries only: none for a table of one */
	for (i = 0, sg = sgt->sgl; i < n; i++) {
		if (i)
			sg = sg_next(sg);
		seg = p2pbuf_seg_len(addr, len, max, boundary_mask);
		sg_dma_address(sg) = addr;
		sg_dma_len(sg) = seg;
		if (bus_addr)
			sg_dma_mark_bus_address(sg);
		addr += seg;
		len -= seg;
	}
	/* no CPU list; sg_free_table() needs the count back (p2pbuf_sg_free()) */
	sgt->orig_nents = 0;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(p2pbuf_sg_fill_into);

/**
 * p2pbuf_sg_fill - allocate @sgt and describe a contiguous range in it
 * @sgt: table to allocate; free it with p2pbuf_sg_free(@sgt, @sgt->nents as
 *	this function left it)
 * @addr: first address
 * @len: bytes
 * @max_seg: longest entry the device takes
 * @boundary_mask: an entry may not cross a (mask + 1) boundary
 *
 * Only the DMA address and length of each entry are set; no pages. The
 * table says so: @sgt->orig_nents is 0 and @sgt->nents the number of DMA
 * entries, so that CPU-side walkers and syncs of the table do nothing.
 *
 * Return: 0, -E2BIG when the range needs more entries than an sg table
 * holds (sg_alloc_table() takes an unsigned int), or -ENOMEM.
 */
int p2pbuf_sg_fill(struct sg_table *sgt, u64 addr, u64 len,
		   unsigned int max_seg, u64 boundary_mask)
{
	return p2pbuf_sg_fill_into(sgt, NULL, 0, addr, len, max_seg,
				   boundary_mask, false);
}
EXPORT_SYMBOL_IF_KUNIT(p2pbuf_sg_fill);

/**
 * p2pbuf_sg_free - free a table p2pbuf_sg_fill() allocated
 * @sgt: the table
 * @nents: entries allocated: @sgt->nents as p2pbuf_sg_fill() set it
 *
 * sg_free_table() walks orig_nents entries, which a page-less table sets to
 * 0: the allocated count is put back first, or the chained pages would leak.
 */
void p2pbuf_sg_free(struct sg_table *sgt, unsigned int nents)
{
	sgt->orig_nents = nents;
	sg_free_table(sgt);
}
EXPORT_SYMBOL_IF_KUNIT(p2pbuf_sg_free);
