#include "autoconfig.h"

#include <string.h>
#include <strings.h>

#include "core/msgauth/align.h"
#include "core/util/buf.h"

/*
 * DMARC record grammar (RFC 7489 6.4), read strictly:
 *   record = "v=DMARC1" *(WSP ";" WSP tag) [";"]   (v= first, exact)
 *   tag    = name *WSP "=" *WSP value;  name = ALPHA *(ALPHA / DIGIT / "_" / "-")
 *   p, sp  = "none" / "quarantine" / "reject"   (case-insensitive)
 *   adkim, aspf = "r" / "s";  pct = 1*3DIGIT, 0..100
 * A repeated known tag, a bad p/sp/adkim/aspf/pct value, a tag without
 * "=", or a control character makes the record invalid. A missing or bad
 * p= with an rua= naming a URI ("scheme:...") reads as p=none. Unknown
 * tags are ignored.
 *
 * RFC 9989 4.7/4.8 (align_dmarc_parse_9989), read leniently:
 *   record = "v" *WSP "=" *WSP "DMARC1" *(*WSP ";" *WSP tag) [";"]
 *   (v first, "DMARC1" case-sensitive; tag order after it free)
 *   p, sp, np = "none" / "quarantine" / "reject";  adkim, aspf = "r" / "s"
 *   psd = "y" / "n" / "u";  t = "y" / "n";  rua = URI *("," URI)
 * Unknown tags (pct, rf, ri, which RFC 9989 removed, among them) are
 * ignored; so is a piece that is no "name=value" or holds a control
 * character, and a bad adkim/aspf/psd/t value (the default applies). A
 * repeated known tag makes the record invalid (DKIM's tag-list rule,
 * which DMARC records follow). No p= at all reads as p=none; a p= that is
 * not valid, or a bad sp=/np=, reads as p=none when an rua= holds a URI
 * ("scheme:..."), else the record gives no policy (found = 0: "no DMARC
 * processing", RFC 9989 4.10.1).
 */

struct align_tag {
	const char *name, *val;
	size_t nlen, vlen;
};

/* align_is - the value equals word, ignoring case */
static int align_is(const struct align_tag *t, const char *word)
{
	return t->vlen == strlen(word) && strncasecmp(t->val, word, t->vlen) == 0;
}

/* align_policy_value - p= / sp= value; -1 when bad */
static int align_policy_value(const struct align_tag *t, enum align_policy *p)
{
	if (align_is(t, "none"))
		*p = ALIGN_P_NONE;
	else if (align_is(t, "quarantine"))
		*p = ALIGN_P_QUARANTINE;
	else if (align_is(t, "reject"))
		*p = ALIGN_P_REJECT;
	else
		return -1;
	return 0;
}

/* align_mode_value - adkim= / aspf= value; -1 when bad */
static int align_mode_value(const struct align_tag *t, enum align_mode *m)
{
	if (align_is(t, "r"))
		*m = ALIGN_RELAXED;
	else if (align_is(t, "s"))
		*m = ALIGN_STRICT;
	else
		return -1;
	return 0;
}

