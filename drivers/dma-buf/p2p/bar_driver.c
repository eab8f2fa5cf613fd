// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf_bar: a generic PCI driver that lends the largest prefetchable
 * memory BAR of any device bound to it (driver_override or new_id) out
 * through p2pbuf, or the BAR the administrator names in bar_override.
 *
 * It uses only the in-kernel API of <linux/p2pbuf.h>, as a GPU or NIC driver
 * registering its BAR would: it could be a module of its own.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/ctype.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/p2pbuf.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "bar_driver.h"

/**
 * DOC: bar_override
 *
 * A BAR that is not prefetchable is usually registers: lending it would let
 * a user of /dev/p2pbuf program the device (start its DMA engine, say), and
 * reading it may have side effects. So p2pbuf_bar lends only the largest
 * prefetchable memory BAR, and refuses a device that has none with -ENODEV
 * and a message that names the fix.
 *
 * The administrator can name the BAR of a device explicitly, prefetchable
 * or not, with the parameter bar_override: comma-separated
 * "DDDD:BB:DD.F@BAR" entries, one per device, at most P2PBUF_BAR_OVERRIDES
 * of them, e.g. "0000:08:00.0@0". Writing it needs CAP_SYS_ADMIN (-EPERM
 * otherwise); a malformed list is refused with -EINVAL and changes nothing.
 * It applies from the next probe of a device: bind it again to apply a
 * change.
 */

#define P2PBUF_BAR_OVERRIDES	8

/**
 * struct p2pbuf_bar_override - one entry of bar_override
 * @domain: PCI domain
 * @bus: bus number
 * @devfn: device and function
 * @bar: BAR index to lend
 */
struct p2pbuf_bar_override {
	u16 domain;
	u8 bus;
	u8 devfn;
	u8 bar;
};

/* protects the bar_override table */
static DEFINE_MUTEX(p2pbuf_bar_override_lock);
static struct p2pbuf_bar_override p2pbuf_bar_overrides[P2PBUF_BAR_OVERRIDES];
static unsigned int p2pbuf_nr_bar_overrides;

/* one "DDDD:BB:DD.F@N" entry of @len characters, strictly in that form */
static int p2pbuf_bar_override_parse(const char *s, size_t len,
				     struct p2pbuf_bar_override *o)
{
	static const char form[] = "xxxx:xx:xx.x@d";
	unsigned int domain, bus, dev, fn, bar;
	char entry[sizeof(form)];
	size_t i;

	if (len != sizeof(form) - 1)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (form[i] == 'x' ? !isxdigit(s[i]) :
		    form[i] == 'd' ? !isdigit(s[i]) : s[i] != form[i])
			return -EINVAL;
	}
	memcpy(entry, s, len);
	entry[len] = '\0';
	if (sscanf(entry, "%4x:%2x:%2x.%1x@%1u", &domain, &bus, &dev, &fn,
		   &bar) != 5 || dev > 0x1f || fn > 7 || bar >= PCI_STD_NUM_BARS)
		return -EINVAL;
	o->domain = domain;
	o->bus = bus;
	o->devfn = PCI_DEVFN(dev, fn);
	o->bar = bar;
	return 0;
}

static int p2pbuf_bar_override_set(const char *val,
				   const struct kernel_param *kp)
{
	struct p2pbuf_bar_override tbl[P2PBUF_BAR_OVERRIDES];
	const char *p, *end, *comma;
	unsigned int n = 0, i;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	p = skip_spaces(val);
	end = p + strlen(p);
	while (end > p && isspace(end[-1]))
		end--;
	while (p < end) {
		comma = memchr(p, ',', end - p);
		if (!comma)
			comma = end;
		if (n == ARRAY_SIZE(tbl))
			return -EINVAL;
		ret = p2pbuf_bar_override_parse(p, comma - p, &tbl[n]);
		if (ret)
			return ret;
		for (i = 0; i < n; i++)
			if (tbl[i].domain == tbl[n].domain &&
			    tbl[i].bus == tbl[n].bus &&
			    tbl[i].devfn == tbl[n].devfn)
				return -EINVAL;	/* one BAR per device */
		n++;
		if (comma == end)
			break;
		p = comma + 1;
		if (p == end)
			return -EINVAL;	/* a trailing comma */
	}

	mutex_lock(&p2pbuf_bar_override_lock);
	memcpy(p2pbuf_bar_overrides, tbl, n * sizeof(tbl[0]));
	p2pbuf_nr_bar_overrides = n;
	mutex_unlock(&p2pbuf_bar_override_lock);
	return 0;
}

