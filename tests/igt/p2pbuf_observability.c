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
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "igt.h"
#include "p2pbuf_igt.h"

#define DEBUGFS_BUFFERS	"/sys/kernel/debug/p2pbuf/buffers"
#define TRACING		"/sys/kernel/tracing"
#define IVSHMEM_SYSFS	"/sys/bus/pci/devices/" NAME_IVSHMEM

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

igt_main
{
	igt_fixture {
		p2p = igt_p2pbuf_open();
		ti = ti_open();
	}

	igt_describe("debugfs lists each buffer with its importers, map type and sg entries.");
	igt_subtest("debugfs-lists-attachments")
		test_debugfs();

	igt_describe("attach, map, unmap and revoke trace events fire for the buffer.");
	igt_subtest("trace-events")
		test_trace();

	igt_describe("Refusals on many fresh buffers leave a rate-limited number of log lines.");
	igt_subtest("refusal-log-bounded")
		test_refusal_log();

	igt_fixture {
		close(ti);
		close(p2p);
	}
}
