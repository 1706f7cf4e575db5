/*
 * test_limit_client - the limit client's state machine (core/limit_client)
 * driven by a fake transport: a fake Redis with its own clock, a round
 * trip, and a switch that makes it fail (timeout) -- as the glue of policyd
 * and the milter drive it. Timeouts, breaker open/half-open/close, clock
 * offset and charge deadlines, the degraded flag and its log notes.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/limits/limit_client.h"
#include "core/limits/limits.h"

#define MS 1000ULL
#define T_MS 100		/* the transport's timeout */
#define T_US (T_MS * MS)
#define MARGIN_US (T_US * LIMIT_CLIENT_MARGIN_PCT / 100)

/* The fake transport: Redis's clock is ours plus skew; a command takes rtt. */
struct fake {
	uint64_t now;		/* our monotonic clock */
	int64_t skew;		/* Redis's TIME minus our monotonic clock */
	uint64_t rtt;
	int down;		/* every command times out */
	char notes[16][128];	/* the note lines, in order */
	int levels[16];
	size_t n_notes;
};

/* fake_note - the note callback: remember the line */
static void fake_note(void *arg, enum limit_note_level level, const char *line)
{
	struct fake *f = arg;

	if (f->n_notes >= 16)
		return;
	f->levels[f->n_notes] = (int)level;
	strncpy(f->notes[f->n_notes], line, sizeof(f->notes[0]) - 1);
	f->n_notes++;
}

/* fake_noted - a note starting with prefix was made, at level */
static int fake_noted(const struct fake *f, const char *prefix, enum limit_note_level level)
{
	for (size_t i = 0; i < f->n_notes; i++)
		if (strncmp(f->notes[i], prefix, strlen(prefix)) == 0 && f->levels[i] == (int)level)
			return 1;
	return 0;
}

/* fake_clock - send TIME; Redis reads its clock mid-way; the reply comes after rtt */
static void fake_clock(struct limit_client *lc, struct fake *f)
{
	uint64_t read_at = f->now + f->rtt / 2;

	limit_client_clock_sent(lc, f->now);
	if (f->down) {
		f->now += T_US;
		limit_client_clock_reply(lc, 0, 0, "timeout", f->now);
		return;
	}
	f->now += f->rtt;
	limit_client_clock_reply(lc, 1, (uint64_t)((int64_t)read_at + f->skew), NULL, f->now);
}

/* fake_request - one request as the sync glue runs it; the route it took in the end */
static enum limit_route fake_request(struct limit_client *lc, struct fake *f, int charge,
				     struct limit_ticket *t)
{
	enum limit_route route = limit_client_route(lc, charge, f->now, t);

	if (route == LIMIT_ROUTE_CLOCK) {
		fake_clock(lc, f);
		route = limit_client_resume(lc, t, f->now);
	}
	if (route != LIMIT_ROUTE_REDIS)
		return route;
	if (f->down) {
		f->now += T_US;
		limit_client_done(lc, 0, "timeout", f->now);
		return LIMIT_ROUTE_LOCAL;
	}
	f->now += f->rtt;
	limit_client_done(lc, 1, NULL, f->now);
	return LIMIT_ROUTE_REDIS;
}

/* The fixture: a client on Redis with the fake transport (skewed clock, 1 ms round trip). */
struct fx {
	struct fake f;
	struct limit_client lc;
	struct limit_ticket t;
};

/* fx_reset - the fixture as new */
static void fx_reset(struct fx *x)
{
	limit_client_release(&x->lc);
	memset(x, 0, sizeof(*x));
	x->f.now = 5000000;
	x->f.skew = 1700000000000000LL;
	x->f.rtt = 1 * MS;
	limit_client_init(&x->lc, 1, T_MS, fake_note, &x->f);
}

/* setup, teardown - cmocka's per-test fixture */
static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));

	fx_reset(x);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	limit_client_release(&x->lc);
	free(x);
	return 0;
}

/* test_no_redis - without Redis everything is local, nothing degraded */
static void test_no_redis(void **state)
{
	struct limit_client lc;
	struct limit_ticket t;
	struct rw_limit lim = { .name = "l", .kind = LIMIT_RATE, .mode = MODE_ENFORCE,
				.on_failure = FAIL_LOCAL, .local_share = 100 };
	struct limit_check chk = { .limit = &lim, .customer = "-", .dimension = "sasl_user",
				   .identity = "u", .unit = UNIT_MESSAGES, .cost = 1, .cap = 1,
				   .emission_us = 1000000, .tolerance_us = 1000000 };
	struct limit_plan plan = { .v = &chk, .n = 1, .charge = 1 };
	struct limit_result res = { .ok = 7 };

	(void)state;
	limit_client_init(&lc, 0, T_MS, NULL, NULL);
	assert_int_equal(limit_client_route(&lc, 1, 1, &t), LIMIT_ROUTE_LOCAL);
	assert_int_equal(limit_client_route(&lc, 0, 1, &t), LIMIT_ROUTE_LOCAL);
	assert_false(limit_client_clock_due(&lc, 1));
	assert_string_equal(limit_client_state(&lc), "local");
	assert_false(limit_client_degraded(&lc));
	limit_client_local(&lc, &plan, 1000000000, &res);
	assert_true(res.ok);
	assert_true(res.degraded);
	limit_client_local(&lc, &plan, 1000000000, &res);
	assert_false(res.ok);	/* the local store counts */
	limit_client_release(&lc);
}

