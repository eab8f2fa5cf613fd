// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf topo: every provider (rows) x endpoint (columns) pair, each cell
 * the topology class as nvidia-smi topo -m defines it (PIX, PXB, PHB,
 * NODE, SYS) apart from the policy verdict (ok, no, ?), so a reader tells
 * "far" from "forbidden"; the matrix in blocks of columns that fit the
 * width; the devices with their PCI ID database names, NUMA node and link.
 * No fixed limit: a two-socket server's hundred endpoints all show.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "p2pbuf.h"

#define CELL_W		8	/* "PHB:no" and "PXB:?" fit, one blank between */
#define LABEL_W		9
#define DEFAULT_WIDTH	120

static const char *const legend[][2] = {
	{ "X", "the device itself" },
	{ "PIX", "through at most one PCIe switch (or bridge)" },
	{ "PXB", "through several PCIe switches or bridges, below the host bridge" },
	{ "PHB", "through a PCIe host bridge (the CPU's root complex)" },
	{ "NODE", "between host bridges of one NUMA node" },
	{ "SYS", "between NUMA nodes (the SMP interconnect)" },
	{ "ok", "the policy allows it (bus address or mapped through the host bridge)" },
	{ "no", "refused; `p2pbuf check PROVIDER DEVICE` says why and what would fix it" },
	{ "?", "unknown: the ACS state of a bridge on the path is unreadable (not root)" },
};

#define NLEGEND	(sizeof(legend) / sizeof(legend[0]))

/* per device, read from sysfs next to the model */
struct devinfo {
	int numa;		/* -1: unknown */
	char speed[24];		/* "16.0GT/s", "" when unknown */
	int width;		/* 0: unknown */
	char name[96];		/* from pci.ids, "" when unknown */
};

struct matrix {
	int *rows, *cols, nr, nc;
	struct devinfo *info;	/* per column */
	struct verdict *v;	/* nr x nc, row-major */
	const char *source;
	char why_model[200];
	int all, width;
};

static const struct option topo_opts[] = {
	{ "all", no_argument, NULL, 'a' },
	{ "width", required_argument, NULL, 'w' },
	{ NULL, 0, NULL, 0 },
};

static void topo_args(int argc, char **argv, const struct cmd *cmd,
		      struct matrix *m)
{
	char *end;
	long v;
	int o;

	optind = 0;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+aw:", topo_opts, NULL)) != -1) {
		switch (o) {
		case 'a':
			m->all = 1;
			break;
		case 'w':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || v < 40 || v > 100000)
				usage_error(cmd, "--width '%s': columns, 40 or more",
					    optarg);
			m->width = v;
			break;
		default:
			usage_error(cmd, "topo: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error(cmd, "topo: unexpected argument '%s'", argv[optind]);
}

static void read_attr(const char *dev, const char *attr, char *buf, size_t len)
{
	char path[4096];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/%s", opt_sysfs, dev,
		 attr);
	f = fopen(path, "re");
	if (!f)
		return;
	if (!fgets(buf, len, f))
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static void dev_info(const struct p2pbuf_topo_dev *d, const char *ids,
		     struct devinfo *di)
{
	char buf[64], *end;
	long v;

