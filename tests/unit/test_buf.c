/* test_buf - growable buffer and string vector (core/buf, core/strvec) */
#include "autoconfig.h"

#include <setjmp.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <cmocka.h>

#include "core/util/buf.h"
#include "core/util/strvec.h"

/* check_invariants - len < cap and the NUL after the contents */
static void check_invariants(const struct buf *b)
{
	assert_non_null(b->data);
	assert_true(b->len < b->cap);
	assert_int_equal(b->data[b->len], '\0');
}

/* test_zeroed - a zeroed buffer is empty, readable and releasable */
static void test_zeroed(void **state)
{
	struct buf b = BUF_INIT, z;

	(void)state;
	memset(&z, 0, sizeof(z));
	assert_string_equal(buf_cstr(&b), "");
	assert_int_equal(b.len, 0);
	buf_release(&b);
	buf_release(&z);
	assert_null(z.data);
	assert_int_equal(z.len, 0);
	assert_int_equal(z.cap, 0);
	buf_truncate(&b, 0);
	assert_null(b.data);
}

/* test_append - appends accumulate; growth keeps earlier bytes */
static void test_append(void **state)
{
	struct buf b = BUF_INIT;
	char want[4096 + 1];

	(void)state;
	buf_append(&b, "", 0);
	check_invariants(&b);
	assert_int_equal(b.len, 0);
	for (size_t i = 0; i < 4096; i++) {
		want[i] = (char)('a' + i % 26);
		buf_putc(&b, want[i]);
		check_invariants(&b);
	}
	want[4096] = '\0';
	assert_int_equal(b.len, 4096);
	assert_string_equal(buf_cstr(&b), want);
	buf_truncate(&b, 0);
	buf_puts(&b, "hello");
	buf_append(&b, ", world!!", 7);
	buf_puts(&b, "");
	assert_string_equal(b.data, "hello, world");
	assert_int_equal(b.len, 12);
	buf_release(&b);
	assert_null(b.data);
}

/* test_large_append - one append much larger than the initial capacity */
static void test_large_append(void **state)
{
	struct buf b = BUF_INIT;
	size_t n = 100000;
	char *big = malloc(n);

	(void)state;
	assert_non_null(big);
	memset(big, 'x', n);
	buf_putc(&b, '<');
	buf_append(&b, big, n);
	buf_putc(&b, '>');
	check_invariants(&b);
	assert_int_equal(b.len, n + 2);
	assert_int_equal(b.data[0], '<');
	assert_int_equal(b.data[1], 'x');
	assert_int_equal(b.data[n], 'x');
	assert_int_equal(b.data[n + 1], '>');
	free(big);
	buf_release(&b);
}

/* test_embedded_nul - NULs are data, counted in len */
static void test_embedded_nul(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_append(&b, "a\0b", 3);
	buf_putc(&b, '\0');
	buf_putc(&b, 'c');
	check_invariants(&b);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.data, "a\0b\0c", 6);
	assert_int_equal(strlen(buf_cstr(&b)), 1);
	buf_printf(&b, "%c%s", 0, "d");
	assert_int_equal(b.len, 7);
	assert_memory_equal(b.data, "a\0b\0c\0d", 8);
	buf_release(&b);
}

struct fmt_case {
	const char *want;
	int width;
	const char *s;
	long n;
};

/* test_printf - formats append, and grow past the initial capacity */
static void test_printf(void **state)
{
	static const struct fmt_case cases[] = {
		{ "[x] 1", 0, "x", 1 },
		{ "[   ab] -42", 5, "ab", -42 },
		{ "[] 0", 0, "", 0 },
	};
	struct buf b = BUF_INIT;
	char *big;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_truncate(&b, 0);
		buf_printf(&b, "[%*s] %ld", cases[i].width, cases[i].s, cases[i].n);
		assert_string_equal(buf_cstr(&b), cases[i].want);
		assert_int_equal(b.len, strlen(cases[i].want));
	}
	buf_truncate(&b, 0);
	buf_puts(&b, "pre:");
	buf_printf(&b, "%0300d|%s", 7, "end");
	check_invariants(&b);
	assert_int_equal(b.len, 4 + 300 + 4);
	assert_memory_equal(b.data, "pre:000", 7);
	assert_string_equal(b.data + 4 + 299, "7|end");
	big = malloc(10001);
	assert_non_null(big);
	memset(big, 'q', 10000);
	big[10000] = '\0';
	buf_printf(&b, "%s", big);
	assert_int_equal(b.len, 308 + 10000);
	assert_int_equal(b.data[b.len - 1], 'q');
	free(big);
	buf_release(&b);
}

/* test_truncate - shortens; never lengthens */
static void test_truncate(void **state)
{
	struct buf b = BUF_INIT;
	size_t cap;

	(void)state;
	buf_puts(&b, "abcdef");
	cap = b.cap;
	buf_truncate(&b, 3);
	assert_int_equal(b.len, 3);
	assert_string_equal(b.data, "abc");
	buf_truncate(&b, 10);
	assert_int_equal(b.len, 3);
	assert_string_equal(b.data, "abc");
	buf_puts(&b, "XY");
	assert_string_equal(b.data, "abcXY");
	buf_truncate(&b, 0);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_cstr(&b), "");
	assert_int_equal(b.cap, cap);
	buf_release(&b);
}

