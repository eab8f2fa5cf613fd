// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite p2pbuf_decision: the recorded topologies of
 * tests/decision/corpus/ (as decision_corpus.h, generated from them) run
 * through the module's decision: chains -> p2pbuf_path_facts_from_chains()
 * -> p2pbuf_decide(), with the policy parsed by the module's parser. The
 * host suite decision-parity runs the same files through libp2pbuf's
 * sysfs model; any disagreement with the recorded verdicts fails one of
 * the two.
 *
 * The kernel asks its own P2PDMA core whether it trusts a path; here, on
 * made-up devices, the whitelist table decision.c carries for the library
 * stands in for it.
 */
#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "../../drivers/dma-buf/p2p/p2pbuf_internal.h"

/**
 * struct corpus_dev - one device of a recorded topology
 * @bdf: P2PBUF_BDF() of the device
 * @parent: index of its upstream bridge, -1 on a root bus
 * @id: vendor << 16 | device
 * @pcie_type: PCIe port type, -1 without a PCIe capability
 * @acs_ctrl: ACS control register, 0 without ACS
 * @acs_unknown: the ACS state cannot be read
 */
struct corpus_dev {
	u32 bdf;
	int parent;
	u32 id;
	int pcie_type;
	u16 acs_ctrl;
	bool acs_unknown;
};

/**
 * struct corpus_expect - the verdict recorded for a provider and a client
 * @provider: P2PBUF_BDF() of the provider
 * @client: P2PBUF_BDF() of the client
 * @map_type: enum p2pbuf_map_type
 * @reason: enum p2pbuf_reason
 * @via: the deciding bridge, P2PBUF_VIA_NONE when none
 * @distance: the distance, -1 when refused
 */
struct corpus_expect {
	u32 provider;
	u32 client;
	enum p2pbuf_map_type map_type;
	enum p2pbuf_reason reason;
	u32 via;
	int distance;
};

/**
 * struct corpus_topo - a recorded topology, its policy and its verdicts
 * @name: file name without .topo
 * @allow: allow_bridges
 * @deny: deny_bridges
 * @kernel_whitelist: kernel_whitelist=Y
 * @amd_zen: the CPU is AMD family 0x17 or later
 * @devs: the devices
 * @nr_devs: entries in @devs
 * @expect: the verdicts
 * @nr_expect: entries in @expect
 */
struct corpus_topo {
	const char *name;
	const char *allow;
	const char *deny;
	bool kernel_whitelist;
	bool amd_zen;
	const struct corpus_dev *devs;
	unsigned int nr_devs;
	const struct corpus_expect *expect;
	unsigned int nr_expect;
};

#include "decision_corpus.h"

static int corpus_find(const struct corpus_topo *t, u32 bdf)
{
	unsigned int i;

	for (i = 0; i < t->nr_devs; i++)
		if (t->devs[i].bdf == bdf)
			return i;
	return -1;
}

static void corpus_hop(const struct corpus_dev *d, struct p2pbuf_hop *h)
{
	h->bdf = d->bdf;
	h->id = d->id;
	h->acs_ctrl = d->acs_ctrl;
	h->acs_unknown = d->acs_unknown;
}

/* what p2pbuf_topo_walk() gathers from pci_dev: upstream chain, host bridge */
static void corpus_chain(const struct corpus_topo *t, int idx,
			 struct p2pbuf_chain *c)
{
	int k, top = idx, host;

	memset(c, 0, sizeof(*c));
	for (k = idx; k >= 0; k = t->devs[k].parent) {
		if (c->nr == P2PBUF_MAX_CHAIN) {
			c->truncated = true;
			break;
		}
		corpus_hop(&t->devs[k], &c->devs[c->nr++]);
		top = k;
	}
	c->root_bus = t->devs[top].bdf >> 8;
	host = corpus_find(t, c->root_bus << 8);
	if (host >= 0) {
		corpus_hop(&t->devs[host], &c->host);
		c->has_host = true;
	}
}

/* the device pci_host_bridge_dev() of the P2PDMA core would look up */
static u32 corpus_core_host_id(const struct corpus_topo *t, u32 root_bus)
{
	unsigned int i;

	for (i = 0; i < t->nr_devs; i++) {
		if (t->devs[i].bdf >> 8 != root_bus)
			continue;
		if (!(t->devs[i].bdf & 0xff) ||
		    t->devs[i].pcie_type == PCI_EXP_TYPE_ROOT_PORT)
			return t->devs[i].id;
		return 0;
	}
	return 0;
}

