// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites for p2pbuf:
 *   p2pbuf_topology - the policy predicates on made-up topologies, the rule
 *                     parser and the reason strings;
 *   p2pbuf_sg       - sg table construction (segment splitting, page-less
 *                     tables).
 *
 * insmod p2pbuf_kunit.ko (p2pbuf.ko loaded first) runs both, and the
 * suites of decision_kunit.c, region_kunit.c and io_kunit.c.
 */
#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/string.h>

#include "../../drivers/dma-buf/p2p/p2pbuf_internal.h"

#define HOST_BDF	P2PBUF_BDF(0, 0, PCI_DEVFN(0, 0))
#define HOST_ID		0x808629c0	/* q35 host bridge 8086:29c0 */
#define SW_UP_ID	0x104c8232	/* x3130 upstream port */
#define SW_DN_ID	0x104c8233	/* xio3130 downstream port */
#define RP_ID		0x1b360c00	/* QEMU pcie-root-port */

/* provider 05:00.0 and client 06:00.0 below one switch, as in the VM */
static void topo_same_switch(struct p2pbuf_path_facts *t)
{
	memset(t, 0, sizeof(*t));
	t->same_root = true;
	t->same_host = true;
	t->common_switch = true;
	t->dist = 4;
	t->nr_hops = 3;
	t->hops[0] = (struct p2pbuf_hop){ P2PBUF_BDF(0, 2, PCI_DEVFN(2, 0)),
					  SW_DN_ID, 0 };
	t->hops[1] = (struct p2pbuf_hop){ P2PBUF_BDF(0, 1, PCI_DEVFN(0, 0)),
					  SW_UP_ID, 0 };
	t->hops[2] = (struct p2pbuf_hop){ P2PBUF_BDF(0, 2, PCI_DEVFN(3, 0)),
					  SW_DN_ID, 0 };
	t->host = (struct p2pbuf_hop){ HOST_BDF, HOST_ID, 0 };
	t->has_host = true;
}

/* provider 05:00.0 below rp1, client 07:00.0 below rp2 */
static void topo_cross_root(struct p2pbuf_path_facts *t)
{
	memset(t, 0, sizeof(*t));
	t->same_root = true;
	t->same_host = true;
	t->dist = 6;
	t->nr_hops = 4;
	t->hops[0] = (struct p2pbuf_hop){ P2PBUF_BDF(0, 2, PCI_DEVFN(2, 0)),
					  SW_DN_ID, 0 };
	t->hops[1] = (struct p2pbuf_hop){ P2PBUF_BDF(0, 1, PCI_DEVFN(0, 0)),
					  SW_UP_ID, 0 };
	t->hops[2] = (struct p2pbuf_hop){ P2PBUF_BDF(0, 0, PCI_DEVFN(4, 0)),
					  RP_ID, PCI_ACS_SV | PCI_ACS_RR |
					  PCI_ACS_CR };
	t->hops[3] = (struct p2pbuf_hop){ P2PBUF_BDF(0, 0, PCI_DEVFN(5, 0)),
					  RP_ID, PCI_ACS_SV | PCI_ACS_RR |
					  PCI_ACS_CR };
	t->host = (struct p2pbuf_hop){ HOST_BDF, HOST_ID, 0 };
	t->has_host = true;
}

static void policy(struct kunit *test, struct p2pbuf_bridge_policy *pol,
		   const char *allow, const char *deny)
{
	int n;

	memset(pol, 0, sizeof(*pol));
	n = p2pbuf_bridge_rules_parse(allow, pol->allow, P2PBUF_MAX_RULES);
	KUNIT_ASSERT_GE(test, n, 0);
	pol->nr_allow = n;
	n = p2pbuf_bridge_rules_parse(deny, pol->deny, P2PBUF_MAX_RULES);
	KUNIT_ASSERT_GE(test, n, 0);
	pol->nr_deny = n;
}

static void reason_contains(struct kunit *test, const struct p2pbuf_verdict *v,
			    const char *needle)
{
	char buf[P2PBUF_REASON_LEN];
	int len;

	len = p2pbuf_reason_format(v, buf, sizeof(buf));
	/* every message fits the uapi field untruncated */
	KUNIT_EXPECT_LT(test, len, P2PBUF_REASON_LEN - 1);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(buf, needle), "reason: %s", buf);
}

static void same_switch_is_bus_addr(struct kunit *test)
{
	struct p2pbuf_bridge_policy pol;
	struct p2pbuf_path_facts t;
	struct p2pbuf_verdict v;

	topo_same_switch(&t);
	policy(test, &pol, "", "");
	p2pbuf_decide(&t, &pol, 0, &v);
	KUNIT_EXPECT_EQ(test, v.map_type, P2PBUF_MAP_BUS_ADDR);
	KUNIT_EXPECT_EQ(test, v.reason, P2PBUF_REASON_OK);
	KUNIT_EXPECT_EQ(test, v.distance, 4);
	KUNIT_EXPECT_EQ(test, v.via, P2PBUF_VIA_NONE);
	p2pbuf_decide(&t, &pol, P2PBUF_DIR_RW, &v);
	KUNIT_EXPECT_EQ(test, v.map_type, P2PBUF_MAP_BUS_ADDR);
	reason_contains(test, &v, "bus addresses");
}

