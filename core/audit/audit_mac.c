/* audit_mac - HMAC-SHA256 for the audit chain; see audit_mac.h */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/audit/audit_mac.h"
#include "core/util/mem.h"
#include "core/sys/safefile.h"

#define AUDIT_MAC_MAX_KEY 4096	/* bytes read from the key file at most */

struct audit_mac {
	EVP_MAC_CTX *ctx;	/* keyed once; re-initialised per record */
};

/* audit_mac_read_key - the key file's bytes into key; its length or -1 with *err */
static ssize_t audit_mac_read_key(const char *path, const char *user, unsigned char *key,
				  struct buf *err)
{
	struct buf why = BUF_INIT;
	int fd = safefile_open(path, O_RDONLY, 0, user, &why);
	struct stat st;
	ssize_t n = -1;

	if (fd < 0) {
		buf_printf(err, "audit hmac_key_file %s", buf_cstr(&why));
		buf_release(&why);
		return -1;
	}
	if (fstat(fd, &st) < 0)
		buf_printf(err, "audit hmac_key_file %s: %s", path, strerror(errno));
	else if (st.st_mode & S_IROTH)
		buf_printf(err, "audit hmac_key_file %s: readable by others (mode %04o): "
			   "chmod o-r", path, (unsigned)(st.st_mode & 07777));
	else if ((n = read(fd, key, AUDIT_MAC_MAX_KEY + 1)) < 0)
		buf_printf(err, "audit hmac_key_file %s: %s", path, strerror(errno));
	close(fd);
	if (n < 0 || err->len > 0)
		return -1;
	if (n > 0 && key[n - 1] == '\n')
		n--;
	if (n < AUDIT_MAC_MIN_KEY || n > AUDIT_MAC_MAX_KEY) {
		buf_printf(err, "audit hmac_key_file %s: the key must be %d to %d bytes "
			   "(e.g. openssl rand -hex 32)", path, AUDIT_MAC_MIN_KEY, AUDIT_MAC_MAX_KEY);
		return -1;
	}
	return n;
}

struct audit_mac *audit_mac_load(const char *path, const char *user, struct buf *err)
{
	unsigned char key[AUDIT_MAC_MAX_KEY + 1];
	ssize_t n = audit_mac_read_key(path, user, key, err);
	EVP_MAC *mac;
	struct audit_mac *m;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};

	if (n < 0)
		return NULL;
	m = rw_calloc(1, sizeof(*m));
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	m->ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
	EVP_MAC_free(mac);
	if (m->ctx == NULL || !EVP_MAC_init(m->ctx, key, (size_t)n, params)) {
		buf_printf(err, "audit hmac_key_file %s: OpenSSL has no HMAC-SHA256", path);
		audit_mac_free(&m);
	}
	OPENSSL_cleanse(key, sizeof(key));
	return m;
}

void audit_mac_hex(struct audit_mac *m, const char *data, size_t n, char out[AUDIT_MAC_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	size_t len = 0;

	/* NULL key: the one set at load; cannot fail for a keyed HMAC context */
	if (!EVP_MAC_init(m->ctx, NULL, 0, NULL) ||
	    !EVP_MAC_update(m->ctx, (const unsigned char *)data, n) ||
	    !EVP_MAC_final(m->ctx, md, &len, sizeof(md)) || len * 2 != AUDIT_MAC_HEX)
		abort();
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[AUDIT_MAC_HEX] = '\0';
}

void audit_mac_free(struct audit_mac **mp)
{
	if (*mp == NULL)
		return;
	EVP_MAC_CTX_free((*mp)->ctx);
	free(*mp);
	*mp = NULL;
}
