#include "autoconfig.h"

#include <string.h>
#include <strings.h>

#include "core/msgauth/align.h"
#include "core/msgauth/authres.h"
#include "core/util/buf.h"
#include "core/msgauth/msgcheck.h"
#include "core/spf/spf.h"

/* authres_tchar - an RFC 2045 token character */
static int authres_tchar(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* authres_put_quoted - append v as a quoted-string, unsafe bytes as '?' */
static void authres_put_quoted(struct buf *out, const char *v)
{
	buf_putc(out, '"');
	for (; *v != '\0'; v++) {
		unsigned char c = (unsigned char)*v;

		if (c == '"' || c == '\\')
			buf_putc(out, '\\');
		buf_putc(out, c >= 0x20 && c < 0x7f ? c : '?');
	}
	buf_putc(out, '"');
}

/* authres_put_value - a token, or a quoted-string */
void authres_put_value(struct buf *out, const char *v)
{
	size_t i;

	for (i = 0; v[i] != '\0' && authres_tchar((unsigned char)v[i]); i++)
		;
	if (i > 0 && v[i] == '\0')
		buf_puts(out, v);
	else
		authres_put_quoted(out, v);
}

/* authres_put_pvalue - [local-part "@"] domain bare when plain, else quoted */
static void authres_put_pvalue(struct buf *out, const char *v)
{
	static const char ok[] = "!#$%&'*+-/=?^_`{|}~.";
	const char *at = strchr(v, '@');
	int plain = *v != '\0' && *v != '.' && v[strlen(v) - 1] != '.' &&
		    (at == NULL || strchr(at + 1, '@') == NULL);

	for (const char *p = v; plain && *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		plain = c == '@' || (c > 0x20 && c < 0x7f && (((c | 0x20) >= 'a' &&
			(c | 0x20) <= 'z') || (c >= '0' && c <= '9') || strchr(ok, c)));
	}
	if (plain)
		buf_puts(out, v);
	else
		authres_put_quoted(out, v);
}

/* authres_put_comment - " (text)" with parentheses and backslashes escaped */
void authres_put_comment(struct buf *out, const char *text)
{
	buf_puts(out, " (");
	for (; *text != '\0'; text++) {
		unsigned char c = (unsigned char)*text;

		if (c == '(' || c == ')' || c == '\\')
			buf_putc(out, '\\');
		buf_putc(out, c >= 0x20 && c < 0x7f ? c : '?');
	}
	buf_putc(out, ')');
}

/* authres_sep - ";" and the fold before the next resinfo */
static void authres_sep(const struct authres_input *in, struct buf *out)
{
	buf_putc(out, ';');
	buf_puts(out, in->fold != NULL ? in->fold : " ");
}

/* authres_dkim - one dkim= resinfo per signature */
static void authres_dkim(const struct authres_input *in, struct buf *out)
{
	if (in->n_sigs == 0) {
		authres_sep(in, out);
		buf_puts(out, "dkim=none");
		return;
	}
	for (size_t i = 0; i < in->n_sigs; i++) {
		const struct mc_dkim_sig *s = &in->sigs[i];
		int partial = s->result == MC_DKIM_PASS && s->partial;

		authres_sep(in, out);
		buf_printf(out, "dkim=%s", partial ? "policy" : mc_dkim_result_name(s->result));
		if (s->reason != NULL && *s->reason != '\0') {
			buf_puts(out, " reason=");
			authres_put_quoted(out, s->reason);
		}
		buf_puts(out, " header.d=");
		authres_put_pvalue(out, s->domain);
		buf_puts(out, " header.s=");
		authres_put_value(out, s->selector);
		buf_puts(out, " header.a=");
		authres_put_value(out, s->algorithm);
	}
}

/* authres_spf - the spf= resinfo */
static void authres_spf(const struct authres_input *in, struct buf *out)
{
	const struct spf_outcome *o = in->spf;

	authres_sep(in, out);
	buf_printf(out, "spf=%s", spf_result_name(o->result));
	if (in->spf_mailfrom != NULL && *in->spf_mailfrom != '\0') {
		buf_puts(out, " smtp.mailfrom=");
		authres_put_pvalue(out, in->spf_mailfrom);
	} else {
		buf_puts(out, " smtp.helo=");
		authres_put_pvalue(out, buf_cstr(&o->domain));
	}
}

/* authres_alignment - which identifier aligned, in words */
static const char *authres_alignment(const struct align_outcome *a)
{
	if (a->dkim_aligned >= 0)
		return "dkim";
	if (a->spf_aligned)
		return "spf";
	if (a->planned)
		return "planned dkim";
	return "none";
}

/* authres_dmarc - the dmarc= resinfo (our alignment verdict) */
static void authres_dmarc(const struct authres_input *in, struct buf *out)
{
	const struct align_outcome *a = in->align;
	struct buf c = BUF_INIT;

	authres_sep(in, out);
	buf_printf(out, "dmarc=%s", align_result_name(a->result));
	if (a->from_status != ALIGN_FROM_OK) {
		authres_put_comment(out, align_from_status_name(a->from_status));
		return;
	}
	buf_printf(&c, "p=%s adkim=%c aspf=%c alignment=%s",
		   a->dmarc.found ? align_policy_name(a->dmarc.p) : "absent",
		   a->dmarc.adkim == ALIGN_STRICT ? 's' : 'r',
		   a->dmarc.aspf == ALIGN_STRICT ? 's' : 'r', authres_alignment(a));
	if (a->org_method != NULL)	/* how the Organizational Domain was found */
		buf_printf(&c, " org=%s method=%s", a->org_domain.len ? buf_cstr(&a->org_domain)
			   : "unknown", a->org_method);
	if (a->dmarc.found && a->dmarc_name.len > 0)
		buf_printf(&c, " record=%s tag=%s%s", buf_cstr(&a->dmarc_name),
			   a->policy_tag ? a->policy_tag : "p", a->dmarc.testing ? " t=y" : "");
	authres_put_comment(out, buf_cstr(&c));
	buf_puts(out, " header.from=");
	authres_put_pvalue(out, buf_cstr(&a->from_domain));
	buf_release(&c);
}

/* authres_build - the Authentication-Results field value */
void authres_build(const struct authres_input *in, struct buf *out)
{
	authres_put_value(out, in->authserv_id ? in->authserv_id : "localhost");
	if (!in->dkim_checked && in->spf == NULL && in->align == NULL) {
		buf_puts(out, "; none");
		return;
	}
	if (in->dkim_checked)
		authres_dkim(in, out);
	if (in->spf != NULL)
		authres_spf(in, out);
	if (in->align != NULL)
		authres_dmarc(in, out);
}

/* authres_skip_cfws - past whitespace and (nested) comments */
static size_t authres_skip_cfws(const char *v, size_t len, size_t i)
{
	int depth = 0;

	for (; i < len; i++) {
		if (depth > 0 && v[i] == '\\' && i + 1 < len)
			i++;
		else if (v[i] == '(')
			depth++;
		else if (v[i] == ')' && depth > 0)
			depth--;
		else if (depth == 0 && v[i] != ' ' && v[i] != '\t' && v[i] != '\r' &&
			 v[i] != '\n')
			break;
	}
	return i;
}

/* authres_read_id - the authserv-id at v[i] (token or quoted) into id */
static size_t authres_read_id(const char *v, size_t len, size_t i, struct buf *id)
{
	if (i < len && v[i] == '"') {
		for (i++; i < len && v[i] != '"'; i++) {
			if (v[i] == '\\' && i + 1 < len)
				i++;
			buf_putc(id, v[i]);
		}
		return i < len ? i + 1 : i;
	}
	for (; i < len && authres_tchar((unsigned char)v[i]); i++)
		buf_putc(id, v[i]);
	return i;
}

/* authres_is_ours - the field claims authserv-id id (whatever follows it:
 * removing a malformed field that starts with our id is harmless) */
int authres_is_ours(const char *value, size_t len, const char *id)
{
	struct buf got = BUF_INIT;
	size_t i = authres_skip_cfws(value, len, 0);
	int ours;

	(void)authres_read_id(value, len, i, &got);
	ours = got.len > 0 && strlen(id) == got.len && strcasecmp(got.data, id) == 0;
	buf_release(&got);
	return ours;
}
