/*
 * decision - one policy request's decision in policyd: relay (synchronous,
 * core/relay.c), then SPF (asynchronous, core/spf_pool.c), then rate limits
 * and quotas (asynchronous, policyd/limiter.c).
 *
 * SPF (core/spf_policy.h): at RCPT, a recipient the relay step permitted is
 * checked per the spf section: inbound (our domain: the client address) or
 * egress (relayed: every egress address). The results are cached in the
 * connection's struct spf_txn (d->spf_txn, set by the caller before
 * decision_start) by instance id and sender, so a transaction is evaluated
 * once, not once per recipient. Modes defer and reject refuse here (the
 * limits are then not consulted). Tag mode cannot answer PREPEND at RCPT:
 * PREPEND counts as DUNNO in Postfix, so it would drop the relay permission
 * (OK) and the "reject" after check_policy_service would refuse the mail;
 * the Received-SPF header is answered at DATA instead (d->prepend, from the
 * cache), when Postfix asks there (smtpd_data_restrictions).
 *
 * At RCPT (and VRFY) a permitted recipient is peeked against every limit
 * that applies (nothing is charged); at END-OF-MESSAGE, when this policyd
 * is the charging point (charge_at = policyd), the message is charged once
 * with the accepted recipient count and the real size, all or nothing.
 * Other stages get DUNNO. The verdict ends up in d->v with the limit checks
 * in d->plan / d->results for the audit record.
 *
 * Lifetime: the txn borrows the parser's strings, so the caller must not
 * reset or feed the parser until the decision is done. The decision holds a
 * reference to the config snapshot it started with (a reload meanwhile does
 * not change its rules). decision_release frees everything; a decision still
 * waiting must be cancelled first (decision_cancel).
 */
#ifndef RW_DECISION_H
#define RW_DECISION_H

#include <stdint.h>

#include "core/audit.h"
#include "core/config.h"
#include "core/limits.h"
#include "core/proto.h"
#include "core/spf_policy.h"
#include "core/strvec.h"
#include "core/txn.h"
#include "core/verdict.h"
#include "policyd/server.h"

struct decision {
	struct rw_config *cfg;		/* a reference */
	struct strvec store;		/* decoded request strings */
	struct rw_txn t;
	struct rw_verdict v;
	struct limit_plan plan;
	struct limit_result *results;	/* plan.n of them once the limiter answered */
	uint64_t lim_id;		/* != 0 while waiting for the limiter */
	struct spf_txn *spf_txn;	/* the connection's SPF cache (caller's; NULL: no SPF) */
	uint64_t spf_id;		/* != 0 while waiting for the SPF pool */
	enum spf_dir spf_dir;
	struct audit_spf spf;		/* the SPF step for the audit record (n = 0: none) */
	struct buf prepend;		/* DATA, tag mode: the header for "action=PREPEND" */
	struct server *server;
	void (*done)(struct decision *d, void *arg);
	void *arg;
};

/*
 * decision_start - decide the complete request in p (d zeroed by the
 * caller); 1 when decided now, 0 when done(d, arg) will run later from the
 * event loop.
 */
int decision_start(struct decision *d, struct server *s, const struct proto_parser *p,
		   void (*done)(struct decision *d, void *arg), void *arg);
/* decision_cancel - done will not run */
void decision_cancel(struct decision *d, struct server *s);
/* decision_audited - the decision writes an audit record (relay stages, or limits ran) */
int decision_audited(const struct decision *d);
void decision_release(struct decision *d);

#endif
