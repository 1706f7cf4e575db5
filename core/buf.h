/*
 * buf - growable, length-tracked byte buffer (Postfix vstring, hiredis sds).
 *
 * Contract: all text built from untrusted data goes through a buf; nobody
 * computes sizes by hand. data is always NUL-terminated (the NUL is not
 * counted in len) and may contain embedded NULs. A zeroed struct buf is a
 * valid empty buffer; buf_release frees the storage and re-zeroes it.
 * Not thread-safe per buffer. Pure: libc only.
 */
#ifndef RW_BUF_H
#define RW_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }

void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, int c);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* buf_truncate - shorten to len (len <= b->len) */
void buf_truncate(struct buf *b, size_t len);
/* buf_cstr - the contents, "" for a never-used buffer; valid until next change */
const char *buf_cstr(const struct buf *b);
/* buf_detach - hand the storage to the caller (rw_strdup("") when empty) */
char *buf_detach(struct buf *b);
void buf_release(struct buf *b);

#endif
