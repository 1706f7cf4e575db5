/* proto - Postfix policy delegation protocol, sans I/O; see proto.h */
#include "autoconfig.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/buf.h"
#include "core/util/mem.h"
#include "core/engine/proto.h"

/*
 * Storage. Every line of the request in progress is appended to one buf as
 * it arrives; when its LF comes the '=' becomes a NUL and the LF a NUL, so
 * the buf ends up holding "name\0value\0name\0value\0...". Stored bytes never
 * exceed the bytes counted against max_request (each line's LF pays for its
 * NUL, a dropped CR is not stored), so the buf's capacity is capped at
 * max_request + 1 and the parser's memory is bounded by max_request plus the
 * two slot arrays (<= max_attributes entries each) and the name index (open
 * addressing, 16-bit entries, the power of two >= 2 * max_attributes).
 *
 * Chunk independence: the result (status, error, attributes) depends only
 * on the byte stream, never on how it was split. Within a segment the first
 * offending byte is located exactly, with the same precedence a byte-by-byte
 * feed would apply: request size, then NUL, then line length.
 */

#define PROTO_DEF_LINE 4096
#define PROTO_DEF_ATTRS 100
#define PROTO_DEF_REQUEST 65536
#define PROTO_SHRINK_OVER 16384	/* release a larger buf on reset */
#define PROTO_MAX_ATTRS 32767	/* the index holds slot numbers in 16 bits */

struct proto_slot {
	size_t name_off;
	size_t name_len;
	size_t value_off;
	size_t value_len;
	size_t index_pos;	/* its entry in the name index (cleared on reset) */
	uint32_t hash;
};

struct proto_parser {
	struct proto_limits lim;
	uint16_t *index;		/* open addressing: slot number + 1, 0 = empty */
	size_t index_mask;		/* index size - 1 (a power of two >= 2 * max_attributes) */
	struct buf store;		/* "name\0value\0..." + the line in progress */
	size_t line_start;		/* offset of the line in progress in store */
	size_t req_bytes;		/* bytes of this request seen, CR/LF included */
	struct proto_slot *slots;
	struct proto_attr *attrs;	/* as many; filled when the request is complete */
	size_t nattrs;
	size_t slots_cap;
	int complete;
	const char *error;		/* non-NULL: in error until reset */
};

#define PROTO_H0 0x9e3779b97f4a7c15u	/* the hash's start */
#define PROTO_HK 0xc2b2ae3d27d4eb4fu	/* its multiplier per word */

/* proto_hash_end - the hash of a name of n bytes from its word state h */
static inline uint32_t proto_hash_end(uint64_t h, size_t n)
{
	h = (h ^ n) * PROTO_H0;
	return (uint32_t)((h ^ (h >> 29)) >> 16);
}

/*
 * proto_hash - a name's index hash, 8 bytes at a time, little-endian words
 * (a collision costs a memcmp); proto_name_scan computes the same as it scans
 */
static uint32_t proto_hash(const char *s, size_t n)
{
	uint64_t h = PROTO_H0;
	size_t len = n;

	for (; n >= 8; s += 8, n -= 8) {
		uint64_t w = 0;

		for (size_t i = 0; i < 8; i++)
			w |= (uint64_t)(unsigned char)s[i] << (8 * i);
		h = (h ^ w) * PROTO_HK;
	}
	if (n > 0) {
		uint64_t w = 0;

		for (size_t i = 0; i < n; i++)	/* no memcpy call for a variable length */
			w |= (uint64_t)(unsigned char)s[i] << (8 * i);
		h = (h ^ w) * PROTO_HK;
	}
	return proto_hash_end(h, len);
}

