/* audit_sign - signed checkpoints for the audit chain; see audit_sign.h */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/audit/audit_sign.h"
#include "core/util/json.h"
#include "core/util/mem.h"
#include "core/sys/safefile.h"

#define AUDIT_SIGN_MAX_PEM 16384 /* bytes read from a key file at most */
#define AUDIT_SIG_LEN      64    /* bytes of an Ed25519 signature */

static const char audit_sign_tag[] = ",\"sig\":\"";
static const char audit_sign_hexdigits[] = "0123456789abcdef";

struct audit_key {
	EVP_PKEY *pkey;
	int private;
	char id[AUDIT_HASH_HEX + 1];
};

/* audit_sign_hex - n bytes as lowercase hex + NUL */
static void audit_sign_hex(const unsigned char *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = audit_sign_hexdigits[p[i] >> 4];
		out[2 * i + 1] = audit_sign_hexdigits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* audit_sign_unhex - 2n hex digits into n bytes; 0 or -1 */
static int audit_sign_unhex(const char *hex, unsigned char *p, size_t n)
{
	for (size_t i = 0; i < 2 * n; i++) {
		const char *d = hex[i] != '\0' ? strchr(audit_sign_hexdigits, hex[i]) : NULL;

		if (d == NULL)
			return -1;
		if (i % 2 == 0)
			p[i / 2] = (unsigned char)((d - audit_sign_hexdigits) << 4);
		else
			p[i / 2] |= (unsigned char)(d - audit_sign_hexdigits);
	}
	return 0;
}

void audit_hash_init(struct audit_hash *h)
{
	memset(h->md, 0, sizeof(h->md));
	if ((h->ctx = EVP_MD_CTX_new()) == NULL)
		abort();
}

void audit_hash_step(struct audit_hash *h, const char *line, size_t n)
{
	static EVP_MD *sha256; /* fetched once: an implicit fetch per step costs */
	EVP_MD *md = __atomic_load_n(&sha256, __ATOMIC_ACQUIRE);
	unsigned int len = 0;

	if (md == NULL) {
		EVP_MD *fresh = EVP_MD_fetch(NULL, "SHA256", NULL);

		if (fresh == NULL)
			abort();
		if (__atomic_compare_exchange_n(&sha256, &md, fresh, 0, __ATOMIC_ACQ_REL,
		                                __ATOMIC_ACQUIRE))
			md = fresh;
		else
			EVP_MD_free(fresh); /* another thread was first: md is its */
	}
	if (!EVP_DigestInit_ex2(h->ctx, md, NULL) ||
	    !EVP_DigestUpdate(h->ctx, h->md, sizeof(h->md)) || !EVP_DigestUpdate(h->ctx, line, n) ||
	    !EVP_DigestFinal_ex(h->ctx, h->md, &len) || len != AUDIT_HASH_LEN)
		abort();
}

void audit_hash_hex(const struct audit_hash *h, char out[AUDIT_HASH_HEX + 1])
{
	audit_sign_hex(h->md, sizeof(h->md), out);
}

int audit_hash_set(struct audit_hash *h, const char *hex)
{
	unsigned char md[AUDIT_HASH_LEN];

	if (strlen(hex) != AUDIT_HASH_HEX || audit_sign_unhex(hex, md, sizeof(md)) < 0)
		return -1;
	memcpy(h->md, md, sizeof(md));
	return 0;
}

void audit_hash_release(struct audit_hash *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

/* audit_key_new - wrap pkey (taken) when it is Ed25519, with its id; NULL with *err */
static struct audit_key *audit_key_new(EVP_PKEY *pkey, int private, const char *path,
                                       struct buf *err)
{
	unsigned char raw[32], md[AUDIT_HASH_LEN];
	size_t len = sizeof(raw);
	unsigned int mdlen = 0;
	struct audit_key *k;

	if (pkey == NULL || !EVP_PKEY_is_a(pkey, "ED25519") ||
	    !EVP_PKEY_get_raw_public_key(pkey, raw, &len) || len != sizeof(raw)) {
		buf_printf(err,
		           "%s: not an Ed25519 %s key in PEM (openssl genpkey -algorithm "
		           "ed25519%s)",
		           path, private ? "private" : "public",
		           private ? "" : " | openssl pkey -pubout");
		EVP_PKEY_free(pkey);
		return NULL;
	}
	if (!EVP_Digest(raw, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != sizeof(md))
		abort();
	k = rw_calloc(1, sizeof(*k));
	k->pkey = pkey;
	k->private = private;
	audit_sign_hex(md, sizeof(md), k->id);
	return k;
}

/* audit_key_read - up to AUDIT_SIGN_MAX_PEM bytes of fd into b; 0 or -1 with *err */
static int audit_key_read(int fd, const char *path, struct buf *b, struct buf *err)
{
	char chunk[4096];
	ssize_t n;

	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			buf_printf(err, "%s: %s", path, strerror(errno));
			return -1;
		}
		if (b->len + (size_t)n > AUDIT_SIGN_MAX_PEM) {
			buf_printf(err, "%s: larger than %d bytes: not a key", path,
			           AUDIT_SIGN_MAX_PEM);
			return -1;
		}
		buf_append(b, chunk, (size_t)n);
	}
	return 0;
}

/* audit_key_parse - the PEM key in b (private, or public: either kind); NULL when none */
static EVP_PKEY *audit_key_parse(const struct buf *b, int private)
{
	BIO *bio = BIO_new_mem_buf(b->data, (int)b->len);
	EVP_PKEY *pkey = NULL;

	if (bio == NULL)
		abort();
	pkey = private ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)
	               : PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	if (pkey == NULL && !private) { /* the private key's file holds the public key too */
		(void)BIO_reset(bio);
		pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	}
	BIO_free(bio);
	return pkey;
}

