// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf provider listing: the entry LIST and the sysfs providers file give
 * of a provider. The part that never changes is built once, as the provider
 * joins the registry (provider.c); the state is read under the provider's
 * lock each time.
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

/**
 * p2pbuf_provider_state - what LIST says of a provider that changes
 * @prov: the provider, in the registry
 * @st: output; @st->reason only without P2PBUF_PROVIDER_AVAILABLE
 */
void p2pbuf_provider_state(struct p2pbuf_provider *prov,
			   struct p2pbuf_provider_state *st)
{
	u32 flags = 0;

	/* one hold of the lock per provider: LIST is in every command */
	mutex_lock(&prov->lock);
	st->free = p2pbuf_provider_avail_locked(prov);
	if (prov->available)
		flags |= P2PBUF_PROVIDER_AVAILABLE;
	else
		strscpy_pad(st->reason, prov->reason, sizeof(st->reason));
	if (prov->published)
		flags |= P2PBUF_PROVIDER_PUBLISHED;
	if (p2pbuf_has_pages(prov) && prov->available)
		flags |= P2PBUF_PROVIDER_PAGES;
	st->flags = flags;
	mutex_unlock(&prov->lock);
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
	p2pbuf_provider_state(prov, &st);
	info->free = st.free;
	info->flags = st.flags;
	if (!(st.flags & P2PBUF_PROVIDER_AVAILABLE))
		memcpy(info->reason, st.reason, sizeof(info->reason));
}
