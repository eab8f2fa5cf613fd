// SPDX-License-Identifier: GPL-2.0
/*
 * Verdicts on a P2P path: the kernel's (P2PBUF_IOC_PATH) when the module has
 * a provider on the device, else the sysfs model's, put in the module's
 * words; the matrix cell, the names and the verdict line, and the fix.
 */
#include <stdio.h>
#include <string.h>

#include "p2pbuf.h"

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

/* the verdict on provider p serving client c (indices in e->topo) */
void get_verdict(const struct env *e, int p, int c, struct verdict *v)
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

/* the matrix cell: PIX, PXB, PHB or NO */
const char *cell(const struct verdict *v)
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

int verdict_refused(const struct verdict *v)
{
	return v->map_type == P2PBUF_MAP_NOT_SUPPORTED;
}

/* "ALLOWED" or "REFUSED" */
const char *verdict_word(const struct verdict *v)
{
	return verdict_refused(v) ? "REFUSED" : "ALLOWED";
}

/* the reason's name when refused, else the map type's */
const char *verdict_name(const struct verdict *v)
{
	return verdict_refused(v) ? p2pbuf_reason_str(v->reason) :
	       p2pbuf_map_type_str(v->map_type);
}

/* where the verdicts come from, for the "verdicts from:" line */
const char *verdict_source_str(const char *source)
{
	return !strcmp(source, "kernel") ? "the kernel (P2PBUF_IOC_PATH)" :
	       "the sysfs model";
}

/* what would make a refused path work, or "" */
void fix_text(const struct env *e, const struct verdict *v,
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
		if (v->path.common >= 0) {
			snprintf(buf, len,
				 "boot with pci=disable_acs_redir=%s, or clear ReqRedir/CmpltRedir/EgressCtrl now: setpci -s %s ECAP_ACS+6.w=0000:002c (this gives up the isolation ACS provides), or allow the host bridge in /sys/module/p2pbuf/parameters/allow_bridges",
				 bdfstr(v->via, b), b);
		} else {
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

/* path, map_type, reason, distance, via: the members topo and check share */
void j_verdict(struct json *j, const struct verdict *v, const char *path)
{
	char via[16];

	j_str(j, "path", path);
	j_str(j, "map_type", p2pbuf_map_type_str(v->map_type));
	j_str(j, "reason", p2pbuf_reason_str(v->reason));
	j_i64(j, "distance", v->distance);
	if (v->via == P2PBUF_BDF_NONE)
		j_null(j, "via");
	else
		j_str(j, "via", bdfstr(v->via, via));
}
