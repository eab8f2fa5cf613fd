// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf: list providers, show the P2P topology, explain a path, allocate,
 * copy between files/NVMe and P2P buffers, inspect a dma-buf fd.
 *
 * Human output by default, --json for scripts. Topology and paths come from
 * the sysfs model of libp2pbuf (a pure function of --sysfs DIR), with the
 * verdicts taken from the kernel (P2PBUF_IOC_PATH) when /dev/p2pbuf is there
 * and --model is not given.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/p2pbuf.h>
#include <p2pbuf/p2pbuf.h>

#include "json.h"

static int opt_json, opt_model;
static const char *opt_sysfs = "/sys";
static const char *opt_dev;

struct env {
	struct p2pbuf_topo *topo;
	struct p2pbuf_ctx *ctx;
	struct p2pbuf_provider *prov;	/* kernel list, NULL without module */
	int nprov;
	int ctx_errno;
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("p2pbuf: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static const char *hsize(uint64_t v, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;

	while (v >= 1024 && !(v % 1024) && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%" PRIu64 " %s", v, unit[u]);
	return buf;
}

/* N[k|M|G][i][B]: no sign (strtoull takes "-1" as 2^64-1), no overflow */
static uint64_t parse_size(const char *s)
{
	const char *p = s;
	unsigned int shift = 0;
	char *end;
	uint64_t v;

	while (isspace((unsigned char)*p))
		p++;
	if (!isdigit((unsigned char)*p))
		die("bad size '%s'", s);
	errno = 0;
	v = strtoull(p, &end, 0);
	if (errno == ERANGE)
		die("size '%s' is too large", s);
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	}
	if (*end == 'i')
		end++;
	if (*end == 'B')
		end++;
	if (*end || end == p)
		die("bad size '%s'", s);
	if (shift && v > UINT64_MAX >> shift)
		die("size '%s' is too large", s);
	return v << shift;
}

static char *bdfstr(uint32_t bdf, char *buf)
{
	return p2pbuf_format_bdf(bdf, buf, 16);
}

/* "03:00.0" in the matrix when every device is in domain 0 */
static const char *short_bdf(const char *name)
{
	return !strncmp(name, "0000:", 5) ? name + 5 : name;
}

static void env_load(struct env *e, int need_topo)
{
	memset(e, 0, sizeof(*e));
	if (need_topo) {
		e->topo = p2pbuf_topo_load(opt_sysfs);
		if (!e->topo)
			die("cannot read the PCI topology under %s: %s",
			    opt_sysfs, strerror(errno));
	}
	if (opt_model)
		return;
	e->ctx = p2pbuf_open(opt_dev);
	if (!e->ctx) {
		e->ctx_errno = errno;
		return;
	}
	e->prov = p2pbuf_get_providers(e->ctx, &e->nprov);
	if (!e->prov)
		e->nprov = 0;
}

static void env_free(struct env *e)
{
	p2pbuf_free_providers(e->prov);
	p2pbuf_close(e->ctx);
	p2pbuf_topo_free(e->topo);
}

/* first kernel provider on a device, or NULL */
static const struct p2pbuf_provider *kprov_of(const struct env *e,
					      uint32_t bdf)
{
	int i;

	for (i = 0; i < e->nprov; i++)
		if (e->prov[i].bdf == bdf)
			return &e->prov[i];
	return NULL;
}

/* a provider that can hand out buffers now (unavailable ones are only listed) */
static int is_provider(const struct env *e, int idx)
{
	const struct p2pbuf_topo_dev *d = p2pbuf_topo_dev(e->topo, idx);
	int i;

	if (!e->nprov)
		return !!(d->roles & P2PBUF_DEV_PROVIDER);
	for (i = 0; i < e->nprov; i++)
		if (e->prov[i].bdf == d->bdf && (e->prov[i].flags & P2PBUF_PROV_AVAILABLE))
			return 1;
	return 0;
}

/* ---- verdicts ---- */

struct verdict {
	uint32_t map_type, reason;
	int distance;
	uint32_t via, via_id, acs_ctrl;
	char why[192];
	const char *source;
	struct p2pbuf_topo_path path;	/* the model's path: hops */
};

#define BDF_FMT "%04x:%02x:%02x.%x"
#define BDF_ARG(b) (b) >> 16, ((b) >> 8) & 0xff, ((b) >> 3) & 0x1f, (b) & 7
#define ID_FMT "%04x:%04x"
#define ID_ARG(i) (i) >> 16, (i) & 0xffff

/* the model's verdict in the module's words (p2pbuf_reason_format()) */
static void model_why(const struct verdict *v, char *buf, size_t len)
{
	switch (v->reason) {
	case P2PBUF_REASON_OK:
		if (v->map_type == P2PBUF_MAP_BUS_ADDR)
			snprintf(buf, len, "common switch, no ACS redirect: PCI bus addresses");
		else
			snprintf(buf, len, "through host bridge " BDF_FMT " (" ID_FMT "), allowed (rw)",
				 BDF_ARG(v->via), ID_ARG(v->via_id));
		break;
	case P2PBUF_REASON_NO_COMMON_ROOT:
		snprintf(buf, len, "provider and client are in different PCI domains");
		break;
	case P2PBUF_REASON_ACS_REDIRECT:
		snprintf(buf, len, "ACS redirect (ctrl %#06x) on " BDF_FMT " (" ID_FMT "); fix: pci=disable_acs_redir=" BDF_FMT,
			 v->acs_ctrl, BDF_ARG(v->via), ID_ARG(v->via_id),
			 BDF_ARG(v->via));
		break;
	case P2PBUF_REASON_HOST_BRIDGE_NOT_ALLOWED:
		if (v->via == P2PBUF_BDF_NONE)
			snprintf(buf, len, "crosses a host bridge that has no PCI device");
		else
			snprintf(buf, len, "crosses host bridge " BDF_FMT " (" ID_FMT "); allow it with: echo " ID_FMT " > /sys/module/p2pbuf/parameters/allow_bridges",
				 BDF_ARG(v->via), ID_ARG(v->via_id), ID_ARG(v->via_id));
		break;
	case P2PBUF_REASON_DENIED:
		snprintf(buf, len, "bridge " BDF_FMT " (" ID_FMT ") is in deny_bridges (rw)",
			 BDF_ARG(v->via), ID_ARG(v->via_id));
		break;
	default:
		snprintf(buf, len, "%s", p2pbuf_reason_str(v->reason));
	}
}

static void verdict(const struct env *e, int p, int c, struct verdict *v)
{
	const struct p2pbuf_topo_dev *pd = p2pbuf_topo_dev(e->topo, p);
	const struct p2pbuf_topo_dev *cd = p2pbuf_topo_dev(e->topo, c);
	const struct p2pbuf_provider *kp = kprov_of(e, pd->bdf);
	struct p2pbuf_path_info pi;

	memset(v, 0, sizeof(*v));
	p2pbuf_topo_path(e->topo, p, c, NULL, &v->path);
	if (e->ctx && kp && !p2pbuf_path(e->ctx, kp->id, cd->bdf, &pi)) {
		v->map_type = pi.map_type;
		v->reason = pi.reason;
		v->distance = pi.distance;
		v->via = pi.via;
		v->via_id = pi.via_id;
		snprintf(v->why, sizeof(v->why), "%s", pi.reason_str);
		v->source = "kernel";
		return;
	}
	v->map_type = v->path.map_type;
	v->reason = v->path.reason;
	v->distance = v->path.distance;
	v->via = v->path.via_bdf;
	v->via_id = v->path.via >= 0 ?
		p2pbuf_topo_dev(e->topo, v->path.via)->vendor_device : 0;
	v->acs_ctrl = v->path.via >= 0 ?
		p2pbuf_topo_dev(e->topo, v->path.via)->acs_ctrl : 0;
	model_why(v, v->why, sizeof(v->why));
	v->source = "sysfs";
}

static const char *cell(const struct verdict *v)
{
	switch (v->map_type) {
	case P2PBUF_MAP_BUS_ADDR:
		return v->distance <= 4 ? "PIX" : "PXB";
	case P2PBUF_MAP_THRU_HOST_BRIDGE:
		return "PHB";
	default:
		return "NO";
	}
}

static void provider_desc(const struct env *e, int idx, char *buf, size_t len)
{
	const struct p2pbuf_topo_dev *d = p2pbuf_topo_dev(e->topo, idx);
	char s[32];
	size_t n = 0;
	int i, any = 0;

	buf[0] = '\0';
	for (i = 0; i < e->nprov; i++) {
		if (e->prov[i].bdf != d->bdf)
			continue;
		if (!(e->prov[i].flags & P2PBUF_PROV_AVAILABLE))
			n += snprintf(buf + n, len - n, "%s%s unavailable: %s (id %u)",
				      any ? ", " : "", p2pbuf_kind_str(e->prov[i].kind),
				      e->prov[i].reason, e->prov[i].id);
		else
			n += snprintf(buf + n, len - n, "%s%s bar%u %s (id %u)",
				      any ? ", " : "", p2pbuf_kind_str(e->prov[i].kind),
				      e->prov[i].bar, hsize(e->prov[i].size, s, sizeof(s)),
				      e->prov[i].id);
		any = 1;
		if (n >= len)
			return;
	}
	if (any)
		return;
	if (d->p2pmem_size)
		snprintf(buf, len, "p2pmem %s", hsize(d->p2pmem_size, s, sizeof(s)));
	else if (!strcmp(d->driver, "p2pbuf_bar"))
		snprintf(buf, len, "bar (p2pbuf_bar)");
}

/* ---- list ---- */

static int cmd_list(int argc, char **argv)
{
	struct env e;
	char s1[32], s2[32], name[16];
	int i;

	(void)argc, (void)argv;
	env_load(&e, 0);
	if (!e.ctx)
		die("cannot open %s: %s (is the p2pbuf module loaded?)",
		    opt_dev ? opt_dev : P2PBUF_DEFAULT_DEV, strerror(e.ctx_errno));
	if (!e.prov)
		die("listing providers: %s", strerror(errno));
	if (opt_json) {
		struct json j;

		j_init(&j, stdout);
		j_obj(&j, NULL);
		j_arr(&j, "providers");
		for (i = 0; i < e.nprov; i++) {
			const struct p2pbuf_provider *p = &e.prov[i];

			snprintf(s1, sizeof(s1), ID_FMT, ID_ARG(p->vendor_device));
			j_obj(&j, NULL);
			j_u64(&j, "id", p->id);
			j_str(&j, "device", bdfstr(p->bdf, name));
			j_str(&j, "vendor_device", s1);
			j_str(&j, "kind", p2pbuf_kind_str(p->kind));
			j_u64(&j, "bar", p->bar);
			j_u64(&j, "bar_offset", p->bar_offset);
			j_u64(&j, "size", p->size);
			j_u64(&j, "free", p->free);
			j_u64(&j, "bus_addr", p->bus_addr);
			j_bool(&j, "available", p->flags & P2PBUF_PROV_AVAILABLE);
			j_bool(&j, "published", p->flags & P2PBUF_PROV_PUBLISHED);
			j_bool(&j, "pages", p->flags & P2PBUF_PROV_PAGES);
			j_str(&j, "reason", p->reason);
			j_end(&j, '}');
		}
		j_end(&j, ']');
		j_end(&j, '}');
		j_done(&j);
	} else {
		printf("%-3s %-13s %-10s %-7s %-4s %-9s %-9s %-18s %s\n", "ID",
		       "DEVICE", "VEN:DEV", "KIND", "BAR", "SIZE", "FREE",
		       "BUS ADDR", "STATE");
		for (i = 0; i < e.nprov; i++) {
			const struct p2pbuf_provider *p = &e.prov[i];
			char id[16];

			snprintf(id, sizeof(id), ID_FMT, ID_ARG(p->vendor_device));
			printf("%-3u %-13s %-10s %-7s %-4u %-9s %-9s 0x%016" PRIx64 " %s%s%s\n",
			       p->id, bdfstr(p->bdf, name), id,
			       p2pbuf_kind_str(p->kind), p->bar,
			       hsize(p->size, s1, sizeof(s1)),
			       hsize(p->free, s2, sizeof(s2)), p->bus_addr,
			       p->flags & P2PBUF_PROV_AVAILABLE ? "available" :
			       "unavailable",
			       p->flags & P2PBUF_PROV_PAGES ? ", struct pages" : "",
			       p->reason[0] ? ": " : "");
			if (p->reason[0])
				printf("    %s\n", p->reason);
		}
		if (!e.nprov)
			printf("(no providers registered)\n");
	}
	env_free(&e);
	return 0;
}

/* ---- topo ---- */

static const char *const legend[][2] = {
	{ "X", "the device itself" },
	{ "PIX", "PCI bus address through one PCIe switch, no ACS redirect" },
	{ "PXB", "PCI bus address through several PCIe switches or bridges" },
	{ "PHB", "through the host bridge, allowed by policy, DMA-API (IOMMU) mapped" },
	{ "NO", "refused; `p2pbuf check PROVIDER DEVICE` says why and what would fix it" },
};

static int cmd_topo(int argc, char **argv)
{
	struct env e;
	int rows[64], cols[64], nr = 0, nc = 0, i, k, n;
	const char *source = "sysfs";

	(void)argc, (void)argv;
	env_load(&e, 1);
	n = p2pbuf_topo_num_devs(e.topo);
	for (i = 0; i < n; i++) {
		const struct p2pbuf_topo_dev *d = p2pbuf_topo_dev(e.topo, i);

		if (!(d->roles & P2PBUF_DEV_ENDPOINT) &&
		    !kprov_of(&e, d->bdf))
			continue;
		if (nc < 64)
			cols[nc++] = i;
		if (is_provider(&e, i) && nr < 64)
			rows[nr++] = i;
	}
	if (e.ctx && e.nprov)
		source = "kernel";

	if (opt_json) {
		struct json j;
		char s[32], desc[160];

		j_init(&j, stdout);
		j_obj(&j, NULL);
		j_str(&j, "verdicts", source);
		j_bool(&j, "iommu", p2pbuf_topo_iommu(e.topo));
		j_arr(&j, "devices");
		for (k = 0; k < nc; k++) {
			const struct p2pbuf_topo_dev *d =
				p2pbuf_topo_dev(e.topo, cols[k]);
			int hb = p2pbuf_topo_host_bridge(e.topo, cols[k]);

			j_obj(&j, NULL);
			j_str(&j, "device", d->name);
			snprintf(s, sizeof(s), ID_FMT, ID_ARG(d->vendor_device));
			j_str(&j, "vendor_device", s);
			j_str(&j, "kind", d->kind);
			j_str(&j, "driver", d->driver);
			j_str(&j, "host_bridge", hb >= 0 ?
			      p2pbuf_topo_dev(e.topo, hb)->name : "");
			if (is_provider(&e, cols[k])) {
				provider_desc(&e, cols[k], desc, sizeof(desc));
				j_str(&j, "provider", desc);
			} else {
				j_null(&j, "provider");
			}
			j_end(&j, '}');
		}
		j_end(&j, ']');
		j_arr(&j, "matrix");
		for (i = 0; i < nr; i++) {
			for (k = 0; k < nc; k++) {
				struct verdict v;
				char via[16];

				if (rows[i] == cols[k])
					continue;
				verdict(&e, rows[i], cols[k], &v);
				j_obj(&j, NULL);
				j_str(&j, "provider",
				      p2pbuf_topo_dev(e.topo, rows[i])->name);
				j_str(&j, "client",
				      p2pbuf_topo_dev(e.topo, cols[k])->name);
				j_str(&j, "path", cell(&v));
				j_str(&j, "map_type", p2pbuf_map_type_str(v.map_type));
				j_str(&j, "reason", p2pbuf_reason_str(v.reason));
				j_i64(&j, "distance", v.distance);
				if (v.via == P2PBUF_BDF_NONE)
					j_null(&j, "via");
				else
					j_str(&j, "via", bdfstr(v.via, via));
				j_str(&j, "why", v.why);
				j_end(&j, '}');
			}
		}
		j_end(&j, ']');
		j_obj(&j, "legend");
		for (i = 0; i < 5; i++)
			j_str(&j, legend[i][0], legend[i][1]);
		j_end(&j, '}');
		j_end(&j, '}');
		j_done(&j);
		env_free(&e);
		return 0;
	}

	printf("P2P paths: %d provider%s (rows) x %d PCI endpoints (columns)\n",
	       nr, nr == 1 ? "" : "s", nc);
	printf("verdicts from: %s\n\n", !strcmp(source, "kernel") ?
	       "the kernel (P2PBUF_IOC_PATH)" : "the sysfs model (no /dev/p2pbuf)");
	printf("%-9s", "");
	for (k = 0; k < nc; k++)
		printf(k + 1 < nc ? " %-8s" : " %s",
		       short_bdf(p2pbuf_topo_dev(e.topo, cols[k])->name));
	printf("\n");
	for (i = 0; i < nr; i++) {
		printf("%-9s", short_bdf(p2pbuf_topo_dev(e.topo, rows[i])->name));
		for (k = 0; k < nc; k++) {
			struct verdict v;

			const char *fmt = k + 1 < nc ? " %-8s" : " %s";

			if (rows[i] == cols[k]) {
				printf(fmt, "X");
				continue;
			}
			verdict(&e, rows[i], cols[k], &v);
			printf(fmt, cell(&v));
		}
		printf("\n");
	}
	printf("\nDevices:\n");
	for (k = 0; k < nc; k++) {
		const struct p2pbuf_topo_dev *d = p2pbuf_topo_dev(e.topo, cols[k]);
		char desc[160];

		provider_desc(&e, cols[k], desc, sizeof(desc));
		if (desc[0])
			printf("  %s  [" ID_FMT "]  %-8s %-20s provider: %s\n",
			       d->name, ID_ARG(d->vendor_device), d->kind,
			       d->driver[0] ? d->driver : "-", desc);
		else
			printf("  %s  [" ID_FMT "]  %-8s %s\n", d->name,
			       ID_ARG(d->vendor_device), d->kind,
			       d->driver[0] ? d->driver : "-");
	}
	printf("\nLegend:\n");
	for (i = 0; i < 5; i++)
		printf("  %-4s= %s\n", legend[i][0], legend[i][1]);
	printf("\nIOMMU: %s\n", p2pbuf_topo_iommu(e.topo) ? "on" : "off");
	env_free(&e);
	return 0;
}

/* ---- check ---- */

static int find_dev(const struct env *e, const char *arg)
{
	uint32_t bdf;
	int idx;

	if (p2pbuf_parse_bdf(arg, &bdf))
		die("'%s' is not a PCI address (like 0000:03:00.0 or 03:00.0)", arg);
	idx = p2pbuf_topo_find(e->topo, bdf);
	if (idx < 0)
		die("no PCI device %s under %s", arg, opt_sysfs);
	return idx;
}

static void acs_text(const struct p2pbuf_topo_dev *d, char *buf, size_t len)
{
	if (d->acs_redir < 0)
		snprintf(buf, len, "ACS unknown (config space not readable)");
	else if (!d->has_acs_cap)
		snprintf(buf, len, "no ACS capability");
	else
		snprintf(buf, len, "ACS ctrl 0x%04x: ReqRedir%c CmpltRedir%c EgressCtrl%c",
			 d->acs_ctrl, d->acs_ctrl & 0x4 ? '+' : '-',
			 d->acs_ctrl & 0x8 ? '+' : '-',
			 d->acs_ctrl & 0x20 ? '+' : '-');
}

static void fix_text(const struct env *e, const struct verdict *v,
		     char *buf, size_t len)
{
	char b[16];

	buf[0] = '\0';
	switch (v->reason) {
	case P2PBUF_REASON_HOST_BRIDGE_NOT_ALLOWED:
	case P2PBUF_REASON_DIRECTION:
		if (v->via != P2PBUF_BDF_NONE)
			snprintf(buf, len,
				 "echo " ID_FMT " > /sys/module/p2pbuf/parameters/allow_bridges   (allow rule for host bridge %s; only where the platform routes P2P between root ports, which the PCIe spec does not promise)",
				 ID_ARG(v->via_id), bdfstr(v->via, b));
		break;
	case P2PBUF_REASON_ACS_REDIRECT:
		if (v->path.common >= 0)
			snprintf(buf, len,
				 "boot with pci=disable_acs_redir=%s, or clear ReqRedir/CmpltRedir/EgressCtrl now: setpci -s %s ECAP_ACS+6.w=0000:002c (this gives up the isolation ACS provides), or allow the host bridge in /sys/module/p2pbuf/parameters/allow_bridges",
				 bdfstr(v->via, b), b);
		else {
			int hb = p2pbuf_topo_host_bridge(e->topo, v->path.hops[0]);

			snprintf(buf, len,
				 "the devices share no switch, so the traffic crosses the host bridge either way: echo " ID_FMT " > /sys/module/p2pbuf/parameters/allow_bridges",
				 ID_ARG(hb >= 0 ? p2pbuf_topo_dev(e->topo, hb)->vendor_device : 0));
		}
		break;
	case P2PBUF_REASON_DENIED:
		snprintf(buf, len,
			 "remove " ID_FMT " from /sys/module/p2pbuf/parameters/deny_bridges (someone marked that bridge broken)",
			 ID_ARG(v->via_id));
		break;
	case P2PBUF_REASON_NO_COMMON_ROOT:
		snprintf(buf, len, "none: P2P between PCI domains is not possible; pick a provider in the client's PCI domain");
		break;
	case P2PBUF_REASON_DMA_MASK:
		snprintf(buf, len, "none from here: bus addresses reach the client untranslated and its driver's DMA mask does not cover them; pick a provider whose BAR lies below the client's DMA limit");
		break;
	}
}

static int cmd_check(int argc, char **argv)
{
	const struct p2pbuf_topo_dev *pd, *cd, *hbd = NULL;
	struct env e;
	struct verdict v;
	char fix[512], acs[96], desc[160], b[16];
	int p, c, i, hb, crosses_hb, swapped = 0;

	if (argc != 2)
		die("usage: p2pbuf check PROVIDER DEVICE");
	env_load(&e, 1);
	p = find_dev(&e, argv[0]);
	c = find_dev(&e, argv[1]);
	if (!is_provider(&e, p) && is_provider(&e, c)) {
		int t = p;

		p = c;
		c = t;
		swapped = 1;
	}
	pd = p2pbuf_topo_dev(e.topo, p);
	cd = p2pbuf_topo_dev(e.topo, c);
	verdict(&e, p, c, &v);
	fix_text(&e, &v, fix, sizeof(fix));
	provider_desc(&e, p, desc, sizeof(desc));
	hb = p2pbuf_topo_host_bridge(e.topo, p);
	if (hb >= 0)
		hbd = p2pbuf_topo_dev(e.topo, hb);
	crosses_hb = v.path.common < 0;

	if (opt_json) {
		struct json j;
		char s[32];

		j_init(&j, stdout);
		j_obj(&j, NULL);
		j_str(&j, "provider", pd->name);
		j_str(&j, "client", cd->name);
		j_bool(&j, "provider_registered", is_provider(&e, p));
		j_str(&j, "verdicts", v.source);
		j_bool(&j, "allowed", v.map_type != P2PBUF_MAP_NOT_SUPPORTED);
		j_str(&j, "path", p == c ? "X" : cell(&v));
		j_str(&j, "map_type", p2pbuf_map_type_str(v.map_type));
		j_str(&j, "reason", p2pbuf_reason_str(v.reason));
		j_i64(&j, "distance", v.distance);
		if (v.via == P2PBUF_BDF_NONE)
			j_null(&j, "via");
		else
			j_str(&j, "via", bdfstr(v.via, b));
		j_bool(&j, "crosses_host_bridge", crosses_hb);
		j_str(&j, "host_bridge", hbd ? hbd->name : "");
		j_str(&j, "why", v.why);
		j_str(&j, "fix", fix);
		j_bool(&j, "iommu", p2pbuf_topo_iommu(e.topo));
		j_arr(&j, "hops");
		for (i = 0; i < v.path.nhops; i++) {
			const struct p2pbuf_topo_dev *h =
				p2pbuf_topo_dev(e.topo, v.path.hops[i]);

			j_obj(&j, NULL);
			j_str(&j, "device", h->name);
			snprintf(s, sizeof(s), ID_FMT, ID_ARG(h->vendor_device));
			j_str(&j, "vendor_device", s);
			j_str(&j, "kind", h->kind);
			j_str(&j, "role", v.path.hops[i] == p ? "provider" :
			      v.path.hops[i] == c ? "client" :
			      v.path.hops[i] == v.path.common ? "common" :
			      h->roles & P2PBUF_DEV_HOST_BRIDGE ? "host-bridge" :
			      "bridge");
			if (h->acs_redir < 0)
				j_null(&j, "acs_ctrl");
			else
				j_i64(&j, "acs_ctrl", h->has_acs_cap ? (int64_t)h->acs_ctrl : -1);
			j_end(&j, '}');
		}
		j_end(&j, ']');
		j_end(&j, '}');
		j_done(&j);
		env_free(&e);
		return v.map_type == P2PBUF_MAP_NOT_SUPPORTED ? 2 : 0;
	}

	printf("provider %s (%s, %s)%s\n", pd->name, pd->kind,
	       desc[0] ? desc : "not a registered provider", swapped ?
	       "  [arguments swapped: the provider goes first]" : "");
	printf("client   %s (%s%s%s)\n", cd->name, cd->kind,
	       cd->driver[0] ? ", " : "", cd->driver);
	printf("verdict  %s: %s\n",
	       v.map_type == P2PBUF_MAP_NOT_SUPPORTED ? "REFUSED" : "ALLOWED",
	       v.map_type == P2PBUF_MAP_NOT_SUPPORTED ?
	       p2pbuf_reason_str(v.reason) : p2pbuf_map_type_str(v.map_type));
	printf("verdicts from: %s\n", !strcmp(v.source, "kernel") ?
	       "the kernel (P2PBUF_IOC_PATH)" : "the sysfs model");
	if (v.reason == P2PBUF_REASON_NO_COMMON_ROOT)
		printf("path (none: the devices are in different PCI domains):\n");
	else
		printf("path (%d hops up and down, %s):\n",
		       v.path.distance >= 0 ? v.path.distance : v.path.nhops - 1,
		       crosses_hb ? "no common switch: through the host bridge" :
		       "below a common switch");
	for (i = 0; i < v.path.nhops; i++) {
		int h = v.path.hops[i];
		const struct p2pbuf_topo_dev *d = p2pbuf_topo_dev(e.topo, h);
		const char *note = "";

		if (h == p)
			note = "provider";
		else if (h == c)
			note = "client";
		if (d->roles & P2PBUF_DEV_HOST_BRIDGE)
			snprintf(acs, sizeof(acs), "host bridge");
		else if (d->roles & P2PBUF_DEV_BRIDGE)
			acs_text(d, acs, sizeof(acs));
		else
			snprintf(acs, sizeof(acs), "%s", note);
		printf("  %s  [" ID_FMT "]  %-12s %s%s\n", d->name,
		       ID_ARG(d->vendor_device), d->kind, acs,
		       v.via == d->bdf ? "   <- decides" :
		       h == v.path.common ? "   <- common upstream bridge" : "");
	}
	if (crosses_hb && hbd && v.reason != P2PBUF_REASON_NO_COMMON_ROOT)
		printf("crosses host bridge %s [" ID_FMT "]\n", hbd->name,
		       ID_ARG(hbd->vendor_device));
	printf("why      %s\n", v.why);
	if (fix[0])
		printf("fix      %s\n", fix);
	if (p2pbuf_topo_iommu(e.topo) && v.map_type == P2PBUF_MAP_BUS_ADDR &&
	    v.path.common >= 0)
		printf("note     the IOMMU is on, but this traffic turns around in %s without ACS redirect and never reaches it: the IOMMU does not isolate these two devices from each other\n",
		       p2pbuf_topo_dev(e.topo, v.path.common)->name);
	env_free(&e);
	return v.map_type == P2PBUF_MAP_NOT_SUPPORTED ? 2 : 0;
}

/* ---- alloc, copy, info ---- */

static uint32_t resolve_provider(const struct env *e, const char *arg,
				 uint64_t size)
{
	char *end;
	unsigned long id = strtoul(arg, &end, 10);
	uint32_t bdf;
	int i;

	if (!e->ctx)
		die("cannot open %s: %s (is the p2pbuf module loaded?)",
		    opt_dev ? opt_dev : P2PBUF_DEFAULT_DEV, strerror(e->ctx_errno));
	if (!*end && end != arg)
		return id;
	if (p2pbuf_parse_bdf(arg, &bdf))
		die("'%s' is neither a provider id nor a PCI address", arg);
	for (i = 0; i < e->nprov; i++)
		if (e->prov[i].bdf == bdf &&
		    (e->prov[i].flags & P2PBUF_PROV_AVAILABLE) &&
		    e->prov[i].free >= size)
			return e->prov[i].id;
	for (i = 0; i < e->nprov; i++)
		if (e->prov[i].bdf == bdf)
			die("provider %u on %s cannot take %" PRIu64 " bytes%s%s",
			    e->prov[i].id, arg, size, e->prov[i].reason[0] ? ": " : "",
			    e->prov[i].reason);
	die("no p2pbuf provider on %s (see p2pbuf list)", arg);
}

static const char *provider_name(const struct env *e, uint32_t id)
{
	static char buf[64];
	int i;

	for (i = 0; i < e->nprov; i++)
		if (e->prov[i].id == id) {
			snprintf(buf, sizeof(buf), "%s, %s", e->prov[i].name,
				 p2pbuf_kind_str(e->prov[i].kind));
			return buf;
		}
	return "?";
}

static int run_with_fd(int fd, char **cmd)
{
	char num[16];
	int st;
	pid_t pid;

	fcntl(fd, F_SETFD, 0);
	snprintf(num, sizeof(num), "%d", fd);
	setenv("P2PBUF_FD", num, 1);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		execvp(cmd[0], cmd);
		fprintf(stderr, "p2pbuf: %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void hold(void)
{
	sigset_t set;
	int sig;

	printf("holding the buffer; SIGINT or SIGTERM releases it (pid %d)\n",
	       getpid());
	fflush(stdout);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigwait(&set, &sig);
}

static const struct option alloc_opts[] = {
	{ "fill", required_argument, NULL, 'f' },
	{ "hold", no_argument, NULL, 'H' },
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 },
};

static int cmd_alloc(int argc, char **argv)
{
	struct p2pbuf_buf b;
	struct env e;
	int o, fd, fill = -1, do_hold = 0, ret = 0;
	uint64_t size;
	uint32_t id;
	char s[32];

	const char *pos[2];
	int npos = 0;

	/* options before and after PROVIDER SIZE; "--" or a third word starts CMD */
	optind = 0;
	for (;;) {
		o = getopt_long(argc, argv, "+f:Hj", alloc_opts, NULL);
		if (o == -1) {
			if (npos == 2 || optind >= argc || !strcmp(argv[optind - 1], "--"))
				break;
			pos[npos++] = argv[optind++];
			continue;
		}
		switch (o) {
		case 'f': fill = strtol(optarg, NULL, 0) & 0xff; break;
		case 'H': do_hold = 1; break;
		case 'j': opt_json = 1; break;
		default: die("usage: p2pbuf alloc PROVIDER SIZE [--fill BYTE] [--hold | -- CMD...]");
		}
	}
	if (npos < 2)
		die("usage: p2pbuf alloc PROVIDER SIZE [--fill BYTE] [--hold | -- CMD...]");
	env_load(&e, 0);
	size = parse_size(pos[1]);
	id = resolve_provider(&e, pos[0], size);
	fd = p2pbuf_alloc(e.ctx, id, size, P2PBUF_F_CLOEXEC | P2PBUF_F_RDWR, &b);
	if (fd < 0)
		die("allocating %" PRIu64 " bytes on provider %u: %s", size, id,
		    strerror(errno));
	if (fill >= 0) {
		void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		if (m == MAP_FAILED)
			die("mmap: %s", strerror(errno));
		memset(m, fill, size);
		munmap(m, size);
	}
	if (opt_json) {
		struct json j;

		j_init(&j, stdout);
		j_obj(&j, NULL);
		j_i64(&j, "fd", fd);
		j_i64(&j, "pid", getpid());
		j_u64(&j, "provider", id);
		j_u64(&j, "size", b.size);
		j_u64(&j, "offset", b.offset);
		j_u64(&j, "bus_addr", b.bus_addr);
		j_end(&j, '}');
		j_done(&j);
	} else {
		printf("fd %d: %s on provider %u (%s), offset %#" PRIx64 ", bus address %#" PRIx64 "\n",
		       fd, hsize(b.size, s, sizeof(s)), id, provider_name(&e, id),
		       b.offset, b.bus_addr);
	}
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	if (optind < argc)
		ret = run_with_fd(fd, argv + optind);
	else if (do_hold)
		hold();
	close(fd);
	env_free(&e);
	return ret;
}

/* "FD" or "PID:FD": an fd of ours for it; fills *size_only when unreachable */
static int grab_fd(const char *arg, char *how, size_t hlen)
{
	long pid = 0, n;
	char *end;
	int pidfd, fd;

	if (!strncmp(arg, "fd:", 3))
		arg += 3;	/* fd:N, as copy takes it */
	if (!isdigit((unsigned char)*arg))
		die("'%s' is not FD, fd:FD or PID:FD", arg);
	n = strtol(arg, &end, 10);
	if (*end == ':') {
		pid = n;
		n = strtol(end + 1, &end, 10);
	}
	if (*end || n < 0 || n > INT_MAX || pid < 0)
		die("'%s' is not FD, fd:FD or PID:FD", arg);
	if (!pid || pid == getpid()) {
		snprintf(how, hlen, "fd %ld", n);
		return n;
	}
	pidfd = syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (pidfd < 0)
		die("pidfd_open(%ld): %s", pid, strerror(errno));
	fd = syscall(SYS_pidfd_getfd, pidfd, (int)n, 0);
	close(pidfd);
	if (fd < 0)
		return -errno;
	snprintf(how, hlen, "fd %ld of pid %ld (pidfd_getfd)", n, pid);
	return fd;
}

static int cmd_info(int argc, char **argv)
{
	struct p2pbuf_buf b;
	struct env e;
	char how[96], s[32];
	int fd, ret, own;

	if (argc != 1)
		die("usage: p2pbuf info FD|fd:FD|PID:FD");
	fd = grab_fd(argv[0], how, sizeof(how));
	if (fd < 0) {
		/* no ptrace rights: what /proc/PID/fdinfo shows is all we get */
		char path[64], line[256];
		long pid = strtol(argv[0], NULL, 10);
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%ld/fdinfo/%s", pid,
			 strchr(argv[0], ':') + 1);
		f = fopen(path, "re");
		if (!f)
			die("pidfd_getfd: %s; %s: %s", strerror(-fd), path,
			    strerror(errno));
		printf("%s (pidfd_getfd refused: %s); fdinfo only:\n", argv[0],
		       strerror(-fd));
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "size:", 5) ||
			    !strncmp(line, "exp_name:", 9) ||
			    !strncmp(line, "count:", 6))
				printf("  %s", line);
		fclose(f);
		return 0;
	}
	env_load(&e, 0);
	own = strchr(argv[0], ':') != NULL;
	ret = p2pbuf_query(e.ctx, fd, &b);
	if (ret)
		die("%s: %s", how, strerror(-ret));
	if (opt_json) {
		struct json j;

		j_init(&j, stdout);
		j_obj(&j, NULL);
		j_str(&j, "fd", argv[0]);
		j_bool(&j, "dma_buf", b.flags & P2PBUF_BUF_IS_DMABUF);
		j_str(&j, "exporter", b.exporter);
		j_u64(&j, "size", b.size);
		j_bool(&j, "p2pbuf", b.flags & P2PBUF_BUF_OURS);
		if (b.flags & P2PBUF_BUF_OURS) {
			j_u64(&j, "provider", b.provider_id);
			j_str(&j, "provider_device", b.provider_name);
			j_str(&j, "kind", p2pbuf_kind_str(b.kind));
			j_u64(&j, "offset", b.offset);
			j_u64(&j, "bar_offset", b.bar_offset);
			j_u64(&j, "bus_addr", b.bus_addr);
			j_u64(&j, "attachments", b.attachments);
			j_bool(&j, "revoked", b.flags & P2PBUF_BUF_IS_REVOKED);
			j_str(&j, "last_refusal", b.last_refusal);
		}
		j_end(&j, '}');
		j_done(&j);
	} else {
		printf("%s: %s%s%s, size %s (%" PRIu64 " bytes)\n", how,
		       b.flags & P2PBUF_BUF_IS_DMABUF ? "dma-buf" : "not a dma-buf",
		       b.exporter[0] ? ", exporter " : "", b.exporter,
		       hsize(b.size, s, sizeof(s)), b.size);
		if (b.flags & P2PBUF_BUF_OURS) {
			printf("  provider %u: %s (%s)\n", b.provider_id,
			       b.provider_name, p2pbuf_kind_str(b.kind));
			printf("  offset %#" PRIx64 " in the region, %#" PRIx64 " in the BAR, bus address %#" PRIx64 "\n",
			       b.offset, b.bar_offset, b.bus_addr);
			printf("  importers attached: %u%s\n", b.attachments,
			       b.flags & P2PBUF_BUF_IS_REVOKED ?
			       "; REVOKED: the provider went away" : "");
			if (b.last_refusal[0])
				printf("  last refused attach: %s\n", b.last_refusal);
		} else if (!e.ctx) {
			printf("  (no /dev/p2pbuf here: size is all that can be said)\n");
		}
	}
	if (own)
		close(fd);
	env_free(&e);
	return 0;
}