/* align_pct_value - pct= value; -1 when bad */
static int align_pct_value(const struct align_tag *t, unsigned *pct)
{
	unsigned v = 0;

	if (t->vlen == 0 || t->vlen > 3)
		return -1;
	for (size_t i = 0; i < t->vlen; i++) {
		if (t->val[i] < '0' || t->val[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(t->val[i] - '0');
	}
	if (v > 100)
		return -1;
	*pct = v;
	return 0;
}

/* align_tag_split - one "name=value" piece, trimmed; -1 when bad */
static int align_tag_split(const char *p, size_t len, struct align_tag *t)
{
	const char *eq = memchr(p, '=', len);
	size_t i = 0;

	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (eq == NULL || !((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'z'))
		return -1;
	t->name = p + i;
	for (t->nlen = 0; t->name + t->nlen < eq; t->nlen++) {
		char c = t->name[t->nlen];

		if (c == ' ' || c == '\t')
			break;
		if (!((c | 0x20) >= 'a' && (c | 0x20) <= 'z') && c != '_' && c != '-' &&
		    !(c >= '0' && c <= '9'))
			return -1;
	}
	for (const char *q = t->name + t->nlen; q < eq; q++)
		if (*q != ' ' && *q != '\t')
			return -1;
	t->val = eq + 1;
	t->vlen = (size_t)(p + len - t->val);
	while (t->vlen > 0 && (*t->val == ' ' || *t->val == '\t'))
		t->val++, t->vlen--;
	while (t->vlen > 0 && (t->val[t->vlen - 1] == ' ' || t->val[t->vlen - 1] == '\t'))
		t->vlen--;
	return 0;
}

/* align_name_is - the tag is called name */
static int align_name_is(const struct align_tag *t, const char *name)
{
	return t->nlen == strlen(name) && strncasecmp(t->name, name, t->nlen) == 0;
}

/* align_dmarc_tag - apply one tag; seen bits catch repeats; -1 when bad */
static int align_dmarc_tag(const struct align_tag *t, struct align_dmarc *out,
			   unsigned *seen, int *p_ok, int *rua_ok)
{
	static const char *const known[] = { "p", "sp", "adkim", "aspf", "pct", "rua" };
	size_t k;

	for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
		if (align_name_is(t, known[k]))
			break;
	if (k == sizeof(known) / sizeof(known[0]))
		return 0;			/* fo, rf, ri, ruf, unknown */
	if (*seen & (1u << k))
		return -1;
	*seen |= 1u << k;
	switch (k) {
	case 0:
		*p_ok = align_policy_value(t, &out->p) == 0;
		return 0;
	case 1:
		return align_policy_value(t, &out->sp);
	case 2:
		return align_mode_value(t, &out->adkim);
	case 3:
		return align_mode_value(t, &out->aspf);
	case 4:
		return align_pct_value(t, &out->pct);
	default:
		*rua_ok = memchr(t->val, ':', t->vlen) != NULL;
		return 0;
	}
}

/* align_dmarc_head - check "v=DMARC1" [WSP] ";" and the bytes; its end or -1 */
static long align_dmarc_head(const char *rec, size_t len, const char **error_r)
{
	size_t i = 8;

	if (len < 8 || memcmp(rec, "v=DMARC1", 8) != 0) {
		*error_r = "not a DMARC record (v=DMARC1 first)";
		return -1;
	}
	for (size_t k = 0; k < len; k++) {
		if ((unsigned char)rec[k] < 0x20 && rec[k] != '\t') {
			*error_r = "control character in DMARC record";
			return -1;
		}
	}
	while (i < len && (rec[i] == ' ' || rec[i] == '\t'))
		i++;
	if (i < len && rec[i] != ';') {
		*error_r = "v=DMARC1 not followed by ';'";
		return -1;
	}
	return (long)i;
}

/* align_dmarc_parse - one record (its TXT strings joined) */
int align_dmarc_parse(const char *rec, size_t len, struct align_dmarc *out,
		      const char **error_r)
{
	unsigned seen = 0;
	int p_ok = 0, rua_ok = 0;
	long head;
	size_t i;

	memset(out, 0, sizeof(*out));
	out->pct = 100;
	if ((head = align_dmarc_head(rec, len, error_r)) < 0)
		return -1;
	for (i = (size_t)head; i < len;) {
		size_t st = ++i, e = i, ws = i;
		struct align_tag t;

		while (e < len && rec[e] != ';')
			e++;
		while (ws < e && (rec[ws] == ' ' || rec[ws] == '\t'))
			ws++;
		i = e;
		if (ws == e)
			continue;		/* empty piece: "...;" at the end */
		if (align_tag_split(rec + st, e - st, &t) < 0 ||
		    align_dmarc_tag(&t, out, &seen, &p_ok, &rua_ok) < 0) {
			*error_r = "bad tag in DMARC record";
			return -1;
		}
	}
	if (!p_ok && !rua_ok) {
		*error_r = "DMARC record without a valid p=";
		return -1;
	}
	if (!p_ok)
		out->p = ALIGN_P_NONE;
	out->found = 1;
	return 0;
}

/* align_policy_name - the p= word */
const char *align_policy_name(enum align_policy p)
{
	switch (p) {
	case ALIGN_P_NONE:
		return "none";
	case ALIGN_P_QUARANTINE:
		return "quarantine";
	case ALIGN_P_REJECT:
		return "reject";
	default:
		return "";
	}
}

/* align_dmarc_v1_end - the end of "v" *WSP "=" *WSP "DMARC1" [*WSP ";"]; -1 when not */
static long align_dmarc_v1_end(const char *rec, size_t len)
{
	size_t i = 1;

	if (len == 0 || rec[0] != 'v')
		return -1;
	while (i < len && (rec[i] == ' ' || rec[i] == '\t'))
		i++;
	if (i >= len || rec[i++] != '=')
		return -1;
	while (i < len && (rec[i] == ' ' || rec[i] == '\t'))
		i++;
	if (len - i < 6 || memcmp(rec + i, "DMARC1", 6) != 0)
		return -1;
	for (i += 6; i < len && (rec[i] == ' ' || rec[i] == '\t'); i++)
		;
	return i == len || rec[i] == ';' ? (long)i : -1;
}

/* align_dmarc_is_v1 - see align.h */
int align_dmarc_is_v1(const char *rec, size_t len)
{
	return align_dmarc_v1_end(rec, len) >= 0;
}

/* align_uri_ok - one rua= entry is "scheme:rest" (RFC 3986 scheme) */
static int align_uri_ok(const char *p, size_t len)
{
	size_t i = 0;

	while (len > 0 && (*p == ' ' || *p == '\t'))
		p++, len--;
	if (len == 0 || !((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z'))
		return 0;
	while (i < len && (((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'z') ||
			   (p[i] >= '0' && p[i] <= '9') || p[i] == '+' || p[i] == '-' || p[i] == '.'))
		i++;
	return i < len && p[i] == ':' && i + 1 < len && p[i + 1] != ' ' && p[i + 1] != '\t';
}

/* align_rua_ok - at least one entry of the list is a URI */
static int align_rua_ok(const struct align_tag *t)
{
	const char *p = t->val, *end = t->val + t->vlen;

	while (p < end) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		const char *e = c != NULL ? c : end;

		if (align_uri_ok(p, (size_t)(e - p)))
			return 1;
		p = e + 1;
	}
	return 0;
}

/* align_char_value - one of the letters in set, lower-cased; 0 when not */
static char align_char_value(const struct align_tag *t, const char *set)
{
	char c = t->vlen == 1 ? (char)(t->val[0] | 0x20) : 0;

	return c != 0 && strchr(set, c) != NULL ? c : 0;
}

/* what the RFC 9989 tags said, beyond the values themselves */
struct align_bis_state {
	unsigned seen;
	int p_seen, p_bad, sub_bad, rua_ok;
};

/* align_dmarc_tag_9989 - apply one tag (unknown ones ignored); -1 on a repeat */
static int align_dmarc_tag_9989(const struct align_tag *t, struct align_dmarc *out,
				struct align_bis_state *st)
{
	static const char *const known[] = { "p", "sp", "np", "adkim", "aspf", "psd", "t",
					     "rua" };
	size_t k;
	char c;

	for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
		if (align_name_is(t, known[k]))
			break;
	if (k == sizeof(known) / sizeof(known[0]))
		return 0;			/* fo, ruf, pct, rf, ri, unknown */
	if (st->seen & (1u << k))
		return -1;
	st->seen |= 1u << k;
	if (k == 0) {
		st->p_seen = 1;
		st->p_bad = align_policy_value(t, &out->p) < 0;
	} else if (k <= 2) {
		st->sub_bad |= align_policy_value(t, k == 1 ? &out->sp : &out->np) < 0;
	} else if (k <= 4) {
		(void)align_mode_value(t, k == 3 ? &out->adkim : &out->aspf);
	} else if (k == 5) {
		out->psd = (c = align_char_value(t, "ynu")) != 0 ? c : 'u';
	} else if (k == 6) {
		out->testing = align_char_value(t, "yn") == 'y';
	} else {
		st->rua_ok = align_rua_ok(t);
	}
	return 0;
}

/* align_piece_clean - no control character in the piece */
static int align_piece_clean(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)p[i] < 0x20 && p[i] != '\t')
			return 0;
	return 1;
}

/* align_dmarc_parse_9989 - one record by RFC 9989 */
int align_dmarc_parse_9989(const char *rec, size_t len, struct align_dmarc *out,
			   const char **error_r)
{
	struct align_bis_state st = { 0 };
	long head = align_dmarc_v1_end(rec, len);

	memset(out, 0, sizeof(*out));
	out->pct = 100;
	out->psd = 'u';
	if (head < 0) {
		*error_r = "not a DMARC record (v=DMARC1 first)";
		return -1;
	}
	for (size_t i = (size_t)head; i < len;) {
		size_t st_i = ++i, e = i;
		struct align_tag t;

		while (e < len && rec[e] != ';')
			e++;
		i = e;
		if (!align_piece_clean(rec + st_i, e - st_i) ||
		    align_tag_split(rec + st_i, e - st_i, &t) < 0)
			continue;		/* syntax error: the piece is ignored */
		if (align_dmarc_tag_9989(&t, out, &st) < 0) {
			*error_r = "repeated tag in DMARC record";
			return -1;
		}
	}
	if (!st.p_seen)
		out->p = ALIGN_P_NONE;
	if ((st.p_seen && st.p_bad) || st.sub_bad) {
		out->p = ALIGN_P_NONE;
		out->sp = out->np = ALIGN_P_ABSENT;
		out->found = st.rua_ok;
		return 0;
	}
	out->found = 1;
	return 0;
}
