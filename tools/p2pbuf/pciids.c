// SPDX-License-Identifier: GPL-2.0
/*
 * Device names from the PCI ID database (pci.ids, as Debian's pci.ids
 * package and hwdata install it), read without libpci: a vendor line is
 * "vvvv  Name" at the start of a line, its devices follow as
 * "\tdddd  Name"; subsystem lines ("\t\t...") and the class list at the end
 * ("C cc  Name") are skipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p2pbuf.h"

#define PCI_IDS_MAX	(16 << 20)	/* today's file is 1.4 MB */

static char *slurp(const char *path)
{
	size_t len = 0, n;
	char *buf;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return NULL;
	buf = malloc(PCI_IDS_MAX + 1);
	if (buf) {
		while (len < PCI_IDS_MAX &&
		       (n = fread(buf + len, 1, PCI_IDS_MAX - len, f)) > 0)
			len += n;
		buf[len] = '\0';
	}
	fclose(f);
	return buf;
}

/*
 * The database's text, or NULL when none is installed: $P2PBUF_PCI_IDS
 * when set (empty: none), else the paths Debian and Fedora use.
 */
char *pci_ids_load(void)
{
	static const char *const paths[] = {
		"/usr/share/misc/pci.ids",
		"/usr/share/hwdata/pci.ids",
	};
	const char *env = getenv("P2PBUF_PCI_IDS");
	size_t i;
	char *t;

	if (env)
		return env[0] ? slurp(env) : NULL;
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		t = slurp(paths[i]);
		if (t)
			return t;
	}
	return NULL;
}

/* the text of the line at p, up to its end, into buf */
static void line_text(const char *p, char *buf, size_t len)
{
	size_t n = strcspn(p, "\n");

	if (n >= len)
		n = len - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
}

/* "Vendor Device" for vendor << 16 | device; "" when unknown */
void pci_ids_name(const char *ids, uint32_t vendor_device, char *buf,
		  size_t len)
{
	char key[8], vname[96] = "", dname[96] = "";
	const char *p;

	buf[0] = '\0';
	if (!ids)
		return;
	snprintf(key, sizeof(key), "%04x  ", vendor_device >> 16);
	for (p = ids; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, 6))
			break;
	if (!p)
		return;
	line_text(p + 6, vname, sizeof(vname));
	snprintf(key, sizeof(key), "\t%04x ", vendor_device & 0xffff);
	/* the vendor's block: device, subsystem and comment lines */
	for (p = strchr(p, '\n'); p && (p[1] == '\t' || p[1] == '#');
	     p = strchr(p + 1, '\n')) {
		if (!strncmp(p + 1, key, 6)) {
			line_text(p + 7 + strspn(p + 7, " "), dname, sizeof(dname));
			break;
		}
	}
	snprintf(buf, len, "%s%s%s", vname, dname[0] ? " " : "", dname);
}
