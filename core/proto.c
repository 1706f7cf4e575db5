/* proto - Postfix policy delegation protocol, sans I/O; see proto.h */
#include "autoconfig.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "core/proto.h"

/*
 * Storage. Every line of the request in progress is appended to one buf as
 * it arrives; when its LF comes the '=' becomes a NUL and the LF a NUL, so
 * the buf ends up holding "name\0value\0name\0value\0...". Stored bytes never
 * exceed the bytes counted against max_request (each line's LF pays for its
 * NUL, a dropped CR is not stored), so the buf's capacity is capped at
 * max_request + 1 and the parser's memory is bounded by max_request plus the
 * two index arrays (<= max_attributes entries each).
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

struct proto_slot {
	size_t name_off;
	size_t name_len;
	size_t value_off;
	size_t value_len;
	uint32_t hash;
};

struct proto_parser {
	struct proto_limits lim;
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

/* proto_hash - FNV-1a of a name */
static uint32_t proto_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

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

/* proto_name_ok - name = 1*( ALPHA / DIGIT / "_" / "-" ) */
static int proto_name_ok(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* proto_find - slot index of name, or -1 */
static long proto_find(const struct proto_parser *p, const char *name, size_t n,
		       uint32_t h)
{
	for (size_t i = 0; i < p->nattrs; i++) {
		const struct proto_slot *s = &p->slots[i];

		if (s->hash == h && s->name_len == n &&
		    memcmp(p->store.data + s->name_off, name, n) == 0)
			return (long)i;
	}
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
		p->attrs[i].value = p->store.data + p->slots[i].value_off;
		p->attrs[i].value_len = p->slots[i].value_len;
	}
	p->complete = 1;
	return PROTO_REQUEST;
}

/* proto_end_line - an LF arrived: check and index the line in progress */
static enum proto_status proto_end_line(struct proto_parser *p, const char **error_r)
{
	char *line = p->store.data + p->line_start;
	size_t len = p->store.len - p->line_start;
	struct proto_slot *s;
	const char *eq;
	size_t nlen;
	uint32_t h;

	if (len > 0 && line[len - 1] == '\r') {
		len--;
		buf_truncate(&p->store, p->line_start + len);
	}
	if (len == 0)
		return proto_finish(p, error_r);
	if (len > p->lim.max_line)
		return proto_fail(p, "line too long", error_r);
	eq = memchr(line, '=', len);
	if (eq == NULL)
		return proto_fail(p, "line without '='", error_r);
	nlen = (size_t)(eq - line);
	if (!proto_name_ok(line, nlen))
		return proto_fail(p, "bad attribute name", error_r);
	if (p->nattrs >= p->lim.max_attributes)
		return proto_fail(p, "too many attributes", error_r);
	h = proto_hash(line, nlen);
	if (proto_find(p, line, nlen, h) >= 0)
		return proto_fail(p, "duplicate attribute", error_r);
	proto_grow_slots(p);
	s = &p->slots[p->nattrs++];
	*s = (struct proto_slot){ p->line_start, nlen, p->line_start + nlen + 1,
				  len - nlen - 1, h };
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

/* proto_feed_lf - count the LF and end the line */
static enum proto_status proto_feed_lf(struct proto_parser *p, const char **error_r)
{
	if (p->req_bytes >= p->lim.max_request)
		return proto_fail(p, "request too large", error_r);
	p->req_bytes++;
	proto_reserve(p, 1);
	return proto_end_line(p, error_r);
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

		if (proto_feed_segment(p, data + pos, seg, &used, error_r) < 0) {
			*consumed = pos + used;
			return PROTO_ERROR;
		}
		pos += seg;
		if (lf == NULL)
			break;
		pos++;
		st = proto_feed_lf(p, error_r);
		if (st != PROTO_NEED_MORE) {
			*consumed = pos;
			return st;
		}
	}
	*consumed = pos;
	return PROTO_NEED_MORE;
}

/* proto_get - value of name in the complete request, or NULL */
const char *proto_get(const struct proto_parser *p, const char *name)
{
	size_t n;
	long i;

	if (!p->complete || name == NULL)
		return NULL;
	n = strlen(name);
	i = proto_find(p, name, n, proto_hash(name, n));
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
	free(p->slots);
	free(p->attrs);
	free(p);
	*pp = NULL;
}
