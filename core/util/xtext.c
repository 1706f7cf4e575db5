/* xtext - RFC 3461 xtext decoding; see xtext.h */
#include "autoconfig.h"

#include "core/util/xtext.h"

/* xtext_hex - value of one hex digit (either case), or -1 */
static int xtext_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* xtext_decode - see xtext.h */
int xtext_decode(const char *s, struct buf *out)
{
	size_t start = out->len;
	int hi, lo, c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c == '+') {
			if ((hi = xtext_hex(s[1])) < 0 || (lo = xtext_hex(s[2])) < 0)
				goto bad;
			c = hi * 16 + lo;
			s += 2;
		}
		if (c < 0x20 || c == 0x7f)
			goto bad;
		buf_putc(out, c);
	}
	return 0;
bad:
	buf_truncate(out, start);
	return -1;
}
