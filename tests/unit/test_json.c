/* test_json - the audit record's JSON writer: escaping, UTF-8 validation, round trip */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/util/json.h"

static const struct {
	const char *in;		/* NULL: json null */
	const char *out;	/* exact JSON text */
	const char *back;	/* the string jansson reads back */
} cases[] = {
	{ NULL, "null", NULL },
	{ "", "\"\"", "" },
	{ "plain text", "\"plain text\"", "plain text" },
	{ "q\"b\\s", "\"q\\\"b\\\\s\"", "q\"b\\s" },
	{ "a\nb\rc\td\be\ff", "\"a\\nb\\rc\\td\\be\\ff\"", "a\nb\rc\td\be\ff" },
	{ "\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"", "\x01\x1f\x7f" },
	{ "caf\xc3\xa9", "\"caf\xc3\xa9\"", "caf\xc3\xa9" },			/* 2-byte */
	{ "\xe2\x82\xac", "\"\xe2\x82\xac\"", "\xe2\x82\xac" },			/* euro sign */
	{ "\xf0\x9f\x93\xa7", "\"\xf0\x9f\x93\xa7\"", "\xf0\x9f\x93\xa7" },	/* 4-byte */
	{ "al\xff\xfeice", "\"al??ice\"", "al??ice" },				/* invalid bytes */
	{ "\xc0\xaf", "\"??\"", "??" },						/* overlong '/' */
	{ "\xed\xa0\x80", "\"???\"", "???" },					/* surrogate */
	{ "\xf4\x90\x80\x80", "\"????\"", "????" },				/* > U+10FFFF */
	{ "trunc\xe2\x82", "\"trunc??\"", "trunc??" },				/* truncated */
	{ "\xc3", "\"?\"", "?" },
};

static void test_strings(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b = BUF_INIT;
		json_error_t err;
		json_t *j;

		json_str(&b, cases[i].in);
		if (strcmp(buf_cstr(&b), cases[i].out) != 0)
			fail_msg("case %zu: got %s want %s", i, buf_cstr(&b), cases[i].out);
		j = json_loadb(b.data, b.len, JSON_DECODE_ANY, &err);
		if (j == NULL)
			fail_msg("case %zu: not JSON: %s", i, err.text);
		if (cases[i].back == NULL)
			assert_true(json_is_null(j));
		else
			assert_string_equal(json_string_value(j), cases[i].back);
		json_decref(j);
		buf_release(&b);
	}
}

static void test_object(void **state)
{
	struct buf b = BUF_INIT;
	json_t *j;

	(void)state;
	buf_putc(&b, '{');
	json_key(&b, "n");
	json_uint(&b, 1234567890123ULL);
	buf_putc(&b, ',');
	json_key(&b, "t");
	json_bool(&b, 1);
	buf_putc(&b, ',');
	json_key(&b, "f");
	json_bool(&b, 0);
	buf_putc(&b, '}');
	assert_string_equal(buf_cstr(&b), "{\"n\":1234567890123,\"t\":true,\"f\":false}");
	j = json_loadb(b.data, b.len, 0, NULL);
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "t")));
	json_decref(j);
	buf_release(&b);
}

/*
 * every byte at every place of a long string (the 8-bytes-at-a-time scan
 * and its tail): written as the same byte alone between plain ones is
 */
static void test_every_byte_everywhere(void **state)
{
	static const char plain[] = "abcdefghijklmnopqrstu";	/* 21 bytes: two words and a tail */
	struct buf b = BUF_INIT, alone = BUF_INIT, want = BUF_INIT;

	(void)state;
	for (int c = 1; c < 0x100; c++) {
		char one[2] = { (char)c, '\0' };

		buf_truncate(&alone, 0);
		json_str(&alone, one);	/* "X" */
		for (size_t k = 0; k < sizeof(plain) - 1; k++) {
			char in[sizeof(plain)];

			memcpy(in, plain, sizeof(plain));
			in[k] = (char)c;
			buf_truncate(&b, 0);
			json_str(&b, in);
			buf_truncate(&want, 0);
			buf_putc(&want, '"');
			buf_append(&want, plain, k);
			buf_append(&want, alone.data + 1, alone.len - 2);
			buf_puts(&want, plain + k + 1);
			buf_putc(&want, '"');
			if (strcmp(buf_cstr(&b), buf_cstr(&want)) != 0)
				fail_msg("byte 0x%02x at %zu: %s, want %s", c, k, buf_cstr(&b),
					 buf_cstr(&want));
		}
	}
	/* valid UTF-8 across a word boundary is copied */
	buf_truncate(&b, 0);
	json_str(&b, "abcdef\xc3\xa9\xe2\x82\xacghijkl\xf0\x9f\x98\x80");
	assert_string_equal(buf_cstr(&b), "\"abcdef\xc3\xa9\xe2\x82\xacghijkl\xf0\x9f\x98\x80\"");
	buf_release(&b);
	buf_release(&alone);
	buf_release(&want);
}

/* every ASCII byte: printable ones but '"' and '\\' copied, the rest escaped */
static void test_every_ascii_byte(void **state)
{
	(void)state;
	for (int c = 1; c < 0x80; c++) {
		char in[4] = { 'a', (char)c, 'z', '\0' };
		struct buf b = BUF_INIT;
		int plain = c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
		json_t *j;

		json_str(&b, in);
		if (plain != (b.len == 5))
			fail_msg("byte 0x%02x: %s", c, buf_cstr(&b));
		j = json_loadb(b.data, b.len, JSON_DECODE_ANY, NULL);
		assert_non_null(j);
		assert_string_equal(json_string_value(j), in);
		json_decref(j);
		buf_release(&b);
	}
}

static void test_uint_bounds(void **state)
{
	static const struct {
		uint64_t v;
		const char *text;
	} t[] = { { 0, "0" }, { 9, "9" }, { 10, "10" }, { UINT64_MAX, "18446744073709551615" } };

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct buf b = BUF_INIT;

		buf_puts(&b, "x");
		json_uint(&b, t[i].v);
		assert_string_equal(buf_cstr(&b) + 1, t[i].text);
		buf_release(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_object),
		cmocka_unit_test(test_every_ascii_byte),
		cmocka_unit_test(test_every_byte_everywhere),
		cmocka_unit_test(test_uint_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
