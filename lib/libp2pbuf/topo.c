// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The PCI topology as sysfs shows it, and the P2P path model on top of it.
 *
 * p2pbuf_topo_load() is a pure function of a sysfs root directory (normally
 * "/sys"): it reads bus/pci/devices/<bdf> (the link target gives the chain of
 * upstream bridges; vendor, device, class, driver, p2pmem/ and the config
 * space give the rest) and class/iommu. Host tests feed it a fake tree.
 *
 * p2pbuf_topo_path() mirrors the kernel's calc_map_type_and_dist()
 * (drivers/pci/p2pdma.c): walk up from the provider, look for each upstream
 * bridge on the client's chain, count the hops, note every device with ACS
 * redirect enabled; without a common upstream bridge (or with ACS redirect)
 * the path goes through the host bridge, which needs an allow rule.
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

#include "private.h"

#define PCI_EXT_CAP_ID_ACS	0x0d
#define PCI_ACS_RR		0x0004
#define PCI_ACS_CR		0x0008
#define PCI_ACS_EC		0x0020
#define PCI_CAP_ID_EXP		0x10

struct p2pbuf_topo {
	int n;
	int iommu;
	struct p2pbuf_topo_dev *devs;
	int *pcie_type;		/* PCIe port type from config, -1 unknown */
	struct p2pbuf_policy policy;
};

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
	n = read(fd, c, sizeof(c));
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
	if (n < 4096)
		return;		/* no extended config (not root): unknown */
	d->acs_redir = 0;
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

/* host bridges the P2PDMA core whitelists (drivers/pci/p2pdma.c) */
static const uint32_t hb_whitelist[] = {
	0x80863c00, 0x80863c01, 0x80862f00, 0x80862f01,
	0x80862030, 0x80862031, 0x80862032, 0x80862033,
	0x808609a2,
};

