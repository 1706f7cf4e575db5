/*
 * audit - one JSON line per decision, to a file and/or syslog.
 *
 * The record layout is schema/audit-record.schema.json (version "1"); keep
 * them in agreement. audit_record builds the line (pure apart from the
 * clock passed in); audit_write appends it to the sinks: the file is opened
 * O_APPEND and every record (or batch of whole records, audit_write_lines)
 * is written by one write(2) so concurrent writers never interleave; syslog
 * gets each record's JSON at LOG_INFO.
 *
 * Errors: audit_open returns -1 with *err set; a failed write is reported
 * through the return value and logged by the caller (audit_failure says
 * when, so a full disk gives a line a second, not one per decision), never
 * fatal. A record a full disk or a size limit cut short stays a line of
 * its own: the next write starts with a newline (also when the file was
 * left that way by an earlier process); a concurrent writer to the same
 * file can still append to the cut record in between.
 * Reopen (rotation) is requested from a signal handler by setting a flag the
 * caller polls; audit_reopen does the work outside signal context.
 *
 * Signed checkpoints (core/audit/audit_sign.h): with a signing_key_file the
 * writer signs a checkpoint line over its chain's running hash at
 * audit_open ("start"), after every checkpoint_records records
 * ("records"), after the first record sealed checkpoint_seconds or more
 * after the last checkpoint ("time": checked when a record is sealed and
 * by audit_tick, which the daemons call from a timer), before
 * audit_reopen reopens ("rotate") and at audit_close
 * ("close": stop or reload). audit_seal appends a checkpoint that falls
 * due to the buffer it seals, after a newline, so the buffer then ends
 * with the checkpoint's line; the others are written at once. A caller
 * that batches sealed records must write them before audit_reopen and
 * audit_close, or the checkpoint reaches the file before the records it
 * covers. Each checkpoint also goes to syslog: with the syslog sink
 * among the records, else as an operational log line
 * (event=audit_checkpoint JSON, core/util/log.h), so a copy leaves the host.
 * The metrics' records written and lost (core/metrics/metrics.h) count decision
 * records, not checkpoints (a checkpoint lost to a full disk counts as lost).
 */
#ifndef RW_AUDIT_H
#define RW_AUDIT_H

#include <sys/time.h>

#include "core/util/buf.h"
#include "core/config/config.h"
#include "core/limits/limits.h"
#include "core/engine/txn.h"
#include "core/engine/verdict.h"

struct audit;
struct spf_check_result;
struct mc_dkim_sig;

struct audit_message {		/* the message checks at EOM (milter/eom.c); "message" */
	const char *dkim_mode;		/* "enforce", "shadow"; NULL: DKIM not checked */
	const char *dkim;		/* the message's result word */
	const struct mc_dkim_sig *sigs;	/* every signature, header order */
	size_t n_sigs;
	const char *spf_mode;		/* NULL: SPF not checked */
	const char *spf_direction;	/* "inbound", "egress" */
	const char *spf_result;		/* of the decisive check */
	const char *spf_domain;
	const char *spf_ip;
	const char *alignment_mode;	/* NULL: alignment not checked */
	const char *alignment;		/* "pass", "fail", "temperror" */
	const char *finding;		/* the From finding: "ok", "multiple From headers", ... */
	const char *from_domain;	/* "" unless exactly one From domain */
	const char *how;		/* "dkim", "spf", "dkim+spf", "planned", "none" */
	const char *org_method;		/* "treewalk", "psl" */
	const char *org_domain;		/* the From domain's; "": unknown */
	const char *dmarc_record;	/* "_dmarc.x" the policy came from; "": none */
	const char *policy;		/* "none", ...; NULL: no record */
	const char *policy_tag;		/* "p", "sp", "np"; NULL: no record */
	int testing;			/* the record says t=y */
	unsigned budget_ms;		/* the checks' time budget (spf.budget_ms) */
	unsigned long elapsed_ms;	/* the time they took, look-ups included */
};

struct audit_spf {		/* the SPF step of one decision (core/spf/spf_policy.h) */
	const char *direction;		/* "inbound", "egress" */
	const char *mode;		/* "shadow", "tag", "defer", "reject" */
	int helo_identity;		/* null sender: the HELO name was checked */
	int cached;			/* evaluated for an earlier recipient */
	const struct spf_check_result *checks;	/* one per address, in order */
	size_t n;
	size_t decisive;		/* index of the check that decided */
};

struct audit_ctx {
	const char *component;		/* "policyd", "milter", "cli" */
	const char *host;		/* config instance_name */
	const char *session;		/* front-end session id */
	const char *config_digest;
	struct timeval now;
	/* the limit checks of this decision (NULL: none ran); results[i] answers plan->v[i] */
	const struct limit_plan *plan;
	const struct limit_result *results;
	/* the SPF step (NULL: none ran) */
	const struct audit_spf *spf;
	/* the message checks at end of message (NULL: none ran) */
	const struct audit_message *message;
	/* verdict_reply(v) when the caller has it already (NULL: computed) */
	const struct buf *reply;
};

/* audit_open - sinks from c->audit; NULL with *err on failure */
struct audit *audit_open(const struct rw_config *c, struct buf *err);
/* audit_record - append the JSON record (no trailing newline) to out */
void audit_record(const struct audit_ctx *ctx, const struct rw_txn *t,
		  const struct rw_verdict *v, struct buf *out);
/* audit_write - append one record + "\n" to every sink; 0 or -1 (errno) */
int audit_write(struct audit *a, const struct buf *record);
/* audit_write_lines - append len bytes of whole "\n"-terminated records; 0 or -1 */
int audit_write_lines(struct audit *a, const char *lines, size_t len);
/*
 * audit_seal - with an hmac_key_file or a signing_key_file, chain the
 * record b[start..] (one JSON object, no newline) into this writer's
 * chain: it gets
 *   ,"chain":{"id":ID,"seq":N,"prev":HEX},"mac":HEX}
 * in place of its closing brace, where mac is HMAC-SHA256 of the line up
 * to ',"mac":"' and prev the mac of the chain's line N-1 (64 zeros for
 * N = 0); with a signing key alone only ,"chain":{"id":ID,"seq":N}}.
 * Checkpoints take their seq in the same chain. A chain is one
 * audit_open: every start and reload begins one. Seal in the order the
 * records reach the file (audit_write does, under the caller's lock); a
 * checkpoint due may follow the record in b (see above). Without a key:
 * nothing.
 */
void audit_seal(struct audit *a, struct buf *b, size_t start);
/*
 * audit_failure - after a write returned -1: 1 when the caller should log
 * now (the first failure, then at most once a second), with *lost the
 * records that have not reached the file since the last time it said 1;
 * 0 to stay quiet. Serialise calls as the writes are serialised.
 */
int audit_failure(struct audit *a, unsigned long *lost);
/*
 * audit_tick - from a timer (about once a second): when records were
 * sealed since the last checkpoint and checkpoint_seconds have passed
 * since it, write a "time" checkpoint at once, so an idle writer's last
 * records are proven (and a copy is in syslog) within checkpoint_seconds.
 * Cheap when nothing is due; without a signing key nothing. A caller that
 * batches writes its sealed records first; serialise as audit_write.
 */
void audit_tick(struct audit *a);
/* audit_reopen - reopen the file sink (after rotation); 0 or -1 */
int audit_reopen(struct audit *a, struct buf *err);
void audit_close(struct audit **ap);

#endif
