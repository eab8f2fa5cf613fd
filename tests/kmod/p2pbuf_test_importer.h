/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * FOR TESTS ONLY. Interface of p2pbuf_test_importer.ko, the test importer:
 * it attaches p2pbuf dma-bufs on behalf of any PCI device (or of a fake
 * non-PCI device), maps them, reports the sg addresses it was given, and,
 * when it owns QEMU's edu device, moves data with the edu DMA engine using
 * those addresses. It imports the way ib_umem_dmabuf does, dynamic
 * (allow_peer2peer + move_notify) or pinned. Not an ABI; never ship it.
 */
#ifndef _P2PBUF_TEST_IMPORTER_H
#define _P2PBUF_TEST_IMPORTER_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define P2PBUF_TI_BASE		0xBA
#define P2PBUF_TI_MAX_SG	64

/* struct p2pbuf_ti_import.flags */
#define P2PBUF_TI_DYNAMIC	_BITUL(0) /* allow_peer2peer + move_notify */
#define P2PBUF_TI_PINNED	_BITUL(1) /* allow_peer2peer, dma_buf_pin */
#define P2PBUF_TI_NO_P2P	_BITUL(2) /* allow_peer2peer = false */
#define P2PBUF_TI_NOT_PCI	_BITUL(3) /* attach as a non-PCI (faux) device */
#define P2PBUF_TI_EDU		_BITUL(4) /* importer is a bound edu device, see @client */

/**
 * struct p2pbuf_ti_import - attach a dma-buf fd
 * @fd: in: dma-buf fd
 * @client: in: PCI address (P2PBUF_BDF()) of the importing device; with
 *	P2PBUF_TI_EDU, of the edu device whose engine will use the import,
 *	0 for the first edu device bound (-ENODEV if none is bound there)
 * @flags: in: P2PBUF_TI_*; exactly one of DYNAMIC / PINNED / NO_P2P
 * @handle: out: handle for the other calls
 */
struct p2pbuf_ti_import {
	__s32 fd;
	__u32 client;
	__u32 flags;
	__u32 handle;
};

/**
 * struct p2pbuf_ti_map - map (or remap) an import, report its sg table
 * @handle: in
 * @dir: in: 0 bidirectional, 1 to device (importer reads), 2 from device,
 *	3 DMA_NONE (only to check that the exporter refuses it)
 * @nents: out: number of DMA segments
 * @invalidations: out: move_notify calls seen so far
 * @addr: out: the first P2PBUF_TI_MAX_SG DMA addresses
 * @len: out: their lengths
 */
struct p2pbuf_ti_map {
	__u32 handle;
	__u32 dir;
	__u32 nents;
	__u32 invalidations;
	__u64 addr[P2PBUF_TI_MAX_SG];
	__u64 len[P2PBUF_TI_MAX_SG];
};

/**
 * struct p2pbuf_ti_dma - move bytes with the edu DMA engine
 * @src_handle: in: import to read from, or 0 for @user_buf (system memory)
 * @dst_handle: in: import to write to, or 0 for @user_buf
 * @src_offset: in: byte offset into the source buffer
 * @dst_offset: in: byte offset into the destination buffer
 * @len: in: bytes, at most 1 MiB
 * @user_buf: in: user pointer used when one side is system memory
 *
 * Both handles must come from imports made with P2PBUF_TI_EDU on the same
 * edu device (the sg addresses must be its own), else -EINVAL; that device's
 * engine moves the bytes (-ENODEV once it is unbound). An import that was invalidated is
 * remapped first; if the exporter refuses, the call fails with that error
 * (-ENODEV after a revoke) and the engine is not started. A pinned import
 * ignores move_notify and keeps using the sg table it holds until it is
 * unmapped or detached, as ib_umem_dmabuf's pinned form does.
 */
struct p2pbuf_ti_dma {
	__u32 src_handle;
	__u32 dst_handle;
	__u64 src_offset;
	__u64 dst_offset;
	__u64 len;
	__u64 user_buf;
};

/* struct p2pbuf_ti_status.state */
#define P2PBUF_TI_MAPPED	_BITUL(0) /* an sg table is held now */
#define P2PBUF_TI_STALE		_BITUL(1) /* move_notify seen, not remapped yet */

/**
 * struct p2pbuf_ti_status - state of an import, readable also after a revoke
 * @handle: in
 * @state: out: P2PBUF_TI_MAPPED, P2PBUF_TI_STALE
 * @invalidations: out: move_notify calls seen so far
 * @maps: out: successful dma_buf_map_attachment calls (first map + remaps)
 * @map_errors: out: dma_buf_map_attachment calls the exporter refused
 * @last_error: out: errno of the last refused map (positive), 0 if none
 * @dma_bytes: out: bytes the edu engine moved to or from this import
 * @nents: out: DMA segments of the current sg table, 0 when not mapped
 */
struct p2pbuf_ti_status {
	__u32 handle;
	__u32 state;
	__u32 invalidations;
	__u32 maps;
	__u32 map_errors;
	__u32 last_error;
	__u64 dma_bytes;
	__u32 nents;
	__u32 __pad;
};

/**
 * struct p2pbuf_ti_pin - pin user pages the way an O_DIRECT request does
 * @addr: in: page-aligned user address (an mmap of a p2pmem buffer)
 * @len: in: bytes, a page multiple, at most P2PBUF_TI_MAX_PIN pages
 *
 * pin_user_pages_fast(FOLL_WRITE | FOLL_PCI_P2PDMA): the pins stay until
 * P2PBUF_TI_UNPIN_USER or until the file is closed, like a request that is
 * still in flight. One set of pins per open file.
 */
