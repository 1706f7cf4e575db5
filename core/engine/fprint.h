/*
 * fprint - TLS certificate / public-key fingerprints, normalised.
 *
 * Accepts hex with or without ':' separators (every separator between byte
 * pairs, or none), any case; the digest is inferred from the length:
 * 16 bytes md5, 20 sha1, 32 sha256 (Postfix smtpd_tls_fingerprint_digest),
 * 64 sha512. Anything else is an error. Two fingerprints are equal only when
 * both digest and bytes are equal. Pure: libc only.
 */
#ifndef RW_FPRINT_H
#define RW_FPRINT_H

#include <stddef.h>

#define FPRINT_MAX 64

struct rw_fprint {
	size_t len;			/* 16, 20, 32 or 64 */
	unsigned char b[FPRINT_MAX];
};

/* fprint_parse - 0 or -1 with static *error_r */
int fprint_parse(const char *s, struct rw_fprint *fp, const char **error_r);
int fprint_equal(const struct rw_fprint *a, const struct rw_fprint *b);
/* fprint_alg - "md5", "sha1", "sha256", "sha512" */
const char *fprint_alg(const struct rw_fprint *fp);
/* fprint_format - canonical form: upper-case hex with ':' (Postfix's own), into out */
void fprint_format(const struct rw_fprint *fp, char out[FPRINT_MAX * 3]);

#endif
