// SPDX-License-Identifier: GPL-2.0
/**
 * TEST: p2pbuf storage
 * Category: Core
 * Description: NVMe I/O straight into and out of a BAR provider's buffer,
 *	and the kernel's own account of it: P2PBUF_IOC_BUF_IO, the
 *	bytes_direct / bytes_bounced counters of P2PBUF_IOC_BUF_INFO and
 *	debugfs, and the map type of each attachment. The ivshmem BAR
 *	(05:00.0) is bound again to p2pbuf_bar with bar_pages=Y, so that it has
 *	P2PDMA pages (kernels with CONFIG_PCI_P2PDMA), and bound back
 *	page-less at the end. Buffers sit at fixed offsets of their own in the
 *	BAR (100 and 102 MiB) and the namespace (32 and 48 MiB of the drive
 *	at 03:00.0), so that the host checks of vram.bin and of the drive's
 *	image after the VM exits find what the guest recorded.
 * Feature: p2pbuf
 *
 * SUBTEST: nvme-read-into-bar
 * Description: 2 MiB of the namespace of the NVMe at 03:00.0 (found with
 *	p2pbuf_nvme_blockdev()) go into a buffer on the ivshmem BAR. p2pdma:
 *	the provider lists P2PBUF_PROVIDER_PAGES, P2PBUF_IOC_BUF_IO with
 *	P2PBUF_IO_NO_BOUNCE moves every byte device to device (bytes_direct
 *	2 MiB, bytes_bounced 0, in the call and in BUF_INFO and debugfs), and
 *	an O_DIRECT pread() of the namespace into the buffer's mmap() works
 *	too. stock: no pages (no CONFIG_PCI_P2PDMA), NO_BOUNCE is refused with
 *	EOPNOTSUPP and reason P2PBUF_IO_WHY_PAGELESS, and without it every byte
 *	is counted bounced. iommu: QEMU faults same-switch P2P there (the
 *	modelling gap in tools/testing/vm/README.md), so the drive behind the
 *	second root port (07:00.0) is used: its driver refuses the pages
 *	(EREMOTEIO, P2PBUF_IO_WHY_REFUSED) and the bytes bounce, counted. In
 *	each config the host finds the namespace's bytes in vram.bin at the
 *	buffer's BAR offset.
 *
 * SUBTEST: nvme-write-from-bar
 * Description: the other way: a pattern the CPU wrote into a buffer on the
 *	ivshmem BAR goes to the namespace at 48 MiB, device to device in
 *	p2pdma (bytes_direct), counted bounced in stock and iommu (as above);
 *	the guest reads it back with O_DIRECT and the host finds it in the
 *	image of the drive with that serial.
 *
 * SUBTEST: buf-io-errors
 * Description: P2PBUF_IOC_BUF_IO refuses bad requests before moving a
 *	byte: unknown flags, non-zero reserved or out fields (EINVAL), a
 *	range past the buffer (EINVAL), a file offset overflowing (EOVERFLOW),
 *	a fd that is not a p2pbuf buffer (EINVAL), a closed fd (EBADF), a file
 *	not open for the direction (EBADF), a read-only buffer as the target
 *	(EACCES); the buffer's counters stay 0.
 *
 * SUBTEST: attach-map-type
 * Description: the test importer attaches a buffer of the ivshmem BAR for
 *	the edu at 06:00.0 (same switch) and for the one at 08:00.0 (behind
 *	another root port, with the host bridge allowed): BUF_INFO counts one
 *	attachment by bus address and one through the host bridge, and
 *	debugfs lists each importer with that map type.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/p2pbuf.h>
#include <p2pbuf/p2pbuf.h>

#include "igt.h"
#include "p2pbuf_igt.h"
#include "p2pbuf_test_importer.h"

#define IO_SIZE		(2u << 20)
/* vram.bin ranges of this suite's host checks (tools/testing/vm/README.md) */
#define READ_BAR_OFFSET		(100ULL << 20)
#define WRITE_BAR_OFFSET	(102ULL << 20)
/* namespace ranges of the drive at 03:00.0 */
#define READ_NS_OFFSET		(32ULL << 20)
#define WRITE_NS_OFFSET		(48ULL << 20)

