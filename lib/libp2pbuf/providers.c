// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Providers: p2pbuf_get_providers(), the kernel's LIST as the library's
 * struct p2pbuf_provider array, in one call where the last count holds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/p2pbuf.h>

#include "private.h"

/*
 * A kernel string into ours of the same size. The kernel pads its strings
 * with zeroes, so the whole field is the string; its last byte is made NUL
 * all the same. A copy of constant size is inlined: no call per field.
 */
#define copy_kstr(dst, src)						\
	do {								\
		_Static_assert(sizeof(dst) == sizeof(src),		\
			       #dst " and " #src " differ in size");	\
		memcpy(dst, src, sizeof(dst));				\
		(dst)[sizeof(dst) - 1] = '\0';				\
	} while (0)

/*
 * Every byte of @p written, field by field: zeroing the whole struct first
 * compiles to a string instruction, which an emulator without hardware
 * assistance runs one step per word. A new field fails the assertion until
 * it is set here.
 */
_Static_assert(sizeof(struct p2pbuf_provider) ==
	       8 * sizeof(uint32_t) + 4 * sizeof(uint64_t) + 32 + 128 +
	       4 * sizeof(uint64_t), "provider_from_uapi() sets every field");

static const struct p2pbuf_provider_info zero_entry;

static void provider_from_uapi(struct p2pbuf_provider *p,
			       const struct p2pbuf_provider_info *u)
{
	p->comp_mask = 0;
	p->id = u->id;
	p->kind = u->kind;
	p->flags = u->flags;
	p->bar = u->bar;
	p->bdf = u->bdf;
	p->vendor_device = u->vendor_device;
	p->reserved0 = 0;
	p->bar_offset = u->bar_offset;
	p->size = u->size;
	p->free = u->free;
	p->bus_addr = u->bus_addr;
	copy_kstr(p->name, u->name);
	copy_kstr(p->reason, u->reason);
	memset(p->reserved, 0, sizeof(p->reserved));
}

#define LIST_SLACK	4	/* entries of room beyond the last count */
#define LIST_ON_STACK	8	/* entries an array on the stack holds (2 KiB) */

/*
 * The list is returned with one extra zeroed entry so that callers may also
 * iterate until name[0] == '\0'.
 */
P2PBUF_EXPORT struct p2pbuf_provider *
p2pbuf_get_providers(struct p2pbuf_ctx *ctx, int *num)
{
	struct p2pbuf_provider_info small[LIST_ON_STACK], *raw = small;
	struct p2pbuf_provider *out = NULL;
	struct p2pbuf_list l;
	unsigned int i;
	int ret, tries;
	__u32 want;

	if (!ctx) {
		errno = EINVAL;
		return NULL;
	}
	/*
	 * One call when the guess holds them all: the last call's count, with
	 * room for a few more; else again with room for the count it
	 * returned. Providers can come and go between calls: retry a few
	 * times. The kernel writes every entry it counts, so nothing needs
	 * clearing first. A few entries, the usual count, fit on the stack,
	 * which a context's first call fills; more get an array sized to the
	 * count, not to a fixed guess.
	 */
	want = __atomic_load_n(&ctx->list_hint, __ATOMIC_RELAXED) + LIST_SLACK;
	if (want < LIST_ON_STACK)
		want = LIST_ON_STACK;
	for (tries = 0; tries < 8; tries++) {
		if (raw != small)
			free(raw);
		raw = want <= LIST_ON_STACK ? small :
					      reallocarray(NULL, want, sizeof(*raw));
		if (!raw) {
			ret = -ENOMEM;
			goto err;
		}
		memset(&l, 0, sizeof(l));
		l.count = want;
		l.entry_size = sizeof(*raw);
		l.entries = (uintptr_t)raw;
		ret = p2pbuf_xioctl(ctx->fd, P2PBUF_IOC_LIST, &l);
		if (ret)
			goto err;
		if (l.count <= want)
			break;
		want = l.count + LIST_SLACK;
	}
	if (tries == 8) {
		ret = -EAGAIN;
		goto err;
	}
	/*
	 * Not calloc(): each entry is cleared as it is written. Past 2 KiB
	 * glibc clears with a string instruction, which an emulator without
	 * hardware assistance runs one byte per step.
	 */
	out = reallocarray(NULL, l.count + 1, sizeof(*out));
	if (!out) {
		ret = -ENOMEM;
		goto err;
	}
	for (i = 0; i < l.count; i++)
		provider_from_uapi(&out[i], &raw[i]);
	__atomic_store_n(&ctx->list_hint, l.count, __ATOMIC_RELAXED);
	/* the zeroed end entry, without a string instruction either */
	provider_from_uapi(&out[l.count], &zero_entry);
	if (raw != small)
		free(raw);
	if (num)
		*num = l.count;
	return out;
err:
	if (raw != small)
		free(raw);
	errno = -ret;
	return NULL;
}

P2PBUF_EXPORT void p2pbuf_free_providers(struct p2pbuf_provider *list)
{
	free(list);
}

P2PBUF_EXPORT const char *p2pbuf_kind_str(uint32_t kind)
{
	switch (kind) {
	case P2PBUF_KIND_BAR:
		return "bar";
	case P2PBUF_KIND_P2PMEM:
		return "p2pmem";
	default:
		return "unknown";
	}
}
