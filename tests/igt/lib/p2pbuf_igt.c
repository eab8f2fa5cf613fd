// SPDX-License-Identifier: GPL-2.0
/* Helpers shared by the p2pbuf IGT tests (see p2pbuf_igt.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>

#include "igt.h"
#include "p2pbuf_igt.h"

enum p2pbuf_config p2pbuf_config(void)
{
	const char *c = getenv("P2PBUF_CONFIG");

	if (c && !strcmp(c, "iommu"))
		return CONFIG_IOMMU;
	/* stock61, Debian 12's 6.1, has the stock kernel's features */
	if (c && (!strcmp(c, "stock") || !strcmp(c, "stock61")))
		return CONFIG_STOCK;
	if (c && !strcmp(c, "p2pdma"))
		return CONFIG_P2PDMA;
	/* Not in the test bed: guess from what the kernel shows. */
	if (access("/sys/bus/pci/devices/" NAME_NVME0 "/p2pmem", F_OK))
		return CONFIG_STOCK;
	if (access("/sys/class/iommu", F_OK) == 0) {
		DIR *d = opendir("/sys/class/iommu");
		struct dirent *e;
		bool any = false;

		while (d && (e = readdir(d)))
			any |= e->d_name[0] != '.';
		if (d)
			closedir(d);
		if (any)
			return CONFIG_IOMMU;
	}
	return CONFIG_P2PDMA;
}

const char *p2pbuf_config_name(void)
{
	static const char *const names[] = { "p2pdma", "iommu", "stock" };
	const char *c = getenv("P2PBUF_CONFIG");

	if (c && !strcmp(c, "stock61"))
		return c;
	return names[p2pbuf_config()];
}

int igt_p2pbuf_open(void)
{
	int fd = open("/dev/p2pbuf", O_RDWR | O_CLOEXEC);

	igt_require_f(fd >= 0, "/dev/p2pbuf: %s (is p2pbuf.ko loaded?)\n",
		      strerror(errno));
	return fd;
}

/* QEMU-less vgem, the DRM device of no hardware; -1 when there is none */
int p2pbuf_open_vgem(void)
{
	for (int i = 0; i < 16; i++) {
		char path[32];
		drmVersionPtr v;
		int fd;

		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		v = drmGetVersion(fd);
		if (v && !strcmp(v->name, "vgem")) {
			drmFreeVersion(v);
			return fd;
		}
		if (v)
			drmFreeVersion(v);
		close(fd);
	}
	return -1;
}

int ti_open(void)
{
	int fd = open("/dev/p2pbuf_test_importer", O_RDWR | O_CLOEXEC);

	igt_require_f(fd >= 0,
		      "/dev/p2pbuf_test_importer: %s (is p2pbuf_test_importer.ko loaded?)\n",
		      strerror(errno));
	return fd;
}

int p2pbuf_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, cmd, arg);
	} while (ret == -1 && (errno == EINTR || errno == EAGAIN));
	return ret == -1 ? -errno : ret;
}

int p2pbuf_list(int fd, struct p2pbuf_provider_info *out, unsigned int max)
{
	struct p2pbuf_list l = {
		.count = max,
		.entry_size = sizeof(*out),
		.entries = (uintptr_t)out,
	};
	int ret;

	memset(out, 0, max * sizeof(*out));
	ret = p2pbuf_ioctl(fd, P2PBUF_IOC_LIST, &l);
	if (ret)
		return ret;
	return l.count < max ? (int)l.count : (int)max;
}

int igt_p2pbuf_alloc(int fd, uint32_t provider, uint64_t size, uint32_t flags,
		 struct p2pbuf_alloc *out)
{
	memset(out, 0, sizeof(*out));
	out->size = size;
	out->provider_id = provider;
	out->flags = flags;
	out->fd = -1;
	return p2pbuf_ioctl(fd, P2PBUF_IOC_ALLOC, out);
}

int p2pbuf_buf_info(int fd, int buf, struct p2pbuf_buf_info *out)
{
	memset(out, 0, sizeof(*out));
	out->fd = buf;
	return p2pbuf_ioctl(fd, P2PBUF_IOC_BUF_INFO, out);
}

