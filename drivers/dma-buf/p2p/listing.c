// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf provider listing: the entry LIST and the sysfs providers file give
 * of a provider. The part that never changes is built once, as the provider
 * joins the registry (provider.c); the state is read each time, without
 * the provider's lock while it is available (p2pbuf_provider_state()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/pci.h>
#include <linux/string.h>

#include "p2pbuf_internal.h"

/**
 * p2pbuf_provider_fill_listing - LIST's entry of a provider, but its state
 * @prov: the provider, its id just allocated, not yet listed
 *
 * Its copies are struct assignments, which need not copy padding: there is
 * none (checked), and every other byte is zero.
 */
void p2pbuf_provider_fill_listing(struct p2pbuf_provider *prov)
{
	struct p2pbuf_provider_info *info = &prov->listing;

	BUILD_BUG_ON(sizeof(*info) != 6 * sizeof(__u32) + 4 * sizeof(__u64) +
		     P2PBUF_NAME_LEN + P2PBUF_REASON_LEN +
		     sizeof(info->reserved));
	memset(info, 0, sizeof(*info));
	info->id = prov->id;
	info->kind = prov->kind;
	info->bar = prov->bar;
	info->bdf = p2pbuf_pdev_bdf(prov->pdev);
	info->vendor_device = p2pbuf_pdev_id(prov->pdev);
	info->bar_offset = prov->bar_offset;
	info->size = prov->size;
	info->bus_addr = prov->bus_addr;
	strscpy(info->name, pci_name(prov->pdev), sizeof(info->name));
}

/* LIST's flags of a provider, from what was read of it */
static u32 p2pbuf_state_flags(struct p2pbuf_provider *prov, bool available,
			      bool published)
{
	u32 flags = 0;

	if (available)
		flags |= P2PBUF_PROVIDER_AVAILABLE;
	if (published)
		flags |= P2PBUF_PROVIDER_PUBLISHED;
	if (available && p2pbuf_has_pages(prov))
		flags |= P2PBUF_PROVIDER_PAGES;
	return flags;
}

/* an unavailable provider and why: read together, under the lock */
static noinline void p2pbuf_provider_state_why(struct p2pbuf_provider *prov,
					       struct p2pbuf_provider_state *st,
					       char *reason)
{
	mutex_lock(&prov->lock);
	st->free = p2pbuf_provider_avail_locked(prov);
	if (!prov->available && reason)
		strscpy_pad(reason, prov->reason, P2PBUF_REASON_LEN);
	st->flags = p2pbuf_state_flags(prov, prov->available, prov->published);
	mutex_unlock(&prov->lock);
}

/**
 * p2pbuf_provider_state - what LIST says of a provider that changes
 * @prov: the provider, in the registry
 * @st: output
 * @reason: P2PBUF_REASON_LEN bytes, zero-padded, for why the provider is
 *	not available; untouched when it is; NULL when not wanted
 *
 * An available provider's state is read without its lock, so that LIST
 * never waits behind an allocation clearing its chunk under that lock:
 * each field as it was at some moment of the call, stale once returned
 * anyway. Writers change them under the lock with WRITE_ONCE(). The reason
 * is read under the lock, with the flags that go with it.
 */
void p2pbuf_provider_state(struct p2pbuf_provider *prov,
			   struct p2pbuf_provider_state *st, char *reason)
{
	if (!READ_ONCE(prov->available)) {
		p2pbuf_provider_state_why(prov, st, reason);
		return;
	}
	st->free = p2pbuf_provider_avail_lockless(prov);
	st->flags = p2pbuf_state_flags(prov, true, READ_ONCE(prov->published));
}

/**
 * p2pbuf_provider_fill_info - describe a provider for the uapi and sysfs
 * @prov: the provider, in the registry
 * @info: output; every byte is written, so LIST hands out no stale memory
 */
void p2pbuf_provider_fill_info(struct p2pbuf_provider *prov,
			       struct p2pbuf_provider_info *info)
{
	struct p2pbuf_provider_state st;

	*info = prov->listing;
	p2pbuf_provider_state(prov, &st, info->reason);
	info->free = st.free;
	info->flags = st.flags;
}
