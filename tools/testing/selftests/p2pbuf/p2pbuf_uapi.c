// SPDX-License-Identifier: GPL-2.0
/*
 * kselftest for the /dev/p2pbuf ioctl ABI (include/uapi/linux/p2pbuf.h):
 * for every ioctl the negative cases (bad pointer, unknown ioctl, bad flags,
 * non-zero reserved fields, overflowing offset+size, wrong fd type) and the
 * struct-size rules (a shorter struct is zero-extended, a longer one must
 * have zero tail bytes or gets E2BIG).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/p2pbuf.h>
#include <linux/udmabuf.h>

#include "kselftest_harness.h"

#define PAGE		4096ULL
#define IVSHMEM		"0000:05:00.0"
#define BDF_NVME0	P2PBUF_BDF(0, 3, 0)
#define BDF_EDU		P2PBUF_BDF(0, 6, 0)
#define BDF_NVME2	P2PBUF_BDF(0, 7, 0)
#define BDF_EDU2	P2PBUF_BDF(0, 8, 0)
#define MAX_PROV	64

/* The same ioctl number with another argument size. */
#define IOC_SIZED(cmd, size) \
	_IOC(_IOC_DIR(cmd), _IOC_TYPE(cmd), _IOC_NR(cmd), (size))

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

FIXTURE(p2pbuf) {
	int fd;
	uint32_t provider;	/* an available provider, ivshmem if listed */
	uint64_t free;
	int buf;		/* a 2-page buffer on it */
};

FIXTURE_SETUP(p2pbuf)
{
	struct p2pbuf_provider_info p[MAX_PROV];
	struct p2pbuf_list l = {
		.count = MAX_PROV,
		.entry_size = sizeof(p[0]),
		.entries = (uintptr_t)p,
	};
	struct p2pbuf_alloc a = { .size = 2 * PAGE,
				  .flags = P2PBUF_ALLOC_RDWR | P2PBUF_ALLOC_CLOEXEC };
	bool found = false;

	self->fd = open("/dev/p2pbuf", O_RDWR | O_CLOEXEC);
	self->buf = -1;
	if (self->fd < 0)
		SKIP(return, "/dev/p2pbuf: %s (p2pbuf.ko not loaded?)",
		     strerror(errno));
	ASSERT_EQ(0, xioctl(self->fd, P2PBUF_IOC_LIST, &l));
	for (unsigned int i = 0; i < l.count && i < MAX_PROV; i++) {
		if (!(p[i].flags & P2PBUF_PROVIDER_AVAILABLE) ||
		    p[i].free < 4 * PAGE)
			continue;
		if (!found || !strcmp(p[i].name, IVSHMEM)) {
			self->provider = p[i].id;
			self->free = p[i].free;
			found = true;
		}
	}
	if (!found)
		SKIP(return, "no available provider with free space");
	a.provider_id = self->provider;
	ASSERT_EQ(0, xioctl(self->fd, P2PBUF_IOC_ALLOC, &a));
	self->buf = a.fd;
	self->free -= 2 * PAGE;
}

FIXTURE_TEARDOWN(p2pbuf)
{
	if (self->buf >= 0)
		close(self->buf);
	if (self->fd >= 0)
		close(self->fd);
}

static uint64_t provider_free(int fd, uint32_t id)
{
	struct p2pbuf_provider_info p[MAX_PROV];
	struct p2pbuf_list l = {
		.count = MAX_PROV,
		.entry_size = sizeof(p[0]),
		.entries = (uintptr_t)p,
	};

	if (xioctl(fd, P2PBUF_IOC_LIST, &l))
		return ~0ULL;
	for (unsigned int i = 0; i < l.count && i < MAX_PROV; i++)
		if (p[i].id == id)
			return p[i].free;
	return ~0ULL;
}

/* ---- every ioctl: bad pointer, unknown numbers -------------------------- */

TEST_F(p2pbuf, bad_pointer_efault)
{
	const unsigned long cmds[] = { P2PBUF_IOC_LIST, P2PBUF_IOC_ALLOC,
				       P2PBUF_IOC_BUF_INFO, P2PBUF_IOC_PATH };

	for (unsigned int i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		EXPECT_EQ(-EFAULT, xioctl(self->fd, cmds[i], NULL));
		EXPECT_EQ(-EFAULT, xioctl(self->fd, cmds[i], (void *)8));
	}
	EXPECT_EQ(self->free, provider_free(self->fd, self->provider));
}

/*
 * Arguments wherever a caller puts them: across into a page it cannot
 * read (EFAULT, nothing allocated), at an odd address (answered as if
 * aligned), and an answer that cannot be written back (EFAULT, no buffer
 * left behind).
 */