int igt_p2pbuf_path(int fd, uint32_t provider, uint32_t client,
		struct p2pbuf_path *out)
{
	memset(out, 0, sizeof(*out));
	out->provider_id = provider;
	out->client = client;
	return p2pbuf_ioctl(fd, P2PBUF_IOC_PATH, out);
}

bool p2pbuf_find(int fd, const char *name, uint32_t kind,
		 struct p2pbuf_provider_info *out)
{
	struct p2pbuf_provider_info p[MAX_PROVIDERS];
	int n = p2pbuf_list(fd, p, MAX_PROVIDERS);

	igt_assert_f(n >= 0, "P2PBUF_IOC_LIST: %s\n", strerror(-n));
	for (int i = 0; i < n; i++) {
		if (!strncmp(p[i].name, name, P2PBUF_NAME_LEN) &&
		    p[i].kind == kind) {
			*out = p[i];
			return true;
		}
	}
	return false;
}

bool p2pbuf_find_kind(int fd, uint32_t kind, uint64_t size,
		      struct p2pbuf_provider_info *out)
{
	struct p2pbuf_provider_info p[MAX_PROVIDERS];
	int n = p2pbuf_list(fd, p, MAX_PROVIDERS);

	igt_assert_f(n >= 0, "P2PBUF_IOC_LIST: %s\n", strerror(-n));
	for (int i = 0; i < n; i++) {
		if (p[i].kind == kind &&
		    (p[i].flags & P2PBUF_PROVIDER_AVAILABLE) &&
		    p[i].free >= size) {
			*out = p[i];
			return true;
		}
	}
	return false;
}

uint64_t p2pbuf_free_bytes(int fd, uint32_t provider)
{
	struct p2pbuf_provider_info p[MAX_PROVIDERS];
	int n = p2pbuf_list(fd, p, MAX_PROVIDERS);

	igt_assert_f(n >= 0, "P2PBUF_IOC_LIST: %s\n", strerror(-n));
	for (int i = 0; i < n; i++)
		if (p[i].id == provider)
			return p[i].free;
	igt_assert_f(false, "provider %u disappeared\n", provider);
	return 0;
}

int p2pbuf_alloc_rw(int fd, uint32_t provider, uint64_t size,
		    struct p2pbuf_buf_info *info)
{
	struct p2pbuf_alloc a;
	int ret;

	ret = igt_p2pbuf_alloc(fd, provider, size,
			   P2PBUF_ALLOC_RDWR | P2PBUF_ALLOC_CLOEXEC, &a);
	igt_assert_f(ret == 0, "alloc %#" PRIx64 " bytes on provider %u: %s\n",
		     size, provider, strerror(-ret));
	igt_assert(a.fd >= 0);
	if (info) {
		ret = p2pbuf_buf_info(fd, a.fd, info);
		igt_assert_f(ret == 0, "BUF_INFO: %s\n", strerror(-ret));
	}
	return a.fd;
}

int ti_import(int ti, int buf, uint32_t client, uint32_t flags,
	      uint32_t *handle)
{
	struct p2pbuf_ti_import arg = {
		.fd = buf,
		.client = client,
		.flags = flags,
	};
	int ret = p2pbuf_ioctl(ti, P2PBUF_TI_IMPORT, &arg);

	if (!ret && handle)
		*handle = arg.handle;
	return ret;
}

int ti_map(int ti, uint32_t handle, uint32_t dir, struct p2pbuf_ti_map *out)
{
	memset(out, 0, sizeof(*out));
	out->handle = handle;
	out->dir = dir;
	return p2pbuf_ioctl(ti, P2PBUF_TI_MAP, out);
}

int ti_unmap(int ti, uint32_t handle)
{
	return p2pbuf_ioctl(ti, P2PBUF_TI_UNMAP, &handle);
}

int ti_map_held(int ti, uint32_t handle, uint32_t count, uint32_t rounds,
		struct p2pbuf_ti_held *out)
{
	memset(out, 0, sizeof(*out));
	out->handle = handle;
	out->count = count;
	out->rounds = rounds;
	return p2pbuf_ioctl(ti, P2PBUF_TI_MAP_HELD, out);
}