struct progress_state {
	int on;
	struct timespec t0;
};

static int show_progress(uint64_t done, uint64_t total, void *arg)
{
	struct progress_state *ps = arg;
	char a[32], b[32];

	if (!ps->on)
		return 0;
	fprintf(stderr, "\r  %3d%%  %s of %s", (int)(done * 100 / total),
		hsize(done & ~0xfffffULL, a, sizeof(a)), hsize(total, b, sizeof(b)));
	if (done == total)
		fputc('\n', stderr);
	return 0;
}

static const struct option copy_opts[] = {
	{ "size", required_argument, NULL, 's' },
	{ "file-offset", required_argument, NULL, 'F' },
	{ "buf-offset", required_argument, NULL, 'B' },
	{ "verify", no_argument, NULL, 'v' },
	{ "no-bounce", no_argument, NULL, 'n' },
	{ "progress", no_argument, NULL, 'p' },
	{ "hold", no_argument, NULL, 'H' },
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 },
};

/* buffer side: "buf:PROVIDER" (new), "fd:N", "PID:FD"; 1 if it is one */
static int is_buf_spec(const char *s)
{
	const char *c = strchr(s, ':');

	if (!strncmp(s, "buf:", 4) || !strncmp(s, "fd:", 3))
		return 1;
	return c && c != s && strspn(s, "0123456789") == (size_t)(c - s) &&
	       c[1] && strspn(c + 1, "0123456789") == strlen(c + 1);
}

