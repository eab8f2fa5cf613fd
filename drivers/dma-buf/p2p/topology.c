// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf topology and policy: how (and whether) an importer reaches a
 * provider.
 *
 * The walk (p2pbuf_topo_walk()) turns two PCI devices into a struct
 * p2pbuf_topo: the bridges between them, their ACS bits, the host bridge and
 * the distance. The predicates (p2pbuf_decide()) are pure functions of that
 * description and a snapshot of the policy, so that KUnit can feed them any
 * topology. p2pbuf_reason_format() puts the verdict into words.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/visibility.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "p2pbuf_internal.h"

/**
 * DOC: policy
 *
 * Only what the PCIe specification guarantees is allowed by default: two
 * devices below a common switch, with no ACS redirect on the path, talk by
 * PCI bus address. Anything that crosses a root port goes through the host
 * bridge, and is only allowed when the host bridge (the device at bus 0,
 * devfn 0 of the domain) is on the allow list; such mappings are made with
 * dma_map_resource() so that an IOMMU, when there is one, translates them.
 *
 * The lists are module parameters, also writable at run time in
 * /sys/module/p2pbuf/parameters/: comma-separated "vvvv:dddd[:r|w|rw]"
 * entries, where the direction is the importer's: r means the importer reads
 * the provider (DMA_TO_DEVICE), w that it writes it (DMA_FROM_DEVICE), and the
 * default is both. Allow rules apply to host bridges; deny rules apply to any
 * bridge on the path (a broken switch) and beat allow rules. Directions are
 * checked when a buffer is mapped, since attach does not know them yet.
 *
 * Devices below two different host bridges of one PCI domain are reached
 * only when both host bridges are allowed (for the direction asked). Devices
 * in different PCI domains are always refused (NO_COMMON_ROOT).
 *
 * With kernel_whitelist=Y the host bridges that the P2PDMA core whitelists
 * are trusted as well (kernels with CONFIG_PCI_P2PDMA only).
 */

#define P2PBUF_RULES_STRLEN	256
#define P2PBUF_ACS_REDIR	(PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_EC)

struct p2pbuf_rule_param {
	char str[P2PBUF_RULES_STRLEN];
	struct p2pbuf_rule tbl[P2PBUF_MAX_RULES];
	unsigned int nr;
};

/* protects the allow and deny tables and their strings */
static DEFINE_SPINLOCK(p2pbuf_policy_lock);
static struct p2pbuf_rule_param p2pbuf_allow;
static struct p2pbuf_rule_param p2pbuf_deny;
static bool kernel_whitelist;
module_param(kernel_whitelist, bool, 0644);
MODULE_PARM_DESC(kernel_whitelist,
		 "Also trust host bridges whitelisted by the P2PDMA core (default: N)");

static int p2pbuf_parse_one(char *tok, struct p2pbuf_rule *r)
{
	char *vendor, *device, *dir;

	vendor = strsep(&tok, ":");
	device = strsep(&tok, ":");
	dir = tok;
	if (!vendor || !device || kstrtou16(vendor, 16, &r->vendor) ||
	    kstrtou16(device, 16, &r->device))
		return -EINVAL;

	if (!dir || !strcmp(dir, "rw") || !strcmp(dir, "wr"))
		r->dirs = P2PBUF_DIR_RW;
	else if (!strcmp(dir, "r"))
		r->dirs = P2PBUF_DIR_READ;
	else if (!strcmp(dir, "w"))
		r->dirs = P2PBUF_DIR_WRITE;
	else
		return -EINVAL;
	return 0;
}

/**
 * p2pbuf_parse_rules - parse "vvvv:dddd[:r|w|rw],..." into a table
 * @s: the string; blanks around entries and a trailing newline are ignored
 * @tbl: output table
 * @max: room in @tbl
 *
 * Return: number of rules, or -EINVAL (bad entry, too many), -ENOMEM.
 */
