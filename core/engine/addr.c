/*
 * addr - RFC 5321 envelope address parsing; see addr.h.
 *
 * Decisions beyond the header, in parsing order:
 *  - the whole input is checked first: a NUL byte is an error, octets
 *    >= 0x80 must form well-formed UTF-8 (SMTPUTF8, RFC 6531), and the path
 *    with its angle brackets may not exceed 256 octets (RFC 5321 4.5.3.1.3);
 *  - "<" without ">" (or the reverse) is an unbalanced angle bracket;
 *  - A-d-l (source route) = "@" Domain *( "," "@" Domain ) ":" before a
 *    Mailbox; it is checked, flagged and skipped, never followed;
 *  - Dot-string = atext (RFC 5321) or UTF-8 octets, no leading, trailing or
 *    double dot. An unquoted '@' is accepted only as the user@a@b trick:
 *    every '@'-separated piece must itself be a Dot-string;
 *  - Quoted-string = qtextSMTP / quoted-pairSMTP or UTF-8 octets; control
 *    characters are errors even inside quotes; the 64-octet limit counts the
 *    local part as written (quotes and backslashes included);
 *  - an empty local part is an error, also when quoted (""@example.test);
 *  - Domain = labels of letters, digits, hyphens and UTF-8 octets, 1-63
 *    octets, no hyphen first or last (RFC 5321 Let-dig), no underscore, and
 *    an all-numeric last label is refused (an unbracketed dotted quad is not
 *    a domain, RFC 3696 2); at most one trailing dot, which is dropped;
 *  - address literals: [a.b.c.d] and [IPv6:...] checked with inet_pton,
 *    stored lower-cased without brackets; other tags are errors;
 *  - a bare local part (no '@') is accepted with ADDR_F_NO_DOMAIN, except
 *    after a source route, where a Mailbox is required.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/engine/addr.h"
#include "core/util/buf.h"
#include "core/util/mem.h"

#define ADDR_MAX_LOCAL	64
#define ADDR_MAX_DOMAIN 255
#define ADDR_MAX_PATH	256
#define ADDR_MAX_LABEL	63

/* A borrowed piece of the input. */
struct addr_span {
	const char *p;
	size_t n;
};

/* addr_is_alnum - ASCII letter or digit (locale-independent) */
static int addr_is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* addr_is_atext - RFC 5321 atext, or a UTF-8 octet */
static int addr_is_atext(unsigned char c)
{
	if (c >= 0x80 || addr_is_alnum(c))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* addr_is_qtext - qtextSMTP (RFC 5321: 32-33, 35-91, 93-126), or UTF-8 */
static int addr_is_qtext(unsigned char c)
{
	if (c >= 0x80)
		return 1;
	return c >= 32 && c <= 126 && c != '"' && c != '\\';
}

/* addr_trick_flag - the ADDR_F_* a local-part character sets, or 0 */
static unsigned addr_trick_flag(char c)
{
	switch (c) {
	case '@':
		return ADDR_F_AT_IN_LOCAL;
	case '%':
		return ADDR_F_PERCENT;
	case '!':
		return ADDR_F_BANG;
	default:
		return 0;
	}
}

/* addr_utf8_seq - length of the well-formed UTF-8 sequence at p, 0 if none */
static size_t addr_utf8_seq(const unsigned char *p, size_t n)
{
	unsigned long cp, min;
	size_t len;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, min = 0x80;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, min = 0x800;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	cp = p[0] & (0x7fu >> len);
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3fu);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* addr_check_bytes - no NUL, well-formed UTF-8 */
static int addr_check_bytes(const char *s, size_t len, const char **error_r)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < len) {
		if (p[i] == '\0') {
			*error_r = "NUL byte in address";
			return -1;
		}
		if ((k = addr_utf8_seq(p + i, len - i)) == 0) {
			*error_r = "malformed UTF-8 in address";
			return -1;
		}
		i += k;
	}
	return 0;
}

