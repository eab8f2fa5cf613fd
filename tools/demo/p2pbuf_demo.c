// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf-demo: the pipeline `make demo` runs in the reference VM.
 *
 *   1. allocate a buffer of twice LEN on the "GPU" (ivshmem BAR) and one on
 *      the CMB of the NVMe at 04:00.0
 *   2. NVMe reads the source blocks straight into the first half of the GPU
 *      buffer: the kernel does the I/O (P2PBUF_IOC_BUF_IO, via
 *      p2pbuf_copy()) and counts the bytes it moved device to device and
 *      the bytes it bounced; device to device needs the GPU BAR to have
 *      P2PDMA pages (p2pbuf_bar bar_pages=Y, CONFIG_PCI_P2PDMA)
 *   3. a producer passes the fds to two consumer processes (SCM_RIGHTS)
 *   4. consumer "nvme": NVMe reads the source blocks into the CMB
 *   5. consumer "dma": the edu DMA engine imports both buffers and copies
 *      CMB -> engine -> the second half of the GPU buffer with the sg
 *      addresses it was given
 *   6. the producer checks both halves through the GPU mapping and prints
 *      the kernel's counters of the GPU buffer; the host then checks the
 *      ivshmem backing file (the guest writes where to look, and the serial
 *      of the drive it read, whose image the host compares)
 *
 *   p2pbuf-demo [LEN [SOURCE]]
 * SOURCE is the NVMe controller to read, by PCI address or serial (default
 * 0000:03:00.0): never a device name, which the kernel gives in probe
 * order, differently on each boot.
 *
 * Without P2PDMA (Debian's stock kernel) the GPU BAR has no pages, so the
 * direct step bounces, counted by the kernel, and the demo says that it
 * needs P2PDMA; there is no CMB provider either: the staging read goes into
 * a second GPU buffer instead (bounced too, and said) and the DMA engine
 * copies GPU -> engine -> GPU.
 *
 * The DMA engine importer is the test module p2pbuf_test_importer.ko.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <p2pbuf/p2pbuf.h>
#include <linux/p2pbuf.h>
#include "p2pbuf_test_importer.h"

#define GPU_BDF		P2PBUF_BDF(0, 5, 0)		/* ivshmem "VRAM" */
#define CMB_BDF		P2PBUF_BDF(0, 4, 0)		/* the CMB of an NVMe */
#define EDU_BDF		P2PBUF_BDF(0, 6, 0)		/* the DMA engine */
#define TI_DEV		"/dev/p2pbuf_test_importer"

struct step {
	const char *what;
	char path[352];
	uint64_t d2d, bounced;
	bool ok;
};

static struct step steps[8];
static int nsteps;
static uint64_t len = 256 * 1024;
static const char *src_ctrl = "0000:03:00.0";	/* the source NVMe */
static char src[64];				/* its namespace */
static uint32_t src_bdf;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "p2pbuf-demo: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static const struct p2pbuf_provider *find_provider(const struct p2pbuf_provider *p,
						   int n, uint32_t bdf)
{
	for (int i = 0; i < n; i++)
		if (p[i].bdf == bdf && (p[i].flags & P2PBUF_PROV_AVAILABLE))
			return &p[i];
	return NULL;
}

/* "bus address", "via host bridge", or "refused: why", for provider -> client */
static void describe_path(struct p2pbuf_ctx *ctx, const struct p2pbuf_buf *buf,
			  const char *pname, uint32_t client, char *out, size_t n)
{
	struct p2pbuf_path_info pi;
	char b[16];
	int ret = p2pbuf_path(ctx, buf->provider_id, client, &pi);

	p2pbuf_format_bdf(client, b, sizeof(b));
	if (ret)
		snprintf(out, n, "%s->%s: path query failed: %s", pname + 5, b + 5,
			 strerror(-ret));
	else if (pi.map_type == P2PBUF_MAP_NOT_SUPPORTED)
		snprintf(out, n, "%s->%s: refused: %s", pname + 5, b + 5,
			 pi.reason_str);
	else
		snprintf(out, n, "%s->%s: %s", pname + 5, b + 5,
			 p2pbuf_map_type_str(pi.map_type));
}

