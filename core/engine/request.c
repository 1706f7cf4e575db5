/* request - a parsed Postfix policy request as a struct rw_txn; see request.h */
#include "autoconfig.h"

#include <assert.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include "core/util/buf.h"
#include "core/engine/proto.h"
#include "core/engine/request.h"
#include "core/engine/txn.h"
#include "core/util/xtext.h"

/*
 * The attributes a txn takes, by name: strings are borrowed into a const
 * char * of the txn, numbers parsed below. One pass over the request; the
 * parser has refused duplicates already.
 */
enum request_kind { RQ_STR, RQ_STAGE, RQ_PORT, RQ_RCPT_COUNT, RQ_SIZE };

static const struct request_field {
	const char *name;
	size_t len;
	enum request_kind kind;
	size_t offset;		/* RQ_STR: of the const char * in struct rw_txn */
} request_fields[] = {
#define RQ_S(n, field) { n, sizeof(n) - 1, RQ_STR, offsetof(struct rw_txn, field) }
#define RQ_N(n, kind) { n, sizeof(n) - 1, kind, 0 }
	RQ_S("instance", instance),
	RQ_S("queue_id", queue_id),
	RQ_S("client_address", client_address),
	RQ_S("client_name", client_name),
	RQ_S("reverse_client_name", reverse_client_name),
	RQ_S("helo_name", helo_name),
	RQ_S("policy_context", listener),
	RQ_S("encryption_protocol", tls_protocol),
	RQ_S("encryption_cipher", tls_cipher),
	RQ_S("ccert_fingerprint", cert_fingerprint),
	RQ_S("ccert_pubkey_fingerprint", cert_pubkey_fingerprint),
	RQ_S("ccert_subject", cert_subject),
	RQ_S("ccert_issuer", cert_issuer),
	RQ_S("sasl_method", sasl_method),
	RQ_S("sasl_username", sasl_username),
	RQ_S("sasl_sender", sasl_sender),
	RQ_S("sender", sender),
	RQ_S("recipient", recipient),
	RQ_N("protocol_state", RQ_STAGE),
	RQ_N("server_port", RQ_PORT),
	RQ_N("recipient_count", RQ_RCPT_COUNT),
	RQ_N("size", RQ_SIZE),
#undef RQ_S
#undef RQ_N
};

#define RQ_N_FIELDS (sizeof(request_fields) / sizeof(request_fields[0]))
#define RQ_MAX_LEN 31	/* longer than every field's name */

/*
 * the fields by name length: by_len[first[n] .. first[n + 1]) have length
 * n, hash[k] is by_len[k]'s name hash (proto_name_hash, as the parser's)
 */
static struct {
	pthread_once_t once;
	unsigned char first[RQ_MAX_LEN + 2];
	unsigned char by_len[RQ_N_FIELDS];
	uint32_t hash[RQ_N_FIELDS];
} request_index = { PTHREAD_ONCE_INIT, { 0 }, { 0 }, { 0 } };

/* request_index_build - the index by length (once per process) */
static void request_index_build(void)
{
	size_t k = 0;

	for (size_t i = 0; i < RQ_N_FIELDS; i++)
		assert(request_fields[i].len <= RQ_MAX_LEN);
	for (size_t n = 0; n <= RQ_MAX_LEN; n++) {
		request_index.first[n] = (unsigned char)k;
		for (size_t i = 0; i < RQ_N_FIELDS; i++)
			if (request_fields[i].len == n) {
				request_index.hash[k] = proto_name_hash(request_fields[i].name, n);
				request_index.by_len[k++] = (unsigned char)i;
			}
	}
	request_index.first[RQ_MAX_LEN + 1] = (unsigned char)k;
}

/* request_field - the field named a->name, or NULL for one we ignore */
static const struct request_field *request_field(const struct proto_attr *a)
{
	if (a->name_len > RQ_MAX_LEN)
		return NULL;
	for (size_t k = request_index.first[a->name_len]; k < request_index.first[a->name_len + 1];
	     k++) {
		const struct request_field *f = &request_fields[request_index.by_len[k]];

		if (request_index.hash[k] == a->name_hash && memcmp(f->name, a->name, a->name_len) == 0)
			return f;
	}
	return NULL;
}

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
 * that does not decode cleanly (core/util/xtext.h) is kept as given.
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
	const char *state = NULL;

	pthread_once(&request_index.once, request_index_build);
	memset(t, 0, sizeof(*t));
	for (size_t i = 0, n = proto_count(p); i < n; i++) {
		const struct proto_attr *a = proto_attr(p, i);
		const struct request_field *f = request_field(a);

		if (f == NULL)
			continue;	/* unknown attributes are ignored */
		switch (f->kind) {
		case RQ_STR:
			*(const char **)((char *)t + f->offset) = a->value;
			break;
		case RQ_STAGE:
			state = a->value;
			break;
		case RQ_PORT:
			t->server_port = (unsigned)request_number(a->value, 65535);
			break;
		case RQ_RCPT_COUNT:
			t->recipient_count = request_number(a->value, ULONG_MAX);
			break;
		case RQ_SIZE:
			t->size = request_number(a->value, ULONG_MAX);
			break;
		}
	}
	t->stage = txn_stage_parse(state);
	t->cert_verified = txn_has(t->cert_subject);
	t->cert_subject = request_xtext(t->cert_subject, store);
	t->cert_issuer = request_xtext(t->cert_issuer, store);
}
