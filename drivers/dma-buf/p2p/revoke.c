// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf revoke: take a buffer away from its importers and the CPU when its
 * provider goes, and wait, without a time limit, until no importer can
 * reach its range any more.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/wait.h>

#include "p2pbuf_internal.h"
#include "trace.h"

/**
 * p2pbuf_revoke - take a buffer away from its importers and the CPU
 * @buf: a buffer of a provider that is going away
 *
 * Marks the buffer revoked (new attachments, maps, pins and mmaps fail with
 * -ENODEV), zaps its CPU mappings and sends move_notify to dynamic
 * importers. It does not wait for them: p2pbuf_revoke_wait() does. Called
 * without the provider's lock, holding a reference to the dma-buf (so
 * release cannot run).
 */
void p2pbuf_revoke(struct p2pbuf_buffer *buf)
{
	struct dma_buf *dmabuf = buf->dmabuf;

	lockdep_assert_not_held(&buf->chunk->prov->lock);
	if (buf->revoked)
		return;

	down_write(&buf->revoke_rwsem);
	WRITE_ONCE(buf->revoked, true);
	up_write(&buf->revoke_rwsem);
	/* pairs with p2pbuf_buf_io(): it raises @io_count, then looks */
	smp_mb();
	/* faults now SIGBUS; drop the PTEs already there */
	unmap_mapping_range(dmabuf->file->f_mapping, 0, 0, 1);

	dma_resv_lock(dmabuf->resv, NULL);
	dma_buf_move_notify(dmabuf);
	dma_resv_unlock(dmabuf->resv);
}

static bool p2pbuf_unmapped(struct p2pbuf_buffer *buf)
{
	return !atomic_read(&buf->map_count) && !atomic_read(&buf->pin_count) &&
	       !atomic_read(&buf->io_count);
}

/* name every importer that still maps or pins a revoked buffer */
static void p2pbuf_revoke_warn(struct p2pbuf_buffer *buf)
{
	struct p2pbuf_provider *prov = buf->chunk->prov;
	struct p2pbuf_attachment *pa;
	unsigned int maps, pins;

	spin_lock(&buf->lock);
	list_for_each_entry(pa, &buf->attachments, node) {
		/* changed under the reservation lock, which is not held here */
		maps = READ_ONCE(pa->maps);
		pins = READ_ONCE(pa->pins);
		if (maps || pins)
			dev_warn_ratelimited(pa->attach->dev,
					     "p2pbuf: %s still maps (%u) or pins (%u) a revoked buffer of %s; removal of provider %u waits for it\n",
					     dev_name(pa->attach->dev), maps, pins,
					     pci_name(prov->pdev), prov->id);
	}
	spin_unlock(&buf->lock);
}

/**
 * p2pbuf_revoke_wait - wait until no importer can reach a revoked buffer
 * @buf: a buffer p2pbuf_revoke() revoked
 * @warn_ms: how often to name the importers it waits for
 *	(revoke_timeout_ms)
 *
 * Waits, without a time limit, until no importer maps or pins @buf, no
 * P2PBUF_IOC_BUF_IO moves data in or out of it, and
 * every fence of its reservation object has signalled: until then a device
 * may still reach the range by bus address, and the range must not be lent
 * out again. Every @warn_ms (at least once a minute) a rate-limited warning
 * names each importer that still holds it. Then p2pmem goes back to the
 * P2PDMA pool (later, if O_DIRECT still pins its pages); a BAR range stays
 * allocated until the buffer is released.
 *
 * Context: process context, no p2pbuf lock held and not the buffer's
 * reservation lock (importers take it to unmap); a PCI device lock may be
 * held. Sleeps in TASK_IDLE where it can, so a long wait does not count as
 * a hung task. Holds a reference to the dma-buf, as for p2pbuf_revoke().
 */
void p2pbuf_revoke_wait(struct p2pbuf_buffer *buf, unsigned int warn_ms)
{
	unsigned long slice = clamp(msecs_to_jiffies(warn_ms), 1UL, 60UL * HZ);
	struct p2pbuf_provider *prov = buf->chunk->prov;
	struct dma_buf *dmabuf = buf->dmabuf;
	bool waited = false;
	long ret;

	lockdep_assert_not_held(&prov->lock);
	trace_p2pbuf_revoke(dmabuf, atomic_read(&buf->map_count),
			    atomic_read(&buf->pin_count));
	while (!wait_event_idle_timeout(prov->unmap_wq,
					p2pbuf_unmapped(buf), slice)) {
		p2pbuf_revoke_warn(buf);
		waited = true;
	}
	/* unmapped, but DMA an importer queued may still be running */
	while (!(ret = dma_resv_wait_timeout(dmabuf->resv,
					     DMA_RESV_USAGE_BOOKKEEP, false,
					     slice))) {
		dev_warn_ratelimited(&prov->pdev->dev,
				     "p2pbuf: fences of a revoked buffer are not signalled; removal of provider %u waits for them\n",
				     prov->id);
		waited = true;
	}
	if (waited)
		dev_info(&prov->pdev->dev,
			 "p2pbuf: the last importer let go of a revoked buffer of provider %u\n",
			 prov->id);

	/*
	 * No importer reaches it: the P2PDMA core can tear its pages down.
	 * Pages still pinned by the CPU side (O_DIRECT) are freed later.
	 */
	if (prov->kind == P2PBUF_KIND_P2PMEM) {
		mutex_lock(&prov->lock);
		p2pbuf_chunk_release_memory(buf->chunk);
		mutex_unlock(&prov->lock);
	}
}
