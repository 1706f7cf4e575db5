/* test_proto - policy protocol parser: table fed whole, byte by byte, in random chunks */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/util/buf.h"
#include "core/engine/proto.h"

/*
 * Every case is a byte stream and the transcript it must produce: each
 * complete request as "[name=value|name=value]", an error as "!message@N"
 * (N = bytes consumed in total, the offending byte included; feeding stops
 * there), and "+" when input ends inside a request. The stream driver
 * resets the parser after each request, so pipelined requests are covered.
 */

#define S(lit) lit, sizeof(lit) - 1

enum feed_mode { FEED_WHOLE, FEED_BYTES, FEED_RANDOM };

struct pcase {
	const char *label;
	struct proto_limits lim;
	const char *in;
	size_t len;
	const char *want;
};

/* A real Postfix 3.8 RCPT request (SMTPD_POLICY_README), joined by SEP. */
#define PF_RCPT(SEP) \
	"request=smtpd_access_policy" SEP "protocol_state=RCPT" SEP \
	"protocol_name=ESMTP" SEP "helo_name=client.example.net" SEP \
	"queue_id=8045F2AB23" SEP "sender=alice@example.test" SEP \
	"recipient=bob@example.org" SEP "recipient_count=0" SEP \
	"client_address=192.0.2.10" SEP "client_name=client.example.net" SEP \
	"reverse_client_name=client.example.net" SEP "instance=123.456.7" SEP \
	"sasl_method=plain" SEP "sasl_username=alice@example.test" SEP \
	"sasl_sender=" SEP "size=12345" SEP "ccert_subject=" SEP "ccert_issuer=" SEP \
	"ccert_fingerprint=" SEP "ccert_pubkey_fingerprint=" SEP \
	"encryption_protocol=TLSv1.3" SEP "encryption_cipher=TLS_AES_256_GCM_SHA384" SEP \
	"encryption_keysize=256" SEP "etrn_domain=" SEP "stress=" SEP \
	"client_port=50123" SEP "policy_context=submission" SEP \
	"server_address=192.0.2.1" SEP "server_port=587" SEP \
	"compatibility_level=3.6" SEP "mail_version=3.8.0"

#define SMALL { 8, 3, 40 }	/* max_line 8, 3 attributes, 40 bytes */
#define REQ20 { 100, 10, 20 }	/* max_request 20 */

