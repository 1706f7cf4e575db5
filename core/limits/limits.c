/*
 * limits - the plan (which checks, identities, costs, GCRA parameters,
 * quota windows) and the verdict from the store's results; see limits.h.
 *
 * Identities (the clear text the audit record carries and the store
 * hashes into keys):
 *   sasl_user       the login, ASCII lower-cased
 *   cert            the public-key fingerprint, else the certificate's, in
 *                   canonical upper-case colon form (fprint_format)
 *   client_address  inet_ntop of the parsed address (v4-mapped -> v4)
 *   client_prefix   the address masked to prefix4/prefix6: "192.0.2.0/24"
 *   network         the name of the network relay rule that permitted
 *   customer        the customer id
 *   sender          the envelope sender, lower-cased ("local@domain")
 *   sender_domain   its domain (lower-case, no trailing dot)
 * A limit whose identity is absent is not planned: sasl_user without a
 * login, cert without a parsable fingerprint, network unless a network
 * rule permitted, customer without one, sender/sender_domain for the null
 * sender (or an address literal's domain).
 *
 * Replies: see limits_reply. Pure: libc only (the time zone is the
 * process's, set by the caller; see limits_plan in limits.h).
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/engine/addr.h"
#include "core/util/buf.h"
#include "core/engine/cidr.h"
#include "core/engine/fprint.h"
#include "core/limits/limits.h"
#include "core/util/mem.h"
#include "core/engine/policy.h"

#define LIMITS_NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *const limits_units[] = {
	[UNIT_MESSAGES] = "messages", [UNIT_RECIPIENTS] = "recipients", [UNIT_BYTES] = "bytes",
};
static const char *const limits_charges[] = {
	[CHARGE_SASL_USER] = "sasl_user", [CHARGE_CERT] = "cert",
	[CHARGE_CLIENT_ADDRESS] = "client_address", [CHARGE_CLIENT_PREFIX] = "client_prefix",
	[CHARGE_NETWORK] = "network", [CHARGE_CUSTOMER] = "customer",
	[CHARGE_SENDER] = "sender", [CHARGE_SENDER_DOMAIN] = "sender_domain",
};
static const char *const limits_windows[] = {
	[WINDOW_HOUR] = "hour", [WINDOW_DAY] = "day", [WINDOW_MONTH] = "month",
};

/* limits_unit_name - the unit's word */
const char *limits_unit_name(enum limit_unit u)
{
	return (size_t)u < LIMITS_NELEM(limits_units) && limits_units[u] ? limits_units[u] : "?";
}

/* limits_charge_name - the charge keyword */
const char *limits_charge_name(enum limit_charge c)
{
	return (size_t)c < LIMITS_NELEM(limits_charges) && limits_charges[c] ? limits_charges[c]
									     : "?";
}

/* limits_window_name - the window keyword */
const char *limits_window_name(enum quota_window w)
{
	return (size_t)w < LIMITS_NELEM(limits_windows) && limits_windows[w] ? limits_windows[w]
									     : "?";
}

/* limits_local_start - mktime of tm's date (day 1 if month), 00:00, plus add days/months */
static int64_t limits_local_start(const struct tm *tm, int month, int add)
{
	struct tm s = { 0 };

	s.tm_year = tm->tm_year;
	s.tm_mon = tm->tm_mon + (month ? add : 0);
	s.tm_mday = month ? 1 : tm->tm_mday + add;
	s.tm_isdst = -1;	/* whatever DST says at that local midnight */
	return (int64_t)mktime(&s);
}

/* limits_window - the local calendar window holding now */
void limits_window(enum quota_window w, int64_t now, int64_t *start, int64_t *end,
		   char id[24])
{
	time_t t = (time_t)now;
	struct tm tm;

	localtime_r(&t, &tm);
	if (w == WINDOW_HOUR) {
		*start = now - tm.tm_min * 60 - tm.tm_sec;
		*end = *start + 3600;
		strftime(id, 24, "%Y-%m-%dT%H%z", &tm);
	} else if (w == WINDOW_DAY) {
		*start = limits_local_start(&tm, 0, 0);
		*end = limits_local_start(&tm, 0, 1);
		strftime(id, 24, "%Y-%m-%d", &tm);
	} else {
		*start = limits_local_start(&tm, 1, 0);
		*end = limits_local_start(&tm, 1, 1);
		strftime(id, 24, "%Y-%m", &tm);
	}
}

