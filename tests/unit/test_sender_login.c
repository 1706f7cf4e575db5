/* test_sender_login - which senders a SASL login owns (core/sender_login) */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/util/buf.h"
#include "core/engine/sender_login.h"

struct entry {
	const char *login;
	const char *sender;
};

static const struct entry map[] = {
	{ "alice", "alice@example.test" },
	{ "alice", "Alice.Smith@Example.TEST" },
	{ "alice", "@alice.example" },
	{ "Bob@Example.TEST", "bob@example.test" },
	{ "bob@example.test", "@Bob.Example." },
	{ "carol", "\"carol q\"@example.test" },
	{ "carol", "<carol@example.org>" },
	{ "dave", "dave@b\xc3\xbc" "cher.example" },
	{ NULL, NULL },
};

struct owns_case {
	const char *login;
	const char *sender;
	const char *entry;	/* NULL: not owned */
};

static const struct owns_case owns_cases[] = {
	/* whole addresses, case-insensitive, any envelope spelling */
	{ "alice", "alice@example.test", "alice@example.test" },
	{ "alice", "<Alice@Example.TEST>", "alice@example.test" },
	{ "alice", "ALICE@EXAMPLE.TEST.", "alice@example.test" },
	{ "alice", "\"alice\"@example.test", "alice@example.test" },
	{ "alice", "alice.smith@example.test", "Alice.Smith@Example.TEST" },
	{ "alice", "alice2@example.test", NULL },
	{ "alice", "alice@example.test.evil", NULL },
	{ "alice", "alice@sub.example.test", NULL },
	/* logins are ASCII case-insensitive */
	{ "ALICE", "alice@example.test", "alice@example.test" },
	{ "Alice", "x@alice.example", "@alice.example" },
	{ "alicex", "alice@example.test", NULL },
	{ "alic", "alice@example.test", NULL },
	/* domain entries: exactly that domain */
	{ "alice", "anyone@alice.example", "@alice.example" },
	{ "alice", "<Anyone@ALICE.example.>", "@alice.example" },
	{ "alice", "x@sub.alice.example", NULL },
	{ "alice", "x@alice.example.org", NULL },
	{ "alice", "x@xalice.example", NULL },
	{ "bob@example.test", "bob@example.test", "bob@example.test" },
	{ "BOB@EXAMPLE.TEST", "Bob@Example.Test", "bob@example.test" },
	{ "bob@example.test", "other@bob.example", "@Bob.Example." },
	{ "bob@example.test", "alice@example.test", NULL },
	/* quoted local parts compare by content */
	{ "carol", "\"carol q\"@example.test", "\"carol q\"@example.test" },
	{ "carol", "\"CAROL Q\"@EXAMPLE.TEST", "\"carol q\"@example.test" },
	{ "carol", "carol@example.test", NULL },
	{ "carol", "carol@example.org", "<carol@example.org>" },
	{ "dave", "Dave@B\xc3\xbc" "cher.example", "dave@b\xc3\xbc" "cher.example" },
	/* one login's senders are not another's */
	{ "bob@example.test", "anyone@alice.example", NULL },
	{ "carol", "alice@example.test", NULL },
	{ "nobody", "alice@example.test", NULL },
	/* the null sender is owned by every login, known or not */
	{ "alice", "", "<>" },
	{ "alice", "<>", "<>" },
	{ "nobody", "", "<>" },
	{ "", "", NULL },
	/* unparsable senders and relay tricks are never owned */
	{ "alice", "alice@example.test@alice.example", NULL },
	{ "alice", "evil%alice@alice.example", NULL },
	{ "alice", "evil!alice@alice.example", NULL },
	{ "alice", "@relay.test:x@alice.example", NULL },
	{ "alice", "<@relay.test:alice@example.test>", NULL },
	{ "alice", "\"x@evil\"@alice.example", NULL },
	{ "alice", "alice@[192.0.2.1]", NULL },
	{ "alice", "alice", NULL },
	{ "alice", "alice@", NULL },
	{ "alice", "<alice@example.test", NULL },
	{ "alice", "alice @example.test", NULL },
	{ "alice", "@alice.example", NULL },
};

