/*
 * fprint - certificate / public-key fingerprints; see fprint.h.
 *
 * Grammar: 2N hex digits, or N hex pairs joined by single ':' (Postfix
 * ccert_fingerprint, Sendmail {cert_md5}); N is 16, 20, 32 or 64. The
 * characters and the length are checked before any byte is decoded. No
 * white space is trimmed.
 */
#include "autoconfig.h"

#include <string.h>

#include "core/engine/fprint.h"

/* fprint_hexval - value of a hex digit, -1 if none */
static int fprint_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* fprint_known_len - a digest length we infer an algorithm from */
static int fprint_known_len(size_t n)
{
	return n == 16 || n == 20 || n == 32 || n == 64;
}

/* fprint_count - number of bytes s denotes, from its length and form */
static int fprint_count(size_t len, int colons, size_t *n, const char **error_r)
{
	if (len == 0) {
		*error_r = "empty fingerprint";
		return -1;
	}
	if (colons ? (len + 1) % 3 != 0 : len % 2 != 0) {
		*error_r = colons ? "misplaced ':' in fingerprint" : "odd number of hex digits";
		return -1;
	}
	*n = colons ? (len + 1) / 3 : len / 2;
	if (!fprint_known_len(*n)) {
		*error_r = "fingerprint length is not that of md5, sha1, sha256 or sha512";
		return -1;
	}
	return 0;
}

/* fprint_parse - hex, with or without ':' between every pair */
int fprint_parse(const char *s, struct rw_fprint *fp, const char **error_r)
{
	size_t len = strlen(s), n, step;
	int colons = strchr(s, ':') != NULL;

	if (strspn(s, "0123456789abcdefABCDEF:") != len) {
		*error_r = "non-hex character in fingerprint";
		return -1;
	}
	if (fprint_count(len, colons, &n, error_r) < 0)
		return -1;
	step = colons ? 3 : 2;
	for (size_t i = 0; i < n; i++) {
		const char *p = s + i * step;
		int hi = fprint_hexval(p[0]), lo = fprint_hexval(p[1]);

		if (colons && i + 1 < n && p[2] != ':') {
			*error_r = "misplaced ':' in fingerprint";
			return -1;
		}
		if (hi < 0 || lo < 0) {
			*error_r = "misplaced ':' in fingerprint";
			return -1;
		}
		fp->b[i] = (unsigned char)(hi << 4 | lo);
	}
	fp->len = n;
	return 0;
}

/* fprint_equal - same digest length and same bytes */
int fprint_equal(const struct rw_fprint *a, const struct rw_fprint *b)
{
	return a->len == b->len && memcmp(a->b, b->b, a->len) == 0;
}

/* fprint_alg - algorithm name inferred from the length */
const char *fprint_alg(const struct rw_fprint *fp)
{
	switch (fp->len) {
	case 16:
		return "md5";
	case 20:
		return "sha1";
	case 32:
		return "sha256";
	case 64:
		return "sha512";
	default:
		return "unknown";
	}
}

/* fprint_format - upper-case colon hex */
void fprint_format(const struct rw_fprint *fp, char out[FPRINT_MAX * 3])
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (size_t i = 0; i < fp->len && i < FPRINT_MAX; i++) {
		if (i > 0)
			out[o++] = ':';
		out[o++] = hex[fp->b[i] >> 4];
		out[o++] = hex[fp->b[i] & 0xf];
	}
	out[o] = '\0';
}
