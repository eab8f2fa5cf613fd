/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pbuf internals shared by the files of the module. Not an API.
 */
#ifndef _P2PBUF_INTERNAL_H
#define _P2PBUF_INTERNAL_H

#include <linux/capability.h>
#include <linux/completion.h>
#include <linux/dma-buf.h>
#include <linux/dma-direction.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/p2pbuf.h>
#include <linux/pci.h>
#include <linux/rwsem.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/seqlock.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/types.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <uapi/linux/p2pbuf.h>

#include "compat.h"
#include "decision.h"

/**
 * DOC: locking
 *
 * Outermost first; a lock is only taken while holding locks above it:
 *
 * 1. The rescan work (p2pmem.c; one at a time on an ordered workqueue)
 *    takes the device lock of one PCI device at a time, with
 *    device_trylock(): unregister can run under a device lock the driver
 *    core holds (unbind, reset, remove) and wait there for importers without
 *    a time limit, so the rescan skips a locked device and looks again a
 *    second later. Nothing waits for the rescan work holding a device lock.
 * 2. p2pbuf_registry_lock (provider.c), then one provider's @lock (LIST's
 *    and sysfs's walk, p2pbuf_find_provider()). Nothing under the registry
 *    lock may fault on user memory: LIST copies there with faults off.
 * 3. struct p2pbuf_provider.lock, then p2pbuf_deferred_lock (chunk.c; a
 *    p2pmem free that has to wait for pinned pages).
 * 4. p2pbuf_buffers_lock (exporter.c), then a buffer's @lock (debugfs).
 * 5. The dma-buf's reservation lock, then a buffer's @lock (a map refused
 *    by the policy records its reason).
 * 6. The mm's mmap_lock, then a buffer's @revoke_rwsem (CPU faults).
 *
 * Revoke (p2pbuf_revoke(), p2pbuf_revoke_wait()) takes a buffer's
 * @revoke_rwsem, its reservation lock, its @lock and its provider's @lock one
 * after the other, never nested, and holds none of them while it waits for
 * importers; the unregister that calls it holds a dma-buf reference instead
 * of the provider's @lock. That wait has no time limit (importers unmap
 * under the reservation lock, so it must be free), and it may happen under
 * a PCI device lock (1.).
 */

/**
 * struct p2pbuf_walk - what p2pbuf_topo_walk() gathers for the decision
 * @provider: the provider's upstream chain
 * @client: the client's upstream chain
 * @facts: the path facts derived from them
 */
struct p2pbuf_walk {
	struct p2pbuf_chain provider;
	struct p2pbuf_chain client;
	struct p2pbuf_path_facts facts;
};

/**
 * struct p2pbuf_verdicts - how one importer reaches one provider
 * @valid: decided (a walk that found no memory leaves it false)
 * @gen: p2pbuf_topo_generation() when decided
 * @client_addr: the importing device's PCI address, domain << 16 | bus << 8
 *	| devfn with the whole domain number: the cache's key. Within one
 *	generation it names the device: a device leaves or comes to an address
 *	only by a removal or an addition, and each moves the generation on.
 * @v: the verdict for each set of P2PBUF_DIR_* bits, 0 for any direction
 */
struct p2pbuf_verdicts {
	bool valid;
	u32 gen;
	u64 client_addr;
	struct p2pbuf_verdict v[P2PBUF_DIR_RW + 1];
};

/* (provider, importer) pairs each provider remembers, see DOC: verdict cache */
#define P2PBUF_VCACHE	4

/**
 * struct p2pbuf_vcache_entry - one pair in a provider's verdict cache
 * @vs: the verdicts
 * @fill: which filling of the cache put @vs here (the provider's
 *	@vcache_fills then), so that words formatted from a copy of @vs are
 *	kept only with it
 * @worded: the P2PBUF_DIR_* bits whose verdict @words says, -1 for none yet
 * @words: p2pbuf_reason_format() of that verdict, as PATH answers it
 */
struct p2pbuf_vcache_entry {
	struct p2pbuf_verdicts vs;
	u32 fill;
	s8 worded;
	char words[P2PBUF_REASON_LEN];
};