int ti_detach(int ti, uint32_t handle)
{
	return p2pbuf_ioctl(ti, P2PBUF_TI_DETACH, &handle);
}

int ti_dma(int ti, uint32_t src, uint64_t src_off, uint32_t dst,
	   uint64_t dst_off, uint64_t len, void *user)
{
	struct p2pbuf_ti_dma arg = {
		.src_handle = src,
		.dst_handle = dst,
		.src_offset = src_off,
		.dst_offset = dst_off,
		.len = len,
		.user_buf = (uintptr_t)user,
	};

	return p2pbuf_ioctl(ti, P2PBUF_TI_DMA, &arg);
}

int ti_status(int ti, uint32_t handle, struct p2pbuf_ti_status *out)
{
	memset(out, 0, sizeof(*out));
	out->handle = handle;
	return p2pbuf_ioctl(ti, P2PBUF_TI_STATUS, out);
}

int igt_p2pbuf_ti_pin(int ti, void *addr, uint64_t len)
{
	struct p2pbuf_ti_pin arg = {
		.addr = (uintptr_t)addr,
		.len = len,
	};

	return p2pbuf_ioctl(ti, P2PBUF_TI_PIN_USER, &arg);
}

int igt_p2pbuf_ti_unpin(int ti)
{
	return p2pbuf_ioctl(ti, P2PBUF_TI_UNPIN_USER, NULL);
}

int sysfs_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = 0;
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = 0;
	return 0;
}

int sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	return 0;
}

uint64_t pci_bar_start(const char *name, int bar)
{
	char path[PATH_MAX], line[128];
	unsigned long long start = 0, end, flags;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", name);
	f = fopen(path, "re");
	if (!f)
		return 0;
	for (int i = 0; i <= bar && fgets(line, sizeof(line), f); i++)
		if (i == bar &&
		    sscanf(line, "%llx %llx %llx", &start, &end, &flags) != 3)
			start = 0;
	fclose(f);
	return start;
}

void pci_driver_name(const char *name, char *buf, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", name);
	n = readlink(path, target, sizeof(target) - 1);
	buf[0] = 0;
	if (n <= 0)
		return;
	target[n] = 0;
	snprintf(buf, len, "%s", strrchr(target, '/') ? strrchr(target, '/') + 1 : target);
}

/* ---- module parameters ---------------------------------------------- */

#define MAX_SAVED_PARAMS	16

static struct {
	char name[64];
	char val[256];
} saved_params[MAX_SAVED_PARAMS];
static int nr_saved_params;

int p2pbuf_param_read(const char *name, char *buf, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), P2PBUF_PARAMS "%s", name);
	return sysfs_read(path, buf, len);
}

int p2pbuf_param_set(const char *name, const char *val)
{
	char path[PATH_MAX], old[256];
	int i, ret;

	for (i = 0; i < nr_saved_params; i++)
		if (!strcmp(saved_params[i].name, name))
			break;
	if (i == nr_saved_params) {
		ret = p2pbuf_param_read(name, old, sizeof(old));
		if (ret)
			return ret;
		igt_assert(nr_saved_params < MAX_SAVED_PARAMS);
		snprintf(saved_params[i].name, sizeof(saved_params[i].name),
			 "%s", name);
		snprintf(saved_params[i].val, sizeof(saved_params[i].val),
			 "%s", old);
		nr_saved_params++;
	}
	snprintf(path, sizeof(path), P2PBUF_PARAMS "%s", name);
	return sysfs_write(path, val);
}

void p2pbuf_params_restore(void)
{
	char path[PATH_MAX];
	int ret;

	while (nr_saved_params > 0) {
		nr_saved_params--;
		snprintf(path, sizeof(path), P2PBUF_PARAMS "%s",
			 saved_params[nr_saved_params].name);
		/* an empty list is written as a newline */
		ret = sysfs_write(path, saved_params[nr_saved_params].val[0] ?
				  saved_params[nr_saved_params].val : "\n");
		if (ret)
			igt_warn("restoring %s to \"%s\": %s\n", path,
				 saved_params[nr_saved_params].val,
				 strerror(-ret));
	}
}

