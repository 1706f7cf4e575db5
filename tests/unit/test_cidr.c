/* test_cidr - IPv4/IPv6 network tables (core/cidr) */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/engine/cidr.h"

struct ip_case {
	const char *in;
	int ok;
	int family;
	const char *bytes;	/* expected address bytes, hex */
};

static const struct ip_case ip_cases[] = {
	{ "192.0.2.1", 1, 4, "c0000201" },
	{ "0.0.0.0", 1, 4, "00000000" },
	{ "255.255.255.255", 1, 4, "ffffffff" },
	{ "2001:db8::1", 1, 6, "20010db8000000000000000000000001" },
	{ "2001:DB8::1", 1, 6, "20010db8000000000000000000000001" },
	{ "[2001:db8::1]", 1, 6, "20010db8000000000000000000000001" },
	{ "::1", 1, 6, "00000000000000000000000000000001" },
	{ "::", 1, 6, "00000000000000000000000000000000" },
	/* IPv4-mapped IPv6 clients are IPv4 */
	{ "::ffff:192.0.2.1", 1, 4, "c0000201" },
	{ "::FFFF:c000:0201", 1, 4, "c0000201" },
	{ "[::ffff:192.0.2.1]", 1, 4, "c0000201" },
	/* IPv4-compatible (deprecated) and NAT64 are not mapped */
	{ "::192.0.2.1", 1, 6, "000000000000000000000000c0000201" },
	{ "64:ff9b::192.0.2.1", 1, 6, "0064ff9b0000000000000000c0000201" },
	/* garbage */
	{ "", 0, 0, NULL },
	{ "192.0.2", 0, 0, NULL },
	{ "192.0.2.256", 0, 0, NULL },
	{ "192.0.2.1 ", 0, 0, NULL },
	{ " 192.0.2.1", 0, 0, NULL },
	{ "192.0.2.1/32", 0, 0, NULL },
	{ "[192.0.2.1]", 0, 0, NULL },
	{ "[2001:db8::1", 0, 0, NULL },
	{ "2001:db8::1]", 0, 0, NULL },
	{ "[]", 0, 0, NULL },
	{ "2001:db8:::1", 0, 0, NULL },
	{ "fe80::1%eth0", 0, 0, NULL },
	{ "example.test", 0, 0, NULL },
	{ "unknown", 0, 0, NULL },
};

/* hexval - one hex digit */
static unsigned hexval(char c)
{
	return (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
}

/* test_parse_ip - client address parsing */
static void test_parse_ip(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ip_cases) / sizeof(ip_cases[0]); i++) {
		const struct ip_case *c = &ip_cases[i];
		struct rw_ip ip;
		int r = cidr_parse_ip(c->in, &ip);

		if ((r == 0) != c->ok)
			fail_msg("'%s': result %d, want %s", c->in, r, c->ok ? "ok" : "error");
		if (!c->ok)
			continue;
		if (ip.family != c->family)
			fail_msg("'%s': family %d, want %d", c->in, ip.family, c->family);
		for (size_t k = 0; k < 16; k++) {
			unsigned want = 0;

			if (2 * k < strlen(c->bytes))
				want = hexval(c->bytes[2 * k]) << 4 | hexval(c->bytes[2 * k + 1]);
			if (ip.b[k] != want)
				fail_msg("'%s': byte %zu is %02x, want %02x", c->in, k, ip.b[k], want);
		}
	}
}

struct pat_case {
	const char *pattern;
	const char *error;	/* NULL: accepted */
};