/**
 * struct p2pbuf_provider - a BAR region lent out as dma-bufs
 * @kref: lifetime; every chunk holds a reference
 * @id: id in the registry and the uapi
 * @kind: enum p2pbuf_kind
 * @pdev: the PCI device (reference held)
 * @bar: BAR index
 * @bar_offset: offset of the region in the BAR
 * @size: region size
 * @phys: CPU physical address of the region start
 * @bus_addr: PCI bus address of the region start
 * @available: buffers can be allocated
 * @published: usable by anyone (orchestrator candidates)
 * @prefetchable: P2PBUF_KIND_BAR: the BAR is prefetchable, so the CPU may
 *	map it write-combined; otherwise it maps uncached
 * @wc_reserved: a write-combining memtype is reserved for the region
 * @cpu_va: a page-less BAR region's kernel mapping (write-combined when
 *	@prefetchable), through which new chunks are cleared; mapped at
 *	registration, taken under @lock and unmapped by unregister once @gone
 *	is set; NULL for a region not 2 MiB aligned or that could not be
 *	mapped (each clear then maps its piece)
 * @region: free ranges of the region (P2PBUF_KIND_BAR), under @lock
 * @pages: P2PBUF_KIND_BAR registered with P2PBUF_REGISTER_PAGES: the
 *	region is P2PDMA pages, all of it taken from the P2PDMA pool at
 *	@kaddr; buffers are carved from it by @region as for page-less BARs
 * @kaddr: with @pages, the kernel address of the region's first byte;
 *	NULL (under @lock) once the removal gave the region back to the
 *	P2PDMA core, its pages idle: chunks released later skip them
 * @lock: protects @available, @published, @reason, @gone, @allocated,
 *	@buffers and @cpu_va; held briefly, never while waiting for importers
 * @gone: unregistered, or being unregistered; no new buffers
 * @unregistered: completed when the unregister that set @gone is done (no
 *	importer reaches the region any more): a second, concurrent
 *	unregister waits for it
 * @allocated: bytes allocated through p2pbuf
 * @buffers: exported buffers (struct p2pbuf_buffer.node)
 * @listed: in the registry's list, in id order (under the registry lock):
 *	what LIST walks
 * @listing: what LIST says of the provider that never changes (id, PCI
 *	identity, BAR, range, name), written once as it joins the registry;
 *	LIST and p2pbuf_provider_fill_info() add the state (listing.c)
 * @reason: why it is not available
 * @unmap_wq: revoke waits here for a buffer of the provider to become idle
 *	(struct p2pbuf_buffer)
 * @vcache_lock: writers of @vcache and @vcache_next take it; attach, map
 *	and lookups read the cache in its read sections, without a lock
 * @vcache: verdicts of the importers seen last (verdict.c)
 * @vcache_next: the entry to replace next
 * @vcache_fills: entries filled so far (struct p2pbuf_vcache_entry.fill)
 */
struct p2pbuf_provider {
	struct kref kref;
	u32 id;
	enum p2pbuf_kind kind;
	struct pci_dev *pdev;
	int bar;
	u64 bar_offset;
	u64 size;
	phys_addr_t phys;
	pci_bus_addr_t bus_addr;
	bool available;
	bool published;
	bool prefetchable;
	bool wc_reserved;
	void __iomem *cpu_va;
	struct p2pbuf_region *region;
	bool pages;
	void *kaddr;
	struct mutex lock; /* state, @allocated, @buffers */
	bool gone;
	struct completion unregistered;
	u64 allocated;
	struct list_head buffers;
	struct list_head listed;
	struct p2pbuf_provider_info listing;
	char reason[P2PBUF_REASON_LEN];
	wait_queue_head_t unmap_wq;
	seqlock_t vcache_lock;	/* @vcache, @vcache_next */
	struct p2pbuf_vcache_entry vcache[P2PBUF_VCACHE];
	unsigned int vcache_next;
	u32 vcache_fills;
};

/**
 * struct p2pbuf_chunk - an allocated range of a provider
 * @prov: the provider (reference held)
 * @offset: offset within the provider's region
 * @size: bytes
 * @kaddr: kernel address of the first byte when the provider has pages
 *	(p2pbuf_has_pages()): from pci_alloc_p2pmem() for P2PBUF_KIND_P2PMEM,
 *	inside the provider's @kaddr for a BAR with pages
 * @released: the memory went back to the provider (early, on revoke)
 * @cpu_mapped: the chunk has P2P pages and mmap() put them in reach of
 *	CPU page tables and GUP, or P2PBUF_IOC_BUF_IO of a block request;
 *	until then no page can be referenced by anyone, and its free needs
 *	no look at them
 */
