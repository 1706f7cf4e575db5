/* json - JSON text writer; see json.h */
#include "autoconfig.h"

#include <inttypes.h>
#include <string.h>

#include "core/util/json.h"

/* json_utf8_len - length of the valid UTF-8 sequence at p (n bytes left), or 0 */
static size_t json_utf8_len(const unsigned char *p, size_t n)
{
	uint32_t cp;
	size_t len;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* json_escape - one byte below 0x80 that needs escaping, else 0 */
static const char *json_escape(unsigned char c)
{
	static const char *const named[] = { ['\b'] = "\\b", ['\t'] = "\\t", ['\n'] = "\\n",
					     ['\f'] = "\\f", ['\r'] = "\\r" };

	if (c == '"')
		return "\\\"";
	if (c == '\\')
		return "\\\\";
	if (c < sizeof(named) / sizeof(named[0]) && named[c] != NULL)
		return named[c];
	return NULL;
}

/* json_plain - the bytes copied as they are: printable ASCII but '"' and '\\' */
static const unsigned char json_plain[256] = {
#define JSON_P4(c) [c] = 1, [c + 1] = 1, [c + 2] = 1, [c + 3] = 1
#define JSON_P16(c) JSON_P4(c), JSON_P4(c + 4), JSON_P4(c + 8), JSON_P4(c + 12)
	[0x20] = 1, [0x21] = 1, /* '"' */ [0x23] = 1, JSON_P4(0x24), JSON_P4(0x28),
	JSON_P4(0x2c), JSON_P16(0x30), JSON_P16(0x40), JSON_P4(0x50), JSON_P4(0x54),
	JSON_P4(0x58), /* '\\' */ [0x5d] = 1, [0x5e] = 1, [0x5f] = 1, JSON_P16(0x60),
	JSON_P4(0x70), JSON_P4(0x74), JSON_P4(0x78), [0x7c] = 1, [0x7d] = 1, [0x7e] = 1,
#undef JSON_P16
#undef JSON_P4
};

/* json_str - a JSON string: runs of plain bytes copied at once */
void json_str(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (s == NULL) {
		buf_append(b, BUF_LIT("null"));
		return;
	}
	buf_putc(b, '"');
	for (;;) {
		const unsigned char *run = p;
		const char *esc;
		size_t u;

		while (json_plain[*p])	/* stops at the NUL too */
			p++;
		buf_append(b, run, (size_t)(p - run));
		if (*p == '\0')
			break;
		/* a sequence ends at the first byte that does not continue it: never past the NUL */
		if (*p >= 0x80 && (u = json_utf8_len(p, 4)) > 0) {
			buf_append(b, p, u);
			p += u;
			continue;
		}
		if (*p >= 0x80)
			buf_putc(b, '?');
		else if ((esc = json_escape(*p)) != NULL)
			buf_puts(b, esc);
		else
			buf_printf(b, "\\u%04x", *p);
		p++;
	}
	buf_putc(b, '"');
}

/* json_uint - decimal */
void json_uint(struct buf *b, uint64_t v)
{
	buf_put_u64(b, v);
}

/* json_bool - true/false */
void json_bool(struct buf *b, int v)
{
	buf_puts(b, v ? "true" : "false");
}