	read_attr(d->name, "numa_node", buf, sizeof(buf));
	v = strtol(buf, &end, 10);
	di->numa = buf[0] && !*end && v >= 0 ? (int)v : -1;
	/* "16.0 GT/s PCIe" -> "16.0GT/s"; "Unknown" stays unknown */
	read_attr(d->name, "current_link_speed", buf, sizeof(buf));
	di->speed[0] = '\0';
	if (buf[0] >= '0' && buf[0] <= '9') {
		size_t n = strspn(buf, "0123456789.");

		snprintf(di->speed, sizeof(di->speed), "%.*sGT/s", (int)n, buf);
	}
	read_attr(d->name, "current_link_width", buf, sizeof(buf));
	v = strtol(buf, &end, 10);
	di->width = buf[0] && !*end && v > 0 && v <= 32 ? (int)v : 0;
	pci_ids_name(ids, d->vendor_device, di->name, sizeof(di->name));
}

/* steps from idx up to its ancestor anc */
static int steps_to(const struct env *e, int idx, int anc)
{
	int n = 0;

	while (idx >= 0 && idx != anc) {
		idx = p2pbuf_topo_dev(e->topo, idx)->parent;
		n++;
	}
	return n;
}

static int root_bus(const struct env *e, int idx)
{
	const struct p2pbuf_topo_dev *d = p2pbuf_topo_dev(e->topo, idx);

	while (d->parent >= 0)
		d = p2pbuf_topo_dev(e->topo, d->parent);
	return d->bdf >> 8;	/* domain and bus */
}

/*
 * nvidia-smi topo -m's classes, from the tree alone (not the policy):
 * PIX at most one switch, PXB several below one root port, PHB through the
 * host bridge, NODE between host bridges of a NUMA node, SYS across nodes.
 */
static const char *topo_class(const struct env *e, int a, int b, int numa_a,
		       int numa_b, const struct p2pbuf_topo_path *p)
{
	if (a == b)
		return "X";
	if (p->common >= 0) {
		const struct p2pbuf_topo_dev *c = p2pbuf_topo_dev(e->topo, p->common);
		int sa = steps_to(e, a, p->common), sb = steps_to(e, b, p->common);
		int lim = strcmp(c->kind, "root-port") ? 2 : 1;

		return sa <= lim && sb <= lim ? "PIX" : "PXB";
	}
	if (root_bus(e, a) == root_bus(e, b))
		return "PHB";
	return numa_a >= 0 && numa_b >= 0 && numa_a != numa_b ? "SYS" : "NODE";
}

/* the verdict's mark in a cell */
static const char *mark(const struct verdict *v)
{
	return v->answer == ANSWER_ALLOWED ? "ok" :
	       v->answer == ANSWER_REFUSED ? "no" : "?";
}

/* a device the default view shows: GPU, NIC, NVMe, accelerator */
static int interesting(const struct p2pbuf_topo_dev *d)
{
	uint32_t cls = d->class_code >> 8;

	return cls >> 8 == 0x03 || cls >> 8 == 0x02 || cls == 0x0108 ||
	       cls >> 8 == 0x12 || cls == 0x0b40;
}

static struct verdict *at(const struct matrix *m, int r, int c)
{
	return &m->v[(size_t)r * m->nc + c];
}

static int col_of(const struct matrix *m, int dev)
{
	int k;

	for (k = 0; k < m->nc; k++)
		if (m->cols[k] == dev)
			return k;
	return -1;
}

static void topo_json(const struct env *e, const struct matrix *m)
{
	struct json j;
	char desc[160];
	size_t i;
	int r, k;

	j_start(&j);
	j_str(&j, "source", m->source);
	if (strcmp(m->source, "kernel"))
		j_str(&j, "kernel_not_asked", m->why_model);
	else
		j_null(&j, "kernel_not_asked");
	j_bool(&j, "iommu", p2pbuf_topo_iommu(e->topo));
	j_bool(&j, "all_endpoints", m->all);
	j_arr(&j, "devices");
	for (k = 0; k < m->nc; k++) {
		const struct p2pbuf_topo_dev *d = p2pbuf_topo_dev(e->topo, m->cols[k]);
		const struct devinfo *di = &m->info[k];
		int hb = p2pbuf_topo_host_bridge(e->topo, m->cols[k]);

		j_obj(&j, NULL);
		j_str(&j, "device", d->name);
		j_id(&j, "vendor_device", d->vendor_device);
		if (di->name[0])
			j_str(&j, "name", di->name);
		else
			j_null(&j, "name");
		j_str(&j, "kind", d->kind);
		j_str(&j, "driver", d->driver);
		j_str(&j, "host_bridge", hb >= 0 ?
		      p2pbuf_topo_dev(e->topo, hb)->name : "");
		j_i64(&j, "numa_node", di->numa);
		if (di->speed[0])
			j_str(&j, "link_speed", di->speed);
		else
			j_null(&j, "link_speed");
		j_i64(&j, "link_width", di->width);
		if (is_provider(e, m->cols[k])) {
			provider_desc(e, m->cols[k], desc, sizeof(desc));
			j_str(&j, "provider", desc);
		} else {
			j_null(&j, "provider");
		}
		j_end(&j, '}');
	}
	j_end(&j, ']');
	j_arr(&j, "matrix");
	for (r = 0; r < m->nr; r++) {
		int pc = col_of(m, m->rows[r]);

		for (k = 0; k < m->nc; k++) {
			const struct verdict *v = at(m, r, k);

			if (m->rows[r] == m->cols[k])
				continue;
			j_obj(&j, NULL);
			j_str(&j, "provider",
			      p2pbuf_topo_dev(e->topo, m->rows[r])->name);
			j_str(&j, "client",
			      p2pbuf_topo_dev(e->topo, m->cols[k])->name);
			j_str(&j, "class", topo_class(e, m->rows[r], m->cols[k],
						      m->info[pc].numa,
						      m->info[k].numa, &v->path));
			j_verdict(&j, v, cell(v));
			j_str(&j, "why", v->why);
			j_end(&j, '}');
		}
	}
	j_end(&j, ']');
	j_obj(&j, "legend");
	for (i = 0; i < NLEGEND; i++)
		j_str(&j, legend[i][0], legend[i][1]);
	j_end(&j, '}');
	j_end(&j, '}');
	j_done(&j);
}

static void topo_plain(const struct env *e, const struct matrix *m)
{
	int r, k, k0, per;
	size_t i;

	printf("P2P paths: %d provider%s (rows) x %d %s (columns)\n",
	       m->nr, m->nr == 1 ? "" : "s", m->nc, m->all ? "PCI endpoints" :
	       "providers, GPUs, NICs, NVMe, accelerators; --all: every endpoint");
	printf("verdicts from: %s\n", !strcmp(m->source, "kernel") ?
	       "the kernel (P2PBUF_IOC_PATH)" : m->why_model);
	per = (m->width - LABEL_W) / (CELL_W + 1);
	if (per < 1)
		per = 1;
	for (k0 = 0; k0 < m->nc || k0 == 0; k0 += per) {
		int k1 = k0 + per < m->nc ? k0 + per : m->nc;

		printf("\n%-*s", LABEL_W, "");
		for (k = k0; k < k1; k++)
			printf(" %-*s", k + 1 < k1 ? CELL_W : 0,
			       short_bdf(p2pbuf_topo_dev(e->topo, m->cols[k])->name));
		printf("\n");
		for (r = 0; r < m->nr; r++) {
			int pc = col_of(m, m->rows[r]);

			printf("%-*s", LABEL_W,
			       short_bdf(p2pbuf_topo_dev(e->topo, m->rows[r])->name));
			for (k = k0; k < k1; k++) {
				const struct verdict *v = at(m, r, k);
				char c[16];

				if (m->rows[r] == m->cols[k])
					snprintf(c, sizeof(c), "X");
				else
					snprintf(c, sizeof(c), "%s:%s",
						 topo_class(e, m->rows[r], m->cols[k],
							    m->info[pc].numa,
							    m->info[k].numa, &v->path),
						 mark(v));
				printf(" %-*s", k + 1 < k1 ? CELL_W : 0, c);
			}
			printf("\n");
		}
		if (!m->nc)
			break;
	}
	printf("\nDevices:\n");
	for (k = 0; k < m->nc; k++) {
		const struct p2pbuf_topo_dev *d = p2pbuf_topo_dev(e->topo, m->cols[k]);
		const struct devinfo *di = &m->info[k];
		char desc[160], numa[16], link[32], line[512];
		size_t l;

		snprintf(numa, sizeof(numa), di->numa >= 0 ? "node %d" : "node -",
			 di->numa);
		if (di->speed[0] && di->width)
			snprintf(link, sizeof(link), "%s x%d", di->speed, di->width);
		else
			snprintf(link, sizeof(link), "link -");
		provider_desc(e, m->cols[k], desc, sizeof(desc));
		snprintf(line, sizeof(line), "  %s  [" ID_FMT "]  %-8s %-20s %-7s %s",
			 d->name, ID_ARG(d->vendor_device), d->kind,
			 d->driver[0] ? d->driver : "-", numa, link);
		for (l = strlen(line); l && line[l - 1] == ' '; l--)
			line[l - 1] = '\0';
		printf("%s\n", line);
		if (di->name[0])
			printf("      %.*s\n", m->width > 6 ? m->width - 6 : 1, di->name);
		if (desc[0])
			printf("      provider: %s\n", desc);
	}
	printf("\nLegend (cell = class:verdict):\n");
	for (i = 0; i < NLEGEND; i++)
		printf("  %-4s = %s\n", legend[i][0], legend[i][1]);
	printf("\nIOMMU: %s\n", p2pbuf_topo_iommu(e->topo) ? "on" : "off");
}

static int terminal_width(void)
{
	struct winsize ws;

	if (isatty(STDOUT_FILENO) && !ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) &&
	    ws.ws_col >= 40)
		return ws.ws_col;
	return DEFAULT_WIDTH;
}

