// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf provider registry: BAR regions lent out as dma-bufs.
 *
 * Register and unregister (which revokes the buffers), lookups by id, the
 * walk behind LIST and sysfs (listing.c describes each provider), and the
 * choice of a provider for a set of clients. Providers come in two ways: a
 * driver registers a region (p2pbuf_provider_register(); bar_driver.c is
 * one such driver), and p2pmem.c adopts published p2pmem.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-buf.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "p2pbuf_internal.h"

/**
 * DOC: providers
 *
 * A provider is a page-aligned region of one PCI memory BAR. Kind BAR
 * regions are carved by the region allocator (best fit, page aligned, with
 * the bus address of buffers of 2 MiB or more 2 MiB aligned where there is
 * room, or at a fixed offset; see DOC: region allocator) and need no struct
 * pages: this works on kernels without CONFIG_PCI_P2PDMA.
 *
 * Kind P2PMEM regions are the p2pmem a driver published through the P2PDMA
 * core. Buffers come from pci_alloc_p2pmem(), so they are backed by P2P
 * struct pages that O_DIRECT can pin. The P2PDMA core keeps its pool private
 * in 6.12, so the region (and its size) is found by looking up the
 * MEMORY_DEVICE_PCI_P2PDMA page map that covers the device's BARs, and "free"
 * is that size minus what p2pbuf allocated: an upper bound, since the owning
 * driver (nvme, for its queues) may allocate from the same pool.
 *
 * Without CONFIG_PCI_P2PDMA there is no p2pmem, and NVMe CMBs are not
 * listed: finding one would mean reading the registers of a controller
 * that another driver (nvme, vfio-pci) owns, which p2pbuf never does.
 */

static unsigned int p2pbuf_revoke_timeout_ms = 5000;
module_param_named(revoke_timeout_ms, p2pbuf_revoke_timeout_ms, uint, 0644);
MODULE_PARM_DESC(revoke_timeout_ms,
		 "While a removal waits for importers, warn every so many ms (default: 5000)");

/*
 * Protects the registry: the id -> provider map, and the same providers in
 * id order with their count, which LIST walks without a lookup per entry.
 * Taken before any provider's lock.
 */
static DEFINE_MUTEX(p2pbuf_registry_lock);
static DEFINE_XARRAY_ALLOC1(p2pbuf_providers);
static LIST_HEAD(p2pbuf_listed);
static unsigned int p2pbuf_nr_listed;
static u32 p2pbuf_next_id;	/* ids are not reused soon: cyclic */

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
EXPORT_SYMBOL_NS_GPL(p2pbuf_provider_id, P2PBUF_NS);

/**
 * p2pbuf_provider_add - enter a new provider in the registry
 * @prov: from p2pbuf_provider_new(); the registry takes over its reference
 *
 * Return: 0, or a negative errno (no id left) and @prov is still the
 * caller's.
 */
int p2pbuf_provider_add(struct p2pbuf_provider *prov)
{
	struct list_head *after = &p2pbuf_listed;
	struct p2pbuf_provider *p;
	int ret;

	mutex_lock(&p2pbuf_registry_lock);
	ret = xa_alloc_cyclic(&p2pbuf_providers, &prov->id, prov, xa_limit_31b,
			      &p2pbuf_next_id, GFP_KERNEL);
	if (ret >= 0) {
		p2pbuf_provider_fill_listing(prov);
		/* the newest id is the largest until the ids wrap */
		list_for_each_entry_reverse(p, &p2pbuf_listed, listed) {
			if (p->id < prov->id) {
				after = &p->listed;
				break;
			}
		}
		list_add(&prov->listed, after);
		WRITE_ONCE(p2pbuf_nr_listed, p2pbuf_nr_listed + 1);
	}
	mutex_unlock(&p2pbuf_registry_lock);
	return ret < 0 ? ret : 0;
}

