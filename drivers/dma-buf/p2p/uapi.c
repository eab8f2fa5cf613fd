// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf uapi: the /dev/p2pbuf misc device, its ioctl table and the ioctls
 * that change state (ALLOC, BUF_IO; the queries are in query.c), and its
 * sysfs attributes (/sys/class/misc/p2pbuf/providers and rescan).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/compat.h>
#include <linux/dma-buf.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/nospec.h>
#include <linux/overflow.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "p2pbuf_internal.h"

/**
 * DOC: uapi
 *
 * Each ioctl takes its struct size from the ioctl number: a shorter struct
 * (down to the field before @reserved) is zero-extended, a longer one must
 * have zeroes past what this kernel knows (E2BIG otherwise), and the kernel
 * writes back at most the caller's size. Errors: unknown ioctl ENOTTY;
 * unknown flags, non-zero reserved or padding, bad sizes or offsets, unknown
 * provider id EINVAL; a provider that is listed but unavailable EOPNOTSUPP,
 * one that went away ENODEV; a full provider ENOMEM; a buffer over the
 * caller's quota (DOC: quota) EDQUOT; a fixed offset
 * without CAP_SYS_ADMIN EPERM, a taken one EBUSY, one on a p2pmem provider
 * EOPNOTSUPP; P2PBUF_IOC_ALLOC on a file not opened for writing EBADF;
 * P2PBUF_IOC_PATH for an address (client, or the first device with
 * P2PBUF_PATH_BY_BDF) with no PCI device ENODEV; P2PBUF_IOC_BUF_INFO on a
 * non-p2pbuf fd EINVAL, on a non-fd EBADF. P2PBUF_IOC_BUF_IO: see the
 * uapi header and DOC: buffer I/O.
 *
 * Who may ask: LIST, PATH and BUF_INFO only read state, and work on any
 * open of /dev/p2pbuf, read-only too (the node is 0664, so that every user
 * gets the kernel's answer); ALLOC needs FMODE_WRITE. The queries print
 * nothing to the kernel log, and cost a bounded walk: one PCI device lookup
 * per address, two upstream chains of at most P2PBUF_MAX_CHAIN devices, and
 * a snapshot of the providers or of the policy.
 */

/* everything about an allocation request that can be checked up front */
static int p2pbuf_alloc_check(const struct p2pbuf_alloc *a)
{
	u64 end;

	if (a->flags & ~P2PBUF_ALLOC_VALID_FLAGS)
		return -EINVAL;
	if (a->__pad || !p2pbuf_zeroed(a->reserved, sizeof(a->reserved)))
		return -EINVAL;
	if (!a->size || !PAGE_ALIGNED(a->size))
		return -EINVAL;
	if (a->flags & P2PBUF_ALLOC_FIXED_OFFSET) {
		if (!PAGE_ALIGNED(a->offset) ||
		    check_add_overflow(a->offset, a->size, &end))
			return -EINVAL;
	} else if (a->offset) {
		return -EINVAL;
	}
	if (!a->provider_id)
		return -EINVAL;
	/* aiming at a range someone just freed is not for everyone */
	if ((a->flags & P2PBUF_ALLOC_FIXED_OFFSET) && !capable(CAP_SYS_ADMIN))
		return -EPERM;
	return 0;
}

static int p2pbuf_ioc_alloc(struct file *file, void __user *uarg,
			    size_t usize)
{
	struct p2pbuf_provider *prov;
	struct p2pbuf_charge charge;
	struct p2pbuf_buffer *buf;
	struct p2pbuf_chunk *chunk;
	struct p2pbuf_alloc arg;
	struct dma_buf *dmabuf;
	int fd, ret;

	/* queries are for everyone, allocation for those who may write */
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	ret = p2pbuf_copy_request(&arg, sizeof(arg), uarg, usize);
	if (ret)
		return ret;
	ret = p2pbuf_alloc_check(&arg);
	if (ret)
		return ret;

	prov = p2pbuf_provider_get_by_id(arg.provider_id);
	if (!prov)
		return -EINVAL;
	/* larger than the whole provider never fits: nothing to charge */
	if (arg.size > prov->size) {
		ret = -ENOMEM;
		goto err_put_prov;
	}

	ret = p2pbuf_quota_charge(&charge, prov->id, prov->size, arg.size);
	if (ret)
		goto err_put_prov;

	chunk = p2pbuf_chunk_alloc(prov, arg.size, arg.offset,
				   arg.flags & P2PBUF_ALLOC_FIXED_OFFSET ?
				   P2PBUF_CHUNK_FIXED_OFFSET : 0);
	if (IS_ERR(chunk)) {
		ret = PTR_ERR(chunk);
		goto err_uncharge;
	}

	dmabuf = p2pbuf_chunk_export(chunk, arg.flags & P2PBUF_ALLOC_RDWR ?
				     O_RDWR : O_RDONLY);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		goto err_free_chunk;
	}
	/*
	 * From here the dma-buf owns the chunk and the charge: its release,
	 * whoever drops the last reference, frees the one and gives back the
	 * other. No fd exists yet, so nobody else can release it meanwhile.
	 */
	buf = dmabuf->priv;
	buf->charge = charge;

	fd = get_unused_fd_flags(arg.flags & P2PBUF_ALLOC_CLOEXEC ?
				 O_CLOEXEC : 0);
	if (fd < 0) {
		ret = fd;
		goto err_put_dmabuf;
	}
	arg.fd = fd;
	arg.offset = chunk->offset;
	arg.bus_addr = prov->bus_addr + chunk->offset;
	ret = p2pbuf_copy_answer(uarg, &arg, min(usize, sizeof(arg)));
	if (ret)
		goto err_put_fd;
	/* fd_install() consumes the export's file reference */
	fd_install(fd, dmabuf->file);
	p2pbuf_provider_put(prov);
	return 0;

