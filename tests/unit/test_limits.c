/*
 * test_limits - the pure limits model: plans (identities per charge kind,
 * normalisation, absent identities, off mode, costs at a peek and at a
 * charge, GCRA parameters, quota counters), calendar windows in a DST time
 * zone and at month/year rollover, and the decision matrix (ok, over,
 * never fits, blocked, degraded x on_store_failure, shadow, reply class).
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/limits/limits.h"
#include "core/util/mem.h"
#include "core/engine/policy.h"

#define FP32_LOWER "3e7b0a502e74c40a4dc743e60c9faf3a0ed19a7b5c3305a2ea06097ea21e286d"
#define FP32 "3E:7B:0A:50:2E:74:C4:0A:4D:C7:43:E6:0C:9F:AF:3A:0E:D1:9A:7B:5C:33:05:A2:EA:06:09:7E:A2:1E:28:6D"
#define FP20 "11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44"

/* utc - epoch seconds of a UTC date and time */
static int64_t utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi };

	return (int64_t)timegm(&tm);
}

/* set_tz - the process time zone, as the front-ends set it */
static void set_tz(const char *tz)
{
	assert_int_equal(setenv("TZ", tz, 1), 0);
	tzset();
}

/* rate_limit - add a rate limit with the defaults the config gives */
static struct rw_limit *rate_limit(struct rw_policy *p, const char *name,
				   enum limit_charge charge, enum limit_unit unit)
{
	struct rw_limit *l = policy_add_limit(p, name, LIMIT_RATE);

	l->charge = charge;
	l->prefix4 = 24;
	l->prefix6 = 64;
	l->mode = MODE_ENFORCE;
	l->on_failure = FAIL_TEMPFAIL;
	l->local_share = 100;
	l->unit = unit;
	l->rate = 100;
	l->period_s = 3600;
	l->burst = 20;
	return l;
}

/* base_txn - an authenticated submission at END-OF-MESSAGE */
static struct rw_txn base_txn(void)
{
	return (struct rw_txn){
		.stage = STAGE_EOM, .client_address = "192.0.2.77",
		.sasl_username = "Alice@Example.TEST", .sender = "<Alice@Example.TEST>",
		.recipient_count = 3, .size = 4096,
	};
}

static const struct rw_rule office_rule = { .name = "office", .kind = RULE_NETWORK };
static const struct rw_rule sasl_rule = { .name = "submission", .kind = RULE_SASL };

enum tmod { T_NONE, T_NO_SASL, T_CERT_BOTH, T_CERT_WHOLE, T_CERT_BAD, T_MAPPED, T_V6,
	    T_NULL_SENDER, T_SENDER_DOT, T_LITERAL, T_NO_ADDR };

