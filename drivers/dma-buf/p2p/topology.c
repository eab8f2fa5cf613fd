// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf topology and policy: how (and whether) an importer reaches a
 * provider.
 *
 * The walk (p2pbuf_topo_walk()) turns two PCI devices into their upstream
 * chains, and those into a struct p2pbuf_path_facts: the bridges between
 * them, their ACS bits, the host bridges and the distance. The decision
 * itself (p2pbuf_decide(), p2pbuf_reason_format()) lives in decision.c, a
 * pure function of those facts and a snapshot of the policy that libp2pbuf
 * compiles too. This file holds the policy's module parameters and the walk.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/visibility.h>
#include <linux/atomic.h>
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
 * PCI bus address. The path's ACS is checked where the P2PDMA core checks it:
 * on the bridges and on the two devices themselves (a function of a
 * multi-function device with ACS redirect sends its peer traffic up too).
 * Anything that crosses a root port goes through the host
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
 *
 * The three files are 0644, and writing them also needs CAP_SYS_ADMIN
 * (EPERM): a root without it must not widen the policy.
 */

#define P2PBUF_RULES_STRLEN	256

struct p2pbuf_rule_param {
	char str[P2PBUF_RULES_STRLEN];
	struct p2pbuf_bridge_rule tbl[P2PBUF_MAX_RULES];
	unsigned int nr;
};

/* protects the allow and deny tables and their strings */
static DEFINE_SPINLOCK(p2pbuf_policy_lock);
static struct p2pbuf_rule_param p2pbuf_allow;
static struct p2pbuf_rule_param p2pbuf_deny;
static bool kernel_whitelist;
/*
 * moves on with every policy write and PCI device added or removed; read
 * on every attach and map (p2pbuf_topo_generation()), written only by
 * p2pbuf_topo_changed()
 */
atomic_t p2pbuf_topo_gen __read_mostly = ATOMIC_INIT(0);

/**
 * p2pbuf_topo_changed - decisions made so far may no longer hold
 */
void p2pbuf_topo_changed(void)
{
	atomic_inc(&p2pbuf_topo_gen);
}

static int p2pbuf_whitelist_set(const char *val, const struct kernel_param *kp)
{
	int ret = p2pbuf_param_may_set();

	if (!ret)
		ret = param_set_bool(val, kp);
	if (!ret)
		p2pbuf_topo_changed();
	return ret;
}

static const struct kernel_param_ops p2pbuf_whitelist_ops = {
	.set = p2pbuf_whitelist_set,
	.get = param_get_bool,
};

module_param_cb(kernel_whitelist, &p2pbuf_whitelist_ops, &kernel_whitelist,
		0644);
MODULE_PARM_DESC(kernel_whitelist,
		 "Also trust host bridges whitelisted by the P2PDMA core (default: N)");

