/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * p2pbuf: PCI BAR memory exported as dma-bufs for peer-to-peer DMA.
 *
 * ioctl ABI of /dev/p2pbuf. Every argument struct can grow: the kernel takes
 * the struct size from the ioctl number (_IOC_SIZE), zero-extends a shorter
 * struct from an older caller and refuses a longer one whose extra bytes are
 * not zero (E2BIG). Reserved fields must be zero (EINVAL), unknown flags get
 * EINVAL and unknown ioctls get ENOTTY.
 *
 * Access: the module creates /dev/p2pbuf with mode 0664, owned by root;
 * udev/60-p2pbuf.rules gives it to the group "p2pbuf". Anyone may open it
 * read-only and query: P2PBUF_IOC_LIST, P2PBUF_IOC_PATH and
 * P2PBUF_IOC_BUF_INFO. P2PBUF_IOC_ALLOC needs a file opened for writing,
 * which only root and the group may open; on a read-only open it fails with
 * EBADF, as write(2) does, and allocates nothing.
 * Documentation/p2pbuf/security.rst says who may do what and why.
 *
 * Quota: each user (real uid of the allocating process) may hold at once
 * user_max_pct percent (default 50) of each provider's size and
 * user_max_buffers buffers (default 1024) on all providers, module
 * parameters in /sys/module/p2pbuf/parameters/. P2PBUF_IOC_ALLOC beyond
 * either fails with EDQUOT and allocates nothing. A buffer counts against
 * the uid that allocated it until the dma-buf is released (its last fd
 * closed, its last importer gone), wherever its fds went. Tasks with
 * CAP_SYS_RESOURCE are exempt.
 */
#ifndef _UAPI_LINUX_P2PBUF_H
#define _UAPI_LINUX_P2PBUF_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define P2PBUF_IOCTL_BASE	0xB9

#define P2PBUF_NAME_LEN		32
#define P2PBUF_REASON_LEN	128

/**
 * P2PBUF_BDF - pack a PCI address into the __u32 form used by this ABI
 * @dom: PCI domain (segment), 16 bits
 * @bus: bus number, 8 bits
 * @devfn: device and function, as PCI_DEVFN(slot, func)
 */
#define P2PBUF_BDF(dom, bus, devfn) \
	((((__u32)(dom) & 0xffff) << 16) | (((__u32)(bus) & 0xff) << 8) | \
	 ((__u32)(devfn) & 0xff))

/**
 * P2PBUF_BDF_DOMAIN - PCI domain of a P2PBUF_BDF() value
 * @bdf: the packed address
 */
#define P2PBUF_BDF_DOMAIN(bdf)	(((__u32)(bdf) >> 16) & 0xffff)

/**
 * P2PBUF_BDF_BUS - bus number of a P2PBUF_BDF() value
 * @bdf: the packed address
 */
#define P2PBUF_BDF_BUS(bdf)	(((__u32)(bdf) >> 8) & 0xff)

/**
 * P2PBUF_BDF_DEVFN - device and function of a P2PBUF_BDF() value
 * @bdf: the packed address
 *
 * Split it with PCI_SLOT() and PCI_FUNC().
 */
#define P2PBUF_BDF_DEVFN(bdf)	((__u32)(bdf) & 0xff)

/**
 * enum p2pbuf_kind - what backs a provider
 * @P2PBUF_KIND_BAR: a raw memory BAR, page-less (works without P2PDMA)
 * @P2PBUF_KIND_P2PMEM: memory published through the kernel's P2PDMA core
 */
enum p2pbuf_kind {
	P2PBUF_KIND_BAR = 1,
	P2PBUF_KIND_P2PMEM = 2,
};

/**
 * define P2PBUF_PROVIDER_AVAILABLE - buffers can be allocated on this provider
 *
 * A flag of struct p2pbuf_provider_info.flags. Without it,
 * struct p2pbuf_provider_info.reason says why not, and P2PBUF_IOC_ALLOC on
 * the provider fails with EOPNOTSUPP.
 */
#define P2PBUF_PROVIDER_AVAILABLE	(1U << 0)