static const struct id_case {
	const char *what;
	enum limit_charge charge;
	enum tmod mod;
	const struct rw_rule *rule;
	const char *customer;
	unsigned prefix4, prefix6;
	const char *identity;	/* NULL: not planned */
} id_cases[] = {
	{ "user lower-cased", CHARGE_SASL_USER, T_NONE, NULL, NULL, 24, 64, "alice@example.test" },
	{ "no user", CHARGE_SASL_USER, T_NO_SASL, NULL, NULL, 24, 64, NULL },
	{ "pubkey preferred", CHARGE_CERT, T_CERT_BOTH, NULL, NULL, 24, 64, FP32 },
	{ "whole cert", CHARGE_CERT, T_CERT_WHOLE, NULL, NULL, 24, 64, FP20 },
	{ "bad fingerprint", CHARGE_CERT, T_CERT_BAD, NULL, NULL, 24, 64, NULL },
	{ "no cert", CHARGE_CERT, T_NONE, NULL, NULL, 24, 64, NULL },
	{ "address", CHARGE_CLIENT_ADDRESS, T_NONE, NULL, NULL, 24, 64, "192.0.2.77" },
	{ "v4-mapped", CHARGE_CLIENT_ADDRESS, T_MAPPED, NULL, NULL, 24, 64, "192.0.2.7" },
	{ "v6 canonical", CHARGE_CLIENT_ADDRESS, T_V6, NULL, NULL, 24, 64,
	  "2001:db8:1:2:3::1" },
	{ "no address", CHARGE_CLIENT_ADDRESS, T_NO_ADDR, NULL, NULL, 24, 64, NULL },
	{ "prefix /24", CHARGE_CLIENT_PREFIX, T_NONE, NULL, NULL, 24, 64, "192.0.2.0/24" },
	{ "prefix /20", CHARGE_CLIENT_PREFIX, T_NONE, NULL, NULL, 20, 64, "192.0.0.0/20" },
	{ "prefix /32", CHARGE_CLIENT_PREFIX, T_NONE, NULL, NULL, 32, 64, "192.0.2.77/32" },
	{ "prefix v4-mapped", CHARGE_CLIENT_PREFIX, T_MAPPED, NULL, NULL, 16, 64,
	  "192.0.0.0/16" },
	{ "prefix /64", CHARGE_CLIENT_PREFIX, T_V6, NULL, NULL, 24, 64, "2001:db8:1:2::/64" },
	{ "prefix /48", CHARGE_CLIENT_PREFIX, T_V6, NULL, NULL, 24, 48, "2001:db8:1::/48" },
	{ "prefix /60", CHARGE_CLIENT_PREFIX, T_V6, NULL, NULL, 24, 60, "2001:db8:1::/60" },
	{ "network rule", CHARGE_NETWORK, T_NONE, &office_rule, NULL, 24, 64, "office" },
	{ "sasl rule: no network", CHARGE_NETWORK, T_NONE, &sasl_rule, NULL, 24, 64, NULL },
	{ "no rule: no network", CHARGE_NETWORK, T_NONE, NULL, NULL, 24, 64, NULL },
	{ "customer", CHARGE_CUSTOMER, T_NONE, NULL, "acme", 24, 64, "acme" },
	{ "no customer", CHARGE_CUSTOMER, T_NONE, NULL, NULL, 24, 64, NULL },
	{ "sender lower-cased", CHARGE_SENDER, T_NONE, NULL, NULL, 24, 64, "alice@example.test" },
	{ "null sender", CHARGE_SENDER, T_NULL_SENDER, NULL, NULL, 24, 64, NULL },
	{ "sender domain", CHARGE_SENDER_DOMAIN, T_SENDER_DOT, NULL, NULL, 24, 64,
	  "example.test" },
	{ "null sender domain", CHARGE_SENDER_DOMAIN, T_NULL_SENDER, NULL, NULL, 24, 64, NULL },
	{ "literal domain", CHARGE_SENDER_DOMAIN, T_LITERAL, NULL, NULL, 24, 64, NULL },
};

/* mod_txn - apply one variation */
static void mod_txn(struct rw_txn *t, enum tmod m)
{
	switch (m) {
	case T_NO_SASL: t->sasl_username = ""; break;
	case T_CERT_BOTH: t->cert_fingerprint = FP20; t->cert_pubkey_fingerprint = FP32_LOWER; break;
	case T_CERT_WHOLE: t->cert_fingerprint = "112233445566778899aabbccddeeff0011223344"; break;
	case T_CERT_BAD: t->cert_pubkey_fingerprint = "zz"; break;
	case T_MAPPED: t->client_address = "::ffff:192.0.2.7"; break;
	case T_V6: t->client_address = "2001:DB8:1:2:3:0:0:1"; break;
	case T_NULL_SENDER: t->sender = ""; break;
	case T_SENDER_DOT: t->sender = "Bob@EXAMPLE.test."; break;
	case T_LITERAL: t->sender = "bob@[192.0.2.1]"; break;
	case T_NO_ADDR: t->client_address = NULL; break;
	case T_NONE: break;
	}
}

