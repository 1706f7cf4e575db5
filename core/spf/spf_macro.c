/*
 * spf_macro - RFC 7208 macro strings; see spf_macro.h.
 *
 * One tokenizer serves the syntax check, the domain-spec check and the
 * expansion, so what is accepted is exactly what is expanded. Transformer
 * digits are clamped at 1000 while read (a bigger value means "all parts"
 * anyway), so no input overflows.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/mem.h"
#include "core/spf/spf_macro.h"

#define MACRO_DELIMS ".-+,/_="
#define MACRO_NAME_MAX 253
#define MACRO_LABEL_MAX 63

enum macro_kind {
	MACRO_LIT,		/* text[0..len) as written */
	MACRO_TEXT,		/* %% %_ %-: text[0..len) */
	MACRO_EXPAND,		/* %{...} */
};

struct macro_tok {
	enum macro_kind kind;
	const char *text;
	size_t len;
	char letter;		/* lower-case */
	int upper;
	int reverse;
	unsigned digits;	/* 0: all parts */
	char delims[sizeof(MACRO_DELIMS)];	/* "" = "." */
};

/* macro_is_literal - a macro-literal byte (SP too in explanations) */
static int macro_is_literal(unsigned char c, unsigned flags)
{
	if (c == ' ')
		return (flags & SPF_MACRO_EXP) != 0;
	return c >= 0x21 && c <= 0x7e && c != '%';
}

/* macro_letter_ok - c (lower-case) is a macro letter in this context */
static int macro_letter_ok(char c, unsigned flags)
{
	if (c != '\0' && strchr("slodiphv", c) != NULL)
		return 1;
	return (flags & SPF_MACRO_EXP) && c != '\0' && strchr("crt", c) != NULL;
}

/* macro_lower - ASCII lower case */
static char macro_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* macro_parse_expand - the inside of "%{...}" from s[*pos] (after the brace) */
static int macro_parse_expand(const char *s, size_t len, size_t *pos, unsigned flags,
			      struct macro_tok *t, const char **error_r)
{
	size_t i = *pos, nd = 0;
	int saw_digit = 0;

	if (i >= len || !macro_letter_ok(macro_lower(s[i]), flags)) {
		*error_r = "invalid macro letter";
		return -1;
	}
	t->letter = macro_lower(s[i]);
	t->upper = s[i] >= 'A' && s[i] <= 'Z';
	for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		saw_digit = 1;
		t->digits = t->digits * 10 + (unsigned)(s[i] - '0');
		if (t->digits > 1000)
			t->digits = 1000;
	}
	if (saw_digit && t->digits == 0) {
		*error_r = "macro transformer digit must be nonzero";
		return -1;
	}
	if (i < len && (s[i] == 'r' || s[i] == 'R')) {
		t->reverse = 1;
		i++;
	}
	for (; i < len && s[i] != '}'; i++) {
		if (s[i] == '\0' || strchr(MACRO_DELIMS, s[i]) == NULL) {
			*error_r = "invalid macro delimiter";
			return -1;
		}
		if (strchr(t->delims, s[i]) == NULL && nd < sizeof(t->delims) - 1)
			t->delims[nd++] = s[i];
	}
	if (i >= len) {
		*error_r = "unterminated macro";
		return -1;
	}
	*pos = i + 1;
	return 0;
}

/* macro_parse_percent - the token starting with the '%' at s[*pos] */
static int macro_parse_percent(const char *s, size_t len, size_t *pos, unsigned flags,
			       struct macro_tok *t, const char **error_r)
{
	char c = *pos + 1 < len ? s[*pos + 1] : '\0';

	t->kind = MACRO_TEXT;
	if (c == '%' || c == '_' || c == '-') {
		t->text = c == '%' ? "%" : c == '_' ? " " : "%20";
		t->len = strlen(t->text);
		*pos += 2;
		return 0;
	}
	if (c != '{' || *pos + 1 >= len) {
		*error_r = "'%' not followed by '{', '%', '_' or '-'";
		return -1;
	}
	t->kind = MACRO_EXPAND;
	*pos += 2;
	return macro_parse_expand(s, len, pos, flags, t, error_r);
}

