// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf exporter: the dma_buf_ops of p2pbuf buffers, the export of a
 * chunk, its release, and the listing of live buffers for debugfs. What
 * importers call (attach, pin, map) is in attach.c, revoke in revoke.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "p2pbuf_internal.h"

/**
 * DOC: exporter
 *
 * p2pbuf is a dynamic exporter (it has pin and unpin). attach decides the map
 * type from the provider to the importing PCI device (see DOC: policy) and
 * refuses, with -EOPNOTSUPP and a recorded reason, importers that did not set
 * allow_peer2peer, non-PCI importers and paths the policy does not allow.
 *
 * A read-only buffer (no P2PBUF_ALLOC_RDWR) maps only DMA_TO_DEVICE, with
 * -EACCES and a recorded reason otherwise, and never maps writable for the CPU.
 *
 * Every map builds the importer its own sg table holding DMA addresses only
 * (orig_nents 0: there is no CPU list to walk or sync): one entry per
 * contiguous range, split at the importer's maximum segment size and segment
 * boundary; a map that would need more entries than an sg table holds fails
 * with -E2BIG, never with a table that leaves the end out, and a direction
 * other than DMA_TO_DEVICE, DMA_FROM_DEVICE or DMA_BIDIRECTIONAL (DMA_NONE)
 * with -EINVAL before anything is looked at or allocated. Common switch:
 * PCI bus addresses, no struct pages, marked as bus addresses. Through the
 * host bridge: one dma_map_resource() for the whole chunk, so an IOMMU
 * translates, and the DMA range it returns split as above. unmap undoes
 * exactly that, with one dma_unmap_resource().
 *
 * Revoke (the provider goes away) marks the buffer revoked, zaps CPU
 * mappings and sends move_notify to dynamic importers; new maps, pins and
 * mmaps fail with -ENODEV. The removal then waits, without a time limit,
 * until every mapping and pin is gone and every fence has signalled, since
 * a device that still holds a bus address can reach the range: it is not
 * lent out again before (Documentation/p2pbuf/security.rst).
 */

/* protects p2pbuf_buffers, the list p2pbuf_exporter_show() walks */
static DEFINE_MUTEX(p2pbuf_buffers_lock);
static LIST_HEAD(p2pbuf_buffers);
/* one per dma-buf: a cache of its own, as chunks have (chunk.c) */
static struct kmem_cache *p2pbuf_buffer_cache;

int p2pbuf_exporter_init(void)
{
	p2pbuf_buffer_cache = KMEM_CACHE(p2pbuf_buffer, SLAB_NO_MERGE | SLAB_ACCOUNT);
	return p2pbuf_buffer_cache ? 0 : -ENOMEM;
}

/* once no dma-buf is left: each holds a reference to the module */
void p2pbuf_exporter_exit(void)
{
	kmem_cache_destroy(p2pbuf_buffer_cache);
}

static void p2pbuf_release(struct dma_buf *dmabuf)
{
	struct p2pbuf_buffer *buf = dmabuf->priv;
	struct p2pbuf_chunk *chunk = buf->chunk;

	mutex_lock(&p2pbuf_buffers_lock);
	list_del_init(&buf->all);
	mutex_unlock(&p2pbuf_buffers_lock);

	if (chunk) {
		mutex_lock(&chunk->prov->lock);
		list_del_init(&buf->node);
		mutex_unlock(&chunk->prov->lock);
		p2pbuf_chunk_free(chunk);
	}
	/* the charge travels with the buffer, not with an fd */
	p2pbuf_quota_uncharge(&buf->charge);
	kfree(buf->last_refusal);
	kmem_cache_free(p2pbuf_buffer_cache, buf);
}

const struct dma_buf_ops p2pbuf_dma_buf_ops = {
	.attach = p2pbuf_attach,
	.detach = p2pbuf_detach,
	.pin = p2pbuf_pin,
	.unpin = p2pbuf_unpin,
	.map_dma_buf = p2pbuf_map_dma_buf,
	.unmap_dma_buf = p2pbuf_unmap_dma_buf,
	.mmap = p2pbuf_mmap,
	.release = p2pbuf_release,
};

/**
 * p2pbuf_chunk_export - export a chunk as a dma-buf
 * @chunk: from p2pbuf_chunk_alloc()
 * @flags: access mode of the dma-buf's file: O_RDWR or O_RDONLY; other bits
 *	are ignored
 *
 * On success the dma-buf owns the chunk: its release frees it. On failure
 * the chunk is still the caller's. No fd is made here: FD_CLOEXEC belongs to
 * the fd the caller installs, e.g. dma_buf_fd(dmabuf, O_CLOEXEC).
 *
 * Context: process context, may sleep.
 *
 * Return: the dma-buf, or an ERR_PTR(): -ENODEV when the provider was
 * unregistered meanwhile, else what dma_buf_export() returns.
 */
