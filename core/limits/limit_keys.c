/* limit_keys - Redis key derivation for limits; see limit_keys.h */
#include "autoconfig.h"

#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/util/buf.h"
#include "core/limits/limit_keys.h"
#include "core/limits/limits.h"

#define TOKEN_MAX 64
#define LIMIT_KEYS_MEMO_MAX 256	/* longer identities are hashed every time */

static const EVP_MD *limit_keys_sha256;
static pthread_once_t limit_keys_once = PTHREAD_ONCE_INIT;

/* limit_keys_fetch - fetch SHA-256 once: an implicit fetch per digest is slow */
static void limit_keys_fetch(void)
{
	limit_keys_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/*
 * limit_keys_id_hash - first 32 hex digits of SHA-256(s). The last input
 * and its digest are remembered per thread: one check names its identity
 * in three keys.
 */
void limit_keys_id_hash(const char *s, struct buf *out)
{
	static const char hex[] = "0123456789abcdef";
	static __thread char memo_in[LIMIT_KEYS_MEMO_MAX];
	static __thread char memo_out[LIMIT_KEYS_HASH_HEX];
	static __thread int memo_ok;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t n = strlen(s);

	if (memo_ok && n < sizeof(memo_in) && memcmp(memo_in, s, n + 1) == 0) {
		buf_append(out, memo_out, sizeof(memo_out));
		return;
	}
	pthread_once(&limit_keys_once, limit_keys_fetch);
	if (limit_keys_sha256 == NULL || !EVP_Digest(s, n, md, &mdlen, limit_keys_sha256, NULL) ||
	    mdlen * 2 < LIMIT_KEYS_HASH_HEX) {
		/* OpenSSL without SHA-256 is not a supported build */
		buf_puts(out, "sha256-unavailable");
		return;
	}
	for (unsigned i = 0; i < LIMIT_KEYS_HASH_HEX / 2; i++) {
		memo_out[2 * i] = hex[md[i] >> 4];
		memo_out[2 * i + 1] = hex[md[i] & 15];
	}
	buf_append(out, memo_out, sizeof(memo_out));
	memo_ok = n < sizeof(memo_in);
	if (memo_ok)
		memcpy(memo_in, s, n + 1);
}

/* limit_keys_safe - s is 1..TOKEN_MAX characters of [A-Za-z0-9._@+=-] */
static int limit_keys_safe(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > TOKEN_MAX)
		return 0;
	for (; *s; s++) {
		char c = *s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || strchr("._@+=-", c)))
			return 0;
	}
	return 1;
}

/* limit_keys_token - s verbatim when safe, else "~" and its hash */
void limit_keys_token(const char *s, struct buf *out)
{
	if (s == NULL)
		s = "";
	if (limit_keys_safe(s)) {
		buf_puts(out, s);
		return;
	}
	buf_putc(out, '~');
	limit_keys_id_hash(s, out);
}

/* limit_keys_customer - "rw:v1:{TAG}:" */
void limit_keys_customer(const char *customer, struct buf *out)
{
	buf_puts(out, LIMIT_KEYS_PREFIX "{");
	limit_keys_token(customer && *customer ? customer : "-", out);
	buf_puts(out, "}:");
}

/* limit_keys_ident - ":DIMENSION:IDHASH" */
static void limit_keys_ident(const char *dimension, const char *identity, struct buf *out)
{
	buf_putc(out, ':');
	limit_keys_token(dimension, out);
	buf_putc(out, ':');
	limit_keys_id_hash(identity ? identity : "", out);
}

/* limit_keys_state - the rate TAT or quota window key of c */
void limit_keys_state(const struct limit_check *c, struct buf *out)
{
	int quota = c->limit->kind == LIMIT_QUOTA;

	limit_keys_customer(c->customer, out);
	buf_puts(out, quota ? "quota:" : "rate:");
	limit_keys_token(c->limit->name, out);
	limit_keys_ident(c->dimension, c->identity, out);
	if (quota) {
		buf_putc(out, ':');
		limit_keys_token(c->window_id, out);
	}
}

/* limit_keys_override - per-identity or customer-wide override hash */
void limit_keys_override(const char *customer, const char *limit, const char *dimension,
			 const char *identity, struct buf *out)
{
	limit_keys_customer(customer, out);
	buf_puts(out, "ovr:");
	limit_keys_token(limit, out);
	if (identity == NULL)
		buf_puts(out, ":customer");
	else
		limit_keys_ident(dimension, identity, out);
}

/* limit_keys_block - per-identity or customer-wide block */
void limit_keys_block(const char *customer, const char *dimension, const char *identity,
		      struct buf *out)
{
	limit_keys_customer(customer, out);
	if (identity == NULL) {
		buf_puts(out, "block:customer");
		return;
	}
	buf_puts(out, "block");
	limit_keys_ident(dimension, identity, out);
}