static const struct pcase cases[] = {
	{ "postfix rcpt", { 0, 0, 0 }, S(PF_RCPT("\n") "\n\n"), "[" PF_RCPT("|") "]" },
	{ "postfix rcpt crlf", { 0, 0, 0 }, S(PF_RCPT("\r\n") "\r\n\r\n"),
	  "[" PF_RCPT("|") "]" },
	{ "one attribute", { 0, 0, 0 }, S("a=1\n\n"), "[a=1]" },
	{ "empty value", { 0, 0, 0 }, S("sender=\nrecipient=x\n\n"), "[sender=|recipient=x]" },
	{ "value with =", { 0, 0, 0 }, S("a=b=c\n\n"), "[a=b=c]" },
	{ "unknown name kept", { 0, 0, 0 }, S("x-Y_9=v\n\n"), "[x-Y_9=v]" },
	{ "names case-sensitive", { 0, 0, 0 }, S("a=1\nA=2\n\n"), "[a=1|A=2]" },
	{ "inner CR kept", { 0, 0, 0 }, S("a=x\ry\n\n"), "[a=x\ry]" },
	{ "only last CR dropped", { 0, 0, 0 }, S("a=x\r\r\n\n"), "[a=x\r]" },
	{ "mixed LF and CRLF", { 0, 0, 0 }, S("a=1\r\nb=2\n\r\n"), "[a=1|b=2]" },
	{ "8-bit value", { 0, 0, 0 }, S("a=\xc3\xa4\xff\n\n"), "[a=\xc3\xa4\xff]" },
	{ "incomplete request", { 0, 0, 0 }, S("a=1\n"), "+" },
	{ "incomplete line", { 0, 0, 0 }, S("a=1"), "+" },
	{ "pipelined", { 0, 0, 0 }, S("a=1\n\nb=2\r\n\r\nc=3\nd=4\n\n"), "[a=1][b=2][c=3|d=4]" },
	{ "pipelined same names", { 0, 0, 0 }, S("a=1\n\na=2\n\n"), "[a=1][a=2]" },
	{ "pipelined partial", { 0, 0, 0 }, S("a=1\n\nb="), "[a=1]+" },
	{ "pipelined then error", { 0, 0, 0 }, S("a=1\n\n\n"), "[a=1]!empty request@6" },
	{ "empty request", { 0, 0, 0 }, S("\n"), "!empty request@1" },
	{ "empty request crlf", { 0, 0, 0 }, S("\r\n"), "!empty request@2" },
	{ "no =", { 0, 0, 0 }, S("noequals\n\n"), "!line without '='@9" },
	{ "no = stops feeding", { 0, 0, 0 }, S("a\n\nb=1\n\n"), "!line without '='@2" },
	{ "empty name", { 0, 0, 0 }, S("=v\n\n"), "!bad attribute name@3" },
	{ "space in name", { 0, 0, 0 }, S("a b=v\n\n"), "!bad attribute name@6" },
	{ "dot in name", { 0, 0, 0 }, S("a.b=v\n\n"), "!bad attribute name@6" },
	{ "leading space", { 0, 0, 0 }, S(" a=v\n\n"), "!bad attribute name@5" },
	{ "8-bit name", { 0, 0, 0 }, S("\xc3\xa4=v\n\n"), "!bad attribute name@5" },
	{ "CR before name", { 0, 0, 0 }, S("\ra=v\n\n"), "!bad attribute name@5" },
	{ "NUL in value", { 0, 0, 0 }, S("a=b\0c\n\n"), "!NUL byte@4" },
	{ "NUL first", { 0, 0, 0 }, S("\0"), "!NUL byte@1" },
	{ "NUL in name", { 0, 0, 0 }, S("a=1\nb\0=2\n\n"), "!NUL byte@6" },
	{ "duplicate", { 0, 0, 0 }, S("a=1\na=2\n\n"), "!duplicate attribute@8" },
	{ "duplicate later", { 0, 0, 0 }, S("a=1\nb=2\na=3\n\n"), "!duplicate attribute@12" },
	{ "duplicate empty", { 0, 0, 0 }, S("sender=\nsender=\n\n"),
	  "!duplicate attribute@16" },
	/* max_line = 8 */
	{ "line at limit", SMALL, S("abcd=123\n\n"), "[abcd=123]" },
	{ "line at limit crlf", SMALL, S("abcd=123\r\n\r\n"), "[abcd=123]" },
	{ "line one over", SMALL, S("abcd=1234\n\n"), "!line too long@10" },
	{ "line one over crlf", SMALL, S("abcd=1234\r\n\r\n"), "!line too long@10" },
	{ "line two over", SMALL, S("abcd=12345\n\n"), "!line too long@10" },
	{ "line limit per line", SMALL, S("abcd=123\nefgh=567\n\n"), "[abcd=123|efgh=567]" },
	{ "line limit NUL first", SMALL, S("abcd=123\0\n"), "!NUL byte@9" },
	/* max_attributes = 3 */
	{ "attrs at limit", SMALL, S("a=1\nb=2\nc=3\n\n"), "[a=1|b=2|c=3]" },
	{ "attrs one over", SMALL, S("a=1\nb=2\nc=3\nd=4\n\n"), "!too many attributes@16" },
	{ "attrs per request", SMALL, S("a=1\nb=2\nc=3\n\nd=4\ne=5\nf=6\n\n"),
	  "[a=1|b=2|c=3][d=4|e=5|f=6]" },
	/* max_request = 20 */
	{ "request at limit", REQ20, S("abc=12345678901234\n\n"), "[abc=12345678901234]" },
	{ "request at limit crlf", REQ20, S("ab=1234567890123\r\n\r\n"), "[ab=1234567890123]" },
	{ "request one over at LF", REQ20, S("abc=123456789012345\n\n"),
	  "!request too large@21" },
	{ "request one over in line", REQ20, S("abc=1234567890123456789\n\n"),
	  "!request too large@21" },
	{ "request limit per request", REQ20, S("abc=12345678901234\n\nabc=12345678901234\n\n"),
	  "[abc=12345678901234][abc=12345678901234]" },
	{ "request over beats line", { 4, 10, 5 }, S("abcdefg"), "!request too large@6" },
	{ "request over beats NUL", { 100, 10, 4 }, S("a=1\n\0"), "!request too large@5" },
};