/* addr_strip_brackets - remove one balanced pair of <> */
static int addr_strip_brackets(struct addr_span *in, const char **error_r)
{
	int open = in->n > 0 && in->p[0] == '<';
	int close = in->n > 0 && in->p[in->n - 1] == '>';

	if (open && close && in->n >= 2) {
		in->p++;
		in->n -= 2;
		return 0;
	}
	if (open || close) {
		*error_r = "unbalanced angle bracket";
		return -1;
	}
	return 0;
}

/* addr_check_label - one domain label: LDH or UTF-8, no edge hyphen */
static int addr_check_label(const char *p, size_t n, const char **error_r)
{
	if (n == 0) {
		*error_r = "empty label in domain";
		return -1;
	}
	if (n > ADDR_MAX_LABEL) {
		*error_r = "domain label too long";
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x80 && !addr_is_alnum(c) && c != '-') {
			*error_r = "bad character in domain";
			return -1;
		}
	}
	if (p[0] == '-' || p[n - 1] == '-') {
		*error_r = "misplaced hyphen in domain";
		return -1;
	}
	return 0;
}

/* addr_all_digits - n > 0 bytes at p are all ASCII digits */
static int addr_all_digits(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return n > 0;
}

/* addr_check_domain - a Domain with at most one trailing dot */
static int addr_check_domain(const char *p, size_t n, const char **error_r)
{
	size_t start = 0;

	if (n > 0 && p[n - 1] == '.')
		n--;
	if (n == 0) {
		*error_r = "empty domain";
		return -1;
	}
	if (n > ADDR_MAX_DOMAIN) {
		*error_r = "domain too long";
		return -1;
	}
	for (size_t i = 0; i <= n; i++) {
		if (i < n && p[i] != '.')
			continue;
		if (addr_check_label(p + start, i - start, error_r) < 0)
			return -1;
		if (i == n && addr_all_digits(p + start, i - start)) {
			*error_r = "all-numeric top-level domain label";
			return -1;
		}
		start = i + 1;
	}
	return 0;
}

/* addr_check_literal - "[a.b.c.d]" or "[IPv6:...]" */
static int addr_check_literal(const char *p, size_t n, const char **error_r)
{
	char *s;
	int ok;

	if (n < 2 || p[n - 1] != ']') {
		*error_r = "unbalanced '[' in domain";
		return -1;
	}
	if (n > ADDR_MAX_DOMAIN) {
		*error_r = "domain too long";
		return -1;
	}
	s = rw_strndup(p + 1, n - 2);
	if (strncasecmp(s, BUF_LIT("IPv6:")) == 0) {
		struct in6_addr a6;

		ok = inet_pton(AF_INET6, s + BUF_LIT_LEN("IPv6:"), &a6) == 1;
	} else {
		struct in_addr a4;

		ok = inet_pton(AF_INET, s, &a4) == 1;
	}
	free(s);
	if (!ok)
		*error_r = "bad address literal";
	return ok ? 0 : -1;
}

/* addr_source_route - check and skip "@d1,@d2:" at the start of *in */
static int addr_source_route(struct addr_span *in, const char **error_r)
{
	const char *colon = memchr(in->p, ':', in->n);
	const char *p = in->p, *end;

	for (;;) {
		if (p == colon || *p != '@') {
			*error_r = "bad source route";
			return -1;
		}
		p++;
		end = memchr(p, ',', (size_t)(colon - p));
		if (end == NULL)
			end = colon;
		if (addr_check_domain(p, (size_t)(end - p), error_r) < 0) {
			*error_r = "bad domain in source route";
			return -1;
		}
		if ((p = end) == colon)
			break;
		p++;
	}
	in->n -= (size_t)(colon + 1 - in->p);
	in->p = colon + 1;
	if (in->n == 0) {
		*error_r = "missing mailbox after source route";
		return -1;
	}
	return 0;
}

