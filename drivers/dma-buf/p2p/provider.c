// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf provider registry: BAR regions lent out as dma-bufs.
 *
 * Three ways in: a driver registers a region (p2pbuf_provider_register()),
 * the generic "p2pbuf_bar" PCI driver registers the largest memory BAR of any
 * device bound to it through driver_override or new_id, and p2pmem that a
 * driver published through the P2PDMA core (the NVMe CMB) is adopted.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/genalloc.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "p2pbuf_internal.h"

/**
 * DOC: providers
 *
 * A provider is a page-aligned region of one PCI memory BAR. Kind BAR
 * regions are carved with a genalloc pool (first fit, aligned to the order of
 * the size, so that big buffers are naturally aligned, or at a fixed offset)
 * and need no struct pages: this works on kernels without CONFIG_PCI_P2PDMA.
 *
 * Kind P2PMEM regions are the p2pmem a driver published through the P2PDMA
 * core. Buffers come from pci_alloc_p2pmem(), so they are backed by P2P
 * struct pages that O_DIRECT can pin. The P2PDMA core keeps its pool private
 * in 6.12, so the region (and its size) is found by looking up the
 * MEMORY_DEVICE_PCI_P2PDMA page map that covers the device's BARs, and "free"
 * is that size minus what p2pbuf allocated: an upper bound, since the owning
 * driver (nvme, for its queues) may allocate from the same pool.
 *
 * Without CONFIG_PCI_P2PDMA, NVMe controllers that report a CMB (CMBSZ, or
 * CAP.CMBS once nvme has disabled the CMB again) are listed as unavailable
 * p2pmem entries, with the reason; the size is 0 when the controller no
 * longer reports it.
 */

#define P2PBUF_POOL_BIAS	PAGE_SIZE	/* genalloc cannot hand out 0 */
#define P2PBUF_NVME_CLASS	0x010802
#define P2PBUF_NVME_REG_CAP	0x00
#define P2PBUF_NVME_CAP_HI_CMBS	BIT(57 - 32)
#define P2PBUF_NVME_REG_CMBLOC	0x38
#define P2PBUF_NVME_REG_CMBSZ	0x3c

/* protects p2pbuf_providers; taken before any provider's lock */
DEFINE_MUTEX(p2pbuf_registry_lock);
static DEFINE_XARRAY_ALLOC1(p2pbuf_providers);
static u32 p2pbuf_next_id;	/* ids are not reused soon: cyclic */
/* serialises p2pmem adoption so a device is adopted once */
static DEFINE_MUTEX(p2pbuf_rescan_lock);

static void p2pbuf_provider_release(struct kref *kref)
{
	struct p2pbuf_provider *prov =
		container_of(kref, struct p2pbuf_provider, kref);

	if (prov->pool)
		gen_pool_destroy(prov->pool);
	pci_dev_put(prov->pdev);
	mutex_destroy(&prov->lock);
	kfree(prov);
}

/**
 * p2pbuf_provider_put - drop a reference taken by p2pbuf_find_provider()
 * @prov: the provider, or NULL
 *
 * Not for the pointer p2pbuf_provider_register() returned: that one is given
 * back with p2pbuf_provider_unregister().
 *
 * Context: process context. May sleep: the last reference frees the
 * provider.
 */
void p2pbuf_provider_put(struct p2pbuf_provider *prov)
{
	if (prov)
		kref_put(&prov->kref, p2pbuf_provider_release);
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_provider_put, P2PBUF);

/**
 * p2pbuf_provider_id - the id userspace uses for a provider
 * @prov: the provider
 *
 * Context: any context; does not sleep.
 *
 * Return: the id, as listed by P2PBUF_IOC_LIST.
 */
u32 p2pbuf_provider_id(const struct p2pbuf_provider *prov)
{
	return prov->id;
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_provider_id, P2PBUF);

static struct p2pbuf_provider *p2pbuf_provider_new(struct pci_dev *pdev,
						   enum p2pbuf_kind kind)
{
	struct p2pbuf_provider *prov;

	prov = kzalloc(sizeof(*prov), GFP_KERNEL);
	if (!prov)
		return NULL;
	kref_init(&prov->kref);
	mutex_init(&prov->lock);
	INIT_LIST_HEAD(&prov->buffers);
	prov->kind = kind;
	prov->pdev = pci_dev_get(pdev);
	return prov;
}

/* the registry holds the initial reference */
static int p2pbuf_provider_add(struct p2pbuf_provider *prov)
{
	int ret;

	mutex_lock(&p2pbuf_registry_lock);
	ret = xa_alloc_cyclic(&p2pbuf_providers, &prov->id, prov, xa_limit_31b,
			      &p2pbuf_next_id, GFP_KERNEL);
	mutex_unlock(&p2pbuf_registry_lock);
	return ret < 0 ? ret : 0;
}

/**
 * p2pbuf_provider_register - lend a BAR region out as dma-bufs
 * @pdev: the PCI device, enabled, whose driver owns the BAR
 * @bar: memory BAR index
 * @offset: page-aligned offset of the region in the BAR
 * @size: page-aligned size of the region, 0 for the rest of the BAR
 *
 * The region is page-less (kind BAR): importers get bus addresses or
 * dma_map_resource() addresses, the CPU a write-combined mapping.
 *
 * The returned pointer is the caller's handle on the registration; the
 * reference behind it belongs to the registry, not to the caller. It stays
 * valid until the caller passes it to p2pbuf_provider_unregister(), which
 * it must do exactly once, before it lets go of the BAR, and not use the
 * pointer after. Never p2pbuf_provider_put() it. Chunks and dma-bufs keep
 * their own references, so the structure may outlive the unregister.
 *
 * Context: process context, may sleep; typically the owning driver's
 * probe().
 *
 * Return: the provider, or an ERR_PTR(): -EINVAL for a bad BAR, offset or
 * size, -ENOMEM, -EBUSY when the registry has no id left.
 */
