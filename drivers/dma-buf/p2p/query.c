// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf queries: the /dev/p2pbuf ioctls that only read state (LIST, PATH
 * and BUF_INFO), for uapi.c's table. Who may ask, and what they cost: DOC:
 * uapi.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-buf.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "p2pbuf_internal.h"

/*
 * LIST's usual case: entries straight to the caller's array, a few at a
 * time. Opening and closing user access (STAC and CLAC) costs more than
 * writing an entry, at least under emulation, so one window writes every
 * entry held. Held: the provider's constant part and its state, read as
 * the walk passed it; the registry lock keeps both until the write. An
 * unavailable provider's entry also says why, from @reason: it is the last
 * held, as it ends its batch.
 */
#define P2PBUF_LIST_BATCH	8

struct p2pbuf_list_held {
	const struct p2pbuf_provider_info *fixed;
	struct p2pbuf_provider_state st;
};

struct p2pbuf_list_out {
	struct p2pbuf_provider_info __user *dst;
	u32 room;
	u32 first;	/* index of @held[0] */
	u32 nr;		/* entries in @held */
	struct p2pbuf_list_held held[P2PBUF_LIST_BATCH];
	char reason[P2PBUF_REASON_LEN];
};

/*
 * Write the entries held, with page faults off: nothing may wait for a
 * fault under the registry lock (see p2pbuf_provider_describe()). -EFAULT
 * when the memory is not there now. Plain 8-byte stores: see
 * p2pbuf_copy_answer().
 */
static int p2pbuf_list_flush(struct p2pbuf_list_out *out)
{
	struct p2pbuf_provider_info __user *dst = out->dst + out->first;
	u32 i, nr = out->nr;
	int ret = -EFAULT;

	out->first += nr;
	out->nr = 0;
	if (!nr)
		return 0;
	pagefault_disable();
	if (!user_write_access_begin(dst, nr * sizeof(*dst)))
		goto out;
	for (i = 0; i < nr; i++, dst++) {
		const struct p2pbuf_provider_state *st = &out->held[i].st;

		unsafe_copy_to_user((char __user *)dst,
				    (const char *)out->held[i].fixed,
				    sizeof(*dst), efault);
		unsafe_put_user(st->free, &dst->free, efault);
		unsafe_put_user(st->flags, &dst->flags, efault);
		if (!(st->flags & P2PBUF_PROVIDER_AVAILABLE))
			unsafe_copy_to_user(dst->reason, out->reason,
					    sizeof(dst->reason), efault);
	}
	ret = 0;
efault:
	user_write_access_end();
out:
	pagefault_enable();
	return ret;
}

static int p2pbuf_list_emit(void *priv, int i, int n,
			    struct p2pbuf_provider *prov)
{
	struct p2pbuf_list_out *out = priv;
	struct p2pbuf_list_held *h = &out->held[out->nr];

	if ((u32)i >= out->room)
		return 1;
	/* @reason is written only for an unavailable provider */
	p2pbuf_provider_state(prov, &h->st, out->reason);
	h->fixed = &prov->listing;
	out->nr++;
	/* full, unavailable (its reason), or the last entry there will be */
	if (out->nr == P2PBUF_LIST_BATCH ||
	    !(h->st.flags & P2PBUF_PROVIDER_AVAILABLE) || i + 1 == n ||
	    (u32)i + 1 == out->room)
		return p2pbuf_list_flush(out);
	return 0;
}

/* the rest: a snapshot to copy once the registry lock is dropped */
struct p2pbuf_list_snap {
	struct p2pbuf_provider_info *infos;
	u32 room;
};

static int p2pbuf_list_keep(void *priv, int i, int n,
			    struct p2pbuf_provider *prov)
{
	struct p2pbuf_list_snap *snap = priv;