static void acs_redirect_refused(struct kunit *test)
{
	struct p2pbuf_bridge_policy pol;
	struct p2pbuf_path_facts t;
	struct p2pbuf_verdict v;

	topo_same_switch(&t);
	t.hops[2].acs_ctrl = PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR;
	policy(test, &pol, "", "");
	p2pbuf_decide(&t, &pol, 0, &v);
	KUNIT_EXPECT_EQ(test, v.map_type, P2PBUF_MAP_NOT_SUPPORTED);
	KUNIT_EXPECT_EQ(test, v.reason, P2PBUF_REASON_ACS_REDIRECT);
	KUNIT_EXPECT_EQ(test, v.via, P2PBUF_BDF(0, 2, PCI_DEVFN(3, 0)));
	KUNIT_EXPECT_EQ(test, v.via_id, SW_DN_ID);
	KUNIT_EXPECT_EQ(test, v.acs_ctrl, PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR);
	KUNIT_EXPECT_EQ(test, v.distance, -1);
	reason_contains(test, &v, "pci=disable_acs_redir=0000:02:03.0");
	reason_contains(test, &v, "104c:8233");

	/* source validation alone does not redirect */
	t.hops[2].acs_ctrl = PCI_ACS_SV;
	p2pbuf_decide(&t, &pol, 0, &v);
	KUNIT_EXPECT_EQ(test, v.map_type, P2PBUF_MAP_BUS_ADDR);

	/* redirected traffic goes through the host bridge: allowed there */
	t.hops[2].acs_ctrl = PCI_ACS_EC;
	policy(test, &pol, "8086:29c0", "");
	p2pbuf_decide(&t, &pol, 0, &v);
	KUNIT_EXPECT_EQ(test, v.map_type, P2PBUF_MAP_THRU_HOST_BRIDGE);
	KUNIT_EXPECT_EQ(test, v.via, HOST_BDF);
}

static void cross_root_refused_by_default(struct kunit *test)
{
	struct p2pbuf_bridge_policy pol;
	struct p2pbuf_path_facts t;
	struct p2pbuf_verdict v;

	topo_cross_root(&t);
	policy(test, &pol, "", "");
	p2pbuf_decide(&t, &pol, 0, &v);
	KUNIT_EXPECT_EQ(test, v.map_type, P2PBUF_MAP_NOT_SUPPORTED);
	KUNIT_EXPECT_EQ(test, v.reason, P2PBUF_REASON_HOST_BRIDGE_NOT_ALLOWED);
	KUNIT_EXPECT_EQ(test, v.via, HOST_BDF);
	KUNIT_EXPECT_EQ(test, v.via_id, HOST_ID);
	KUNIT_EXPECT_EQ(test, v.distance, -1);
	reason_contains(test, &v, "0000:00:00.0 (8086:29c0)");
	reason_contains(test, &v,
			"echo 8086:29c0 > /sys/module/p2pbuf/parameters/allow_bridges");

	/* another host bridge on the allow list does not help */
	policy(test, &pol, "8086:1237", "");
	p2pbuf_decide(&t, &pol, 0, &v);
	KUNIT_EXPECT_EQ(test, v.reason, P2PBUF_REASON_HOST_BRIDGE_NOT_ALLOWED);

	/* the kernel's whitelist counts only when asked for */
	t.kernel_whitelisted = true;
	p2pbuf_decide(&t, &pol, 0, &v);
	KUNIT_EXPECT_EQ(test, v.map_type, P2PBUF_MAP_NOT_SUPPORTED);
	pol.kernel_whitelist = true;
	p2pbuf_decide(&t, &pol, 0, &v);
	KUNIT_EXPECT_EQ(test, v.map_type, P2PBUF_MAP_THRU_HOST_BRIDGE);
}

static void cross_root_allowed(struct kunit *test)
{
	struct p2pbuf_bridge_policy pol;
	struct p2pbuf_path_facts t;
	struct p2pbuf_verdict v;

	topo_cross_root(&t);
	policy(test, &pol, "8086:29c0", "");
	p2pbuf_decide(&t, &pol, 0, &v);
	KUNIT_EXPECT_EQ(test, v.map_type, P2PBUF_MAP_THRU_HOST_BRIDGE);
	KUNIT_EXPECT_EQ(test, v.reason, P2PBUF_REASON_OK);
	KUNIT_EXPECT_EQ(test, v.distance, 6);
	KUNIT_EXPECT_EQ(test, v.via, HOST_BDF);
	reason_contains(test, &v, "allowed (rw)");
	p2pbuf_decide(&t, &pol, P2PBUF_DIR_WRITE, &v);
	KUNIT_EXPECT_EQ(test, v.map_type, P2PBUF_MAP_THRU_HOST_BRIDGE);
}

static void direction_checked(struct kunit *test)
{
	struct p2pbuf_bridge_policy pol;
	struct p2pbuf_path_facts t;
	struct p2pbuf_verdict v;

	topo_cross_root(&t);
	policy(test, &pol, "8086:29c0:r", "");
	p2pbuf_decide(&t, &pol, 0, &v);		/* attach: some direction */
	KUNIT_EXPECT_EQ(test, v.map_type, P2PBUF_MAP_THRU_HOST_BRIDGE);
	p2pbuf_decide(&t, &pol, P2PBUF_DIR_READ, &v);
	KUNIT_EXPECT_EQ(test, v.map_type, P2PBUF_MAP_THRU_HOST_BRIDGE);
	p2pbuf_decide(&t, &pol, P2PBUF_DIR_WRITE, &v);
	KUNIT_EXPECT_EQ(test, v.map_type, P2PBUF_MAP_NOT_SUPPORTED);
	KUNIT_EXPECT_EQ(test, v.reason, P2PBUF_REASON_DIRECTION);
	reason_contains(test, &v, "allowed for r only, mapping needs w");
	p2pbuf_decide(&t, &pol, P2PBUF_DIR_RW, &v);
	KUNIT_EXPECT_EQ(test, v.reason, P2PBUF_REASON_DIRECTION);

	KUNIT_EXPECT_EQ(test, p2pbuf_dir_to_mask(DMA_TO_DEVICE),
			P2PBUF_DIR_READ);
	KUNIT_EXPECT_EQ(test, p2pbuf_dir_to_mask(DMA_FROM_DEVICE),
			P2PBUF_DIR_WRITE);
	KUNIT_EXPECT_EQ(test, p2pbuf_dir_to_mask(DMA_BIDIRECTIONAL),
			P2PBUF_DIR_RW);
}