/**
 * define P2PBUF_PROVIDER_PUBLISHED - published for general use
 *
 * A flag of struct p2pbuf_provider_info.flags: the owning driver lends the
 * region to anyone, so in-kernel orchestrators may pick it. Set for every
 * kind BAR provider, and for p2pmem the driver published through the P2PDMA
 * core.
 */
#define P2PBUF_PROVIDER_PUBLISHED	(1U << 1)

/**
 * define P2PBUF_PROVIDER_PAGES - buffers are backed by struct pages
 *
 * A flag of struct p2pbuf_provider_info.flags: buffers are P2PDMA pages, so
 * an mmap() of one can be the target of O_DIRECT I/O, and
 * P2PBUF_IOC_BUF_IO can move data device to device. Set for available
 * P2PBUF_KIND_P2PMEM providers, and for P2PBUF_KIND_BAR providers their
 * driver registered with pages (p2pbuf_bar: module parameter bar_pages,
 * kernels with CONFIG_PCI_P2PDMA only). Without it, buffers are page-less:
 * O_DIRECT into their mmap() fails (EFAULT) and P2PBUF_IOC_BUF_IO bounces.
 */
#define P2PBUF_PROVIDER_PAGES		(1U << 2)

/**
 * struct p2pbuf_provider_info - one provider, as listed by P2PBUF_IOC_LIST
 * @id: provider id, used by P2PBUF_IOC_ALLOC and P2PBUF_IOC_PATH
 * @kind: enum p2pbuf_kind
 * @flags: P2PBUF_PROVIDER_* flags
 * @bar: BAR index on the PCI device
 * @bdf: PCI address of the device, see P2PBUF_BDF()
 * @vendor_device: PCI vendor ID << 16 | device ID
 * @bar_offset: offset of the region within the BAR
 * @size: size of the region in bytes
 * @free: bytes not allocated; for P2PBUF_KIND_P2PMEM an upper bound, since
 *	the owning driver may allocate from the same p2pmem pool
 * @bus_addr: PCI bus address of the first byte of the region
 * @name: PCI device name, e.g. "0000:05:00.0"
 * @reason: why the provider is not available; empty when it is
 * @reserved: zero
 *
 * @name and @reason are NUL-terminated and padded with zeroes to their
 * size: every byte of an entry is written.
 */
struct p2pbuf_provider_info {
	__u32 id;
	__u32 kind;
	__u32 flags;
	__u32 bar;
	__u32 bdf;
	__u32 vendor_device;
	__u64 bar_offset;
	__u64 size;
	__u64 free;
	__u64 bus_addr;
	char name[P2PBUF_NAME_LEN];
	char reason[P2PBUF_REASON_LEN];
	__u64 reserved[4];
};

/**
 * struct p2pbuf_list - argument of P2PBUF_IOC_LIST
 * @count: in: number of entries @entries has room for (0 to only count);
 *	out: number of providers, possibly more than were copied
 * @entry_size: in: sizeof(struct p2pbuf_provider_info) as the caller knows it;
 *	at least up to @reserved when @count is not 0, at most the page size
 *	(EINVAL otherwise); bytes past what the kernel knows are zeroed
 * @entries: in: user pointer to an array of @count entries of @entry_size bytes
 * @flags: zero
 * @__pad: zero
 * @reserved: zero
 */
struct p2pbuf_list {
	__u32 count;
	__u32 entry_size;
	__u64 entries;
	__u32 flags;
	__u32 __pad;
	__u64 reserved[2];
};

/**
 * define P2PBUF_ALLOC_CLOEXEC - the returned fd has FD_CLOEXEC
 *
 * A flag of struct p2pbuf_alloc.flags, as O_CLOEXEC is for open(2).
 */
#define P2PBUF_ALLOC_CLOEXEC		(1U << 0)

