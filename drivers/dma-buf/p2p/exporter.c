// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf exporter: the dma_buf_ops of p2pbuf buffers, the export of a
 * chunk, and the listing of live buffers for debugfs. Revoke is in
 * revoke.c.
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

#define CREATE_TRACE_POINTS
#include "trace.h"

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

/**
 * struct p2pbuf_mapping - one sg table handed to an importer
 * @sgt: the table; its address is what the importer holds
 * @nents: entries allocated in @sgt (its orig_nents is 0: no CPU list)
 * @map_type: how it was built, so that unmap undoes exactly that
 * @dir: direction it was mapped with
 * @dma: P2PBUF_MAP_THRU_HOST_BRIDGE: what dma_map_resource() returned
 * @size: P2PBUF_MAP_THRU_HOST_BRIDGE: bytes mapped there
 * @inline_sg: the entries of a table that needs no more (most: a buffer is
 *	contiguous), so that such a map allocates one object, not two
 */
struct p2pbuf_mapping {
	struct sg_table sgt;
	unsigned int nents;
	enum p2pbuf_map_type map_type;
	enum dma_data_direction dir;
	dma_addr_t dma;
	size_t size;
	struct scatterlist inline_sg[2];
};

/*
 * Keep @reason as @buf's last refusal (BUF_INFO's last_refusal); its room is
 * allocated by the first refusal, so that buffers never refused do not
 * carry it. Out of memory, the reason is not kept; it is still logged.
 * Return: true the first time @bit (an enum p2pbuf_reason; -1: none, and
 * false) is noted.
 */
static bool p2pbuf_note_refusal(struct p2pbuf_buffer *buf, const char *reason,
				int bit)
{
	char *room = NULL;
	bool first = false;

	/* set once, from NULL, under @lock */
	if (!READ_ONCE(buf->last_refusal))
		room = kmalloc(P2PBUF_REASON_LEN, GFP_KERNEL_ACCOUNT);
	spin_lock(&buf->lock);
	if (!buf->last_refusal && room) {
		WRITE_ONCE(buf->last_refusal, room);
		room = NULL;
	}
	if (buf->last_refusal)
		strscpy(buf->last_refusal, reason, P2PBUF_REASON_LEN);
	if (bit >= 0)
		first = !__test_and_set_bit(bit, &buf->logged);
	spin_unlock(&buf->lock);
	kfree(room);
	return first;
}

/*
 * Record why @buf was refused to @dev and log it: once per buffer and
 * reason, and at most DEFAULT_RATELIMIT_BURST lines per
 * DEFAULT_RATELIMIT_INTERVAL over all buffers, since whoever allocates fresh
 * buffers and has them refused must not be able to flood the log.
 */
static void p2pbuf_refuse(struct p2pbuf_buffer *buf, struct device *dev,
			  const struct p2pbuf_verdict *v)
{
	char reason[P2PBUF_REASON_LEN];

	p2pbuf_reason_format(v, reason, sizeof(reason));
	if (p2pbuf_note_refusal(buf, reason, v->reason))
		dev_info_ratelimited(dev, "p2pbuf: refused buffer on %s: %s\n",
				     pci_name(buf->chunk->prov->pdev), reason);
}

/* bus addresses are not translated: the importer must reach them as they are */
static bool p2pbuf_bus_reachable(struct p2pbuf_buffer *buf, struct device *dev,
				 struct p2pbuf_verdict *v)
{
	struct p2pbuf_chunk *chunk = buf->chunk;

	return p2pbuf_dma_reachable(chunk->prov->bus_addr + chunk->offset,
				    chunk->size, dev->dma_mask,
				    dev->bus_dma_limit, v);
}

static int p2pbuf_attach(struct dma_buf *dmabuf,
			 struct dma_buf_attachment *attach)
{
	struct p2pbuf_buffer *buf = dmabuf->priv;
	struct p2pbuf_attachment *pa;
	struct p2pbuf_verdicts vs;
	struct p2pbuf_verdict v;
	struct pci_dev *client;
	int ret;

