/*
 * spf_int - the evaluator's private state, shared by spf.c (check_host,
 * records, include/redirect, exp=) and spf_mech.c (the mechanisms that look
 * at addresses). Not for use outside core/spf*.c.
 *
 * One struct spf_eval lives for one spf_check call: it counts the
 * DNS-querying terms and void look-ups across include/redirect, holds the
 * budget's start, and caches the validated PTR names for %{p}.
 */
#ifndef RW_SPF_INT_H
#define RW_SPF_INT_H

#include "core/spf/spf.h"
#include "core/spf/spf_macro.h"
#include "core/spf/spf_record.h"
#include "core/util/strvec.h"

#define SPF_MAX_DNS_TERMS 10	/* RFC 7208 4.6.4 */
#define SPF_MAX_VOID 2
#define SPF_MAX_MX 10
#define SPF_MAX_PTR 10
#define SPF_EXP_MAX 512		/* rendered explanation, octets */
#define SPF_TXT_MAX 4096	/* an SPF or exp TXT record, joined */

enum spf_match {
	SPF_ERROR = -1,		/* ev->err holds temperror or permerror */
	SPF_NOMATCH = 0,
	SPF_MATCH = 1,
};

struct spf_eval {
	const struct spf_env *env;
	struct spf_outcome *out;
	struct rw_ip ip;
	char *sender, *local, *sender_domain;
	const char *helo, *receiver;
	uint64_t start_ms;
	int budget_out;
	unsigned dns_terms, void_lookups;
	enum spf_result err;
	int ptr_done;
	struct strvec ptr_names;	/* validated names of ip, for %{p} */
};

/* spf_error - note the first problem (printf-style) and err; returns SPF_ERROR */
int spf_error(struct spf_eval *ev, enum spf_result r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* spf_lookup - one query within the budget; *ans may stay NULL (budget out) */
enum dns_status spf_lookup(struct spf_eval *ev, const char *name, enum dns_type type,
			   struct dns_answer **ans);
void spf_answer_release(struct spf_eval *ev, struct dns_answer **ans);
/* spf_void - count a void look-up; SPF_ERROR (permerror) past the limit */
int spf_void(struct spf_eval *ev);
/* spf_macro_ctx_init - the macro context for the current domain */
void spf_macro_ctx_init(struct spf_eval *ev, const char *domain, struct spf_macro_ctx *ctx);
/* spf_target - the target name of spec (NULL: domain) into out: 0, or 1 when the
 * expansion is not a valid DNS name, SPF_ERROR on a macro error */
int spf_target(struct spf_eval *ev, const char *spec, const char *domain, struct buf *out);
/* spf_mech_match - evaluate one mechanism other than include */
int spf_mech_match(struct spf_eval *ev, const struct spf_term *t, const char *domain);
/* spf_ptr_name - %{p}: a validated name of the client, preferring domain or a
 * subdomain of it; NULL when none */
const char *spf_ptr_name(void *arg, const char *domain);
/* spf_explain - 6.2: out->explanation from exp=spec for domain; problems ignored */
void spf_explain(struct spf_eval *ev, const char *spec, const char *domain);
/* spf_dns_status - name of st (dns_status_name lives in the I/O library) */
const char *spf_dns_status(enum dns_status st);
/* spf_put_safe - append s[0..n) with every byte outside printable ASCII as \xNN */
void spf_put_safe(struct buf *b, const char *s, size_t n);

#endif
