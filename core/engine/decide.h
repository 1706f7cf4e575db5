/*
 * decide - one decision, the same for every front-end. Pure, sans-I/O:
 * plan -> fetch -> decide (docs/architecture.md).
 *
 * policyd, the milter and `relaywarden explain`/`replay` all decide here;
 * each keeps only its I/O (reading the request, Redis, DNS, the reply and
 * the audit write). The steps and their order:
 *
 *  1. relay (core/engine/relay.c) at RCPT and VRFY: recipient, sender ownership,
 *     local domains, relay rules. Other stages: DUNNO. At END-OF-MESSAGE the
 *     milter's message checks (DKIM, SPF, alignment: milter/eom.c) take
 *     this step's place: DECIDE_NEED_CHECKS.
 *  2. SPF (policyd at RCPT, when given the connection's SPF cache): a
 *     recipient the relay step permitted is checked inbound (our domain:
 *     the client address) or egress (relayed: every egress address) per the
 *     spf section (core/spf/spf_policy.h): DECIDE_NEED_SPF, unless the cache
 *     holds this transaction's results already. At DATA a tag-mode result
 *     of the transaction gives the Received-SPF header (decide_action
 *     answers "PREPEND").
 *  3. limits (core/limits/limits.h): at RCPT/VRFY a permitted recipient is peeked
 *     (nothing charged); at END-OF-MESSAGE the front-end that charge_at
 *     names charges the message once: DECIDE_NEED_LIMITS with d->plan.
 *     At END-OF-MESSAGE the verdict is set OK while the limits run (they
 *     refuse on top) and an OK is turned into DUNNO afterwards (DUNNO lets
 *     the MTA go on; OK would skip its later restrictions).
 *
 * Use:
 *	decide_start(&d, cfg, DECIDE_POLICYD, &t, &spf_cache, time(NULL));
 *	while ((need = decide_next(&d)) != DECIDE_DONE)
 *		fetch what need says, then decide_spf_done, decide_limits_done
 *		or decide_checks_done (or decide_skip: not fetched, traced);
 *	decide_action(&d, NULL, &line);   d.v is the verdict, d.v.trace the trace
 *	decide_release(&d);
 * A front-end may fetch asynchronously between decide_next calls.
 *
 * Ownership: cfg, t and the SPF cache are borrowed and must outlive the
 * decision; the decision owns its verdict, plan, results and the
 * Received-SPF header. Thread-safety: one decision per thread; cfg is read
 * only. Pure: libc only (config.h and audit.h for their types alone).
 */
#ifndef RW_DECIDE_H
#define RW_DECIDE_H

#include <stdint.h>

#include "core/audit/audit.h"
#include "core/util/buf.h"
#include "core/config/config.h"
#include "core/limits/limits.h"
#include "core/spf/spf_policy.h"
#include "core/engine/txn.h"
#include "core/engine/verdict.h"

/* the front-end deciding: which one charges (charge_at) and its steps */
enum decide_front { DECIDE_POLICYD = 0, DECIDE_MILTER };

enum decide_need {
	DECIDE_DONE = 0,	/* d->v is the verdict */
	DECIDE_NEED_CHECKS,	/* milter EOM: the message checks into d->v, then decide_checks_done */
	DECIDE_NEED_SPF,	/* evaluate decide_spf_requests, then decide_spf_done */
	DECIDE_NEED_LIMITS,	/* run d->plan, then decide_limits_done */
};

struct decide {
	const struct rw_config *cfg;
	const struct rw_txn *t;
	enum decide_front front;
	int64_t now;			/* wall clock, epoch seconds (quota windows) */
	int step;			/* private */
	struct rw_verdict v;
	/* SPF */
	struct spf_txn *spf_cache;	/* the caller's; NULL: no SPF step */
	enum spf_dir spf_dir;
	struct spf_dir_results *spf_checks;	/* in spf_cache, while DECIDE_NEED_SPF */
	struct audit_spf spf;		/* the SPF step for the audit record (n = 0: none) */
	struct buf prepend;		/* DATA, tag mode: the Received-SPF header */
	/* limits */
	const char *customer;		/* the customer the identities map to, or NULL */
	const char *customer_via;	/* what matched ("sasl_user", ...) */
	struct limit_plan plan;
	struct limit_result *results;	/* plan.n of them after decide_limits_done */
};

/* decide_start - the relay step for t under cfg (d is overwritten) */
void decide_start(struct decide *d, const struct rw_config *cfg, enum decide_front front,
		  const struct rw_txn *t, struct spf_txn *spf_cache, int64_t now);
/* decide_next - what the decision needs now; DECIDE_DONE when decided */
enum decide_need decide_next(struct decide *d);
/*
 * decide_spf_requests - at DECIDE_NEED_SPF: the evaluations to run, in
 * order, into reqs (d->spf_checks->n of them; the strings are borrowed
 * from t and cfg); the budget is cfg->spf.budget_ms for them all.
 */
void decide_spf_requests(const struct decide *d, struct spf_request *reqs);
/* decide_spf_done - outs[i] answers request i (n of them); takes outs and the array (free) */
void decide_spf_done(struct decide *d, struct spf_outcome *outs, size_t n);
/* decide_limits_done - results[i] answers d->plan.v[i]; takes the array (free) */
void decide_limits_done(struct decide *d, struct limit_result *results);
/* decide_checks_done - the message checks left their outcome in d->v */
void decide_checks_done(struct decide *d);
/* decide_skip - what the current need asks is not fetched: trace why, go on */
void decide_skip(struct decide *d, const char *why);
/* decide_spf_mode - the SPF mode of direction dir in cfg */
enum rw_mode decide_spf_mode(const struct rw_config *cfg, enum spf_dir dir);
/* decide_spf_receiver - our name in %{r} and Received-SPF */
const char *decide_spf_receiver(const struct rw_config *cfg);
/*
 * decide_action - append the Postfix "action=..." value line (no newline)
 * for the verdict; reply is verdict_reply(&d->v) when the caller has it
 * (NULL: computed). Postfix itself puts "<rcpt>: Recipient address
 * rejected: " in front of a refusal at RCPT, so the engine's own leading
 * "<rcpt>: " is dropped. A tag-mode Received-SPF at DATA is "PREPEND".
 */
void decide_action(const struct decide *d, const struct buf *reply, struct buf *out);
/* decide_audited - the decision writes an audit record (relay stages, or limits ran) */
int decide_audited(const struct decide *d);
/* decide_audit - the plan, results and SPF step into ctx (what ran) */
void decide_audit(const struct decide *d, struct audit_ctx *ctx);
void decide_release(struct decide *d);

#endif
