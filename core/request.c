/* request - a parsed Postfix policy request as a struct rw_txn; see request.h */
#include "autoconfig.h"

#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "core/buf.h"
#include "core/proto.h"
#include "core/request.h"
#include "core/txn.h"

/* The string attributes, each borrowed into one const char * of the txn. */
static const struct {
	const char *name;
	size_t offset;
} request_strings[] = {
	{ "instance", offsetof(struct rw_txn, instance) },
	{ "queue_id", offsetof(struct rw_txn, queue_id) },
	{ "client_address", offsetof(struct rw_txn, client_address) },
	{ "client_name", offsetof(struct rw_txn, client_name) },
	{ "reverse_client_name", offsetof(struct rw_txn, reverse_client_name) },
	{ "helo_name", offsetof(struct rw_txn, helo_name) },
	{ "policy_context", offsetof(struct rw_txn, listener) },
	{ "encryption_protocol", offsetof(struct rw_txn, tls_protocol) },
	{ "encryption_cipher", offsetof(struct rw_txn, tls_cipher) },
	{ "ccert_fingerprint", offsetof(struct rw_txn, cert_fingerprint) },
	{ "ccert_pubkey_fingerprint", offsetof(struct rw_txn, cert_pubkey_fingerprint) },
	{ "ccert_subject", offsetof(struct rw_txn, cert_subject) },
	{ "ccert_issuer", offsetof(struct rw_txn, cert_issuer) },
	{ "sasl_method", offsetof(struct rw_txn, sasl_method) },
	{ "sasl_username", offsetof(struct rw_txn, sasl_username) },
	{ "sasl_sender", offsetof(struct rw_txn, sasl_sender) },
	{ "sender", offsetof(struct rw_txn, sender) },
	{ "recipient", offsetof(struct rw_txn, recipient) },
};

/* request_number - strict decimal: digits only, at most max, else 0 */
static unsigned long request_number(const char *s, unsigned long max)
{
	unsigned long v = 0;

	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		unsigned d;

		if (*s < '0' || *s > '9')
			return 0;
		d = (unsigned)(*s - '0');
		if (v > (max - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	return v;
}

/* request_hex - value of one hex digit, or -1 */
static int request_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * request_xtext - decode RFC 3461 xtext ("+XX" = one byte), which Postfix
 * uses for ccert_subject and ccert_issuer. A string without '+' is returned
 * as is; a decoded copy is kept in store. A malformed escape, or one that
 * decodes to NUL, leaves the value as given.
 */
static const char *request_xtext(const char *s, struct strvec *store)
{
	struct buf b = BUF_INIT;
	const char *q;

	if (s == NULL || strchr(s, '+') == NULL)
		return s;
	for (q = s; *q != '\0'; q++) {
		int hi, lo;

		if (*q != '+') {
			buf_putc(&b, *q);
			continue;
		}
		if ((hi = request_hex(q[1])) < 0 || (lo = request_hex(q[2])) < 0 ||
		    hi * 16 + lo == 0) {
			buf_release(&b);
			return s;
		}
		buf_putc(&b, hi * 16 + lo);
		q += 2;
	}
	strvec_add(store, buf_cstr(&b));
	buf_release(&b);
	return store->v[store->n - 1];
}

/* request_to_txn - fill *t (zeroed first) from the complete request in p */
void request_to_txn(const struct proto_parser *p, struct rw_txn *t, struct strvec *store)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < sizeof(request_strings) / sizeof(request_strings[0]); i++) {
		const char **field = (const char **)((char *)t + request_strings[i].offset);

		*field = proto_get(p, request_strings[i].name);
	}
	t->stage = txn_stage_parse(proto_get(p, "protocol_state"));
	t->server_port = (unsigned)request_number(proto_get(p, "server_port"), 65535);
	t->recipient_count = request_number(proto_get(p, "recipient_count"), ULONG_MAX);
	t->size = request_number(proto_get(p, "size"), ULONG_MAX);
	t->cert_verified = txn_has(t->cert_subject);
	t->cert_subject = request_xtext(t->cert_subject, store);
	t->cert_issuer = request_xtext(t->cert_issuer, store);
}