TEST_F(p2pbuf, args_straddling_odd_and_readonly)
{
	struct p2pbuf_alloc a = {
		.size = PAGE, .flags = P2PBUF_ALLOC_CLOEXEC,
	};
	struct p2pbuf_path p = { .client = BDF_NVME0 }, q;
	long pgsz = sysconf(_SC_PAGESIZE);
	char *pg, *at;

	a.provider_id = self->provider;
	p.provider_id = self->provider;
	pg = mmap(NULL, 2 * pgsz, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, pg);
	ASSERT_EQ(0, mprotect(pg + pgsz, pgsz, PROT_NONE));

	/* all but the last 8 bytes readable */
	at = pg + pgsz - sizeof(a) + 8;
	memcpy(at, &a, sizeof(a) - 8);
	EXPECT_EQ(-EFAULT, xioctl(self->fd, P2PBUF_IOC_ALLOC, at));
	at = pg + pgsz - sizeof(p) + 8;
	memcpy(at, &p, sizeof(p) - 8);
	EXPECT_EQ(-EFAULT, xioctl(self->fd, P2PBUF_IOC_PATH, at));
	EXPECT_EQ(self->free, provider_free(self->fd, self->provider));

	/* 4 bytes off 8-byte alignment: the same answer */
	q = p;
	ASSERT_EQ(0, xioctl(self->fd, P2PBUF_IOC_PATH, &q));
	at = pg + 4;
	memcpy(at, &p, sizeof(p));
	ASSERT_EQ(0, xioctl(self->fd, P2PBUF_IOC_PATH, at));
	EXPECT_EQ(0, memcmp(at, &q, sizeof(q)));
	at = pg + 12;
	memcpy(at, &a, sizeof(a));
	ASSERT_EQ(0, xioctl(self->fd, P2PBUF_IOC_ALLOC, at));
	memcpy(&a, at, sizeof(a));
	EXPECT_LE(0, a.fd);
	EXPECT_EQ(self->free - PAGE, provider_free(self->fd, self->provider));
	close(a.fd);

	/* read, decided, and the answer cannot be written: nothing stays */
	memset(&a, 0, sizeof(a));
	a.size = PAGE;
	a.provider_id = self->provider;
	a.flags = P2PBUF_ALLOC_CLOEXEC;
	memcpy(pg, &a, sizeof(a));
	ASSERT_EQ(0, mprotect(pg, pgsz, PROT_READ));
	EXPECT_EQ(-EFAULT, xioctl(self->fd, P2PBUF_IOC_ALLOC, pg));
	EXPECT_EQ(self->free, provider_free(self->fd, self->provider));
	munmap(pg, 2 * pgsz);
}

TEST_F(p2pbuf, unknown_ioctl_enotty)
{
	char arg[512] = { 0 };

	EXPECT_EQ(-ENOTTY, xioctl(self->fd, _IOWR(P2PBUF_IOCTL_BASE, 0x05,
						  struct p2pbuf_path), arg));
	EXPECT_EQ(-ENOTTY, xioctl(self->fd, _IOWR(P2PBUF_IOCTL_BASE, 0x7f,
						  __u64), arg));
	/* another driver's magic with our numbers */
	EXPECT_EQ(-ENOTTY, xioctl(self->fd, _IOWR('d', 0x00,
						  struct p2pbuf_list), arg));
}

/* ---- LIST ------------------------------------------------------------- */

TEST_F(p2pbuf, list_bad_fields_einval)
{
	struct p2pbuf_provider_info p[2];
	struct p2pbuf_list l;

#define LIST_EINVAL(setup) do { \
	memset(&l, 0, sizeof(l)); \
	l.count = 2; l.entry_size = sizeof(p[0]); l.entries = (uintptr_t)p; \
	setup; \
	EXPECT_EQ(-EINVAL, xioctl(self->fd, P2PBUF_IOC_LIST, &l)) \
		TH_LOG("case: %s", #setup); \
} while (0)
	LIST_EINVAL(l.flags = 1);
	LIST_EINVAL(l.flags = 1U << 31);
	LIST_EINVAL(l.__pad = 1);
	LIST_EINVAL(l.reserved[0] = 1);
	LIST_EINVAL(l.reserved[1] = 1ULL << 63);
	LIST_EINVAL(l.entry_size = 8);
	/* entry_size may grow, but not past a page */
	LIST_EINVAL(l.entry_size = getpagesize() + 8);
	LIST_EINVAL(l.entry_size = 1U << 31);
	LIST_EINVAL(l.count = 0; l.entry_size = 1U << 31);
#undef LIST_EINVAL
}

TEST_F(p2pbuf, list_bad_entries_efault)
{
	struct p2pbuf_list l = {
		.count = 4,
		.entry_size = sizeof(struct p2pbuf_provider_info),
		.entries = 8,
	};

	EXPECT_EQ(-EFAULT, xioctl(self->fd, P2PBUF_IOC_LIST, &l));
}

TEST_F(p2pbuf, list_count_only)
{
	struct p2pbuf_list l = { .entry_size = sizeof(struct p2pbuf_provider_info) };

	/* count 0: only count, the entries pointer is not touched */
	l.entries = 8;
	ASSERT_EQ(0, xioctl(self->fd, P2PBUF_IOC_LIST, &l));
	EXPECT_LE(1, l.count);
}

/*
 * The three ways to read the list agree: the caller's layout (one copy), a
 * longer entry (copied one by one, the tail zeroed) and the shortest one
 * accepted; entries come in id order, and an array one short of the count
 * gets exactly what fits.
 */