static int p2pbuf_bar_override_get(char *buffer, const struct kernel_param *kp)
{
	struct p2pbuf_bar_override *o;
	unsigned int i;
	int len = 0;

	mutex_lock(&p2pbuf_bar_override_lock);
	for (i = 0; i < p2pbuf_nr_bar_overrides; i++) {
		o = &p2pbuf_bar_overrides[i];
		len += scnprintf(buffer + len, PAGE_SIZE - len,
				 "%s%04x:%02x:%02x.%x@%u", i ? "," : "",
				 o->domain, o->bus, PCI_SLOT(o->devfn),
				 PCI_FUNC(o->devfn), o->bar);
	}
	mutex_unlock(&p2pbuf_bar_override_lock);
	len += scnprintf(buffer + len, PAGE_SIZE - len, "\n");
	return len;
}

static const struct kernel_param_ops p2pbuf_bar_override_ops = {
	.set = p2pbuf_bar_override_set,
	.get = p2pbuf_bar_override_get,
};

module_param_cb(bar_override, &p2pbuf_bar_override_ops, NULL, 0644);
MODULE_PARM_DESC(bar_override,
		 "BARs p2pbuf_bar lends, prefetchable or not: DDDD:BB:DD.F@BAR,... (default: none)");

/* the BAR bar_override names for @pdev, or -1 */
static int p2pbuf_bar_override_lookup(struct pci_dev *pdev)
{
	struct p2pbuf_bar_override *o;
	unsigned int i;
	int bar = -1;

	mutex_lock(&p2pbuf_bar_override_lock);
	for (i = 0; i < p2pbuf_nr_bar_overrides; i++) {
		o = &p2pbuf_bar_overrides[i];
		if (o->domain == pci_domain_nr(pdev->bus) &&
		    o->bus == pdev->bus->number && o->devfn == pdev->devfn) {
			bar = o->bar;
			break;
		}
	}
	mutex_unlock(&p2pbuf_bar_override_lock);
	return bar;
}

/**
 * DOC: bar_pages
 *
 * With the parameter bar_pages set (Y) and a kernel with
 * CONFIG_PCI_P2PDMA, p2pbuf_bar gives the BAR it lends P2PDMA struct pages
 * (pci_p2pdma_add_resource()) and registers it with
 * P2PBUF_REGISTER_PAGES: the provider is listed with
 * P2PBUF_PROVIDER_PAGES, an mmap() of its buffers can be the target of
 * O_DIRECT I/O to and from an NVMe namespace, and P2PBUF_IOC_BUF_IO moves
 * such I/O device to device. The pages cost 64 bytes of memory map per
 * 4 KiB of BAR (2 MiB for 128 MiB, 512 MiB for a 32 GiB BAR), which is why
 * the default is N: page-less, as on kernels without P2PDMA, where
 * bar_pages is ignored with a message and the BAR stays page-less. The
 * pages keep the P2PDMA core's CPU mapping attributes (uncached), where a
 * page-less prefetchable BAR is mapped write-combined. Writing it needs
 * CAP_SYS_ADMIN; it applies from the next probe of a device: bind it again
 * to apply a change.
 */
static bool p2pbuf_bar_pages;

static int p2pbuf_bar_pages_set(const char *val, const struct kernel_param *kp)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	return param_set_bool(val, kp);
}

