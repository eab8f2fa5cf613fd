// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf p2pmem adoption: p2pmem that a driver published through the P2PDMA
 * core (the NVMe CMB) becomes a provider; without CONFIG_PCI_P2PDMA there
 * is none, and p2pbuf never reads another driver's registers to find a
 * CMB, so none is listed. A PCI bus notifier queues a rescan on a private
 * ordered workqueue when drivers bind, and unregisters providers of devices
 * that go.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/workqueue.h>

#include "p2pbuf_internal.h"

/*
 * Discovery runs here and nowhere else, one rescan at a time (so a device is
 * adopted once): at load, after a driver binds, and on a write to the
 * rescan file. Listing never rescans.
 */
static struct workqueue_struct *p2pbuf_wq;

static bool p2pbuf_match_pdev(struct p2pbuf_provider *prov, void *pdev)
{
	return prov->pdev == pdev;
}

static bool p2pbuf_match_p2pmem(struct p2pbuf_provider *prov, void *pdev)
{
	return prov->pdev == pdev && prov->kind == P2PBUF_KIND_P2PMEM;
}

#if IS_ENABLED(CONFIG_PCI_P2PDMA)
/* a BAR lent with pages: its P2PDMA page map is that provider's, not p2pmem */
static bool p2pbuf_match_bar_pages(struct p2pbuf_provider *prov, void *pdev)
{
	return prov->pdev == pdev && prov->pages;
}

