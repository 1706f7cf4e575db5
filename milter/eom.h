/*
 * eom - the end-of-message message checks of the milter (DKIM, SPF,
 * alignment, Authentication-Results), behind one small interface so the
 * callbacks and the engine do not change when the checks do.
 *
 * Flow per message: eom_header / eom_body feed what the MTA sends (only
 * when eom_wants_message said so at negotiation: otherwise the MTA is
 * asked not to send the body); at EOM eom_check adds the checks' verdict
 * (refusal in enforce mode, trace lines in shadow mode) before limits are
 * charged; eom_apply makes the header changes of a message that is
 * accepted (insert Authentication-Results at the top, remove forged ones).
 *
 * Status: the message-check modules (core/dkimv, core/align, core/authres,
 * core/msgcheck.h) are being written; until they are wired in here,
 * eom_wants_message is 0, nothing is kept, eom_check adds nothing and
 * eom_apply changes nothing: EOM does limits only.
 *
 * Ownership: the struct eom_msg * of a message is the session's
 * (session_msg_reset frees it). Thread-safety: per session.
 */
#ifndef RW_MILTER_EOM_H
#define RW_MILTER_EOM_H

#include <stddef.h>

#include "core/config.h"
#include "core/txn.h"
#include "core/verdict.h"
#include "milter/ops.h"

struct eom_msg;

/* eom_wants_message - the checks configured in cfg need headers and body */
int eom_wants_message(const struct rw_config *cfg);
/* eom_actions - SMFIF_* actions the checks may take (add/change headers) */
unsigned long eom_actions(const struct rw_config *cfg);
/* eom_header - one header field as the MTA sent it */
void eom_header(struct eom_msg **mp, const char *name, const char *value);
/* eom_body - one body chunk */
void eom_body(struct eom_msg **mp, const unsigned char *p, size_t len);
/* eom_check - the checks' outcome for t into v (left DUNNO when they pass or are off) */
void eom_check(struct eom_msg *m, const struct rw_config *cfg, const struct rw_txn *t,
	       struct rw_verdict *v);
/* eom_apply - header changes of an accepted message; 0 or -1 (an MTA call failed) */
int eom_apply(struct eom_msg *m, const struct milter_ops *ops, SMFICTX *ctx);
void eom_msg_free(struct eom_msg **mp);

#endif