/* test_identities - per charge kind: normalised identity, or not planned */
static void test_identities(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(id_cases) / sizeof(id_cases[0]); i++) {
		const struct id_case *c = &id_cases[i];
		struct rw_policy *p = policy_new();
		struct rw_limit *l = rate_limit(p, "l", c->charge, UNIT_MESSAGES);
		struct rw_txn t = base_txn();
		struct limit_plan plan;

		l->prefix4 = c->prefix4;
		l->prefix6 = c->prefix6;
		mod_txn(&t, c->mod);
		limits_plan(p, &t, c->rule, c->customer, 1, 0, &plan);
		if (c->identity == NULL && plan.n != 0)
			fail_msg("case '%s': planned '%s'", c->what, plan.v[0].identity);
		if (c->identity != NULL && (plan.n != 1 || strcmp(plan.v[0].identity, c->identity)))
			fail_msg("case '%s': got %s", c->what, plan.n ? plan.v[0].identity : "nothing");
		if (plan.n == 1) {
			assert_string_equal(plan.v[0].dimension, limits_charge_name(c->charge));
			assert_string_equal(plan.v[0].customer, c->customer ? c->customer : "-");
		}
		limit_plan_release(&plan);
		assert_null(plan.v);
		policy_free(&p);
	}
}

/* test_costs - peek 1 in every unit; charge by unit; GCRA parameters */
static void test_costs(void **state)
{
	struct rw_policy *p = policy_new();
	struct rw_txn t = base_txn();
	struct limit_plan plan;
	struct rw_limit *l;

	(void)state;
	rate_limit(p, "m", CHARGE_SASL_USER, UNIT_MESSAGES);
	rate_limit(p, "r", CHARGE_SASL_USER, UNIT_RECIPIENTS);
	l = rate_limit(p, "b", CHARGE_SASL_USER, UNIT_BYTES);
	l->rate = 3;
	l->period_s = 1;
	l->burst = 1000000;
	t.stage = STAGE_RCPT;
	limits_plan(p, &t, NULL, NULL, 0, 0, &plan);
	assert_int_equal(plan.charge, 0);
	assert_int_equal(plan.n, 3);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(plan.v[i].cost, 1);
	limit_plan_release(&plan);
	t.stage = STAGE_EOM;
	limits_plan(p, &t, NULL, NULL, 1, 0, &plan);
	assert_int_equal(plan.charge, 1);
	assert_int_equal(plan.v[0].cost, 1);
	assert_int_equal(plan.v[0].unit, UNIT_MESSAGES);
	assert_int_equal(plan.v[1].cost, 3);
	assert_int_equal(plan.v[1].unit, UNIT_RECIPIENTS);
	assert_int_equal(plan.v[2].cost, 4096);
	/* 100/1h burst 20: 36 s per message, 20 of them at once */
	assert_int_equal(plan.v[0].emission_us, 36000000);
	assert_int_equal(plan.v[0].tolerance_us, 720000000);
	assert_int_equal(plan.v[0].cap, 20);
	/* 3/1s: 333333.3 us rounds up */
	assert_int_equal(plan.v[2].emission_us, 333334);
	assert_int_equal(plan.v[2].tolerance_us, UINT64_C(333334000000));
	limit_plan_release(&plan);
	t.recipient_count = 0;	/* a charge costs at least one recipient */
	limits_plan(p, &t, NULL, NULL, 1, 0, &plan);
	assert_int_equal(plan.v[1].cost, 1);
	limit_plan_release(&plan);
	policy_free(&p);
}

/* test_modes - off is not planned, shadow and enforce are, in policy order */
static void test_modes(void **state)
{
	struct rw_policy *p = policy_new();
	struct rw_txn t = base_txn();
	struct limit_plan plan;

	(void)state;
	rate_limit(p, "a", CHARGE_SASL_USER, UNIT_MESSAGES)->mode = MODE_OFF;
	rate_limit(p, "b", CHARGE_CLIENT_ADDRESS, UNIT_MESSAGES)->mode = MODE_SHADOW;
	rate_limit(p, "c", CHARGE_SASL_USER, UNIT_RECIPIENTS);
	limits_plan(p, &t, NULL, NULL, 1, 0, &plan);
	assert_int_equal(plan.n, 2);
	assert_string_equal(plan.v[0].limit->name, "b");
	assert_string_equal(plan.v[1].limit->name, "c");
	limit_plan_release(&plan);
	policy_free(&p);
}

