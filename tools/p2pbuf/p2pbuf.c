// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf: list providers, show the P2P topology, explain a path, allocate,
 * copy between files/NVMe and P2P buffers, inspect a dma-buf fd.
 *
 * Human output by default, --json for scripts. Topology and paths come from
 * the sysfs model of libp2pbuf (a pure function of --sysfs DIR), with the
 * verdicts taken from the kernel (P2PBUF_IOC_PATH) when /dev/p2pbuf is there
 * and --model is not given.
 *
 * This file holds the global options and the command table; each subcommand
 * lives in the file of its name (list.c, topo.c, ...), see README.md.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "p2pbuf.h"

int opt_json, opt_model;
const char *opt_sysfs = "/sys";
const char *opt_dev;

static const struct cmd commands[] = {
	{
		.name = "list", .fn = cmd_list, .args = "",
		.help = "providers registered with p2pbuf",
	}, {
		.name = "topo", .fn = cmd_topo, .args = "",
		.help = "P2P path kind of every provider x endpoint pair",
	}, {
		.name = "check", .fn = cmd_check, .args = "PROVIDER DEVICE",
		.help = "the path between two devices, why, and the fix",
	}, {
		.name = "alloc", .fn = cmd_alloc,
		.args = "PROVIDER SIZE [--fill BYTE] [--hold | -- CMD...]",
		.help = "allocate a buffer (PROVIDER: id or PCI address)",
	}, {
		.name = "copy", .fn = cmd_copy,
		.args = "SRC DST [--size N] [--verify] [--no-bounce] [--progress] [--hold]",
		.help = "file/NVMe <-> buffer (buf:PROVIDER, fd:N, PID:FD)",
		.usage = "SRC DST [--size N] [--file-offset N] [--buf-offset N] [--verify] [--no-bounce] [--progress] [--hold]\n"
			 "  one of SRC/DST is a file or block device, the other a buffer: buf:PROVIDER (new), fd:N, PID:FD",
	}, {
		.name = "info", .fn = cmd_info, .args = "FD|fd:FD|PID:FD",
		.help = "what a dma-buf fd is",
	},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))
#define SYNOPSIS_WIDTH 25	/* longer synopses put the help on a line of its own */

static void usage(FILE *f)
{
	char syn[160];
	size_t i;

	fprintf(f, "usage: p2pbuf [--json] [--sysfs DIR] [--dev PATH] [--model] COMMAND [ARGS]\n");
	for (i = 0; i < NCOMMANDS; i++) {
		const struct cmd *c = &commands[i];

		snprintf(syn, sizeof(syn), "%s%s%s", c->name,
			 c->args[0] ? " " : "", c->args);
		if (strlen(syn) <= SYNOPSIS_WIDTH)
			fprintf(f, "  %-*s %s\n", SYNOPSIS_WIDTH, syn, c->help);
		else
			fprintf(f, "  %s\n  %-*s %s\n", syn, SYNOPSIS_WIDTH, "",
				c->help);
	}
	fprintf(f, "  --model: no kernel verdicts, only the sysfs model (--sysfs DIR)\n");
}

static const struct cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/*
 * --json may also follow the subcommand: taken here, for every subcommand,
 * and removed, up to a "--" (alloc's CMD keeps its own). argv[0], the
 * subcommand, stays.
 */
static int take_json(int argc, char **argv)
{
	int n = 1, i, dashdash = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			dashdash = 1;
		if (!dashdash && !strcmp(argv[i], "--json")) {
			opt_json = 1;
			continue;
		}
		argv[n++] = argv[i];
	}
	argv[n] = NULL;
	return n;
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
	const struct cmd *cmd;
	int o;

	while ((o = getopt_long(argc, argv, "+js:d:mh", opts, NULL)) != -1) {
		switch (o) {
		case 'j':
			opt_json = 1;
			break;
		case 's':
			opt_sysfs = optarg;
			break;
		case 'd':
			opt_dev = optarg;
			break;
		case 'm':
			opt_model = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 1;
	}
	argc -= optind;
	argv += optind;
	cmd = find_cmd(argv[0]);
	if (!cmd) {
		fprintf(stderr, "p2pbuf: unknown command '%s'\n", argv[0]);
		usage(stderr);
		return 1;
	}
	argc = take_json(argc, argv);
	return cmd->fn(argc, argv, cmd);
}
