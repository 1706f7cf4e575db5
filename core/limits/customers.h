/*
 * customers - which customer a transaction belongs to.
 *
 * A customer id (what quotas and limits with charge = customer count, and
 * the Redis hash tag of every key: rw:v1:{ID}:...) is 1-64 characters of
 * [A-Za-z0-9._-], starting with a letter or digit ("-" means "no customer"
 * in limit checks). It is mapped from:
 *   user:LOGIN          a SASL login, ASCII case-insensitive
 *   fingerprint:HEX     a client certificate or public-key fingerprint
 *                       (any core/engine/fprint.h spelling; digest by length)
 *   network:CIDR        the client address (core/engine/cidr.h patterns)
 *   domain:DOMAIN       the envelope sender's domain, exactly (lower-cased,
 *                       no trailing dot; no subdomains)
 * Precedence when several match: user > fingerprint (pubkey, then
 * whole-certificate) > network > sender domain: the accountable identities
 * first, the forgeable sender last. Overlapping networks of two customers:
 * the first added wins. One user, fingerprint, network pattern or domain
 * belongs to one customer only (adding it to a second is an error).
 *
 * Ownership: copies everything added. Immutable after building; shareable
 * across threads. Errors: -1 with a static *error_r. Pure: libc only.
 */
#ifndef RW_CUSTOMERS_H
#define RW_CUSTOMERS_H

#include <stddef.h>

#include "core/engine/txn.h"

enum customer_kind {
	CUSTOMER_USER = 1,
	CUSTOMER_FINGERPRINT,
	CUSTOMER_NETWORK,
	CUSTOMER_DOMAIN,
};

struct customers;

struct customers *customers_new(void);
/* customers_id_check - a valid customer id; 0 or -1 with *error_r */
int customers_id_check(const char *id, const char **error_r);
/* customers_add - map value of kind to id; 0 or -1 with *error_r (bad id or
 * value, or value already mapped: then *owner_r, if given, is the owner's id) */
int customers_add(struct customers *c, const char *id, enum customer_kind kind,
		  const char *value, const char **error_r, const char **owner_r);
/* customers_add_entry - "KIND:VALUE" (user:, fingerprint:, network:, domain:) */
int customers_add_entry(struct customers *c, const char *id, const char *entry,
			const char **error_r, const char **owner_r);
/*
 * customers_lookup - the customer id of t, or NULL; *via_r (if given) is
 * "sasl_user", "cert", "client_address" or "sender_domain": what matched.
 */
const char *customers_lookup(const struct customers *c, const struct rw_txn *t,
			     const char **via_r);
/* customers_size - mappings (not customers) */
size_t customers_size(const struct customers *c);
/* customers_count - distinct customer ids */
size_t customers_count(const struct customers *c);
void customers_free(struct customers **c);

#endif