int cmd_topo(int argc, char **argv, const struct cmd *cmd)
{
	struct matrix m = { 0 };
	struct env e;
	char *ids;
	int i, n, r, k, kernel = 0, model = 0;

	topo_args(argc, argv, cmd, &m);
	if (!m.width)
		m.width = terminal_width();
	env_load(&e, 1);
	n = p2pbuf_topo_num_devs(e.topo);
	m.rows = calloc(n ? n : 1, sizeof(*m.rows));
	m.cols = calloc(n ? n : 1, sizeof(*m.cols));
	m.info = calloc(n ? n : 1, sizeof(*m.info));
	if (!m.rows || !m.cols || !m.info)
		die("out of memory");
	ids = pci_ids_load();
	for (i = 0; i < n; i++) {
		const struct p2pbuf_topo_dev *d = p2pbuf_topo_dev(e.topo, i);
		int prov = is_provider(&e, i);

		if (!(d->roles & P2PBUF_DEV_ENDPOINT) && !kprov_of(&e, d->bdf))
			continue;
		if (!m.all && !prov && !interesting(d) && !kprov_of(&e, d->bdf))
			continue;
		dev_info(d, ids, &m.info[m.nc]);
		m.cols[m.nc++] = i;
		if (prov)
			m.rows[m.nr++] = i;
	}
	free(ids);
	m.v = calloc((size_t)(m.nr ? m.nr : 1) * (m.nc ? m.nc : 1), sizeof(*m.v));
	if (!m.v)
		die("out of memory");
	m.source = "model";
	snprintf(m.why_model, sizeof(m.why_model), "the model");
	for (r = 0; r < m.nr; r++)
		for (k = 0; k < m.nc; k++) {
			struct verdict *v = at(&m, r, k);

			if (m.rows[r] == m.cols[k])
				continue;
			get_verdict(&e, m.rows[r], m.cols[k], v);
			if (!strcmp(v->source, "kernel")) {
				kernel++;
			} else {
				if (!model++)
					snprintf(m.why_model, sizeof(m.why_model),
						 "%s", verdict_source_str(v));
			}
		}
	if (kernel && !model)
		m.source = "kernel";
	else if (kernel)
		m.source = "mixed";
	if (kernel && model)
		snprintf(m.why_model, sizeof(m.why_model),
			 "the kernel (P2PBUF_IOC_PATH) for %d pairs, the model for %d",
			 kernel, model);
	if (opt_json)
		topo_json(&e, &m);
	else
		topo_plain(&e, &m);
	free(m.v);
	free(m.info);
	free(m.cols);
	free(m.rows);
	env_free(&e);
	return 0;
}
