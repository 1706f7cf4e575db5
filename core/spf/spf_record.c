/*
 * spf_record - SPF record parser; see spf_record.h.
 *
 * A term is a modifier when it starts with a name followed by '='
 * ("moo.cow/far=x" is therefore a mechanism "moo.cow...", an error). A
 * mechanism's name is its leading run of letters and digits; what follows
 * is checked per mechanism. CIDR suffixes are taken from the right end, so
 * a domain-spec may hold '/' and ':' ("a:foo:bar/baz.example.com").
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/mem.h"
#include "core/spf/spf_macro.h"
#include "core/spf/spf_record.h"

static const char *const spf_mech_names[] = {
	"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists",
};

/* spf_mech_name - the name of m */
const char *spf_mech_name(enum spf_mech m)
{
	return spf_mech_names[m];
}

/* rec_lower - ASCII lower case */
static char rec_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* rec_ieq - s[0..n) equals lower-case word, ignoring ASCII case */
static int rec_ieq(const char *s, size_t n, const char *word)
{
	if (strlen(word) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (rec_lower(s[i]) != word[i])
			return 0;
	return 1;
}

/* rec_is_alpha - ASCII letter */
static int rec_is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* rec_is_digit - ASCII digit */
static int rec_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* spf_record_is_spf - version check */
int spf_record_is_spf(const char *s, size_t len)
{
	return len >= 6 && rec_ieq(s, 6, "v=spf1") && (len == 6 || s[6] == ' ');
}

/* rec_prefix - "/" 1*DIGIT, no leading zero, at most max; the value or -1 */
static int rec_prefix(const char *s, size_t n, int max)
{
	int v = 0;

	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!rec_is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= max ? v : -1;
}

/* rec_tail_prefix - a trailing "/DIGITS" (exactly sep slashes) of s[0..*n): its
 * value, *n cut before it; -2 when absent, -1 when invalid */
static int rec_tail_prefix(const char *s, size_t *n, size_t sep, int max)
{
	size_t d = *n, v;

	while (d > 0 && rec_is_digit(s[d - 1]))
		d--;
	if (d == *n || d < sep)
		return -2;
	for (size_t i = 1; i <= sep; i++)
		if (s[d - i] != '/')
			return -2;
	if (sep == 1 && d >= 2 && s[d - 2] == '/')
		return -2;
	v = *n - d;
	*n = d - sep;
	return rec_prefix(s + d, v, max);
}

/* rec_dual_cidr - split a trailing dual-cidr off s[0..*n) into the term */
static int rec_dual_cidr(const char *s, size_t *n, struct spf_term *t, const char **error_r)
{
	int v6 = rec_tail_prefix(s, n, 2, 128), v4;

	if (v6 == -1) {
		*error_r = "invalid IPv6 CIDR length";
		return -1;
	}
	v4 = rec_tail_prefix(s, n, 1, 32);
	if (v4 == -1) {
		*error_r = "invalid IPv4 CIDR length";
		return -1;
	}
	t->cidr6 = v6 < 0 ? -1 : v6;
	t->cidr4 = v4 < 0 ? -1 : v4;
	return 0;
}

/* rec_domain - rest = [":" domain-spec] (required when need): set t->domain */
static int rec_domain(const char *rest, size_t n, int need, struct spf_term *t,
		      const char **error_r)
{
	if (n == 0 && !need)
		return 0;
	if (n == 0 || rest[0] != ':') {
		*error_r = need ? "mechanism needs ':' and a domain-spec" : "unexpected text after mechanism";
		return -1;
	}
	if (spf_domain_spec_check(rest + 1, n - 1, error_r) < 0)
		return -1;
	t->domain = rw_strndup(rest + 1, n - 1);
	return 0;
}

/* rec_ip4 - strict dotted quad s[0..n), no leading zeros */
static int rec_ip4(const char *s, size_t n, unsigned char *b)
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		size_t st = i;
		int v;

		while (i < n && rec_is_digit(s[i]))
			i++;
		if ((v = rec_prefix(s + st, i - st, 255)) < 0)
			return -1;
		b[part] = (unsigned char)v;
		if (part < 3 && (i >= n || s[i++] != '.'))
			return -1;
	}
	return i == n ? 0 : -1;
}

/* rec_ip - "ip4:" / "ip6:" network [ "/" prefix ] */
static int rec_ip(const char *rest, size_t n, struct spf_term *t, const char **error_r)
{
	const char *slash;
	size_t an;
	int max = t->mech == SPF_MECH_IP4 ? 32 : 128, ok;
	char *tmp;

	if (n < 2 || rest[0] != ':') {
		*error_r = "ip4/ip6 need ':' and a network";
		return -1;
	}
	rest++, n--;
	slash = memchr(rest, '/', n);
	an = slash ? (size_t)(slash - rest) : n;
	t->cidr4 = t->cidr6 = -1;
	if (slash && (t->mech == SPF_MECH_IP4 ? (t->cidr4 = rec_prefix(slash + 1, n - an - 1, max))
					      : (t->cidr6 = rec_prefix(slash + 1, n - an - 1, max))) < 0) {
		*error_r = "invalid CIDR length";
		return -1;
	}
	t->net.family = t->mech == SPF_MECH_IP4 ? 4 : 6;
	if (t->mech == SPF_MECH_IP4) {
		ok = rec_ip4(rest, an, t->net.b) == 0;
	} else {
		tmp = rw_strndup(rest, an);
		ok = strlen(tmp) == an && inet_pton(AF_INET6, tmp, t->net.b) == 1;
		free(tmp);
	}
	if (!ok)
		*error_r = t->mech == SPF_MECH_IP4 ? "invalid ip4 network" : "invalid ip6 network";
	return ok ? 0 : -1;
}