TEST_F(p2pbuf, list_layouts_agree)
{
	enum { EXTRA = 64 };
	static struct p2pbuf_provider_info p[MAX_PROV + 1];
	static unsigned char wide[MAX_PROV][sizeof(p[0]) + EXTRA];
	const size_t shortest = offsetof(struct p2pbuf_provider_info, reserved);
	struct p2pbuf_list l = { 0 };
	unsigned int n, i, b;

	ASSERT_EQ(0, xioctl(self->fd, P2PBUF_IOC_LIST, &l));
	n = l.count;
	ASSERT_LE(1, n);
	ASSERT_GE(MAX_PROV, n);

	memset(p, 0xab, sizeof(p));
	l = (struct p2pbuf_list){ .count = n, .entry_size = sizeof(p[0]),
				  .entries = (uintptr_t)p };
	ASSERT_EQ(0, xioctl(self->fd, P2PBUF_IOC_LIST, &l));
	ASSERT_EQ(n, l.count);
	for (i = 0; i < n; i++) {
		size_t len = strnlen(p[i].name, sizeof(p[i].name));

		EXPECT_NE(0, p[i].name[0]);
		if (i)
			EXPECT_LT(p[i - 1].id, p[i].id);
		/* every byte the kernel does not fill is zero, never stale */
		for (b = len; b < sizeof(p[i].name); b++)
			ASSERT_EQ(0, p[i].name[b]) TH_LOG("entry %u name[%u]", i, b);
		len = strnlen(p[i].reason, sizeof(p[i].reason));
		for (b = len; b < sizeof(p[i].reason); b++)
			ASSERT_EQ(0, p[i].reason[b]) TH_LOG("entry %u reason[%u]", i, b);
		for (b = 0; b < sizeof(p[i].reserved) / sizeof(p[i].reserved[0]); b++)
			ASSERT_EQ(0, p[i].reserved[b]) TH_LOG("entry %u reserved[%u]", i, b);
	}
	/* nothing past the count the caller gave */
	EXPECT_EQ(0xab, ((unsigned char *)&p[n])[0]);

	memset(wide, 0xff, sizeof(wide));
	l = (struct p2pbuf_list){ .count = n, .entry_size = sizeof(wide[0]),
				  .entries = (uintptr_t)wide };
	ASSERT_EQ(0, xioctl(self->fd, P2PBUF_IOC_LIST, &l));
	ASSERT_EQ(n, l.count);
	for (i = 0; i < n; i++) {
		struct p2pbuf_provider_info *w = (void *)wide[i];

		EXPECT_EQ(p[i].id, w->id);
		EXPECT_EQ(0, strcmp(p[i].name, w->name));
		EXPECT_EQ(p[i].size, w->size);
		for (b = sizeof(p[0]); b < sizeof(wide[0]); b++)
			ASSERT_EQ(0, wide[i][b]) TH_LOG("entry %u byte %u", i, b);
	}

	memset(wide, 0xff, sizeof(wide));
	l = (struct p2pbuf_list){ .count = n, .entry_size = shortest,
				  .entries = (uintptr_t)wide };
	ASSERT_EQ(0, xioctl(self->fd, P2PBUF_IOC_LIST, &l));
	ASSERT_EQ(n, l.count);
	for (i = 0; i < n; i++) {
		struct p2pbuf_provider_info w;

		memcpy(&w, (unsigned char *)wide + i * shortest, shortest);
		EXPECT_EQ(p[i].id, w.id);
		EXPECT_EQ(0, strcmp(p[i].name, w.name));
	}
	/* the byte after the last short entry is the caller's */
	EXPECT_EQ(0xff, ((unsigned char *)wide)[n * shortest]);

	if (n < 2) {
		TH_LOG("one provider: the short-array check needs two");
		return;
	}
	memset(p, 0xab, sizeof(p));
	l = (struct p2pbuf_list){ .count = n - 1, .entry_size = sizeof(p[0]),
				  .entries = (uintptr_t)p };
	ASSERT_EQ(0, xioctl(self->fd, P2PBUF_IOC_LIST, &l));
	EXPECT_EQ(n, l.count);
	EXPECT_NE(0xabababab, p[n - 2].id);
	EXPECT_EQ(0xabababab, p[n - 1].id);
}

/* the fields of a listing that no allocation in between changes, padding too */
static void expect_same_entries(struct __test_metadata *_metadata,
				const struct p2pbuf_provider_info *want,
				const struct p2pbuf_provider_info *got,
				unsigned int n, const char *where)
{
	for (unsigned int i = 0; i < n; i++) {
		const struct p2pbuf_provider_info *w = &want[i], *g = &got[i];
		bool same = w->id == g->id && w->kind == g->kind &&
			    w->flags == g->flags && w->bar == g->bar &&
			    w->bdf == g->bdf &&
			    w->vendor_device == g->vendor_device &&
			    w->bar_offset == g->bar_offset &&
			    w->size == g->size && w->bus_addr == g->bus_addr &&
			    !memcmp(w->name, g->name, sizeof(g->name)) &&
			    !memcmp(w->reason, g->reason, sizeof(g->reason)) &&
			    !memcmp(w->reserved, g->reserved, sizeof(g->reserved));

		EXPECT_TRUE(same) {
			TH_LOG("%s: entry %u: id %u %s, want id %u %s", where,
			       i, g->id, g->name, w->id, w->name);
		}
	}
}

/*
 * LIST writes the usual array with page faults off while it walks the
 * providers, and takes a snapshot to copy when a page is not there; any
 * other entry size always goes through the snapshot. Both ways give the
 * same entries: into memory already there, pages never touched, an array
 * across a touched and an untouched page, and one in a p2pbuf buffer's own
 * mmap(); a count past INT_MAX is only room; a read-only array gets EFAULT.
 */
