// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf verdict cache: how an importing device reaches a provider, decided
 * once for every direction and kept until the policy or the PCI topology
 * changes.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/visibility.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/seqlock.h>

#include "p2pbuf_internal.h"

/**
 * DOC: verdict cache
 *
 * Attach and every map ask how the importer reaches the provider. Asking
 * means a walk up both PCI hierarchies that reads ACS control through
 * config space on every bridge, and on kernels with P2PDMA a call of
 * pci_p2pdma_distance(): more than the map itself costs. So the verdicts of
 * all four direction masks are decided in one walk when a (provider,
 * importer) pair is first seen, kept in a small per-provider cache, their
 * map types copied into the attachment, and used until the generation that
 * p2pbuf_topo_generation() reports moves on. It moves when a policy
 * parameter (allow_bridges, deny_bridges, kernel_whitelist) is written and
 * when a PCI device is added or removed; the next attach or map then walks
 * again. ACS bits rewritten behind the kernel's back (setpci) are not seen
 * before that, as the P2PDMA core's own cache of map types never sees them.
 */

/*
 * The cache's key for @pdev: its address with the whole domain number,
 * which names the device only while it is on the bus. A device that was
 * removed (an importer that keeps an attachment past its removal) has no
 * key: it is neither looked up, nor walked from, since the bridges above
 * it may be gone with it.
 */
static int p2pbuf_vcache_key(struct pci_dev *pdev, u64 *key)
{
	if (!device_is_registered(&pdev->dev))
		return -ENODEV;
	*key = (u64)pci_domain_nr(pdev->bus) << 16 | pdev->bus->number << 8 |
	       pdev->devfn;
	return 0;
}

/*
 * The entry for @key of the current generation: under @prov->vcache_lock,
 * or in one of its read sections, whose answer counts only when
 * read_seqretry() says no writer came between.
 */
static struct p2pbuf_vcache_entry *
p2pbuf_vcache_find(struct p2pbuf_provider *prov, u64 key)
{
	u32 gen = p2pbuf_topo_generation();
	struct p2pbuf_vcache_entry *e;

	for (e = prov->vcache; e < prov->vcache + P2PBUF_VCACHE; e++)
		if (e->vs.valid && e->vs.gen == gen && e->vs.client_addr == key)
			return e;
	return NULL;
}

/*
 * Decide @vs afresh for @prov and @client. With no memory to walk, refuse
 * (do not guess) and leave @vs invalid, so the next call walks again.
 */
static void p2pbuf_verdicts_decide(struct p2pbuf_provider *prov,
				   struct pci_dev *client, u64 key,
				   struct p2pbuf_verdicts *vs)
{
	struct {
		struct p2pbuf_walk walk;
		struct p2pbuf_bridge_policy pol;
	} *s;
	u8 want;

	/* read first: a change during the walk leaves the result stale */
	vs->gen = p2pbuf_topo_generation();
	vs->client_addr = key;
	s = kmalloc(sizeof(*s), GFP_KERNEL);
	if (!s) {
		vs->valid = false;
		for (want = 0; want <= P2PBUF_DIR_RW; want++)
			p2pbuf_verdict_simple(&vs->v[want],
					      P2PBUF_REASON_HOST_BRIDGE_NOT_ALLOWED);
		return;
	}
	p2pbuf_topo_walk(prov->pdev, client, &s->walk);
	p2pbuf_policy_snapshot(&s->pol);
	for (want = 0; want <= P2PBUF_DIR_RW; want++)
		p2pbuf_decide(&s->walk.facts, &s->pol, want, &vs->v[want]);
	kfree(s);
	vs->valid = true;
}

/**
 * p2pbuf_verdicts_get - how @client reaches @prov, in every direction
 * @prov: the provider
 * @client: the importing PCI device
 * @vs: output; @vs->v[want] is the verdict for P2PBUF_DIR_* bits @want
 *	(0: any direction)
 *
 * From the provider's cache when the pair was decided in the current
 * generation, else from one walk, which then goes into the cache.
 *
 * Context: process context, may sleep (the walk allocates).
 *
 * Return: 0, -ENODEV when @client was removed (@vs not written), or -ENOMEM
 * when there was no memory to walk; @vs then holds refusals that are not
 * kept, and the caller answers -ENOMEM, not "no".
 */
int p2pbuf_verdicts_get(struct p2pbuf_provider *prov, struct pci_dev *client,
			struct p2pbuf_verdicts *vs)
{
	const struct p2pbuf_vcache_entry *c;
	struct p2pbuf_vcache_entry *e;
	unsigned int seq;
	u64 key;
	int ret;

	ret = p2pbuf_vcache_key(client, &key);
	if (ret)
		return ret;
	do {
		seq = read_seqbegin(&prov->vcache_lock);
		c = p2pbuf_vcache_find(prov, key);
		if (c)
			*vs = c->vs;
	} while (read_seqretry(&prov->vcache_lock, seq));
	if (c)
		return 0;

