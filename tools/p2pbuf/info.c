// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf info FD|fd:FD|PID:FD: what a dma-buf fd is (P2PBUF_IOC_QUERY via
 * libp2pbuf); for another process's fd that pidfd_getfd() refuses, what
 * /proc/PID/fdinfo shows.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "p2pbuf.h"

/* no ptrace rights on PID:FD: what /proc/PID/fdinfo shows is all we get */
static int info_fdinfo(const char *arg, int err)
{
	char path[64], line[256];
	long pid = strtol(arg, NULL, 10);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/fdinfo/%s", pid,
		 strchr(arg, ':') + 1);
	f = fopen(path, "re");
	if (!f)
		die("pidfd_getfd: %s; %s: %s", strerror(err), path,
		    strerror(errno));
	if (opt_json) {
		struct json j;

		j_start(&j);
		j_str(&j, "fd", arg);
		j_str(&j, "pidfd_getfd_error", strerror(err));
		j_obj(&j, "fdinfo");
		while (fgets(line, sizeof(line), f)) {
			char *v = strchr(line, ':');

			if (!v)
				continue;
			*v++ = '\0';
			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = '\0';
			if (!strcmp(line, "size") || !strcmp(line, "exp_name") ||
			    !strcmp(line, "count"))
				j_str(&j, line, v);
		}
		j_end(&j, '}');
		j_end(&j, '}');
		j_done(&j);
		fclose(f);
		return 0;
	}
	printf("%s (pidfd_getfd refused: %s); fdinfo only:\n", arg,
	       strerror(err));
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "size:", 5) ||
		    !strncmp(line, "exp_name:", 9) ||
		    !strncmp(line, "count:", 6))
			printf("  %s", line);
	fclose(f);
	return 0;
}

static void info_json(const char *arg, const struct p2pbuf_buf *b)
{
	struct json j;

	j_start(&j);
	j_str(&j, "fd", arg);
	j_bool(&j, "dma_buf", b->flags & P2PBUF_BUF_IS_DMABUF);
	j_str(&j, "exporter", b->exporter);
	j_u64(&j, "size", b->size);
	j_bool(&j, "p2pbuf", b->flags & P2PBUF_BUF_OURS);
	if (b->flags & P2PBUF_BUF_OURS) {
		j_u64(&j, "provider", b->provider_id);
		j_str(&j, "provider_device", b->provider_name);
		j_str(&j, "kind", p2pbuf_kind_str(b->kind));
		j_u64(&j, "offset", b->offset);
		j_u64(&j, "bar_offset", b->bar_offset);
		j_u64(&j, "bus_addr", b->bus_addr);
		j_u64(&j, "attachments", b->attachments);
		j_bool(&j, "revoked", b->flags & P2PBUF_BUF_IS_REVOKED);
		j_str(&j, "last_refusal", b->last_refusal);
	}
	j_end(&j, '}');
	j_done(&j);
}

static void info_plain(const struct env *e, const char *how,
		       const struct p2pbuf_buf *b)
{
	char s[32];

	printf("%s: %s%s%s, size %s (%" PRIu64 " bytes)\n", how,
	       b->flags & P2PBUF_BUF_IS_DMABUF ? "dma-buf" : "not a dma-buf",
	       b->exporter[0] ? ", exporter " : "", b->exporter,
	       hsize(b->size, s, sizeof(s)), b->size);
	if (b->flags & P2PBUF_BUF_OURS) {
		printf("  provider %u: %s (%s)\n", b->provider_id,
		       b->provider_name, p2pbuf_kind_str(b->kind));
		printf("  offset %#" PRIx64 " in the region, %#" PRIx64 " in the BAR, bus address %#" PRIx64 "\n",
		       b->offset, b->bar_offset, b->bus_addr);
		printf("  importers attached: %u%s\n", b->attachments,
		       b->flags & P2PBUF_BUF_IS_REVOKED ?
		       "; REVOKED: the provider went away" : "");
		if (b->last_refusal[0])
			printf("  last refused attach: %s\n", b->last_refusal);
	} else if (!e->ctx) {
		printf("  (no /dev/p2pbuf here: size is all that can be said)\n");
	}
}

int cmd_info(int argc, char **argv, const struct cmd *cmd)
{
	struct p2pbuf_buf b;
	struct env e;
	char how[96];
	int fd, ret, own;

	plain_args(argc, argv, cmd, 2);
	fd = grab_fd(argv[1], how, sizeof(how));
	if (fd < 0)
		return info_fdinfo(argv[1], -fd);
	env_load(&e, 0);
	/* only PID:FD made a new fd here; FD and fd:FD are ours, never closed */
	own = strchr(argv[1], ':') && strncmp(argv[1], "fd:", 3);
	if (!own && fd <= 2)
		fprintf(stderr, "p2pbuf: note: fd %d is this command's own standard %s\n",
			fd, fd == 0 ? "input" : fd == 1 ? "output" : "error");
	ret = p2pbuf_query(e.ctx, fd, &b);
	if (ret)
		die("%s: %s", how, strerror(-ret));
	if (opt_json)
		info_json(argv[1], &b);
	else
		info_plain(&e, how, &b);
	if (own)
		close(fd);
	env_free(&e);
	return 0;
}