TEST_F(p2pbuf, list_into_absent_readonly_and_bar_pages)
{
	static struct p2pbuf_provider_info ref[MAX_PROV], got[MAX_PROV];
	static unsigned char wide[MAX_PROV][sizeof(ref[0]) + 8];
	const size_t esz = sizeof(ref[0]);
	struct p2pbuf_list l = { 0 };
	long pgsz = sysconf(_SC_PAGESIZE);
	unsigned int n, fit;
	char *pg, *bar;

	ASSERT_EQ(0, xioctl(self->fd, P2PBUF_IOC_LIST, &l));
	n = l.count;
	ASSERT_LE(1, n);
	ASSERT_GE(MAX_PROV, n);
	/* the reference: a longer entry, so the snapshot's way */
	l = (struct p2pbuf_list){ .count = n, .entry_size = sizeof(wide[0]),
				  .entries = (uintptr_t)wide };
	ASSERT_EQ(0, xioctl(self->fd, P2PBUF_IOC_LIST, &l));
	for (unsigned int i = 0; i < n; i++)
		memcpy(&ref[i], wide[i], esz);

	/* memory already there: the walk writes it */
	memset(got, 0xa5, sizeof(got));
	l = (struct p2pbuf_list){ .count = n, .entry_size = esz,
				  .entries = (uintptr_t)got };
	ASSERT_EQ(0, xioctl(self->fd, P2PBUF_IOC_LIST, &l));
	EXPECT_EQ(n, l.count);
	expect_same_entries(_metadata, ref, got, n, "present");
	/* room for 2^31 entries or more is room, not a negative count */
	memset(got, 0xa5, sizeof(got));
	l.count = 0x80000000u;
	ASSERT_EQ(0, xioctl(self->fd, P2PBUF_IOC_LIST, &l));
	EXPECT_EQ(n, l.count);
	expect_same_entries(_metadata, ref, got, n, "count 2^31");

	/* never touched: the first write faults */
	pg = mmap(NULL, 2 * pgsz + n * esz, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, pg);
	l = (struct p2pbuf_list){ .count = n, .entry_size = esz,
				  .entries = (uintptr_t)pg };
	ASSERT_EQ(0, xioctl(self->fd, P2PBUF_IOC_LIST, &l));
	EXPECT_EQ(n, l.count);
	expect_same_entries(_metadata, ref, (void *)pg, n, "untouched");

	/* the entries from one ending a touched page on, into fresh ones */
	ASSERT_EQ(0, madvise(pg, 2 * pgsz + n * esz, MADV_DONTNEED));
	pg[pgsz - 1] = 1;
	l.entries = (uintptr_t)(pg + pgsz - esz);
	if (n < 2)
		l.entries += esz / 2;	/* one entry: fault inside it */
	ASSERT_EQ(0, xioctl(self->fd, P2PBUF_IOC_LIST, &l));
	expect_same_entries(_metadata, ref, (void *)(uintptr_t)l.entries, n,
			    "straddling");

	/* read-only: EFAULT, and the count is not written either */
	ASSERT_EQ(0, mprotect(pg, 2 * pgsz + n * esz, PROT_READ));
	l = (struct p2pbuf_list){ .count = n, .entry_size = esz,
				  .entries = (uintptr_t)pg };
	EXPECT_EQ(-EFAULT, xioctl(self->fd, P2PBUF_IOC_LIST, &l));
	EXPECT_EQ(n, l.count);
	munmap(pg, 2 * pgsz + n * esz);

	/* into BAR memory through the fixture's buffer, faulted in by LIST */
	bar = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->buf, 0);
	ASSERT_NE(MAP_FAILED, bar);
	fit = n < 2 * PAGE / esz ? n : 2 * PAGE / esz;
	l = (struct p2pbuf_list){ .count = fit, .entry_size = esz,
				  .entries = (uintptr_t)bar };
	ASSERT_EQ(0, xioctl(self->fd, P2PBUF_IOC_LIST, &l));
	EXPECT_EQ(n, l.count);
	memcpy(got, bar, fit * esz);	/* BAR reads, whole */
	expect_same_entries(_metadata, ref, got, fit, "bar");
	/* and again, the pages now mapped */
	memset(bar, 0, 2 * PAGE);
	ASSERT_EQ(0, xioctl(self->fd, P2PBUF_IOC_LIST, &l));
	memcpy(got, bar, fit * esz);
	expect_same_entries(_metadata, ref, got, fit, "bar, mapped");
	munmap(bar, 2 * PAGE);
}

TEST_F(p2pbuf, list_short_and_long_struct)
{
	struct p2pbuf_provider_info p[MAX_PROV];
	struct {
		struct p2pbuf_list l;
		__u64 tail[2];
	} big;
	struct p2pbuf_list l;

	/* shorter: without the reserved words (an older caller) */
	memset(&l, 0xff, sizeof(l));
	l.count = MAX_PROV;
	l.entry_size = sizeof(p[0]);
	l.entries = (uintptr_t)p;
	l.flags = 0;
	l.__pad = 0;
	EXPECT_EQ(0, xioctl(self->fd, IOC_SIZED(P2PBUF_IOC_LIST,
				offsetof(struct p2pbuf_list, reserved)), &l));
	EXPECT_LE(1, l.count);

	/* longer with a zero tail: accepted */
	memset(&big, 0, sizeof(big));
	big.l.count = MAX_PROV;
	big.l.entry_size = sizeof(p[0]);
	big.l.entries = (uintptr_t)p;
	EXPECT_EQ(0, xioctl(self->fd, IOC_SIZED(P2PBUF_IOC_LIST, sizeof(big)),
			    &big));
	/* longer with a non-zero tail: E2BIG */
	big.tail[1] = 1;
	EXPECT_EQ(-E2BIG, xioctl(self->fd, IOC_SIZED(P2PBUF_IOC_LIST,
						     sizeof(big)), &big));
}

