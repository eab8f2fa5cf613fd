// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * decision-parity, the library's half: every recorded topology of
 * tests/decision/corpus/ becomes a fake sysfs tree, libp2pbuf loads it and
 * p2pbuf_topo_path() answers each "expect" pair, as root (4096 bytes of
 * config space) and as an unprivileged reader (64 bytes: ACS unknown,
 * checked against the "nonroot" lines). The KUnit case decision_parity
 * feeds the same files to the module's decision. TAP.
 *
 *   decision-parity CORPUS_DIR            check
 *   decision-parity --record FILE.topo    print the verdict lines
 *   decision-parity --tree FILE.topo DIR root|nonroot
 *                                         build the fake tree in DIR (DIR/sys,
 *                                         DIR/proc), for topo-corpus
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/p2pbuf.h>
#include <p2pbuf/p2pbuf.h>

#define MAX_DEVS	128
#define MAX_EXPECT	512

struct tdev {
	char name[16];
	char parent[16];
	unsigned int vendor, device, class_code;
	int pcie_type;		/* -1: no PCIe capability */
	int acs;		/* -1: none, -2: unknown, else the control */
};

struct texpect {
	int nonroot;
	char p[16], c[16], map[16], reason[32], via[16];
	int dist;
};

struct tcase {
	char file[256];
	int ndev, nexp, amd_zen;
	char allow[256], deny[256], whitelist[4];
	struct tdev dev[MAX_DEVS];
	struct texpect exp[MAX_EXPECT];
};

static const char *const map_names[] = { "NONE", "BUS_ADDR", "HOST_BRIDGE" };
static const char *const reason_names[] = {
	"OK", "NOT_PCI", "NO_PEER2PEER", "NO_COMMON_ROOT", "ACS_REDIRECT",
	"HOST_BRIDGE_NOT_ALLOWED", "DENIED", "REVOKED", "DIRECTION", "DMA_MASK",
	"ACS_UNKNOWN",
};

static int parse(const char *file, struct tcase *tc)
{
	char line[512], w[8][64];
	FILE *f = fopen(file, "re");
	int n;

	if (!f)
		return -errno;
	memset(tc, 0, sizeof(*tc));
	snprintf(tc->file, sizeof(tc->file), "%s", file);
	strcpy(tc->whitelist, "N");
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "#\n")] = '\0';
		n = sscanf(line, "%63s %63s %63s %63s %63s %63s %63s %63s", w[0],
			   w[1], w[2], w[3], w[4], w[5], w[6], w[7]);
		if (n <= 0)
			continue;
		if (!strcmp(w[0], "allow") && n == 2) {
			snprintf(tc->allow, sizeof(tc->allow), "%s", w[1]);
		} else if (!strcmp(w[0], "deny") && n == 2) {
			snprintf(tc->deny, sizeof(tc->deny), "%s", w[1]);
		} else if (!strcmp(w[0], "kernel_whitelist") && n == 2) {
			snprintf(tc->whitelist, sizeof(tc->whitelist), "%s", w[1]);
		} else if (!strcmp(w[0], "cpu") && n == 2) {
			tc->amd_zen = !strcmp(w[1], "amd-zen");
		} else if (!strcmp(w[0], "dev") && n == 7 && tc->ndev < MAX_DEVS) {
			struct tdev *d = &tc->dev[tc->ndev++];

			snprintf(d->name, sizeof(d->name), "%s", w[1]);
			snprintf(d->parent, sizeof(d->parent), "%s", w[2]);
			if (sscanf(w[3], "%x:%x", &d->vendor, &d->device) != 2)
				goto bad;
			d->class_code = strtoul(w[4], NULL, 16);
			d->pcie_type = strcmp(w[5], "-") ? atoi(w[5]) : -1;
			d->acs = !strcmp(w[6], "none") ? -1 :
				 !strcmp(w[6], "unknown") ? -2 :
				 (int)strtoul(w[6], NULL, 16);
		} else if ((!strcmp(w[0], "expect") || !strcmp(w[0], "nonroot")) &&
			   n == 7 && tc->nexp < MAX_EXPECT) {
			struct texpect *e = &tc->exp[tc->nexp++];

			e->nonroot = !strcmp(w[0], "nonroot");
			snprintf(e->p, sizeof(e->p), "%s", w[1]);
			snprintf(e->c, sizeof(e->c), "%s", w[2]);
			snprintf(e->map, sizeof(e->map), "%s", w[3]);
			snprintf(e->reason, sizeof(e->reason), "%s", w[4]);
			snprintf(e->via, sizeof(e->via), "%s", w[5]);
			e->dist = atoi(w[6]);
		} else if (strcmp(w[0], "topology")) {
			goto bad;
		}
	}
	fclose(f);
	return 0;
bad:
	fprintf(stderr, "%s: bad line: %s\n", file, line);
	fclose(f);
	return -EINVAL;
}

