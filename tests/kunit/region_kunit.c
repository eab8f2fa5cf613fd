// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the p2pbuf region allocator (region.c): best fit, the
 * 2 MiB alignment relative to the bus address, fixed ranges, merging on
 * free, and a seeded random stream checked against a page map.
 */
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/prandom.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "../../drivers/dma-buf/p2p/p2pbuf_internal.h"

static struct p2pbuf_region *region_new(struct kunit *test, u64 size)
{
	struct p2pbuf_region *r = p2pbuf_region_create(size);

	KUNIT_ASSERT_NOT_NULL(test, r);
	return r;
}

/* a small buffer takes the smallest hole that holds it, not the first */
static void region_best_fit(struct kunit *test)
{
	struct p2pbuf_region *r = region_new(test, SZ_1M);
	u64 a, b, c, d, off;

	KUNIT_ASSERT_EQ(test, p2pbuf_region_alloc(r, SZ_64K, SZ_4K, 0, &a), 0);
	KUNIT_ASSERT_EQ(test, p2pbuf_region_alloc(r, SZ_16K, SZ_4K, 0, &b), 0);
	KUNIT_ASSERT_EQ(test, p2pbuf_region_alloc(r, SZ_16K, SZ_4K, 0, &c), 0);
	KUNIT_ASSERT_EQ(test, p2pbuf_region_alloc(r, SZ_8K, SZ_4K, 0, &d), 0);
	KUNIT_EXPECT_EQ(test, a, 0);
	KUNIT_EXPECT_EQ(test, b, SZ_64K);
	/* holes: 64 KiB at 0, 16 KiB where c was, the tail */
	p2pbuf_region_free(r, a, SZ_64K);
	p2pbuf_region_free(r, c, SZ_16K);
	KUNIT_ASSERT_EQ(test, p2pbuf_region_alloc(r, SZ_8K, SZ_4K, 0, &off), 0);
	KUNIT_EXPECT_EQ(test, off, c);	/* 16 KiB hole beats 64 KiB */
	KUNIT_EXPECT_EQ(test, p2pbuf_region_avail(r),
			SZ_1M - SZ_16K - SZ_8K - SZ_8K);
	p2pbuf_region_destroy(r);
}

/* 2 MiB alignment is of the bus address, not of the offset */
static void region_align_bus(struct kunit *test)
{
	struct p2pbuf_region *r = region_new(test, SZ_8M);
	const u64 base = 0xfe000000ULL + SZ_1M;	/* 1 MiB past a 2 MiB line */
	u64 off;

	KUNIT_ASSERT_EQ(test, p2pbuf_region_alloc(r, SZ_2M, SZ_2M, base, &off), 0);
	KUNIT_EXPECT_EQ(test, (base + off) % SZ_2M, 0);
	KUNIT_EXPECT_EQ(test, off, SZ_1M);
	/* the 1 MiB left before it is still there for small buffers */
	KUNIT_EXPECT_EQ(test, p2pbuf_region_alloc(r, SZ_1M, SZ_4K, base, &off), 0);
	KUNIT_EXPECT_EQ(test, off, 0);
	KUNIT_EXPECT_EQ(test, p2pbuf_region_alloc(r, SZ_8M, SZ_4K, base, &off),
			-ENOMEM);
	KUNIT_EXPECT_EQ(test, p2pbuf_region_alloc(r, SZ_4K, 3, base, &off),
			-EINVAL);
	p2pbuf_region_destroy(r);
}