/* macro_next - the next token at s[*pos]: 1, 0 at the end, -1 on a syntax error */
static int macro_next(const char *s, size_t len, size_t *pos, unsigned flags,
		      struct macro_tok *t, const char **error_r)
{
	size_t i = *pos;

	memset(t, 0, sizeof(*t));
	if (i >= len)
		return 0;
	if (s[i] == '%')
		return macro_parse_percent(s, len, pos, flags, t, error_r) < 0 ? -1 : 1;
	while (i < len && macro_is_literal((unsigned char)s[i], flags))
		i++;
	if (i == *pos) {
		*error_r = "invalid character in macro-string";
		return -1;
	}
	t->kind = MACRO_LIT;
	t->text = s + *pos;
	t->len = i - *pos;
	*pos = i;
	return 1;
}

/* spf_macro_check - validate a macro-string */
int spf_macro_check(const char *s, size_t len, unsigned flags, const char **error_r)
{
	struct macro_tok t;
	size_t pos = 0;
	int rc;

	while ((rc = macro_next(s, len, &pos, flags, &t, error_r)) > 0)
		;
	return rc;
}

/* macro_toplabel_ok - RFC 7208 toplabel: alphanumerics and '-', not all digits */
static int macro_toplabel_ok(const char *s, size_t n)
{
	int alpha = 0, dash = 0;

	if (n == 0 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = macro_lower(s[i]);

		if (c >= 'a' && c <= 'z')
			alpha = 1;
		else if (c == '-')
			dash = 1;
		else if (c < '0' || c > '9')
			return 0;
	}
	return alpha || dash;
}

/* spf_domain_spec_check - validate a domain-spec and its domain-end */
int spf_domain_spec_check(const char *s, size_t len, const char **error_r)
{
	struct macro_tok t, last;
	size_t pos = 0, end, dot;
	int rc;

	memset(&last, 0, sizeof(last));
	last.kind = MACRO_TEXT;
	while ((rc = macro_next(s, len, &pos, 0, &t, error_r)) > 0)
		last = t;
	if (rc < 0)
		return -1;
	if (len == 0) {
		*error_r = "empty domain-spec";
		return -1;
	}
	if (last.kind != MACRO_LIT)
		return 0;
	end = last.len;
	if (end > 0 && last.text[end - 1] == '.')
		end--;
	dot = end;
	while (dot > 0 && last.text[dot - 1] != '.')
		dot--;
	if (dot == 0 || !macro_toplabel_ok(last.text + dot, end - dot)) {
		*error_r = "domain-spec does not end in a macro or a valid top label";
		return -1;
	}
	return 0;
}

/* macro_put_ip - %{i} (dotted) or %{c} (readable) of ip */
static void macro_put_ip(const struct rw_ip *ip, int readable, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	char text[64];

	if (ip->family == 4) {
		buf_printf(out, "%u.%u.%u.%u", ip->b[0], ip->b[1], ip->b[2], ip->b[3]);
		return;
	}
	if (readable) {
		if (inet_ntop(AF_INET6, ip->b, text, sizeof(text)) != NULL)
			buf_puts(out, text);
		return;
	}
	for (size_t i = 0; i < 16; i++) {
		buf_printf(out, "%s%c.%c", i ? "." : "", hex[ip->b[i] >> 4], hex[ip->b[i] & 15]);
	}
}

/* macro_value - the raw value of letter into out */
static void macro_value(const struct macro_tok *t, const struct spf_macro_ctx *ctx,
			struct buf *out)
{
	const char *v = NULL;

	switch (t->letter) {
	case 's': v = ctx->sender; break;
	case 'l': v = ctx->local; break;
	case 'o': v = ctx->sender_domain; break;
	case 'd': v = ctx->domain; break;
	case 'h': v = ctx->helo; break;
	case 'r': v = ctx->receiver ? ctx->receiver : "unknown"; break;
	case 'v': v = ctx->ip->family == 4 ? "in-addr" : "ip6"; break;
	case 'p':
		v = ctx->ptr ? ctx->ptr(ctx->arg, ctx->domain) : NULL;
		v = v ? v : "unknown";
		break;
	case 't':
		buf_printf(out, "%llu", (unsigned long long)ctx->now);
		return;
	case 'i':
	case 'c':
		macro_put_ip(ctx->ip, t->letter == 'c', out);
		return;
	}
	buf_puts(out, v ? v : "");
}