/* rng_next - xorshift32: fixed seeds make "random" chunks reproducible */
static uint32_t rng_next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* chunk_size - next chunk length for mode */
static size_t chunk_size(enum feed_mode mode, uint32_t *seed, size_t left)
{
	size_t n = left;

	if (mode == FEED_BYTES)
		n = 1;
	else if (mode == FEED_RANDOM)
		n = 1 + rng_next(seed) % 17;
	return n < left ? n : left;
}

/* transcribe - append the complete request in p to t */
static void transcribe(const struct proto_parser *p, struct buf *t)
{
	size_t n = proto_count(p);

	assert_true(n > 0);
	buf_putc(t, '[');
	for (size_t i = 0; i < n; i++) {
		const struct proto_attr *a = proto_attr(p, i);

		assert_non_null(a);
		assert_int_equal(strlen(a->value), a->value_len);
		assert_int_equal(strlen(a->name), a->name_len);
		assert_ptr_equal(proto_get(p, a->name), a->value);
		buf_printf(t, "%s%s=%s", i ? "|" : "", a->name, a->value);
	}
	assert_null(proto_attr(p, n));
	buf_putc(t, ']');
}

/* run_stream - feed in to a fresh parser in mode; the transcript into t */
static void run_stream(const struct proto_limits *lim, const char *in, size_t len,
		       enum feed_mode mode, uint32_t seed, struct buf *t)
{
	struct proto_parser *p = proto_new(lim);
	size_t off = 0, pending = 0, n, used;
	enum proto_status st = PROTO_NEED_MORE;
	const char *err;

	while (off < len && st != PROTO_ERROR) {
		n = chunk_size(mode, &seed, len - off);
		err = NULL;
		st = proto_feed(p, in + off, n, &used, &err);
		assert_true(used <= n);
		off += used;
		pending += used;
		if (st == PROTO_NEED_MORE) {
			assert_int_equal(used, n);
		} else if (st == PROTO_REQUEST) {
			transcribe(p, t);
			proto_reset(p);
			pending = 0;
		} else {
			assert_non_null(err);
			buf_printf(t, "!%s@%zu", err, off);
		}
	}
	if (st != PROTO_ERROR && pending > 0)
		buf_putc(t, '+');
	proto_free(&p);
	assert_null(p);
}

/* check_all_modes - whole, byte by byte and random chunks all give want */
static void check_all_modes(const char *label, const struct proto_limits *lim,
			    const char *in, size_t len, const char *want)
{
	static const struct {
		enum feed_mode mode;
		uint32_t seed;
	} runs[] = {
		{ FEED_WHOLE, 0 }, { FEED_BYTES, 0 }, { FEED_RANDOM, 1 },
		{ FEED_RANDOM, 0x9e3779b9u }, { FEED_RANDOM, 12345 }, { FEED_RANDOM, 777 },
	};

	for (size_t r = 0; r < sizeof(runs) / sizeof(runs[0]); r++) {
		struct buf t = BUF_INIT;

		run_stream(lim, in, len, runs[r].mode, runs[r].seed, &t);
		if (strcmp(buf_cstr(&t), want) != 0)
			fail_msg("%s (mode %d seed %u): got '%s' want '%s'", label,
				 (int)runs[r].mode, runs[r].seed, buf_cstr(&t), want);
		buf_release(&t);
	}
}

/* test_table - every case of the table in every feeding mode */
static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_all_modes(cases[i].label, &cases[i].lim, cases[i].in, cases[i].len,
				cases[i].want);
}

/* gen_request - n lines "aNNN=xxx" of line_len bytes each (LF excluded), then LF */
static void gen_request(struct buf *in, struct buf *want, size_t n, const size_t *line_len)
{
	buf_putc(want, '[');
	for (size_t i = 0; i < n; i++) {
		size_t start = in->len;

		buf_printf(in, "a%03zu=", i);
		while (in->len - start < line_len[i])
			buf_putc(in, 'x');
		buf_append(want, i ? "|" : "", i ? 1 : 0);
		buf_append(want, in->data + start, in->len - start);
		buf_putc(in, '\n');
	}
	buf_putc(in, '\n');
	buf_putc(want, ']');
}

