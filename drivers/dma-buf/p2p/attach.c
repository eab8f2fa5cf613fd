// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf importers: the dma_buf_ops an importer calls on a p2pbuf buffer
 * (attach and detach, pin and unpin, map and unmap), the refusals they
 * record, and the pinned_importers parameter. Defines the tracepoints
 * (trace.h).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "p2pbuf_internal.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

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

/*
 * Bus addresses are not translated: the importer must reach them as they
 * are. On false, @why (NULL: not wanted) becomes the refusal. Every attach
 * and map asks: inline, as p2pbuf_dma_reachable() is.
 */
static __always_inline bool p2pbuf_bus_reachable(struct p2pbuf_buffer *buf,
						 struct device *dev,
						 struct p2pbuf_verdict *why)
{
	struct p2pbuf_chunk *chunk = buf->chunk;

	return p2pbuf_dma_reachable(chunk->prov->bus_addr + chunk->offset,
				    chunk->size, dev->dma_mask,
				    dev->bus_dma_limit, why);
}

/* may @dev map @buf the way @type (enum p2pbuf_map_type) says? */
static __always_inline bool p2pbuf_may_map(struct p2pbuf_buffer *buf,
					   struct device *dev, u8 type)
{
	if (type == P2PBUF_MAP_NOT_SUPPORTED)
		return false;
	return type != P2PBUF_MAP_BUS_ADDR ||
	       p2pbuf_bus_reachable(buf, dev, NULL);
}

/*
 * p2pbuf_may_map() said no to @pa's map type for @want: the whole verdict,
 * which the attachment does not keep, says why. It is at least as new as
 * @pa's map types, and its own replace them: when the policy or the
 * topology changed in between and now allows the map (a race with a
 * parameter write or a hotplug), the map goes ahead, rather than being
 * refused with a reason that says it is allowed. Otherwise the refusal is
 * recorded and logged. Out of line, so that the paths that map do not set
 * the verdicts up on their stack.
 *
 * Return: 0 (allowed now), -EOPNOTSUPP (refused; @why, unless NULL, says
 * why) or -ENOMEM (nothing recorded: out of memory is not a refusal).
 */
static noinline int p2pbuf_refuse_map(struct p2pbuf_buffer *buf,
				      struct device *dev,
				      struct p2pbuf_attachment *pa, u8 want,
				      enum p2pbuf_reason *why)
{
	struct p2pbuf_verdicts vs;
	struct p2pbuf_verdict *v = &vs.v[want];
	int ret;

	ret = p2pbuf_verdicts_get(buf->chunk->prov, pa->client, &vs);
	if (ret)
		return ret;
	p2pbuf_verdicts_types(&vs, pa->types, &pa->gen);
	if (p2pbuf_may_map(buf, dev, v->map_type))
		return 0;
	if (v->map_type == P2PBUF_MAP_BUS_ADDR)
		p2pbuf_bus_reachable(buf, dev, v);
	p2pbuf_refuse(buf, dev, v);
	if (why)
		*why = v->reason;
	return -EOPNOTSUPP;
}

/* an attach refused for @r, a reason that needs no topology */
static noinline int p2pbuf_refuse_attach(struct p2pbuf_buffer *buf,
					 struct device *dev,
					 enum p2pbuf_reason r, int ret)
{
	struct p2pbuf_verdict v;

	p2pbuf_verdict_simple(&v, r);
	p2pbuf_refuse(buf, dev, &v);
	trace_p2pbuf_attach(buf->dmabuf, dev, v.map_type, v.reason, ret);
	return ret;
}

int p2pbuf_attach(struct dma_buf *dmabuf, struct dma_buf_attachment *attach)
{
	struct p2pbuf_buffer *buf = dmabuf->priv;
	struct p2pbuf_attachment *pa;
	struct pci_dev *client;
	enum p2pbuf_reason why;
	int ret;

	if (READ_ONCE(buf->revoked))
		return p2pbuf_refuse_attach(buf, attach->dev,
					    P2PBUF_REASON_REVOKED, -ENODEV);
	client = p2pbuf_importer_pci_get(attach->dev);
	if (!client)
		return p2pbuf_refuse_attach(buf, attach->dev,
					    P2PBUF_REASON_NOT_PCI, -EOPNOTSUPP);
	if (!attach->peer2peer) {
		p2pbuf_importer_pci_put(client, attach->dev);
		return p2pbuf_refuse_attach(buf, attach->dev,
					    P2PBUF_REASON_NO_PEER2PEER,
					    -EOPNOTSUPP);
	}
	/* not zeroed: every field is set below, @spare when it is handed out */
	pa = kmalloc(sizeof(*pa), GFP_KERNEL);
	if (!pa) {
		p2pbuf_importer_pci_put(client, attach->dev);
		return -ENOMEM;
	}
	pa->client = client;
	/* decided once per importer, kept in short; see DOC: verdict cache */
	ret = p2pbuf_map_types_get(buf->chunk->prov, client, pa->types,
				   &pa->gen);
	if (ret)
		goto err_free;	/* no memory, or a removed importer: no refusal */
	if (!p2pbuf_may_map(buf, attach->dev, pa->types[0])) {
		ret = p2pbuf_refuse_map(buf, attach->dev, pa, 0, &why);
		if (ret == -EOPNOTSUPP)
			trace_p2pbuf_attach(dmabuf, attach->dev,
					    P2PBUF_MAP_NOT_SUPPORTED, why, ret);
		if (ret)
			goto err_free;
	}
	pa->attach = attach;
	pa->map_type = pa->types[0];
	pa->nents = 0;
	pa->maps = 0;
	pa->pins = 0;
	pa->spare_busy = false;
	attach->priv = pa;

	spin_lock(&buf->lock);
	list_add_tail(&pa->node, &buf->attachments);
	buf->nr_attach++;
	spin_unlock(&buf->lock);
	trace_p2pbuf_attach(dmabuf, attach->dev, pa->map_type,
			    P2PBUF_REASON_OK, 0);
	return 0;

err_free:
	kfree(pa);
	p2pbuf_importer_pci_put(client, attach->dev);
	return ret;
}

