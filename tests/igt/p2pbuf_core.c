// SPDX-License-Identifier: GPL-2.0
/**
 * TEST: p2pbuf core
 * Category: Core
 * Description: providers, allocation, export, attach policy, sg tables and
 *	CPU mmap of /dev/p2pbuf dma-bufs, checked in the reference QEMU topology
 *	(tools/testing/vm/README.md) through raw ioctls and the test importer
 *	module (tests/kmod), which reports the sg addresses an importer gets.
 * Feature: p2pbuf
 *
 * SUBTEST: provider-list
 * Description: both NVMe CMBs (p2pmem) and the ivshmem BAR are listed with
 *	their sizes and bus addresses; on the stock kernel (no P2PDMA) no
 *	p2pmem is listed at all: p2pbuf does not probe nvme's registers.
 *
 * SUBTEST: provider-list-many
 * Description: with 21 more providers (registered on the DMA engine's BAR0
 *	through the test importer, listed only), LIST's walk, which writes a
 *	batch of entries at a time, and its snapshot (a longer entry) agree
 *	byte for byte, in id order; an array of 11 gets those 11 and not a
 *	byte past them. The extra providers are gone afterwards.
 *
 * SUBTEST: alloc-export-basic
 * Description: a buffer is allocated and exported as a dma-buf fd whose
 *	flags, size and BUF_INFO match the request; closing it frees the space.
 *
 * SUBTEST: alloc-exhaust
 * Description: filling a provider makes the next allocation fail with ENOMEM;
 *	freeing a buffer makes room again.
 *
 * SUBTEST: alloc-no-fragmentation
 * Description: in the 128 MiB ivshmem BAR, a 96 MiB buffer fits after a
 *	4 KiB one at offset 0 (buffers are page aligned, 2 MiB aligned from
 *	2 MiB up, never aligned to their own size); small buffers go to the
 *	smallest hole that holds them, so a big run stays whole for a big
 *	buffer.
 *
 * SUBTEST: alloc-bad-input
 * Description: zero or unaligned size, overflowing offset+size, unknown flags,
 *	a bad provider id and non-zero reserved fields each get EINVAL and leak
 *	neither space nor file descriptors.
 *
 * SUBTEST: attach-same-switch-bus-address
 * Description: an importer under the same switch gets the PCI bus address of
 *	the BAR plus the buffer offset, in one contiguous run; three mappings
 *	of one attachment held at once each get their own sg table, the same
 *	addresses, and are unmapped in every order.
 *
 * SUBTEST: attach-cross-root-port-refused
 * Description: an importer behind the second root port is refused by default
 *	and the reason names the q35 host bridge 0000:00:00.0 (8086:29c0).
 *
 * SUBTEST: attach-cross-root-port-allowed
 * Description: after allowing 8086:29c0 the same importer is accepted and
 *	mapped through the DMA API (IOMMU addresses in the iommu config);
 *	mappings held at once each get their own sg table and DMA mapping.
 *
 * SUBTEST: path-follows-devices
 * Description: PATH answers from the verdict cache by address only for a
 *	device that is there: the same bus and devfn in a domain with no
 *	device get ENODEV after the pair was cached, a removed device ENODEV,
 *	and the device rescanned at the same address the first answer again.
 *
 * SUBTEST: policy-change-reaches-attached
 * Description: an importer attached while 8086:29c0 was allowed is refused
 *	at its next map once the rule is withdrawn (the verdict decided at
 *	attach is not kept past a policy change), and mapped again once the
 *	rule is back.
 *
 * SUBTEST: attach-non-p2p-importer-refused
 * Description: importers without allow_peer2peer, a non-PCI device, and vgem
 *	(through drmPrimeFDToHandle) are refused with EOPNOTSUPP and a reason.
 *
 * SUBTEST: mmap-cpu-roundtrip
 * Description: bytes written through the CPU mmap read back, are in the BAR,
 *	and for ivshmem are recorded for the host to find in vram.bin.
 *
 * SUBTEST: sg-coalesced
 * Description: a 64 MiB contiguous buffer maps to at most 2 sg entries for
 *	NVMe, and is split at the 64 KiB max segment size for edu.
 *
 * SUBTEST: bar-reset-revokes
 * Description: a reset of the ivshmem device (sysfs reset) revokes the
 *	buffers of its BAR provider before the BAR goes away, and the BAR is
 *	lent out again, as a new provider, once the reset is done.
 *
 * SUBTEST: p2pmem-free-deferred-while-pinned
 * Description: a p2pmem buffer whose pages are still pinned (as by O_DIRECT
 *	in flight) when it is released stays allocated, and its range is not
 *	handed out again, until the pins go; then the space comes back.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xf86drm.h>

#include "igt.h"
#include "p2pbuf_igt.h"

#define SZ_4K	4096ULL
#define SZ_1M	(1ULL << 20)

static int p2p = -1;
static char saved_allow[256];
static bool allow_saved;

static void need_ivshmem(struct p2pbuf_provider_info *p)
{
	igt_assert_f(p2pbuf_find(p2p, NAME_IVSHMEM, P2PBUF_KIND_BAR, p),
		     "no BAR provider for ivshmem %s (bound to p2pbuf_bar?)\n",
		     NAME_IVSHMEM);
	igt_assert_f(p->flags & P2PBUF_PROVIDER_AVAILABLE,
		     "ivshmem provider unavailable: %s\n", p->reason);
}

/* Providers to run a per-provider check on: ivshmem and any p2pmem. */
static int data_providers(struct p2pbuf_provider_info *out, int max)
{
	struct p2pbuf_provider_info p[MAX_PROVIDERS];
	int n = p2pbuf_list(p2p, p, MAX_PROVIDERS), k = 0;

	igt_assert_f(n >= 0, "LIST: %s\n", strerror(-n));
	for (int i = 0; i < n && k < max; i++)
		if ((p[i].flags & P2PBUF_PROVIDER_AVAILABLE) &&
		    (p[i].kind == P2PBUF_KIND_P2PMEM ||
		     !strcmp(p[i].name, NAME_IVSHMEM)))
			out[k++] = p[i];
	igt_assert_f(k > 0, "no available provider\n");
	return k;
}

static void allow_bridges_set(const char *val)
{
	int ret = sysfs_write(ALLOW_BRIDGES, val);

	igt_assert_f(ret == 0, "write \"%s\" to %s: %s\n", val, ALLOW_BRIDGES,
		     strerror(-ret));
}

static void allow_bridges_restore(void)
{
	if (allow_saved)
		sysfs_write(ALLOW_BRIDGES, saved_allow[0] ? saved_allow : "\n");
}

/* The default policy must be in force: no host bridge allowed. */
static void allow_bridges_default(void)
{
	char cur[256];

	igt_require_f(allow_saved, "%s is not there\n", ALLOW_BRIDGES);
	allow_bridges_restore();
	igt_assert(sysfs_read(ALLOW_BRIDGES, cur, sizeof(cur)) == 0);
	igt_require_f(!strstr(cur, "29c0"),
		      "%s allows the q35 host bridge by default here (\"%s\")\n",
		      ALLOW_BRIDGES, cur);
}