static void deny_beats_allow(struct kunit *test)
{
	struct p2pbuf_bridge_policy pol;
	struct p2pbuf_path_facts t;
	struct p2pbuf_verdict v;

	topo_cross_root(&t);
	policy(test, &pol, "8086:29c0", "8086:29c0");
	p2pbuf_decide(&t, &pol, 0, &v);
	KUNIT_EXPECT_EQ(test, v.map_type, P2PBUF_MAP_NOT_SUPPORTED);
	KUNIT_EXPECT_EQ(test, v.reason, P2PBUF_REASON_DENIED);
	KUNIT_EXPECT_EQ(test, v.via, HOST_BDF);
	reason_contains(test, &v, "deny_bridges");

	/* a denied switch blocks even the bus-address path */
	topo_same_switch(&t);
	policy(test, &pol, "", "104c:8232");
	p2pbuf_decide(&t, &pol, 0, &v);
	KUNIT_EXPECT_EQ(test, v.reason, P2PBUF_REASON_DENIED);
	KUNIT_EXPECT_EQ(test, v.via, P2PBUF_BDF(0, 1, PCI_DEVFN(0, 0)));
	KUNIT_EXPECT_EQ(test, v.via_id, SW_UP_ID);

	/* a write-only deny lets reads through */
	policy(test, &pol, "", "104c:8232:w");
	p2pbuf_decide(&t, &pol, 0, &v);
	KUNIT_EXPECT_EQ(test, v.map_type, P2PBUF_MAP_BUS_ADDR);
	p2pbuf_decide(&t, &pol, P2PBUF_DIR_READ, &v);
	KUNIT_EXPECT_EQ(test, v.map_type, P2PBUF_MAP_BUS_ADDR);
	p2pbuf_decide(&t, &pol, P2PBUF_DIR_WRITE, &v);
	KUNIT_EXPECT_EQ(test, v.reason, P2PBUF_REASON_DENIED);
}

static void different_roots_refused(struct kunit *test)
{
	struct p2pbuf_bridge_policy pol;
	struct p2pbuf_path_facts t;
	struct p2pbuf_verdict v;

	topo_cross_root(&t);
	t.same_root = false;
	policy(test, &pol, "8086:29c0", "");
	p2pbuf_decide(&t, &pol, 0, &v);
	KUNIT_EXPECT_EQ(test, v.map_type, P2PBUF_MAP_NOT_SUPPORTED);
	KUNIT_EXPECT_EQ(test, v.reason, P2PBUF_REASON_NO_COMMON_ROOT);
	KUNIT_EXPECT_EQ(test, v.distance, -1);
	reason_contains(test, &v, "different PCI domains");
}

/* provider below the q35 host bridge, client below a second one (pxb) */
#define HOST2_BDF	P2PBUF_BDF(0, 0x80, PCI_DEVFN(0, 0))
#define HOST2_ID	0x1b360009	/* QEMU pxb host bridge */

static void topo_two_host_bridges(struct p2pbuf_path_facts *t)
{
	topo_cross_root(t);
	t->same_host = false;
	t->hops[3].bdf = P2PBUF_BDF(0, 0x80, PCI_DEVFN(1, 0));
	t->client_host = (struct p2pbuf_hop){ HOST2_BDF, HOST2_ID, 0 };
	t->has_client_host = true;
}

static void two_host_bridges_need_both(struct kunit *test)
{
	struct p2pbuf_bridge_policy pol;
	struct p2pbuf_path_facts t;
	struct p2pbuf_verdict v;

	topo_two_host_bridges(&t);

	/* same domain: not NO_COMMON_ROOT, the policy decides */
	policy(test, &pol, "", "");
	p2pbuf_decide(&t, &pol, 0, &v);
	KUNIT_EXPECT_EQ(test, v.reason, P2PBUF_REASON_HOST_BRIDGE_NOT_ALLOWED);
	KUNIT_EXPECT_EQ(test, v.via, HOST_BDF);

	/* one of the two allowed: the other one is named */
	policy(test, &pol, "8086:29c0", "");
	p2pbuf_decide(&t, &pol, 0, &v);
	KUNIT_EXPECT_EQ(test, v.map_type, P2PBUF_MAP_NOT_SUPPORTED);
	KUNIT_EXPECT_EQ(test, v.reason, P2PBUF_REASON_HOST_BRIDGE_NOT_ALLOWED);
	KUNIT_EXPECT_EQ(test, v.via, HOST2_BDF);
	KUNIT_EXPECT_EQ(test, v.via_id, HOST2_ID);
	reason_contains(test, &v, "echo 1b36:0009");

	/* both allowed: through the host bridges, directions intersected */
	policy(test, &pol, "8086:29c0,1b36:0009:r", "");
	p2pbuf_decide(&t, &pol, 0, &v);
	KUNIT_EXPECT_EQ(test, v.map_type, P2PBUF_MAP_THRU_HOST_BRIDGE);
	KUNIT_EXPECT_EQ(test, v.distance, 6);
	KUNIT_EXPECT_EQ(test, v.dirs, P2PBUF_DIR_READ);
	p2pbuf_decide(&t, &pol, P2PBUF_DIR_WRITE, &v);
	KUNIT_EXPECT_EQ(test, v.reason, P2PBUF_REASON_DIRECTION);
	KUNIT_EXPECT_EQ(test, v.via, HOST2_BDF);

	/* a deny on either host bridge wins */
	policy(test, &pol, "8086:29c0,1b36:0009", "1b36:0009");
	p2pbuf_decide(&t, &pol, 0, &v);
	KUNIT_EXPECT_EQ(test, v.reason, P2PBUF_REASON_DENIED);
	KUNIT_EXPECT_EQ(test, v.via, HOST2_BDF);

	/* the kernel's whitelist covers both bridges, when asked for */
	policy(test, &pol, "", "");
	t.kernel_whitelisted = true;
	pol.kernel_whitelist = true;
	p2pbuf_decide(&t, &pol, 0, &v);
	KUNIT_EXPECT_EQ(test, v.map_type, P2PBUF_MAP_THRU_HOST_BRIDGE);

	/* a second host bridge without a PCI device cannot be allowed */
	t.has_client_host = false;
	policy(test, &pol, "8086:29c0", "");
	pol.kernel_whitelist = false;
	p2pbuf_decide(&t, &pol, 0, &v);
	KUNIT_EXPECT_EQ(test, v.reason, P2PBUF_REASON_HOST_BRIDGE_NOT_ALLOWED);
}

