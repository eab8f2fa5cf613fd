// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf debugfs: /sys/kernel/debug/p2pbuf/buffers lists every buffer and
 * its importers.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/seq_file.h>

#include "p2pbuf_internal.h"

static struct dentry *p2pbuf_debugfs_dir;

/*
 * buf <inode> provider <id> <pci name> <kind> offset <off> size <size>
 *     bus <addr> revoked <0|1> maps <n> pins <n>
 *   attach <importer> map <bus_addr|host_bridge> sg <nents> maps <n> pins <n>
 */
static int p2pbuf_buffers_show(struct seq_file *s, void *unused)
{
	struct p2pbuf_attachment *pa;
	struct p2pbuf_provider *prov;
	struct p2pbuf_buffer *buf;
	struct p2pbuf_chunk *chunk;

	mutex_lock(&p2pbuf_buffers_lock);
	list_for_each_entry(buf, &p2pbuf_buffers, all) {
		chunk = buf->chunk;
		if (!chunk)
			continue;
		prov = chunk->prov;
		seq_printf(s, "buf %lu provider %u %s %s offset %#llx size %llu bus %#llx revoked %d maps %d pins %d\n",
			   file_inode(buf->dmabuf->file)->i_ino, prov->id,
			   pci_name(prov->pdev),
			   p2pbuf_kind_name(prov->kind),
			   chunk->offset, chunk->size,
			   (u64)prov->bus_addr + chunk->offset,
			   READ_ONCE(buf->revoked),
			   atomic_read(&buf->map_count),
			   atomic_read(&buf->pin_count));
		mutex_lock(&buf->lock);
		list_for_each_entry(pa, &buf->attachments, node)
			seq_printf(s, "  attach %s map %s sg %u maps %u pins %u\n",
				   dev_name(pa->attach->dev),
				   p2pbuf_map_type_name(pa->map_type),
				   READ_ONCE(pa->nents), READ_ONCE(pa->maps),
				   READ_ONCE(pa->pins));
		mutex_unlock(&buf->lock);
	}
	mutex_unlock(&p2pbuf_buffers_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(p2pbuf_buffers);

void p2pbuf_debugfs_init(void)
{
	p2pbuf_debugfs_dir = debugfs_create_dir("p2pbuf", NULL);
	debugfs_create_file("buffers", 0444, p2pbuf_debugfs_dir, NULL,
			    &p2pbuf_buffers_fops);
}

void p2pbuf_debugfs_exit(void)
{
	debugfs_remove_recursive(p2pbuf_debugfs_dir);
}