/* ---- kernel log ------------------------------------------------------ */

int p2pbuf_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

bool p2pbuf_kmsg_wait(int kmsg, int timeout_ms, const char *const *needles,
		      char *line, size_t len)
{
	double end = p2pbuf_now() + timeout_ms / 1000.0;
	char rec[2048];
	ssize_t n;
	int i;

	if (kmsg < 0)
		return false;
	for (;;) {
		n = read(kmsg, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (n < 0) {
			struct pollfd pfd = { .fd = kmsg, .events = POLLIN };
			int left = (int)((end - p2pbuf_now()) * 1000);

			if (errno != EAGAIN || left <= 0)
				return false;
			poll(&pfd, 1, left < 100 ? left : 100);
			continue;
		}
		rec[n] = 0;
		for (i = 0; needles[i]; i++)
			if (!strstr(rec, needles[i]))
				break;
		if (!needles[i]) {
			char *msg = strchr(rec, ';');

			snprintf(line, len, "%s", msg ? msg + 1 : rec);
			line[strcspn(line, "\n")] = 0;
			return true;
		}
	}
}

/* ---- background sysfs writes ----------------------------------------- */

/*
 * A child must not keep the test's files open: a blocked unbind waits for
 * the importer's file to be released, which a copy of it in the child
 * would prevent forever, and a dma-buf fd would keep a buffer charged.
 */
static void close_fds_from(int first)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int fd, dfd;

	if (!d) {
		for (fd = first; fd < 1024; fd++)
			close(fd);
		return;
	}
	dfd = dirfd(d);
	while ((e = readdir(d))) {
		fd = atoi(e->d_name);
		if (e->d_name[0] != '.' && fd >= first && fd != dfd)
			close(fd);
	}
	closedir(d);
}

#define MAX_BG	16
static struct {
	pid_t pid;	/* 0: free slot */
	bool done;
	int ret;
} bg[MAX_BG];

double p2pbuf_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

pid_t p2pbuf_bg_write(const char *path, const char *val)
{
	pid_t pid;
	int i;

	/* a free slot, else the oldest finished one */
	for (i = 0; i < MAX_BG && bg[i].pid; i++)
		;
	for (int j = 0; i == MAX_BG && j < MAX_BG; j++)
		if (bg[j].done)
			i = j;
	igt_assert_f(i < MAX_BG, "too many blocked background writes\n");
	fflush(NULL);
	pid = fork();
	igt_assert(pid >= 0);
	if (pid == 0) {
		close_fds_from(3);
		_exit(-sysfs_write(path, val));	/* errno, 0 on success */
	}
	bg[i].pid = pid;
	bg[i].done = false;
	return pid;
}

bool p2pbuf_bg_wait(pid_t pid, int timeout_ms, int *ret)
{
	double end = p2pbuf_now() + timeout_ms / 1000.0;
	int status, i;
	pid_t r;

	for (i = 0; i < MAX_BG && bg[i].pid != pid; i++)
		;
	igt_assert_f(i < MAX_BG, "pid %d is not a background write\n", pid);
	while (!bg[i].done) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid) {
			bg[i].done = true;
			bg[i].ret = WIFEXITED(status) ? -WEXITSTATUS(status) :
				    -EINTR;
			break;
		}
		igt_assert_f(r == 0, "waitpid %d: %s\n", pid, strerror(errno));
		if (p2pbuf_now() >= end)
			return false;
		usleep(10 * 1000);
	}
	if (ret)
		*ret = bg[i].ret;
	return true;
}

int p2pbuf_bg_pending(void)
{
	int i, n = 0;

	for (i = 0; i < MAX_BG; i++)
		if (bg[i].pid && !p2pbuf_bg_wait(bg[i].pid, 0, NULL))
			n++;
	return n;
}

/* ---- another user ---------------------------------------------------- */

