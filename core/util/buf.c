/* buf - growable, length-tracked byte buffer; see buf.h */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
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
	if (need <= b->cap && b->data != NULL)	/* a zeroed buf has no storage yet */
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

/* buf_simple_format - fmt's conversions are only %s %c %d %u %ld %lu %zu %% */
static int buf_simple_format(const char *fmt)
{
	for (const char *p = fmt; (p = strchr(p, '%')) != NULL; p++) {
		p++;
		if (*p == 'l' || *p == 'z') {
			p++;
			if (*p != 'd' && *p != 'u')
				return 0;
		} else if (*p == '\0' || strchr("scdu%", *p) == NULL) {
			return 0;
		}
	}
	return 1;
}

/* buf_put_i64 - v in decimal, with its sign */
static void buf_put_i64(struct buf *b, int64_t v)
{
	if (v < 0) {
		buf_putc(b, '-');
		buf_put_u64(b, (uint64_t)0 - (uint64_t)v);
	} else {
		buf_put_u64(b, (uint64_t)v);
	}
}

/* buf_vformat_simple - append fmt (buf_simple_format holds) without vsnprintf */
static void buf_vformat_simple(struct buf *b, const char *fmt, va_list ap)
{
	const char *p = fmt, *pct;

	while ((pct = strchr(p, '%')) != NULL) {
		const char *s;

		buf_append(b, p, (size_t)(pct - p));
		p = pct + 2;
		switch (pct[1]) {
		case 's':
			s = va_arg(ap, const char *);
			buf_puts(b, s != NULL ? s : "(null)");	/* as glibc prints it */
			break;
		case 'c':
			buf_putc(b, (unsigned char)va_arg(ap, int));
			break;
		case 'd':
			buf_put_i64(b, va_arg(ap, int));
			break;
		case 'u':
			buf_put_u64(b, va_arg(ap, unsigned));
			break;
		case 'l':
			p++;
			if (pct[2] == 'd')
				buf_put_i64(b, va_arg(ap, long));
			else
				buf_put_u64(b, va_arg(ap, unsigned long));
			break;
		case 'z':
			p++;
			if (pct[2] == 'd')
				buf_put_i64(b, va_arg(ap, ssize_t));
			else
				buf_put_u64(b, va_arg(ap, size_t));
			break;
		default:	/* '%' */
			buf_putc(b, '%');
			break;
		}
	}
	buf_puts(b, p);
}

/*
 * buf_vprintf - append formatted text: the simple conversions (decision
 * traces and replies) without vsnprintf, others in one vsnprintf pass
 * when it fits
 */
void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	size_t room;
	int n;

	if (buf_simple_format(fmt)) {
		buf_vformat_simple(b, fmt, ap);
		return;
	}
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
