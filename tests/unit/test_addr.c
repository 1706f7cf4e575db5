/*
 * test_addr - envelope address parsing and relay-trick flags (core/addr).
 *
 * Strictness decisions pinned here (see core/engine/addr.c): leading/trailing
 * hyphens in labels, underscores, an all-numeric last label, an empty
 * quoted local part, unknown address-literal tags and malformed UTF-8 are
 * errors; a bare local part is accepted with ADDR_F_NO_DOMAIN.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/engine/addr.h"
#include "core/util/buf.h"

#define QU ADDR_F_QUOTED
#define LIT ADDR_F_LITERAL
#define SR ADDR_F_SOURCE_ROUTE
#define PCT ADDR_F_PERCENT
#define BANG ADDR_F_BANG
#define AT ADDR_F_AT_IN_LOCAL
#define NOD ADDR_F_NO_DOMAIN

struct ok_case {
	const char *in;
	const char *local;
	const char *domain;
	unsigned flags;
};

static const struct ok_case ok_cases[] = {
	/* plain forms, brackets, case and the trailing dot */
	{ "user@example.test", "user", "example.test", 0 },
	{ "<user@example.test>", "user", "example.test", 0 },
	{ "User.Name@Example.TEST", "User.Name", "example.test", 0 },
	{ "user@example.TEST.", "user", "example.test", 0 },
	{ "<user@EXAMPLE.test.>", "user", "example.test", 0 },
	{ "first.last@sub.example.test", "first.last", "sub.example.test", 0 },
	{ "a+tag@example.test", "a+tag", "example.test", 0 },
	{ "#$&'*+-/=?^_`{|}~@example.test", "#$&'*+-/=?^_`{|}~", "example.test", 0 },
	{ "user@localhost", "user", "localhost", 0 },
	{ "user@sub-domain.example.test", "user", "sub-domain.example.test", 0 },
	{ "user@a--b.example", "user", "a--b.example", 0 },
	{ "user@123.example", "user", "123.example", 0 },
	{ "user@xn--bcher-kva.example", "user", "xn--bcher-kva.example", 0 },
	/* SMTPUTF8: UTF-8 in local part and domain (case of non-ASCII kept) */
	{ "j\xc3\xb6rg@B\xc3\xbc" "cher.example", "j\xc3\xb6rg", "b\xc3\xbc" "cher.example", 0 },
	{ "\xe2\x82\xac@example.test", "\xe2\x82\xac", "example.test", 0 },
	/* the null sender */
	{ "", "", "", ADDR_F_NULL },
	{ "<>", "", "", ADDR_F_NULL },
	/* bare local parts */
	{ "postmaster", "postmaster", "", NOD },
	{ "<Postmaster>", "Postmaster", "", NOD },
	{ "\"postmaster\"", "postmaster", "", NOD | QU },
	{ "user%host", "user%host", "", NOD | PCT },
	{ "a!b!c", "a!b!c", "", NOD | BANG },
	/* relay tricks: percent hack, bang path */
	{ "user%remote@example.test", "user%remote", "example.test", PCT },
	{ "user%remote.test%relay.test@example.test", "user%remote.test%relay.test",
	  "example.test", PCT },
	{ "remote!user@example.test", "remote!user", "example.test", BANG },
	{ "a!b%c@example.test", "a!b%c", "example.test", BANG | PCT },
	/* source routes */
	{ "@a,@b:user@c", "user", "c", SR },
	{ "<@a:user@c>", "user", "c", SR },
	{ "<@a.example,@B.example.:User@C.Example>", "User", "c.example", SR },
	{ "<@a:\"q r\"@c>", "q r", "c", SR | QU },
	{ "<@a:user%x@c>", "user%x", "c", SR | PCT },
	/* quoted local parts */
	{ "\"user@remote\"@example.test", "user@remote", "example.test", QU | AT },
	{ "\"a%b\"@example.test", "a%b", "example.test", QU | PCT },
	{ "\"a!b\"@example.test", "a!b", "example.test", QU | BANG },
	{ "\"a\\@b\"@example.test", "a@b", "example.test", QU | AT },
	{ "\"john doe\"@example.test", "john doe", "example.test", QU },
	{ "\"plain\"@example.test", "plain", "example.test", QU },
	{ "\"a\\\"b\"@example.test", "a\"b", "example.test", QU },
	{ "\"a\\\\b\"@example.test", "a\\b", "example.test", QU },
	{ "\"\\x\"@example.test", "x", "example.test", QU },
	{ "\"a..b\"@example.test", "a..b", "example.test", QU },
	{ "\".a (b) <c>\"@example.test", ".a (b) <c>", "example.test", QU },
	{ "<\"x y\"@Example.TEST.>", "x y", "example.test", QU },
	{ "\"j\xc3\xb6rg\"@example.test", "j\xc3\xb6rg", "example.test", QU },
	/* '@' in an unquoted local part: the domain follows the last '@' */
	{ "user@a@b", "user@a", "b", AT },
	{ "user@a.test@b.test", "user@a.test", "b.test", AT },
	{ "a@b@c@example.test", "a@b@c", "example.test", AT },
	{ "user@a@[192.0.2.1]", "user@a", "192.0.2.1", AT | LIT },
	/* address literals */
	{ "user@[192.0.2.1]", "user", "192.0.2.1", LIT },
	{ "<user@[192.0.2.1]>", "user", "192.0.2.1", LIT },
	{ "user@[IPv6:2001:db8::1]", "user", "ipv6:2001:db8::1", LIT },
	{ "user@[ipv6:2001:DB8::1]", "user", "ipv6:2001:db8::1", LIT },
	{ "user@[IPv6:::ffff:192.0.2.1]", "user", "ipv6:::ffff:192.0.2.1", LIT },
	{ "\"a b\"@[192.0.2.1]", "a b", "192.0.2.1", QU | LIT },
};