static uint64_t file_size(int fd)
{
	struct stat st;
	uint64_t sz = 0;

	if (fstat(fd, &st))
		return 0;
	if (S_ISBLK(st.st_mode) && !ioctl(fd, BLKGETSIZE64, &sz))
		return sz;
	return st.st_size;
}

static int cmd_copy(int argc, char **argv)
{
	uint64_t size = 0, foff = 0, boff = 0, mism = 0, moved;
	struct progress_state ps = { 0 };
	struct p2pbuf_copy_stats st;
	struct p2pbuf_buf b;
	struct env e;
	const char *fspec, *bspec;
	char how[96], s1[32];
	int o, dir, ffd, bfd, verify = 0, nob = 0, do_hold = 0, ret, own = 0;
	long pg = sysconf(_SC_PAGESIZE);

	optind = 0;
	while ((o = getopt_long(argc, argv, "s:F:B:vnpHj", copy_opts, NULL)) != -1) {
		switch (o) {
		case 's': size = parse_size(optarg); break;
		case 'F': foff = parse_size(optarg); break;
		case 'B': boff = parse_size(optarg); break;
		case 'v': verify = 1; break;
		case 'n': nob = 1; break;
		case 'p': ps.on = 1; break;
		case 'H': do_hold = 1; break;
		case 'j': opt_json = 1; break;
		default: die("usage: p2pbuf copy SRC DST [options]");
		}
	}
	if (argc - optind != 2)
		die("usage: p2pbuf copy SRC DST [--size N] [--file-offset N] [--buf-offset N] [--verify] [--no-bounce] [--progress] [--hold]\n"
		    "  one of SRC/DST is a file or block device, the other a buffer: buf:PROVIDER (new), fd:N, PID:FD");
	if (is_buf_spec(argv[optind + 1]) && !is_buf_spec(argv[optind])) {
		dir = P2PBUF_COPY_TO_BUF;
		fspec = argv[optind];
		bspec = argv[optind + 1];
	} else if (is_buf_spec(argv[optind]) && !is_buf_spec(argv[optind + 1])) {
		dir = P2PBUF_COPY_FROM_BUF;
		bspec = argv[optind];
		fspec = argv[optind + 1];
	} else {
		die("one side must be a buffer (buf:PROVIDER, fd:N, PID:FD), the other a file");
	}
	env_load(&e, 0);
	ffd = open(fspec, (dir == P2PBUF_COPY_TO_BUF ? O_RDONLY : O_RDWR | O_CREAT) |
		   O_CLOEXEC, 0644);
	if (ffd < 0)
		die("%s: %s", fspec, strerror(errno));
	if (!size) {
		uint64_t fsz = dir == P2PBUF_COPY_TO_BUF ? file_size(ffd) : 0;

		if (dir == P2PBUF_COPY_TO_BUF && foff >= fsz)
			die("%s: --file-offset %" PRIu64 " is at or past its end (%" PRIu64 " bytes)",
			    fspec, foff, fsz);
		size = fsz - foff;
		if (!size && strncmp(bspec, "buf:", 4))
			size = 0;	/* from the buffer: its size, below */
	}
	if (!strncmp(bspec, "buf:", 4)) {
		uint64_t asz = (boff + size + pg - 1) & ~(uint64_t)(pg - 1);
		uint32_t id;

		if (!size)
			die("--size is needed for a new buffer");
		id = resolve_provider(&e, bspec + 4, asz);
		bfd = p2pbuf_alloc(e.ctx, id, asz, P2PBUF_F_CLOEXEC | P2PBUF_F_RDWR, &b);
		if (bfd < 0)
			die("allocating %" PRIu64 " bytes on provider %u: %s",
			    asz, id, strerror(errno));
		snprintf(how, sizeof(how), "new buffer on provider %u (%s)",
			 id, provider_name(&e, id));
		own = 1;
	} else {
		bfd = grab_fd(!strncmp(bspec, "fd:", 3) ? bspec + 3 : bspec,
			      how, sizeof(how));
		if (bfd < 0)
			die("%s: %s", bspec, strerror(-bfd));
		own = strchr(bspec, ':') && strncmp(bspec, "fd:", 3);
	}
	ret = p2pbuf_query(e.ctx, bfd, &b);
	if (ret)
		die("%s: %s", how, strerror(-ret));
	if (!size)
		size = b.size - boff;
	if (boff > b.size || size > b.size - boff)
		die("%" PRIu64 " bytes at %#" PRIx64 " do not fit the %" PRIu64 "-byte buffer",
		    size, boff, b.size);
	if (!ps.on && isatty(2) && size >= (64 << 20))
		ps.on = 1;

	ret = p2pbuf_copy(ffd, foff, bfd, boff, size,
			  dir | (nob ? P2PBUF_COPY_NO_BOUNCE : 0), &st,
			  show_progress, &ps);
	if (ret && ret != -ENODATA && !(nob && st.first_refusal))
		die("copy: %s", strerror(-ret));
	/* what really moved: less than asked when the file ended first */
	moved = st.bytes_direct + st.bytes_bounced;

	if (verify && moved && (!ret || ret == -ENODATA)) {
		unsigned char *m, *f;
		int rfd = open(fspec, O_RDONLY | O_CLOEXEC);
		uint64_t i;

		m = mmap(NULL, boff + size, PROT_READ, MAP_SHARED, bfd, 0);
		f = malloc(moved);
		if (rfd < 0 || m == MAP_FAILED || !f ||
		    pread(rfd, f, moved, foff) != (ssize_t)moved)
			die("verify: cannot read back: %s", strerror(errno));
		for (i = 0; i < moved; i++)
			if (m[boff + i] != f[i])
				mism++;
		munmap(m, boff + size);
		free(f);
		close(rfd);
	}

	if (opt_json) {
		struct json j;

		j_init(&j, stdout);
		j_obj(&j, NULL);
		j_str(&j, "direction", dir == P2PBUF_COPY_TO_BUF ? "to-buffer" : "from-buffer");
		j_str(&j, "file", fspec);
		j_str(&j, "buffer", how);
		j_u64(&j, "bytes", moved);
		j_u64(&j, "bytes_requested", size);
		j_bool(&j, "file_ended", ret == -ENODATA);
		j_u64(&j, "bytes_device_to_device", st.bytes_direct);
		j_u64(&j, "bytes_bounced", st.bytes_bounced);
		j_u64(&j, "bounce_events", st.bounce_events);
		j_str(&j, "first_refusal", st.first_refusal ? strerror(st.first_refusal) : "");
		j_str(&j, "why", st.why);
		if (verify)
			j_bool(&j, "data_ok", !mism);
		else
			j_null(&j, "data_ok");
		j_bool(&j, "ok", !ret && !mism);
		j_end(&j, '}');
		j_done(&j);
	} else {
		printf("%s %s %s %s: %s\n",
		       ret && ret != -ENODATA ? "refused" : "copied",
		       hsize(moved, s1, sizeof(s1)),
		       dir == P2PBUF_COPY_TO_BUF ? "from" : "to", fspec, how);
		if (ret == -ENODATA)
			printf("  short:            the file ended after %" PRIu64
			       " of %" PRIu64 " bytes\n", moved, size);
		printf("  device to device: %" PRIu64 " bytes\n", st.bytes_direct);
		printf("  bounced:          %" PRIu64 " bytes through system memory\n",
		       st.bytes_bounced);
		if (st.first_refusal)
			printf("  direct path refused %" PRIu64 " time%s: %s (%s)%s\n",
			       st.bounce_events, st.bounce_events == 1 ? "" : "s",
			       strerror(st.first_refusal), st.why,
			       nob ? "; --no-bounce: stopped" : "");
		if (verify)
			printf("  data check:       %s\n", mism ? "MISMATCH" : "OK");
	}
	if (do_hold && !ret)
		hold();
	if (own)
		close(bfd);
	close(ffd);
	env_free(&e);
	return ret || mism ? 1 : 0;
}

