// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The P2P path model on top of the sysfs topology: the kernel's decision
 * for a pair of devices.
 *
 * The decision itself is the module's own source,
 * drivers/dma-buf/p2p/decision.c, compiled into the library. This file only
 * builds what the module's walk builds from struct pci_dev, from the loaded
 * tree instead: each device's upstream chain (parent links) with the ACS
 * control of every device on it, the endpoint included (the kernel checks
 * it too), unknown when the config space was unreadable, its host bridge
 * (devfn 0 of the root bus), and whether the P2PDMA core's whitelist would
 * trust the host bridges.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/p2pbuf.h>

#include "private.h"
#include "decision.h"

#define PCI_EXP_TYPE_ROOT_PORT_	4

static void hop_of(const struct p2pbuf_topo_dev *d, struct p2pbuf_hop *h)
{
	h->bdf = d->bdf;
	h->id = d->vendor_device;
	h->acs_unknown = d->acs_redir < 0;
	h->acs_ctrl = d->acs_redir < 0 ? 0 : d->acs_ctrl;
}

/* as pci_upstream_bridge() walks, then pci_get_slot(root bus, 00.0) */
static void chain_of(const struct p2pbuf_topo *t, int idx,
		     struct p2pbuf_chain *c)
{
	int k, top = idx, hb;

	memset(c, 0, sizeof(*c));
	for (k = idx; k >= 0; k = t->devs[k].parent) {
		if (c->nr == P2PBUF_MAX_CHAIN) {
			c->truncated = true;
			break;
		}
		hop_of(&t->devs[k], &c->devs[c->nr++]);
		top = k;
	}
	c->root_bus = t->devs[top].bdf >> 8;
	hb = p2pbuf_topo_find(t, c->root_bus << 8);
	if (hb >= 0) {
		hop_of(&t->devs[hb], &c->host);
		c->has_host = true;
	}
}

/*
 * The device the P2PDMA core looks up in its whitelist: the first one on
 * the root bus, when it is devfn 0 or a root port (pci_host_bridge_dev()).
 */
static uint32_t core_host_id(const struct p2pbuf_topo *t, uint32_t root_bus)
{
	int i;

	for (i = 0; i < t->n; i++) {
		if (t->devs[i].bdf >> 8 != root_bus)
			continue;
		if ((t->devs[i].bdf & 0xff) == 0 ||
		    t->pcie_type[i] == PCI_EXP_TYPE_ROOT_PORT_)
			return t->devs[i].vendor_device;
		return 0;
	}
	return 0;
}

static int policy_of(const struct p2pbuf_policy *in,
		     struct p2pbuf_bridge_policy *out)
{
	int i;

	if (in->nallow < 0 || in->nallow > P2PBUF_MAX_RULES ||
	    in->ndeny < 0 || in->ndeny > P2PBUF_MAX_RULES)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->nr_allow = in->nallow;
	out->nr_deny = in->ndeny;
	out->kernel_whitelist = in->kernel_whitelist;
	for (i = 0; i < in->nallow; i++) {
		out->allow[i].vendor = in->allow[i].id >> 16;
		out->allow[i].device = in->allow[i].id & 0xffff;
		out->allow[i].dirs = in->allow[i].dirs & P2PBUF_DIR_RW;
	}
	for (i = 0; i < in->ndeny; i++) {
		out->deny[i].vendor = in->deny[i].id >> 16;
		out->deny[i].device = in->deny[i].id & 0xffff;
		out->deny[i].dirs = in->deny[i].dirs & P2PBUF_DIR_RW;
	}
	return 0;
}

/* "vvvv:dddd[:r|w|rw],..." parsed by the module's own parser */
P2PBUF_EXPORT int p2pbuf_parse_rules(const char *str, struct p2pbuf_rule *r,
				     int max)
{
	struct p2pbuf_bridge_rule *tbl;
	int i, n;

	if (!str || !r || max < 0)
		return -EINVAL;
	tbl = calloc(max ? max : 1, sizeof(*tbl));
	if (!tbl)
		return -ENOMEM;
	n = p2pbuf_bridge_rules_parse(str, tbl, max);
	for (i = 0; i < n; i++) {
		r[i].id = (uint32_t)tbl[i].vendor << 16 | tbl[i].device;
		r[i].dirs = tbl[i].dirs;
	}
	free(tbl);
	return n;
}

static void add_hop(struct p2pbuf_topo_path *p, int idx)
{
	if (p->nhops < 32)
		p->hops[p->nhops++] = idx;
}

/* the devices a reader follows, provider to client, for display */
static void path_hops(const struct p2pbuf_topo *t, int provider, int client,
		      struct p2pbuf_topo_path *p)
{
	int a, k, nb = 0, dist_b = 0, common = -1, hb;
	int chain_b[32];

	for (k = client; k >= 0 && nb < 32; k = t->devs[k].parent)
		chain_b[nb++] = k;
	for (a = provider; a >= 0; a = t->devs[a].parent) {
		for (dist_b = 0; dist_b < nb; dist_b++)
			if (chain_b[dist_b] == a)
				break;
		if (dist_b < nb) {
			common = a;
			break;
		}
		add_hop(p, a);
	}
	if (common >= 0) {
		add_hop(p, common);
		for (k = dist_b - 1; k >= 0; k--)
			add_hop(p, chain_b[k]);
	} else {
		hb = p2pbuf_topo_host_bridge(t, provider);
		if (hb >= 0)
			add_hop(p, hb);
		for (k = nb - 1; k >= 0; k--)
			add_hop(p, chain_b[k]);
	}
	p->common = common;
}

/*
 * The module's decision for a path query (any direction), from the tree:
 * the same chains, facts and p2pbuf_decide() as the kernel, so that the
 * argument order only matters where the policy is not symmetric.
 */
P2PBUF_EXPORT int p2pbuf_topo_path(const struct p2pbuf_topo *t,
				   int provider, int client,
				   const struct p2pbuf_policy *pol,
				   struct p2pbuf_topo_path *p)
{
	struct {
		struct p2pbuf_chain p, c;
		struct p2pbuf_path_facts f;
		struct p2pbuf_bridge_policy pol;
		struct p2pbuf_verdict v;
	} *s;
	int err;

	if (!t || !p || provider < 0 || provider >= t->n || client < 0 ||
	    client >= t->n)
		return -EINVAL;
	s = malloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	err = policy_of(pol ? pol : &t->policy, &s->pol);
	if (err) {
		free(s);
		return err;
	}
	chain_of(t, provider, &s->p);
	chain_of(t, client, &s->c);
	p2pbuf_path_facts_from_chains(&s->p, &s->c, &s->f);
	s->f.kernel_whitelisted = s->f.same_root &&
		p2pbuf_core_whitelisted(core_host_id(t, s->p.root_bus),
					core_host_id(t, s->c.root_bus),
					s->f.same_host, t->amd_zen);
	p2pbuf_decide(&s->f, &s->pol, 0, &s->v);

	memset(p, 0, sizeof(*p));
	p->map_type = s->v.map_type;
	p->reason = s->v.reason;
	p->distance = s->v.distance;
	p->via_bdf = s->v.via == P2PBUF_VIA_NONE ? P2PBUF_BDF_NONE : s->v.via;
	p->via = s->v.via == P2PBUF_VIA_NONE ? -1 :
		 p2pbuf_topo_find(t, s->v.via);
	if (p->via < 0)
		p->via = -1;
	free(s);
	path_hops(t, provider, client, p);
	return 0;
}
