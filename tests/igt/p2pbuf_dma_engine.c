// SPDX-License-Identifier: GPL-2.0
/**
 * TEST: p2pbuf dma engine
 * Category: Core
 * Description: a DMA-engine importer (tests/kmod, driving QEMU's edu device)
 *	moves data to and from p2pbuf buffers with the sg addresses it was given,
 *	imported the way ib_umem_dmabuf does (dynamic and pinned), and survives
 *	the provider being unbound under it.
 * Feature: p2pbuf
 *
 * SUBTEST: dma-engine-read-bar
 * Description: the engine reads a BAR buffer filled through the CPU mmap.
 *
 * SUBTEST: dma-engine-write-bar
 * Description: the engine writes a BAR buffer; the bytes are checked through
 *	the mmap and recorded for the host to find in vram.bin.
 *
 * SUBTEST: dma-engine-cmb-to-bar
 * Description: the engine copies NVMe CMB (p2pmem) -> edu -> ivshmem BAR,
 *	device to device, checked through the mmap and from the host.
 *
 * SUBTEST: dma-engine-via-host-bridge
 * Description: the second edu engine (08:00.0, behind its own root port)
 *	reaches the ivshmem BAR and the NVMe CMB only through the host bridge:
 *	refused, naming the bridge, until the bridge is allowed; then mapped
 *	with dma_map_resource() (IOVAs in the iommu config) and used to copy
 *	system memory -> BAR and BAR -> BAR, checked through the mmap and from
 *	the host. The data path of the iommu config.
 *
 * SUBTEST: dma-engine-revoke
 * Description: the provider is unbound while a dynamic import is mapped: the
 *	importer is notified, its next DMA fails with ENODEV, the BAR is not
 *	written through the stale address, the CPU mapping is gone; after a
 *	rebind new buffers work.
 *
 * SUBTEST: dma-engine-pinned-revoke
 * Description: the provider is unbound while a pinned import is mapped: the
 *	unbind waits until the importer detaches, then completes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "igt.h"
#include "p2pbuf_igt.h"

#define SZ_4K	4096ULL
#define SZ_1M	(1ULL << 20)
#define XFER	(16 * 1024ULL)	/* edu: 4 KiB per command, ~200 ms per page */
#define IVSHMEM_SYSFS "/sys/bus/pci/devices/" NAME_IVSHMEM

static int p2p = -1, ti = -1;
static char bar_driver[64];
static char allow_saved[256];	/* allow_bridges before a subtest changed it */
static bool allow_changed;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static bool ivshmem_provider(struct p2pbuf_provider_info *p)
{
	return p2pbuf_find(p2p, NAME_IVSHMEM, P2PBUF_KIND_BAR, p) &&
	       (p->flags & P2PBUF_PROVIDER_AVAILABLE);
}

/* Bind ivshmem back to its provider driver and wait for the provider. */
static void ivshmem_rebind(void)
{
	struct p2pbuf_provider_info p;
	char cur[64], path[128];
	double t0 = now();

	pci_driver_name(NAME_IVSHMEM, cur, sizeof(cur));
	if (!cur[0] && bar_driver[0]) {
		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/bind",
			 bar_driver);
		igt_assert_eq(sysfs_write(path, NAME_IVSHMEM), 0);
	}
	while (!ivshmem_provider(&p)) {
		igt_assert_f(now() - t0 < 10, "ivshmem provider did not come back\n");
		usleep(100 * 1000);
	}
}

static void need_ivshmem(struct p2pbuf_provider_info *p)
{
	ivshmem_rebind();	/* after a failed revoke test */
	igt_assert(ivshmem_provider(p));
}

/*
 * QEMU 7.2 sends same-switch P2P through the vIOMMU, which faults the bus
 * addresses Linux rightly picks for it (DESIGN.md): no data can be checked
 * on that path in the iommu config.
 */
