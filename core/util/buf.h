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
#include <stdint.h>
#include <string.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }

/* buf_grow - make room for n more bytes plus the NUL (the slow path) */
void buf_grow(struct buf *b, size_t n);

/* buf_append - append n bytes (inline: every record is built from these) */
static inline void buf_append(struct buf *b, const void *p, size_t n)
{
	if (b->data == NULL || n >= b->cap - b->len)
		buf_grow(b, n);
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/*
 * BUF_LIT - a string literal and its length, both from the compiler, as two
 * arguments: buf_append(b, BUF_LIT("},")), memcmp(p, BUF_LIT("v=DMARC1")),
 * strncmp(s, BUF_LIT("unix:")). Only a literal compiles ("" s "").
 */
#define BUF_LIT(s) ("" s ""), (sizeof(s) - 1)
/* BUF_LIT_LEN - the length of a string literal: p + BUF_LIT_LEN("unix:") */
#define BUF_LIT_LEN(s) (sizeof("" s "") - 1)

/* buf_puts - append a C string */
static inline void buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

/* buf_putc - append one byte */
static inline void buf_putc(struct buf *b, int c)
{
	if (b->data == NULL || b->cap - b->len < 2)
		buf_grow(b, 1);
	b->data[b->len++] = (char)c;
	b->data[b->len] = '\0';
}

/* BUF_U64_SIZE, buf_u64_text - v in decimal, NUL-terminated, at the end of d */
#define BUF_U64_SIZE 21
const char *buf_u64_text(uint64_t v, char d[BUF_U64_SIZE]);
/* buf_put_u64 - append v in decimal (no printf: used on the decision path) */
void buf_put_u64(struct buf *b, uint64_t v);
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