VISIBLE_IF_KUNIT int p2pbuf_parse_rules(const char *s, struct p2pbuf_rule *tbl,
					unsigned int max)
{
	char *copy, *cur, *tok;
	unsigned int n = 0;
	int ret = 0;

	copy = kstrdup(s, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;

	cur = copy;
	while ((tok = strsep(&cur, ",")) != NULL) {
		tok = strim(tok);
		if (!*tok)
			continue;
		if (n >= max) {
			ret = -EINVAL;
			break;
		}
		ret = p2pbuf_parse_one(tok, &tbl[n]);
		if (ret)
			break;
		n++;
	}
	kfree(copy);
	return ret ? ret : n;
}
EXPORT_SYMBOL_IF_KUNIT(p2pbuf_parse_rules);

static int p2pbuf_rules_set(const char *val, const struct kernel_param *kp)
{
	struct p2pbuf_rule_param *p = kp->arg;
	struct p2pbuf_rule tbl[P2PBUF_MAX_RULES];
	int n;

	if (strlen(val) >= P2PBUF_RULES_STRLEN)
		return -ENOSPC;
	n = p2pbuf_parse_rules(val, tbl, ARRAY_SIZE(tbl));
	if (n < 0)
		return n;

	spin_lock(&p2pbuf_policy_lock);
	memcpy(p->tbl, tbl, sizeof(tbl));
	p->nr = n;
	strscpy(p->str, val, sizeof(p->str));
	strim(p->str);
	spin_unlock(&p2pbuf_policy_lock);
	return 0;
}

static int p2pbuf_rules_get(char *buffer, const struct kernel_param *kp)
{
	struct p2pbuf_rule_param *p = kp->arg;
	int len;

	spin_lock(&p2pbuf_policy_lock);
	len = scnprintf(buffer, PAGE_SIZE, "%s\n", p->str);
	spin_unlock(&p2pbuf_policy_lock);
	return len;
}

static const struct kernel_param_ops p2pbuf_rules_ops = {
	.set = p2pbuf_rules_set,
	.get = p2pbuf_rules_get,
};

module_param_cb(allow_bridges, &p2pbuf_rules_ops, &p2pbuf_allow, 0644);
MODULE_PARM_DESC(allow_bridges,
		 "Host bridges P2P may cross: vvvv:dddd[:r|w|rw],... (default: none)");
module_param_cb(deny_bridges, &p2pbuf_rules_ops, &p2pbuf_deny, 0644);
MODULE_PARM_DESC(deny_bridges,
		 "Bridges P2P must not cross, beats allow: vvvv:dddd[:r|w|rw],...");

/**
 * p2pbuf_policy_snapshot - copy the current policy
 * @pol: output
 */
void p2pbuf_policy_snapshot(struct p2pbuf_policy *pol)
{
	spin_lock(&p2pbuf_policy_lock);
	pol->nr_allow = p2pbuf_allow.nr;
	pol->nr_deny = p2pbuf_deny.nr;
	memcpy(pol->allow, p2pbuf_allow.tbl, sizeof(pol->allow));
	memcpy(pol->deny, p2pbuf_deny.tbl, sizeof(pol->deny));
	spin_unlock(&p2pbuf_policy_lock);
	pol->kernel_whitelist = READ_ONCE(kernel_whitelist);
}

/**
 * p2pbuf_dir_to_mask - DMA direction of a mapping to P2PBUF_DIR_* bits
 * @dir: direction as the importer maps
 *
 * Return: the P2PBUF_DIR_* bits the mapping needs.
 */
u8 p2pbuf_dir_to_mask(enum dma_data_direction dir)
{
	switch (dir) {
	case DMA_TO_DEVICE:
		return P2PBUF_DIR_READ;
	case DMA_FROM_DEVICE:
		return P2PBUF_DIR_WRITE;
	default:
		return P2PBUF_DIR_RW;
	}
}
EXPORT_SYMBOL_IF_KUNIT(p2pbuf_dir_to_mask);

/**
 * p2pbuf_pdev_bdf - P2PBUF_BDF() of a PCI device
 * @pdev: the device
 *
 * Return: the packed address.
 */
u32 p2pbuf_pdev_bdf(struct pci_dev *pdev)
{
	return P2PBUF_BDF(pci_domain_nr(pdev->bus), pdev->bus->number,
			  pdev->devfn);
}

/**
 * p2pbuf_pdev_id - vendor and device ID of a PCI device, in one word
 * @pdev: the device
 *
 * Return: vendor << 16 | device, as struct p2pbuf_hop.id and the uapi's
 * vendor_device and via_id.
 */
u32 p2pbuf_pdev_id(struct pci_dev *pdev)
{
	return (u32)pdev->vendor << 16 | pdev->device;
}

/**
 * p2pbuf_find_pci_dev - the PCI device a device belongs to
 * @dev: a device, PCI or a child of one
 *
 * Return: the PCI device with a reference held, or NULL.
 */
struct pci_dev *p2pbuf_find_pci_dev(struct device *dev)
{
	for (; dev; dev = dev->parent)
		if (dev_is_pci(dev))
			return pci_dev_get(to_pci_dev(dev));
	return NULL;
}

static void p2pbuf_hop_fill(struct pci_dev *pdev, struct p2pbuf_hop *hop)
{
	u16 ctrl = 0;

	hop->bdf = p2pbuf_pdev_bdf(pdev);
	hop->id = p2pbuf_pdev_id(pdev);
	if (pdev->acs_cap)
		pci_read_config_word(pdev, pdev->acs_cap + PCI_ACS_CTRL, &ctrl);
	hop->acs_ctrl = ctrl;
}

static void p2pbuf_topo_add(struct p2pbuf_topo *topo, struct pci_dev *pdev)
{
	if (topo->nr_hops < P2PBUF_MAX_HOPS)
		p2pbuf_hop_fill(pdev, &topo->hops[topo->nr_hops++]);
}

/**
 * p2pbuf_topo_walk - describe the PCI path between two devices
 * @provider: device owning the BAR
 * @client: importing device
 * @topo: output
 *
 * Walks the upstream bridges the way the P2PDMA core does, so that the
 * distance matches pci_p2pdma_distance(), and records every bridge on the
 * path with its ACS control bits. Works without CONFIG_PCI_P2PDMA.
 */
void p2pbuf_topo_walk(struct pci_dev *provider, struct pci_dev *client,
		      struct p2pbuf_topo *topo)
{
	struct pci_host_bridge *host_p, *host_c;
	struct pci_dev *a, *b, *host;
	int dist_a = 0, dist_b = 0;

	memset(topo, 0, sizeof(*topo));
	host_p = pci_find_host_bridge(provider->bus);
	host_c = pci_find_host_bridge(client->bus);
	topo->same_root = pci_domain_nr(provider->bus) ==
			  pci_domain_nr(client->bus);
	topo->same_host = host_p == host_c;

	/* upstream bridges are pinned by the references on their children */
	for (a = provider; a; a = pci_upstream_bridge(a), dist_a++) {
		dist_b = 0;
		for (b = client; b; b = pci_upstream_bridge(b), dist_b++)
			if (a == b)
				goto common;
	}
	topo->dist = dist_a + dist_b;
	for (a = pci_upstream_bridge(provider); a; a = pci_upstream_bridge(a))
		p2pbuf_topo_add(topo, a);
	for (b = pci_upstream_bridge(client); b; b = pci_upstream_bridge(b))
		p2pbuf_topo_add(topo, b);
	goto host_bridge;

common:
	topo->dist = dist_a + dist_b;
	topo->common_switch = true;
	for (b = provider; b != a; b = pci_upstream_bridge(b))
		if (b != provider)
			p2pbuf_topo_add(topo, b);
	if (a != provider && a != client)
		p2pbuf_topo_add(topo, a);
	for (b = client; b != a; b = pci_upstream_bridge(b))
		if (b != client)
			p2pbuf_topo_add(topo, b);

host_bridge:
	host = pci_get_slot(host_p->bus, PCI_DEVFN(0, 0));
	if (host) {
		p2pbuf_hop_fill(host, &topo->host);
		topo->has_host = true;
		pci_dev_put(host);
	}
	if (!topo->same_host) {
		host = pci_get_slot(host_c->bus, PCI_DEVFN(0, 0));
		if (host) {
			p2pbuf_hop_fill(host, &topo->client_host);
			topo->has_client_host = true;
			pci_dev_put(host);
		}
	}
#if IS_ENABLED(CONFIG_PCI_P2PDMA)
	topo->kernel_whitelisted = topo->same_root &&
		pci_p2pdma_distance(provider, &client->dev, false) >= 0;
#endif
}

static const struct p2pbuf_rule *p2pbuf_rule_find(const struct p2pbuf_rule *tbl,
						  unsigned int n, u32 id)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (tbl[i].vendor == id >> 16 && tbl[i].device == (id & 0xffff))
			return &tbl[i];
	return NULL;
}

