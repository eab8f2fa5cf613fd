// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf: how the kernel reaches a BAR provider's memory.
 *
 * P2PDMA pages taken from the pool for P2PBUF_REGISTER_PAGES and given back
 * at removal, and the mapping of a page-less region that new chunks are
 * cleared through (chunk.c). Registration and removal (provider.c) call
 * these, under no lock of the registry.
 */
#include <linux/io.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/sizes.h>

#include "p2pbuf_internal.h"

/*
 * P2PBUF_REGISTER_PAGES: take the whole region out of the P2PDMA pool the
 * caller filled with pci_p2pdma_add_resource(), so that p2pbuf alone places
 * buffers there (and the pool's sysfs allocate file finds nothing), and
 * check that it is the region asked for.
 */
int p2pbuf_provider_take_pages(struct p2pbuf_provider *prov)
{
#if IS_ENABLED(CONFIG_PCI_P2PDMA)
	void *kaddr;

	kaddr = pci_alloc_p2pmem(prov->pdev, prov->size);
	if (!kaddr)
		return -EINVAL;
	if (pci_p2pmem_virt_to_bus(prov->pdev, kaddr) != prov->bus_addr) {
		pci_free_p2pmem(prov->pdev, kaddr, prov->size);
		return -EINVAL;
	}
	prov->kaddr = kaddr;
	prov->pages = true;
	return 0;
#else
	return -EOPNOTSUPP;
#endif
}

/* the region goes back to the P2PDMA pool once no page of it is in use */
void p2pbuf_provider_give_pages(struct p2pbuf_provider *prov)
{
#if IS_ENABLED(CONFIG_PCI_P2PDMA)
	if (!prov->kaddr)
		return;
	p2pbuf_pages_wait_idle(prov);
	/* buffers released from now on find no pages (chunk.c) */
	mutex_lock(&prov->lock);
	pci_free_p2pmem(prov->pdev, prov->kaddr, prov->size);
	prov->kaddr = NULL;
	mutex_unlock(&prov->lock);
#endif
}

/*
 * The kernel's view of a page-less region, for clearing new chunks: one
 * mapping for the provider's life instead of one per clear, whose unmap
 * would flush every CPU's TLB. Only for a region whose start and size are
 * 2 MiB aligned, which maps with 2 MiB or 1 GiB entries where the
 * architecture can (a few KiB of page table per GiB); a region mapped page
 * by page would cost 2 MiB of page table per GiB for its whole life, so it
 * keeps @cpu_va NULL, as does a failed mapping, and each clear maps its
 * piece.
 */
void p2pbuf_provider_map_cpu(struct p2pbuf_provider *prov)
{
	if (!IS_ALIGNED(prov->phys | prov->size, SZ_2M))
		return;
	prov->cpu_va = prov->prefetchable ? ioremap_wc(prov->phys, prov->size) :
					    ioremap(prov->phys, prov->size);
}

void p2pbuf_provider_unmap_cpu(struct p2pbuf_provider *prov)
{
	void __iomem *va;

	mutex_lock(&prov->lock);
	va = prov->cpu_va;
	prov->cpu_va = NULL;
	mutex_unlock(&prov->lock);
	if (va)
		iounmap(va);
}