/**
 * define P2PBUF_ALLOC_RDWR - the buffer is writable, by the CPU and devices
 *
 * A flag of struct p2pbuf_alloc.flags. Without it the dma-buf is opened
 * read-only: a writable shared mmap() of it fails with EACCES, and so does
 * mprotect(PROT_WRITE) of a read-only mapping. Dynamic importers may
 * attach, and map it DMA_TO_DEVICE (they read it); importers that are not
 * dynamic cannot attach at all, since the dma-buf core maps them
 * DMA_BIDIRECTIONAL inside attach. A map with DMA_FROM_DEVICE or
 * DMA_BIDIRECTIONAL fails with EACCES in the importing driver, and the
 * buffer records "read-only buffer, mapping needs write" (see
 * struct p2pbuf_buf_info.last_refusal). An RDMA memory region always maps
 * DMA_BIDIRECTIONAL, so a read-only fd cannot be registered as an MR. The
 * direction is the importing driver's word: p2pbuf cannot stop a device
 * that writes to a range it mapped to read.
 */
#define P2PBUF_ALLOC_RDWR		(1U << 1)

/**
 * define P2PBUF_ALLOC_FIXED_OFFSET - place the buffer at a given offset
 *
 * A flag of struct p2pbuf_alloc.flags: the buffer goes at
 * struct p2pbuf_alloc.offset within the provider's region, EBUSY when that
 * range is taken. Needs CAP_SYS_ADMIN (EPERM otherwise, before anything is
 * allocated): placing a buffer exactly is a debugging and benchmarking
 * tool, not a way to aim at the range another user just freed.
 * P2PBUF_KIND_BAR providers only: the P2PDMA core places p2pmem itself, so
 * a P2PBUF_KIND_P2PMEM provider refuses the flag with EOPNOTSUPP.
 */
#define P2PBUF_ALLOC_FIXED_OFFSET	(1U << 2)

/**
 * define P2PBUF_ALLOC_VALID_FLAGS - every flag P2PBUF_IOC_ALLOC knows
 *
 * Any other bit in struct p2pbuf_alloc.flags gets EINVAL.
 */
#define P2PBUF_ALLOC_VALID_FLAGS \
	(P2PBUF_ALLOC_CLOEXEC | P2PBUF_ALLOC_RDWR | P2PBUF_ALLOC_FIXED_OFFSET)

/**
 * struct p2pbuf_alloc - argument of P2PBUF_IOC_ALLOC
 * @size: in: bytes, a non-zero multiple of the page size
 * @provider_id: in: provider to allocate from (unknown: EINVAL; listed but
 *	not available: EOPNOTSUPP; unregistered meanwhile: ENODEV; the
 *	caller's user already holds its quota of it, or of buffers: EDQUOT)
 * @flags: in: P2PBUF_ALLOC_* flags
 * @offset: in with P2PBUF_ALLOC_FIXED_OFFSET: wanted offset within the
 *	region, page aligned (EPERM without CAP_SYS_ADMIN, EBUSY when taken,
 *	EOPNOTSUPP on a p2pmem provider); zero without the flag, and the
 *	buffer goes where it fits best, page aligned, with its bus address
 *	2 MiB aligned when @size is 2 MiB or more and such room is left; out:
 *	the buffer's offset within the region
 * @fd: out: the dma-buf file descriptor
 * @__pad: zero
 * @bus_addr: out: PCI bus address of the buffer's first byte
 * @reserved: zero
 *
 * The new buffer reads zero: the kernel clears the range before it hands it
 * out, whatever its previous user left there (ENOMEM also when no mapping
 * to clear it through could be made).
 *
 * Allocating needs /dev/p2pbuf open for writing: on a read-only open
 * P2PBUF_IOC_ALLOC fails with EBADF before it looks at the argument.
 */
struct p2pbuf_alloc {
	__u64 size;
	__u32 provider_id;
	__u32 flags;
	__u64 offset;
	__s32 fd;
	__u32 __pad;
	__u64 bus_addr;
	__u64 reserved[4];
};

/**
 * define P2PBUF_BUF_REVOKED - the provider went away; the buffer no longer maps
 *
 * A flag of struct p2pbuf_buf_info.flags. New attachments, maps and mmaps
 * of a revoked buffer fail with ENODEV and CPU access to an existing mmap
 * gets SIGBUS; the fd stays valid until closed. The provider's removal
 * does not complete while an importer still maps or pins the buffer: the
 * range is not lent out again before.
 */
#define P2PBUF_BUF_REVOKED		(1U << 0)

