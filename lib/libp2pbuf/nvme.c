// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The block device of an NVMe controller, found by what does not change
 * between boots: its PCI address or its serial number.
 *
 * The kernel names controllers (nvmeN), subsystems and namespaces
 * (nvmeXnY) in probe order, which is not stable: the same drive is
 * /dev/nvme0n1 on one boot and /dev/nvme2n1 on the next. sysfs says which
 * is which:
 *
 *   class/nvme/nvmeN/address      "0000:03:00.0" for a PCIe controller
 *   class/nvme/nvmeN/serial       the serial, padded with spaces
 *   class/nvme/nvmeN/nvmeXnY/     a namespace; X is the controller's
 *                                 instance, or the subsystem's with native
 *                                 multipath (CONFIG_NVME_MULTIPATH)
 *   class/nvme/nvmeN/nvmeScNnY/   the controller's path to a multipath
 *                                 namespace, block device nvmeSnY
 *
 * p2pbuf-nvme.sh is the same lookup for shell scripts; the host test checks
 * that both give the same answers.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/p2pbuf.h>

#include "private.h"

/* The serial is 20 bytes in the Identify data; the address "dddd:bb:ss.f". */
#define NVME_ATTR_LEN	64

/* s is "nvme" then digits and nothing else: the digits in *n */
static int parse_ctrl(const char *s, unsigned long *n)
{
	char *end;

	if (strncmp(s, "nvme", 4) || s[4] < '0' || s[4] > '9')
		return -EINVAL;
	*n = strtoul(s + 4, &end, 10);
	return *end ? -EINVAL : 0;
}

/* the number of decimal digits at s */
static size_t digits(const char *s)
{
	return strspn(s, "0123456789");
}

/*
 * An entry of a controller's directory that is one of its namespaces: a
 * child disk "nvme<I>n<Y>", where I is the controller's instance, or the
 * subsystem's when the kernel has native multipath (the kernel names it so
 * even for a namespace no other controller shares); or the hidden path
 * "nvme<S>c<C>n<Y>" of a multipath namespace, whose block device is the
 * subsystem's "nvme<S>n<Y>". The block device's name goes to disk.
 */
static int ns_disk(const char *e, char *disk, size_t len)
{
	const char *s, *y, *p;
	size_t ls, ly;

	if (strncmp(e, "nvme", 4))
		return -EINVAL;
	s = e + 4;
	ls = digits(s);
	p = s + ls;
	if (!ls)
		return -EINVAL;
	if (*p == 'c') {
		if (!digits(p + 1))
			return -EINVAL;
		p += 1 + digits(p + 1);
	}
	if (*p != 'n')
		return -EINVAL;
	y = p + 1;
	ly = digits(y);
	if (!ly || y[ly])
		return -EINVAL;
	if (snprintf(disk, len, "nvme%.*sn%s", (int)ls, s, y) >= (int)len)
		return -ERANGE;
	return 0;
}