/**
 * p2pbuf_provider_register_flags - lend a BAR region out as dma-bufs
 * @pdev: the PCI device, enabled, whose driver owns the BAR
 * @bar: memory BAR index
 * @offset: page-aligned offset of the region in the BAR
 * @size: page-aligned size of the region, 0 for the rest of the BAR
 * @flags: 0 or P2PBUF_REGISTER_PAGES
 *
 * Without flags the region is page-less (kind BAR): importers get bus
 * addresses or dma_map_resource() addresses, the CPU a write-combined
 * mapping when the BAR is prefetchable and an uncached one otherwise.
 * With P2PBUF_REGISTER_PAGES the region must be exactly what the caller
 * gave P2PDMA pages with pci_p2pdma_add_resource(), unpublished: importers
 * are served as without pages, the CPU maps the pages (with the P2PDMA
 * core's attributes, as its own p2pmem mappings), and O_DIRECT I/O can
 * target them. Pages cost 64 bytes of memory map per 4 KiB.
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
 * Return: the provider, or an ERR_PTR(): -EINVAL for a bad BAR, offset,
 * size or flag, or P2PDMA pages that are not exactly the region, -ENOMEM,
 * -EBUSY when the registry has no id left, -EOPNOTSUPP for
 * P2PBUF_REGISTER_PAGES without CONFIG_PCI_P2PDMA.
 */
struct p2pbuf_provider *
p2pbuf_provider_register_flags(struct pci_dev *pdev, int bar, u64 offset,
			       u64 size, u32 flags)
{
	struct p2pbuf_provider *prov;
	u64 bar_len, end;
	int ret;

	if (flags & ~P2PBUF_REGISTER_PAGES)
		return ERR_PTR(-EINVAL);
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
	if ((flags & P2PBUF_REGISTER_PAGES) && !IS_ENABLED(CONFIG_PCI_P2PDMA))
		return ERR_PTR(-EOPNOTSUPP);

	prov = p2pbuf_provider_new(pdev, P2PBUF_KIND_BAR);
	if (!prov)
		return ERR_PTR(-ENOMEM);
	prov->bar = bar;
	prov->bar_offset = offset;
	prov->size = size;
	prov->phys = pci_resource_start(pdev, bar) + offset;
	prov->bus_addr = pci_bus_address(pdev, bar) + offset;
	prov->prefetchable = pci_resource_flags(pdev, bar) & IORESOURCE_PREFETCH;
	prov->available = true;
	prov->published = true;

	ret = p2pbuf_provider_pool_init(prov);
	if (ret)
		goto err_put;

	if (flags & P2PBUF_REGISTER_PAGES) {
		ret = p2pbuf_provider_take_pages(prov);
		if (ret)
			goto err_put;
	} else if (prov->prefetchable &&
		   !arch_io_reserve_memtype_wc(prov->phys, size)) {
		/*
		 * So that CPU faults can insert write-combined PTEs: on x86 a
		 * fault takes the memory type reserved over the page.
		 * Registers must not be write-combined; without a reservation
		 * they fault uncached. P2PDMA pages have the memory type
		 * their page map reserved.
		 */
		prov->wc_reserved = true;
	}
	if (!prov->pages)
		p2pbuf_provider_map_cpu(prov);

	ret = p2pbuf_provider_add(prov);
	if (ret)
		goto err_memtype;

	pci_info(pdev, "p2pbuf provider %u: BAR%d [%#llx-%#llx] bus %#llx%s\n",
		 prov->id, bar, (u64)prov->phys, (u64)prov->phys + size - 1,
		 (u64)prov->bus_addr, prov->pages ? ", P2PDMA pages" : "");
	return prov;

err_memtype:
	p2pbuf_provider_unmap_cpu(prov);
	if (prov->wc_reserved)
		arch_io_free_memtype_wc(prov->phys, size);
	p2pbuf_provider_give_pages(prov);
err_put:
	p2pbuf_provider_put(prov);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_provider_register_flags, P2PBUF_NS);