/* step 3: NVMe -> buffer, O_DIRECT, counted bounce */
static int consumer_nvme(int sock)
{
	struct p2pbuf_fd_meta meta;
	struct p2pbuf_copy_stats st = { 0 };
	int buf, file, ret;

	buf = p2pbuf_recv_fd(sock, &meta);
	if (buf < 0)
		die("nvme consumer: receiving the fd: %s", strerror(errno));
	file = open(src, O_RDONLY);
	if (file < 0)
		die("open %s: %s", src, strerror(errno));
	ret = p2pbuf_copy(file, 0, buf, 0, len, P2PBUF_COPY_TO_BUF, &st, NULL, NULL);
	if (ret)
		die("copy %s -> buffer: %s", src, strerror(-ret));
	if (write(sock, &st, sizeof(st)) != sizeof(st))
		die("nvme consumer: reporting: %s", strerror(errno));
	close(file);
	close(buf);
	return 0;
}

static int ti_import(int ti, int fd, uint32_t *handle)
{
	struct p2pbuf_ti_import imp = { .fd = fd, .flags = P2PBUF_TI_DYNAMIC | P2PBUF_TI_EDU };

	if (ioctl(ti, P2PBUF_TI_IMPORT, &imp))
		return -errno;
	*handle = imp.handle;
	return 0;
}

/* step 4: the edu DMA engine copies src buffer -> engine -> dst buffer */
static int consumer_dma(int sock)
{
	struct p2pbuf_fd_meta m1, m2;
	struct p2pbuf_ti_map map = { 0 };
	struct p2pbuf_ti_dma dma = { 0 };
	uint32_t hs = 0, hd = 0;
	int s, d, ti, ret;
	uint64_t r[3];

	s = p2pbuf_recv_fd(sock, &m1);
	d = p2pbuf_recv_fd(sock, &m2);
	if (s < 0 || d < 0)
		die("dma consumer: receiving the fds: %s", strerror(errno));
	ti = open(TI_DEV, O_RDWR | O_CLOEXEC);
	if (ti < 0)
		die("open %s: %s (is p2pbuf_test_importer loaded and bound to edu?)",
		    TI_DEV, strerror(errno));
	ret = ti_import(ti, s, &hs);
	if (!ret)
		ret = ti_import(ti, d, &hd);
	if (ret)
		die("the DMA engine could not attach: %s (p2pbuf info shows why)",
		    strerror(-ret));
	map.handle = hs;
	if (ioctl(ti, P2PBUF_TI_MAP, &map))
		die("map source: %s", strerror(errno));
	r[0] = map.addr[0];
	map.handle = hd;
	if (ioctl(ti, P2PBUF_TI_MAP, &map))
		die("map destination: %s", strerror(errno));
	r[1] = map.addr[0];
	dma.src_handle = hs;
	dma.dst_handle = hd;
	dma.dst_offset = len;	/* the second half of the GPU buffer */
	dma.len = len;
	r[2] = ioctl(ti, P2PBUF_TI_DMA, &dma) ? (uint64_t)errno : 0;
	if (write(sock, r, sizeof(r)) != sizeof(r))
		die("dma consumer: reporting: %s", strerror(errno));
	close(ti);
	close(s);
	close(d);
	return 0;
}

static pid_t spawn(int (*fn)(int), int *sock)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		die("socketpair: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		close(sv[0]);
		exit(fn(sv[1]));
	}
	close(sv[1]);
	*sock = sv[0];
	return pid;
}

static void send_buf(int sock, const struct p2pbuf_buf *b, uint64_t tag)
{
	struct p2pbuf_fd_meta m = { .size = b->size, .offset = b->offset,
				    .provider_id = b->provider_id, .tag = tag };

	int ret = p2pbuf_send_fd(sock, b->fd, &m);

	if (ret)
		die("passing fd: %s", strerror(-ret));
}

static void wait_child(pid_t pid, const char *who)
{
	int status;

	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		die("%s consumer failed", who);
}

