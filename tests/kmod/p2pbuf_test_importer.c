// SPDX-License-Identifier: GPL-2.0
/*
 * FOR TESTS ONLY: a dma-buf importer that attaches p2pbuf buffers on behalf
 * of any PCI device (or of a platform device that is not PCI), reports the
 * sg addresses it was given, and drives QEMU's edu DMA engine with them.
 *
 * It imports the way ib_umem_dmabuf does: dynamic (allow_peer2peer plus a
 * move_notify that drops the mapping; the next use remaps) or pinned
 * (dma_buf_pin before the first map). The ioctl interface in
 * p2pbuf_test_importer.h is not an ABI and this module must never ship.
 *
 * Every edu device in the machine is bound; an import made for an edu device
 * is served by that device's engine (see P2PBUF_TI_EDU).
 *
 * Locking: a per-open-file mutex serialises the ioctls of one file and owns
 * its handle table; the edu mutex owns the list of bound edu devices and
 * serialises their engines; an import's sg table is only touched under its
 * dma-buf's dma_resv lock, which is also held for the whole time the engine
 * uses an address from it, so move_notify can never pull a mapping out from
 * under a running command.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/io.h>
#include <linux/iopoll.h>
#include <linux/math64.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/p2pbuf.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "../../drivers/dma-buf/p2p/compat.h"
#include "p2pbuf_test_importer.h"

#define TI_IMPORT_MODE	(P2PBUF_TI_DYNAMIC | P2PBUF_TI_PINNED | P2PBUF_TI_NO_P2P)
#define TI_VALID_FLAGS	(TI_IMPORT_MODE | P2PBUF_TI_NOT_PCI | P2PBUF_TI_EDU)
#define TI_DMA_MAX	SZ_1M

/* QEMU edu (hw/misc/edu.c) */
#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8
#define EDU_REG_ID	0x00
#define EDU_REG_DMA_SRC	0x80
#define EDU_REG_DMA_DST	0x88
#define EDU_REG_DMA_CNT	0x90
#define EDU_REG_DMA_CMD	0x98
#define EDU_CMD_START	BIT(0)
#define EDU_CMD_TO_RAM	BIT(1)	/* 0: RAM -> edu buffer, 1: edu buffer -> RAM */
#define EDU_BUF_ADDR	0x40000
#define EDU_BUF_SIZE	4096
/*
 * QEMU (7.2 at least) checks the edu buffer range as addr + count < end, so
 * a full 4 KiB command aborts the whole VM ("DMA range ... out of bounds");
 * move half a page per command.
 */
#define EDU_CHUNK	2048
/* A command completes on a 100 ms timer; allow for a slow TCG guest. */
#define EDU_TIMEOUT_US	(5 * USEC_PER_SEC)

struct ti_edu {
	struct list_head node;		/* in ti_edus, under ti_edu_lock */
	struct pci_dev *pdev;
	void __iomem *mmio;
	void *bounce;
	dma_addr_t bounce_dma;
	bool broken;		/* a command timed out; never start another */
};

struct ti_import {
	u32 handle;
	u32 flags;
	struct device *dev;		/* importing device, referenced */
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	/* under dmabuf->resv */
	struct sg_table *sgt;
	enum dma_data_direction dir;
	bool stale;
	u32 invalidations;
	u32 maps;
	u32 map_errors;
	u32 last_error;
	u64 dma_bytes;
};

struct ti_file {
	struct mutex lock;	/* serialises the ioctls of this file */
	struct xarray imports;
	struct page **pinned;	/* P2PBUF_TI_PIN_USER */
	unsigned long npinned;
};

static DEFINE_MUTEX(ti_edu_lock);	/* protects ti_edus and the engines */
static LIST_HEAD(ti_edus);		/* bound edu devices, in bind order */
static struct platform_device *ti_not_pci;

/* Called by the exporter with the dma_resv lock held. */
static void ti_move_notify(struct dma_buf_attachment *attach)
{
	struct ti_import *imp = attach->importer_priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	imp->invalidations++;
	imp->stale = true;
	/*
	 * A pinned importer keeps its mapping until it lets go (the exporter
	 * waits for that); a dynamic one drops it now and remaps on next use.
	 */
	if (imp->flags & P2PBUF_TI_PINNED)
		return;
	if (imp->sgt) {
		dma_buf_unmap_attachment(attach, imp->sgt, imp->dir);
		imp->sgt = NULL;
	}
}

static const struct dma_buf_attach_ops ti_p2p_ops = {
	.allow_peer2peer = true,
	.move_notify = ti_move_notify,
};

static const struct dma_buf_attach_ops ti_no_p2p_ops = {
	.allow_peer2peer = false,
	.move_notify = ti_move_notify,
};

static enum dma_data_direction ti_dir(u32 dir)
{
	switch (dir) {
	case 1:
		return DMA_TO_DEVICE;
	case 2:
		return DMA_FROM_DEVICE;
	case 3:
		return DMA_NONE;	/* only to check that the exporter refuses it */
	default:
		return DMA_BIDIRECTIONAL;
	}
}

