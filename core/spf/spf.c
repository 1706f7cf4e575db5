/*
 * spf - check_host() of RFC 7208; see spf.h.
 *
 * Flow: spf_check picks the identity (MAIL FROM, or postmaster@HELO for
 * the null sender), refuses a malformed domain with none (4.3), then
 * spf_check_host fetches the TXT records (exactly one "v=spf1" record,
 * 4.5), parses it whole (4.6), evaluates the directives left to right,
 * then redirect= (6.1). include (5.2) recurses without exp= or the
 * mechanism trace; redirect= recurses as the same level. The DNS-querying
 * term count and the void look-ups are shared by the whole evaluation.
 * exp= (6.2) is looked up once, for a fail, and rendered by spf_exp.c.
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/mem.h"
#include "core/spf/spf_int.h"

#define SPF_CH_TOP 1u		/* the level whose exp= and deciding term count */

static const char *const spf_names[] = {
	"none", "neutral", "pass", "fail", "softfail", "temperror", "permerror",
};

/* spf_result_name - RFC 7208 2.6 name of r */
const char *spf_result_name(enum spf_result r)
{
	if ((unsigned)r >= sizeof(spf_names) / sizeof(spf_names[0]))
		return "permerror";
	return spf_names[r];
}

/* spf_dns_status - "NXDOMAIN", "TIMEOUT", ... */
const char *spf_dns_status(enum dns_status st)
{
	static const char *const names[] = { "OK", "NODATA", "NXDOMAIN", "SERVFAIL", "TIMEOUT" };

	return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st] : "error";
}

/* spf_error - first problem wins */
int spf_error(struct spf_eval *ev, enum spf_result r, const char *fmt, ...)
{
	va_list ap;

	if (ev->out->problem.len == 0) {
		va_start(ap, fmt);
		buf_vprintf(&ev->out->problem, fmt, ap);
		va_end(ap);
		ev->err = r;
	}
	return SPF_ERROR;
}

/* spf_put_safe - printable ASCII as is, anything else as \xNN */
void spf_put_safe(struct buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf_putc(b, c);
		else
			buf_printf(b, "\\x%02x", c);
	}
}

/* spf_budget_left - the time budget is not spent */
static int spf_budget_left(struct spf_eval *ev)
{
	const struct spf_env *env = ev->env;

	if (ev->budget_out)
		return 0;
	if (env->now_ms == NULL || env->budget_ms == 0)
		return 1;
	if (env->now_ms(env->ctx) - ev->start_ms < env->budget_ms)
		return 1;
	ev->budget_out = 1;
	return 0;
}

/* spf_lookup - one DNS query unless the budget is spent */
enum dns_status spf_lookup(struct spf_eval *ev, const char *name, enum dns_type type,
			   struct dns_answer **ans)
{
	*ans = NULL;
	if (!spf_budget_left(ev))
		return DNS_TIMEOUT;
	*ans = ev->env->query(ev->env->ctx, name, type);
	return *ans ? (*ans)->status : DNS_SERVFAIL;
}

/* spf_answer_release - give an answer back to the env */
void spf_answer_release(struct spf_eval *ev, struct dns_answer **ans)
{
	if (*ans != NULL)
		ev->env->release(ev->env->ctx, *ans);
	*ans = NULL;
}

/* spf_void - count one void look-up */
int spf_void(struct spf_eval *ev)
{
	if (++ev->void_lookups > SPF_MAX_VOID)
		return spf_error(ev, SPF_PERMERROR, "more than %d void DNS look-ups", SPF_MAX_VOID);
	return SPF_NOMATCH;
}

/* spf_macro_ctx_init - macro values of this evaluation for domain */
void spf_macro_ctx_init(struct spf_eval *ev, const char *domain, struct spf_macro_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->sender = ev->sender;
	ctx->local = ev->local;
	ctx->sender_domain = ev->sender_domain;
	ctx->domain = domain;
	ctx->helo = ev->helo;
	ctx->receiver = ev->receiver;
	ctx->ip = &ev->ip;
	ctx->now = ev->env->time_s ? ev->env->time_s(ev->env->ctx) : 0;
	ctx->ptr = spf_ptr_name;
	ctx->arg = ev;
}

