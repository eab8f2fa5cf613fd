/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pbuf: PCI BAR memory exported as dma-bufs for peer-to-peer DMA.
 *
 * In-kernel API for provider drivers (which own a BAR region and lend it out)
 * and for in-kernel orchestrators (which pick a provider for a set of
 * clients). All symbols live in the P2PBUF namespace: a module that calls
 * them writes P2PBUF_IMPORT_NS(), which is MODULE_IMPORT_NS("P2PBUF") on
 * 6.13 and later and MODULE_IMPORT_NS(P2PBUF) before.
 */
#ifndef _LINUX_P2PBUF_H
#define _LINUX_P2PBUF_H

#include <linux/bits.h>
#include <linux/module.h>
#include <linux/types.h>
#include <linux/version.h>

struct device;
struct dma_buf;
struct pci_dev;
struct p2pbuf_provider;
struct p2pbuf_chunk;

/**
 * P2PBUF_IMPORT_NS - import the P2PBUF symbol namespace
 *
 * Write P2PBUF_IMPORT_NS(); once in a module that calls p2pbuf: 6.13 made
 * symbol namespaces string literals, and this spells the import the way
 * the kernel built against takes it.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define P2PBUF_IMPORT_NS()	MODULE_IMPORT_NS("P2PBUF")
#else
#define P2PBUF_IMPORT_NS()	MODULE_IMPORT_NS(P2PBUF)
#endif

/**
 * define P2PBUF_CHUNK_FIXED_OFFSET - place a chunk at a given offset
 *
 * A flag of p2pbuf_chunk_alloc(): the chunk goes at its @offset argument
 * within the provider's region (-EBUSY when that range is taken). Kind BAR
 * providers only; a p2pmem provider refuses it with -EOPNOTSUPP. Same value
 * as the uapi's P2PBUF_ALLOC_FIXED_OFFSET.
 */
#define P2PBUF_CHUNK_FIXED_OFFSET	BIT(2)

/**
 * define P2PBUF_REGISTER_PAGES - back a BAR provider with P2PDMA pages
 *
 * A flag of p2pbuf_provider_register_flags(). The caller, the driver bound
 * to the device, has given exactly this region struct pages with
 * pci_p2pdma_add_resource() and has not published it. p2pbuf takes the
 * whole region from the P2PDMA pool (so nobody else, not even the pool's
 * sysfs allocate file, hands it out) and places buffers in it itself, at
 * fixed offsets too. Its buffers' mmap() then holds P2PDMA pages, which
 * O_DIRECT and P2PBUF_IOC_BUF_IO can hand to a block device, and the
 * provider is listed with P2PBUF_PROVIDER_PAGES. Needs CONFIG_PCI_P2PDMA
 * (-EOPNOTSUPP without it).
 */
#define P2PBUF_REGISTER_PAGES		BIT(0)

struct p2pbuf_provider *p2pbuf_provider_register(struct pci_dev *pdev, int bar,
						 u64 offset, u64 size);
struct p2pbuf_provider *
p2pbuf_provider_register_flags(struct pci_dev *pdev, int bar, u64 offset,
			       u64 size, u32 flags);
void p2pbuf_provider_unregister(struct p2pbuf_provider *prov);
void p2pbuf_provider_put(struct p2pbuf_provider *prov);
u32 p2pbuf_provider_id(const struct p2pbuf_provider *prov);

struct p2pbuf_chunk *p2pbuf_chunk_alloc(struct p2pbuf_provider *prov, u64 size,
					u64 offset, u32 flags);
void p2pbuf_chunk_free(struct p2pbuf_chunk *chunk);
struct dma_buf *p2pbuf_chunk_export(struct p2pbuf_chunk *chunk, int flags);

struct p2pbuf_provider *p2pbuf_find_provider(struct device **clients,
					     int num_clients, u64 size);

#endif /* _LINUX_P2PBUF_H */
