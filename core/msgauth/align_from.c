#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "core/msgauth/align.h"
#include "core/util/buf.h"
#include "core/util/mem.h"

/*
 * The From field grammar (RFC 5322 3.4 mailbox-list, RFC 6532 UTF-8):
 *   tokens: atom (atext / 8-bit bytes), quoted-string, domain-literal,
 *   specials < > @ , : ; . ; CFWS (whitespace, folding, comments nested at
 *   most ALIGN_COMMENT_DEPTH deep) skipped.
 *   mailbox = addr-spec / [phrase] "<" addr-spec ">"
 *   addr-spec = word *("." word) "@" atom *("." atom)
 * Anything else (groups, routes, domain-literals, unbalanced quotes or
 * comments, control characters, empty list members) is unparsable.
 */
#define ALIGN_FROM_MAX 8192
#define ALIGN_COMMENT_DEPTH 16

enum align_tok_kind { TOK_ATOM, TOK_QSTRING, TOK_DLIT, TOK_SPECIAL };

struct align_tok {
	enum align_tok_kind kind;
	const char *p;		/* atom text (TOK_ATOM) */
	size_t len;
	char c;			/* TOK_SPECIAL */
};

struct align_toks {
	struct align_tok *v;
	size_t n, cap, i;
};

/* align_tok_add - append a token */
static void align_tok_add(struct align_toks *t, enum align_tok_kind k, const char *p,
			  size_t len, char c)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->v = rw_realloc(t->v, t->cap * sizeof(*t->v));
	}
	t->v[t->n++] = (struct align_tok){ k, p, len, c };
}

/* align_atext - an atom character (RFC 5322 atext, RFC 6532 UTF-8 bytes) */
static int align_atext(unsigned char c)
{
	if (c >= 0x80)
		return 1;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* align_skip_comment - past a (nested) comment at s[i] == '('; -1 if bad */
static long align_skip_comment(const char *s, size_t len, size_t i)
{
	int depth = 0;

	for (; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len)
			i++;
		else if (s[i] == '(' && ++depth > ALIGN_COMMENT_DEPTH)
			return -1;
		else if (s[i] == ')' && --depth == 0)
			return (long)i + 1;
		else if ((unsigned char)s[i] < 0x20 && !strchr("\t\r\n", s[i]))
			return -1;
	}
	return -1;
}

/* align_skip_quoted - past a quoted string or literal ending in close; -1 if bad */
static long align_skip_quoted(const char *s, size_t len, size_t i, char close)
{
	for (i++; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len)
			i++;
		else if (s[i] == close)
			return (long)i + 1;
		else if (close == ']' && (s[i] == '[' || s[i] == '\\'))
			return -1;
		else if ((unsigned char)s[i] < 0x20 && !strchr("\t\r\n", s[i]))
			return -1;
	}
	return -1;
}

/* align_tokenize - the tokens of s; 0 or -1 */
static int align_tokenize(const char *s, size_t len, struct align_toks *t)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		long e;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			i++;
		} else if (c == '(' || c == '"' || c == '[') {
			e = c == '(' ? align_skip_comment(s, len, i)
				     : align_skip_quoted(s, len, i, c == '"' ? '"' : ']');
			if (e < 0)
				return -1;
			if (c != '(')
				align_tok_add(t, c == '"' ? TOK_QSTRING : TOK_DLIT, s + i,
					      (size_t)e - i, 0);
			i = (size_t)e;
		} else if (strchr("<>@,:;.", c) != NULL && c != 0) {
			align_tok_add(t, TOK_SPECIAL, s + i, 1, (char)c);
			i++;
		} else if (align_atext(c)) {
			size_t st = i;

			while (i < len && align_atext((unsigned char)s[i]))
				i++;
			align_tok_add(t, TOK_ATOM, s + st, i - st, 0);
		} else {
			return -1;	/* control character, ')', ']', '\' */
		}
	}
	return 0;
}

/* align_peek - the current token is special c */
static int align_peek(const struct align_toks *t, char c)
{
	return t->i < t->n && t->v[t->i].kind == TOK_SPECIAL && t->v[t->i].c == c;
}