/* dst = "a/b", or "a/b/c" when c is not NULL; -ENAMETOOLONG if too long */
static int path_of(char *dst, size_t len, const char *a, const char *b,
		   const char *c)
{
	int n = c ? snprintf(dst, len, "%s/%s/%s", a, b, c) :
		    snprintf(dst, len, "%s/%s", a, b);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* a sysfs attribute without its newline and padding; 0 or -errno */
static int read_attr(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	ret = n < 0 ? -errno : 0;
	close(fd);
	if (ret)
		return ret;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return 0;
}

/* its namespace ID; unreadable or not a number: 1 << 32, after the rest */
static uint64_t ns_id(const char *ctrl_dir, const char *entry)
{
	char path[PATH_MAX], attr[NVME_ATTR_LEN];

	if (path_of(path, sizeof(path), ctrl_dir, entry, "nsid") ||
	    read_attr(path, attr, sizeof(attr)) || !*attr ||
	    strspn(attr, "0123456789") != strlen(attr) || strlen(attr) > 10)
		return 1ULL << 32;
	return strtoull(attr, NULL, 10);
}

/*
 * The namespace of the controller at ctrl_dir with the lowest namespace
 * ID: its block device's name in disk (NAME_MAX + 1 bytes). -ENODEV if it
 * has none.
 */
static int first_ns(const char *root, const char *ctrl_dir, char *disk)
{
	char path[PATH_MAX], cand[NAME_MAX + 1];
	uint64_t nsid, best = 0;
	bool found = false;
	struct dirent *e;
	DIR *d;

	d = opendir(ctrl_dir);
	if (!d)
		return errno == ENOENT ? -ENODEV : -errno;
	while ((e = readdir(d))) {
		if (ns_disk(e->d_name, cand, sizeof(cand)))
			continue;
		/* a multipath path whose block device is not (or no longer) there */
		if (path_of(path, sizeof(path), root, "class/block", cand) ||
		    access(path, F_OK))
			continue;
		nsid = ns_id(ctrl_dir, e->d_name);
		if (!found || nsid < best ||
		    (nsid == best && strcmp(cand, disk) < 0)) {
			memcpy(disk, cand, sizeof(cand));
			best = nsid;
			found = true;
		}
	}
	closedir(d);
	return found ? 0 : -ENODEV;
}

P2PBUF_EXPORT int p2pbuf_nvme_blockdev(const char *sysfs_root,
				       const char *ctrl, char *dev,
				       size_t len, uint32_t *bdf)
{
	char class[PATH_MAX], dir[PATH_MAX], path[PATH_MAX];
	char want[NVME_ATTR_LEN], attr[NVME_ATTR_LEN], disk[NAME_MAX + 1];
	char name[NAME_MAX + 1];
	unsigned long n, best = 0;
	bool found = false;
	const char *key;
	struct dirent *e;
	uint32_t b;
	DIR *d;
	int ret;

	if (!ctrl || !*ctrl || !dev || !len)
		return -EINVAL;
	if (!sysfs_root)
		sysfs_root = "/sys";
	if (!p2pbuf_parse_bdf(ctrl, &b)) {
		key = "address";
		p2pbuf_format_bdf(b, want, sizeof(want));
	} else {
		/* a serial, as sysfs shows it once the padding is cut */
		key = "serial";
		if (strlen(ctrl) >= sizeof(want))
			return -ENODEV;
		memcpy(want, ctrl, strlen(ctrl) + 1);
	}
	ret = path_of(class, sizeof(class), sysfs_root, "class/nvme", NULL);
	if (ret)
		return ret;
	d = opendir(class);
	if (!d)
		return errno == ENOENT ? -ENODEV : -errno;
	/* with multipath, controllers share a serial: take the lowest instance */
	while ((e = readdir(d))) {
		if (parse_ctrl(e->d_name, &n) || (found && n >= best))
			continue;
		if (path_of(path, sizeof(path), class, e->d_name, key) ||
		    read_attr(path, attr, sizeof(attr)) || strcmp(attr, want))
			continue;
		best = n;
		memcpy(name, e->d_name, sizeof(name));
		found = true;
	}
	closedir(d);
	if (!found)
		return -ENODEV;
	ret = path_of(dir, sizeof(dir), class, name, NULL);
	if (!ret)
		ret = first_ns(sysfs_root, dir, disk);
	if (ret)
		return ret;
	if (strlen("/dev/") + strlen(disk) >= len)
		return -ERANGE;
	if (bdf) {
		if (path_of(path, sizeof(path), dir, "address", NULL) ||
		    read_attr(path, attr, sizeof(attr)) ||
		    p2pbuf_parse_bdf(attr, &b))
			b = P2PBUF_BDF_NONE;
		*bdf = b;
	}
	snprintf(dev, len, "/dev/%s", disk);
	return 0;
}