static void bus_addr_dma_mask(struct kunit *test)
{
	const u64 bus = 0x380000000000ULL, size = SZ_1M;
	u64 mask32 = DMA_BIT_MASK(32), mask64 = DMA_BIT_MASK(64);
	struct p2pbuf_verdict v;

	KUNIT_EXPECT_TRUE(test, p2pbuf_dma_reachable(bus, size, &mask64, 0,
						     &v));
	/* a 32-bit importer cannot reach a 64-bit BAR by bus address */
	KUNIT_EXPECT_FALSE(test, p2pbuf_dma_reachable(bus, size, &mask32, 0,
						      &v));
	KUNIT_EXPECT_EQ(test, v.map_type, P2PBUF_MAP_NOT_SUPPORTED);
	KUNIT_EXPECT_EQ(test, v.reason, P2PBUF_REASON_DMA_MASK);
	reason_contains(test, &v, "0x3800000fffff");
	reason_contains(test, &v, "DMA mask 0xffffffff");
	/* the last byte counts, not the first */
	KUNIT_EXPECT_TRUE(test, p2pbuf_dma_reachable(0xfff00000ULL, size,
						     &mask32, 0, &v));
	KUNIT_EXPECT_FALSE(test, p2pbuf_dma_reachable(0xfff00000ULL,
						      size + PAGE_SIZE,
						      &mask32, 0, &v));
	/* the bus limit tightens the mask */
	KUNIT_EXPECT_FALSE(test, p2pbuf_dma_reachable(bus, size, &mask64,
						      DMA_BIT_MASK(40), &v));
	KUNIT_EXPECT_EQ(test, v.dma_limit, DMA_BIT_MASK(40));
	/* no mask at all: no DMA */
	KUNIT_EXPECT_FALSE(test, p2pbuf_dma_reachable(0x1000, size, NULL, 0,
						      &v));
	reason_contains(test, &v, "no DMA mask");
}

static void simple_reasons(struct kunit *test)
{
	struct p2pbuf_verdict v;

	p2pbuf_verdict_simple(&v, P2PBUF_REASON_NOT_PCI);
	KUNIT_EXPECT_EQ(test, v.map_type, P2PBUF_MAP_NOT_SUPPORTED);
	reason_contains(test, &v, "not a PCI device");
	p2pbuf_verdict_simple(&v, P2PBUF_REASON_NO_PEER2PEER);
	reason_contains(test, &v, "allow_peer2peer");
	p2pbuf_verdict_simple(&v, P2PBUF_REASON_REVOKED);
	reason_contains(test, &v, "revoked");
}

static int parse(const char *s, struct p2pbuf_bridge_rule *tbl)
{
	return p2pbuf_bridge_rules_parse(s, tbl, P2PBUF_MAX_RULES);
}

