// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf: PCI BAR memory exported as dma-bufs for peer-to-peer DMA.
 *
 * Module init and exit only; README.md lists the files and their order.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>

#include "bar_driver.h"
#include "p2pbuf_internal.h"

static int __init p2pbuf_init(void)
{
	int ret;

	ret = p2pbuf_chunk_cache_init();
	if (ret)
		return ret;
	ret = p2pbuf_exporter_init();
	if (ret)
		goto err_chunk;
	p2pbuf_debugfs_init();
	/* the rescan file of the uapi queues on p2pmem's workqueue */
	ret = p2pbuf_p2pmem_init();
	if (ret)
		goto err_debugfs;
	ret = p2pbuf_uapi_init();
	if (ret)
		goto err_p2pmem;
	ret = p2pbuf_bar_driver_register();
	if (ret)
		goto err_uapi;
	return 0;

err_uapi:
	p2pbuf_uapi_exit();
	p2pbuf_quota_exit();	/* users the node already served */
err_p2pmem:
	p2pbuf_p2pmem_exit();
	p2pbuf_unregister_all();
err_debugfs:
	p2pbuf_debugfs_exit();
	p2pbuf_exporter_exit();
err_chunk:
	p2pbuf_chunk_cache_exit();
	return ret;
}

static void __exit p2pbuf_exit(void)
{
	p2pbuf_bar_driver_unregister();
	/* no ioctl can allocate from a provider that is being unregistered */
	p2pbuf_uapi_exit();
	p2pbuf_p2pmem_exit();
	p2pbuf_unregister_all();
	p2pbuf_deferred_drain();
	p2pbuf_debugfs_exit();
	p2pbuf_exporter_exit();
	p2pbuf_chunk_cache_exit();
	p2pbuf_quota_exit();
}

module_init(p2pbuf_init);
module_exit(p2pbuf_exit);

MODULE_DESCRIPTION("PCI BAR memory exported as dma-bufs for peer-to-peer DMA");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(P2PBUF_NS_DMA_BUF);
