/*
 * test_dns - core/dns/dns.c against a real unbound on loopback.
 *
 * Run by tests/integration/dns_resolver.sh, which serves the zone and
 * passes DNS_TEST_PORT (the server), DNS_TEST_HOLE (a port that never
 * answers), DNS_TEST_SERVFAIL (one that answers SERVFAIL) and DNS_TEST_SERVER_PID (to stop the server for the cache test).
 * Without them the program skips (exit 77).
 */
#include "autoconfig.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include <cmocka.h>
#include <event2/event.h>

#include "core/util/buf.h"
#include "core/dns/dns.h"
#include "core/util/strvec.h"
#include "tests/integration/test_dns.h"

unsigned test_port, test_hole, test_servfail;
static pid_t test_server_pid;

/* new_resolver - a resolver whose only upstream is 127.0.0.1@port */
struct dns_resolver *new_resolver(unsigned port, unsigned timeout_ms, int tcp_only)
{
	struct dns_config cfg = { STRVEC_INIT, timeout_ms, tcp_only };
	struct buf err = BUF_INIT;
	struct dns_resolver *r;

	strvec_addf(&cfg.upstreams, "127.0.0.1@%u", port);
	r = dns_new(&cfg, &err);
	if (r == NULL)
		fail_msg("dns_new: %s", buf_cstr(&err));
	strvec_release(&cfg.upstreams);
	buf_release(&err);
	return r;
}

/* ask - one synchronous query, status checked */
static struct dns_answer *ask(struct dns_resolver *r, const char *name, enum dns_type type,
			      enum dns_status want)
{
	struct dns_answer *a = dns_query(r, name, type);

	print_message("%s/%d: %s\n", name, (int)type, dns_status_name(a->status));
	assert_int_equal(a->status, want);
	assert_int_equal(a->type, type);
	if (want != DNS_OK)
		assert_int_equal(a->n, 0);
	return a;
}

