// SPDX-License-Identifier: GPL-2.0
/*
 * TEST: p2pbuf observability
 * Description: what an administrator sees of p2pbuf buffers: the debugfs
 *	listing of buffers and their attachments, and the trace events.
 *
 * SUBTEST: debugfs-lists-attachments
 * Description: while a test importer holds a mapping, debugfs lists the
 *	buffer with the importer, its map type and its sg entries; after
 *	detach the attachment is gone, after close the buffer is gone.
 *
 * SUBTEST: slab-caches-per-buffer
 * Description: a buffer's own kernel memory is one object of the
 *	p2pbuf_buffer cache and one of p2pbuf_chunk, which /proc/slabinfo
 *	names: together at most 256 bytes on a kernel without lockdep (the
 *	kernel memory budget of issue 12), and, once the caches are shrunk,
 *	256 live buffers add at least 256 objects to each.
 *	Skips before 6.5, where SLAB_NO_MERGE is missing and the caches may be
 *	merged into others.
 *
 * SUBTEST: trace-events
 * Description: p2pbuf_attach, p2pbuf_map, p2pbuf_unmap and p2pbuf_revoke
 *	fire for a buffer that is attached, mapped, unmapped and then revoked
 *	by unbinding its provider.
 *
 * SUBTEST: refusal-log-bounded
 * Description: a few hundred importers refused on as many fresh buffers
 *	leave a bounded number of "refused buffer" lines in the kernel log (the
 *	printk rate limit: 10 per 5 s), the first of them included, while each
 *	buffer still records its reason for BUF_INFO.
 *
 * SUBTEST: kernel-answers-any-pair
 * Description: the installed command, `p2pbuf check A B` between two
 *	endpoints that are no providers (06:00.0 edu, 07:00.0 nvme without CMB,
 *	08:00.0 edu), is answered by the kernel (P2PBUF_IOC_PATH by address)
 *	and gives the sysfs model's verdict. Without a direction-limited rule
 *	both argument orders give the same verdict, refused and then allowed as
 *	allow_bridges changes; with allow_bridges=8086:29c0:r each direction
 *	has its own verdict, the read allowed and the write refused for
 *	DIRECTION, as the raw ioctl says and the command's output states.
 *
 * SUBTEST: unprivileged-verdicts
 * Description: a user outside the group p2pbuf, and root, run `p2pbuf
 *	check` on the same pairs under an empty policy, a deny rule on the
 *	switch's downstream ports and a read-only allow rule: the user opens
 *	/dev/p2pbuf read-only (0664), gets the kernel's verdict, the same as
 *	root's, and the user's --model answer is never ALLOWED where the
 *	kernel refuses (UNKNOWN with its reason instead, where it could not
 *	read the ACS state).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "igt.h"
#include "p2pbuf_igt.h"

#define DEBUGFS_BUFFERS	"/sys/kernel/debug/p2pbuf/buffers"
#define TRACING		"/sys/kernel/tracing"
#define IVSHMEM_SYSFS	"/sys/bus/pci/devices/" NAME_IVSHMEM
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define P2PBUF_BIN	"/p2pbuf/bin/p2pbuf"
#define DENY_BRIDGES	P2PBUF_PARAMS "deny_bridges"
#define UID_USER	1000	/* no group p2pbuf */
#define EXIT_UNKNOWN	3

static int p2p = -1, ti = -1;

static unsigned long buf_ino(int fd)
{
	struct stat st;

	igt_assert_eq(fstat(fd, &st), 0);
	return st.st_ino;
}

static char *read_file(const char *path)
{
	static char text[1 << 16];
	ssize_t n = 0, r;
	int fd = open(path, O_RDONLY);

	igt_assert_f(fd >= 0, "%s: %s\n", path, strerror(errno));
	while (n < (ssize_t)sizeof(text) - 1 &&
	       (r = read(fd, text + n, sizeof(text) - 1 - n)) > 0)
		n += r;
	close(fd);
	text[n] = '\0';
	return text;
}

/* the attachment lines under "buf <ino> ..." in the debugfs listing */
static int buffer_section(unsigned long ino, char *out, size_t len)
{
	char *text = read_file(DEBUGFS_BUFFERS), key[48], *p, *end;

	snprintf(key, sizeof(key), "buf %lu ", ino);
	p = strstr(text, key);
	if (!p)
		return -1;
	p = strchr(p, '\n');
	p = p ? p + 1 : text + strlen(text);
	for (end = p; !strncmp(end, "  ", 2); end = strchr(end, '\n') + 1)
		if (!strchr(end, '\n'))
			break;
	snprintf(out, len, "%.*s", (int)(end - p), p);
	return 0;
}

