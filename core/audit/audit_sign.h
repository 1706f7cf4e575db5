/*
 * audit_sign - signed checkpoints for the audit chain: a public running
 * hash over the chain's lines, Ed25519 signatures (OpenSSL 3 EVP) and the
 * checkpoint line (schema/audit-record.schema.json, "kind":"checkpoint").
 *
 * Running hash: H(0) is 32 zero bytes; H(n+1) = SHA-256(H(n) || line n),
 * where line n is the chain's line with seq n as written (no newline),
 * decision records and checkpoints alike. Anyone can recompute it: it
 * proves nothing alone, a signature over it does.
 *
 * A checkpoint with seq N carries H(N) (the lines with seq 0 to N-1) and
 * the key id (SHA-256 of the raw 32-byte public key, hex) and is signed
 * with Ed25519 over its line up to ',"sig":"'; the signature is the next
 * member (128 hex digits), before the mac when the chain is also
 * HMAC-sealed (core/audit/audit_mac.h). The writer (core/audit/audit.c) builds it
 * with audit_checkpoint_head, its chain place, then audit_sign_append;
 * `relaywarden audit verify --public-key` checks it with audit_sign_check.
 *
 * Keys: PEM files, as `openssl genpkey -algorithm ed25519` and
 * `openssl pkey -pubout` write them. The private key opens as
 * core/sys/safefile.h says and must not be readable by others. An audit_key is
 * used by one thread at a time; an audit_hash too. Errors: NULL with *err
 * naming the file and what is wrong. Out of memory or an OpenSSL failure
 * on a key that loaded: abort (a programming or library error).
 */
#ifndef RW_AUDIT_SIGN_H
#define RW_AUDIT_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "core/util/buf.h"

#define AUDIT_HASH_LEN 32  /* bytes of the running hash */
#define AUDIT_HASH_HEX 64  /* its hex digits, as in "hash" and "key" */
#define AUDIT_SIG_HEX  128 /* hex digits of one Ed25519 signature */

struct audit_key;

/* the running hash of one chain; audit_hash_init before use, release after */
struct audit_hash {
	unsigned char md[AUDIT_HASH_LEN]; /* H(n) */
	void *ctx;                        /* the digest context, reused per step */
};

/* audit_hash_init - H(0): 32 zero bytes */
void audit_hash_init(struct audit_hash *h);
/* audit_hash_step - H(n+1) = SHA-256(H(n) || line[0..n)) */
void audit_hash_step(struct audit_hash *h, const char *line, size_t n);
/* audit_hash_hex - H(n) as lowercase hex + NUL */
void audit_hash_hex(const struct audit_hash *h, char out[AUDIT_HASH_HEX + 1]);
/* audit_hash_set - H(n) from 64 hex digits; 0, or -1 when hex is not that */
int audit_hash_set(struct audit_hash *h, const char *hex);
void audit_hash_release(struct audit_hash *h);

/*
 * audit_key_load_private - the Ed25519 private key in the PEM file at path,
 * opened as safefile.h says (user: the service user; NULL for none), not
 * readable by others
 */
struct audit_key *audit_key_load_private(const char *path, const char *user, struct buf *err);
/* audit_key_load_public - an Ed25519 public key from a PEM file (or a private key's) */
struct audit_key *audit_key_load_public(const char *path, struct buf *err);
/* audit_key_id - SHA-256 of the raw public key, hex; valid while k lives */
const char *audit_key_id(const struct audit_key *k);
void audit_key_free(struct audit_key **kp);

struct audit_checkpoint {
	const char *time;              /* ISO 8601 UTC, as the records' "time" */
	const char *host;              /* instance name */
	const char *component;         /* "policyd", "milter" */
	const char *reason;            /* "start", "records", "time", "rotate", "close" */
	const struct audit_hash *hash; /* H(seq) */
};

/*
 * audit_checkpoint_head - append the checkpoint up to its chain place:
 *   {"v":1,"kind":"checkpoint","time":..,"host":..,"component":..,
 *    "reason":..,"hash":HEX,"key":KEYID
 * (no closing brace); the writer adds ,"chain":{...}, then the signature
 */
void audit_checkpoint_head(const struct audit_checkpoint *cp, const struct audit_key *k,
                           struct buf *out);
/* audit_sign_append - sign b[start..] and append ,"sig":"HEX" (k: a private key) */
void audit_sign_append(const struct audit_key *k, struct buf *b, size_t start);

/*
 * audit_sign_check - the signature of a checkpoint line: 0 it verifies
 * under k; -1 the line has no well-formed "sig" member; -2 it does not
 * verify (changed, or signed by another key)
 */
int audit_sign_check(const struct audit_key *k, const char *line, size_t n);

#endif