struct p2pbuf_provider *p2pbuf_provider_register(struct pci_dev *pdev, int bar,
						 u64 offset, u64 size)
{
	struct p2pbuf_provider *prov;
	u64 bar_len, end;
	int ret;

	if (bar < 0 || bar >= PCI_STD_NUM_BARS ||
	    !(pci_resource_flags(pdev, bar) & IORESOURCE_MEM))
		return ERR_PTR(-EINVAL);
	bar_len = pci_resource_len(pdev, bar);
	if (!size && offset < bar_len)
		size = bar_len - offset;
	if (!size || !PAGE_ALIGNED(offset) || !PAGE_ALIGNED(size) ||
	    check_add_overflow(offset, size, &end) || end > bar_len)
		return ERR_PTR(-EINVAL);
	if (!PAGE_ALIGNED(pci_resource_start(pdev, bar)))
		return ERR_PTR(-EINVAL);

	prov = p2pbuf_provider_new(pdev, P2PBUF_KIND_BAR);
	if (!prov)
		return ERR_PTR(-ENOMEM);
	prov->bar = bar;
	prov->bar_offset = offset;
	prov->size = size;
	prov->phys = pci_resource_start(pdev, bar) + offset;
	prov->bus_addr = pci_bus_address(pdev, bar) + offset;
	prov->available = true;
	prov->published = true;

	prov->pool = gen_pool_create(PAGE_SHIFT, dev_to_node(&pdev->dev));
	if (!prov->pool) {
		ret = -ENOMEM;
		goto err_put;
	}
	ret = gen_pool_add(prov->pool, P2PBUF_POOL_BIAS, size,
			   dev_to_node(&pdev->dev));
	if (ret)
		goto err_put;

	/* so that CPU faults can insert write-combined PTEs */
	if (!arch_io_reserve_memtype_wc(prov->phys, size))
		prov->wc_reserved = true;

	ret = p2pbuf_provider_add(prov);
	if (ret)
		goto err_memtype;

	pci_info(pdev, "p2pbuf provider %u: BAR%d [%#llx-%#llx] bus %#llx\n",
		 prov->id, bar, (u64)prov->phys, (u64)prov->phys + size - 1,
		 (u64)prov->bus_addr);
	return prov;

err_memtype:
	if (prov->wc_reserved)
		arch_io_free_memtype_wc(prov->phys, size);
err_put:
	p2pbuf_provider_put(prov);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_provider_register, P2PBUF);

/**
 * p2pbuf_provider_unregister - take a provider away, revoking its buffers
 * @prov: the provider, from p2pbuf_provider_register()
 *
 * No new buffers can be allocated. Every exported buffer is revoked: CPU
 * mappings are zapped, dynamic importers get move_notify and new maps fail
 * with -ENODEV. It waits, bounded by the revoke_timeout_ms parameter, for
 * importers to unmap and unpin, and names the ones that do not. Memory that
 * is still mapped is not given back until the buffer is released. The
 * handle p2pbuf_provider_register() returned must not be used after this
 * returns; a reference of one's own (p2pbuf_find_provider()) is still put.
 *
 * Context: process context. Sleeps while importers react to move_notify:
 * about revoke_timeout_ms at most, for all buffers together. May be called
 * under the PCI device's lock (remove(), reset_prepare()); must not be
 * called holding the reservation lock of one of the provider's dma-bufs, or
 * a lock an importer's move_notify or unmap takes.
 */
void p2pbuf_provider_unregister(struct p2pbuf_provider *prov)
{
	unsigned long timeout = msecs_to_jiffies(p2pbuf_revoke_timeout_ms);
	struct p2pbuf_buffer *buf;
	LIST_HEAD(pending);
	void *old;

	mutex_lock(&p2pbuf_registry_lock);
	old = xa_erase(&p2pbuf_providers, prov->id);
	mutex_unlock(&p2pbuf_registry_lock);
	if (old != prov)
		return;	/* already unregistered */

	/*
	 * No buffer can be added once @gone is set. Revoke waits for
	 * importers, so it runs without prov->lock, one buffer at a time, on
	 * a dma-buf reference taken under the lock: the release of another
	 * buffer, which takes the lock, is not held up meanwhile.
	 */
	mutex_lock(&prov->lock);
	prov->gone = true;
	prov->available = false;
	strscpy(prov->reason, "removed", sizeof(prov->reason));
	list_splice_init(&prov->buffers, &pending);
	while (!list_empty(&pending)) {
		buf = list_first_entry(&pending, struct p2pbuf_buffer, node);
		/* back where release looks for it */
		list_move_tail(&buf->node, &prov->buffers);
		/*
		 * The file cannot be freed while release, which takes
		 * prov->lock, has not run; a zero count means it is running.
		 */
		if (!get_file_active(&buf->dmabuf->file))
			continue;
		mutex_unlock(&prov->lock);
		timeout = p2pbuf_revoke(buf, timeout);
		dma_buf_put(buf->dmabuf);
		mutex_lock(&prov->lock);
	}
	mutex_unlock(&prov->lock);

	if (prov->wc_reserved) {
		arch_io_free_memtype_wc(prov->phys, prov->size);
		prov->wc_reserved = false;
	}
	pci_info(prov->pdev, "p2pbuf provider %u unregistered\n", prov->id);
	p2pbuf_provider_put(prov);
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_provider_unregister, P2PBUF);

/**
 * p2pbuf_kind_name - short name of a provider kind for sysfs and debugfs
 * @kind: enum p2pbuf_kind
 *
 * Return: a static string.
 */
