// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf debugfs: /sys/kernel/debug/p2pbuf/buffers lists every buffer and
 * its importers (the listing is the exporter's, p2pbuf_exporter_show()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/seq_file.h>

#include "p2pbuf_internal.h"

static struct dentry *p2pbuf_debugfs_dir;

static int p2pbuf_buffers_show(struct seq_file *s, void *unused)
{
	p2pbuf_exporter_show(s);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(p2pbuf_buffers);

/**
 * p2pbuf_debugfs_init - create /sys/kernel/debug/p2pbuf/buffers
 *
 * Failures are not errors: debugfs is optional.
 */
void p2pbuf_debugfs_init(void)
{
	p2pbuf_debugfs_dir = debugfs_create_dir("p2pbuf", NULL);
	debugfs_create_file("buffers", 0444, p2pbuf_debugfs_dir, NULL,
			    &p2pbuf_buffers_fops);
}

/**
 * p2pbuf_debugfs_exit - remove what p2pbuf_debugfs_init() created
 */
void p2pbuf_debugfs_exit(void)
{
	debugfs_remove_recursive(p2pbuf_debugfs_dir);
}
