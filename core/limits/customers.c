/*
 * customers - identities to customer ids; see customers.h.
 *
 * Storage: one open-addressing hash map (FNV-1a, linear probing, at most
 * half full) from a key "K\0VALUE" to an interned customer id. K is 'U'
 * (user, lower-cased), 'F' (fingerprint, canonical fprint_format text), 'D'
 * (domain, lower-cased, no trailing dot), 'N' (network pattern as added,
 * the text cidr_table_match reports) or 'I' (the id itself: its value is
 * the owned, interned id string every other entry points to). Networks
 * also go into one cidr_table, first match in insertion order. A lookup
 * costs at most four probes and one table walk.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine/addr.h"
#include "core/util/buf.h"
#include "core/engine/cidr.h"
#include "core/limits/customers.h"
#include "core/engine/fprint.h"
#include "core/util/mem.h"

#define CUSTOMERS_ID_MAX 64

struct cu_slot {
	char *key;		/* NULL: free */
	size_t keylen;
	char *id;		/* interned; owned by the 'I' slot */
};

struct customers {
	struct cu_slot *slots;
	size_t cap;		/* a power of two, or 0 */
	size_t n;		/* used slots */
	size_t n_ids;		/* 'I' slots */
	struct cidr_table *networks;
};

/* customers_hash - FNV-1a of n bytes */
static uint64_t customers_hash(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

/* customers_find - the slot holding key, or the free slot where it belongs */
static size_t customers_find(const struct cu_slot *slots, size_t cap, const char *key,
			     size_t n)
{
	size_t i = (size_t)customers_hash(key, n) & (cap - 1);

	while (slots[i].key != NULL &&
	       (slots[i].keylen != n || memcmp(slots[i].key, key, n) != 0))
		i = (i + 1) & (cap - 1);
	return i;
}

/* customers_grow - double the table when it would be more than half full */
static void customers_grow(struct customers *c)
{
	size_t cap = c->cap ? 2 * c->cap : 64;
	struct cu_slot *slots;

	if (2 * (c->n + 1) <= c->cap)
		return;
	slots = rw_calloc(cap, sizeof(*slots));
	for (size_t i = 0; i < c->cap; i++)
		if (c->slots[i].key != NULL)
			slots[customers_find(slots, cap, c->slots[i].key, c->slots[i].keylen)] =
				c->slots[i];
	free(c->slots);
	c->slots = slots;
	c->cap = cap;
}

/* customers_get - the id stored under kind/value, or NULL */
static const char *customers_get(const struct customers *c, char kind, const char *value)
{
	struct buf k = BUF_INIT;
	const char *id = NULL;
	size_t i;

	if (c->cap == 0)
		return NULL;
	buf_putc(&k, kind);
	buf_putc(&k, '\0');
	buf_puts(&k, value);
	i = customers_find(c->slots, c->cap, k.data, k.len);
	if (c->slots[i].key != NULL)
		id = c->slots[i].id;
	buf_release(&k);
	return id;
}

/* customers_put - store kind/value -> id (id NULL: the key's own value) */
static struct cu_slot *customers_put(struct customers *c, char kind, const char *value,
				     char *id)
{
	struct buf k = BUF_INIT;
	struct cu_slot *s;

	customers_grow(c);
	buf_putc(&k, kind);
	buf_putc(&k, '\0');
	buf_puts(&k, value);
	s = &c->slots[customers_find(c->slots, c->cap, k.data, k.len)];
	s->keylen = k.len;
	s->key = buf_detach(&k);
	s->id = id != NULL ? id : rw_strdup(value);
	c->n++;
	return s;
}

/* customers_new - an empty map */
struct customers *customers_new(void)
{
	struct customers *c = rw_calloc(1, sizeof(*c));

	c->networks = cidr_table_new();
	return c;
}

/* customers_id_check - [A-Za-z0-9._-]{1,64}, first a letter or digit */
int customers_id_check(const char *id, const char **error_r)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "0123456789._-";
	size_t n = strlen(id);

	if (n == 0 || n > CUSTOMERS_ID_MAX || strspn(id, ok) != n || strchr("._-", id[0])) {
		*error_r = "a customer id is 1-64 characters of A-Z a-z 0-9 . _ - "
			   "starting with a letter or digit";
		return -1;
	}
	return 0;
}

