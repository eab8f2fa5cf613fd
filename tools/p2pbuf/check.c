// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf check PROVIDER DEVICE: the path between two devices hop by hop,
 * the verdict (allowed, refused, or unknown with what could not be read
 * and what would settle it), who answered, why, and what would fix a
 * refusal; where the kernel answered and an allow rule covers one
 * direction only, each direction's own answer. Exit status 0, 2 (refused)
 * or 3 (unknown).
 */
#include <stdio.h>
#include <string.h>

#include "p2pbuf.h"

struct check {
	const struct p2pbuf_topo_dev *pd, *cd, *hbd;
	struct verdict v;
	struct verdict rd, wr;	/* the kernel's per direction, when has_dirs */
	int has_dirs;
	char fix[1024], desc[160];
	int p, c, crosses_hb, swapped;
};

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

/* one direction's answer from the kernel: answer, reason, why */
static void j_dir(struct json *j, const char *key, const struct verdict *v)
{
	j_obj(j, key);
	j_str(j, "answer", verdict_code(v));
	j_str(j, "reason", reason_code(v->reason));
	j_str(j, "why", v->why);
	j_end(j, '}');
}

static void check_json(const struct env *e, const struct check *ck)
{
	const struct verdict *v = &ck->v;
	struct json j;
	int i;

	j_start(&j);
	j_str(&j, "provider", ck->pd->name);
	j_str(&j, "client", ck->cd->name);
	j_bool(&j, "provider_registered", is_provider(e, ck->p));
	j_bool(&j, "swapped", ck->swapped);
	j_bool(&j, "allowed", v->answer == ANSWER_ALLOWED);
	j_verdict(&j, v, ck->p == ck->c ? "X" : cell(v));
	if (strcmp(v->source, "kernel"))
		j_str(&j, "kernel_not_asked", v->why_model);
	else
		j_null(&j, "kernel_not_asked");
	j_bool(&j, "crosses_host_bridge", ck->crosses_hb);
	j_str(&j, "host_bridge", ck->hbd ? ck->hbd->name : "");
	j_str(&j, "why", v->why);
	j_str(&j, "fix", ck->fix);
	j_bool(&j, "iommu", p2pbuf_topo_iommu(e->topo));
	if (ck->has_dirs) {
		j_obj(&j, "directions");
		j_dir(&j, "read", &ck->rd);
		j_dir(&j, "write", &ck->wr);
		j_end(&j, '}');
	} else {
		j_null(&j, "directions");
	}
	j_arr(&j, "hops");
	for (i = 0; i < v->path.nhops; i++) {
		int h = v->path.hops[i];
		const struct p2pbuf_topo_dev *d = p2pbuf_topo_dev(e->topo, h);

		j_obj(&j, NULL);
		j_str(&j, "device", d->name);
		j_id(&j, "vendor_device", d->vendor_device);
		j_str(&j, "kind", d->kind);
		j_str(&j, "role", h == ck->p ? "provider" :
		      h == ck->c ? "client" :
		      h == v->path.common ? "common" :
		      d->roles & P2PBUF_DEV_HOST_BRIDGE ? "host-bridge" :
		      "bridge");
		if (d->acs_redir < 0)
			j_null(&j, "acs_ctrl");
		else
			j_i64(&j, "acs_ctrl", d->has_acs_cap ? (int64_t)d->acs_ctrl : -1);
		j_end(&j, '}');
	}
	j_end(&j, ']');
	j_end(&j, '}');
	j_done(&j);
}

