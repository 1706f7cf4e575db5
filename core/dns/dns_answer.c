/*
 * dns_answer - typed DNS answers from rdata; see dns.h and dns_int.h.
 *
 * Rdata grammar (RFC 1035 3.3), as libunbound hands it over: one item per
 * record, without the RDLENGTH prefix, names uncompressed.
 *   A      exactly 4 octets          AAAA  exactly 16 octets
 *   TXT    1*( len:1 octet, len octets ) filling the rdata exactly (SPF too);
 *          an empty rdata is accepted as a record of no strings
 *   MX     preference:2 octets, name, filling the rdata exactly
 *   PTR    name, filling the rdata exactly
 *   name   *( len:1 octet (1..63), len octets ) 0 octet; at most 255 octets
 *          in all. A compression pointer (0xC0) or extended label type, a
 *          label running past the rdata, or a label holding '.' or NUL (no
 *          way to write those in our plain text names) is malformed.
 * Any malformed record makes the whole answer DNS_SERVFAIL.
 *
 * Names are returned in lower case (ASCII only), labels joined with '.',
 * no trailing dot; the root name is "". Other octets are kept as they are.
 */
#include "autoconfig.h"

#include <string.h>

#include "core/dns/dns.h"
#include "core/dns/dns_int.h"
#include "core/util/mem.h"

#define DNS_NAME_MAX 255	/* octets on the wire, root label included */
#define DNS_LABEL_MAX 63

/* dns_answer_new - an answer with no records */
struct dns_answer *dns_answer_new(enum dns_type type, enum dns_status st)
{
	struct dns_answer *a = rw_calloc(1, sizeof(*a));

	a->type = type;
	a->status = st;
	return a;
}

/* dns_txt_parse - one TXT rdata into t; -1 when a string overruns it */
static int dns_txt_parse(const unsigned char *p, size_t len, struct dns_txt *t)
{
	size_t i, k, n = 0;
	unsigned char *bytes;

	for (i = 0; i < len; i += 1 + (size_t)p[i])
		n++;
	if (i != len)
		return -1;
	/* n length octets become n NULs: the copy needs exactly len bytes */
	t->s = rw_malloc(n * sizeof(*t->s) + len + 1);
	t->n = n;
	bytes = (unsigned char *)(t->s + n);
	for (i = 0, k = 0; k < n; k++) {
		size_t l = p[i];

		memcpy(bytes, p + i + 1, l);
		bytes[l] = '\0';
		t->s[k].data = bytes;
		t->s[k].len = l;
		bytes += l + 1;
		i += 1 + l;
	}
	return 0;
}

/* dns_label_put - append one label, lower-cased; -1 for '.' or NUL in it */
static int dns_label_put(struct buf *b, const unsigned char *p, size_t l)
{
	size_t k;

	if (b->len)
		buf_putc(b, '.');
	for (k = 0; k < l; k++) {
		int c = p[k];

		if (c == '.' || c == '\0')
			return -1;
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		buf_putc(b, c);
	}
	return 0;
}

/* dns_name_decode - the wire name at p[*off], up to len; advances *off */
static int dns_name_decode(const unsigned char *p, size_t len, size_t *off,
			   char **name_r)
{
	struct buf b = BUF_INIT;
	size_t i = *off, wire = 1;

	for (;;) {
		size_t l;

		if (i >= len)
			goto bad;
		l = p[i];
		if (l == 0)
			break;
		wire += l + 1;
		if (l > DNS_LABEL_MAX || l >= len - i || wire > DNS_NAME_MAX)
			goto bad;
		if (dns_label_put(&b, p + i + 1, l) < 0)
			goto bad;
		i += l + 1;
	}
	*off = i + 1;
	*name_r = buf_detach(&b);
	return 0;
bad:
	buf_release(&b);
	return -1;
}

/* dns_name_only - rdata that is exactly one name */
static int dns_name_only(const unsigned char *p, size_t len, char **name_r)
{
	size_t off = 0;

	if (dns_name_decode(p, len, &off, name_r) < 0)
		return -1;
	return off == len ? 0 : -1;
}

/* dns_rr_parse - record k of a from one rdata; -1 when malformed */
static int dns_rr_parse(struct dns_answer *a, size_t k, const unsigned char *p,
			size_t len)
{
	switch (a->type) {
	case DNS_T_A:
	case DNS_T_AAAA:
		if (len != (a->type == DNS_T_A ? 4u : 16u))
			return -1;
		a->ip[k].family = a->type == DNS_T_A ? 4 : 6;
		memcpy(a->ip[k].b, p, len);
		return 0;
	case DNS_T_TXT:
	case DNS_T_SPF:
		return dns_txt_parse(p, len, &a->txt[k]);
	case DNS_T_MX:
		if (len < 3)
			return -1;
		a->mx[k].pref = (unsigned)p[0] << 8 | p[1];
		return dns_name_only(p + 2, len - 2, &a->mx[k].name);
	case DNS_T_PTR:
		return dns_name_only(p, len, &a->name[k]);
	}
	return -1;
}