struct p2pbuf_chunk {
	struct p2pbuf_provider *prov;
	u64 offset;
	u64 size;
	void *kaddr;
	bool released;
	bool cpu_mapped;
};

/**
 * struct p2pbuf_charge - what a buffer counts against its user's quota
 * @uid: the user, in the initial user namespace
 * @provider_id: the provider the bytes count against
 * @bytes: bytes charged; 0 when nothing is (in-kernel buffers)
 */
struct p2pbuf_charge {
	u32 uid;
	u32 provider_id;
	u64 bytes;
};

/**
 * struct p2pbuf_buffer - an exported chunk
 * @dmabuf: the dma-buf
 * @chunk: the memory; freed by release
 * @node: in the provider's @buffers
 * @all: in the exporter's list of live buffers (p2pbuf_exporter_show()),
 *	entered after @node, with @chunk set for as long as it is there
 * @lock: protects @attachments, @nr_attach, @last_refusal, @logged
 * @attachments: struct p2pbuf_attachment.node
 * @nr_attach: entries in @attachments
 * @logged: reasons already logged (bit per enum p2pbuf_reason)
 * @last_refusal: reason of the last refused attach, map or pin, in
 *	P2PBUF_REASON_LEN bytes allocated by the first refusal (most buffers
 *	have none); NULL until then
 * @revoke_rwsem: orders CPU faults against revoke: faults hold it for
 *	reading while they insert a PTE, revoke for writing while it sets
 *	@revoked
 * @revoked: the provider is gone; set once by revoke with @revoke_rwsem held
 *	for writing (faults read it under @revoke_rwsem), read with
 *	READ_ONCE() by attach, pin, map and mmap
 * @pin_count: pins held by importers
 * @map_count: live sg tables
 * @charge: the quota charge of a buffer allocated through /dev/p2pbuf,
 *	given back by release; set by the ioctl before the first fd exists
 * @io_count: P2PBUF_IOC_BUF_IO calls moving data in or out now
 * @bytes_direct: bytes P2PBUF_IOC_BUF_IO moved between a device and the
 *	buffer's pages by DMA, without system memory
 * @bytes_bounced: bytes P2PBUF_IOC_BUF_IO moved through a bounce buffer
 *	in system memory
 *
 * Revoke waits on the provider's @unmap_wq until @pin_count, @map_count
 * and @io_count are all zero; whoever drops one of them to zero wakes it
 * (p2pbuf_buffer_idle_wake()).
 */
struct p2pbuf_buffer {
	struct dma_buf *dmabuf;
	struct p2pbuf_chunk *chunk;
	struct list_head node;
	struct list_head all;
	spinlock_t lock; /* attachments, refusal */
	unsigned int nr_attach;
	struct list_head attachments;
	unsigned long logged;
	char *last_refusal;
	struct rw_semaphore revoke_rwsem;
	bool revoked;
	atomic_t pin_count;
	atomic_t map_count;
	struct p2pbuf_charge charge;
	atomic_t io_count;
	atomic64_t bytes_direct;
	atomic64_t bytes_bounced;
};

/**
 * struct p2pbuf_mapping - one sg table handed to an importer
 * @sgt: the table; its address is what the importer holds
 * @nents: entries allocated in @sgt (its orig_nents is 0: no CPU list)
 * @map_type: how it was built, so that unmap undoes exactly that
 * @dir: direction it was mapped with
 * @dma: P2PBUF_MAP_THRU_HOST_BRIDGE: what dma_map_resource() returned
 * @size: P2PBUF_MAP_THRU_HOST_BRIDGE: bytes mapped there
 * @inline_sg: the entries of a table that needs no more (most: a buffer is
 *	contiguous), so that such a map allocates no table
 */
struct p2pbuf_mapping {
	struct sg_table sgt;
	unsigned int nents;
	enum p2pbuf_map_type map_type;
	enum dma_data_direction dir;
	dma_addr_t dma;
	size_t size;
	struct scatterlist inline_sg[2];
};