static void check_contiguous(const struct p2pbuf_ti_map *m, uint64_t size)
{
	uint64_t total = 0;

	igt_assert_f(m->nents >= 1 && m->nents <= P2PBUF_TI_MAX_SG,
		     "nents %u\n", m->nents);
	for (unsigned int i = 0; i < m->nents; i++) {
		igt_debug("  sg[%u] %#llx + %#llx\n", i,
			  (unsigned long long)m->addr[i],
			  (unsigned long long)m->len[i]);
		if (i)
			igt_assert_f(m->addr[i] == m->addr[i - 1] + m->len[i - 1],
				     "sg[%u] at %#llx does not follow sg[%u]\n",
				     i, (unsigned long long)m->addr[i], i - 1);
		total += m->len[i];
	}
	igt_assert_eq_u64(total, size);
}

/*
 * LIST writes the usual entry size while it walks the providers, a batch at
 * a time; a longer entry goes through a snapshot. With more providers than
 * one batch holds, both must give the same entries, and a short array must
 * get exactly what fits: not a byte past it.
 */
static void check_provider_list_many(void)
{
	static struct p2pbuf_provider_info walk[MAX_PROVIDERS], room[MAX_PROVIDERS];
	static struct {
		struct p2pbuf_provider_info info;
		unsigned char more[8];
	} wide[MAX_PROVIDERS];
	struct p2pbuf_ti_bench b = {
		.op = P2PBUF_TI_BENCH_REGISTER, .provider = BDF_EDU, .bar = 0,
		.size = 4096, .iters = 21,
	};
	struct p2pbuf_list l = { .count = MAX_PROVIDERS,
				 .entry_size = sizeof(wide[0]),
				 .entries = (uintptr_t)wide };
	struct p2pbuf_list s = { .entry_size = sizeof(room[0]),
				 .entries = (uintptr_t)room };
	int ti = ti_open(), before, n, ret, rl, rs;

	before = p2pbuf_list(p2p, walk, MAX_PROVIDERS);
	igt_assert_f(before >= 0, "LIST: %s\n", strerror(-before));
	/* providers on the engine's register BAR, only listed, never lent */
	ret = p2pbuf_ioctl(ti, P2PBUF_TI_BENCH, &b);
	if (ret) {
		/* what it registered before failing stays: drop it first */
		b.op = P2PBUF_TI_BENCH_UNREGISTER;
		p2pbuf_ioctl(ti, P2PBUF_TI_BENCH, &b);
		close(ti);
		igt_assert_f(0, "registering %u providers: %s\n", b.iters,
			     strerror(-ret));
	}

	n = p2pbuf_list(p2p, walk, MAX_PROVIDERS);
	memset(wide, 0xa5, sizeof(wide));
	rl = p2pbuf_ioctl(p2p, P2PBUF_IOC_LIST, &l);
	/* a count that ends inside a batch, the rest of the array marked */
	memset(room, 0xa5, sizeof(room));
	s.count = 11;
	rs = p2pbuf_ioctl(p2p, P2PBUF_IOC_LIST, &s);

	b.op = P2PBUF_TI_BENCH_UNREGISTER;
	ret = p2pbuf_ioctl(ti, P2PBUF_TI_BENCH, &b);
	close(ti);
	igt_assert_f(ret == 0, "unregistering: %s\n", strerror(-ret));

	igt_assert_eq(n, before + 21);
	igt_assert_eq(rl, 0);
	igt_assert_eq((int)l.count, n);
	for (int i = 0; i < n; i++) {
		igt_assert_f(!memcmp(&wide[i].info, &walk[i], sizeof(walk[i])),
			     "entry %d (provider %u): the walk and the snapshot differ\n",
			     i, walk[i].id);
		for (size_t c = 0; c < sizeof(wide[i].more); c++)
			igt_assert_f(!wide[i].more[c],
				     "entry %d: byte %zu past the struct is %#x\n",
				     i, sizeof(wide[i].info) + c, wide[i].more[c]);
		if (i)
			igt_assert_f(walk[i].id > walk[i - 1].id,
				     "entry %d: id %u after %u\n", i,
				     walk[i].id, walk[i - 1].id);
	}

	igt_assert_eq(rs, 0);
	igt_assert_eq((int)s.count, n);
	for (int i = 0; i < 11; i++)
		igt_assert_f(!memcmp(&room[i], &walk[i], sizeof(walk[i])),
			     "short array: entry %d differs\n", i);
	for (size_t c = 0; c < sizeof(room[11]); c++)
		igt_assert_f(((unsigned char *)&room[11])[c] == 0xa5,
			     "short array of 11: byte %zu past it written\n", c);

	igt_assert_eq(p2pbuf_list(p2p, walk, MAX_PROVIDERS), before);
}

static void check_provider_list(void)
{
	struct p2pbuf_provider_info p[MAX_PROVIDERS];
	bool seen_ivshmem = false, seen_p2pmem = false;
	int nvme_p2pmem = 0;
	int n = p2pbuf_list(p2p, p, MAX_PROVIDERS);
	struct p2pbuf_list l = { .count = 0, .entry_size = sizeof(p[0]) };

	igt_assert_f(n >= 0, "LIST: %s\n", strerror(-n));
	/* count-only call agrees */
	igt_assert_eq(p2pbuf_ioctl(p2p, P2PBUF_IOC_LIST, &l), 0);
	igt_assert_eq((int)l.count, n);

	for (int i = 0; i < n; i++) {
		const struct p2pbuf_provider_info *e = &p[i];
		uint64_t bar = pci_bar_start(e->name, e->bar);

		igt_info("provider %u %s bar %u kind %u flags %#x size %#llx free %#llx bus %#llx %s\n",
			 e->id, e->name, e->bar, e->kind, e->flags,
			 (unsigned long long)e->size,
			 (unsigned long long)e->free,
			 (unsigned long long)e->bus_addr, e->reason);
		igt_assert(e->free <= e->size);
		if (e->flags & P2PBUF_PROVIDER_AVAILABLE) {
			igt_assert_f(!e->reason[0], "available, yet reason \"%s\"\n",
				     e->reason);
			/* x86 q35: bus address == CPU physical address */
			igt_assert_eq_u64(e->bus_addr, bar + e->bar_offset);
		} else {
			igt_assert_f(e->reason[0], "%s unavailable without a reason\n",
				     e->name);
		}
		if (!strcmp(e->name, NAME_IVSHMEM) && e->kind == P2PBUF_KIND_BAR) {
			seen_ivshmem = true;
			igt_assert(e->flags & P2PBUF_PROVIDER_AVAILABLE);
			igt_assert_eq(e->bar, IVSHMEM_BAR);
			igt_assert_eq_u64(e->size, IVSHMEM_SIZE);
			igt_assert_eq_u64(e->bdf, BDF_IVSHMEM);
			igt_assert_eq_u64(e->vendor_device, 0x1af41110);
			igt_assert(!(e->flags & P2PBUF_PROVIDER_PAGES));
		}
		if (e->kind == P2PBUF_KIND_P2PMEM) {
			seen_p2pmem = true;
			if (e->flags & P2PBUF_PROVIDER_AVAILABLE) {
				igt_assert_f(!strcmp(e->name, NAME_NVME0) ||
					     !strcmp(e->name, NAME_NVME1),
					     "p2pmem on %s\n", e->name);
				igt_assert(e->flags & P2PBUF_PROVIDER_PUBLISHED);
				igt_assert(e->flags & P2PBUF_PROVIDER_PAGES);
				/* cmb_size_mb=16, less what nvme keeps */
				igt_assert_f(e->size >= 8 * SZ_1M &&
					     e->size <= 16 * SZ_1M,
					     "CMB size %#llx\n",
					     (unsigned long long)e->size);
				nvme_p2pmem++;
			}
		}
	}
	igt_assert_f(seen_ivshmem, "ivshmem %s BAR%d is not listed\n",
		     NAME_IVSHMEM, IVSHMEM_BAR);
	/* stock: nvme's registers are not probed for a CMB behind its back */
	if (p2pbuf_config() == CONFIG_STOCK)
		igt_assert_f(!seen_p2pmem,
			     "stock kernel lists p2pmem without P2PDMA\n");
	else
		igt_assert_f(nvme_p2pmem == 2,
			     "%d of the 2 NVMe CMBs listed as p2pmem\n",
			     nvme_p2pmem);
}