struct p2pbuf_ti_pin {
	__u64 addr;
	__u64 len;
};

#define P2PBUF_TI_MAX_PIN	1024

/* struct p2pbuf_ti_bench.op */
#define P2PBUF_TI_BENCH_ATTACH_MAP	0 /* attach + map + unmap + detach @fd */
#define P2PBUF_TI_BENCH_P2PMEM_MAP	1 /* upstream: p2pmem sgl, dma_map_sgtable */
#define P2PBUF_TI_BENCH_REGISTER	2 /* register @iters BAR providers */
#define P2PBUF_TI_BENCH_UNREGISTER	3 /* unregister what REGISTER added */
#define P2PBUF_TI_BENCH_INFO		4 /* what the dma-buf core allocates */

/**
 * struct p2pbuf_ti_bench - timing loops and fixtures for bench/ (`make bench`)
 * @op: in: P2PBUF_TI_BENCH_*
 * @iters: in: loop count (ATTACH_MAP, P2PMEM_MAP) or providers to register
 *	(REGISTER), 1 .. 1000000
 * @fd: in: ATTACH_MAP: the dma-buf fd
 * @client: in: importing device, as struct p2pbuf_ti_import.client
 * @flags: in: 0 or P2PBUF_TI_EDU, as struct p2pbuf_ti_import.flags
 * @provider: in: P2PMEM_MAP: PCI address of the device whose published
 *	p2pmem is allocated; REGISTER: of the device whose @bar is registered
 * @bar: in: REGISTER: the BAR
 * @nents: out: ATTACH_MAP, P2PMEM_MAP: DMA segments of the last mapping
 * @size: in: P2PMEM_MAP: bytes; REGISTER: bytes per provider, placed one
 *	after the other from offset 0 of @bar, and from 0 again past its end
 *	(providers may overlap: nothing is allocated from them)
 * @ns: out: ATTACH_MAP, P2PMEM_MAP: nanoseconds the whole loop took
 * @value: out: INFO: bytes the dma-buf core kmallocs per exported dma-buf
 *	(struct dma_buf and its embedded reservation object), rounded up to
 *	the kmalloc bucket; REGISTER: providers registered by the module now
 *
 * The loop runs in the kernel so that a ratio against a baseline measured
 * the same way compares the exporters, not the system call overhead. The
 * dynamic attach is made the way ib_umem_dmabuf's is (allow_peer2peer).
 * Providers added by REGISTER stay until UNREGISTER or module unload.
 */
struct p2pbuf_ti_bench {
	__u32 op;
	__u32 iters;
	__s32 fd;
	__u32 client;
	__u32 flags;
	__u32 provider;
	__u32 bar;
	__u32 nents;
	__u64 size;
	__u64 ns;
	__u64 value;
};

#define P2PBUF_TI_MAX_HELD	8

/**
 * struct p2pbuf_ti_held - several mappings of one import held at once
 * @handle: in: a dynamic import that holds no mapping now (else -EBUSY)
 * @count: in: mappings held at once, 2 .. P2PBUF_TI_MAX_HELD
 * @rounds: in: 1 .. 64; each round maps @count times (DMA_BIDIRECTIONAL),
 *	then unmaps them all, round r starting with mapping r % @count
 * @nents: out: DMA segments of the first mapping
 * @shared: out: times a map returned the sg table of a mapping still held
 * @differ: out: mappings whose segment count or lengths differ from the
 *	first mapping's
 * @moved: out: mappings whose DMA addresses differ from the first
 *	mapping's (0 for bus addresses; under an IOMMU every map through the
 *	host bridge may get its own)
 *
 * The reservation lock is held throughout, so no move_notify comes between.
 */
struct p2pbuf_ti_held {
	__u32 handle;
	__u32 count;
	__u32 rounds;
	__u32 nents;
	__u32 shared;
	__u32 differ;
	__u32 moved;
	__u32 __pad;
};

#define P2PBUF_TI_IMPORT _IOWR(P2PBUF_TI_BASE, 0, struct p2pbuf_ti_import)
#define P2PBUF_TI_MAP    _IOWR(P2PBUF_TI_BASE, 1, struct p2pbuf_ti_map)
#define P2PBUF_TI_UNMAP  _IOW(P2PBUF_TI_BASE, 2, __u32)
#define P2PBUF_TI_DETACH _IOW(P2PBUF_TI_BASE, 3, __u32)
#define P2PBUF_TI_DMA    _IOW(P2PBUF_TI_BASE, 4, struct p2pbuf_ti_dma)
#define P2PBUF_TI_STATUS _IOWR(P2PBUF_TI_BASE, 5, struct p2pbuf_ti_status)
#define P2PBUF_TI_PIN_USER   _IOW(P2PBUF_TI_BASE, 6, struct p2pbuf_ti_pin)
#define P2PBUF_TI_UNPIN_USER _IO(P2PBUF_TI_BASE, 7)
#define P2PBUF_TI_BENCH  _IOWR(P2PBUF_TI_BASE, 8, struct p2pbuf_ti_bench)
#define P2PBUF_TI_MAP_HELD _IOWR(P2PBUF_TI_BASE, 9, struct p2pbuf_ti_held)

#endif
