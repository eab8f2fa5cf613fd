/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The p2pbuf P2P decision: path facts and a policy in, map type and reason
 * out. Pure C with no kernel-only dependency: decision.c is compiled into
 * p2pbuf.ko and into libp2pbuf, from this one source. Only the walk that
 * gathers the facts differs (pci_dev in the kernel, sysfs in the library).
 */
#ifndef _P2PBUF_DECISION_H
#define _P2PBUF_DECISION_H

#ifdef __KERNEL__
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/pci_regs.h>
#include <linux/string.h>
#include <linux/types.h>
#include <uapi/linux/p2pbuf.h>
#else
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <linux/p2pbuf.h>
#include <linux/pci_regs.h>
#include <linux/types.h>
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
#ifndef BIT
#define BIT(n)			(1U << (n))
#endif
#endif

#define P2PBUF_MAX_RULES	16
#define P2PBUF_MAX_HOPS		32
#define P2PBUF_MAX_CHAIN	32
#define P2PBUF_VIA_NONE		0xffffffffU
#define P2PBUF_ACS_REDIR	(PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_EC)

/* directions as seen by the importer, used by policy rules */
#define P2PBUF_DIR_READ		BIT(0)	/* importer reads the BAR: DMA_TO_DEVICE */
#define P2PBUF_DIR_WRITE	BIT(1)	/* importer writes the BAR: DMA_FROM_DEVICE */
#define P2PBUF_DIR_RW		(P2PBUF_DIR_READ | P2PBUF_DIR_WRITE)

/**
 * struct p2pbuf_bridge_rule - one allow or deny entry, "vvvv:dddd[:r|w|rw]"
 * @vendor: PCI vendor ID
 * @device: PCI device ID
 * @dirs: P2PBUF_DIR_* the rule covers
 */
struct p2pbuf_bridge_rule {
	u16 vendor;
	u16 device;
	u8 dirs;
};

/**
 * struct p2pbuf_bridge_policy - a snapshot of the allow and deny tables
 * @nr_allow: entries in @allow
 * @nr_deny: entries in @deny
 * @kernel_whitelist: also trust host bridges the P2PDMA core whitelists
 * @allow: allow rules (host bridges)
 * @deny: deny rules (any bridge on the path)
 */
struct p2pbuf_bridge_policy {
	unsigned int nr_allow;
	unsigned int nr_deny;
	bool kernel_whitelist;
	struct p2pbuf_bridge_rule allow[P2PBUF_MAX_RULES];
	struct p2pbuf_bridge_rule deny[P2PBUF_MAX_RULES];
};

/**
 * struct p2pbuf_hop - a PCI device on the path between provider and client
 * @bdf: P2PBUF_BDF() of the device
 * @id: vendor << 16 | device
 * @acs_ctrl: ACS control register, 0 when there is no ACS capability
 * @acs_unknown: the ACS state could not be read (unprivileged sysfs reader)
 */
struct p2pbuf_hop {
	u32 bdf;
	u32 id;
	u16 acs_ctrl;
	bool acs_unknown;
};

/**
 * struct p2pbuf_chain - a device and its upstream bridges, as a walk found
 * @nr: entries in @devs
 * @devs: the device first, then each upstream bridge (pci_upstream_bridge())
 *	up to the one on the root bus
 * @truncated: the chain was deeper than P2PBUF_MAX_CHAIN
 * @root_bus: domain << 8 | number of the root bus: the host bridge's identity
 * @host: the device at devfn 0 of the root bus, the host bridge for the policy
 * @has_host: @host is valid
 */
struct p2pbuf_chain {
	unsigned int nr;
	struct p2pbuf_hop devs[P2PBUF_MAX_CHAIN];
	bool truncated;
	u32 root_bus;
	struct p2pbuf_hop host;
	bool has_host;
};

/**
 * struct p2pbuf_path_facts - what a topology walk found, input of the decision
 * @same_root: provider and client are in the same PCI domain
 * @same_host: provider and client are below the same host bridge
 * @common_switch: a common upstream bridge exists below the host bridge
 * @kernel_whitelisted: the P2PDMA core's own whitelist accepts the path
 * @incomplete: a chain was too deep to describe; the path is refused
 * @dist: distance as pci_p2pdma_distance() counts it
 * @nr_hops: entries in @hops
 * @hops: bridges on the path (up to and including the common one)
 * @nr_ends: entries in @ends
 * @ends: below a common bridge, the devices at the ends of the path that
 *	are not in @hops: the provider and the client, or the one of them that
 *	is itself the common bridge. Checked for ACS redirect only, as
 *	pci_p2pdma_distance() checks them (a multi-function device with ACS);
 *	deny rules name bridges, never these
 * @host: the provider's host bridge device (bus 0, devfn 0 below it)
 * @has_host: @host is valid
 * @client_host: the client's host bridge device, when not @same_host
 * @has_client_host: @client_host is valid
 */
struct p2pbuf_path_facts {
	bool same_root;
	bool same_host;
	bool common_switch;
	bool kernel_whitelisted;
	bool incomplete;
	int dist;
	unsigned int nr_hops;
	struct p2pbuf_hop hops[P2PBUF_MAX_HOPS];
	unsigned int nr_ends;
	struct p2pbuf_hop ends[2];
	struct p2pbuf_hop host;
	bool has_host;
	struct p2pbuf_hop client_host;
	bool has_client_host;
};

/**
 * struct p2pbuf_verdict - result of the decision
 * @map_type: enum p2pbuf_map_type
 * @reason: enum p2pbuf_reason
 * @distance: distance, -1 when refused
 * @via: bridge that decided, P2PBUF_VIA_NONE when none
 * @via_id: vendor << 16 | device of @via, 0 when none
 * @acs_ctrl: ACS control bits of @via for P2PBUF_REASON_ACS_REDIRECT
 * @dirs: directions an allow rule grants through @via
 * @want: directions asked for, 0 for "any"
 * @dma_end: P2PBUF_REASON_DMA_MASK: last bus address of the buffer
 * @dma_limit: P2PBUF_REASON_DMA_MASK: highest address the importer reaches
 */
struct p2pbuf_verdict {
	enum p2pbuf_map_type map_type;
	enum p2pbuf_reason reason;
	int distance;
	u32 via;
	u32 via_id;
	u16 acs_ctrl;
	u8 dirs;
	u8 want;
	u64 dma_end;
	u64 dma_limit;
};

int p2pbuf_bridge_rules_parse(const char *s, struct p2pbuf_bridge_rule *tbl,
			      unsigned int max);
void p2pbuf_path_facts_from_chains(const struct p2pbuf_chain *provider,
				   const struct p2pbuf_chain *client,
				   struct p2pbuf_path_facts *facts);
bool p2pbuf_core_whitelisted(u32 host_id, u32 client_host_id, bool same_host,
			     bool amd_zen);
void p2pbuf_verdict_simple(struct p2pbuf_verdict *v, enum p2pbuf_reason r);
void p2pbuf_decide(const struct p2pbuf_path_facts *facts,
		   const struct p2pbuf_bridge_policy *pol, u8 want,
		   struct p2pbuf_verdict *v);
int p2pbuf_reason_format(const struct p2pbuf_verdict *v, char *buf,
			 size_t len);

#endif /* _P2PBUF_DECISION_H */