enum { USER_OPEN, USER_ALLOC, USER_FREE, USER_GIVE, USER_WRITE, USER_EXIT };

#define USER_SLOTS	64

struct user_cmd {
	int op;
	int slot;
	uint32_t provider;
	uint32_t flags;
	uint64_t size;
	uint64_t offset;
	char path[256];
	char val[256];
};

struct user_reply {
	int ret;
	int slot;
};

struct p2pbuf_user {
	pid_t pid;
	int sock;
};

static int user_drop_caps(uint64_t drop)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	for (int c = 0; c < 64; c++)
		if ((drop >> c) & 1)
			prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	for (int i = 0; i < 2; i++) {
		data[i].effective &= ~(uint32_t)(drop >> (32 * i));
		data[i].permitted &= ~(uint32_t)(drop >> (32 * i));
		data[i].inheritable &= ~(uint32_t)(drop >> (32 * i));
	}
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

static void user_loop(int sock)
{
	int dev = -1, bufs[USER_SLOTS];
	struct user_reply r;
	struct user_cmd c;
	struct p2pbuf_alloc a;

	for (int i = 0; i < USER_SLOTS; i++)
		bufs[i] = -1;
	while (recv(sock, &c, sizeof(c), 0) == sizeof(c)) {
		memset(&r, 0, sizeof(r));
		r.slot = -1;
		switch (c.op) {
		case USER_OPEN:
			if (dev < 0)
				dev = open("/dev/p2pbuf", O_RDWR | O_CLOEXEC);
			r.ret = dev < 0 ? -errno : 0;
			break;
		case USER_ALLOC:
			memset(&a, 0, sizeof(a));
			a.size = c.size;
			a.provider_id = c.provider;
			a.flags = c.flags;
			a.offset = c.offset;
			a.fd = -1;
			r.ret = p2pbuf_ioctl(dev, P2PBUF_IOC_ALLOC, &a);
			if (r.ret)
				break;
			for (r.slot = 0; r.slot < USER_SLOTS; r.slot++)
				if (bufs[r.slot] < 0)
					break;
			if (r.slot == USER_SLOTS) {
				close(a.fd);
				r.ret = -EMFILE;
				r.slot = -1;
				break;
			}
			bufs[r.slot] = a.fd;
			break;
		case USER_FREE:
		case USER_GIVE:
			if (c.slot < 0 || c.slot >= USER_SLOTS || bufs[c.slot] < 0) {
				r.ret = -EBADF;
				break;
			}
			if (c.op == USER_GIVE) {
				char ctl[CMSG_SPACE(sizeof(int))] = { 0 };
				struct iovec iov = { &r, sizeof(r) };
				struct msghdr m = {
					.msg_iov = &iov, .msg_iovlen = 1,
					.msg_control = ctl,
					.msg_controllen = sizeof(ctl),
				};
				struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

				cm->cmsg_level = SOL_SOCKET;
				cm->cmsg_type = SCM_RIGHTS;
				cm->cmsg_len = CMSG_LEN(sizeof(int));
				memcpy(CMSG_DATA(cm), &bufs[c.slot], sizeof(int));
				r.slot = c.slot;
				if (sendmsg(sock, &m, 0) < 0)
					_exit(1);
				close(bufs[c.slot]);
				bufs[c.slot] = -1;
				continue;	/* replied */
			}
			r.ret = close(bufs[c.slot]) ? -errno : 0;
			bufs[c.slot] = -1;
			break;
		case USER_WRITE:
			r.ret = sysfs_write(c.path, c.val);
			break;
		case USER_EXIT:
		default:
			_exit(0);
		}
		if (send(sock, &r, sizeof(r), 0) != sizeof(r))
			_exit(1);
	}
	_exit(0);
}

