// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * p2pbuf_ibv_reg_dmabuf_mr() argument checks on the host, before any RDMA
 * device is involved: offset and iova at different offsets within a page
 * are EINVAL (rdma-core requires them equal), and so is a range outside
 * the buffer. The PD is a stand-in: a call that got as far as
 * ibv_reg_dmabuf_mr() would crash on it, which the child turns into a
 * failed test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <p2pbuf/verbs.h>
#include "tap.h"

static int reg_in_child(int fd, uint64_t offset, size_t length, uint64_t iova,
			char *msg, size_t msg_len)
{
	struct { int err; char msg[256]; } *sh;
	struct ibv_pd pd;
	int status, ret;
	pid_t pid;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return -1;
	memset(&pd, 0, sizeof(pd));
	pid = fork();
	if (!pid) {
		struct ibv_mr *mr = p2pbuf_ibv_reg_dmabuf_mr(&pd, fd, offset,
							     length, iova, 0,
							     sh->msg,
							     sizeof(sh->msg));

		sh->err = mr ? 0 : errno;
		_exit(0);
	}
	waitpid(pid, &status, 0);
	ret = WIFEXITED(status) ? sh->err : -WTERMSIG(status);
	snprintf(msg, msg_len, "%s", sh->msg);
	munmap(sh, sizeof(*sh));
	return ret;
}

int main(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char msg[256];
	int fd, ret;

	fd = memfd_create("buf", MFD_CLOEXEC);
	ftruncate(fd, 4 * pg);
	ret = reg_in_child(fd, 100, pg, 0, msg, sizeof(msg));
	tap_ok(ret == EINVAL, "offset %% page != iova %% page: EINVAL (%d)", ret);
	tap_ok(strstr(msg, "iova") != NULL, "the message says why: \"%s\"", msg);
	ret = reg_in_child(fd, pg + 100, pg, 0x10000 + 100, msg, sizeof(msg));
	tap_ok(ret != EINVAL || !strstr(msg, "iova"),
	       "same offset within a page passes the iova check (%d: %s)", ret,
	       msg);
	ret = reg_in_child(fd, 3 * pg, 2 * pg, 3 * pg, msg, sizeof(msg));
	tap_ok(ret == EINVAL && strstr(msg, "outside"),
	       "range outside the buffer: EINVAL (%s)", msg);
	close(fd);
	return tap_done();
}