static const struct pat_case pat_cases[] = {
	{ "192.0.2.0/24", NULL },
	{ "192.0.2.1", NULL },
	{ "192.0.2.1/32", NULL },
	{ "0.0.0.0/0", NULL },
	{ "2001:db8::/32", NULL },
	{ "[2001:db8::]/32", NULL },
	{ "[2001:db8::1]", NULL },
	{ "::1", NULL },
	{ "::/0", NULL },
	{ "2001:db8::1/128", NULL },
	{ "::ffff:192.0.2.0/120", NULL },
	{ "192.0.2.0/024", NULL },
	/* host bits beyond the prefix */
	{ "192.0.2.1/24", "non-null host address bits" },
	{ "192.0.2.128/24", "non-null host address bits" },
	{ "192.0.2.0/0", "non-null host address bits" },
	{ "2001:db8::1/64", "non-null host address bits" },
	{ "2001:db8:8000::/32", "non-null host address bits" },
	{ "::1/0", "non-null host address bits" },
	{ "10.0.0.1/31", "non-null host address bits" },
	/* bad prefixes */
	{ "192.0.2.0/33", "prefix length out of range" },
	{ "2001:db8::/129", "prefix length out of range" },
	{ "192.0.2.0/999", "prefix length out of range" },
	{ "192.0.2.0/-1", "bad prefix length" },
	{ "192.0.2.0/abc", "bad prefix length" },
	{ "192.0.2.0/", "bad prefix length" },
	{ "192.0.2.0/+24", "bad prefix length" },
	{ "192.0.2.0/24 ", "bad prefix length" },
	{ "192.0.2.0/0024", "bad prefix length" },
	{ "192.0.2.0/24/24", "bad prefix length" },
	{ "2001:db8::/1280", "bad prefix length" },
	/* bad addresses */
	{ "", "empty network pattern" },
	{ "/24", "bad network address" },
	{ "192.0.2/24", "bad network address" },
	{ "192.0.2.0.0/24", "bad network address" },
	{ "[192.0.2.0]/24", "bad network address" },
	{ "[2001:db8::/32", "bad network address" },
	{ "[2001:db8::/32]", "bad network address" },
	{ "2001:db8::]/32", "bad network address" },
	{ " 192.0.2.0/24", "bad network address" },
	{ "example.test", "bad network address" },
	{ "192.0.2.*", "bad network address" },
};

/* test_add - pattern syntax, one table row at a time */
static void test_add(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(pat_cases) / sizeof(pat_cases[0]); i++) {
		const struct pat_case *c = &pat_cases[i];
		struct cidr_table *t = cidr_table_new();
		const char *err = NULL;
		int r = cidr_table_add(t, c->pattern, &err);

		if (c->error == NULL && r != 0)
			fail_msg("'%s': refused: %s", c->pattern, err);
		if (c->error != NULL && r != -1)
			fail_msg("'%s': accepted, want '%s'", c->pattern, c->error);
		if (c->error != NULL && (err == NULL || strcmp(err, c->error) != 0))
			fail_msg("'%s': error '%s', want '%s'", c->pattern, err, c->error);
		assert_int_equal(cidr_table_size(t), c->error == NULL ? 1 : 0);
		cidr_table_free(&t);
		assert_null(t);
	}
}

struct match_case {
	const char *client;
	const char *pattern;	/* the first matching pattern, NULL: none */
};

/* check_matches - build a table from patterns and check every client */
static void check_matches(const char *const *patterns, const struct match_case *cases,
			  size_t n)
{
	struct cidr_table *t = cidr_table_new();
	const char *err;
	size_t np = 0;

	for (; patterns[np] != NULL; np++)
		if (cidr_table_add(t, patterns[np], &err) != 0)
			fail_msg("'%s': %s", patterns[np], err);
	assert_int_equal(cidr_table_size(t), np);
	for (size_t i = 0; i < n; i++) {
		struct rw_ip ip;
		const char *hit = "(untouched)";
		int r;

		if (cidr_parse_ip(cases[i].client, &ip) != 0)
			fail_msg("client '%s' does not parse", cases[i].client);
		r = cidr_table_match(t, &ip, &hit);
		if (cases[i].pattern == NULL && r != 0)
			fail_msg("'%s' matched '%s', want no match", cases[i].client, hit);
		if (cases[i].pattern != NULL && (r != 1 || strcmp(hit, cases[i].pattern) != 0))
			fail_msg("'%s' matched %d '%s', want '%s'", cases[i].client, r, hit,
				 cases[i].pattern);
	}
	cidr_table_free(&t);
}