/* limits_lower - ASCII lower-case b's contents in place */
static void limits_lower(struct buf *b)
{
	for (size_t i = 0; i < b->len; i++)
		if (b->data[i] >= 'A' && b->data[i] <= 'Z')
			b->data[i] = (char)(b->data[i] - 'A' + 'a');
}

/* limits_id_cert - pubkey fingerprint preferred, canonical form */
static int limits_id_cert(const struct rw_txn *t, struct buf *out)
{
	const char *srcs[] = { t->cert_pubkey_fingerprint, t->cert_fingerprint }, *e;
	char text[FPRINT_MAX * 3];
	struct rw_fprint fp;

	for (size_t i = 0; i < LIMITS_NELEM(srcs); i++) {
		if (!txn_has(srcs[i]) || fprint_parse(srcs[i], &fp, &e) < 0)
			continue;
		fprint_format(&fp, text);
		buf_puts(out, text);
		return 0;
	}
	return -1;
}

/* limits_id_address - canonical client address, masked to prefix bits unless 0 */
static int limits_id_address(const struct rw_txn *t, unsigned prefix4, unsigned prefix6,
			     int masked, struct buf *out)
{
	char text[INET6_ADDRSTRLEN];
	struct rw_ip ip;
	unsigned prefix, bytes;

	if (!txn_has(t->client_address) || cidr_parse_ip(t->client_address, &ip) < 0)
		return -1;
	bytes = ip.family == 4 ? 4 : 16;
	prefix = ip.family == 4 ? prefix4 : prefix6;
	for (unsigned i = 0; masked && i < bytes; i++) {
		unsigned keep = prefix > 8 * i ? prefix - 8 * i : 0;

		if (keep < 8)
			ip.b[i] &= (unsigned char)(0xff00u >> keep);
	}
	inet_ntop(ip.family == 4 ? AF_INET : AF_INET6, ip.b, text, sizeof(text));
	buf_puts(out, text);
	if (masked)
		buf_printf(out, "/%u", prefix);
	return 0;
}

/* limits_id_sender - lower-cased sender address (domain only if want_domain) */
static int limits_id_sender(const struct rw_txn *t, int want_domain, struct buf *out)
{
	struct rw_addr a;
	const char *e;
	int r = 0;

	if (!txn_has(t->sender) || addr_parse(t->sender, strlen(t->sender), &a, &e) < 0) {
		if (want_domain || !txn_has(t->sender))
			return -1;
		buf_puts(out, t->sender);	/* unparsable: charged as given */
		limits_lower(out);
		return 0;
	}
	if (a.flags & ADDR_F_NULL)
		r = -1;
	else if (want_domain && (*a.domain == '\0' || (a.flags & ADDR_F_LITERAL)))
		r = -1;
	else if (want_domain)
		buf_puts(out, a.domain);
	else
		buf_printf(out, "%s%s%s", a.local, *a.domain ? "@" : "", a.domain);
	addr_release(&a);
	limits_lower(out);
	return r;
}

/* limits_identity - the normalised identity l charges in t; -1 when absent */
static int limits_identity(const struct rw_limit *l, const struct rw_txn *t,
			   const struct rw_rule *permitted_by, const char *customer,
			   struct buf *out)
{
	switch (l->charge) {
	case CHARGE_SASL_USER:
		if (!txn_has(t->sasl_username))
			return -1;
		buf_puts(out, t->sasl_username);
		limits_lower(out);
		return 0;
	case CHARGE_CERT:
		return limits_id_cert(t, out);
	case CHARGE_CLIENT_ADDRESS:
	case CHARGE_CLIENT_PREFIX:
		return limits_id_address(t, l->prefix4, l->prefix6,
					 l->charge == CHARGE_CLIENT_PREFIX, out);
	case CHARGE_NETWORK:
		if (permitted_by == NULL || permitted_by->kind != RULE_NETWORK)
			return -1;
		buf_puts(out, permitted_by->name);
		return 0;
	case CHARGE_CUSTOMER:
		if (customer == NULL || *customer == '\0')
			return -1;
		buf_puts(out, customer);
		return 0;
	case CHARGE_SENDER:
	case CHARGE_SENDER_DOMAIN:
		return limits_id_sender(t, l->charge == CHARGE_SENDER_DOMAIN, out);
	}
	return -1;
}

