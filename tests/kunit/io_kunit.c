// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite p2pbuf_io: the bio_vecs P2PBUF_IOC_BUF_IO's direct path builds
 * (io.c), on physically contiguous pages as a P2PDMA chunk's are.
 */
#include <kunit/test.h>
#include <linux/bvec.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/sizes.h>

#include "../../drivers/dma-buf/p2p/p2pbuf_internal.h"

/* @len bytes at @off into contiguous pages: one vector, wherever it starts */
static void io_bvecs_check(struct kunit *test, void *base, size_t off,
			   size_t len)
{
	struct bio_vec *bv;

	bv = kunit_kcalloc(test, P2PBUF_IO_BVECS, sizeof(*bv), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, bv);
	KUNIT_ASSERT_EQ(test, p2pbuf_io_bvecs(bv, base + off, len), 1);
	KUNIT_EXPECT_PTR_EQ(test, bv[0].bv_page,
			    virt_to_page(base + round_down(off, PAGE_SIZE)));
	KUNIT_EXPECT_EQ(test, bv[0].bv_offset, offset_in_page(base + off));
	KUNIT_EXPECT_EQ(test, bv[0].bv_len, len);
}

static void io_free_pages(void *page)
{
	__free_pages(page, get_order(P2PBUF_IO_PIECE + PAGE_SIZE));
}

static void io_bvecs_contiguous_share_one(struct kunit *test)
{
	unsigned int order = get_order(P2PBUF_IO_PIECE + PAGE_SIZE);
	struct page *pages = alloc_pages(GFP_KERNEL | __GFP_NOWARN, order);
	void *base;

	if (!pages)
		kunit_skip(test, "no %u contiguous pages free", 1U << order);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, io_free_pages,
							pages), 0);
	base = page_address(pages);
	io_bvecs_check(test, base, 0, P2PBUF_IO_PIECE);		/* a whole piece */
	io_bvecs_check(test, base, 512, P2PBUF_IO_PIECE);	/* over P + 1 pages */
	io_bvecs_check(test, base, PAGE_SIZE - 100, 200);	/* across a boundary */
	io_bvecs_check(test, base, 3 * PAGE_SIZE, PAGE_SIZE);	/* one page */
}

static struct kunit_case p2pbuf_io_cases[] = {
	KUNIT_CASE(io_bvecs_contiguous_share_one),
	{}
};

static struct kunit_suite p2pbuf_io_suite = {
	.name = "p2pbuf_io",
	.test_cases = p2pbuf_io_cases,
};

kunit_test_suite(p2pbuf_io_suite);