struct audit_key *audit_key_load_private(const char *path, const char *user, struct buf *err)
{
	struct buf why = BUF_INIT, pem = BUF_INIT;
	int fd = safefile_open(path, O_RDONLY, 0, user, &why);
	struct audit_key *k = NULL;
	struct stat st;

	if (fd < 0) {
		buf_printf(err, "audit signing_key_file %s", buf_cstr(&why));
		buf_release(&why);
		return NULL;
	}
	if (fstat(fd, &st) < 0)
		buf_printf(err, "audit signing_key_file %s: %s", path, strerror(errno));
	else if (st.st_mode & S_IROTH)
		buf_printf(err,
		           "audit signing_key_file %s: readable by others (mode %04o): "
		           "chmod o-r",
		           path, (unsigned)(st.st_mode & 07777));
	else if (audit_key_read(fd, path, &pem, &why) < 0)
		buf_printf(err, "audit signing_key_file %s", buf_cstr(&why));
	else if ((k = audit_key_new(audit_key_parse(&pem, 1), 1, path, &why)) == NULL)
		buf_printf(err, "audit signing_key_file %s", buf_cstr(&why));
	close(fd);
	OPENSSL_cleanse(pem.data, pem.len);
	buf_release(&pem);
	buf_release(&why);
	return k;
}

struct audit_key *audit_key_load_public(const char *path, struct buf *err)
{
	struct buf pem = BUF_INIT;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct audit_key *k = NULL;

