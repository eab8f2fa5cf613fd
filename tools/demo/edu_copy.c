// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf-edu-copy: the DMA engine's own little tool, for scripts.
 *
 *   p2pbuf-edu-copy SRC DST LEN      SRC, DST: FD or PID:FD of dma-buf fds
 *
 * Imports both dma-bufs on QEMU's edu device through the test importer
 * (p2pbuf_test_importer.ko, dynamic attach with allow_peer2peer and
 * move_notify, the way ib_umem_dmabuf imports), prints the DMA addresses
 * it was given, and copies LEN bytes SRC -> engine -> DST with them.
 * PID:FD takes the fd from another process with pidfd_getfd(2).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "p2pbuf_test_importer.h"

static int get_fd(const char *arg)
{
	char *end;
	long a = strtol(arg, &end, 10);
	int pidfd, fd;

	if (*end != ':')
		return *end ? -1 : (int)a;
	pidfd = syscall(SYS_pidfd_open, (pid_t)a, 0);
	if (pidfd < 0)
		return -1;
	fd = syscall(SYS_pidfd_getfd, pidfd, (int)strtol(end + 1, NULL, 10), 0);
	close(pidfd);
	return fd;
}

static int import(int ti, const char *arg, const char *what)
{
	struct p2pbuf_ti_import imp = { .flags = P2PBUF_TI_DYNAMIC | P2PBUF_TI_EDU };
	struct p2pbuf_ti_map map = { 0 };

	imp.fd = get_fd(arg);
	if (imp.fd < 0) {
		fprintf(stderr, "p2pbuf-edu-copy: %s %s: %s\n", what, arg, strerror(errno));
		exit(1);
	}
	if (ioctl(ti, P2PBUF_TI_IMPORT, &imp)) {
		fprintf(stderr, "p2pbuf-edu-copy: the DMA engine cannot attach %s %s: %s\n"
			"  (p2pbuf info %s says why)\n", what, arg, strerror(errno), arg);
		exit(1);
	}
	map.handle = imp.handle;
	if (ioctl(ti, P2PBUF_TI_MAP, &map)) {
		fprintf(stderr, "p2pbuf-edu-copy: mapping %s: %s\n", what, strerror(errno));
		exit(1);
	}
	printf("%s %s: %u sg entr%s, first at DMA address %#llx (%llu bytes)\n", what, arg,
	       map.nents, map.nents == 1 ? "y" : "ies",
	       (unsigned long long)map.addr[0], (unsigned long long)map.len[0]);
	return imp.handle;
}

int main(int argc, char **argv)
{
	struct p2pbuf_ti_dma dma = { 0 };
	int ti;

	if (argc != 4) {
		fprintf(stderr, "usage: p2pbuf-edu-copy SRC DST LEN   (FD or PID:FD)\n");
		return 2;
	}
	ti = open("/dev/p2pbuf_test_importer", O_RDWR | O_CLOEXEC);
	if (ti < 0) {
		fprintf(stderr, "p2pbuf-edu-copy: /dev/p2pbuf_test_importer: %s\n", strerror(errno));
		return 1;
	}
	dma.src_handle = import(ti, argv[1], "source");
	dma.dst_handle = import(ti, argv[2], "destination");
	dma.len = strtoull(argv[3], NULL, 0);
	if (ioctl(ti, P2PBUF_TI_DMA, &dma)) {
		fprintf(stderr, "p2pbuf-edu-copy: DMA: %s\n", strerror(errno));
		return 1;
	}
	printf("edu DMA engine copied %llu bytes device-to-device\n", (unsigned long long)dma.len);
	close(ti);
	return 0;
}