struct err_case {
	const char *in;
	size_t len;		/* 0: strlen(in) */
	const char *error;
};

static const struct err_case err_cases[] = {
	/* missing parts */
	{ "user@", 0, "empty domain" },
	{ "user@.", 0, "empty domain" },
	{ "<user@>", 0, "empty domain" },
	{ "user@a@", 0, "empty domain" },
	{ "\"a\"@", 0, "empty domain" },
	{ "@example.test", 0, "empty local part" },
	{ "<@example.test>", 0, "empty local part" },
	{ "\"\"@example.test", 0, "empty local part" },
	{ "\"\"", 0, "empty local part" },
	{ "user@@example.test", 0, "misplaced '@' in local part" },
	{ "@a@example.test", 0, "misplaced '@' in local part" },
	{ "@a,@b", 0, "misplaced '@' in local part" },
	/* dots */
	{ "a..b@example.test", 0, "misplaced dot in local part" },
	{ ".a@example.test", 0, "misplaced dot in local part" },
	{ "a.@example.test", 0, "misplaced dot in local part" },
	{ ".@example.test", 0, "misplaced dot in local part" },
	{ "a.@b@example.test", 0, "misplaced dot in local part" },
	{ "user@example..test", 0, "empty label in domain" },
	{ "user@.example.test", 0, "empty label in domain" },
	{ "user@example.test..", 0, "empty label in domain" },
	/* bad domains */
	{ "user@exa mple.test", 0, "bad character in domain" },
	{ "user@ex_ample.test", 0, "bad character in domain" },
	{ "user@example.test ", 0, "bad character in domain" },
	{ "user@exam\x7fple.test", 0, "bad character in domain" },
	{ "user@example.test]", 0, "bad character in domain" },
	{ "user@exa(mple).test", 0, "bad character in domain" },
	{ "user@-x.test", 0, "misplaced hyphen in domain" },
	{ "user@x-.test", 0, "misplaced hyphen in domain" },
	{ "user@example.-test", 0, "misplaced hyphen in domain" },
	{ "user@192.0.2.1", 0, "all-numeric top-level domain label" },
	{ "user@example.123", 0, "all-numeric top-level domain label" },
	/* address literals */
	{ "user@[192.0.2.256]", 0, "bad address literal" },
	{ "user@[192.0.2]", 0, "bad address literal" },
	{ "user@[IPv6:2001:db8::g]", 0, "bad address literal" },
	{ "user@[2001:db8::1]", 0, "bad address literal" },
	{ "user@[IPv6:192.0.2.1]", 0, "bad address literal" },
	{ "user@[x-tag:abc]", 0, "bad address literal" },
	{ "user@[]", 0, "bad address literal" },
	{ "user@[ 192.0.2.1]", 0, "bad address literal" },
	{ "user@x[192.0.2.1]", 0, "bad character in domain" },
	{ "x[192.0.2.1]", 0, "bad character in local part" },
	{ "user@[192.0.2.1", 0, "unbalanced '[' in domain" },
	{ "user@[192.0.2.1]x", 0, "unbalanced '[' in domain" },
	{ "user@[192.0.2.1].", 0, "unbalanced '[' in domain" },
	/* quotes */
	{ "\"unbalanced@example.test", 0, "unbalanced quote in local part" },
	{ "\"a\\", 0, "unbalanced quote in local part" },
	{ "\"a\\\"@example.test", 0, "unbalanced quote in local part" },
	{ "unbalanced\"@example.test", 0, "bad character in local part" },
	{ "a.\"b\"@example.test", 0, "bad character in local part" },
	{ "\"a\"b@example.test", 0, "bad character after quoted local part" },
	{ "\"a\".b@example.test", 0, "bad character after quoted local part" },
	{ "\"a\x01" "b\"@example.test", 0, "bad character in quoted local part" },
	{ "\"a\tb\"@example.test", 0, "bad character in quoted local part" },
	{ "\"a\\\x01\"@example.test", 0, "bad quoted-pair in local part" },
	{ "\"a\\\xc3\xa9\"@example.test", 0, "bad quoted-pair in local part" },
	/* angle brackets */
	{ "<user@example.test", 0, "unbalanced angle bracket" },
	{ "user@example.test>", 0, "unbalanced angle bracket" },
	{ "<", 0, "unbalanced angle bracket" },
	{ ">", 0, "unbalanced angle bracket" },
	{ "<<user@example.test>>", 0, "bad character in local part" },
	/* bad characters outside quotes */
	{ "user name@example.test", 0, "bad character in local part" },
	{ " user@example.test", 0, "bad character in local part" },
	{ "user\t@example.test", 0, "bad character in local part" },
	{ "us\x1b" "er@example.test", 0, "bad character in local part" },
	{ "user,x@example.test", 0, "bad character in local part" },
	{ "user:x@example.test", 0, "bad character in local part" },
	{ "< >", 0, "bad character in local part" },
	/* source routes */
	{ "@a:", 0, "missing mailbox after source route" },
	{ "<@a:>", 0, "missing mailbox after source route" },
	{ "@a,:user@c", 0, "bad source route" },
	{ "@a,b:user@c", 0, "bad source route" },
	{ "@a,,@b:user@c", 0, "bad source route" },
	{ "@:user@c", 0, "bad domain in source route" },
	{ "@-a:user@c", 0, "bad domain in source route" },
	{ "@a b:user@c", 0, "bad domain in source route" },
	{ "@[192.0.2.1]:user@c", 0, "bad domain in source route" },
	{ "<@a:postmaster>", 0, "missing '@' after source route" },
	{ "@a:\"q\"", 0, "missing '@' after source route" },
	/* NUL bytes (explicit lengths) */
	{ "user\0@example.test", 18, "NUL byte in address" },
	{ "user@example.test\0", 18, "NUL byte in address" },
	{ "\0", 1, "NUL byte in address" },
	{ "<\0>", 3, "NUL byte in address" },
	{ "\"a\0b\"@example.test", 19, "NUL byte in address" },
	/* malformed UTF-8 */
	{ "us\xff" "er@example.test", 0, "malformed UTF-8 in address" },
	{ "\xc0\xaf@example.test", 0, "malformed UTF-8 in address" },
	{ "\xe0\x80\xaf@example.test", 0, "malformed UTF-8 in address" },
	{ "\xf0\x80\x80\xaf@example.test", 0, "malformed UTF-8 in address" },
	{ "a\x80@example.test", 0, "malformed UTF-8 in address" },
	{ "user@\xf8\x88\x80\x80\x80.test", 0, "malformed UTF-8 in address" },
	{ "\xed\xa0\x80@example.test", 0, "malformed UTF-8 in address" },
	{ "\xc3@example.test", 0, "malformed UTF-8 in address" },
	{ "user@example.test\xe2\x82", 0, "malformed UTF-8 in address" },
	{ "\xf4\x90\x80\x80@example.test", 0, "malformed UTF-8 in address" },
};