/* limits_cost - units this txn costs: a peek 1, a charge by unit */
static uint64_t limits_cost(enum limit_unit u, const struct rw_txn *t, int charge)
{
	if (!charge || u == UNIT_MESSAGES)
		return 1;
	if (u == UNIT_RECIPIENTS)
		return t->recipient_count > 0 ? (uint64_t)t->recipient_count : 1;
	return (uint64_t)t->size;
}

/* limits_push - append a check for l with its identity and unit */
static struct limit_check *limits_push(struct limit_plan *out, const struct rw_limit *l,
				       const char *customer, const char *identity,
				       enum limit_unit unit, const struct rw_txn *t)
{
	struct limit_check *c;

	out->v = rw_realloc(out->v, (out->n + 1) * sizeof(*out->v));
	c = &out->v[out->n++];
	memset(c, 0, sizeof(*c));
	c->limit = l;
	c->customer = rw_strdup(customer != NULL && *customer != '\0' ? customer : "-");
	c->dimension = limits_charge_name(l->charge);
	c->identity = rw_strdup(identity);
	c->unit = unit;
	c->cost = limits_cost(unit, t, out->charge);
	return c;
}

/* limits_plan_rate - one GCRA check */
static void limits_plan_rate(struct limit_plan *out, const struct rw_limit *l,
			     const char *customer, const char *identity, const struct rw_txn *t)
{
	struct limit_check *c = limits_push(out, l, customer, identity, l->unit, t);
	uint64_t period_us = l->period_s * 1000000u;

	c->emission_us = l->rate > 0 ? (period_us + l->rate - 1) / l->rate : period_us;
	if (c->emission_us == 0)
		c->emission_us = 1;
	c->tolerance_us = l->burst * c->emission_us;
	c->cap = l->burst;
}

/* limits_plan_quota - one check per capped counter, one window */
static void limits_plan_quota(struct limit_plan *out, const struct rw_limit *l,
			      const char *customer, const char *identity,
			      const struct rw_txn *t, int64_t now)
{
	const struct {
		enum limit_unit unit;
		uint64_t cap;
	} counters[] = {
		{ UNIT_MESSAGES, l->max_messages },
		{ UNIT_RECIPIENTS, l->max_recipients },
		{ UNIT_BYTES, l->max_bytes },
	};
	int64_t start, end;
	char id[24];

	limits_window(l->window, now, &start, &end, id);
	for (size_t i = 0; i < LIMITS_NELEM(counters); i++) {
		struct limit_check *c;

		if (counters[i].cap == 0)
			continue;
		c = limits_push(out, l, customer, identity, counters[i].unit, t);
		c->cap = counters[i].cap;
		c->window_start = start;
		c->window_end = end;
		memcpy(c->window_id, id, sizeof(c->window_id));
	}
}

/* limits_plan - the checks that apply to t */
void limits_plan(const struct rw_policy *p, const struct rw_txn *t,
		 const struct rw_rule *permitted_by, const char *customer, int charge,
		 int64_t now, struct limit_plan *out)
{
	struct buf id = BUF_INIT;

	memset(out, 0, sizeof(*out));
	out->charge = charge ? 1 : 0;
	for (size_t i = 0; i < p->n_limits; i++) {
		const struct rw_limit *l = &p->limits[i];

		buf_truncate(&id, 0);
		if (l->mode == MODE_OFF ||
		    limits_identity(l, t, permitted_by, customer, &id) < 0)
			continue;
		if (l->kind == LIMIT_QUOTA)
			limits_plan_quota(out, l, customer, buf_cstr(&id), t, now);
		else
			limits_plan_rate(out, l, customer, buf_cstr(&id), t);
	}
	buf_release(&id);
}