static int find_dev(const struct tcase *tc, const char *name)
{
	int i;

	for (i = 0; i < tc->ndev; i++)
		if (!strcmp(tc->dev[i].name, name))
			return i;
	return -1;
}

static int write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, buf, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

static int mkdirs(const char *path)
{
	char tmp[4096], *p;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(tmp, 0755) && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return mkdir(tmp, 0755) && errno != EEXIST ? -1 : 0;
}

/* devices/pciDDDD:BB/<upstream chain>/<name>, relative to the root */
static void dev_path(const struct tcase *tc, int i, char *buf, size_t len)
{
	char tail[4096] = "";
	int k = i, top = i;

	while (k >= 0) {
		char tmp[4096];

		snprintf(tmp, sizeof(tmp), "/%s%s", tc->dev[k].name, tail);
		snprintf(tail, sizeof(tail), "%s", tmp);
		top = k;
		k = find_dev(tc, tc->dev[k].parent);
	}
	snprintf(buf, len, "devices/pci%.7s%s", tc->dev[top].name, tail);
}

static void put(unsigned char *c, int off, unsigned int v, int len)
{
	while (len--) {
		c[off++] = v & 0xff;
		v >>= 8;
	}
}

static int build_tree(const struct tcase *tc, const char *base, int nonroot)
{
	char root[4096], path[8192], rel[4096], target[8192];
	unsigned char cfg[4096];
	const char *cpu;
	int i;

	snprintf(root, sizeof(root), "%s/sys", base);
	snprintf(path, sizeof(path), "%s/bus/pci/devices", root);
	if (mkdirs(path))
		return -1;
	snprintf(path, sizeof(path), "%s/module/p2pbuf/parameters", root);
	if (mkdirs(path))
		return -1;
#define PARAM(name, val) do { \
	char v[300]; \
	snprintf(v, sizeof(v), "%s\n", val); \
	snprintf(path, sizeof(path), "%s/module/p2pbuf/parameters/" name, root); \
	if (write_file(path, v, strlen(v))) \
		return -1; \
} while (0)
	PARAM("allow_bridges", tc->allow);
	PARAM("deny_bridges", tc->deny);
	PARAM("kernel_whitelist", tc->whitelist);
	snprintf(path, sizeof(path), "%s/proc", base);
	mkdirs(path);
	snprintf(path, sizeof(path), "%s/proc/cpuinfo", base);
	cpu = tc->amd_zen ? "vendor_id\t: AuthenticAMD\ncpu family\t: 25\n" :
			    "vendor_id\t: GenuineIntel\ncpu family\t: 6\n";
	if (write_file(path, cpu, strlen(cpu)))
		return -1;

	for (i = 0; i < tc->ndev; i++) {
		const struct tdev *d = &tc->dev[i];
		char v[32];
		size_t len = 4096;

		dev_path(tc, i, rel, sizeof(rel));
		snprintf(path, sizeof(path), "%s/%s", root, rel);
		if (mkdirs(path))
			return -1;
#define ATTR(name, fmt, val) do { \
	snprintf(v, sizeof(v), fmt "\n", val); \
	snprintf(path, sizeof(path), "%s/%s/" name, root, rel); \
	if (write_file(path, v, strlen(v))) \
		return -1; \
} while (0)
		ATTR("vendor", "0x%04x", d->vendor);
		ATTR("device", "0x%04x", d->device);
		ATTR("class", "0x%06x", d->class_code);
		memset(cfg, 0, sizeof(cfg));
		put(cfg, 0, d->vendor | d->device << 16, 4);
		put(cfg, 9, d->class_code, 3);
		if (d->pcie_type >= 0) {
			put(cfg, 6, 0x10, 1);
			put(cfg, 0x34, 0x40, 1);
			put(cfg, 0x40, 0x10, 1);
			put(cfg, 0x42, (d->pcie_type << 4) | 2, 1);
		}
		if (d->acs >= 0) {
			put(cfg, 0x100, 0x0001000d, 4);
			put(cfg, 0x104, 0x001f, 2);
			put(cfg, 0x106, d->acs, 2);
		}
		if (nonroot || d->acs == -2)
			len = 64;
		snprintf(path, sizeof(path), "%s/%s/config", root, rel);
		if (write_file(path, cfg, len))
			return -1;
		snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", root, d->name);
		snprintf(target, sizeof(target), "../../../%s", rel);
		if (symlink(target, path))
			return -1;
	}
	return 0;
}

static void verdict_words(const struct p2pbuf_topo *t,
			  const struct p2pbuf_topo_path *p, char *buf,
			  size_t len)
{
	char via[16] = "-";

	if (p->via_bdf != P2PBUF_BDF_NONE)
		snprintf(via, sizeof(via), "%s",
			 p2pbuf_topo_dev(t, p->via)->name);
	snprintf(buf, len, "%s %s %s %d",
		 p->map_type < 3 ? map_names[p->map_type] : "?",
		 p->reason < 11 ? reason_names[p->reason] : "?", via,
		 p->distance);
}