	if (!i) {
		snap->room = min_t(u32, n, snap->room);
		/* each entry is written whole: no need to zero it first */
		snap->infos = kvmalloc_array(snap->room, sizeof(*snap->infos),
					     GFP_KERNEL);
		if (!snap->infos)
			return -ENOMEM;
	}
	if ((u32)i >= snap->room)
		return 1;
	p2pbuf_provider_fill_info(prov, &snap->infos[i]);
	return 0;
}

static int p2pbuf_list_copy(const struct p2pbuf_list *arg,
			    const struct p2pbuf_provider_info *infos, u32 m)
{
	u8 __user *dst = u64_to_user_ptr(arg->entries);
	size_t copy = min_t(size_t, arg->entry_size, sizeof(*infos));
	u32 i;

	if (arg->entry_size == sizeof(*infos))
		return p2pbuf_copy_answer(dst, infos, m * sizeof(*infos));
	for (i = 0; i < m; i++, dst += arg->entry_size)
		if (copy_to_user(dst, &infos[i], copy) ||
		    (arg->entry_size > copy &&
		     clear_user(dst + copy, arg->entry_size - copy)))
			return -EFAULT;
	return 0;
}

int p2pbuf_ioc_list(struct file *file, void __user *uarg, size_t usize)
{
	struct p2pbuf_list arg;
	int n, ret;

	ret = p2pbuf_copy_request(&arg, sizeof(arg), uarg, usize);
	if (ret)
		return ret;
	if (arg.flags || arg.__pad || !p2pbuf_zeroed(arg.reserved,
						     sizeof(arg.reserved)))
		return -EINVAL;
	if (arg.count && arg.entry_size <
	    offsetof(struct p2pbuf_provider_info, reserved))
		return -EINVAL;
	/* room to grow, not a way to make the kernel clear megabytes */
	if (arg.entry_size > PAGE_SIZE)
		return -EINVAL;

	/* counting only (how callers size their array): nothing to describe */
	if (!arg.count) {
		arg.count = p2pbuf_provider_count();
		return p2pbuf_copy_answer(uarg, &arg, min(usize, sizeof(arg)));
	}

	/*
	 * State only: no rescan, no device lock, nothing waits for a revoke.
	 * The usual caller's array is this struct's size and already in
	 * memory: the walk writes it with faults off, no copy kept. Else, or
	 * when a page was not there, a second walk takes a snapshot, copied
	 * once the lock is dropped. Entries past the count returned, or all
	 * of them on an error, are unspecified.
	 */
	n = -EFAULT;
	if (arg.entry_size == sizeof(struct p2pbuf_provider_info) &&
	    access_ok(u64_to_user_ptr(arg.entries),
		      (size_t)arg.count * arg.entry_size)) {
		struct p2pbuf_list_out out = {
			.dst = u64_to_user_ptr(arg.entries), .room = arg.count,
		};

		n = p2pbuf_provider_describe(p2pbuf_list_emit, &out);
		/* the walk ends on a flush; held entries would be lost */
		if (n >= 0 && WARN_ON_ONCE(out.nr))
			n = -EFAULT;
	}
	if (n == -EFAULT) {
		struct p2pbuf_list_snap snap = { .room = arg.count };

		n = p2pbuf_provider_describe(p2pbuf_list_keep, &snap);
		if (n >= 0)
			ret = p2pbuf_list_copy(&arg, snap.infos,
					       min_t(u32, n, snap.room));
		kvfree(snap.infos);
	}
	if (n < 0)
		return n;
	arg.count = n;
	if (!ret)
		ret = p2pbuf_copy_answer(uarg, &arg, min(usize, sizeof(arg)));
	return ret;
}

