/* test_dns_async - the resolver from threads and from a libevent loop */
#include "autoconfig.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>

#include "core/dns/dns.h"
#include "tests/integration/test_dns.h"

struct expect {
	const char *name;
	enum dns_type type;
	enum dns_status st;
	size_t n;
};

static const struct expect expects[] = {
	{ "a.rw.example", DNS_T_A, DNS_OK, 2 },
	{ "a.rw.example", DNS_T_AAAA, DNS_OK, 1 },
	{ "mx.rw.example", DNS_T_MX, DNS_OK, 2 },
	{ "txt.rw.example", DNS_T_TXT, DNS_OK, 1 },
	{ "nope.rw.example", DNS_T_A, DNS_NXDOMAIN, 0 },
	{ "a.rw.example", DNS_T_TXT, DNS_NODATA, 0 },
	{ "big.rw.example", DNS_T_TXT, DNS_OK, 6 },
	{ "1.2.0.192.in-addr.arpa", DNS_T_PTR, DNS_OK, 1 },
	{ "a..rw.example", DNS_T_A, DNS_NXDOMAIN, 0 },	/* no query sent */
};
#define N_EXPECTS (sizeof(expects) / sizeof(expects[0]))

struct got {
	int ran;
	enum dns_status st;
	size_t n;
	pthread_t thread;
	int *pending;
	struct dns_resolver *r;
	uint64_t cancel;	/* a query this callback cancels */
};

/* on_answer - record what came, in which thread */
static void on_answer(struct dns_answer *a, void *arg)
{
	struct got *g = arg;

	g->ran++;
	g->st = a->status;
	g->n = a->n;
	g->thread = pthread_self();
	if (g->cancel != 0)
		dns_cancel(g->r, g->cancel);
	if (g->pending != NULL)
		(*g->pending)--;
	dns_answer_free(&a);
}

/* on_guard - the bounded wait is over */
static void on_guard(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(int *)arg = 1;
}

/* run_loop - run base until *pending is 0 (NULL: never) or ms have passed */
static void run_loop(struct event_base *base, const int *pending, unsigned ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	int expired = 0;
	struct event *guard = evtimer_new(base, on_guard, &expired);

	evtimer_add(guard, &tv);
	while (!expired && (pending == NULL || *pending > 0))
		event_base_loop(base, EVLOOP_ONCE);
	event_free(guard);
}

/* sync_worker - rounds of synchronous queries; the number of wrong answers */
static void *sync_worker(void *arg)
{
	struct dns_resolver *r = arg;
	size_t i, bad = 0;

	for (i = 0; i < 4 * N_EXPECTS; i++) {
		const struct expect *e = &expects[i % N_EXPECTS];
		struct dns_answer *a = dns_query(r, e->name, e->type);

		bad += a->status != e->st || a->n != e->n;
		dns_answer_free(&a);
	}
	return (void *)bad;
}

/* test_threads - one resolver, synchronous queries from 4 threads at once */
void test_threads(void **state)
{
	struct dns_resolver *r = new_resolver(test_port, 5000, 0);
	pthread_t t[4];
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, sync_worker, r), 0);
	for (i = 0; i < 4; i++) {
		void *bad;

		assert_int_equal(pthread_join(t[i], &bad), 0);
		assert_int_equal((size_t)bad, 0);
	}
	dns_free(&r);
}

/* start_all - every expected query, async; ids distinct */
static void start_all(struct dns_resolver *r, struct got *got, int *pending)
{
	uint64_t ids[N_EXPECTS];
	size_t i, j;

	for (i = 0; i < N_EXPECTS; i++) {
		got[i].pending = pending;
		(*pending)++;
		ids[i] = dns_query_async(r, expects[i].name, expects[i].type, on_answer, &got[i]);
		assert_true(ids[i] > 0);
		for (j = 0; j < i; j++)
			assert_true(ids[j] != ids[i]);
	}
}

/* check_all - every callback ran once, on this thread, with the right answer */
static void check_all(const struct got *got)
{
	size_t i;

	for (i = 0; i < N_EXPECTS; i++) {
		print_message("%s/%d: %s\n", expects[i].name, (int)expects[i].type,
			      dns_status_name(got[i].st));
		assert_int_equal(got[i].ran, 1);
		assert_int_equal(got[i].st, expects[i].st);
		assert_int_equal(got[i].n, expects[i].n);
		assert_true(pthread_equal(got[i].thread, pthread_self()));
	}
}

/* test_async_many - concurrent queries on one event base */
void test_async_many(void **state)
{
	struct event_base *base = event_base_new();
	struct dns_resolver *r = new_resolver(test_port, 5000, 0);
	struct got got[N_EXPECTS];
	int pending = 0;

	(void)state;
	memset(got, 0, sizeof(got));
	assert_int_equal(dns_attach(r, base), 0);
	assert_int_equal(dns_attach(r, base), -1);
	start_all(r, got, &pending);
	run_loop(base, &pending, 10000);
	check_all(got);
	dns_free(&r);
	event_base_free(base);
}