/* ---- ALLOC ------------------------------------------------------------ */

TEST_F(p2pbuf, alloc_bad_input_einval)
{
	int fds0 = 0;
	struct p2pbuf_alloc a;

#define ALLOC_EINVAL(setup) do { \
	memset(&a, 0, sizeof(a)); \
	a.size = 2 * PAGE; a.provider_id = self->provider; \
	a.flags = P2PBUF_ALLOC_CLOEXEC; a.fd = -1; \
	setup; \
	EXPECT_EQ(-EINVAL, xioctl(self->fd, P2PBUF_IOC_ALLOC, &a)) \
		TH_LOG("case: %s", #setup); \
	EXPECT_EQ(-1, a.fd); \
} while (0)
	fds0 = open("/dev/null", O_RDONLY);
	ASSERT_LE(0, fds0);
	close(fds0);
	ALLOC_EINVAL(a.size = 0);
	ALLOC_EINVAL(a.size = PAGE + 1);
	ALLOC_EINVAL(a.size = 1);
	ALLOC_EINVAL(a.flags |= ~P2PBUF_ALLOC_VALID_FLAGS);
	ALLOC_EINVAL(a.flags |= 1U << 31);
	ALLOC_EINVAL(a.provider_id = 0xfffffff0);
	ALLOC_EINVAL(a.__pad = 1);
	ALLOC_EINVAL(a.reserved[0] = 1);
	ALLOC_EINVAL(a.reserved[3] = 1);
	ALLOC_EINVAL((a.flags |= P2PBUF_ALLOC_FIXED_OFFSET, a.offset = 1));
	/* offset + size overflows u64 */
	ALLOC_EINVAL((a.flags |= P2PBUF_ALLOC_FIXED_OFFSET,
		      a.offset = ~0ULL & ~(PAGE - 1)));
	ALLOC_EINVAL((a.flags |= P2PBUF_ALLOC_FIXED_OFFSET, a.offset = PAGE,
		      a.size = ~0ULL & ~(PAGE - 1)));
#undef ALLOC_EINVAL
	/* nothing leaked: same free space, the next fd number is unchanged */
	EXPECT_EQ(self->free, provider_free(self->fd, self->provider));
	a.fd = open("/dev/null", O_RDONLY);
	EXPECT_EQ(fds0, a.fd);
	close(a.fd);
}

TEST_F(p2pbuf, alloc_short_and_long_struct)
{
	struct {
		struct p2pbuf_alloc a;
		__u64 tail[2];
	} big;
	struct p2pbuf_alloc a;

	/* shorter, without reserved[]: zero-extended, works */
	memset(&a, 0, sizeof(a));
	a.size = PAGE;
	a.provider_id = self->provider;
	a.flags = P2PBUF_ALLOC_CLOEXEC;
	ASSERT_EQ(0, xioctl(self->fd, IOC_SIZED(P2PBUF_IOC_ALLOC,
				offsetof(struct p2pbuf_alloc, reserved)), &a));
	EXPECT_LE(0, a.fd);
	close(a.fd);

	memset(&big, 0, sizeof(big));
	big.a.size = PAGE;
	big.a.provider_id = self->provider;
	big.a.flags = P2PBUF_ALLOC_CLOEXEC;
	big.tail[0] = 0xff;
	big.a.fd = -1;
	EXPECT_EQ(-E2BIG, xioctl(self->fd, IOC_SIZED(P2PBUF_IOC_ALLOC,
						     sizeof(big)), &big));
	EXPECT_EQ(-1, big.a.fd);
	big.tail[0] = 0;
	ASSERT_EQ(0, xioctl(self->fd, IOC_SIZED(P2PBUF_IOC_ALLOC, sizeof(big)),
			    &big));
	EXPECT_LE(0, big.a.fd);
	close(big.a.fd);
	EXPECT_EQ(self->free, provider_free(self->fd, self->provider));
}

/* ---- BUF_INFO --------------------------------------------------------- */

TEST_F(p2pbuf, buf_info_ok)
{
	struct p2pbuf_buf_info i = { .fd = self->buf };

	ASSERT_EQ(0, xioctl(self->fd, P2PBUF_IOC_BUF_INFO, &i));
	EXPECT_EQ(self->provider, i.provider_id);
	EXPECT_EQ(2 * PAGE, i.size);
	EXPECT_EQ(0, i.attachments);
}