/* quota - add a day quota on the customer */
static struct rw_limit *quota(struct rw_policy *p, enum quota_window w, uint64_t msgs,
			      uint64_t rcpts, uint64_t bytes)
{
	struct rw_limit *l = policy_add_limit(p, "q", LIMIT_QUOTA);

	l->charge = CHARGE_CUSTOMER;
	l->mode = MODE_ENFORCE;
	l->on_failure = FAIL_TEMPFAIL;
	l->window = w;
	l->max_messages = msgs;
	l->max_recipients = rcpts;
	l->max_bytes = bytes;
	return l;
}

/* test_quota_plan - one check per capped counter, one window, costs by counter */
static void test_quota_plan(void **state)
{
	struct rw_policy *p = policy_new();
	struct rw_txn t = base_txn();
	struct limit_plan plan;
	int64_t now = utc(2026, 11, 23, 14, 5);

	(void)state;
	set_tz("UTC");
	quota(p, WINDOW_DAY, 1000, 0, 10u << 20);
	limits_plan(p, &t, NULL, "acme", 1, now, &plan);
	assert_int_equal(plan.n, 2);
	assert_int_equal(plan.v[0].unit, UNIT_MESSAGES);
	assert_int_equal(plan.v[0].cap, 1000);
	assert_int_equal(plan.v[0].cost, 1);
	assert_int_equal(plan.v[1].unit, UNIT_BYTES);
	assert_int_equal(plan.v[1].cap, 10u << 20);
	assert_int_equal(plan.v[1].cost, 4096);
	for (size_t i = 0; i < 2; i++) {
		assert_string_equal(plan.v[i].window_id, "2026-11-23");
		assert_int_equal(plan.v[i].window_start, utc(2026, 11, 23, 0, 0));
		assert_int_equal(plan.v[i].window_end, utc(2026, 11, 24, 0, 0));
		assert_string_equal(plan.v[i].identity, "acme");
		assert_string_equal(plan.v[i].customer, "acme");
		assert_int_equal(plan.v[i].emission_us, 0);
	}
	limit_plan_release(&plan);
	limits_plan(p, &t, NULL, NULL, 1, now, &plan);	/* no customer: not planned */
	assert_int_equal(plan.n, 0);
	limit_plan_release(&plan);
	policy_free(&p);
}

static const struct window_case {
	const char *what;
	const char *tz;
	enum quota_window w;
	int64_t now;
	const char *id;
	int64_t start, end;
} window_cases[] = {
	{ "UTC hour", "UTC", WINDOW_HOUR, 1795442700 /* 2026-11-23T14:05Z */,
	  "2026-11-23T14+0000", 1795442400, 1795446000 },
	{ "Berlin spring-forward day is 23 h", "Europe/Berlin", WINDOW_DAY,
	  1774785600 /* 2026-03-29T12:00Z */, "2026-03-29", 1774738800, 1774821600 },
	{ "Berlin fall-back day is 25 h", "Europe/Berlin", WINDOW_DAY,
	  1792929600 /* 2026-10-25T12:00Z */, "2026-10-25", 1792879200, 1792969200 },
	{ "Berlin repeated hour, first (CEST)", "Europe/Berlin", WINDOW_HOUR,
	  1792888200 /* 00:30Z = 02:30 CEST */, "2026-10-25T02+0200", 1792886400, 1792890000 },
	{ "Berlin repeated hour, second (CET)", "Europe/Berlin", WINDOW_HOUR,
	  1792891800 /* 01:30Z = 02:30 CET */, "2026-10-25T02+0100", 1792890000, 1792893600 },
	{ "Berlin hour after spring-forward", "Europe/Berlin", WINDOW_HOUR,
	  1774746000 /* 01:00Z = 03:00 CEST */, "2026-03-29T03+0200", 1774746000, 1774749600 },
	{ "Berlin day before midnight UTC is the next local day", "Europe/Berlin", WINDOW_DAY,
	  1798759800 /* 2026-12-31T23:30Z */, "2027-01-01", 1798758000, 1798844400 },
	{ "Berlin month rollover into the new year", "Europe/Berlin", WINDOW_MONTH,
	  1798759800 /* 2026-12-31T23:30Z */, "2027-01", 1798758000, 1801436400 },
	{ "UTC month at the same instant", "UTC", WINDOW_MONTH, 1798759800, "2026-12",
	  1796083200 /* 2026-12-01 */, 1798761600 /* 2027-01-01 */ },
	{ "Berlin March has 743 h", "Europe/Berlin", WINDOW_MONTH, 1774785600, "2026-03",
	  1772319600 /* 2026-02-28T23:00Z */, 1774994400 /* 2026-03-31T22:00Z */ },
	{ "February of a leap year", "UTC", WINDOW_MONTH, 1709208000 /* 2024-02-29T12Z */,
	  "2024-02", 1706745600, 1709251200 },
	{ "New York fall-back day", "America/New_York", WINDOW_DAY,
	  1793541600 /* 2026-11-01T14:00Z */, "2026-11-01", 1793505600, 1793595600 },
};

