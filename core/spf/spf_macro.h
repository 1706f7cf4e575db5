/*
 * spf_macro - RFC 7208 section 7 macro strings: syntax check and expansion.
 *
 * Grammar (RFC 7208 7.1, with its errata):
 *   macro-string   = *( macro-expand / macro-literal )
 *   macro-expand   = ( "%{" macro-letter transformers *delimiter "}" )
 *                    / "%%" / "%_" / "%-"
 *   macro-literal  = %x21-24 / %x26-7E
 *   macro-letter   = s l o d i p h v (any case); c r t in explanations only
 *   transformers   = *DIGIT [ "r" ]      (a DIGIT value must be nonzero)
 *   delimiter      = "." / "-" / "+" / "," / "/" / "_" / "="
 *   explain-string = *( macro-string / SP )        (SPF_MACRO_EXP)
 * Anything else (a lone '%', a byte outside the ranges, NUL, non-ASCII)
 * is a syntax error. An upper-case letter URL-escapes its expansion
 * (everything but ALPHA DIGIT "-" "." "_" "~" becomes %XX, upper-case hex).
 * %{i} is the dotted quad, or 32 dotted upper-case nibbles for IPv6; %{c}
 * is the readable address (RFC 5952 for IPv6); %{v} "in-addr" or "ip6".
 *
 * Pure: libc only. %{p} goes through ctx->ptr, the only way out (the
 * evaluator does its DNS look-ups there). Errors: -1 with a static message.
 */
#ifndef RW_SPF_MACRO_H
#define RW_SPF_MACRO_H

#include <stddef.h>
#include <stdint.h>

#include "core/util/buf.h"
#include "core/engine/cidr.h"

#define SPF_MACRO_EXP 1u	/* explain-string: SP and %{c} %{r} %{t} allowed */

struct spf_macro_ctx {
	const char *sender;		/* %{s}: local@domain */
	const char *local;		/* %{l} */
	const char *sender_domain;	/* %{o} */
	const char *domain;		/* %{d}: the domain being checked */
	const char *helo;		/* %{h} */
	const char *receiver;		/* %{r}; NULL: "unknown" */
	const struct rw_ip *ip;		/* %{i} %{c} %{v} */
	uint64_t now;			/* %{t} */
	/* ptr - %{p}: the validated name for domain, NULL for "unknown" */
	const char *(*ptr)(void *arg, const char *domain);
	void *arg;
};

/* spf_macro_check - 0 if s[0..len) is a valid macro-string (explain-string with EXP) */
int spf_macro_check(const char *s, size_t len, unsigned flags, const char **error_r);
/* spf_macro_expand - append the expansion of s[0..len) to out; -1 on a syntax error */
int spf_macro_expand(const char *s, size_t len, unsigned flags,
		     const struct spf_macro_ctx *ctx, struct buf *out, const char **error_r);
/* spf_domain_spec_check - a domain-spec: a macro-string ending in a macro-expand
 * or in "." toplabel [ "." ] */
int spf_domain_spec_check(const char *s, size_t len, const char **error_r);
/* spf_macro_target - an expanded name made a query name in place: one trailing
 * dot dropped, left labels dropped down to 253 octets; -1 if no valid DNS name */
int spf_macro_target(struct buf *name);
/* spf_macro_reverse_name - the in-addr.arpa / ip6.arpa name of ip into out */
void spf_macro_reverse_name(const struct rw_ip *ip, struct buf *out);

#endif