const char *p2pbuf_kind_name(enum p2pbuf_kind kind)
{
	switch (kind) {
	case P2PBUF_KIND_BAR:
		return "bar";
	case P2PBUF_KIND_P2PMEM:
		return "p2pmem";
	default:
		return "unknown";
	}
}

/**
 * p2pbuf_provider_get_by_id - look a provider up by its uapi id
 * @id: the id
 *
 * Return: the provider with a reference held, or NULL.
 */
struct p2pbuf_provider *p2pbuf_provider_get_by_id(u32 id)
{
	struct p2pbuf_provider *prov;

	mutex_lock(&p2pbuf_registry_lock);
	prov = xa_load(&p2pbuf_providers, id);
	if (prov)
		kref_get(&prov->kref);
	mutex_unlock(&p2pbuf_registry_lock);
	return prov;
}

/**
 * p2pbuf_provider_free - bytes not allocated
 * @prov: the provider
 *
 * Return: free bytes; for P2PMEM, an upper bound (see DOC: providers).
 */
u64 p2pbuf_provider_free(struct p2pbuf_provider *prov)
{
	u64 free;

	mutex_lock(&prov->lock);
	if (prov->pool)
		free = gen_pool_avail(prov->pool);
	else if (prov->available)
		free = prov->size - prov->allocated;
	else
		free = 0;
	mutex_unlock(&prov->lock);
	return free;
}

/**
 * p2pbuf_provider_fill_info - describe a provider for the uapi and sysfs
 * @prov: the provider
 * @info: output, zeroed first
 */
void p2pbuf_provider_fill_info(struct p2pbuf_provider *prov,
			       struct p2pbuf_provider_info *info)
{
	struct pci_dev *pdev = prov->pdev;

	memset(info, 0, sizeof(*info));
	info->free = p2pbuf_provider_free(prov);
	mutex_lock(&prov->lock);
	info->id = prov->id;
	info->kind = prov->kind;
	if (prov->available)
		info->flags |= P2PBUF_PROVIDER_AVAILABLE;
	if (prov->published)
		info->flags |= P2PBUF_PROVIDER_PUBLISHED;
	if (prov->kind == P2PBUF_KIND_P2PMEM && prov->available)
		info->flags |= P2PBUF_PROVIDER_PAGES;
	info->bar = prov->bar;
	info->bdf = p2pbuf_pdev_bdf(pdev);
	info->vendor_device = p2pbuf_pdev_id(pdev);
	info->bar_offset = prov->bar_offset;
	info->size = prov->size;
	info->bus_addr = prov->bus_addr;
	strscpy(info->name, pci_name(pdev), sizeof(info->name));
	if (!prov->available)
		strscpy(info->reason, prov->reason, sizeof(info->reason));
	mutex_unlock(&prov->lock);
}

/**
 * p2pbuf_provider_snapshot - describe every registered provider
 * @infos: output: an array to kvfree(), or NULL when there are none
 *
 * Return: the number of entries, or a negative errno.
 */
int p2pbuf_provider_snapshot(struct p2pbuf_provider_info **infos)
{
	struct p2pbuf_provider *prov;
	unsigned long id;
	int n = 0, i = 0;

	*infos = NULL;
	mutex_lock(&p2pbuf_registry_lock);
	xa_for_each(&p2pbuf_providers, id, prov)
		n++;
	if (n) {
		*infos = kvcalloc(n, sizeof(**infos), GFP_KERNEL);
		if (!*infos) {
			mutex_unlock(&p2pbuf_registry_lock);
			return -ENOMEM;
		}
		xa_for_each(&p2pbuf_providers, id, prov) {
			if (i == n)
				break;
			p2pbuf_provider_fill_info(prov, &(*infos)[i++]);
		}
	}
	mutex_unlock(&p2pbuf_registry_lock);
	return i;
}

/**
 * p2pbuf_chunk_alloc - allocate a range of a provider
 * @prov: the provider
 * @size: bytes, a non-zero multiple of PAGE_SIZE
 * @offset: with P2PBUF_CHUNK_FIXED_OFFSET, the page-aligned offset wanted
 *	within the region; ignored otherwise
 * @flags: 0 or P2PBUF_CHUNK_FIXED_OFFSET
 *
 * The chunk holds a reference to @prov. It is the caller's until it is
 * exported (p2pbuf_chunk_export()) or freed (p2pbuf_chunk_free()).
 *
 * Context: process context, may sleep.
 *
 * Return: the chunk, or ERR_PTR(): -EINVAL bad arguments, -ENOMEM no room,
 * -EBUSY the fixed range is taken, -ENODEV the provider is gone,
 * -EOPNOTSUPP the provider is unavailable, or P2PBUF_CHUNK_FIXED_OFFSET on
 * a p2pmem provider.
 */