/**
 * struct p2pbuf_attachment - our state for one importer
 * @node: in the buffer's @attachments
 * @attach: the dma-buf attachment
 * @client: the importing PCI device: @attach's device or its ancestor, kept
 *	for the attachment's life (p2pbuf_importer_pci_get())
 * @map_type: map type decided at attach, then the one the last map used
 * @nents: sg entries of the last mapping
 * @maps: live mappings
 * @pins: pins held
 * @spare_busy: @spare is handed out; under the reservation lock
 * @gen: p2pbuf_topo_generation() when @types were decided
 * @types: the enum p2pbuf_map_type of this importer's verdict for each set
 *	of P2PBUF_DIR_* bits, all a map needs of it (a refusal looks the whole
 *	verdict up); refreshed by a map once stale; under the reservation lock
 *	after attach
 * @spare: the mapping a map hands out when it is free, so that the usual
 *	importer (one mapping at a time) allocates nothing to map
 */
struct p2pbuf_attachment {
	struct list_head node;
	struct dma_buf_attachment *attach;
	struct pci_dev *client;
	enum p2pbuf_map_type map_type;
	unsigned int nents;
	unsigned int maps;
	unsigned int pins;
	bool spare_busy;
	u32 gen;
	u8 types[P2PBUF_DIR_RW + 1];
	struct p2pbuf_mapping spare;
};

/* topology.c; the decision itself is in decision.h */
void p2pbuf_policy_snapshot(struct p2pbuf_bridge_policy *pol);
void p2pbuf_topo_walk(struct pci_dev *provider, struct pci_dev *client,
		      struct p2pbuf_walk *s);
int p2pbuf_path_verdict(struct pci_dev *provider, struct pci_dev *client,
			u8 want, struct p2pbuf_verdict *v);
extern atomic_t p2pbuf_topo_gen;

/**
 * p2pbuf_topo_generation - the generation of the policy and PCI topology
 *
 * Read on every attach and map: inline.
 *
 * Return: a number that changes whenever a decision made before may no
 * longer hold (see DOC: verdict cache).
 */
static inline u32 p2pbuf_topo_generation(void)
{
	return atomic_read(&p2pbuf_topo_gen);
}

void p2pbuf_topo_changed(void);
const char *p2pbuf_map_type_name(enum p2pbuf_map_type t);
struct pci_dev *p2pbuf_find_pci_dev(struct device *dev);
bool p2pbuf_dma_unreachable(u64 addr, u64 size, u64 limit,
			    struct p2pbuf_verdict *v);

/*
 * Attach and map call the helpers below each time: they are inline, since
 * under emulation a call and its return cost more than their bodies.
 */

/**
 * p2pbuf_dir_to_mask - DMA direction of a mapping to P2PBUF_DIR_* bits
 * @dir: direction as the importer maps
 *
 * Return: the P2PBUF_DIR_* bits the mapping needs.
 */
static inline u8 p2pbuf_dir_to_mask(enum dma_data_direction dir)
{
	switch (dir) {
	case DMA_TO_DEVICE:
		return P2PBUF_DIR_READ;
	case DMA_FROM_DEVICE:
		return P2PBUF_DIR_WRITE;
	default:
		return P2PBUF_DIR_RW;
	}
}

/**
 * p2pbuf_dma_reachable - can an importer address a bus address range?
 * @addr: first bus address
 * @size: bytes
 * @dma_mask: the importer's dev->dma_mask (NULL: it cannot DMA)
 * @bus_dma_limit: the importer's dev->bus_dma_limit, 0 for none
 * @v: on false, turned into a P2PBUF_REASON_DMA_MASK refusal; NULL when
 *	only the answer is wanted
 *
 * Bus addresses reach the importer untranslated, so the whole range must lie
 * below min_not_zero(*@dma_mask, @bus_dma_limit).
 *
 * Return: true when the importer reaches every byte.
 */
static inline bool p2pbuf_dma_reachable(u64 addr, u64 size,
					const u64 *dma_mask, u64 bus_dma_limit,
					struct p2pbuf_verdict *v)
{
	u64 limit = dma_mask ? min_not_zero(*dma_mask, bus_dma_limit) : 0;
	u64 end;

	if (dma_mask && size && !check_add_overflow(addr, size - 1, &end) &&
	    end <= limit)
		return true;
	return v ? p2pbuf_dma_unreachable(addr, size, limit, v) : false;
}