TEST_F(p2pbuf, buf_info_wrong_fd_type)
{
	struct p2pbuf_buf_info i;
	int pipefd[2], memfd, other;

	ASSERT_EQ(0, pipe(pipefd));
	memfd = memfd_create("p2pbuf-selftest", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	ASSERT_LE(0, memfd);

	int not_ours[] = { pipefd[0], memfd, self->fd /* /dev/p2pbuf itself */ };

	for (unsigned int k = 0; k < 3; k++) {
		memset(&i, 0, sizeof(i));
		i.fd = not_ours[k];
		EXPECT_EQ(-EINVAL, xioctl(self->fd, P2PBUF_IOC_BUF_INFO, &i))
			TH_LOG("fd type %u", k);
	}

	/* a dma-buf from another exporter (udmabuf), when there is one */
	other = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (other >= 0) {
		struct udmabuf_create c = {
			.memfd = memfd, .offset = 0, .size = PAGE,
		};
		int dmabuf;

		ASSERT_EQ(0, ftruncate(memfd, PAGE));
		ASSERT_EQ(0, fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK));
		dmabuf = ioctl(other, UDMABUF_CREATE, &c);
		if (dmabuf >= 0) {
			memset(&i, 0, sizeof(i));
			i.fd = dmabuf;
			EXPECT_EQ(-EINVAL, xioctl(self->fd, P2PBUF_IOC_BUF_INFO, &i));
			close(dmabuf);
		} else {
			TH_LOG("udmabuf create: %s", strerror(errno));
		}
		close(other);
	}

	/* no fd at all */
	memset(&i, 0, sizeof(i));
	i.fd = -1;
	other = xioctl(self->fd, P2PBUF_IOC_BUF_INFO, &i);
	EXPECT_TRUE(other == -EBADF || other == -EINVAL) TH_LOG("fd -1: %d", other);
	close(pipefd[0]);
	close(pipefd[1]);
	close(memfd);
}

TEST_F(p2pbuf, buf_info_reserved_einval)
{
	struct p2pbuf_buf_info i;

	memset(&i, 0, sizeof(i));
	i.fd = self->buf;
	i.__pad = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, P2PBUF_IOC_BUF_INFO, &i));
	for (int k = 0; k < (int)(sizeof(i.reserved) / sizeof(i.reserved[0])); k++) {
		memset(&i, 0, sizeof(i));
		i.fd = self->buf;
		i.reserved[k] = 1;
		EXPECT_EQ(-EINVAL, xioctl(self->fd, P2PBUF_IOC_BUF_INFO, &i))
			TH_LOG("reserved[%d]", k);
	}
	/* the counters are out fields: zero in */
	memset(&i, 0, sizeof(i));
	i.fd = self->buf;
	i.bytes_bounced = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, P2PBUF_IOC_BUF_INFO, &i));
	memset(&i, 0, sizeof(i));
	i.fd = self->buf;
	i.attach_host_bridge = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, P2PBUF_IOC_BUF_INFO, &i));
}

/* ---- BUF_IO ----------------------------------------------------------- */

TEST_F(p2pbuf, buf_io_bad_input)
{
	struct p2pbuf_buf_io io;
	int memfd = memfd_create("p2pbuf-src", MFD_CLOEXEC);

	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, ftruncate(memfd, 2 * PAGE));
#define IO_ERR(err, setup) do { \
	memset(&io, 0, sizeof(io)); \
	io.buf_fd = self->buf; io.file_fd = memfd; io.length = PAGE; \
	setup; \
	EXPECT_EQ(-err, xioctl(self->fd, P2PBUF_IOC_BUF_IO, &io)) \
		TH_LOG("case: %s", #setup); \
} while (0)
	IO_ERR(EINVAL, io.flags = 1U << 31);
	IO_ERR(EINVAL, io.reserved[0] = 1);
	IO_ERR(EINVAL, io.__pad = 1);
	IO_ERR(EINVAL, io.why = 1);
	IO_ERR(EINVAL, io.bytes_direct = 1);
	IO_ERR(EINVAL, io.length = 0);
	IO_ERR(EINVAL, io.buf_offset = 2 * PAGE);
	IO_ERR(EINVAL, io.buf_offset = ~0ULL - 1);
	IO_ERR(EOVERFLOW, io.file_offset = ~0ULL >> 1);
	/* wrong fd type: /dev/p2pbuf itself is no buffer */
	IO_ERR(EINVAL, io.buf_fd = self->fd);
	IO_ERR(EBADF, io.buf_fd = -1);
	IO_ERR(EBADF, io.file_fd = -1);
#undef IO_ERR
	EXPECT_EQ(-EFAULT, xioctl(self->fd, P2PBUF_IOC_BUF_IO, (void *)8));
	close(memfd);
}

TEST_F(p2pbuf, buf_info_short_and_long_struct)
{
	struct {
		struct p2pbuf_buf_info i;
		__u64 tail;
	} big;
	struct p2pbuf_buf_info i;

	memset(&i, 0, sizeof(i));
	i.fd = self->buf;
	EXPECT_EQ(0, xioctl(self->fd, IOC_SIZED(P2PBUF_IOC_BUF_INFO,
				offsetof(struct p2pbuf_buf_info, reserved)), &i));
	EXPECT_EQ(2 * PAGE, i.size);

	memset(&big, 0, sizeof(big));
	big.i.fd = self->buf;
	EXPECT_EQ(0, xioctl(self->fd, IOC_SIZED(P2PBUF_IOC_BUF_INFO,
						sizeof(big)), &big));
	big.tail = 1;
	EXPECT_EQ(-E2BIG, xioctl(self->fd, IOC_SIZED(P2PBUF_IOC_BUF_INFO,
						     sizeof(big)), &big));
}

/* ---- PATH ------------------------------------------------------------- */

