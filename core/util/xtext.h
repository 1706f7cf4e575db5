/*
 * xtext - RFC 3461 xtext decoding ("+XX" = the octet XX, hex).
 *
 * Postfix xtext-encodes ccert_subject/ccert_issuer for policy servers,
 * Sendmail the certificate DNs it gives milters. Decoding refuses a
 * malformed escape and any result holding a control character (NUL
 * included): callers then keep or drop the value, never a half-decoded one.
 * Pure: libc only.
 */
#ifndef RW_XTEXT_H
#define RW_XTEXT_H

#include "core/util/buf.h"

/* xtext_decode - append s decoded to out; 0, or -1 (out unchanged) */
int xtext_decode(const char *s, struct buf *out);

#endif