/* check_generated - n lines of the given lengths, default limits via lim */
static void check_generated(const char *label, const struct proto_limits *lim, size_t n,
			    const size_t *lens, const char *want_err)
{
	struct buf in = BUF_INIT, want = BUF_INIT;

	gen_request(&in, &want, n, lens);
	if (want_err != NULL) {
		buf_truncate(&want, 0);
		buf_puts(&want, want_err);
	}
	check_all_modes(label, lim, in.data, in.len, buf_cstr(&want));
	buf_release(&in);
	buf_release(&want);
}

/* test_default_line - 4096 bytes per line by default, 4097 is too long */
static void test_default_line(void **state)
{
	static const struct proto_limits zero = { 0, 0, 0 };
	size_t lens[2] = { 10, 4096 };

	(void)state;
	check_generated("line 4096", &zero, 2, lens, NULL);
	check_generated("line 4096 (NULL limits)", NULL, 2, lens, NULL);
	lens[1] = 4097;
	/* 11 bytes of line 1, then the 4097-byte line's LF */
	check_generated("line 4097", &zero, 2, lens, "!line too long@4109");
	check_generated("line 4097 (NULL limits)", NULL, 2, lens, "!line too long@4109");
}

/* test_default_attributes - 100 attributes by default, 101 is too many */
static void test_default_attributes(void **state)
{
	size_t lens[101];

	(void)state;
	for (size_t i = 0; i < 101; i++)
		lens[i] = 5;	/* "aNNN=" */
	check_generated("100 attributes", NULL, 100, lens, NULL);
	/* 101 lines of 6 bytes: the error is at the 101st LF */
	check_generated("101 attributes", NULL, 101, lens, "!too many attributes@606");
}

/* test_default_request - 65536 bytes per request by default, 65537 is too large */
static void test_default_request(void **state)
{
	static const struct proto_limits zero = { 0, 0, 0 };
	size_t lens[17];

	(void)state;
	/* 17 lines of 3854 + LF = 65535 bytes, + the final LF = 65536 */
	for (size_t i = 0; i < 17; i++)
		lens[i] = 3854;
	check_generated("request 65536", &zero, 17, lens, NULL);
	lens[16] = 3855;
	check_generated("request 65537", &zero, 17, lens, "!request too large@65537");
}

/* feed_str - feed a C string, expecting status st and consumed bytes */
static void feed_str(struct proto_parser *p, const char *s, enum proto_status st,
		     size_t want_used, const char *want_err)
{
	const char *err = NULL;
	size_t used = 99999;

	assert_int_equal(proto_feed(p, s, strlen(s), &used, &err), st);
	assert_int_equal(used, want_used);
	if (want_err != NULL)
		assert_string_equal(err, want_err);
}

/* test_error_sticks_until_reset - an error repeats until proto_reset */
static void test_error_sticks_until_reset(void **state)
{
	struct proto_parser *p = proto_new(NULL);

	(void)state;
	feed_str(p, "bad line\n", PROTO_ERROR, 9, "line without '='");
	feed_str(p, "a=1\n\n", PROTO_ERROR, 0, "line without '='");
	assert_int_equal(proto_count(p), 0);
	proto_reset(p);
	feed_str(p, "a=1\n\n", PROTO_REQUEST, 5, NULL);
	assert_string_equal(proto_get(p, "a"), "1");
	proto_reset(p);
	/* an error in the middle of a request forgets its attributes */
	feed_str(p, "a=1\nb=2\na=3\n", PROTO_ERROR, 12, "duplicate attribute");
	proto_reset(p);
	feed_str(p, "a=1\nb=2\n\n", PROTO_REQUEST, 9, NULL);
	assert_int_equal(proto_count(p), 2);
	proto_free(&p);
}

