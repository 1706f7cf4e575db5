/* test_dns_cache - the in-process answer cache: hits, TTL expiry, negative answers, bounds */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/dns/dns_cache.h"

/* one TXT rdata item: length-prefixed character-string */
static char txt_item[] = "\x0bv=spf1 -all";
static char *txt_data[] = { txt_item };
static int txt_len[] = { 12 };

static void test_hit_and_expiry(void **state)
{
	struct dns_cache *c = dns_cache_new();
	struct dns_answer *a;

	(void)state;
	assert_null(dns_cache_get(c, DNS_T_TXT, "example.test", 1000));
	dns_cache_put(c, DNS_T_TXT, "example.test", DNS_OK, txt_data, txt_len, 1, 60, 1000);
	a = dns_cache_get(c, DNS_T_TXT, "EXAMPLE.test", 1000 + 59999);	/* case-insensitive */
	assert_non_null(a);
	assert_int_equal(a->status, DNS_OK);
	assert_int_equal(a->n, 1);
	assert_int_equal(a->txt[0].n, 1);
	assert_int_equal(a->txt[0].s[0].len, 11);
	assert_memory_equal(a->txt[0].s[0].data, "v=spf1 -all", 11);
	dns_answer_free(&a);
	assert_null(dns_cache_get(c, DNS_T_A, "example.test", 2000));	/* other type */
	assert_null(dns_cache_get(c, DNS_T_TXT, "example.test", 1000 + 60000));	/* expired */
	assert_null(dns_cache_get(c, DNS_T_TXT, "example.test", 1000));	/* and gone */
	dns_cache_free(&c);
	assert_null(c);
}

static void test_negative_and_refused(void **state)
{
	struct dns_cache *c = dns_cache_new();
	struct dns_answer *a;

	(void)state;
	dns_cache_put(c, DNS_T_TXT, "nx.test", DNS_NXDOMAIN, NULL, NULL, 0, 86400, 0);
	a = dns_cache_get(c, DNS_T_TXT, "nx.test", 1000);
	assert_non_null(a);
	assert_int_equal(a->status, DNS_NXDOMAIN);
	dns_answer_free(&a);
	/* negative answers are capped at DNS_CACHE_NEG_TTL_S */
	assert_null(dns_cache_get(c, DNS_T_TXT, "nx.test", DNS_CACHE_NEG_TTL_S * 1000u));
	dns_cache_put(c, DNS_T_A, "nodata.test", DNS_NODATA, NULL, NULL, 0, 30, 0);
	a = dns_cache_get(c, DNS_T_A, "nodata.test", 10);
	assert_int_equal(a->status, DNS_NODATA);
	dns_answer_free(&a);
	/* failures and TTL 0 are never stored */
	dns_cache_put(c, DNS_T_A, "fail.test", DNS_SERVFAIL, NULL, NULL, 0, 30, 0);
	dns_cache_put(c, DNS_T_A, "slow.test", DNS_TIMEOUT, NULL, NULL, 0, 30, 0);
	dns_cache_put(c, DNS_T_TXT, "ttl0.test", DNS_OK, txt_data, txt_len, 1, 0, 0);
	assert_null(dns_cache_get(c, DNS_T_A, "fail.test", 1));
	assert_null(dns_cache_get(c, DNS_T_A, "slow.test", 1));
	assert_null(dns_cache_get(c, DNS_T_TXT, "ttl0.test", 1));
	dns_cache_free(&c);
}

static void test_bounded(void **state)
{
	struct dns_cache *c = dns_cache_new();
	char name[64];
	size_t hits = 0;

	(void)state;
	for (unsigned i = 0; i < 3 * DNS_CACHE_SLOTS; i++) {
		snprintf(name, sizeof(name), "n%u.test", i);
		dns_cache_put(c, DNS_T_TXT, name, DNS_OK, txt_data, txt_len, 1, 60, 0);
	}
	for (unsigned i = 0; i < 3 * DNS_CACHE_SLOTS; i++) {
		struct dns_answer *a;

		snprintf(name, sizeof(name), "n%u.test", i);
		if ((a = dns_cache_get(c, DNS_T_TXT, name, 1)) != NULL)
			hits++;
		dns_answer_free(&a);
	}
	assert_true(hits > 0 && hits <= DNS_CACHE_SLOTS);	/* at most one entry a slot */
	dns_cache_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_and_expiry),
		cmocka_unit_test(test_negative_and_refused),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