/* Map, or remap after an invalidation. Called with the dma_resv lock held. */
static int ti_map_locked(struct ti_import *imp, enum dma_data_direction dir)
{
	struct sg_table *sgt;
	long ret;

	dma_resv_assert_held(imp->dmabuf->resv);

	/*
	 * A pinned importer ignores move_notify and keeps using the mapping it
	 * holds, as ib_umem_dmabuf's pinned form does; once it let go of it,
	 * the mapping cannot be rebuilt.
	 */
	if (imp->stale && (imp->flags & P2PBUF_TI_PINNED) && !imp->sgt)
		return -ENODEV;
	if (imp->sgt && imp->dir != dir && imp->dir != DMA_BIDIRECTIONAL) {
		dma_buf_unmap_attachment(imp->attach, imp->sgt, imp->dir);
		imp->sgt = NULL;
	}
	if (!imp->sgt) {
		sgt = dma_buf_map_attachment(imp->attach, dir);
		if (IS_ERR(sgt)) {
			imp->map_errors++;
			imp->last_error = -PTR_ERR(sgt);
			return PTR_ERR(sgt);
		}
		imp->sgt = sgt;
		imp->dir = dir;
		imp->stale = false;
		imp->maps++;
	}
	/* The content may still be moving: wait as ib_umem_dmabuf does. */
	ret = dma_resv_wait_timeout(imp->dmabuf->resv, DMA_RESV_USAGE_KERNEL,
				    false, MAX_SCHEDULE_TIMEOUT);
	return ret < 0 ? ret : 0;
}

static void ti_unmap_locked(struct ti_import *imp)
{
	dma_resv_assert_held(imp->dmabuf->resv);
	if (imp->sgt) {
		dma_buf_unmap_attachment(imp->attach, imp->sgt, imp->dir);
		imp->sgt = NULL;
	}
}

/* The PCI address of @pdev in the P2PBUF_BDF() form. */
static u32 ti_bdf(struct pci_dev *pdev)
{
	return ((u32)pci_domain_nr(pdev->bus) & 0xffff) << 16 |
	       (u32)pdev->bus->number << 8 | pdev->devfn;
}

/*
 * The bound edu device at @bdf, or the first one bound when @bdf is 0 (the
 * host bridge's address, never an edu device). Called with ti_edu_lock held.
 */
static struct ti_edu *ti_edu_by_bdf(u32 bdf)
{
	struct ti_edu *edu;

	lockdep_assert_held(&ti_edu_lock);
	list_for_each_entry(edu, &ti_edus, node)
		if (!bdf || ti_bdf(edu->pdev) == bdf)
			return edu;
	return NULL;
}

/* The bound edu device that is @dev, or NULL. Called with ti_edu_lock held. */
static struct ti_edu *ti_edu_of(struct device *dev)
{
	struct ti_edu *edu;

	lockdep_assert_held(&ti_edu_lock);
	list_for_each_entry(edu, &ti_edus, node)
		if (&edu->pdev->dev == dev)
			return edu;
	return NULL;
}

static struct device *ti_get_client(u32 flags, u32 bdf)
{
	struct pci_dev *pdev;

	if (flags & P2PBUF_TI_NOT_PCI)
		return get_device(&ti_not_pci->dev);
	if (flags & P2PBUF_TI_EDU) {
		struct device *dev = NULL;
		struct ti_edu *edu;

		mutex_lock(&ti_edu_lock);
		edu = ti_edu_by_bdf(bdf);
		if (edu)
			dev = get_device(&edu->pdev->dev);
		mutex_unlock(&ti_edu_lock);
		return dev ? dev : ERR_PTR(-ENODEV);
	}
	pdev = pci_get_domain_bus_and_slot(bdf >> 16, (bdf >> 8) & 0xff,
					   bdf & 0xff);
	if (!pdev)
		return ERR_PTR(-ENODEV);
	/* pci_get_*() took the reference that ti_import.dev keeps. */
	return &pdev->dev;
}

static void ti_import_free(struct ti_import *imp)
{
	dma_resv_lock(imp->dmabuf->resv, NULL);
	ti_unmap_locked(imp);
	if (imp->flags & P2PBUF_TI_PINNED)
		dma_buf_unpin(imp->attach);
	dma_resv_unlock(imp->dmabuf->resv);
	dma_buf_detach(imp->dmabuf, imp->attach);
	dma_buf_put(imp->dmabuf);
	put_device(imp->dev);
	kfree(imp);
}

