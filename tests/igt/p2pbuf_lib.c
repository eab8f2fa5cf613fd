// SPDX-License-Identifier: GPL-2.0
/**
 * TEST: p2pbuf lib
 * Category: Userspace
 * Description: libp2pbuf and the p2pbuf command in the reference QEMU
 *	topology (tools/testing/vm/README.md): dma-buf fds passed between
 *	processes, the RDMA helper on rxe, O_DIRECT copies from NVMe into a CMB
 *	with the bounce fallback counted, the topology matrix and the path
 *	explanations against golden files.
 *	Built against libp2pbuf only (not lib/p2pbuf_igt.c, whose helper names
 *	are the library's own): it tests what a library user sees.
 * Feature: p2pbuf
 *
 * SUBTEST: fd-pass-pipeline
 * Description: a producer allocates on the ivshmem BAR (05:00.0), writes a
 *	pattern and passes the fd over a UNIX socket to a second process, which
 *	passes it to a third that reads the pattern; a fourth gets it after the
 *	producer exited, reads it and writes a new pattern that the host finds
 *	in vram.bin. Every process's /proc/self/fd count returns to baseline.
 *
 * SUBTEST: rdma-reg-rxe-unsupported
 * Description: rxe on a veth pair; NCCL's probe (p2pbuf_ibv_dmabuf_supported())
 *	says unsupported with EOPNOTSUPP; p2pbuf_ibv_reg_dmabuf_mr() fails with
 *	EOPNOTSUPP and a message naming rxe0 and the provider; out-of-range
 *	offsets get EINVAL before the device is asked.
 *
 * SUBTEST: nvme-read-into-cmb
 * Description: p2pbuf copy reads the namespace of the NVMe at 03:00.0 into
 *	a buffer on the CMB of the one at 04:00.0 device to device, 0 bytes
 *	bounced, data checked; from the NVMe behind the second root port
 *	(07:00.0) the direct path is refused and the bounce fallback is used,
 *	counted and reported. The drives are found by PCI address
 *	(p2pbuf_nvme_blockdev()) and the host checks their images by serial.
 *
 * SUBTEST: nvme-blockdev
 * Description: for every NVMe controller, p2pbuf_nvme_blockdev() finds the
 *	same block device by PCI address and by serial, and so does
 *	p2pbuf-nvme.sh; the node it names is the drive with that serial (its
 *	sysfs, reached through the node's device number, says so); in the
 *	reference VM the serials p2pbuf-nvme0/1/2 are at 03:00.0, 04:00.0 and
 *	07:00.0, the table the host maps host checks through. The kernel's
 *	names are not assumed: they change from boot to boot.
 *
 * SUBTEST: topo-matrix
 * Description: p2pbuf topo (sysfs model, and with the kernel's verdicts)
 *	matches the golden files of the reference topology, text and JSON.
 *
 * SUBTEST: check-explains
 * Description: p2pbuf check explains a same-switch path (bus address) and a
 *	cross-root-port refusal naming the host bridge 0000:00:00.0 (8086:29c0)
 *	and the allow rule; with that rule set the path is allowed.
 *
 * SUBTEST: pick-nearest
 * Description: p2pbuf_pick_provider() picks a provider under the same
 *	switch for the edu DMA engine, and none for a set that includes the
 *	NVMe behind the other root port.
 *
 * SUBTEST: providers-many
 * Description: p2pbuf_get_providers() gives what P2PBUF_IOC_LIST gives,
 *	field by field, with its zeroed end entry, whatever the count: the few
 *	providers of the VM (an array on the stack), 21 more (registered on
 *	the DMA engine's BAR0 through the test importer, listed only; first
 *	more than the last count said, then as many), and few again.
 *
 * SUBTEST: foreign-dmabuf
 * Description: the helpers take a dma-buf p2pbuf did not export: a
 *	udmabuf made from a sealed memfd. p2pbuf_query() says it is a dma-buf,
 *	not p2pbuf's, exporter "udmabuf", with its exact size;
 *	p2pbuf_send_fd()/p2pbuf_recv_fd() carry it to a
 *	second process, which maps it, checks the pattern and writes another,
 *	found through the memfd (outside the dma-buf); p2pbuf_copy() moves a
 *	file into it and back, every byte counted direct or bounced; and
 *	p2pbuf_drm_import() imports it into vgem.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <infiniband/verbs.h>
#include <linux/p2pbuf.h>
#include <linux/udmabuf.h>
#include <p2pbuf/drm.h>
#include <p2pbuf/p2pbuf.h>
#include <p2pbuf/verbs.h>
#include <sys/ioctl.h>
#include <xf86drm.h>

#include "igt.h"
#include "p2pbuf_igt.h"

/* vram.bin range of this suite's host check: nothing after it allocates there */
#define HOST_CHECK_FD_PASS_OFFSET	(110ULL << 20)

#define BUF_SIZE	(1u << 20)
#define HB_ID		"8086:29c0"
#define ALLOW		"/sys/module/p2pbuf/parameters/allow_bridges"

static const char *config(void)
{
	const char *c = getenv("P2PBUF_CONFIG");

	/* stock61, Debian 12's 6.1, has the stock kernel's features */
	if (c && !strcmp(c, "stock61"))
		return "stock";
	return c ? c : "p2pdma";
}

static void pattern(uint8_t *p, size_t len, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		p[i] = x;
	}
}

static long mismatch(const uint8_t *p, size_t len, uint32_t seed)
{
	static uint8_t want[BUF_SIZE];
	size_t i;

	pattern(want, len, seed);
	for (i = 0; i < len; i++)
		if (p[i] != want[i])
			return i;
	return -1;
}