/* test_addresses - A (two records, any order), AAAA, CNAME followed */
static void test_addresses(void **state)
{
	struct dns_resolver *r = new_resolver(test_port, 3000, 0);
	struct dns_answer *a = ask(r, "A.RW.example.", DNS_T_A, DNS_OK);
	unsigned seen = 0;
	size_t i;

	(void)state;
	assert_int_equal(a->n, 2);
	for (i = 0; i < 2; i++) {
		assert_int_equal(a->ip[i].family, 4);
		assert_memory_equal(a->ip[i].b, "\xc0\x00\x02", 3);
		seen |= 1u << a->ip[i].b[3];
	}
	assert_int_equal(seen, (1u << 1) | (1u << 2));
	dns_answer_free(&a);
	a = ask(r, "a.rw.example", DNS_T_AAAA, DNS_OK);
	assert_int_equal(a->n, 1);
	assert_int_equal(a->ip[0].family, 6);
	assert_memory_equal(a->ip[0].b, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	dns_answer_free(&a);
	a = ask(r, "alias.rw.example", DNS_T_A, DNS_OK);
	assert_int_equal(a->n, 2);
	dns_answer_free(&a);
	dns_free(&r);
	assert_null(r);
}

/* test_mx_ptr - names lower-cased, no trailing dot */
static void test_mx_ptr(void **state)
{
	struct dns_resolver *r = new_resolver(test_port, 3000, 0);
	struct dns_answer *a = ask(r, "mx.rw.example", DNS_T_MX, DNS_OK);
	size_t i, lo;

	(void)state;
	assert_int_equal(a->n, 2);
	lo = a->mx[0].pref == 10 ? 0 : 1;
	assert_int_equal(a->mx[lo].pref, 10);
	assert_string_equal(a->mx[lo].name, "mail.rw.example");
	assert_int_equal(a->mx[1 - lo].pref, 20);
	assert_string_equal(a->mx[1 - lo].name, "mx2.rw.example");
	dns_answer_free(&a);
	a = ask(r, "1.2.0.192.in-addr.arpa", DNS_T_PTR, DNS_OK);
	assert_int_equal(a->n, 1);
	assert_string_equal(a->name[0], "a.rw.example");
	dns_answer_free(&a);
	for (i = 0; i < 2; i++) {	/* nothing for MX: no data */
		a = ask(r, "a.rw.example", i ? DNS_T_MX : DNS_T_TXT, DNS_NODATA);
		dns_answer_free(&a);
	}
	dns_free(&r);
}

/* test_txt - strings apart, NUL kept as data, empty string kept */
static void test_txt(void **state)
{
	struct dns_resolver *r = new_resolver(test_port, 3000, 0);
	struct dns_answer *a = ask(r, "txt.rw.example", DNS_T_TXT, DNS_OK);

	(void)state;
	assert_int_equal(a->n, 1);
	assert_int_equal(a->txt[0].n, 2);
	assert_int_equal(a->txt[0].s[0].len, 7);
	assert_memory_equal(a->txt[0].s[0].data, "v=spf1 ", 7);
	assert_int_equal(a->txt[0].s[1].len, 21);
	assert_memory_equal(a->txt[0].s[1].data, "ip4:192.0.2.0/24 -all", 21);
	dns_answer_free(&a);
	a = ask(r, "nul.rw.example", DNS_T_TXT, DNS_OK);
	assert_int_equal(a->txt[0].n, 2);
	assert_int_equal(a->txt[0].s[0].len, 12);
	assert_memory_equal(a->txt[0].s[0].data, "v=spf1\0 -all", 12);
	assert_int_equal(a->txt[0].s[1].len, 0);
	dns_answer_free(&a);
	a = ask(r, "txt.rw.example", DNS_T_SPF, DNS_NODATA);
	dns_answer_free(&a);
	dns_free(&r);
}

/* check_big - the truncated-over-UDP answers arrived whole */
static void check_big(struct dns_resolver *r)
{
	struct dns_answer *a = ask(r, "big.rw.example", DNS_T_TXT, DNS_OK);
	unsigned seen = 0;
	size_t i, j;

	assert_int_equal(a->n, 6);
	for (i = 0; i < a->n; i++) {
		unsigned char c = a->txt[i].s[0].data[0];

		assert_int_equal(a->txt[i].n, 1);
		assert_int_equal(a->txt[i].s[0].len, 250);
		for (j = 0; j < 250; j++)
			assert_int_equal(a->txt[i].s[0].data[j], c);
		seen |= 1u << (c - 'a');
	}
	assert_int_equal(seen, 0x3f);
	dns_answer_free(&a);
	a = ask(r, "bigone.rw.example", DNS_T_TXT, DNS_OK);
	assert_int_equal(a->n, 1);
	assert_int_equal(a->txt[0].n, 5);
	for (i = 0; i < 5; i++) {
		assert_int_equal(a->txt[0].s[i].len, 255);
		assert_int_equal(a->txt[0].s[i].data[0], 'A' + i);
		assert_int_equal(a->txt[0].s[i].data[254], 'A' + i);
	}
	dns_answer_free(&a);
}

/* test_big_txt - over UDP (truncated, retried over TCP), then TCP only */
static void test_big_txt(void **state)
{
	struct dns_resolver *r = new_resolver(test_port, 5000, 0);
	struct dns_answer *a;

	(void)state;
	check_big(r);
	dns_free(&r);
	r = new_resolver(test_port, 5000, 1);
	check_big(r);
	a = ask(r, "a.rw.example", DNS_T_A, DNS_OK);
	dns_answer_free(&a);
	dns_free(&r);
}

/* test_failures - NXDOMAIN; SERVFAIL from the upstream; REFUSED */
static void test_failures(void **state)
{
	struct dns_resolver *r = new_resolver(test_port, 3000, 0);
	struct dns_answer *a = ask(r, "nope.rw.example", DNS_T_A, DNS_NXDOMAIN);

	(void)state;
	dns_answer_free(&a);
	a = ask(r, "x.refused.example", DNS_T_A, DNS_SERVFAIL);
	dns_answer_free(&a);
	dns_free(&r);
	r = new_resolver(test_servfail, 3000, 0);
	a = ask(r, "a.rw.example", DNS_T_TXT, DNS_SERVFAIL);
	dns_answer_free(&a);
	dns_free(&r);
}

/* test_bad_names - names that cannot exist are NXDOMAIN without a query */
static void test_bad_names(void **state)
{
	static const char *const bad[] = {
		"a..rw.example", "", ".",
		"x234567890123456789012345678901234567890123456789012345678901234.rw.example",
	};
	struct dns_resolver *r = new_resolver(test_hole, 3000, 0);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct dns_answer *a = ask(r, bad[i], DNS_T_TXT, DNS_NXDOMAIN);

		dns_answer_free(&a);
	}
	dns_free(&r);
}