TEST_F(p2pbuf, path_bad_input_einval)
{
	struct p2pbuf_path p;

#define PATH_EINVAL(setup) do { \
	memset(&p, 0, sizeof(p)); \
	p.provider_id = self->provider; p.client = BDF_NVME0; \
	setup; \
	EXPECT_EQ(-EINVAL, xioctl(self->fd, P2PBUF_IOC_PATH, &p)) \
		TH_LOG("case: %s", #setup); \
} while (0)
	/* by address, but a provider id too */
	PATH_EINVAL(p.flags = P2PBUF_PATH_BY_BDF);
	PATH_EINVAL(p.flags = P2PBUF_PATH_VALID_FLAGS + 1);
	PATH_EINVAL(p.flags = 1U << 31);
	/* an address without the flag that says to use it */
	PATH_EINVAL(p.provider_bdf = BDF_NVME0);
	PATH_EINVAL(p.reserved[0] = 1);
	PATH_EINVAL(p.reserved[2] = 1);
#undef PATH_EINVAL
}

TEST_F(p2pbuf, path_bad_provider_or_client)
{
	struct p2pbuf_path p;
	int ret;

	memset(&p, 0, sizeof(p));
	p.provider_id = 0xfffffff0;
	p.client = BDF_NVME0;
	ret = xioctl(self->fd, P2PBUF_IOC_PATH, &p);
	EXPECT_TRUE(ret == -EINVAL || ret == -ENOENT || ret == -ENODEV)
		TH_LOG("bad provider: %d", ret);

	/* no device at 0000:ff:1f.7 */
	memset(&p, 0, sizeof(p));
	p.provider_id = self->provider;
	p.client = P2PBUF_BDF(0, 0xff, 0xff);
	ret = xioctl(self->fd, P2PBUF_IOC_PATH, &p);
	EXPECT_TRUE(ret == -EINVAL || ret == -ENOENT || ret == -ENODEV)
		TH_LOG("absent client: %d", ret);
}

TEST_F(p2pbuf, path_short_and_long_struct)
{
	struct {
		struct p2pbuf_path p;
		__u64 tail;
	} big;
	struct p2pbuf_path p;

	memset(&p, 0, sizeof(p));
	p.provider_id = self->provider;
	p.client = BDF_NVME0;
	/* the struct as it was before provider_bdf and dirs */
	EXPECT_EQ(0, xioctl(self->fd, IOC_SIZED(P2PBUF_IOC_PATH,
				offsetof(struct p2pbuf_path, provider_bdf)), &p));
	EXPECT_EQ(-EINVAL, xioctl(self->fd,
				  IOC_SIZED(P2PBUF_IOC_PATH,
					    offsetof(struct p2pbuf_path, provider_bdf) - 4),
				  &p));
	/* a flag whose field that struct does not have */
	memset(&p, 0, sizeof(p));
	p.flags = P2PBUF_PATH_BY_BDF;
	p.client = BDF_NVME0;
	EXPECT_EQ(-EINVAL, xioctl(self->fd,
				  IOC_SIZED(P2PBUF_IOC_PATH,
					    offsetof(struct p2pbuf_path, provider_bdf)),
				  &p));

	memset(&big, 0, sizeof(big));
	big.p.provider_id = self->provider;
	big.p.client = BDF_NVME0;
	EXPECT_EQ(0, xioctl(self->fd, IOC_SIZED(P2PBUF_IOC_PATH, sizeof(big)),
			    &big));
	big.tail = 1;
	EXPECT_EQ(-E2BIG, xioctl(self->fd, IOC_SIZED(P2PBUF_IOC_PATH,
						     sizeof(big)), &big));

	/* a newer caller's longer struct, zero past ours: by address too */
	memset(&big, 0, sizeof(big));
	big.p.flags = P2PBUF_PATH_BY_BDF;
	big.p.provider_bdf = BDF_EDU;
	big.p.client = BDF_NVME0;
	EXPECT_EQ(0, xioctl(self->fd, IOC_SIZED(P2PBUF_IOC_PATH, sizeof(big)),
			    &big));
	EXPECT_NE(0, big.p.reason_str[0]);
}

/* the provider's id and its address give one answer, in every direction */
TEST_F(p2pbuf, path_by_bdf_matches_provider_id)
{
	static const __u32 dirs[] = { 0, P2PBUF_PATH_READ, P2PBUF_PATH_WRITE,
				      P2PBUF_PATH_READ | P2PBUF_PATH_WRITE };
	static const __u32 clients[] = { BDF_NVME0, BDF_EDU, BDF_NVME2,
					 BDF_EDU2 };
	struct p2pbuf_provider_info info[MAX_PROV];
	struct p2pbuf_list l = {
		.count = MAX_PROV,
		.entry_size = sizeof(info[0]),
		.entries = (uintptr_t)info,
	};
	struct p2pbuf_path a, b;
	__u32 bdf = 0;

	ASSERT_EQ(0, xioctl(self->fd, P2PBUF_IOC_LIST, &l));
	for (unsigned int i = 0; i < l.count && i < MAX_PROV; i++)
		if (info[i].id == self->provider)
			bdf = info[i].bdf;
	for (unsigned int d = 0; d < 4; d++) {
		for (unsigned int c = 0; c < 4; c++) {
			memset(&a, 0, sizeof(a));
			a.provider_id = self->provider;
			a.client = clients[c];
			a.flags = dirs[d];
			memset(&b, 0, sizeof(b));
			b.flags = P2PBUF_PATH_BY_BDF | dirs[d];
			b.provider_bdf = bdf;
			b.client = clients[c];
			if (xioctl(self->fd, P2PBUF_IOC_PATH, &a))
				continue;	/* no such device in this VM */
			ASSERT_EQ(0, xioctl(self->fd, P2PBUF_IOC_PATH, &b));
			EXPECT_EQ(a.map_type, b.map_type);
			EXPECT_EQ(a.reason, b.reason);
			EXPECT_EQ(a.distance, b.distance);
			EXPECT_EQ(a.via, b.via);
			EXPECT_EQ(a.dirs, b.dirs);
			EXPECT_STREQ(a.reason_str, b.reason_str);
			/* allowed: in some direction, and in the one asked */
			if (a.map_type == P2PBUF_MAP_NOT_SUPPORTED) {
				EXPECT_EQ(0, a.dirs);
			} else {
				EXPECT_TRUE(a.dirs && (a.dirs & dirs[d]) == dirs[d])
					TH_LOG("dirs %#x asked %#x", a.dirs, dirs[d]);
			}
		}
	}
}