/* test_peek_needs_no_clock - a peek goes at once, with no deadline */
static void test_peek_needs_no_clock(void **state)
{
	struct fx *x = *state;
	struct fake *f = &x->f;
	struct limit_client *lc = &x->lc;
	struct limit_ticket *t = &x->t;

	assert_int_equal(limit_client_route(lc, 0, f->now, t), LIMIT_ROUTE_REDIS);
	assert_int_equal(t->deadline_us, 0);
	assert_false(t->probe);
	assert_true(limit_client_clock_due(lc, f->now));
}

/* test_charge_waits_for_clock - no charge leaves before Redis's clock is known */
static void test_charge_waits_for_clock(void **state)
{
	struct fx *x = *state;
	struct fake *f = &x->f;
	struct limit_client *lc = &x->lc;
	struct limit_ticket *t = &x->t;
	uint64_t start;

	start = f->now;
	assert_int_equal(limit_client_deadline(lc, f->now), 0);
	assert_int_equal(limit_client_route(lc, 1, f->now, t), LIMIT_ROUTE_CLOCK);
	assert_int_equal(t->deadline_us, 0);
	assert_true(limit_client_clock_due(lc, f->now));
	limit_client_clock_sent(lc, f->now);
	assert_false(limit_client_clock_due(lc, f->now));	/* one sample out at a time */
	f->now += 2 * MS;
	/* Redis read its clock 1 ms after the send: offset's lower bound is 1 ms short */
	limit_client_clock_reply(lc, 1, (uint64_t)((int64_t)(start + 1 * MS) + f->skew), NULL,
				 f->now);
	assert_int_equal(limit_client_resume(lc, t, f->now), LIMIT_ROUTE_REDIS);
	assert_int_equal(t->deadline_us,
			 (uint64_t)((int64_t)start + f->skew) - 1 * MS + T_US - MARGIN_US);
	/* the next charge goes at once, its deadline counted from its own start */
	f->now += 3 * MS;
	assert_int_equal(limit_client_route(lc, 1, f->now, t), LIMIT_ROUTE_REDIS);
	assert_int_equal(t->deadline_us,
			 (uint64_t)((int64_t)f->now + f->skew) - 1 * MS + T_US - MARGIN_US);
	assert_false(limit_client_degraded(lc));
}

/*
 * test_deadline_leaves_the_way_back - whatever the sample's round trip and
 * when within it Redis read its clock, a charge's deadline on Redis's clock
 * is never later than its start + timeout - margin: a script that commits
 * in time leaves the margin for its reply.
 */
static void test_deadline_leaves_the_way_back(void **state)
{
	static const uint64_t rtts[] = { 0, 1, 500, 1 * MS, 20 * MS, 49 * MS };
	struct fx *x = *state;
	struct fake *f = &x->f;
	struct limit_client *lc = &x->lc;

	for (size_t i = 0; i < sizeof(rtts) / sizeof(rtts[0]); i++) {
		for (uint64_t at = 0; at <= rtts[i]; at += rtts[i] / 4 + 1) {
			uint64_t sent, start, true_start;

			fx_reset(x);
			sent = f->now;
			limit_client_clock_sent(lc, sent);
			f->now += rtts[i];
			limit_client_clock_reply(lc, 1, (uint64_t)((int64_t)(sent + at) + f->skew),
						 NULL, f->now);
			start = f->now + 7 * MS;
			true_start = (uint64_t)((int64_t)start + f->skew);
			assert_true(limit_client_deadline(lc, start) <= true_start + T_US - MARGIN_US);
			assert_true(limit_client_deadline(lc, start) + rtts[i] >=
				    true_start + T_US - MARGIN_US);
		}
	}
}

/*
 * test_clock_best_bound - a sample whose reply waited (a busy loop) gives a
 * lower offset; the better bound taken before is kept within the window,
 * then the newer one is taken (a clock that stepped back)
 */
