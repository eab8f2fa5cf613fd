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
#include <linux/version.h>

/**
 * DOC: kernels
 *
 * p2pbuf builds on Debian 12's default kernel (6.1), on its backports
 * kernel (6.12, also the test kernel) and on 6.13 and later:
 *
 * - 6.13 names symbol namespaces with string literals
 *   (``EXPORT_SYMBOL_NS_GPL(sym, "P2PBUF")``, ``MODULE_IMPORT_NS("DMA_BUF")``),
 *   earlier kernels with bare tokens: P2PBUF_NS() gives either.
 * - 6.10 dropped the source argument of the tracepoints' __assign_str():
 *   trace.h copies the device name into a fixed array instead, the same
 *   on every kernel.
 * - 6.7 added get_file_active(); 6.3 added vm_flags_set(); 6.2 added
 *   FOLL_PCI_P2PDMA. They are defined here for older kernels.
 *
 * The dma-buf locking rules p2pbuf relies on are the same on 6.1 as after
 * the 6.2 rework: p2pbuf is a dynamic exporter (it has pin and unpin), and
 * on both the core calls its map_dma_buf, unmap_dma_buf, pin and unpin with
 * the reservation lock held, so the dma_resv_assert_held() in those
 * callbacks holds on both. What differs is who takes the lock for a static
 * importer: 6.1 maps a static attachment once, at attach time, under the
 * lock it takes itself (and unmaps it at detach), where 6.2 and later take
 * it in dma_buf_map_attachment_unlocked(). attach, detach, release and mmap
 * run without the reservation lock on both.
 */

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define P2PBUF_NS(ns)	#ns
#else
/* EXPORT_SYMBOL_NS_GPL() and MODULE_IMPORT_NS() stringify the expansion */
#define P2PBUF_NS(ns)	ns
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
#endif

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
/* Before 6.2 GUP took P2PDMA pages without being asked. */
#define FOLL_PCI_P2PDMA	0
#endif

#endif /* _P2PBUF_COMPAT_H */
