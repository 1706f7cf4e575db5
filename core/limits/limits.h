/*
 * limits - rate limits and quotas: the model, the plan, the verdict. Pure.
 *
 * A limit (kind LIMIT_RATE) is a GCRA rate with a burst in one explicit
 * unit; a quota (LIMIT_QUOTA) is a calendar window (hour/day/month in a
 * configured time zone) with caps on messages, recipients and bytes. Each
 * names what it charges (the accountable identity). Semantics: README.md
 * "Rate limits and quotas", schema/config-reference.md (limit, quota).
 *
 * Flow (plan -> fetch -> decide):
 *  1. limits_plan: which checks apply to this txn, with identities and costs.
 *     At RCPT a peek (charge=0: would one more unit fit? nothing is stored);
 *     at END-OF-MESSAGE a charge (messages 1, recipients = recipient_count,
 *     bytes = size), all-or-nothing.
 *  2. the front-end runs the plan against the store (Redis via
 *     core/limits/limit_store.c and schema/limits.lua, or the local fallback) and
 *     fills one struct limit_result per check.
 *  3. limits_decide: results -> verdict (450 4.7.1 naming limit, unit and
 *     retry-after; 552 5.7.1 when a message can never fit; shadow mode
 *     accepts and traces; a degraded store applies each limit's fail mode).
 *
 * Ownership: plans own their strings; limit_plan_release frees them.
 */
#ifndef RW_LIMITS_H
#define RW_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#include "core/engine/mode.h"
#include "core/engine/txn.h"
#include "core/engine/verdict.h"

struct rw_policy;
struct rw_rule;

enum limit_kind { LIMIT_RATE = 1, LIMIT_QUOTA };

enum limit_charge {
	CHARGE_SASL_USER = 1,	/* sasl_username */
	CHARGE_CERT,		/* client cert fingerprint (pubkey preferred) */
	CHARGE_CLIENT_ADDRESS,	/* the client IP */
	CHARGE_CLIENT_PREFIX,	/* client IP masked to prefix4 / prefix6 */
	CHARGE_NETWORK,		/* the name of the network relay rule that permitted */
	CHARGE_CUSTOMER,	/* the customer id the identities map to */
	CHARGE_SENDER,		/* envelope sender address (forgeable: opt-in) */
	CHARGE_SENDER_DOMAIN,	/* envelope sender domain (forgeable: opt-in) */
};

enum limit_unit { UNIT_MESSAGES = 1, UNIT_RECIPIENTS, UNIT_BYTES };
enum limit_failmode { FAIL_TEMPFAIL = 1, FAIL_ACCEPT, FAIL_LOCAL };
enum quota_window { WINDOW_HOUR = 1, WINDOW_DAY, WINDOW_MONTH };

struct rw_limit {
	char *name;
	enum limit_kind kind;
	enum limit_charge charge;
	unsigned prefix4, prefix6;	/* CHARGE_CLIENT_PREFIX: 24 / 64 default */
	enum rw_mode mode;		/* enforce, shadow or off (core/engine/mode.h) */
	int permanent;			/* reply class: 5xx instead of 450 */
	enum limit_failmode on_failure;
	unsigned local_share;		/* FAIL_LOCAL: percent of the limit per node */
	/* LIMIT_RATE */
	enum limit_unit unit;
	uint64_t rate;			/* units per period */
	uint64_t period_s;
	uint64_t burst;			/* units that may go at once (default = rate) */
	/* LIMIT_QUOTA: 0 = that counter is not capped */
	enum quota_window window;
	uint64_t max_messages, max_recipients, max_bytes;
};

/* One check the store must run: one GCRA key, or one quota counter. */
struct limit_check {
	const struct rw_limit *limit;
	char *customer;		/* customer id, "-" when none maps */
	const char *dimension;	/* "sasl_user", "client_prefix", ... (static) */
	char *identity;		/* normalised clear identity, for audit and keys */
	enum limit_unit unit;	/* what cost counts (quota: the counter's unit) */
	uint64_t cost;		/* units; at RCPT peek: 1 */
	uint64_t cap;		/* quota: the counter's cap; rate: the burst */
	/* LIMIT_RATE: GCRA parameters in microseconds */
	uint64_t emission_us;	/* period / rate */
	uint64_t tolerance_us;	/* burst * emission */
	/* LIMIT_QUOTA: the window */
	int64_t window_start;	/* epoch seconds of the local window start */
	int64_t window_end;	/* epoch seconds of the next window's start */
	char window_id[24];	/* local: "2026-11-23T14+0100", "2026-11-23", "2026-11" */
};

struct limit_plan {
	struct limit_check *v;
	size_t n;
	int charge;		/* 0 peek, 1 charge */
	/*
	 * charge: the store must not charge after this time (µs on the store's
	 * clock; the limit client sets it when it sends, core/limits/limit_client.h):
	 * the caller has given up by then and applied the fail mode. 0: none.
	 */
	uint64_t deadline_us;
};

struct limit_result {
	int ok;			/* room (for a peek: one more unit fits) */
	int never_fits;		/* cost exceeds the whole burst / cap */
	int blocked;		/* manual block (relaywarden quota block) */
	char *reason;		/* block reason, owned; NULL */
	uint64_t remaining;	/* units left after this decision */
	uint64_t retry_after_ms;
	int degraded;		/* the store was unavailable; fail mode applied */
};

/*
 * limits_plan - the checks for t; permitted_by is the relay rule that
 * permitted (for CHARGE_NETWORK), customer the customer id or NULL, now the
 * wall clock (quota windows). Limits in MODE_OFF are left out, and so is a
 * limit whose identity this txn lacks (sasl_user for an unauthenticated
 * client, ...). Order: p->limits order; a quota gives one check per capped
 * counter (messages, recipients, bytes).
 *
 * Time zone: quota windows are local calendar hours/days/months of the
 * PROCESS time zone (localtime_r/mktime). The caller sets it to
 * p->timezone -- setenv("TZ", p->timezone, 1); tzset(); -- at start-up and
 * after a reload that changed it, before any thread decides (the milter:
 * before smfi_main; a timezone change there needs a restart).
 */
void limits_plan(const struct rw_policy *p, const struct rw_txn *t,
		 const struct rw_rule *permitted_by, const char *customer, int charge,
		 int64_t now, struct limit_plan *out);
/* limits_decide - results[i] answers plan->v[i]; appends trace, sets v on refusal */
void limits_decide(const struct limit_plan *plan, const struct limit_result *results,
		   struct rw_verdict *v);
/*
 * limits_window - the quota window holding now, in the process time zone
 * (see limits_plan): [*start, *end) in epoch seconds and its id. Hours are
 * 3600 s and their id carries the UTC offset (the repeated hour at a DST
 * fall-back is a separate window); days and months follow the local
 * calendar (23/25-hour days at DST changes).
 */
void limits_window(enum quota_window w, int64_t now, int64_t *start, int64_t *end,
		   char id[24]);
/* limits_unit_name - "messages", "recipients", "bytes" */
const char *limits_unit_name(enum limit_unit u);
/* limits_charge_name - "sasl_user", "cert", ... (the config keyword, the dimension) */
const char *limits_charge_name(enum limit_charge c);
/* limits_window_name - "hour", "day", "month" */
const char *limits_window_name(enum quota_window w);
void limit_result_release(struct limit_result *r);
void limit_plan_release(struct limit_plan *plan);

#endif