struct p2pbuf_chunk *p2pbuf_chunk_alloc(struct p2pbuf_provider *prov, u64 size,
					u64 offset, u32 flags)
{
	bool fixed = flags & P2PBUF_CHUNK_FIXED_OFFSET;
	struct p2pbuf_chunk *chunk;
	unsigned long addr;
	u64 end;
	int ret;

	if (!size || !PAGE_ALIGNED(size) || size > ULONG_MAX ||
	    (flags & ~P2PBUF_CHUNK_FIXED_OFFSET))
		return ERR_PTR(-EINVAL);
	if (fixed && (!PAGE_ALIGNED(offset) ||
		      check_add_overflow(offset, size, &end) ||
		      end > prov->size))
		return ERR_PTR(-EINVAL);

	chunk = kzalloc(sizeof(*chunk), GFP_KERNEL);
	if (!chunk)
		return ERR_PTR(-ENOMEM);

	mutex_lock(&prov->lock);
	if (prov->gone) {
		ret = -ENODEV;
		goto err_unlock;
	}
	if (!prov->available) {
		ret = -EOPNOTSUPP;
		goto err_unlock;
	}
	if (size > prov->size) {
		ret = -ENOMEM;
		goto err_unlock;
	}

	if (prov->kind == P2PBUF_KIND_BAR) {
		struct genpool_data_fixed data = { .offset = offset };

		if (fixed)
			addr = gen_pool_alloc_algo(prov->pool, size,
						   gen_pool_fixed_alloc, &data);
		else
			addr = gen_pool_alloc_algo(prov->pool, size,
						   gen_pool_first_fit_order_align,
						   NULL);
		if (!addr) {
			ret = fixed ? -EBUSY : -ENOMEM;
			goto err_unlock;
		}
		chunk->offset = addr - P2PBUF_POOL_BIAS;
	} else {
#if IS_ENABLED(CONFIG_PCI_P2PDMA)
		pci_bus_addr_t bus;

		if (fixed) {
			ret = -EOPNOTSUPP;
			goto err_unlock;
		}
		chunk->kaddr = pci_alloc_p2pmem(prov->pdev, size);
		if (!chunk->kaddr) {
			ret = -ENOMEM;
			goto err_unlock;
		}
		bus = pci_p2pmem_virt_to_bus(prov->pdev, chunk->kaddr);
		if (bus < prov->bus_addr ||
		    bus - prov->bus_addr + size > prov->size) {
			/* p2pmem of this device outside the region we know */
			pci_free_p2pmem(prov->pdev, chunk->kaddr, size);
			ret = -ENOMEM;
			goto err_unlock;
		}
		chunk->offset = bus - prov->bus_addr;
#else
		ret = -EOPNOTSUPP;
		goto err_unlock;
#endif
	}
	chunk->size = size;
	prov->allocated += size;
	kref_get(&prov->kref);
	chunk->prov = prov;
	mutex_unlock(&prov->lock);
	return chunk;

err_unlock:
	mutex_unlock(&prov->lock);
	kfree(chunk);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_chunk_alloc, P2PBUF);

/* ---- deferred p2pmem frees ------------------------------------------------ */

/**
 * struct p2pbuf_deferred - p2pmem that is freed once no one pins its pages
 * @node: in p2pbuf_deferred_list
 * @prov: the provider (reference held)
 * @kaddr: address from pci_alloc_p2pmem()
 * @size: bytes
 */
struct p2pbuf_deferred {
	struct list_head node;
	struct p2pbuf_provider *prov;
	void *kaddr;
	u64 size;
};

#define P2PBUF_DEFER_RETRY	msecs_to_jiffies(100)

/* protects p2pbuf_deferred_list; taken after a provider's lock */
static DEFINE_MUTEX(p2pbuf_deferred_lock);
static LIST_HEAD(p2pbuf_deferred_list);
static void p2pbuf_deferred_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(p2pbuf_deferred_work, p2pbuf_deferred_fn);

/**
 * p2pbuf_pages_idle - are P2P pages back to their resting state?
 * @kaddr: kernel address of the first page (from pci_alloc_p2pmem())
 * @size: bytes, a multiple of PAGE_SIZE
 *
 * P2PDMA pages rest at a reference count of one (zero once they went
 * through the P2PDMA core's own sysfs mmap and back). A CPU mapping or a GUP
 * pin (O_DIRECT in flight into an mmap of the buffer) adds to it, and such
 * memory must not go back to the pool yet.
 *
 * Return: true when no page is mapped, referenced or DMA-pinned by anyone.
 */
static bool p2pbuf_pages_idle(void *kaddr, u64 size)
{
	struct page *page;
	u64 off;

	for (off = 0; off < size; off += PAGE_SIZE) {
		page = virt_to_page(kaddr + off);
		if (page_ref_count(page) > 1 || page_mapped(page) ||
		    folio_maybe_dma_pinned(page_folio(page)))
			return false;
	}
	return true;
}

static void p2pbuf_deferred_free(struct p2pbuf_deferred *d)
{
	struct p2pbuf_provider *prov = d->prov;

	pci_free_p2pmem(prov->pdev, d->kaddr, d->size);
	mutex_lock(&prov->lock);
	prov->allocated -= d->size;
	mutex_unlock(&prov->lock);
	pci_info(prov->pdev, "p2pbuf provider %u: %llu deferred bytes freed\n",
		 prov->id, d->size);
	p2pbuf_provider_put(prov);
	kfree(d);
}

static void p2pbuf_deferred_fn(struct work_struct *work)
{
	struct p2pbuf_deferred *d, *tmp;
	LIST_HEAD(ready);
	bool more;

	mutex_lock(&p2pbuf_deferred_lock);
	list_for_each_entry_safe(d, tmp, &p2pbuf_deferred_list, node)
		if (p2pbuf_pages_idle(d->kaddr, d->size))
			list_move_tail(&d->node, &ready);
	more = !list_empty(&p2pbuf_deferred_list);
	mutex_unlock(&p2pbuf_deferred_lock);

	list_for_each_entry_safe(d, tmp, &ready, node)
		p2pbuf_deferred_free(d);
	if (more)
		schedule_delayed_work(&p2pbuf_deferred_work, P2PBUF_DEFER_RETRY);
}