int p2pbuf_ioc_buf_info(struct file *file, void __user *uarg, size_t usize)
{
	struct p2pbuf_attachment *pa;
	struct p2pbuf_buf_info arg;
	struct p2pbuf_provider *prov;
	struct p2pbuf_buffer *buf;
	struct p2pbuf_chunk *chunk;
	struct dma_buf *dmabuf;
	int ret;

	ret = p2pbuf_copy_request(&arg, sizeof(arg), uarg, usize);
	if (ret)
		return ret;
	if (arg.__pad || arg.bytes_direct || arg.bytes_bounced ||
	    arg.attach_bus_addr || arg.attach_host_bridge ||
	    !p2pbuf_zeroed(arg.reserved, sizeof(arg.reserved)))
		return -EINVAL;

	dmabuf = dma_buf_get(arg.fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	if (dmabuf->ops != &p2pbuf_dma_buf_ops) {
		ret = -EINVAL;
		goto out;
	}
	buf = dmabuf->priv;
	chunk = buf->chunk;
	prov = chunk->prov;

	memset(&arg, 0, sizeof(arg));
	arg.fd = -1;
	arg.provider_id = prov->id;
	arg.size = chunk->size;
	arg.offset = chunk->offset;
	arg.bar_offset = prov->bar_offset + chunk->offset;
	arg.bus_addr = prov->bus_addr + chunk->offset;
	arg.kind = prov->kind;
	strscpy(arg.provider_name, pci_name(prov->pdev),
		sizeof(arg.provider_name));
	spin_lock(&buf->lock);
	if (buf->revoked)
		arg.flags |= P2PBUF_BUF_REVOKED;
	arg.attachments = buf->nr_attach;
	list_for_each_entry(pa, &buf->attachments, node) {
		if (READ_ONCE(pa->map_type) == P2PBUF_MAP_BUS_ADDR)
			arg.attach_bus_addr++;
		else
			arg.attach_host_bridge++;
	}
	if (buf->last_refusal)
		strscpy(arg.last_refusal, buf->last_refusal,
			sizeof(arg.last_refusal));
	spin_unlock(&buf->lock);
	arg.bytes_direct = atomic64_read(&buf->bytes_direct);
	arg.bytes_bounced = atomic64_read(&buf->bytes_bounced);

	ret = p2pbuf_copy_answer(uarg, &arg, min(usize, sizeof(arg)));
out:
	dma_buf_put(dmabuf);
	return ret;
}

/* everything about a path request that can be checked up front */
static int p2pbuf_path_check(const struct p2pbuf_path *p, size_t usize)
{
	if (p->flags & ~P2PBUF_PATH_VALID_FLAGS)
		return -EINVAL;
	if (!p2pbuf_zeroed(p->reserved, sizeof(p->reserved)))
		return -EINVAL;
	if (p->flags & P2PBUF_PATH_BY_BDF) {
		/* a flag whose field the caller's struct does not have */
		if (usize < offsetofend(struct p2pbuf_path, provider_bdf))
			return -EINVAL;
		if (p->provider_id)
			return -EINVAL;
	} else if (p->provider_bdf) {
		return -EINVAL;
	}
	return 0;
}

static int p2pbuf_pci_match_bdf(struct device *dev, const void *data)
{
	struct pci_dev *pdev = to_pci_dev(dev);
	u32 bdf = *(const u32 *)data;

	/* the whole domain number: VMD's start at 0x10000 */
	return pci_domain_nr(pdev->bus) == P2PBUF_BDF_DOMAIN(bdf) &&
	       pdev->bus->number == P2PBUF_BDF_BUS(bdf) &&
	       pdev->devfn == P2PBUF_BDF_DEVFN(bdf);
}

/*
 * The PCI device at @bdf, with a reference held: what
 * pci_get_domain_bus_and_slot() gives, from one bus_find_device() over the
 * PCI devices; it makes one such call, and takes and drops a reference,
 * for every device it passes.
 */
static struct pci_dev *p2pbuf_pci_get_bdf(u32 bdf)
{
	struct device *dev;

	dev = bus_find_device(&pci_bus_type, NULL, &bdf, p2pbuf_pci_match_bdf);
	return dev ? to_pci_dev(dev) : NULL;
}

/* uapi P2PBUF_PATH_READ/WRITE to and from decision.h's P2PBUF_DIR_* */
static u8 p2pbuf_path_want(u32 flags)
{
	return (flags & P2PBUF_PATH_READ ? P2PBUF_DIR_READ : 0) |
	       (flags & P2PBUF_PATH_WRITE ? P2PBUF_DIR_WRITE : 0);
}

static u32 p2pbuf_path_dirs(const struct p2pbuf_verdict *v)
{
	u8 dirs;

	if (v->map_type == P2PBUF_MAP_NOT_SUPPORTED)
		return 0;
	dirs = v->map_type == P2PBUF_MAP_BUS_ADDR ? P2PBUF_DIR_RW : v->dirs;
	return (dirs & P2PBUF_DIR_READ ? P2PBUF_PATH_READ : 0) |
	       (dirs & P2PBUF_DIR_WRITE ? P2PBUF_PATH_WRITE : 0);
}

/*
 * PATH's verdict for @first (@prov's device, or any PCI device when @prov is
 * NULL) and the device at @client_bdf, decided or taken from @prov's cache
 * after looking the device up. Out of line: its verdicts are on its stack.
 */
static noinline int p2pbuf_path_lookup(struct p2pbuf_provider *prov,
				       struct pci_dev *first, u32 client_bdf,
				       u8 want, struct p2pbuf_verdict *v)
{
	struct p2pbuf_verdicts vs;
	struct pci_dev *client;
	int ret;

	client = p2pbuf_pci_get_bdf(client_bdf);
	if (!client)
		return -ENODEV;
	if (prov) {
		ret = p2pbuf_verdicts_get(prov, client, &vs);
		*v = vs.v[want];
	} else {
		ret = p2pbuf_path_verdict(first, client, want, v);
	}
	pci_dev_put(client);
	return ret;
}

/*
 * The kernel's verdict on any two PCI devices: the first named by provider
 * id or, with P2PBUF_PATH_BY_BDF, by address. Reads state only.
 */
int p2pbuf_ioc_path(struct file *file, void __user *uarg, size_t usize)
{
	struct p2pbuf_provider *prov;
	struct p2pbuf_verdict v;
	struct p2pbuf_path arg;
	struct pci_dev *first;
	bool worded;
	u8 want;
	int ret;

	ret = p2pbuf_copy_request(&arg, sizeof(arg), uarg, usize);
	if (ret)
		return ret;
	ret = p2pbuf_path_check(&arg, usize);
	if (ret)
		return ret;

	want = p2pbuf_path_want(arg.flags);
	worded = false;
	if (arg.flags & P2PBUF_PATH_BY_BDF) {
		first = p2pbuf_pci_get_bdf(arg.provider_bdf);
		if (!first)
			return -ENODEV;
		ret = p2pbuf_path_lookup(NULL, first, arg.client, want, &v);
		pci_dev_put(first);
	} else {
		prov = p2pbuf_provider_get_by_id(arg.provider_id);
		if (!prov)
			return -EINVAL;
		/*
		 * The verdict attach would get (DOC: verdict cache); a pair
		 * decided in this generation needs no device looked up.
		 */
		worded = p2pbuf_verdict_cached(prov, arg.client, want, &v,
					       arg.reason_str);
		if (!worded)
			ret = p2pbuf_path_lookup(prov, prov->pdev, arg.client,
						 want, &v);
		p2pbuf_provider_put(prov);
	}
	if (ret)
		return ret;

	arg.map_type = v.map_type;
	arg.reason = v.reason;
	arg.distance = v.distance;
	arg.via = v.via;
	arg.via_id = v.via_id;
	arg.dirs = p2pbuf_path_dirs(&v);
	if (!worded) {
		memset(arg.reason_str, 0, sizeof(arg.reason_str));
		p2pbuf_reason_format(&v, arg.reason_str,
				     sizeof(arg.reason_str));
	}
	return p2pbuf_copy_answer(uarg, &arg, min(usize, sizeof(arg)));
}
