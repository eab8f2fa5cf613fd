// SPDX-License-Identifier: GPL-2.0
/*
 * The p2pbuf command's JSON writer (TAP): bytes that are not UTF-8 become
 * \ufffd, valid UTF-8 passes, control bytes are escaped, and nesting past
 * JSON_MAX_DEPTH gives null in place of the container, with balanced
 * brackets and no write past the writer's state.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "../json.h"
#include "../../../lib/libp2pbuf/tests/tap.h"

static char *str_json(const char *v)
{
	struct json j;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	j_init(&j, f);
	j_str(&j, NULL, v);
	fclose(f);
	return buf;
}

static void str_case(const char *in, const char *want, const char *what)
{
	char *out = str_json(in);

	tap_ok(out && !strcmp(out, want), "%s: %s (want %s)", what, out, want);
	free(out);
}

int main(void)
{
	struct { struct json j; int canary[8]; } w;
	char *buf = NULL;
	size_t len = 0, i, open = 0, close_ = 0;
	FILE *f;
	int d, ok = 1;

	str_case("plain", "\"plain\"", "ASCII");
	str_case("a\"b\\c\nd\te\x7f", "\"a\\\"b\\\\c\\nd\\u0009e\\u007f\"",
		 "quotes, backslash and control bytes escaped");
	str_case("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		 "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
		 "valid 2-, 3- and 4-byte UTF-8 passes");
	str_case("a\xff" "b", "\"a\\ufffdb\"", "a stray 0xff");
	str_case("\xc0\xaf", "\"\\ufffd\\ufffd\"", "an overlong form");
	str_case("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"", "a surrogate");
	str_case("x\xe2\x82", "\"x\\ufffd\\ufffd\"", "a sequence cut by the end");
	str_case("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"",
		 "past U+10FFFF");

	memset(w.canary, 0x5a, sizeof(w.canary));
	f = open_memstream(&buf, &len);
	j_init(&w.j, f);
	for (d = 0; d < 40; d++)
		j_arr(&w.j, NULL);
	j_u64(&w.j, NULL, 1);
	for (d = 0; d < 40; d++)
		j_end(&w.j, ']');
	j_done(&w.j);
	fclose(f);
	for (i = 0; i < len; i++) {
		open += buf[i] == '[';
		close_ += buf[i] == ']';
	}
	for (i = 0; i < 8; i++)
		ok &= w.canary[i] == 0x5a5a5a5a;
	tap_ok(ok, "40 levels: nothing written past the writer's state");
	tap_ok(open == close_ && open < JSON_MAX_DEPTH && strstr(buf, "null"),
	       "40 levels: balanced (%zu/%zu), null in place of the deep part",
	       open, close_);
	tap_ok(w.j.truncated, "40 levels: truncation reported");
	free(buf);
	return tap_done();
}