static void test_clock_best_bound(void **state)
{
	struct fx *x = *state;
	struct fake *f = &x->f;
	struct limit_client *lc = &x->lc;
	uint64_t good;

	fake_clock(lc, f);
	good = limit_client_deadline(lc, f->now);
	f->rtt = 40 * MS;	/* Redis read TIME at once, the reply waited 40 ms */
	f->now += LIMIT_CLIENT_CLOCK_EVERY_US;
	limit_client_clock_sent(lc, f->now);
	limit_client_clock_reply(lc, 1, (uint64_t)((int64_t)f->now + f->skew), NULL, f->now + f->rtt);
	assert_int_equal(limit_client_deadline(lc, f->now), good + LIMIT_CLIENT_CLOCK_EVERY_US);
	f->now += LIMIT_CLIENT_CLOCK_WINDOW_US;
	f->skew -= 5 * MS;	/* Redis's clock stepped back: the old bound is too high now */
	f->rtt = 1 * MS;
	fake_clock(lc, f);
	assert_int_equal(limit_client_deadline(lc, f->now),
			 (uint64_t)((int64_t)f->now + f->skew) - f->rtt / 2 + T_US - MARGIN_US);
}

/* test_clock_failure - the sample fails: the charge is not sent, the store is degraded */
static void test_clock_failure(void **state)
{
	struct fx *x = *state;
	struct fake *f = &x->f;
	struct limit_client *lc = &x->lc;
	struct limit_ticket *t = &x->t;

	f->down = 1;
	assert_int_equal(fake_request(lc, f, 1, t), LIMIT_ROUTE_LOCAL);
	assert_int_equal(t->deadline_us, 0);
	assert_true(limit_client_degraded(lc));
	assert_string_equal(limit_client_state(lc), "redis (failing)");
	assert_true(fake_noted(f, "event=store_degraded store=redis error=\"timeout\"",
			       LIMIT_NOTE_WARN));
	f->down = 0;
	assert_int_equal(fake_request(lc, f, 1, t), LIMIT_ROUTE_REDIS);
	assert_true(t->deadline_us != 0);
	assert_false(limit_client_degraded(lc));
	assert_string_equal(limit_client_state(lc), "redis");
	assert_true(fake_noted(f, "event=store_recovered", LIMIT_NOTE_INFO));
}

/* test_clock_wait_timeout - a charge that waited too long for the clock is not sent */
static void test_clock_wait_timeout(void **state)
{
	struct fx *x = *state;
	struct fake *f = &x->f;
	struct limit_client *lc = &x->lc;
	struct limit_ticket *t = &x->t;

	f->rtt = T_US - MARGIN_US;	/* the sample takes all the time the script had */
	assert_int_equal(fake_request(lc, f, 1, t), LIMIT_ROUTE_LOCAL);
	assert_true(limit_client_degraded(lc));
	assert_true(fake_noted(f, "event=store_degraded store=redis error=\"timeout waiting",
			       LIMIT_NOTE_WARN));
	f->rtt = 1 * MS;		/* the clock is known now: the next one goes */
	assert_int_equal(fake_request(lc, f, 1, t), LIMIT_ROUTE_REDIS);
}

/* test_clock_resample - due every CLOCK_EVERY; too old a sample is not used */
static void test_clock_resample(void **state)
{
	struct fx *x = *state;
	struct fake *f = &x->f;
	struct limit_client *lc = &x->lc;
	struct limit_ticket *t = &x->t;

	fake_clock(lc, f);
	assert_false(limit_client_clock_due(lc, f->now));
	assert_false(limit_client_clock_due(lc, f->now + LIMIT_CLIENT_CLOCK_EVERY_US - 1));
	assert_true(limit_client_clock_due(lc, f->now + LIMIT_CLIENT_CLOCK_EVERY_US));
	assert_int_equal(limit_client_route(lc, 1, f->now + LIMIT_CLIENT_CLOCK_MAX_AGE_US - 1, t),
			 LIMIT_ROUTE_REDIS);
	assert_int_equal(limit_client_route(lc, 1, f->now + LIMIT_CLIENT_CLOCK_MAX_AGE_US, t),
			 LIMIT_ROUTE_CLOCK);
	/* a new offset replaces the old one (Redis's clock stepped) */
	f->now += LIMIT_CLIENT_CLOCK_EVERY_US;
	f->skew += 5 * MS;
	fake_clock(lc, f);
	assert_int_equal(limit_client_route(lc, 1, f->now, t), LIMIT_ROUTE_REDIS);
	assert_int_equal(t->deadline_us,
			 (uint64_t)((int64_t)f->now + f->skew) - f->rtt / 2 + T_US - MARGIN_US);
}