static struct p2pbuf_provider *p2pbuf_find_p2pmem(struct pci_dev *pdev)
{
	return p2pbuf_find_first(p2pbuf_match_p2pmem, pdev);
}

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
	prov = p2pbuf_find_first(p2pbuf_match_bar_pages, pdev);
	if (prov) {
		p2pbuf_provider_put(prov);
		return;
	}
	prov = p2pbuf_find_p2pmem(pdev);
	if (prov) {
		/* publication can change */
		mutex_lock(&prov->lock);
		if (!prov->gone && !prov->available && pci_has_p2pmem(pdev)) {
			/* LIST reads these two without the lock */
			prov->reason[0] = '\0';
			WRITE_ONCE(prov->available, true);
			WRITE_ONCE(prov->published, true);
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
	/* listed now: unregister may clear it (WRITE_ONCE) */
	pci_info(pdev, "p2pbuf provider %u: p2pmem BAR%d+%#llx, %llu bytes%s\n",
		 prov->id, bar, prov->bar_offset, prov->size,
		 READ_ONCE(prov->available) ? "" : " (not published)");
}
#else
/* no P2PDMA, no p2pmem: nothing to adopt, and no register is read */
static bool p2pbuf_match_stale(struct p2pbuf_provider *prov, void *data)
{
	return false;
}

static bool p2pbuf_p2pmem_range(struct pci_dev *pdev, int *bar,
				struct range *range)
{
	return false;
}

static void p2pbuf_adopt(struct pci_dev *pdev)
{
}
#endif

/*
 * Adopt p2pmem published since the last look. Each device is looked at
 * under its device lock and only while a driver is bound, so that adoption
 * cannot race with an unbind tearing the p2pmem down; adopted providers
 * whose p2pmem is gone are unregistered. Runs on p2pbuf_wq only.
 */
static void p2pbuf_rescan_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(p2pbuf_rescan_work, p2pbuf_rescan_fn);

static void p2pbuf_rescan_fn(struct work_struct *work)
{
	struct pci_dev *pdev = NULL;
	struct range range;
	bool again = false;
	int bar;

	if (!IS_ENABLED(CONFIG_PCI_P2PDMA))
		return;
	for_each_pci_dev(pdev) {
		/* only a device whose BAR holds p2pmem is worth its lock */
		if (!p2pbuf_p2pmem_range(pdev, &bar, &range))
			continue;
		/*
		 * An unbind or reset may be waiting for importers under this
		 * lock, for as long as they hold on: look again later rather
		 * than block the workqueue behind it.
		 */
		if (!device_trylock(&pdev->dev)) {
			again = true;
			continue;
		}
		if (pdev->driver)
			p2pbuf_adopt(pdev);
		device_unlock(&pdev->dev);
	}
	p2pbuf_unregister_matching(p2pbuf_match_stale, NULL);
	if (again)
		queue_delayed_work(p2pbuf_wq, &p2pbuf_rescan_work, HZ);
}

/**
 * p2pbuf_p2pmem_rescan - look for new p2pmem now, and wait for it
 *
 * Queues a rescan on the private workqueue (at once, or sooner than the
 * one a bind queued) and waits until a rescan that started after the call
 * has finished. For module load and /sys/class/misc/p2pbuf/rescan; listing
 * providers never calls it.
 *
 * Context: process context; sleeps until the rescan took every PCI device
 * lock in turn, so it must not be called holding one.
 */
void p2pbuf_p2pmem_rescan(void)
{
	mod_delayed_work(p2pbuf_wq, &p2pbuf_rescan_work, 0);
	flush_delayed_work(&p2pbuf_rescan_work);
}

/* a driver unbinds (@p2pmem_only: its p2pmem goes) or the device goes */
static void p2pbuf_unregister_device_providers(struct pci_dev *pdev,
					       bool p2pmem_only)
{
	p2pbuf_unregister_matching(p2pmem_only ? p2pbuf_match_p2pmem :
				   p2pbuf_match_pdev, pdev);
}

static int p2pbuf_pci_notify(struct notifier_block *nb, unsigned long action,
			     void *data)
{
	struct pci_dev *pdev = to_pci_dev(data);

	switch (action) {
	case BUS_NOTIFY_ADD_DEVICE:
		p2pbuf_topo_changed();	/* paths through it are new */
		break;
	case BUS_NOTIFY_BOUND_DRIVER:
		/*
		 * nvme publishes its CMB from its asynchronous reset work:
		 * look a second after the last bind
		 */
		mod_delayed_work(p2pbuf_wq, &p2pbuf_rescan_work, HZ);
		break;
	case BUS_NOTIFY_UNBIND_DRIVER:
		/* the P2PDMA core tears the p2pmem down after remove() */
		if (IS_ENABLED(CONFIG_PCI_P2PDMA))
			p2pbuf_unregister_device_providers(pdev, true);
		break;
	case BUS_NOTIFY_DEL_DEVICE:
		p2pbuf_topo_changed();	/* before its pci_dev can be reused */
		p2pbuf_unregister_device_providers(pdev, false);
		break;
	case BUS_NOTIFY_REMOVED_DEVICE:
		/*
		 * Off the bus list only now: a verdict decided in between
		 * (the unregister above waits for importers) must not outlive
		 * it, nor answer PATH for its address (p2pbuf_verdict_cached())
		 */
		p2pbuf_topo_changed();
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block p2pbuf_pci_nb = {
	.notifier_call = p2pbuf_pci_notify,
};

/**
 * p2pbuf_p2pmem_init - watch the PCI bus and adopt what is published now
 *
 * Creates the private ordered workqueue discovery runs on, registers the
 * PCI bus notifier and waits for a first rescan.
 *
 * Return: 0 or a negative errno.
 */
int p2pbuf_p2pmem_init(void)
{
	int ret;

	p2pbuf_wq = alloc_ordered_workqueue("p2pbuf", 0);
	if (!p2pbuf_wq)
		return -ENOMEM;
	ret = bus_register_notifier(&pci_bus_type, &p2pbuf_pci_nb);
	if (ret)
		goto err_wq;
	p2pbuf_p2pmem_rescan();
	return 0;

err_wq:
	destroy_workqueue(p2pbuf_wq);
	return ret;
}

/**
 * p2pbuf_p2pmem_exit - stop watching the PCI bus
 *
 * After the notifier is gone nothing queues a rescan; the /dev/p2pbuf
 * rescan file must be gone already (p2pbuf_uapi_exit()). Adopted providers
 * stay registered: module exit unregisters every provider.
 */
void p2pbuf_p2pmem_exit(void)
{
	bus_unregister_notifier(&pci_bus_type, &p2pbuf_pci_nb);
	cancel_delayed_work_sync(&p2pbuf_rescan_work);
	destroy_workqueue(p2pbuf_wq);
}