static void check_alloc_basic(const struct p2pbuf_provider_info *p)
{
	uint64_t size = 2 * SZ_1M, free0 = p2pbuf_free_bytes(p2p, p->id);
	struct p2pbuf_buf_info info;
	struct p2pbuf_alloc a;
	char path[64], fdinfo[1024], want[64];
	void *map;
	int ret;

	igt_info("%s (%s)\n", p->name, p->kind == P2PBUF_KIND_BAR ? "bar" : "p2pmem");
	ret = igt_p2pbuf_alloc(p2p, p->id, size,
			   P2PBUF_ALLOC_RDWR | P2PBUF_ALLOC_CLOEXEC, &a);
	igt_assert_f(ret == 0, "alloc: %s\n", strerror(-ret));
	igt_assert(a.fd >= 0);
	igt_assert(fcntl(a.fd, F_GETFD) & FD_CLOEXEC);
	igt_assert_eq(fcntl(a.fd, F_GETFL) & O_ACCMODE, O_RDWR);
	igt_assert_eq_u64(a.offset % SZ_4K, 0);
	igt_assert_eq_u64(a.bus_addr, p->bus_addr + a.offset);
	igt_assert_eq_u64(lseek(a.fd, 0, SEEK_END), size);
	igt_assert_eq_u64(p2pbuf_free_bytes(p2p, p->id), free0 - size);

	igt_assert_eq(p2pbuf_buf_info(p2p, a.fd, &info), 0);
	igt_assert_eq(info.provider_id, p->id);
	igt_assert_eq_u64(info.size, size);
	igt_assert_eq_u64(info.offset, a.offset);
	igt_assert_eq_u64(info.bar_offset, p->bar_offset + a.offset);
	igt_assert_eq_u64(info.bus_addr, a.bus_addr);
	igt_assert_eq(info.kind, p->kind);
	igt_assert_eq(info.flags, 0);
	igt_assert_eq(info.attachments, 0);
	igt_assert_eq_str(info.provider_name, p->name);

	/* the core sees a dma-buf of that size */
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", a.fd);
	igt_assert_eq(sysfs_read(path, fdinfo, sizeof(fdinfo)), 0);
	snprintf(want, sizeof(want), "size:\t%llu", (unsigned long long)size);
	igt_assert_f(strstr(fdinfo, want), "fdinfo: %s\n", fdinfo);
	igt_assert_eq(close(a.fd), 0);
	igt_assert_eq_u64(p2pbuf_free_bytes(p2p, p->id), free0);

	/* without RDWR and CLOEXEC: read-only, inherited, no writable mmap */
	ret = igt_p2pbuf_alloc(p2p, p->id, SZ_4K, 0, &a);
	igt_assert_f(ret == 0, "alloc: %s\n", strerror(-ret));
	igt_assert(!(fcntl(a.fd, F_GETFD) & FD_CLOEXEC));
	igt_assert_eq(fcntl(a.fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	map = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE, MAP_SHARED, a.fd, 0);
	igt_assert_f(map == MAP_FAILED && errno == EACCES,
		     "writable mmap of a read-only buffer: %s\n",
		     map == MAP_FAILED ? strerror(errno) : "allowed");
	close(a.fd);
	igt_assert_eq_u64(p2pbuf_free_bytes(p2p, p->id), free0);
}

static void check_exhaust(const struct p2pbuf_provider_info *p)
{
	uint64_t free0 = p2pbuf_free_bytes(p2p, p->id), chunk = 16 * SZ_1M;
	int fds[256], n = 0, big = -1, ret;
	struct p2pbuf_alloc a;

	/* Fill with halving chunks: few fds, and the tail down to a page. */
	while (chunk >= SZ_4K && n < 256) {
		ret = igt_p2pbuf_alloc(p2p, p->id, chunk, P2PBUF_ALLOC_CLOEXEC, &a);
		if (ret == -ENOMEM) {
			chunk /= 2;
			continue;
		}
		igt_assert_f(ret == 0, "alloc %#llx: %s\n",
			     (unsigned long long)chunk, strerror(-ret));
		if (chunk == 16 * SZ_1M)
			big = n;
		fds[n++] = a.fd;
	}
	igt_assert_f(n < 256, "never got ENOMEM\n");
	igt_info("%s: %d buffers fill %#llx bytes\n", p->name, n,
		 (unsigned long long)free0);
	igt_assert_eq_u64(p2pbuf_free_bytes(p2p, p->id), 0);
	igt_assert_errno(igt_p2pbuf_alloc(p2p, p->id, SZ_4K, 0, &a), ENOMEM);
	igt_assert_eq(a.fd, -1);

	/* freeing makes room again */
	igt_assert_f(big >= 0, "no 16 MiB buffer fitted\n");
	close(fds[big]);
	ret = igt_p2pbuf_alloc(p2p, p->id, 16 * SZ_1M, P2PBUF_ALLOC_CLOEXEC, &a);
	igt_assert_f(ret == 0, "alloc after free: %s\n", strerror(-ret));
	fds[big] = a.fd;
	igt_assert_errno(igt_p2pbuf_alloc(p2p, p->id, SZ_4K, 0, &a), ENOMEM);

	for (int i = 0; i < n; i++)
		close(fds[i]);
	igt_assert_eq_u64(p2pbuf_free_bytes(p2p, p->id), free0);
}

/* a buffer of @size at region offset @offset, or anywhere when @offset < 0 */
static int alloc_at(const struct p2pbuf_provider_info *p, uint64_t size,
		    long long offset, struct p2pbuf_alloc *a)
{
	int ret;

	memset(a, 0, sizeof(*a));
	a->size = size;
	a->provider_id = p->id;
	a->flags = P2PBUF_ALLOC_CLOEXEC;
	if (offset >= 0) {
		a->flags |= P2PBUF_ALLOC_FIXED_OFFSET;
		a->offset = offset;
	}
	ret = p2pbuf_ioctl(p2p, P2PBUF_IOC_ALLOC, a);
	igt_assert_f(ret == 0, "alloc %#llx bytes at %lld: %s\n",
		     (unsigned long long)size, offset, strerror(-ret));
	igt_assert_eq_u64(a->bus_addr, p->bus_addr + a->offset);
	igt_assert_f(a->offset + size <= p->size, "buffer past the region\n");
	return a->fd;
}

static void check_no_fragmentation(const struct p2pbuf_provider_info *p)
{
	uint64_t big = p->size / 4 * 3, hole = p->size - 8 * SZ_1M;
	struct p2pbuf_alloc small, a;
	int fd_small, fd;

	igt_require_f(p2pbuf_free_bytes(p2p, p->id) == p->size,
		      "%s: %#llx of %#llx bytes in use by others\n", p->name,
		      (unsigned long long)(p->size - p2pbuf_free_bytes(p2p, p->id)),
		      (unsigned long long)p->size);

	/* the case: 4 KiB at offset 0, then three quarters of the BAR */
	fd_small = alloc_at(p, SZ_4K, 0, &small);
	fd = alloc_at(p, big, -1, &a);
	igt_info("%#llx bytes at offset %#llx after 4 KiB at 0\n",
		 (unsigned long long)big, (unsigned long long)a.offset);
	igt_assert_f(a.offset >= SZ_4K, "overlaps the 4 KiB buffer\n");
	/* from 2 MiB up, 2 MiB aligned in bus address (room was left) */
	igt_assert_eq_u64(a.bus_addr % (2 * SZ_1M), 0);
	close(fd);
	close(fd_small);

	/* small buffers: page aligned, wherever they fit best */
	fd = alloc_at(p, 3 * SZ_4K, -1, &a);
	igt_assert_eq_u64(a.offset % SZ_4K, 0);
	close(fd);

	/*
	 * Best fit: with one page taken at offset @hole, a new page goes to the
	 * short run above it, not to offset 0, and the run below stays whole
	 * for a buffer of exactly its size.
	 */
	fd_small = alloc_at(p, SZ_4K, hole, &small);
	fd = alloc_at(p, SZ_4K, -1, &a);
	igt_info("4 KiB buffer at offset %#llx with runs of %#llx and %#llx free\n",
		 (unsigned long long)a.offset, (unsigned long long)hole,
		 (unsigned long long)(p->size - hole - SZ_4K));
	igt_assert_f(a.offset > hole, "a page went into the big run, at %#llx\n",
		     (unsigned long long)a.offset);
	close(alloc_at(p, hole, -1, &a));
	igt_assert_eq_u64(a.offset, 0);
	close(fd);
	close(fd_small);
	igt_assert_eq_u64(p2pbuf_free_bytes(p2p, p->id), p->size);
}

static void check_bad_input(const struct p2pbuf_provider_info *p)
{
	struct p2pbuf_provider_info all[MAX_PROVIDERS];
	uint64_t free0 = p2pbuf_free_bytes(p2p, p->id);
	int fds0 = count_open_fds(), n;
	uint32_t bad_id = 0xdeadbeef;
	struct p2pbuf_alloc a;

	n = p2pbuf_list(p2p, all, MAX_PROVIDERS);
	for (int i = 0; i < n; i++)
		igt_assert(all[i].id != bad_id);

#define EXPECT_EINVAL(what, setup) do { \
	memset(&a, 0, sizeof(a)); \
	a.size = 2 * SZ_4K; \
	a.provider_id = p->id; \
	a.flags = P2PBUF_ALLOC_CLOEXEC; \
	a.fd = -1; \
	setup; \
	igt_info("  %s\n", what); \
	igt_assert_errno(p2pbuf_ioctl(p2p, P2PBUF_IOC_ALLOC, &a), EINVAL); \
	igt_assert_eq(a.fd, -1); \
} while (0)

	EXPECT_EINVAL("zero size", a.size = 0);
	EXPECT_EINVAL("unaligned size", a.size = SZ_4K + 1);
	EXPECT_EINVAL("unaligned size, < page", a.size = 512);
	EXPECT_EINVAL("offset+size overflows",
		      (a.flags |= P2PBUF_ALLOC_FIXED_OFFSET,
		       a.offset = ~0ULL & ~(SZ_4K - 1)));
	EXPECT_EINVAL("offset+size overflows (huge size)",
		      (a.flags |= P2PBUF_ALLOC_FIXED_OFFSET, a.offset = SZ_4K,
		       a.size = ~0ULL & ~(SZ_4K - 1)));
	EXPECT_EINVAL("unaligned fixed offset",
		      (a.flags |= P2PBUF_ALLOC_FIXED_OFFSET, a.offset = 100));
	EXPECT_EINVAL("unknown flag bit 31", a.flags |= 1U << 31);
	EXPECT_EINVAL("first unknown flag",
		      a.flags |= (P2PBUF_ALLOC_VALID_FLAGS + 1) &
				 ~P2PBUF_ALLOC_VALID_FLAGS);
	EXPECT_EINVAL("bad provider id", a.provider_id = bad_id);
	EXPECT_EINVAL("__pad", a.__pad = 1);
	for (int i = 0; i < 4; i++)
		EXPECT_EINVAL("reserved[i]", a.reserved[i] = 1ULL << 63);
#undef EXPECT_EINVAL

	igt_assert_eq_u64(p2pbuf_free_bytes(p2p, p->id), free0);
	igt_assert_eq(count_open_fds(), fds0);
}