/* test_detach - the caller owns the storage; the buffer is empty again */
static void test_detach(void **state)
{
	struct buf b = BUF_INIT;
	char *s;

	(void)state;
	s = buf_detach(&b);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
	buf_puts(&b, "kept");
	s = buf_detach(&b);
	assert_string_equal(s, "kept");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	buf_puts(&b, "new");
	assert_string_equal(buf_cstr(&b), "new");
	assert_string_equal(s, "kept");
	free(s);
	buf_release(&b);
}

/* vprintf_helper - buf_vprintf through a variadic wrapper */
static void __attribute__((format(printf, 2, 3))) vprintf_helper(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

/* test_vprintf - the va_list form */
static void test_vprintf(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	vprintf_helper(&b, "%s=%u", "n", 5u);
	vprintf_helper(&b, ";%s", "ok");
	assert_string_equal(buf_cstr(&b), "n=5;ok");
	buf_release(&b);
}

/* test_simple_formats - the conversions buf_vprintf formats itself give what snprintf gives */
static void test_simple_formats(void **state)
{
	static const char *const strs[] = { "", "a", "rule x: client 192.0.2.1", NULL };
	static const int ints[] = { 0, 1, -1, 42, INT_MAX, INT_MIN };
	static const long longs[] = { 0, -7, LONG_MAX, LONG_MIN };
	struct buf b = BUF_INIT;
	char want[512];

	(void)state;
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		for (size_t j = 0; j < sizeof(ints) / sizeof(ints[0]); j++) {
			const char *s = strs[i];

			buf_truncate(&b, 0);
			buf_printf(&b, "<%s> %d %u %c %%%s", s, ints[j], (unsigned)ints[j], 'q', "|");
			snprintf(want, sizeof(want), "<%s> %d %u %c %%%s", s != NULL ? s : "(null)",
				 ints[j], (unsigned)ints[j], 'q', "|");
			assert_string_equal(buf_cstr(&b), want);
			assert_int_equal(b.len, strlen(want));
		}
	}
	for (size_t i = 0; i < sizeof(longs) / sizeof(longs[0]); i++) {
		buf_truncate(&b, 0);
		buf_printf(&b, "%ld/%lu/%zu/%zd.", longs[i], (unsigned long)longs[i],
			   (size_t)longs[i], (ssize_t)longs[i]);
		snprintf(want, sizeof(want), "%ld/%lu/%zu/%zd.", longs[i], (unsigned long)longs[i],
			 (size_t)longs[i], (ssize_t)longs[i]);
		assert_string_equal(buf_cstr(&b), want);
	}
	buf_truncate(&b, 0);
	buf_printf(&b, "%s", "no conversions after");	/* and a trailing text */
	buf_printf(&b, " %x %5s %-3d|", 255u, "r", 4);	/* others through vsnprintf */
	assert_string_equal(buf_cstr(&b), "no conversions after ff     r 4  |");
	buf_release(&b);
}

/* test_strvec - copies, formats, growth, release */
static void test_strvec(void **state)
{
	struct strvec sv = STRVEC_INIT;
	char src[] = "mutable";

	(void)state;
	strvec_add(&sv, src);
	src[0] = 'M';
	assert_int_equal(sv.n, 1);
	assert_string_equal(sv.v[0], "mutable");
	assert_ptr_not_equal(sv.v[0], src);
	strvec_addf(&sv, "%s-%d", "n", 2);
	assert_string_equal(sv.v[1], "n-2");
	strvec_add(&sv, "");
	assert_string_equal(sv.v[2], "");
	for (int i = 0; i < 100; i++)
		strvec_addf(&sv, "item%d", i);
	assert_int_equal(sv.n, 103);
	assert_true(sv.cap >= sv.n);
	assert_string_equal(sv.v[0], "mutable");
	assert_string_equal(sv.v[102], "item99");
	strvec_release(&sv);
	assert_null(sv.v);
	assert_int_equal(sv.n, 0);
	assert_int_equal(sv.cap, 0);
	strvec_release(&sv);
	strvec_add(&sv, "again");
	assert_int_equal(sv.n, 1);
	strvec_release(&sv);
}

/* test_u64 - decimal text of 64-bit values, appended or standalone */
/* BUF_LIT gives a literal's bytes and length, embedded NUL and escapes included */
static void test_lit(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_append(&b, BUF_LIT("},\"a\":"));
	buf_append(&b, BUF_LIT("x\0y"));
	assert_int_equal(b.len, 9);
	assert_memory_equal(b.data, "},\"a\":x\0y", 9);
	assert_int_equal(BUF_LIT_LEN("unix:"), 5);
	assert_int_equal(BUF_LIT_LEN(""), 0);
	assert_int_equal(strncmp("unix:/run/x", BUF_LIT("unix:")), 0);
	buf_release(&b);
}

static void test_u64(void **state)
{
	char d[BUF_U64_SIZE];
	struct buf b = BUF_INIT;

	(void)state;
	assert_string_equal(buf_u64_text(0, d), "0");
	assert_string_equal(buf_u64_text(10, d), "10");
	assert_string_equal(buf_u64_text(UINT64_MAX, d), "18446744073709551615");
	buf_puts(&b, "n=");
	buf_put_u64(&b, 4096);
	buf_put_u64(&b, 7);
	assert_string_equal(buf_cstr(&b), "n=40967");
	assert_int_equal(b.len, 7);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64),
		cmocka_unit_test(test_lit),
		cmocka_unit_test(test_zeroed),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_large_append),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_printf),
		cmocka_unit_test(test_truncate),
		cmocka_unit_test(test_detach),
		cmocka_unit_test(test_vprintf),
		cmocka_unit_test(test_simple_formats),
		cmocka_unit_test(test_strvec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
