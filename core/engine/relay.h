/*
 * relay - the relay decision for one recipient. Pure: txn + policy -> verdict.
 *
 * Order, each step traced into the verdict:
 *  1. the recipient must parse (else 501 5.1.3) and carry no relay trick
 *     (source route, %, !, @ in the local part, address literal: 554 5.7.1);
 *  2. an authenticated client matched by a SASL rule that enforces sender
 *     login must own the envelope sender (else 553 5.7.1);
 *  3. a recipient in local_domains or relay_domains is not relay: OK;
 *  4. relay rules in order; the first that permits: OK;
 *  5. otherwise 554 5.7.1 "<rcpt>: Relay access denied".
 * Stages other than RCPT and VRFY get DUNNO. No I/O, no globals, no clock.
 */
#ifndef RW_RELAY_H
#define RW_RELAY_H

#include "core/engine/policy.h"
#include "core/engine/txn.h"
#include "core/engine/verdict.h"

/* relay_decide - fill *v (which must be empty) for t under p */
void relay_decide(const struct rw_policy *p, const struct rw_txn *t, struct rw_verdict *v);

/*
 * relay_permitter - the first relay rule that permits this session (its
 * client identity: SASL, address, certificate), whatever the recipient;
 * NULL if none. For charging limits at END-OF-MESSAGE, where there is no
 * single recipient to decide.
 */
const struct rw_rule *relay_permitter(const struct rw_policy *p, const struct rw_txn *t);

#endif