#define NAME_NVME_SWITCH	"0000:03:00.0"
#define NAME_NVME_RP2		"0000:07:00.0"
#define BAR_DRIVER		"/sys/bus/pci/drivers/p2pbuf_bar/"
#define DEBUGFS_BUFFERS		"/sys/kernel/debug/p2pbuf/buffers"

static int p2p = -1;
static bool rebound;

/* bind the ivshmem BAR to p2pbuf_bar again, so that bar_pages applies */
static void ivshmem_rebind(void)
{
	int ret;

	ret = sysfs_write(BAR_DRIVER "unbind", NAME_IVSHMEM);
	igt_assert_f(!ret, "unbind %s: %s\n", NAME_IVSHMEM, strerror(-ret));
	ret = sysfs_write(BAR_DRIVER "bind", NAME_IVSHMEM);
	igt_assert_f(!ret, "bind %s: %s\n", NAME_IVSHMEM, strerror(-ret));
}

/* the ivshmem provider, with pages where the kernel can give it some */
static void ivshmem_provider(struct p2pbuf_provider_info *p)
{
	igt_assert_f(p2pbuf_find(p2p, NAME_IVSHMEM, P2PBUF_KIND_BAR, p) &&
		     (p->flags & P2PBUF_PROVIDER_AVAILABLE),
		     "no available provider on %s\n", NAME_IVSHMEM);
	if (p2pbuf_config() == CONFIG_STOCK)
		igt_assert_f(!(p->flags & P2PBUF_PROVIDER_PAGES),
			     "pages listed without CONFIG_PCI_P2PDMA\n");
	else
		igt_assert_f(p->flags & P2PBUF_PROVIDER_PAGES,
			     "bar_pages=Y, yet %s is listed without P2PBUF_PROVIDER_PAGES\n",
			     NAME_IVSHMEM);
}

static void pages_on(void)
{
	struct p2pbuf_provider_info p;

	if (!rebound) {
		igt_assert_eq(p2pbuf_param_set("bar_pages", "Y"), 0);
		ivshmem_rebind();
		rebound = true;
	}
	ivshmem_provider(&p);
}

/* the block device of NVMe @ctrl, opened O_DIRECT */
static int nvme_open(const char *ctrl, int flags)
{
	char dev[64];
	int ret, fd;

	ret = p2pbuf_nvme_blockdev(NULL, ctrl, dev, sizeof(dev), NULL);
	igt_require_f(!ret, "no NVMe namespace at %s: %s\n", ctrl,
		      strerror(-ret));
	fd = open(dev, flags | O_DIRECT | O_CLOEXEC);
	igt_assert_f(fd >= 0, "open %s: %m\n", dev);
	igt_info("NVMe %s is %s\n", ctrl, dev);
	return fd;
}

static int buf_io(int buf, int file, uint32_t flags, uint64_t buf_off,
		  uint64_t file_off, uint64_t len, struct p2pbuf_buf_io *io)
{
	memset(io, 0, sizeof(*io));
	io->buf_fd = buf;
	io->file_fd = file;
	io->flags = flags;
	io->buf_offset = buf_off;
	io->file_offset = file_off;
	io->length = len;
	return p2pbuf_ioctl(p2p, P2PBUF_IOC_BUF_IO, io);
}