/* check_ok - one accepted address and every field of the result */
static void check_ok(const struct ok_case *c)
{
	struct rw_addr a;
	const char *err = NULL;

	if (addr_parse(c->in, strlen(c->in), &a, &err) != 0)
		fail_msg("'%s': unexpected error '%s'", c->in, err ? err : "(none)");
	if (strcmp(a.local, c->local) != 0)
		fail_msg("'%s': local '%s', want '%s'", c->in, a.local, c->local);
	if (strcmp(a.domain, c->domain) != 0)
		fail_msg("'%s': domain '%s', want '%s'", c->in, a.domain, c->domain);
	if (a.flags != c->flags)
		fail_msg("'%s': flags %#x, want %#x", c->in, a.flags, c->flags);
	addr_release(&a);
	assert_null(a.local);
	assert_null(a.domain);
	assert_int_equal(a.flags, 0);
}

/* test_accepted - the table of addresses that parse */
static void test_accepted(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++)
		check_ok(&ok_cases[i]);
}

/* test_refused - the table of syntax errors, each with its message */
static void test_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		const struct err_case *c = &err_cases[i];
		size_t len = c->len ? c->len : strlen(c->in);
		struct rw_addr a;
		const char *err = NULL;

		if (addr_parse(c->in, len, &a, &err) != -1)
			fail_msg("case %zu '%s': accepted (local '%s' domain '%s')", i, c->in,
				 a.local, a.domain);
		if (err == NULL || strcmp(err, c->error) != 0)
			fail_msg("case %zu '%s': error '%s', want '%s'", i, c->in,
				 err ? err : "(none)", c->error);
		assert_null(a.local);
		assert_null(a.domain);
		addr_release(&a);
	}
}