/* test_timeout - an upstream that never answers: DNS_TIMEOUT, twice */
static void test_timeout(void **state)
{
	struct dns_resolver *r = new_resolver(test_hole, 400, 0);
	struct dns_answer *a = ask(r, "a.rw.example", DNS_T_A, DNS_TIMEOUT);

	(void)state;
	dns_answer_free(&a);
	a = dns_query(r, "b.rw.example", DNS_T_TXT);
	assert_true(a->status == DNS_TIMEOUT || a->status == DNS_SERVFAIL);
	dns_answer_free(&a);
	dns_free(&r);
}

/* test_query_timeout - a per-call timeout overrides the resolver's (budgets) */
static void test_query_timeout(void **state)
{
	struct dns_resolver *r = new_resolver(test_hole, 60000, 0);
	time_t start = time(NULL);
	struct dns_answer *a = dns_query_timeout(r, "a.rw.example", DNS_T_A, 300);

	(void)state;
	assert_int_equal(a->status, DNS_TIMEOUT);
	assert_true(time(NULL) - start < 30);	/* not the resolver's 60 s */
	dns_answer_free(&a);
	dns_free(&r);
}

/* test_cache - a cached answer comes back while the server is stopped */
static void test_cache(void **state)
{
	struct dns_resolver *r = new_resolver(test_port, 1000, 0);
	struct dns_answer *a = ask(r, "txt.rw.example", DNS_T_TXT, DNS_OK);
	struct dns_answer *b, *c;

	(void)state;
	dns_answer_free(&a);
	if (test_server_pid <= 0)
		skip();
	assert_int_equal(kill(test_server_pid, SIGSTOP), 0);
	b = dns_query(r, "txt.rw.example", DNS_T_TXT);
	c = dns_query(r, "mx.rw.example", DNS_T_MX);	/* not cached: no answer */
	kill(test_server_pid, SIGCONT);
	assert_int_equal(b->status, DNS_OK);
	assert_int_equal(b->txt[0].n, 2);
	assert_int_equal(c->status, DNS_TIMEOUT);
	dns_answer_free(&b);
	dns_answer_free(&c);
	dns_free(&r);
}

/* test_config_errors - bad upstreams refused with a message */
static void test_config_errors(void **state)
{
	static const char *const bad[] = {
		"127.0.0.1@", "127.0.0.1@0", "127.0.0.1@65536", "localhost",
		"1.2.3.4@53x", "::1@-1", "300.1.1.1",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct dns_config cfg = { STRVEC_INIT, 0, 0 };
		struct buf err = BUF_INIT;
		struct dns_resolver *r;

		strvec_add(&cfg.upstreams, "127.0.0.1@5353");
		strvec_add(&cfg.upstreams, bad[i]);
		r = dns_new(&cfg, &err);
		print_message("%s: %s\n", bad[i], buf_cstr(&err));
		assert_null(r);
		assert_non_null(strstr(buf_cstr(&err), "bad upstream"));
		strvec_release(&cfg.upstreams);
		buf_release(&err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_mx_ptr),
		cmocka_unit_test(test_txt),
		cmocka_unit_test(test_big_txt),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_query_timeout),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_async_many),
		cmocka_unit_test(test_async_cancel),
		cmocka_unit_test(test_async_cancel_each_other),
		cmocka_unit_test(test_async_timeout),
		cmocka_unit_test(test_async_mixed_threads),
	};
	const char *port = getenv("DNS_TEST_PORT"), *hole = getenv("DNS_TEST_HOLE");
	const char *pid = getenv("DNS_TEST_SERVER_PID");
	const char *servfail = getenv("DNS_TEST_SERVFAIL");

	if (port == NULL || hole == NULL || servfail == NULL) {
		fprintf(stderr, "test_dns: run by dns_resolver.sh (DNS_TEST_PORT unset)\n");
		return 77;
	}
	test_port = (unsigned)atoi(port);
	test_hole = (unsigned)atoi(hole);
	test_servfail = (unsigned)atoi(servfail);
	test_server_pid = pid ? (pid_t)atoi(pid) : 0;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
