/*
 * engine - the milter's two decisions, synchronous in the libmilter thread,
 * decided by core/engine/decide.c (the same steps and texts as policyd) with the
 * fetches done here:
 *
 * RCPT: the relay step; a permitted recipient is peeked against every
 *   limit that applies on the store (core/limits/limit_sync.c; nothing is charged);
 *   an accepted recipient is remembered for EOM.
 * EOM: the message checks (milter/eom.c) first, then, when this milter is
 *   the charging point (charge_at = milter), the message is charged once
 *   with the recipients this milter accepted and the size it counted, all
 *   or nothing; then the checks' header changes of an accepted message.
 *
 * Each decision writes one audit record (component "milter") and maps the
 * verdict to SMFIS_CONTINUE, or smfi_setreply + SMFIS_REJECT/TEMPFAIL.
 * A milter without a configuration snapshot answers TEMPFAIL.
 * Thread-safety: any thread, one session per thread.
 */
#ifndef RW_MILTER_ENGINE_H
#define RW_MILTER_ENGINE_H

#include "core/util/buf.h"
#include "core/engine/verdict.h"
#include "milter/ops.h"
#include "milter/session.h"

/* engine_rcpt - decide recipient rcpt (without angle brackets) */
sfsistat engine_rcpt(struct session *s, const struct milter_ops *ops, SMFICTX *ctx,
		     const char *rcpt);
/* engine_eom - decide the message at end of message */
sfsistat engine_eom(struct session *s, const struct milter_ops *ops, SMFICTX *ctx);
/*
 * engine_reply_text - the verdict's text as smfi_setreply takes it: control
 * characters as '?', '%' doubled (Sendmail drops a text with a single '%'),
 * then " (id ID)" when the verdict has one; at most 980 bytes in all
 * (libmilter's limit).
 */
void engine_reply_text(const struct rw_verdict *v, struct buf *out);

#endif