/* proto_name_char - ALPHA / DIGIT / "_" / "-" */
static const unsigned char proto_name_char[256] = {
	['-'] = 1, ['_'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
	['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1,
	['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1,
	['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1,
	['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1,
	['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
	['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1,
	['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

/* proto_new - a parser; zero limit fields take the defaults */
struct proto_parser *proto_new(const struct proto_limits *lim)
{
	struct proto_parser *p = rw_calloc(1, sizeof(*p));

	if (lim != NULL)
		p->lim = *lim;
	if (p->lim.max_line == 0)
		p->lim.max_line = PROTO_DEF_LINE;
	if (p->lim.max_attributes == 0)
		p->lim.max_attributes = PROTO_DEF_ATTRS;
	if (p->lim.max_request == 0)
		p->lim.max_request = PROTO_DEF_REQUEST;
	if (p->lim.max_request > SIZE_MAX / 4)
		p->lim.max_request = SIZE_MAX / 4;
	/* a line longer than the request cannot be: keeps the sums in range */
	if (p->lim.max_line > p->lim.max_request)
		p->lim.max_line = p->lim.max_request;
	if (p->lim.max_attributes > PROTO_MAX_ATTRS)
		p->lim.max_attributes = PROTO_MAX_ATTRS;
	p->index_mask = 15;
	while (p->index_mask + 1 < 2 * p->lim.max_attributes)
		p->index_mask = p->index_mask * 2 + 1;
	p->index = rw_calloc(p->index_mask + 1, sizeof(*p->index));
	return p;
}

/* proto_reserve - room for n more stored bytes, capacity capped at max_request+1 */
static void proto_reserve(struct proto_parser *p, size_t n)
{
	struct buf *b = &p->store;
	size_t need = b->len + n + 1;
	size_t cap;

	if (need <= b->cap)
		return;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	if (cap > p->lim.max_request + 1)
		cap = p->lim.max_request + 1;
	assert(need <= cap);
	b->data = rw_realloc(b->data, cap);
	b->cap = cap;
}

/* proto_fail - enter the error state */
static enum proto_status proto_fail(struct proto_parser *p, const char *msg,
				    const char **error_r)
{
	p->error = msg;
	*error_r = msg;
	return PROTO_ERROR;
}

/* proto_scan - length of the acceptable prefix of seg; *err if shorter than n */
static size_t proto_scan(const struct proto_parser *p, const char *seg, size_t n,
			 const char **err)
{
	size_t room_req = p->lim.max_request - p->req_bytes;
	size_t line_len = p->store.len - p->line_start;
	size_t room_line = p->lim.max_line + 1 - line_len;	/* +1: a CR */
	size_t bad = n;
	const char *nul;

	*err = NULL;
	if (n > room_req) {
		bad = room_req;
		*err = "request too large";
	}
	nul = memchr(seg, '\0', bad);
	if (nul != NULL) {
		bad = (size_t)(nul - seg);
		*err = "NUL byte";
	}
	if (bad > room_line) {
		bad = room_line;
		*err = "line too long";
	}
	return bad;
}

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define PROTO_ONES UINT64_C(0x0101010101010101)
#define PROTO_HIGH UINT64_C(0x8080808080808080)

/*
 * proto_word_lower - the high bit of each byte of w that is 'a'..'z' or
 * '_' (Postfix's attribute names), exact up to the first byte that is not:
 * a byte >= 0x80 may carry into the bytes after it, never into those before
 */
static inline uint64_t proto_word_lower(uint64_t w)
{
	uint64_t ge_a = w + PROTO_ONES * (0x80 - 'a');
	uint64_t gt_z = w + PROTO_ONES * (0x80 - 'z' - 1);
	uint64_t x = w ^ (PROTO_ONES * '_');
	uint64_t is_us = ~(((x & ~PROTO_HIGH) + ~PROTO_HIGH) | x);

	return ((ge_a & ~gt_z) | is_us) & ~w & PROTO_HIGH;
}
#endif

/*
 * proto_name_scan - the name at the start of line (len bytes): its length
 * up to the '=' and its hash; -1 when there is no '=' (*no_eq set) or the
 * name is empty or not 1*( ALPHA / DIGIT / "_" / "-" ). Names of lower-case
 * letters and '_' are checked and hashed 8 bytes at a time.
 */
static long proto_name_scan(const char *line, size_t len, uint32_t *hash, int *no_eq)
{
	size_t i = 0;

	*no_eq = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (uint64_t h = PROTO_H0; i < len; i += 8) {
		uint64_t w = 0, other;

		if (i + 8 <= len)
			memcpy(&w, line + i, 8);
		else	/* the line's last bytes, NUL-padded (a NUL is no name byte) */
			for (size_t j = 0; j < len - i; j++)
				w |= (uint64_t)(unsigned char)line[i + j] << (8 * j);
		other = ~proto_word_lower(w) & PROTO_HIGH;
		if (other != 0) {
			size_t k = (size_t)__builtin_ctzll(other) / 8;

			if (i + k >= len || line[i + k] != '=' || i + k == 0)
				break;	/* another character: the byte loop decides */
			if (k > 0)
				h = (h ^ (w & ((UINT64_C(1) << (8 * k)) - 1))) * PROTO_HK;
			*hash = proto_hash_end(h, i + k);
			return (long)(i + k);
		}
		h = (h ^ w) * PROTO_HK;
	}
#endif
	for (; i < len && proto_name_char[(unsigned char)line[i]]; i++)
		;
	if (i == len || line[i] != '=') {
		/* the whole-line check comes first: a line without '=' says so */
		*no_eq = memchr(line + i, '=', len - i) == NULL;
		return -1;
	}
	if (i == 0)
		return -1;
	*hash = proto_hash(line, i);
	return (long)i;
}

/* proto_find - slot index of name, or -1; *pos_r: its index position or the free one */
static long proto_find(const struct proto_parser *p, const char *name, size_t n,
		       uint32_t h, size_t *pos_r)
{
	size_t pos = h & p->index_mask;

	for (;; pos = (pos + 1) & p->index_mask) {
		unsigned e = p->index[pos];
		const struct proto_slot *s;

		if (e == 0)
			break;
		s = &p->slots[e - 1];
		if (s->hash == h && s->name_len == n &&
		    memcmp(p->store.data + s->name_off, name, n) == 0) {
			if (pos_r != NULL)
				*pos_r = pos;
			return (long)(e - 1);
		}
	}
	if (pos_r != NULL)
		*pos_r = pos;
	return -1;
}

/* proto_grow_slots - room for one more slot and attr (never past max_attributes) */
static void proto_grow_slots(struct proto_parser *p)
{
	size_t cap;

	if (p->nattrs < p->slots_cap)
		return;
	cap = p->slots_cap ? p->slots_cap * 2 : 16;
	if (cap > p->lim.max_attributes)
		cap = p->lim.max_attributes;
	p->slots = rw_realloc(p->slots, cap * sizeof(*p->slots));
	p->attrs = rw_realloc(p->attrs, cap * sizeof(*p->attrs));
	p->slots_cap = cap;
}

/* proto_finish - the empty line: publish the attributes */
static enum proto_status proto_finish(struct proto_parser *p, const char **error_r)
{
	if (p->nattrs == 0)
		return proto_fail(p, "empty request", error_r);
	for (size_t i = 0; i < p->nattrs; i++) {
		p->attrs[i].name = p->store.data + p->slots[i].name_off;
		p->attrs[i].name_len = p->slots[i].name_len;
		p->attrs[i].value = p->store.data + p->slots[i].value_off;
		p->attrs[i].value_len = p->slots[i].value_len;
		p->attrs[i].name_hash = p->slots[i].hash;
	}
	p->complete = 1;
	return PROTO_REQUEST;
}

/*
 * proto_end_line - an LF arrived: check and index the line in progress.
 * src: the same bytes in the caller's data when the whole line came in
 * this feed, else NULL. The name is scanned there rather than in the copy
 * just written to store: loading words from bytes still in the store
 * buffer stalls the CPU (no store-to-load forwarding across stores).
 */
static enum proto_status proto_end_line(struct proto_parser *p, const char *src,
					const char **error_r)
{
	char *line = p->store.data + p->line_start;
	size_t len = p->store.len - p->line_start;
	struct proto_slot *s;
	size_t nlen, pos;
	uint32_t h = 0;
	long name_len;
	int no_eq;

	if (len > 0 && line[len - 1] == '\r') {
		len--;
		buf_truncate(&p->store, p->line_start + len);
	}
	if (len == 0)
		return proto_finish(p, error_r);
	if (len > p->lim.max_line)
		return proto_fail(p, "line too long", error_r);
	name_len = proto_name_scan(src != NULL ? src : line, len, &h, &no_eq);
	if (no_eq)
		return proto_fail(p, "line without '='", error_r);
	if (name_len < 0)
		return proto_fail(p, "bad attribute name", error_r);
	nlen = (size_t)name_len;
	if (p->nattrs >= p->lim.max_attributes)
		return proto_fail(p, "too many attributes", error_r);
	if (proto_find(p, line, nlen, h, &pos) >= 0)
		return proto_fail(p, "duplicate attribute", error_r);
	proto_grow_slots(p);
	p->index[pos] = (uint16_t)(p->nattrs + 1);
	s = &p->slots[p->nattrs++];
	*s = (struct proto_slot){ p->line_start, nlen, p->line_start + nlen + 1,
				  len - nlen - 1, pos, h };
	line[nlen] = '\0';
	buf_putc(&p->store, '\0');	/* in place of the LF: room is reserved */
	p->line_start = p->store.len;
	return PROTO_NEED_MORE;
}

/* proto_feed_segment - take bytes up to (not including) an LF or the end */
static int proto_feed_segment(struct proto_parser *p, const char *seg, size_t n,
			      size_t *used, const char **error_r)
{
	const char *err;
	size_t ok = proto_scan(p, seg, n, &err);

	if (err != NULL) {
		*used = ok + 1;
		proto_fail(p, err, error_r);
		return -1;
	}
	proto_reserve(p, n);
	buf_append(&p->store, seg, n);
	p->req_bytes += n;
	*used = n;
	return 0;
}

/* proto_feed_lf - count the LF and end the line (src: see proto_end_line) */
static enum proto_status proto_feed_lf(struct proto_parser *p, const char *src,
				       const char **error_r)
{
	if (p->req_bytes >= p->lim.max_request)
		return proto_fail(p, "request too large", error_r);
	p->req_bytes++;
	proto_reserve(p, 1);
	return proto_end_line(p, src, error_r);
}

/* proto_feed - consume bytes up to the end of one request */
enum proto_status proto_feed(struct proto_parser *p, const char *data, size_t len,
			     size_t *consumed, const char **error_r)
{
	size_t pos = 0, used;
	enum proto_status st;

	*consumed = 0;
	if (p->error != NULL)
		return proto_fail(p, p->error, error_r);
	if (p->complete)
		return PROTO_REQUEST;
	while (pos < len) {
		const char *lf = memchr(data + pos, '\n', len - pos);
		size_t seg = lf ? (size_t)(lf - (data + pos)) : len - pos;
		const char *whole = p->line_start == p->store.len ? data + pos : NULL;

		if (proto_feed_segment(p, data + pos, seg, &used, error_r) < 0) {
			*consumed = pos + used;
			return PROTO_ERROR;
		}
		pos += seg;
		if (lf == NULL)
			break;
		pos++;
		st = proto_feed_lf(p, whole, error_r);
		if (st != PROTO_NEED_MORE) {
			*consumed = pos;
			return st;
		}
	}
	*consumed = pos;
	return PROTO_NEED_MORE;
}

/* proto_name_hash - see proto.h */
uint32_t proto_name_hash(const char *name, size_t len)
{
	return proto_hash(name, len);
}

/* proto_get - value of name in the complete request, or NULL */
const char *proto_get(const struct proto_parser *p, const char *name)
{
	size_t n;
	long i;

	if (!p->complete || name == NULL)
		return NULL;
	n = strlen(name);
	i = proto_find(p, name, n, proto_hash(name, n), NULL);
	return i < 0 ? NULL : p->attrs[i].value;
}

/* proto_count - attributes in the complete request (0 before it is) */
size_t proto_count(const struct proto_parser *p)
{
	return p->complete ? p->nattrs : 0;
}

/* proto_attr - attribute i of the complete request, in arrival order */
const struct proto_attr *proto_attr(const struct proto_parser *p, size_t i)
{
	if (!p->complete || i >= p->nattrs)
		return NULL;
	return &p->attrs[i];
}

/* proto_reset - forget the request and any error; keep modest storage */
void proto_reset(struct proto_parser *p)
{
	if (p->store.cap > PROTO_SHRINK_OVER)
		buf_release(&p->store);
	else
		buf_truncate(&p->store, 0);
	for (size_t i = 0; i < p->nattrs; i++)
		p->index[p->slots[i].index_pos] = 0;
	p->line_start = 0;
	p->req_bytes = 0;
	p->nattrs = 0;
	p->complete = 0;
	p->error = NULL;
}

/* proto_free - free the parser and clear *pp */
void proto_free(struct proto_parser **pp)
{
	struct proto_parser *p = *pp;

	if (p == NULL)
		return;
	buf_release(&p->store);
	free(p->index);
	free(p->slots);
	free(p->attrs);
	free(p);
	*pp = NULL;
}