/* build - a map from the table */
static struct sender_login *build(void)
{
	struct sender_login *sl = sender_login_new();
	const char *err;

	for (size_t i = 0; map[i].login != NULL; i++)
		if (sender_login_add(sl, map[i].login, map[i].sender, &err) != 0)
			fail_msg("'%s' -> '%s': %s", map[i].login, map[i].sender, err);
	return sl;
}

/* test_owns - the ownership table */
static void test_owns(void **state)
{
	struct sender_login *sl = build();

	(void)state;
	assert_int_equal(sender_login_size(sl), 8);
	for (size_t i = 0; i < sizeof(owns_cases) / sizeof(owns_cases[0]); i++) {
		const struct owns_case *c = &owns_cases[i];
		const char *entry = "(untouched)";
		int r = sender_login_owns(sl, c->login, c->sender, &entry);

		if (c->entry == NULL && r != 0)
			fail_msg("'%s' owns '%s' via '%s', want not owned", c->login, c->sender,
				 entry);
		if (c->entry != NULL && (r != 1 || strcmp(entry, c->entry) != 0))
			fail_msg("'%s' owns '%s': %d via '%s', want '%s'", c->login, c->sender, r,
				 entry, c->entry);
		if (c->entry == NULL)
			assert_string_equal(entry, "(untouched)");
		assert_int_equal(sender_login_owns(sl, c->login, c->sender, NULL), r);
	}
	sender_login_free(&sl);
	assert_null(sl);
}

/* test_empty_map - only the null sender is owned */
static void test_empty_map(void **state)
{
	struct sender_login *sl = sender_login_new();
	const char *entry = NULL;

	(void)state;
	assert_int_equal(sender_login_size(sl), 0);
	assert_int_equal(sender_login_owns(sl, "alice", "alice@example.test", &entry), 0);
	assert_int_equal(sender_login_owns(sl, "alice", "<>", &entry), 1);
	assert_string_equal(entry, "<>");
	assert_int_equal(sender_login_owns(sl, NULL, "", &entry), 0);
	assert_int_equal(sender_login_owns(sl, "alice", NULL, &entry), 0);
	sender_login_free(&sl);
	sender_login_free(&sl);
}

static const struct entry bad_entries[] = {
	{ "", "alice@example.test" },
	{ "al\nice", "alice@example.test" },
	{ "al\x7fice", "alice@example.test" },
	{ "alice", "" },
	{ "alice", "<>" },
	{ "alice", "alice" },
	{ "alice", "@" },
	{ "alice", "@@example.test" },
	{ "alice", "@exa mple.test" },
	{ "alice", "@[192.0.2.1]" },
	{ "alice", "alice@" },
	{ "alice", "user%host@example.test" },
	{ "alice", "a!b@example.test" },
	{ "alice", "a@b@example.test" },
	{ "alice", "@relay:a@example.test" },
	{ "alice", "a@[192.0.2.1]" },
	{ "alice", "\"a@b\"@example.test" },
	{ "alice", "alice@example..test" },
	{ "alice", "\"unbalanced@example.test" },
	{ NULL, NULL },
};

/* test_bad_entries - refused entries add nothing */
static void test_bad_entries(void **state)
{
	struct sender_login *sl = sender_login_new();

	(void)state;
	for (size_t i = 0; bad_entries[i].login != NULL; i++) {
		const char *err = NULL;

		if (sender_login_add(sl, bad_entries[i].login, bad_entries[i].sender, &err) != -1)
			fail_msg("'%s' -> '%s': accepted", bad_entries[i].login,
				 bad_entries[i].sender);
		assert_non_null(err);
		assert_true(strlen(err) > 0);
	}
	assert_int_equal(sender_login_size(sl), 0);
	assert_int_equal(sender_login_owns(sl, "alice", "a@example.test", NULL), 0);
	sender_login_free(&sl);
}