/* a deny rule blocks "any direction" only when it covers both */
static bool p2pbuf_deny_applies(u8 rule_dirs, u8 want)
{
	return want ? rule_dirs & want : rule_dirs == P2PBUF_DIR_RW;
}

static bool p2pbuf_allow_covers(u8 rule_dirs, u8 want)
{
	return want ? (rule_dirs & want) == want : rule_dirs != 0;
}

static void p2pbuf_verdict_via(struct p2pbuf_verdict *v,
			       const struct p2pbuf_hop *hop)
{
	v->via = hop->bdf;
	v->via_id = hop->id;
}

/**
 * p2pbuf_verdict_simple - a refusal that needs no topology
 * @v: output
 * @r: the reason (not PCI, no peer2peer, revoked)
 */
void p2pbuf_verdict_simple(struct p2pbuf_verdict *v, enum p2pbuf_reason r)
{
	memset(v, 0, sizeof(*v));
	v->map_type = P2PBUF_MAP_NOT_SUPPORTED;
	v->reason = r;
	v->distance = -1;
	v->via = P2PBUF_VIA_NONE;
}
EXPORT_SYMBOL_IF_KUNIT(p2pbuf_verdict_simple);

/**
 * p2pbuf_decide - the policy, as a pure function
 * @topo: the path, from p2pbuf_topo_walk() or a test
 * @pol: the policy snapshot
 * @want: P2PBUF_DIR_* the mapping needs, 0 for "any" (attach, path query)
 * @v: output: map type, reason, and the bridge that decided
 */
