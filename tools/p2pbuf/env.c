// SPDX-License-Identifier: GPL-2.0
/*
 * The environment a p2pbuf subcommand works on: the sysfs model of the PCI
 * topology (--sysfs DIR) and, unless --model, the providers the kernel has
 * registered (/dev/p2pbuf or --dev PATH).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "p2pbuf.h"

void env_load(struct env *e, int need_topo)
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

void env_free(struct env *e)
{
	p2pbuf_free_providers(e->prov);
	p2pbuf_close(e->ctx);
	p2pbuf_topo_free(e->topo);
}

/* for the subcommands that cannot work without the module */
void env_need_ctx(const struct env *e)
{
	const char *dev = opt_dev ? opt_dev : P2PBUF_DEFAULT_DEV;

	if (e->ctx)
		return;
	if (opt_model)
		die("this command needs the kernel: drop --model");
	switch (e->ctx_errno) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		die("cannot open %s: %s (is the p2pbuf module loaded?)", dev,
		    strerror(e->ctx_errno));
	case EACCES:
	case EPERM:
		die("cannot open %s: permission denied (it belongs to the group p2pbuf: sudo usermod -aG p2pbuf $USER, then log in again)",
		    dev);
	default:
		die("cannot open %s: %s", dev, strerror(e->ctx_errno));
	}
}

/*
 * An allocation error in words: EBADF from a context that p2pbuf_open()
 * could only open read-only, since the user may query but not allocate.
 */
const char *alloc_strerror(int err)
{
	if (err == EBADF)
		return "permission denied: /dev/p2pbuf is open read-only, which answers queries only; allocating needs the group p2pbuf (sudo usermod -aG p2pbuf $USER, then log in again)";
	return strerror(err);
}

/* first kernel provider on a device, or NULL */
const struct p2pbuf_provider *kprov_of(const struct env *e, uint32_t bdf)
{
	int i;

	for (i = 0; i < e->nprov; i++)
		if (e->prov[i].bdf == bdf)
			return &e->prov[i];
	return NULL;
}

/* a provider that can hand out buffers now (unavailable ones are only listed) */
int is_provider(const struct env *e, int idx)
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

/* a PCI address on the command line: its index in the model */
int find_dev(const struct env *e, const char *arg)
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

/* what a device provides: the kernel's providers on it, else the model's guess */
void provider_desc(const struct env *e, int idx, char *buf, size_t len)
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