/* addr_check_dot_string - one Dot-string piece; adds trick flags */
static int addr_check_dot_string(const char *p, size_t n, unsigned *flags,
				 const char **error_r)
{
	if (n == 0) {
		*error_r = "empty local part";
		return -1;
	}
	if (p[0] == '.' || p[n - 1] == '.') {
		*error_r = "misplaced dot in local part";
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '.' && p[i + 1] == '.') {
			*error_r = "misplaced dot in local part";
			return -1;
		}
		if (p[i] != '.' && !addr_is_atext((unsigned char)p[i])) {
			*error_r = "bad character in local part";
			return -1;
		}
		*flags |= addr_trick_flag(p[i]);
	}
	return 0;
}

/* addr_check_unquoted - Dot-string pieces joined by the user@a@b trick '@' */
static int addr_check_unquoted(const char *p, size_t n, unsigned *flags,
			       const char **error_r)
{
	const char *at;

	while ((at = memchr(p, '@', n)) != NULL) {
		*flags |= ADDR_F_AT_IN_LOCAL;
		if (addr_check_dot_string(p, (size_t)(at - p), flags, error_r) < 0) {
			if (at == p)
				*error_r = "misplaced '@' in local part";
			return -1;
		}
		n -= (size_t)(at + 1 - p);
		p = at + 1;
	}
	if (addr_check_dot_string(p, n, flags, error_r) < 0) {
		if (n == 0 && (*flags & ADDR_F_AT_IN_LOCAL))
			*error_r = "misplaced '@' in local part";
		return -1;
	}
	return 0;
}

/* addr_unquote - resolve a Quoted-string (quotes included) into out */
static int addr_unquote(const char *p, size_t n, struct buf *out, unsigned *flags,
			const char **error_r)
{
	for (size_t i = 1; i + 1 < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\\') {
			c = (unsigned char)p[++i];
			if (c < 32 || c > 126) {
				*error_r = "bad quoted-pair in local part";
				return -1;
			}
		} else if (!addr_is_qtext(c)) {
			*error_r = "bad character in quoted local part";
			return -1;
		}
		*flags |= addr_trick_flag((char)c);
		buf_putc(out, c);
	}
	if (out->len == 0) {
		*error_r = "empty local part";
		return -1;
	}
	return 0;
}

/* addr_split_quoted - Quoted-string [ "@" domain ] */
static int addr_split_quoted(struct addr_span m, struct addr_span *local,
			     struct addr_span *domain, const char **error_r)
{
	size_t i = 1;

	while (i < m.n && m.p[i] != '"')
		i += m.p[i] == '\\' ? 2 : 1;
	if (i >= m.n) {
		*error_r = "unbalanced quote in local part";
		return -1;
	}
	local->p = m.p;
	local->n = i + 1;
	if (local->n == m.n) {
		domain->p = NULL;
		return 0;
	}
	if (m.p[local->n] != '@') {
		*error_r = "bad character after quoted local part";
		return -1;
	}
	domain->p = m.p + local->n + 1;
	domain->n = m.n - local->n - 1;
	return 0;
}

/* addr_split_unquoted - the domain follows the last '@' (outside a literal) */
static void addr_split_unquoted(struct addr_span m, struct addr_span *local,
				struct addr_span *domain)
{
	const char *sep = NULL, *lb;

	if (m.p[m.n - 1] == ']' && (lb = memrchr(m.p, '[', m.n)) != NULL &&
	    lb > m.p && lb[-1] == '@')
		sep = lb - 1;
	if (sep == NULL)
		sep = memrchr(m.p, '@', m.n);
	local->p = m.p;
	local->n = sep ? (size_t)(sep - m.p) : m.n;
	domain->p = sep ? sep + 1 : NULL;
	domain->n = sep ? m.n - local->n - 1 : 0;
}

/* addr_check_domain_part - a literal or a Domain; sets ADDR_F_LITERAL */
static int addr_check_domain_part(struct addr_span d, unsigned *flags, const char **error_r)
{
	if (d.n > 0 && d.p[0] == '[') {
		*flags |= ADDR_F_LITERAL;
		return addr_check_literal(d.p, d.n, error_r);
	}
	return addr_check_domain(d.p, d.n, error_r);
}