static void get_ivshmem(struct p2pbuf_provider_info *gpu)
{
	igt_require_f(p2pbuf_find(p2p, NAME_IVSHMEM, P2PBUF_KIND_BAR, gpu) &&
		      (gpu->flags & P2PBUF_PROVIDER_AVAILABLE),
		      "no ivshmem BAR provider on %s\n", NAME_IVSHMEM);
}

static void test_debugfs(void)
{
	struct p2pbuf_provider_info gpu;
	struct p2pbuf_ti_map map;
	char section[1024], want[128];
	uint32_t h;
	unsigned long ino;
	int buf;

	igt_require_f(!access(DEBUGFS_BUFFERS, R_OK), "no %s\n", DEBUGFS_BUFFERS);
	get_ivshmem(&gpu);
	buf = p2pbuf_alloc_rw(p2p, gpu.id, 1 << 20, NULL);
	igt_assert(buf >= 0);
	ino = buf_ino(buf);
	igt_assert_eq(buffer_section(ino, section, sizeof(section)), 0);
	igt_assert_f(!section[0], "fresh buffer lists attachments:\n%s", section);

	igt_assert_eq(ti_import(ti, buf, BDF_NVME0, P2PBUF_TI_DYNAMIC, &h), 0);
	igt_assert_eq(ti_map(ti, h, 0, &map), 0);
	igt_assert_eq(buffer_section(ino, section, sizeof(section)), 0);
	igt_info("debugfs while mapped:\n%s", section);
	snprintf(want, sizeof(want), "  attach %s map bus_addr sg %u maps 1",
		 NAME_NVME0, map.nents);
	igt_assert_f(strstr(section, want), "missing \"%s\"\n", want);

	igt_assert_eq(ti_unmap(ti, h), 0);
	igt_assert_eq(ti_detach(ti, h), 0);
	igt_assert_eq(buffer_section(ino, section, sizeof(section)), 0);
	igt_assert_f(!section[0], "attachment left after detach:\n%s", section);
	close(buf);
	igt_assert_f(buffer_section(ino, section, sizeof(section)) < 0,
		     "buffer %lu still listed after close\n", ino);
}

/* active objects of a cache, from /proc/slabinfo; false: no such cache */
static bool slab_active(const char *name, long *active)
{
	char line[512], cache[128];
	long num, size;
	bool found = false;
	FILE *f = fopen("/proc/slabinfo", "r");

	igt_require_f(f, "/proc/slabinfo: %s\n", strerror(errno));
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%127s %ld %ld %ld", cache, active, &num,
			       &size) == 4 && !strcmp(cache, name);
	fclose(f);
	return found;
}

/* a number from /sys/kernel/slab/<cache>/<file> */
static long slab_sysfs(const char *cache, const char *file)
{
	char path[256], *text;

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/%s", cache, file);
	text = read_file(path);
	return strtol(text, NULL, 10);
}

/* give back every free object the CPUs hold: then active = in use */
static void slab_shrink(const char *cache)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", cache);
	fd = open(path, O_WRONLY);
	igt_assert_f(fd >= 0, "%s: %s\n", path, strerror(errno));
	igt_assert_eq(write(fd, "1", 1), 1);
	close(fd);
}

#define SLAB_BUFFERS	256

static void test_slab_caches(void)
{
	static int fds[SLAB_BUFFERS];
	long buf0, chunk0, buf1, chunk1, bsize, csize;
	struct p2pbuf_provider_info gpu;
	struct utsname u;
	int major = 0, minor = 0;

	igt_assert_eq(uname(&u), 0);
	sscanf(u.release, "%d.%d", &major, &minor);
	if (!slab_active("p2pbuf_buffer", &buf0) ||
	    !slab_active("p2pbuf_chunk", &chunk0))
		igt_require_f(major > 6 || (major == 6 && minor >= 5),
			      "kernel %s: no SLAB_NO_MERGE before 6.5, p2pbuf's caches may be merged into others\n",
			      u.release);
	igt_assert_f(slab_active("p2pbuf_buffer", &buf0) &&
		     slab_active("p2pbuf_chunk", &chunk0),
		     "no p2pbuf_buffer or p2pbuf_chunk cache in /proc/slabinfo\n");
	/* the objects themselves, without the allocator's debug metadata */
	bsize = slab_sysfs("p2pbuf_buffer", "object_size");
	csize = slab_sysfs("p2pbuf_chunk", "object_size");
	igt_info("p2pbuf_buffer %ld B + p2pbuf_chunk %ld B per buffer\n",
		 bsize, csize);
	/* lockdep grows every lock: the budget is for kernels without it */
	if (access("/proc/lockdep", F_OK))
		igt_assert_f(bsize + csize <= 256,
			     "a buffer's own objects take %ld B, over the 256 B budget\n",
			     bsize + csize);
	else
		igt_info("a debug kernel (lockdep): the 256 B budget is not checked\n");

	get_ivshmem(&gpu);
	slab_shrink("p2pbuf_buffer");
	slab_shrink("p2pbuf_chunk");
	igt_assert(slab_active("p2pbuf_buffer", &buf0) &&
		   slab_active("p2pbuf_chunk", &chunk0));
	for (int i = 0; i < SLAB_BUFFERS; i++) {
		fds[i] = p2pbuf_alloc_rw(p2p, gpu.id, 4096, NULL);
		igt_assert_f(fds[i] >= 0, "buffer %d: %s\n", i, strerror(-fds[i]));
	}
	igt_assert(slab_active("p2pbuf_buffer", &buf1) &&
		   slab_active("p2pbuf_chunk", &chunk1));
	for (int i = 0; i < SLAB_BUFFERS; i++)
		close(fds[i]);
	igt_info("active objects: p2pbuf_buffer %ld -> %ld, p2pbuf_chunk %ld -> %ld\n",
		 buf0, buf1, chunk0, chunk1);
	/* after the shrink, every new buffer adds one object to each, at least */
	igt_assert_f(buf1 - buf0 >= SLAB_BUFFERS && chunk1 - chunk0 >= SLAB_BUFFERS,
		     "%d buffers added %ld buffer and %ld chunk objects\n",
		     SLAB_BUFFERS, buf1 - buf0, chunk1 - chunk0);
}

