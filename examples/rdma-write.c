// SPDX-License-Identifier: MIT
/*
 * An RDMA write into a dma-buf: a p2pbuf buffer, or any other dma-buf fd.
 *
 * The dma-buf is registered as a memory region with
 * p2pbuf_ibv_reg_dmabuf_mr() (libp2pbuf-verbs, over ibv_reg_dmabuf_mr()),
 * and a loopback pair of RC queue pairs on one RDMA device writes a pattern
 * from system memory into it; the program then reads the dma-buf through a
 * CPU mapping and checks every byte.
 *
 *   rdma-write [--device NAME] [--size BYTES]
 *              [--provider ID | --udmabuf | --fd N | --sysmem]
 *
 *   --provider ID  allocate the target on that p2pbuf provider (default:
 *                  the first available one)
 *   --udmabuf      a dma-buf of system memory, made from a sealed memfd
 *                  with /dev/udmabuf: the helper takes any dma-buf
 *   --fd N         a dma-buf fd this program inherited (e.g. exported by a
 *                  GPU driver's stack: ROCm, or CUDA's
 *                  cuMemGetHandleForAddressRange())
 *   --sysmem       no dma-buf: an ordinary ibv_reg_mr() target, to check
 *                  the device and the queue pairs where the device cannot
 *                  register dma-buf MRs
 *
 * Exit: 0 the bytes landed and were verified; 1 error or wrong bytes;
 * 2 usage; 3 the RDMA device cannot register dma-buf memory regions (rxe,
 * siw: a NIC whose driver implements dma-buf MRs is needed); 77 nothing to
 * run on (no RDMA device, no p2pbuf provider, no /dev/udmabuf).
 *
 * Build: make -C examples (pkg-config libp2pbuf-verbs).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/udmabuf.h>
#include <infiniband/verbs.h>
#include <p2pbuf/p2pbuf.h>
#include <p2pbuf/verbs.h>

#define EXIT_BAD		1
#define EXIT_USAGE		2
#define EXIT_NO_DMABUF_MR	3
#define EXIT_NOTHING		77

static const char *prog;

enum target { T_P2PBUF, T_UDMABUF, T_FD, T_SYSMEM };

static uint8_t pattern_byte(uint64_t i)
{
	uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ULL;

	x ^= x >> 31;
	return (uint8_t)(x * 0x94d049bb133111ebULL >> 56);
}

/* a dma-buf of @size bytes of system memory, from a sealed memfd */
static int udmabuf_create(uint64_t size)
{
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = size };
	int dev, mfd, fd = -1, err;

	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -1;
	mfd = memfd_create("rdma-write", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (mfd < 0)
		goto out;
	/* udmabuf wants the memfd's size fixed: F_SEAL_SHRINK, no F_SEAL_WRITE */
	if (ftruncate(mfd, size) || fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK))
		goto out;
	c.memfd = mfd;
	fd = ioctl(dev, UDMABUF_CREATE, &c);
out:
	err = errno;
	if (mfd >= 0)
		close(mfd);
	close(dev);
	errno = err;
	return fd;
}

static int alloc_p2pbuf(long provider, uint64_t size)
{
	struct p2pbuf_provider *l;
	struct p2pbuf_ctx *ctx;
	int n, i, fd;

	ctx = p2pbuf_open(NULL);
	if (!ctx) {
		fprintf(stderr, "%s: %s: %s (is p2pbuf loaded?)\n", prog,
			P2PBUF_DEFAULT_DEV, strerror(errno));
		return -EXIT_NOTHING;
	}
	if (provider < 0) {
		l = p2pbuf_get_providers(ctx, &n);
		for (i = 0; l && i < n && provider < 0; i++)
			if ((l[i].flags & P2PBUF_PROV_AVAILABLE) && l[i].free >= size)
				provider = l[i].id;
		p2pbuf_free_providers(l);
		if (provider < 0) {
			fprintf(stderr, "%s: no p2pbuf provider with %" PRIu64 " bytes free\n",
				prog, size);
			p2pbuf_close(ctx);
			return -EXIT_NOTHING;
		}
	}
	/* RDWR: an MR maps the buffer bidirectionally, and the NIC writes it */
	fd = p2pbuf_alloc(ctx, provider, size, P2PBUF_F_CLOEXEC | P2PBUF_F_RDWR, NULL);
	if (fd < 0)
		fprintf(stderr, "%s: p2pbuf_alloc(provider %ld, %" PRIu64 " bytes): %s\n",
			prog, provider, size, strerror(errno));
	p2pbuf_close(ctx);
	return fd < 0 ? -EXIT_BAD : fd;
}