struct p2pbuf_user *p2pbuf_user_start(uid_t uid, gid_t gid,
				      const gid_t *groups, int ngroups,
				      uint64_t drop_caps)
{
	struct p2pbuf_user *u = calloc(1, sizeof(*u));
	int sv[2], ret;

	igt_assert(u);
	igt_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	fflush(NULL);
	u->pid = fork();
	igt_assert(u->pid >= 0);
	if (u->pid == 0) {
		if (dup2(sv[1], 3) != 3)
			_exit(1);
		close_fds_from(4);
		sv[1] = 3;
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		ret = 0;
		if (setgroups(ngroups, groups) || setgid(gid) ||
		    (uid && setuid(uid)))
			ret = -errno;
		else if (!uid && drop_caps)
			ret = user_drop_caps(drop_caps);
		if (send(sv[1], &ret, sizeof(ret), 0) != sizeof(ret) || ret)
			_exit(1);
		user_loop(sv[1]);
	}
	close(sv[1]);
	u->sock = sv[0];
	igt_assert_eq(recv(u->sock, &ret, sizeof(ret), 0), (int)sizeof(ret));
	igt_assert_f(ret == 0, "becoming uid %u gid %u: %s\n", uid, gid,
		     strerror(-ret));
	return u;
}

static struct user_reply user_call(struct p2pbuf_user *u, struct user_cmd *c,
				   int *fd)
{
	char ctl[CMSG_SPACE(sizeof(int))];
	struct user_reply r = { .ret = -EIO, .slot = -1 };
	struct iovec iov = { &r, sizeof(r) };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl, .msg_controllen = sizeof(ctl),
	};
	struct cmsghdr *cm;

	igt_assert_eq(send(u->sock, c, sizeof(*c), 0), (int)sizeof(*c));
	igt_assert_f(recvmsg(u->sock, &m, MSG_CMSG_CLOEXEC) == sizeof(r),
		     "the user process %d died\n", u->pid);
	cm = CMSG_FIRSTHDR(&m);
	if (fd) {
		igt_assert_f(cm && cm->cmsg_type == SCM_RIGHTS,
			     "no fd from the user process\n");
		memcpy(fd, CMSG_DATA(cm), sizeof(int));
	}
	return r;
}

int p2pbuf_user_open(struct p2pbuf_user *u)
{
	struct user_cmd c = { .op = USER_OPEN };

	return user_call(u, &c, NULL).ret;
}

int p2pbuf_user_alloc(struct p2pbuf_user *u, uint32_t provider, uint64_t size,
		      uint32_t flags, uint64_t offset, int *slot)
{
	struct user_cmd c = {
		.op = USER_ALLOC, .provider = provider, .size = size,
		.flags = flags, .offset = offset,
	};
	struct user_reply r = user_call(u, &c, NULL);

	if (slot)
		*slot = r.slot;
	return r.ret;
}

int p2pbuf_user_free(struct p2pbuf_user *u, int slot)
{
	struct user_cmd c = { .op = USER_FREE, .slot = slot };

	return user_call(u, &c, NULL).ret;
}

int p2pbuf_user_give(struct p2pbuf_user *u, int slot, int *fd)
{
	struct user_cmd c = { .op = USER_GIVE, .slot = slot };

	return user_call(u, &c, fd).ret;
}

int p2pbuf_user_write(struct p2pbuf_user *u, const char *path,
		      const char *val)
{
	struct user_cmd c = { .op = USER_WRITE };

	snprintf(c.path, sizeof(c.path), "%s", path);
	snprintf(c.val, sizeof(c.val), "%s", val);
	return user_call(u, &c, NULL).ret;
}

void p2pbuf_user_stop(struct p2pbuf_user *u)
{
	struct user_cmd c = { .op = USER_EXIT };

	if (!u)
		return;
	send(u->sock, &c, sizeof(c), MSG_NOSIGNAL);
	close(u->sock);
	waitpid(u->pid, NULL, 0);
	free(u);
}

int count_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	igt_assert(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the directory stream itself */
}

static uint32_t pattern_word(uint32_t seed, size_t i)
{
	uint32_t x = seed ^ (uint32_t)(i * 0x9e3779b9u);

	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	return x;
}

void fill_pattern(void *buf, size_t len, uint32_t seed)
{
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++)
		p[i] = pattern_word(seed, i / 4) >> (8 * (i % 4));
}