static void rebind_ivshmem(const char *driver)
{
	struct p2pbuf_provider_info gpu;
	char path[128], cur[64];

	pci_driver_name(NAME_IVSHMEM, cur, sizeof(cur));
	if (!cur[0]) {
		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/bind", driver);
		igt_assert_eq(sysfs_write(path, NAME_IVSHMEM), 0);
	}
	for (int i = 0; i < 100; i++) {
		if (p2pbuf_find(p2p, NAME_IVSHMEM, P2PBUF_KIND_BAR, &gpu) &&
		    (gpu.flags & P2PBUF_PROVIDER_AVAILABLE))
			return;
		usleep(100 * 1000);
	}
	igt_assert_f(0, "ivshmem provider did not come back\n");
}

static void test_trace(void)
{
	static const char *const events[] = { "p2pbuf_attach", "p2pbuf_map",
					      "p2pbuf_unmap", "p2pbuf_revoke" };
	struct p2pbuf_provider_info gpu;
	struct p2pbuf_ti_map map;
	char driver[64], want[96], *trace;
	unsigned long ino;
	uint32_t h;
	int buf;

	igt_require_f(!access(TRACING "/events/p2pbuf/enable", W_OK),
		      "no p2pbuf trace events (tracefs not mounted or CONFIG_TRACING off)\n");
	get_ivshmem(&gpu);
	pci_driver_name(NAME_IVSHMEM, driver, sizeof(driver));
	igt_assert_eq(sysfs_write(TRACING "/trace", ""), 0);
	igt_assert_eq(sysfs_write(TRACING "/events/p2pbuf/enable", "1"), 0);

	buf = p2pbuf_alloc_rw(p2p, gpu.id, 1 << 20, NULL);
	igt_assert(buf >= 0);
	ino = buf_ino(buf);
	igt_assert_eq(ti_import(ti, buf, BDF_NVME0, P2PBUF_TI_DYNAMIC, &h), 0);
	igt_assert_eq(ti_map(ti, h, 0, &map), 0);
	igt_assert_eq(ti_unmap(ti, h), 0);
	igt_assert_eq(ti_detach(ti, h), 0);
	/* revoke: the provider goes away under an open buffer */
	igt_assert_eq(sysfs_write(IVSHMEM_SYSFS "/driver/unbind", NAME_IVSHMEM), 0);
	rebind_ivshmem(driver);
	close(buf);

	igt_assert_eq(sysfs_write(TRACING "/events/p2pbuf/enable", "0"), 0);
	trace = read_file(TRACING "/trace");
	for (unsigned int i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		snprintf(want, sizeof(want), "%s: buf=%lu ", events[i], ino);
		igt_assert_f(strstr(trace, want), "no \"%s\" in the trace:\n%s", want, trace);
	}
	snprintf(want, sizeof(want), "p2pbuf_map: buf=%lu dev=%s ", ino, NAME_NVME0);
	igt_assert_f(strstr(trace, want), "map event without the importer: %s\n", want);
}

#define REFUSALS	300
#define RL_BURST	10	/* DEFAULT_RATELIMIT_BURST */
#define RL_INTERVAL	5.0	/* DEFAULT_RATELIMIT_INTERVAL, seconds */

