/*
 * spf_exp - the exp= explanation of a fail (RFC 7208 6.2), rendered safely.
 *
 * The target is expanded like any domain-spec and its TXT records fetched
 * once, after the result is known: that look-up is neither a DNS-querying
 * term nor a void look-up, and does not spend the time budget of the
 * result. Anything wrong (invalid name, a DNS error, no record or several,
 * an explain-string syntax error, non-ASCII) means "no exp= given": the
 * explanation stays empty and the caller uses its default. The rendered
 * text holds printable ASCII only (anything else becomes '?', which only
 * macro values can bring in) and at most SPF_EXP_MAX octets: it is never
 * copied verbatim into an SMTP reply, but it may reach logs and headers.
 */
#include "autoconfig.h"

#include <string.h>

#include "core/spf/spf_int.h"

/* exp_render - printable ASCII of s[0..n), capped */
static void exp_render(const char *s, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n && out->len < SPF_EXP_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		buf_putc(out, (c >= 0x20 && c < 0x7f) ? c : '?');
	}
}

/* exp_text - the single TXT record of name, joined, into text: 0 or -1 */
static int exp_text(struct spf_eval *ev, const char *name, struct buf *text)
{
	struct dns_answer *ans = NULL;
	int rc = -1;

	if (spf_lookup(ev, name, DNS_T_TXT, &ans) == DNS_OK && ans->n == 1) {
		const struct dns_txt *txt = &ans->txt[0];

		rc = 0;
		for (size_t i = 0; i < txt->n && rc == 0; i++) {
			buf_append(text, txt->s[i].data, txt->s[i].len);
			rc = text->len <= SPF_TXT_MAX ? 0 : -1;
		}
	}
	spf_answer_release(ev, &ans);
	return rc;
}

/* spf_explain - look up and render exp=spec for domain */
void spf_explain(struct spf_eval *ev, const char *spec, const char *domain)
{
	struct buf target = BUF_INIT, text = BUF_INIT, exp = BUF_INIT;
	struct spf_macro_ctx ctx;
	const char *err = NULL;
	int budget_out = ev->budget_out;

	buf_truncate(&ev->out->explanation, 0);
	if (spec == NULL || spf_target(ev, spec, domain, &target) != 0)
		goto done;
	if (exp_text(ev, buf_cstr(&target), &text) < 0)
		goto done;
	spf_macro_ctx_init(ev, domain, &ctx);
	if (spf_macro_expand(buf_cstr(&text), text.len, SPF_MACRO_EXP, &ctx, &exp, &err) < 0)
		goto done;
	exp_render(buf_cstr(&exp), exp.len, &ev->out->explanation);
done:
	ev->budget_out = budget_out;
	buf_release(&target);
	buf_release(&text);
	buf_release(&exp);
}
