/* test_domainset - local_domains / relay_domains sets (core/domainset) */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/util/buf.h"
#include "core/engine/domainset.h"

struct match_case {
	const char *domain;
	const char *entry;	/* NULL: no match */
};

/* check_matches - build a set and look every domain up */
static void check_matches(const char *const *entries, const struct match_case *cases, size_t n)
{
	struct domainset *ds = domainset_new();
	const char *err;

	for (size_t i = 0; entries[i] != NULL; i++)
		if (domainset_add(ds, entries[i], &err) != 0)
			fail_msg("'%s': %s", entries[i], err);
	for (size_t i = 0; i < n; i++) {
		const char *hit = domainset_match(ds, cases[i].domain);

		if (cases[i].entry == NULL && hit != NULL)
			fail_msg("'%s' matched '%s', want no match", cases[i].domain, hit);
		if (cases[i].entry != NULL && (hit == NULL || strcmp(hit, cases[i].entry) != 0))
			fail_msg("'%s' matched '%s', want '%s'", cases[i].domain,
				 hit ? hit : "(none)", cases[i].entry);
	}
	domainset_free(&ds);
	assert_null(ds);
}

/* test_exact_and_parent - "x" matches x only; ".x" matches subdomains only */
static void test_exact_and_parent(void **state)
{
	static const char *const entries[] = {
		"example.test", ".sub.example.org", "Mixed.Case.TEST.", ".Parent.Test.", NULL,
	};
	static const struct match_case cases[] = {
		{ "example.test", "example.test" },
		{ "a.example.test", NULL },
		{ "xexample.test", NULL },
		{ "example.test.evil", NULL },
		{ "test", NULL },
		{ "sub.example.org", NULL },
		{ "a.sub.example.org", ".sub.example.org" },
		{ "a.b.c.sub.example.org", ".sub.example.org" },
		{ "asub.example.org", NULL },
		{ "example.org", NULL },
		{ "mixed.case.test", "mixed.case.test" },
		{ "x.mixed.case.test", NULL },
		{ "parent.test", NULL },
		{ "www.parent.test", ".parent.test" },
		{ "", NULL },
		{ ".", NULL },
		{ ".parent.test", NULL },
		{ ".www.parent.test", NULL },
	};

	(void)state;
	check_matches(entries, cases, sizeof(cases) / sizeof(cases[0]));
}

/* test_both_forms - exact and parent entries for one domain together */
static void test_both_forms(void **state)
{
	static const char *const entries[] = {
		"example.test", ".example.test", ".a.example.test", "b.a.example.test", NULL,
	};
	static const struct match_case cases[] = {
		{ "example.test", "example.test" },
		{ "x.example.test", ".example.test" },
		{ "a.example.test", ".example.test" },
		/* the most specific entry wins */
		{ "c.a.example.test", ".a.example.test" },
		{ "b.a.example.test", "b.a.example.test" },
		{ "x.b.a.example.test", ".a.example.test" },
		{ "example.testx", NULL },
	};

	(void)state;
	check_matches(entries, cases, sizeof(cases) / sizeof(cases[0]));
}

struct add_case {
	const char *in;
	const char *error;	/* NULL: accepted */
};

static const struct add_case add_cases[] = {
	{ "example.test", NULL },
	{ "EXAMPLE.test.", NULL },
	{ ".example.test", NULL },
	{ "localhost", NULL },
	{ "xn--bcher-kva.example", NULL },
	{ "b\xc3\xbc" "cher.example", NULL },
	{ "a-b.example", NULL },
	{ "", "empty domain" },
	{ ".", "empty domain" },
	{ "..", "empty domain" },
	{ "...", "empty label in domain" },
	{ "a..b", "empty label in domain" },
	{ "example.test..", "empty label in domain" },
	{ "..example.test", "empty label in domain" },
	{ "exa mple.test", "bad character in domain" },
	{ " example.test", "bad character in domain" },
	{ "example.test ", "bad character in domain" },
	{ "user@example.test", "bad character in domain" },
	{ "@example.test", "bad character in domain" },
	{ "*.example.test", "bad character in domain" },
	{ "ex_ample.test", "bad character in domain" },
	{ "exa\tmple.test", "bad character in domain" },
	{ "[192.0.2.1]", "bad character in domain" },
};