/* a RDWR buffer of IO_SIZE at @offset of the ivshmem BAR */
static int bar_buffer(uint64_t offset, struct p2pbuf_buf_info *info)
{
	struct p2pbuf_provider_info p;
	struct p2pbuf_alloc a;
	int ret;

	ivshmem_provider(&p);
	memset(&a, 0, sizeof(a));
	a.size = IO_SIZE;
	a.provider_id = p.id;
	a.flags = P2PBUF_ALLOC_RDWR | P2PBUF_ALLOC_CLOEXEC |
		  P2PBUF_ALLOC_FIXED_OFFSET;
	a.offset = offset - p.bar_offset;
	a.fd = -1;
	ret = p2pbuf_ioctl(p2p, P2PBUF_IOC_ALLOC, &a);
	igt_assert_f(!ret, "alloc at %#" PRIx64 ": %s\n", offset,
		     strerror(-ret));
	igt_assert_eq(p2pbuf_buf_info(p2p, a.fd, info), 0);
	igt_assert_eq_u64(info->bar_offset, offset);
	return a.fd;
}

/* the debugfs line of the buffer with inode @ino, or "" */
static void debugfs_buf(int buf, char *line, size_t len)
{
	char want[64], l[512];
	struct stat st;
	FILE *f;

	line[0] = '\0';
	igt_assert_eq(fstat(buf, &st), 0);
	snprintf(want, sizeof(want), "buf %lu ", (unsigned long)st.st_ino);
	f = fopen(DEBUGFS_BUFFERS, "re");
	igt_require_f(f, "%s: %m\n", DEBUGFS_BUFFERS);
	while (fgets(l, sizeof(l), f))
		if (!strncmp(l, want, strlen(want))) {
			snprintf(line, len, "%s", l);
			break;
		}
	fclose(f);
}

static void check_counters(int buf, uint64_t direct, uint64_t bounced)
{
	struct p2pbuf_buf_info info;
	char line[512], want[96];

	igt_assert_eq(p2pbuf_buf_info(p2p, buf, &info), 0);
	igt_assert_eq_u64(info.bytes_direct, direct);
	igt_assert_eq_u64(info.bytes_bounced, bounced);
	debugfs_buf(buf, line, sizeof(line));
	snprintf(want, sizeof(want), "direct %" PRIu64 " bounced %" PRIu64 "\n",
		 direct, bounced);
	igt_assert_f(strstr(line, want), "debugfs: \"%s\", want \"%s\"\n",
		     line, want);
}

/* what this config can do, and the drive it uses for it */
static const char *expected(uint32_t *why)
{
	switch (p2pbuf_config()) {
	case CONFIG_STOCK:
		igt_info("stock: no CONFIG_PCI_P2PDMA, so the BAR has no pages; the kernel bounces and counts it\n");
		*why = P2PBUF_IO_WHY_PAGELESS;
		return NAME_NVME_SWITCH;
	case CONFIG_IOMMU:
		igt_info("iommu: QEMU faults same-switch P2P under its vIOMMU (README), so the drive behind the other root port is used: refused, bounced, counted\n");
		*why = P2PBUF_IO_WHY_REFUSED;
		return NAME_NVME_RP2;
	default:
		*why = P2PBUF_IO_DIRECT;
		return NAME_NVME_SWITCH;
	}
}

