#include "autoconfig.h"

#include <string.h>
#include <strings.h>

#include "core/align.h"
#include "core/buf.h"
#include "core/dns.h"
#include "core/domainset.h"
#include "core/msgcheck.h"
#include "core/spf.h"

/* a DMARC look-up: nothing there, a record, a temporary failure, or
 * several records (RFC 7489 6.6.3: discovery stops, defaults apply) */
enum align_lookup { ALIGN_LK_NONE, ALIGN_LK_FOUND, ALIGN_LK_TEMP, ALIGN_LK_STOP };

/* what each identifier achieves: aligned strictly, or only relaxed */
struct align_match {
	int strict, relaxed;
	int index;		/* DKIM: the signature, -1 */
};

/* align_org - the organizational domain of d (d itself when the PSL says none) */
static const char *align_org(const struct align_env *env, const char *d)
{
	const char *org = env->org_domain ? env->org_domain(env->ctx, d) : NULL;

	return org != NULL ? org : d;
}

/* align_domains_align - d1 and d2 align in mode */
int align_domains_align(const struct align_env *env, const char *d1, const char *d2,
			enum align_mode mode)
{
	if (*d1 == '\0' || *d2 == '\0')
		return 0;
	if (strcasecmp(d1, d2) == 0)
		return 1;
	return mode == ALIGN_RELAXED && strcasecmp(align_org(env, d1), align_org(env, d2)) == 0;
}

/* align_txt_join - the strings of one TXT record, concatenated */
static void align_txt_join(const struct dns_txt *t, struct buf *out)
{
	buf_truncate(out, 0);
	for (size_t i = 0; i < t->n; i++)
		buf_append(out, t->s[i].data, t->s[i].len);
}

/* align_dmarc_at - the one valid record at _dmarc.<domain> */
static enum align_lookup align_dmarc_at(const struct align_env *env, const char *domain,
					struct align_outcome *out)
{
	struct buf name = BUF_INIT, rec = BUF_INIT;
	struct dns_answer *a;
	enum align_lookup r = ALIGN_LK_NONE;
	size_t cand = 0, which = 0;
	const char *err;

	buf_printf(&name, "_dmarc.%s", domain);
	a = env->query(env->ctx, buf_cstr(&name), DNS_T_TXT);
	if (a->status == DNS_SERVFAIL || a->status == DNS_TIMEOUT)
		r = ALIGN_LK_TEMP;
	for (size_t i = 0; a->status == DNS_OK && i < a->n; i++) {
		align_txt_join(&a->txt[i], &rec);
		if (rec.len >= 8 && memcmp(rec.data, "v=DMARC1", 8) == 0)
			cand++, which = i;
	}
	if (cand > 1)
		r = ALIGN_LK_STOP;
	if (cand == 1) {
		align_txt_join(&a->txt[which], &rec);
		if (align_dmarc_parse(rec.data, rec.len, &out->dmarc, &err) == 0) {
			r = ALIGN_LK_FOUND;
			buf_truncate(&out->dmarc_name, 0);
			buf_append(&out->dmarc_name, name.data, name.len);
		}
	}
	env->release(env->ctx, a);
	buf_release(&name);
	buf_release(&rec);
	return r;
}

/* align_dmarc_find - the record of the From domain, else of its org domain */
static enum align_lookup align_dmarc_find(const struct align_env *env, const char *from,
					  struct align_outcome *out)
{
	enum align_lookup r;
	const char *org;

	if (env->query == NULL)
		return ALIGN_LK_NONE;
	r = align_dmarc_at(env, from, out);
	org = align_org(env, from);
	if (r == ALIGN_LK_NONE && strcmp(org, from) != 0) {
		r = align_dmarc_at(env, org, out);
		if (r == ALIGN_LK_FOUND && out->dmarc.sp != ALIGN_P_ABSENT)
			out->dmarc.p = out->dmarc.sp;	/* a subdomain's policy */
	}
	return r;
}

/* align_match_domain - how d aligns with the From domain */
static void align_match_domain(const struct align_env *env, const char *from,
			       const char *d, struct align_match *m)
{
	m->strict = align_domains_align(env, from, d, ALIGN_STRICT);
	m->relaxed = align_domains_align(env, from, d, ALIGN_RELAXED);
}

/* align_match_dkim - the best signature: strict if any, else relaxed */
static void align_match_dkim(const struct align_env *env, const struct align_input *in,
			     const char *from, struct align_match *m)
{
	m->index = -1;
	for (size_t i = 0; i < in->n_sigs; i++) {
		struct align_match s = { 0, 0, -1 };

		if (!mc_dkim_sig_aligns(&in->sigs[i]))
			continue;
		align_match_domain(env, from, in->sigs[i].domain, &s);
		if ((s.strict && !m->strict) || (s.relaxed && m->index < 0)) {
			m->index = (int)i;
			m->strict |= s.strict;
			m->relaxed |= s.relaxed;
		}
	}
}

/* align_planned - the From domain is one the site signs downstream */
static void align_planned(const struct align_env *env, const struct align_input *in,
			  const char *from, struct align_match *m)
{
	m->index = -1;
	if (in->planned == NULL)
		return;
	m->strict = domainset_match(in->planned, from) != NULL;
	m->relaxed = m->strict || domainset_match(in->planned, align_org(env, from)) != NULL;
}

/* align_ok - the match counts in mode; unknown mode (-1): strict only */
static int align_ok(const struct align_match *m, int mode)
{
	return mode == ALIGN_RELAXED ? m->relaxed : m->strict;
}

/* align_put_safe - append s with bytes outside printable ASCII as '?' */
static void align_put_safe(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++)
		buf_putc(b, (unsigned char)*s >= 0x21 && (unsigned char)*s < 0x7f ? *s : '?');
}

