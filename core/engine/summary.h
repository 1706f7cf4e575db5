/*
 * summary - the one-line, Postfix-style summary of a decision, for the
 * operational log beside Postfix's own lines in mail.log:
 *
 *   QUEUEID: reject: RCPT from NAME[ADDR]: 554 5.7.1 <r>: Relay access
 *     denied (id ID); sasl=USER from=<S> to=<R> rule=RULE id=ID
 *
 * QUEUEID is NOQUEUE before Postfix assigned one (as Postfix writes it);
 * the action word is "reject" for every refusal (the reply code says 4xx
 * or 5xx, as in Postfix's "reject: RCPT from ..."), "permit" for OK and
 * "dunno" for DUNNO; sasl= only for an authenticated client; rule=- when
 * no rule decided. Values come from the client: control characters (C0,
 * DEL, C1) become '?', so a line is always one line. Pure.
 */
#ifndef RW_SUMMARY_H
#define RW_SUMMARY_H

#include "core/util/buf.h"
#include "core/engine/txn.h"
#include "core/engine/verdict.h"

/* summary_line - append the summary of t decided as v (reply: verdict_reply of v) to out */
void summary_line(const struct rw_txn *t, const struct rw_verdict *v, const struct buf *reply,
		  struct buf *out);

#endif