static const struct kernel_param_ops p2pbuf_bar_pages_ops = {
	.set = p2pbuf_bar_pages_set,
	.get = param_get_bool,
};

module_param_cb(bar_pages, &p2pbuf_bar_pages_ops, &p2pbuf_bar_pages, 0644);
MODULE_PARM_DESC(bar_pages,
		 "p2pbuf_bar backs BARs with P2PDMA pages, for O_DIRECT into them; 64 bytes per 4 KiB (default: N)");

/* matches nothing: bind with driver_override or new_id */
static const struct pci_device_id p2pbuf_bar_ids[] = {
	{ }
};

/**
 * struct p2pbuf_bar - drvdata of a device bound to p2pbuf_bar
 * @prov: the provider, NULL while a reset or an error has it revoked
 * @bar: the BAR lent out
 * @flags: P2PBUF_REGISTER_PAGES when the BAR has P2PDMA pages
 */
struct p2pbuf_bar {
	struct p2pbuf_provider *prov;
	int bar;
	u32 flags;
};

/*
 * bar_pages: give the BAR P2PDMA pages for the time the driver is bound
 * (the P2PDMA core frees them with the device's managed resources, after
 * remove()). Return: the registration flags.
 */
static u32 p2pbuf_bar_add_pages(struct pci_dev *pdev, int bar)
{
	int ret;

	if (!READ_ONCE(p2pbuf_bar_pages))
		return 0;
	if (!IS_ENABLED(CONFIG_PCI_P2PDMA)) {
		pci_info(pdev, "p2pbuf: bar_pages needs CONFIG_PCI_P2PDMA; BAR%d stays page-less\n",
			 bar);
		return 0;
	}
	ret = pci_p2pdma_add_resource(pdev, bar, 0, 0);
	if (ret) {
		pci_warn(pdev, "p2pbuf: no P2PDMA pages for BAR%d (%pe); page-less\n",
			 bar, ERR_PTR(ret));
		return 0;
	}
	return P2PBUF_REGISTER_PAGES;
}

/* the BAR to lend: the one bar_override names, or the largest prefetchable */
static int p2pbuf_bar_choose(struct pci_dev *pdev)
{
	const unsigned long want = IORESOURCE_MEM | IORESOURCE_PREFETCH;
	resource_size_t best = 0;
	int i, bar;

	bar = p2pbuf_bar_override_lookup(pdev);
	if (bar >= 0) {
		if (!(pci_resource_flags(pdev, bar) & IORESOURCE_MEM) ||
		    pci_resource_len(pdev, bar) < PAGE_SIZE) {
			pci_info(pdev, "p2pbuf: bar_override names BAR%d, which is not a memory BAR of a page or more\n",
				 bar);
			return -EINVAL;
		}
		pci_info(pdev, "p2pbuf: lending BAR%d (%sprefetchable), named by bar_override\n",
			 bar, pci_resource_flags(pdev, bar) & IORESOURCE_PREFETCH ?
			 "" : "not ");
		return bar;
	}

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		if ((pci_resource_flags(pdev, i) & want) == want &&
		    pci_resource_len(pdev, i) > best) {
			best = pci_resource_len(pdev, i);
			bar = i;
		}
	}
	if (bar < 0 || best < PAGE_SIZE) {
		pci_info(pdev, "p2pbuf: no prefetchable memory BAR; name one with p2pbuf.bar_override=%s@N\n",
			 pci_name(pdev));
		return -ENODEV;
	}
	return bar;
}