/* test_request_stays_until_reset - after REQUEST nothing more is consumed */
static void test_request_stays_until_reset(void **state)
{
	struct proto_parser *p = proto_new(NULL);

	(void)state;
	feed_str(p, "a=1\n\nb=2\n\n", PROTO_REQUEST, 5, NULL);
	feed_str(p, "b=2\n\n", PROTO_REQUEST, 0, NULL);
	assert_string_equal(proto_get(p, "a"), "1");
	assert_null(proto_get(p, "b"));
	proto_reset(p);
	feed_str(p, "b=2\n\n", PROTO_REQUEST, 5, NULL);
	assert_null(proto_get(p, "a"));
	assert_string_equal(proto_get(p, "b"), "2");
	proto_free(&p);
}

/* test_accessors - get/count/attr before, during and after a request */
static void test_accessors(void **state)
{
	struct proto_parser *p = proto_new(NULL);
	const struct proto_attr *a;

	(void)state;
	feed_str(p, "", PROTO_NEED_MORE, 0, NULL);
	feed_str(p, "sender=\nrecipient=x\r\n", PROTO_NEED_MORE, 21, NULL);
	assert_int_equal(proto_count(p), 0);
	assert_null(proto_get(p, "sender"));
	assert_null(proto_attr(p, 0));
	feed_str(p, "zz=a\rb\n\n", PROTO_REQUEST, 8, NULL);
	assert_int_equal(proto_count(p), 3);
	assert_string_equal(proto_get(p, "sender"), "");
	assert_string_equal(proto_get(p, "recipient"), "x");
	assert_null(proto_get(p, "Sender"));
	assert_null(proto_get(p, "send"));
	assert_null(proto_get(p, "senderx"));
	assert_null(proto_get(p, ""));
	a = proto_attr(p, 2);
	assert_non_null(a);
	assert_string_equal(a->name, "zz");
	assert_int_equal(a->value_len, 3);
	assert_memory_equal(a->value, "a\rb", 4);
	assert_null(proto_attr(p, 3));
	proto_reset(p);
	assert_int_equal(proto_count(p), 0);
	assert_null(proto_get(p, "sender"));
	proto_free(&p);
	proto_free(&p);	/* NULL is fine */
}

/* test_many_requests_one_parser - storage reuse over requests of varying size */
static void test_many_requests_one_parser(void **state)
{
	struct proto_parser *p = proto_new(NULL);
	struct buf in = BUF_INIT;
	char name[32];

	(void)state;
	for (size_t r = 0; r < 200; r++) {
		size_t n = 1 + r % 90, used;
		const char *err = NULL;

		buf_truncate(&in, 0);
		for (size_t i = 0; i < n; i++)
			buf_printf(&in, "n%zu=%zu%*s\n", i, r, (int)((r * 37 + i) % 400), "v");
		buf_putc(&in, '\n');
		assert_int_equal(proto_feed(p, in.data, in.len, &used, &err), PROTO_REQUEST);
		assert_int_equal(used, in.len);
		assert_int_equal(proto_count(p), n);
		snprintf(name, sizeof(name), "n%zu", n - 1);
		assert_non_null(proto_get(p, name));
		assert_int_equal(strtoul(proto_get(p, "n0"), NULL, 10), r);
		proto_reset(p);
	}
	buf_release(&in);
	proto_free(&p);
}

/*
 * test_index_collisions - names alike in length, prefix and suffix are
 * told apart; a full index (the attribute limit) still finds every name
 * and refuses a duplicate; reset clears it
 */
static void test_index_collisions(void **state)
{
	struct proto_limits lim = { .max_attributes = 64 };
	struct proto_parser *p = proto_new(&lim);
	struct buf in = BUF_INIT;
	char name[40];

	(void)state;
	for (int i = 0; i < 64; i++)
		buf_printf(&in, "ccert_fi%02dgerprint=%d\n", i, i);
	buf_putc(&in, '\n');
	feed_str(p, buf_cstr(&in), PROTO_REQUEST, in.len, NULL);
	for (int i = 0; i < 64; i++) {
		snprintf(name, sizeof(name), "ccert_fi%02dgerprint", i);
		assert_int_equal(strtol(proto_get(p, name), NULL, 10), i);
	}
	assert_null(proto_get(p, "ccert_fi64gerprint"));
	assert_null(proto_get(p, "ccert_fingerprint"));
	proto_reset(p);
	buf_truncate(&in, 0);
	for (int i = 0; i < 40; i++)
		buf_printf(&in, "ccert_fi%02dgerprint=%d\n", i, i);
	buf_puts(&in, "ccert_fi17gerprint=again\n");
	feed_str(p, buf_cstr(&in), PROTO_ERROR, in.len, "duplicate attribute");
	proto_reset(p);
	feed_str(p, "a=1\n\n", PROTO_REQUEST, 5, NULL);	/* the index was cleared */
	assert_null(proto_get(p, "ccert_fi17gerprint"));
	assert_string_equal(proto_get(p, "a"), "1");
	buf_release(&in);
	proto_free(&p);
}