/**
 * struct p2pbuf_buf_info - argument of P2PBUF_IOC_BUF_INFO
 * @fd: in: a dma-buf fd exported by p2pbuf (EINVAL for any other fd)
 * @provider_id: out: provider the buffer lives on
 * @size: out: buffer size in bytes
 * @offset: out: offset of the buffer within the provider's region
 * @bar_offset: out: offset of the buffer within the PCI BAR
 * @bus_addr: out: PCI bus address of the buffer's first byte
 * @kind: out: enum p2pbuf_kind of the provider
 * @flags: out: P2PBUF_BUF_* flags
 * @attachments: out: importers attached now
 * @__pad: zero
 * @provider_name: out: PCI name of the provider device
 * @last_refusal: out: why the most recent refused attach, map or pin was
 *	refused, or "" (none, or no memory was left to keep the first). With
 *	the module parameter pinned_importers=refuse, dma_buf_pin() fails with
 *	EOPNOTSUPP and this reads "pinned importers refused
 *	(pinned_importers=refuse)"; importers that are not dynamic pin
 *	at attach, and on kernels without CONFIG_DMABUF_MOVE_NOTIFY (Debian's)
 *	every map pins, so there every map is refused. With
 *	pinned_importers=wait (the default) pins are allowed, and removing the
 *	provider waits until they are dropped.
 * @bytes_direct: in: zero; out: bytes P2PBUF_IOC_BUF_IO moved, over the
 *	buffer's life, between a device and the buffer by DMA, device to
 *	device, without a copy in system memory (see P2PBUF_IOC_BUF_IO for
 *	what is counted and what is not)
 * @bytes_bounced: in: zero; out: bytes P2PBUF_IOC_BUF_IO moved through a
 *	bounce buffer in system memory over the buffer's life
 * @attach_bus_addr: in: zero; out: attachments whose last map (or, before
 *	any map, whose attach) used P2PBUF_MAP_BUS_ADDR: the importer reaches
 *	the buffer by PCI bus address, through a common switch
 * @attach_host_bridge: in: zero; out: attachments whose last map (or
 *	attach) used P2PBUF_MAP_THRU_HOST_BRIDGE: through the host bridge,
 *	with addresses from the DMA API (IOMMU-translated where there is
 *	one). /sys/kernel/debug/p2pbuf/buffers lists each attachment with its
 *	importer and map type; the fdinfo of a dma-buf is the dma-buf core's
 *	on 6.12, which has no exporter hook, so it shows neither.
 * @reserved: zero
 */
struct p2pbuf_buf_info {
	__s32 fd;
	__u32 provider_id;
	__u64 size;
	__u64 offset;
	__u64 bar_offset;
	__u64 bus_addr;
	__u32 kind;
	__u32 flags;
	__u32 attachments;
	__u32 __pad;
	char provider_name[P2PBUF_NAME_LEN];
	char last_refusal[P2PBUF_REASON_LEN];
	__u64 bytes_direct;
	__u64 bytes_bounced;
	__u32 attach_bus_addr;
	__u32 attach_host_bridge;
	__u32 reserved[2];
};

/**
 * enum p2pbuf_map_type - how an importer reaches a provider
 * @P2PBUF_MAP_NOT_SUPPORTED: refused, see the reason
 * @P2PBUF_MAP_BUS_ADDR: PCI bus addresses, through a common switch
 * @P2PBUF_MAP_THRU_HOST_BRIDGE: through the host bridge, DMA-API mapped
 */
enum p2pbuf_map_type {
	P2PBUF_MAP_NOT_SUPPORTED = 0,
	P2PBUF_MAP_BUS_ADDR = 1,
	P2PBUF_MAP_THRU_HOST_BRIDGE = 2,
};