static struct ibv_context *open_device(const char *name)
{
	struct ibv_device **list;
	struct ibv_context *ctx = NULL;
	int n, i;

	list = ibv_get_device_list(&n);
	if (!list)
		return NULL;
	for (i = 0; i < n && !ctx; i++)
		if (!name || !strcmp(ibv_get_device_name(list[i]), name))
			ctx = ibv_open_device(list[i]);
	ibv_free_device_list(list);
	return ctx;
}

/* the first usable GID of port 1 (RoCE needs one; IB uses the LID) */
static int find_gid(struct ibv_context *ctx, const struct ibv_port_attr *pa,
		    union ibv_gid *gid)
{
	static const union ibv_gid zero;
	int i;

	for (i = 0; i < pa->gid_tbl_len && i < 64; i++)
		if (!ibv_query_gid(ctx, 1, i, gid) && memcmp(gid, &zero, sizeof(zero)))
			return i;
	return -1;
}

/* INIT -> RTR -> RTS, connected to @dqpn on this same port */
static int connect_qp(struct ibv_qp *qp, uint32_t dqpn,
		      const struct ibv_port_attr *pa, int gidx,
		      const union ibv_gid *gid)
{
	struct ibv_qp_attr a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_INIT;
	a.port_num = 1;
	a.qp_access_flags = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_LOCAL_WRITE;
	ret = ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			    IBV_QP_PORT | IBV_QP_ACCESS_FLAGS);
	if (ret)
		return ret;

	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTR;
	a.path_mtu = pa->active_mtu;
	a.dest_qp_num = dqpn;
	a.max_dest_rd_atomic = 1;
	a.min_rnr_timer = 12;
	a.ah_attr.port_num = 1;
	a.ah_attr.dlid = pa->lid;
	if (gidx >= 0) {
		a.ah_attr.is_global = 1;
		a.ah_attr.grh.dgid = *gid;
		a.ah_attr.grh.sgid_index = gidx;
		a.ah_attr.grh.hop_limit = 1;
	}
	ret = ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			    IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			    IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER);
	if (ret)
		return ret;

	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.timeout = 14;
	a.retry_cnt = 7;
	a.rnr_retry = 7;
	a.max_rd_atomic = 1;
	return ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_TIMEOUT |
			     IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			     IBV_QP_SQ_PSN | IBV_QP_MAX_QP_RD_ATOMIC);
}

/* one RDMA WRITE of @src (lkey) to @raddr (rkey) on @qp; waits 10 s at most */
static int rdma_write(struct ibv_qp *qp, struct ibv_cq *cq, void *src,
		      uint32_t len, uint32_t lkey, uint64_t raddr,
		      uint32_t rkey)
{
	struct ibv_sge sge = { .addr = (uintptr_t)src, .length = len, .lkey = lkey };
	struct ibv_send_wr wr = {
		.wr_id = 1, .sg_list = &sge, .num_sge = 1,
		.opcode = IBV_WR_RDMA_WRITE, .send_flags = IBV_SEND_SIGNALED,
		.wr.rdma = { .remote_addr = raddr, .rkey = rkey },
	}, *bad;
	struct timespec t0, t;
	struct ibv_wc wc;
	int n;

	if (ibv_post_send(qp, &wr, &bad))
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		n = ibv_poll_cq(cq, 1, &wc);
		if (n < 0)
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (!n && t.tv_sec - t0.tv_sec > 10) {
			fprintf(stderr, "%s: no completion after 10 s\n", prog);
			return -1;
		}
	} while (!n);
	if (wc.status != IBV_WC_SUCCESS) {
		fprintf(stderr, "%s: RDMA write completed with %s\n", prog,
			ibv_wc_status_str(wc.status));
		return -1;
	}
	return 0;
}