/**
 * p2pbuf_provider_register - lend a page-less BAR region out as dma-bufs
 * @pdev: the PCI device, enabled, whose driver owns the BAR
 * @bar: memory BAR index
 * @offset: page-aligned offset of the region in the BAR
 * @size: page-aligned size of the region, 0 for the rest of the BAR
 *
 * p2pbuf_provider_register_flags() without flags: see there.
 *
 * Context: process context, may sleep.
 *
 * Return: the provider, or an ERR_PTR() as p2pbuf_provider_register_flags().
 */
struct p2pbuf_provider *p2pbuf_provider_register(struct pci_dev *pdev, int bar,
						 u64 offset, u64 size)
{
	return p2pbuf_provider_register_flags(pdev, bar, offset, size, 0);
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_provider_register, P2PBUF_NS);

/*
 * Revoke every buffer of @prov (@wait: wait for each revoked one). Each is
 * handled without prov->lock, on a dma-buf reference taken under it, so that
 * the release of another buffer, which takes the lock, is not held up.
 * @gone is set: no buffer is added meanwhile.
 */
static void p2pbuf_revoke_all(struct p2pbuf_provider *prov, bool wait)
{
	struct p2pbuf_buffer *buf;
	LIST_HEAD(pending);

	mutex_lock(&prov->lock);
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
		if (wait)
			p2pbuf_revoke_wait(buf,
					   READ_ONCE(p2pbuf_revoke_timeout_ms));
		else
			p2pbuf_revoke(buf);
		dma_buf_put(buf->dmabuf);
		mutex_lock(&prov->lock);
	}
	mutex_unlock(&prov->lock);
}

/**
 * p2pbuf_provider_unregister - take a provider away, revoking its buffers
 * @prov: the provider, from p2pbuf_provider_register()
 *
 * No new buffers can be allocated. Every exported buffer is revoked: CPU
 * mappings are zapped, dynamic importers get move_notify and new maps fail
 * with -ENODEV. Then it waits, without a time limit, until no importer of
 * any of the buffers maps or pins it and every fence has signalled; every
 * revoke_timeout_ms it names, in a rate-limited warning, the importers it
 * still waits for. Only then does it return, so the caller may let go of
 * the BAR (or register it again) knowing no device reaches the range.
 * Meanwhile the provider is listed as unavailable, and a second call for the
 * same provider (from another context holding its own reference) waits for
 * the first to finish. The handle p2pbuf_provider_register() returned must
 * not be used after this returns; a reference of one's own
 * (p2pbuf_find_provider()) is still put.
 *
 * Context: process context. Sleeps until the importers let go, possibly
 * forever if one never does (by design: see
 * Documentation/p2pbuf/security.rst). May be called under the PCI device's
 * lock (remove(), reset_prepare(), error_detected()); must not be called
 * holding the reservation lock of one of the provider's dma-bufs, or a lock
 * an importer's move_notify or unmap takes.
 */
void p2pbuf_provider_unregister(struct p2pbuf_provider *prov)
{
	bool first;

	mutex_lock(&prov->lock);
	first = !prov->gone;
	prov->gone = true;
	/* LIST reads it without the lock; the reason only with it */
	WRITE_ONCE(prov->available, false);
	if (first)
		strscpy(prov->reason, "removed, waiting for its importers",
			sizeof(prov->reason));
	mutex_unlock(&prov->lock);
	/* nothing clears through it any more: the lock orders that */
	p2pbuf_provider_unmap_cpu(prov);
	if (!first) {
		/* another unregister runs (or ran): it is a barrier too */
		wait_for_completion_state(&prov->unregistered, TASK_IDLE);
		return;
	}

	/* move_notify to every importer first, then wait for each */
	p2pbuf_revoke_all(prov, false);
	p2pbuf_revoke_all(prov, true);

	/*
	 * Listed (as unavailable) until now, so that
	 * p2pbuf_unregister_matching() finds it and waits too.
	 */
	mutex_lock(&p2pbuf_registry_lock);
	xa_erase(&p2pbuf_providers, prov->id);
	list_del(&prov->listed);
	WRITE_ONCE(p2pbuf_nr_listed, p2pbuf_nr_listed - 1);
	mutex_unlock(&p2pbuf_registry_lock);

	if (prov->wc_reserved) {
		arch_io_free_memtype_wc(prov->phys, prov->size);
		prov->wc_reserved = false;
	}
	/* O_DIRECT may pin pages of a revoked buffer still: wait for it */
	p2pbuf_provider_give_pages(prov);
	pci_info(prov->pdev, "p2pbuf provider %u unregistered\n", prov->id);
	complete_all(&prov->unregistered);
	p2pbuf_provider_put(prov);
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_provider_unregister, P2PBUF_NS);

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
 * p2pbuf_provider_count - how many providers are registered
 *
 * Return: the number of providers p2pbuf_provider_describe() would walk now.
 */