static int ti_ioctl_import(struct ti_file *tf, void __user *uarg)
{
	const struct dma_buf_attach_ops *ops;
	struct p2pbuf_ti_import arg;
	struct ti_import *imp;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if ((arg.flags & ~TI_VALID_FLAGS) ||
	    hweight32(arg.flags & TI_IMPORT_MODE) != 1 ||
	    ((arg.flags & P2PBUF_TI_NOT_PCI) && (arg.flags & P2PBUF_TI_EDU)))
		return -EINVAL;

	imp = kzalloc(sizeof(*imp), GFP_KERNEL);
	if (!imp)
		return -ENOMEM;
	imp->flags = arg.flags;

	imp->dev = ti_get_client(arg.flags, arg.client);
	if (IS_ERR(imp->dev)) {
		ret = PTR_ERR(imp->dev);
		goto err_free;
	}

	imp->dmabuf = dma_buf_get(arg.fd);
	if (IS_ERR(imp->dmabuf)) {
		ret = PTR_ERR(imp->dmabuf);
		goto err_put_dev;
	}

	ops = (arg.flags & P2PBUF_TI_NO_P2P) ? &ti_no_p2p_ops : &ti_p2p_ops;
	imp->attach = dma_buf_dynamic_attach(imp->dmabuf, imp->dev, ops, imp);
	if (IS_ERR(imp->attach)) {
		ret = PTR_ERR(imp->attach);
		goto err_put_buf;
	}

	if (arg.flags & P2PBUF_TI_PINNED) {
		dma_resv_lock(imp->dmabuf->resv, NULL);
		ret = dma_buf_pin(imp->attach);
		dma_resv_unlock(imp->dmabuf->resv);
		if (ret)
			goto err_detach;
	}

	ret = xa_alloc(&tf->imports, &imp->handle, imp, xa_limit_31b,
		       GFP_KERNEL);
	if (ret)
		goto err_unpin;

	arg.handle = imp->handle;
	if (copy_to_user(uarg, &arg, sizeof(arg))) {
		ret = -EFAULT;
		goto err_erase;
	}
	return 0;

err_erase:
	xa_erase(&tf->imports, imp->handle);
err_unpin:
	if (arg.flags & P2PBUF_TI_PINNED) {
		dma_resv_lock(imp->dmabuf->resv, NULL);
		dma_buf_unpin(imp->attach);
		dma_resv_unlock(imp->dmabuf->resv);
	}
err_detach:
	dma_buf_detach(imp->dmabuf, imp->attach);
err_put_buf:
	dma_buf_put(imp->dmabuf);
err_put_dev:
	put_device(imp->dev);
err_free:
	kfree(imp);
	return ret;
}

static struct ti_import *ti_lookup(struct ti_file *tf, u32 handle)
{
	lockdep_assert_held(&tf->lock);
	return handle ? xa_load(&tf->imports, handle) : NULL;
}

static int ti_ioctl_map(struct ti_file *tf, void __user *uarg)
{
	struct p2pbuf_ti_map *arg;
	struct ti_import *imp;
	struct scatterlist *sg;
	int ret, i;

	arg = kzalloc(sizeof(*arg), GFP_KERNEL);
	if (!arg)
		return -ENOMEM;
	if (copy_from_user(arg, uarg, sizeof(*arg))) {
		ret = -EFAULT;
		goto out;
	}
	imp = ti_lookup(tf, arg->handle);
	if (!imp || arg->dir > 3) {
		ret = -EINVAL;
		goto out;
	}

	dma_resv_lock(imp->dmabuf->resv, NULL);
	ret = ti_map_locked(imp, ti_dir(arg->dir));
	if (!ret) {
		arg->nents = imp->sgt->nents;
		arg->invalidations = imp->invalidations;
		for_each_sgtable_dma_sg(imp->sgt, sg, i) {
			if (i >= P2PBUF_TI_MAX_SG)
				break;
			arg->addr[i] = sg_dma_address(sg);
			arg->len[i] = sg_dma_len(sg);
		}
	}
	dma_resv_unlock(imp->dmabuf->resv);

	if (!ret && copy_to_user(uarg, arg, sizeof(*arg)))
		ret = -EFAULT;
out:
	kfree(arg);
	return ret;
}

static int ti_ioctl_unmap(struct ti_file *tf, void __user *uarg)
{
	struct ti_import *imp;
	u32 handle;

	if (get_user(handle, (u32 __user *)uarg))
		return -EFAULT;
	imp = ti_lookup(tf, handle);
	if (!imp)
		return -EINVAL;
	dma_resv_lock(imp->dmabuf->resv, NULL);
	ti_unmap_locked(imp);
	dma_resv_unlock(imp->dmabuf->resv);
	return 0;
}

/* how @b differs from @a: bit 0 segment count or lengths, bit 1 addresses */
static unsigned int ti_sgt_cmp(struct sg_table *a, struct sg_table *b)
{
	struct scatterlist *sa, *sb;
	unsigned int diff = 0;
	int i;

	if (a->nents != b->nents)
		return 1;
	sb = b->sgl;
	for_each_sgtable_dma_sg(a, sa, i) {
		if (sg_dma_len(sa) != sg_dma_len(sb))
			diff |= 1;
		if (sg_dma_address(sa) != sg_dma_address(sb))
			diff |= 2;
		sb = sg_next(sb);
	}
	return diff;
}