/* spf_target - expand spec for domain into a query name */
int spf_target(struct spf_eval *ev, const char *spec, const char *domain, struct buf *out)
{
	struct spf_macro_ctx ctx;
	const char *err = NULL;

	buf_truncate(out, 0);
	if (spec == NULL) {
		buf_puts(out, domain);
	} else {
		spf_macro_ctx_init(ev, domain, &ctx);
		if (spf_macro_expand(spec, strlen(spec), 0, &ctx, out, &err) < 0)
			return spf_error(ev, SPF_PERMERROR, "%s: %s", spec, err);
	}
	return spf_macro_target(out) < 0 ? 1 : 0;
}

/* spf_domain_ok - 4.3: a multi-label domain with labels of 1..63 octets, no literal */
static int spf_domain_ok(const char *d)
{
	size_t n = strlen(d), labels = 0, lab = 0;

	if (n > 0 && d[n - 1] == '.')
		n--;
	if (n == 0 || n > 253 || d[0] == '[')
		return 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && d[i] != '.')
			continue;
		if (i == lab || i - lab > 63)
			return 0;
		labels++;
		lab = i + 1;
	}
	return labels >= 2;
}

/* spf_txt_join - the strings of one TXT record, glued without separator */
static void spf_txt_join(const struct dns_txt *txt, struct buf *out)
{
	buf_truncate(out, 0);
	for (size_t i = 0; i < txt->n && out->len <= SPF_TXT_MAX; i++)
		buf_append(out, txt->s[i].data, txt->s[i].len);
}

/* spf_fetch - the one SPF record of domain into rec: 1, 0 (none) or SPF_ERROR */
static int spf_fetch(struct spf_eval *ev, const char *domain, struct buf *rec)
{
	struct dns_answer *ans = NULL;
	struct buf one = BUF_INIT;
	enum dns_status st = spf_lookup(ev, domain, DNS_T_TXT, &ans);
	int found = 0;

	if (st == DNS_OK) {
		for (size_t i = 0; i < ans->n && found < 2; i++) {
			spf_txt_join(&ans->txt[i], &one);
			if (spf_record_is_spf(buf_cstr(&one), one.len) && found++ == 0)
				buf_append(rec, buf_cstr(&one), one.len);
		}
	} else if (st != DNS_NODATA && st != DNS_NXDOMAIN) {
		found = spf_error(ev, SPF_TEMPERROR, "DNS %s for the TXT records of %s",
				  spf_dns_status(st), domain);
	}
	if (found > 1)
		found = spf_error(ev, SPF_PERMERROR, "%s has more than one SPF record", domain);
	spf_answer_release(ev, &ans);
	buf_release(&one);
	return found;
}

static enum spf_result spf_check_host(struct spf_eval *ev, const char *domain, unsigned flags);

/* spf_include - 5.2: pass matches, fail/softfail/neutral do not, the rest are errors */
static int spf_include(struct spf_eval *ev, const struct spf_term *t, const char *domain)
{
	struct buf target = BUF_INIT;
	enum spf_result r;
	int rc = spf_target(ev, t->domain, domain, &target);

	if (rc == 1)
		rc = spf_error(ev, SPF_PERMERROR, "include: %s is not a valid domain",
			       buf_cstr(&target));
	if (rc == 0) {
		r = spf_check_host(ev, buf_cstr(&target), 0);
		if (r == SPF_PASS)
			rc = SPF_MATCH;
		else if (r == SPF_TEMPERROR || r == SPF_PERMERROR)
			rc = spf_error(ev, r, "include:%s: %s", buf_cstr(&target),
				       spf_result_name(r));
		else if (r == SPF_NONE)
			rc = spf_error(ev, SPF_PERMERROR, "include:%s: no SPF record",
				       buf_cstr(&target));
	}
	buf_release(&target);
	return rc;
}