	if (READ_ONCE(buf->revoked)) {
		p2pbuf_verdict_simple(&v, P2PBUF_REASON_REVOKED);
		ret = -ENODEV;
		goto err_refuse;
	}
	client = p2pbuf_find_pci_dev(attach->dev);
	if (!client) {
		p2pbuf_verdict_simple(&v, P2PBUF_REASON_NOT_PCI);
		ret = -EOPNOTSUPP;
		goto err_refuse;
	}
	if (!attach->peer2peer) {
		p2pbuf_verdict_simple(&v, P2PBUF_REASON_NO_PEER2PEER);
		ret = -EOPNOTSUPP;
		goto err_put_client;
	}
	/* decided once per importer; see DOC: verdict cache */
	ret = p2pbuf_verdicts_get(buf->chunk->prov, client, &vs);
	if (ret) {
		/* out of memory is not a refusal: no reason is recorded */
		pci_dev_put(client);
		return ret;
	}
	v = vs.v[0];
	if (v.map_type == P2PBUF_MAP_NOT_SUPPORTED ||
	    (v.map_type == P2PBUF_MAP_BUS_ADDR &&
	     !p2pbuf_bus_reachable(buf, attach->dev, &v))) {
		ret = -EOPNOTSUPP;
		goto err_put_client;
	}

	pa = kzalloc(sizeof(*pa), GFP_KERNEL);
	if (!pa) {
		pci_dev_put(client);
		return -ENOMEM;
	}
	pa->attach = attach;
	pa->client = client;
	pa->map_type = v.map_type;
	pa->vs = vs;
	attach->priv = pa;

	spin_lock(&buf->lock);
	list_add_tail(&pa->node, &buf->attachments);
	buf->nr_attach++;
	spin_unlock(&buf->lock);
	trace_p2pbuf_attach(dmabuf, attach->dev, v.map_type, v.reason, 0);
	return 0;

err_put_client:
	pci_dev_put(client);
err_refuse:
	p2pbuf_refuse(buf, attach->dev, &v);
	trace_p2pbuf_attach(dmabuf, attach->dev, v.map_type, v.reason, ret);
	return ret;
}

static void p2pbuf_detach(struct dma_buf *dmabuf,
			  struct dma_buf_attachment *attach)
{
	struct p2pbuf_buffer *buf = dmabuf->priv;
	struct p2pbuf_attachment *pa = attach->priv;

	spin_lock(&buf->lock);
	list_del(&pa->node);
	buf->nr_attach--;
	spin_unlock(&buf->lock);
	pci_dev_put(pa->client);
	kfree(pa);
}

/**
 * DOC: pinned importers
 *
 * An importer that pins a buffer (dma_buf_pin(): ib_umem_dmabuf's pinned
 * form, importers that are not dynamic, and every importer on a kernel
 * without CONFIG_DMABUF_MOVE_NOTIFY, where the dma-buf core pins on every
 * map) cannot give its mapping back on move_notify, so removing the
 * provider waits for it to let go. The parameter pinned_importers chooses:
 *
 * - wait (default): pins are allowed and removal waits for them.
 * - refuse: the pin operation fails with -EOPNOTSUPP and the buffer
 *   records the reason, so removal never waits for a pin. On a kernel
 *   without CONFIG_DMABUF_MOVE_NOTIFY that refuses every map.
 *
 * wait is the default because stock kernels pin on every map.
 */
enum p2pbuf_pinned_policy {
	P2PBUF_PINNED_WAIT,
	P2PBUF_PINNED_REFUSE,
};

static const char * const p2pbuf_pinned_names[] = {
	[P2PBUF_PINNED_WAIT] = "wait",
	[P2PBUF_PINNED_REFUSE] = "refuse",
};

static int p2pbuf_pinned_importers = P2PBUF_PINNED_WAIT;

