/* termsafe - printable text from untrusted strings; see termsafe.h */
#include "autoconfig.h"

#include <string.h>

#include "cli/termsafe.h"

/* termsafe_utf8_len - length of the well-formed UTF-8 sequence at p (1-4), 0 if none */
static size_t termsafe_utf8_len(const unsigned char *p)
{
	unsigned c = p[0];
	size_t n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c <= 0xdf ? 2 : 0;

	if (c >= 0xf5 || n == 0)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	/* overlong three- and four-byte forms, surrogates, above U+10FFFF */
	if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) ||
	    (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
		return 0;
	return n;
}

void termsafe_append(struct buf *out, const char *s, const char *keep)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		size_t n;

		if (*p < 0x80) {
			int ctl = (*p < 0x20 && strchr(keep, *p) == NULL) || *p == 0x7f;

			buf_putc(out, ctl ? '?' : *p);
			p++;
			continue;
		}
		n = termsafe_utf8_len(p);
		if (n == 0 || (p[0] == 0xc2 && p[1] <= 0x9f))	/* not UTF-8, or C1 */
			buf_putc(out, '?');
		else
			buf_append(out, p, n);
		p += n > 0 ? n : 1;
	}
}
