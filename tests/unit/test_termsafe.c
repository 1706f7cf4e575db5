/*
 * test_termsafe - text from the network made safe for a terminal or a
 * table cell (cli/termsafe.c): C0, DEL, C1 (U+0085 NEL, U+009B CSI) and
 * bytes that are not well-formed UTF-8 become '?', the rest is kept.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "cli/termsafe.h"

static const struct {
	const char *in, *keep, *want;
} cases[] = {
	{ "plain text", "", "plain text" },
	{ "a\x1b[31mb", "", "a?[31mb" },
	{ "tab\there", "", "tab?here" },
	{ "tab\there", "\t", "tab\there" },
	{ "del\x7f", "", "del?" },
	{ "nel\xc2\x85x", "", "nel?x" },
	{ "csi\xc2\x9b[31m", "", "csi?[31m" },
	{ "nbsp\xc2\xa0\xc3\xa9", "", "nbsp\xc2\xa0\xc3\xa9" },
	{ "lone \x9b[2J", "", "lone ?[2J" },
	{ "cut \xe2\x82", "", "cut ??" },
	{ "emoji \xf0\x9f\x98\x80", "", "emoji \xf0\x9f\x98\x80" },
	{ "overlong \xc0\xaf", "", "overlong ??" },
	{ "surrogate \xed\xa0\x80", "", "surrogate ???" },
	{ "too high \xf4\x90\x80\x80", "", "too high ????" },
};

/* test_cases - every case of the table */
static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf out = BUF_INIT;

		termsafe_append(&out, cases[i].in, cases[i].keep);
		assert_string_equal(buf_cstr(&out), cases[i].want);
		buf_release(&out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
