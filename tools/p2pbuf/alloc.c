// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf alloc PROVIDER SIZE: allocate a buffer, optionally fill it, then
 * hold it (--hold) or hand its fd to a command (-- CMD...).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "p2pbuf.h"

static const struct option alloc_opts[] = {
	{ "fill", required_argument, NULL, 'f' },
	{ "hold", no_argument, NULL, 'H' },
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 },
};

static void alloc_print(const struct env *e, int fd, uint32_t id,
			const struct p2pbuf_buf *b)
{
	char s[32];

	if (opt_json) {
		struct json j;

		j_start(&j);
		j_i64(&j, "fd", fd);
		j_i64(&j, "pid", getpid());
		j_u64(&j, "provider", id);
		j_u64(&j, "size", b->size);
		j_u64(&j, "offset", b->offset);
		j_u64(&j, "bus_addr", b->bus_addr);
		j_end(&j, '}');
		j_done(&j);
	} else {
		printf("fd %d: %s on provider %u (%s), offset %#" PRIx64 ", bus address %#" PRIx64 "\n",
		       fd, hsize(b->size, s, sizeof(s)), id, provider_name(e, id),
		       b->offset, b->bus_addr);
	}
}

int cmd_alloc(int argc, char **argv, const struct cmd *cmd)
{
	struct p2pbuf_buf b;
	struct env e;
	int o, fd, fill = -1, do_hold = 0, ret = 0;
	uint64_t size;
	uint32_t id;
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
		case 'f': {
			char *end;
			long v;

			errno = 0;
			v = strtol(optarg, &end, 0);
			if (errno || end == optarg || *end || v < 0 || v > 255)
				usage_error(cmd, "--fill '%s': a byte value, 0 to 255 (0xff)",
					    optarg);
			fill = v;
			break;
		}
		case 'H':
			do_hold = 1;
			break;
		case 'j':
			opt_json = 1;
			break;
		default:
			cmd_usage(cmd);
		}
	}
	if (npos < 2)
		cmd_usage(cmd);
	env_load(&e, 0);
	size = parse_size(pos[1]);
	id = resolve_provider(&e, pos[0], size);
	fd = p2pbuf_alloc(e.ctx, id, size, P2PBUF_F_CLOEXEC | P2PBUF_F_RDWR, &b);
	if (fd < 0)
		die("allocating %" PRIu64 " bytes on provider %u: %s", size, id,
		    alloc_strerror(errno));
	if (fill >= 0) {
		void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		if (m == MAP_FAILED)
			die("mmap: %s", strerror(errno));
		memset(m, fill, size);
		munmap(m, size);
	}
	alloc_print(&e, fd, id, &b);
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	if (optind < argc)
		ret = run_with_fd(fd, argv + optind);
	else if (do_hold)
		hold(opt_json);
	close(fd);
	env_free(&e);
	return ret;
}
