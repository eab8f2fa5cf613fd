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
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "p2pbuf.h"

int opt_json, opt_model;
const char *opt_sysfs = "/sys";
const char *opt_dev;

static const struct cmd commands[] = {
	{
		.name = "list", .fn = cmd_list, .args = "",
		.help = "providers registered with p2pbuf",
	}, {
		.name = "topo", .fn = cmd_topo, .args = "[--all] [--width N]",
		.help = "topology class and verdict of every provider x endpoint pair",
	}, {
		.name = "check", .fn = cmd_check, .args = "PROVIDER DEVICE",
		.help = "the path between two devices, why, and the fix",
	}, {
		.name = "alloc", .fn = cmd_alloc,
		.args = "PROVIDER SIZE [--fill 0-255] [--hold | -- CMD...]",
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

	fprintf(f, "usage: p2pbuf [--json] [--sysfs DIR] [--dev PATH] [--model] COMMAND [ARGS]\n"
		   "       p2pbuf --version | --help | COMMAND --help\n");
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
	fprintf(f, "  --model: no kernel verdicts, only the sysfs model (--sysfs DIR)\n"
		   "exit status: 0 done (check: ALLOWED), 1 error or usage error,\n"
		   "  2 check: REFUSED, 3 check: UNKNOWN (what decides could not be read)\n");
}

/* "COMMAND --help": the command's synopsis and help, on stdout */
static void cmd_help(const struct cmd *c)
{
	printf("usage: p2pbuf %s %s\n  %s\n", c->name, c->usage ? c->usage : c->args,
	       c->help);
	printf("exit status: %s\n", c->fn == cmd_check ?
	       "0 ALLOWED, 1 error or usage error, 2 REFUSED, 3 UNKNOWN" :
	       "0 done, 1 error or usage error");
}

/*
 * A write error on stdout (a full disk, a closed pipe's EPIPE aside from
 * SIGPIPE, /dev/full) is an error: every exit path flushes and closes it
 * here, and a failure turns the exit status into 1.
 */
static void close_stdout(void)
{
	int err = 0;

	if (fflush(stdout))
		err = errno;
	if (ferror(stdout) && !err)
		err = EIO;
	if (fclose(stdout) && !err)
		err = errno;
	if (err) {
		fprintf(stderr, "p2pbuf: write error on standard output: %s\n",
			strerror(err));
		_exit(EXIT_ERROR);
	}
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
 * --json and --help may also follow the subcommand: taken here, for every
 * subcommand, up to a "--" (alloc's CMD keeps its own). --json is removed;
 * --help (-h) prints the subcommand's usage and ends. argv[0], the
 * subcommand, stays.
 */
static int take_common(int argc, char **argv, const struct cmd *cmd)
{
	int n = 1, i, dashdash = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			dashdash = 1;
		if (!dashdash && (!strcmp(argv[i], "--help") ||
				  !strcmp(argv[i], "-h"))) {
			cmd_help(cmd);
			exit(0);
		}
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
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cmd *cmd;
	int o;

	atexit(close_stdout);

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
		case 'V':
			printf("p2pbuf %s\n", P2PBUF_VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_ERROR;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_ERROR;
	}
	argc -= optind;
	argv += optind;
	cmd = find_cmd(argv[0]);
	if (!cmd) {
		fprintf(stderr, "p2pbuf: unknown command '%s'\n", argv[0]);
		usage(stderr);
		return EXIT_ERROR;
	}
	argc = take_common(argc, argv, cmd);
	return cmd->fn(argc, argv, cmd);
}