/* addr_copy_domain - the stored form: normalised, literal without brackets */
static char *addr_copy_domain(struct addr_span d, unsigned flags)
{
	char *s;

	if (d.p == NULL)
		return rw_strdup("");
	if (flags & ADDR_F_LITERAL)
		s = rw_strndup(d.p + 1, d.n - 2);
	else
		s = rw_strndup(d.p, d.n);
	addr_domain_normalise(s);
	return s;
}

/* addr_local_part - check a local part and put its stored form in lp */
static int addr_local_part(struct addr_span local, unsigned *flags, struct buf *lp,
			   const char **error_r)
{
	if (local.n > ADDR_MAX_LOCAL) {
		*error_r = "local part too long";
		return -1;
	}
	if (*flags & ADDR_F_QUOTED)
		return addr_unquote(local.p, local.n, lp, flags, error_r);
	if (addr_check_unquoted(local.p, local.n, flags, error_r) < 0)
		return -1;
	buf_append(lp, local.p, local.n);
	return 0;
}

/* addr_mailbox - Local-part [ "@" domain ] into *out */
static int addr_mailbox(struct addr_span m, unsigned flags, struct rw_addr *out,
			const char **error_r)
{
	struct addr_span local, domain;
	struct buf lp = BUF_INIT;

	if (m.p[0] == '"') {
		flags |= ADDR_F_QUOTED;
		if (addr_split_quoted(m, &local, &domain, error_r) < 0)
			return -1;
	} else {
		addr_split_unquoted(m, &local, &domain);
	}
	if (domain.p == NULL && (flags & ADDR_F_SOURCE_ROUTE)) {
		*error_r = "missing '@' after source route";
		return -1;
	}
	if (domain.p == NULL)
		flags |= ADDR_F_NO_DOMAIN;
	if (addr_local_part(local, &flags, &lp, error_r) < 0 ||
	    (domain.p != NULL && addr_check_domain_part(domain, &flags, error_r) < 0)) {
		buf_release(&lp);
		return -1;
	}
	out->local = buf_detach(&lp);
	out->domain = addr_copy_domain(domain, flags);
	out->flags = flags;
	return 0;
}

/* addr_parse - parse len bytes at s into *out */
int addr_parse(const char *s, size_t len, struct rw_addr *out, const char **error_r)
{
	struct addr_span in = { s, len };
	unsigned flags = 0;

	memset(out, 0, sizeof(*out));
	if (addr_check_bytes(s, len, error_r) < 0 || addr_strip_brackets(&in, error_r) < 0)
		return -1;
	if (in.n > ADDR_MAX_PATH - 2) {
		*error_r = "address too long";
		return -1;
	}
	if (in.n == 0) {
		out->local = rw_strdup("");
		out->domain = rw_strdup("");
		out->flags = ADDR_F_NULL;
		return 0;
	}
	if (in.p[0] == '@' && memchr(in.p, ':', in.n) != NULL) {
		if (addr_source_route(&in, error_r) < 0)
			return -1;
		flags |= ADDR_F_SOURCE_ROUTE;
	}
	return addr_mailbox(in, flags, out, error_r);
}

/* addr_release - free and zero */
void addr_release(struct rw_addr *a)
{
	free(a->local);
	free(a->domain);
	a->local = NULL;
	a->domain = NULL;
	a->flags = 0;
}

/* addr_trick - short reason for the first relay trick, or NULL */
const char *addr_trick(const struct rw_addr *a)
{
	static const struct {
		unsigned flag;
		const char *why;
	} tricks[] = {
		{ ADDR_F_SOURCE_ROUTE, "source route" },
		{ ADDR_F_PERCENT, "percent hack" },
		{ ADDR_F_BANG, "bang path" },
		{ ADDR_F_AT_IN_LOCAL, "'@' in local part" },
		{ ADDR_F_LITERAL, "address literal" },
	};

	for (size_t i = 0; i < sizeof(tricks) / sizeof(tricks[0]); i++)
		if (a->flags & tricks[i].flag)
			return tricks[i].why;
	return NULL;
}

/* addr_domain_normalise - ASCII lower-case in place, drop one trailing dot */
void addr_domain_normalise(char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
	if (n > 0 && s[n - 1] == '.')
		s[n - 1] = '\0';
}