/* test_add - entry syntax */
static void test_add(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(add_cases) / sizeof(add_cases[0]); i++) {
		const struct add_case *c = &add_cases[i];
		struct domainset *ds = domainset_new();
		const char *err = NULL;
		int r = domainset_add(ds, c->in, &err);

		if (c->error == NULL && r != 0)
			fail_msg("'%s': refused: %s", c->in, err);
		if (c->error != NULL && (r != -1 || err == NULL || strcmp(err, c->error) != 0))
			fail_msg("'%s': result %d error '%s', want '%s'", c->in, r,
				 err ? err : "(none)", c->error);
		assert_int_equal(domainset_size(ds), c->error ? 0 : 1);
		domainset_free(&ds);
	}
}

/* test_lengths - 255 octets pass, 256 do not; labels at most 63 */
static void test_lengths(void **state)
{
	struct domainset *ds = domainset_new();
	struct buf b = BUF_INIT, p = BUF_INIT;
	const char *err;

	(void)state;
	for (size_t i = 0; i < 255; i++)
		buf_putc(&b, i % 64 == 63 ? '.' : 'a');
	assert_int_equal(domainset_add(ds, b.data, &err), 0);
	assert_non_null(domainset_match(ds, b.data));
	buf_printf(&p, ".%s.", b.data);	/* parent form, trailing dot: still fine */
	assert_int_equal(domainset_add(ds, p.data, &err), 0);
	buf_putc(&b, 'a');
	assert_int_equal(domainset_add(ds, b.data, &err), -1);
	assert_string_equal(err, "domain too long");
	buf_truncate(&b, 0);
	for (size_t i = 0; i < 64; i++)
		buf_putc(&b, 'a');
	assert_int_equal(domainset_add(ds, b.data, &err), -1);
	assert_string_equal(err, "domain label too long");
	buf_truncate(&b, 63);
	assert_int_equal(domainset_add(ds, b.data, &err), 0);
	assert_int_equal(domainset_size(ds), 3);
	domainset_free(&ds);
	buf_release(&b);
	buf_release(&p);
}

/* test_duplicates - the same entry twice (any spelling) is stored once */
static void test_duplicates(void **state)
{
	struct domainset *ds = domainset_new();
	const char *err;

	(void)state;
	assert_int_equal(domainset_add(ds, "example.test", &err), 0);
	assert_int_equal(domainset_add(ds, "Example.Test.", &err), 0);
	assert_int_equal(domainset_add(ds, ".example.test", &err), 0);
	assert_int_equal(domainset_size(ds), 2);
	assert_string_equal(domainset_match(ds, "example.test"), "example.test");
	domainset_free(&ds);
}

/* test_many - growth keeps every entry reachable */
static void test_many(void **state)
{
	struct domainset *ds = domainset_new();
	struct buf b = BUF_INIT;
	const char *err;

	(void)state;
	assert_null(domainset_match(ds, "example.test"));
	for (unsigned i = 0; i < 5000; i++) {
		buf_truncate(&b, 0);
		buf_printf(&b, "%sd%u.example", i % 2 ? "." : "", i);
		assert_int_equal(domainset_add(ds, b.data, &err), 0);
	}
	assert_int_equal(domainset_size(ds), 5000);
	for (unsigned i = 0; i < 5000; i++) {
		const char *hit;

		buf_truncate(&b, 0);
		buf_printf(&b, "%sd%u.example", i % 2 ? "x." : "", i);
		hit = domainset_match(ds, b.data);
		if (hit == NULL)
			fail_msg("'%s' not found", b.data);
		assert_string_equal(hit + (i % 2), b.data + 2 * (i % 2));
		buf_truncate(&b, 0);
		buf_printf(&b, "%sd%u.example", i % 2 ? "" : "x.", i);
		if (domainset_match(ds, b.data) != NULL)
			fail_msg("'%s' found", b.data);
	}
	domainset_free(&ds);
	domainset_free(&ds);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_and_parent),
		cmocka_unit_test(test_both_forms),
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