static void rule_parser(struct kunit *test)
{
	struct p2pbuf_bridge_rule tbl[P2PBUF_MAX_RULES];
	char many[P2PBUF_MAX_RULES * 11 + 16] = "";
	int i;

	KUNIT_EXPECT_EQ(test, parse("", tbl), 0);
	KUNIT_EXPECT_EQ(test, parse("\n", tbl), 0);
	KUNIT_ASSERT_EQ(test, parse("8086:29c0", tbl), 1);
	KUNIT_EXPECT_EQ(test, tbl[0].vendor, 0x8086);
	KUNIT_EXPECT_EQ(test, tbl[0].device, 0x29c0);
	KUNIT_EXPECT_EQ(test, tbl[0].dirs, P2PBUF_DIR_RW);
	KUNIT_ASSERT_EQ(test, parse(" 8086:29c0:r, 10b5:8747:w\n", tbl), 2);
	KUNIT_EXPECT_EQ(test, tbl[0].dirs, P2PBUF_DIR_READ);
	KUNIT_EXPECT_EQ(test, tbl[1].vendor, 0x10b5);
	KUNIT_EXPECT_EQ(test, tbl[1].dirs, P2PBUF_DIR_WRITE);
	KUNIT_EXPECT_EQ(test, parse("1022:1480:rw", tbl), 1);
	KUNIT_EXPECT_EQ(test, tbl[0].dirs, P2PBUF_DIR_RW);
	/* as kstrtou16(s, 16): a 0x prefix is taken */
	KUNIT_ASSERT_EQ(test, parse("0x8086:0x29C0", tbl), 1);
	KUNIT_EXPECT_EQ(test, tbl[0].device, 0x29c0);

	KUNIT_EXPECT_EQ(test, parse("8086", tbl), -EINVAL);
	KUNIT_EXPECT_EQ(test, parse("zzzz:29c0", tbl), -EINVAL);
	KUNIT_EXPECT_EQ(test, parse("8086:129c0", tbl), -EINVAL);
	KUNIT_EXPECT_EQ(test, parse("8086:29c0:x", tbl), -EINVAL);
	KUNIT_EXPECT_EQ(test, parse("8086:29c0:", tbl), -EINVAL);
	KUNIT_EXPECT_EQ(test, parse(":29c0", tbl), -EINVAL);
	KUNIT_EXPECT_EQ(test, parse("8086 29c0", tbl), -EINVAL);
	for (i = 0; i <= P2PBUF_MAX_RULES; i++)
		strcat(many, "8086:29c0,");
	KUNIT_EXPECT_EQ(test, parse(many, tbl), -EINVAL);
}

/*
 * An attachment's PCI device: the importer's own device is kept by the
 * importer, so no reference; a PCI ancestor of a child device gets one,
 * since the child lets its parent go when it is unregistered. On a PCI
 * device of the test's own, never registered, which nothing else
 * references.
 */
static void importer_pci_release(struct device *dev)
{
	kfree(to_pci_dev(dev));
}

static void importer_pci_ref(struct kunit *test)
{
	struct pci_dev *pdev = kzalloc(sizeof(*pdev), GFP_KERNEL);
	struct device *child;

	KUNIT_ASSERT_NOT_NULL(test, pdev);
	device_initialize(&pdev->dev);
	pdev->dev.bus = &pci_bus_type;
	pdev->dev.release = importer_pci_release;
	child = kunit_kzalloc(test, sizeof(*child), GFP_KERNEL);
	if (!child)
		put_device(&pdev->dev);
	KUNIT_ASSERT_NOT_NULL(test, child);
	child->parent = &pdev->dev;

	KUNIT_EXPECT_EQ(test, kref_read(&pdev->dev.kobj.kref), 1);
	KUNIT_EXPECT_PTR_EQ(test, p2pbuf_importer_pci_get(&pdev->dev), pdev);
	KUNIT_EXPECT_EQ(test, kref_read(&pdev->dev.kobj.kref), 1);
	p2pbuf_importer_pci_put(pdev, &pdev->dev);
	KUNIT_EXPECT_EQ(test, kref_read(&pdev->dev.kobj.kref), 1);

	KUNIT_EXPECT_PTR_EQ(test, p2pbuf_importer_pci_get(child), pdev);
	KUNIT_EXPECT_EQ(test, kref_read(&pdev->dev.kobj.kref), 2);
	p2pbuf_importer_pci_put(pdev, child);
	KUNIT_EXPECT_EQ(test, kref_read(&pdev->dev.kobj.kref), 1);
	put_device(&pdev->dev);
}

/*
 * A removed importer (one that keeps its attachment past the removal of
 * its PCI device) is neither looked up nor walked from: -ENODEV, and the
 * attachment's map types stay as they were.
 */
static void removed_importer_enodev(struct kunit *test)
{
	struct p2pbuf_provider *prov;
	struct p2pbuf_verdicts vs;
	u8 types[P2PBUF_DIR_RW + 1];
	struct pci_dev *pdev;
	u32 gen = 7;

	prov = kunit_kzalloc(test, sizeof(*prov), GFP_KERNEL);
	pdev = kzalloc(sizeof(*pdev), GFP_KERNEL);
	if (!prov || !pdev)
		kfree(pdev);
	KUNIT_ASSERT_TRUE(test, prov && pdev);
	seqlock_init(&prov->vcache_lock);
	device_initialize(&pdev->dev);	/* never added: as after removal */
	pdev->dev.bus = &pci_bus_type;
	pdev->dev.release = importer_pci_release;
	memset(types, 0xaa, sizeof(types));

	KUNIT_EXPECT_EQ(test, p2pbuf_map_types_get(prov, pdev, types, &gen),
			-ENODEV);
	KUNIT_EXPECT_EQ(test, gen, 7);
	KUNIT_EXPECT_EQ(test, types[0], 0xaa);
	KUNIT_EXPECT_EQ(test, p2pbuf_verdicts_get(prov, pdev, &vs), -ENODEV);
	put_device(&pdev->dev);
}

static struct kunit_case p2pbuf_topology_cases[] = {
	KUNIT_CASE(same_switch_is_bus_addr),
	KUNIT_CASE(acs_redirect_refused),
	KUNIT_CASE(cross_root_refused_by_default),
	KUNIT_CASE(cross_root_allowed),
	KUNIT_CASE(direction_checked),
	KUNIT_CASE(deny_beats_allow),
	KUNIT_CASE(different_roots_refused),
	KUNIT_CASE(two_host_bridges_need_both),
	KUNIT_CASE(bus_addr_dma_mask),
	KUNIT_CASE(simple_reasons),
	KUNIT_CASE(rule_parser),
	KUNIT_CASE(importer_pci_ref),
	KUNIT_CASE(removed_importer_enodev),
	{}
};