/*
 * test_name_paths - a name is found and a duplicate refused whichever way
 * it was scanned: 8 bytes at a time (lower case and '_', a line of 8 bytes
 * or more) or byte by byte (digits, upper case, '-', shorter lines), at
 * every name length around the word size
 */
static void test_name_paths(void **state)
{
	static const char *const alphabets[] = { "abcdefghijklmnopqrstuvwxyz_", "a1b2c3d4e5",
						 "Ab_Cd-eF", "a-b_c-d_e" };
	struct proto_parser *p = proto_new(NULL);
	struct buf in = BUF_INIT, name = BUF_INIT;

	(void)state;
	for (size_t a = 0; a < sizeof(alphabets) / sizeof(alphabets[0]); a++) {
		for (size_t n = 1; n <= 26; n++) {
			buf_truncate(&name, 0);
			for (size_t i = 0; i < n; i++)
				buf_putc(&name, alphabets[a][i % strlen(alphabets[a])]);
			/* short value first (byte loop when the line is short), then a long one */
			buf_truncate(&in, 0);
			buf_printf(&in, "%s=\nx=1\n\n", buf_cstr(&name));
			feed_str(p, buf_cstr(&in), PROTO_REQUEST, in.len, NULL);
			assert_string_equal(proto_get(p, buf_cstr(&name)), "");
			proto_reset(p);
			buf_truncate(&in, 0);
			buf_printf(&in, "%s=\n%s=a long value, longer than a word\n", buf_cstr(&name),
				   buf_cstr(&name));
			feed_str(p, buf_cstr(&in), PROTO_ERROR, in.len, "duplicate attribute");
			proto_reset(p);
			buf_truncate(&in, 0);
			buf_printf(&in, "%s=a long value, longer than a word\n%s=\n", buf_cstr(&name),
				   buf_cstr(&name));
			feed_str(p, buf_cstr(&in), PROTO_ERROR, in.len, "duplicate attribute");
			proto_reset(p);
			buf_truncate(&in, 0);
			buf_printf(&in, "%s=a long value, longer than a word\n\n", buf_cstr(&name));
			feed_str(p, buf_cstr(&in), PROTO_REQUEST, in.len, NULL);
			assert_string_equal(proto_get(p, buf_cstr(&name)),
					    "a long value, longer than a word");
			buf_putc(&name, 'x');	/* one byte more is another name */
			assert_null(proto_get(p, buf_cstr(&name)));
			proto_reset(p);
		}
	}
	/* a bad byte in the first word, after it, and a name of bytes >= 0x80 */
	feed_str(p, "abcdefghij\x80k=1\n", PROTO_ERROR, 15, "bad attribute name");
	proto_reset(p);
	feed_str(p, "abcd.efghijk=1\n", PROTO_ERROR, 15, "bad attribute name");
	proto_reset(p);
	feed_str(p, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9=1\n", PROTO_ERROR, 11, "bad attribute name");
	proto_reset(p);
	feed_str(p, "=abcdefghijk\n", PROTO_ERROR, 13, "bad attribute name");
	buf_release(&in);
	buf_release(&name);
	proto_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_collisions),
		cmocka_unit_test(test_name_paths),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_default_line),
		cmocka_unit_test(test_default_attributes),
		cmocka_unit_test(test_default_request),
		cmocka_unit_test(test_error_sticks_until_reset),
		cmocka_unit_test(test_request_stays_until_reset),
		cmocka_unit_test(test_accessors),
		cmocka_unit_test(test_many_requests_one_parser),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
