// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * p2pbuf_nvme_blockdev() on fake sysfs trees: controllers named in another
 * order than their PCI addresses, the stock kernel's multipath naming (a
 * namespace of controller nvme1 called nvme0n1), multipath paths, several
 * namespaces, bad arguments. Every lookup is repeated with p2pbuf-nvme.sh
 * (sh, and busybox sh when there is one), which must answer the same.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/p2pbuf.h>
#include <p2pbuf/p2pbuf.h>
#include "tap.h"

static char root[256];
static const char *shells[2];
static int nshells;

static void put(const char *rel, const char *val)
{
	char path[PATH_MAX], cmd[PATH_MAX + 16];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
	if (system(cmd))
		exit(2);
	if (!val)
		return;
	/* a file: the directory above was made, remove the leaf again */
	rmdir(path);
	f = fopen(path, "w");
	if (!f || fputs(val, f) < 0 || fclose(f))
		exit(2);
}

/* controller nvme<n>: class/nvme/nvme<n>/{address,serial} (serial padded) */
static void ctrl(const char *name, const char *addr, const char *serial)
{
	char rel[128], val[64];

	snprintf(rel, sizeof(rel), "class/nvme/%s/address", name);
	snprintf(val, sizeof(val), "%s\n", addr);
	put(rel, val);
	snprintf(rel, sizeof(rel), "class/nvme/%s/serial", name);
	snprintf(val, sizeof(val), "%-20s\n", serial);
	put(rel, val);
}

/* entry <ent> of controller <name> with namespace ID nsid (NULL: none) */
static void ns(const char *name, const char *ent, const char *nsid)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "class/nvme/%s/%s", name, ent);
	put(rel, NULL);
	if (nsid) {
		snprintf(rel, sizeof(rel), "class/nvme/%s/%s/nsid", name, ent);
		put(rel, nsid);
	}
}

static void blk(const char *disk)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "class/block/%s", disk);
	put(rel, NULL);
}

/* p2pbuf-nvme.sh's answer for ctrl: 0 and the device, or its status */
static int shell(const char *sh, const char *id, char *out, size_t len)
{
	static const char fmt[] =
		"%s -c '. \"$0\"; p2pbuf_nvme_blockdev \"$@\"' '%s/p2pbuf-nvme.sh' '%s' '%s' 2>&1";
	char cmd[PATH_MAX * 2];
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), fmt, sh, MAPDIR, id, root);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	out[0] = '\0';
	if (fgets(out, len, p))
		out[strcspn(out, "\n")] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* C and shell agree: want is the device, or NULL for -ENODEV / status 1 */
static void expect(const char *id, const char *want, uint32_t want_bdf,
		   const char *what)
{
	char dev[64] = "", sdev[256];
	uint32_t bdf = 0x12345678;
	int ret = p2pbuf_nvme_blockdev(root, id, dev, sizeof(dev), &bdf);

	if (want)
		tap_ok(!ret && !strcmp(dev, want) && bdf == want_bdf,
		       "%s: %s -> %s (got %d %s, bdf %#x)", what, id, want,
		       ret, dev, bdf);
	else
		tap_ok(ret == -ENODEV && bdf == 0x12345678,
		       "%s: %s -> -ENODEV, *bdf untouched (got %d %s)", what,
		       id, ret, dev);
	for (int i = 0; i < nshells; i++) {
		int st = shell(shells[i], id, sdev, sizeof(sdev));

		if (want)
			tap_ok(!st && !strcmp(sdev, want),
			       "%s: p2pbuf-nvme.sh (%s) says %s too (got %d '%s')",
			       what, shells[i], want, st, sdev);
		else
			tap_ok(st == 1 && !*sdev,
			       "%s: p2pbuf-nvme.sh (%s) finds none, status 1 (got %d '%s')",
			       what, shells[i], st, sdev);
	}
}

