/*
 * test_http - the request-head parser of policyd's metrics endpoint
 * (core/metrics/http.c http_parse_head): complete heads, heads still arriving,
 * and what is refused (no target path, a bad token, a space or control
 * byte in the target, not HTTP/1.x).
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "core/metrics/http.h"

struct head_case {
	const char *in;
	enum http_parse want;
	const char *method, *path;
};

static const struct head_case cases[] = {
	{ "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_PARSE_DONE, "GET", "/metrics" },
	{ "GET /health?verbose=1 HTTP/1.0\n\n", HTTP_PARSE_DONE, "GET", "/health" },
	{ "POST /metrics HTTP/1.1\r\n\r\n", HTTP_PARSE_DONE, "POST", "/metrics" },
	{ "GET /metrics HTTP/1.1\r\nHost:", HTTP_PARSE_MORE, NULL, NULL },
	{ "GET /metr", HTTP_PARSE_MORE, NULL, NULL },
	{ "", HTTP_PARSE_MORE, NULL, NULL },
	{ "\r\n\r\n", HTTP_PARSE_BAD, NULL, NULL },
	{ "GET metrics HTTP/1.1\r\n\r\n", HTTP_PARSE_BAD, NULL, NULL },
	{ "GET /a b HTTP/1.1\r\n\r\n", HTTP_PARSE_BAD, NULL, NULL },
	{ "G@T / HTTP/1.1\r\n\r\n", HTTP_PARSE_BAD, NULL, NULL },
	{ "GET /\x1b[31m HTTP/1.1\r\n\r\n", HTTP_PARSE_BAD, NULL, NULL },
	{ "GET / HTTP/2.0\r\n\r\n", HTTP_PARSE_BAD, NULL, NULL },
	{ "GET / HTTP/1.1 x\r\n\r\n", HTTP_PARSE_BAD, NULL, NULL },
	{ "GET /\r\n\r\n", HTTP_PARSE_BAD, NULL, NULL },
};

/* test_heads - every case of the table */
static void test_heads(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct http_head h = { BUF_INIT, BUF_INIT };
		enum http_parse st = http_parse_head(cases[i].in, strlen(cases[i].in), &h);

		if (st != cases[i].want)
			fail_msg("case %zu '%s': %d, want %d", i, cases[i].in, st, cases[i].want);
		if (st == HTTP_PARSE_DONE) {
			assert_string_equal(buf_cstr(&h.method), cases[i].method);
			assert_string_equal(buf_cstr(&h.path), cases[i].path);
		}
		buf_release(&h.method);
		buf_release(&h.path);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