/* ---- main ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: p2pbuf [--json] [--sysfs DIR] [--dev PATH] [--model] COMMAND [ARGS]\n"
		"  list                      providers registered with p2pbuf\n"
		"  topo                      P2P path kind of every provider x endpoint pair\n"
		"  check PROVIDER DEVICE     the path between two devices, why, and the fix\n"
		"  alloc PROVIDER SIZE [--fill BYTE] [--hold | -- CMD...]\n"
		"                            allocate a buffer (PROVIDER: id or PCI address)\n"
		"  copy SRC DST [--size N] [--verify] [--no-bounce] [--progress] [--hold]\n"
		"                            file/NVMe <-> buffer (buf:PROVIDER, fd:N, PID:FD)\n"
		"  info FD|fd:FD|PID:FD      what a dma-buf fd is\n"
		"  --model: no kernel verdicts, only the sysfs model (--sysfs DIR)\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "sysfs", required_argument, NULL, 's' },
		{ "dev", required_argument, NULL, 'd' },
		{ "model", no_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd;
	int o;

	while ((o = getopt_long(argc, argv, "+js:d:mh", opts, NULL)) != -1) {
		switch (o) {
		case 'j': opt_json = 1; break;
		case 's': opt_sysfs = optarg; break;
		case 'd': opt_dev = optarg; break;
		case 'm': opt_model = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 1;
	}
	cmd = argv[optind++];
	argc -= optind;
	argv += optind;
	/*
	 * --json may also follow the subcommand: taken here, for every
	 * subcommand, and removed, up to a "--" (alloc's CMD keeps its own).
	 */
	{
		int n = 0, i, dashdash = 0;

		for (i = 0; i < argc; i++) {
			if (!strcmp(argv[i], "--"))
				dashdash = 1;
			if (!dashdash && !strcmp(argv[i], "--json")) {
				opt_json = 1;
				continue;
			}
			argv[n++] = argv[i];
		}
		argv[n] = NULL;
		argc = n;
	}
	if (!strcmp(cmd, "list"))
		return cmd_list(argc, argv);
	if (!strcmp(cmd, "topo"))
		return cmd_topo(argc, argv);
	if (!strcmp(cmd, "check"))
		return cmd_check(argc, argv);
	if (!strcmp(cmd, "alloc"))
		return cmd_alloc(argc + 1, argv - 1);
	if (!strcmp(cmd, "copy"))
		return cmd_copy(argc + 1, argv - 1);
	if (!strcmp(cmd, "info"))
		return cmd_info(argc, argv);
	fprintf(stderr, "p2pbuf: unknown command '%s'\n", cmd);
	usage(stderr);
	return 1;
}
