/* buf - growable, length-tracked byte buffer; see buf.h */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/buf.h"
#include "core/util/mem.h"

/* buf_grow - make room for n more bytes plus the NUL */
void buf_grow(struct buf *b, size_t n)
{
	size_t need, cap;

	if (n > (size_t)-1 / 2 - b->len - 1)
		abort();	/* would overflow: a programming error, not input */
	need = b->len + n + 1;
	if (need <= b->cap)
		return;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	b->data = rw_realloc(b->data, cap);
	b->cap = cap;
}

/* buf_u64_text - v in decimal at the end of d */
const char *buf_u64_text(uint64_t v, char d[BUF_U64_SIZE])
{
	size_t i = BUF_U64_SIZE - 1;

	d[i] = '\0';
	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	return d + i;
}

/* buf_put_u64 - append v in decimal */
void buf_put_u64(struct buf *b, uint64_t v)
{
	char d[BUF_U64_SIZE];
	const char *s = buf_u64_text(v, d);

	buf_append(b, s, (size_t)(d + BUF_U64_SIZE - 1 - s));
}

/* buf_vprintf - append formatted text (one vsnprintf pass when it fits) */
void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	size_t room;
	int n;

	buf_grow(b, 63);
	room = b->cap - b->len;
	va_copy(aq, ap);
	n = vsnprintf(b->data + b->len, room, fmt, aq);
	va_end(aq);
	if (n < 0)
		abort();	/* bad format: programming error */
	if ((size_t)n >= room) {
		buf_grow(b, (size_t)n);
		vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	}
	b->len += (size_t)n;
}

/* buf_printf - append formatted text */
void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

/* buf_truncate - shorten to len */
void buf_truncate(struct buf *b, size_t len)
{
	if (len >= b->len)
		return;
	b->len = len;
	b->data[len] = '\0';
}

/* buf_cstr - contents as a C string */
const char *buf_cstr(const struct buf *b)
{
	return b->data ? b->data : "";
}

/* buf_detach - give the storage away */
char *buf_detach(struct buf *b)
{
	char *p = b->data ? b->data : rw_strdup("");

	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

/* buf_release - free and zero */
void buf_release(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