/* spf_count_term - one more DNS-querying term; SPF_ERROR past the limit */
static int spf_count_term(struct spf_eval *ev)
{
	if (++ev->dns_terms > SPF_MAX_DNS_TERMS)
		return spf_error(ev, SPF_PERMERROR, "more than %d DNS-querying terms",
				 SPF_MAX_DNS_TERMS);
	return 0;
}

/* spf_qualifier - the result a matching term gives */
static enum spf_result spf_qualifier(char q)
{
	switch (q) {
	case '-': return SPF_FAIL;
	case '~': return SPF_SOFTFAIL;
	case '?': return SPF_NEUTRAL;
	default: return SPF_PASS;
	}
}

/* spf_term_match - evaluate one directive */
static int spf_term_match(struct spf_eval *ev, const struct spf_term *t, const char *domain)
{
	if (t->mech != SPF_MECH_ALL && t->mech != SPF_MECH_IP4 && t->mech != SPF_MECH_IP6 &&
	    spf_count_term(ev) < 0)
		return SPF_ERROR;
	if (t->mech == SPF_MECH_INCLUDE)
		return spf_include(ev, t, domain);
	return spf_mech_match(ev, t, domain);
}

/* spf_redirect - 6.1: the result of the target's record; none is a permerror */
static enum spf_result spf_redirect(struct spf_eval *ev, const char *spec, const char *domain,
				    unsigned flags)
{
	struct buf target = BUF_INIT;
	enum spf_result r = SPF_PERMERROR;
	int rc = spf_count_term(ev);

	if (rc == 0)
		rc = spf_target(ev, spec, domain, &target);
	if (rc == 1 || (rc == 0 && !spf_domain_ok(buf_cstr(&target)))) {
		spf_error(ev, SPF_PERMERROR, "redirect=%s: not a valid domain", buf_cstr(&target));
	} else if (rc == 0) {
		r = spf_check_host(ev, buf_cstr(&target), flags);
		if (r == SPF_NONE)
			spf_error(ev, SPF_PERMERROR, "redirect=%s: no SPF record", buf_cstr(&target));
		r = r == SPF_NONE ? SPF_PERMERROR : r;
	} else {
		r = ev->err;
	}
	buf_release(&target);
	return r;
}

/* spf_eval_record - directives left to right, then redirect=, else neutral */
static enum spf_result spf_eval_record(struct spf_eval *ev, const struct spf_record *rec,
				       const char *domain, unsigned flags)
{
	for (size_t i = 0; i < rec->n; i++) {
		const struct spf_term *t = &rec->terms[i];
		int rc = spf_term_match(ev, t, domain);

		if (rc == SPF_ERROR)
			return ev->err;
		if (rc == SPF_NOMATCH)
			continue;
		if (flags & SPF_CH_TOP) {
			buf_truncate(&ev->out->mechanism, 0);
			spf_put_safe(&ev->out->mechanism, t->text, strlen(t->text));
		}
		if (spf_qualifier(t->qualifier) == SPF_FAIL && (flags & SPF_CH_TOP))
			spf_explain(ev, rec->exp, domain);
		return spf_qualifier(t->qualifier);
	}
	if (rec->redirect != NULL)
		return spf_redirect(ev, rec->redirect, domain, flags);
	return SPF_NEUTRAL;
}

/* spf_check_host - check_host(<ip>, domain, <sender>) */
static enum spf_result spf_check_host(struct spf_eval *ev, const char *domain, unsigned flags)
{
	struct buf text = BUF_INIT;
	struct spf_record rec;
	const char *err = NULL;
	enum spf_result r;
	int rc;

	if (!spf_domain_ok(domain))
		return SPF_NONE;
	rc = spf_fetch(ev, domain, &text);
	if (rc <= 0) {
		buf_release(&text);
		return rc == 0 ? SPF_NONE : ev->err;
	}
	if (spf_record_parse(buf_cstr(&text), text.len, &rec, &err) < 0) {
		struct buf term = BUF_INIT;

		spf_put_safe(&term, buf_cstr(&text) + rec.bad_term, rec.bad_len);
		spf_error(ev, SPF_PERMERROR, "%s: %s: \"%s\"", domain, err, buf_cstr(&term));
		buf_release(&term);
		buf_release(&text);
		return SPF_PERMERROR;
	}
	buf_release(&text);
	r = spf_eval_record(ev, &rec, domain, flags);
	spf_record_release(&rec);
	return r;
}