static int ti_ioctl_map_held(struct ti_file *tf, void __user *uarg)
{
	struct sg_table *sgt[P2PBUF_TI_MAX_HELD];
	struct p2pbuf_ti_held arg;
	struct ti_import *imp;
	unsigned int diff;
	u32 r, i, j, n = 0;
	int ret = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	imp = ti_lookup(tf, arg.handle);
	if (!imp || !(imp->flags & P2PBUF_TI_DYNAMIC) || arg.count < 2 ||
	    arg.count > P2PBUF_TI_MAX_HELD || !arg.rounds || arg.rounds > 64)
		return -EINVAL;
	arg.nents = 0;
	arg.shared = 0;
	arg.differ = 0;
	arg.moved = 0;

	dma_resv_lock(imp->dmabuf->resv, NULL);
	if (imp->sgt) {
		ret = -EBUSY;
		goto out;
	}
	for (r = 0; r < arg.rounds && !ret; r++) {
		for (n = 0; n < arg.count; n++) {
			sgt[n] = dma_buf_map_attachment(imp->attach,
							DMA_BIDIRECTIONAL);
			if (IS_ERR(sgt[n])) {
				ret = PTR_ERR(sgt[n]);
				break;
			}
			if (!r && !n)
				arg.nents = sgt[0]->nents;
			for (j = 0; j < n; j++)
				arg.shared += sgt[j] == sgt[n];
			diff = n ? ti_sgt_cmp(sgt[0], sgt[n]) : 0;
			arg.differ += !!(diff & 1);
			arg.moved += !!(diff & 2);
		}
		/* unmap what this round holds, from a different one each round */
		for (i = 0; i < n; i++)
			dma_buf_unmap_attachment(imp->attach, sgt[(r + i) % n],
						 DMA_BIDIRECTIONAL);
	}
out:
	dma_resv_unlock(imp->dmabuf->resv);
	if (!ret && copy_to_user(uarg, &arg, sizeof(arg)))
		ret = -EFAULT;
	return ret;
}

static int ti_ioctl_detach(struct ti_file *tf, void __user *uarg)
{
	struct ti_import *imp;
	u32 handle;

	if (get_user(handle, (u32 __user *)uarg))
		return -EFAULT;
	imp = handle ? xa_erase(&tf->imports, handle) : NULL;
	if (!imp)
		return -EINVAL;
	ti_import_free(imp);
	return 0;
}

static int ti_ioctl_status(struct ti_file *tf, void __user *uarg)
{
	struct p2pbuf_ti_status arg;
	struct ti_import *imp;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	imp = ti_lookup(tf, arg.handle);
	if (!imp)
		return -EINVAL;
	memset(&arg, 0, sizeof(arg));
	arg.handle = imp->handle;
	dma_resv_lock(imp->dmabuf->resv, NULL);
	arg.state = (imp->sgt ? P2PBUF_TI_MAPPED : 0) |
		    (imp->stale ? P2PBUF_TI_STALE : 0);
	arg.invalidations = imp->invalidations;
	arg.maps = imp->maps;
	arg.map_errors = imp->map_errors;
	arg.last_error = imp->last_error;
	arg.dma_bytes = imp->dma_bytes;
	arg.nents = imp->sgt ? imp->sgt->nents : 0;
	dma_resv_unlock(imp->dmabuf->resv);
	return copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
}

/* Run one edu command and wait for it. Called with ti_edu_lock held. */
static int edu_run(struct ti_edu *edu, u64 src, u64 dst, u32 len, u32 cmd)
{
	u64 buf;
	u32 val;
	int ret;

	lockdep_assert_held(&ti_edu_lock);
	if (edu->broken)
		return -EIO;
	/* A range QEMU refuses stops the VM: never issue one. */
	buf = (cmd & EDU_CMD_TO_RAM) ? src : dst;
	if (!len || buf < EDU_BUF_ADDR || buf + len > EDU_BUF_ADDR + EDU_CHUNK)
		return -EINVAL;
	writeq(src, edu->mmio + EDU_REG_DMA_SRC);
	writeq(dst, edu->mmio + EDU_REG_DMA_DST);
	writeq(len, edu->mmio + EDU_REG_DMA_CNT);
	writeq(cmd | EDU_CMD_START, edu->mmio + EDU_REG_DMA_CMD);
	ret = readl_poll_timeout(edu->mmio + EDU_REG_DMA_CMD, val,
				 !(val & EDU_CMD_START), 5 * USEC_PER_MSEC,
				 EDU_TIMEOUT_US);
	if (ret) {
		/* The engine may still write: keep every address it has alive. */
		edu->broken = true;
		pci_err(edu->pdev, "DMA command timed out, engine disabled\n");
	}
	return ret;
}

/*
 * Find the DMA address of byte @off of @imp and how many bytes from there
 * are contiguous. Called with the dma_resv lock held and the import mapped.
 */
static int ti_dma_addr(struct ti_import *imp, u64 off, u64 *addr, u64 *avail)
{
	struct scatterlist *sg;
	int i;

	dma_resv_assert_held(imp->dmabuf->resv);
	for_each_sgtable_dma_sg(imp->sgt, sg, i) {
		if (off < sg_dma_len(sg)) {
			*addr = sg_dma_address(sg) + off;
			*avail = sg_dma_len(sg) - off;
			return 0;
		}
		off -= sg_dma_len(sg);
	}
	return -EINVAL;
}