/*
 * Several mappings of import @h held at once, unmapped in every order: each
 * has its own sg table describing what @m (a map of the same import) did;
 * @same_addr when each map must give @m's addresses as well. The import
 * holds no mapping, and none is left after.
 */
static void check_maps_held(int ti, int buf, uint32_t h,
			    const struct p2pbuf_ti_map *m, bool same_addr)
{
	struct p2pbuf_buf_info info;
	struct p2pbuf_ti_held held;
	struct p2pbuf_ti_map again;

	igt_assert_eq(ti_map_held(ti, h, 3, 6, &held), 0);
	igt_info("3 mappings held at once, 6 rounds: %u segments, %u shared, %u differ, %u moved\n",
		 held.nents, held.shared, held.differ, held.moved);
	igt_assert_f(held.shared == 0,
		     "a map returned the sg table of a mapping still held\n");
	igt_assert_eq(held.differ, 0);
	igt_assert_eq(held.nents, m->nents);
	if (same_addr)
		igt_assert_eq(held.moved, 0);
	igt_assert_eq(p2pbuf_buf_info(p2p, buf, &info), 0);
	igt_assert_eq(info.attachments, 1);

	/* and the next single map is as the first one was */
	igt_assert_eq(ti_map(ti, h, 0, &again), 0);
	igt_assert_eq(again.nents, m->nents);
	igt_assert_eq_u64(again.len[0], m->len[0]);
	if (same_addr)
		igt_assert_eq_u64(again.addr[0], m->addr[0]);
	igt_assert_eq(ti_unmap(ti, h), 0);
}