/* the serial of the NVMe drive behind block device fd, from sysfs */
static void fd_serial(int fd, char *buf, size_t len)
{
	char path[96];
	struct stat st;
	FILE *f;
	size_t n;

	buf[0] = '\0';
	if (fstat(fd, &st) || !S_ISBLK(st.st_mode))
		return;
	/* the controller's, or with native multipath the subsystem's */
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/device/serial",
		 major(st.st_rdev), minor(st.st_rdev));
	f = fopen(path, "re");
	if (!f)
		return;
	if (!fgets(buf, len, f))
		buf[0] = '\0';
	fclose(f);
	n = strcspn(buf, "\n");
	while (n > 0 && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
}

/* the kernel's counters of a buffer (P2PBUF_IOC_BUF_INFO); 0 or -errno */
static int buf_counters(int buf, uint64_t *direct, uint64_t *bounced)
{
	struct p2pbuf_buf_info bi = { .fd = buf };
	int dev = open("/dev/p2pbuf", O_RDWR | O_CLOEXEC), ret = 0;

	if (dev < 0)
		return -errno;
	if (ioctl(dev, P2PBUF_IOC_BUF_INFO, &bi))
		ret = -errno;
	close(dev);
	*direct = bi.bytes_direct;
	*bounced = bi.bytes_bounced;
	return ret;
}

static struct step *add_step(const char *what)
{
	struct step *s = &steps[nsteps++];

	s->what = what;
	return s;
}