/* test_match_order - first match in insertion order, pattern as written */
static void test_match_order(void **state)
{
	static const char *const patterns[] = {
		"192.0.2.128/25", "192.0.2.0/24", "198.51.100.7", "[2001:DB8::]/32",
		"2001:db8:1::/48", "::1", "10.0.0.0/8", NULL,
	};
	static const struct match_case cases[] = {
		{ "192.0.2.200", "192.0.2.128/25" },
		{ "192.0.2.128", "192.0.2.128/25" },
		{ "192.0.2.127", "192.0.2.0/24" },
		{ "192.0.2.0", "192.0.2.0/24" },
		{ "192.0.3.0", NULL },
		{ "192.0.1.255", NULL },
		{ "198.51.100.7", "198.51.100.7" },
		{ "198.51.100.8", NULL },
		{ "198.51.100.6", NULL },
		{ "2001:db8:1::5", "[2001:DB8::]/32" },
		{ "2001:db8:ffff::1", "[2001:DB8::]/32" },
		{ "2001:db9::1", NULL },
		{ "::1", "::1" },
		{ "::2", NULL },
		{ "10.255.255.255", "10.0.0.0/8" },
		{ "11.0.0.0", NULL },
		/* mapped clients match IPv4 entries */
		{ "::ffff:192.0.2.1", "192.0.2.0/24" },
		{ "::ffff:10.1.2.3", "10.0.0.0/8" },
		{ "::ffff:198.51.100.8", NULL },
		/* an IPv4-compatible address is IPv6: no IPv4 entry applies */
		{ "::10.1.2.3", NULL },
	};

	(void)state;
	check_matches(patterns, cases, sizeof(cases) / sizeof(cases[0]));
}

/* test_family_separation - v4 clients never match v6 entries and back */
static void test_family_separation(void **state)
{
	static const char *const v6_only[] = { "::/0", "::/80", NULL };
	static const struct match_case v6_cases[] = {
		{ "192.0.2.1", NULL },
		{ "0.0.0.0", NULL },
		{ "::ffff:192.0.2.1", NULL },
		{ "2001:db8::1", "::/0" },
		{ "::", "::/0" },
	};
	static const char *const v4_only[] = { "0.0.0.0/0", NULL };
	static const struct match_case v4_cases[] = {
		{ "192.0.2.1", "0.0.0.0/0" },
		{ "255.255.255.255", "0.0.0.0/0" },
		{ "::ffff:192.0.2.1", "0.0.0.0/0" },
		{ "2001:db8::1", NULL },
		{ "::", NULL },
		{ "::1", NULL },
	};

	(void)state;
	check_matches(v6_only, v6_cases, sizeof(v6_cases) / sizeof(v6_cases[0]));
	check_matches(v4_only, v4_cases, sizeof(v4_cases) / sizeof(v4_cases[0]));
}

/* test_host_prefixes - /32 and /128 match one address only */
static void test_host_prefixes(void **state)
{
	static const char *const patterns[] = {
		"203.0.113.9/32", "2001:db8::9/128", "2001:db8::a", NULL,
	};
	static const struct match_case cases[] = {
		{ "203.0.113.9", "203.0.113.9/32" },
		{ "203.0.113.8", NULL },
		{ "203.0.113.10", NULL },
		{ "2001:db8::9", "2001:db8::9/128" },
		{ "2001:db8::8", NULL },
		{ "2001:db8::a", "2001:db8::a" },
		{ "2001:db8::b", NULL },
		{ "3001:db8::9", NULL },
	};

	(void)state;
	check_matches(patterns, cases, sizeof(cases) / sizeof(cases[0]));
}