/* test_windows - calendar windows in the process time zone */
static void test_windows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(window_cases) / sizeof(window_cases[0]); i++) {
		const struct window_case *c = &window_cases[i];
		int64_t start = 0, end = 0;
		char id[24] = "";

		set_tz(c->tz);
		limits_window(c->w, c->now, &start, &end, id);
		if (strcmp(id, c->id) != 0 || start != c->start || end != c->end)
			fail_msg("case '%s': got %s [%lld, %lld)", c->what, id, (long long)start,
				 (long long)end);
		assert_true(start <= c->now && c->now < end);
	}
	set_tz("UTC");
}

/* test_epochs - the table's epochs are what their comments say */
static void test_epochs(void **state)
{
	(void)state;
	assert_int_equal(window_cases[1].now, utc(2026, 3, 29, 12, 0));
	assert_int_equal(window_cases[1].start, utc(2026, 3, 28, 23, 0));
	assert_int_equal(window_cases[1].end, utc(2026, 3, 29, 22, 0));
	assert_int_equal(window_cases[2].start, utc(2026, 10, 24, 22, 0));
	assert_int_equal(window_cases[2].end, utc(2026, 10, 25, 23, 0));
	assert_int_equal(window_cases[7].end, utc(2027, 1, 31, 23, 0));
	assert_int_equal(window_cases[9].start, utc(2026, 2, 28, 23, 0));
	assert_int_equal(window_cases[9].end, utc(2026, 3, 31, 22, 0));
	assert_int_equal(window_cases[10].now, utc(2024, 2, 29, 12, 0));
	assert_int_equal(window_cases[10].start, utc(2024, 2, 1, 0, 0));
	assert_int_equal(window_cases[10].end, utc(2024, 3, 1, 0, 0));
	assert_int_equal(window_cases[11].now, utc(2026, 11, 1, 14, 0));
	assert_int_equal(window_cases[11].start, utc(2026, 11, 1, 4, 0));
	assert_int_equal(window_cases[11].end, utc(2026, 11, 2, 5, 0));
}

enum rkind { R_OK, R_OVER, R_NEVER, R_BLOCKED, R_DOWN, R_LOCAL_OK, R_LOCAL_OVER };