TEST_F(p2pbuf, path_by_bdf_no_device_enodev)
{
	struct p2pbuf_path p;

	/* nothing at 0000:ff:1f.7, as the first device or the client */
	memset(&p, 0, sizeof(p));
	p.flags = P2PBUF_PATH_BY_BDF;
	p.provider_bdf = P2PBUF_BDF(0, 0xff, 0xff);
	p.client = BDF_NVME0;
	EXPECT_EQ(-ENODEV, xioctl(self->fd, P2PBUF_IOC_PATH, &p));
	EXPECT_EQ(0, p.map_type);
	EXPECT_EQ(0, p.reason_str[0]);
	memset(&p, 0, sizeof(p));
	p.flags = P2PBUF_PATH_BY_BDF;
	p.provider_bdf = BDF_NVME0;
	p.client = P2PBUF_BDF(0, 0xff, 0xff);
	EXPECT_EQ(-ENODEV, xioctl(self->fd, P2PBUF_IOC_PATH, &p));
	/* and in another domain */
	p.client = P2PBUF_BDF(0x1234, 0, 0);
	EXPECT_EQ(-ENODEV, xioctl(self->fd, P2PBUF_IOC_PATH, &p));
}

/* ---- read-only opens: queries yes, allocation no ------------------------ */

TEST_F(p2pbuf, readonly_open_queries_not_alloc)
{
	struct p2pbuf_provider_info info[MAX_PROV];
	struct p2pbuf_list l = {
		.count = MAX_PROV,
		.entry_size = sizeof(info[0]),
		.entries = (uintptr_t)info,
	};
	struct p2pbuf_alloc a = { .size = 2 * PAGE, .flags = P2PBUF_ALLOC_RDWR };
	struct p2pbuf_buf_info bi = { .fd = self->buf };
	struct p2pbuf_path p = { .flags = P2PBUF_PATH_BY_BDF,
				 .provider_bdf = BDF_EDU,
				 .client = BDF_NVME0 };
	int ro, fds_before, fds_after;
	uint64_t free_before;

	ro = open("/dev/p2pbuf", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, ro);
	EXPECT_EQ(0, xioctl(ro, P2PBUF_IOC_LIST, &l));
	EXPECT_LT(0, l.count);
	EXPECT_EQ(0, xioctl(ro, P2PBUF_IOC_PATH, &p));
	EXPECT_NE(0, p.reason_str[0]);
	EXPECT_EQ(0, xioctl(ro, P2PBUF_IOC_BUF_INFO, &bi));
	EXPECT_EQ(2 * PAGE, bi.size);

	free_before = provider_free(self->fd, self->provider);
	fds_before = dup(0);
	close(fds_before);
	a.provider_id = self->provider;
	a.fd = -1;
	EXPECT_EQ(-EBADF, xioctl(ro, P2PBUF_IOC_ALLOC, &a));
	EXPECT_EQ(-1, a.fd);
	/* nothing allocated, no fd installed */
	EXPECT_EQ(free_before, provider_free(self->fd, self->provider));
	fds_after = dup(0);
	close(fds_after);
	EXPECT_EQ(fds_before, fds_after);
	/* before anything else: even a request that is wrong otherwise */
	a.size = 0;
	EXPECT_EQ(-EBADF, xioctl(ro, P2PBUF_IOC_ALLOC, &a));
	close(ro);

	/* the same caller, opened for writing, allocates */
	a.size = 2 * PAGE;
	EXPECT_EQ(0, xioctl(self->fd, P2PBUF_IOC_ALLOC, &a));
	if (a.fd >= 0)
		close(a.fd);
}

/* ---- the dma-buf itself ------------------------------------------------ */

TEST_F(p2pbuf, ioctl_on_wrong_fd)
{
	struct p2pbuf_list l = { .entry_size = sizeof(struct p2pbuf_provider_info) };

	/* p2pbuf ioctls belong to /dev/p2pbuf, not to its dma-bufs */
	EXPECT_EQ(-ENOTTY, xioctl(self->buf, P2PBUF_IOC_LIST, &l));
}

TEST_F(p2pbuf, mmap_bounds)
{
	void *m;

	m = mmap(NULL, 3 * PAGE, PROT_READ, MAP_SHARED, self->buf, 0);
	EXPECT_EQ(MAP_FAILED, m);
	m = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, self->buf, 2 * PAGE);
	EXPECT_EQ(MAP_FAILED, m);
	m = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, self->buf, PAGE);
	ASSERT_NE(MAP_FAILED, m);
	munmap(m, PAGE);
}

TEST_HARNESS_MAIN
