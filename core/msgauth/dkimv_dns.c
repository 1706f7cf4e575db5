#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <opendkim/dkim.h>

#include "core/util/buf.h"
#include "core/msgauth/dkimv_int.h"
#include "core/dns/dns.h"
#include "core/util/mem.h"
#include "core/util/now.h"

static _Thread_local uint64_t dkimv_dns_deadline_ms;	/* see dkimv_dns_deadline */

/* one query: started and answered at once (dns_query is synchronous) */
struct dkimv_dns_query {
	int status;		/* DKIM_DNS_SUCCESS or DKIM_DNS_ERROR */
	size_t len;		/* bytes of the reply written */
};

/* dkimv_dns_put16 - append a 16-bit big-endian value */
static void dkimv_dns_put16(struct buf *b, unsigned v)
{
	buf_putc(b, (int)((v >> 8) & 0xff));
	buf_putc(b, (int)(v & 0xff));
}

/* dkimv_dns_put_name - append name in wire form; -1 for an impossible name */
static int dkimv_dns_put_name(struct buf *b, const char *name)
{
	size_t start = b->len;

	while (*name != '\0') {
		size_t l = strcspn(name, ".");

		if (l == 0 || l > 63)
			return -1;
		buf_putc(b, (int)l);
		buf_append(b, name, l);
		name += l;
		if (*name == '.')
			name++;
	}
	buf_putc(b, 0);
	return b->len - start > 255 ? -1 : 0;
}

/* dkimv_dns_put_txt - append one TXT resource record (name compressed) */
static int dkimv_dns_put_txt(struct buf *b, int type, const struct dns_txt *t)
{
	size_t rdlen = 0;

	for (size_t i = 0; i < t->n; i++)
		rdlen += 1 + t->s[i].len;
	if (rdlen > 65535)
		return -1;
	dkimv_dns_put16(b, 0xc00c);	/* the question's name */
	dkimv_dns_put16(b, (unsigned)type);
	dkimv_dns_put16(b, 1);		/* IN */
	dkimv_dns_put16(b, 0);		/* TTL: cached by the resolver, not here */
	dkimv_dns_put16(b, 0);
	dkimv_dns_put16(b, (unsigned)rdlen);
	for (size_t i = 0; i < t->n; i++) {
		buf_putc(b, (int)t->s[i].len);
		buf_append(b, t->s[i].data, t->s[i].len);
	}
	return 0;
}

/* dkimv_dns_packet - the DNS response libopendkim parses */
size_t dkimv_dns_packet(const char *name, int type, const struct dns_answer *ans,
			unsigned char *out, size_t cap)
{
	struct buf q = BUF_INIT, b = BUF_INIT;
	int nx = ans->status == DNS_NXDOMAIN;
	size_t n = 0, len = 0;

	if (dkimv_dns_put_name(&q, name) < 0) {	/* cannot exist: NXDOMAIN */
		buf_truncate(&q, 0);
		buf_putc(&q, 0);
		nx = 1;
	}
	if (!nx && ans->status == DNS_OK && ans->type == DNS_T_TXT)
		n = ans->n;
	dkimv_dns_put16(&b, 0);				/* id */
	dkimv_dns_put16(&b, nx ? 0x8183 : 0x8180);	/* QR RD RA, rcode */
	dkimv_dns_put16(&b, 1);
	dkimv_dns_put16(&b, (unsigned)n);
	dkimv_dns_put16(&b, 0);
	dkimv_dns_put16(&b, 0);
	buf_append(&b, q.data, q.len);
	dkimv_dns_put16(&b, (unsigned)type);
	dkimv_dns_put16(&b, 1);
	for (size_t i = 0; i < n; i++)
		if (dkimv_dns_put_txt(&b, type, &ans->txt[i]) < 0)
			goto out;
	if (b.len <= cap) {
		memcpy(out, b.data, b.len);
		len = b.len;
	}
out:
	buf_release(&q);
	buf_release(&b);
	return len;
}

/* dkimv_dns_start - libopendkim's query start: ask the resolver now */
static int dkimv_dns_start(void *srv, int type, unsigned char *query,
			   unsigned char *reply, size_t replylen, void **qh)
{
	struct dkimv_dns_query *q = rw_calloc(1, sizeof(*q));
	uint64_t now = now_mono_ms(), end = dkimv_dns_deadline_ms;
	struct dns_answer *ans;

	*qh = q;
	q->status = DKIM_DNS_ERROR;
	if (srv == NULL || type != DNS_T_TXT || (end != 0 && now >= end))
		return DKIM_DNS_SUCCESS;	/* the wait reports the error */
	ans = dns_query_timeout(srv, (const char *)query, DNS_T_TXT,
				end != 0 ? (unsigned)(end - now) : 0);
	if (ans->status == DNS_OK || ans->status == DNS_NODATA ||
	    ans->status == DNS_NXDOMAIN) {
		q->len = dkimv_dns_packet((const char *)query, type, ans, reply,
					  replylen);
		if (q->len > 0)
			q->status = DKIM_DNS_SUCCESS;
	}
	dns_answer_free(&ans);
	return DKIM_DNS_SUCCESS;
}

/* dkimv_dns_wait - libopendkim's wait: the answer is already there */
static int dkimv_dns_wait(void *srv, void *qh, struct timeval *to, size_t *bytes,
			  int *error, int *dnssec)
{
	struct dkimv_dns_query *q = qh;

	(void)srv;
	(void)to;
	if (bytes != NULL)
		*bytes = q->len;
	if (error != NULL)
		*error = 0;
	if (dnssec != NULL)
		*dnssec = DKIM_DNSSEC_UNKNOWN;
	return q->status;
}

/* dkimv_dns_cancel - libopendkim's cancel: free the query */
static int dkimv_dns_cancel(void *srv, void *qh)
{
	(void)srv;
	free(qh);
	return DKIM_DNS_SUCCESS;
}

/* dkimv_dns_close - the resolver is ours: libopendkim must not close it */
static void dkimv_dns_close(void *srv)
{
	(void)srv;
}

/* dkimv_dns_deadline - see dkimv_int.h */
void dkimv_dns_deadline(uint64_t deadline)
{
	dkimv_dns_deadline_ms = deadline;
}

/* dkimv_dns_install - route lib's DNS queries to r */
void dkimv_dns_install(DKIM_LIB *lib, struct dns_resolver *r)
{
	dkim_dns_set_init(lib, NULL);
	dkim_dns_set_close(lib, dkimv_dns_close);
	dkim_dns_set_query_start(lib, dkimv_dns_start);
	dkim_dns_set_query_waitreply(lib, dkimv_dns_wait);
	dkim_dns_set_query_cancel(lib, dkimv_dns_cancel);
	(void)dkim_dns_set_query_service(lib, r);
}