static const struct decide_case {
	const char *what;
	enum limit_kind kind;
	enum limit_unit unit;
	enum rw_mode mode;
	int permanent;
	enum limit_failmode fail;
	enum rkind result;
	enum rw_action act;	/* ACT_DUNNO: untouched */
	unsigned code;
	const char *dsn;
	const char *text;	/* the reply text, exactly */
	const char *trace;	/* the trace line contains this */
} decide_cases[] = {
	{ "ok", LIMIT_RATE, UNIT_MESSAGES, MODE_ENFORCE, 0, FAIL_TEMPFAIL, R_OK, ACT_DUNNO, 0,
	  "", "", "limit L (messages, sasl_user alice@example.test): ok, 7 remaining" },
	{ "over, temporary", LIMIT_RATE, UNIT_MESSAGES, MODE_ENFORCE, 0, FAIL_TEMPFAIL, R_OVER,
	  ACT_DEFER, 450, "4.7.1", "Rate limit \"L\" exceeded for sasl_user alice@example.test: "
	  "100 messages per 1h, retry in 36 seconds", "over, retry in 36 s; refused" },
	{ "over, permanent", LIMIT_RATE, UNIT_RECIPIENTS, MODE_ENFORCE, 1, FAIL_TEMPFAIL, R_OVER,
	  ACT_REJECT, 550, "5.7.1", "Rate limit \"L\" exceeded for sasl_user alice@example.test: "
	  "100 recipients per 1h, retry in 36 seconds", "(recipients, sasl_user" },
	{ "over, shadow", LIMIT_RATE, UNIT_MESSAGES, MODE_SHADOW, 0, FAIL_TEMPFAIL, R_OVER,
	  ACT_DUNNO, 0, "", "", "over, retry in 36 s; shadow: would refuse: 450 4.7.1 Rate "
	  "limit \"L\" exceeded" },
	{ "quota over", LIMIT_QUOTA, UNIT_RECIPIENTS, MODE_ENFORCE, 0, FAIL_TEMPFAIL, R_OVER,
	  ACT_DEFER, 450, "4.7.1", "Quota \"L\" exceeded for sasl_user alice@example.test: "
	  "5000 recipients per day, retry in 36 seconds",
	  "quota L (recipients, sasl_user alice@example.test, day 2026-11-23): over" },
	{ "never fits, bytes", LIMIT_RATE, UNIT_BYTES, MODE_ENFORCE, 0, FAIL_TEMPFAIL, R_NEVER,
	  ACT_REJECT, 552, "5.3.4", "Message too large for limit \"L\": cost 4096 bytes "
	  "exceeds burst 20", "never fits: cost 4096 exceeds 20" },
	{ "never fits, recipients", LIMIT_RATE, UNIT_RECIPIENTS, MODE_ENFORCE, 0, FAIL_TEMPFAIL,
	  R_NEVER, ACT_REJECT, 552, "5.5.3", "Message too large for limit \"L\": cost 3 "
	  "recipients exceeds burst 20", "never fits" },
	{ "never fits, quota", LIMIT_QUOTA, UNIT_RECIPIENTS, MODE_ENFORCE, 0, FAIL_TEMPFAIL,
	  R_NEVER, ACT_REJECT, 552, "5.5.3", "Message too large for quota \"L\": cost 3 "
	  "recipients exceeds the cap of 5000", "never fits" },
	{ "never fits, shadow", LIMIT_RATE, UNIT_BYTES, MODE_SHADOW, 0, FAIL_TEMPFAIL, R_NEVER,
	  ACT_DUNNO, 0, "", "", "shadow: would refuse: 552 5.3.4 Message too large" },
	{ "blocked, temporary", LIMIT_RATE, UNIT_MESSAGES, MODE_ENFORCE, 0, FAIL_TEMPFAIL,
	  R_BLOCKED, ACT_DEFER, 450, "4.7.1", "Sending blocked for sasl_user alice@example.test "
	  "by limit \"L\": compromised, ticket 42", "blocked: compromised, ticket 42" },
	{ "blocked, permanent", LIMIT_RATE, UNIT_MESSAGES, MODE_ENFORCE, 1, FAIL_TEMPFAIL,
	  R_BLOCKED, ACT_REJECT, 550, "5.7.1", "Sending blocked for sasl_user alice@example.test "
	  "by limit \"L\": compromised, ticket 42", "blocked" },
	{ "blocked, shadow", LIMIT_RATE, UNIT_MESSAGES, MODE_SHADOW, 1, FAIL_TEMPFAIL, R_BLOCKED,
	  ACT_DUNNO, 0, "", "", "shadow: would refuse: 550 5.7.1 Sending blocked" },
	{ "store down, tempfail", LIMIT_RATE, UNIT_MESSAGES, MODE_ENFORCE, 0, FAIL_TEMPFAIL,
	  R_DOWN, ACT_DEFER, 451, "4.3.0", "rate-limit store unavailable, try again later",
	  "store unavailable (degraded), on_store_failure tempfail; refused" },
	{ "store down, tempfail, permanent reply", LIMIT_RATE, UNIT_MESSAGES, MODE_ENFORCE, 1,
	  FAIL_TEMPFAIL, R_DOWN, ACT_DEFER, 451, "4.3.0",
	  "rate-limit store unavailable, try again later", "degraded" },
	{ "store down, accept", LIMIT_RATE, UNIT_MESSAGES, MODE_ENFORCE, 0, FAIL_ACCEPT, R_DOWN,
	  ACT_DUNNO, 0, "", "", "store unavailable (degraded), on_store_failure accept: accepted" },
	{ "store down, tempfail, shadow", LIMIT_RATE, UNIT_MESSAGES, MODE_SHADOW, 0,
	  FAIL_TEMPFAIL, R_DOWN, ACT_DUNNO, 0, "", "", "shadow: would refuse: 451 4.3.0" },
	{ "local fallback ok", LIMIT_RATE, UNIT_MESSAGES, MODE_ENFORCE, 0, FAIL_LOCAL,
	  R_LOCAL_OK, ACT_DUNNO, 0, "", "", "): local fallback: ok, 7 remaining" },
	{ "local fallback over", LIMIT_RATE, UNIT_MESSAGES, MODE_ENFORCE, 0, FAIL_LOCAL,
	  R_LOCAL_OVER, ACT_DEFER, 450, "4.7.1", "Rate limit \"L\" exceeded for sasl_user "
	  "alice@example.test: 100 messages per 1h, retry in 36 seconds",
	  "local fallback: over, retry in 36 s" },
};

