#include "autoconfig.h"

#include <string.h>
#include <strings.h>

#include "core/msgauth/align.h"
#include "core/msgauth/align_int.h"
#include "core/util/buf.h"
#include "core/dns/dns.h"
#include "core/engine/domainset.h"
#include "core/msgauth/msgcheck.h"
#include "core/spf/spf.h"

/* what each identifier achieves: aligned strictly, relaxed (1 yes, 0 no,
 * -1 unknown: an Organizational Domain could not be found) */
struct align_match {
	int strict, relaxed;
	int index;		/* DKIM: the signature, -1 */
};

/* one align_check: the inputs, the walks' memo, the From domain's org */
struct align_run {
	const struct align_env *env;
	const struct align_input *in;
	struct align_walk walk;
	const char *from;
	const char *from_org;	/* NULL: unknown */
};

/* align_org - the organizational domain of d by the PSL (d itself when the PSL says none) */
static const char *align_org(const struct align_env *env, const char *d)
{
	const char *org = env->org_domain ? env->org_domain(env->ctx, d) : NULL;

	return org != NULL ? org : d;
}

/* align_domains_align - d1 and d2 align in mode (the PSL) */
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

/* align_dmarc_at - the one valid record at _dmarc.<domain> (RFC 7489) */
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

/* align_dmarc_find_psl - RFC 7489: the record of the From domain, else of its org domain */
static enum align_lookup align_dmarc_find_psl(struct align_run *run, struct align_outcome *out)
{
	const struct align_env *env = run->env;
	enum align_lookup r;

	run->from_org = align_org(env, run->from);
	if (env->query == NULL)
		return ALIGN_LK_NONE;
	r = align_dmarc_at(env, run->from, out);
	out->policy_tag = "p";
	if (r == ALIGN_LK_NONE && strcmp(run->from_org, run->from) != 0) {
		r = align_dmarc_at(env, run->from_org, out);
		if (r == ALIGN_LK_FOUND && out->dmarc.sp != ALIGN_P_ABSENT) {
			out->dmarc.p = out->dmarc.sp;	/* a subdomain's policy */
			out->policy_tag = "sp";
		}
	}
	return r;
}

/* align_policy_entry - RFC 9989 4.10.1: the record at the From domain, its
 * Organizational Domain, or its PSD; NULL when none (or not knowable) */
static const struct align_memo_ent *align_policy_entry(const struct align_run *run,
						       const struct align_walk_result *w)
{
	if (w->n > 0 && strcmp(w->rec[0]->domain, run->from) == 0)
		return w->rec[0];
	if (w->temp)
		return NULL;
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->rec[i]->domain, w->org) == 0)
			return w->rec[i];
	return w->n > 0 && w->rec[w->n - 1]->d.psd == 'y' ? w->rec[w->n - 1] : NULL;
}

/* align_subdomain_policy - sp=, or np= for a From domain that does not exist, else p= */
static void align_subdomain_policy(struct align_run *run, struct align_outcome *out)
{
	struct align_dmarc *d = &out->dmarc;

	out->policy_tag = "p";
	if (d->np != ALIGN_P_ABSENT && align_walk_exists(&run->walk, run->from) == 0) {
		d->p = d->np;
		out->policy_tag = "np";
	} else if (d->sp != ALIGN_P_ABSENT) {
		d->p = d->sp;
		out->policy_tag = "sp";
	}
}

/* align_dmarc_find_walk - RFC 9989: policy discovery and the From domain's org */
static enum align_lookup align_dmarc_find_walk(struct align_run *run, struct align_outcome *out)
{
	struct align_walk_result w;
	const struct align_memo_ent *e;

	align_walk_run(&run->walk, run->from, &w);
	run->from_org = w.org;
	e = align_policy_entry(run, &w);
	if (e == NULL)
		return w.temp ? ALIGN_LK_TEMP : ALIGN_LK_NONE;
	if (!e->d.found)
		return ALIGN_LK_NONE;		/* no valid p= nor rua=: no DMARC processing */
	out->dmarc = e->d;
	buf_printf(&out->dmarc_name, "_dmarc.%s", e->domain);
	if (strcmp(e->domain, run->from) != 0)
		align_subdomain_policy(run, out);
	else
		out->policy_tag = "p";
	return ALIGN_LK_FOUND;
}

/* align_common_tld - the last labels of a and b are equal (else no org can be shared) */
static int align_common_tld(const char *a, const char *b)
{
	const char *la = strrchr(a, '.'), *lb = strrchr(b, '.');

	return strcasecmp(la ? la + 1 : a, lb ? lb + 1 : b) == 0;
}

/* align_org_of - the Organizational Domain of d (lower-case); NULL: unknown */
static const char *align_org_of(struct align_run *run, const char *d)
{
	struct align_walk_result w;

	if (run->in->org == ALIGN_ORG_PSL)
		return align_org(run->env, d);
	if (strcmp(d, run->from) == 0)
		return run->from_org;
	align_walk_run(&run->walk, d, &w);
	return w.org;
}

/* align_relaxed - d shares the From domain's org: 1, 0, or -1 (unknown) */
static int align_relaxed(struct align_run *run, const char *d)
{
	const char *o1, *o2;

	if (*d == '\0')
		return 0;
	if (strcmp(run->from, d) == 0)
		return 1;
	if (run->in->org == ALIGN_ORG_TREEWALK && !align_common_tld(run->from, d))
		return 0;			/* no walk needed */
	if ((o1 = align_org_of(run, run->from)) == NULL || (o2 = align_org_of(run, d)) == NULL)
		return -1;
	return strcasecmp(o1, o2) == 0;
}