VISIBLE_IF_KUNIT void p2pbuf_decide(const struct p2pbuf_topo *topo,
				    const struct p2pbuf_policy *pol, u8 want,
				    struct p2pbuf_verdict *v)
{
	const struct p2pbuf_hop *acs = NULL, *hosts[2];
	const struct p2pbuf_rule *r;
	unsigned int i, nr_hosts;
	u8 dirs;

	p2pbuf_verdict_simple(v, P2PBUF_REASON_OK);
	v->want = want;

	if (!topo->same_root) {
		v->reason = P2PBUF_REASON_NO_COMMON_ROOT;
		return;
	}

	for (i = 0; i < topo->nr_hops; i++) {
		const struct p2pbuf_hop *hop = &topo->hops[i];

		r = p2pbuf_rule_find(pol->deny, pol->nr_deny, hop->id);
		if (r && p2pbuf_deny_applies(r->dirs, want)) {
			v->reason = P2PBUF_REASON_DENIED;
			v->dirs = r->dirs;
			p2pbuf_verdict_via(v, hop);
			return;
		}
		/* ACS matters below a common switch; root ports are crossed anyway */
		if (topo->common_switch && !acs &&
		    (hop->acs_ctrl & P2PBUF_ACS_REDIR))
			acs = hop;
	}

	if (topo->common_switch && !acs) {
		v->map_type = P2PBUF_MAP_BUS_ADDR;
		v->distance = topo->dist;
		return;
	}

	/* the traffic goes through the host bridge, or two of them */
	if (!topo->has_host ||
	    (!topo->same_host && !topo->has_client_host)) {
		v->reason = P2PBUF_REASON_HOST_BRIDGE_NOT_ALLOWED;
		return;
	}
	hosts[0] = &topo->host;
	hosts[1] = &topo->client_host;
	nr_hosts = topo->same_host ? 1 : 2;

	for (i = 0; i < nr_hosts; i++) {
		r = p2pbuf_rule_find(pol->deny, pol->nr_deny, hosts[i]->id);
		if (r && p2pbuf_deny_applies(r->dirs, want)) {
			v->reason = P2PBUF_REASON_DENIED;
			v->dirs = r->dirs;
			p2pbuf_verdict_via(v, hosts[i]);
			return;
		}
	}