/* "refused buffer" records from @kmsg on, up to now */
static int count_refusal_lines(int kmsg, char *first, size_t len)
{
	char rec[2048], *msg;
	int n = 0;
	ssize_t r;

	for (;;) {
		r = read(kmsg, rec, sizeof(rec) - 1);
		if (r < 0 && errno == EPIPE)
			continue;
		if (r < 0)
			return n;
		rec[r] = 0;
		if (!strstr(rec, "p2pbuf: refused buffer on"))
			continue;
		msg = strchr(rec, ';');
		if (!n++)
			snprintf(first, len, "%s", msg ? msg + 1 : rec);
	}
}

static void test_refusal_log(void)
{
	struct p2pbuf_provider_info gpu;
	struct p2pbuf_buf_info info;
	char first[2048] = "";
	double t0, elapsed;
	int buf, kmsg, ret, lines, bound;
	uint32_t h;

	get_ivshmem(&gpu);
	kmsg = p2pbuf_kmsg_open();
	igt_require_f(kmsg >= 0, "/dev/kmsg unreadable\n");
	/* a fresh rate-limit window, whatever refusals came before */
	usleep((RL_INTERVAL + 0.5) * 1e6);
	lseek(kmsg, 0, SEEK_END);

	t0 = p2pbuf_now();
	for (int i = 0; i < REFUSALS; i++) {
		buf = p2pbuf_alloc_rw(p2p, gpu.id, 4096, NULL);
		ret = ti_import(ti, buf, BDF_NVME0, P2PBUF_TI_NO_P2P, &h);
		igt_assert_f(ret == -EOPNOTSUPP, "import %d without allow_peer2peer: %s\n",
			     i, ret ? strerror(-ret) : "accepted");
		igt_assert_eq(p2pbuf_buf_info(p2p, buf, &info), 0);
		igt_assert_f(strstr(info.last_refusal, "allow_peer2peer"),
			     "buffer %d records \"%s\"\n", i, info.last_refusal);
		close(buf);
	}
	elapsed = p2pbuf_now() - t0;

	lines = count_refusal_lines(kmsg, first, sizeof(first));
	close(kmsg);
	bound = RL_BURST * (1 + (int)(elapsed / RL_INTERVAL));
	igt_info("%d refusals in %.1f s: %d log lines (bound %d), first: %s",
		 REFUSALS, elapsed, lines, bound, first);
	igt_assert_f(lines >= 1, "no refusal was logged at all\n");
	igt_assert_f(strstr(first, "allow_peer2peer"),
		     "the logged refusal does not say why: %s\n", first);
	igt_assert_f(lines <= bound, "%d refusal lines for %d refusals in %.1f s, bound %d\n",
		     lines, REFUSALS, elapsed, bound);
}

/* ---- kernel-answers-any-pair, unprivileged-verdicts --------------------- */

/*
 * Run the installed command with @args (NULL-terminated), as @uid (0: as
 * the test, else with no supplementary group and gid = uid); its stdout in
 * @out. Returns its exit status, or -1 if it did not exit.
 */