/*
 * Move up to @len bytes between @imp at @off and the edu buffer at @buf_off,
 * as far as the import's DMA segment reaches; returns the bytes moved or a
 * negative errno. The import's dma_resv lock is held for the whole command
 * so that its sg table cannot be invalidated while the engine uses an
 * address from it. An invalidated import is remapped first; if the exporter
 * refuses (revoked: -ENODEV), nothing is started.
 */
static long ti_dma_import(struct ti_edu *edu, struct ti_import *imp, u64 off,
			  u32 buf_off, u32 len, bool to_import)
{
	enum dma_data_direction dir;
	u64 addr, avail;
	int ret;

	ret = dma_resv_lock_interruptible(imp->dmabuf->resv, NULL);
	if (ret)
		return ret;
	dir = to_import ? DMA_FROM_DEVICE : DMA_TO_DEVICE;
	if (!imp->sgt || imp->dir != dir)
		dir = DMA_BIDIRECTIONAL;
	ret = ti_map_locked(imp, dir);
	if (ret)
		goto out;
	ret = ti_dma_addr(imp, off, &addr, &avail);
	if (ret)
		goto out;
	len = min_t(u64, len, avail);
	if (to_import)
		ret = edu_run(edu, EDU_BUF_ADDR + buf_off, addr, len,
			      EDU_CMD_TO_RAM);
	else
		ret = edu_run(edu, addr, EDU_BUF_ADDR + buf_off, len, 0);
	if (!ret)
		imp->dma_bytes += len;
out:
	dma_resv_unlock(imp->dmabuf->resv);
	if (ret)
		return ret;	/* not "ret ? ret : len": that would be unsigned */
	return len;
}

static int ti_check_side(struct ti_import *imp, u64 off, u64 len)
{
	u64 end;

	if (!imp)
		return 0;
	if (!(imp->flags & P2PBUF_TI_EDU))
		return -EINVAL;	/* the addresses belong to another device */
	if (check_add_overflow(off, len, &end) || end > imp->dmabuf->size)
		return -EINVAL;
	return 0;
}

/* Source -> edu buffer; returns the bytes loaded (<= @len) or an errno. */
static long ti_dma_load(struct ti_edu *edu, struct ti_import *src, u64 off,
			const u8 __user *ubuf, u32 len)
{
	int ret;

	if (src)
		return ti_dma_import(edu, src, off, 0, len, false);
	if (copy_from_user(edu->bounce, ubuf, len))
		return -EFAULT;
	ret = edu_run(edu, edu->bounce_dma, EDU_BUF_ADDR, len, 0);
	if (ret)
		return ret;
	return len;
}

/* Edu buffer -> destination, all @len bytes. */
static int ti_dma_store(struct ti_edu *edu, struct ti_import *dst, u64 off,
			u8 __user *ubuf, u32 len)
{
	long n;
	u32 pos;
	int ret;

	if (!dst) {
		ret = edu_run(edu, EDU_BUF_ADDR, edu->bounce_dma, len,
			      EDU_CMD_TO_RAM);
		if (!ret && copy_to_user(ubuf, edu->bounce, len))
			ret = -EFAULT;
		return ret;
	}
	for (pos = 0; pos < len; pos += n) {
		n = ti_dma_import(edu, dst, off + pos, pos, len - pos, true);
		if (n < 0)
			return n;
	}
	return 0;
}

static int ti_ioctl_dma(struct ti_file *tf, void __user *uarg)
{
	struct ti_import *src = NULL, *dst = NULL;
	struct p2pbuf_ti_dma arg;
	struct device *engine;
	u8 __user *ubuf;
	struct ti_edu *edu;
	u64 done = 0;
	long n;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (!arg.len || arg.len > TI_DMA_MAX ||
	    (!arg.src_handle && !arg.dst_handle))
		return -EINVAL;
	if (arg.src_handle) {
		src = ti_lookup(tf, arg.src_handle);
		if (!src)
			return -EINVAL;
	}
	if (arg.dst_handle) {
		dst = ti_lookup(tf, arg.dst_handle);
		if (!dst)
			return -EINVAL;
	}
	ret = ti_check_side(src, arg.src_offset, arg.len);
	if (!ret)
		ret = ti_check_side(dst, arg.dst_offset, arg.len);
	if (ret)
		return ret;
	/* The engine of the imports: both sides' addresses must be its own. */
	engine = src ? src->dev : dst->dev;
	if (src && dst && src->dev != dst->dev)
		return -EINVAL;
	ubuf = u64_to_user_ptr(arg.user_buf);

	mutex_lock(&ti_edu_lock);
	edu = ti_edu_of(engine);	/* NULL once that edu device is unbound */
	if (!edu) {
		ret = -ENODEV;
		goto out;
	}
	while (done < arg.len) {
		n = ti_dma_load(edu, src, arg.src_offset + done, ubuf + done,
				min_t(u64, arg.len - done, EDU_CHUNK));
		if (n < 0) {
			ret = n;
			break;
		}
		ret = ti_dma_store(edu, dst, arg.dst_offset + done,
				   ubuf + done, n);
		if (ret)
			break;
		done += n;
	}
out:
	mutex_unlock(&ti_edu_lock);
	return ret;
}

