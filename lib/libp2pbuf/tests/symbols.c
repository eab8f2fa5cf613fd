// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The exported symbols of each library (nm -D --defined-only) equal the
 * global: list of its version map, each at the map's version node.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

#define MAXSYM 256

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* global: names of a map file, and its version node name */
static int read_map(const char *path, char **syms, char *node, size_t nlen)
{
	char line[256];
	int n = 0, in_global = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char w[128];

		if (sscanf(line, " %127[A-Za-z0-9_] {", w) == 1 &&
		    strchr(line, '{')) {
			snprintf(node, nlen, "%s", w);
			continue;
		}
		if (strstr(line, "global:")) {
			in_global = 1;
			continue;
		}
		if (strstr(line, "local:"))
			in_global = 0;
		if (in_global && sscanf(line, " %127[A-Za-z0-9_];", w) == 1 &&
		    n < MAXSYM)
			syms[n++] = strdup(w);
	}
	fclose(f);
	qsort(syms, n, sizeof(*syms), cmp);
	return n;
}

static int read_nm(const char *so, const char *node, char **syms, int *badver)
{
	char cmd[1024], line[512];
	int n = 0;
	FILE *p;

	*badver = 0;
	snprintf(cmd, sizeof(cmd), "nm -D --defined-only '%s'", so);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		char addr[64], type[8], name[256], *at;

		if (sscanf(line, "%63s %7s %255s", addr, type, name) != 3)
			continue;
		if (!strcmp(type, "A"))
			continue;	/* the version node itself */
		at = strstr(name, "@@");
		if (!at || strcmp(at + 2, node))
			(*badver)++;
		if (at)
			*at = '\0';
		if (n < MAXSYM)
			syms[n++] = strdup(name);
	}
	if (pclose(p))
		return -1;
	qsort(syms, n, sizeof(*syms), cmp);
	return n;
}

static void check(const char *lib)
{
	char so[512], map[512], node[128] = "";
	char *msyms[MAXSYM], *nsyms[MAXSYM];
	int nm_n, map_n, badver, i, j, same;

	snprintf(so, sizeof(so), "%s/%s.so", LIBDIR, lib);
	snprintf(map, sizeof(map), "%s/%s.map", MAPDIR, lib);
	if (access(so, R_OK)) {
		tap_skip("%s not built", lib);
		return;
	}
	map_n = read_map(map, msyms, node, sizeof(node));
	nm_n = read_nm(so, node, nsyms, &badver);
	tap_ok(map_n > 0 && nm_n > 0, "%s: map (%d) and nm (%d) read", lib,
	       map_n, nm_n);
	same = map_n == nm_n;
	for (i = 0, j = 0; i < map_n || j < nm_n;) {
		int c = i >= map_n ? 1 : j >= nm_n ? -1 :
			strcmp(msyms[i], nsyms[j]);

		if (!c) {
			i++, j++;
			continue;
		}
		same = 0;
		if (c < 0)
			printf("# %s: in map, not exported: %s\n", lib, msyms[i++]);
		else
			printf("# %s: exported, not in map: %s\n", lib, nsyms[j++]);
	}
	tap_ok(same, "%s: exported symbols == map", lib);
	tap_ok(!badver, "%s: every symbol at version %s", lib, node);
}

int main(void)
{
	check("libp2pbuf");
	check("libp2pbuf-verbs");
	check("libp2pbuf-drm");
	return tap_done();
}