/**
 * enum p2pbuf_reason - why a path is what it is
 * @P2PBUF_REASON_OK: the path is usable
 * @P2PBUF_REASON_NOT_PCI: the importer is not a PCI device
 * @P2PBUF_REASON_NO_PEER2PEER: the importer did not set allow_peer2peer
 * @P2PBUF_REASON_NO_COMMON_ROOT: the devices are in different PCI domains
 * @P2PBUF_REASON_ACS_REDIRECT: a bridge on the path redirects P2P upstream
 * @P2PBUF_REASON_HOST_BRIDGE_NOT_ALLOWED: the path crosses a host bridge
 *	that no allow rule (nor the P2PDMA core's whitelist, when trusted)
 *	allows
 * @P2PBUF_REASON_DENIED: a deny rule matches a bridge on the path
 * @P2PBUF_REASON_REVOKED: the provider is gone
 * @P2PBUF_REASON_DIRECTION: an allow rule exists, but not for this direction
 * @P2PBUF_REASON_DMA_MASK: the buffer's PCI bus addresses lie beyond what
 *	the importer can address (its DMA mask or bus DMA limit); only paths
 *	that use bus addresses untranslated can be refused for this
 * @P2PBUF_REASON_ACS_UNKNOWN: only the library's sysfs model reports it:
 *	the ACS state of a bridge on the path could not be read (sysfs gives
 *	unprivileged readers 64 bytes of config space); run as root or ask
 *	the kernel. The kernel never returns it.
 */
enum p2pbuf_reason {
	P2PBUF_REASON_OK = 0,
	P2PBUF_REASON_NOT_PCI = 1,
	P2PBUF_REASON_NO_PEER2PEER = 2,
	P2PBUF_REASON_NO_COMMON_ROOT = 3,
	P2PBUF_REASON_ACS_REDIRECT = 4,
	P2PBUF_REASON_HOST_BRIDGE_NOT_ALLOWED = 5,
	P2PBUF_REASON_DENIED = 6,
	P2PBUF_REASON_REVOKED = 7,
	P2PBUF_REASON_DIRECTION = 8,
	P2PBUF_REASON_DMA_MASK = 9,
	P2PBUF_REASON_ACS_UNKNOWN = 10,
};

/**
 * define P2PBUF_PATH_BY_BDF - name the first device by PCI address
 *
 * A flag of struct p2pbuf_path.flags: the path is asked between the PCI
 * device at struct p2pbuf_path.provider_bdf, whose memory the client would
 * reach, and the client, whether or not either device is a provider of
 * p2pbuf. struct p2pbuf_path.provider_id must then be zero. Without the
 * flag the first device is the provider struct p2pbuf_path.provider_id
 * names, and struct p2pbuf_path.provider_bdf must be zero.
 */
#define P2PBUF_PATH_BY_BDF		(1U << 0)

/**
 * define P2PBUF_PATH_READ - ask whether the client may read the memory
 *
 * A flag of struct p2pbuf_path.flags, and a bit of struct p2pbuf_path.dirs:
 * the client reads the first device's memory (its driver maps
 * DMA_TO_DEVICE). Allow rules of the policy may cover one direction only
 * (allow_bridges entries "vvvv:dddd:r" or ":w"). With neither this flag nor
 * P2PBUF_PATH_WRITE the path is asked for any direction, as a dma-buf
 * attach is.
 */
#define P2PBUF_PATH_READ		(1U << 1)

/**
 * define P2PBUF_PATH_WRITE - ask whether the client may write the memory
 *
 * A flag of struct p2pbuf_path.flags, and a bit of struct p2pbuf_path.dirs:
 * the client writes the first device's memory (DMA_FROM_DEVICE). With
 * P2PBUF_PATH_READ too, both are asked (DMA_BIDIRECTIONAL, an RDMA MR).
 */
#define P2PBUF_PATH_WRITE		(1U << 2)

/**
 * define P2PBUF_PATH_VALID_FLAGS - every flag P2PBUF_IOC_PATH knows
 *
 * Any other bit in struct p2pbuf_path.flags gets EINVAL.
 */
#define P2PBUF_PATH_VALID_FLAGS \
	(P2PBUF_PATH_BY_BDF | P2PBUF_PATH_READ | P2PBUF_PATH_WRITE)

