/* request - a parsed Postfix policy request as a struct rw_txn; see request.h */
#include "autoconfig.h"

#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "core/buf.h"
#include "core/proto.h"
#include "core/request.h"
#include "core/txn.h"
#include "core/xtext.h"

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

/*
 * request_xtext - Postfix xtext-encodes ccert_subject and ccert_issuer: the
 * decoded copy, kept in store; a value without '+' is returned as is, one
 * that does not decode cleanly (core/xtext.h) is kept as given.
 */
static const char *request_xtext(const char *s, struct strvec *store)
{
	struct buf b = BUF_INIT;

	if (s == NULL || strchr(s, '+') == NULL)
		return s;
	if (xtext_decode(s, &b) == 0) {
		strvec_add(store, buf_cstr(&b));
		s = store->v[store->n - 1];
	}
	buf_release(&b);
	return s;
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