static void check_same_switch(const struct p2pbuf_provider_info *p,
			      uint32_t client, const char *client_name)
{
	uint64_t size = 2 * SZ_1M;
	struct p2pbuf_buf_info info;
	struct p2pbuf_ti_map m, m2;
	struct p2pbuf_path path;
	uint32_t h;
	int ti = ti_open(), buf, ret;

	buf = p2pbuf_alloc_rw(p2p, p->id, size, &info);
	igt_info("%s buffer at bus %#llx -> importer %s\n", p->name,
		 (unsigned long long)info.bus_addr, client_name);

	igt_assert_eq(igt_p2pbuf_path(p2p, p->id, client, &path), 0);
	igt_assert_f(path.map_type == P2PBUF_MAP_BUS_ADDR,
		     "map type %u reason %u: %s\n", path.map_type, path.reason,
		     path.reason_str);
	igt_assert_eq(path.reason, P2PBUF_REASON_OK);
	igt_assert(path.distance >= 0);

	ret = ti_import(ti, buf, client, P2PBUF_TI_DYNAMIC, &h);
	igt_assert_f(ret == 0, "import for %s: %s\n", client_name, strerror(-ret));
	igt_assert_eq(p2pbuf_buf_info(p2p, buf, &info), 0);
	igt_assert_eq(info.attachments, 1);

	igt_assert_eq(ti_map(ti, h, 0, &m), 0);
	check_contiguous(&m, size);
	/* the BAR's bus address plus the buffer's offset */
	igt_assert_eq_u64(m.addr[0], info.bus_addr);
	igt_assert_eq_u64(m.addr[0], pci_bar_start(p->name, p->bar) +
			  info.bar_offset);
	if (p2pbuf_config() == CONFIG_IOMMU)
		igt_info("iommu config: bus address although an IOMMU is on; QEMU 7.2 sends it through the vIOMMU anyway (no ACS on xio3130-downstream), so only the address is checked here\n");

	/* unmap undoes map; a new map gives the same addresses */
	igt_assert_eq(ti_unmap(ti, h), 0);
	igt_assert_eq(ti_map(ti, h, 1, &m2), 0);
	igt_assert_eq(m2.nents, m.nents);
	igt_assert_eq_u64(m2.addr[0], m.addr[0]);
	igt_assert_eq(m2.invalidations, 0);
	igt_assert_eq(ti_unmap(ti, h), 0);
	check_maps_held(ti, buf, h, &m, true);

	igt_assert_eq(ti_detach(ti, h), 0);
	igt_assert_eq(p2pbuf_buf_info(p2p, buf, &info), 0);
	igt_assert_eq(info.attachments, 0);
	close(buf);
	close(ti);
}

static void check_refusal_names_bridge(int buf)
{
	struct p2pbuf_buf_info info;

	igt_assert_eq(p2pbuf_buf_info(p2p, buf, &info), 0);
	igt_info("last_refusal: %s\n", info.last_refusal);
	igt_assert_eq(info.attachments, 0);
	igt_assert_f(strstr(info.last_refusal, "0000:00:00.0") &&
		     strstr(info.last_refusal, HOST_BRIDGE_ID),
		     "reason does not name the host bridge 0000:00:00.0 (%s): \"%s\"\n",
		     HOST_BRIDGE_ID, info.last_refusal);
}

static void check_cross_refused(const struct p2pbuf_provider_info *p)
{
	struct p2pbuf_path path;
	int ti = ti_open(), buf, ret;
	uint32_t h;

	allow_bridges_default();
	buf = p2pbuf_alloc_rw(p2p, p->id, SZ_1M, NULL);

	igt_assert_eq(igt_p2pbuf_path(p2p, p->id, BDF_NVME2, &path), 0);
	igt_info("path %s -> %s: type %u reason %u via %#x (%#x) \"%s\"\n",
		 p->name, NAME_NVME2, path.map_type, path.reason, path.via,
		 path.via_id, path.reason_str);
	igt_assert_eq(path.map_type, P2PBUF_MAP_NOT_SUPPORTED);
	igt_assert_eq(path.reason, P2PBUF_REASON_HOST_BRIDGE_NOT_ALLOWED);
	igt_assert_eq(path.distance, -1);
	igt_assert_eq_u64(path.via, BDF_HOST_BRIDGE);
	igt_assert_eq_u64(path.via_id, 0x808629c0);
	igt_assert_f(strstr(path.reason_str, "0000:00:00.0"),
		     "PATH reason does not name the host bridge: %s\n",
		     path.reason_str);

	for (int mode = 0; mode < 2; mode++) {
		uint32_t flags = mode ? P2PBUF_TI_PINNED : P2PBUF_TI_DYNAMIC;

		ret = ti_import(ti, buf, BDF_NVME2, flags, &h);
		igt_assert_f(ret < 0, "%s import behind root port 2 accepted\n",
			     mode ? "pinned" : "dynamic");
		igt_info("%s import refused: %s\n", mode ? "pinned" : "dynamic",
			 strerror(-ret));
		check_refusal_names_bridge(buf);
	}
	close(buf);
	close(ti);
}

static void check_cross_allowed(const struct p2pbuf_provider_info *p)
{
	struct p2pbuf_buf_info info;
	struct p2pbuf_ti_map m;
	struct p2pbuf_path path;
	uint64_t size = SZ_1M;
	int ti = ti_open(), buf, ret;
	uint32_t h, h2;

	allow_bridges_default();
	buf = p2pbuf_alloc_rw(p2p, p->id, size, &info);
	allow_bridges_set(HOST_BRIDGE_ID);

	igt_assert_eq(igt_p2pbuf_path(p2p, p->id, BDF_NVME2, &path), 0);
	igt_info("path with %s allowed: type %u reason %u \"%s\"\n",
		 HOST_BRIDGE_ID, path.map_type, path.reason, path.reason_str);
	igt_assert_eq(path.map_type, P2PBUF_MAP_THRU_HOST_BRIDGE);
	igt_assert_eq(path.reason, P2PBUF_REASON_OK);

	ret = ti_import(ti, buf, BDF_NVME2, P2PBUF_TI_DYNAMIC, &h);
	igt_assert_f(ret == 0, "import with %s allowed: %s\n", HOST_BRIDGE_ID,
		     strerror(-ret));
	igt_assert_eq(ti_map(ti, h, 0, &m), 0);
	check_contiguous(&m, size);
	igt_info("sg[0] %#llx, bus address %#llx\n",
		 (unsigned long long)m.addr[0],
		 (unsigned long long)info.bus_addr);
	if (p2pbuf_config() == CONFIG_IOMMU)
		igt_assert_f(m.addr[0] != info.bus_addr,
			     "iommu config: got the bus address, not an IOVA\n");
	else
		igt_assert_eq_u64(m.addr[0], info.bus_addr);
	igt_assert_eq(ti_unmap(ti, h), 0);
	check_maps_held(ti, buf, h, &m, p2pbuf_config() != CONFIG_IOMMU);

	/* withdrawing the rule refuses new importers again */
	allow_bridges_restore();
	ret = ti_import(ti, buf, BDF_NVME2, P2PBUF_TI_DYNAMIC, &h2);
	igt_assert_f(ret < 0, "still accepted after the rule was removed\n");

	igt_assert_eq(ti_detach(ti, h), 0);
	close(buf);
	close(ti);
}

/* wait up to @ms for sysfs @path to exist (or not, @want false) */
static bool wait_exists(const char *path, bool want, int ms)
{
	for (; ms > 0; ms -= 50) {
		if ((access(path, F_OK) == 0) == want)
			return true;
		usleep(50 * 1000);
	}
	return (access(path, F_OK) == 0) == want;
}

/* a failed check must not leave the device out for what runs next */
static void rescan_on_exit(void)
{
	sysfs_write("/sys/bus/pci/rescan", "1");
}

