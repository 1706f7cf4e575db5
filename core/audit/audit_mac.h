/*
 * audit_mac - HMAC-SHA256 (OpenSSL) for the audit chain, and its key file.
 *
 * The chain (core/audit/audit.h, schema/audit-record.schema.json "chain", "mac")
 * seals each record with HMAC-SHA256(key, the line up to ',"mac":"'); the
 * writers (audit.c) and `relaywarden audit verify` compute it here.
 * An audit_mac is used by one thread at a time (its caller's lock).
 */
#ifndef RW_AUDIT_MAC_H
#define RW_AUDIT_MAC_H

#include <stddef.h>

#include "core/util/buf.h"

#define AUDIT_MAC_HEX 64	/* hex digits of one MAC */
#define AUDIT_MAC_MIN_KEY 32	/* bytes */

struct audit_mac;

/*
 * audit_mac_load - the key from path: the file's bytes without a final
 * newline, at least AUDIT_MAC_MIN_KEY of them, in a regular file no one
 * but its owner and group may read, opened as safefile.h says (user: the
 * service user, who may own it; NULL for none). NULL with *err naming the
 * file.
 */
struct audit_mac *audit_mac_load(const char *path, const char *user, struct buf *err);
/* audit_mac_hex - the MAC of data[0..n) as lowercase hex + NUL */
void audit_mac_hex(struct audit_mac *m, const char *data, size_t n, char out[AUDIT_MAC_HEX + 1]);
void audit_mac_free(struct audit_mac **mp);

#endif