/* macro_transform - split value on the delimiters, reverse, keep the right parts, join with '.' */
static void macro_transform(const struct macro_tok *t, const char *v, size_t n, struct buf *out)
{
	const char *delims = t->delims[0] ? t->delims : ".";
	size_t parts = 1, skip, k = 0, start = 0, *st, *ln;

	for (size_t i = 0; i < n; i++)
		parts += v[i] != '\0' && strchr(delims, v[i]) != NULL;
	skip = (t->digits && t->digits < parts) ? parts - t->digits : 0;
	st = rw_calloc(parts, sizeof(*st));
	ln = rw_calloc(parts, sizeof(*ln));

	for (size_t i = 0; i <= n; i++) {
		if (i == n || (v[i] != '\0' && strchr(delims, v[i]) != NULL)) {
			st[k] = start;
			ln[k++] = i - start;
			start = i + 1;
		}
	}
	for (size_t j = skip; j < parts; j++) {
		size_t idx = t->reverse ? parts - 1 - j : j;

		if (j > skip)
			buf_putc(out, '.');
		buf_append(out, v + st[idx], ln[idx]);
	}
	free(st);
	free(ln);
}

/* macro_urlescape - append v, every byte outside the unreserved set as %XX */
static void macro_urlescape(const char *v, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~')
			buf_putc(out, c);
		else
			buf_printf(out, "%%%02X", c);
	}
}

/* macro_expand_one - one %{...} into out */
static void macro_expand_one(const struct macro_tok *t, const struct spf_macro_ctx *ctx,
			     struct buf *out)
{
	struct buf raw = BUF_INIT, done = BUF_INIT;

	macro_value(t, ctx, &raw);
	if (t->digits || t->reverse || t->delims[0])
		macro_transform(t, buf_cstr(&raw), raw.len, &done);
	else
		buf_append(&done, buf_cstr(&raw), raw.len);
	if (t->upper)
		macro_urlescape(buf_cstr(&done), done.len, out);
	else
		buf_append(out, buf_cstr(&done), done.len);
	buf_release(&raw);
	buf_release(&done);
}

/* spf_macro_expand - expand a macro-string */
int spf_macro_expand(const char *s, size_t len, unsigned flags,
		     const struct spf_macro_ctx *ctx, struct buf *out, const char **error_r)
{
	struct macro_tok t;
	size_t pos = 0;
	int rc;

	if (spf_macro_check(s, len, flags, error_r) < 0)
		return -1;
	while ((rc = macro_next(s, len, &pos, flags, &t, error_r)) > 0) {
		if (t.kind == MACRO_EXPAND)
			macro_expand_one(&t, ctx, out);
		else
			buf_append(out, t.text, t.len);
	}
	return rc;
}

/* spf_macro_target - make name a query name: trailing dot, 253-octet cut, labels */
int spf_macro_target(struct buf *name)
{
	const char *s = buf_cstr(name);
	size_t n = name->len, start = 0;

	if (n > 0 && s[n - 1] == '.')
		n--;
	while (n - start > MACRO_NAME_MAX) {
		const char *dot = memchr(s + start, '.', n - start);

		if (dot == NULL)
			return -1;
		start = (size_t)(dot - s) + 1;
	}
	if (n == start)
		return -1;
	for (size_t i = start, lab = start; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (i == lab || i - lab > MACRO_LABEL_MAX)
				return -1;
			lab = i + 1;
		} else if (s[i] == '\0') {
			return -1;
		}
	}
	memmove(name->data, s + start, n - start);
	buf_truncate(name, n - start);
	return 0;
}

/* spf_macro_reverse_name - in-addr.arpa / ip6.arpa name of ip */
void spf_macro_reverse_name(const struct rw_ip *ip, struct buf *out)
{
	static const char hex[] = "0123456789abcdef";

	if (ip->family == 4) {
		buf_printf(out, "%u.%u.%u.%u.in-addr.arpa", ip->b[3], ip->b[2], ip->b[1], ip->b[0]);
		return;
	}
	for (int i = 15; i >= 0; i--)
		buf_printf(out, "%c.%c.", hex[ip->b[i] & 15], hex[ip->b[i] >> 4]);
	buf_puts(out, "ip6.arpa");
}
