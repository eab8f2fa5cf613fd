/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libp2pbuf-verbs: register a dma-buf (p2pbuf's or any exporter's) as RDMA
 * memory regions; man p2pbuf_ibv_reg_dmabuf_mr(3).
 * A separate library (link with -lp2pbuf-verbs, pkg-config libp2pbuf-verbs)
 * so that the core never depends on libibverbs.
 */
#ifndef P2PBUF_VERBS_H
#define P2PBUF_VERBS_H

#include <stddef.h>
#include <stdint.h>
#include <infiniband/verbs.h>
#include <p2pbuf/p2pbuf.h>

#ifdef __cplusplus
extern "C" {
#endif

/* NCCL's probe: 1 supported, 0 not (errno EOPNOTSUPP/EPROTONOSUPPORT), -errno */
P2PBUF_EXPORT int p2pbuf_ibv_dmabuf_supported(struct ibv_pd *pd);

/* ibv_reg_dmabuf_mr()'s arguments in its order, then a message buffer */
P2PBUF_EXPORT struct ibv_mr *
p2pbuf_ibv_reg_dmabuf_mr(struct ibv_pd *pd, uint64_t offset, size_t length,
			 uint64_t iova, int fd, int access,
			 char *msg, size_t msg_len);

/* MRs of at most @max_len bytes each; @max_len 0: the device's max_mr_size */
#define P2PBUF_IBV_MR_4G	(1ULL << 32)

P2PBUF_EXPORT int
p2pbuf_ibv_reg_dmabuf_mr_split(struct ibv_pd *pd, uint64_t offset,
			       size_t length, uint64_t iova, int fd, int access,
			       uint64_t max_len, struct ibv_mr **mrs, int nmrs,
			       char *msg, size_t msg_len);

#ifdef __cplusplus
}
#endif
#endif