static bool data_path_works(uint32_t provider)
{
	struct p2pbuf_path path;

	igt_assert_eq(igt_p2pbuf_path(p2p, provider, BDF_EDU, &path), 0);
	igt_assert_f(path.map_type != P2PBUF_MAP_NOT_SUPPORTED,
		     "edu refused: %s\n", path.reason_str);
	return !(p2pbuf_config() == CONFIG_IOMMU &&
		 path.map_type == P2PBUF_MAP_BUS_ADDR);
}

static void require_data_path(uint32_t provider)
{
	igt_require_f(data_path_works(provider),
		      "iommu config: edu reaches the BAR by bus address under one switch, and QEMU 7.2 faults that in its vIOMMU (xio3130-downstream has no ACS); this config's data path is dma-engine-via-host-bridge\n");
}

/* An RDWR buffer with its CPU mapping; at @fixed (region offset) if >= 0. */
static int alloc_mapped(const struct p2pbuf_provider_info *p, uint64_t size,
			long long fixed, struct p2pbuf_buf_info *info,
			uint8_t **map)
{
	struct p2pbuf_alloc a;
	int ret = -1;

	if (fixed >= 0) {
		memset(&a, 0, sizeof(a));
		a.size = size;
		a.provider_id = p->id;
		a.flags = P2PBUF_ALLOC_RDWR | P2PBUF_ALLOC_CLOEXEC |
			  P2PBUF_ALLOC_FIXED_OFFSET;
		a.offset = fixed;
		ret = p2pbuf_ioctl(p2p, P2PBUF_IOC_ALLOC, &a);
	}
	if (ret)
		ret = igt_p2pbuf_alloc(p2p, p->id, size,
				   P2PBUF_ALLOC_RDWR | P2PBUF_ALLOC_CLOEXEC, &a);
	igt_assert_f(ret == 0, "alloc on %s: %s\n", p->name, strerror(-ret));
	igt_assert_eq(p2pbuf_buf_info(p2p, a.fd, info), 0);
	*map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, a.fd, 0);
	igt_assert_f(*map != MAP_FAILED, "mmap: %s\n", strerror(errno));
	return a.fd;
}

static uint32_t import_edu(int buf, uint32_t mode)
{
	uint32_t h;
	int ret = ti_import(ti, buf, 0, mode | P2PBUF_TI_EDU, &h);

	igt_assert_f(ret == 0, "edu import: %s\n", strerror(-ret));
	return h;
}

static void check_read_bar(void)
{
	struct p2pbuf_provider_info p;
	struct p2pbuf_buf_info info;
	struct p2pbuf_ti_status st;
	uint8_t *map, *user = malloc(XFER), *want = malloc(XFER);
	uint32_t h;
	long bad;
	int buf;

	need_ivshmem(&p);
	require_data_path(p.id);
	buf = alloc_mapped(&p, XFER, -1, &info, &map);
	fill_pattern(map, XFER, 0x7ead);
	memcpy(want, map, XFER);
	h = import_edu(buf, P2PBUF_TI_DYNAMIC);

	memset(user, 0, XFER);
	igt_assert_eq(ti_dma(ti, h, 0, 0, 0, XFER, user), 0);
	bad = check_pattern(user, XFER, 0x7ead);
	igt_assert_f(bad < 0, "byte %ld read by the engine differs\n", bad);

	/* unaligned, across pages */
	memset(user, 0, XFER);
	igt_assert_eq(ti_dma(ti, h, SZ_4K + 123, 0, 0, 5000, user), 0);
	igt_assert_f(!memcmp(user, want + SZ_4K + 123, 5000),
		     "unaligned read differs\n");

	igt_assert_eq(ti_status(ti, h, &st), 0);
	igt_assert_eq_u64(st.dma_bytes, XFER + 5000);
	igt_assert_eq(st.invalidations, 0);
	igt_assert_eq(st.map_errors, 0);

	/* out of bounds: refused before the engine starts */
	igt_assert_errno(ti_dma(ti, h, XFER - 100, 0, 0, 200, user), EINVAL);

	igt_assert_eq(ti_detach(ti, h), 0);
	munmap(map, XFER);
	close(buf);
	free(user);
	free(want);
}