/* result_of - the store's answer for one case */
static struct limit_result result_of(enum rkind k)
{
	struct limit_result r = { .ok = 1, .remaining = 7 };

	switch (k) {
	case R_OVER: case R_LOCAL_OVER: r.ok = 0; r.remaining = 0; r.retry_after_ms = 35001; break;
	case R_NEVER: r.ok = 0; r.never_fits = 1; break;
	case R_BLOCKED: r.ok = 0; r.blocked = 1; r.reason = rw_strdup("compromised, ticket 42"); break;
	case R_DOWN: r.ok = 0; r.degraded = 1; break;
	case R_LOCAL_OK: r.degraded = 1; break;
	case R_OK: break;
	}
	r.degraded |= k == R_LOCAL_OVER;
	return r;
}

/* has_trace - some trace line contains s */
static int has_trace(const struct rw_verdict *v, const char *s)
{
	for (size_t i = 0; i < v->trace.n; i++)
		if (strstr(v->trace.v[i], s) != NULL)
			return 1;
	return 0;
}

/* decide_one - plan one limit (or a one-counter quota) and decide on r */
static void decide_one(const struct decide_case *c, struct rw_verdict *v)
{
	struct rw_policy *p = policy_new();
	struct rw_txn t = base_txn();
	struct rw_limit *l;
	struct limit_result r = result_of(c->result);
	struct limit_plan plan;

	if (c->kind == LIMIT_QUOTA) {
		l = quota(p, WINDOW_DAY, 0, c->unit == UNIT_RECIPIENTS ? 5000 : 0,
			  c->unit == UNIT_BYTES ? 5000 : 0);
		l->charge = CHARGE_SASL_USER;
	} else {
		l = rate_limit(p, "L", CHARGE_SASL_USER, c->unit);
	}
	free(l->name);
	l->name = rw_strdup("L");
	l->mode = c->mode;
	l->permanent = c->permanent;
	l->on_failure = c->fail;
	limits_plan(p, &t, NULL, NULL, 1, utc(2026, 11, 23, 14, 5), &plan);
	assert_int_equal(plan.n, 1);
	limits_decide(&plan, &r, v);
	limit_result_release(&r);
	limit_plan_release(&plan);
	policy_free(&p);
}

/* test_decide_matrix - every kind of result under every mode and fail mode */
static void test_decide_matrix(void **state)
{
	(void)state;
	set_tz("UTC");
	for (size_t i = 0; i < sizeof(decide_cases) / sizeof(decide_cases[0]); i++) {
		const struct decide_case *c = &decide_cases[i];
		struct rw_verdict v = VERDICT_INIT;

		decide_one(c, &v);
		if (v.action != c->act || v.code != c->code || strcmp(v.dsn, c->dsn) != 0 ||
		    strcmp(buf_cstr(&v.text), c->text) != 0 || !has_trace(&v, c->trace))
			fail_msg("case '%s': got %s %u %s '%s', trace '%s'", c->what,
				 verdict_action_name(v.action), v.code, v.dsn, buf_cstr(&v.text),
				 v.trace.n ? v.trace.v[0] : "");
		assert_int_equal(v.trace.n, 1);
		if (c->act != ACT_DUNNO)
			assert_string_equal(v.rule, "L");
		else
			assert_null(v.rule);
		verdict_release(&v);
	}
}