static void corpus_policy(struct kunit *test, const struct corpus_topo *t,
			  struct p2pbuf_bridge_policy *pol)
{
	int n;

	memset(pol, 0, sizeof(*pol));
	n = p2pbuf_bridge_rules_parse(t->allow, pol->allow, P2PBUF_MAX_RULES);
	KUNIT_ASSERT_GE_MSG(test, n, 0, "%s: allow %s", t->name, t->allow);
	pol->nr_allow = n;
	n = p2pbuf_bridge_rules_parse(t->deny, pol->deny, P2PBUF_MAX_RULES);
	KUNIT_ASSERT_GE_MSG(test, n, 0, "%s: deny %s", t->name, t->deny);
	pol->nr_deny = n;
	pol->kernel_whitelist = t->kernel_whitelist;
}

static void decision_parity(struct kunit *test)
{
	struct {
		struct p2pbuf_chain p, c;
		struct p2pbuf_path_facts f;
		struct p2pbuf_bridge_policy pol;
		struct p2pbuf_verdict v;
		char why[P2PBUF_REASON_LEN];
	} *s;
	unsigned int i, j, pairs = 0;

	s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_EXPECT_GE(test, ARRAY_SIZE(corpus), 10);

	for (i = 0; i < ARRAY_SIZE(corpus); i++) {
		const struct corpus_topo *t = &corpus[i];

		corpus_policy(test, t, &s->pol);
		for (j = 0; j < t->nr_expect; j++) {
			const struct corpus_expect *e = &t->expect[j];
			int p = corpus_find(t, e->provider);
			int c = corpus_find(t, e->client);

			KUNIT_ASSERT_GE(test, p, 0);
			KUNIT_ASSERT_GE(test, c, 0);
			corpus_chain(t, p, &s->p);
			corpus_chain(t, c, &s->c);
			p2pbuf_path_facts_from_chains(&s->p, &s->c, &s->f);
			s->f.kernel_whitelisted = s->f.same_root &&
				p2pbuf_core_whitelisted(corpus_core_host_id(t, s->p.root_bus),
							corpus_core_host_id(t, s->c.root_bus),
							s->f.same_host, t->amd_zen);
			p2pbuf_decide(&s->f, &s->pol, 0, &s->v);
			p2pbuf_reason_format(&s->v, s->why, sizeof(s->why));

			KUNIT_EXPECT_EQ_MSG(test, s->v.map_type, e->map_type,
					    "%s: %08x -> %08x: %s", t->name,
					    e->provider, e->client, s->why);
			KUNIT_EXPECT_EQ_MSG(test, s->v.reason, e->reason,
					    "%s: %08x -> %08x: %s", t->name,
					    e->provider, e->client, s->why);
			KUNIT_EXPECT_EQ_MSG(test, s->v.via, e->via,
					    "%s: %08x -> %08x: %s", t->name,
					    e->provider, e->client, s->why);
			KUNIT_EXPECT_EQ_MSG(test, s->v.distance, e->distance,
					    "%s: %08x -> %08x: %s", t->name,
					    e->provider, e->client, s->why);
			pairs++;
		}
	}
	kunit_info(test, "%zu topologies, %u pairs\n", ARRAY_SIZE(corpus),
		   pairs);
}

/* the library's reason for an unreadable ACS state says what settles it */
static void acs_unknown_reason(struct kunit *test)
{
	struct p2pbuf_verdict v;
	char buf[P2PBUF_REASON_LEN];
	int len;

	p2pbuf_verdict_simple(&v, P2PBUF_REASON_ACS_UNKNOWN);
	v.via = P2PBUF_BDF(0, 2, PCI_DEVFN(1, 0));
	v.via_id = 0x10b59765;
	len = p2pbuf_reason_format(&v, buf, sizeof(buf));
	KUNIT_EXPECT_LT(test, len, P2PBUF_REASON_LEN - 1);
	KUNIT_EXPECT_STREQ(test, buf,
			   "ACS state of 0000:02:01.0 (10b5:9765) unreadable; run as root or load p2pbuf to know");
}

/* a chain from a device up: @nr hops of @h, @h[0] the device itself */
static void acs_chain(struct p2pbuf_chain *c, const struct p2pbuf_hop *h,
		      unsigned int nr)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->devs, h, nr * sizeof(*h));
	c->nr = nr;
	c->root_bus = 0;
	c->host = (struct p2pbuf_hop){ P2PBUF_BDF(0, 0, 0), 0x80862020 };
	c->has_host = true;
}