/* customers_intern - the stored copy of id */
static char *customers_intern(struct customers *c, const char *id)
{
	const char *have = customers_get(c, 'I', id);

	if (have != NULL)
		return (char *)have;
	c->n_ids++;
	return customers_put(c, 'I', id, NULL)->id;
}

/* customers_lower - ASCII lower-case copy of s */
static char *customers_lower(const char *s)
{
	char *d = rw_strdup(s);

	for (char *p = d; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return d;
}

/* customers_domain_check - a plain DNS name: labels of [a-z0-9-], dots between */
static int customers_domain_check(const char *d)
{
	size_t n = strlen(d);

	if (n == 0 || n > 253 || d[0] == '.' || d[n - 1] == '.' || strstr(d, "..") != NULL)
		return -1;
	return strspn(d, "abcdefghijklmnopqrstuvwxyz0123456789.-") == n ? 0 : -1;
}

/* customers_user_check - non-empty, at most 256 bytes, no control characters */
static int customers_user_check(const char *u)
{
	size_t n = strlen(u);

	if (n == 0 || n > 256)
		return -1;
	for (const unsigned char *p = (const unsigned char *)u; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return -1;
	return 0;
}

/* customers_normalise - the stored form of value; NULL with *error_r */
static char *customers_normalise(struct customers *c, enum customer_kind kind,
				 const char *value, const char **error_r)
{
	char text[FPRINT_MAX * 3], *s;
	struct rw_fprint fp;

	switch (kind) {
	case CUSTOMER_USER:
		*error_r = "bad user name (empty, too long or a control character)";
		return customers_user_check(value) == 0 ? customers_lower(value) : NULL;
	case CUSTOMER_FINGERPRINT:
		if (fprint_parse(value, &fp, error_r) < 0)
			return NULL;
		fprint_format(&fp, text);
		return rw_strdup(text);
	case CUSTOMER_NETWORK:
		return cidr_table_add(c->networks, value, error_r) < 0 ? NULL : rw_strdup(value);
	case CUSTOMER_DOMAIN:
		s = customers_lower(value);
		addr_domain_normalise(s);
		if (customers_domain_check(s) == 0)
			return s;
		free(s);
		*error_r = "bad domain name";
		return NULL;
	}
	*error_r = "unknown kind of customer mapping";
	return NULL;
}

static const char customers_keys[] = { [CUSTOMER_USER] = 'U', [CUSTOMER_FINGERPRINT] = 'F',
				       [CUSTOMER_NETWORK] = 'N', [CUSTOMER_DOMAIN] = 'D' };

/* customers_add - map one value of kind to id */
int customers_add(struct customers *c, const char *id, enum customer_kind kind,
		  const char *value, const char **error_r, const char **owner_r)
{
	const char *have;
	char *norm;

	if (customers_id_check(id, error_r) < 0)
		return -1;
	if (kind == CUSTOMER_NETWORK && customers_get(c, 'N', value) != NULL)
		norm = rw_strdup(value);	/* already in the table: do not add twice */
	else if ((norm = customers_normalise(c, kind, value, error_r)) == NULL)
		return -1;
	have = customers_get(c, customers_keys[kind], norm);
	if (have != NULL && strcmp(have, id) != 0) {
		if (owner_r != NULL)
			*owner_r = have;
		*error_r = "already mapped to another customer";
		free(norm);
		return -1;
	}
	if (have == NULL)
		customers_put(c, customers_keys[kind], norm, customers_intern(c, id));
	free(norm);
	return 0;
}

/* customers_add_entry - "KIND:VALUE" */
int customers_add_entry(struct customers *c, const char *id, const char *entry,
			const char **error_r, const char **owner_r)
{
	static const struct {
		const char *prefix;
		enum customer_kind kind;
	} kinds[] = {
		{ "user:", CUSTOMER_USER }, { "fingerprint:", CUSTOMER_FINGERPRINT },
		{ "network:", CUSTOMER_NETWORK }, { "domain:", CUSTOMER_DOMAIN },
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t n = strlen(kinds[i].prefix);

		if (strncmp(entry, kinds[i].prefix, n) == 0)
			return customers_add(c, id, kinds[i].kind, entry + n, error_r, owner_r);
	}
	*error_r = "expected user:LOGIN, fingerprint:HEX, network:CIDR or domain:DOMAIN";
	return -1;
}

/* customers_by_user - the SASL login's customer */
static const char *customers_by_user(const struct customers *c, const char *user)
{
	char *u = customers_lower(user);
	const char *id = customers_get(c, 'U', u);

	free(u);
	return id;
}

/* customers_by_fprint - a fingerprint's customer ("" or unparsable: none) */
static const char *customers_by_fprint(const struct customers *c, const char *s)
{
	char text[FPRINT_MAX * 3];
	struct rw_fprint fp;
	const char *e;

	if (!txn_has(s) || fprint_parse(s, &fp, &e) < 0)
		return NULL;
	fprint_format(&fp, text);
	return customers_get(c, 'F', text);
}

/* customers_by_address - the client address's customer */
static const char *customers_by_address(const struct customers *c, const char *s)
{
	const char *pattern;
	struct rw_ip ip;

	if (!txn_has(s) || cidr_parse_ip(s, &ip) < 0 ||
	    !cidr_table_match(c->networks, &ip, &pattern))
		return NULL;
	return customers_get(c, 'N', pattern);
}

/* customers_by_sender - the envelope sender domain's customer */
static const char *customers_by_sender(const struct customers *c, const char *s)
{
	struct rw_addr a;
	const char *e, *id = NULL;

	if (!txn_has(s) || addr_parse(s, strlen(s), &a, &e) < 0)
		return NULL;
	if (*a.domain != '\0' && !(a.flags & ADDR_F_LITERAL))
		id = customers_get(c, 'D', a.domain);
	addr_release(&a);
	return id;
}

/* customers_lookup - user > cert (pubkey, then whole) > network > sender domain */
const char *customers_lookup(const struct customers *c, const struct rw_txn *t,
			     const char **via_r)
{
	const char *id = NULL, *via = NULL;

	if (c->n == 0)
		;	/* nothing maps */
	else if (txn_has(t->sasl_username) && (id = customers_by_user(c, t->sasl_username)) != NULL)
		via = "sasl_user";
	else if ((id = customers_by_fprint(c, t->cert_pubkey_fingerprint)) != NULL ||
		 (id = customers_by_fprint(c, t->cert_fingerprint)) != NULL)
		via = "cert";
	else if ((id = customers_by_address(c, t->client_address)) != NULL)
		via = "client_address";
	else if ((id = customers_by_sender(c, t->sender)) != NULL)
		via = "sender_domain";
	if (via_r != NULL)
		*via_r = via;
	return id;
}

/* customers_size - mappings */
size_t customers_size(const struct customers *c)
{
	return c->n - c->n_ids;
}

/* customers_count - distinct ids */
size_t customers_count(const struct customers *c)
{
	return c->n_ids;
}

/* customers_free - free everything and clear *cp */
void customers_free(struct customers **cp)
{
	struct customers *c = *cp;

	if (c == NULL)
		return;
	for (size_t i = 0; i < c->cap; i++) {
		if (c->slots[i].key != NULL && c->slots[i].key[0] == 'I')
			free(c->slots[i].id);
		free(c->slots[i].key);
	}
	free(c->slots);
	cidr_table_free(&c->networks);
	free(c);
	*cp = NULL;
}