static int run(const struct tcase *tc, const char *base, int nonroot,
	       int record, int *fails)
{
	char root[4096], got[128], want[128], cmd[4200];
	struct p2pbuf_topo_path path;
	struct p2pbuf_topo *t;
	int i, pi, ci, checked = 0;

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	if (system(cmd))
		return -1;
	if (build_tree(tc, base, nonroot))
		return -1;
	snprintf(root, sizeof(root), "%s/sys", base);
	t = p2pbuf_topo_load(root);
	if (!t)
		return -1;
	for (i = 0; i < tc->nexp; i++) {
		const struct texpect *e = &tc->exp[i];

		if (!record && e->nonroot != nonroot)
			continue;
		if (record && e->nonroot)
			continue;
		pi = ci = -1;
		for (int k = 0; k < p2pbuf_topo_num_devs(t); k++) {
			if (!strcmp(p2pbuf_topo_dev(t, k)->name, e->p))
				pi = k;
			if (!strcmp(p2pbuf_topo_dev(t, k)->name, e->c))
				ci = k;
		}
		if (pi < 0 || ci < 0 || p2pbuf_topo_path(t, pi, ci, NULL, &path)) {
			printf("# %s: %s %s: not in the tree\n", tc->file, e->p, e->c);
			(*fails)++;
			continue;
		}
		verdict_words(t, &path, got, sizeof(got));
		if (record) {
			printf("%s %s %s %s\n", nonroot ? "nonroot" : "expect",
			       e->p, e->c, got);
			continue;
		}
		checked++;
		snprintf(want, sizeof(want), "%s %s %s %d", e->map, e->reason,
			 e->via, e->dist);
		if (strcmp(got, want)) {
			printf("# %s (%s): %s -> %s: want %s, got %s\n", tc->file,
			       nonroot ? "non-root" : "root", e->p, e->c, want,
			       got);
			(*fails)++;
		}
		/*
		 * An unprivileged reader knows no ACS state: it must never get
		 * a bus address for two devices with a bridge between them.
		 */
		if (nonroot && path.map_type == P2PBUF_MAP_BUS_ADDR &&
		    pi != ci) {
			printf("# %s: %s -> %s: bus address with unknown ACS\n",
			       tc->file, e->p, e->c);
			(*fails)++;
		}
	}
	p2pbuf_topo_free(t);
	return checked;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	static struct tcase tc;
	char tmpl[] = "/tmp/decision-parity.XXXXXX", base[4200], cmd[4300];
	char *files[256], path[4096];
	int nfiles = 0, i, mode, n = 0, failed = 0;
	struct dirent *e;
	DIR *d;

	if (!mkdtemp(tmpl))
		return 1;
	snprintf(base, sizeof(base), "%s/t", tmpl);
	if (argc == 5 && !strcmp(argv[1], "--tree")) {
		if (parse(argv[2], &tc))
			return 1;
		rmdir(tmpl);
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", argv[3]);
		if (system(cmd))
			return 1;
		return !!build_tree(&tc, argv[3], !strcmp(argv[4], "nonroot"));
	}
	if (argc == 3 && !strcmp(argv[1], "--record")) {
		int fails = 0;

		if (parse(argv[2], &tc))
			return 1;
		for (mode = 0; mode < 2; mode++)
			if (run(&tc, base, mode, 1, &fails) < 0)
				return 1;
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
		return system(cmd) || fails;
	}
	d = opendir(argc > 1 ? argv[1] : CORPUS);
	if (!d) {
		printf("1..0 # SKIP no corpus\n");
		return 1;
	}
	while ((e = readdir(d)) && nfiles < 256)
		if (strlen(e->d_name) > 5 &&
		    !strcmp(e->d_name + strlen(e->d_name) - 5, ".topo"))
			files[nfiles++] = strdup(e->d_name);
	closedir(d);
	qsort(files, nfiles, sizeof(files[0]), cmp_str);
	for (i = 0; i < nfiles; i++) {
		snprintf(path, sizeof(path), "%s/%s", argc > 1 ? argv[1] : CORPUS,
			 files[i]);
		if (parse(path, &tc)) {
			printf("not ok %d - %s: unreadable\n", ++n, files[i]);
			failed = 1;
			continue;
		}
		for (mode = 0; mode < 2; mode++) {
			int fails = 0, checked;

			checked = run(&tc, base, mode, 0, &fails);
			if (checked <= 0)
				fails++;
			printf("%s %d - %s %s: %d pairs\n", fails ? "not ok" : "ok",
			       ++n, files[i], mode ? "non-root" : "root", checked);
			failed |= !!fails;
		}
		free(files[i]);
	}
	printf("1..%d\n", n);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
	if (system(cmd))
		failed = 1;
	return failed || n < 20;
}