/**
 * struct p2pbuf_path - argument of P2PBUF_IOC_PATH
 * @provider_id: in: the provider (unknown: EINVAL); zero with
 *	P2PBUF_PATH_BY_BDF
 * @client: in: PCI address of the importing device, see P2PBUF_BDF();
 *	ENODEV when there is no PCI device at that address
 * @flags: in: P2PBUF_PATH_* flags
 * @map_type: out: enum p2pbuf_map_type
 * @reason: out: enum p2pbuf_reason
 * @distance: out: PCI distance as pci_p2pdma_distance() counts it, -1 if refused
 * @via: out: PCI address of the bridge that decided (host bridge, ACS port,
 *	denied switch), 0xffffffff when none did
 * @via_id: out: PCI vendor << 16 | device of @via, 0 when none
 * @reason_str: out: the reason in words, with the fix when there is one; a
 *	path an allow rule grants in one direction only says which
 * @provider_bdf: in with P2PBUF_PATH_BY_BDF: PCI address of the device whose
 *	memory the client reaches, see P2PBUF_BDF() (ENODEV when there is no
 *	PCI device there; EINVAL when the struct ends before this field); zero
 *	without the flag
 * @dirs: out: the directions the path allows the client, P2PBUF_PATH_READ
 *	and P2PBUF_PATH_WRITE bits; 0 when refused. A path below a common
 *	switch allows both; one through a host bridge what its allow rules
 *	grant.
 * @reserved: zero
 *
 * @provider_bdf and @dirs took the place of the first reserved word, so the
 * size, and the ioctl number, did not change; a caller whose struct ends
 * before them (at @reserved, the smallest size the kernel takes) still
 * works. Reading a path changes nothing and needs no write access.
 */
struct p2pbuf_path {
	__u32 provider_id;
	__u32 client;
	__u32 flags;
	__u32 map_type;
	__u32 reason;
	__s32 distance;
	__u32 via;
	__u32 via_id;
	char reason_str[P2PBUF_REASON_LEN];
	__u32 provider_bdf;
	__u32 dirs;
	__u64 reserved[3];
};

/**
 * define P2PBUF_IO_TO_FILE - P2PBUF_IOC_BUF_IO writes the buffer to the file
 *
 * A flag of struct p2pbuf_buf_io.flags; without it the file is read into
 * the buffer.
 */
#define P2PBUF_IO_TO_FILE		(1U << 0)

/**
 * define P2PBUF_IO_NO_BOUNCE - never go through system memory
 *
 * A flag of struct p2pbuf_buf_io.flags: where the direct path does not
 * apply or is refused, P2PBUF_IOC_BUF_IO stops there with an error
 * (struct p2pbuf_buf_io.why says which reason) instead of bouncing.
 */
#define P2PBUF_IO_NO_BOUNCE		(1U << 1)

/**
 * define P2PBUF_IO_VALID_FLAGS - every flag P2PBUF_IOC_BUF_IO knows
 *
 * Any other bit in struct p2pbuf_buf_io.flags gets EINVAL.
 */
#define P2PBUF_IO_VALID_FLAGS	(P2PBUF_IO_TO_FILE | P2PBUF_IO_NO_BOUNCE)

/**
 * enum p2pbuf_io_why - why P2PBUF_IOC_BUF_IO did not move bytes directly
 * @P2PBUF_IO_DIRECT: nothing stood in the way of the direct path
 * @P2PBUF_IO_WHY_PAGELESS: the buffer has no P2PDMA pages (its provider
 *	lacks P2PBUF_PROVIDER_PAGES: a page-less BAR, or no CONFIG_PCI_P2PDMA)
 * @P2PBUF_IO_WHY_NOT_BLOCKDEV: the file is not a block device; the kernel
 *	goes direct only to a block device, whose queue it can ask
 * @P2PBUF_IO_WHY_QUEUE: the block device's queue does not take P2PDMA pages
 * @P2PBUF_IO_WHY_UNALIGNED: offsets or length are not multiples of the
 *	block device's logical block size (or DMA alignment)
 * @P2PBUF_IO_WHY_REFUSED: the device driver refused the pages when it
 *	mapped them (EREMOTEIO: no P2P path from the device to the provider)
 */
enum p2pbuf_io_why {
	P2PBUF_IO_DIRECT = 0,
	P2PBUF_IO_WHY_PAGELESS = 1,
	P2PBUF_IO_WHY_NOT_BLOCKDEV = 2,
	P2PBUF_IO_WHY_QUEUE = 3,
	P2PBUF_IO_WHY_UNALIGNED = 4,
	P2PBUF_IO_WHY_REFUSED = 5,
};