/* align_match_domain - how d (lower-case) aligns with the From domain */
static void align_match_domain(struct align_run *run, const char *d, int want_relaxed,
			       struct align_match *m)
{
	m->strict = *d != '\0' && strcmp(run->from, d) == 0;
	m->relaxed = m->strict ? 1 : want_relaxed ? align_relaxed(run, d) : 0;
}

/* align_lower - d lower-cased into b */
static const char *align_lower(struct buf *b, const char *d)
{
	buf_truncate(b, 0);
	for (; *d != '\0'; d++)
		buf_putc(b, *d >= 'A' && *d <= 'Z' ? *d | 0x20 : *d);
	return buf_cstr(b);
}

/* align_match_dkim - the best signature: strict if any, else relaxed */
static void align_match_dkim(struct align_run *run, int want_relaxed, struct align_match *m)
{
	const struct align_input *in = run->in;
	struct buf d = BUF_INIT;

	m->index = -1;
	for (size_t i = 0; i < in->n_sigs; i++) {
		struct align_match s = { 0, 0, -1 };

		if (!mc_dkim_sig_aligns(&in->sigs[i]))
			continue;
		align_match_domain(run, align_lower(&d, in->sigs[i].domain), want_relaxed, &s);
		if ((s.strict && !m->strict) || (s.relaxed == 1 && m->index < 0))
			m->index = (int)i;
		m->strict |= s.strict;
		if (s.relaxed == 1 || (s.relaxed < 0 && m->relaxed == 0))
			m->relaxed = s.relaxed;
	}
	buf_release(&d);
}

/* align_planned - the From domain is one the site signs downstream */
static void align_planned(struct align_run *run, int want_relaxed, struct align_match *m)
{
	const struct align_input *in = run->in;
	const char *org;

	m->index = -1;
	if (in->planned == NULL)
		return;
	m->strict = domainset_match(in->planned, run->from) != NULL;
	m->relaxed = m->strict;
	if (!m->strict && want_relaxed) {
		org = align_org_of(run, run->from);
		m->relaxed = org == NULL ? -1 : domainset_match(in->planned, org) != NULL;
	}
}

/* align_ok - the match counts in mode; unknown mode (-1): strict only */
static int align_ok(const struct align_match *m, int mode)
{
	return mode == ALIGN_RELAXED ? m->relaxed == 1 : m->strict;
}

/* align_unknown - the match might count in mode, but that is not known */
static int align_unknown(const struct align_match *m, int mode)
{
	return mode == ALIGN_RELAXED ? m->relaxed < 0 : mode < 0 && m->relaxed != 0;
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

	out->dkim_aligned = align_ok(dk, dmode) ? dk->index : -1;
	out->spf_aligned = align_ok(sp, smode);
	out->planned = out->dkim_aligned < 0 && !out->spf_aligned && align_ok(pl, dmode);
	if (out->dkim_aligned >= 0 || out->spf_aligned || out->planned) {
		out->result = ALIGN_PASS;
		align_explain_pass(in, out);
	} else if (align_unknown(dk, dmode) || align_unknown(sp, smode) ||
		   align_unknown(pl, dmode)) {
		out->result = ALIGN_TEMPERROR;
		buf_puts(&out->reason, temp ? "aligned only in relaxed mode and the DMARC record "
				       "could not be fetched (try again later)"
				     : "relaxed alignment needs an Organizational Domain and a "
				       "DMARC look-up failed (try again later)");
	} else {
		out->result = ALIGN_FAIL;
		align_explain_fail(in, out, buf_cstr(&out->from_domain));
	}
}

/* align_wants_relaxed - a relaxed match may count for a mode (unknown: -1 counts) */
static int align_wants_relaxed(enum align_lookup lk, enum align_mode mode)
{
	return lk == ALIGN_LK_TEMP || mode == ALIGN_RELAXED;
}

/* align_check - the alignment verdict */
void align_check(const struct align_env *env, const struct align_input *in,
		 struct align_outcome *out)
{
	struct align_match dk = { 0, 0, -1 }, sp = { 0, 0, -1 }, pl = { 0, 0, -1 };
	struct align_run run = { env, in, { 0 }, NULL, NULL };
	struct buf spf_dom = BUF_INIT;
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
	out->org_method = in->org == ALIGN_ORG_PSL ? "psl" : "treewalk";
	run.from = buf_cstr(&out->from_domain);
	align_walk_init(&run.walk, env);
	lk = in->org == ALIGN_ORG_PSL ? align_dmarc_find_psl(&run, out)
				      : align_dmarc_find_walk(&run, out);
	if (lk != ALIGN_LK_FOUND) {
		out->dmarc = (struct align_dmarc){ 0, in->adkim, in->aspf, 0, 0, 100, 0, 'u', 0 };
		buf_truncate(&out->dmarc_name, 0);
		out->policy_tag = NULL;
	}
	align_match_dkim(&run, align_wants_relaxed(lk, out->dmarc.adkim), &dk);
	if (in->spf_domain != NULL && in->spf == SPF_PASS)
		align_match_domain(&run, align_lower(&spf_dom, in->spf_domain),
				   align_wants_relaxed(lk, out->dmarc.aspf), &sp);
	align_planned(&run, align_wants_relaxed(lk, out->dmarc.adkim), &pl);
	align_decide(in, out, &dk, &sp, &pl, lk == ALIGN_LK_TEMP);
	if (run.from_org != NULL)
		buf_puts(&out->org_domain, run.from_org);
	out->queries = run.walk.queries;
	align_walk_release(&run.walk);
	buf_release(&spf_dom);
}

/* align_outcome_release - free the outcome's buffers */
void align_outcome_release(struct align_outcome *out)
{
	buf_release(&out->from_domain);
	buf_release(&out->dmarc_name);
	buf_release(&out->reason);
	buf_release(&out->org_domain);
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
