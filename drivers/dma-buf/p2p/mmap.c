// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf CPU mappings: mmap of a buffer and its fault handler. Page-less BAR
 * memory is inserted as PFNs, p2pmem and BARs with pages as their P2P pages
 * (so that O_DIRECT can pin them).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-buf.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/rwsem.h>

#include "p2pbuf_internal.h"

static vm_fault_t p2pbuf_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct p2pbuf_buffer *buf = vma->vm_private_data;
	struct p2pbuf_chunk *chunk = buf->chunk;
	struct p2pbuf_provider *prov = chunk->prov;
	vm_fault_t ret;
	int err;

	if (vmf->pgoff >= chunk->size >> PAGE_SHIFT)
		return VM_FAULT_SIGBUS;

	/* revoke holds this for writing while it flips @revoked and zaps */
	down_read(&buf->revoke_rwsem);
	if (buf->revoked) {
		ret = VM_FAULT_SIGBUS;
	} else if (!p2pbuf_has_pages(prov)) {
		ret = vmf_insert_pfn(vma, vmf->address,
				     PHYS_PFN(prov->phys + chunk->offset) +
				     vmf->pgoff);
	} else {
		/* P2P pages: GUP (O_DIRECT) can pin these */
		err = vm_insert_page(vma, vmf->address,
				     virt_to_page(chunk->kaddr +
						  (vmf->pgoff << PAGE_SHIFT)));
		ret = (!err || err == -EBUSY) ? VM_FAULT_NOPAGE : vmf_error(err);
	}
	up_read(&buf->revoke_rwsem);
	return ret;
}

static const struct vm_operations_struct p2pbuf_vm_ops = {
	.fault = p2pbuf_vm_fault,
};

/*
 * How the CPU maps a provider. A prefetchable BAR has no read side effects
 * and may be write-combined; any other BAR may be registers and is mapped
 * uncached. p2pmem keeps the protection mmap() gave, as the P2PDMA core's
 * own p2pmem/allocate file maps it (its kernel mapping is uncached).
 */
static pgprot_t p2pbuf_cpu_prot(struct p2pbuf_provider *prov, pgprot_t prot)
{
	if (p2pbuf_has_pages(prov))
		return prot;
	return prov->prefetchable ? pgprot_writecombine(prot) :
				    pgprot_noncached(prot);
}

/**
 * p2pbuf_mmap - the dma_buf_ops mmap of p2pbuf buffers
 * @dmabuf: the buffer
 * @vma: a shared mapping of part of it
 *
 * Nothing is inserted here: the fault handler does it, under the buffer's
 * @revoke_rwsem, so that a revoke zaps every PTE and later faults SIGBUS.
 *
 * Return: 0, -EINVAL for a private or oversized mapping, -ENODEV once
 * revoked, -EACCES for a writable mapping of a read-only buffer.
 */
int p2pbuf_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct p2pbuf_buffer *buf = dmabuf->priv;
	unsigned long npages = buf->chunk->size >> PAGE_SHIFT;

	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_pgoff > npages || vma_pages(vma) > npages - vma->vm_pgoff)
		return -EINVAL;
	if (READ_ONCE(buf->revoked))
		return -ENODEV;
	/* dma_buf_mmap() of an importer's vma: the VFS did not check */
	if (!(dmabuf->file->f_mode & FMODE_WRITE)) {
		if (vma->vm_flags & VM_WRITE)
			return -EACCES;
		vm_flags_clear(vma, VM_MAYWRITE);
	}

	vma->vm_page_prot = p2pbuf_cpu_prot(buf->chunk->prov,
					    vma->vm_page_prot);
	if (!p2pbuf_has_pages(buf->chunk->prov))
		vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND |
			     VM_DONTDUMP);
	else
		vm_flags_set(vma, VM_MIXEDMAP | VM_DONTEXPAND | VM_DONTDUMP);
	/* from now on a free must check the pages (p2pbuf_pages_idle()) */
	if (p2pbuf_has_pages(buf->chunk->prov))
		WRITE_ONCE(buf->chunk->cpu_mapped, true);
	vma->vm_ops = &p2pbuf_vm_ops;
	vma->vm_private_data = buf;
	return 0;
}
