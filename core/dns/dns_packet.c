/*
 * dns_packet - typed records from a whole DNS message; see dns_int.h.
 *
 * Why: libunbound refuses some answers its own parser finds malformed
 * although they are legal enough for us, e.g. a TXT record of no strings
 * (RFC 7208 suite, "null-text"): it reports SERVFAIL, yet hands over the
 * upstream's NOERROR message in ub_result.answer_packet. core/dns/dns.c then
 * reads that message here. Every octet is untrusted.
 *
 * Grammar (RFC 1035 4.1), as far as we read it:
 *   message  header(12) question answer[ANCOUNT] (authority and additional
 *            sections are not read)
 *   header   ID(2) FLAGS(2) QDCOUNT(2) ANCOUNT(2) NSCOUNT(2) ARCOUNT(2);
 *            QR must be 1, OPCODE 0; RCODE 0 gives records, 3 NXDOMAIN,
 *            anything else SERVFAIL
 *   question exactly one: name TYPE(2) CLASS(2); name must be the name
 *            asked (ASCII case-insensitive), TYPE the type, CLASS IN
 *   rr       name TYPE(2) CLASS(2) TTL(4) RDLENGTH(2) RDATA[RDLENGTH]
 *   name     labels of 1..63 octets ending in a 0 octet or a compression
 *            pointer (0b11 + 14-bit offset); a pointer must point before
 *            the label sequence it ends (so no loops); 0b01/0b10 label
 *            types are malformed; 255 octets at most, uncompressed.
 * Limits: 1024 answer records, a CNAME chain of 8.
 * The records kept are those of the asked type and class IN owned by the
 * end of the CNAME chain that starts at the asked name. Their rdata is made
 * uncompressed (MX, PTR names) and handed to dns_answer_parse, so the
 * rules of dns_answer.c apply to it. Anything malformed: DNS_SERVFAIL.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "core/dns/dns.h"
#include "core/dns/dns_int.h"
#include "core/util/mem.h"

#define PKT_HEADER 12
#define PKT_NAME_MAX 255
#define PKT_MAX_RR 1024
#define PKT_MAX_CNAME 8
#define PKT_T_CNAME 5
#define PKT_CLASS_IN 1

struct pkt {
	const unsigned char *p;
	size_t len;
};

struct pkt_rr {
	unsigned char owner[PKT_NAME_MAX];	/* uncompressed wire form, lower case */
	size_t owner_len;
	unsigned type, class;
	size_t rdoff, rdlen;
};

/* pkt_u16 - the big-endian 16-bit value at off (caller checked the bounds) */
static unsigned pkt_u16(const struct pkt *m, size_t off)
{
	return (unsigned)m->p[off] << 8 | m->p[off + 1];
}

/* pkt_lower - ASCII lower case of one octet */
static unsigned char pkt_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 'a' - 'A') : c;
}

/*
 * pkt_name - the name at *off into out (wire form, lower case, at most
 * PKT_NAME_MAX octets); *off moves past its in-place encoding; -1 if bad.
 */
static int pkt_name(const struct pkt *m, size_t *off, unsigned char *out, size_t *out_len)
{
	size_t i = *off, n = 0, limit = i, end = 0;
	int jumped = 0;

	for (;;) {
		unsigned l;

		if (i >= m->len)
			return -1;
		l = m->p[i];
		if ((l & 0xc0) == 0xc0) {
			if (i + 1 >= m->len)
				return -1;
			if (!jumped)
				end = i + 2;
			jumped = 1;
			i = (size_t)(l & 0x3f) << 8 | m->p[i + 1];
			if (i >= limit)
				return -1;	/* pointers only go backwards */
			limit = i;
			continue;
		}
		if (l & 0xc0)
			return -1;	/* extended label types */
		if (n + l + 1 > PKT_NAME_MAX || l >= m->len - i)
			return -1;
		out[n++] = (unsigned char)l;
		for (unsigned k = 1; k <= l; k++)
			out[n++] = pkt_lower(m->p[i + k]);
		if (l == 0)
			break;
		i += l + 1;
	}
	*off = jumped ? end : i + 1;
	*out_len = n;
	return 0;
}

