// SPDX-License-Identifier: GPL-2.0
/*
 * Verdicts on a P2P path: the kernel's (P2PBUF_IOC_PATH) whenever the module
 * is loaded and /dev/p2pbuf opens, read-only will do, for any two PCI
 * devices; else the sysfs model's, put in the module's words; one of three answers (allowed, refused, unknown: the model could
 * not read what decides), who gave it, the matrix cell, the fix.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "p2pbuf.h"

/* directions the policy's allow rule for host bridge @id grants, as words */
static const char *model_dirs(const struct env *e, uint32_t id)
{
	static const char *const names[] = { "none", "r", "w", "rw" };
	struct p2pbuf_policy pol;
	int i;

	if (p2pbuf_topo_get_policy(e->topo, &pol))
		return "rw";
	for (i = 0; i < pol.nallow && i < 16; i++)
		if (pol.allow[i].id == id)
			return names[pol.allow[i].dirs & 3];
	return "rw";	/* the P2PDMA core's whitelist: both */
}

/* the model's verdict in the module's words (p2pbuf_reason_format()) */
static void model_why(const struct env *e, const struct verdict *v, char *buf,
		      size_t len)
{
	switch (v->reason) {
	case P2PBUF_REASON_OK:
		if (v->map_type == P2PBUF_MAP_BUS_ADDR)
			snprintf(buf, len, "common switch, no ACS redirect: PCI bus addresses");
		else
			snprintf(buf, len, "through host bridge " BDF_FMT " (" ID_FMT "), allowed (%s)",
				 BDF_ARG(v->via), ID_ARG(v->via_id),
				 model_dirs(e, v->via_id));
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

/* why the model answers and not the kernel */
static void model_because(const struct env *e, const struct p2pbuf_topo_dev *pd,
			  int kp, int err, char *buf, size_t len)
{
	/* a module from before P2PBUF_PATH_BY_BDF: EINVAL for the flag */
	int old_module = err == EINVAL;

	if (opt_model)
		snprintf(buf, len, "--model");
	else if (!e->ctx && e->ctx_errno == EACCES)
		snprintf(buf, len, "%s: permission denied",
			 opt_dev ? opt_dev : P2PBUF_DEFAULT_DEV);
	else if (!e->ctx && e->ctx_errno == ENOENT)
		snprintf(buf, len, "no %s: the p2pbuf module is not loaded",
			 opt_dev ? opt_dev : P2PBUF_DEFAULT_DEV);
	else if (!e->ctx)
		snprintf(buf, len, "%s: %s", opt_dev ? opt_dev : P2PBUF_DEFAULT_DEV,
			 strerror(e->ctx_errno));
	else if (err == ENOTTY)
		snprintf(buf, len, "%s answers no P2PBUF_IOC_PATH (not p2pbuf's device, or a module too old)",
			 opt_dev ? opt_dev : P2PBUF_DEFAULT_DEV);
	else if (!kp && old_module)
		snprintf(buf, len, "%s is no provider of the loaded module, which predates P2PBUF_PATH_BY_BDF and answers only for its providers",
			 pd->name);
	else
		snprintf(buf, len, "P2PBUF_IOC_PATH failed: %s", strerror(err));
}

/* the first bridge on the path whose ACS state could not be read, or -1 */
static int acs_unknown_hop(const struct env *e, const struct verdict *v)
{
	int i;

	for (i = 0; i < v->path.nhops; i++) {
		const struct p2pbuf_topo_dev *d =
			p2pbuf_topo_dev(e->topo, v->path.hops[i]);

		if ((d->roles & P2PBUF_DEV_BRIDGE) && d->acs_redir < 0)
			return v->path.hops[i];
	}
	return -1;
}

/* an unknown answer: what could not be read and what would settle it */
static void unknown_text(const struct env *e, const struct p2pbuf_topo_dev *pd,
			 const struct p2pbuf_topo_dev *cd, struct verdict *v)
{
	int h = v->path.via >= 0 ? v->path.via : acs_unknown_hop(e, v);
	const struct p2pbuf_topo_dev *d = h >= 0 ? p2pbuf_topo_dev(e->topo, h) : NULL;
	size_t n;

	v->answer = ANSWER_UNKNOWN;
	snprintf(v->unknown, sizeof(v->unknown),
		 "the ACS control of %s%s%s%s: its config space past 64 bytes, which sysfs shows to root only",
		 d ? d->name : "a bridge on the path", d ? " (" : "",
		 d ? d->kind : "", d ? ")" : "");
	n = snprintf(v->settle, sizeof(v->settle),
		     "run as root (sudo p2pbuf check %s %s)", pd->name, cd->name);
	if (n >= sizeof(v->settle))
		return;
	snprintf(v->settle + n, sizeof(v->settle) - n,
		 ", or load the p2pbuf module: the kernel reads ACS itself and answers any user who can open %s read-only",
		 P2PBUF_DEFAULT_DEV);
}

/* the kernel's answer in @pi, into @v */
static void kernel_verdict(const struct p2pbuf_path_info *pi, struct verdict *v)
{
	v->map_type = pi->map_type;
	v->reason = pi->reason;
	v->distance = pi->distance;
	v->via = pi->via;
	v->via_id = pi->via_id;
	v->answer = pi->map_type == P2PBUF_MAP_NOT_SUPPORTED ?
		    ANSWER_REFUSED : ANSWER_ALLOWED;
	snprintf(v->why, sizeof(v->why), "%s", pi->reason_str);
	v->source = "kernel";
}

/*
 * Ask the kernel about devices p (whose memory) and c (the client): any
 * pair by address; a module from before P2PBUF_PATH_BY_BDF only by
 * provider id. 0 or a positive errno.
 */
static int kernel_path(const struct env *e, const struct p2pbuf_topo_dev *pd,
		       const struct p2pbuf_topo_dev *cd,
		       const struct p2pbuf_provider *kp, uint32_t dirs,
		       struct p2pbuf_path_info *pi)
{
	int err;

	err = -p2pbuf_path_bdf(e->ctx, pd->bdf, cd->bdf, dirs, pi);
	if ((err == EINVAL || err == ENOTTY) && kp && !dirs)
		err = -p2pbuf_path(e->ctx, kp->id, cd->bdf, pi);
	return err;
}

/*
 * The kernel's answer for each direction on its own (the client reads the
 * memory, the client writes it): they differ where an allow rule covers one
 * direction only. 0 when the kernel gave both, else a positive errno.
 */
int get_directions(const struct env *e, int p, int c,
		   struct verdict *rd, struct verdict *wr)
{
	const struct p2pbuf_topo_dev *pd = p2pbuf_topo_dev(e->topo, p);
	const struct p2pbuf_topo_dev *cd = p2pbuf_topo_dev(e->topo, c);
	struct p2pbuf_path_info pi;
	int err;

	if (!e->ctx || opt_model)
		return ENODEV;
	memset(rd, 0, sizeof(*rd));
	memset(wr, 0, sizeof(*wr));
	err = kernel_path(e, pd, cd, NULL, P2PBUF_PATH_F_READ, &pi);
	if (err)
		return err;
	kernel_verdict(&pi, rd);
	err = kernel_path(e, pd, cd, NULL, P2PBUF_PATH_F_WRITE, &pi);
	if (err)
		return err;
	kernel_verdict(&pi, wr);
	return 0;
}

/*
 * The verdict on provider p serving client c (indices in e->topo): the
 * kernel's whenever it can be asked, for any two devices, else the
 * model's. The model never says allowed where it could not read the ACS
 * state of a bridge between the two: that is UNKNOWN.
 */
void get_verdict(const struct env *e, int p, int c, struct verdict *v)
{
	const struct p2pbuf_topo_dev *pd = p2pbuf_topo_dev(e->topo, p);
	const struct p2pbuf_topo_dev *cd = p2pbuf_topo_dev(e->topo, c);
	const struct p2pbuf_provider *kp = kprov_of(e, pd->bdf);
	struct p2pbuf_path_info pi;
	int err = 0;

	memset(v, 0, sizeof(*v));
	p2pbuf_topo_path(e->topo, p, c, NULL, &v->path);
	if (e->ctx) {
		err = kernel_path(e, pd, cd, kp, 0, &pi);
		if (!err) {
			kernel_verdict(&pi, v);
			return;
		}
	}
	v->map_type = v->path.map_type;
	v->reason = v->path.reason;
	v->distance = v->path.distance;
	v->via = v->path.via_bdf;
	v->via_id = v->path.via >= 0 ?
		p2pbuf_topo_dev(e->topo, v->path.via)->vendor_device : 0;
	v->acs_ctrl = v->path.via >= 0 ?
		p2pbuf_topo_dev(e->topo, v->path.via)->acs_ctrl : 0;
	model_why(e, v, v->why, sizeof(v->why));
	v->source = "model";
	model_because(e, pd, !!kp, err, v->why_model, sizeof(v->why_model));
	v->answer = v->map_type == P2PBUF_MAP_NOT_SUPPORTED ? ANSWER_REFUSED :
		    ANSWER_ALLOWED;
	if (v->reason == P2PBUF_REASON_ACS_UNKNOWN ||
	    (v->map_type == P2PBUF_MAP_BUS_ADDR && acs_unknown_hop(e, v) >= 0))
		unknown_text(e, pd, cd, v);
}

/* the matrix cell: PIX, PXB, PHB, NO, or ? when unknown */
const char *cell(const struct verdict *v)
{
	if (v->answer == ANSWER_UNKNOWN)
		return "?";
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
	return v->answer == ANSWER_REFUSED;
}

/* "ALLOWED", "REFUSED" or "UNKNOWN" */
const char *verdict_word(const struct verdict *v)
{
	return v->answer == ANSWER_ALLOWED ? "ALLOWED" :
	       v->answer == ANSWER_REFUSED ? "REFUSED" : "UNKNOWN";
}

/* the JSON enum: "allowed", "refused", "unknown" */
const char *verdict_code(const struct verdict *v)
{
	return v->answer == ANSWER_ALLOWED ? "allowed" :
	       v->answer == ANSWER_REFUSED ? "refused" : "unknown";
}

int verdict_exit(const struct verdict *v)
{
	return v->answer == ANSWER_ALLOWED ? EXIT_ALLOWED :
	       v->answer == ANSWER_REFUSED ? EXIT_REFUSED : EXIT_UNKNOWN;
}

/* the reason's name when refused or unknown, else the map type's */
const char *verdict_name(const struct verdict *v)
{
	return v->answer != ANSWER_ALLOWED ? p2pbuf_reason_str(v->reason) :
	       p2pbuf_map_type_str(v->map_type);
}

/* who answered, for the "verdicts from:" line */
const char *verdict_source_str(const struct verdict *v)
{
	static char buf[200];

	if (!strcmp(v->source, "kernel"))
		return "the kernel (P2PBUF_IOC_PATH)";
	snprintf(buf, sizeof(buf), "the model (libp2pbuf over sysfs; the kernel was not asked: %s)",
		 v->why_model);
	return buf;
}

/* stable JSON codes of the uapi enums (p2pbuf.1, JSON OUTPUT) */
const char *map_type_code(uint32_t map_type)
{
	static const char *const codes[] = {
		[P2PBUF_MAP_NOT_SUPPORTED] = "NONE",
		[P2PBUF_MAP_BUS_ADDR] = "BUS_ADDR",
		[P2PBUF_MAP_THRU_HOST_BRIDGE] = "HOST_BRIDGE",
	};

	return map_type < sizeof(codes) / sizeof(codes[0]) ? codes[map_type] :
	       "UNKNOWN_MAP_TYPE";
}

const char *reason_code(uint32_t reason)
{
	static const char *const codes[] = {
		[P2PBUF_REASON_OK] = "OK",
		[P2PBUF_REASON_NOT_PCI] = "NOT_PCI",
		[P2PBUF_REASON_NO_PEER2PEER] = "NO_PEER2PEER",
		[P2PBUF_REASON_NO_COMMON_ROOT] = "NO_COMMON_ROOT",
		[P2PBUF_REASON_ACS_REDIRECT] = "ACS_REDIRECT",
		[P2PBUF_REASON_HOST_BRIDGE_NOT_ALLOWED] = "HOST_BRIDGE_NOT_ALLOWED",
		[P2PBUF_REASON_DENIED] = "DENIED",
		[P2PBUF_REASON_REVOKED] = "REVOKED",
		[P2PBUF_REASON_DIRECTION] = "DIRECTION",
		[P2PBUF_REASON_DMA_MASK] = "DMA_MASK",
		[P2PBUF_REASON_ACS_UNKNOWN] = "ACS_UNKNOWN",
	};

	return reason < sizeof(codes) / sizeof(codes[0]) ? codes[reason] :
	       "UNKNOWN_REASON";
}

/*
 * The allow list with @id added, as allow_bridges takes it: writing the
 * parameter replaces the whole list, so the rules in force are kept.
 */
static void allow_list_with(const struct env *e, uint32_t id, char *buf,
			    size_t len)
{
	static const char *const dirs[] = { "", ":r", ":w", "" };
	struct p2pbuf_policy pol;
	size_t n = 0;
	int i;

	buf[0] = '\0';
	if (e->topo && p2pbuf_topo_get_policy(e->topo, &pol) == 0) {
		for (i = 0; i < pol.nallow && n < len; i++) {
			if (pol.allow[i].id == id)
				continue;
			n += snprintf(buf + n, len - n, ID_FMT "%s,",
				      ID_ARG(pol.allow[i].id),
				      dirs[pol.allow[i].dirs & 3]);
		}
	}
	if (n < len)
		snprintf(buf + n, len - n, ID_FMT, ID_ARG(id));
}

/* the allow rule for @id, now and across reloads */
static void allow_fix(const struct env *e, uint32_t id, const char *why,
		      char *buf, size_t len)
{
	char list[256];

	allow_list_with(e, id, list, sizeof(list));
	snprintf(buf, len,
		 "echo %s > /sys/module/p2pbuf/parameters/allow_bridges (until the module reloads; to keep it: \"options p2pbuf allow_bridges=%s\" in /etc/modprobe.d/p2pbuf.conf)   (%s)",
		 list, list, why);
}

/* what would make a refused path work, or "" */
void fix_text(const struct env *e, const struct verdict *v,
	      char *buf, size_t len)
{
	char b[16], why[160];

	buf[0] = '\0';
	switch (v->reason) {
	case P2PBUF_REASON_HOST_BRIDGE_NOT_ALLOWED:
	case P2PBUF_REASON_DIRECTION:
		if (v->via != P2PBUF_BDF_NONE) {
			snprintf(why, sizeof(why),
				 "allow rule for host bridge %s; only where the platform routes P2P between root ports, which the PCIe spec does not promise",
				 bdfstr(v->via, b));
			allow_fix(e, v->via_id, why, buf, len);
		}
		break;
	case P2PBUF_REASON_ACS_REDIRECT:
		if (v->path.common >= 0) {
			snprintf(buf, len,
				 "boot with pci=disable_acs_redir=%s, or clear ReqRedir/CmpltRedir/EgressCtrl now: setpci -s %s ECAP_ACS+6.w=0000:002c (this gives up the isolation ACS provides), or allow the host bridge in /sys/module/p2pbuf/parameters/allow_bridges",
				 bdfstr(v->via, b), b);
		} else {
			int hb = p2pbuf_topo_host_bridge(e->topo, v->path.hops[0]);

			allow_fix(e, hb >= 0 ? p2pbuf_topo_dev(e->topo, hb)->vendor_device : 0,
				  "the devices share no switch, so the traffic crosses the host bridge either way",
				  buf, len);
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

/*
 * answer, source, path, map_type, reason, distance, via: the members topo
 * and check share; the enums as stable codes, the words in "reason_text"
 */
void j_verdict(struct json *j, const struct verdict *v, const char *path)
{
	char via[16];

	j_str(j, "answer", verdict_code(v));
	j_str(j, "source", v->source);
	j_str(j, "path", path);
	j_str(j, "map_type", map_type_code(v->map_type));
	j_str(j, "reason", reason_code(v->reason));
	j_str(j, "reason_text", p2pbuf_reason_str(v->reason));
	j_i64(j, "distance", v->distance);
	if (v->via == P2PBUF_BDF_NONE)
		j_null(j, "via");
	else
		j_str(j, "via", bdfstr(v->via, via));
	if (v->answer == ANSWER_UNKNOWN) {
		j_obj(j, "unknown");
		j_str(j, "what", v->unknown);
		j_str(j, "settle", v->settle);
		j_end(j, '}');
	} else {
		j_null(j, "unknown");
	}
}