/* test_decide_order - every check traced; the first failing enforced one decides */
static void test_decide_order(void **state)
{
	struct rw_policy *p = policy_new();
	struct rw_txn t = base_txn();
	struct rw_verdict v = VERDICT_INIT;
	struct limit_result r[4];
	struct limit_plan plan;

	(void)state;
	rate_limit(p, "shadowed", CHARGE_SASL_USER, UNIT_MESSAGES)->mode = MODE_SHADOW;
	rate_limit(p, "fine", CHARGE_CLIENT_ADDRESS, UNIT_MESSAGES);
	rate_limit(p, "first", CHARGE_CLIENT_PREFIX, UNIT_RECIPIENTS);
	rate_limit(p, "second", CHARGE_SENDER, UNIT_MESSAGES)->permanent = 1;
	limits_plan(p, &t, NULL, NULL, 1, 0, &plan);
	assert_int_equal(plan.n, 4);
	r[0] = result_of(R_OVER);
	r[1] = result_of(R_OK);
	r[2] = result_of(R_OVER);
	r[3] = result_of(R_NEVER);
	verdict_set(&v, ACT_OK, 0, NULL, "relay permitted");
	limits_decide(&plan, r, &v);
	assert_int_equal(v.action, ACT_DEFER);
	assert_int_equal(v.code, 450);
	assert_string_equal(v.rule, "first");
	assert_non_null(strstr(buf_cstr(&v.text), "for client_prefix 192.0.2.0/24: 100 recipients"));
	assert_int_equal(v.trace.n, 4);
	assert_non_null(strstr(v.trace.v[0], "limit shadowed (messages, sasl_user "));
	assert_non_null(strstr(v.trace.v[0], "shadow: would refuse"));
	assert_non_null(strstr(v.trace.v[1], "limit fine (messages, client_address 192.0.2.77): ok"));
	assert_non_null(strstr(v.trace.v[2], "; refused"));
	assert_non_null(strstr(v.trace.v[3], "limit second (messages, sender alice@example.test): "
				"never fits"));
	assert_null(strstr(v.trace.v[3], "refused"));
	for (size_t i = 0; i < 4; i++)
		limit_result_release(&r[i]);
	verdict_release(&v);
	/* all fine: the relay verdict stands */
	for (size_t i = 0; i < 4; i++)
		r[i] = result_of(R_OK);
	verdict_set(&v, ACT_OK, 0, NULL, "x");
	limits_decide(&plan, r, &v);
	assert_int_equal(v.action, ACT_OK);
	assert_int_equal(v.trace.n, 4);
	verdict_release(&v);
	limit_plan_release(&plan);
	policy_free(&p);
}

/* test_names - the keyword tables */
static void test_names(void **state)
{
	(void)state;
	assert_string_equal(limits_unit_name(UNIT_MESSAGES), "messages");
	assert_string_equal(limits_unit_name(UNIT_RECIPIENTS), "recipients");
	assert_string_equal(limits_unit_name(UNIT_BYTES), "bytes");
	assert_string_equal(limits_charge_name(CHARGE_CLIENT_PREFIX), "client_prefix");
	assert_string_equal(limits_charge_name(CHARGE_SENDER_DOMAIN), "sender_domain");
	assert_string_equal(limits_window_name(WINDOW_MONTH), "month");
	assert_string_equal(limits_unit_name((enum limit_unit)0), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identities),
		cmocka_unit_test(test_costs),
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_quota_plan),
		cmocka_unit_test(test_windows),
		cmocka_unit_test(test_epochs),
		cmocka_unit_test(test_decide_matrix),
		cmocka_unit_test(test_decide_order),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