/* parse_buf - parse a built string; returns addr_parse's result */
static int parse_buf(const struct buf *b, struct rw_addr *a, const char **err)
{
	return addr_parse(b->data, b->len, a, err);
}

/* repeat - append n copies of c */
static void repeat(struct buf *b, char c, size_t n)
{
	while (n-- > 0)
		buf_putc(b, c);
}

/* test_local_limit - 64 octets of local part pass, 65 do not */
static void test_local_limit(void **state)
{
	struct buf b = BUF_INIT;
	struct rw_addr a;
	const char *err = NULL;

	(void)state;
	repeat(&b, 'a', 64);
	buf_puts(&b, "@example.test");
	assert_int_equal(parse_buf(&b, &a, &err), 0);
	assert_int_equal(strlen(a.local), 64);
	addr_release(&a);
	buf_truncate(&b, 0);
	repeat(&b, 'a', 65);
	buf_puts(&b, "@example.test");
	assert_int_equal(parse_buf(&b, &a, &err), -1);
	assert_string_equal(err, "local part too long");
	/* quoted: the limit counts the local part as written */
	buf_truncate(&b, 0);
	buf_putc(&b, '"');
	repeat(&b, 'a', 63);
	buf_puts(&b, "\"@example.test");
	assert_int_equal(parse_buf(&b, &a, &err), -1);
	assert_string_equal(err, "local part too long");
	buf_release(&b);
}