static int p2pbuf_bar_probe(struct pci_dev *pdev,
			    const struct pci_device_id *id)
{
	struct p2pbuf_bar *pb;
	int bar, ret;

	bar = p2pbuf_bar_choose(pdev);
	if (bar < 0)
		return bar;

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

	/* what slot_reset() restores after a bus reset cleared the BARs */
	pci_save_state(pdev);

	pb->flags = p2pbuf_bar_add_pages(pdev, bar);
	pb->prov = p2pbuf_provider_register_flags(pdev, bar, 0, 0, pb->flags);
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

/*
 * Does the device decode @bar where its resource says? A reset clears the
 * memory enable and the BARs; lending memory the device does not decode
 * would hand out addresses that reach nothing, or something else.
 */
static bool p2pbuf_bar_decodes(struct pci_dev *pdev, int bar,
			       const char *after)
{
	int reg = PCI_BASE_ADDRESS_0 + 4 * bar;
	u32 lo = 0, hi = 0;
	u16 cmd = 0;
	u64 addr;

	if (pci_read_config_word(pdev, PCI_COMMAND, &cmd) ||
	    pci_read_config_dword(pdev, reg, &lo) ||
	    ((lo & PCI_BASE_ADDRESS_MEM_TYPE_MASK) ==
	     PCI_BASE_ADDRESS_MEM_TYPE_64 && bar + 1 < PCI_STD_NUM_BARS &&
	     pci_read_config_dword(pdev, reg + 4, &hi)))
		cmd = 0;
	addr = ((u64)hi << 32 | lo) & (u64)PCI_BASE_ADDRESS_MEM_MASK;
	if ((cmd & PCI_COMMAND_MEMORY) && addr == pci_bus_address(pdev, bar))
		return true;
	pci_warn(pdev, "p2pbuf: BAR%d not decoded after %s (command %#06x, BAR %#llx, expected %#llx); not lent out\n",
		 bar, after, cmd, addr, (u64)pci_bus_address(pdev, bar));
	return false;
}

/* the BAR is back: lend it out again, as a new provider, if it decodes */
static void p2pbuf_bar_restore(struct pci_dev *pdev, const char *after)
{
	struct p2pbuf_bar *pb = pci_get_drvdata(pdev);
	struct p2pbuf_provider *prov;

	if (!pb || pb->prov)
		return;
	if (!p2pbuf_bar_decodes(pdev, pb->bar, after))
		return;
	/* a reset consumed the saved state: keep a good one for the next */
	pci_save_state(pdev);
	prov = p2pbuf_provider_register_flags(pdev, pb->bar, 0, 0, pb->flags);
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
	p2pbuf_bar_restore(pdev, "reset");
}

static pci_ers_result_t p2pbuf_bar_error_detected(struct pci_dev *pdev,
						  pci_channel_state_t state)
{
	p2pbuf_bar_revoke(pdev, "PCI error");
	if (state == pci_channel_io_perm_failure)
		return PCI_ERS_RESULT_DISCONNECT;
	return PCI_ERS_RESULT_NEED_RESET;
}

/* after a secondary bus reset: config space is lost, put it back */
static pci_ers_result_t p2pbuf_bar_slot_reset(struct pci_dev *pdev)
{
	struct p2pbuf_bar *pb = pci_get_drvdata(pdev);

	pci_restore_state(pdev);
	if (!pb || !p2pbuf_bar_decodes(pdev, pb->bar, "slot reset"))
		return PCI_ERS_RESULT_DISCONNECT;
	/* that consumed the saved state: save it again for the next error */
	pci_save_state(pdev);
	return PCI_ERS_RESULT_RECOVERED;
}

static void p2pbuf_bar_resume(struct pci_dev *pdev)
{
	p2pbuf_bar_restore(pdev, "error recovery");
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

/**
 * p2pbuf_bar_driver_register - register the p2pbuf_bar PCI driver
 *
 * Return: 0 or what pci_register_driver() returns.
 */
int p2pbuf_bar_driver_register(void)
{
	return pci_register_driver(&p2pbuf_bar_driver);
}

/**
 * p2pbuf_bar_driver_unregister - unbind every device and unregister
 */
void p2pbuf_bar_driver_unregister(void)
{
	pci_unregister_driver(&p2pbuf_bar_driver);
}