static void check_path_follows_devices(const struct p2pbuf_provider_info *p)
{
	const char *dev = "/sys/bus/pci/devices/" NAME_EDU2;
	struct p2pbuf_path first, again;
	int ret;

	igt_require_f(access(dev, F_OK) == 0, "%s is not in this VM\n", NAME_EDU2);
	/* the second answer comes from the provider's cache */
	igt_assert_eq(igt_p2pbuf_path(p2p, p->id, BDF_EDU2, &first), 0);
	igt_assert_eq(igt_p2pbuf_path(p2p, p->id, BDF_EDU2, &again), 0);
	igt_assert_eq(again.map_type, first.map_type);
	igt_assert_eq(again.reason, first.reason);
	igt_info("%s from %s: map type %u reason %u \"%s\"\n", NAME_EDU2,
		 p->name, first.map_type, first.reason, first.reason_str);

	/* the same bus and devfn in domain 1, where there is no device */
	ret = igt_p2pbuf_path(p2p, p->id, BDF_EDU2 | 1U << 16, &again);
	igt_assert_f(ret == -ENODEV, "0001:08:00.0: %s, expected ENODEV\n",
		     ret ? strerror(-ret) : "answered");

	/* removed: no answer for it, cached or not */
	atexit(rescan_on_exit);
	igt_assert_eq(sysfs_write("/sys/bus/pci/devices/" NAME_EDU2 "/remove", "1"), 0);
	igt_assert_f(wait_exists(dev, false, 10000), "%s not removed\n", NAME_EDU2);
	ret = igt_p2pbuf_path(p2p, p->id, BDF_EDU2, &again);
	igt_assert_f(ret == -ENODEV, "removed %s: %s, expected ENODEV\n",
		     NAME_EDU2, ret ? strerror(-ret) : "answered");

	/* back at the same address: the same answer */
	igt_assert_eq(sysfs_write("/sys/bus/pci/rescan", "1"), 0);
	igt_assert_f(wait_exists(dev, true, 20000), "%s not back after a rescan\n",
		     NAME_EDU2);
	igt_assert_eq(igt_p2pbuf_path(p2p, p->id, BDF_EDU2, &again), 0);
	igt_assert_eq(again.map_type, first.map_type);
	igt_assert_eq(again.reason, first.reason);
}

/*
 * Under a host-bridge rule for reads only, an attachment's maps for the
 * device to read (DMA_TO_DEVICE) go ahead and those that write are refused,
 * each recorded with the words of its own direction.
 */
static void check_direction_rule(int ti, uint32_t h, int buf)
{
	static const struct { uint32_t dir; const char *needs; } writes[] = {
		{ 2, "allowed for r only, mapping needs w" },	/* FROM_DEVICE */
		{ 0, "allowed for r only, mapping needs rw" },	/* BIDIRECTIONAL */
	};
	struct p2pbuf_buf_info info;
	struct p2pbuf_ti_map m;
	char rule[32];
	int ret;

	snprintf(rule, sizeof(rule), "%s:r", HOST_BRIDGE_ID);
	allow_bridges_set(rule);
	for (int round = 0; round < 2; round++) {
		ret = ti_map(ti, h, 1, &m);
		igt_assert_f(ret == 0, "read map under %s: %s\n", rule,
			     strerror(-ret));
		check_contiguous(&m, SZ_1M);
		igt_assert_eq(ti_unmap(ti, h), 0);
		for (unsigned int i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
			ret = ti_map(ti, h, writes[i].dir, &m);
			igt_assert_f(ret == -EOPNOTSUPP,
				     "map dir %u under %s: %s (want EOPNOTSUPP)\n",
				     writes[i].dir, rule,
				     ret ? strerror(-ret) : "mapped");
			igt_assert_eq(p2pbuf_buf_info(p2p, buf, &info), 0);
			igt_assert_f(strstr(info.last_refusal, writes[i].needs),
				     "map dir %u refused with \"%s\", want \"%s\"\n",
				     writes[i].dir, info.last_refusal,
				     writes[i].needs);
		}
	}
}

static void check_policy_change(const struct p2pbuf_provider_info *p)
{
	struct p2pbuf_buf_info info;
	struct p2pbuf_ti_map m;
	int ti = ti_open(), buf, ret;
	uint32_t h;

	allow_bridges_default();
	buf = p2pbuf_alloc_rw(p2p, p->id, SZ_1M, NULL);
	allow_bridges_set(HOST_BRIDGE_ID);
	ret = ti_import(ti, buf, BDF_NVME2, P2PBUF_TI_DYNAMIC, &h);
	igt_assert_f(ret == 0, "import with %s allowed: %s\n", HOST_BRIDGE_ID,
		     strerror(-ret));
	igt_assert_eq(ti_map(ti, h, 0, &m), 0);
	igt_assert_eq(ti_unmap(ti, h), 0);

	/* the attachment stays; its next map must see the rule gone */
	allow_bridges_restore();
	ret = ti_map(ti, h, 0, &m);
	igt_assert_f(ret == -EOPNOTSUPP,
		     "map after the rule was withdrawn: %s (want EOPNOTSUPP)\n",
		     ret ? strerror(-ret) : "mapped");
	igt_assert_eq(p2pbuf_buf_info(p2p, buf, &info), 0);
	igt_info("last_refusal: %s\n", info.last_refusal);
	igt_assert_eq(info.attachments, 1);
	igt_assert_f(strstr(info.last_refusal, "0000:00:00.0"),
		     "the refused map does not name the host bridge: \"%s\"\n",
		     info.last_refusal);

	/* and the rule given back again */
	allow_bridges_set(HOST_BRIDGE_ID);
	ret = ti_map(ti, h, 0, &m);
	igt_assert_f(ret == 0, "map after the rule came back: %s\n",
		     strerror(-ret));
	check_contiguous(&m, SZ_1M);
	igt_assert_eq(ti_unmap(ti, h), 0);

	/* reads only: each direction of the same attachment, its own verdict */
	check_direction_rule(ti, h, buf);
	allow_bridges_restore();

	igt_assert_eq(ti_detach(ti, h), 0);
	close(buf);
	close(ti);
}
static void check_non_p2p(const struct p2pbuf_provider_info *p)
{
	struct p2pbuf_buf_info info;
	int ti = ti_open(), buf, ret, vgem;
	uint32_t h;

	buf = p2pbuf_alloc_rw(p2p, p->id, SZ_1M, NULL);

	ret = ti_import(ti, buf, BDF_NVME0, P2PBUF_TI_NO_P2P, &h);
	igt_assert_f(ret == -EOPNOTSUPP, "importer without allow_peer2peer: %s\n",
		     ret ? strerror(-ret) : "accepted");
	igt_assert_eq(p2pbuf_buf_info(p2p, buf, &info), 0);
	igt_info("no allow_peer2peer: %s\n", info.last_refusal);
	igt_assert(info.last_refusal[0]);
	igt_assert_eq(info.attachments, 0);

	ret = ti_import(ti, buf, 0, P2PBUF_TI_DYNAMIC | P2PBUF_TI_NOT_PCI, &h);
	igt_assert_f(ret == -EOPNOTSUPP, "non-PCI importer: %s\n",
		     ret ? strerror(-ret) : "accepted");
	igt_assert_eq(p2pbuf_buf_info(p2p, buf, &info), 0);
	igt_info("not PCI: %s\n", info.last_refusal);
	igt_assert(info.last_refusal[0]);
	igt_assert_eq(info.attachments, 0);

	/* a real non-PCI, non-P2P importer: vgem (a platform device) */
	vgem = p2pbuf_open_vgem();
	if (vgem < 0 && p2pbuf_config() == CONFIG_STOCK) {
		igt_info("vgem not loaded in the stock config; checked the test importer only\n");
	} else {
		uint32_t handle = 0;

		igt_assert_f(vgem >= 0, "no vgem device (CONFIG_DRM_VGEM=y in the test kernel)\n");
		memset(info.last_refusal, 0, sizeof(info.last_refusal));
		ret = drmPrimeFDToHandle(vgem, buf, &handle);
		igt_assert_f(ret != 0, "vgem imported a P2P buffer (handle %u)\n",
			     handle);
		igt_info("vgem drmPrimeFDToHandle: %s\n", strerror(errno));
		igt_assert_eq(errno, EOPNOTSUPP);
		igt_assert_eq(p2pbuf_buf_info(p2p, buf, &info), 0);
		igt_info("vgem: %s\n", info.last_refusal);
		igt_assert(info.last_refusal[0]);
		igt_assert_eq(info.attachments, 0);
		close(vgem);
	}
	close(buf);
	close(ti);
}