static void check_write_bar(void)
{
	struct p2pbuf_provider_info p;
	struct p2pbuf_buf_info info;
	uint8_t *map, *user = malloc(XFER), *want = malloc(XFER);
	uint32_t h;
	long bad;
	int buf;

	need_ivshmem(&p);
	require_data_path(p.id);
	buf = alloc_mapped(&p, XFER, p.size - 8 * SZ_1M, &info, &map);
	memset(map, 0xa5, XFER);
	h = import_edu(buf, P2PBUF_TI_DYNAMIC);

	fill_pattern(user, XFER, 0x1417e);
	igt_assert_eq(ti_dma(ti, 0, 0, h, 0, XFER, user), 0);
	bad = check_pattern(map, XFER, 0x1417e);
	igt_assert_f(bad < 0, "byte %ld written by the engine differs\n", bad);

	/* unaligned, across pages: exactly those bytes change */
	memcpy(want, map, XFER);
	fill_pattern(user, 3000, 0xc0ffee);
	memcpy(want + 2 * SZ_4K + 7, user, 3000);
	igt_assert_eq(ti_dma(ti, 0, 0, h, 2 * SZ_4K + 7, 3000, user), 0);
	igt_assert_f(!memcmp(map, want, XFER), "unaligned write: byte %ld\n",
		     ({ long i = 0; while (map[i] == want[i]) i++; i; }));

	host_check_record("dma-engine-write-bar", "vram.bin", info.bar_offset,
			  map, XFER);
	igt_assert_eq(ti_detach(ti, h), 0);
	munmap(map, XFER);
	close(buf);
	free(user);
	free(want);
}

static void check_cmb_to_bar(void)
{
	struct p2pbuf_provider_info p, cmb;
	struct p2pbuf_buf_info info, cinfo;
	uint8_t *map, *cmap;
	uint32_t hs, hd;
	long bad;
	int buf, cbuf;

	need_ivshmem(&p);
	igt_require_f(p2pbuf_find(p2p, NAME_NVME1, P2PBUF_KIND_P2PMEM, &cmb) &&
		      (cmb.flags & P2PBUF_PROVIDER_AVAILABLE),
		      "no p2pmem on %s: %s\n", NAME_NVME1,
		      p2pbuf_config() == CONFIG_STOCK ?
		      "P2PDMA is not in the stock kernel" : "not listed");
	require_data_path(p.id);
	require_data_path(cmb.id);

	cbuf = alloc_mapped(&cmb, XFER, -1, &cinfo, &cmap);
	buf = alloc_mapped(&p, XFER, p.size - 12 * SZ_1M, &info, &map);
	fill_pattern(cmap, XFER, 0xc3b);
	memset(map, 0, XFER);
	hs = import_edu(cbuf, P2PBUF_TI_DYNAMIC);
	hd = import_edu(buf, P2PBUF_TI_PINNED);

	igt_assert_eq(ti_dma(ti, hs, 0, hd, 0, XFER, NULL), 0);
	bad = check_pattern(map, XFER, 0xc3b);
	igt_assert_f(bad < 0, "byte %ld copied CMB -> BAR differs\n", bad);
	host_check_record("dma-engine-cmb-to-bar", "vram.bin", info.bar_offset,
			  map, XFER);

	igt_assert_eq(ti_detach(ti, hs), 0);
	igt_assert_eq(ti_detach(ti, hd), 0);
	munmap(map, XFER);
	munmap(cmap, XFER);
	close(buf);
	close(cbuf);
}

/* allow_bridges = @val; NULL: back to what it was before the first change */
static void set_allow_bridges(const char *val)
{
	int ret;

	if (!val) {
		if (!allow_changed)
			return;
		allow_changed = false;
		val = allow_saved[0] ? allow_saved : "\n";
	} else if (!allow_changed) {
		ret = sysfs_read(ALLOW_BRIDGES, allow_saved, sizeof(allow_saved));
		igt_require_f(ret == 0, "%s: %s\n", ALLOW_BRIDGES, strerror(-ret));
		allow_changed = true;
	}
	ret = sysfs_write(ALLOW_BRIDGES, val);
	igt_assert_f(ret == 0, "write \"%s\" to %s: %s\n", val, ALLOW_BRIDGES,
		     strerror(-ret));
}