static int print_usage(void)
{
	fprintf(stderr,
		"usage: %s [--device NAME] [--size BYTES]\n"
		"       [--provider ID | --udmabuf | --fd N | --sysmem]\n", prog);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	const int access = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE;
	enum target t = T_P2PBUF;
	const char *devname = NULL, *what = "p2pbuf buffer";
	struct ibv_mr *smr = NULL, *dmr = NULL;
	struct ibv_qp *qa = NULL, *qb = NULL;
	struct ibv_context *ctx = NULL;
	struct ibv_qp_init_attr qi;
	struct ibv_port_attr pa;
	struct ibv_cq *cq = NULL;
	struct ibv_pd *pd = NULL;
	union ibv_gid gid;
	uint64_t size = 1 << 20, i, bad = 0, first = 0;
	long provider = -1;
	uint8_t *src = NULL, *dst = MAP_FAILED;
	int fd = -1, ret = EXIT_BAD, gidx;
	char msg[256], *end;

	prog = argv[0];
	for (i = 1; i < (uint64_t)argc; i++) {
		if (!strcmp(argv[i], "--device") && i + 1 < (uint64_t)argc) {
			devname = argv[++i];
		} else if (!strcmp(argv[i], "--size") && i + 1 < (uint64_t)argc) {
			size = strtoull(argv[++i], &end, 0);
			if (*end || !size || size % 4096 || size > UINT32_MAX)
				return print_usage();
		} else if (!strcmp(argv[i], "--provider") && i + 1 < (uint64_t)argc) {
			provider = strtol(argv[++i], &end, 10);
			if (*end || provider < 0)
				return print_usage();
		} else if (!strcmp(argv[i], "--fd") && i + 1 < (uint64_t)argc) {
			fd = (int)strtol(argv[++i], &end, 10);
			if (*end || fd < 0)
				return print_usage();
			t = T_FD;
			what = "dma-buf fd";
		} else if (!strcmp(argv[i], "--udmabuf")) {
			t = T_UDMABUF;
			what = "udmabuf";
		} else if (!strcmp(argv[i], "--sysmem")) {
			t = T_SYSMEM;
			what = "system memory (ibv_reg_mr)";
		} else {
			return print_usage();
		}
	}

	/* the device first: without one there is nothing to try */
	ctx = open_device(devname);
	if (!ctx) {
		fprintf(stderr, "%s: no RDMA device%s%s (see ibv_devices)\n",
			prog, devname ? " named " : "", devname ? devname : "");
		return EXIT_NOTHING;
	}
	devname = ibv_get_device_name(ctx->device);
	if (ibv_query_port(ctx, 1, &pa) || pa.state != IBV_PORT_ACTIVE) {
		fprintf(stderr, "%s: %s port 1 is not active\n", prog, devname);
		ret = EXIT_NOTHING;
		goto out;
	}
	gidx = pa.link_layer == IBV_LINK_LAYER_ETHERNET ? find_gid(ctx, &pa, &gid) : -1;
	if (pa.link_layer == IBV_LINK_LAYER_ETHERNET && gidx < 0) {
		fprintf(stderr, "%s: %s has no GID (give its netdev an address)\n", prog, devname);
		ret = EXIT_NOTHING;
		goto out;
	}
	pd = ibv_alloc_pd(ctx);
	if (!pd) {
		fprintf(stderr, "%s: ibv_alloc_pd on %s: %s\n", prog, devname, strerror(errno));
		goto out;
	}

	/* the target */
	switch (t) {
	case T_P2PBUF:
		fd = alloc_p2pbuf(provider, size);
		if (fd < 0) {
			ret = -fd;
			goto out;
		}
		break;
	case T_UDMABUF:
		fd = udmabuf_create(size);
		if (fd < 0) {
			fprintf(stderr, "%s: udmabuf of %" PRIu64 " bytes: %s\n", prog, size,
				strerror(errno));
			ret = errno == ENOENT ? EXIT_NOTHING : EXIT_BAD;
			goto out;
		}
		break;
	case T_FD: {
		struct p2pbuf_buf b;

		/* someone else's dma-buf: its size and exporter, as fdinfo says */
		if (p2pbuf_query(NULL, fd, &b) || !(b.flags & P2PBUF_BUF_IS_DMABUF)) {
			fprintf(stderr, "%s: fd %d is not a dma-buf\n", prog, fd);
			fd = -1;
			goto out;
		}
		if (b.size < size)
			size = b.size & ~4095ULL;
		printf("fd %d: a %" PRIu64 "-byte dma-buf exported by %s\n", fd, b.size,
		       b.exporter[0] ? b.exporter : "?");
		break;
	}
	case T_SYSMEM:
		break;
	}
	if (t == T_SYSMEM) {
		dst = mmap(NULL, size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (dst == MAP_FAILED)
			goto out;
		dmr = ibv_reg_mr(pd, dst, size, access);
		if (!dmr) {
			fprintf(stderr, "%s: ibv_reg_mr on %s: %s\n", prog, devname,
				strerror(errno));
			goto out;
		}
	} else {
		/* iova 0: the MR's addresses are offsets into the dma-buf */
		dmr = p2pbuf_ibv_reg_dmabuf_mr(pd, 0, size, 0, fd, access, msg, sizeof(msg));
		if (!dmr) {
			int err = errno;

			fprintf(stderr, "%s: %s\n", prog, msg[0] ? msg : strerror(err));
			if (err == EOPNOTSUPP) {
				fprintf(stderr,
					"%s: RDMA device %s cannot register a dma-buf as a memory region (errno %d, %s).\n"
					"%s: this needs a NIC whose kernel driver implements dma-buf MRs (mlx5, efa, irdma, bnxt_re, ...);\n"
					"%s: soft RDMA (rxe, siw) registers only pinned system memory (try --sysmem to check the device)\n",
					prog, devname, err, strerror(err), prog, prog);
				ret = EXIT_NO_DMABUF_MR;
			}
			goto out;
		}
		dst = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
		if (dst == MAP_FAILED) {
			fprintf(stderr, "%s: mmap of the %s (to check the bytes): %s\n",
				prog, what, strerror(errno));
			goto out;
		}
	}

	/* the source, and a loopback pair of RC QPs */
	src = malloc(size);
	if (!src)
		goto out;
	for (i = 0; i < size; i++)
		src[i] = pattern_byte(i);
	smr = ibv_reg_mr(pd, src, size, IBV_ACCESS_LOCAL_WRITE);
	cq = ibv_create_cq(ctx, 4, NULL, NULL, 0);
	if (!smr || !cq) {
		fprintf(stderr, "%s: %s on %s: %s\n", prog, smr ? "ibv_create_cq" : "ibv_reg_mr",
			devname, strerror(errno));
		goto out;
	}
	memset(&qi, 0, sizeof(qi));
	qi.send_cq = cq;
	qi.recv_cq = cq;
	qi.qp_type = IBV_QPT_RC;
	qi.cap.max_send_wr = 1;
	qi.cap.max_recv_wr = 1;
	qi.cap.max_send_sge = 1;
	qi.cap.max_recv_sge = 1;
	qa = ibv_create_qp(pd, &qi);
	qb = ibv_create_qp(pd, &qi);
	if (!qa || !qb) {
		fprintf(stderr, "%s: ibv_create_qp on %s: %s\n", prog, devname, strerror(errno));
		goto out;
	}
	if (connect_qp(qa, qb->qp_num, &pa, gidx, &gid) ||
	    connect_qp(qb, qa->qp_num, &pa, gidx, &gid)) {
		fprintf(stderr, "%s: connecting the queue pairs on %s: %s\n", prog, devname,
			strerror(errno));
		goto out;
	}
	/* the dma-buf MR's iova is 0; a system-memory MR's is its address */
	if (rdma_write(qa, cq, src, size, smr->lkey,
		       t == T_SYSMEM ? (uintptr_t)dst : 0, dmr->rkey))
		goto out;

	if (fd >= 0) {
		struct dma_buf_sync s = { .flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ };

		ioctl(fd, DMA_BUF_IOCTL_SYNC, &s);
	}
	for (i = 0; i < size; i++)
		if (dst[i] != pattern_byte(i) && !bad++)
			first = i;
	if (fd >= 0) {
		struct dma_buf_sync s = { .flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ };

		ioctl(fd, DMA_BUF_IOCTL_SYNC, &s);
	}
	if (bad) {
		fprintf(stderr, "%s: %" PRIu64 " of %" PRIu64 " bytes wrong in the %s",
			prog, bad, size, what);
		fprintf(stderr, ", the first at %#" PRIx64 "\n", first);
		goto out;
	}
	printf("%s: RDMA write of %" PRIu64 " bytes into the %s landed, every byte verified\n",
	       devname, size, what);
	ret = 0;
out:
	if (qa)
		ibv_destroy_qp(qa);
	if (qb)
		ibv_destroy_qp(qb);
	if (smr)
		ibv_dereg_mr(smr);
	if (dmr)
		ibv_dereg_mr(dmr);
	if (cq)
		ibv_destroy_cq(cq);
	if (pd)
		ibv_dealloc_pd(pd);
	if (dst != MAP_FAILED)
		munmap(dst, size);
	free(src);
	if (fd >= 0 && t != T_FD)
		close(fd);
	ibv_close_device(ctx);
	return ret;
}