long check_pattern(const void *buf, size_t len, uint32_t seed)
{
	const uint8_t *p = buf;

	for (size_t i = 0; i < len; i++)
		if (p[i] != (uint8_t)(pattern_word(seed, i / 4) >> (8 * (i % 4))))
			return (long)i;
	return -1;
}

/* SHA-256 (FIPS 180-4), small and slow, for the host-check records. */
static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha_block(uint32_t h[8], const uint8_t *b)
{
	uint32_t w[64], a, bb, c, d, e, f, g, hh, t1, t2;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)b[4 * i] << 24 | b[4 * i + 1] << 16 |
		       b[4 * i + 2] << 8 | b[4 * i + 3];
	for (int i = 16; i < 64; i++)
		w[i] = (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10)) +
		       w[i - 7] +
		       (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3)) +
		       w[i - 16];
	a = h[0]; bb = h[1]; c = h[2]; d = h[3];
	e = h[4]; f = h[5]; g = h[6]; hh = h[7];
	for (int i = 0; i < 64; i++) {
		t1 = hh + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) +
		     ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
		t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) +
		     ((a & bb) ^ (a & c) ^ (bb & c));
		hh = g; g = f; f = e; e = d + t1;
		d = c; c = bb; bb = a; a = t1 + t2;
	}
	h[0] += a; h[1] += bb; h[2] += c; h[3] += d;
	h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

void sha256_hex(const void *data, size_t len, char out[65])
{
	uint32_t h[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};
	const uint8_t *p = data;
	uint8_t tail[128] = { 0 };
	size_t full = len & ~(size_t)63, rest = len - full, tl;
	uint64_t bits = (uint64_t)len * 8;

	for (size_t i = 0; i < full; i += 64)
		sha_block(h, p + i);
	memcpy(tail, p + full, rest);
	tail[rest] = 0x80;
	tl = rest + 1 + 8 <= 64 ? 64 : 128;
	for (int i = 0; i < 8; i++)
		tail[tl - 1 - i] = bits >> (8 * i);
	for (size_t i = 0; i < tl; i += 64)
		sha_block(h, tail + i);
	for (int i = 0; i < 8; i++)
		sprintf(out + 8 * i, "%08x", h[i]);
}

void host_check_record(const char *test, const char *file, uint64_t offset,
		       const void *data, size_t len)
{
	char path[PATH_MAX], sum[65];
	FILE *f;

	if (access("/results", W_OK))
		return;	/* not in the test bed */
	mkdir("/results/host-checks", 0755);
	snprintf(path, sizeof(path), "/results/host-checks/%s.check", test);
	f = fopen(path, "ae");
	igt_assert_f(f, "%s: %s\n", path, strerror(errno));
	sha256_hex(data, len, sum);
	fprintf(f, "%s %" PRIu64 " %zu %s\n", file, offset, len, sum);
	fclose(f);
	igt_info("host check: %s %" PRIu64 " %zu %s\n", file, offset, len, sum);
}

int nvme_serial_of_fd(int fd, char *buf, size_t len)
{
	char path[PATH_MAX];
	struct stat st;
	int ret;

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISBLK(st.st_mode))
		return -ENOTBLK;
	/*
	 * device/ of a namespace's disk is its controller, or with native
	 * multipath its subsystem: both have the serial.
	 */
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/device/serial",
		 major(st.st_rdev), minor(st.st_rdev));
	ret = sysfs_read(path, buf, len);
	if (ret)
		return ret;
	for (size_t n = strlen(buf); n > 0 && buf[n - 1] == ' '; n--)
		buf[n - 1] = 0;
	return buf[0] && !strpbrk(buf, " \t") ? 0 : -EINVAL;
}

void host_check_record_nvme(const char *test, int fd, uint64_t offset,
			    const void *data, size_t len)
{
	char serial[64], where[80];
	int ret = nvme_serial_of_fd(fd, serial, sizeof(serial));

	igt_assert_f(!ret, "serial of the NVMe drive behind fd %d: %s\n", fd,
		     strerror(-ret));
	snprintf(where, sizeof(where), "serial:%s", serial);
	host_check_record(test, where, offset, data, len);
}