/* test_entry_errors - a few messages are pinned */
static void test_entry_errors(void **state)
{
	struct sender_login *sl = sender_login_new();
	const char *err;

	(void)state;
	assert_int_equal(sender_login_add(sl, "", "a@example.test", &err), -1);
	assert_string_equal(err, "empty login");
	assert_int_equal(sender_login_add(sl, "alice", "a%b@example.test", &err), -1);
	assert_string_equal(err, "sender carries a relay trick");
	assert_int_equal(sender_login_add(sl, "alice", "alice", &err), -1);
	assert_string_equal(err, "sender must be an address with a domain, or @domain");
	assert_int_equal(sender_login_add(sl, "alice", "<>", &err), -1);
	assert_string_equal(err, "the null sender needs no entry: every login owns it");
	assert_int_equal(sender_login_add(sl, "alice", "@", &err), -1);
	assert_string_equal(err, "empty domain");
	sender_login_free(&sl);
}

/* test_duplicates - one pair in several spellings is stored once */
static void test_duplicates(void **state)
{
	struct sender_login *sl = sender_login_new();
	const char *err, *entry;

	(void)state;
	assert_int_equal(sender_login_add(sl, "alice", "alice@example.test", &err), 0);
	assert_int_equal(sender_login_add(sl, "ALICE", "<Alice@Example.Test.>", &err), 0);
	assert_int_equal(sender_login_add(sl, "alice", "@example.test", &err), 0);
	assert_int_equal(sender_login_add(sl, "Alice", "@EXAMPLE.test", &err), 0);
	assert_int_equal(sender_login_add(sl, "bob", "alice@example.test", &err), 0);
	assert_int_equal(sender_login_size(sl), 3);
	assert_int_equal(sender_login_owns(sl, "alice", "alice@example.test", &entry), 1);
	assert_string_equal(entry, "alice@example.test");
	/* the address entry is found before the domain entry */
	assert_int_equal(sender_login_owns(sl, "alice", "x@example.test", &entry), 1);
	assert_string_equal(entry, "@example.test");
	sender_login_free(&sl);
}

/* test_large_map - 100k logins: every one finds its own senders only */
static void test_large_map(void **state)
{
	struct sender_login *sl = sender_login_new();
	struct buf login = BUF_INIT, sender = BUF_INIT;
	const char *err, *entry;
	const unsigned n = 100000;

	(void)state;
	for (unsigned i = 0; i < n; i++) {
		buf_truncate(&login, 0);
		buf_truncate(&sender, 0);
		buf_printf(&login, "user%u", i);
		buf_printf(&sender, "user%u@example.test", i);
		assert_int_equal(sender_login_add(sl, login.data, sender.data, &err), 0);
		buf_truncate(&sender, 0);
		buf_printf(&sender, "@d%u.example", i);
		assert_int_equal(sender_login_add(sl, login.data, sender.data, &err), 0);
	}
	assert_int_equal(sender_login_size(sl), 2 * n);
	for (unsigned i = 0; i < n; i += 7) {
		buf_truncate(&login, 0);
		buf_truncate(&sender, 0);
		buf_printf(&login, "USER%u", i);
		buf_printf(&sender, "<User%u@Example.Test>", i);
		assert_int_equal(sender_login_owns(sl, login.data, sender.data, &entry), 1);
		buf_truncate(&sender, 0);
		buf_printf(&sender, "x@d%u.example", i);
		assert_int_equal(sender_login_owns(sl, login.data, sender.data, &entry), 1);
		buf_truncate(&sender, 0);
		buf_printf(&sender, "user%u@example.test", (i + 1) % n);
		assert_int_equal(sender_login_owns(sl, login.data, sender.data, &entry), 0);
	}
	sender_login_free(&sl);
	buf_release(&login);
	buf_release(&sender);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owns),
		cmocka_unit_test(test_empty_map),
		cmocka_unit_test(test_bad_entries),
		cmocka_unit_test(test_entry_errors),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_large_map),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