/* rec_mech_kind - the mechanism named s[0..n), or -1 */
static int rec_mech_kind(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(spf_mech_names) / sizeof(spf_mech_names[0]); i++)
		if (rec_ieq(s, n, spf_mech_names[i]))
			return (int)i;
	return -1;
}

/* rec_mech_args - what follows the mechanism name */
static int rec_mech_args(const char *rest, size_t n, struct spf_term *t, const char **error_r)
{
	switch (t->mech) {
	case SPF_MECH_ALL:
		if (n == 0)
			return 0;
		*error_r = "'all' takes no argument";
		return -1;
	case SPF_MECH_INCLUDE:
	case SPF_MECH_EXISTS:
		return rec_domain(rest, n, 1, t, error_r);
	case SPF_MECH_PTR:
		return rec_domain(rest, n, 0, t, error_r);
	case SPF_MECH_A:
	case SPF_MECH_MX:
		if (rec_dual_cidr(rest, &n, t, error_r) < 0)
			return -1;
		return rec_domain(rest, n, 0, t, error_r);
	case SPF_MECH_IP4:
	case SPF_MECH_IP6:
		return rec_ip(rest, n, t, error_r);
	}
	return -1;
}

/* rec_directive - one [qualifier] mechanism term, appended to rec */
static int rec_directive(const char *s, size_t n, struct spf_record *rec, const char **error_r)
{
	struct spf_term t;
	size_t i = 0, name;
	int kind;

	memset(&t, 0, sizeof(t));
	t.qualifier = '+';
	t.cidr4 = t.cidr6 = -1;
	if (s[0] != '\0' && strchr("+-~?", s[0]) != NULL)
		t.qualifier = s[i++];
	for (name = i; i < n && (rec_is_alpha(s[i]) || rec_is_digit(s[i])); i++)
		;
	if ((kind = rec_mech_kind(s + name, i - name)) < 0) {
		*error_r = "unknown mechanism";
		return -1;
	}
	t.mech = (enum spf_mech)kind;
	if (rec_mech_args(s + i, n - i, &t, error_r) < 0) {
		free(t.domain);
		return -1;
	}
	t.text = rw_strndup(s, n);
	rec->terms = rw_realloc(rec->terms, (rec->n + 1) * sizeof(*rec->terms));
	rec->terms[rec->n++] = t;
	return 0;
}

/* rec_modifier_name - length of a modifier name followed by '=' at s, or 0 */
static size_t rec_modifier_name(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || !rec_is_alpha(s[0]))
		return 0;
	while (i < n && (rec_is_alpha(s[i]) || rec_is_digit(s[i]) || s[i] == '-' ||
			 s[i] == '_' || s[i] == '.'))
		i++;
	return (i < n && s[i] == '=') ? i : 0;
}

/* rec_modifier - name "=" value: redirect, exp (once each) or unknown */
static int rec_modifier(const char *s, size_t n, size_t name, struct spf_record *rec,
			const char **error_r)
{
	const char *v = s + name + 1;
	size_t vn = n - name - 1;
	char **slot = NULL;

	if (rec_ieq(s, name, "redirect"))
		slot = &rec->redirect;
	else if (rec_ieq(s, name, "exp"))
		slot = &rec->exp;
	if (slot == NULL)
		return spf_macro_check(v, vn, 0, error_r);
	if (*slot != NULL) {
		*error_r = "redirect= or exp= given twice";
		return -1;
	}
	if (spf_domain_spec_check(v, vn, error_r) < 0)
		return -1;
	*slot = rw_strndup(v, vn);
	return 0;
}

/* rec_term - one term s[0..n) */
static int rec_term(const char *s, size_t n, struct spf_record *rec, const char **error_r)
{
	size_t name = rec_modifier_name(s, n);

	if (name > 0)
		return rec_modifier(s, n, name, rec, error_r);
	return rec_directive(s, n, rec, error_r);
}

/* spf_record_parse - the whole record, every term checked */
int spf_record_parse(const char *s, size_t len, struct spf_record *rec, const char **error_r)
{
	size_t i = 6, st;

	memset(rec, 0, sizeof(*rec));
	if (!spf_record_is_spf(s, len)) {
		*error_r = "not an SPF record (no \"v=spf1\")";
		while (rec->bad_len < len && s[rec->bad_len] != ' ')
			rec->bad_len++;
		return -1;
	}
	while (i < len) {
		while (i < len && s[i] == ' ')
			i++;
		for (st = i; i < len && s[i] != ' '; i++)
			;
		if (i == st)
			break;
		if (rec_term(s + st, i - st, rec, error_r) < 0) {
			spf_record_release(rec);
			rec->bad_term = st;
			rec->bad_len = i - st;
			return -1;
		}
	}
	return 0;
}

/* spf_record_release - free what the record owns */
void spf_record_release(struct spf_record *rec)
{
	for (size_t i = 0; i < rec->n; i++) {
		free(rec->terms[i].domain);
		free(rec->terms[i].text);
	}
	free(rec->terms);
	free(rec->redirect);
	free(rec->exp);
	memset(rec, 0, sizeof(*rec));
}
