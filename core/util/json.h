/*
 * json - append JSON (RFC 8259) text to a buf: the audit record's writer.
 *
 * The audit record is written on the hot path of every decision, so it is
 * emitted directly instead of through a document tree (jansson costs a
 * third of policyd's CPU for the same output); tests parse every record
 * back with jansson and validate it against the schema.
 *
 * json_str escapes '"', '\\' and control characters, copies valid UTF-8
 * and replaces each byte of an invalid UTF-8 sequence (overlong, surrogate,
 * beyond U+10FFFF, truncated) by '?'. Pure: libc only.
 */
#ifndef RW_JSON_H
#define RW_JSON_H

#include <stdint.h>
#include <string.h>

#include "core/util/buf.h"

/* json_str - s as a JSON string; NULL as null */
void json_str(struct buf *b, const char *s);
/* json_key - "key": (key is a trusted literal; inline, so its length is the compiler's) */
static inline void json_key(struct buf *b, const char *key)
{
	size_t n = strlen(key);

	buf_grow(b, n + 3);
	buf_putc(b, '"');
	buf_append(b, key, n);
	buf_append(b, BUF_LIT("\":"));
}
/* json_uint - a non-negative integer */
void json_uint(struct buf *b, uint64_t v);
/* json_bool - true or false */
void json_bool(struct buf *b, int v);

#endif