static struct kunit_suite p2pbuf_topology_suite = {
	.name = "p2pbuf_topology",
	.test_cases = p2pbuf_topology_cases,
};

/* ---- p2pbuf_sg ----------------------------------------------------------- */

static void sg_check_contiguous(struct kunit *test, struct sg_table *sgt,
				u64 addr, u64 len, u64 max, u64 boundary)
{
	struct scatterlist *sg;
	u64 next = addr, total = 0;
	int i;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		KUNIT_EXPECT_EQ(test, (u64)sg_dma_address(sg), next);
		KUNIT_EXPECT_LE(test, (u64)sg_dma_len(sg), max);
		KUNIT_EXPECT_TRUE(test, PAGE_ALIGNED(sg_dma_len(sg)));
		if (boundary != U64_MAX)
			KUNIT_EXPECT_EQ(test, next & ~boundary,
					(next + sg_dma_len(sg) - 1) & ~boundary);
		KUNIT_EXPECT_NULL(test, sg_page(sg));
		KUNIT_EXPECT_GT(test, sg_dma_len(sg), 0);
		next += sg_dma_len(sg);
		total += sg_dma_len(sg);
	}
	KUNIT_EXPECT_EQ(test, total, len);
}

static void sg_coalesced_64m(struct kunit *test)
{
	const u64 addr = 0xc0000000ULL, len = SZ_64M;
	struct sg_table sgt;

	/* an importer that takes big segments gets one entry */
	KUNIT_EXPECT_EQ(test, p2pbuf_sg_count(addr, len, UINT_MAX, 0xffffffff),
			1);
	KUNIT_ASSERT_EQ(test, p2pbuf_sg_fill(&sgt, addr, len, UINT_MAX,
					     0xffffffff), 0);
	KUNIT_EXPECT_EQ(test, sgt.nents, 1);
	KUNIT_EXPECT_EQ(test, sgt.orig_nents, 0);
	sg_check_contiguous(test, &sgt, addr, len, UINT_MAX, 0xffffffff);
	p2pbuf_sg_free(&sgt, sgt.nents);
}

static void sg_split_max_seg(struct kunit *test)
{
	const u64 addr = 0x380000000000ULL, len = SZ_64M;
	struct sg_table sgt;

	/* PCI's default 64 KiB: 1024 entries, a chained table */
	KUNIT_EXPECT_EQ(test, p2pbuf_sg_count(addr, len, SZ_64K, 0xffffffff),
			1024);
	KUNIT_ASSERT_EQ(test, p2pbuf_sg_fill(&sgt, addr, len, SZ_64K,
					     0xffffffff), 0);
	KUNIT_EXPECT_EQ(test, sgt.nents, 1024);
	sg_check_contiguous(test, &sgt, addr, len, SZ_64K, 0xffffffff);
	p2pbuf_sg_free(&sgt, sgt.nents);

	/* a maximum that is not a page multiple is rounded down */
	KUNIT_EXPECT_EQ(test, p2pbuf_sg_count(addr, SZ_1M, SZ_64K + 1, U64_MAX),
			16);
	/* smaller than a page: one page per entry, never zero */
	KUNIT_EXPECT_EQ(test, p2pbuf_sg_count(addr, SZ_64K, 512, U64_MAX),
			SZ_64K / PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, p2pbuf_sg_count(addr, 0, SZ_64K, U64_MAX), 0);
}

static void sg_split_boundary(struct kunit *test)
{
	const u64 addr = 0xfff00000ULL, len = SZ_2M;
	struct sg_table sgt;

	/* crossing the 4 GiB boundary splits there */
	KUNIT_EXPECT_EQ(test, p2pbuf_sg_count(addr, len, UINT_MAX, 0xffffffff),
			2);
	KUNIT_ASSERT_EQ(test, p2pbuf_sg_fill(&sgt, addr, len, UINT_MAX,
					     0xffffffff), 0);
	KUNIT_EXPECT_EQ(test, sg_dma_len(sgt.sgl), SZ_1M);
	sg_check_contiguous(test, &sgt, addr, len, UINT_MAX, 0xffffffff);
	p2pbuf_sg_free(&sgt, sgt.nents);

	/* no boundary: one entry */
	KUNIT_EXPECT_EQ(test, p2pbuf_sg_count(addr, len, UINT_MAX, U64_MAX), 1);
	/* 1 MiB boundaries, unaligned start */
	KUNIT_EXPECT_EQ(test, p2pbuf_sg_count(0x80000, SZ_2M, UINT_MAX,
					      SZ_1M - 1), 3);
	/* one entry exactly: up to the boundary, or the longest segment */
	KUNIT_EXPECT_EQ(test, p2pbuf_sg_count(0x100000000ULL - SZ_64K, SZ_64K,
					      UINT_MAX, 0xffffffff), 1);
	KUNIT_EXPECT_EQ(test, p2pbuf_sg_count(0x100000000ULL - SZ_64K,
					      SZ_64K + SZ_4K, UINT_MAX,
					      0xffffffff), 2);
	KUNIT_EXPECT_EQ(test, p2pbuf_sg_count(addr, SZ_64K, SZ_64K, U64_MAX),
			1);
	KUNIT_EXPECT_EQ(test, p2pbuf_sg_count(addr, SZ_64K + SZ_4K, SZ_64K,
					      U64_MAX), 2);
}