static void ti_unpin_user(struct ti_file *tf)
{
	if (!tf->pinned)
		return;
	unpin_user_pages(tf->pinned, tf->npinned);
	kvfree(tf->pinned);
	tf->pinned = NULL;
	tf->npinned = 0;
}

static int ti_ioctl_pin_user(struct ti_file *tf, void __user *uarg)
{
	struct p2pbuf_ti_pin arg;
	unsigned long n;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (!arg.len || !PAGE_ALIGNED(arg.addr) || !PAGE_ALIGNED(arg.len) ||
	    arg.len / PAGE_SIZE > P2PBUF_TI_MAX_PIN)
		return -EINVAL;
	if (tf->pinned)
		return -EBUSY;
	n = arg.len / PAGE_SIZE;
	tf->pinned = kvcalloc(n, sizeof(*tf->pinned), GFP_KERNEL);
	if (!tf->pinned)
		return -ENOMEM;
	ret = pin_user_pages_fast(arg.addr, n, FOLL_WRITE | FOLL_PCI_P2PDMA,
				  tf->pinned);
	if (ret < 0 || ret != n) {
		if (ret > 0)
			unpin_user_pages(tf->pinned, ret);
		kvfree(tf->pinned);
		tf->pinned = NULL;
		return ret < 0 ? ret : -EFAULT;
	}
	tf->npinned = n;
	return 0;
}

/* ---- timing loops and fixtures for bench/ -------------------------------- */

#define TI_BENCH_MAX_ITERS	1000000
#define TI_BENCH_MAX_PROVIDERS	256

/* providers REGISTER added, under ti_bench_lock */
static DEFINE_MUTEX(ti_bench_lock);
static struct p2pbuf_provider *ti_bench_provs[TI_BENCH_MAX_PROVIDERS];
static unsigned int ti_bench_nr_provs;

/*
 * The loop maps and unmaps under one hold of the reservation lock, so a
 * move_notify (which comes with that lock held) never finds a mapping.
 */
static void ti_bench_move_notify(struct dma_buf_attachment *attach)
{
	dma_resv_assert_held(attach->dmabuf->resv);
}

static const struct dma_buf_attach_ops ti_bench_ops = {
	.allow_peer2peer = true,
	.move_notify = ti_bench_move_notify,
};