/**
 * p2pbuf_importer_pci_get - the PCI device of an importer, for an attachment
 * @dev: the attachment's device
 *
 * The PCI device must outlive the attachment: a map walks up from it when
 * the verdicts are stale, and a reference on a PCI device holds its bus,
 * the bridge above it, and so on up. When @dev is the PCI device the
 * importer's own reference does: the importer keeps @dev until it detaches,
 * since the exporter maps for it. A PCI ancestor of @dev gets a reference
 * of its own, because unregistering @dev drops @dev's hold on its parent.
 * Give it back with p2pbuf_importer_pci_put().
 *
 * Return: the PCI device, or NULL.
 */
static inline struct pci_dev *p2pbuf_importer_pci_get(struct device *dev)
{
	if (dev_is_pci(dev))
		return to_pci_dev(dev);
	return pci_dev_get(p2pbuf_find_pci_dev(dev));
}

/**
 * p2pbuf_importer_pci_put - give back p2pbuf_importer_pci_get()
 * @pdev: what it returned
 * @dev: the device it was given
 */
static inline void p2pbuf_importer_pci_put(struct pci_dev *pdev,
					   struct device *dev)
{
	if (pdev && &pdev->dev != dev)
		pci_dev_put(pdev);
}

u32 p2pbuf_pdev_bdf(struct pci_dev *pdev);
u32 p2pbuf_pdev_id(struct pci_dev *pdev);

/**
 * p2pbuf_kind_name - short name of a provider kind for sysfs and debugfs
 * @kind: enum p2pbuf_kind
 *
 * Return: a static string.
 */
static inline const char *p2pbuf_kind_name(enum p2pbuf_kind kind)
{
	switch (kind) {
	case P2PBUF_KIND_BAR:
		return "bar";
	case P2PBUF_KIND_P2PMEM:
		return "p2pmem";
	default:
		return "unknown";
	}
}

/**
 * p2pbuf_param_may_set - may the caller change a policy or limit parameter?
 *
 * For the set op of every parameter that widens what users may do: the
 * files are 0644 and root's, and this also keeps root without
 * CAP_SYS_ADMIN (a container's, a sandboxed service's) from writing them.
 * At module load the set op runs in the loader's context, which has it.
 *
 * Return: 0, or -EPERM.
 */
static inline int p2pbuf_param_may_set(void)
{
	return capable(CAP_SYS_ADMIN) ? 0 : -EPERM;
}

/*
 * Per file, in dependency order from the bottom up: a file calls only the
 * files listed above it (README.md; tests/host/layout checks it).
 */

/* query.c: the ioctls that only read state, for uapi.c's table */
int p2pbuf_ioc_list(struct file *file, void __user *uarg, size_t usize);
int p2pbuf_ioc_buf_info(struct file *file, void __user *uarg, size_t usize);
int p2pbuf_ioc_path(struct file *file, void __user *uarg, size_t usize);

