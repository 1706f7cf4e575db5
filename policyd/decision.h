/*
 * decision - one policy request's decision in policyd: the request as a
 * txn (core/engine/request.c), decided by core/engine/decide.c (relay, SPF, limits), with
 * the fetches done asynchronously on the event loop: SPF in the worker
 * pool (core/spf/spf_pool.c), limits in the limiter (policyd/limiter.c).
 *
 * The environment (struct decision_env) is what a decision depends on:
 * the configuration snapshot, the limiter and the SPF pool current when it
 * starts; the decision keeps a reference to the snapshot (a reload
 * meanwhile does not change its rules) and cancels in the limiter and the
 * pool it submitted to.
 *
 * SPF: the results are cached in the connection's struct spf_txn
 * (d->spf_txn, set by the caller before decision_start), so a transaction
 * is evaluated once, not once per recipient. Tag mode cannot answer
 * PREPEND at RCPT: PREPEND counts as DUNNO in Postfix, so it would drop the
 * relay permission (OK) and the "reject" after check_policy_service would
 * refuse the mail; the Received-SPF header is answered at DATA instead,
 * from the cache, when Postfix asks there (smtpd_data_restrictions).
 *
 * Lifetime: the txn borrows the parser's strings, so the caller must not
 * reset or feed the parser until the decision is done. decision_release
 * frees everything; a decision still waiting must be cancelled first
 * (decision_cancel).
 */
#ifndef RW_DECISION_H
#define RW_DECISION_H

#include <stdint.h>

#include "core/config/config.h"
#include "core/engine/decide.h"
#include "core/engine/proto.h"
#include "core/spf/spf_policy.h"
#include "core/util/strvec.h"
#include "core/engine/txn.h"

struct limiter;
struct spf_pool;

struct decision_env {
	struct rw_config *cfg;		/* the current snapshot */
	struct limiter *limiter;	/* the rate-limit store */
	struct spf_pool *spf_pool;	/* NULL while SPF is off */
};

struct decision {
	struct decision_env env;	/* env.cfg is a reference */
	struct strvec store;		/* decoded request strings */
	struct rw_txn t;
	struct decide dec;		/* dec.v is the verdict */
	uint64_t lim_id;		/* != 0 while waiting for the limiter */
	struct spf_txn *spf_txn;	/* the connection's SPF cache (caller's; NULL: no SPF) */
	uint64_t spf_id;		/* != 0 while waiting for the SPF pool */
	void (*done)(struct decision *d, void *arg);
	void *arg;
};

/*
 * decision_start - decide the complete request in p (d zeroed by the
 * caller, but for d->spf_txn) under env; 1 when decided now, 0 when
 * done(d, arg) will run later from the event loop.
 */
int decision_start(struct decision *d, const struct decision_env *env,
		   const struct proto_parser *p, void (*done)(struct decision *d, void *arg),
		   void *arg);
/* decision_cancel - done will not run */
void decision_cancel(struct decision *d);
void decision_release(struct decision *d);

#endif