static int run_p2pbuf(uid_t uid, char *out, size_t len, const char *const *args)
{
	const char *argv[16] = { P2PBUF_BIN };
	int pfd[2], status, n;
	size_t got = 0;
	ssize_t r;
	pid_t pid;

	for (n = 1; args[n - 1] && n < 15; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	igt_assert_eq(pipe(pfd), 0);
	pid = fork();
	igt_assert(pid >= 0);
	if (!pid) {
		close(pfd[0]);
		if (dup2(pfd[1], 1) < 0)
			_exit(126);
		if (uid && (setgroups(0, NULL) || setgid(uid) || setuid(uid) ||
			    getuid() != uid))
			_exit(126);
		execv(P2PBUF_BIN, (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	while (got < len - 1 && (r = read(pfd[0], out + got, len - 1 - got)) > 0)
		got += r;
	out[got] = '\0';
	close(pfd[0]);
	igt_assert_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* the string or literal value of the first "@key" at or after @from */
static const char *json_val(const char *from, const char *key, char *buf,
			    size_t len)
{
	char k[64];
	const char *p;
	size_t n;

	snprintf(k, sizeof(k), "\"%s\": ", key);
	p = from ? strstr(from, k) : NULL;
	if (!p) {
		snprintf(buf, len, "(no %s)", key);
		return buf;
	}
	p += strlen(k);
	if (*p == '"') {
		p++;
		n = strcspn(p, "\"");
	} else {
		n = strcspn(p, ",\n}");
	}
	snprintf(buf, len, "%.*s", (int)n, p);
	return buf;
}

/* what a verdict is compared on */
struct cli_verdict {
	int rc;
	char answer[16], source[16], reason[40], map_type[16], why[200];
	char rd[16], wr[16], wr_reason[40];	/* the kernel's per direction */
	char text[8192];
};

static void cli_check(uid_t uid, bool model, bool json, const char *a,
		      const char *b, struct cli_verdict *v)
{
	const char *args[6] = { NULL };
	const char *dirs;
	char tmp[64];
	int i = 0;

	if (model)
		args[i++] = "--model";
	if (json)
		args[i++] = "--json";
	args[i++] = "check";
	args[i++] = a;
	args[i++] = b;
	memset(v, 0, sizeof(*v));
	v->rc = run_p2pbuf(uid, v->text, sizeof(v->text), args);
	igt_assert_f(v->rc >= 0 && v->rc <= EXIT_UNKNOWN && v->rc != 1,
		     "uid %u: p2pbuf %scheck %s %s exited %d:\n%s\n", uid,
		     model ? "--model " : "", a, b, v->rc, v->text);
	if (!json)
		return;
	json_val(v->text, "answer", v->answer, sizeof(v->answer));
	json_val(v->text, "source", v->source, sizeof(v->source));
	json_val(v->text, "reason", v->reason, sizeof(v->reason));
	json_val(v->text, "map_type", v->map_type, sizeof(v->map_type));
	json_val(v->text, "why", v->why, sizeof(v->why));
	dirs = strstr(v->text, "\"directions\": {");
	json_val(dirs ? strstr(dirs, "\"read\"") : NULL, "answer", v->rd,
		 sizeof(v->rd));
	dirs = dirs ? strstr(dirs, "\"write\"") : NULL;
	json_val(dirs, "answer", v->wr, sizeof(v->wr));
	json_val(dirs, "reason", v->wr_reason, sizeof(v->wr_reason));
	igt_debug("uid %u %s%s %s: %s %s %s (%s) read %s write %s\n", uid,
		  model ? "model " : "", a, b, v->answer, v->source, v->reason,
		  json_val(v->text, "kernel_not_asked", tmp, sizeof(tmp)),
		  v->rd, v->wr);
}

static void set_param(const char *name, const char *val)
{
	int ret = p2pbuf_param_set(name, val);

	igt_assert_f(ret == 0, "%s = %s: %s\n", name, val, strerror(-ret));
}

/* the kernel's raw answer by address, for one direction */
static struct p2pbuf_path path_by_bdf(uint32_t first, uint32_t client,
				      uint32_t dirs)
{
	struct p2pbuf_path p = {
		.flags = P2PBUF_PATH_BY_BDF | dirs,
		.provider_bdf = first,
		.client = client,
	};

	igt_assert_eq(p2pbuf_ioctl(p2p, P2PBUF_IOC_PATH, &p), 0);
	return p;
}

static const struct { const char *a, *b; uint32_t a_bdf, b_bdf; } any_pairs[] = {
	{ NAME_EDU, NAME_NVME2, BDF_EDU, BDF_NVME2 },
	{ NAME_NVME2, NAME_EDU2, BDF_NVME2, BDF_EDU2 },
	{ NAME_EDU, NAME_EDU2, BDF_EDU, BDF_EDU2 },
};

/* one pair, both orders: the kernel answers, as the model, and alike */
static void check_pair_both_orders(const char *a, const char *b,
				   const char *answer, const char *reason)
{
	struct cli_verdict ab, ba, model;

	cli_check(0, false, true, a, b, &ab);
	cli_check(0, false, true, b, a, &ba);
	cli_check(0, true, true, a, b, &model);
	igt_assert_f(!strcmp(ab.source, "kernel") && !strcmp(ba.source, "kernel"),
		     "check %s %s: answered by the %s / %s, not the kernel:\n%s\n",
		     a, b, ab.source, ba.source, ab.text);
	igt_assert_f(!strstr(ab.text, "\"swapped\": true"),
		     "check %s %s swapped its arguments\n", a, b);
	igt_assert_f(!strcmp(ab.answer, answer) && !strcmp(ab.reason, reason),
		     "check %s %s: %s %s, expected %s %s (%s)\n", a, b,
		     ab.answer, ab.reason, answer, reason, ab.why);
	igt_assert_f(!strcmp(ab.answer, ba.answer) &&
		     !strcmp(ab.reason, ba.reason) &&
		     !strcmp(ab.map_type, ba.map_type),
		     "check %s %s says %s %s %s, the other order %s %s %s\n", a, b,
		     ab.answer, ab.reason, ab.map_type, ba.answer, ba.reason,
		     ba.map_type);
	igt_assert_f(!strcmp(model.source, "model") &&
		     !strcmp(ab.answer, model.answer) &&
		     !strcmp(ab.reason, model.reason) &&
		     !strcmp(ab.map_type, model.map_type),
		     "check %s %s: the kernel says %s %s %s, the model %s %s %s\n",
		     a, b, ab.answer, ab.reason, ab.map_type, model.answer,
		     model.reason, model.map_type);
	/* no direction-limited rule: both directions alike, no extra lines */
	igt_assert_f(!strcmp(ab.rd, ab.wr) && !strcmp(ba.rd, ba.wr),
		     "check %s %s: read %s, write %s\n", a, b, ab.rd, ab.wr);
	cli_check(0, false, false, a, b, &ab);
	igt_assert_f(strstr(ab.text, "verdicts from: the kernel") &&
		     !strstr(ab.text, "\ndirection "),
		     "check %s %s:\n%s\n", a, b, ab.text);
}

static void test_kernel_answers_any_pair(void)
{
	char want[128], rule[32];
	unsigned int i;

	igt_require_f(access(P2PBUF_BIN, X_OK) == 0, "no %s\n", P2PBUF_BIN);
	set_param("deny_bridges", "\n");
	set_param("allow_bridges", "\n");
	for (i = 0; i < ARRAY_SIZE(any_pairs); i++)
		check_pair_both_orders(any_pairs[i].a, any_pairs[i].b, "refused",
				       "HOST_BRIDGE_NOT_ALLOWED");

	set_param("allow_bridges", HOST_BRIDGE_ID);
	for (i = 0; i < ARRAY_SIZE(any_pairs); i++)
		check_pair_both_orders(any_pairs[i].a, any_pairs[i].b, "allowed",
				       "OK");

	/* reads only: each direction its own verdict, in both orders */
	snprintf(rule, sizeof(rule), "%s:r", HOST_BRIDGE_ID);
	set_param("allow_bridges", rule);
	for (i = 0; i < ARRAY_SIZE(any_pairs); i++) {
		for (int order = 0; order < 2; order++) {
			const char *a = order ? any_pairs[i].b : any_pairs[i].a;
			const char *b = order ? any_pairs[i].a : any_pairs[i].b;
			uint32_t abdf = order ? any_pairs[i].b_bdf : any_pairs[i].a_bdf;
			uint32_t bbdf = order ? any_pairs[i].a_bdf : any_pairs[i].b_bdf;
			struct p2pbuf_path rd, wr, any;
			struct cli_verdict v;

			rd = path_by_bdf(abdf, bbdf, P2PBUF_PATH_READ);
			wr = path_by_bdf(abdf, bbdf, P2PBUF_PATH_WRITE);
			any = path_by_bdf(abdf, bbdf, 0);
			igt_assert_f(rd.map_type == P2PBUF_MAP_THRU_HOST_BRIDGE &&
				     rd.dirs == P2PBUF_PATH_READ,
				     "%s reads %s: map %u dirs %#x: %s\n", b, a,
				     rd.map_type, rd.dirs, rd.reason_str);
			igt_assert_f(wr.map_type == P2PBUF_MAP_NOT_SUPPORTED &&
				     wr.reason == P2PBUF_REASON_DIRECTION &&
				     strstr(wr.reason_str, "allowed for r only") &&
				     strstr(wr.reason_str, "needs w") && !wr.dirs,
				     "%s writes %s: map %u reason %u dirs %#x: %s\n",
				     b, a, wr.map_type, wr.reason, wr.dirs,
				     wr.reason_str);
			igt_assert_f(any.map_type == P2PBUF_MAP_THRU_HOST_BRIDGE &&
				     any.dirs == P2PBUF_PATH_READ &&
				     strstr(any.reason_str, "allowed (r)"),
				     "%s -> %s, any direction: %s\n", a, b,
				     any.reason_str);

			cli_check(0, false, true, a, b, &v);
			igt_assert_f(!strcmp(v.source, "kernel") &&
				     !strcmp(v.rd, "allowed") &&
				     !strcmp(v.wr, "refused") &&
				     !strcmp(v.wr_reason, "DIRECTION"),
				     "check %s %s: %s, read %s, write %s %s:\n%s\n",
				     a, b, v.source, v.rd, v.wr, v.wr_reason,
				     v.text);
			cli_check(0, false, false, a, b, &v);
			snprintf(want, sizeof(want),
				 "direction %s reads %s's memory: ALLOWED", b, a);
			igt_assert_f(strstr(v.text, want), "no \"%s\" in:\n%s\n",
				     want, v.text);
			snprintf(want, sizeof(want),
				 "direction %s writes %s's memory: REFUSED: host bridge", b, a);
			igt_assert_f(strstr(v.text, want) &&
				     strstr(v.text, "allowed for r only, mapping needs w"),
				     "no \"%s ... allowed for r only\" in:\n%s\n",
				     want, v.text);
		}
	}
	p2pbuf_params_restore();
}

/*
 * PATH by provider id answers from the verdict cache, which keeps the words
 * of one direction per entry: each direction, asked in changing order and
 * again after a policy change, gets what the uncached answer by address
 * says.
 */
static void check_cached_words(const struct p2pbuf_provider_info *prov,
			       bool *dir_words)
{
	static const uint32_t clients[] = { BDF_NVME0, BDF_NVME2, BDF_EDU,
					    BDF_EDU2 };
	static const uint32_t order[] = {
		P2PBUF_PATH_WRITE, P2PBUF_PATH_READ, 0,
		P2PBUF_PATH_READ | P2PBUF_PATH_WRITE, P2PBUF_PATH_READ,
		P2PBUF_PATH_WRITE, 0, P2PBUF_PATH_WRITE, P2PBUF_PATH_READ,
	};

	for (unsigned int c = 0; c < ARRAY_SIZE(clients); c++) {
		char rd[P2PBUF_REASON_LEN] = "";

		for (unsigned int i = 0; i < ARRAY_SIZE(order); i++) {
			struct p2pbuf_path id = {
				.flags = order[i],
				.provider_id = prov->id,
				.client = clients[c],
			}, addr;
			int ret = p2pbuf_ioctl(p2p, P2PBUF_IOC_PATH, &id);

			if (ret == -ENODEV)
				break;	/* no such device in this VM */
			igt_assert_f(ret == 0, "PATH %#x -> %#x dirs %#x: %s\n",
				     prov->bdf, clients[c], order[i],
				     strerror(-ret));
			addr = path_by_bdf(prov->bdf, clients[c], order[i]);
			igt_assert_f(id.map_type == addr.map_type &&
				     id.reason == addr.reason &&
				     id.dirs == addr.dirs &&
				     !strcmp(id.reason_str, addr.reason_str),
				     "%#x -> %#x dirs %#x: by id \"%s\", by address \"%s\"\n",
				     prov->bdf, clients[c], order[i],
				     id.reason_str, addr.reason_str);
			if (order[i] == P2PBUF_PATH_READ)
				snprintf(rd, sizeof(rd), "%s", id.reason_str);
			else if (order[i] == P2PBUF_PATH_WRITE && rd[0] &&
				 strcmp(rd, id.reason_str))
				*dir_words = true;
		}
	}
}

static void test_path_cache_words(void)
{
	struct p2pbuf_provider_info prov;
	bool dir_words = false;
	char rule[32];

	get_ivshmem(&prov);
	snprintf(rule, sizeof(rule), "%s:r", HOST_BRIDGE_ID);
	set_param("allow_bridges", rule);
	check_cached_words(&prov, &dir_words);
	/* the test means nothing unless some answer depends on direction */
	igt_assert_f(dir_words, "no client of %#x got other words for writes than for reads under %s\n",
		     prov.bdf, rule);
	set_param("allow_bridges", HOST_BRIDGE_ID);
	check_cached_words(&prov, &dir_words);
	set_param("allow_bridges", "\n");
	check_cached_words(&prov, &dir_words);
	p2pbuf_params_restore();
}

/* "vvvv:dddd" of a PCI device, from sysfs */
static void pci_id_of(const char *name, char *buf, size_t len)
{
	char path[128], vendor[16], device[16];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", name);
	igt_assert_eq(sysfs_read(path, vendor, sizeof(vendor)), 0);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", name);
	igt_assert_eq(sysfs_read(path, device, sizeof(device)), 0);
	snprintf(buf, len, "%s:%s", vendor + 2, device + 2);
}

static void test_unprivileged_verdicts(void)
{
	static const struct { const char *a, *b; } pairs[] = {
		{ NAME_NVME0, NAME_EDU },	/* below the switch */
		{ NAME_IVSHMEM, NAME_EDU },	/* below the switch */
		{ NAME_EDU, NAME_NVME2 },	/* through the host bridge */
		{ NAME_IVSHMEM, NAME_EDU2 },	/* through the host bridge */
	};
	char deny[32], allow_r[32];
	const char *policies[3][2];
	struct stat st;
	int fd, refused = 0;

	igt_require_f(access(P2PBUF_BIN, X_OK) == 0, "no %s\n", P2PBUF_BIN);
	igt_assert_eq(stat("/dev/p2pbuf", &st), 0);
	igt_assert_f((st.st_mode & 0777) == 0664,
		     "/dev/p2pbuf is %04o, expected 0664\n", st.st_mode & 0777);
	/* the switch's downstream port, as a broken switch would be denied */
	pci_id_of("0000:02:00.0", deny, sizeof(deny));
	snprintf(allow_r, sizeof(allow_r), "%s:r", HOST_BRIDGE_ID);
	policies[0][0] = "\n";
	policies[0][1] = "\n";
	policies[1][0] = "\n";
	policies[1][1] = deny;
	policies[2][0] = allow_r;
	policies[2][1] = "\n";

	for (int pol = 0; pol < 3; pol++) {
		set_param("allow_bridges", policies[pol][0]);
		set_param("deny_bridges", policies[pol][1]);
		igt_info("allow_bridges=%s deny_bridges=%s\n",
			 policies[pol][0][0] == '\n' ? "" : policies[pol][0],
			 policies[pol][1][0] == '\n' ? "" : policies[pol][1]);
		for (unsigned int i = 0; i < ARRAY_SIZE(pairs); i++) {
			struct cli_verdict root, user, user_model, user_text;

			cli_check(0, false, true, pairs[i].a, pairs[i].b, &root);
			cli_check(UID_USER, false, true, pairs[i].a, pairs[i].b, &user);
			cli_check(UID_USER, true, true, pairs[i].a, pairs[i].b,
				  &user_model);
			igt_info("  %s %s: root %s %s (%s); uid %d %s %s (%s), its model %s %s\n",
				 pairs[i].a, pairs[i].b, root.answer, root.reason,
				 root.source, UID_USER, user.answer, user.reason,
				 user.source, user_model.answer, user_model.reason);
			igt_assert_f(!strcmp(root.source, "kernel"),
				     "root was not answered by the kernel:\n%s\n",
				     root.text);
			igt_assert_f(!strcmp(user.source, "kernel"),
				     "uid %d was not answered by the kernel:\n%s\n",
				     UID_USER, user.text);
			igt_assert_f(!strcmp(user.answer, root.answer) &&
				     !strcmp(user.reason, root.reason) &&
				     user.rc == root.rc,
				     "uid %d gets %s %s (exit %d), root %s %s (exit %d)\n",
				     UID_USER, user.answer, user.reason, user.rc,
				     root.answer, root.reason, root.rc);
			/* the model may not know, but never says yes to a no */
			igt_assert_f(!(strcmp(root.answer, "allowed") &&
				       !strcmp(user_model.answer, "allowed")),
				     "uid %d's model says ALLOWED where the kernel says %s %s:\n%s\n",
				     UID_USER, root.answer, root.reason,
				     user_model.text);
			if (!strcmp(user_model.answer, "unknown"))
				igt_assert_f(strstr(user_model.text,
						    "\"what\": \"the ACS control of") &&
					     user_model.rc == EXIT_UNKNOWN,
					     "an UNKNOWN without its reason:\n%s\n",
					     user_model.text);
			refused += !strcmp(root.answer, "refused");
			cli_check(UID_USER, false, false, pairs[i].a, pairs[i].b,
				  &user_text);
			igt_assert_f(strstr(user_text.text, "verdicts from: the kernel"),
				     "uid %d:\n%s\n", UID_USER, user_text.text);
		}
	}
	/* the deny rule and the empty policy refused something to compare */
	igt_assert_f(refused >= 4, "only %d refusals over the policies\n", refused);

	/* the user may ask, not allocate: no write open */
	fd = open("/dev/p2pbuf", O_RDONLY);
	igt_assert(fd >= 0);
	close(fd);
	p2pbuf_params_restore();
}

igt_main
{
	igt_fixture {
		p2p = igt_p2pbuf_open();
		ti = ti_open();
	}

	igt_describe("debugfs lists each buffer with its importers, map type and sg entries.");
	igt_subtest("debugfs-lists-attachments")
		test_debugfs();

	igt_describe("A buffer's own memory is one object each of two named caches, within 256 B.");
	igt_subtest("slab-caches-per-buffer")
		test_slab_caches();

	igt_describe("attach, map, unmap and revoke trace events fire for the buffer.");
	igt_subtest("trace-events")
		test_trace();

	igt_describe("Refusals on many fresh buffers leave a rate-limited number of log lines.");
	igt_subtest("refusal-log-bounded")
		test_refusal_log();

	igt_describe("p2pbuf check on two non-providers: the kernel answers, as the model, per direction.");
	igt_subtest("kernel-answers-any-pair") {
		p2pbuf_params_restore();
		test_kernel_answers_any_pair();
	}

	igt_describe("PATH by provider id, from the cache, says what PATH by address says, per direction.");
	igt_subtest("path-cache-words") {
		p2pbuf_params_restore();
		test_path_cache_words();
	}

	igt_describe("A user outside the group gets the kernel's verdict through a read-only open.");
	igt_subtest("unprivileged-verdicts") {
		p2pbuf_params_restore();
		test_unprivileged_verdicts();
	}

	igt_fixture {
		/* the policy the subtests above change, also after a failure */
		p2pbuf_params_restore();
		close(ti);
		close(p2p);
	}
}