/* an ioctl argument's reserved bytes and padding are zero */
static inline bool p2pbuf_zeroed(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

/*
 * Ioctl arguments in and answers out, as plain 8-byte loads and stores:
 * x86 copies to and from user space with a string instruction from 64
 * bytes on, which has a start-up cost on CPUs without FSRM and which an
 * emulator without hardware assistance (QEMU TCG, the test bed) runs one
 * byte per step. Most of p2pbuf's arguments are 64 to 256 bytes.
 */

/*
 * copy_struct_from_user(), with the loop for the usual case: the caller's
 * struct is the kernel's, 8-byte aligned.
 */
static inline int p2pbuf_copy_request(void *dst, size_t ksize,
				      const void __user *src, size_t usize)
{
	const u64 __user *from = src;
	u64 *to = dst;
	size_t i;

	if (usize != ksize || !IS_ALIGNED(ksize, sizeof(u64)) ||
	    !IS_ALIGNED((unsigned long)src, sizeof(u64)))
		return copy_struct_from_user(dst, ksize, src, usize);
	/* what copy_from_user() checks besides the copy */
	might_fault();
	if (!check_copy_size(dst, ksize, false))
		return -EFAULT;
	if (!user_read_access_begin(src, usize))
		return -EFAULT;
	for (i = 0; i < ksize / sizeof(u64); i++)
		unsafe_get_user(to[i], &from[i], efault);
	user_read_access_end();
	return 0;
efault:
	user_read_access_end();
	return -EFAULT;
}

/* copy_to_user() of an answer, 0 or -EFAULT */
static inline int p2pbuf_copy_answer(void __user *dst, const void *src,
				     size_t len)
{
	might_fault();
	if (!check_copy_size(src, len, true))
		return -EFAULT;
	if (!user_write_access_begin(dst, len))
		return -EFAULT;
	unsafe_copy_to_user(dst, src, len, efault);
	user_write_access_end();
	return 0;
efault:
	user_write_access_end();
	return -EFAULT;
}

/* quota.c */
int p2pbuf_quota_charge(struct p2pbuf_charge *charge, u32 provider_id,
			u64 provider_size, u64 bytes);
void p2pbuf_quota_uncharge(struct p2pbuf_charge *charge);
void p2pbuf_quota_exit(void);

/* region.c */
struct p2pbuf_region;
struct p2pbuf_region *p2pbuf_region_create(u64 size);
void p2pbuf_region_destroy(struct p2pbuf_region *r);
u64 p2pbuf_region_avail(const struct p2pbuf_region *r);
u64 p2pbuf_region_largest(const struct p2pbuf_region *r);
int p2pbuf_region_alloc(struct p2pbuf_region *r, u64 size, u64 align, u64 base,
			u64 *offset);
int p2pbuf_region_alloc_fixed(struct p2pbuf_region *r, u64 offset, u64 size);
void p2pbuf_region_free(struct p2pbuf_region *r, u64 offset, u64 size);

/* verdict.c */
bool p2pbuf_verdict_cached(struct p2pbuf_provider *prov, u32 bdf, u8 want,
			   struct p2pbuf_verdict *v,
			   char words[P2PBUF_REASON_LEN]);
int p2pbuf_verdicts_get(struct p2pbuf_provider *prov, struct pci_dev *client,
			struct p2pbuf_verdicts *vs);
void p2pbuf_verdicts_types(const struct p2pbuf_verdicts *vs, u8 *types,
			   u32 *gen);
int p2pbuf_map_types_get(struct p2pbuf_provider *prov, struct pci_dev *client,
			 u8 *types, u32 *gen);

/**
 * p2pbuf_has_pages - are a provider's buffers P2PDMA pages?
 * @prov: the provider
 *
 * Return: true for p2pmem and for a BAR registered with
 * P2PBUF_REGISTER_PAGES; their chunks have a kernel address (@kaddr).
 */
static inline bool p2pbuf_has_pages(const struct p2pbuf_provider *prov)
{
	return prov->kind == P2PBUF_KIND_P2PMEM || prov->pages;
}

/* sgt.c */
u64 p2pbuf_sg_count(u64 addr, u64 len, unsigned int max_seg,
		    u64 boundary_mask);
int p2pbuf_sg_fill(struct sg_table *sgt, u64 addr, u64 len,
		   unsigned int max_seg, u64 boundary_mask);
int p2pbuf_sg_fill_into(struct sg_table *sgt, struct scatterlist *sg,
			unsigned int nsg, u64 addr, u64 len,
			unsigned int max_seg, u64 boundary_mask, bool bus_addr);
void p2pbuf_sg_free(struct sg_table *sgt, unsigned int nents);

/* chunk.c */
struct p2pbuf_provider *p2pbuf_provider_new(struct pci_dev *pdev,
					    enum p2pbuf_kind kind);
int p2pbuf_provider_pool_init(struct p2pbuf_provider *prov);
u64 p2pbuf_provider_avail_locked(struct p2pbuf_provider *prov);
u64 p2pbuf_provider_avail_lockless(struct p2pbuf_provider *prov);
u64 p2pbuf_provider_avail(struct p2pbuf_provider *prov);
void p2pbuf_chunk_release_memory(struct p2pbuf_chunk *chunk);
void p2pbuf_deferred_drain(void);
int p2pbuf_chunk_cache_init(void);
void p2pbuf_chunk_cache_exit(void);
void p2pbuf_pages_wait_idle(struct p2pbuf_provider *prov);

/* mmap.c */
int p2pbuf_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma);

/* attach.c: the dma_buf_ops importers call, for exporter.c's table */
int p2pbuf_attach(struct dma_buf *dmabuf, struct dma_buf_attachment *attach);
void p2pbuf_detach(struct dma_buf *dmabuf, struct dma_buf_attachment *attach);
int p2pbuf_pin(struct dma_buf_attachment *attach);
void p2pbuf_unpin(struct dma_buf_attachment *attach);
struct sg_table *p2pbuf_map_dma_buf(struct dma_buf_attachment *attach,
				    enum dma_data_direction dir);
