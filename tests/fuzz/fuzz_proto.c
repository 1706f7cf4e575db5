/*
 * fuzz_proto - the policy protocol parser over arbitrary byte streams.
 *
 * The input is a stream of pipelined requests. It is fed three ways: whole,
 * split in two at a position derived from the first byte, and in small
 * chunks whose size comes from the last byte. Each way yields a transcript
 * (every request's attributes, then the error and where it happened); the
 * three must be identical, and every request must satisfy the parser's
 * contract: 1..max_attributes attributes, names non-empty and of the name
 * alphabet, unique, values without LF or NUL of the stated length, at most
 * max_request bytes consumed. Limits are small so the fuzzer reaches them;
 * the first byte's low bit picks one of two sets. Any violation aborts.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/buf.h"
#include "core/engine/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct proto_limits fuzz_limits[2] = {
	{ 256, 40, 2048 },	/* room for a real Postfix request */
	{ 16, 3, 64 },		/* every limit within a few bytes */
};

static const char *const known_errors[] = {
	"line too long", "too many attributes", "request too large", "line without '='",
	"bad attribute name", "NUL byte", "duplicate attribute", "empty request",
};

/* fuzz_check - abort unless cond */
static void fuzz_check(int cond)
{
	if (!cond)
		abort();
}

/* fuzz_name_ok - name is 1*( ALPHA / DIGIT / "_" / "-" ) */
static int fuzz_name_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

/* fuzz_request - check a complete request and append it to the transcript */
static void fuzz_request(const struct proto_parser *p, const struct proto_limits *lim,
			 size_t req_bytes, struct buf *t)
{
	size_t n = proto_count(p);

	fuzz_check(n >= 1 && n <= lim->max_attributes);
	fuzz_check(req_bytes <= lim->max_request);
	buf_printf(t, "[%zu:", n);
	for (size_t i = 0; i < n; i++) {
		const struct proto_attr *a = proto_attr(p, i);

		fuzz_check(a != NULL && fuzz_name_ok(a->name));
		fuzz_check(strlen(a->value) == a->value_len);
		fuzz_check(strlen(a->name) == a->name_len);
		fuzz_check(memchr(a->value, '\n', a->value_len) == NULL);
		fuzz_check(strlen(a->name) + 1 + a->value_len <= lim->max_line);
		/* unique names: the lookup finds this very attribute */
		fuzz_check(proto_get(p, a->name) == a->value);
		buf_puts(t, a->name);
		buf_putc(t, '=');
		buf_append(t, a->value, a->value_len + 1);	/* with its NUL: unambiguous */
	}
	fuzz_check(proto_attr(p, n) == NULL);
	buf_putc(t, ']');
}

/* fuzz_error - check an error message and append it to the transcript */
static void fuzz_error(const char *err, size_t at, struct buf *t)
{
	int known = 0;

	fuzz_check(err != NULL);
	for (size_t i = 0; i < sizeof(known_errors) / sizeof(known_errors[0]); i++)
		known |= err == known_errors[i] || strcmp(err, known_errors[i]) == 0;
	fuzz_check(known);
	buf_printf(t, "!%s@%zu", err, at);
}

/* fuzz_run - feed data in chunks (first chunk first, then step bytes at a time) */
static void fuzz_run(const struct proto_limits *lim, const uint8_t *data, size_t size,
		     size_t first, size_t step, struct buf *t)
{
	struct proto_parser *p = proto_new(lim);
	enum proto_status st = PROTO_NEED_MORE;
	size_t off = 0, start = 0;

	while (off < size && st != PROTO_ERROR) {
		size_t n = off == 0 && first > 0 ? first : step, used = n + 1;
		const char *err = NULL;

		if (n > size - off)
			n = size - off;
		st = proto_feed(p, (const char *)data + off, n, &used, &err);
		fuzz_check(used <= n && (st != PROTO_NEED_MORE || used == n));
		off += used;
		if (st == PROTO_REQUEST) {
			fuzz_request(p, lim, off - start, t);
			proto_reset(p);
			start = off;
		} else if (st == PROTO_ERROR) {
			fuzz_error(err, off, t);
			fuzz_check(proto_count(p) == 0 && proto_get(p, "a") == NULL);
		}
	}
	proto_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct proto_limits *lim;
	struct buf whole = BUF_INIT, split = BUF_INIT, chunks = BUF_INIT;

	if (size == 0)
		return 0;
	lim = &fuzz_limits[data[0] & 1];
	fuzz_run(lim, data, size, 0, size, &whole);
	fuzz_run(lim, data, size, (size_t)data[0] * size / 256, size, &split);
	fuzz_run(lim, data, size, 0, 1 + data[size - 1] % 7, &chunks);
	fuzz_check(whole.len == split.len && whole.len == chunks.len);
	fuzz_check(whole.len == 0 || (memcmp(whole.data, split.data, whole.len) == 0 &&
				      memcmp(whole.data, chunks.data, whole.len) == 0));
	buf_release(&whole);
	buf_release(&split);
	buf_release(&chunks);
	return 0;
}