/* test_async_cancel - cancelled callbacks never run, answered or not */
void test_async_cancel(void **state)
{
	struct event_base *base = event_base_new();
	struct dns_resolver *r = new_resolver(test_port, 3000, 0);
	struct dns_resolver *hole = new_resolver(test_hole, 300, 0);
	struct got cancelled = { 0 }, marker = { 0 }, dropped = { 0 }, lost = { 0 };
	int pending = 1;
	uint64_t id;

	(void)state;
	assert_int_equal(dns_attach(r, base), 0);
	assert_int_equal(dns_attach(hole, base), 0);
	id = dns_query_async(r, "txt.rw.example", DNS_T_TXT, on_answer, &cancelled);
	dns_cancel(r, id);
	dns_cancel(r, id);		/* twice: harmless */
	dns_cancel(r, id + 1000);	/* unknown: harmless */
	marker.pending = &pending;
	dns_query_async(r, "mx.rw.example", DNS_T_MX, on_answer, &marker);
	/* in flight at an upstream that never answers: no timeout callback either */
	id = dns_query_async(hole, "a.rw.example", DNS_T_A, on_answer, &dropped);
	dns_cancel(hole, id);
	dns_query_async(hole, "b.rw.example", DNS_T_A, on_answer, &lost);
	run_loop(base, &pending, 5000);
	assert_int_equal(marker.ran, 1);
	assert_int_equal(marker.st, DNS_OK);
	dns_free(&hole);	/* with "lost" pending: dropped, never called */
	run_loop(base, NULL, 600);
	assert_int_equal(cancelled.ran, 0);
	assert_int_equal(dropped.ran, 0);
	assert_int_equal(lost.ran, 0);
	dns_free(&r);
	event_base_free(base);
}

/* test_async_cancel_each_other - the first callback cancels the other query */
void test_async_cancel_each_other(void **state)
{
	struct event_base *base = event_base_new();
	struct dns_resolver *r = new_resolver(test_port, 3000, 0);
	size_t round;

	(void)state;
	assert_int_equal(dns_attach(r, base), 0);
	for (round = 0; round < 6; round++) {
		const struct expect *e1 = &expects[round % N_EXPECTS];
		const struct expect *e2 = &expects[(round + 1) % N_EXPECTS];
		struct got g1 = { 0 }, g2 = { 0 };
		int pending = 1;

		g1.pending = g2.pending = &pending;
		g1.r = g2.r = r;
		g2.cancel = dns_query_async(r, e1->name, e1->type, on_answer, &g1);
		g1.cancel = dns_query_async(r, e2->name, e2->type, on_answer, &g2);
		run_loop(base, &pending, 5000);
		run_loop(base, NULL, 200);
		assert_int_equal(g1.ran + g2.ran, 1);
	}
	dns_free(&r);
	event_base_free(base);
}

/* test_async_timeout - the per-query timer gives DNS_TIMEOUT, once */
void test_async_timeout(void **state)
{
	struct event_base *base = event_base_new();
	struct dns_resolver *r = new_resolver(test_hole, 300, 0);
	struct got g = { 0 };
	int pending = 1;

	(void)state;
	assert_int_equal(dns_attach(r, base), 0);
	g.pending = &pending;
	dns_query_async(r, "a.rw.example", DNS_T_TXT, on_answer, &g);
	run_loop(base, &pending, 5000);
	run_loop(base, NULL, 300);
	assert_int_equal(g.ran, 1);
	assert_int_equal(g.st, DNS_TIMEOUT);
	dns_free(&r);
	event_base_free(base);
}

/* test_async_mixed_threads - sync queries in a thread while the loop runs */
void test_async_mixed_threads(void **state)
{
	struct event_base *base = event_base_new();
	struct dns_resolver *r = new_resolver(test_port, 5000, 0);
	struct got got[3][N_EXPECTS];
	int pending = 0;
	pthread_t t;
	void *bad;
	size_t k;

	(void)state;
	memset(got, 0, sizeof(got));
	assert_int_equal(dns_attach(r, base), 0);
	assert_int_equal(pthread_create(&t, NULL, sync_worker, r), 0);
	for (k = 0; k < 3; k++) {
		start_all(r, got[k], &pending);
		run_loop(base, &pending, 10000);
		check_all(got[k]);
	}
	assert_int_equal(pthread_join(t, &bad), 0);
	assert_int_equal((size_t)bad, 0);
	dns_free(&r);
	event_base_free(base);
}
