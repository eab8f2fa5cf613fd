/* SPDX-License-Identifier: GPL-2.0 */
/* A streaming JSON writer: just enough for the p2pbuf command. */
#ifndef P2PBUF_JSON_H
#define P2PBUF_JSON_H
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH	16

/*
 * Nesting deeper than JSON_MAX_DEPTH writes null in place of the container
 * and drops what goes into it (truncated is set): the output stays valid.
 * Strings are written as UTF-8; a byte that is not valid UTF-8 becomes
 * U+FFFD.
 */
struct json {
	FILE *f;
	int depth;
	int first[JSON_MAX_DEPTH];
	int pending_key;
	int skip;	/* levels opened past JSON_MAX_DEPTH */
	int truncated;
};

void j_init(struct json *j, FILE *f);
void j_obj(struct json *j, const char *key);	/* key NULL inside arrays */
void j_arr(struct json *j, const char *key);
void j_end(struct json *j, char close);
void j_str(struct json *j, const char *key, const char *v);
void j_u64(struct json *j, const char *key, uint64_t v);
void j_i64(struct json *j, const char *key, int64_t v);
void j_bool(struct json *j, const char *key, int v);
void j_null(struct json *j, const char *key);
void j_done(struct json *j);
#endif