/* test_breaker_cycle - failures open it, a probe after the backoff, success closes it */
static void test_breaker_cycle(void **state)
{
	struct fx *x = *state;
	struct fake *f = &x->f;
	struct limit_client *lc = &x->lc;
	struct limit_ticket *t = &x->t;

	fake_clock(lc, f);
	f->down = 1;
	for (int i = 0; i < LIMIT_CLIENT_BREAKER_FAILURES; i++) {
		assert_int_equal(lc->breaker.state, BREAKER_CLOSED);
		assert_int_equal(fake_request(lc, f, 0, t), LIMIT_ROUTE_LOCAL);
		assert_true(limit_client_degraded(lc));
	}
	assert_int_equal(lc->breaker.state, BREAKER_OPEN);
	assert_string_equal(limit_client_state(lc), "degraded (breaker open)");
	assert_true(fake_noted(f, "event=store_degraded", LIMIT_NOTE_WARN));
	assert_true(fake_noted(f, "event=store_failed", LIMIT_NOTE_DEBUG));
	assert_true(fake_noted(f, "event=breaker_open store=redis error=\"timeout\" probe_in_ms=500",
			       LIMIT_NOTE_WARN));
	/* open: nothing goes to Redis, nothing waits */
	assert_int_equal(limit_client_route(lc, 1, f->now, t), LIMIT_ROUTE_LOCAL);
	assert_int_equal(limit_client_route(lc, 0, f->now + LIMIT_CLIENT_BREAKER_MIN_US - 1, t),
			 LIMIT_ROUTE_LOCAL);
	/* half-open: one probe; it fails: open again, backoff doubled */
	f->now += LIMIT_CLIENT_BREAKER_MIN_US;
	assert_int_equal(limit_client_route(lc, 0, f->now, t), LIMIT_ROUTE_REDIS);
	assert_true(t->probe);
	assert_int_equal(lc->breaker.state, BREAKER_HALF_OPEN);
	assert_int_equal(limit_client_route(lc, 0, f->now, t), LIMIT_ROUTE_LOCAL);
	f->now += T_US;
	limit_client_done(lc, 0, "timeout", f->now);
	assert_int_equal(lc->breaker.state, BREAKER_OPEN);
	assert_true(fake_noted(f, "event=breaker_probe_failed store=redis error=\"timeout\" "
				   "probe_in_ms=1000", LIMIT_NOTE_INFO));
	assert_int_equal(limit_client_route(lc, 0, f->now + 2 * LIMIT_CLIENT_BREAKER_MIN_US - 1, t),
			 LIMIT_ROUTE_LOCAL);
	/* Redis is back: the next probe closes the breaker */
	f->down = 0;
	f->now += 2 * LIMIT_CLIENT_BREAKER_MIN_US;
	assert_int_equal(fake_request(lc, f, 1, t), LIMIT_ROUTE_REDIS);
	assert_true(t->probe);
	assert_int_equal(lc->breaker.state, BREAKER_CLOSED);
	assert_false(limit_client_degraded(lc));
	assert_string_equal(limit_client_state(lc), "redis");
	assert_true(fake_noted(f, "event=breaker_closed store=redis", LIMIT_NOTE_INFO));
	assert_true(fake_noted(f, "event=store_recovered store=redis", LIMIT_NOTE_INFO));
}

/* test_clock_sample_is_the_probe - in half-open state a clock sample reports like any command */
static void test_clock_sample_is_the_probe(void **state)
{
	struct fx *x = *state;
	struct fake *f = &x->f;
	struct limit_client *lc = &x->lc;
	struct limit_ticket *t = &x->t;

	f->down = 1;
	for (int i = 0; i < LIMIT_CLIENT_BREAKER_FAILURES; i++)
		fake_request(lc, f, 1, t);	/* each a failed clock sample */
	assert_int_equal(lc->breaker.state, BREAKER_OPEN);
	f->down = 0;
	f->now += LIMIT_CLIENT_BREAKER_MIN_US;
	assert_int_equal(limit_client_route(lc, 1, f->now, t), LIMIT_ROUTE_CLOCK);
	assert_true(t->probe);
	fake_clock(lc, f);	/* its TIME answers: Redis is back */
	assert_int_equal(lc->breaker.state, BREAKER_CLOSED);
	assert_int_equal(limit_client_resume(lc, t, f->now), LIMIT_ROUTE_REDIS);
	assert_true(t->deadline_us != 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_redis),
		cmocka_unit_test_setup_teardown(test_peek_needs_no_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_charge_waits_for_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deadline_leaves_the_way_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clock_best_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clock_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clock_wait_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clock_resample, setup, teardown),
		cmocka_unit_test_setup_teardown(test_breaker_cycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clock_sample_is_the_probe, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
