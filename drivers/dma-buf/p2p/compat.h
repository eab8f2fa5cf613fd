/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pbuf compat: every difference between the kernels p2pbuf builds on.
 *
 * The module and its test modules are written against the newest kernel
 * API; this header supplies what an older kernel lacks, under the name the
 * newer kernel gives it. No other file tests LINUX_VERSION_CODE, except
 * include/linux/p2pbuf.h for its users' P2PBUF_IMPORT_NS().
 */
#ifndef _P2PBUF_COMPAT_H
#define _P2PBUF_COMPAT_H

#include <linux/atomic.h>
#include <linux/compiler.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/version.h>

/**
 * DOC: kernels
 *
 * p2pbuf builds on Debian 12's default kernel (6.1), on its backports
 * kernel (6.12, also the test kernel) and on 6.13 and later:
 *
 * - 6.13 names symbol namespaces with string literals
 *   (``EXPORT_SYMBOL_NS_GPL(sym, "P2PBUF")``, ``MODULE_IMPORT_NS("DMA_BUF")``),
 *   earlier kernels with bare tokens: P2PBUF_NS and P2PBUF_NS_DMA_BUF
 *   are either.
 * - 6.10 dropped the source argument of the tracepoints' __assign_str():
 *   trace.h copies the device name into a fixed array instead, the same
 *   on every kernel.
 * - 6.7 added get_file_active(); 6.3 added vm_flags_set(); 6.2 added
 *   FOLL_PCI_P2PDMA. They are defined here for older kernels.
 * - 6.5 added SLAB_NO_MERGE, which keeps p2pbuf's slab caches apart so
 *   that /proc/slabinfo shows them by name; before it the flag is 0 and
 *   they may share a cache of their size, listed under its name.
 *
 * The dma-buf locking p2pbuf relies on is the same on 6.1 as on later
 * kernels (read in Debian's 6.1 and 6.12 drivers/dma-buf/dma-buf.c): for a
 * dynamic exporter, which p2pbuf is (it has pin and unpin), both call
 * map_dma_buf, unmap_dma_buf, pin and unpin with the reservation lock held,
 * taken by a dynamic importer, by the _unlocked variants, or by the core
 * when it caches a static importer's mapping at attach time. So the
 * dma_resv_assert_held() in those callbacks is right on both. What the 6.2
 * rework changed is that dma_buf_map_attachment() wants the lock for every
 * pair, where 6.1 wants it only when one side is dynamic. attach, detach,
 * release and mmap run without the lock on both.
 */

/*
 * Namespaces, as EXPORT_SYMBOL_NS_GPL(sym, P2PBUF_NS) and
 * MODULE_IMPORT_NS(P2PBUF_NS_DMA_BUF) take them. Before 6.13 those macros
 * stringify the expansion of their argument.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define P2PBUF_NS		"P2PBUF"
#define P2PBUF_NS_DMA_BUF	"DMA_BUF"
#define P2PBUF_NS_KUNIT		"EXPORTED_FOR_KUNIT_TESTING"
#else
#define P2PBUF_NS		P2PBUF
#define P2PBUF_NS_DMA_BUF	DMA_BUF
#define P2PBUF_NS_KUNIT		EXPORTED_FOR_KUNIT_TESTING
#endif

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 7, 0)
/*
 * Before 6.7 a file is not SLAB_TYPESAFE_BY_RCU: as on 6.7, the caller
 * makes sure *@f stays allocated while its count may drop to zero.
 */
static inline struct file *get_file_active(struct file **f)
{
	struct file *file = READ_ONCE(*f);

	if (file && atomic_long_inc_not_zero(&file->f_count))
		return file;
	return NULL;
}
#endif

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
/* Before 6.3 vm_flags is written directly, under the mmap_lock. */
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}

static inline void vm_flags_clear(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}
#endif

#ifndef SLAB_NO_MERGE
#define SLAB_NO_MERGE	0	/* added in 6.5 */
#endif

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
/* Before 6.2 GUP took P2PDMA pages without being asked. */
#define FOLL_PCI_P2PDMA	0
#endif

#endif /* _P2PBUF_COMPAT_H */