err_put_fd:
	put_unused_fd(fd);
err_put_dmabuf:
	dma_buf_put(dmabuf);
	p2pbuf_provider_put(prov);
	return ret;
err_free_chunk:
	p2pbuf_chunk_free(chunk);
err_uncharge:
	p2pbuf_quota_uncharge(&charge);
err_put_prov:
	p2pbuf_provider_put(prov);
	return ret;
}

/* everything about a buffer I/O request that can be checked up front */
static int p2pbuf_buf_io_check(const struct p2pbuf_buf_io *io)
{
	u64 end;

	if (io->flags & ~P2PBUF_IO_VALID_FLAGS)
		return -EINVAL;
	if (io->why || io->bytes_direct || io->bytes_bounced || io->refusal ||
	    io->__pad || !p2pbuf_zeroed(io->reserved, sizeof(io->reserved)))
		return -EINVAL;
	if (!io->length || check_add_overflow(io->buf_offset, io->length, &end))
		return -EINVAL;
	if (check_add_overflow(io->file_offset, io->length, &end) ||
	    end > LLONG_MAX)
		return -EOVERFLOW;
	return 0;
}

/*
 * Works with the rights of the fds it is given (the buffer's, the file's),
 * so like the queries it needs no write access to /dev/p2pbuf.
 */
