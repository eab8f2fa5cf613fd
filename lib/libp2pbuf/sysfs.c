// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The PCI topology as sysfs shows it.
 *
 * p2pbuf_topo_load() is a pure function of a sysfs root directory (normally
 * "/sys"): it reads bus/pci/devices/<bdf> (the link target gives the chain of
 * upstream bridges; vendor, device, class, driver, p2pmem/ and the config
 * space give the rest), class/iommu, the module's policy parameters, and
 * ../proc/cpuinfo next to it. Host tests feed it a fake tree.
 *
 * The model that decides paths on top of it is path.c.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/p2pbuf.h>
#include <linux/pci_regs.h>

#include "private.h"

/* dst = a "/" b, truncated; no format strings, so no truncation games */
static void join(char *dst, size_t len, const char *a, const char *b)
{
	size_t la = strnlen(a, len - 1), lb;

	memcpy(dst, a, la);
	if (la < len - 1)
		dst[la++] = '/';
	lb = strnlen(b, len - 1 - la);
	memcpy(dst + la, b, lb);
	dst[la + lb] = '\0';
}

static void copy_name(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int read_str(const char *dir, const char *file, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	join(path, sizeof(path), dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static unsigned long read_hex(const char *dir, const char *file)
{
	char buf[64];

	if (read_str(dir, file, buf, sizeof(buf)))
		return 0;
	return strtoul(buf, NULL, 0);
}

static int parse_name(const char *s, uint32_t *bdf)
{
	unsigned int d, b, s2, f;
	int n = 0;

	if (sscanf(s, "%4x:%2x:%2x.%1x%n", &d, &b, &s2, &f, &n) != 4 ||
	    s[n] || n != 12)
		return -EINVAL;
	*bdf = P2PBUF_BDF(d, b, (s2 << 3) | f);
	return 0;
}

static uint32_t cfg32(const unsigned char *c, size_t off)
{
	return c[off] | c[off + 1] << 8 | c[off + 2] << 16 |
	       (uint32_t)c[off + 3] << 24;
}

static ssize_t read_full(int fd, unsigned char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return got ? (ssize_t)got : -1;
		if (!n)
			break;
		got += n;
	}
	return got;
}

/* ACS and PCIe port type from the config space file, when readable */
static void parse_config(const char *dir, struct p2pbuf_topo_dev *d,
			 int *pcie_type)
{
	unsigned char c[4096];
	char path[PATH_MAX];
	ssize_t n;
	int fd, guard;
	size_t pos;

	d->acs_redir = -1;
	*pcie_type = -1;
	join(path, sizeof(path), dir, "config");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read_full(fd, c, sizeof(c));
	close(fd);
	if (n < 64)
		return;
	/* capability list: the PCIe capability gives the port type */
	if (n >= 256 && (c[6] & 0x10)) {
		pos = c[0x34] & ~3u;
		for (guard = 0; pos >= 0x40 && pos < 256 - 4 && guard < 48;
		     guard++) {
			if (c[pos] == PCI_CAP_ID_EXP) {
				*pcie_type = (c[pos + 2] >> 4) & 0xf;
				break;
			}
			pos = c[pos + 1] & ~3u;
		}
	}
	/*
	 * Without CAP_SYS_ADMIN sysfs gives 64 bytes: ACS unknown. 256 bytes
	 * is all the device has (conventional PCI, or no ECAM), so the kernel
	 * finds no ACS capability there either.
	 */
	if (n < 256)
		return;
	d->acs_redir = 0;
	if (n < 4096)
		return;
	pos = 0x100;
	for (guard = 0; pos >= 0x100 && pos < 4096 - 8 && guard < 256;
	     guard++) {
		uint32_t h = cfg32(c, pos);

		if (!h || h == 0xffffffff)
			break;
		if ((h & 0xffff) == PCI_EXT_CAP_ID_ACS) {
			d->has_acs_cap = 1;
			d->acs_ctrl = c[pos + 6] | c[pos + 7] << 8;
			d->acs_redir = !!(d->acs_ctrl &
					  (PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_EC));
			break;
		}
		pos = h >> 20;
	}
}

static void load_policy(const char *root, struct p2pbuf_policy *pol);
static int load_amd_zen(const char *root);

static int cmp_dev(const void *a, const void *b)
{
	const struct p2pbuf_topo_dev *x = a, *y = b;

	return x->bdf < y->bdf ? -1 : x->bdf > y->bdf;
}

static int has_entries(const char *path)
{
	struct dirent *e;
	int found = 0;
	DIR *d;

	d = opendir(path);
	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			found = 1;
			break;
		}
	closedir(d);
	return found;
}

P2PBUF_EXPORT struct p2pbuf_topo *p2pbuf_topo_load(const char *root)
{
	char dir[PATH_MAX], path[PATH_MAX], link[PATH_MAX];
	struct p2pbuf_topo *t;
	struct dirent *e;
	DIR *d;
	int cap = 0, i, err;

	if (!root)
		root = "/sys";
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	join(dir, sizeof(dir), root, "bus/pci/devices");
	d = opendir(dir);
	if (!d) {
		err = errno;
		free(t);
		errno = err;
		return NULL;
	}
	while ((e = readdir(d))) {
		struct p2pbuf_topo_dev *dv;
		uint32_t bdf;
		char buf[PATH_MAX + 16];
		ssize_t n;

		if (parse_name(e->d_name, &bdf))
			continue;
		if (t->n == cap) {
			void *nd, *nt;

			cap = cap ? cap * 2 : 32;
			nd = realloc(t->devs, cap * sizeof(*t->devs));
			if (nd)
				t->devs = nd;
			nt = realloc(t->pcie_type, cap * sizeof(int));
			if (nt)
				t->pcie_type = nt;
			if (!nd || !nt) {
				err = ENOMEM;
				goto err_dir;
			}
		}
		dv = &t->devs[t->n];
		memset(dv, 0, sizeof(*dv));
		dv->bdf = bdf;
		dv->parent = -1;
		copy_name(dv->name, sizeof(dv->name), e->d_name);

		join(path, sizeof(path), dir, e->d_name);
		dv->vendor_device = read_hex(path, "vendor") << 16 |
				    (read_hex(path, "device") & 0xffff);
		dv->class_code = read_hex(path, "class") & 0xffffff;
		join(buf, sizeof(buf), path, "driver");
		n = readlink(buf, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = '\0';
			copy_name(dv->driver, sizeof(dv->driver),
				  strrchr(link, '/') ? strrchr(link, '/') + 1 : link);
		}
		join(buf, sizeof(buf), path, "p2pmem");
		if (!access(buf, F_OK))
			dv->p2pmem_size = read_hex(buf, "size");
		t->n++;
	}
	closedir(d);

	qsort(t->devs, t->n, sizeof(*t->devs), cmp_dev);
	/* ../../../devices/pci0000:00/0000:00:04.0/0000:01:00.0 */
	for (i = 0; i < t->n; i++) {
		uint32_t pb = P2PBUF_BDF_NONE;
		char *tok, *save, *prev = NULL;
		ssize_t n;

		join(path, sizeof(path), dir, t->devs[i].name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = '\0';
			for (tok = strtok_r(link, "/", &save); tok;
			     tok = strtok_r(NULL, "/", &save)) {
				uint32_t b;

				if (!strcmp(tok, t->devs[i].name))
					break;
				if (!parse_name(tok, &b))
					prev = tok;
			}
			if (prev)
				parse_name(prev, &pb);
		}
		t->devs[i].parent = pb == P2PBUF_BDF_NONE ? -1 :
				    p2pbuf_topo_find(t, pb);
		parse_config(path, &t->devs[i], &t->pcie_type[i]);
	}

	for (i = 0; i < t->n; i++) {
		struct p2pbuf_topo_dev *dv = &t->devs[i];
		uint32_t cls = dv->class_code >> 8;
		int j, child_bridge = 0;

		for (j = 0; j < t->n; j++)
			if (t->devs[j].parent == i &&
			    t->devs[j].class_code >> 8 == 0x0604)
				child_bridge = 1;
		if (cls == 0x0600 && dv->parent < 0) {
			dv->roles = P2PBUF_DEV_HOST_BRIDGE;
			strcpy(dv->kind, "host-bridge");
		} else if (cls == 0x0604) {
			int pt = t->pcie_type[i];

			dv->roles = P2PBUF_DEV_BRIDGE;
			if (pt == 4 || (pt < 0 && dv->parent < 0))
				strcpy(dv->kind, "root-port");
			else if (pt == 5 || (pt < 0 && child_bridge))
				strcpy(dv->kind, "switch-up");
			else if (pt == 6 || pt < 0)
				strcpy(dv->kind, "switch-down");
			else
				strcpy(dv->kind, "bridge");
		} else if (cls >> 8 == 0x06 || cls == 0x0c05 ||
			   cls >> 8 == 0x08) {
			/* ISA/LPC, SMBus, system peripherals: no P2P */
			strcpy(dv->kind, "system");
		} else {
			dv->roles = P2PBUF_DEV_ENDPOINT;
			switch (cls >> 8) {
			case 0x01:
				strcpy(dv->kind, cls == 0x0108 ? "nvme" :
				       "storage");
				break;
			case 0x02:
				strcpy(dv->kind, "network");
				break;
			case 0x03:
				strcpy(dv->kind, "display");
				break;
			case 0x05:
				strcpy(dv->kind, "memory");
				break;
			case 0x12:
				strcpy(dv->kind, "accelerator");
				break;
			default:
				strcpy(dv->kind, "other");
				break;
			}
			if (dv->p2pmem_size || !strcmp(dv->driver, "p2pbuf_bar"))
				dv->roles |= P2PBUF_DEV_PROVIDER;
		}
	}

	join(path, sizeof(path), root, "class/iommu");
	t->iommu = has_entries(path);
	load_policy(root, &t->policy);
	t->amd_zen = load_amd_zen(root);
	return t;

err_dir:
	closedir(d);
	p2pbuf_topo_free(t);
	errno = err;
	return NULL;
}

P2PBUF_EXPORT void p2pbuf_topo_free(struct p2pbuf_topo *t)
{
	if (!t)
		return;
	free(t->devs);
	free(t->pcie_type);
	free(t);
}

P2PBUF_EXPORT int p2pbuf_topo_num_devs(const struct p2pbuf_topo *t)
{
	return t ? t->n : 0;
}

P2PBUF_EXPORT const struct p2pbuf_topo_dev *
p2pbuf_topo_dev(const struct p2pbuf_topo *t, int idx)
{
	if (!t || idx < 0 || idx >= t->n) {
		errno = EINVAL;
		return NULL;
	}
	return &t->devs[idx];
}

P2PBUF_EXPORT int p2pbuf_topo_find(const struct p2pbuf_topo *t, uint32_t bdf)
{
	int i;

	for (i = 0; t && i < t->n; i++)
		if (t->devs[i].bdf == bdf)
			return i;
	return -ENODEV;
}

P2PBUF_EXPORT int p2pbuf_topo_iommu(const struct p2pbuf_topo *t)
{
	return t ? t->iommu : 0;
}

/* the host bridge above a device: devfn 0 on the root bus of its chain */
P2PBUF_EXPORT int p2pbuf_topo_host_bridge(const struct p2pbuf_topo *t,
					  int idx)
{
	int top = idx, hb;

	if (!t || idx < 0 || idx >= t->n)
		return -EINVAL;
	while (t->devs[top].parent >= 0)
		top = t->devs[top].parent;
	hb = p2pbuf_topo_find(t, t->devs[top].bdf & 0xffffff00);
	return hb;
}

/*
 * The P2PDMA core trusts any host bridge on AMD CPUs of family 0x17 (Zen)
 * or later; /proc sits next to /sys, and next to a fake tree's root.
 */
static int load_amd_zen(const char *root)
{
	char path[PATH_MAX], line[256];
	int amd = -1, family = -1;
	FILE *f;

	join(path, sizeof(path), root, "../proc/cpuinfo");
	f = fopen(path, "re");
	if (!f)
		return 0;
	while ((amd < 0 || family < 0) && fgets(line, sizeof(line), f)) {
		const char *v = strchr(line, ':');

		if (!v)
			continue;
		if (!strncmp(line, "vendor_id", 9))
			amd = !!strstr(v, "AuthenticAMD");
		else if (!strncmp(line, "cpu family", 10))
			family = atoi(v + 1);
	}
	fclose(f);
	return amd == 1 && family >= 0x17;
}

static void load_policy(const char *root, struct p2pbuf_policy *pol)
{
	char dir[PATH_MAX], buf[512];
	int n;

	memset(pol, 0, sizeof(*pol));
	join(dir, sizeof(dir), root, "module/p2pbuf/parameters");
	if (!read_str(dir, "allow_bridges", buf, sizeof(buf))) {
		n = p2pbuf_parse_rules(buf, pol->allow, 16);
		pol->nallow = n > 0 ? n : 0;
	}
	if (!read_str(dir, "deny_bridges", buf, sizeof(buf))) {
		n = p2pbuf_parse_rules(buf, pol->deny, 16);
		pol->ndeny = n > 0 ? n : 0;
	}
	if (!read_str(dir, "kernel_whitelist", buf, sizeof(buf)))
		pol->kernel_whitelist = buf[0] == 'Y' || buf[0] == '1';
}

P2PBUF_EXPORT int p2pbuf_topo_get_policy(const struct p2pbuf_topo *t,
					 struct p2pbuf_policy *pol)
{
	if (!t || !pol)
		return -EINVAL;
	*pol = t->policy;
	return 0;
}