int main(void)
{
	char dev[64], cmd[PATH_MAX + 16];
	uint32_t bdf;

	if (!system("command -v sh >/dev/null"))
		shells[nshells++] = "sh";
	if (!system("command -v busybox >/dev/null"))
		shells[nshells++] = "busybox sh";
	snprintf(root, sizeof(root), "%s/p2pbuf-nvme-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(root))
		return 2;

	/* no NVMe at all */
	expect("0000:03:00.0", NULL, 0, "no class/nvme");

	/*
	 * The reference VM as a boot named it: the controllers probed in
	 * another order than their addresses (nvme0 is 07:00.0), test kernel
	 * naming (nvme<controller>n<Y>).
	 */
	ctrl("nvme0", "0000:07:00.0", "p2pbuf-nvme2");
	ns("nvme0", "nvme0n1", "1\n");
	blk("nvme0n1");
	ctrl("nvme1", "0000:03:00.0", "p2pbuf-nvme0");
	ns("nvme1", "nvme1n1", "1\n");
	blk("nvme1n1");
	ctrl("nvme2", "0000:04:00.0", "p2pbuf-nvme1");
	ns("nvme2", "nvme2n1", "1\n");
	ns("nvme2", "ng2n1", NULL);	/* the generic char device: not a disk */
	blk("nvme2n1");
	expect("0000:03:00.0", "/dev/nvme1n1", P2PBUF_BDF(0, 3, 0), "by address");
	expect("03:00.0", "/dev/nvme1n1", P2PBUF_BDF(0, 3, 0), "by short address");
	expect("p2pbuf-nvme0", "/dev/nvme1n1", P2PBUF_BDF(0, 3, 0),
	       "by serial (padded in sysfs)");
	expect("p2pbuf-nvme2", "/dev/nvme0n1", P2PBUF_BDF(0, 7, 0), "by serial");
	expect("0000:04:00.0", "/dev/nvme2n1", P2PBUF_BDF(0, 4, 0),
	       "generic char device ignored");
	expect("p2pbuf-nvme", NULL, 0, "a serial's prefix is not the serial");
	expect("0000:05:00.0", NULL, 0, "no controller at the address");

	/*
	 * Debian's kernel (CONFIG_NVME_MULTIPATH=y), one controller per
	 * subsystem: the disk is named after the subsystem instance, so
	 * controller nvme3 holds nvme0n1.
	 */
	ctrl("nvme3", "0000:0a:00.0", "stock-naming");
	ns("nvme3", "nvme0n1", "1\n");
	expect("0a:00.0", "/dev/nvme0n1", P2PBUF_BDF(0, 0xa, 0),
	       "multipath naming: controller nvme3 holds nvme0n1");

	/* a shared namespace: the path nvme5c4n1, the block device nvme5n1 */
	ctrl("nvme4", "0001:0b:00.0", "shared-ns");
	ns("nvme4", "nvme5c4n1", "1\n");
	blk("nvme5n1");
	expect("0001:0b:00.0", "/dev/nvme5n1", P2PBUF_BDF(1, 0xb, 0),
	       "multipath path -> its head");

	/* a path whose head is gone, and an entry that only looks like one */
	ctrl("nvme6", "0000:0c:00.0", "headless");
	ns("nvme6", "nvme7c6n1", "1\n");
	ns("nvme6", "nvme7c6", NULL);
	ns("nvme6", "nvmexn1", NULL);
	expect("0000:0c:00.0", NULL, 0, "path without a block device, no namespace");

	/* two namespaces: the lowest namespace ID, not the lowest name */
	ctrl("nvme8", "0000:0d:00.0", "two-ns");
	ns("nvme8", "nvme8n1", "5\n");
	ns("nvme8", "nvme8n2", "3\n");
	ns("nvme8", "nvme8n3", "garbage\n");
	blk("nvme8n1");
	blk("nvme8n2");
	blk("nvme8n3");
	expect("two-ns", "/dev/nvme8n2", P2PBUF_BDF(0, 0xd, 0),
	       "lowest namespace ID");

	/* one serial on two controllers: the lowest instance (9, not 10) */
	ctrl("nvme10", "0000:0e:00.0", "dup");
	ns("nvme10", "nvme10n1", "1\n");
	blk("nvme10n1");
	ctrl("nvme9", "0000:0f:00.0", "dup");
	ns("nvme9", "nvme9n1", "1\n");
	blk("nvme9n1");
	expect("dup", "/dev/nvme9n1", P2PBUF_BDF(0, 0xf, 0),
	       "shared serial: lowest controller instance");

	/* not PCIe (fabrics): found by serial, *bdf is P2PBUF_BDF_NONE */
	put("class/nvme/nvme11/address", "traddr=10.0.0.1,trsvcid=4420\n");
	put("class/nvme/nvme11/serial", "fabric\n");
	ns("nvme11", "nvme11n1", "1\n");
	blk("nvme11n1");
	expect("fabric", "/dev/nvme11n1", P2PBUF_BDF_NONE, "not PCIe: no BDF");

	/* arguments: nothing is written on failure */
	tap_ok(p2pbuf_nvme_blockdev(root, NULL, dev, sizeof(dev), NULL) == -EINVAL &&
	       p2pbuf_nvme_blockdev(root, "", dev, sizeof(dev), NULL) == -EINVAL &&
	       p2pbuf_nvme_blockdev(root, "03:00.0", NULL, 64, NULL) == -EINVAL &&
	       p2pbuf_nvme_blockdev(root, "03:00.0", dev, 0, NULL) == -EINVAL,
	       "NULL or empty controller, NULL or empty buffer: -EINVAL");
	snprintf(dev, sizeof(dev), "untouched");
	bdf = 7;
	tap_ok(p2pbuf_nvme_blockdev(root, "03:00.0", dev, 12, &bdf) == -ERANGE &&
	       !strcmp(dev, "untouched") && bdf == 7,
	       "\"/dev/nvme1n1\" in 12 bytes: -ERANGE, buffer and bdf untouched");
	tap_ok(!p2pbuf_nvme_blockdev(root, "03:00.0", dev, 13, NULL) &&
	       !strcmp(dev, "/dev/nvme1n1"), "in 13 bytes, bdf NULL: fits");
	tap_ok(p2pbuf_nvme_blockdev("/nonexistent", "03:00.0", dev, sizeof(dev),
				    NULL) == -ENODEV, "missing sysfs root: -ENODEV");

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		tap_ok(0, "removing %s", root);
	return tap_done();
}