struct dma_buf *p2pbuf_chunk_export(struct p2pbuf_chunk *chunk, int flags)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct p2pbuf_provider *prov = chunk->prov;
	struct p2pbuf_buffer *buf;
	struct dma_buf *dmabuf;

	buf = kmem_cache_zalloc(p2pbuf_buffer_cache, GFP_KERNEL);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	buf->chunk = chunk;
	INIT_LIST_HEAD(&buf->node);
	INIT_LIST_HEAD(&buf->all);
	INIT_LIST_HEAD(&buf->attachments);
	spin_lock_init(&buf->lock);
	init_rwsem(&buf->revoke_rwsem);

	exp_info.ops = &p2pbuf_dma_buf_ops;
	exp_info.size = chunk->size;
	exp_info.flags = flags & O_ACCMODE;
	exp_info.priv = buf;
	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf)) {
		kmem_cache_free(p2pbuf_buffer_cache, buf);
		return dmabuf;
	}
	buf->dmabuf = dmabuf;

	/* on no list yet: the provider's first, once it is known alive */
	mutex_lock(&prov->lock);
	if (prov->gone) {
		mutex_unlock(&prov->lock);
		/* hand the chunk back before release could free it */
		buf->chunk = NULL;
		dma_buf_put(dmabuf);
		return ERR_PTR(-ENODEV);
	}
	list_add_tail(&buf->node, &prov->buffers);
	mutex_unlock(&prov->lock);

	/* debugfs sees it from here on, and @chunk stays set until release */
	mutex_lock(&p2pbuf_buffers_lock);
	list_add_tail(&buf->all, &p2pbuf_buffers);
	mutex_unlock(&p2pbuf_buffers_lock);
	return dmabuf;
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_chunk_export, P2PBUF_NS);

/*
 * buf <inode> provider <id> <pci name> <kind> offset <off> size <size>
 *     bus <addr> revoked <0|1> maps <n> pins <n> cpu <wc|uc|default>
 *     direct <bytes> bounced <bytes>
 *   attach <importer> map <bus_addr|host_bridge> sg <nents> maps <n> pins <n>
 *
 * map: the map type the importer's last map used (the one attach decided,
 * before any map). direct, bounced: P2PBUF_IOC_BUF_IO's totals.
 */

/**
 * p2pbuf_exporter_show - list every live buffer and its importers
 * @s: where to print, one "buf" line per buffer and one "attach" line per
 *	importer
 *
 * Context: process context; takes p2pbuf_buffers_lock, then each buffer's
 * @lock.
 */
void p2pbuf_exporter_show(struct seq_file *s)
{
	struct p2pbuf_attachment *pa;
	struct p2pbuf_provider *prov;
	struct p2pbuf_buffer *buf;
	struct p2pbuf_chunk *chunk;

	mutex_lock(&p2pbuf_buffers_lock);
	list_for_each_entry(buf, &p2pbuf_buffers, all) {
		/* listed only with its chunk, which release frees after */
		chunk = buf->chunk;
		prov = chunk->prov;
		seq_printf(s, "buf %lu provider %u %s %s offset %#llx size %llu bus %#llx revoked %d maps %d pins %d cpu %s direct %lld bounced %lld\n",
			   file_inode(buf->dmabuf->file)->i_ino, prov->id,
			   pci_name(prov->pdev),
			   p2pbuf_kind_name(prov->kind),
			   chunk->offset, chunk->size,
			   (u64)prov->bus_addr + chunk->offset,
			   READ_ONCE(buf->revoked),
			   atomic_read(&buf->map_count),
			   atomic_read(&buf->pin_count),
			   p2pbuf_has_pages(prov) ? "default" :
			   prov->prefetchable ? "wc" : "uc",
			   atomic64_read(&buf->bytes_direct),
			   atomic64_read(&buf->bytes_bounced));
		spin_lock(&buf->lock);
		list_for_each_entry(pa, &buf->attachments, node)
			seq_printf(s, "  attach %s map %s sg %u maps %u pins %u\n",
				   dev_name(pa->attach->dev),
				   p2pbuf_map_type_name(READ_ONCE(pa->map_type)),
				   READ_ONCE(pa->nents), READ_ONCE(pa->maps),
				   READ_ONCE(pa->pins));
		spin_unlock(&buf->lock);
	}
	mutex_unlock(&p2pbuf_buffers_lock);
}