/* attach + map + unmap + detach, the way ib_umem_dmabuf's dynamic form does */
static int ti_bench_attach_map(struct p2pbuf_ti_bench *b, struct device *dev)
{
	struct dma_buf_attachment *attach;
	struct dma_buf *dmabuf;
	struct sg_table *sgt;
	u64 start;
	u32 i;
	int ret = 0;

	dmabuf = dma_buf_get(b->fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	start = ktime_get_ns();
	for (i = 0; i < b->iters; i++) {
		attach = dma_buf_dynamic_attach(dmabuf, dev, &ti_bench_ops, NULL);
		if (IS_ERR(attach)) {
			ret = PTR_ERR(attach);
			break;
		}
		dma_resv_lock(dmabuf->resv, NULL);
		sgt = dma_buf_map_attachment(attach, DMA_BIDIRECTIONAL);
		if (IS_ERR(sgt)) {
			ret = PTR_ERR(sgt);
		} else {
			b->nents = sgt->nents;
			dma_buf_unmap_attachment(attach, sgt, DMA_BIDIRECTIONAL);
		}
		dma_resv_unlock(dmabuf->resv);
		dma_buf_detach(dmabuf, attach);
		if (ret)
			break;
	}
	b->ns = ktime_get_ns() - start;
	dma_buf_put(dmabuf);
	return ret;
}

#if IS_ENABLED(CONFIG_PCI_P2PDMA)
/* upstream's own path: one p2pmem sgl, mapped and unmapped by the DMA API */
static int ti_bench_p2pmem_map(struct p2pbuf_ti_bench *b, struct device *dev)
{
	struct pci_dev *prov;
	struct scatterlist *sgl;
	struct sg_table sgt = {};
	unsigned int nents;
	u64 start;
	u32 i;
	int ret = 0;

	if (!b->size || !PAGE_ALIGNED(b->size) || b->size > U32_MAX)
		return -EINVAL;
	prov = pci_get_domain_bus_and_slot(b->provider >> 16,
					   (b->provider >> 8) & 0xff,
					   b->provider & 0xff);
	if (!prov)
		return -ENODEV;
	sgl = pci_p2pmem_alloc_sgl(prov, &nents, b->size);
	if (!sgl) {
		ret = -ENOMEM;
		goto out_put;
	}
	sgt.sgl = sgl;
	sgt.orig_nents = nents;
	start = ktime_get_ns();
	for (i = 0; i < b->iters; i++) {
		ret = dma_map_sgtable(dev, &sgt, DMA_BIDIRECTIONAL, 0);
		if (ret)
			break;
		b->nents = sgt.nents;
		dma_unmap_sgtable(dev, &sgt, DMA_BIDIRECTIONAL, 0);
	}
	b->ns = ktime_get_ns() - start;
	pci_p2pmem_free_sgl(prov, sgl);
out_put:
	pci_dev_put(prov);
	return ret;
}
#else
static int ti_bench_p2pmem_map(struct p2pbuf_ti_bench *b, struct device *dev)
{
	return -EOPNOTSUPP;	/* no P2PDMA core, no p2pmem */
}
#endif

static void ti_bench_unregister(void)
{
	mutex_lock(&ti_bench_lock);
	while (ti_bench_nr_provs)
		p2pbuf_provider_unregister(ti_bench_provs[--ti_bench_nr_provs]);
	mutex_unlock(&ti_bench_lock);
}

/* @b->iters more providers on @b->bar of @b->provider, @b->size bytes each */
static int ti_bench_register(struct p2pbuf_ti_bench *b)
{
	struct p2pbuf_provider *prov;
	struct pci_dev *pdev;
	u64 off, bar_len;
	u32 i;
	int ret = 0;

	if (!b->size || b->iters > TI_BENCH_MAX_PROVIDERS || b->bar > 5)
		return -EINVAL;
	pdev = pci_get_domain_bus_and_slot(b->provider >> 16,
					   (b->provider >> 8) & 0xff,
					   b->provider & 0xff);
	if (!pdev)
		return -ENODEV;
	bar_len = pci_resource_len(pdev, b->bar);
	mutex_lock(&ti_bench_lock);
	if (ti_bench_nr_provs + b->iters > TI_BENCH_MAX_PROVIDERS) {
		ret = -ENOSPC;
		goto out;
	}
	for (i = 0; i < b->iters; i++) {
		/* one after the other, from offset 0 again at the BAR's end */
		if (!bar_len ||
		    check_mul_overflow((u64)ti_bench_nr_provs, b->size, &off)) {
			ret = -EINVAL;
			break;
		}
		div64_u64_rem(off, bar_len, &off);
		if (b->size > bar_len - off)
			off = 0;
		prov = p2pbuf_provider_register(pdev, b->bar, off, b->size);
		if (IS_ERR(prov)) {
			ret = PTR_ERR(prov);
			break;
		}
		ti_bench_provs[ti_bench_nr_provs++] = prov;
	}
	b->value = ti_bench_nr_provs;
out:
	mutex_unlock(&ti_bench_lock);
	pci_dev_put(pdev);
	return ret;
}

static int ti_ioctl_bench(void __user *uarg)
{
	struct p2pbuf_ti_bench b;
	struct device *dev = NULL;
	int ret;

	if (copy_from_user(&b, uarg, sizeof(b)))
		return -EFAULT;
	if (b.flags & ~P2PBUF_TI_EDU)
		return -EINVAL;
	switch (b.op) {
	case P2PBUF_TI_BENCH_ATTACH_MAP:
	case P2PBUF_TI_BENCH_P2PMEM_MAP:
		if (!b.iters || b.iters > TI_BENCH_MAX_ITERS)
			return -EINVAL;
		dev = ti_get_client(b.flags, b.client);
		if (IS_ERR(dev))
			return PTR_ERR(dev);
		if (b.op == P2PBUF_TI_BENCH_ATTACH_MAP)
			ret = ti_bench_attach_map(&b, dev);
		else
			ret = ti_bench_p2pmem_map(&b, dev);
		put_device(dev);
		break;
	case P2PBUF_TI_BENCH_REGISTER:
		ret = ti_bench_register(&b);
		break;
	case P2PBUF_TI_BENCH_UNREGISTER:
		ti_bench_unregister();
		ret = 0;
		break;
	case P2PBUF_TI_BENCH_INFO:
		b.value = kmalloc_size_roundup(sizeof(struct dma_buf) +
					       sizeof(struct dma_resv));
		ret = 0;
		break;
	default:
		return -EINVAL;
	}
	if (!ret && copy_to_user(uarg, &b, sizeof(b)))
		ret = -EFAULT;
	return ret;
}

static long ti_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct ti_file *tf = file->private_data;
	void __user *uarg = (void __user *)arg;
	long ret;

	mutex_lock(&tf->lock);
	switch (cmd) {
	case P2PBUF_TI_IMPORT:
		ret = ti_ioctl_import(tf, uarg);
		break;
	case P2PBUF_TI_MAP:
		ret = ti_ioctl_map(tf, uarg);
		break;
	case P2PBUF_TI_UNMAP:
		ret = ti_ioctl_unmap(tf, uarg);
		break;
	case P2PBUF_TI_DETACH:
		ret = ti_ioctl_detach(tf, uarg);
		break;
	case P2PBUF_TI_DMA:
		ret = ti_ioctl_dma(tf, uarg);
		break;
	case P2PBUF_TI_STATUS:
		ret = ti_ioctl_status(tf, uarg);
		break;
	case P2PBUF_TI_PIN_USER:
		ret = ti_ioctl_pin_user(tf, uarg);
		break;
	case P2PBUF_TI_UNPIN_USER:
		ti_unpin_user(tf);
		ret = 0;
		break;
	case P2PBUF_TI_BENCH:
		ret = ti_ioctl_bench(uarg);
		break;
	case P2PBUF_TI_MAP_HELD:
		ret = ti_ioctl_map_held(tf, uarg);
		break;
	default:
		ret = -ENOTTY;
		break;
	}
	mutex_unlock(&tf->lock);
	return ret;
}