static int p2pbuf_pinned_set(const char *val, const struct kernel_param *kp)
{
	int policy = p2pbuf_param_may_set();

	if (policy)
		return policy;
	policy = sysfs_match_string(p2pbuf_pinned_names, val);
	if (policy < 0)
		return policy;
	WRITE_ONCE(*(int *)kp->arg, policy);
	return 0;
}

static int p2pbuf_pinned_get(char *buffer, const struct kernel_param *kp)
{
	return sysfs_emit(buffer, "%s\n",
			  p2pbuf_pinned_names[READ_ONCE(*(int *)kp->arg)]);
}

static const struct kernel_param_ops p2pbuf_pinned_ops = {
	.set = p2pbuf_pinned_set,
	.get = p2pbuf_pinned_get,
};

module_param_cb(pinned_importers, &p2pbuf_pinned_ops,
		&p2pbuf_pinned_importers, 0644);
MODULE_PARM_DESC(pinned_importers,
		 "Importers that pin: wait (removal waits for them; default) or refuse");

#define P2PBUF_PINNED_REFUSED	"pinned importers refused (pinned_importers=refuse)"

/* under the reservation lock: record why a pin was refused, and say so */
static void p2pbuf_refuse_pin(struct p2pbuf_buffer *buf, struct device *dev)
{
	p2pbuf_note_refusal(buf, P2PBUF_PINNED_REFUSED, -1);
	dev_info_ratelimited(dev, "p2pbuf: refused buffer on %s: %s\n",
			     pci_name(buf->chunk->prov->pdev),
			     P2PBUF_PINNED_REFUSED);
}

static int p2pbuf_pin(struct dma_buf_attachment *attach)
{
	struct p2pbuf_buffer *buf = attach->dmabuf->priv;
	struct p2pbuf_attachment *pa = attach->priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	if (READ_ONCE(buf->revoked))
		return -ENODEV;
	if (READ_ONCE(p2pbuf_pinned_importers) == P2PBUF_PINNED_REFUSE) {
		p2pbuf_refuse_pin(buf, attach->dev);
		return -EOPNOTSUPP;
	}
	pa->pins++;
	atomic_inc(&buf->pin_count);
	return 0;
}

static void p2pbuf_unpin(struct dma_buf_attachment *attach)
{
	struct p2pbuf_buffer *buf = attach->dmabuf->priv;
	struct p2pbuf_attachment *pa = attach->priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	if (WARN_ON_ONCE(!pa->pins))
		return;
	pa->pins--;
	if (atomic_dec_and_test(&buf->pin_count))
		p2pbuf_buffer_idle_wake(buf);
}

static struct sg_table *p2pbuf_map_dma_buf(struct dma_buf_attachment *attach,
					   enum dma_data_direction dir)
{
	struct p2pbuf_buffer *buf = attach->dmabuf->priv;
	struct p2pbuf_attachment *pa = attach->priv;
	struct p2pbuf_chunk *chunk = buf->chunk;
	struct p2pbuf_provider *prov = chunk->prov;
	struct device *dev = attach->dev;
	struct p2pbuf_mapping *m;
	struct p2pbuf_verdict v;
	struct scatterlist *sg;
	dma_addr_t dma;
	int ret, i;

	dma_resv_assert_held(attach->dmabuf->resv);
	/* DMA_NONE (or garbage) would reach a BUG_ON() in dma_map_resource() */
	if (!valid_dma_direction(dir))
		return ERR_PTR(-EINVAL);
	if (READ_ONCE(buf->revoked))
		return ERR_PTR(-ENODEV);
	/* a read-only buffer: devices may read it, not write it */
	if (!(attach->dmabuf->file->f_mode & FMODE_WRITE) &&
	    (dir == DMA_FROM_DEVICE || dir == DMA_BIDIRECTIONAL)) {
		p2pbuf_note_refusal(buf, "read-only buffer, mapping needs write",
				    -1);
		return ERR_PTR(-EACCES);
	}

