/*
 * verdict - the one decision type every front-end maps to its protocol.
 *
 * A verdict is an action, an SMTP reply (basic code, RFC 3463 enhanced code,
 * text) for refusals, the name of the rule that decided, and the rule trace:
 * one line per step the engine took, in order, for the audit record and
 * `relaywarden explain`. Front-ends map it: Postfix "action=" lines
 * (policyd), SMFIS_* + smfi_setreply (milter).
 *
 * Ownership: the verdict owns its strings; verdict_release frees them and
 * leaves an empty (DUNNO) verdict. Pure: libc only.
 */
#ifndef RW_VERDICT_H
#define RW_VERDICT_H

#include "core/util/buf.h"
#include "core/util/strvec.h"

enum rw_action {
	ACT_DUNNO = 0,		/* no opinion: the MTA goes on */
	ACT_OK,			/* permitted */
	ACT_REJECT,		/* permanent refusal (5xx) */
	ACT_DEFER,		/* temporary refusal (4xx) */
};

/* why a refusal refused: the metrics' and logs' bounded vocabulary */
enum rw_reason {
	REASON_NONE = 0,	/* not a refusal */
	REASON_OTHER,		/* a refusal no step below named */
	REASON_SYNTAX,		/* the recipient does not parse */
	REASON_RELAY,		/* relay not permitted (a trick, or no rule permits) */
	REASON_SENDER,		/* sender ownership (sender_login) */
	REASON_LIMIT,		/* a rate limit */
	REASON_QUOTA,		/* a quota */
	REASON_STORE,		/* the limit store failed and the fail mode defers */
	REASON_SPF,
	REASON_DKIM,
	REASON_ALIGNMENT,
	REASON_COUNT
};

struct rw_verdict {
	enum rw_action action;
	enum rw_reason reason;	/* REASON_NONE unless a refusal; verdict_set resets it */
	unsigned code;		/* 554, 553, 450 ... ; 0 for DUNNO/OK */
	char dsn[12];		/* "5.7.1"; "" for DUNNO/OK */
	struct buf text;	/* human text, e.g. "<a@b>: Relay access denied" */
	char *rule;		/* rule that decided, NULL for the default */
	char id[16];		/* the decision id (core/engine/decid.h), "" for none */
	struct strvec trace;	/* steps, in order */
};

#define VERDICT_INIT { ACT_DUNNO, REASON_NONE, 0, "", BUF_INIT, NULL, "", STRVEC_INIT }

/* verdict_set - set the outcome; code/dsn/fmt only for REJECT and DEFER */
void verdict_set(struct rw_verdict *v, enum rw_action act, unsigned code,
		 const char *dsn, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* verdict_reason - why the refusal just set refuses (after verdict_set) */
void verdict_reason(struct rw_verdict *v, enum rw_reason r);
/* verdict_reason_name - "relay", "sender", "limit", ...; "" for REASON_NONE */
const char *verdict_reason_name(enum rw_reason r);
/* verdict_rule - record the deciding rule's name (copied) */
void verdict_rule(struct rw_verdict *v, const char *name);
/*
 * verdict_trace - append one trace step; verdict_trace_str - one given as
 * is. A NULL v takes none (a rule evaluated only for its answer).
 */
void verdict_trace_str(struct rw_verdict *v, const char *step);
void verdict_trace(struct rw_verdict *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* verdict_action_name - "DUNNO", "OK", "REJECT", "DEFER" */
const char *verdict_action_name(enum rw_action act);
/* verdict_reply - append the SMTP reply "554 5.7.1 text" (nothing for DUNNO/OK),
 * then " (id ID)" when the verdict has an id; control characters in the
 * text (from client data) become '?' */
void verdict_reply(const struct rw_verdict *v, struct buf *out);
void verdict_release(struct rw_verdict *v);

#endif