void p2pbuf_detach(struct dma_buf *dmabuf, struct dma_buf_attachment *attach)
{
	struct p2pbuf_buffer *buf = dmabuf->priv;
	struct p2pbuf_attachment *pa = attach->priv;

	/* an importer that detaches with a mapping out would keep our spare */
	WARN_ON_ONCE(pa->maps || pa->spare_busy);
	spin_lock(&buf->lock);
	list_del(&pa->node);
	buf->nr_attach--;
	spin_unlock(&buf->lock);
	p2pbuf_importer_pci_put(pa->client, attach->dev);
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

int p2pbuf_pin(struct dma_buf_attachment *attach)
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

void p2pbuf_unpin(struct dma_buf_attachment *attach)
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

/* under the reservation lock: @m, from p2pbuf_map_dma_buf(), is free again */
static void p2pbuf_mapping_free(struct p2pbuf_attachment *pa,
				struct p2pbuf_mapping *m)
{
	if (m == &pa->spare)
		pa->spare_busy = false;
	else
		kfree(m);
}

struct sg_table *p2pbuf_map_dma_buf(struct dma_buf_attachment *attach,
				    enum dma_data_direction dir)
{
	struct p2pbuf_buffer *buf = attach->dmabuf->priv;
	struct p2pbuf_attachment *pa = attach->priv;
	struct p2pbuf_chunk *chunk = buf->chunk;
	struct p2pbuf_provider *prov = chunk->prov;
	struct device *dev = attach->dev;
	struct p2pbuf_mapping *m;
	dma_addr_t dma;
	u8 want, type;
	int ret;

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
	if (pa->gen != p2pbuf_topo_generation()) {
		ret = p2pbuf_map_types_get(prov, pa->client, pa->types,
					   &pa->gen);
		if (ret)
			return ERR_PTR(ret);
	}
	want = p2pbuf_dir_to_mask(dir);
	if (!p2pbuf_may_map(buf, dev, pa->types[want])) {
		ret = p2pbuf_refuse_map(buf, dev, pa, want, NULL);
		if (ret)
			return ERR_PTR(ret);
	}
	type = pa->types[want];

	if (!pa->spare_busy) {
		m = &pa->spare;
		pa->spare_busy = true;
	} else {
		m = kmalloc(sizeof(*m), GFP_KERNEL);
		if (!m)
			return ERR_PTR(-ENOMEM);
	}
	m->map_type = type;
	m->dir = dir;

	if (type == P2PBUF_MAP_BUS_ADDR) {
		ret = p2pbuf_sg_fill_into(&m->sgt, m->inline_sg,
					  ARRAY_SIZE(m->inline_sg),
					  prov->bus_addr + chunk->offset,
					  chunk->size, dma_get_max_seg_size(dev),
					  dma_get_seg_boundary(dev), true);
		if (ret)
			goto err_free;
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
					  dma_get_seg_boundary(dev), false);
		if (ret)
			goto err_unmap;
	}

	m->nents = m->sgt.nents;
	/* the map type in use, for debugfs and BUF_INFO */
	WRITE_ONCE(pa->map_type, type);
	pa->maps++;
	pa->nents = m->sgt.nents;
	atomic_inc(&buf->map_count);
	trace_p2pbuf_map(attach->dmabuf, dev, type, dir, m->sgt.nents,
			 sg_dma_address(m->sgt.sgl));
	return &m->sgt;

err_unmap:
	dma_unmap_resource(dev, m->dma, m->size, dir, DMA_ATTR_SKIP_CPU_SYNC);
err_free:
	p2pbuf_mapping_free(pa, m);
	return ERR_PTR(ret);
}

void p2pbuf_unmap_dma_buf(struct dma_buf_attachment *attach,
			  struct sg_table *sgt, enum dma_data_direction dir)
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
	p2pbuf_mapping_free(pa, m);

	pa->maps--;
	if (atomic_dec_and_test(&buf->map_count))
		p2pbuf_buffer_idle_wake(buf);
}