static void acs_decide(struct kunit *test, const struct p2pbuf_chain *p,
		       const struct p2pbuf_chain *c,
		       const struct p2pbuf_bridge_policy *pol,
		       struct p2pbuf_verdict *v)
{
	struct p2pbuf_path_facts *f;

	f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f);
	p2pbuf_path_facts_from_chains(p, c, f);
	p2pbuf_decide(f, pol, 0, v);
}

/*
 * The ends of a path are checked for ACS redirect as the P2PDMA core's
 * calc_map_type_and_dist() checks them, also where one end is the common
 * device (the corpus has the ordinary case, multifunction-acs): a device
 * importing its own buffer, and an importer upstream of the provider, or
 * below it. Deny rules still name bridges only.
 */
static void acs_on_path_ends(struct kunit *test)
{
	const u32 ep_bdf = P2PBUF_BDF(0, 3, PCI_DEVFN(0, 0));
	const u32 dsp_bdf = P2PBUF_BDF(0, 2, PCI_DEVFN(1, 0));
	struct p2pbuf_hop h[] = {
		{ ep_bdf, 0x15b31017, 0 },			/* endpoint */
		{ dsp_bdf, 0x10b59765, 0 },			/* downstream */
		{ P2PBUF_BDF(0, 1, 0), 0x10b59765, 0 },		/* upstream */
		{ P2PBUF_BDF(0, 0, PCI_DEVFN(1, 0)), 0x80862030, 0 }, /* root */
	};
	struct p2pbuf_bridge_policy *pol;
	struct p2pbuf_chain *p, *c;
	struct p2pbuf_verdict v;

	pol = kunit_kzalloc(test, sizeof(*pol), GFP_KERNEL);
	p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);
	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pol);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_NOT_NULL(test, c);

	/* its own buffer, no ACS: bus addresses, distance 0 */
	acs_chain(p, h, 4);
	acs_chain(c, h, 4);
	acs_decide(test, p, c, pol, &v);
	KUNIT_EXPECT_EQ(test, v.map_type, P2PBUF_MAP_BUS_ADDR);
	KUNIT_EXPECT_EQ(test, v.distance, 0);

	/* its own buffer, with ACS redirect on the device */
	h[0].acs_ctrl = PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF;
	acs_chain(p, h, 4);
	acs_chain(c, h, 4);
	acs_decide(test, p, c, pol, &v);
	KUNIT_EXPECT_EQ(test, v.map_type, P2PBUF_MAP_NOT_SUPPORTED);
	KUNIT_EXPECT_EQ(test, v.reason, P2PBUF_REASON_ACS_REDIRECT);
	KUNIT_EXPECT_EQ(test, v.via, ep_bdf);
	h[0].acs_ctrl = 0;

	/* the importer is the provider's downstream port, which redirects */
	h[1].acs_ctrl = PCI_ACS_RR;
	acs_chain(p, h, 4);
	acs_chain(c, h + 1, 3);
	acs_decide(test, p, c, pol, &v);
	KUNIT_EXPECT_EQ(test, v.reason, P2PBUF_REASON_ACS_REDIRECT);
	KUNIT_EXPECT_EQ(test, v.via, dsp_bdf);
	/* and the other way round */
	acs_decide(test, c, p, pol, &v);
	KUNIT_EXPECT_EQ(test, v.reason, P2PBUF_REASON_ACS_REDIRECT);
	KUNIT_EXPECT_EQ(test, v.via, dsp_bdf);
	h[1].acs_ctrl = 0;
	acs_chain(p, h, 4);
	acs_chain(c, h + 1, 3);
	acs_decide(test, c, p, pol, &v);
	KUNIT_EXPECT_EQ(test, v.map_type, P2PBUF_MAP_BUS_ADDR);
	KUNIT_EXPECT_EQ(test, v.distance, 1);

	/* a deny rule naming the endpoint's own id does not apply to it */
	pol->nr_deny = p2pbuf_bridge_rules_parse("15b3:1017", pol->deny,
						 P2PBUF_MAX_RULES);
	acs_chain(c, h, 4);
	acs_decide(test, c, c, pol, &v);
	KUNIT_EXPECT_EQ(test, v.map_type, P2PBUF_MAP_BUS_ADDR);
}

static struct kunit_case p2pbuf_decision_cases[] = {
	KUNIT_CASE(decision_parity),
	KUNIT_CASE(acs_on_path_ends),
	KUNIT_CASE(acs_unknown_reason),
	{}
};

static struct kunit_suite p2pbuf_decision_suite = {
	.name = "p2pbuf_decision",
	.test_cases = p2pbuf_decision_cases,
};

kunit_test_suites(&p2pbuf_decision_suite);
