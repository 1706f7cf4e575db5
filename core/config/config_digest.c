/*
 * config_digest - the configuration digest: what identifies a snapshot in
 * audit records, /metrics, log lines, sd_notify STATUS and check-config
 * output. All of these are published (the metrics endpoint answers without
 * authentication), so the digest must not be a function of a secret an
 * outsider could test guesses against: the plain SHA-256 of the file was,
 * since the file holds the Redis password.
 *
 * The digest is SHA-256 over, in this order:
 *   - the tag "relaywarden config digest v1";
 *   - the effective settings: every option of the table, in table order,
 *     with its defaults filled in (libconfuse's parsed values, not the
 *     bytes written: comments, spacing, quoting and options set to their
 *     default do not count), sections with their titles in file order,
 *     file names as written (so a copy of the configuration checked in
 *     another directory, or on another host, has the same digest as the
 *     one deployed, which an operator can compare); a secret option
 *     (config_opt_secret) contributes only whether it is set, never its
 *     value, length or any function of it;
 *   - the bytes of each included file in load order (see config_compile.c).
 * Every item is length-prefixed, so no two settings encode alike. A change
 * of the Redis password alone therefore leaves the digest as it was; any
 * other change of meaning changes it.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <confuse.h>
#include <openssl/evp.h>

#include "core/config/config_int.h"

#define DIGEST_TAG "relaywarden config digest v1"

/* digest_bytes - a length (8 bytes, big-endian), then n bytes */
static void digest_bytes(EVP_MD_CTX *md, const void *p, size_t n)
{
	unsigned char len[8];

	for (int i = 0; i < 8; i++)
		len[i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
	EVP_DigestUpdate(md, len, sizeof(len));
	if (n > 0)
		EVP_DigestUpdate(md, p, n);
}

/* digest_str - a string, NULL told apart from "" */
static void digest_str(EVP_MD_CTX *md, const char *s)
{
	digest_bytes(md, s != NULL ? "s" : "n", 1);
	if (s != NULL)
		digest_bytes(md, s, strlen(s));
}

/* digest_num - an integer, as decimal text */
static void digest_num(EVP_MD_CTX *md, long long v)
{
	char text[32];
	int n = snprintf(text, sizeof(text), "%lld", v);

	digest_bytes(md, text, (size_t)n);
}

static void digest_section(struct config_ctx *x, cfg_t *sec);

/* digest_value - value i of option o */
static void digest_value(struct config_ctx *x, cfg_opt_t *o, unsigned i)
{
	switch (o->type) {
	case CFGT_INT:
		digest_num(x->md, cfg_opt_getnint(o, i));
		break;
	case CFGT_BOOL:
		digest_num(x->md, cfg_opt_getnbool(o, i) ? 1 : 0);
		break;
	case CFGT_SEC:
		digest_str(x->md, cfg_title(cfg_opt_getnsec(o, i)));
		digest_section(x, cfg_opt_getnsec(o, i));
		break;
	default:
		digest_str(x->md, cfg_opt_getnstr(o, i));
		break;
	}
}

/* digest_option - one option: its name, then "set" for a secret, else its values */
static void digest_option(struct config_ctx *x, cfg_t *sec, cfg_opt_t *o)
{
	unsigned n = cfg_opt_size(o);

	digest_str(x->md, o->name);
	if (config_opt_secret(sec, o)) {
		int set = n > 0 && (o->type != CFGT_STR || cfg_opt_getnstr(o, 0) != NULL);

		digest_str(x->md, set ? "secret set" : "secret unset");
		return;
	}
	digest_num(x->md, n);
	for (unsigned i = 0; i < n; i++)
		digest_value(x, o, i);
}

/* digest_section - every option of sec in table order */
static void digest_section(struct config_ctx *x, cfg_t *sec)
{
	for (cfg_opt_t *o = sec->opts; o->name != NULL; o++)
		digest_option(x, sec, o);
	digest_str(x->md, "}");
}

/* config_digest_start - the tag and the effective settings of a parsed cfg */
void config_digest_start(struct config_ctx *x, cfg_t *cfg)
{
	digest_bytes(x->md, DIGEST_TAG, strlen(DIGEST_TAG));
	digest_section(x, cfg);
	digest_str(x->md, "files");
}

/* config_digest_file - the bytes of one included file */
void config_digest_file(struct config_ctx *x, const struct buf *text)
{
	digest_bytes(x->md, text->len > 0 ? text->data : "", text->len);
}

/* config_digest_finish - the hex digest into c->digest */
void config_digest_finish(struct config_ctx *x, struct rw_config *c)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	EVP_DigestFinal_ex(x->md, md, &n);
	for (unsigned i = 0; i < n && i < 32; i++)
		snprintf(c->digest + 2 * i, 3, "%02x", md[i]);
}
