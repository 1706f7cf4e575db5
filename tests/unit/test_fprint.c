/* test_fprint - certificate / public-key fingerprints (core/fprint) */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/util/buf.h"
#include "core/engine/fprint.h"

/* pattern - n bytes b[i] = (seed + 37 i) mod 256 as hex, with sep between pairs */
static void pattern(struct buf *out, size_t n, unsigned seed, const char *sep, int upper)
{
	buf_truncate(out, 0);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_puts(out, sep);
		buf_printf(out, upper ? "%02X" : "%02x", (seed + 37 * (unsigned)i) & 0xff);
	}
}

/* check_bytes - fp holds the n bytes pattern() wrote */
static void check_bytes(const struct rw_fprint *fp, size_t n, unsigned seed)
{
	assert_int_equal(fp->len, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(fp->b[i], (seed + 37 * i) & 0xff);
}

struct len_case {
	size_t n;
	const char *alg;
};

static const struct len_case len_cases[] = {
	{ 16, "md5" }, { 20, "sha1" }, { 32, "sha256" }, { 64, "sha512" },
};

/* test_lengths - each digest in all four spellings, same bytes */
static void test_lengths(void **state)
{
	static const struct {
		const char *sep;
		int upper;
	} forms[] = { { ":", 1 }, { ":", 0 }, { "", 1 }, { "", 0 } };
	struct buf s = BUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(len_cases) / sizeof(len_cases[0]); i++) {
		for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
			struct rw_fprint fp;
			const char *err = NULL;

			pattern(&s, len_cases[i].n, 11, forms[f].sep, forms[f].upper);
			if (fprint_parse(s.data, &fp, &err) != 0)
				fail_msg("'%s': %s", s.data, err);
			check_bytes(&fp, len_cases[i].n, 11);
			assert_string_equal(fprint_alg(&fp), len_cases[i].alg);
		}
	}
	buf_release(&s);
}

/* test_mixed_case - upper and lower hex digits in one string */
static void test_mixed_case(void **state)
{
	struct rw_fprint a, b;
	const char *err;

	(void)state;
	assert_int_equal(fprint_parse("aBcDeF0123456789AbCdEf0123456789", &a, &err), 0);
	assert_int_equal(fprint_parse("ABCDEF0123456789ABCDEF0123456789", &b, &err), 0);
	assert_true(fprint_equal(&a, &b));
	assert_int_equal(a.b[0], 0xab);
	assert_int_equal(a.b[15], 0x89);
}

struct err_case {
	const char *in;
	const char *error;
};

static const struct err_case err_cases[] = {
	{ "", "empty fingerprint" },
	/* odd lengths and lengths of no known digest */
	{ "abc", "odd number of hex digits" },
	{ "0123456789abcdef0123456789abcde", "odd number of hex digits" },
	{ "00", "fingerprint length is not that of md5, sha1, sha256 or sha512" },
	{ "0123456789abcdef0123456789abcd", "fingerprint length is not that of md5, sha1, sha256 or sha512" },
	{ "0123456789abcdef0123456789abcdef00", "fingerprint length is not that of md5, sha1, sha256 or sha512" },
	{ "01:23", "fingerprint length is not that of md5, sha1, sha256 or sha512" },
	/* separators */
	{ "01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cdef", "misplaced ':' in fingerprint" },
	{ "0123:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23", "misplaced ':' in fingerprint" },
	{ ":01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:e", "misplaced ':' in fingerprint" },
	{ "01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:", "misplaced ':' in fingerprint" },
	{ "01:23:45:67:89:ab:cd:ef::01:23:45:67:89:ab:cd:e", "misplaced ':' in fingerprint" },
	{ "0:123:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef", "misplaced ':' in fingerprint" },
	/* right length (47) for 16 colon pairs, but only one ':' */
	{ "01:23456789abcdef23456789abcdef23456789abcdef01", "misplaced ':' in fingerprint" },
	{ "0123456789abcdef23456789abcdef23456789abcdef:01", "misplaced ':' in fingerprint" },
	{ "01-23-45-67-89-ab-cd-ef-01-23-45-67-89-ab-cd-ef", "non-hex character in fingerprint" },
	{ "01 23 45 67 89 ab cd ef 01 23 45 67 89 ab cd ef", "non-hex character in fingerprint" },
	/* non-hex */
	{ "0123456789abcdef0123456789abcdeg", "non-hex character in fingerprint" },
	{ "g123456789abcdef0123456789abcdef", "non-hex character in fingerprint" },
	{ "01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:eg", "non-hex character in fingerprint" },
	{ " 123456789abcdef0123456789abcdef", "non-hex character in fingerprint" },
	{ "0x23456789abcdef0123456789abcdef", "non-hex character in fingerprint" },
	{ "0123456789abcdef0123456789abcd\xc3\xa9", "non-hex character in fingerprint" },
};

