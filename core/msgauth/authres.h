/*
 * authres - the Authentication-Results header field (RFC 8601).
 *
 * authres_build writes the field's value (without "Authentication-Results:")
 * for what we checked:
 *
 *   authserv-id;
 *	dkim=pass header.d=example.com header.s=sel header.a=rsa-sha256;
 *	dkim=fail (rsa-sha1 not accepted) header.d=... ;
 *	spf=pass smtp.mailfrom=user@example.com;
 *	dmarc=pass (p=reject adkim=r aspf=r alignment=dkim org=example.com
 *	  method=treewalk record=_dmarc.example.com tag=p) header.from=example.com
 *
 * Values that are RFC 2045 tokens are written bare, other values as a
 * quoted-string (backslash before '"' and '\'); comments hold printable
 * ASCII only, with '(' ')' '\' escaped; any byte outside printable ASCII in
 * a value is replaced by '?', so raw header or envelope bytes (CR, LF, NUL,
 * 8-bit) never reach the header. An authserv-id that is not a token is
 * quoted the same way. The "dmarc=" result is ours, not a DMARC policy
 * evaluation: pass/fail of alignment (fail when the From field is bad,
 * with the finding in the comment), temperror, none when not checked. The
 * comment names the policy that applies (p=, from the record's p, sp or
 * np tag; t=y when the record says so), the modes, what aligned, the From
 * domain's Organizational Domain and the method that found it (treewalk:
 * RFC 9989, psl: RFC 7489), and the record used.
 *
 * authres_is_ours tells whether an existing field's value claims an
 * authserv-id (case-insensitive, leading CFWS and comments skipped, quoted
 * ids unquoted; whatever follows the id does not matter, so a malformed
 * field in our name is removed too), so the milter removes forged ones
 * before inserting its own. A partial l= pass is written dkim=policy
 * reason="l= partial" (the signature verified, but does not count).
 *
 * Pure: libc only. Thread-safe. The caller owns every buffer.
 */
#ifndef RW_AUTHRES_H
#define RW_AUTHRES_H

#include <stddef.h>

#include "core/msgauth/align.h"
#include "core/util/buf.h"
#include "core/msgauth/msgcheck.h"
#include "core/spf/spf.h"

struct authres_input {
	const char *authserv_id;	/* our host name or configured id */
	const struct mc_dkim_sig *sigs;	/* every signature; NULL/0: dkim=none */
	size_t n_sigs;
	int dkim_checked;		/* 0: no dkim= entry at all */
	const struct spf_outcome *spf;	/* NULL: no spf= entry */
	const char *spf_mailfrom;	/* "local@domain" of MAIL FROM; NULL or
					 * "": smtp.helo=<spf->domain> is used */
	const struct align_outcome *align; /* NULL: no dmarc= entry */
	const char *fold;		/* between entries: "\n\t" (libmilter),
					 * "\r\n\t" (raw), NULL: " " */
};

/* authres_build - append the field value for in to out */
void authres_build(const struct authres_input *in, struct buf *out);
/* authres_is_ours - the value's authserv-id equals id (case-insensitive) */
int authres_is_ours(const char *value, size_t len, const char *id);
/* authres_put_value - append v as a token or a quoted-string (exposed for tests) */
void authres_put_value(struct buf *out, const char *v);
/* authres_put_comment - append " (text)", escaped (exposed for tests) */
void authres_put_comment(struct buf *out, const char *text);

#endif
