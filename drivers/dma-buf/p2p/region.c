// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf region allocator: best fit over a sorted list of free extents, for
 * the ranges of a kind BAR provider.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/visibility.h>
#include <linux/list.h>
#include <linux/math64.h>
#include <linux/slab.h>

#include "p2pbuf_internal.h"

/**
 * DOC: region allocator
 *
 * A BAR region is carved by best fit: a new range goes into the smallest
 * free extent that holds it from an aligned start (the lowest such extent
 * on a tie), so that big extents stay whole for big buffers. The free
 * extents are kept in a list sorted by offset and merged with their
 * neighbours on free; allocating and freeing cost in proportion to the
 * number of free extents, never to the size asked for, and the memory kept
 * is one small node per free extent, not a bit per page. The caller
 * serialises all calls (the provider's lock).
 */

/**
 * struct p2pbuf_extent - a free range of a region
 * @node: in struct p2pbuf_region.free, sorted by @start
 * @start: offset of the first free byte
 * @len: bytes, never 0
 */
struct p2pbuf_extent {
	struct list_head node;
	u64 start;
	u64 len;
};

/**
 * struct p2pbuf_region - the free extents of a region
 * @free: struct p2pbuf_extent, sorted, never adjacent or overlapping
 * @size: bytes of the whole region
 * @avail: bytes in @free
 */
struct p2pbuf_region {
	struct list_head free;
	u64 size;
	u64 avail;
};

/**
 * p2pbuf_region_create - a region of @size bytes, all free
 * @size: bytes, not 0
 *
 * Return: the region, or NULL without memory.
 */
struct p2pbuf_region *p2pbuf_region_create(u64 size)
{
	struct p2pbuf_region *r;
	struct p2pbuf_extent *e;

	if (!size)
		return NULL;
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!r || !e) {
		kfree(r);
		kfree(e);
		return NULL;
	}
	INIT_LIST_HEAD(&r->free);
	e->len = size;
	list_add(&e->node, &r->free);
	r->size = size;
	r->avail = size;
	return r;
}
EXPORT_SYMBOL_IF_KUNIT(p2pbuf_region_create);

/**
 * p2pbuf_region_destroy - free a region and its extents
 * @r: the region, or NULL
 */
void p2pbuf_region_destroy(struct p2pbuf_region *r)
{
	struct p2pbuf_extent *e, *tmp;

	if (!r)
		return;
	list_for_each_entry_safe(e, tmp, &r->free, node)
		kfree(e);
	kfree(r);
}
EXPORT_SYMBOL_IF_KUNIT(p2pbuf_region_destroy);

/**
 * p2pbuf_region_avail - bytes not allocated
 * @r: the region
 *
 * Callable without the lock that serializes changes to @r (LIST's), for a
 * value that is stale once returned anyway.
 *
 * Return: the free bytes, in any number of pieces.
 */
u64 p2pbuf_region_avail(const struct p2pbuf_region *r)
{
	return READ_ONCE(r->avail);
}
EXPORT_SYMBOL_IF_KUNIT(p2pbuf_region_avail);

/*
 * Take [@at, @at + @size) out of @e, which holds it; @spare is used if @e
 * splits in two and set to NULL then.
 */
static void p2pbuf_region_carve(struct p2pbuf_region *r, struct p2pbuf_extent *e,
				u64 at, u64 size, struct p2pbuf_extent **spare)
{
	u64 end = e->start + e->len;

	if (at == e->start && at + size == end) {
		list_del(&e->node);
		kfree(e);
	} else if (at == e->start) {
		e->start += size;
		e->len -= size;
	} else if (at + size == end) {
		e->len -= size;
	} else {
		(*spare)->start = at + size;
		(*spare)->len = end - at - size;
		list_add(&(*spare)->node, &e->node);
		e->len = at - e->start;
		*spare = NULL;
	}
	/* read without the owner's lock: p2pbuf_region_avail() */
	WRITE_ONCE(r->avail, r->avail - size);
}

/**
 * p2pbuf_region_alloc - best fit for @size bytes
 * @r: the region
 * @size: bytes, not 0
 * @align: wanted alignment of @base + the offset, a power of two (1: none)
 * @base: the address the region's offset 0 stands for (its bus address)
 * @offset: output: the offset of the range within the region
 *
 * Return: 0, -ENOMEM when no free extent holds @size bytes from an aligned
 * start (or no memory to split one), -EINVAL for a bad @size or @align.
 */