	if (fd < 0) {
		buf_printf(err, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (audit_key_read(fd, path, &pem, err) == 0)
		k = audit_key_new(audit_key_parse(&pem, 0), 0, path, err);
	close(fd);
	OPENSSL_cleanse(pem.data, pem.len); /* it may have been a private key's file */
	buf_release(&pem);
	return k;
}

const char *audit_key_id(const struct audit_key *k)
{
	return k->id;
}

void audit_key_free(struct audit_key **kp)
{
	if (*kp == NULL)
		return;
	EVP_PKEY_free((*kp)->pkey);
	free(*kp);
	*kp = NULL;
}

void audit_checkpoint_head(const struct audit_checkpoint *cp, const struct audit_key *k,
                           struct buf *out)
{
	const char *const members[][2] = {
	    {"time", cp->time},
	    {"host", cp->host},
	    {"component", cp->component},
	    {"reason", cp->reason},
	};
	char hex[AUDIT_HASH_HEX + 1];

	buf_puts(out, "{\"v\":1,\"kind\":\"checkpoint\"");
	for (size_t i = 0; i < sizeof(members) / sizeof(*members); i++) {
		buf_putc(out, ',');
		json_key(out, members[i][0]);
		json_str(out, members[i][1]);
	}
	audit_hash_hex(cp->hash, hex);
	buf_printf(out, ",\"hash\":\"%s\",\"key\":\"%s\"", hex, k->id);
}

void audit_sign_append(const struct audit_key *k, struct buf *b, size_t start)
{
	unsigned char sig[AUDIT_SIG_LEN];
	char hex[AUDIT_SIG_HEX + 1];
	size_t len = sizeof(sig);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (ctx == NULL || !k->private ||
	    !EVP_DigestSignInit_ex(ctx, NULL, NULL, NULL, NULL, k->pkey, NULL) ||
	    !EVP_DigestSign(ctx, sig, &len, (const unsigned char *)b->data + start,
	                    b->len - start) ||
	    len != sizeof(sig))
		abort();
	EVP_MD_CTX_free(ctx);
	audit_sign_hex(sig, sizeof(sig), hex);
	buf_puts(b, audit_sign_tag);
	buf_puts(b, hex);
	buf_putc(b, '"');
}

/*
 * audit_sign_find - the length of the signed part (the line before
 * ',"sig":"'), the signature into sig; 0 when the line has none. The tag's
 * quotes cannot stand unescaped inside a JSON string, so its last
 * occurrence is the member; the member must end the object or precede
 * the mac.
 */
static size_t audit_sign_find(const char *line, size_t n, unsigned char sig[AUDIT_SIG_LEN])
{
	size_t tag = sizeof(audit_sign_tag) - 1, at = 0, found = 0;
	char hex[AUDIT_SIG_HEX + 1];
	const char *rest;

	for (const char *p = line; (p = memmem(p, n - (size_t)(p - line), audit_sign_tag, tag));
	     p++) {
		at = (size_t)(p - line);
		found = 1;
	}
	if (!found || n - at < tag + AUDIT_SIG_HEX + 2)
		return 0;
	memcpy(hex, line + at + tag, AUDIT_SIG_HEX);
	hex[AUDIT_SIG_HEX] = '\0';
	rest = line + at + tag + AUDIT_SIG_HEX;
	if (rest[0] != '"' || audit_sign_unhex(hex, sig, AUDIT_SIG_LEN) < 0)
		return 0;
	if (!(rest + 2 == line + n && rest[1] == '}') &&
	    ((size_t)(line + n - rest) < 9 || memcmp(rest + 1, ",\"mac\":\"", 8) != 0))
		return 0;
	return at;
}

int audit_sign_check(const struct audit_key *k, const char *line, size_t n)
{
	unsigned char sig[AUDIT_SIG_LEN];
	size_t signed_len = audit_sign_find(line, n, sig);
	EVP_MD_CTX *ctx;
	int ok;

	if (signed_len == 0)
		return -1;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    !EVP_DigestVerifyInit_ex(ctx, NULL, NULL, NULL, NULL, k->pkey, NULL))
		abort();
	ok = EVP_DigestVerify(ctx, sig, sizeof(sig), (const unsigned char *)line, signed_len);
	EVP_MD_CTX_free(ctx);
	return ok == 1 ? 0 : -2;
}