static void sg_large(struct kunit *test)
{
	const u64 addr = 0x4000000000ULL, len = SZ_8G;
	struct sg_table sgt;

	/* more than sg_dma_len() can hold in one entry */
	KUNIT_EXPECT_EQ(test, p2pbuf_sg_count(addr, len, UINT_MAX, U64_MAX), 3);
	KUNIT_ASSERT_EQ(test, p2pbuf_sg_fill(&sgt, addr, len, UINT_MAX,
					     U64_MAX), 0);
	sg_check_contiguous(test, &sgt, addr, len, UINT_MAX, U64_MAX);
	p2pbuf_sg_free(&sgt, sgt.nents);
}

/*
 * No CPU list: orig_nents is 0 (dma_buf_phys_vec_to_sgt() does the same), so
 * CPU-side walkers see nothing and syncs do nothing (with DMA-API debugging,
 * a sync of entries nobody mapped would warn); the DMA side is all there, and
 * p2pbuf_sg_free() frees what was allocated (a chained table here, which
 * kmemleak would find if sg_free_table() ran on orig_nents 0).
 */
static void sg_pageless(struct kunit *test)
{
	const u64 addr = 0x380000000000ULL, len = SZ_4M;
	struct scatterlist *sg;
	struct sg_table sgt;
	struct device *dev;
	int i, cpu = 0;

	KUNIT_ASSERT_EQ(test, p2pbuf_sg_fill(&sgt, addr, len, SZ_4K,
					     0xffffffff), 0);
	KUNIT_EXPECT_EQ(test, sgt.orig_nents, 0);
	KUNIT_EXPECT_EQ(test, sgt.nents, SZ_4M / SZ_4K);
	KUNIT_EXPECT_GT(test, sgt.nents, SG_MAX_SINGLE_ALLOC);
	sg_check_contiguous(test, &sgt, addr, len, SZ_4K, 0xffffffff);

	for_each_sgtable_sg(&sgt, sg, i)
		cpu++;
	KUNIT_EXPECT_EQ(test, cpu, 0);
	dev = kunit_device_register(test, "p2pbuf-sg-pageless");
	if (!IS_ERR(dev)) {
		dev->coherent_dma_mask = DMA_BIT_MASK(64);
		dev->dma_mask = &dev->coherent_dma_mask;
		dma_sync_sgtable_for_cpu(dev, &sgt, DMA_BIDIRECTIONAL);
		dma_sync_sgtable_for_device(dev, &sgt, DMA_BIDIRECTIONAL);
	}

	p2pbuf_sg_free(&sgt, SZ_4M / SZ_4K);
	KUNIT_EXPECT_EQ(test, sgt.orig_nents, SZ_4M / SZ_4K);
	KUNIT_EXPECT_NULL(test, sgt.sgl);
}

/*
 * The count is computed, not walked: it must be exactly what the fill
 * needs (sg_check_contiguous() fails on a short table by the total, on a
 * long one by its empty entries), whatever the start, maximum and boundary.
 */
static void sg_count_matches_fill(struct kunit *test)
{
	static const struct {
		u64 addr, len;
		unsigned int max;
		u64 mask;
	} c[] = {
		{ 0xc0000000ULL, SZ_4K, SZ_64K, U64_MAX },
		{ 0xc0001000ULL, SZ_1M + SZ_4K, SZ_64K, U64_MAX },
		{ 0xc0001000ULL, SZ_1M, SZ_64K, SZ_64K - 1 },
		{ 0xc000f000ULL, SZ_2M, SZ_64K, SZ_64K - 1 },
		{ 0xc000f000ULL, SZ_2M, SZ_16K, SZ_64K - 1 },
		{ 0xc000f000ULL, SZ_2M, SZ_64K * 3, SZ_1M - 1 },
		{ 0xfffff000ULL, SZ_2M, UINT_MAX, 0xffffffff },
		{ 0xc0003000ULL, SZ_256K, SZ_1M, SZ_4K - 1 },
		{ 0xc0003000ULL, SZ_256K + SZ_4K, 100, SZ_8K - 1 },
	};
	struct sg_table sgt;
	unsigned int i;
	u64 n;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		n = p2pbuf_sg_count(c[i].addr, c[i].len, c[i].max, c[i].mask);
		KUNIT_ASSERT_EQ_MSG(test, p2pbuf_sg_fill(&sgt, c[i].addr,
							 c[i].len, c[i].max,
							 c[i].mask), 0,
				    "case %u", i);
		KUNIT_EXPECT_EQ_MSG(test, sgt.nents, n, "case %u", i);
		sg_check_contiguous(test, &sgt, c[i].addr, c[i].len,
				    max_t(u64, round_down(c[i].max, PAGE_SIZE),
					  PAGE_SIZE), c[i].mask);
		p2pbuf_sg_free(&sgt, sgt.nents);
	}
}

/*
 * More entries than an sg table holds: counted in 64 bits and refused, not
 * wrapped into a short table that leaves the end of the range unmapped.
 * Nothing is allocated (16 TiB in pages would be 2^32 + 1 entries).
 */