/* pkt_qname_wire - the asked name (dns.h rules) in wire form, lower case; -1 if invalid */
static int pkt_qname_wire(const char *name, unsigned char *out, size_t *out_len)
{
	size_t len = strlen(name), i = 0, n = 0;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0)
		return -1;
	while (i <= len) {
		const char *dot = memchr(name + i, '.', len - i);
		size_t l = dot ? (size_t)(dot - (name + i)) : len - i;

		if (l == 0 || l > 63 || n + l + 2 > PKT_NAME_MAX)
			return -1;
		out[n++] = (unsigned char)l;
		for (size_t k = 0; k < l; k++)
			out[n++] = pkt_lower((unsigned char)name[i + k]);
		i += l + 1;
	}
	out[n++] = 0;
	*out_len = n;
	return 0;
}

/* pkt_question - the one question matches name and type; its end in *off */
static int pkt_question(const struct pkt *m, const char *name, enum dns_type type,
			size_t *off)
{
	unsigned char want[PKT_NAME_MAX], got[PKT_NAME_MAX];
	size_t want_len, got_len;

	*off = PKT_HEADER;
	if (pkt_u16(m, 4) != 1 || pkt_name(m, off, got, &got_len) < 0 ||
	    *off + 4 > m->len)
		return -1;
	if (pkt_u16(m, *off) != (unsigned)type || pkt_u16(m, *off + 2) != PKT_CLASS_IN)
		return -1;
	*off += 4;
	if (name == NULL)
		return 0;
	if (pkt_qname_wire(name, want, &want_len) < 0)
		return -1;
	return want_len == got_len && memcmp(want, got, got_len) == 0 ? 0 : -1;
}

/* pkt_rrs - the answer section into *rrs (n of them); -1 if malformed */
static int pkt_rrs(const struct pkt *m, size_t off, struct pkt_rr **rrs, size_t *n)
{
	size_t count = pkt_u16(m, 6);

	if (count > PKT_MAX_RR)
		return -1;
	*rrs = rw_calloc(count ? count : 1, sizeof(**rrs));
	for (*n = 0; *n < count; (*n)++) {
		struct pkt_rr *r = &(*rrs)[*n];

		if (pkt_name(m, &off, r->owner, &r->owner_len) < 0 || off + 10 > m->len)
			return -1;
		r->type = pkt_u16(m, off);
		r->class = pkt_u16(m, off + 2);
		r->rdlen = pkt_u16(m, off + 8);
		r->rdoff = off + 10;
		if (r->rdlen > m->len - r->rdoff)
			return -1;
		off = r->rdoff + r->rdlen;
	}
	return 0;
}

/* pkt_same - owner of r is the name (len octets) */
static int pkt_same(const struct pkt_rr *r, const unsigned char *name, size_t len)
{
	return r->owner_len == len && memcmp(r->owner, name, len) == 0;
}

/* pkt_rdata_name - one name filling the rdata exactly, uncompressed, appended to out */
static int pkt_rdata_name(const struct pkt *m, size_t off, size_t end, struct buf *out)
{
	unsigned char name[PKT_NAME_MAX];
	size_t len;

	if (pkt_name(m, &off, name, &len) < 0 || off != end)
		return -1;
	buf_append(out, name, len);
	return 0;
}

/* pkt_rdata - r's rdata, names uncompressed, into out; -1 if malformed */
static int pkt_rdata(const struct pkt *m, const struct pkt_rr *r, struct buf *out)
{
	size_t end = r->rdoff + r->rdlen;

	switch (r->type) {
	case DNS_T_MX:
		if (r->rdlen < 3)
			return -1;
		buf_append(out, m->p + r->rdoff, 2);
		return pkt_rdata_name(m, r->rdoff + 2, end, out);
	case DNS_T_PTR:
		return pkt_rdata_name(m, r->rdoff, end, out);
	default:
		buf_append(out, m->p + r->rdoff, r->rdlen);
		return 0;
	}
}

