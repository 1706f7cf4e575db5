/*
 * termsafe - text from the network made safe to print in a terminal, a
 * table cell or a CSV field: no byte of it can start an escape sequence.
 *
 * C0 controls (U+0000-U+001F, except the bytes the caller keeps), DEL,
 * the C1 controls U+0080-U+009F (U+009B is CSI, U+0085 NEL: terminals
 * act on them as on ESC [ and a line end) and every byte that is not part
 * of well-formed UTF-8 (a lone 0x9B is CSI to an 8-bit terminal) each
 * become one '?'. Everything else is copied. Pure, thread-safe.
 */
#ifndef RW_CLI_TERMSAFE_H
#define RW_CLI_TERMSAFE_H

#include "core/util/buf.h"

/* termsafe_append - s (NUL-terminated) into out; keep: C0 bytes left as they are ("" for none) */
void termsafe_append(struct buf *out, const char *s, const char *keep);

#endif