/* keeps the provider's @allocated until the memory really goes back */
static void p2pbuf_defer_free(struct p2pbuf_chunk *chunk)
{
	struct p2pbuf_provider *prov = chunk->prov;
	struct p2pbuf_deferred *d;

	d = kzalloc(sizeof(*d), GFP_KERNEL | __GFP_NOFAIL);
	kref_get(&prov->kref);
	d->prov = prov;
	d->kaddr = chunk->kaddr;
	d->size = chunk->size;
	mutex_lock(&p2pbuf_deferred_lock);
	list_add_tail(&d->node, &p2pbuf_deferred_list);
	mutex_unlock(&p2pbuf_deferred_lock);
	pci_info(prov->pdev,
		 "p2pbuf provider %u: %llu bytes at +%#llx still pinned, free deferred\n",
		 prov->id, chunk->size, chunk->offset);
	schedule_delayed_work(&p2pbuf_deferred_work, P2PBUF_DEFER_RETRY);
}

/* module exit: wait until every deferred free has happened */
static void p2pbuf_deferred_drain(void)
{
	bool empty;

	for (;;) {
		flush_delayed_work(&p2pbuf_deferred_work);
		mutex_lock(&p2pbuf_deferred_lock);
		empty = list_empty(&p2pbuf_deferred_list);
		mutex_unlock(&p2pbuf_deferred_lock);
		if (empty)
			break;
		msleep(100);
	}
	cancel_delayed_work_sync(&p2pbuf_deferred_work);
}

/**
 * p2pbuf_chunk_release_memory - give a chunk's memory back to its provider
 * @chunk: the chunk
 *
 * Called with the provider's lock held, by p2pbuf_chunk_free() and by
 * revoke once nothing maps the chunk any more. Idempotent. P2PMEM whose
 * pages are still referenced (an O_DIRECT request in flight pins them) is
 * freed later, from a delayed work that retries until the pages are idle;
 * the provider counts it as allocated until then.
 */
void p2pbuf_chunk_release_memory(struct p2pbuf_chunk *chunk)
{
	struct p2pbuf_provider *prov = chunk->prov;

	lockdep_assert_held(&prov->lock);
	if (chunk->released)
		return;
	chunk->released = true;
	if (prov->kind == P2PBUF_KIND_P2PMEM &&
	    !p2pbuf_pages_idle(chunk->kaddr, chunk->size)) {
		p2pbuf_defer_free(chunk);
		return;
	}
	if (prov->kind == P2PBUF_KIND_BAR)
		gen_pool_free(prov->pool, chunk->offset + P2PBUF_POOL_BIAS,
			      chunk->size);
	else
		pci_free_p2pmem(prov->pdev, chunk->kaddr, chunk->size);
	prov->allocated -= chunk->size;
}

/**
 * p2pbuf_chunk_free - free a chunk that was not exported
 * @chunk: from p2pbuf_chunk_alloc(), or NULL; exported chunks are freed by
 *	the dma-buf's release
 *
 * Context: process context, may sleep.
 */
void p2pbuf_chunk_free(struct p2pbuf_chunk *chunk)
{
	struct p2pbuf_provider *prov;

	if (!chunk)
		return;
	prov = chunk->prov;
	mutex_lock(&prov->lock);
	p2pbuf_chunk_release_memory(chunk);
	mutex_unlock(&prov->lock);
	p2pbuf_provider_put(prov);
	kfree(chunk);
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_chunk_free, P2PBUF);

/* available, published and at least @size bytes free */
static bool p2pbuf_provider_fits(struct p2pbuf_provider *prov, u64 size)
{
	bool usable;

	mutex_lock(&prov->lock);
	usable = prov->available && prov->published;
	mutex_unlock(&prov->lock);
	return usable && p2pbuf_provider_free(prov) >= size;
}

/**
 * p2pbuf_find_provider - the nearest provider for a set of clients
 * @clients: devices that will DMA to the buffer (PCI, or children of PCI)
 * @num_clients: entries in @clients
 * @size: bytes the caller wants to allocate
 *
 * Like pci_p2pmem_find_many(): among the available, published providers with
 * at least @size bytes free that every client can reach under the current
 * policy, the one with the smallest total distance; ties are broken at
 * random so that load spreads.
 *
 * Context: process context, may sleep; walks the PCI topology for every
 * candidate.
 *
 * Return: the provider with a reference (p2pbuf_provider_put()), or NULL.
 */
struct p2pbuf_provider *p2pbuf_find_provider(struct device **clients,
					     int num_clients, u64 size)
{
	struct p2pbuf_provider *prov, *best = NULL;
	int best_dist = INT_MAX, ties = 0;
	struct p2pbuf_verdict v;
	struct pci_dev **pcl;
	unsigned long id;
	int i, dist;

	if (num_clients <= 0)
		return NULL;
	pcl = kcalloc(num_clients, sizeof(*pcl), GFP_KERNEL);
	if (!pcl)
		return NULL;
	for (i = 0; i < num_clients; i++) {
		pcl[i] = p2pbuf_find_pci_dev(clients[i]);
		if (!pcl[i])
			goto out_put;
	}

	mutex_lock(&p2pbuf_registry_lock);
	xa_for_each(&p2pbuf_providers, id, prov) {
		if (!p2pbuf_provider_fits(prov, size))
			continue;
		dist = 0;
		for (i = 0; i < num_clients; i++) {
			p2pbuf_path_verdict(prov->pdev, pcl[i], 0, &v);
			if (v.map_type == P2PBUF_MAP_NOT_SUPPORTED)
				break;
			dist += v.distance;
		}
		if (i < num_clients)
			continue;
		if (dist < best_dist) {
			best_dist = dist;
			best = prov;
			ties = 1;
		} else if (dist == best_dist &&
			   !get_random_u32_below(++ties)) {
			best = prov;
		}
	}
	if (best)
		kref_get(&best->kref);
	mutex_unlock(&p2pbuf_registry_lock);

out_put:
	for (i = 0; i < num_clients; i++)
		pci_dev_put(pcl[i]);
	kfree(pcl);
	return best;
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_find_provider, P2PBUF);

