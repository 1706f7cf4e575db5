/*
 * limit_keys - Redis key names of rate limits, quotas, overrides and blocks.
 *
 * The layout is the integrators' contract, documented in
 * schema/redis-keys.md; relaywarden-policyd, the milter and `relaywarden
 * quota` all derive keys here, so they cannot disagree. Every key of one
 * customer starts with "rw:v1:{TAG}:", TAG being the customer id ("-" when
 * none maps), so Redis Cluster keeps a customer in one slot.
 *
 * Tokens (customer, limit name, dimension, window id) are used verbatim when
 * they are 1-64 characters of [A-Za-z0-9._@+=-]; anything else becomes "~"
 * and the first 32 hex digits of its SHA-256, so no key can contain a brace,
 * a colon, white space or a control character. Identities are always
 * hashed: the first 32 lower-case hex digits of SHA-256 of the normalised
 * identity (the caller normalises; the audit record carries the clear text).
 *
 * Output is appended to a caller's struct buf. I/O adapter: links OpenSSL
 * libcrypto. Thread-safe.
 */
#ifndef RW_LIMIT_KEYS_H
#define RW_LIMIT_KEYS_H

#include "core/util/buf.h"
#include "core/limits/limits.h"

#define LIMIT_KEYS_PREFIX "rw:v1:"
#define LIMIT_KEYS_HASH_HEX 32

/* limit_keys_id_hash - append the 32-hex identity hash of s */
void limit_keys_id_hash(const char *s, struct buf *out);
/* limit_keys_token - append s verbatim when key-safe, else "~" + its hash */
void limit_keys_token(const char *s, struct buf *out);
/* limit_keys_customer - append "rw:v1:{TAG}:" (the SCAN prefix of a customer) */
void limit_keys_customer(const char *customer, struct buf *out);
/*
 * limit_keys_state - the check's counter:
 * rw:v1:{C}:rate:LIMIT:DIMENSION:IDHASH or
 * rw:v1:{C}:quota:LIMIT:DIMENSION:IDHASH:WINDOW_ID
 */
void limit_keys_state(const struct limit_check *c, struct buf *out);
/*
 * limit_keys_override - rw:v1:{C}:ovr:LIMIT:DIMENSION:IDHASH, or with
 * identity NULL the customer-wide rw:v1:{C}:ovr:LIMIT:customer
 */
void limit_keys_override(const char *customer, const char *limit, const char *dimension,
			 const char *identity, struct buf *out);
/*
 * limit_keys_block - rw:v1:{C}:block:DIMENSION:IDHASH, or with identity
 * NULL the customer-wide rw:v1:{C}:block:customer
 */
void limit_keys_block(const char *customer, const char *dimension, const char *identity,
		      struct buf *out);

#endif