/* Without an allow rule, edu2 is refused @buf, and the reason names the bridge. */
static void check_host_bridge_refused(const struct p2pbuf_provider_info *p,
				      int buf)
{
	struct p2pbuf_buf_info info;
	struct p2pbuf_path path;
	int ret;

	igt_assert_eq(igt_p2pbuf_path(p2p, p->id, BDF_EDU2, &path), 0);
	igt_info("%s -> %s without a rule: %s\n", p->name, NAME_EDU2,
		 path.reason_str);
	igt_assert_eq(path.map_type, P2PBUF_MAP_NOT_SUPPORTED);
	igt_assert_eq(path.reason, P2PBUF_REASON_HOST_BRIDGE_NOT_ALLOWED);
	igt_assert_eq(path.via, BDF_HOST_BRIDGE);
	igt_assert_f(strstr(path.reason_str, "host bridge 0000:00:00.0"),
		     "PATH reason does not name the host bridge: %s\n",
		     path.reason_str);

	ret = ti_import(ti, buf, BDF_EDU2, P2PBUF_TI_EDU | P2PBUF_TI_DYNAMIC,
			NULL);
	igt_assert_f(ret == -EOPNOTSUPP,
		     "import of a %s buffer on %s without an allow rule: %s\n",
		     p->name, NAME_EDU2, ret ? strerror(-ret) : "accepted");
	igt_assert_eq(p2pbuf_buf_info(p2p, buf, &info), 0);
	igt_info("refusal recorded on the buffer: %s\n", info.last_refusal);
	igt_assert_f(strstr(info.last_refusal, "crosses host bridge 0000:00:00.0") &&
		     strstr(info.last_refusal, HOST_BRIDGE_ID),
		     "refusal does not name the host bridge: \"%s\"\n",
		     info.last_refusal);
}

/*
 * Import @buf on edu2 and map it: the path goes through the host bridge, and
 * the sg addresses are what dma_map_resource() gave: IOVAs with the IOMMU,
 * the bus address (== CPU physical on q35) without it.
 */
static uint32_t import_via_host_bridge(const struct p2pbuf_provider_info *p,
				       int buf, uint32_t mode)
{
	struct p2pbuf_buf_info info;
	struct p2pbuf_path path;
	struct p2pbuf_ti_map m;
	uint64_t total = 0;
	uint32_t h;
	int ret;

	igt_assert_eq(igt_p2pbuf_path(p2p, p->id, BDF_EDU2, &path), 0);
	igt_info("%s -> %s: %s\n", p->name, NAME_EDU2, path.reason_str);
	igt_assert_f(path.map_type == P2PBUF_MAP_THRU_HOST_BRIDGE,
		     "%s -> %s is map type %u, not through the host bridge: %s\n",
		     p->name, NAME_EDU2, path.map_type, path.reason_str);
	igt_assert_eq(path.via, BDF_HOST_BRIDGE);

	ret = ti_import(ti, buf, BDF_EDU2, P2PBUF_TI_EDU | mode, &h);
	igt_assert_f(ret == 0, "import of a %s buffer on %s: %s\n", p->name,
		     NAME_EDU2, strerror(-ret));
	igt_assert_eq(ti_map(ti, h, 0, &m), 0);
	igt_assert_eq(p2pbuf_buf_info(p2p, buf, &info), 0);
	igt_assert_lte(1, m.nents);
	for (uint32_t i = 0; i < m.nents && i < P2PBUF_TI_MAX_SG; i++)
		total += m.len[i];
	igt_assert_eq_u64(total, info.size);
	igt_info("%s buffer: bus address %#llx, %s sees %#llx (%u segment%s)\n",
		 p->name, (unsigned long long)info.bus_addr, NAME_EDU2,
		 (unsigned long long)m.addr[0], m.nents, m.nents > 1 ? "s" : "");
	if (p2pbuf_config() == CONFIG_IOMMU)
		igt_assert_f(m.addr[0] != info.bus_addr,
			     "iommu config: %s got the bus address %#llx, not an IOVA\n",
			     NAME_EDU2, (unsigned long long)m.addr[0]);
	else
		igt_assert_f(m.addr[0] == info.bus_addr,
			     "no IOMMU: dma_map_resource() gave %#llx for bus address %#llx\n",
			     (unsigned long long)m.addr[0],
			     (unsigned long long)info.bus_addr);
	return h;
}