	/* every host bridge crossed needs an allow rule covering @want */
	dirs = P2PBUF_DIR_RW;
	for (i = 0; i < nr_hosts; i++) {
		r = p2pbuf_rule_find(pol->allow, pol->nr_allow, hosts[i]->id);
		if (!r)
			break;
		if (!p2pbuf_allow_covers(r->dirs, want)) {
			v->reason = P2PBUF_REASON_DIRECTION;
			v->dirs = r->dirs;
			p2pbuf_verdict_via(v, hosts[i]);
			return;
		}
		dirs &= r->dirs;
	}
	if (i == nr_hosts) {
		v->map_type = P2PBUF_MAP_THRU_HOST_BRIDGE;
		v->distance = topo->dist;
		v->dirs = dirs;
		p2pbuf_verdict_via(v, &topo->host);
		return;
	}
	/* the first host bridge without a rule, unless something else decides */
	p2pbuf_verdict_via(v, hosts[i]);
	if (pol->kernel_whitelist && topo->kernel_whitelisted) {
		v->map_type = P2PBUF_MAP_THRU_HOST_BRIDGE;
		v->distance = topo->dist;
		v->dirs = P2PBUF_DIR_RW;
		p2pbuf_verdict_via(v, &topo->host);
		return;
	}
	if (acs) {
		v->reason = P2PBUF_REASON_ACS_REDIRECT;
		v->acs_ctrl = acs->acs_ctrl;
		p2pbuf_verdict_via(v, acs);
		return;
	}
	v->reason = P2PBUF_REASON_HOST_BRIDGE_NOT_ALLOWED;
}
EXPORT_SYMBOL_IF_KUNIT(p2pbuf_decide);

static const char *p2pbuf_dirs_name(u8 dirs)
{
	switch (dirs) {
	case P2PBUF_DIR_READ:
		return "r";
	case P2PBUF_DIR_WRITE:
		return "w";
	case P2PBUF_DIR_RW:
		return "rw";
	default:
		return "none";
	}
}

static void p2pbuf_bdf_str(u32 bdf, char *buf, size_t len)
{
	snprintf(buf, len, "%04x:%02x:%02x.%u", P2PBUF_BDF_DOMAIN(bdf),
		 P2PBUF_BDF_BUS(bdf), PCI_SLOT(P2PBUF_BDF_DEVFN(bdf)),
		 PCI_FUNC(P2PBUF_BDF_DEVFN(bdf)));
}

/**
 * p2pbuf_reason_format - the verdict in words, with the fix when there is one
 * @v: the verdict
 * @buf: output, NUL terminated
 * @len: room in @buf (P2PBUF_REASON_LEN fits every message)
 *
 * Return: the length written, as scnprintf().
 */
int p2pbuf_reason_format(const struct p2pbuf_verdict *v, char *buf,
			 size_t len)
{
	u16 vid = v->via_id >> 16, did = v->via_id & 0xffff;
	char via[16];

	p2pbuf_bdf_str(v->via, via, sizeof(via));
	switch (v->reason) {
	case P2PBUF_REASON_OK:
		if (v->map_type == P2PBUF_MAP_BUS_ADDR)
			return scnprintf(buf, len,
					 "common switch, no ACS redirect: PCI bus addresses");
		return scnprintf(buf, len,
				 "through host bridge %s (%04x:%04x), allowed (%s)",
				 via, vid, did, p2pbuf_dirs_name(v->dirs));
	case P2PBUF_REASON_NOT_PCI:
		return scnprintf(buf, len, "importer is not a PCI device");
	case P2PBUF_REASON_NO_PEER2PEER:
		return scnprintf(buf, len,
				 "importer did not set allow_peer2peer");
	case P2PBUF_REASON_NO_COMMON_ROOT:
		return scnprintf(buf, len,
				 "provider and client are in different PCI domains");
	case P2PBUF_REASON_ACS_REDIRECT:
		return scnprintf(buf, len,
				 "ACS redirect (ctrl %#06x) on %s (%04x:%04x); fix: pci=disable_acs_redir=%s",
				 v->acs_ctrl, via, vid, did, via);
	case P2PBUF_REASON_HOST_BRIDGE_NOT_ALLOWED:
		if (v->via == P2PBUF_VIA_NONE)
			return scnprintf(buf, len,
					 "crosses a host bridge that has no PCI device");
		return scnprintf(buf, len,
				 "crosses host bridge %s (%04x:%04x); allow it with: echo %04x:%04x > /sys/module/p2pbuf/parameters/allow_bridges",
				 via, vid, did, vid, did);
	case P2PBUF_REASON_DENIED:
		return scnprintf(buf, len,
				 "bridge %s (%04x:%04x) is in deny_bridges (%s)",
				 via, vid, did, p2pbuf_dirs_name(v->dirs));
	case P2PBUF_REASON_REVOKED:
		return scnprintf(buf, len, "provider is gone (revoked)");
	case P2PBUF_REASON_DMA_MASK:
		if (!v->dma_limit)
			return scnprintf(buf, len,
					 "importer has no DMA mask, cannot take bus addresses");
		return scnprintf(buf, len,
				 "bus address %#llx is beyond the importer's DMA mask %#llx",
				 v->dma_end, v->dma_limit);
	case P2PBUF_REASON_DIRECTION:
		return scnprintf(buf, len,
				 "host bridge %s (%04x:%04x) allowed for %s only, mapping needs %s",
				 via, vid, did, p2pbuf_dirs_name(v->dirs),
				 p2pbuf_dirs_name(v->want));
	}
	return scnprintf(buf, len, "unknown reason %d", v->reason);
}
EXPORT_SYMBOL_IF_KUNIT(p2pbuf_reason_format);