static int p2pbuf_ioc_buf_io(struct file *dev, void __user *uarg,
			     size_t usize)
{
	bool to_file;
	struct p2pbuf_buf_io arg;
	struct dma_buf *dmabuf;
	struct file *file;
	int ret;

	ret = p2pbuf_copy_request(&arg, sizeof(arg), uarg, usize);
	if (ret)
		return ret;
	ret = p2pbuf_buf_io_check(&arg);
	if (ret)
		return ret;
	to_file = arg.flags & P2PBUF_IO_TO_FILE;

	dmabuf = dma_buf_get(arg.buf_fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	if (dmabuf->ops != &p2pbuf_dma_buf_ops ||
	    arg.buf_offset + arg.length > dmabuf->size) {
		ret = -EINVAL;
		goto out_put_dmabuf;
	}
	/* the file is read into the buffer: it must be writable */
	if (!to_file && !(dmabuf->file->f_mode & FMODE_WRITE)) {
		ret = -EACCES;
		goto out_put_dmabuf;
	}
	file = fget(arg.file_fd);
	if (!file) {
		ret = -EBADF;
		goto out_put_dmabuf;
	}
	if (!(file->f_mode & (to_file ? FMODE_WRITE : FMODE_READ))) {
		ret = -EBADF;
		goto out_put_file;
	}

	ret = p2pbuf_buf_io(dmabuf->priv, file, &arg);
	if (!ret)
		ret = p2pbuf_copy_answer(uarg, &arg, min(usize, sizeof(arg)));
out_put_file:
	fput(file);
out_put_dmabuf:
	dma_buf_put(dmabuf);
	return ret;
}

struct p2pbuf_ioctl_desc {
	unsigned int cmd;
	size_t min_size;
	int (*fn)(struct file *file, void __user *uarg, size_t usize);
};

static const struct p2pbuf_ioctl_desc p2pbuf_ioctls[] = {
	[_IOC_NR(P2PBUF_IOC_LIST)] = {
		.cmd = P2PBUF_IOC_LIST,
		.min_size = offsetof(struct p2pbuf_list, reserved),
		.fn = p2pbuf_ioc_list,
	},
	[_IOC_NR(P2PBUF_IOC_ALLOC)] = {
		.cmd = P2PBUF_IOC_ALLOC,
		.min_size = offsetof(struct p2pbuf_alloc, reserved),
		.fn = p2pbuf_ioc_alloc,
	},
	[_IOC_NR(P2PBUF_IOC_BUF_INFO)] = {
		.cmd = P2PBUF_IOC_BUF_INFO,
		.min_size = offsetof(struct p2pbuf_buf_info, bytes_direct),
		.fn = p2pbuf_ioc_buf_info,
	},
	[_IOC_NR(P2PBUF_IOC_PATH)] = {
		.cmd = P2PBUF_IOC_PATH,
		/* provider_bdf and dirs came later, from reserved */
		.min_size = offsetof(struct p2pbuf_path, provider_bdf),
		.fn = p2pbuf_ioc_path,
	},
	[_IOC_NR(P2PBUF_IOC_BUF_IO)] = {
		.cmd = P2PBUF_IOC_BUF_IO,
		.min_size = offsetof(struct p2pbuf_buf_io, reserved),
		.fn = p2pbuf_ioc_buf_io,
	},
};

static long p2pbuf_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	const struct p2pbuf_ioctl_desc *d;
	unsigned int nr = _IOC_NR(cmd);
	size_t usize = _IOC_SIZE(cmd);

	if (_IOC_TYPE(cmd) != P2PBUF_IOCTL_BASE ||
	    nr >= ARRAY_SIZE(p2pbuf_ioctls))
		return -ENOTTY;
	/* a user-controlled index: no speculative read past the table */
	d = &p2pbuf_ioctls[array_index_nospec(nr, ARRAY_SIZE(p2pbuf_ioctls))];
	/* same number and direction, any size from min_size up */
	if (!d->fn || _IOC_DIR(cmd) != _IOC_DIR(d->cmd))
		return -ENOTTY;
	if (usize < d->min_size)
		return -EINVAL;
	return d->fn(file, u64_to_user_ptr((u64)arg), usize);
}

static const struct file_operations p2pbuf_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = p2pbuf_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/* one line each: id name kind bar size free published reason */
struct p2pbuf_providers_page {
	char *page;
	int len;
};

static int p2pbuf_providers_line(void *priv, int i, int n,
				 struct p2pbuf_provider *prov)
{
	struct p2pbuf_providers_page *out = priv;
	struct p2pbuf_provider_info p;

	p2pbuf_provider_fill_info(prov, &p);
	out->len += sysfs_emit_at(out->page, out->len,
				  "%u %s %s %u %llu %llu %u %s\n",
				  p.id, p.name, p2pbuf_kind_name(p.kind),
				  p.bar, p.size, p.free,
				  !!(p.flags & P2PBUF_PROVIDER_PUBLISHED),
				  p.reason[0] ? p.reason : "-");
	/* a full page: no need to look at the rest */
	return out->len >= PAGE_SIZE - 1;
}

static ssize_t providers_show(struct device *dev,
			      struct device_attribute *attr, char *page)
{
	struct p2pbuf_providers_page out = { .page = page };
	int n;

	/* world-readable: state only, as LIST */
	n = p2pbuf_provider_describe(p2pbuf_providers_line, &out);
	return n < 0 ? n : out.len;
}
static DEVICE_ATTR_RO(providers);

/* 0200: root looks for new p2pmem at once, and waits for the rescan */
static ssize_t rescan_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	bool val;

	if (kstrtobool(buf, &val))
		return -EINVAL;
	if (val)
		p2pbuf_p2pmem_rescan();
	return count;
}
static DEVICE_ATTR_WO(rescan);

static struct attribute *p2pbuf_attrs[] = {
	&dev_attr_providers.attr,
	&dev_attr_rescan.attr,
	NULL,
};
ATTRIBUTE_GROUPS(p2pbuf);

/*
 * root:root 0664 from devtmpfs: anyone may open it read-only and query,
 * only root allocates; udev/60-p2pbuf.rules gives the node to the group
 * p2pbuf, whose members may open it for writing and allocate
 * (Documentation/p2pbuf/security.rst)
 */
static struct miscdevice p2pbuf_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "p2pbuf",
	.fops = &p2pbuf_fops,
	.groups = p2pbuf_groups,
	.mode = 0664,
};

int p2pbuf_uapi_init(void)
{
	return misc_register(&p2pbuf_misc);
}

void p2pbuf_uapi_exit(void)
{
	misc_deregister(&p2pbuf_misc);
}