/* the transfer, asserted against what the config can do */
static void transfer(int buf, int nvme, uint32_t flags, uint64_t buf_off,
		     uint64_t ns_off, uint32_t why)
{
	struct p2pbuf_buf_io io;
	double t;
	int ret;

	if (why != P2PBUF_IO_DIRECT) {
		ret = buf_io(buf, nvme, flags | P2PBUF_IO_NO_BOUNCE, buf_off,
			     ns_off, IO_SIZE, &io);
		igt_assert_f(ret == (why == P2PBUF_IO_WHY_REFUSED ?
				     -EREMOTEIO : -EOPNOTSUPP),
			     "NO_BOUNCE: %s\n", strerror(-ret));
		check_counters(buf, 0, 0);
	}
	t = p2pbuf_now();
	ret = buf_io(buf, nvme, flags | (why == P2PBUF_IO_DIRECT ?
					 P2PBUF_IO_NO_BOUNCE : 0),
		     buf_off, ns_off, IO_SIZE, &io);
	t = p2pbuf_now() - t;
	igt_assert_f(!ret, "BUF_IO: %s\n", strerror(-ret));
	igt_info("BUF_IO %s: %" PRIu64 " bytes direct, %" PRIu64 " bounced, why %u, %.1f MiB/s\n",
		 flags & P2PBUF_IO_TO_FILE ? "to NVMe" : "from NVMe",
		 (uint64_t)io.bytes_direct, (uint64_t)io.bytes_bounced, io.why,
		 IO_SIZE / t / (1 << 20));
	igt_assert_eq(io.why, why);
	if (why == P2PBUF_IO_DIRECT) {
		igt_assert_eq_u64(io.bytes_direct, IO_SIZE);
		igt_assert_eq_u64(io.bytes_bounced, 0);
		check_counters(buf, IO_SIZE, 0);
	} else {
		igt_assert_eq_u64(io.bytes_direct, 0);
		igt_assert_eq_u64(io.bytes_bounced, IO_SIZE);
		igt_assert_eq(io.refusal,
				  why == P2PBUF_IO_WHY_REFUSED ? EREMOTEIO : 0);
		check_counters(buf, 0, IO_SIZE);
	}
}