/**
 * struct p2pbuf_buf_io - argument of P2PBUF_IOC_BUF_IO
 * @buf_fd: in: a dma-buf fd exported by p2pbuf (EINVAL for any other fd);
 *	opened read-write when the file is read into it (EACCES otherwise)
 * @file_fd: in: the file or block device, open for reading (or for
 *	writing, with P2PBUF_IO_TO_FILE; EBADF otherwise); its own O_DIRECT
 *	flag does not matter
 * @flags: in: P2PBUF_IO_* flags
 * @why: in: zero; out: enum p2pbuf_io_why: why bytes bounced (or, with
 *	P2PBUF_IO_NO_BOUNCE, would have); P2PBUF_IO_DIRECT when none did
 * @buf_offset: in: offset in the buffer
 * @file_offset: in: offset in the file
 * @length: in: bytes, not 0; @buf_offset + @length within the buffer
 * @bytes_direct: in: zero; out: bytes this call moved device to device
 * @bytes_bounced: in: zero; out: bytes this call moved through system memory
 * @refusal: in: zero; out: the error of the refused direct attempt when
 *	@why is P2PBUF_IO_WHY_REFUSED (positive, e.g. EREMOTEIO), else 0
 * @__pad: zero
 * @reserved: zero
 *
 * The kernel does the I/O, so it knows how the bytes went. Direct: the
 * buffer's P2PDMA pages go to the block device as an O_DIRECT request (a
 * bio_vec iterator over the pages, no user memory), and the device DMAs to
 * or from the provider's BAR; counted in @bytes_direct once the request
 * completed. Otherwise each piece goes through a bounce buffer in system
 * memory: O_DIRECT into (or out of) it where the file takes that at these
 * offsets, buffered I/O where not, and a CPU copy to or from the buffer;
 * counted in @bytes_bounced. The buffer's totals are in
 * P2PBUF_IOC_BUF_INFO. Not counted: I/O that userspace does itself into an
 * mmap() of the buffer (the kernel cannot tell whose pages a request
 * holds), and DMA by importers of the dma-buf.
 *
 * A provider's removal waits for a call in progress; a revoked buffer gets
 * ENODEV. Returns 0 when @length bytes moved, or fewer at the end of the
 * file (@bytes_direct + @bytes_bounced). Errors: EINVAL a @buf_fd that is
 * not a p2pbuf buffer, bad flags, offsets or length, non-zero reserved
 * fields; EOVERFLOW @file_offset + @length beyond a file offset; EACCES a
 * read-only buffer as the target; EBADF either fd not open, or the file not
 * open for the direction; ENODEV revoked; with
 * P2PBUF_IO_NO_BOUNCE, EREMOTEIO for P2PBUF_IO_WHY_REFUSED and EOPNOTSUPP
 * for the other reasons; an I/O error as the file returned it, the
 * buffer's totals counting what moved before it.
 */
struct p2pbuf_buf_io {
	__s32 buf_fd;
	__s32 file_fd;
	__u32 flags;
	__u32 why;
	__u64 buf_offset;
	__u64 file_offset;
	__u64 length;
	__u64 bytes_direct;
	__u64 bytes_bounced;
	__u32 refusal;
	__u32 __pad;
	__u64 reserved[4];
};

#define P2PBUF_IOC_LIST		_IOWR(P2PBUF_IOCTL_BASE, 0x00, struct p2pbuf_list)
#define P2PBUF_IOC_ALLOC	_IOWR(P2PBUF_IOCTL_BASE, 0x01, struct p2pbuf_alloc)
#define P2PBUF_IOC_BUF_INFO	_IOWR(P2PBUF_IOCTL_BASE, 0x02, struct p2pbuf_buf_info)
#define P2PBUF_IOC_PATH		_IOWR(P2PBUF_IOCTL_BASE, 0x03, struct p2pbuf_path)
#define P2PBUF_IOC_BUF_IO	_IOWR(P2PBUF_IOCTL_BASE, 0x04, struct p2pbuf_buf_io)

#endif /* _UAPI_LINUX_P2PBUF_H */