/* Map the BAR through sysfs, independently of the exporter. */
static void *map_bar_sysfs(const char *name, int bar, uint64_t off, size_t len)
{
	char path[128];
	void *map;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource%d", name, bar);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, off);
	close(fd);
	return map == MAP_FAILED ? NULL : map;
}

static void check_mmap(const struct p2pbuf_provider_info *p)
{
	bool ivshmem = !strcmp(p->name, NAME_IVSHMEM);
	uint64_t size = SZ_1M, record = 256 * 1024;
	struct p2pbuf_buf_info info;
	struct p2pbuf_alloc a;
	uint32_t seed = 0x5eed0000 ^ p->id;
	uint8_t *map, *bar;
	long bad;
	int ret;

	/* ivshmem: at the top of the BAR, away from the other tests' buffers */
	memset(&a, 0, sizeof(a));
	a.size = size;
	a.provider_id = p->id;
	a.flags = P2PBUF_ALLOC_RDWR | P2PBUF_ALLOC_CLOEXEC |
		  P2PBUF_ALLOC_FIXED_OFFSET;
	a.offset = p->size - 4 * size;
	ret = p2pbuf_ioctl(p2p, P2PBUF_IOC_ALLOC, &a);
	if (ret) {
		igt_info("FIXED_OFFSET %#llx: %s; any offset then\n",
			 (unsigned long long)a.offset, strerror(-ret));
	} else {
		igt_assert_eq_u64(a.offset, p->size - 4 * size);
	}
	if (ret)
		ret = igt_p2pbuf_alloc(p2p, p->id, size,
				   P2PBUF_ALLOC_RDWR | P2PBUF_ALLOC_CLOEXEC, &a);
	igt_assert_f(ret == 0, "alloc: %s\n", strerror(-ret));
	igt_assert_eq(p2pbuf_buf_info(p2p, a.fd, &info), 0);

	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, a.fd, 0);
	igt_assert_f(map != MAP_FAILED, "mmap: %s\n", strerror(errno));
	fill_pattern(map, size, seed);
	bad = check_pattern(map, size, seed);
	igt_assert_f(bad < 0, "byte %ld differs right after writing\n", bad);
	igt_assert_eq(munmap(map, size), 0);

	/* a fresh mapping sees the bytes: they are in the BAR, not a copy */
	map = mmap(NULL, size, PROT_READ, MAP_SHARED, a.fd, 0);
	igt_assert(map != MAP_FAILED);
	bad = check_pattern(map, size, seed);
	igt_assert_f(bad < 0, "byte %ld differs in a second mapping\n", bad);

	/* and so does a mapping of the BAR itself */
	bar = map_bar_sysfs(p->name, p->bar, info.bar_offset, size);
	if (bar) {
		bad = check_pattern(bar, size, seed);
		igt_assert_f(bad < 0, "BAR byte %#llx differs\n",
			     (unsigned long long)info.bar_offset + bad);
		munmap(bar, size);
	} else {
		igt_info("resource%u of %s cannot be mapped here: %s\n",
			 p->bar, p->name, strerror(errno));
	}

	if (ivshmem)
		host_check_record("mmap-cpu-roundtrip", "vram.bin",
				  info.bar_offset, map, record);
	igt_assert_eq(munmap(map, size), 0);

	/* bounds: past the end, and an offset beyond the buffer */
	map = mmap(NULL, size + SZ_4K, PROT_READ, MAP_SHARED, a.fd, 0);
	igt_assert_f(map == MAP_FAILED, "mmap past the end allowed\n");
	map = mmap(NULL, SZ_4K, PROT_READ, MAP_SHARED, a.fd, size);
	igt_assert_f(map == MAP_FAILED, "mmap beyond the buffer allowed\n");
	close(a.fd);
}

static void check_bar_reset(void)
{
	struct p2pbuf_provider_info p, after;
	struct p2pbuf_buf_info info;
	char path[128], method[64] = "";
	int buf, ret;

	need_ivshmem(&p);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset_method",
		 NAME_IVSHMEM);
	igt_require_f(sysfs_read(path, method, sizeof(method)) == 0 &&
		      method[0], "%s cannot be reset here\n", NAME_IVSHMEM);
	igt_info("reset methods: %s\n", method);
	buf = p2pbuf_alloc_rw(p2p, p.id, SZ_1M, &info);

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset",
		 NAME_IVSHMEM);
	ret = sysfs_write(path, "1");
	igt_assert_f(ret == 0, "reset: %s\n", strerror(-ret));

	igt_assert_eq(p2pbuf_buf_info(p2p, buf, &info), 0);
	igt_assert_f(info.flags & P2PBUF_BUF_REVOKED,
		     "buffer not revoked by the reset\n");
	close(buf);
	igt_assert(p2pbuf_find(p2p, NAME_IVSHMEM, P2PBUF_KIND_BAR, &after));
	igt_assert_f(after.flags & P2PBUF_PROVIDER_AVAILABLE,
		     "provider not back after the reset: %s\n", after.reason);
	igt_assert_neq(after.id, p.id);
}

static bool wait_free_bytes(uint32_t provider, uint64_t want, int ms)
{
	for (int i = 0; i < ms / 50; i++) {
		if (p2pbuf_free_bytes(p2p, provider) == want)
			return true;
		usleep(50 * 1000);
	}
	return p2pbuf_free_bytes(p2p, provider) == want;
}

static void check_p2pmem_pinned_free(void)
{
	const uint64_t size = 16 * SZ_4K;
	struct p2pbuf_provider_info p;
	struct p2pbuf_buf_info info, again;
	uint64_t free0, free1;
	int ti, buf, buf2;
	void *map;

	igt_require_f(p2pbuf_find_kind(p2p, P2PBUF_KIND_P2PMEM, size, &p),
		      "no available p2pmem provider (%s config)\n",
		      p2pbuf_config_name());
	ti = ti_open();
	free0 = p2pbuf_free_bytes(p2p, p.id);
	buf = p2pbuf_alloc_rw(p2p, p.id, size, &info);
	free1 = p2pbuf_free_bytes(p2p, p.id);
	igt_assert_eq_u64(free1, free0 - size);

	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	igt_assert(map != MAP_FAILED);
	fill_pattern(map, size, 0x5eed);
	igt_assert_eq(igt_p2pbuf_ti_pin(ti, map, size), 0);

	/* the last references go while the pages are pinned */
	igt_assert_eq(munmap(map, size), 0);
	close(buf);
	usleep(300 * 1000);	/* the deferred free retries meanwhile */
	igt_assert_f(p2pbuf_free_bytes(p2p, p.id) == free1,
		     "pinned p2pmem went back to the pool: free %llu, expected %llu\n",
		     (unsigned long long)p2pbuf_free_bytes(p2p, p.id),
		     (unsigned long long)free1);
	buf2 = p2pbuf_alloc_rw(p2p, p.id, size, &again);
	igt_assert_f(again.offset + size <= info.offset ||
		     info.offset + size <= again.offset,
		     "pinned range +%#llx handed out again\n",
		     (unsigned long long)info.offset);
	close(buf2);

	igt_assert_eq(igt_p2pbuf_ti_unpin(ti), 0);
	igt_assert_f(wait_free_bytes(p.id, free0, 3000),
		     "space not back after unpin: free %llu, expected %llu\n",
		     (unsigned long long)p2pbuf_free_bytes(p2p, p.id),
		     (unsigned long long)free0);
	close(ti);
}