/* test_label_limit - 63-octet labels pass, 64 do not */
static void test_label_limit(void **state)
{
	struct buf b = BUF_INIT;
	struct rw_addr a;
	const char *err = NULL;

	(void)state;
	buf_puts(&b, "u@");
	repeat(&b, 'x', 63);
	buf_puts(&b, ".test");
	assert_int_equal(parse_buf(&b, &a, &err), 0);
	addr_release(&a);
	buf_truncate(&b, 2);
	repeat(&b, 'x', 64);
	buf_puts(&b, ".test");
	assert_int_equal(parse_buf(&b, &a, &err), -1);
	assert_string_equal(err, "domain label too long");
	buf_release(&b);
}

/* build_long - "u@" and a domain of dlen octets of 63-octet labels */
static void build_long(struct buf *b, size_t dlen)
{
	buf_truncate(b, 0);
	buf_puts(b, "u@");
	for (size_t i = 0; i < dlen; i++)
		buf_putc(b, (i % 64 == 63) ? '.' : 'a');
}

/* test_path_limit - 256 octets with brackets pass, 257 do not */
static void test_path_limit(void **state)
{
	struct buf b = BUF_INIT, w = BUF_INIT;
	struct rw_addr a;
	const char *err = NULL;

	(void)state;
	build_long(&b, 252);	/* 254 octets: the longest mailbox */
	assert_int_equal(parse_buf(&b, &a, &err), 0);
	assert_int_equal(strlen(a.domain), 252);
	addr_release(&a);
	buf_printf(&w, "<%s>", b.data);	/* the same with brackets: 256 */
	assert_int_equal(parse_buf(&w, &a, &err), 0);
	addr_release(&a);
	build_long(&b, 253);
	assert_int_equal(parse_buf(&b, &a, &err), -1);
	assert_string_equal(err, "address too long");
	buf_truncate(&w, 0);
	buf_printf(&w, "<%s>", b.data);
	assert_int_equal(parse_buf(&w, &a, &err), -1);
	assert_string_equal(err, "address too long");
	/* a huge input is refused before anything is copied */
	build_long(&b, 100000);
	assert_int_equal(parse_buf(&b, &a, &err), -1);
	assert_string_equal(err, "address too long");
	buf_release(&b);
	buf_release(&w);
}

struct trick_case {
	const char *in;
	const char *trick;	/* NULL: none */
};

static const struct trick_case trick_cases[] = {
	{ "user@example.test", NULL },
	{ "\"john doe\"@example.test", NULL },
	{ "postmaster", NULL },
	{ "", NULL },
	{ "user@example.test.", NULL },
	{ "@a,@b:user@c", "source route" },
	{ "<@a:user@c>", "source route" },
	{ "user%remote@example.test", "percent hack" },
	{ "\"a%b\"@example.test", "percent hack" },
	{ "remote!user@example.test", "bang path" },
	{ "\"a!b\"@example.test", "bang path" },
	{ "user@a@b", "'@' in local part" },
	{ "\"user@remote\"@example.test", "'@' in local part" },
	{ "user@[192.0.2.1]", "address literal" },
	{ "user@[IPv6:2001:db8::1]", "address literal" },
	/* several tricks: the first in the order of addr.h wins */
	{ "@a:x%y!z@c", "source route" },
	{ "x!y%z@c", "percent hack" },
	{ "\"a!b@c\"@d", "bang path" },
	{ "\"a@b\"@[192.0.2.1]", "'@' in local part" },
};