/* align_label_ok - a domain label: LDH, '_' or UTF-8 bytes, 1..63 octets */
static int align_label_ok(const struct align_tok *k)
{
	if (k->kind != TOK_ATOM || k->len == 0 || k->len > 63)
		return 0;
	for (size_t i = 0; i < k->len; i++) {
		unsigned char c = (unsigned char)k->p[i];

		if (!(c >= 0x80 || c == '-' || c == '_' || (c >= '0' && c <= '9') ||
		      ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')))
			return 0;
	}
	return 1;
}

/* align_addr_spec - local "@" domain; the domain lower-cased into *dom */
static int align_addr_spec(struct align_toks *t, struct buf *dom)
{
	do {
		if (t->i >= t->n || (t->v[t->i].kind != TOK_ATOM &&
				     t->v[t->i].kind != TOK_QSTRING))
			return -1;
		t->i++;
	} while (align_peek(t, '.') && ++t->i);
	if (!align_peek(t, '@'))
		return -1;
	t->i++;
	buf_truncate(dom, 0);
	do {
		if (t->i >= t->n || !align_label_ok(&t->v[t->i]))
			return -1;
		if (dom->len > 0)
			buf_putc(dom, '.');
		for (size_t k = 0; k < t->v[t->i].len; k++) {
			unsigned char c = (unsigned char)t->v[t->i].p[k];

			buf_putc(dom, c >= 'A' && c <= 'Z' ? c | 0x20 : c);
		}
		t->i++;
	} while (align_peek(t, '.') && ++t->i);
	return dom->len <= 253 ? 0 : -1;
}

/* align_mailbox - one mailbox (addr-spec or name-addr) */
static int align_mailbox(struct align_toks *t, struct buf *dom)
{
	size_t j = t->i;

	while (j < t->n && !(t->v[j].kind == TOK_SPECIAL && strchr("<,", t->v[j].c)))
		j++;
	if (j >= t->n || t->v[j].c != '<')
		return align_addr_spec(t, dom);
	for (; t->i < j; t->i++) {	/* phrase: words, obs-phrase dots */
		const struct align_tok *k = &t->v[t->i];

		if (!(k->kind == TOK_ATOM || k->kind == TOK_QSTRING ||
		      (k->kind == TOK_SPECIAL && k->c == '.')))
			return -1;
	}
	t->i++;
	if (align_addr_spec(t, dom) < 0 || !align_peek(t, '>'))
		return -1;
	t->i++;
	return 0;
}

/* align_from_one - the status of one From field value */
static enum align_from_status align_from_one(const char *v, struct buf *dom)
{
	struct align_toks t = { 0 };
	struct buf other = BUF_INIT;
	enum align_from_status st = ALIGN_FROM_UNPARSABLE;
	size_t len = strlen(v), count = 0;
	int bad = 0;

	if (len > ALIGN_FROM_MAX || align_tokenize(v, len, &t) < 0 || t.n == 0)
		goto out;
	for (;;) {
		if (align_mailbox(&t, count == 0 ? dom : &other) < 0)
			bad = 1;
		count++;
		if (bad || !align_peek(&t, ','))
			break;
		t.i++;
	}
	if (count > 1)
		st = ALIGN_FROM_ADDRESSES;
	else if (!bad && t.i == t.n)
		st = ALIGN_FROM_OK;
out:
	free(t.v);
	buf_release(&other);
	return st;
}

/* align_from_parse - the single From domain, or the finding */
enum align_from_status align_from_parse(const char *const *from, size_t n,
					struct buf *domain)
{
	enum align_from_status st;

	buf_truncate(domain, 0);
	if (n == 0)
		return ALIGN_FROM_NONE;
	if (n > 1)
		return ALIGN_FROM_MULTIPLE;
	st = align_from_one(from[0], domain);
	if (st != ALIGN_FROM_OK)
		buf_truncate(domain, 0);
	return st;
}

/* align_from_status_name - the finding in words */
const char *align_from_status_name(enum align_from_status st)
{
	switch (st) {
	case ALIGN_FROM_OK:
		return "ok";
	case ALIGN_FROM_NONE:
		return "no From";
	case ALIGN_FROM_MULTIPLE:
		return "multiple From headers";
	case ALIGN_FROM_ADDRESSES:
		return "multiple addresses";
	case ALIGN_FROM_UNPARSABLE:
		return "unparsable From";
	}
	return "unparsable From";
}