int p2pbuf_provider_count(void)
{
	/* a count is stale once returned anyway: no lock */
	return READ_ONCE(p2pbuf_nr_listed);
}

/**
 * p2pbuf_provider_describe - walk every registered provider, in id order
 * @emit: called for each under the registry lock, so that the whole set is
 *	one snapshot, with the index, the count and the provider (to describe
 *	with listing.c's helpers); a negative errno stops the walk and is
 *	returned, a positive value stops it too
 * @priv: passed to @emit
 *
 * @emit runs under the registry mutex: it may sleep, but must not fault on
 * user memory, since a fault can take unbounded time (userfaultfd, a file
 * on a network) and every ALLOC, register and unregister waits for that
 * mutex.
 *
 * Return: the number of providers (all of them also when @emit stopped the
 * walk), or @emit's errno.
 */
int p2pbuf_provider_describe(p2pbuf_describe_fn emit, void *priv)
{
	struct p2pbuf_provider *prov;
	int n, i = 0, ret = 0;

	mutex_lock(&p2pbuf_registry_lock);
	n = p2pbuf_nr_listed;
	list_for_each_entry(prov, &p2pbuf_listed, listed) {
		/* the list and its count change together: never */
		if (WARN_ON_ONCE(i == n))
			break;
		ret = emit(priv, i++, n, prov);
		if (ret)
			break;
	}
	mutex_unlock(&p2pbuf_registry_lock);
	/* never a count of entries @emit was not given, should they differ */
	return ret < 0 ? ret : ret ? n : i;
}

/* available, published and at least @size bytes free */
static bool p2pbuf_provider_fits(struct p2pbuf_provider *prov, u64 size)
{
	bool usable;

	mutex_lock(&prov->lock);
	usable = prov->available && prov->published;
	mutex_unlock(&prov->lock);
	return usable && p2pbuf_provider_avail(prov) >= size;
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
		/* held across the walks: a client may be unregistered meanwhile */
		pcl[i] = pci_dev_get(p2pbuf_find_pci_dev(clients[i]));
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
EXPORT_SYMBOL_NS_GPL(p2pbuf_find_provider, P2PBUF_NS);

/**
 * p2pbuf_find_first - the first registered provider a predicate accepts
 * @match: the predicate; runs under the registry lock
 * @data: passed to @match
 *
 * Return: the provider with a reference held, or NULL.
 */
struct p2pbuf_provider *
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

/**
 * p2pbuf_unregister_matching - unregister every provider a predicate accepts
 * @match: the predicate; runs under the registry lock
 * @data: passed to @match
 *
 * Context: process context; revokes buffers, see
 * p2pbuf_provider_unregister().
 */
void p2pbuf_unregister_matching(bool (*match)(struct p2pbuf_provider *prov,
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

/**
 * p2pbuf_unregister_all - unregister every provider (module exit)
 */
void p2pbuf_unregister_all(void)
{
	p2pbuf_unregister_matching(p2pbuf_match_any, NULL);
}