/**
 * p2pbuf_path_verdict - walk, snapshot the policy and decide
 * @provider: device owning the BAR
 * @client: importing device
 * @want: P2PBUF_DIR_* bits, 0 for any direction
 * @v: output
 */
void p2pbuf_path_verdict(struct pci_dev *provider, struct pci_dev *client,
			 u8 want, struct p2pbuf_verdict *v)
{
	struct {
		struct p2pbuf_topo topo;
		struct p2pbuf_policy pol;
	} *s;

	s = kmalloc(sizeof(*s), GFP_KERNEL);
	if (!s) {
		/* no memory to look: refuse, do not guess */
		p2pbuf_verdict_simple(v, P2PBUF_REASON_HOST_BRIDGE_NOT_ALLOWED);
		return;
	}
	p2pbuf_topo_walk(provider, client, &s->topo);
	p2pbuf_policy_snapshot(&s->pol);
	p2pbuf_decide(&s->topo, &s->pol, want, v);
	kfree(s);
}

/**
 * p2pbuf_dma_reachable - can an importer address a bus address range?
 * @addr: first bus address
 * @size: bytes
 * @dma_mask: the importer's dev->dma_mask (NULL: it cannot DMA)
 * @bus_dma_limit: the importer's dev->bus_dma_limit, 0 for none
 * @v: on false, turned into a P2PBUF_REASON_DMA_MASK refusal
 *
 * Bus addresses reach the importer untranslated, so the whole range must lie
 * below min_not_zero(*@dma_mask, @bus_dma_limit).
 *
 * Return: true when the importer reaches every byte.
 */
bool p2pbuf_dma_reachable(u64 addr, u64 size, const u64 *dma_mask,
			  u64 bus_dma_limit, struct p2pbuf_verdict *v)
{
	u64 limit = dma_mask ? min_not_zero(*dma_mask, bus_dma_limit) : 0;
	u64 end;

	if (dma_mask && size && !check_add_overflow(addr, size - 1, &end) &&
	    end <= limit)
		return true;
	p2pbuf_verdict_simple(v, P2PBUF_REASON_DMA_MASK);
	v->dma_end = size ? addr + size - 1 : addr;
	v->dma_limit = limit;
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(p2pbuf_dma_reachable);

/**
 * p2pbuf_map_type_name - short name of a map type for logs and debugfs
 * @t: the map type
 *
 * Return: a static string.
 */
const char *p2pbuf_map_type_name(enum p2pbuf_map_type t)
{
	switch (t) {
	case P2PBUF_MAP_BUS_ADDR:
		return "bus_addr";
	case P2PBUF_MAP_THRU_HOST_BRIDGE:
		return "host_bridge";
	default:
		return "none";
	}
}