static void test_read_into_bar(void)
{
	struct p2pbuf_buf_info info;
	uint8_t *want, *map;
	const char *drive;
	uint32_t why;
	ssize_t n;
	long bad;
	int nvme, buf;

	drive = expected(&why);
	pages_on();
	nvme = nvme_open(drive, O_RDWR);
	igt_assert_eq(posix_memalign((void **)&want, 4096, IO_SIZE), 0);
	fill_pattern(want, IO_SIZE, 0x5eed14);
	igt_assert_eq(pwrite(nvme, want, IO_SIZE, READ_NS_OFFSET), IO_SIZE);

	buf = bar_buffer(READ_BAR_OFFSET, &info);
	check_counters(buf, 0, 0);
	transfer(buf, nvme, 0, 0, READ_NS_OFFSET, why);

	map = mmap(NULL, IO_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	igt_assert(map != MAP_FAILED);
	bad = check_pattern(map, IO_SIZE, 0x5eed14);
	igt_assert_f(bad < 0, "byte %ld of the buffer is not the namespace's\n",
		     bad);
	host_check_record("nvme-read-into-bar", "vram.bin", info.bar_offset,
			  want, IO_SIZE);

	/* userspace O_DIRECT into the mapping: pinned P2PDMA pages, or EFAULT */
	n = pread(nvme, map, 4096, READ_NS_OFFSET);
	if (p2pbuf_config() == CONFIG_STOCK)
		igt_assert_f(n < 0 && errno == EFAULT,
			     "O_DIRECT into a page-less BAR mapping: %zd (%m)\n",
			     n);
	else if (p2pbuf_config() == CONFIG_P2PDMA)
		igt_assert_f(n == 4096, "O_DIRECT into the BAR's pages: %zd (%m)\n",
			     n);
	/* what userspace does itself, the kernel does not count */
	check_counters(buf, why == P2PBUF_IO_DIRECT ? IO_SIZE : 0,
		       why == P2PBUF_IO_DIRECT ? 0 : IO_SIZE);

	munmap(map, IO_SIZE);
	close(buf);
	close(nvme);
	free(want);
}

static void test_write_from_bar(void)
{
	struct p2pbuf_buf_info info;
	uint8_t *want, *got, *map;
	const char *drive;
	uint32_t why;
	int nvme, buf;

	drive = expected(&why);
	pages_on();
	nvme = nvme_open(drive, O_RDWR);
	igt_assert_eq(posix_memalign((void **)&want, 4096, IO_SIZE), 0);
	igt_assert_eq(posix_memalign((void **)&got, 4096, IO_SIZE), 0);
	fill_pattern(want, IO_SIZE, 0xb0a7d14);

	buf = bar_buffer(WRITE_BAR_OFFSET, &info);
	map = mmap(NULL, IO_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	igt_assert(map != MAP_FAILED);
	memcpy(map, want, IO_SIZE);
	munmap(map, IO_SIZE);
	/* the namespace held something else before */
	memset(got, 0xa5, IO_SIZE);
	igt_assert_eq(pwrite(nvme, got, IO_SIZE, WRITE_NS_OFFSET), IO_SIZE);

	transfer(buf, nvme, P2PBUF_IO_TO_FILE, 0, WRITE_NS_OFFSET, why);

	igt_assert_eq(pread(nvme, got, IO_SIZE, WRITE_NS_OFFSET), IO_SIZE);
	igt_assert_f(!memcmp(got, want, IO_SIZE),
		     "the namespace does not hold the buffer's bytes\n");
	host_check_record_nvme("nvme-write-from-bar", nvme, WRITE_NS_OFFSET,
			       want, IO_SIZE);
	close(buf);
	close(nvme);
	free(want);
	free(got);
}

static void test_buf_io_errors(void)
{
	struct p2pbuf_buf_info info;
	struct p2pbuf_buf_io io;
	struct p2pbuf_alloc a;
	struct p2pbuf_provider_info p;
	int buf, ro, nvme, nvme_ro, closed;

	nvme = nvme_open(NAME_NVME_SWITCH, O_RDWR);
	nvme_ro = nvme_open(NAME_NVME_SWITCH, O_RDONLY);
	ivshmem_provider(&p);
	buf = p2pbuf_alloc_rw(p2p, p.id, 1 << 20, &info);

	igt_assert_eq(buf_io(buf, nvme, 1u << 31, 0, 0, 4096, &io), -EINVAL);
	io = (struct p2pbuf_buf_io){ .buf_fd = buf, .file_fd = nvme,
				     .length = 4096 };
	io.reserved[3] = 1;
	igt_assert_eq(p2pbuf_ioctl(p2p, P2PBUF_IOC_BUF_IO, &io), -EINVAL);
	io.reserved[3] = 0;
	io.bytes_direct = 1;
	igt_assert_eq(p2pbuf_ioctl(p2p, P2PBUF_IOC_BUF_IO, &io), -EINVAL);
	igt_assert_eq(buf_io(buf, nvme, 0, 0, 0, 0, &io), -EINVAL);
	igt_assert_eq(buf_io(buf, nvme, 0, 4096, 0, 1 << 20, &io), -EINVAL);
	igt_assert_eq(buf_io(buf, nvme, 0, UINT64_MAX - 10, 0, 4096, &io),
		      -EINVAL);
	igt_assert_eq(buf_io(buf, nvme, 0, 0, INT64_MAX, 4096, &io),
		      -EOVERFLOW);
	igt_assert_eq(buf_io(nvme, nvme, 0, 0, 0, 4096, &io), -EINVAL);
	closed = dup(nvme);
	close(closed);
	igt_assert_eq(buf_io(buf, closed, 0, 0, 0, 4096, &io), -EBADF);
	igt_assert_eq(buf_io(closed, nvme, 0, 0, 0, 4096, &io), -EBADF);
	igt_assert_eq(buf_io(buf, nvme_ro, P2PBUF_IO_TO_FILE, 0, 0, 4096, &io),
		      -EBADF);

	memset(&a, 0, sizeof(a));
	igt_assert_eq(igt_p2pbuf_alloc(p2p, p.id, 1 << 20, P2PBUF_ALLOC_CLOEXEC,
				       &a), 0);
	ro = a.fd;
	igt_assert_eq(buf_io(ro, nvme, 0, 0, 0, 4096, &io), -EACCES);

	check_counters(buf, 0, 0);
	check_counters(ro, 0, 0);
	close(ro);
	close(buf);
	close(nvme_ro);
	close(nvme);
}

/* debugfs lists an importer @dev of @buf with map type @map */
static bool debugfs_attach(int buf, const char *dev, const char *map)
{
	char want[64], l[512], att[96];
	bool in = false, found = false;
	struct stat st;
	FILE *f;

	igt_assert_eq(fstat(buf, &st), 0);
	snprintf(want, sizeof(want), "buf %lu ", (unsigned long)st.st_ino);
	snprintf(att, sizeof(att), "  attach %s map %s ", dev, map);
	f = fopen(DEBUGFS_BUFFERS, "re");
	igt_require_f(f, "%s: %m\n", DEBUGFS_BUFFERS);
	while (fgets(l, sizeof(l), f)) {
		if (!strncmp(l, "buf ", 4))
			in = !strncmp(l, want, strlen(want));
		else if (in && !strncmp(l, att, strlen(att)))
			found = true;
	}
	fclose(f);
	return found;
}

static void test_attach_map_type(void)
{
	struct p2pbuf_provider_info p;
	struct p2pbuf_buf_info info;
	struct p2pbuf_ti_map m;
	uint32_t h_switch, h_rp;
	int ti, buf, ret;

	ti = ti_open();
	ivshmem_provider(&p);
	igt_assert_eq(p2pbuf_param_set("allow_bridges", "8086:29c0"), 0);
	buf = p2pbuf_alloc_rw(p2p, p.id, 1 << 20, &info);
	igt_assert_eq(info.attach_bus_addr, 0);
	igt_assert_eq(info.attach_host_bridge, 0);

	ret = ti_import(ti, buf, BDF_EDU, P2PBUF_TI_EDU | P2PBUF_TI_DYNAMIC, &h_switch);
	igt_assert_f(!ret, "import for the edu under the switch: %s\n",
		     strerror(-ret));
	ret = ti_import(ti, buf, BDF_EDU2, P2PBUF_TI_EDU | P2PBUF_TI_DYNAMIC, &h_rp);
	igt_require_f(!ret, "import for the edu behind rp3: %s\n",
		      strerror(-ret));
	igt_assert_eq(ti_map(ti, h_rp, 0, &m), 0);

	igt_assert_eq(p2pbuf_buf_info(p2p, buf, &info), 0);
	igt_assert_eq(info.attachments, 2);
	if (p2pbuf_config() == CONFIG_IOMMU) {
		/* same switch without ACS under an IOMMU: still bus address */
		igt_info("iommu: the same-switch attachment is checked by map type only\n");
	}
	igt_assert_eq(info.attach_bus_addr, 1);
	igt_assert_eq(info.attach_host_bridge, 1);
	igt_assert(debugfs_attach(buf, NAME_EDU, "bus_addr"));
	igt_assert(debugfs_attach(buf, NAME_EDU2, "host_bridge"));

	igt_assert_eq(ti_unmap(ti, h_rp), 0);
	igt_assert_eq(ti_detach(ti, h_rp), 0);
	igt_assert_eq(ti_detach(ti, h_switch), 0);
	igt_assert_eq(p2pbuf_buf_info(p2p, buf, &info), 0);
	igt_assert_eq(info.attach_bus_addr + info.attach_host_bridge, 0);
	close(buf);
	close(ti);
	p2pbuf_params_restore();
}

igt_main
{
	igt_fixture
		p2p = igt_p2pbuf_open();

	igt_describe("O_DIRECT from the namespace into a BAR buffer with pages: the kernel counts it device to device, the host finds it in vram.bin.");
	igt_subtest("nvme-read-into-bar")
		test_read_into_bar();
	igt_describe("From a BAR buffer with pages to the namespace: device to device, found by the host in the drive's image.");
	igt_subtest("nvme-write-from-bar")
		test_write_from_bar();
	igt_describe("P2PBUF_IOC_BUF_IO refuses bad requests before moving a byte.");
	igt_subtest("buf-io-errors")
		test_buf_io_errors();
	igt_describe("BUF_INFO and debugfs say how each importer maps the buffer.");
	igt_subtest("attach-map-type")
		test_attach_map_type();

	igt_fixture {
		p2pbuf_params_restore();
		if (rebound)
			ivshmem_rebind();
		close(p2p);
	}
}