static int p2pbuf_rules_set(const char *val, const struct kernel_param *kp)
{
	struct p2pbuf_rule_param *p = kp->arg;
	struct p2pbuf_bridge_rule tbl[P2PBUF_MAX_RULES];
	int n;

	n = p2pbuf_param_may_set();
	if (n)
		return n;
	if (strlen(val) >= P2PBUF_RULES_STRLEN)
		return -ENOSPC;
	n = p2pbuf_bridge_rules_parse(val, tbl, ARRAY_SIZE(tbl));
	if (n < 0)
		return n;

	spin_lock(&p2pbuf_policy_lock);
	memcpy(p->tbl, tbl, sizeof(tbl));
	p->nr = n;
	strscpy(p->str, val, sizeof(p->str));
	strim(p->str);
	spin_unlock(&p2pbuf_policy_lock);
	p2pbuf_topo_changed();
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
void p2pbuf_policy_snapshot(struct p2pbuf_bridge_policy *pol)
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
 * No reference is taken: the caller holds one on @dev, and while @dev is
 * registered it holds its parent, and so on up to the PCI device.
 *
 * Return: the PCI device, or NULL.
 */
struct pci_dev *p2pbuf_find_pci_dev(struct device *dev)
{
	for (; dev; dev = dev->parent)
		if (dev_is_pci(dev))
			return to_pci_dev(dev);
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(p2pbuf_find_pci_dev);

static void p2pbuf_hop_fill(struct pci_dev *pdev, struct p2pbuf_hop *hop)
{
	u16 ctrl = 0;

	hop->bdf = p2pbuf_pdev_bdf(pdev);
	hop->id = p2pbuf_pdev_id(pdev);
	if (pdev->acs_cap)
		pci_read_config_word(pdev, pdev->acs_cap + PCI_ACS_CTRL, &ctrl);
	hop->acs_ctrl = ctrl;
	hop->acs_unknown = false;
}

/* a device, its upstream bridges and its host bridge, for decision.c */
static void p2pbuf_chain_build(struct pci_dev *pdev, struct p2pbuf_chain *c)
{
	struct pci_host_bridge *hb = pci_find_host_bridge(pdev->bus);
	struct pci_dev *host;

	memset(c, 0, sizeof(*c));
	/* upstream bridges are pinned by the references on their children */
	for (; pdev; pdev = pci_upstream_bridge(pdev)) {
		if (c->nr == P2PBUF_MAX_CHAIN) {
			c->truncated = true;
			break;
		}
		p2pbuf_hop_fill(pdev, &c->devs[c->nr++]);
	}
	c->root_bus = P2PBUF_BDF(pci_domain_nr(hb->bus), hb->bus->number, 0) >> 8;
	host = pci_get_slot(hb->bus, PCI_DEVFN(0, 0));
	if (host) {
		p2pbuf_hop_fill(host, &c->host);
		c->has_host = true;
		pci_dev_put(host);
	}
}

/**
 * p2pbuf_topo_walk - describe the PCI path between two devices
 * @provider: device owning the BAR
 * @client: importing device
 * @s: output: the two chains, and the facts derived from them
 *
 * Gathers the upstream chains with their ACS control bits; the facts come
 * from p2pbuf_path_facts_from_chains(), as in the library. Only whether the
 * P2PDMA core trusts the path is asked of the kernel itself.
 * Works without CONFIG_PCI_P2PDMA.
 */
void p2pbuf_topo_walk(struct pci_dev *provider, struct pci_dev *client,
		      struct p2pbuf_walk *s)
{
	p2pbuf_chain_build(provider, &s->provider);
	p2pbuf_chain_build(client, &s->client);
	p2pbuf_path_facts_from_chains(&s->provider, &s->client, &s->facts);
#if IS_ENABLED(CONFIG_PCI_P2PDMA)
	s->facts.kernel_whitelisted = s->facts.same_root &&
		pci_p2pdma_distance(provider, &client->dev, false) >= 0;
#endif
}

/**
 * p2pbuf_path_verdict - walk, snapshot the policy and decide
 * @provider: device owning the BAR
 * @client: importing device
 * @want: P2PBUF_DIR_* bits, 0 for any direction
 * @v: output; with no memory to walk, a refusal (never a guess)
 *
 * Return: 0, or -ENOMEM when there was no memory to walk: callers that
 * answer someone return that, not the refusal in @v.
 */
int p2pbuf_path_verdict(struct pci_dev *provider, struct pci_dev *client,
			u8 want, struct p2pbuf_verdict *v)
{
	struct {
		struct p2pbuf_walk walk;
		struct p2pbuf_bridge_policy pol;
	} *s;

	s = kmalloc(sizeof(*s), GFP_KERNEL);
	if (!s) {
		p2pbuf_verdict_simple(v, P2PBUF_REASON_HOST_BRIDGE_NOT_ALLOWED);
		return -ENOMEM;
	}
	p2pbuf_topo_walk(provider, client, &s->walk);
	p2pbuf_policy_snapshot(&s->pol);
	p2pbuf_decide(&s->walk.facts, &s->pol, want, v);
	kfree(s);
	return 0;
}

/**
 * p2pbuf_dma_unreachable - p2pbuf_dma_reachable() said no: say why
 * @addr: first bus address
 * @size: bytes
 * @limit: the highest address the importer reaches (0: it cannot DMA)
 * @v: turned into a P2PBUF_REASON_DMA_MASK refusal
 *
 * Return: false, for p2pbuf_dma_reachable() to pass on.
 */
bool p2pbuf_dma_unreachable(u64 addr, u64 size, u64 limit,
			    struct p2pbuf_verdict *v)
{
	p2pbuf_verdict_simple(v, P2PBUF_REASON_DMA_MASK);
	v->dma_end = size ? addr + size - 1 : addr;
	v->dma_limit = limit;
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(p2pbuf_dma_unreachable);

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