/* test_errors - refused spellings, each with its message */
static void test_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		struct rw_fprint fp;
		const char *err = NULL;

		if (fprint_parse(err_cases[i].in, &fp, &err) != -1)
			fail_msg("'%s': accepted", err_cases[i].in);
		if (err == NULL || strcmp(err, err_cases[i].error) != 0)
			fail_msg("'%s': error '%s', want '%s'", err_cases[i].in, err,
				 err_cases[i].error);
	}
}

/* test_long_input - a huge string is refused by length, not decoded */
static void test_long_input(void **state)
{
	struct buf s = BUF_INIT;
	struct rw_fprint fp;
	const char *err;

	(void)state;
	pattern(&s, 4096, 1, "", 0);
	assert_int_equal(fprint_parse(s.data, &fp, &err), -1);
	pattern(&s, 65, 1, ":", 0);
	assert_int_equal(fprint_parse(s.data, &fp, &err), -1);
	buf_release(&s);
}

/* test_equal - equal across spellings, never across digests or bytes */
static void test_equal(void **state)
{
	struct buf s = BUF_INIT;
	struct rw_fprint colon, plain, other, sha1, sha256;
	const char *err;

	(void)state;
	pattern(&s, 16, 5, ":", 1);
	assert_int_equal(fprint_parse(s.data, &colon, &err), 0);
	pattern(&s, 16, 5, "", 0);
	assert_int_equal(fprint_parse(s.data, &plain, &err), 0);
	pattern(&s, 16, 6, "", 0);
	assert_int_equal(fprint_parse(s.data, &other, &err), 0);
	/* sha1 and sha256 that start with the md5's bytes */
	pattern(&s, 20, 5, "", 0);
	assert_int_equal(fprint_parse(s.data, &sha1, &err), 0);
	pattern(&s, 32, 5, ":", 0);
	assert_int_equal(fprint_parse(s.data, &sha256, &err), 0);
	assert_true(fprint_equal(&colon, &plain));
	assert_true(fprint_equal(&plain, &colon));
	assert_false(fprint_equal(&colon, &other));
	assert_false(fprint_equal(&colon, &sha1));
	assert_false(fprint_equal(&sha1, &colon));
	assert_false(fprint_equal(&sha1, &sha256));
	assert_true(fprint_equal(&sha256, &sha256));
	buf_release(&s);
}

/* test_format - canonical upper-case colon hex, and the round trip */
static void test_format(void **state)
{
	struct buf s = BUF_INIT, want = BUF_INIT;
	char out[FPRINT_MAX * 3];
	const char *err;

	(void)state;
	for (size_t i = 0; i < sizeof(len_cases) / sizeof(len_cases[0]); i++) {
		struct rw_fprint fp, back;

		pattern(&s, len_cases[i].n, 200, "", 0);
		assert_int_equal(fprint_parse(s.data, &fp, &err), 0);
		memset(out, 'Z', sizeof(out));
		fprint_format(&fp, out);
		pattern(&want, len_cases[i].n, 200, ":", 1);
		assert_string_equal(out, want.data);
		assert_int_equal(strlen(out), len_cases[i].n * 3 - 1);
		assert_int_equal(fprint_parse(out, &back, &err), 0);
		assert_true(fprint_equal(&fp, &back));
	}
	buf_release(&s);
	buf_release(&want);
}

/* test_format_known - a known SHA-1 value */
static void test_format_known(void **state)
{
	struct rw_fprint fp;
	char out[FPRINT_MAX * 3];
	const char *err;

	(void)state;
	assert_int_equal(fprint_parse("da39a3ee5e6b4b0d3255bfef95601890afd80709", &fp, &err), 0);
	fprint_format(&fp, out);
	assert_string_equal(out, "DA:39:A3:EE:5E:6B:4B:0D:32:55:BF:EF:95:60:18:90:AF:D8:07:09");
	assert_string_equal(fprint_alg(&fp), "sha1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_mixed_case),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_long_input),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_known),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