/* "vvvv:dddd[:r|w|rw],..." as the module parses it; count or -EINVAL */
P2PBUF_EXPORT int p2pbuf_parse_rules(const char *str, struct p2pbuf_rule *r,
				     int max)
{
	char buf[512], *tok, *save;
	int n = 0;

	if (!str || !r || max < 0)
		return -EINVAL;
	copy_name(buf, sizeof(buf), str);
	for (tok = strtok_r(buf, ", \t\n", &save); tok;
	     tok = strtok_r(NULL, ", \t\n", &save)) {
		unsigned int v, d;
		char dir[4] = "";
		int k;

		k = sscanf(tok, "%4x:%4x:%3s", &v, &d, dir);
		if (k < 2 || n >= max)
			return -EINVAL;
		r[n].id = v << 16 | d;
		if (k == 2 || !strcmp(dir, "rw") || !strcmp(dir, "wr"))
			r[n].dirs = 3;
		else if (!strcmp(dir, "r"))
			r[n].dirs = 1;
		else if (!strcmp(dir, "w"))
			r[n].dirs = 2;
		else
			return -EINVAL;
		n++;
	}
	return n;
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

static const struct p2pbuf_rule *rule_find(const struct p2pbuf_rule *r,
					   int n, uint32_t id)
{
	int i;

	for (i = 0; i < n; i++)
		if (r[i].id == id)
			return &r[i];
	return NULL;
}

static int in_list(const uint32_t *l, int n, uint32_t v)
{
	int i;

	for (i = 0; i < n; i++)
		if (l[i] == v)
			return 1;
	return 0;
}

static void add_hop(struct p2pbuf_topo_path *p, int idx)
{
	if (p->nhops < 32)
		p->hops[p->nhops++] = idx;
}

static void set_via(const struct p2pbuf_topo *t, struct p2pbuf_topo_path *p,
		    int idx)
{
	p->via = idx;
	p->via_bdf = idx >= 0 ? t->devs[idx].bdf : P2PBUF_BDF_NONE;
}

/*
 * The same decision as the module's p2pbuf_decide() for a path query (any
 * direction): deny rules on the bridges of the path, then a common switch
 * without ACS redirect (bus address), else the host bridge: deny, allow,
 * the kernel whitelist if trusted, ACS redirect, not allowed.
 */
P2PBUF_EXPORT int p2pbuf_topo_path(const struct p2pbuf_topo *t,
				   int provider, int client,
				   const struct p2pbuf_policy *pol,
				   struct p2pbuf_topo_path *p)
{
	int a, dist_a = 0, dist_b = 0, acs = -1, common = -1, hb, i, k, nb = 0;
	int chain_b[32];
	const struct p2pbuf_rule *r;

	if (!t || !p || provider < 0 || provider >= t->n || client < 0 ||
	    client >= t->n)
		return -EINVAL;
	if (!pol)
		pol = &t->policy;
	memset(p, 0, sizeof(*p));
	set_via(t, p, -1);
	p->common = -1;
	p->map_type = P2PBUF_MAP_NOT_SUPPORTED;
	p->distance = -1;

	for (k = client; k >= 0 && nb < 32; k = t->devs[k].parent)
		chain_b[nb++] = k;
	for (a = provider; a >= 0; a = t->devs[a].parent, dist_a++) {
		for (dist_b = 0; dist_b < nb; dist_b++)
			if (chain_b[dist_b] == a)
				break;
		if (dist_b < nb) {
			common = a;
			break;
		}
		add_hop(p, a);
	}
	hb = p2pbuf_topo_host_bridge(t, provider);
	if (common >= 0) {
		add_hop(p, common);
		for (k = dist_b - 1; k >= 0; k--)
			add_hop(p, chain_b[k]);
	} else {
		dist_b = nb;
		if (hb >= 0)
			add_hop(p, hb);
		for (k = nb - 1; k >= 0; k--)
			add_hop(p, chain_b[k]);
	}
	p->common = common;

	if ((t->devs[provider].bdf >> 16) != (t->devs[client].bdf >> 16)) {
		p->reason = P2PBUF_REASON_NO_COMMON_ROOT;
		return 0;
	}
	/* bridges on the path: every hop but the two ends and the host */
	for (i = 0; i < p->nhops; i++) {
		int h = p->hops[i];

		if (h == provider || h == client || h == hb)
			continue;
		r = rule_find(pol->deny, pol->ndeny, t->devs[h].vendor_device);
		if (r && r->dirs == 3) {
			p->reason = P2PBUF_REASON_DENIED;
			set_via(t, p, h);
			return 0;
		}
		/* ACS matters below a common switch; root ports are crossed anyway */
		if (common >= 0 && acs < 0 && t->devs[h].acs_redir == 1)
			acs = h;
	}
	if (common >= 0 && acs < 0) {
		p->map_type = P2PBUF_MAP_BUS_ADDR;
		p->reason = P2PBUF_REASON_OK;
		p->distance = dist_a + dist_b;
		return 0;
	}
	if (hb < 0) {
		p->reason = P2PBUF_REASON_HOST_BRIDGE_NOT_ALLOWED;
		return 0;
	}
	set_via(t, p, hb);
	r = rule_find(pol->deny, pol->ndeny, t->devs[hb].vendor_device);
	if (r && r->dirs == 3) {
		p->reason = P2PBUF_REASON_DENIED;
		return 0;
	}
	r = rule_find(pol->allow, pol->nallow, t->devs[hb].vendor_device);
	if ((r && r->dirs) ||
	    (pol->kernel_whitelist &&
	     in_list(hb_whitelist, sizeof(hb_whitelist) / 4,
		     t->devs[hb].vendor_device))) {
		p->map_type = P2PBUF_MAP_THRU_HOST_BRIDGE;
		p->reason = P2PBUF_REASON_OK;
		p->distance = dist_a + dist_b;
		return 0;
	}
	if (acs >= 0) {
		p->reason = P2PBUF_REASON_ACS_REDIRECT;
		set_via(t, p, acs);
		return 0;
	}
	p->reason = P2PBUF_REASON_HOST_BRIDGE_NOT_ALLOWED;
	return 0;
}