static void sg_count_over_uint(struct kunit *test)
{
	const u64 addr = 0x400000000000ULL, pages = 1ULL << 32;
	struct sg_table sgt = {};

	/* exactly as many as fit: counted, allocation not tried here */
	KUNIT_EXPECT_EQ(test, p2pbuf_sg_count(addr, (pages - 1) * SZ_4K,
					      SZ_4K, U64_MAX), (u64)UINT_MAX);
	KUNIT_EXPECT_EQ(test, p2pbuf_sg_count(addr, pages * SZ_4K, SZ_4K,
					      U64_MAX), pages);
	KUNIT_EXPECT_EQ(test, p2pbuf_sg_count(addr, pages * SZ_4K + SZ_4K,
					      512, U64_MAX), pages + 1);
	/* the same through a 4 KiB boundary with big segments */
	KUNIT_EXPECT_EQ(test, p2pbuf_sg_count(addr, pages * SZ_4K, UINT_MAX,
					      SZ_4K - 1), pages);
	/* nothing lost near the top of the address space */
	KUNIT_EXPECT_EQ(test, p2pbuf_sg_count(0, U64_MAX & PAGE_MASK, SZ_4K,
					      U64_MAX), U64_MAX >> PAGE_SHIFT);

	KUNIT_EXPECT_EQ(test, p2pbuf_sg_fill(&sgt, addr, pages * SZ_4K, SZ_4K,
					     U64_MAX), -E2BIG);
	KUNIT_EXPECT_EQ(test, p2pbuf_sg_fill(&sgt, addr, pages * SZ_4K,
					     UINT_MAX, SZ_4K - 1), -E2BIG);
	KUNIT_EXPECT_NULL(test, sgt.sgl);
}

/* every entry of @sgt marked a bus address, or none, as @bus says */
static void sg_check_bus_marks(struct kunit *test, struct sg_table *sgt,
			       bool bus)
{
	/*
	 * Without the flags there is nothing to mark, nor to read; 6.1 has
	 * neither the option nor sg_dma_is_bus_address().
	 */
#ifdef CONFIG_NEED_SG_DMA_FLAGS
	struct scatterlist *sg;
	int i;

	for_each_sgtable_dma_sg(sgt, sg, i)
		KUNIT_EXPECT_EQ_MSG(test, sg_dma_is_bus_address(sg), bus,
				    "entry %d", i);
#endif
}

/*
 * The caller's entries are used when the range needs no more (the table is
 * then the caller's to drop), and an allocated table otherwise.
 */
static void sg_fill_into_inline(struct kunit *test)
{
	const u64 addr = 0xe8000000ULL;
	struct scatterlist sg[2];
	struct sg_table sgt = {};

	KUNIT_ASSERT_EQ(test, p2pbuf_sg_fill_into(&sgt, sg, 2, addr, SZ_128K,
						  SZ_64K, U64_MAX, true), 0);
	KUNIT_EXPECT_PTR_EQ(test, sgt.sgl, &sg[0]);
	KUNIT_EXPECT_EQ(test, sgt.nents, 2);
	KUNIT_EXPECT_EQ(test, sgt.orig_nents, 0);
	KUNIT_EXPECT_EQ(test, sg_dma_address(&sg[1]), addr + SZ_64K);
	KUNIT_EXPECT_EQ(test, sg_dma_len(&sg[1]), SZ_64K);
	KUNIT_EXPECT_TRUE(test, sg_is_last(&sg[1]));
	sg_check_bus_marks(test, &sgt, true);

	/* one entry: the path that takes no count and no sg_next() */
	memset(&sgt, 0, sizeof(sgt));
	KUNIT_ASSERT_EQ(test, p2pbuf_sg_fill_into(&sgt, sg, 2, addr, SZ_4K,
						  SZ_64K, U64_MAX, false), 0);
	KUNIT_EXPECT_PTR_EQ(test, sgt.sgl, &sg[0]);
	KUNIT_EXPECT_EQ(test, sgt.nents, 1);
	KUNIT_EXPECT_EQ(test, sg_dma_address(&sg[0]), addr);
	KUNIT_EXPECT_EQ(test, sg_dma_len(&sg[0]), SZ_4K);
	KUNIT_EXPECT_TRUE(test, sg_is_last(&sg[0]));
	KUNIT_EXPECT_EQ(test, sgt.orig_nents, 0);
	sg_check_bus_marks(test, &sgt, false);

	/* the same, as a bus-address map makes it: marked */
	memset(&sgt, 0, sizeof(sgt));
	KUNIT_ASSERT_EQ(test, p2pbuf_sg_fill_into(&sgt, sg, 2, addr, SZ_4K,
						  SZ_64K, U64_MAX, true), 0);
	KUNIT_EXPECT_EQ(test, sgt.nents, 1);
	sg_check_bus_marks(test, &sgt, true);

	memset(&sgt, 0, sizeof(sgt));
	KUNIT_ASSERT_EQ(test, p2pbuf_sg_fill_into(&sgt, sg, 2, addr, SZ_256K,
						  SZ_64K, U64_MAX, true), 0);
	KUNIT_EXPECT_TRUE(test, sgt.sgl != &sg[0]);
	KUNIT_EXPECT_EQ(test, sgt.nents, 4);
	sg_check_contiguous(test, &sgt, addr, SZ_256K, SZ_64K, U64_MAX);
	sg_check_bus_marks(test, &sgt, true);
	p2pbuf_sg_free(&sgt, sgt.nents);
}

static struct kunit_case p2pbuf_sg_cases[] = {
	KUNIT_CASE(sg_fill_into_inline),
	KUNIT_CASE(sg_coalesced_64m),
	KUNIT_CASE(sg_pageless),
	KUNIT_CASE(sg_split_max_seg),
	KUNIT_CASE(sg_split_boundary),
	KUNIT_CASE(sg_large),
	KUNIT_CASE(sg_count_matches_fill),
	KUNIT_CASE(sg_count_over_uint),
	{}
};

static struct kunit_suite p2pbuf_sg_suite = {
	.name = "p2pbuf_sg",
	.test_cases = p2pbuf_sg_cases,
};

kunit_test_suites(&p2pbuf_topology_suite, &p2pbuf_sg_suite);

MODULE_DESCRIPTION("KUnit tests for p2pbuf");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(P2PBUF_NS_KUNIT);
