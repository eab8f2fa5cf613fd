// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* BDF parsing and formatting, strings for the uapi enums, bad arguments. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/p2pbuf.h>
#include <p2pbuf/p2pbuf.h>
#include "tap.h"

int main(void)
{
	char buf[32];
	uint32_t b = 0;
	struct p2pbuf_buf q;
	int fd;

	tap_ok(!p2pbuf_parse_bdf("0000:03:00.0", &b) &&
	       b == P2PBUF_BDF(0, 3, 0), "parse full form");
	tap_ok(!p2pbuf_parse_bdf("07:1f.7", &b) &&
	       b == P2PBUF_BDF(0, 7, (0x1f << 3) | 7), "parse short form");
	tap_ok(p2pbuf_parse_bdf("07:20.0", &b) == -EINVAL, "slot 0x20 refused");
	tap_ok(p2pbuf_parse_bdf("nvme0", &b) == -EINVAL, "garbage refused");
	tap_ok(p2pbuf_parse_bdf("03:00.0x", &b) == -EINVAL, "trailing junk refused");
	tap_ok(!strcmp(p2pbuf_format_bdf(P2PBUF_BDF(1, 0x22, 0x19), buf,
					 sizeof(buf)), "0001:22:03.1"),
	       "format");
	tap_ok(!p2pbuf_format_bdf(0, buf, 4) && errno == EINVAL,
	       "format into a short buffer: NULL/EINVAL");
	tap_ok(!strcmp(p2pbuf_map_type_str(P2PBUF_MAP_BUS_ADDR), "bus address"),
	       "map type string");
	tap_ok(strstr(p2pbuf_reason_str(P2PBUF_REASON_HOST_BRIDGE_NOT_ALLOWED),
		      "host bridge") != NULL, "reason string");
	tap_ok(!p2pbuf_open("/nonexistent/p2pbuf") && errno == ENOENT,
	       "open of a missing device: NULL/ENOENT");
	tap_ok(p2pbuf_alloc(NULL, 0, 4096, 0, NULL) == -1 && errno == EINVAL,
	       "alloc without a context: -1/EINVAL");
	tap_ok(p2pbuf_path(NULL, 0, 0, NULL) == -EINVAL, "path: -EINVAL");
	fd = memfd_create("q", 0);
	ftruncate(fd, 12345);
	tap_ok(!p2pbuf_query(NULL, fd, &q) && q.size == 12345 &&
	       !(q.flags & P2PBUF_BUF_OURS),
	       "query of a memfd: size by lseek, not ours");
	/* the query must not move the file position of the fd it is given */
	lseek(fd, 77, SEEK_SET);
	tap_ok(!p2pbuf_query(NULL, fd, &q) && q.size == 12345 &&
	       lseek(fd, 0, SEEK_CUR) == 77,
	       "query leaves the file position alone (%lld)",
	       (long long)lseek(fd, 0, SEEK_CUR));
	{
		/* BUF_INFO answering ENOTTY (old module): size kept, not ours */
		struct p2pbuf_ctx *notours = p2pbuf_open("/dev/null");

		memset(&q, 0xff, sizeof(q));
		tap_ok(notours && !p2pbuf_query(notours, fd, &q) &&
		       q.size == 12345 && !(q.flags & P2PBUF_BUF_OURS),
		       "BUF_INFO fails with ENOTTY: 0, size kept, not ours");
		p2pbuf_close(notours);
	}
	close(fd);
	{
		int p[2];

		pipe(p);
		tap_ok(p2pbuf_query(NULL, p[0], &q) == -ESPIPE,
		       "query of a pipe: -ESPIPE, no size");
		close(p[0]);
		close(p[1]);
	}
	tap_ok(p2pbuf_query(NULL, -1, &q) == -EINVAL, "query of -1: -EINVAL");
	{
		/* a node that refuses read-write (as /dev/p2pbuf to others) */
		struct p2pbuf_ctx *ro = p2pbuf_open("/sys/devices/system/cpu/possible");
		struct p2pbuf_path_info pi;
		int flags = ro ? fcntl(p2pbuf_ctx_fd(ro), F_GETFL) : -1;

		tap_ok(ro && (flags & O_ACCMODE) == O_RDONLY,
		       "a device that refuses read-write is opened read-only (%s)",
		       ro ? "opened" : strerror(errno));
		tap_ok(p2pbuf_path_bdf(NULL, 0, 0, 0, &pi) == -EINVAL &&
		       p2pbuf_path_bdf(ro, 0, 0, 1U << 0, &pi) == -EINVAL &&
		       p2pbuf_path_bdf(ro, 0, 0, 1U << 3, &pi) == -EINVAL,
		       "path_bdf without a context or with an unknown flag: -EINVAL");
		/* not p2pbuf's ioctl: the error comes back, info untouched */
		memset(&pi, 0x5a, sizeof(pi));
		tap_ok(ro && p2pbuf_path_bdf(ro, 0, 0, P2PBUF_PATH_F_READ |
					     P2PBUF_PATH_F_WRITE, &pi) == -ENOTTY &&
		       pi.comp_mask == 0x5a5a5a5a,
		       "path_bdf on a device that is not p2pbuf: -ENOTTY");
		p2pbuf_close(ro);
	}
	return tap_done();
}