void p2pbuf_unmap_dma_buf(struct dma_buf_attachment *attach,
			  struct sg_table *sgt, enum dma_data_direction dir);

/* exporter.c */
extern const struct dma_buf_ops p2pbuf_dma_buf_ops;
int p2pbuf_exporter_init(void);
void p2pbuf_exporter_exit(void);
void p2pbuf_exporter_show(struct seq_file *s);

/* revoke.c */
void p2pbuf_revoke(struct p2pbuf_buffer *buf);
void p2pbuf_revoke_wait(struct p2pbuf_buffer *buf, unsigned int warn_ms);

/**
 * p2pbuf_buffer_idle_wake - wake a revoke waiting for @buf to go idle
 * @buf: the buffer whose @pin_count, @map_count or @io_count just dropped
 *	to zero, by an atomic_dec_and_test() (a full barrier)
 *
 * Nobody waits almost always: then this costs a barrier and a read.
 */
static inline void p2pbuf_buffer_idle_wake(struct p2pbuf_buffer *buf)
{
	struct wait_queue_head *wq = &buf->chunk->prov->unmap_wq;

	/* pairs with the barrier in the waiter's set_current_state() */
	if (wq_has_sleeper(wq))
		wake_up(wq);
}

/* io.c */
int p2pbuf_buf_io(struct p2pbuf_buffer *buf, struct file *file,
		  struct p2pbuf_buf_io *io);
#define P2PBUF_IO_PIECE		SZ_1M	/* bytes per request */
#define P2PBUF_IO_BVECS		(P2PBUF_IO_PIECE / PAGE_SIZE + 1)
struct bio_vec;
unsigned int p2pbuf_io_bvecs(struct bio_vec *bv, void *kaddr, size_t len);

/* bar_access.c */
int p2pbuf_provider_take_pages(struct p2pbuf_provider *prov);
void p2pbuf_provider_give_pages(struct p2pbuf_provider *prov);
void p2pbuf_provider_map_cpu(struct p2pbuf_provider *prov);
void p2pbuf_provider_unmap_cpu(struct p2pbuf_provider *prov);

/* listing.c */

/**
 * struct p2pbuf_provider_state - the part of a LIST entry that changes
 * @free: struct p2pbuf_provider_info.free
 * @flags: struct p2pbuf_provider_info.flags
 *
 * The reason an unavailable provider gives is asked for apart (see
 * p2pbuf_provider_state()): most are available, and LIST's walk keeps a
 * state for each entry it holds.
 */
struct p2pbuf_provider_state {
	u64 free;
	u32 flags;
};

void p2pbuf_provider_fill_listing(struct p2pbuf_provider *prov);
void p2pbuf_provider_state(struct p2pbuf_provider *prov,
			   struct p2pbuf_provider_state *st, char *reason);
void p2pbuf_provider_fill_info(struct p2pbuf_provider *prov,
			       struct p2pbuf_provider_info *info);

/* provider.c */
int p2pbuf_provider_add(struct p2pbuf_provider *prov);
struct p2pbuf_provider *p2pbuf_provider_get_by_id(u32 id);
int p2pbuf_provider_count(void);
typedef int (*p2pbuf_describe_fn)(void *priv, int i, int n,
				  struct p2pbuf_provider *prov);
int p2pbuf_provider_describe(p2pbuf_describe_fn emit, void *priv);
struct p2pbuf_provider *
p2pbuf_find_first(bool (*match)(struct p2pbuf_provider *prov, void *data),
		  void *data);
void p2pbuf_unregister_matching(bool (*match)(struct p2pbuf_provider *prov,
					      void *data),
				void *data);
void p2pbuf_unregister_all(void);

/* p2pmem.c */
void p2pbuf_p2pmem_rescan(void);
int p2pbuf_p2pmem_init(void);
void p2pbuf_p2pmem_exit(void);

/* uapi.c */
int p2pbuf_uapi_init(void);
void p2pbuf_uapi_exit(void);

/* debugfs.c */
void p2pbuf_debugfs_init(void);
void p2pbuf_debugfs_exit(void);

#endif /* _P2PBUF_INTERNAL_H */