/* limits_period - "30s", "15m", "1h", "1d": the largest exact unit */
static void limits_period(uint64_t s, struct buf *out)
{
	if (s % 86400 == 0)
		buf_printf(out, "%llud", (unsigned long long)(s / 86400));
	else if (s % 3600 == 0)
		buf_printf(out, "%lluh", (unsigned long long)(s / 3600));
	else if (s % 60 == 0)
		buf_printf(out, "%llum", (unsigned long long)(s / 60));
	else
		buf_printf(out, "%llus", (unsigned long long)s);
}

/* limits_describe - "limit NAME (UNIT, DIMENSION IDENTITY[, WINDOW ID])" */
static void limits_describe(const struct limit_check *c, struct buf *out)
{
	const struct rw_limit *l = c->limit;

	const char *parts[] = {
		l->kind == LIMIT_QUOTA ? "quota " : "limit ", l->name, " (",
		limits_unit_name(c->unit), ", ", c->dimension, " ", c->identity,
	};

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		buf_puts(out, parts[i] != NULL ? parts[i] : "(null)");
	if (l->kind == LIMIT_QUOTA) {
		buf_puts(out, ", ");
		buf_puts(out, limits_window_name(l->window));
		buf_putc(out, ' ');
		buf_puts(out, c->window_id);
	}
	buf_putc(out, ')');
}

/* limits_retry_s - retry-after in whole seconds, at least 1 */
static unsigned long long limits_retry_s(const struct limit_result *r)
{
	unsigned long long s = (unsigned long long)((r->retry_after_ms + 999) / 1000);

	return s > 0 ? s : 1;
}

/* limits_never_dsn - the enhanced code of a message that can never fit */
static const char *limits_never_dsn(enum limit_unit u)
{
	if (u == UNIT_BYTES)
		return "5.3.4";		/* message too big for system */
	if (u == UNIT_RECIPIENTS)
		return "5.5.3";		/* too many recipients */
	return "5.7.1";
}

/* limits_over_text - what an exhausted limit or quota allows */
static void limits_over_text(const struct limit_check *c, const struct limit_result *r,
			     struct buf *t)
{
	const struct rw_limit *l = c->limit;
	const char *unit = limits_unit_name(c->unit);

	if (l->kind == LIMIT_QUOTA) {
		buf_printf(t, "Quota \"%s\" exceeded for %s %s: %llu %s per %s, retry in %llu "
			   "seconds", l->name, c->dimension, c->identity,
			   (unsigned long long)c->cap, unit, limits_window_name(l->window),
			   limits_retry_s(r));
		return;
	}
	buf_printf(t, "Rate limit \"%s\" exceeded for %s %s: %llu %s per ", l->name,
		   c->dimension, c->identity, (unsigned long long)l->rate, unit);
	limits_period(l->period_s, t);
	buf_printf(t, ", retry in %llu seconds", limits_retry_s(r));
}

/*
 * limits_reply - the refusal a failing check gives, into v:
 *   store down, on_store_failure = tempfail: 451 4.3.0
 *   blocked:    450 4.7.1 (reply = permanent: 550 5.7.1) with the reason
 *   never fits: 552 5.3.4 bytes, 552 5.5.3 recipients, 552 5.7.1 messages
 *   over:       450 4.7.1 (reply = permanent: 550 5.7.1) with the retry-after
 */
static void limits_reply(const struct limit_check *c, const struct limit_result *r,
			 struct rw_verdict *v)
{
	const struct rw_limit *l = c->limit;
	enum rw_action act = l->permanent ? ACT_REJECT : ACT_DEFER;
	unsigned code = l->permanent ? 550 : 450;
	const char *dsn = l->permanent ? "5.7.1" : "4.7.1";
	struct buf t = BUF_INIT;