/* pkt_chain - follow CNAMEs from name (wire form, updated in place); -1 if bad */
static int pkt_chain(const struct pkt *m, const struct pkt_rr *rrs, size_t n,
		     unsigned char *name, size_t *len)
{
	for (int hops = 0;; hops++) {
		size_t k, off;

		for (k = 0; k < n; k++)
			if (rrs[k].type == PKT_T_CNAME && rrs[k].class == PKT_CLASS_IN &&
			    pkt_same(&rrs[k], name, *len))
				break;
		if (k == n)
			return 0;
		if (hops == PKT_MAX_CNAME)
			return -1;
		off = rrs[k].rdoff;
		if (pkt_name(m, &off, name, len) < 0 || off != rrs[k].rdoff + rrs[k].rdlen)
			return -1;
	}
}

/* pkt_collect - the records of type owned by name, as uncompressed rdata */
static struct dns_answer *pkt_collect(const struct pkt *m, const struct pkt_rr *rrs, size_t n,
				      enum dns_type type, const unsigned char *name,
				      size_t len)
{
	struct buf *rd = rw_calloc(n ? n : 1, sizeof(*rd));
	char **data = rw_calloc(n ? n : 1, sizeof(*data));
	int *lens = rw_calloc(n ? n : 1, sizeof(*lens));
	struct dns_answer *a = NULL;
	size_t k, got = 0;

	for (k = 0; k < n && a == NULL; k++) {
		if (rrs[k].type != (unsigned)type || rrs[k].class != PKT_CLASS_IN ||
		    !pkt_same(&rrs[k], name, len))
			continue;
		if (pkt_rdata(m, &rrs[k], &rd[got]) < 0)
			a = dns_answer_new(type, DNS_SERVFAIL);
		buf_putc(&rd[got], '\0');	/* data is never NULL, even when empty */
		data[got] = rd[got].data;
		lens[got] = (int)rd[got].len - 1;
		got++;
	}
	if (a == NULL)
		a = dns_answer_parse(type, data, lens, got);
	for (k = 0; k < got; k++)
		buf_release(&rd[k]);
	free(rd);
	free(data);
	free(lens);
	return a;
}

/* dns_packet_answer - typed records of type for name from a whole message */
struct dns_answer *dns_packet_answer(enum dns_type type, const char *name,
				     const unsigned char *p, size_t len)
{
	struct pkt m = { p, len };
	unsigned char cur[PKT_NAME_MAX];
	size_t off, n = 0, cur_len;
	struct pkt_rr *rrs = NULL;
	struct dns_answer *a;
	unsigned flags;

	if (p == NULL || len < PKT_HEADER)
		return dns_answer_new(type, DNS_SERVFAIL);
	flags = pkt_u16(&m, 2);
	if (!(flags & 0x8000) || (flags & 0x7800) != 0 || pkt_question(&m, name, type, &off) < 0)
		return dns_answer_new(type, DNS_SERVFAIL);
	if ((flags & 0xf) != 0)
		return dns_answer_new(type, (flags & 0xf) == 3 ? DNS_NXDOMAIN : DNS_SERVFAIL);
	off = PKT_HEADER;
	if (pkt_name(&m, &off, cur, &cur_len) < 0 || pkt_rrs(&m, off + 4, &rrs, &n) < 0 ||
	    pkt_chain(&m, rrs, n, cur, &cur_len) < 0)
		a = dns_answer_new(type, DNS_SERVFAIL);
	else
		a = pkt_collect(&m, rrs, n, type, cur, cur_len);
	free(rrs);
	return a;
}