/* ---- registry walks ------------------------------------------------------ */

/*
 * The first registered provider @match accepts, with a reference held, or
 * NULL. @match runs under the registry lock.
 */
static struct p2pbuf_provider *
p2pbuf_find_first(bool (*match)(struct p2pbuf_provider *prov, void *data),
		  void *data)
{
	struct p2pbuf_provider *prov, *found = NULL;
	unsigned long id;

	mutex_lock(&p2pbuf_registry_lock);
	xa_for_each(&p2pbuf_providers, id, prov) {
		if (match(prov, data)) {
			kref_get(&prov->kref);
			found = prov;
			break;
		}
	}
	mutex_unlock(&p2pbuf_registry_lock);
	return found;
}

/* unregister every provider @match accepts */
static void p2pbuf_unregister_matching(bool (*match)(struct p2pbuf_provider *prov,
						     void *data),
				       void *data)
{
	struct p2pbuf_provider *prov;

	while ((prov = p2pbuf_find_first(match, data))) {
		p2pbuf_provider_unregister(prov);
		p2pbuf_provider_put(prov);
	}
}

static bool p2pbuf_match_any(struct p2pbuf_provider *prov, void *data)
{
	return true;
}

static bool p2pbuf_match_pdev(struct p2pbuf_provider *prov, void *pdev)
{
	return prov->pdev == pdev;
}

static bool p2pbuf_match_p2pmem(struct p2pbuf_provider *prov, void *pdev)
{
	return prov->pdev == pdev && prov->kind == P2PBUF_KIND_P2PMEM;
}

/* ---- p2pmem adoption ---------------------------------------------------- */

static struct p2pbuf_provider *p2pbuf_find_p2pmem(struct pci_dev *pdev)
{
	return p2pbuf_find_first(p2pbuf_match_p2pmem, pdev);
}

#if IS_ENABLED(CONFIG_PCI_P2PDMA)
/* find the P2PDMA page map covering one of the device's memory BARs */
static bool p2pbuf_p2pmem_range(struct pci_dev *pdev, int *bar,
				struct range *range)
{
	unsigned long step = PAGES_PER_SUBSECTION;
	struct dev_pagemap *pgmap;
	unsigned long pfn, last;
	int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		if (!(pci_resource_flags(pdev, i) & IORESOURCE_MEM) ||
		    !pci_resource_len(pdev, i))
			continue;
		pfn = ALIGN(PHYS_PFN(pci_resource_start(pdev, i)), step);
		last = PHYS_PFN(pci_resource_end(pdev, i));
		for (; pfn <= last; pfn += step) {
			pgmap = get_dev_pagemap(pfn, NULL);
			if (!pgmap)
				continue;
			if (pgmap->type == MEMORY_DEVICE_PCI_P2PDMA) {
				*range = pgmap->range;
				*bar = i;
				put_dev_pagemap(pgmap);
				return true;
			}
			put_dev_pagemap(pgmap);
		}
	}
	return false;
}

/* an adopted provider whose p2pmem went away (or moved) without an unbind */
static bool p2pbuf_match_stale(struct p2pbuf_provider *prov, void *data)
{
	struct range range;
	int bar;

	if (prov->kind != P2PBUF_KIND_P2PMEM)
		return false;
	return !p2pbuf_p2pmem_range(prov->pdev, &bar, &range) ||
	       range.start != prov->phys || range_len(&range) != prov->size;
}

/* called with the device lock held and a driver bound */
static void p2pbuf_adopt(struct pci_dev *pdev)
{
	struct p2pbuf_provider *prov;
	struct range range;
	int bar;

	if (!p2pbuf_p2pmem_range(pdev, &bar, &range))
		return;
	prov = p2pbuf_find_p2pmem(pdev);
	if (prov) {
		/* publication can change */
		mutex_lock(&prov->lock);
		if (!prov->gone && !prov->available && pci_has_p2pmem(pdev)) {
			prov->available = true;
			prov->published = true;
			prov->reason[0] = '\0';
		}
		mutex_unlock(&prov->lock);
		p2pbuf_provider_put(prov);
		return;
	}

	prov = p2pbuf_provider_new(pdev, P2PBUF_KIND_P2PMEM);
	if (!prov)
		return;
	prov->bar = bar;
	prov->phys = range.start;
	prov->size = range_len(&range);
	prov->bar_offset = range.start - pci_resource_start(pdev, bar);
	prov->bus_addr = pci_bus_address(pdev, bar) + prov->bar_offset;
	prov->published = pci_has_p2pmem(pdev);
	prov->available = prov->published;
	if (!prov->available)
		snprintf(prov->reason, sizeof(prov->reason),
			 "p2pmem not published by %s", pdev->driver->name);
	if (p2pbuf_provider_add(prov)) {
		p2pbuf_provider_put(prov);
		return;
	}
	pci_info(pdev, "p2pbuf provider %u: p2pmem BAR%d+%#llx, %llu bytes%s\n",
		 prov->id, bar, prov->bar_offset, prov->size,
		 prov->available ? "" : " (not published)");
}
#else
/*
 * Does this NVMe controller have a CMB, and where? Reads CAP, CMBLOC and
 * CMBSZ, never writes. nvme clears CMBMSC.CRE when it cannot register the
 * CMB (as here, without P2PDMA), and then CMBSZ reads 0 on NVMe 1.4+
 * controllers: CAP.CMBS still says a CMB exists, of unknown size (0).
 */