static int ti_open(struct inode *inode, struct file *file)
{
	struct ti_file *tf;

	tf = kzalloc(sizeof(*tf), GFP_KERNEL);
	if (!tf)
		return -ENOMEM;
	mutex_init(&tf->lock);
	xa_init_flags(&tf->imports, XA_FLAGS_ALLOC1);
	file->private_data = tf;
	return 0;
}

static int ti_release(struct inode *inode, struct file *file)
{
	struct ti_file *tf = file->private_data;
	struct ti_import *imp;
	unsigned long index;

	xa_for_each(&tf->imports, index, imp) {
		xa_erase(&tf->imports, index);
		ti_import_free(imp);
	}
	xa_destroy(&tf->imports);
	ti_unpin_user(tf);
	mutex_destroy(&tf->lock);
	kfree(tf);
	return 0;
}

static const struct file_operations ti_fops = {
	.owner = THIS_MODULE,
	.open = ti_open,
	.release = ti_release,
	.unlocked_ioctl = ti_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice ti_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "p2pbuf_test_importer",
	.fops = &ti_fops,
};

static int edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct ti_edu *edu;
	int ret;

	edu = devm_kzalloc(&pdev->dev, sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	edu->pdev = pdev;

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = pcim_iomap_regions(pdev, BIT(0), KBUILD_MODNAME);
	if (ret)
		return ret;
	edu->mmio = pcim_iomap_table(pdev)[0];
	if ((readl(edu->mmio + EDU_REG_ID) & 0xffff) != 0x00ed) {
		pci_err(pdev, "not an edu device (id %#x)\n",
			readl(edu->mmio + EDU_REG_ID));
		return -ENODEV;
	}
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;
	edu->bounce = dmam_alloc_coherent(&pdev->dev, EDU_BUF_SIZE,
					  &edu->bounce_dma, GFP_KERNEL);
	if (!edu->bounce)
		return -ENOMEM;
	pci_set_master(pdev);

	pci_set_drvdata(pdev, edu);
	mutex_lock(&ti_edu_lock);
	list_add_tail(&edu->node, &ti_edus);
	mutex_unlock(&ti_edu_lock);
	pci_info(pdev, "edu DMA engine ready (test importer)\n");
	return 0;
}

static void edu_remove(struct pci_dev *pdev)
{
	struct ti_edu *edu = pci_get_drvdata(pdev);

	/* Waits for a running copy: it holds the lock until it is done. */
	mutex_lock(&ti_edu_lock);
	list_del(&edu->node);
	mutex_unlock(&ti_edu_lock);
	/* A stuck engine must not write into the freed bounce page. */
	pci_clear_master(pdev);
}

static const struct pci_device_id edu_ids[] = {
	{ PCI_DEVICE(EDU_VENDOR, EDU_DEVICE) },
	{ }
};
MODULE_DEVICE_TABLE(pci, edu_ids);

static struct pci_driver edu_driver = {
	.name = KBUILD_MODNAME,
	.id_table = edu_ids,
	.probe = edu_probe,
	.remove = edu_remove,
};

static int __init ti_init(void)
{
	int ret;

	ti_not_pci = platform_device_register_simple("p2pbuf_ti_not_pci",
						     PLATFORM_DEVID_NONE,
						     NULL, 0);
	if (IS_ERR(ti_not_pci))
		return PTR_ERR(ti_not_pci);
	/* A well-formed DMA device that is simply not on PCI. */
	ret = dma_coerce_mask_and_coherent(&ti_not_pci->dev, DMA_BIT_MASK(64));
	if (ret)
		goto err_platform;

	ret = pci_register_driver(&edu_driver);
	if (ret)
		goto err_platform;
	ret = misc_register(&ti_misc);
	if (ret)
		goto err_pci;
	pr_info("FOR TESTS ONLY: loaded\n");
	return 0;

err_pci:
	pci_unregister_driver(&edu_driver);
err_platform:
	platform_device_unregister(ti_not_pci);
	return ret;
}

static void __exit ti_exit(void)
{
	misc_deregister(&ti_misc);
	ti_bench_unregister();
	pci_unregister_driver(&edu_driver);
	platform_device_unregister(ti_not_pci);
}

module_init(ti_init);
module_exit(ti_exit);

MODULE_DESCRIPTION("FOR TESTS ONLY: p2pbuf test importer and QEMU edu DMA-engine driver");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(P2PBUF_NS_DMA_BUF);
MODULE_IMPORT_NS(P2PBUF_NS);