/* dns_answer_alloc - the record array for a->type, a->n entries */
static int dns_answer_alloc(struct dns_answer *a)
{
	switch (a->type) {
	case DNS_T_A:
	case DNS_T_AAAA:
		a->ip = rw_calloc(a->n, sizeof(*a->ip));
		return 0;
	case DNS_T_TXT:
	case DNS_T_SPF:
		a->txt = rw_calloc(a->n, sizeof(*a->txt));
		return 0;
	case DNS_T_MX:
		a->mx = rw_calloc(a->n, sizeof(*a->mx));
		return 0;
	case DNS_T_PTR:
		a->name = rw_calloc(a->n, sizeof(*a->name));
		return 0;
	}
	return -1;
}

/* dns_answer_parse - typed records from n rdata items */
struct dns_answer *dns_answer_parse(enum dns_type type, char *const *data,
				    const int *len, size_t n)
{
	struct dns_answer *a;
	size_t k;

	if (n == 0)
		return dns_answer_new(type, DNS_NODATA);
	a = dns_answer_new(type, DNS_OK);
	a->n = n;
	if (dns_answer_alloc(a) < 0)
		goto bad;
	for (k = 0; k < n; k++) {
		if (data[k] == NULL || len[k] < 0 ||
		    dns_rr_parse(a, k, (const unsigned char *)data[k],
				 (size_t)len[k]) < 0)
			goto bad;
	}
	return a;
bad:
	dns_answer_free(&a);
	return dns_answer_new(type, DNS_SERVFAIL);
}

/* dns_query_label - one label of a query name, \DDD-escaped; -1 if invalid */
static int dns_query_label(const char *p, size_t l, struct buf *out)
{
	size_t k;

	if (l == 0 || l > DNS_LABEL_MAX)
		return -1;
	for (k = 0; k < l; k++) {
		unsigned char c = (unsigned char)p[k];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_')
			buf_putc(out, c);
		else
			buf_printf(out, "\\%03u", c);
	}
	buf_putc(out, '.');
	return 0;
}

/* dns_name_to_query - name in libunbound's text form; -1 if it cannot exist */
int dns_name_to_query(const char *name, struct buf *out)
{
	size_t len = strlen(name), wire = 1, i = 0;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0)
		return -1;
	buf_truncate(out, 0);
	while (i <= len) {
		const char *dot = memchr(name + i, '.', len - i);
		size_t l = dot ? (size_t)(dot - (name + i)) : len - i;

		wire += l + 1;
		if (wire > DNS_NAME_MAX || dns_query_label(name + i, l, out) < 0)
			return -1;
		i += l + 1;
	}
	return 0;
}

/* dns_txt_release - the strings of n TXT records */
static void dns_txt_release(struct dns_txt *t, size_t n)
{
	size_t k;

	for (k = 0; t != NULL && k < n; k++)
		rw_free_ptr(&t[k].s);
	rw_free_ptr(&t);
}

/* dns_answer_free - free an answer (records may be partly filled) */
void dns_answer_free(struct dns_answer **ap)
{
	struct dns_answer *a = *ap;
	size_t k;

	if (a == NULL)
		return;
	dns_txt_release(a->txt, a->n);
	for (k = 0; a->mx != NULL && k < a->n; k++)
		rw_free_ptr(&a->mx[k].name);
	for (k = 0; a->name != NULL && k < a->n; k++)
		rw_free_ptr(&a->name[k]);
	rw_free_ptr(&a->mx);
	rw_free_ptr(&a->name);
	rw_free_ptr(&a->ip);
	rw_free_ptr(&a->storage);
	rw_free_ptr(ap);
}

/* dns_status_name - "ok", "nodata", "nxdomain", "servfail", "timeout" */
const char *dns_status_name(enum dns_status st)
{
	switch (st) {
	case DNS_OK:
		return "ok";
	case DNS_NODATA:
		return "nodata";
	case DNS_NXDOMAIN:
		return "nxdomain";
	case DNS_SERVFAIL:
		return "servfail";
	case DNS_TIMEOUT:
		return "timeout";
	}
	return "unknown";
}