	p2pbuf_verdicts_decide(prov, client, key, vs);
	if (!vs->valid)
		return -ENOMEM;
	write_seqlock(&prov->vcache_lock);
	/* one entry per pair: another caller may have decided it meanwhile */
	if (!p2pbuf_vcache_find(prov, key)) {
		e = &prov->vcache[prov->vcache_next];
		e->vs = *vs;
		e->fill = ++prov->vcache_fills;
		e->worded = -1;
		prov->vcache_next = (prov->vcache_next + 1) % P2PBUF_VCACHE;
	}
	write_sequnlock(&prov->vcache_lock);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(p2pbuf_verdicts_get);

/**
 * p2pbuf_verdicts_types - the map type of each verdict, as attachments keep
 * @vs: valid verdicts
 * @types: output: @vs->v[want].map_type for every set of P2PBUF_DIR_* bits
 * @gen: output: the generation they were decided in
 */
void p2pbuf_verdicts_types(const struct p2pbuf_verdicts *vs, u8 *types,
			   u32 *gen)
{
	u8 want;

	for (want = 0; want <= P2PBUF_DIR_RW; want++)
		types[want] = vs->v[want].map_type;
	*gen = vs->gen;
}

/* p2pbuf_map_types_get() when the cache has no entry: decide, and keep */
static noinline int p2pbuf_map_types_decide(struct p2pbuf_provider *prov,
					    struct pci_dev *client, u8 *types,
					    u32 *gen)
{
	struct p2pbuf_verdicts vs;
	int ret;

	ret = p2pbuf_verdicts_get(prov, client, &vs);
	if (!ret)
		p2pbuf_verdicts_types(&vs, types, gen);
	return ret;
}

/**
 * p2pbuf_map_types_get - how @client may map @prov, in short
 * @prov: the provider
 * @client: the importing PCI device
 * @types: output: the enum p2pbuf_map_type for each set of P2PBUF_DIR_*
 *	bits, P2PBUF_DIR_RW + 1 of them
 * @gen: output: the generation they were decided in
 *
 * What attach and map need of p2pbuf_verdicts_get(), without copying the
 * whole verdicts: the reasons, bridges and limits matter only to a refusal.
 *
 * Context: process context, may sleep (the walk allocates).
 *
 * Return: 0, -ENODEV or -ENOMEM, as p2pbuf_verdicts_get().
 */
int p2pbuf_map_types_get(struct p2pbuf_provider *prov, struct pci_dev *client,
			 u8 *types, u32 *gen)
{
	const struct p2pbuf_vcache_entry *e;
	u8 t[P2PBUF_DIR_RW + 1];
	unsigned int seq;
	u32 g = 0;
	u64 key;

	if (p2pbuf_vcache_key(client, &key))
		return -ENODEV;
	/*
	 * A read section: attach and map take no lock here. What a pass
	 * copies counts only once a pass ends without a writer, so it goes
	 * to locals first: the caller's may be the attachment's own.
	 */
	do {
		seq = read_seqbegin(&prov->vcache_lock);
		e = p2pbuf_vcache_find(prov, key);
		if (e)
			p2pbuf_verdicts_types(&e->vs, t, &g);
	} while (read_seqretry(&prov->vcache_lock, seq));
	if (!e)
		return p2pbuf_map_types_decide(prov, client, types, gen);
	memcpy(types, t, sizeof(t));
	*gen = g;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(p2pbuf_map_types_get);

/**
 * p2pbuf_verdict_cached - a verdict of this generation, found by address
 * @prov: the provider
 * @bdf: P2PBUF_BDF() of the importing device
 * @want: P2PBUF_DIR_* bits, 0 for any direction
 * @v: output, when found
 * @words: output, when found: p2pbuf_reason_format() of @v, zero padded
 *
 * The cache is keyed by address (struct p2pbuf_verdicts): PATH answers
 * from it without looking the device up. Each entry keeps the words of the
 * first direction PATH asks after it was filled, since formatting costs
 * more than the rest of such an answer. They are formatted outside the
 * lock, and stored once per fill: asking for other directions in turn
 * formats each time and takes no lock.
 *
 * Return: true when @v was found; @v and @words are not written otherwise.
 */
bool p2pbuf_verdict_cached(struct p2pbuf_provider *prov, u32 bdf, u8 want,
			   struct p2pbuf_verdict *v,
			   char words[P2PBUF_REASON_LEN])
{
	u64 key = (u64)P2PBUF_BDF_DOMAIN(bdf) << 16 | (bdf & 0xffff);
	char w[P2PBUF_REASON_LEN];
	struct p2pbuf_vcache_entry *e;
	struct p2pbuf_verdict found = {};
	bool worded = false, store = false;
	unsigned int seq;
	u32 fill = 0;

	do {
		seq = read_seqbegin(&prov->vcache_lock);
		e = p2pbuf_vcache_find(prov, key);
		if (e) {
			found = e->vs.v[want];
			fill = e->fill;
			worded = e->worded == want;
			store = e->worded < 0;
			if (worded)
				memcpy(w, e->words, sizeof(w));
		}
	} while (read_seqretry(&prov->vcache_lock, seq));
	if (!e)
		return false;

	*v = found;
	if (worded) {
		memcpy(words, w, P2PBUF_REASON_LEN);
		return true;
	}
	memset(words, 0, P2PBUF_REASON_LEN);
	p2pbuf_reason_format(v, words, P2PBUF_REASON_LEN);
	if (!store)
		return true;
	/* kept if the entry still holds the fill these words describe */
	write_seqlock(&prov->vcache_lock);
	e = p2pbuf_vcache_find(prov, key);
	if (e && e->fill == fill && e->worded < 0) {
		memcpy(e->words, words, P2PBUF_REASON_LEN);
		e->worded = want;
	}
	write_sequnlock(&prov->vcache_lock);
	return true;
}