/* spf_identity - sender, local part and domain (postmaster@helo for the null sender) */
static void spf_identity(struct spf_eval *ev, const struct spf_request *req)
{
	const char *s = req->sender ? req->sender : "";
	const char *at = strrchr(s, '@');
	const char *helo = req->helo ? req->helo : "";

	if (s[0] == '\0') {
		ev->local = rw_strdup("postmaster");
		ev->sender_domain = rw_strdup(helo);
	} else if (at == NULL) {
		ev->local = rw_strdup("postmaster");
		ev->sender_domain = rw_strdup(s);
	} else {
		ev->local = at == s ? rw_strdup("postmaster") : rw_strndup(s, (size_t)(at - s));
		ev->sender_domain = rw_strdup(at + 1);
	}
	ev->sender = rw_malloc(strlen(ev->local) + strlen(ev->sender_domain) + 2);
	strcpy(ev->sender, ev->local);
	strcat(ev->sender, "@");
	strcat(ev->sender, ev->sender_domain);
	ev->helo = helo;
	ev->receiver = req->receiver;
}

/* spf_unmap - an IPv4-mapped IPv6 client is IPv4 (RFC 7208 5) */
static void spf_unmap(struct rw_ip *ip)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (ip->family == 6 && memcmp(ip->b, mapped, 12) == 0) {
		ip->family = 4;
		memmove(ip->b, ip->b + 12, 4);
		memset(ip->b + 4, 0, 12);
	}
}

/* spf_check - evaluate one request */
void spf_check(const struct spf_env *env, const struct spf_request *req,
	       struct spf_outcome *out)
{
	struct spf_eval ev;
	enum spf_result r = SPF_NONE;

	memset(&ev, 0, sizeof(ev));
	ev.env = env;
	ev.out = out;
	ev.ip = req->ip;
	spf_unmap(&ev.ip);
	ev.start_ms = env->now_ms ? env->now_ms(env->ctx) : 0;
	spf_identity(&ev, req);
	buf_truncate(&out->domain, 0);
	spf_put_safe(&out->domain, ev.sender_domain, strlen(ev.sender_domain));
	if (ev.ip.family != 4 && ev.ip.family != 6)
		spf_error(&ev, SPF_PERMERROR, "no client address");
	else if (!spf_domain_ok(ev.sender_domain))
		spf_error(&ev, SPF_NONE, "%s is not a valid domain name", buf_cstr(&out->domain));
	else
		r = spf_check_host(&ev, ev.sender_domain, SPF_CH_TOP);
	if (ev.budget_out && r != SPF_PERMERROR) {
		buf_truncate(&out->problem, 0);
		spf_error(&ev, SPF_TEMPERROR, "time budget of %u ms spent", env->budget_ms);
		r = SPF_TEMPERROR;
	}
	out->result = ev.ip.family != 4 && ev.ip.family != 6 ? SPF_PERMERROR : r;
	if (out->result != SPF_FAIL)
		buf_truncate(&out->explanation, 0);
	if (out->result == SPF_TEMPERROR || out->result == SPF_PERMERROR)
		buf_truncate(&out->mechanism, 0);
	out->dns_terms = ev.dns_terms;
	out->void_lookups = ev.void_lookups;
	strvec_release(&ev.ptr_names);
	free(ev.sender);
	free(ev.local);
	free(ev.sender_domain);
}

/* spf_outcome_release - free the outcome's strings */
void spf_outcome_release(struct spf_outcome *out)
{
	buf_release(&out->domain);
	buf_release(&out->mechanism);
	buf_release(&out->explanation);
	buf_release(&out->problem);
}