static bool p2pbuf_nvme_cmb(struct pci_dev *pdev, int *bar, u64 *offset,
			    u64 *size)
{
	u32 cap_hi, cmbloc, cmbsz, szu;
	void __iomem *regs;
	u16 cmd;
	u64 unit;

	if (!(pci_resource_flags(pdev, 0) & IORESOURCE_MEM) ||
	    pci_resource_len(pdev, 0) < P2PBUF_NVME_REG_CMBSZ + 4)
		return false;
	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	if (!(cmd & PCI_COMMAND_MEMORY))
		return false;
	regs = pci_iomap_range(pdev, 0, 0, P2PBUF_NVME_REG_CMBSZ + 4);
	if (!regs)
		return false;
	cap_hi = readl(regs + P2PBUF_NVME_REG_CAP + 4);
	cmbloc = readl(regs + P2PBUF_NVME_REG_CMBLOC);
	cmbsz = readl(regs + P2PBUF_NVME_REG_CMBSZ);
	pci_iounmap(pdev, regs);
	if (cap_hi == ~0U || cmbsz == ~0U)
		return false;

	*bar = 0;
	*offset = 0;
	*size = 0;
	szu = (cmbsz >> 8) & 0xf;
	if (cmbsz && szu <= 6) {
		unit = SZ_4K << (4 * szu);
		*bar = cmbloc & 0x7;
		*offset = (u64)(cmbloc >> 12) * unit;
		*size = (u64)(cmbsz >> 12) * unit;
		return true;
	}
	return cap_hi & P2PBUF_NVME_CAP_HI_CMBS;
}

static bool p2pbuf_match_stale(struct p2pbuf_provider *prov, void *data)
{
	return false;
}

/* called with the device lock held and a driver bound */
static void p2pbuf_adopt(struct pci_dev *pdev)
{
	struct p2pbuf_provider *prov;
	u64 size, offset;
	int bar;

	if (pdev->class != P2PBUF_NVME_CLASS)
		return;
	prov = p2pbuf_find_p2pmem(pdev);
	if (prov) {
		p2pbuf_provider_put(prov);
		return;
	}
	if (!p2pbuf_nvme_cmb(pdev, &bar, &offset, &size))
		return;

	prov = p2pbuf_provider_new(pdev, P2PBUF_KIND_P2PMEM);
	if (!prov)
		return;
	prov->bar = bar;
	prov->bar_offset = offset;
	prov->size = size;
	if (size && bar < PCI_STD_NUM_BARS &&
	    (pci_resource_flags(pdev, bar) & IORESOURCE_MEM)) {
		prov->phys = pci_resource_start(pdev, bar) + offset;
		prov->bus_addr = pci_bus_address(pdev, bar) + offset;
	}
	strscpy(prov->reason, "P2PDMA not in this kernel (CONFIG_PCI_P2PDMA=n)",
		sizeof(prov->reason));
	if (p2pbuf_provider_add(prov))
		p2pbuf_provider_put(prov);
}
#endif

/**
 * p2pbuf_p2pmem_rescan - adopt p2pmem published since the last look
 *
 * Runs at load, a second after any PCI driver binds (nvme publishes its CMB
 * from its asynchronous reset work), when userspace lists providers and on a
 * write to /sys/class/misc/p2pbuf/rescan. Each device is looked at under its
 * device lock and only while a driver is bound, so that adoption cannot race
 * with an unbind tearing the p2pmem down; adopted providers whose p2pmem is
 * gone are unregistered.
 *
 * Context: process context; takes device locks, must not be called with one.
 */
void p2pbuf_p2pmem_rescan(void)
{
	struct pci_dev *pdev = NULL;

	mutex_lock(&p2pbuf_rescan_lock);
	for_each_pci_dev(pdev) {
		device_lock(&pdev->dev);
		if (pdev->driver)
			p2pbuf_adopt(pdev);
		device_unlock(&pdev->dev);
	}
	p2pbuf_unregister_matching(p2pbuf_match_stale, NULL);
	mutex_unlock(&p2pbuf_rescan_lock);
}

static void p2pbuf_drop(struct pci_dev *pdev, bool p2pmem_only)
{
	p2pbuf_unregister_matching(p2pmem_only ? p2pbuf_match_p2pmem :
				   p2pbuf_match_pdev, pdev);
}

static void p2pbuf_rescan_fn(struct work_struct *work)
{
	p2pbuf_p2pmem_rescan();
}

static DECLARE_DELAYED_WORK(p2pbuf_rescan_work, p2pbuf_rescan_fn);