	if (r->degraded && l->on_failure == FAIL_TEMPFAIL) {
		act = ACT_DEFER, code = 451, dsn = "4.3.0";
		buf_puts(&t, "rate-limit store unavailable, try again later");
	} else if (r->blocked) {
		buf_printf(&t, "Sending blocked for %s %s by %s \"%s\": %s", c->dimension,
			   c->identity, l->kind == LIMIT_QUOTA ? "quota" : "limit", l->name,
			   r->reason != NULL && *r->reason ? r->reason : "blocked by the operator");
	} else if (r->never_fits) {
		act = ACT_REJECT, code = 552, dsn = limits_never_dsn(c->unit);
		buf_printf(&t, "Message too large for %s \"%s\": cost %llu %s exceeds %s %llu",
			   l->kind == LIMIT_QUOTA ? "quota" : "limit", l->name,
			   (unsigned long long)c->cost, limits_unit_name(c->unit),
			   l->kind == LIMIT_QUOTA ? "the cap of" : "burst",
			   (unsigned long long)c->cap);
	} else {
		limits_over_text(c, r, &t);
	}
	verdict_set(v, act, code, dsn, "%s", buf_cstr(&t));
	verdict_reason(v, r->degraded && l->on_failure == FAIL_TEMPFAIL ? REASON_STORE :
			  l->kind == LIMIT_QUOTA ? REASON_QUOTA : REASON_LIMIT);
	verdict_rule(v, l->name);
	buf_release(&t);
}

/* limits_status - trace one result; 1 when it refuses (any mode) */
static int limits_status(const struct limit_check *c, const struct limit_result *r,
			 struct buf *line)
{
	const struct rw_limit *l = c->limit;

	if (r->degraded && l->on_failure != FAIL_LOCAL) {
		buf_printf(line, ": store unavailable (degraded), on_store_failure %s",
			   l->on_failure == FAIL_ACCEPT ? "accept: accepted" : "tempfail");
		return l->on_failure != FAIL_ACCEPT;
	}
	buf_puts(line, r->degraded ? ": local fallback:" : ":");
	if (r->blocked)
		buf_printf(line, " blocked: %s", r->reason != NULL ? r->reason : "(no reason)");
	else if (r->never_fits)
		buf_printf(line, " never fits: cost %llu exceeds %llu",
			   (unsigned long long)c->cost, (unsigned long long)c->cap);
	else if (!r->ok)
		buf_printf(line, " over, retry in %llu s", limits_retry_s(r));
	else
		buf_printf(line, " ok, %llu remaining", (unsigned long long)r->remaining);
	return r->blocked || r->never_fits || !r->ok;
}

/* limits_decide - trace every check; the first failing enforced one refuses */
void limits_decide(const struct limit_plan *plan, const struct limit_result *results,
		   struct rw_verdict *v)
{
	struct rw_verdict shadow = VERDICT_INIT;
	struct buf line = BUF_INIT;
	int refused = 0;

	for (size_t i = 0; i < plan->n; i++) {
		const struct limit_check *c = &plan->v[i];

		buf_truncate(&line, 0);
		limits_describe(c, &line);
		if (!limits_status(c, &results[i], &line)) {
			verdict_trace_str(v, buf_cstr(&line));
			continue;
		}
		if (c->limit->mode == MODE_SHADOW) {
			limits_reply(c, &results[i], &shadow);
			buf_printf(&line, "; shadow: would refuse: %u %s %s", shadow.code,
				   shadow.dsn, buf_cstr(&shadow.text));
		} else if (!refused) {
			limits_reply(c, &results[i], v);
			buf_puts(&line, "; refused");
			refused = 1;
		}
		verdict_trace_str(v, buf_cstr(&line));
	}
	verdict_release(&shadow);
	buf_release(&line);
}

/* limit_result_release - free the reason */
void limit_result_release(struct limit_result *r)
{
	free(r->reason);
	memset(r, 0, sizeof(*r));
}

/* limit_plan_release - free the checks' strings and the array */
void limit_plan_release(struct limit_plan *plan)
{
	for (size_t i = 0; i < plan->n; i++) {
		free(plan->v[i].customer);
		free(plan->v[i].identity);
	}
	free(plan->v);
	memset(plan, 0, sizeof(*plan));
}