int main(int argc, char **argv)
{
	const struct p2pbuf_provider *gpu, *cmb;
	struct p2pbuf_provider *provs;
	struct p2pbuf_buf gbuf, mbuf;
	struct p2pbuf_copy_stats st;
	struct p2pbuf_ctx *ctx;
	uint64_t r[3], d2d = 0, bounced = 0;
	unsigned char *want, *got;
	char serial[64], b[16];
	int n, s1, s2, f, ok, ret;
	pid_t p1, p2;
	struct step *s;
	const char *mname;
	FILE *res;

	if (argc > 1)
		len = strtoull(argv[1], NULL, 0);
	if (argc > 2)
		src_ctrl = argv[2];
	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = p2pbuf_nvme_blockdev(NULL, src_ctrl, src, sizeof(src), &src_bdf);
	if (ret)
		die("no NVMe namespace for %s: %s", src_ctrl, strerror(-ret));
	if (src_bdf == P2PBUF_BDF_NONE)
		die("the NVMe %s is not on PCI", src_ctrl);

	printf("== topology (p2pbuf topo)\n");
	fflush(stdout);
	if (system("p2pbuf topo"))
		printf("(p2pbuf topo failed)\n");

	ctx = p2pbuf_open(NULL);
	if (!ctx)
		die("open /dev/p2pbuf: %s (is p2pbuf.ko loaded?)", strerror(errno));
	provs = p2pbuf_get_providers(ctx, &n);
	if (!provs)
		die("listing providers: %s", strerror(errno));
	gpu = find_provider(provs, n, GPU_BDF);
	cmb = find_provider(provs, n, CMB_BDF);
	if (!gpu)
		die("no GPU BAR provider on 0000:05:00.0 (is ivshmem bound to p2pbuf_bar?)");

	printf("\n== pipeline: %llu bytes from %s (the NVMe at %s)\n",
	       (unsigned long long)len, src, p2pbuf_format_bdf(src_bdf, b, sizeof(b)));
	/* 1. allocate */
	if (p2pbuf_alloc(ctx, gpu->id, 2 * len, P2PBUF_F_RDWR | P2PBUF_F_CLOEXEC, &gbuf) < 0)
		die("allocating on the GPU BAR: %s", strerror(errno));
	s = add_step("allocate GPU buffer (ivshmem BAR2)");
	snprintf(s->path, sizeof(s->path), "bus address 0x%llx, BAR offset 0x%llx, %s",
		 (unsigned long long)gbuf.bus_addr, (unsigned long long)gbuf.bar_offset,
		 gpu->flags & P2PBUF_PROV_PAGES ? "P2PDMA pages" :
		 "page-less (no P2PDMA pages)");
	s->ok = true;

	/* 2. NVMe -> GPU, straight, the kernel doing the I/O and counting */
	s = add_step("NVMe read -> GPU BAR directly (kernel I/O)");
	f = open(src, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		die("open %s: %s", src, strerror(errno));
	memset(&st, 0, sizeof(st));
	ret = p2pbuf_copy(f, 0, gbuf.fd, 0, len, P2PBUF_COPY_TO_BUF, &st, NULL, NULL);
	close(f);
	if (ret)
		die("copy %s -> GPU buffer: %s", src, strerror(-ret));
	if (!st.kernel)
		die("the kernel did not do the NVMe -> GPU copy (no P2PBUF_IOC_BUF_IO?)");
	s->d2d = st.bytes_direct;
	s->bounced = st.bytes_bounced;
	if (gpu->flags & P2PBUF_PROV_PAGES) {
		snprintf(s->path, sizeof(s->path),
			 "%s->%s: P2PDMA pages, counted by the kernel%s%s",
			 b + 5, gpu->name + 5, st.bytes_bounced ? "; bounced: " : "",
			 st.bytes_bounced ? st.why : "");
		s->ok = st.bytes_direct == len && !st.bytes_bounced;
	} else {
		snprintf(s->path, sizeof(s->path),
			 "needs P2PDMA (the GPU BAR has no P2PDMA pages): the kernel bounced it");
		printf("NVMe -> GPU directly needs CONFIG_PCI_P2PDMA and a GPU BAR with P2PDMA pages;\n"
		       "here the kernel bounced %llu bytes through system memory: %s\n",
		       (unsigned long long)st.bytes_bounced, st.why);
		s->ok = st.bytes_bounced == len && !st.bytes_direct;
	}
	if (cmb) {
		if (p2pbuf_alloc(ctx, cmb->id, len, P2PBUF_F_RDWR | P2PBUF_F_CLOEXEC, &mbuf) < 0)
			die("allocating on the CMB of %s: %s", cmb->name, strerror(errno));
		mname = cmb->name;
		s = add_step("allocate staging buffer (NVMe CMB)");
		snprintf(s->path, sizeof(s->path), "p2pmem, bus address 0x%llx",
			 (unsigned long long)mbuf.bus_addr);
	} else {
		for (int i = 0; i < n; i++)
			if (provs[i].bdf == CMB_BDF)
				printf("the CMB of %s is unavailable: %s\n", provs[i].name,
				       provs[i].reason);
		if (p2pbuf_alloc(ctx, gpu->id, len, P2PBUF_F_RDWR | P2PBUF_F_CLOEXEC, &mbuf) < 0)
			die("allocating a staging buffer on the GPU BAR: %s", strerror(errno));
		mname = gpu->name;
		s = add_step("allocate staging buffer (GPU BAR; no CMB here)");
		snprintf(s->path, sizeof(s->path), "bus address 0x%llx",
			 (unsigned long long)mbuf.bus_addr);
	}
	s->ok = true;

	/* 3. pass the fds to the consumers */
	p1 = spawn(consumer_nvme, &s1);
	p2 = spawn(consumer_dma, &s2);
	send_buf(s1, &mbuf, 1);
	s = add_step("pass fds to 2 consumers (SCM_RIGHTS)");
	snprintf(s->path, sizeof(s->path), "producer pid %d -> pids %d, %d", getpid(), p1, p2);
	s->ok = true;

	/* 4. NVMe -> staging buffer */
	s = add_step("NVMe read -> staging buffer (kernel I/O)");
	describe_path(ctx, &mbuf, mname, src_bdf, s->path, sizeof(s->path));
	if (read(s1, &st, sizeof(st)) != sizeof(st))
		die("nvme consumer did not report");
	wait_child(p1, "nvme");
	s->d2d = st.bytes_direct;
	s->bounced = st.bytes_bounced;
	s->ok = st.bytes_direct + st.bytes_bounced == len;
	if (st.bytes_bounced)
		printf("NVMe read bounced %llu bytes through system memory: %s\n",
		       (unsigned long long)st.bytes_bounced, st.why);

	/* 5. DMA engine: staging -> engine -> GPU (second half) */
	send_buf(s2, &mbuf, 2);
	send_buf(s2, &gbuf, 3);
	s = add_step("DMA engine: staging -> edu -> GPU BAR (2nd half)");
	{
		char a[160], b[160];

		describe_path(ctx, &mbuf, mname, EDU_BDF, a, sizeof(a));
		describe_path(ctx, &gbuf, gpu->name, EDU_BDF, b, sizeof(b));
		if (read(s2, r, sizeof(r)) != sizeof(r))
			die("dma consumer did not report");
		snprintf(s->path, sizeof(s->path), "%s, sg 0x%llx; %s, sg 0x%llx", a,
			 (unsigned long long)r[0], b, (unsigned long long)r[1]);
	}
	wait_child(p2, "dma");
	if (r[2])
		printf("DMA engine copy failed: %s\n", strerror((int)r[2]));
	s->ok = !r[2];
	s->d2d = r[2] ? 0 : len;

	/* 6. check the data where it landed, through the GPU mapping */
	want = malloc(len);
	f = open(src, O_RDONLY);
	if (!want || f < 0 || pread(f, want, len, 0) != (ssize_t)len)
		die("reading the source for the check: %s", strerror(errno));
	fd_serial(f, serial, sizeof(serial));
	got = mmap(NULL, 2 * len, PROT_READ, MAP_SHARED, gbuf.fd, 0);
	if (got == MAP_FAILED)
		die("mmap GPU buffer: %s", strerror(errno));
	ok = !memcmp(want, got, len) && !memcmp(want, got + len, len);
	s = add_step("check both halves of the GPU buffer (mmap)");
	snprintf(s->path, sizeof(s->path), "%s", ok ? "bytes match the source" : "MISMATCH");
	s->ok = ok;
	{
		uint64_t kd = 0, kb = 0;

		ret = buf_counters(gbuf.fd, &kd, &kb);
		if (ret)
			die("BUF_INFO of the GPU buffer: %s", strerror(-ret));
		printf("\nkernel counters of the GPU buffer (P2PBUF_IOC_BUF_INFO): %llu bytes device to device, %llu bounced through system memory\n",
		       (unsigned long long)kd, (unsigned long long)kb);
	}

	/*
	 * Tell the host where to look in the ivshmem backing file, and which
	 * drive the bytes came from: the serial of the device read, from
	 * its sysfs, so the host compares against that drive's image.
	 */
	res = fopen("/results/demo.env", "w");
	if (res) {
		fprintf(res, "GPU_BAR_OFFSET=%llu\nENGINE_BAR_OFFSET=%llu\nLEN=%llu\nSRC_DEV='%s'\nSRC_SERIAL='%s'\n",
			(unsigned long long)gbuf.bar_offset,
			(unsigned long long)(gbuf.bar_offset + len),
			(unsigned long long)len, src, serial);
		fclose(res);
	}

	printf("\n== steps\n%-48s %-4s %10s %10s  %s\n", "step", "ok", "dev-to-dev", "bounced", "path");
	ok = 1;
	for (int i = 0; i < nsteps; i++) {
		printf("%-48s %-4s %10llu %10llu  %s\n", steps[i].what, steps[i].ok ? "yes" : "NO",
		       (unsigned long long)steps[i].d2d, (unsigned long long)steps[i].bounced,
		       steps[i].path);
		d2d += steps[i].d2d;
		bounced += steps[i].bounced;
		ok &= steps[i].ok;
	}
	printf("\nbytes moved device-to-device: %llu\nbytes bounced through system memory: %llu\n",
	       (unsigned long long)d2d, (unsigned long long)bounced);
	printf("guest result: %s\n", ok ? "PASS" : "FAIL");
	munmap(got, 2 * len);
	p2pbuf_free_providers(provs);
	p2pbuf_close(ctx);
	return ok ? 0 : 1;
}
