/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libp2pbuf-verbs: register a p2pbuf dma-buf as an RDMA memory region.
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

P2PBUF_EXPORT struct ibv_mr *
p2pbuf_ibv_reg_dmabuf_mr(struct ibv_pd *pd, int fd, uint64_t offset,
			 size_t length, uint64_t iova, int access,
			 char *msg, size_t msg_len);

#ifdef __cplusplus
}
#endif
#endif
