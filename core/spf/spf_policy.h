/*
 * spf_policy - what SPF results mean for one transaction. Pure: libc only.
 *
 * Two directions (README.md, "SPF"):
 *  - inbound: mail to our domains (local_domains, relay_domains): the MAIL
 *    FROM domain (HELO for the null sender) evaluated for the connecting
 *    client;
 *  - egress: relayed mail: the MAIL FROM domain evaluated for EACH of the
 *    site's egress addresses: "will the receiver see pass?".
 * A direction's checks are evaluated once per transaction (struct spf_txn,
 * keyed by Postfix's instance id and the sender), not once per recipient.
 *
 * Which results refuse (modes defer and reject; shadow and tag never do):
 *   result      inbound          egress            reject mode      defer mode
 *   fail        refused          refused           550 5.7.23       451 4.7.24
 *   softfail    accepted         refused           550 5.7.23       451 4.7.24
 *   permerror   refused          refused           550 5.7.24       451 4.7.24
 *   temperror   refused          refused           451 4.7.24       451 4.7.24
 *   pass, neutral, none: accepted.
 * (RFC 7372: X.7.23 "SPF validation failed", X.7.24 "SPF validation
 * error".) Egress refuses softfail too: DMARC counts only pass. For egress
 * the first refused address decides. Reply texts are ours: they name the
 * domain, the result and the address, never the record's explanation.
 *
 * Tag mode: spf_policy_header builds the Received-SPF header (RFC 7208
 * 9.1) for policyd's PREPEND action. Every value taken from the client
 * (sender, HELO, domain) is quoted, its control and non-ASCII octets
 * replaced by '?', and cut at 255 octets.
 *
 * Ownership: struct spf_txn owns its strings and outcomes; spf_txn_release
 * frees them. Not thread-safe (one per policyd connection).
 */
#ifndef RW_SPF_POLICY_H
#define RW_SPF_POLICY_H

#include <stddef.h>

#include "core/util/buf.h"
#include "core/engine/cidr.h"
#include "core/engine/mode.h"
#include "core/spf/spf.h"
#include "core/engine/verdict.h"

enum spf_dir { SPF_DIR_INBOUND = 0, SPF_DIR_EGRESS = 1 };

struct spf_check_result {	/* one evaluation: the address and its outcome */
	struct rw_ip ip;
	char *ip_text;
	struct spf_outcome out;
};

struct spf_txn {		/* one connection's current transaction */
	char *instance;		/* Postfix instance id */
	char *sender;		/* MAIL FROM as given ("" = null sender) */
	struct spf_dir_results {
		int done;	/* evaluated (v may still be empty) */
		struct spf_check_result *v;
		size_t n;
	} dir[2];
};

/* spf_txn_use - keep the cache if it holds (instance, sender), else empty it for them */
void spf_txn_use(struct spf_txn *c, const char *instance, const char *sender);
/* spf_txn_release - free everything; the cache is empty afterwards */
void spf_txn_release(struct spf_txn *c);

/* spf_policy_dir_name - "inbound", "egress" */
const char *spf_policy_dir_name(enum spf_dir dir);
/* spf_policy_mode_name - "off", "shadow", "tag", "defer", "reject" */
const char *spf_policy_mode_name(enum rw_mode mode);
/* spf_policy_refused - r refuses in direction dir (table above) */
int spf_policy_refused(enum spf_dir dir, enum spf_result r);
/* spf_policy_decisive - the check that decides: the first refused, else the first; NULL if none */
const struct spf_check_result *spf_policy_decisive(enum spf_dir dir,
						   const struct spf_dir_results *res);
/*
 * spf_policy_apply - trace the results into v and, in modes defer and
 * reject, refuse (v->action REJECT or DEFER, reply per the table); 1 when
 * v now refuses, else 0 (v's action untouched).
 */
int spf_policy_apply(enum rw_mode mode, enum spf_dir dir,
		     const struct spf_dir_results *res, struct rw_verdict *v);
/*
 * spf_policy_header - "Received-SPF: RESULT (COMMENT) key=value; ..." (no
 * line break) for the decisive check of res, into out (appended).
 */
void spf_policy_header(enum spf_dir dir, const struct spf_dir_results *res,
		       const char *receiver, const char *sender, const char *helo,
		       struct buf *out);

#endif
