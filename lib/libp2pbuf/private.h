/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
#ifndef P2PBUF_PRIVATE_H
#define P2PBUF_PRIVATE_H

#include <p2pbuf/p2pbuf.h>

/*
 * @list_hint: providers the last p2pbuf_get_providers() found, to size the
 *	next one's array; read and written relaxed, as threads may share a
 *	context and a stale hint costs one more call at most
 */
struct p2pbuf_ctx {
	int fd;
	unsigned int list_hint;
};

int p2pbuf_xioctl(int fd, unsigned long req, void *arg);

/*
 * The PCI topology from sysfs (sysfs.c); the model on top is path.c.
 * @pcie_type: PCIe port type per device, from config space, -1 unknown
 * @amd_zen: the CPU is AMD family 0x17 or later (the P2PDMA core trusts
 *	every host bridge there)
 */
struct p2pbuf_topo {
	int n;
	int iommu;
	struct p2pbuf_topo_dev *devs;
	int *pcie_type;
	int amd_zen;
	struct p2pbuf_policy policy;
};

#define P2PBUF_HIDDEN __attribute__((visibility("hidden")))

#endif