	/*
	 * Directions count now; the policy or the topology may have changed
	 * since attach, and then the verdicts are decided again.
	 */
	if (!p2pbuf_verdicts_fresh(&pa->vs)) {
		ret = p2pbuf_verdicts_get(prov, pa->client, &pa->vs);
		if (ret)
			return ERR_PTR(ret);
	}
	v = pa->vs.v[p2pbuf_dir_to_mask(dir)];
	if (v.map_type == P2PBUF_MAP_NOT_SUPPORTED ||
	    (v.map_type == P2PBUF_MAP_BUS_ADDR &&
	     !p2pbuf_bus_reachable(buf, dev, &v))) {
		p2pbuf_refuse(buf, dev, &v);
		return ERR_PTR(-EOPNOTSUPP);
	}

	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return ERR_PTR(-ENOMEM);
	m->map_type = v.map_type;
	m->dir = dir;

	if (v.map_type == P2PBUF_MAP_BUS_ADDR) {
		ret = p2pbuf_sg_fill_into(&m->sgt, m->inline_sg,
					  ARRAY_SIZE(m->inline_sg),
					  prov->bus_addr + chunk->offset,
					  chunk->size, dma_get_max_seg_size(dev),
					  dma_get_seg_boundary(dev));
		if (ret)
			goto err_free;
		for_each_sgtable_dma_sg(&m->sgt, sg, i)
			sg_dma_mark_bus_address(sg);
	} else {
		/* one mapping for the chunk, split in DMA address space */
		dma = dma_map_resource(dev, prov->phys + chunk->offset,
				       chunk->size, dir, DMA_ATTR_SKIP_CPU_SYNC);
		if (dma_mapping_error(dev, dma)) {
			ret = -EIO;
			goto err_free;
		}
		m->dma = dma;
		m->size = chunk->size;
		ret = p2pbuf_sg_fill_into(&m->sgt, m->inline_sg,
					  ARRAY_SIZE(m->inline_sg), dma,
					  chunk->size, dma_get_max_seg_size(dev),
					  dma_get_seg_boundary(dev));
		if (ret)
			goto err_unmap;
	}

	m->nents = m->sgt.nents;
	/* the map type in use, for debugfs and BUF_INFO */
	WRITE_ONCE(pa->map_type, v.map_type);
	pa->maps++;
	pa->nents = m->sgt.nents;
	atomic_inc(&buf->map_count);
	trace_p2pbuf_map(attach->dmabuf, dev, v.map_type, dir, m->sgt.nents,
			 sg_dma_address(m->sgt.sgl));
	return &m->sgt;

err_unmap:
	dma_unmap_resource(dev, m->dma, m->size, dir, DMA_ATTR_SKIP_CPU_SYNC);
err_free:
	kfree(m);
	return ERR_PTR(ret);
}

static void p2pbuf_unmap_dma_buf(struct dma_buf_attachment *attach,
				 struct sg_table *sgt,
				 enum dma_data_direction dir)
{
	struct p2pbuf_mapping *m = container_of(sgt, struct p2pbuf_mapping, sgt);
	struct p2pbuf_buffer *buf = attach->dmabuf->priv;
	struct p2pbuf_attachment *pa = attach->priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	trace_p2pbuf_unmap(attach->dmabuf, attach->dev, sgt->nents);
	if (m->map_type == P2PBUF_MAP_THRU_HOST_BRIDGE)
		dma_unmap_resource(attach->dev, m->dma, m->size, m->dir,
				   DMA_ATTR_SKIP_CPU_SYNC);
	if (sgt->sgl != m->inline_sg)
		p2pbuf_sg_free(sgt, m->nents);
	kfree(m);

	pa->maps--;
	if (atomic_dec_and_test(&buf->map_count))
		p2pbuf_buffer_idle_wake(buf);
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