/* the first kernel provider on a device, or -1 */
static int provider_on(struct p2pbuf_ctx *ctx, const char *name,
		       uint32_t kind, struct p2pbuf_provider *out)
{
	struct p2pbuf_provider *l;
	uint32_t bdf;
	int n, i, id = -1;

	p2pbuf_parse_bdf(name, &bdf);
	l = p2pbuf_get_providers(ctx, &n);
	if (!l)
		return -1;
	for (i = 0; i < n; i++)
		if (l[i].bdf == bdf && (!kind || l[i].kind == kind) &&
		    (l[i].flags & P2PBUF_PROV_AVAILABLE)) {
			id = l[i].id;
			if (out)
				*out = l[i];
			break;
		}
	p2pbuf_free_providers(l);
	return id;
}

/* run a command, capture stdout+stderr; returns the exit status */
static int run_cmd(char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int run_cmd(char *out, size_t len, const char *fmt, ...)
{
	char cmd[1024];
	size_t n = 0;
	va_list ap;
	FILE *p;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	strncat(cmd, " 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	p = popen(cmd, "r");
	igt_assert(p);
	while (n + 1 < len && !feof(p)) {
		size_t r = fread(out + n, 1, len - 1 - n, p);

		if (!r)
			break;
		n += r;
	}
	out[n] = '\0';
	st = pclose(p);
	igt_debug("$ %s\n%s", cmd, out);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static const char *golden_dir(void)
{
	const char *d = getenv("P2PBUF_GOLDEN_DIR");

	return d ? d : "/p2pbuf/tests/golden/p2pbuf";
}

static char *slurp(const char *path)
{
	static char buf[65536];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	igt_assert_f(fd >= 0, "%s: %s\n", path, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	igt_assert(n >= 0);
	buf[n] = '\0';
	return buf;
}

/* compare command output (plus "exit N") with a golden file */
static void golden(const char *name, const char *args)
{
	static char out[65536];
	char path[PATH_MAX], *want;
	size_t n;
	int rc;

	/* the golden files hold what a machine without pci.ids prints */
	rc = run_cmd(out, sizeof(out) - 16, "P2PBUF_PCI_IDS= p2pbuf %s", args);
	n = strlen(out);
	snprintf(out + n, sizeof(out) - n, "exit %d\n", rc);
	snprintf(path, sizeof(path), "%s/%s", golden_dir(), name);
	want = slurp(path);
	if (strcmp(want, out)) {
		igt_info("p2pbuf %s differs from %s; got:\n%s", args, path, out);
		igt_assert_f(0, "output differs from golden %s\n", name);
	}
}

/* matrix lines: from the header (starts with blanks) to the first blank line */
static void matrix_of(const char *text, char *out, size_t len)
{
	const char *p = strstr(text, "\n\n");
	const char *end;

	out[0] = '\0';
	if (!p)
		return;
	p += 2;
	end = strstr(p, "\n\n");
	if (!end)
		return;
	snprintf(out, len, "%.*s", (int)(end - p), p);
}

/* the namespace of the NVMe at PCI address pci, asserted */
static void nvme_dev(const char *pci, char *dev, size_t len)
{
	int ret = p2pbuf_nvme_blockdev(NULL, pci, dev, len, NULL);

	igt_assert_f(!ret, "no NVMe namespace at %s: %s\n", pci, strerror(-ret));
	igt_info("NVMe %s: %s\n", pci, dev);
}

/* pattern seed at the start of dev; the host finds it in the drive's image */
static void write_source(const char *dev, uint32_t seed, const char *test)
{
	uint8_t *b;
	int fd;

	igt_assert(!posix_memalign((void **)&b, 4096, BUF_SIZE));
	pattern(b, BUF_SIZE, seed);
	fd = open(dev, O_WRONLY | O_DIRECT);
	igt_assert_f(fd >= 0, "%s: %s\n", dev, strerror(errno));
	igt_assert_eq(pwrite(fd, b, BUF_SIZE, 0), (ssize_t)BUF_SIZE);
	fsync(fd);
	host_check_record_nvme(test, fd, 0, b, BUF_SIZE);
	close(fd);
	free(b);
}

/* ---- fd-pass-pipeline ---- */

enum { CH_OK = 0, CH_RECV = 10, CH_META, CH_MAP, CH_DATA, CH_SEND, CH_LEAK,
       CH_ALLOC, CH_QUERY };

static int child_forward(int in, int out, int check_seed, int write_seed,
			 uint32_t provider, int go)
{
	struct p2pbuf_fd_meta m;
	struct p2pbuf_buf b;
	int base = count_open_fds(), fd;
	uint8_t *p;
	char c;

	fd = p2pbuf_recv_fd(in, &m);
	if (fd < 0)
		return CH_RECV;
	if (m.size != BUF_SIZE || m.provider_id != provider ||
	    m.tag != 0xfeedbeef)
		return CH_META;
	if (p2pbuf_query(NULL, fd, &b) || !(b.flags & P2PBUF_BUF_OURS) ||
	    b.size != BUF_SIZE || b.provider_id != provider)
		return CH_QUERY;
	if (check_seed || write_seed) {
		p = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			return CH_MAP;
		if (check_seed && mismatch(p, BUF_SIZE, check_seed) >= 0)
			return CH_DATA;
		if (write_seed)
			pattern(p, BUF_SIZE, write_seed);
		munmap(p, BUF_SIZE);
	}
	if (go >= 0 && read(go, &c, 1) != 1)	/* wait for the parent's go */
		return CH_RECV;
	if (out >= 0 && p2pbuf_send_fd(out, fd, &m))
		return CH_SEND;
	close(fd);
	return count_open_fds() == base ? CH_OK : CH_LEAK;
}

static void reap(pid_t pid, const char *who)
{
	int st;

	igt_assert_eq(waitpid(pid, &st, 0), pid);
	igt_assert_f(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		     "%s failed: exit %d (10 recv, 11 meta, 12 mmap, 13 data, 14 send, 15 fd leak, 16 alloc, 17 query)\n",
		     who, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static void test_fd_pass_pipeline(void)
{
	struct p2pbuf_fd_meta m;
	struct p2pbuf_ctx *ctx;
	struct p2pbuf_buf b;
	int s12[2], s23[2], s34[2], go[2], base, id, fd;
	pid_t p1, p2, p3, p4;
	uint8_t *p;

	ctx = p2pbuf_open(NULL);
	igt_require_f(ctx, "/dev/p2pbuf: %s\n", strerror(errno));
	id = provider_on(ctx, "0000:05:00.0", 0, NULL);
	p2pbuf_close(ctx);
	igt_require_f(id >= 0, "no available provider on the ivshmem BAR 05:00.0\n");
	base = count_open_fds();
	igt_assert(!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s12));
	igt_assert(!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s23));
	igt_assert(!socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, s34));
	igt_assert(!pipe2(go, O_CLOEXEC));

	p1 = fork();
	if (!p1) {	/* producer */
		struct p2pbuf_fd_meta pm = { .size = BUF_SIZE, .tag = 0xfeedbeef };
		int b0 = count_open_fds(), bfd;

		ctx = p2pbuf_open(NULL);
		/*
		 * The host checks vram.bin after the VM exits, and every later
		 * allocation clears what it covers: record in a range of its
		 * own (tools/testing/vm/README.md, host-check offsets).
		 */
		b.offset = HOST_CHECK_FD_PASS_OFFSET;
		bfd = ctx ? p2pbuf_alloc(ctx, id, BUF_SIZE, P2PBUF_F_CLOEXEC |
					 P2PBUF_F_RDWR | P2PBUF_F_FIXED_OFFSET,
					 &b) : -1;
		if (bfd < 0)
			_exit(CH_ALLOC);
		pm.offset = b.offset;
		pm.provider_id = id;
		p = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, bfd, 0);
		if (p == MAP_FAILED)
			_exit(CH_MAP);
		pattern(p, BUF_SIZE, 1);
		munmap(p, BUF_SIZE);
		if (p2pbuf_send_fd(s12[0], bfd, &pm))
			_exit(CH_SEND);
		close(bfd);
		p2pbuf_close(ctx);
		_exit(count_open_fds() == b0 ? CH_OK : CH_LEAK);
	}
	p2 = fork();
	if (!p2)
		_exit(child_forward(s12[1], s23[0], 0, 0, id, -1));
	p3 = fork();
	if (!p3)
		_exit(child_forward(s23[1], s34[0], 1, 0, id, go[0]));
	reap(p1, "producer");
	reap(p2, "second process");
	igt_info("producer and second process exited; the third holds the only fd\n");

	p4 = fork();
	if (!p4)	/* reads pattern 1, writes pattern 2, sends it back */
		_exit(child_forward(s34[1], s34[1], 1, 2, id, -1));
	igt_assert_eq(write(go[1], "g", 1), 1);
	reap(p3, "third process");
	reap(p4, "fourth process");

	/* the fourth sent it back: check its pattern, and tell the host */
	fd = p2pbuf_recv_fd(s34[0], &m);
	igt_assert_f(fd >= 0, "receiving from the fourth: %s\n", strerror(errno));
	igt_assert_eq(p2pbuf_query(NULL, fd, &b), 0);
	p = mmap(NULL, BUF_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	igt_assert(p != MAP_FAILED);
	igt_assert_eq(mismatch(p, BUF_SIZE, 2), -1);
	host_check_record("p2pbuf_lib-fd-pass-pipeline", "vram.bin", b.bar_offset, p,
		    BUF_SIZE);
	munmap(p, BUF_SIZE);
	close(fd);
	close(s12[0]), close(s12[1]), close(s23[0]), close(s23[1]);
	close(s34[0]), close(s34[1]), close(go[0]), close(go[1]);
	igt_assert_eq(count_open_fds(), base);
}

/* ---- rdma-reg-rxe-unsupported ---- */

static void test_rdma_rxe(void)
{
	struct ibv_device **list;
	struct ibv_context *ibctx = NULL;
	struct p2pbuf_ctx *ctx;
	struct ibv_pd *pd;
	struct ibv_mr *mr;
	struct p2pbuf_buf b;
	char out[4096], msg[256];
	int n, i, id, fd, rc, err;

	ctx = p2pbuf_open(NULL);
	igt_require_f(ctx, "/dev/p2pbuf: %s\n", strerror(errno));
	id = provider_on(ctx, "0000:05:00.0", 0, NULL);
	igt_require_f(id >= 0, "no provider on 05:00.0\n");

	/* iproute2's ip (busybox's has no veth), modules where there are any */
	run_cmd(out, sizeof(out), "IP=ip; [ -x /sbin/ip ] && IP=/sbin/ip; "
		"[ -d /lib/modules ] && modprobe -a rdma_rxe veth; "
		"$IP link del veth0; $IP link add veth0 type veth peer name veth1 && "
		"$IP link set veth0 up && $IP link set veth1 up");
	rc = run_cmd(out, sizeof(out), "rdma link add rxe0 type rxe netdev veth0");
	if (rc) {
		p2pbuf_close(ctx);
		run_cmd(out + 2048, 2048, "IP=ip; [ -x /sbin/ip ] && IP=/sbin/ip; $IP link del veth0");
		igt_skip("rxe cannot be created here: rdma link add: %s\n", out);
	}
	list = ibv_get_device_list(&n);
	for (i = 0; list && i < n; i++)
		if (!strcmp(ibv_get_device_name(list[i]), "rxe0"))
			ibctx = ibv_open_device(list[i]);
	if (list)
		ibv_free_device_list(list);
	igt_assert_f(ibctx, "rxe0 was created but libibverbs cannot open it\n");
	pd = ibv_alloc_pd(ibctx);
	igt_assert(pd);

	/* NCCL's probe: rxe has no dma-buf MRs, and says so with EOPNOTSUPP */
	errno = 0;
	rc = p2pbuf_ibv_dmabuf_supported(pd);
	err = errno;
	igt_info("probe on rxe0: %d (%s)\n", rc, strerror(err));
	igt_assert_eq(rc, 0);
	igt_assert_eq(err, EOPNOTSUPP);

	fd = p2pbuf_alloc(ctx, id, BUF_SIZE, P2PBUF_F_CLOEXEC | P2PBUF_F_RDWR, &b);
	igt_assert_f(fd >= 0, "alloc: %s\n", strerror(errno));

	errno = 0;
	mr = p2pbuf_ibv_reg_dmabuf_mr(pd, BUF_SIZE, 4096, 0, fd,
				      IBV_ACCESS_LOCAL_WRITE, msg, sizeof(msg));
	err = errno;
	igt_info("offset past the end: %s\n", msg);
	igt_assert(!mr);
	igt_assert_eq(err, EINVAL);

	errno = 0;
	mr = p2pbuf_ibv_reg_dmabuf_mr(pd, 0, BUF_SIZE, 0, fd,
				      IBV_ACCESS_LOCAL_WRITE |
				      IBV_ACCESS_REMOTE_READ, msg, sizeof(msg));
	err = errno;
	igt_info("rxe0: %s\n", msg);
	if (mr)
		ibv_dereg_mr(mr);
	igt_assert_f(!mr, "rxe registered a dma-buf MR: no mainline soft RDMA device can\n");
	igt_assert_eq(err, EOPNOTSUPP);
	igt_assert_f(strstr(msg, "rxe0"), "message does not name the device: %s\n", msg);
	igt_assert_f(strstr(msg, "0000:05:00.0"), "message does not name the provider: %s\n", msg);

	close(fd);
	ibv_dealloc_pd(pd);
	ibv_close_device(ibctx);
	p2pbuf_close(ctx);
	run_cmd(out, sizeof(out), "IP=ip; [ -x /sbin/ip ] && IP=/sbin/ip; rdma link delete rxe0; $IP link del veth0");
}

/* ---- nvme-read-into-cmb ---- */

static void copy_check(const char *src, int id, uint32_t seed, int expect_direct)
{
	struct p2pbuf_copy_stats st;
	struct p2pbuf_ctx *ctx = p2pbuf_open(NULL);
	struct p2pbuf_buf b;
	int ffd, fd, ret;
	uint8_t *p;

	igt_assert(ctx);
	fd = p2pbuf_alloc(ctx, id, BUF_SIZE, P2PBUF_F_CLOEXEC | P2PBUF_F_RDWR, &b);
	igt_assert_f(fd >= 0, "alloc on the CMB: %s\n", strerror(errno));
	ffd = open(src, O_RDONLY | O_DIRECT);
	igt_assert(ffd >= 0);
	ret = p2pbuf_copy(ffd, 0, fd, 0, BUF_SIZE, P2PBUF_COPY_TO_BUF, &st,
			  NULL, NULL);
	igt_info("%s -> CMB: %d, direct %llu, bounced %llu, refusals %llu (%s: %s)\n",
		 src, ret, (unsigned long long)st.bytes_direct,
		 (unsigned long long)st.bytes_bounced,
		 (unsigned long long)st.bounce_events,
		 st.first_refusal ? strerror(st.first_refusal) : "-", st.why);
	igt_assert_eq(ret, 0);
	p = mmap(NULL, BUF_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	igt_assert(p != MAP_FAILED);
	igt_assert_f(mismatch(p, BUF_SIZE, seed) < 0,
		     "data in the CMB differs from %s at byte %ld\n", src,
		     mismatch(p, BUF_SIZE, seed));
	munmap(p, BUF_SIZE);
	if (expect_direct) {
		igt_assert_eq_u64(st.bytes_direct, BUF_SIZE);
		igt_assert_eq_u64(st.bytes_bounced, 0);
	} else {
		igt_assert_eq_u64(st.bytes_bounced, BUF_SIZE);
		igt_assert(st.bounce_events >= 1 && st.first_refusal && st.why[0]);
	}
	close(ffd);
	close(fd);
	p2pbuf_close(ctx);
}

static void test_nvme_read_into_cmb(void)
{
	char n0[300], n2[300], out[4096];
	struct p2pbuf_ctx *ctx;
	int id, rc;

	igt_require_f(strcmp(config(), "stock"),
		      "stock kernel: CONFIG_PCI_P2PDMA is off, the NVMe CMBs are not p2pmem and O_DIRECT cannot target P2P memory\n");
	ctx = p2pbuf_open(NULL);
	igt_require_f(ctx, "/dev/p2pbuf: %s\n", strerror(errno));
	id = provider_on(ctx, "0000:04:00.0", P2PBUF_LIB_KIND_P2PMEM, NULL);
	p2pbuf_close(ctx);
	igt_require_f(id >= 0, "no p2pmem provider on the CMB of the NVMe at 04:00.0\n");
	nvme_dev("0000:03:00.0", n0, sizeof(n0));
	nvme_dev("0000:07:00.0", n2, sizeof(n2));

	write_source(n0, 3, "p2pbuf_lib-nvme-read-into-cmb");
	write_source(n2, 4, "p2pbuf_lib-nvme-read-into-cmb");

	/* across root ports: refused, bounced, reported (every config) */
	rc = run_cmd(out, sizeof(out), "p2pbuf copy %s buf:0000:04:00.0 --size 1M --verify", n2);
	igt_info("%s", out);
	igt_assert_eq(rc, 0);
	igt_assert(strstr(out, "device to device: 0 bytes"));
	igt_assert(strstr(out, "bounced:          1048576 bytes"));
	igt_assert(strstr(out, "direct path refused"));
	igt_assert(strstr(out, "data check:       OK"));

	copy_check(n2, id, 4, 0);

	/* under one switch: device to device, the command as a user runs it */
	igt_require_f(strcmp(config(), "iommu"),
		      "iommu config, same-switch part: QEMU sends same-switch P2P through its vIOMMU, which faults bus addresses (xio3130 ports have no ACS): O_DIRECT into the CMB returns success with no byte landed (DESIGN.md)\n");
	rc = run_cmd(out, sizeof(out), "p2pbuf copy %s buf:0000:04:00.0 --size 1M --verify", n0);
	igt_info("%s", out);
	igt_assert_eq(rc, 0);
	igt_assert(strstr(out, "device to device: 1048576 bytes"));
	igt_assert(strstr(out, "bounced:          0 bytes"));
	igt_assert(strstr(out, "data check:       OK"));
	copy_check(n0, id, 3, 1);
}

/* ---- nvme-blockdev ---- */

/* the reference VM's drives: DRIVES in tools/testing/vm/common.sh */
static const struct {
	const char *serial, *pci;
} ref_drives[] = {
	{ "p2pbuf-nvme0", "0000:03:00.0" },
	{ "p2pbuf-nvme1", "0000:04:00.0" },
	{ "p2pbuf-nvme2", "0000:07:00.0" },
};

/* p2pbuf-nvme.sh's answer for ctrl, asserted to be dev */
static void check_shell(const char *ctrl, const char *dev)
{
	char out[256];
	int rc;

	rc = run_cmd(out, sizeof(out), ". p2pbuf-nvme.sh && p2pbuf_nvme_blockdev '%s'", ctrl);
	out[strcspn(out, "\n")] = '\0';
	igt_assert_f(rc == 0 && !strcmp(out, dev),
		     "p2pbuf-nvme.sh: %s -> '%s' (status %d), the library says %s\n",
		     ctrl, out, rc, dev);
}

/* one controller: by address and by serial, the node is that drive's */
static void check_controller(const char *name)
{
	char path[PATH_MAX], addr[64], serial[64], got[64], by_addr[64], by_serial[64];
	uint32_t bdf, want;
	int fd, ret;

	snprintf(path, sizeof(path), "/sys/class/nvme/%s/address", name);
	igt_assert_f(!sysfs_read(path, addr, sizeof(addr)), "%s unreadable\n", path);
	snprintf(path, sizeof(path), "/sys/class/nvme/%s/serial", name);
	igt_assert_f(!sysfs_read(path, serial, sizeof(serial)), "%s unreadable\n", path);
	for (size_t n = strlen(serial); n > 0 && serial[n - 1] == ' '; n--)
		serial[n - 1] = '\0';
	igt_assert_f(!p2pbuf_parse_bdf(addr, &want), "%s: address %s is not PCI\n",
		     name, addr);

	ret = p2pbuf_nvme_blockdev(NULL, addr, by_addr, sizeof(by_addr), &bdf);
	igt_assert_f(!ret, "%s (%s): %s\n", name, addr, strerror(-ret));
	igt_assert_eq_u64(bdf, want);
	ret = p2pbuf_nvme_blockdev(NULL, serial, by_serial, sizeof(by_serial), NULL);
	igt_assert_f(!ret && !strcmp(by_serial, by_addr),
		     "%s: by address %s, by serial %s: %s (%s)\n", name, by_addr,
		     serial, by_serial, strerror(-ret));
	igt_info("%s: %s, serial %s -> %s\n", name, addr, serial, by_addr);

	/* through the node: its device number's sysfs names the drive */
	fd = open(by_addr, O_RDONLY | O_CLOEXEC);
	igt_assert_f(fd >= 0, "%s: %s\n", by_addr, strerror(errno));
	ret = nvme_serial_of_fd(fd, got, sizeof(got));
	close(fd);
	igt_assert_f(!ret && !strcmp(got, serial),
		     "%s is the drive with serial '%s' (%s), not %s's '%s'\n",
		     by_addr, got, strerror(-ret), name, serial);

	check_shell(addr, by_addr);
	check_shell(serial, by_addr);
}

static void test_nvme_blockdev(void)
{
	char dev[64];
	struct dirent *e;
	uint32_t bdf, want;
	int n = 0, ret;
	DIR *d;

	d = opendir("/sys/class/nvme");
	igt_require_f(d, "no /sys/class/nvme: %s\n", strerror(errno));
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "nvme", 4))
			continue;
		check_controller(e->d_name);
		n++;
	}
	closedir(d);
	igt_require_f(n, "no NVMe controller\n");

	igt_require_f(getenv("P2PBUF_CONFIG"), "not the reference VM (tools/testing/vm/run)\n");
	for (size_t i = 0; i < sizeof(ref_drives) / sizeof(ref_drives[0]); i++) {
		ret = p2pbuf_nvme_blockdev(NULL, ref_drives[i].serial, dev,
					   sizeof(dev), &bdf);
		igt_assert_f(!ret, "no drive with serial %s: %s\n",
			     ref_drives[i].serial, strerror(-ret));
		p2pbuf_parse_bdf(ref_drives[i].pci, &want);
		igt_assert_f(bdf == want, "serial %s is at %#x, the test bed says %s\n",
			     ref_drives[i].serial, bdf, ref_drives[i].pci);
	}
}

/* ---- topo-matrix, check-explains ---- */

static const char *variant(void)
{
	return !strcmp(config(), "iommu") ? "-iommu" :
	       !strcmp(config(), "stock") ? "-stock" : "";
}

/* the reference QEMU topology: ivshmem at 05:00.0, nvme at 07:00.0 */
static void require_reference(void)
{
	char path[PATH_MAX];

	igt_require_f(!access("/sys/bus/pci/devices/0000:05:00.0", F_OK) &&
		      !access("/sys/bus/pci/devices/0000:07:00.0", F_OK) &&
		      getenv("P2PBUF_CONFIG"),
		      "not the reference VM (tools/testing/vm/run)\n");
	snprintf(path, sizeof(path), "%s/topo.txt", golden_dir());
	igt_require_f(!access(path, R_OK), "no golden files in %s\n", golden_dir());
}

static void test_topo_matrix(void)
{
	static char out[65536], got[8192], want[8192];
	char name[64], path[PATH_MAX];

	require_reference();

	snprintf(name, sizeof(name), "topo%s.txt", variant());
	golden(name, "--model topo");
	snprintf(name, sizeof(name), "topo%s.json", variant());
	snprintf(path, sizeof(path), "%s/%s", golden_dir(), name);
	if (!access(path, R_OK))
		golden(name, "--model --json topo");
	igt_require_f(!access("/dev/p2pbuf", F_OK), "no /dev/p2pbuf: kernel verdicts not checked\n");
	/* the kernel's verdicts give the same matrix as the model */
	run_cmd(out, sizeof(out), "p2pbuf topo");
	igt_info("%s", out);
	igt_assert(strstr(out, "verdicts from: the kernel"));
	matrix_of(out, got, sizeof(got));
	snprintf(path, sizeof(path), "%s/topo%s.txt", golden_dir(), variant());
	matrix_of(slurp(path), want, sizeof(want));
	igt_assert_f(got[0] && !strcmp(got, want),
		     "kernel matrix:\n%s\nmodel (golden) matrix:\n%s\n", got, want);
}

static void test_check_explains(void)
{
	static char out[16384], old[512];
	int rc, fd;
	ssize_t n;

	require_reference();
	if (!strcmp(config(), "p2pdma")) {
		golden("check-same-switch.txt", "--model check 0000:03:00.0 0000:04:00.0");
		golden("check-cross-root.txt", "--model check 0000:04:00.0 0000:07:00.0");
	}
	igt_require_f(!access("/dev/p2pbuf", F_OK), "no /dev/p2pbuf\n");

	rc = run_cmd(out, sizeof(out), "p2pbuf check 05:00.0 06:00.0");
	igt_info("%s", out);
	igt_assert_eq(rc, 0);
	igt_assert(strstr(out, "verdicts from: the kernel"));
	igt_assert(strstr(out, "ALLOWED: bus address"));
	igt_assert(strstr(out, "0000:01:00.0"));

	rc = run_cmd(out, sizeof(out), "p2pbuf check 05:00.0 07:00.0");
	igt_info("%s", out);
	igt_assert_eq(rc, 2);
	igt_assert(strstr(out, "REFUSED"));
	igt_assert(strstr(out, "crosses host bridge 0000:00:00.0 [" HB_ID "]"));
	/* the fix names the allow rule for the host bridge, whatever the reason */
	igt_assert(strstr(out, "fix      ") && strstr(out, "echo " HB_ID " > " ALLOW));
	/* also in the iommu config, where intel-iommu turned on ACS on the root ports */
	igt_assert(strstr(out, "why      crosses host bridge 0000:00:00.0 (" HB_ID ")"));

	rc = run_cmd(out, sizeof(out), "p2pbuf --json check 05:00.0 07:00.0");
	igt_assert_eq(rc, 2);
	igt_assert(strstr(out, "\"allowed\": false"));
	igt_assert(strstr(out, "\"host_bridge\": \"0000:00:00.0\""));

	/* with the allow rule the kernel says yes, and so does check */
	fd = open(ALLOW, O_RDWR);
	igt_require_f(fd >= 0, "%s: %s\n", ALLOW, strerror(errno));
	n = read(fd, old, sizeof(old) - 1);
	old[n > 0 ? n : 0] = '\0';
	igt_assert(pwrite(fd, HB_ID, strlen(HB_ID), 0) == (ssize_t)strlen(HB_ID));
	rc = run_cmd(out, sizeof(out), "p2pbuf check 05:00.0 07:00.0");
	igt_info("%s", out);
	igt_assert(pwrite(fd, old[0] == '\n' || !old[0] ? "\n" : old,
			  old[0] ? strlen(old) : 1, 0) > 0);
	close(fd);
	igt_assert_eq(rc, 0);
	igt_assert(strstr(out, "ALLOWED: through host bridge"));
}

static void test_pick_nearest(void)
{
	struct p2pbuf_ctx *ctx = p2pbuf_open(NULL);
	uint32_t edu, nvme2, pick, set[2];
	struct p2pbuf_provider *l;
	int n, i, ret;

	igt_require_f(ctx, "/dev/p2pbuf: %s\n", strerror(errno));
	p2pbuf_parse_bdf("0000:06:00.0", &edu);
	p2pbuf_parse_bdf("0000:07:00.0", &nvme2);
	ret = p2pbuf_pick_provider(ctx, &edu, 1, BUF_SIZE, &pick);
	igt_assert_eq(ret, 0);
	l = p2pbuf_get_providers(ctx, &n);
	igt_assert(l);
	for (i = 0; i < n; i++)
		if (l[i].id == pick)
			break;
	igt_assert(i < n);
	igt_info("nearest provider for 06:00.0: %u on %s\n", pick, l[i].name);
	/* every provider is below the switch that edu is under */
	igt_assert(((l[i].bdf >> 8) & 0xff) >= 3 && ((l[i].bdf >> 8) & 0xff) <= 5);
	p2pbuf_free_providers(l);
	set[0] = edu;
	set[1] = nvme2;
	if (!strcmp(config(), "p2pdma"))
		igt_assert_eq(p2pbuf_pick_provider(ctx, set, 2, BUF_SIZE, &pick), -ENODEV);
	p2pbuf_close(ctx);
}

/* ---- providers-many ---- */

/* p2pbuf_get_providers() against the kernel's own LIST, read just after */
static int check_lib_providers(struct p2pbuf_ctx *ctx)
{
	static struct p2pbuf_provider_info raw[64];
	static const struct p2pbuf_provider zero;
	struct p2pbuf_list l = { .count = 64, .entry_size = sizeof(raw[0]),
				 .entries = (uintptr_t)raw };
	struct p2pbuf_provider *p;
	int n = -1;

	p = p2pbuf_get_providers(ctx, &n);
	igt_assert_f(p, "p2pbuf_get_providers: %s\n", strerror(errno));
	igt_assert_eq(ioctl(p2pbuf_ctx_fd(ctx), P2PBUF_IOC_LIST, &l), 0);
	igt_assert_eq((int)l.count, n);
	for (int i = 0; i < n; i++) {
		const struct p2pbuf_provider_info *u = &raw[i];
		const struct p2pbuf_provider *e = &p[i];

		igt_assert_f(e->id == u->id && e->kind == u->kind &&
			     e->flags == u->flags && e->bar == u->bar &&
			     e->bdf == u->bdf &&
			     e->vendor_device == u->vendor_device &&
			     e->bar_offset == u->bar_offset &&
			     e->size == u->size && e->free == u->free &&
			     e->bus_addr == u->bus_addr &&
			     !strcmp(e->name, u->name) &&
			     !strcmp(e->reason, u->reason) && !e->comp_mask &&
			     !e->reserved0 &&
			     !memcmp(e->reserved, zero.reserved,
				     sizeof(e->reserved)),
			     "entry %d of %d (provider %u %s) differs from LIST's\n",
			     i, n, u->id, u->name);
	}
	igt_assert_f(!memcmp(&p[n], &zero, sizeof(zero)),
		     "the entry after the last is not zeroed\n");
	p2pbuf_free_providers(p);
	return n;
}

/* the test importer, while it holds extra providers */
static int providers_ti = -1;

/* drop the extra providers, also after a failed check: a fixture calls it */
static int providers_drop(void)
{
	struct p2pbuf_ti_bench b = { .op = P2PBUF_TI_BENCH_UNREGISTER };
	int ret = 0;

	if (providers_ti < 0)
		return 0;
	if (ioctl(providers_ti, P2PBUF_TI_BENCH, &b))
		ret = -errno;
	close(providers_ti);
	providers_ti = -1;
	return ret;
}

static void test_providers_many(void)
{
	struct p2pbuf_ti_bench b = {
		.op = P2PBUF_TI_BENCH_REGISTER, .provider = BDF_EDU,
		.bar = 0, .size = 4096, .iters = 21,
	};
	struct p2pbuf_ctx *ctx = p2pbuf_open(NULL);
	int few, many;

	igt_require_f(ctx, "/dev/p2pbuf: %s\n", strerror(errno));
	providers_ti = open("/dev/p2pbuf_test_importer", O_RDWR | O_CLOEXEC);
	igt_require_f(providers_ti >= 0, "/dev/p2pbuf_test_importer: %s\n",
		      strerror(errno));
	few = check_lib_providers(ctx);
	igt_assert_f(ioctl(providers_ti, P2PBUF_TI_BENCH, &b) == 0,
		     "registering %u providers: %s\n", b.iters, strerror(errno));
	/* more than the last count said, then as many as the last */
	many = check_lib_providers(ctx);
	igt_assert_eq(check_lib_providers(ctx), many);
	igt_assert_eq(providers_drop(), 0);
	igt_assert_eq(many, few + 21);
	igt_assert_eq(check_lib_providers(ctx), few);
	igt_assert_eq(check_lib_providers(ctx), few);
	p2pbuf_close(ctx);
}

/* ---- foreign-dmabuf ---- */

/* a udmabuf over @mfd, a memfd of BUF_SIZE bytes; -1 with errno */
static int udmabuf_of(int mfd)
{
	struct udmabuf_create c = {
		.memfd = mfd, .flags = UDMABUF_FLAGS_CLOEXEC, .size = BUF_SIZE,
	};
	int dev, fd, err;

	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -1;
	fd = ioctl(dev, UDMABUF_CREATE, &c);
	err = errno;
	close(dev);
	errno = err;
	return fd;
}

/* the memfd's bytes against pattern(@seed): the view from outside the dma-buf */
static long memfd_mismatch(int mfd, uint32_t seed)
{
	static uint8_t got[BUF_SIZE];

	igt_assert_eq(pread(mfd, got, BUF_SIZE, 0), (ssize_t)BUF_SIZE);
	return mismatch(got, BUF_SIZE, seed);
}

static void test_foreign_dmabuf(void)
{
	struct p2pbuf_fd_meta m = { .size = BUF_SIZE, .tag = 0xd3ab };
	static uint8_t data[BUF_SIZE];
	struct p2pbuf_copy_stats st;
	struct p2pbuf_ctx *ctx;
	struct p2pbuf_buf b;
	char tmpl[] = "/tmp/foreign-XXXXXX", msg[256];
	int mfd, ufd, sv[2], st_child, file, vgem;
	uint32_t handle = 0;
	pid_t pid;

	mfd = memfd_create("foreign-dmabuf", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	igt_assert(mfd >= 0);
	pattern(data, BUF_SIZE, 31);
	igt_assert_eq(pwrite(mfd, data, BUF_SIZE, 0), (ssize_t)BUF_SIZE);
	igt_assert(!fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK));
	ufd = udmabuf_of(mfd);
	igt_require_f(ufd >= 0, "no udmabuf to stand for a foreign dma-buf: %s\n",
		      strerror(errno));

	/* what the library says about it, with and without a context */
	igt_assert_eq(p2pbuf_query(NULL, ufd, &b), 0);
	igt_assert_f((b.flags & P2PBUF_BUF_IS_DMABUF) && !(b.flags & P2PBUF_BUF_OURS),
		     "flags %#x: want a dma-buf that is not p2pbuf's\n", b.flags);
	igt_assert_eq_u64(b.size, BUF_SIZE);
	igt_assert_f(!strcmp(b.exporter, "udmabuf"), "exporter '%s'\n", b.exporter);
	ctx = p2pbuf_open(NULL);
	if (ctx) {
		memset(&b, 0xff, sizeof(b));
		igt_assert_eq(p2pbuf_query(ctx, ufd, &b), 0);
		igt_assert(!(b.flags & P2PBUF_BUF_OURS) && b.size == BUF_SIZE &&
			   !b.provider_name[0]);
		p2pbuf_close(ctx);
	}

	/* to another process and back: it maps, checks, writes */
	igt_assert(!socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	pid = fork();
	igt_assert(pid >= 0);
	if (!pid) {
		struct p2pbuf_fd_meta rm;
		struct p2pbuf_buf cb;
		uint8_t *p;
		int fd;

		close(sv[0]);
		fd = p2pbuf_recv_fd(sv[1], &rm);
		if (fd < 0)
			_exit(CH_RECV);
		if (rm.size != BUF_SIZE || rm.tag != 0xd3ab)
			_exit(CH_META);
		if (p2pbuf_query(NULL, fd, &cb) || strcmp(cb.exporter, "udmabuf") ||
		    cb.size != BUF_SIZE)
			_exit(CH_QUERY);
		p = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			_exit(CH_MAP);
		if (mismatch(p, BUF_SIZE, 31) >= 0)
			_exit(CH_DATA);
		pattern(p, BUF_SIZE, 32);
		_exit(CH_OK);
	}
	close(sv[1]);
	igt_assert_eq(p2pbuf_send_fd(sv[0], ufd, &m), 0);
	igt_assert_eq(waitpid(pid, &st_child, 0), pid);
	close(sv[0]);
	igt_assert_f(WIFEXITED(st_child) && !WEXITSTATUS(st_child),
		     "receiver failed: exit %d (10 recv, 11 meta, 12 mmap, 13 data, 17 query)\n",
		     WIFEXITED(st_child) ? WEXITSTATUS(st_child) : -1);
	igt_assert_eq(memfd_mismatch(mfd, 32), -1);

	/* p2pbuf_copy: a file into it, and out of it into the file */
	file = mkstemp(tmpl);
	igt_assert(file >= 0);
	unlink(tmpl);
	pattern(data, BUF_SIZE, 33);
	igt_assert_eq(pwrite(file, data, BUF_SIZE, 0), (ssize_t)BUF_SIZE);
	igt_assert_eq(p2pbuf_copy(file, 0, ufd, 0, BUF_SIZE, P2PBUF_COPY_TO_BUF, &st,
				  NULL, NULL), 0);
	igt_info("copy into the udmabuf: %llu direct, %llu bounced%s%s\n",
		 (unsigned long long)st.bytes_direct, (unsigned long long)st.bytes_bounced,
		 st.why[0] ? ": " : "", st.why);
	igt_assert_eq_u64(st.bytes_direct + st.bytes_bounced, BUF_SIZE);
	igt_assert_eq(memfd_mismatch(mfd, 33), -1);
	pattern(data, BUF_SIZE, 34);
	igt_assert_eq(pwrite(mfd, data, BUF_SIZE, 0), (ssize_t)BUF_SIZE);
	igt_assert_eq(p2pbuf_copy(file, 0, ufd, 0, BUF_SIZE, P2PBUF_COPY_FROM_BUF, &st,
				  NULL, NULL), 0);
	igt_assert_eq_u64(st.bytes_direct + st.bytes_bounced, BUF_SIZE);
	igt_assert_eq(pread(file, data, BUF_SIZE, 0), (ssize_t)BUF_SIZE);
	igt_assert_eq(mismatch(data, BUF_SIZE, 34), -1);
	close(file);

	/* PRIME import into vgem */
	vgem = p2pbuf_open_vgem();
	if (vgem < 0) {
		igt_info("no vgem: p2pbuf_drm_import() not tried\n");
	} else {
		igt_assert_f(!p2pbuf_drm_import(vgem, ufd, &handle, msg, sizeof(msg)),
			     "vgem refused a udmabuf: %s\n", msg);
		igt_assert(handle);
		drmCloseBufferHandle(vgem, handle);
		close(vgem);
	}
	close(ufd);
	close(mfd);
}

igt_main
{
	igt_describe("A dma-buf fd from the ivshmem BAR travels through four processes over UNIX sockets; data and fd counts checked.");
	igt_subtest("fd-pass-pipeline")
		test_fd_pass_pipeline();
	igt_describe("The RDMA helper refuses cleanly on rxe, naming the device and the provider.");
	igt_subtest("rdma-reg-rxe-unsupported")
		test_rdma_rxe();
	igt_describe("NVMe to CMB copies: device to device under one switch, bounced and reported across root ports.");
	igt_subtest("nvme-read-into-cmb")
		test_nvme_read_into_cmb();
	igt_describe("NVMe drives are found by PCI address and serial, never by the kernel's names.");
	igt_subtest("nvme-blockdev")
		test_nvme_blockdev();
	igt_describe("p2pbuf topo matches the golden matrix, and the kernel agrees with the sysfs model.");
	igt_subtest("topo-matrix")
		test_topo_matrix();
	igt_describe("p2pbuf check explains allowed and refused paths and names the host bridge.");
	igt_subtest("check-explains")
		test_check_explains();
	igt_describe("The library picks the nearest provider for a set of clients.");
	igt_subtest("pick-nearest")
		test_pick_nearest();
	igt_describe("p2pbuf_get_providers() agrees with the kernel's LIST for few and for many "
		     "providers.");
	igt_subtest("providers-many")
		test_providers_many();
	igt_fixture
		providers_drop();
	igt_describe("The helpers take a dma-buf that another exporter made (udmabuf).");
	igt_subtest("foreign-dmabuf")
		test_foreign_dmabuf();
}