static void check_via_host_bridge(void)
{
	struct p2pbuf_provider_info p, cmb;
	struct p2pbuf_buf_info info, sinfo, cinfo;
	uint8_t *map, *smap, *cmap = NULL, *user = malloc(XFER);
	uint32_t hd, hs, hc = 0, h0;
	uint64_t len = 2 * XFER;
	char drv[64];
	bool have_cmb;
	long bad;
	int buf, sbuf, cbuf = -1, ret;

	need_ivshmem(&p);
	pci_driver_name(NAME_EDU2, drv, sizeof(drv));
	igt_require_f(!strcmp(drv, "p2pbuf_test_importer"),
		      "second edu %s is bound to \"%s\", not the test importer\n",
		      NAME_EDU2, drv);
	have_cmb = p2pbuf_find(p2p, NAME_NVME1, P2PBUF_KIND_P2PMEM, &cmb) &&
		   (cmb.flags & P2PBUF_PROVIDER_AVAILABLE);
	if (!have_cmb)
		igt_info("no p2pmem on %s (%s): BAR -> BAR only\n", NAME_NVME1,
			 p2pbuf_config() == CONFIG_STOCK ?
			 "P2PDMA is not in the stock kernel" : "not listed");

	/* the destination, near the top of the BAR: no other test writes there */
	buf = alloc_mapped(&p, 3 * XFER, p.size - 2 * SZ_1M, &info, &map);
	sbuf = alloc_mapped(&p, XFER, -1, &sinfo, &smap);
	memset(map, 0x5a, 3 * XFER);
	fill_pattern(smap, XFER, 0xb2b);
	if (have_cmb) {
		cbuf = alloc_mapped(&cmb, XFER, -1, &cinfo, &cmap);
		fill_pattern(cmap, XFER, 0xc2b);
		len = 3 * XFER;
	}

	/* no rule: refused, and the reason says which bridge to allow */
	set_allow_bridges("\n");
	check_host_bridge_refused(&p, buf);
	if (have_cmb)
		check_host_bridge_refused(&cmb, cbuf);
	/* edu2 is a bound edu device; another device is not an engine */
	igt_assert_errno(ti_import(ti, buf, BDF_NVME2,
				   P2PBUF_TI_EDU | P2PBUF_TI_DYNAMIC, NULL),
			 ENODEV);

	set_allow_bridges(HOST_BRIDGE_ID);
	hd = import_via_host_bridge(&p, buf, P2PBUF_TI_DYNAMIC);
	hs = import_via_host_bridge(&p, sbuf, P2PBUF_TI_PINNED);
	if (have_cmb)
		hc = import_via_host_bridge(&cmb, cbuf, P2PBUF_TI_DYNAMIC);

	/* the engine of one DMA is the edu of both imports */
	ret = ti_import(ti, sbuf, 0, P2PBUF_TI_EDU | P2PBUF_TI_DYNAMIC, &h0);
	igt_assert_f(ret == 0, "import on the first edu: %s\n", strerror(-ret));
	igt_assert_errno(ti_dma(ti, h0, 0, hd, 0, SZ_4K, NULL), EINVAL);
	igt_assert_eq(ti_detach(ti, h0), 0);

	/* system memory -> BAR */
	fill_pattern(user, XFER, 0x5b2);
	igt_assert_eq(ti_dma(ti, 0, 0, hd, 0, XFER, user), 0);
	bad = check_pattern(map, XFER, 0x5b2);
	igt_assert_f(bad < 0, "byte %ld written through the host bridge differs\n",
		     bad);

	/* BAR -> BAR: ivshmem to ivshmem, both through the host bridge */
	igt_assert_eq(ti_dma(ti, hs, 0, hd, XFER, XFER, NULL), 0);
	bad = check_pattern(map + XFER, XFER, 0xb2b);
	igt_assert_f(bad < 0, "byte %ld copied BAR -> BAR differs\n", bad);

	/* CMB -> BAR */
	if (have_cmb) {
		igt_assert_eq(ti_dma(ti, hc, 0, hd, 2 * XFER, XFER, NULL), 0);
		bad = check_pattern(map + 2 * XFER, XFER, 0xc2b);
		igt_assert_f(bad < 0, "byte %ld copied CMB -> BAR differs\n",
			     bad);
	}
	/* and the BAR read back by the engine, into system memory */
	memset(user, 0, XFER);
	igt_assert_eq(ti_dma(ti, hd, XFER, 0, 0, XFER, user), 0);
	bad = check_pattern(user, XFER, 0xb2b);
	igt_assert_f(bad < 0, "byte %ld read back through the host bridge differs\n",
		     bad);
	host_check_record("dma-engine-via-host-bridge", "vram.bin",
			  info.bar_offset, map, len);

	if (have_cmb) {
		igt_assert_eq(ti_detach(ti, hc), 0);
		munmap(cmap, XFER);
		close(cbuf);
	}
	igt_assert_eq(ti_detach(ti, hs), 0);
	igt_assert_eq(ti_detach(ti, hd), 0);
	set_allow_bridges(NULL);
	munmap(smap, XFER);
	munmap(map, 3 * XFER);
	close(sbuf);
	close(buf);
	free(user);
}