/* test_trick - addr_trick names the first relay trick */
static void test_trick(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(trick_cases) / sizeof(trick_cases[0]); i++) {
		const struct trick_case *c = &trick_cases[i];
		struct rw_addr a;
		const char *err = NULL, *t;

		if (addr_parse(c->in, strlen(c->in), &a, &err) != 0)
			fail_msg("'%s': %s", c->in, err);
		t = addr_trick(&a);
		if (c->trick == NULL && t != NULL)
			fail_msg("'%s': trick '%s', want none", c->in, t);
		if (c->trick != NULL && (t == NULL || strcmp(t, c->trick) != 0))
			fail_msg("'%s': trick '%s', want '%s'", c->in, t ? t : "(none)", c->trick);
		if (((a.flags & ADDR_F_TRICKS) != 0) != (c->trick != NULL))
			fail_msg("'%s': ADDR_F_TRICKS disagrees with addr_trick", c->in);
		addr_release(&a);
	}
}

/* test_trick_flags - each trick flag alone maps to its reason */
static void test_trick_flags(void **state)
{
	struct rw_addr a = { NULL, NULL, 0 };

	(void)state;
	assert_null(addr_trick(&a));
	a.flags = ADDR_F_NULL | ADDR_F_QUOTED | ADDR_F_NO_DOMAIN;
	assert_null(addr_trick(&a));
	a.flags = ADDR_F_SOURCE_ROUTE;
	assert_string_equal(addr_trick(&a), "source route");
	a.flags = ADDR_F_PERCENT;
	assert_string_equal(addr_trick(&a), "percent hack");
	a.flags = ADDR_F_BANG;
	assert_string_equal(addr_trick(&a), "bang path");
	a.flags = ADDR_F_AT_IN_LOCAL;
	assert_string_equal(addr_trick(&a), "'@' in local part");
	a.flags = ADDR_F_LITERAL;
	assert_string_equal(addr_trick(&a), "address literal");
}

/* test_explicit_length - only len bytes are read; the rest is ignored */
static void test_explicit_length(void **state)
{
	struct rw_addr a;
	const char *err = NULL;
	const char *s = "user@example.testGARBAGE";

	(void)state;
	assert_int_equal(addr_parse(s, 17, &a, &err), 0);
	assert_string_equal(a.domain, "example.test");
	addr_release(&a);
	assert_int_equal(addr_parse(s, 0, &a, &err), 0);
	assert_int_equal(a.flags, ADDR_F_NULL);
	addr_release(&a);
	assert_int_equal(addr_parse(s, 5, &a, &err), -1);
	assert_string_equal(err, "empty domain");
}

/* test_release_zeroed - releasing twice, or a failed parse, is harmless */
static void test_release_zeroed(void **state)
{
	struct rw_addr a;
	const char *err;

	(void)state;
	assert_int_equal(addr_parse("a@b.test", 8, &a, &err), 0);
	addr_release(&a);
	addr_release(&a);
	assert_null(a.local);
	assert_int_equal(addr_parse("a@", 2, &a, &err), -1);
	addr_release(&a);
	assert_null(a.domain);
}

struct norm_case {
	const char *in;
	const char *out;
};

static const struct norm_case norm_cases[] = {
	{ "Example.TEST.", "example.test" },
	{ "example.test", "example.test" },
	{ "EXAMPLE.test..", "example.test." },
	{ ".", "" },
	{ "", "" },
	{ "B\xc3\x9c" "CHER.Example", "b\xc3\x9c" "cher.example" },
	{ "[IPv6:2001:DB8::1]", "[ipv6:2001:db8::1]" },
};

/* test_domain_normalise - ASCII lower-case and one trailing dot dropped */
static void test_domain_normalise(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(norm_cases) / sizeof(norm_cases[0]); i++) {
		char *s = strdup(norm_cases[i].in);

		assert_non_null(s);
		addr_domain_normalise(s);
		assert_string_equal(s, norm_cases[i].out);
		free(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_local_limit),
		cmocka_unit_test(test_label_limit),
		cmocka_unit_test(test_path_limit),
		cmocka_unit_test(test_trick),
		cmocka_unit_test(test_trick_flags),
		cmocka_unit_test(test_explicit_length),
		cmocka_unit_test(test_release_zeroed),
		cmocka_unit_test(test_domain_normalise),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