static void check_plain(const struct env *e, const struct check *ck)
{
	const struct verdict *v = &ck->v;
	char acs[96];
	int i;

	printf("provider %s (%s, %s)%s\n", ck->pd->name, ck->pd->kind,
	       ck->desc[0] ? ck->desc : "not a registered provider", ck->swapped ?
	       "  [arguments swapped: the provider goes first]" : "");
	printf("client   %s (%s%s%s)\n", ck->cd->name, ck->cd->kind,
	       ck->cd->driver[0] ? ", " : "", ck->cd->driver);
	printf("verdict  %s: %s\n", verdict_word(v), verdict_name(v));
	if (v->answer == ANSWER_UNKNOWN) {
		printf("unknown  %s\n", v->unknown);
		printf("settle   %s\n", v->settle);
	}
	printf("verdicts from: %s\n", verdict_source_str(v));
	/* an allow rule for one direction only: each says its own */
	if (ck->has_dirs && (ck->rd.answer != ck->wr.answer ||
			     ck->rd.reason != ck->wr.reason)) {
		printf("direction %s reads %s's memory: %s: %s\n", ck->cd->name,
		       ck->pd->name, verdict_word(&ck->rd), ck->rd.why);
		printf("direction %s writes %s's memory: %s: %s\n", ck->cd->name,
		       ck->pd->name, verdict_word(&ck->wr), ck->wr.why);
	}
	if (v->reason == P2PBUF_REASON_NO_COMMON_ROOT)
		printf("path (none: the devices are in different PCI domains):\n");
	else
		printf("path (%d hops up and down, %s):\n",
		       v->path.distance >= 0 ? v->path.distance : v->path.nhops - 1,
		       ck->crosses_hb ? "no common switch: through the host bridge" :
		       "below a common switch");
	for (i = 0; i < v->path.nhops; i++) {
		int h = v->path.hops[i];
		const struct p2pbuf_topo_dev *d = p2pbuf_topo_dev(e->topo, h);
		const char *note = "";

		if (h == ck->p)
			note = "provider";
		else if (h == ck->c)
			note = "client";
		if (d->roles & P2PBUF_DEV_HOST_BRIDGE)
			snprintf(acs, sizeof(acs), "host bridge");
		else if (d->roles & P2PBUF_DEV_BRIDGE)
			acs_text(d, acs, sizeof(acs));
		else
			snprintf(acs, sizeof(acs), "%s", note);
		printf("  %s  [" ID_FMT "]  %-12s %s%s\n", d->name,
		       ID_ARG(d->vendor_device), d->kind, acs,
		       v->via == d->bdf ? "   <- decides" :
		       h == v->path.common ? "   <- common upstream bridge" : "");
	}
	if (ck->crosses_hb && ck->hbd && v->reason != P2PBUF_REASON_NO_COMMON_ROOT)
		printf("crosses host bridge %s [" ID_FMT "]\n", ck->hbd->name,
		       ID_ARG(ck->hbd->vendor_device));
	printf("why      %s\n", v->why);
	if (ck->fix[0])
		printf("fix      %s\n", ck->fix);
	if (p2pbuf_topo_iommu(e->topo) && v->map_type == P2PBUF_MAP_BUS_ADDR &&
	    v->path.common >= 0)
		printf("note     the IOMMU is on, but this traffic turns around in %s without ACS redirect and never reaches it: the IOMMU does not isolate these two devices from each other\n",
		       p2pbuf_topo_dev(e->topo, v->path.common)->name);
}

int cmd_check(int argc, char **argv, const struct cmd *cmd)
{
	struct check ck = { 0 };
	struct env e;
	int hb, ret;

	plain_args(argc, argv, cmd, 3);
	env_load(&e, 1);
	ck.p = find_dev(&e, argv[1]);
	ck.c = find_dev(&e, argv[2]);
	if (!is_provider(&e, ck.p) && is_provider(&e, ck.c)) {
		int t = ck.p;

		ck.p = ck.c;
		ck.c = t;
		ck.swapped = 1;
	}
	ck.pd = p2pbuf_topo_dev(e.topo, ck.p);
	ck.cd = p2pbuf_topo_dev(e.topo, ck.c);
	get_verdict(&e, ck.p, ck.c, &ck.v);
	if (!strcmp(ck.v.source, "kernel"))
		ck.has_dirs = !get_directions(&e, ck.p, ck.c, &ck.rd, &ck.wr);
	fix_text(&e, &ck.v, ck.fix, sizeof(ck.fix));
	provider_desc(&e, ck.p, ck.desc, sizeof(ck.desc));
	hb = p2pbuf_topo_host_bridge(e.topo, ck.p);
	if (hb >= 0)
		ck.hbd = p2pbuf_topo_dev(e.topo, hb);
	ck.crosses_hb = ck.v.path.common < 0;

	if (opt_json)
		check_json(&e, &ck);
	else
		check_plain(&e, &ck);
	ret = verdict_exit(&ck.v);
	env_free(&e);
	return ret;
}