static void unbind_ivshmem(void)
{
	igt_assert_eq(sysfs_write(IVSHMEM_SYSFS "/driver/unbind", NAME_IVSHMEM), 0);
}

/* A child reads the old CPU mapping: it must not see the old bytes. */
static void check_cpu_mapping_gone(uint8_t *map, uint32_t seed)
{
	int status;
	pid_t pid = fork();

	igt_assert(pid >= 0);
	if (pid == 0) {
		/* SIGBUS here is the good outcome */
		_exit(check_pattern(map, 64, seed) < 0 ? 0 : 1);
	}
	igt_assert_eq(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		igt_info("reading the revoked mapping: %s\n",
			 strsignal(WTERMSIG(status)));
	igt_assert_f(!(WIFEXITED(status) && WEXITSTATUS(status) == 0),
		     "the CPU mapping still reaches the BAR after the revoke\n");
}

/* The BAR, mapped through sysfs while unbound: still the old bytes? */
static void check_bar_untouched(uint64_t bar_offset, size_t len, uint32_t seed)
{
	char path[128];
	uint8_t *bar;
	long bad;
	int fd;

	snprintf(path, sizeof(path), IVSHMEM_SYSFS "/resource%d", IVSHMEM_BAR);
	fd = open(path, O_RDWR | O_CLOEXEC);
	bar = fd < 0 ? MAP_FAILED :
	      mmap(NULL, len, PROT_READ, MAP_SHARED, fd, bar_offset);
	if (fd >= 0)
		close(fd);
	if (bar == MAP_FAILED) {
		igt_info("cannot map %s: %s; BAR content not checked\n", path,
			 strerror(errno));
		return;
	}
	bad = check_pattern(bar, len, seed);
	munmap(bar, len);
	igt_assert_f(bad < 0, "BAR byte %ld changed after the revoke: a stale address was used\n",
		     bad);
}

static void check_revoke(void)
{
	struct p2pbuf_provider_info p;
	struct p2pbuf_buf_info info;
	struct p2pbuf_ti_status st;
	struct p2pbuf_ti_map m;
	uint8_t *map, *user = malloc(XFER);
	bool data;
	uint32_t h;
	int buf, ret;

	need_ivshmem(&p);
	igt_require_f(bar_driver[0], "%s is not bound to a driver\n", NAME_IVSHMEM);
	data = data_path_works(p.id);
	buf = alloc_mapped(&p, XFER, -1, &info, &map);
	fill_pattern(map, XFER, 0x4e7);
	h = import_edu(buf, P2PBUF_TI_DYNAMIC);
	igt_assert_eq(ti_map(ti, h, 0, &m), 0);
	igt_assert_eq(m.invalidations, 0);
	if (data) {
		igt_assert_eq(ti_dma(ti, h, 0, 0, 0, SZ_4K, user), 0);
		igt_assert(check_pattern(user, SZ_4K, 0x4e7) < 0);
	}

	unbind_ivshmem();
	igt_info("unbound %s from %s\n", NAME_IVSHMEM, bar_driver);

	/* notified, and the mapping was dropped in move_notify */
	igt_assert_eq(ti_status(ti, h, &st), 0);
	igt_info("after revoke: invalidations %u state %#x\n", st.invalidations,
		 st.state);
	igt_assert_lte(1, st.invalidations);
	igt_assert(!(st.state & P2PBUF_TI_MAPPED));

	/* next DMA: the remap is refused, nothing is started */
	fill_pattern(user, XFER, 0xbad);
	ret = ti_dma(ti, 0, 0, h, 0, XFER, user);
	igt_assert_eq(ti_status(ti, h, &st), 0);
	igt_assert_f(ret == -ENODEV,
		     "DMA after revoke: %s (importer: maps %u, refused %u, last error %u, %llu bytes moved, state %#x)\n",
		     ret ? strerror(-ret) : "succeeded", st.maps, st.map_errors,
		     st.last_error, (unsigned long long)st.dma_bytes, st.state);
	igt_assert_errno(ti_map(ti, h, 0, &m), ENODEV);
	igt_assert_eq(ti_status(ti, h, &st), 0);
	igt_assert_lte(1, st.map_errors);
	igt_assert_eq(st.last_error, ENODEV);
	igt_assert_eq_u64(st.dma_bytes, data ? SZ_4K : 0);

	igt_assert_eq(p2pbuf_buf_info(p2p, buf, &info), 0);
	igt_assert(info.flags & P2PBUF_BUF_REVOKED);
	check_cpu_mapping_gone(map, 0x4e7);
	check_bar_untouched(info.bar_offset, XFER, 0x4e7);

	/* rebind: the old buffer stays revoked, new ones work */
	ivshmem_rebind();
	igt_assert_errno(ti_dma(ti, 0, 0, h, 0, SZ_4K, user), ENODEV);
	igt_assert_eq(ti_detach(ti, h), 0);
	munmap(map, XFER);
	close(buf);

	need_ivshmem(&p);
	buf = alloc_mapped(&p, XFER, -1, &info, &map);
	h = import_edu(buf, P2PBUF_TI_DYNAMIC);
	igt_assert_eq(ti_map(ti, h, 0, &m), 0);
	if (data) {
		fill_pattern(user, SZ_4K, 0x9e3);
		igt_assert_eq(ti_dma(ti, 0, 0, h, 0, SZ_4K, user), 0);
		igt_assert(check_pattern(map, SZ_4K, 0x9e3) < 0);
	}
	igt_assert_eq(ti_detach(ti, h), 0);
	munmap(map, XFER);
	close(buf);
	free(user);
}

struct unbind_job {
	atomic_bool done;
	double start, end;
	int ret;
};

static void *unbind_thread(void *arg)
{
	struct unbind_job *job = arg;

	job->start = now();
	job->ret = sysfs_write(IVSHMEM_SYSFS "/driver/unbind", NAME_IVSHMEM);
	job->end = now();
	atomic_store(&job->done, true);
	return NULL;
}

static void check_pinned_revoke(void)
{
	struct unbind_job job = { .done = false };
	struct p2pbuf_provider_info p;
	struct p2pbuf_buf_info info;
	struct p2pbuf_ti_status st;
	struct p2pbuf_ti_map m;
	uint8_t *map, *user = malloc(SZ_4K);
	double detached;
	pthread_t thr;
	uint32_t h;
	int buf;

	need_ivshmem(&p);
	igt_require_f(bar_driver[0], "%s is not bound to a driver\n", NAME_IVSHMEM);
	buf = alloc_mapped(&p, XFER, -1, &info, &map);
	fill_pattern(map, XFER, 0x919);
	h = import_edu(buf, P2PBUF_TI_PINNED);
	igt_assert_eq(ti_map(ti, h, 0, &m), 0);
	if (data_path_works(p.id)) {
		igt_assert_eq(ti_dma(ti, h, 0, 0, 0, SZ_4K, user), 0);
		igt_assert(check_pattern(user, SZ_4K, 0x919) < 0);
	}
	munmap(map, XFER);

	igt_assert_eq(pthread_create(&thr, NULL, unbind_thread, &job), 0);
	sleep(1);
	igt_assert_eq(ti_status(ti, h, &st), 0);
	igt_info("unbind pending for 1 s: %s; importer saw %u move_notify\n",
		 atomic_load(&job.done) ? "returned" : "blocked", st.invalidations);
	if (atomic_load(&job.done))
		pthread_join(thr, NULL);
	igt_assert_f(!atomic_load(&job.done),
		     "unbind returned (%s) while a pinned importer still held the buffer\n",
		     strerror(-job.ret));

	detached = now();
	igt_assert_eq(ti_detach(ti, h), 0);
	while (!atomic_load(&job.done) && now() - detached < 30)
		usleep(10 * 1000);
	igt_assert_f(atomic_load(&job.done),
		     "unbind still blocked 30 s after the importer detached\n");
	pthread_join(thr, NULL);
	igt_info("unbind took %.2f s, returned %.2f s after the detach\n",
		 job.end - job.start, job.end - detached);
	igt_assert_f(job.ret == 0, "unbind: %s\n", strerror(-job.ret));
	igt_assert(job.end >= detached);

	igt_assert_eq(p2pbuf_buf_info(p2p, buf, &info), 0);
	igt_assert(info.flags & P2PBUF_BUF_REVOKED);
	close(buf);
	ivshmem_rebind();
	free(user);
}

igt_main
{
	igt_fixture {
		char drv[64];

		p2p = igt_p2pbuf_open();
		ti = ti_open();
		pci_driver_name(NAME_EDU, drv, sizeof(drv));
		igt_require_f(!strcmp(drv, "p2pbuf_test_importer"),
			      "edu %s is bound to \"%s\", not the test importer\n",
			      NAME_EDU, drv);
		pci_driver_name(NAME_IVSHMEM, bar_driver, sizeof(bar_driver));
		igt_info("config %s, ivshmem bound to \"%s\"\n",
			 p2pbuf_config_name(), bar_driver);
	}

	igt_describe("The edu engine reads a BAR buffer with its own sg addresses.");
	igt_subtest("dma-engine-read-bar")
		check_read_bar();

	igt_describe("The edu engine writes a BAR buffer; checked via mmap and from the host.");
	igt_subtest("dma-engine-write-bar")
		check_write_bar();

	igt_describe("CMB -> edu -> ivshmem BAR, device to device.");
	igt_subtest("dma-engine-cmb-to-bar")
		check_cmb_to_bar();

	igt_describe("The second edu engine, behind its own root port, moves data through the allowed host bridge (IOMMU-mapped in the iommu config).");
	igt_subtest("dma-engine-via-host-bridge")
		check_via_host_bridge();

	igt_describe("Unbind the provider under a mapped dynamic import: notified, next DMA ENODEV, no stale access.");
	igt_subtest("dma-engine-revoke")
		check_revoke();

	igt_describe("Unbind the provider under a pinned import: unbind waits until the importer detaches.");
	igt_subtest("dma-engine-pinned-revoke")
		check_pinned_revoke();

	igt_fixture {
		set_allow_bridges(NULL);
		ivshmem_rebind();
		close(ti);
		close(p2p);
	}
}