/* test_odd_prefixes - prefixes that do not fall on byte boundaries */
static void test_odd_prefixes(void **state)
{
	static const char *const patterns[] = {
		"192.0.2.96/27", "172.16.0.0/12", "2001:db8:0:8000::/49", "0.0.0.0/1", NULL,
	};
	static const struct match_case cases[] = {
		{ "192.0.2.96", "192.0.2.96/27" },
		{ "192.0.2.127", "192.0.2.96/27" },
		{ "192.0.2.128", NULL },
		{ "192.0.2.95", NULL },
		{ "172.31.255.255", "172.16.0.0/12" },
		{ "172.32.0.0", NULL },
		{ "2001:db8:0:8000::1", "2001:db8:0:8000::/49" },
		{ "2001:db8:0:ffff::1", "2001:db8:0:8000::/49" },
		{ "2001:db8:0:7fff::1", NULL },
		{ "127.255.255.255", "0.0.0.0/1" },
		{ "128.0.0.0", NULL },
	};

	(void)state;
	check_matches(patterns, cases, sizeof(cases) / sizeof(cases[0]));
}

/* test_mapped_pattern - ::ffff:a.b.c.d/96+ patterns hold IPv4 networks */
static void test_mapped_pattern(void **state)
{
	static const char *const patterns[] = { "::ffff:192.0.2.0/120", NULL };
	static const struct match_case cases[] = {
		{ "192.0.2.77", "::ffff:192.0.2.0/120" },
		{ "::ffff:192.0.2.77", "::ffff:192.0.2.0/120" },
		{ "192.0.3.77", NULL },
	};

	(void)state;
	check_matches(patterns, cases, sizeof(cases) / sizeof(cases[0]));
}

/* test_match_unparsed_mapped - a hand-built mapped address still matches v4 */
static void test_match_unparsed_mapped(void **state)
{
	struct cidr_table *t = cidr_table_new();
	struct rw_ip ip = { 6, { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1 } };
	const char *err, *hit = NULL;

	(void)state;
	assert_int_equal(cidr_table_add(t, "192.0.2.0/24", &err), 0);
	assert_int_equal(cidr_table_match(t, &ip, &hit), 1);
	assert_string_equal(hit, "192.0.2.0/24");
	assert_int_equal(cidr_table_match(t, &ip, NULL), 1);
	cidr_table_free(&t);
}

/* test_empty_and_free - an empty table matches nothing; free clears */
static void test_empty_and_free(void **state)
{
	struct cidr_table *t = cidr_table_new();
	struct rw_ip ip;
	const char *hit = "untouched", *err;

	(void)state;
	assert_int_equal(cidr_parse_ip("192.0.2.1", &ip), 0);
	assert_int_equal(cidr_table_size(t), 0);
	assert_int_equal(cidr_table_match(t, &ip, &hit), 0);
	assert_string_equal(hit, "untouched");
	/* a refused pattern leaves the table as it was */
	assert_int_equal(cidr_table_add(t, "192.0.2.1/24", &err), -1);
	assert_int_equal(cidr_table_size(t), 0);
	/* many entries: growth keeps order and texts */
	for (int i = 0; i < 100; i++)
		assert_int_equal(cidr_table_add(t, i % 2 ? "2001:db8::/32" : "10.0.0.0/8", &err),
				 0);
	assert_int_equal(cidr_table_size(t), 100);
	assert_int_equal(cidr_table_match(t, &ip, &hit), 0);
	cidr_table_free(&t);
	assert_null(t);
	cidr_table_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ip),
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_match_order),
		cmocka_unit_test(test_family_separation),
		cmocka_unit_test(test_host_prefixes),
		cmocka_unit_test(test_odd_prefixes),
		cmocka_unit_test(test_mapped_pattern),
		cmocka_unit_test(test_match_unparsed_mapped),
		cmocka_unit_test(test_empty_and_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
