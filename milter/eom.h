/*
 * eom - the end-of-message message checks of the milter (DKIM, SPF,
 * alignment, Authentication-Results), behind one small interface so the
 * callbacks and the engine do not change when the checks do.
 *
 * Configuration: the checks section (core/config/config.h, rw_config.checks),
 * each of dkim, spf and alignment off, shadow or enforce; all off by
 * default, and then nothing here runs and the MTA is not asked for the
 * message. A check that is off but needed by alignment is still
 * evaluated (DKIM results, SPF result) and shown in the
 * Authentication-Results header, never refused on.
 *
 * Per configuration snapshot (milter/state.h) an eom_env holds the shared
 * resolver (dns section), the Public Suffix List and the DKIM verifier;
 * eom_env_new gives NULL (no error) when every check is off.
 *
 * Flow per message: eom_header / eom_body feed what the MTA sends (header
 * values with their leading space when SMFIP_HDR_LEADSPC was agreed); the
 * message keeps a reference to the snapshot current at its first header
 * and is checked under it. At EOM eom_check verifies DKIM, evaluates SPF
 * (inbound: every recipient is ours, the connecting client is checked;
 * relayed: each of spf.egress_addresses, as policyd does), aligns the
 * From field (DMARC record through the resolver), all synchronously and
 * within one budget, spf.budget_ms from the start of the check: every DKIM
 * key, SPF and DMARC look-up waits at most what is left of it (and at
 * most dns.timeout_ms), none starts after it (temperror), so the check
 * ends within the budget plus its own CPU time (EOM_BUDGET_SLACK_MS is
 * what the tests allow for that, valgrind included; the audit record
 * carries budget_ms and elapsed_ms). It adds the outcome to the verdict: the first enforced check
 * that fails refuses (5xx, or 4xx for temporary DNS errors) with a text
 * that says what failed and what to fix; shadow failures are traced only.
 * eom_apply then makes the header changes of an accepted message: every
 * Authentication-Results field claiming our authserv-id is deleted
 * (highest index first), and ours is inserted at index 0.
 * eom_audit gives the checks' part of the audit record.
 *
 * Bounds: a header field (name, colon, value) longer than EOM_FIELD_MAX
 * is not fed to the checks; the message is refused at EOM with "552
 * 5.6.0 header field NAME is too long" when any check is enforced (in
 * shadow the refusal is traced and the message accepted). So that such
 * a field arrives at all, the milter reads MTA packets up to
 * EOM_PACKET_MAX (smfi_setmaxdatasize; libmilter's default, 64 KiB,
 * closed the connection with no verdict and the MTA tempfailed the
 * message on every retry). Past EOM_PACKET_MAX libmilter still drops the
 * connection; Postfix's header_size_limit (100 KB by default) and
 * Sendmail's MaxHeadersLength (32 KB) keep the MTAs far below it.
 *
 * Ownership: the struct eom_msg * of a message is the session's
 * (session_msg_reset frees it). Thread-safety: an eom_env is shared by
 * all threads (read-only after eom_env_new); an eom_msg belongs to its
 * session's thread.
 */
#ifndef RW_MILTER_EOM_H
#define RW_MILTER_EOM_H

#include <stddef.h>

#include "core/audit/audit.h"
#include "core/util/buf.h"
#include "core/config/config.h"
#include "core/engine/txn.h"
#include "core/engine/verdict.h"
#include "milter/ops.h"

/* the longest header field the checks take, bytes (libmilter's old packet bound) */
#define EOM_FIELD_MAX (64 * 1024)
/* the largest MTA packet the milter reads (smfi_setmaxdatasize), bytes */
#define EOM_PACKET_MAX (2 * 1024 * 1024)
/* ms a check may run past its budget: its own CPU time after the last look-up (tests use it) */
#define EOM_BUDGET_SLACK_MS 1000

struct eom_env;
struct eom_msg;
struct snap;

/* eom_env_new - resolver, PSL and verifier for cfg's checks into *envp
 * (NULL when every check is off); 0, or -1 with *err */
int eom_env_new(const struct rw_config *cfg, struct eom_env **envp, struct buf *err);
void eom_env_free(struct eom_env **ep);

/* eom_wants_message - the checks configured in cfg need headers and body */
int eom_wants_message(const struct rw_config *cfg);
/* eom_actions - SMFIF_* actions the checks may take (add/change headers) */
unsigned long eom_actions(const struct rw_config *cfg);
/* eom_header - one header field as the MTA sent it (leadspc: value
 * carries the space after the colon) */
void eom_header(struct eom_msg **mp, const char *name, const char *value, int leadspc);
/* eom_body - one body chunk */
void eom_body(struct eom_msg **mp, const unsigned char *p, size_t len);
/* eom_check - the checks' outcome for t into v (left DUNNO when they pass
 * or are off); sn: the engine's snapshot, used when no header came;
 * relayed: some recipient was accepted as relay (egress SPF, planned DKIM) */
void eom_check(struct eom_msg **mp, struct snap *sn, const struct rw_txn *t, int relayed,
	       struct rw_verdict *v);
/* eom_apply - header changes of an accepted message; 0 or -1 (an MTA call failed) */
int eom_apply(struct eom_msg *m, int leadspc, const struct milter_ops *ops, SMFICTX *ctx);
/* eom_audit - the "message" part of the audit record, NULL when no check ran;
 * valid until eom_msg_free */
const struct audit_message *eom_audit(const struct eom_msg *m);
/* eom_authres - the Authentication-Results value eom_check built ("" if none) */
const char *eom_authres(const struct eom_msg *m);
void eom_msg_free(struct eom_msg **mp);

#endif
