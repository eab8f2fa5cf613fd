// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * p2pbuf decision: whether (and how) an importer reaches a provider, as a
 * pure function of the path facts and the policy.
 *
 * This file is compiled into p2pbuf.ko and into libp2pbuf, so that the
 * kernel and the library's sysfs model give one answer for one path. It
 * depends on nothing but the C library's string functions and the uapi
 * headers. The kernel builds the two upstream chains from struct pci_dev
 * (topology.c), the library from sysfs (lib/libp2pbuf/path.c); both turn
 * them into facts with p2pbuf_path_facts_from_chains() and decide with
 * p2pbuf_decide(). tests/decision/corpus/ feeds both the same topologies.
 */
#ifdef __KERNEL__
#include <kunit/visibility.h>
#else
#include <assert.h>
#include <stdarg.h>
/* nothing to export in the library; a declaration takes the semicolon */
#define EXPORT_SYMBOL_IF_KUNIT(sym)	static_assert(1, #sym)
#endif

#include "decision.h"

#ifndef __KERNEL__
/* as the kernel's: the length written, never more than @len - 1 */
static int scnprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!len)
		return 0;
	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return 0;
	return (size_t)n >= len ? (int)len - 1 : n;
}
#endif

static bool p2pbuf_is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* a u16 in hex as kstrtou16(s, 16) takes it: [+][0x]digits[\n] */
static int p2pbuf_parse_hex16(const char *s, const char *end, u16 *out)
{
	unsigned int v = 0;
	const char *p = s;

	if (p < end && *p == '+')
		p++;
	if (end - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	if (end > p && end[-1] == '\n')
		end--;
	if (p == end)
		return -EINVAL;
	for (; p < end; p++) {
		char c = *p;

		if (c >= '0' && c <= '9')
			v = v * 16 + (c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v * 16 + (c - 'A' + 10);
		else
			return -EINVAL;
		if (v > 0xffff)
			return -EINVAL;
	}
	*out = v;
	return 0;
}

static bool p2pbuf_token_is(const char *s, const char *end, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(end - s) == n && !memcmp(s, word, n);
}

/* one entry "vvvv:dddd[:r|w|rw]", from @s to @end, already trimmed */
static int p2pbuf_parse_one(const char *s, const char *end,
			    struct p2pbuf_bridge_rule *r)
{
	const char *c1, *c2, *dir;

	c1 = memchr(s, ':', end - s);
	if (!c1)
		return -EINVAL;
	c2 = memchr(c1 + 1, ':', end - c1 - 1);
	if (p2pbuf_parse_hex16(s, c1, &r->vendor) ||
	    p2pbuf_parse_hex16(c1 + 1, c2 ? c2 : end, &r->device))
		return -EINVAL;

	dir = c2 ? c2 + 1 : NULL;
	if (!dir || p2pbuf_token_is(dir, end, "rw") ||
	    p2pbuf_token_is(dir, end, "wr"))
		r->dirs = P2PBUF_DIR_RW;
	else if (p2pbuf_token_is(dir, end, "r"))
		r->dirs = P2PBUF_DIR_READ;
	else if (p2pbuf_token_is(dir, end, "w"))
		r->dirs = P2PBUF_DIR_WRITE;
	else
		return -EINVAL;
	return 0;
}

/**
 * p2pbuf_bridge_rules_parse - parse "vvvv:dddd[:r|w|rw],..." into a table
 * @s: the string; blanks around entries and a trailing newline are ignored
 * @tbl: output table; entries past the returned count are undefined
 * @max: room in @tbl
 *
 * Allocates nothing, so that the library and the module parameter share it.
 *
 * Return: number of rules, or -EINVAL (bad entry, too many).
 */
int p2pbuf_bridge_rules_parse(const char *s, struct p2pbuf_bridge_rule *tbl,
			      unsigned int max)
{
	unsigned int n = 0;
	const char *end;
	int ret;

	for (;;) {
		const char *next = strchr(s, ',');

		end = next ? next : s + strlen(s);
		while (s < end && p2pbuf_is_space(*s))
			s++;
		while (end > s && p2pbuf_is_space(end[-1]))
			end--;
		if (s < end) {
			if (n >= max)
				return -EINVAL;
			ret = p2pbuf_parse_one(s, end, &tbl[n]);
			if (ret)
				return ret;
			n++;
		}
		if (!next)
			return n;
		s = next + 1;
	}
}
EXPORT_SYMBOL_IF_KUNIT(p2pbuf_bridge_rules_parse);

static void p2pbuf_facts_add(struct p2pbuf_path_facts *f,
			     const struct p2pbuf_hop *hop)
{
	if (f->nr_hops < P2PBUF_MAX_HOPS)
		f->hops[f->nr_hops++] = *hop;
}

/**
 * p2pbuf_path_facts_from_chains - the path facts from two upstream chains
 * @p: the provider's chain
 * @c: the client's chain
 * @f: output
 *
 * Finds the first bridge common to both chains the way the P2PDMA core
 * does, so that the distance matches pci_p2pdma_distance(), and records
 * every bridge on the path. Below a common bridge it also records, for the
 * ACS check, the devices the core checks beyond those bridges: its
 * calc_map_type_and_dist() reads the ACS control of every device from the
 * provider up to and including the common one, and from the client up to
 * below it, the two endpoints included. @f->kernel_whitelisted is left
 * false: the caller knows whether the P2PDMA core would trust the host
 * bridges.
 */
void p2pbuf_path_facts_from_chains(const struct p2pbuf_chain *p,
				   const struct p2pbuf_chain *c,
				   struct p2pbuf_path_facts *f)
{
	unsigned int i, j, k;

	memset(f, 0, sizeof(*f));
	if (!p->nr || !c->nr || p->truncated || c->truncated) {
		f->incomplete = true;
		return;
	}
	f->same_root = P2PBUF_BDF_DOMAIN(p->devs[0].bdf) ==
		       P2PBUF_BDF_DOMAIN(c->devs[0].bdf);
	f->same_host = f->same_root && p->root_bus == c->root_bus;

	for (i = 0; i < p->nr; i++)
		for (j = 0; j < c->nr; j++)
			if (p->devs[i].bdf == c->devs[j].bdf)
				goto common;

	f->dist = p->nr + c->nr;
	for (k = 1; k < p->nr; k++)
		p2pbuf_facts_add(f, &p->devs[k]);
	for (k = 1; k < c->nr; k++)
		p2pbuf_facts_add(f, &c->devs[k]);
	goto host_bridge;

common:
	f->dist = i + j;
	f->common_switch = true;
	for (k = 1; k < i; k++)
		p2pbuf_facts_add(f, &p->devs[k]);
	if (i && j)
		p2pbuf_facts_add(f, &p->devs[i]);
	for (k = 1; k < j; k++)
		p2pbuf_facts_add(f, &c->devs[k]);
	/* the rest of p->devs[0..i] and c->devs[0..j - 1] */
	f->ends[f->nr_ends++] = p->devs[0];
	if (j)
		f->ends[f->nr_ends++] = c->devs[0];
	else if (i)
		f->ends[f->nr_ends++] = p->devs[i];

host_bridge:
	f->host = p->host;
	f->has_host = p->has_host;
	if (!f->same_host) {
		f->client_host = c->host;
		f->has_client_host = c->has_host;
	}
}
EXPORT_SYMBOL_IF_KUNIT(p2pbuf_path_facts_from_chains);

/*
 * Host bridges the P2PDMA core trusts, as drivers/pci/p2pdma.c of Linux 6.12
 * lists them (pci_p2pdma_whitelist[]). The module asks its own kernel
 * (pci_p2pdma_distance()); the library, which cannot, uses this copy.
 */
static const struct {
	u32 id;
	bool same_host_only;
} p2pbuf_core_whitelist[] = {
	{ 0x80863c00, true },	/* Intel Xeon E5/Core i7 */
	{ 0x80863c01, true },
	{ 0x80862f00, true },	/* Intel Xeon E7 v3/Xeon E5 v3/Core i7 */
	{ 0x80862f01, true },
	{ 0x80862030, false },	/* Intel Skylake-E */
	{ 0x80862031, false },
	{ 0x80862032, false },
	{ 0x80862033, false },
	{ 0x80862020, false },
	{ 0x808609a2, false },
};

static bool p2pbuf_core_whitelist_one(u32 id, bool same_host)
{
	unsigned int i;

	for (i = 0; i < sizeof(p2pbuf_core_whitelist) /
			sizeof(p2pbuf_core_whitelist[0]); i++)
		if (p2pbuf_core_whitelist[i].id == id)
			return same_host || !p2pbuf_core_whitelist[i].same_host_only;
	return false;
}

/**
 * p2pbuf_core_whitelisted - would the P2PDMA core route through the host
 * bridges of a path
 * @host_id: vendor << 16 | device of the provider's host bridge device (the
 *	first device of its root bus when it is devfn 0 or a root port), 0 if
 *	none
 * @client_host_id: the same for the client's host bridge
 * @same_host: both are below one host bridge
 * @amd_zen: the CPU is an AMD one of family 0x17 (Zen) or later, which the
 *	core trusts whatever the host bridge
 *
 * Return: true when pci_p2pdma_distance() accepts a path through them.
 */
bool p2pbuf_core_whitelisted(u32 host_id, u32 client_host_id, bool same_host,
			     bool amd_zen)
{
	if (amd_zen)
		return true;
	if (same_host)
		return p2pbuf_core_whitelist_one(host_id, true);
	return p2pbuf_core_whitelist_one(host_id, false) &&
	       p2pbuf_core_whitelist_one(client_host_id, false);
}
EXPORT_SYMBOL_IF_KUNIT(p2pbuf_core_whitelisted);

static const struct p2pbuf_bridge_rule *
p2pbuf_rule_find(const struct p2pbuf_bridge_rule *tbl, unsigned int n, u32 id)
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

/* the traffic goes through the host bridge, or two of them */
static void p2pbuf_decide_host(const struct p2pbuf_path_facts *f,
			       const struct p2pbuf_bridge_policy *pol, u8 want,
			       const struct p2pbuf_hop *acs,
			       struct p2pbuf_verdict *v)
{
	const struct p2pbuf_hop *hosts[2];
	const struct p2pbuf_bridge_rule *r;
	unsigned int i, nr_hosts;
	u8 dirs;

	if (!f->has_host || (!f->same_host && !f->has_client_host)) {
		v->reason = P2PBUF_REASON_HOST_BRIDGE_NOT_ALLOWED;
		return;
	}
	hosts[0] = &f->host;
	hosts[1] = &f->client_host;
	nr_hosts = f->same_host ? 1 : 2;

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
		v->distance = f->dist;
		v->dirs = dirs;
		p2pbuf_verdict_via(v, &f->host);
		return;
	}
	/* the first host bridge without a rule, unless something else decides */
	p2pbuf_verdict_via(v, hosts[i]);
	if (pol->kernel_whitelist && f->kernel_whitelisted) {
		v->map_type = P2PBUF_MAP_THRU_HOST_BRIDGE;
		v->distance = f->dist;
		v->dirs = P2PBUF_DIR_RW;
		p2pbuf_verdict_via(v, &f->host);
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

/* remember the first device with ACS redirect, and the first unknown one */
static void p2pbuf_acs_note(const struct p2pbuf_hop *hop,
			    const struct p2pbuf_hop **acs,
			    const struct p2pbuf_hop **unknown)
{
	if (hop->acs_unknown) {
		if (!*unknown)
			*unknown = hop;
	} else if (!*acs && (hop->acs_ctrl & P2PBUF_ACS_REDIR)) {
		*acs = hop;
	}
}

/**
 * p2pbuf_decide - the policy, as a pure function
 * @f: the path, from p2pbuf_path_facts_from_chains() or a test
 * @pol: the policy snapshot
 * @want: P2PBUF_DIR_* the mapping needs, 0 for "any" (attach, path query)
 * @v: output: map type, reason, and the bridge that decided
 *
 * Below a common switch, ACS redirect on a bridge of the path or on either
 * end (@f->ends) means the traffic goes up to the root complex. A device
 * whose ACS state is unknown makes the answer P2PBUF_REASON_ACS_UNKNOWN
 * (never bus addresses), unless a deny rule or a known ACS redirect decides
 * first. The kernel always knows. The deciding device is the first bridge
 * with the condition, else the first end.
 */
void p2pbuf_decide(const struct p2pbuf_path_facts *f,
		   const struct p2pbuf_bridge_policy *pol, u8 want,
		   struct p2pbuf_verdict *v)
{
	const struct p2pbuf_hop *acs = NULL, *unknown = NULL;
	const struct p2pbuf_bridge_rule *r;
	unsigned int i;

	p2pbuf_verdict_simple(v, P2PBUF_REASON_OK);
	v->want = want;

	if (f->incomplete) {
		v->reason = P2PBUF_REASON_HOST_BRIDGE_NOT_ALLOWED;
		return;
	}
	if (!f->same_root) {
		v->reason = P2PBUF_REASON_NO_COMMON_ROOT;
		return;
	}

	for (i = 0; i < f->nr_hops; i++) {
		const struct p2pbuf_hop *hop = &f->hops[i];

		r = p2pbuf_rule_find(pol->deny, pol->nr_deny, hop->id);
		if (r && p2pbuf_deny_applies(r->dirs, want)) {
			v->reason = P2PBUF_REASON_DENIED;
			v->dirs = r->dirs;
			p2pbuf_verdict_via(v, hop);
			return;
		}
		/* ACS matters below a common switch; root ports are crossed anyway */
		if (f->common_switch)
			p2pbuf_acs_note(hop, &acs, &unknown);
	}
	/* the endpoints too, as the P2PDMA core checks them */
	for (i = 0; f->common_switch && i < f->nr_ends; i++)
		p2pbuf_acs_note(&f->ends[i], &acs, &unknown);

	if (f->common_switch && !acs && unknown) {
		v->reason = P2PBUF_REASON_ACS_UNKNOWN;
		p2pbuf_verdict_via(v, unknown);
		return;
	}
	if (f->common_switch && !acs) {
		v->map_type = P2PBUF_MAP_BUS_ADDR;
		v->distance = f->dist;
		return;
	}
	p2pbuf_decide_host(f, pol, want, acs, v);
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
	u32 devfn = P2PBUF_BDF_DEVFN(bdf);

	scnprintf(buf, len, "%04x:%02x:%02x.%u", P2PBUF_BDF_DOMAIN(bdf),
		  P2PBUF_BDF_BUS(bdf), (devfn >> 3) & 0x1f, devfn & 7);
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
				 (unsigned long long)v->dma_end,
				 (unsigned long long)v->dma_limit);
	case P2PBUF_REASON_DIRECTION:
		return scnprintf(buf, len,
				 "host bridge %s (%04x:%04x) allowed for %s only, mapping needs %s",
				 via, vid, did, p2pbuf_dirs_name(v->dirs),
				 p2pbuf_dirs_name(v->want));
	case P2PBUF_REASON_ACS_UNKNOWN:
		return scnprintf(buf, len,
				 "ACS state of %s (%04x:%04x) unreadable; run as root or load p2pbuf to know",
				 via, vid, did);
	}
	return scnprintf(buf, len, "unknown reason %d", v->reason);
}
EXPORT_SYMBOL_IF_KUNIT(p2pbuf_reason_format);
