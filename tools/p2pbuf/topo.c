// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf topo: the P2P path kind of every provider (rows) x PCI endpoint
 * (columns) pair, in nvidia-smi topo -m's terms (PIX, PXB, PHB), with the
 * devices and a legend.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p2pbuf.h"

#define TOPO_MAX	64

static const char *const legend[][2] = {
	{ "X", "the device itself" },
	{ "PIX", "PCI bus address through one PCIe switch, no ACS redirect" },
	{ "PXB", "PCI bus address through several PCIe switches or bridges" },
	{ "PHB", "through the host bridge, allowed by policy, DMA-API (IOMMU) mapped" },
	{ "NO", "refused; `p2pbuf check PROVIDER DEVICE` says why and what would fix it" },
};

struct matrix {
	int rows[TOPO_MAX], cols[TOPO_MAX], nr, nc;
	const char *source;
	char why_model[200];
	int all, width;
};

static void topo_json(const struct env *e, const struct matrix *m)
{
	struct json j;
	char desc[160];
	int i, k;

	j_start(&j);
	j_str(&j, "source", m->source);
	j_bool(&j, "iommu", p2pbuf_topo_iommu(e->topo));
	j_arr(&j, "devices");
	for (k = 0; k < m->nc; k++) {
		const struct p2pbuf_topo_dev *d = p2pbuf_topo_dev(e->topo, m->cols[k]);
		int hb = p2pbuf_topo_host_bridge(e->topo, m->cols[k]);

		j_obj(&j, NULL);
		j_str(&j, "device", d->name);
		j_id(&j, "vendor_device", d->vendor_device);
		j_str(&j, "kind", d->kind);
		j_str(&j, "driver", d->driver);
		j_str(&j, "host_bridge", hb >= 0 ?
		      p2pbuf_topo_dev(e->topo, hb)->name : "");
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
	for (i = 0; i < m->nr; i++) {
		for (k = 0; k < m->nc; k++) {
			struct verdict v;

			if (m->rows[i] == m->cols[k])
				continue;
			get_verdict(e, m->rows[i], m->cols[k], &v);
			j_obj(&j, NULL);
			j_str(&j, "provider",
			      p2pbuf_topo_dev(e->topo, m->rows[i])->name);
			j_str(&j, "client",
			      p2pbuf_topo_dev(e->topo, m->cols[k])->name);
			j_verdict(&j, &v, cell(&v));
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
}

static void topo_plain(const struct env *e, const struct matrix *m)
{
	int i, k, kernel = !strcmp(m->source, "kernel");

	printf("P2P paths: %d provider%s (rows) x %d PCI endpoints (columns)\n",
	       m->nr, m->nr == 1 ? "" : "s", m->nc);
	printf("verdicts from: %s\n\n", kernel ? "the kernel (P2PBUF_IOC_PATH)" :
	       m->why_model);
	printf("%-9s", "");
	for (k = 0; k < m->nc; k++)
		printf(k + 1 < m->nc ? " %-8s" : " %s",
		       short_bdf(p2pbuf_topo_dev(e->topo, m->cols[k])->name));
	printf("\n");
	for (i = 0; i < m->nr; i++) {
		printf("%-9s", short_bdf(p2pbuf_topo_dev(e->topo, m->rows[i])->name));
		for (k = 0; k < m->nc; k++) {
			const char *fmt = k + 1 < m->nc ? " %-8s" : " %s";
			struct verdict v;

			if (m->rows[i] == m->cols[k]) {
				printf(fmt, "X");
				continue;
			}
			get_verdict(e, m->rows[i], m->cols[k], &v);
			printf(fmt, cell(&v));
		}
		printf("\n");
	}
	printf("\nDevices:\n");
	for (k = 0; k < m->nc; k++) {
		const struct p2pbuf_topo_dev *d = p2pbuf_topo_dev(e->topo, m->cols[k]);
		char desc[160];

		provider_desc(e, m->cols[k], desc, sizeof(desc));
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
	printf("\nIOMMU: %s\n", p2pbuf_topo_iommu(e->topo) ? "on" : "off");
}

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

int cmd_topo(int argc, char **argv, const struct cmd *cmd)
{
	struct matrix m = { 0 };
	struct env e;
	int i, n;

	topo_args(argc, argv, cmd, &m);
	env_load(&e, 1);
	n = p2pbuf_topo_num_devs(e.topo);
	for (i = 0; i < n; i++) {
		const struct p2pbuf_topo_dev *d = p2pbuf_topo_dev(e.topo, i);

		if (!(d->roles & P2PBUF_DEV_ENDPOINT) && !kprov_of(&e, d->bdf))
			continue;
		if (m.nc < TOPO_MAX)
			m.cols[m.nc++] = i;
		if (is_provider(&e, i) && m.nr < TOPO_MAX)
			m.rows[m.nr++] = i;
	}
	m.source = "model";
	snprintf(m.why_model, sizeof(m.why_model), "the model");
	for (i = 0; i < m.nr; i++) {
		struct verdict v;

		get_verdict(&e, m.rows[i], m.cols[m.rows[i] == m.cols[0]], &v);
		m.source = v.source;
		snprintf(m.why_model, sizeof(m.why_model), "%s",
			 verdict_source_str(&v));
		break;
	}
	if (opt_json)
		topo_json(&e, &m);
	else
		topo_plain(&e, &m);
	env_free(&e);
	return 0;
}
