// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf chunks: the provider object's lifetime, the choice of allocator
 * (region.c for BARs, pci_alloc_p2pmem() for p2pmem), chunk allocation (and
 * clearing) and freeing, and the deferred free of p2pmem whose pages are
 * still pinned.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "p2pbuf_internal.h"

#define P2PBUF_CLEAR_STEP	SZ_4M		/* zeroed under the lock at once */

static void p2pbuf_provider_release(struct kref *kref)
{
	struct p2pbuf_provider *prov =
		container_of(kref, struct p2pbuf_provider, kref);

	p2pbuf_region_destroy(prov->region);
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
EXPORT_SYMBOL_NS_GPL(p2pbuf_provider_put, P2PBUF_NS);

/*
 * Chunks and buffers (exporter.c), one each per allocation (from the uapi or
 * in-kernel users): caches of their own, not rounded up to a kmalloc size,
 * shown by name in slabinfo, and charged to the allocating task's memory
 * cgroup.
 */
static struct kmem_cache *p2pbuf_chunk_cache;

int p2pbuf_chunk_cache_init(void)
{
	p2pbuf_chunk_cache = KMEM_CACHE(p2pbuf_chunk, SLAB_NO_MERGE | SLAB_ACCOUNT);
	return p2pbuf_chunk_cache ? 0 : -ENOMEM;
}

/*
 * At module exit none is left: every dma-buf holds a reference to the
 * module, and in-kernel users of chunks are modules that depend on it.
 */
void p2pbuf_chunk_cache_exit(void)
{
	kmem_cache_destroy(p2pbuf_chunk_cache);
}

/**
 * p2pbuf_provider_new - a provider object, not registered yet
 * @pdev: the PCI device (a reference is taken)
 * @kind: enum p2pbuf_kind
 *
 * Return: the provider with one reference, or NULL.
 */
struct p2pbuf_provider *p2pbuf_provider_new(struct pci_dev *pdev,
					    enum p2pbuf_kind kind)
{
	struct p2pbuf_provider *prov;

	prov = kzalloc(sizeof(*prov), GFP_KERNEL);
	if (!prov)
		return NULL;
	kref_init(&prov->kref);
	mutex_init(&prov->lock);
	seqlock_init(&prov->vcache_lock);
	INIT_LIST_HEAD(&prov->buffers);
	INIT_LIST_HEAD(&prov->listed);
	init_completion(&prov->unregistered);
	init_waitqueue_head(&prov->unmap_wq);
	prov->kind = kind;
	prov->pdev = pci_dev_get(pdev);
	return prov;
}

/**
 * p2pbuf_provider_pool_init - set up the allocator of a kind BAR provider
 * @prov: the provider, its @size set
 *
 * Return: 0 or -ENOMEM; the region is destroyed with the provider.
 */
int p2pbuf_provider_pool_init(struct p2pbuf_provider *prov)
{
	prov->region = p2pbuf_region_create(prov->size);
	return prov->region ? 0 : -ENOMEM;
}

/*
 * Alignment of a new buffer's bus address: a page, and 2 MiB for buffers of
 * 2 MiB or more where such room exists, so that an IOMMU (dma_map_resource()
 * through the host bridge) and importers with page tables of their own (RDMA
 * NICs, GPUs) can map them with 2 MiB pages. Never the buffer's own size:
 * aligning to the order of the size fragments a BAR (in 128 MiB, a 96 MiB
 * buffer finds no room once any 4 KiB one sits at offset 0).
 */
#define P2PBUF_ALIGN_LARGE	SZ_2M

/*
 * Best fit for @size bytes, 2 MiB aligned if it can be (see above), from
 * the region allocator. Called with the provider's lock held.
 */
static int p2pbuf_pool_alloc(struct p2pbuf_provider *prov, u64 size,
			     u64 *offset)
{
	int ret = -ENOMEM;

	lockdep_assert_held(&prov->lock);
	if (size >= P2PBUF_ALIGN_LARGE)
		ret = p2pbuf_region_alloc(prov->region, size, P2PBUF_ALIGN_LARGE,
					  prov->bus_addr, offset);
	if (ret == -ENOMEM)
		ret = p2pbuf_region_alloc(prov->region, size, PAGE_SIZE,
					  prov->bus_addr, offset);
	return ret;
}

/**
 * p2pbuf_provider_avail_lockless - bytes left to allocate, without the lock
 * @prov: the provider, held
 *
 * For LIST, which must not wait behind an allocation that clears its chunk
 * under the lock. Writers change what this reads under the lock, with
 * WRITE_ONCE().
 *
 * Return: bytes available, at some moment of the call; for P2PMEM, an upper
 * bound (see DOC: providers).
 */
u64 p2pbuf_provider_avail_lockless(struct p2pbuf_provider *prov)
{
	if (prov->region)
		return p2pbuf_region_avail(prov->region);
	return READ_ONCE(prov->available) ?
	       prov->size - READ_ONCE(prov->allocated) : 0;
}

/**
 * p2pbuf_provider_avail_locked - bytes left to allocate, lock held
 * @prov: the provider, its lock held
 *
 * Return: bytes available, which the lock keeps so; for P2PMEM, an upper
 * bound (see DOC: providers).
 */
u64 p2pbuf_provider_avail_locked(struct p2pbuf_provider *prov)
{
	lockdep_assert_held(&prov->lock);
	return p2pbuf_provider_avail_lockless(prov);
}

/**
 * p2pbuf_provider_avail - bytes left to allocate
 * @prov: the provider
 *
 * Return: bytes available; for P2PMEM, an upper bound (see DOC: providers).
 */
u64 p2pbuf_provider_avail(struct p2pbuf_provider *prov)
{
	u64 avail;

	mutex_lock(&prov->lock);
	avail = p2pbuf_provider_avail_locked(prov);
	mutex_unlock(&prov->lock);
	return avail;
}

/*
 * Zero a new chunk, so that nobody reads what the previous user of the range
 * left there: a page-less BAR through the provider's mapping (write-combined
 * if the BAR is prefetchable, uncached otherwise; a temporary one of the
 * piece if the registration could not map the region), p2pmem through the
 * P2PDMA core's kernel address. A piece at a time under the provider's
 * lock: once unregister has marked the provider gone, its driver may give
 * the BAR up, and nothing may write there any more; LIST and allocations
 * wait for one piece at most.
 */
static int p2pbuf_chunk_clear(struct p2pbuf_chunk *chunk)
{
	struct p2pbuf_provider *prov = chunk->prov;
	phys_addr_t phys;
	void __iomem *va;
	u64 off, len;
	int ret = 0;

	for (off = 0; off < chunk->size && !ret; off += len) {
		len = min_t(u64, chunk->size - off, P2PBUF_CLEAR_STEP);
		mutex_lock(&prov->lock);
		if (prov->gone) {
			ret = -ENODEV;
		} else if (p2pbuf_has_pages(prov)) {
			memset_io((void __force __iomem *)chunk->kaddr + off, 0,
				  len);
		} else if (prov->cpu_va) {
			memset_io(prov->cpu_va + chunk->offset + off, 0, len);
			/* WC: the zeroes reach the BAR before any DMA */
			wmb();
		} else {
			phys = prov->phys + chunk->offset + off;
			va = prov->prefetchable ? ioremap_wc(phys, len) :
						  ioremap(phys, len);
			if (va) {
				memset_io(va, 0, len);
				/* as above: zeroes in the BAR before any DMA */
				wmb();
				iounmap(va);
			} else {
				ret = -ENOMEM;
			}
		}
		mutex_unlock(&prov->lock);
		cond_resched();
	}
	return ret;
}

/**
 * p2pbuf_chunk_alloc - allocate a range of a provider
 * @prov: the provider
 * @size: bytes, a non-zero multiple of PAGE_SIZE
 * @offset: with P2PBUF_CHUNK_FIXED_OFFSET, the page-aligned offset wanted
 *	within the region; ignored otherwise
 * @flags: 0 or P2PBUF_CHUNK_FIXED_OFFSET
 *
 * The chunk reads zero: it is cleared before it is returned, whatever the
 * range held before. Without P2PBUF_CHUNK_FIXED_OFFSET a BAR chunk goes
 * where it fits best: page aligned, with its bus address 2 MiB aligned when
 * @size is 2 MiB or more and such room is left. The chunk holds a reference
 * to @prov. It is the caller's until it is exported (p2pbuf_chunk_export())
 * or freed
 * (p2pbuf_chunk_free()).
 *
 * Context: process context, may sleep; clearing takes time in proportion to
 * @size.
 *
 * Return: the chunk, or ERR_PTR(): -EINVAL bad arguments, -ENOMEM no room
 * (or no mapping to clear it through), -EBUSY the fixed range is taken,
 * -ENODEV the provider is gone, -EOPNOTSUPP the provider is unavailable, or
 * P2PBUF_CHUNK_FIXED_OFFSET on a p2pmem provider.
 */
struct p2pbuf_chunk *p2pbuf_chunk_alloc(struct p2pbuf_provider *prov, u64 size,
					u64 offset, u32 flags)
{
	bool fixed = flags & P2PBUF_CHUNK_FIXED_OFFSET;
	struct p2pbuf_chunk *chunk;
	u64 end;
	int ret;

	if (!size || !PAGE_ALIGNED(size) || size > ULONG_MAX ||
	    (flags & ~P2PBUF_CHUNK_FIXED_OFFSET))
		return ERR_PTR(-EINVAL);
	if (fixed && (!PAGE_ALIGNED(offset) ||
		      check_add_overflow(offset, size, &end) ||
		      end > prov->size))
		return ERR_PTR(-EINVAL);

	chunk = kmem_cache_zalloc(p2pbuf_chunk_cache, GFP_KERNEL);
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
		if (fixed) {
			ret = p2pbuf_region_alloc_fixed(prov->region, offset,
							size);
			chunk->offset = offset;
		} else {
			ret = p2pbuf_pool_alloc(prov, size, &chunk->offset);
		}
		if (ret)
			goto err_unlock;
		if (prov->pages)
			chunk->kaddr = prov->kaddr + chunk->offset;
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
	/* LIST reads it without the lock (p2pbuf_provider_avail_lockless()) */
	WRITE_ONCE(prov->allocated, prov->allocated + size);
	kref_get(&prov->kref);
	chunk->prov = prov;
	mutex_unlock(&prov->lock);

	ret = p2pbuf_chunk_clear(chunk);
	if (ret) {
		p2pbuf_chunk_free(chunk);
		return ERR_PTR(ret);
	}
	return chunk;

err_unlock:
	mutex_unlock(&prov->lock);
	kmem_cache_free(p2pbuf_chunk_cache, chunk);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_chunk_alloc, P2PBUF_NS);

/* ---- deferred p2pmem frees ------------------------------------------------ */

/**
 * struct p2pbuf_deferred - P2P pages freed once no one pins them
 * @node: in p2pbuf_deferred_list
 * @prov: the provider (reference held)
 * @kaddr: address of the first page (from pci_alloc_p2pmem(), or inside
 *	a BAR provider's pages)
 * @offset: offset within the provider's region
 * @size: bytes
 */
struct p2pbuf_deferred {
	struct list_head node;
	struct p2pbuf_provider *prov;
	void *kaddr;
	u64 offset;
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

/* the pages of @d are idle: give its memory back and forget it */
static void p2pbuf_deferred_complete(struct p2pbuf_deferred *d)
{
	struct p2pbuf_provider *prov = d->prov;

	if (prov->kind == P2PBUF_KIND_P2PMEM)
		pci_free_p2pmem(prov->pdev, d->kaddr, d->size);
	mutex_lock(&prov->lock);
	if (prov->kind == P2PBUF_KIND_BAR)
		p2pbuf_region_free(prov->region, d->offset, d->size);
	WRITE_ONCE(prov->allocated, prov->allocated - d->size);
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
		p2pbuf_deferred_complete(d);
	if (more)
		schedule_delayed_work(&p2pbuf_deferred_work, P2PBUF_DEFER_RETRY);
}

/*
 * Pages of @chunk are still pinned: queue their free for the work to retry.
 * The provider's @allocated keeps counting them until the memory really goes
 * back.
 */
static void p2pbuf_deferred_queue(struct p2pbuf_chunk *chunk)
{
	struct p2pbuf_provider *prov = chunk->prov;
	struct p2pbuf_deferred *d;

	d = kzalloc(sizeof(*d), GFP_KERNEL | __GFP_NOFAIL);
	kref_get(&prov->kref);
	d->prov = prov;
	d->kaddr = chunk->kaddr;
	d->offset = chunk->offset;
	d->size = chunk->size;
	mutex_lock(&p2pbuf_deferred_lock);
	list_add_tail(&d->node, &p2pbuf_deferred_list);
	mutex_unlock(&p2pbuf_deferred_lock);
	pci_info(prov->pdev,
		 "p2pbuf provider %u: %llu bytes at +%#llx still pinned, free deferred\n",
		 prov->id, chunk->size, chunk->offset);
	schedule_delayed_work(&p2pbuf_deferred_work, P2PBUF_DEFER_RETRY);
}

/**
 * p2pbuf_pages_wait_idle - wait until no page of a BAR with pages is in use
 * @prov: a provider registered with P2PBUF_REGISTER_PAGES, revoked: no
 *	buffer of it is mapped by the CPU or an importer any more
 *
 * O_DIRECT requests (and P2PBUF_IOC_BUF_IO) in flight pin pages they DMA
 * to; until they complete the region must not go back to the P2PDMA core,
 * whose page map would otherwise be torn down under them. Waits without a
 * time limit, as the rest of the removal does, and says so every
 * revoke_timeout_ms.
 *
 * Context: process context, no p2pbuf lock held.
 */
void p2pbuf_pages_wait_idle(struct p2pbuf_provider *prov)
{
	unsigned int waited = 0;

	while (!p2pbuf_pages_idle(prov->kaddr, prov->size)) {
		if (!(waited++ % 50))
			pci_warn(prov->pdev,
				 "p2pbuf provider %u: pages still pinned (O_DIRECT in flight); removal waits\n",
				 prov->id);
		msleep(100);
	}
	/* the deferred frees of its buffers, now that every page is idle */
	flush_delayed_work(&p2pbuf_deferred_work);
}

/**
 * p2pbuf_deferred_drain - wait until every deferred free has happened
 *
 * Module exit, once no provider is left to revoke a buffer.
 */
void p2pbuf_deferred_drain(void)
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
 * revoke once nothing maps the chunk any more. Idempotent. P2P pages
 * (p2pmem, or a BAR with pages) still referenced (an O_DIRECT request in
 * flight pins them) are freed later, from a delayed work that retries until the pages are idle;
 * the provider counts it as allocated until then.
 */
void p2pbuf_chunk_release_memory(struct p2pbuf_chunk *chunk)
{
	struct p2pbuf_provider *prov = chunk->prov;

	lockdep_assert_held(&prov->lock);
	if (chunk->released)
		return;
	chunk->released = true;
	/*
	 * Only an mmap() or the kernel's own I/O (P2PBUF_IOC_BUF_IO) lets
	 * anyone reference the pages: a chunk never handed out that way is
	 * idle without a look at each page. A concurrent mmap() cannot insert
	 * a page any more: release comes after revoke or after the last
	 * reference to the dma-buf, and faults check @revoked. A BAR whose
	 * region went back to the P2PDMA core (the provider's removal waited
	 * until every page was idle) has no pages to look at.
	 */
	if ((prov->kind == P2PBUF_KIND_P2PMEM || prov->kaddr) &&
	    READ_ONCE(chunk->cpu_mapped) &&
	    !p2pbuf_pages_idle(chunk->kaddr, chunk->size)) {
		p2pbuf_deferred_queue(chunk);
		return;
	}
	if (prov->kind == P2PBUF_KIND_BAR)
		p2pbuf_region_free(prov->region, chunk->offset, chunk->size);
	else
		pci_free_p2pmem(prov->pdev, chunk->kaddr, chunk->size);
	WRITE_ONCE(prov->allocated, prov->allocated - chunk->size);
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
	kmem_cache_free(p2pbuf_chunk_cache, chunk);
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_chunk_free, P2PBUF_NS);
