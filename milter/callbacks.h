/*
 * callbacks - the libmilter callbacks of relaywarden-milter.
 *
 * Thin: every callback copies its arguments and the macros it needs into
 * the connection's struct session (milter/session.h) and continues; only
 * RCPT and EOM call the engine (milter/engine.h). xxfi_negotiate asks the
 * MTA for the macros the engine reads (smfi_setsymlist, when offered) and
 * negotiates away what is not needed: unknown commands and DATA always;
 * headers and body when neither the message checks nor a byte count
 * (a bytes limit or quota charged here) need them; no replies for the
 * steps that always continue.
 *
 * Size at EOM: each header counts name + ": " + value + CRLF (name + ":" +
 * value + CRLF when SMFIP_HDR_LEADSPC was agreed, which the message checks
 * ask for: the value then carries its own leading space), the end of
 * headers CRLF, and every body byte as the MTA sends it.
 *
 * callbacks_init picks the libmilter table (ops_smfi, or a test's fakes)
 * once, before the first connection. callbacks_desc gives the smfiDesc to
 * register (name "relaywarden", SMFI_VERSION, all callbacks set).
 */
#ifndef RW_MILTER_CALLBACKS_H
#define RW_MILTER_CALLBACKS_H

#include <libmilter/mfapi.h>

#include "milter/ops.h"

/* callbacks_init - the libmilter calls to use from now on */
void callbacks_init(const struct milter_ops *ops);
/* callbacks_desc - the filter description for smfi_register */
struct smfiDesc callbacks_desc(void);
/* callbacks_active - sessions open now (for a clean stop) */
unsigned callbacks_active(void);
/* callbacks_macros - the macros requested for a stage (SMFIM_*), NULL for none */
const char *callbacks_macros(int stage);

#endif