static int p2pbuf_pci_notify(struct notifier_block *nb, unsigned long action,
			     void *data)
{
	struct pci_dev *pdev = to_pci_dev(data);

	switch (action) {
	case BUS_NOTIFY_BOUND_DRIVER:
		schedule_delayed_work(&p2pbuf_rescan_work, HZ);
		break;
	case BUS_NOTIFY_UNBIND_DRIVER:
		/* the P2PDMA core tears the p2pmem down after remove() */
		if (IS_ENABLED(CONFIG_PCI_P2PDMA))
			p2pbuf_drop(pdev, true);
		break;
	case BUS_NOTIFY_DEL_DEVICE:
		p2pbuf_drop(pdev, false);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block p2pbuf_pci_nb = {
	.notifier_call = p2pbuf_pci_notify,
};

/* ---- generic BAR binding -------------------------------------------------- */

/* matches nothing: bind with driver_override or new_id */
static const struct pci_device_id p2pbuf_bar_ids[] = {
	{ }
};

/**
 * struct p2pbuf_bar - drvdata of a device bound to p2pbuf_bar
 * @prov: the provider, NULL while a reset or an error has it revoked
 * @bar: the BAR lent out
 */
struct p2pbuf_bar {
	struct p2pbuf_provider *prov;
	int bar;
};

static int p2pbuf_bar_probe(struct pci_dev *pdev,
			    const struct pci_device_id *id)
{
	struct p2pbuf_bar *pb;
	resource_size_t best = 0;
	int i, bar = -1, ret;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		if ((pci_resource_flags(pdev, i) & IORESOURCE_MEM) &&
		    pci_resource_len(pdev, i) > best) {
			best = pci_resource_len(pdev, i);
			bar = i;
		}
	}
	if (bar < 0 || best < PAGE_SIZE)
		return -ENODEV;

	pb = kzalloc(sizeof(*pb), GFP_KERNEL);
	if (!pb)
		return -ENOMEM;
	pb->bar = bar;
	ret = pci_enable_device_mem(pdev);
	if (ret)
		goto err_free;
	ret = pci_request_region(pdev, bar, "p2pbuf_bar");
	if (ret)
		goto err_disable;

	pb->prov = p2pbuf_provider_register(pdev, bar, 0, 0);
	if (IS_ERR(pb->prov)) {
		ret = PTR_ERR(pb->prov);
		goto err_release;
	}
	pci_set_drvdata(pdev, pb);
	return 0;

err_release:
	pci_release_region(pdev, bar);
err_disable:
	pci_disable_device(pdev);
err_free:
	kfree(pb);
	return ret;
}

/* the BAR is about to become unreachable: revoke every buffer now */
static void p2pbuf_bar_revoke(struct pci_dev *pdev, const char *why)
{
	struct p2pbuf_bar *pb = pci_get_drvdata(pdev);

	if (!pb || !pb->prov)
		return;
	pci_info(pdev, "p2pbuf: %s, revoking provider %u\n", why,
		 p2pbuf_provider_id(pb->prov));
	p2pbuf_provider_unregister(pb->prov);
	pb->prov = NULL;
}

/* the BAR is back: lend it out again, as a new provider */
static void p2pbuf_bar_restore(struct pci_dev *pdev)
{
	struct p2pbuf_bar *pb = pci_get_drvdata(pdev);
	struct p2pbuf_provider *prov;

	if (!pb || pb->prov)
		return;
	prov = p2pbuf_provider_register(pdev, pb->bar, 0, 0);
	if (IS_ERR(prov)) {
		pci_warn(pdev, "p2pbuf: cannot register again after reset: %pe\n",
			 prov);
		return;
	}
	pb->prov = prov;
}

static void p2pbuf_bar_reset_prepare(struct pci_dev *pdev)
{
	p2pbuf_bar_revoke(pdev, "reset");
}

static void p2pbuf_bar_reset_done(struct pci_dev *pdev)
{
	p2pbuf_bar_restore(pdev);
}

static pci_ers_result_t p2pbuf_bar_error_detected(struct pci_dev *pdev,
						  pci_channel_state_t state)
{
	p2pbuf_bar_revoke(pdev, "PCI error");
	if (state == pci_channel_io_perm_failure)
		return PCI_ERS_RESULT_DISCONNECT;
	return PCI_ERS_RESULT_NEED_RESET;
}

static pci_ers_result_t p2pbuf_bar_slot_reset(struct pci_dev *pdev)
{
	return PCI_ERS_RESULT_RECOVERED;
}

static void p2pbuf_bar_resume(struct pci_dev *pdev)
{
	p2pbuf_bar_restore(pdev);
}

static const struct pci_error_handlers p2pbuf_bar_err_handler = {
	.error_detected = p2pbuf_bar_error_detected,
	.slot_reset = p2pbuf_bar_slot_reset,
	.resume = p2pbuf_bar_resume,
	.reset_prepare = p2pbuf_bar_reset_prepare,
	.reset_done = p2pbuf_bar_reset_done,
};

static void p2pbuf_bar_remove(struct pci_dev *pdev)
{
	struct p2pbuf_bar *pb = pci_get_drvdata(pdev);

	if (pb->prov)
		p2pbuf_provider_unregister(pb->prov);
	pci_release_region(pdev, pb->bar);
	pci_disable_device(pdev);
	kfree(pb);
}

static struct pci_driver p2pbuf_bar_driver = {
	.name = "p2pbuf_bar",
	.id_table = p2pbuf_bar_ids,
	.probe = p2pbuf_bar_probe,
	.remove = p2pbuf_bar_remove,
	.err_handler = &p2pbuf_bar_err_handler,
};

/* ---- module --------------------------------------------------------------- */

static void p2pbuf_unregister_all(void)
{
	p2pbuf_unregister_matching(p2pbuf_match_any, NULL);
}

static int __init p2pbuf_init(void)
{
	int ret;

	p2pbuf_debugfs_init();
	ret = p2pbuf_uapi_init();
	if (ret)
		goto err_debugfs;
	ret = pci_register_driver(&p2pbuf_bar_driver);
	if (ret)
		goto err_uapi;
	ret = bus_register_notifier(&pci_bus_type, &p2pbuf_pci_nb);
	if (ret)
		goto err_driver;
	p2pbuf_p2pmem_rescan();
	return 0;

err_driver:
	pci_unregister_driver(&p2pbuf_bar_driver);
err_uapi:
	p2pbuf_uapi_exit();
err_debugfs:
	p2pbuf_debugfs_exit();
	return ret;
}

static void __exit p2pbuf_exit(void)
{
	bus_unregister_notifier(&pci_bus_type, &p2pbuf_pci_nb);
	cancel_delayed_work_sync(&p2pbuf_rescan_work);
	pci_unregister_driver(&p2pbuf_bar_driver);
	/* no ioctl can allocate from a provider that is being unregistered */
	p2pbuf_uapi_exit();
	p2pbuf_unregister_all();
	p2pbuf_deferred_drain();
	p2pbuf_debugfs_exit();
}

module_init(p2pbuf_init);
module_exit(p2pbuf_exit);

MODULE_DESCRIPTION("PCI BAR memory exported as dma-bufs for peer-to-peer DMA");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