/* align_mode_name - "relaxed" or "strict" */
static const char *align_mode_name(enum align_mode m)
{
	return m == ALIGN_STRICT ? "strict" : "relaxed";
}

/* align_explain_fail - the reason line when nothing aligned */
static void align_explain_fail(const struct align_input *in, struct align_outcome *out,
			       const char *from)
{
	buf_puts(&out->reason, "From domain ");
	align_put_safe(&out->reason, from);
	buf_printf(&out->reason, " is not aligned (DKIM %s, SPF %s):",
		   align_mode_name(out->dmarc.adkim), align_mode_name(out->dmarc.aspf));
	for (size_t i = 0; i < in->n_sigs; i++) {
		buf_puts(&out->reason, " DKIM d=");
		align_put_safe(&out->reason, in->sigs[i].domain);
		buf_printf(&out->reason, " %s%s;", mc_dkim_result_name(in->sigs[i].result),
			   in->sigs[i].partial ? " (l= partial)" : "");
	}
	if (in->n_sigs == 0)
		buf_puts(&out->reason, " no DKIM signature;");
	buf_puts(&out->reason, " SPF ");
	align_put_safe(&out->reason, in->spf_domain ? in->spf_domain : "(none)");
	buf_printf(&out->reason, " %s; sign with d=", in->spf_domain ? spf_result_name(in->spf) : "not checked");
	align_put_safe(&out->reason, from);
	buf_puts(&out->reason, " or send with an envelope sender in that domain");
}

/* align_explain_pass - the reason line when something aligned */
static void align_explain_pass(const struct align_input *in, struct align_outcome *out)
{
	if (out->dkim_aligned >= 0) {
		buf_puts(&out->reason, "aligned: DKIM d=");
		align_put_safe(&out->reason, in->sigs[out->dkim_aligned].domain);
	} else if (out->spf_aligned) {
		buf_puts(&out->reason, "aligned: SPF ");
		align_put_safe(&out->reason, in->spf_domain);
	} else {
		buf_puts(&out->reason, "aligned: planned DKIM signing for ");
		align_put_safe(&out->reason, buf_cstr(&out->from_domain));
	}
}

/* align_decide - combine the matches under the modes */
static void align_decide(const struct align_input *in, struct align_outcome *out,
			 const struct align_match *dk, const struct align_match *sp,
			 const struct align_match *pl, int temp)
{
	int dmode = temp ? -1 : (int)out->dmarc.adkim, smode = temp ? -1 : (int)out->dmarc.aspf;
	int any_relaxed = dk->relaxed || sp->relaxed || pl->relaxed;

	out->dkim_aligned = align_ok(dk, dmode) ? dk->index : -1;
	out->spf_aligned = align_ok(sp, smode);
	out->planned = out->dkim_aligned < 0 && !out->spf_aligned && align_ok(pl, dmode);
	if (out->dkim_aligned >= 0 || out->spf_aligned || out->planned) {
		out->result = ALIGN_PASS;
		align_explain_pass(in, out);
	} else if (temp && any_relaxed) {
		out->result = ALIGN_TEMPERROR;
		buf_puts(&out->reason, "aligned only in relaxed mode and the DMARC record "
			 "could not be fetched (try again later)");
	} else {
		out->result = ALIGN_FAIL;
		align_explain_fail(in, out, buf_cstr(&out->from_domain));
	}
}

/* align_check - the alignment verdict */
void align_check(const struct align_env *env, const struct align_input *in,
		 struct align_outcome *out)
{
	struct align_match dk = { 0, 0, -1 }, sp = { 0, 0, -1 }, pl = { 0, 0, -1 };
	struct buf spf_dom = BUF_INIT;
	const char *from;
	enum align_lookup lk;

	out->dkim_aligned = -1;
	out->dmarc.adkim = in->adkim;
	out->dmarc.aspf = in->aspf;
	out->dmarc.pct = 100;
	out->from_status = align_from_parse(in->from, in->n_from, &out->from_domain);
	if (out->from_status != ALIGN_FROM_OK) {
		out->result = ALIGN_FAIL;
		buf_printf(&out->reason, "%s: a message needs exactly one From field "
			   "with exactly one address", align_from_status_name(out->from_status));
		return;
	}
	from = buf_cstr(&out->from_domain);
	lk = align_dmarc_find(env, from, out);
	if (lk != ALIGN_LK_FOUND) {
		out->dmarc = (struct align_dmarc){ 0, in->adkim, in->aspf, 0, 0, 100 };
		buf_truncate(&out->dmarc_name, 0);
	}
	align_match_dkim(env, in, from, &dk);
	for (const char *p = in->spf_domain ? in->spf_domain : ""; *p != '\0'; p++)
		buf_putc(&spf_dom, *p >= 'A' && *p <= 'Z' ? *p | 0x20 : *p);
	if (in->spf_domain != NULL && in->spf == SPF_PASS)
		align_match_domain(env, from, buf_cstr(&spf_dom), &sp);
	align_planned(env, in, from, &pl);
	align_decide(in, out, &dk, &sp, &pl, lk == ALIGN_LK_TEMP);
	buf_release(&spf_dom);
}

/* align_outcome_release - free the outcome's buffers */
void align_outcome_release(struct align_outcome *out)
{
	buf_release(&out->from_domain);
	buf_release(&out->dmarc_name);
	buf_release(&out->reason);
}

/* align_result_name - "pass", "fail", "temperror" */
const char *align_result_name(enum align_result r)
{
	switch (r) {
	case ALIGN_PASS:
		return "pass";
	case ALIGN_FAIL:
		return "fail";
	case ALIGN_TEMPERROR:
		return "temperror";
	}
	return "fail";
}