int p2pbuf_region_alloc(struct p2pbuf_region *r, u64 size, u64 align, u64 base,
			u64 *offset)
{
	struct p2pbuf_extent *e, *best = NULL, *spare;
	u64 phase, at, run, best_at = 0, best_run = U64_MAX;

	if (!size || !align || (align & (align - 1)))
		return -EINVAL;
	spare = kzalloc(sizeof(*spare), GFP_KERNEL);
	if (!spare)
		return -ENOMEM;
	phase = base & (align - 1);
	list_for_each_entry(e, &r->free, node) {
		at = round_up(e->start + phase, align) - phase;
		if (at - e->start >= e->len || e->len - (at - e->start) < size)
			continue;
		/* what is left of the extent from the aligned start */
		run = e->len - (at - e->start);
		if (run < best_run) {
			best = e;
			best_at = at;
			best_run = run;
			if (run == size)
				break;
		}
	}
	if (!best) {
		kfree(spare);
		return -ENOMEM;
	}
	p2pbuf_region_carve(r, best, best_at, size, &spare);
	kfree(spare);
	*offset = best_at;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(p2pbuf_region_alloc);

/**
 * p2pbuf_region_alloc_fixed - take exactly [@offset, @offset + @size)
 * @r: the region
 * @offset: offset of the range
 * @size: bytes, not 0
 *
 * Return: 0, -EBUSY when any byte of the range is taken (or lies outside
 * the region), -ENOMEM without memory to split the free extent.
 */
int p2pbuf_region_alloc_fixed(struct p2pbuf_region *r, u64 offset, u64 size)
{
	struct p2pbuf_extent *e, *spare;

	if (!size || offset >= r->size || size > r->size - offset)
		return -EBUSY;
	spare = kzalloc(sizeof(*spare), GFP_KERNEL);
	if (!spare)
		return -ENOMEM;
	list_for_each_entry(e, &r->free, node) {
		if (e->start > offset)
			break;
		if (offset - e->start < e->len &&
		    e->len - (offset - e->start) >= size) {
			p2pbuf_region_carve(r, e, offset, size, &spare);
			kfree(spare);
			return 0;
		}
	}
	kfree(spare);
	return -EBUSY;
}
EXPORT_SYMBOL_IF_KUNIT(p2pbuf_region_alloc_fixed);

/**
 * p2pbuf_region_free - give [@offset, @offset + @size) back
 * @r: the region
 * @offset: as p2pbuf_region_alloc() or p2pbuf_region_alloc_fixed() took it
 * @size: the same size
 *
 * Merges the range with its free neighbours. A range that is not wholly
 * allocated is a caller bug: warned about and ignored, so that nothing is
 * handed out twice.
 */
void p2pbuf_region_free(struct p2pbuf_region *r, u64 offset, u64 size)
{
	struct p2pbuf_extent *e, *prev = NULL, *next = NULL, *n;
	u64 end = offset + size;

	list_for_each_entry(e, &r->free, node) {
		if (e->start >= offset) {
			next = e;
			break;
		}
		prev = e;
	}
	if (WARN_ON_ONCE(!size || end < offset || end > r->size ||
			 (prev && prev->start + prev->len > offset) ||
			 (next && next->start < end)))
		return;
	WRITE_ONCE(r->avail, r->avail + size);
	if (prev && prev->start + prev->len == offset) {
		prev->len += size;
		if (next && next->start == end) {
			prev->len += next->len;
			list_del(&next->node);
			kfree(next);
		}
		return;
	}
	if (next && next->start == end) {
		next->start = offset;
		next->len += size;
		return;
	}
	/* a free must not fail: the node is small */
	n = kzalloc(sizeof(*n), GFP_KERNEL | __GFP_NOFAIL);
	n->start = offset;
	n->len = size;
	if (prev)
		list_add(&n->node, &prev->node);
	else
		list_add(&n->node, &r->free);
}
EXPORT_SYMBOL_IF_KUNIT(p2pbuf_region_free);

/**
 * p2pbuf_region_largest - the largest free extent
 * @r: the region
 *
 * Return: its size in bytes, 0 when nothing is free.
 */
u64 p2pbuf_region_largest(const struct p2pbuf_region *r)
{
	struct p2pbuf_extent *e;
	u64 best = 0;

	list_for_each_entry(e, &r->free, node)
		best = max(best, e->len);
	return best;
}
EXPORT_SYMBOL_IF_KUNIT(p2pbuf_region_largest);