static void check_sg_coalesced(const struct p2pbuf_provider_info *p)
{
	uint64_t size = 64 * SZ_1M;
	struct p2pbuf_ti_map m;
	int ti = ti_open(), buf, ret;
	uint32_t h;

	buf = p2pbuf_alloc_rw(p2p, p->id, size, NULL);

	/* nvme sets a 4 GiB max segment: one run, at most 2 entries */
	ret = ti_import(ti, buf, BDF_NVME0, P2PBUF_TI_DYNAMIC, &h);
	igt_assert_f(ret == 0, "import: %s\n", strerror(-ret));
	igt_assert_eq(ti_map(ti, h, 0, &m), 0);
	igt_info("64 MiB for %s: %u sg entries\n", NAME_NVME0, m.nents);
	igt_assert_lte(m.nents, 2);
	check_contiguous(&m, size);
	igt_assert_eq(ti_detach(ti, h), 0);

	/* edu keeps the PCI default of 64 KiB: split there, nothing longer */
	ret = ti_import(ti, buf, BDF_EDU, P2PBUF_TI_DYNAMIC, &h);
	igt_assert_f(ret == 0, "import for edu: %s\n", strerror(-ret));
	igt_assert_eq(ti_map(ti, h, 0, &m), 0);
	igt_info("64 MiB for %s: %u sg entries\n", NAME_EDU, m.nents);
	igt_assert_eq(m.nents, size / 65536);
	for (unsigned int i = 0; i < P2PBUF_TI_MAX_SG; i++) {
		igt_assert_eq_u64(m.len[i], 65536);
		if (i)
			igt_assert_eq_u64(m.addr[i], m.addr[i - 1] + 65536);
	}
	igt_assert_eq(ti_detach(ti, h), 0);
	close(buf);
	close(ti);
}

igt_main
{
	struct p2pbuf_provider_info ivshmem, prov[8];
	int n;

	igt_fixture {
		p2p = igt_p2pbuf_open();
		allow_saved = sysfs_read(ALLOW_BRIDGES, saved_allow,
					 sizeof(saved_allow)) == 0;
		atexit(allow_bridges_restore);
		igt_info("config %s\n", p2pbuf_config_name());
	}

	igt_describe("List providers: NVMe CMBs as p2pmem (16 MiB-ish) and the ivshmem BAR2 (128 MiB); stock kernel: no p2pmem listed.");
	igt_subtest("provider-list")
		check_provider_list();

	igt_describe("More providers than LIST writes at once: the walk and the snapshot agree "
		     "entry by entry, and a short array gets exactly what fits.");
	igt_subtest("provider-list-many")
		check_provider_list_many();

	igt_describe("Allocate, export as dma-buf, query with BUF_INFO, free.");
	igt_subtest("alloc-export-basic") {
		n = data_providers(prov, 8);
		for (int i = 0; i < n; i++)
			check_alloc_basic(&prov[i]);
	}

	igt_describe("Fill the ivshmem provider until ENOMEM; freeing makes room again.");
	igt_subtest("alloc-exhaust") {
		need_ivshmem(&ivshmem);
		check_exhaust(&ivshmem);
	}

	igt_describe("A 96 MiB buffer fits in 128 MiB after a 4 KiB one at offset 0; small buffers take the smallest hole.");
	igt_subtest("alloc-no-fragmentation") {
		need_ivshmem(&ivshmem);
		check_no_fragmentation(&ivshmem);
	}

	igt_describe("Every malformed ALLOC gets EINVAL and leaks nothing.");
	igt_subtest("alloc-bad-input") {
		need_ivshmem(&ivshmem);
		check_bad_input(&ivshmem);
	}

	igt_describe("Same-switch importer gets bus address = BAR bus address + offset.");
	igt_subtest("attach-same-switch-bus-address") {
		need_ivshmem(&ivshmem);
		check_same_switch(&ivshmem, BDF_NVME0, NAME_NVME0);
		if (p2pbuf_find(p2p, NAME_NVME1, P2PBUF_KIND_P2PMEM, &prov[0]) &&
		    (prov[0].flags & P2PBUF_PROVIDER_AVAILABLE))
			check_same_switch(&prov[0], BDF_NVME0, NAME_NVME0);
	}

	igt_describe("Importer behind root port 2 is refused; the reason names the host bridge.");
	igt_subtest("attach-cross-root-port-refused") {
		need_ivshmem(&ivshmem);
		check_cross_refused(&ivshmem);
	}

	igt_describe("With 8086:29c0 allowed the importer behind root port 2 is mapped through the DMA API.");
	igt_subtest("attach-cross-root-port-allowed") {
		need_ivshmem(&ivshmem);
		check_cross_allowed(&ivshmem);
	}

	igt_describe("PATH answers from its cache only for a device at that address.");
	igt_subtest("path-follows-devices") {
		need_ivshmem(&ivshmem);
		check_path_follows_devices(&ivshmem);
	}

	igt_describe("A withdrawn or restored allow rule reaches the next map of an existing attachment.");
	igt_subtest("policy-change-reaches-attached") {
		need_ivshmem(&ivshmem);
		check_policy_change(&ivshmem);
	}

	igt_describe("Importers without allow_peer2peer, non-PCI importers and vgem are refused.");
	igt_subtest("attach-non-p2p-importer-refused") {
		need_ivshmem(&ivshmem);
		check_non_p2p(&ivshmem);
	}

	igt_describe("Write through the CPU mmap, read back, check the BAR (and the host file for ivshmem).");
	igt_subtest("mmap-cpu-roundtrip") {
		n = data_providers(prov, 8);
		for (int i = 0; i < n; i++)
			check_mmap(&prov[i]);
	}

	igt_describe("A 64 MiB contiguous buffer maps to <= 2 sg entries for NVMe, 64 KiB pieces for edu.");
	igt_subtest("sg-coalesced") {
		need_ivshmem(&ivshmem);
		check_sg_coalesced(&ivshmem);
	}

	igt_describe("A reset of the BAR provider's device revokes its buffers; the BAR comes back as a new provider.");
	igt_subtest("bar-reset-revokes")
		check_bar_reset();

	igt_describe("p2pmem released while its pages are pinned is freed only after the pins go.");
	igt_subtest("p2pmem-free-deferred-while-pinned")
		check_p2pmem_pinned_free();

	igt_fixture {
		allow_bridges_restore();
		close(p2p);
	}
}
