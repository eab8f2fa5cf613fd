// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "json.h"

void j_init(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->first[0] = 1;
}

static void indent(struct json *j)
{
	int i;

	for (i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

/*
 * Length of the valid UTF-8 sequence at s (1-4), or 0 when s does not start
 * one: no overlong forms, no surrogates, nothing past U+10FFFF.
 */
static int utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	int n, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;	/* also stops at the terminating NUL */
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

static void put_str(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', f);
	while (*s) {
		unsigned char c = *s;
		int n;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else if (c < 0x80)
			fputc(c, f);
		else if ((n = utf8_len(s))) {
			fwrite(s, 1, n, f);
			s += n;
			continue;
		} else {
			fputs("\\ufffd", f);	/* not UTF-8 (a sysfs label, a path) */
		}
		s++;
	}
	fputc('"', f);
}

static void item(struct json *j, const char *key)
{
	if (j->depth) {
		if (!j->first[j->depth])
			fputc(',', j->f);
		fputc('\n', j->f);
		indent(j);
	}
	j->first[j->depth] = 0;
	if (key) {
		put_str(j->f, key);
		fputs(": ", j->f);
	}
}

static void open_(struct json *j, const char *key, char c)
{
	if (j->skip) {
		j->skip++;
		return;
	}
	item(j, key);
	if (j->depth + 1 >= JSON_MAX_DEPTH) {
		/* too deep: null in its place, its contents dropped */
		fputs("null", j->f);
		j->skip = 1;
		j->truncated = 1;
		return;
	}
	fputc(c, j->f);
	j->depth++;
	j->first[j->depth] = 1;
}

void j_obj(struct json *j, const char *key)
{
	open_(j, key, '{');
}

void j_arr(struct json *j, const char *key)
{
	open_(j, key, '[');
}

void j_end(struct json *j, char close)
{
	int empty;

	if (j->skip) {
		j->skip--;
		return;
	}
	if (!j->depth)
		return;		/* unbalanced: nothing open */
	empty = j->first[j->depth];

	j->depth--;
	if (!empty) {
		fputc('\n', j->f);
		indent(j);
	}
	fputc(close, j->f);
}

void j_str(struct json *j, const char *key, const char *v)
{
	if (j->skip)
		return;
	item(j, key);
	put_str(j->f, v);
}

void j_u64(struct json *j, const char *key, uint64_t v)
{
	if (j->skip)
		return;
	item(j, key);
	fprintf(j->f, "%llu", (unsigned long long)v);
}

void j_i64(struct json *j, const char *key, int64_t v)
{
	if (j->skip)
		return;
	item(j, key);
	fprintf(j->f, "%lld", (long long)v);
}

void j_bool(struct json *j, const char *key, int v)
{
	if (j->skip)
		return;
	item(j, key);
	fputs(v ? "true" : "false", j->f);
}

void j_null(struct json *j, const char *key)
{
	if (j->skip)
		return;
	item(j, key);
	fputs("null", j->f);
}

void j_done(struct json *j)
{
	fputc('\n', j->f);
}