/* fixed ranges: taken exactly, refused when any byte is taken */
static void region_fixed(struct kunit *test)
{
	struct p2pbuf_region *r = region_new(test, SZ_1M);
	u64 off;

	KUNIT_EXPECT_EQ(test, p2pbuf_region_alloc_fixed(r, SZ_64K, SZ_64K), 0);
	KUNIT_EXPECT_EQ(test, p2pbuf_region_alloc_fixed(r, SZ_64K + SZ_4K, SZ_4K),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, p2pbuf_region_alloc_fixed(r, SZ_32K, SZ_64K),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, p2pbuf_region_alloc_fixed(r, SZ_1M - SZ_4K, SZ_8K),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, p2pbuf_region_alloc_fixed(r, 0, SZ_64K), 0);
	KUNIT_EXPECT_EQ(test, p2pbuf_region_alloc(r, SZ_4K, SZ_4K, 0, &off), 0);
	KUNIT_EXPECT_EQ(test, off, SZ_128K);
	p2pbuf_region_free(r, SZ_64K, SZ_64K);
	p2pbuf_region_free(r, 0, SZ_64K);
	p2pbuf_region_free(r, off, SZ_4K);
	/* merged back into one extent */
	KUNIT_EXPECT_EQ(test, p2pbuf_region_largest(r), SZ_1M);
	p2pbuf_region_destroy(r);
}

/*
 * A seeded random stream: no page handed out twice, every free merges so
 * that a region emptied again is one extent, avail always exact.
 */
static void region_random_stream(struct kunit *test)
{
	const unsigned int pages = 4096, ops = 4000;
	struct { u64 off, len; } *live;
	struct rnd_state rnd;
	unsigned long *map;
	struct p2pbuf_region *r;
	unsigned int n = 0, i, op;
	u64 used = 0, off, len;

	live = kunit_kcalloc(test, ops, sizeof(*live), GFP_KERNEL);
	map = kunit_kcalloc(test, BITS_TO_LONGS(pages), sizeof(long), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, live);
	KUNIT_ASSERT_NOT_NULL(test, map);
	r = region_new(test, (u64)pages * SZ_4K);
	prandom_seed_state(&rnd, 12);
	for (op = 0; op < ops; op++) {
		if (!n || prandom_u32_state(&rnd) % 100 < 55) {
			len = (1 + prandom_u32_state(&rnd) % 64) * SZ_4K;
			if (p2pbuf_region_alloc(r, len, len >= SZ_128K ? SZ_128K : SZ_4K,
						0, &off))
				continue;
			KUNIT_ASSERT_EQ(test, off % SZ_4K, 0);
			KUNIT_ASSERT_LE(test, off + len, (u64)pages * SZ_4K);
			KUNIT_ASSERT_EQ_MSG(test, find_next_bit(map, off / SZ_4K + len / SZ_4K,
								off / SZ_4K),
					    (unsigned long)(off / SZ_4K + len / SZ_4K),
					    "op %u: [%llx, +%llx) handed out twice", op, off, len);
			bitmap_set(map, off / SZ_4K, len / SZ_4K);
			live[n].off = off;
			live[n++].len = len;
			used += len;
		} else {
			i = prandom_u32_state(&rnd) % n;
			p2pbuf_region_free(r, live[i].off, live[i].len);
			bitmap_clear(map, live[i].off / SZ_4K, live[i].len / SZ_4K);
			used -= live[i].len;
			live[i] = live[--n];
		}
		KUNIT_ASSERT_EQ(test, p2pbuf_region_avail(r),
				(u64)pages * SZ_4K - used);
	}
	while (n) {
		n--;
		p2pbuf_region_free(r, live[n].off, live[n].len);
	}
	KUNIT_EXPECT_EQ(test, p2pbuf_region_largest(r), (u64)pages * SZ_4K);
	p2pbuf_region_destroy(r);
}

static struct kunit_case p2pbuf_region_cases[] = {
	KUNIT_CASE(region_best_fit),
	KUNIT_CASE(region_align_bus),
	KUNIT_CASE(region_fixed),
	KUNIT_CASE(region_random_stream),
	{}
};

static struct kunit_suite p2pbuf_region_suite = {
	.name = "p2pbuf_region",
	.test_cases = p2pbuf_region_cases,
};

kunit_test_suites(&p2pbuf_region_suite);
