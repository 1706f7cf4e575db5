/*
 * msgcheck - the result types shared by the end-of-message checks.
 *
 * The milter runs, at EOM, for every message:
 *
 *   1. DKIM (core/msgauth/dkimv.h, I/O adapter over libopendkim): feed every header
 *      field and body chunk to a dkimv_msg, call dkimv_eom; read one
 *      struct mc_dkim_sig per DKIM-Signature field (header order).
 *   2. SPF (core/spf/spf.h): the MAIL FROM domain (HELO for the null sender).
 *   3. Alignment (core/msgauth/align.h, pure + a PSL function and a TXT look-up
 *      passed in): RFC 7489 section 3.1 over the From field(s), the SPF
 *      outcome and the DKIM results; the DMARC record gives adkim=/aspf=.
 *   4. Authentication-Results (core/msgauth/authres.h, pure): the header value to
 *      insert at the top, and the test that finds forged ones to remove.
 *
 * This header holds only the plain data passed between those modules, so
 * the pure ones (align, authres) need not include the libopendkim adapter.
 * Ownership: a struct mc_dkim_sig owns its strings (mc_dkim_sig_release).
 * Pure: libc only.
 */
#ifndef RW_MSGCHECK_H
#define RW_MSGCHECK_H

#include <stddef.h>

/* RFC 8601 section 2.7.1 result words for dkim= (same order as names) */
enum mc_dkim_result {
	MC_DKIM_NONE = 0,	/* message not signed (only as a message result) */
	MC_DKIM_PASS,
	MC_DKIM_FAIL,
	MC_DKIM_NEUTRAL,
	MC_DKIM_POLICY,		/* verified, but refused by local policy */
	MC_DKIM_TEMPERROR,
	MC_DKIM_PERMERROR,
};

/* one DKIM-Signature header field, after verification and our policy */
struct mc_dkim_sig {
	char *domain;		/* d= as signed, lower-cased; "" when missing */
	char *selector;		/* s= as signed; "" when missing */
	char *algorithm;	/* a= as signed ("rsa-sha256"); "" when missing */
	enum mc_dkim_result result;
	/* why, in words (static text; "" for a plain pass), e.g.
	 * "rsa-sha1 not accepted (RFC 8301)", "body hash mismatch",
	 * "l= partial": pass, but body content after l= is unsigned */
	const char *reason;
	unsigned key_bits;	/* 0 when no key was loaded */
	int partial;		/* l= left body content unsigned (pass does not
				 * count for alignment) */
	int testing;		/* the key has t=y */
};

/* mc_dkim_result_name - "pass", "fail", ... as in RFC 8601 */
const char *mc_dkim_result_name(enum mc_dkim_result r);
/* mc_dkim_sig_aligns - the signature may be used for DMARC alignment:
 * result pass and not partial */
int mc_dkim_sig_aligns(const struct mc_dkim_sig *sig);
/* mc_dkim_message_result - one word for the message: pass if any
 * signature passes (partial ones too), else the first of fail, permerror,
 * temperror, neutral, policy found in that order of precedence; none if n == 0 */
enum mc_dkim_result mc_dkim_message_result(const struct mc_dkim_sig *sigs, size_t n);
void mc_dkim_sig_release(struct mc_dkim_sig *sig);

#endif
