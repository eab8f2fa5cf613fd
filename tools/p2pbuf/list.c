// SPDX-License-Identifier: GPL-2.0
/* p2pbuf list: the providers registered with the p2pbuf module. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "p2pbuf.h"

static void list_json(const struct env *e)
{
	struct json j;
	char name[16];
	int i;

	j_start(&j);
	j_arr(&j, "providers");
	for (i = 0; i < e->nprov; i++) {
		const struct p2pbuf_provider *p = &e->prov[i];

		j_obj(&j, NULL);
		j_u64(&j, "id", p->id);
		j_str(&j, "device", bdfstr(p->bdf, name));
		j_id(&j, "vendor_device", p->vendor_device);
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
}

static void list_plain(const struct env *e)
{
	char s1[32], s2[32], name[16];
	int i;

	printf("%-3s %-13s %-10s %-7s %-4s %-9s %-9s %-18s %s\n", "ID",
	       "DEVICE", "VEN:DEV", "KIND", "BAR", "SIZE", "FREE",
	       "BUS ADDR", "STATE");
	for (i = 0; i < e->nprov; i++) {
		const struct p2pbuf_provider *p = &e->prov[i];
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
	if (!e->nprov)
		printf("(no providers registered)\n");
}

int cmd_list(int argc, char **argv, const struct cmd *cmd)
{
	struct env e;

	plain_args(argc, argv, cmd, 1);
	env_load(&e, 0);
	env_need_ctx(&e);
	if (!e.prov)
		die("listing providers: %s", strerror(errno));
	if (opt_json)
		list_json(&e);
	else
		list_plain(&e);
	env_free(&e);
	return 0;
}
