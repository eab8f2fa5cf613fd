// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf_bar: a generic PCI driver that lends the largest memory BAR of any
 * device bound to it (driver_override or new_id) out through p2pbuf.
 *
 * It uses only the in-kernel API of <linux/p2pbuf.h>, as a GPU or NIC driver
 * registering its BAR would: it could be a module of its own.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/p2pbuf.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "bar_driver.h"

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

	/* what slot_reset() restores after a bus reset cleared the BARs */
	pci_save_state(pdev);

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
