/*
 * test_config_table - the option table is whole and consistent (every
 * option described, defaults within their ranges and keywords, ranges per
 * section, every mode option's keywords modes of the one type), and the documents generated from it are up to date: the
 * committed relaywarden.conf(5) and schema/config-reference.md equal what
 * `make config-reference` would write.
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

#include "core/util/buf.h"
#include "core/config/config_doc.h"
#include "core/config/config_table.h"
#include "core/engine/mode.h"

/* check_default - a default the option's own check would accept */
static void check_default(const char *sec, const struct config_option *o)
{
	int found = 0;

	if (o->type == CONFIG_INT && o->def != NULL) {
		long long v = strtoll(o->def, NULL, 10);

		if (v < o->min || v > o->max)
			fail_msg("%s.%s: default %s is out of range", sec, o->name, o->def);
	}
	if (o->type != CONFIG_KEYWORD)
		return;
	if (o->values == NULL || o->values[0] == NULL)
		fail_msg("%s.%s: a keyword option without keywords", sec, o->name);
	for (size_t i = 0; o->def != NULL && o->values[i] != NULL; i++)
		found |= strcmp(o->values[i], o->def) == 0;
	if (o->def != NULL && !found)
		fail_msg("%s.%s: default '%s' is not one of its keywords", sec, o->name, o->def);
}

/* check_entries - every entry of t described, checked, consistent */
static void check_entries(const char *sec, const struct config_option *t, size_t *n,
			  size_t *secrets)
{
	for (; t->name != NULL; t++, (*n)++) {
		int is_sec = t->type == CONFIG_SECTION || t->type == CONFIG_TITLED;

		if (t->desc == NULL || t->desc[0] == '\0' || strchr(t->desc, '\n') != NULL)
			fail_msg("%s.%s: no one-line description", sec, t->name);
		if (is_sec != (t->sub != NULL) || (!is_sec && t->check == NULL))
			fail_msg("%s.%s: a section needs options, an option a check", sec, t->name);
		if ((t->only != NULL) != (strcmp(sec, "relay") == 0 && strcmp(t->name, "type") != 0))
			fail_msg("%s.%s: only relay options belong to one rule type", sec, t->name);
		if (t->only != NULL && strcmp(t->only, "sasl") != 0 &&
		    strcmp(t->only, "network") != 0 && strcmp(t->only, "certificate") != 0)
			fail_msg("%s.%s: only = '%s' is no rule type", sec, t->name, t->only);
		*secrets += (t->flags & CONFIG_SECRET) != 0;
		check_default(sec, t);
		if (t->sub != NULL)
			check_entries(t->name, t->sub, n, secrets);
	}
}

/* test_table_whole - described, checked, defaults in range, one secret */
static void test_table_whole(void **state)
{
	size_t n = 0, secrets = 0;

	(void)state;
	check_entries("root", config_table, &n, &secrets);
	assert_true(n > 100);
	assert_int_equal(secrets, 1);
	assert_true(config_table_find("redis", "password")->flags & CONFIG_SECRET);
}

/* test_find_by_section - an option's range belongs to it in its section */
static void test_find_by_section(void **state)
{
	const struct config_option *dns = config_table_find("dns", "timeout_ms");
	const struct config_option *redis = config_table_find("redis", "timeout_ms");

	(void)state;
	assert_non_null(dns);
	assert_non_null(redis);
	assert_ptr_not_equal(dns, redis);
	assert_string_equal(dns->def, "2000");
	assert_string_equal(redis->def, "50");
	/* "spf" is a section at the top level and a keyword option of checks */
	assert_int_equal(config_table_find(NULL, "spf")->type, CONFIG_SECTION);
	assert_int_equal(config_table_find("root", "spf")->type, CONFIG_SECTION);
	assert_int_equal(config_table_find("checks", "spf")->type, CONFIG_KEYWORD);
	assert_null(config_table_find("checks", "inbound"));
	assert_null(config_table_find("nosuch", "timeout_ms"));
	assert_null(config_table_find("instance", "x"));	/* not a section */
}

/* test_mode_keywords - every mode option's keywords are modes of the one type */
static void test_mode_keywords(void **state)
{
	static const char *const opts[][2] = {
		{ "checks", "dkim" }, { "checks", "spf" }, { "checks", "alignment" },
		{ "spf", "inbound" }, { "spf", "egress" }, { "limit", "mode" }, { "quota", "mode" },
	};
	enum rw_mode m;

	(void)state;
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		const struct config_option *o = config_table_find(opts[i][0], opts[i][1]);

		assert_non_null(o);
		for (size_t j = 0; o->values[j] != NULL; j++) {
			if (mode_parse(o->values[j], &m) < 0)
				fail_msg("%s.%s: '%s' is no mode", opts[i][0], opts[i][1],
					 o->values[j]);
			if (strcmp(o->values[j], "reject") != 0)
				assert_string_equal(mode_name(m), o->values[j]);
		}
	}
	assert_int_equal(mode_parse("reject", &m), 0);
	assert_int_equal(m, MODE_ENFORCE);
	assert_int_equal(mode_parse("enforce", &m), 0);
	assert_int_equal(m, MODE_ENFORCE);
	assert_int_equal(mode_parse("Enforce", &m), -1);
	assert_int_equal(MODE_OFF, 0);	/* a zeroed check is off */
}

/* doc_check - the committed document equals the one generated from the table */
static void doc_check(enum config_doc_format f, const char *path)
{
	struct buf text = BUF_INIT, out = BUF_INIT, err = BUF_INIT;
	char chunk[4096];
	size_t got;
	FILE *fp = fopen(path, "r");

	assert_non_null(fp);
	while ((got = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_append(&text, chunk, got);
	fclose(fp);
	if (config_doc_fill(f, buf_cstr(&text), &out, &err) < 0)
		fail_msg("%s: %s", path, buf_cstr(&err));
	assert_non_null(strstr(buf_cstr(&text), "BEGIN GENERATED OPTIONS"));
	if (strcmp(buf_cstr(&text), buf_cstr(&out)) != 0)
		fail_msg("%s differs from the option table: run `make config-reference`", path);
	buf_release(&text);
	buf_release(&out);
	buf_release(&err);
}

/* test_docs_generated - the man page and the Markdown reference are up to date */
static void test_docs_generated(void **state)
{
	(void)state;
	doc_check(CONFIG_DOC_MAN, TEST_SRCDIR "/../man/relaywarden.conf.5");
	doc_check(CONFIG_DOC_MARKDOWN, TEST_SRCDIR "/../schema/config-reference.md");
}

/* test_fill - blocks rebuilt, text around them kept, bad blocks refused */
static void test_fill(void **state)
{
	static const char *const bad[] = {
		"<!-- BEGIN GENERATED OPTIONS nosuch -->\n<!-- END GENERATED OPTIONS -->\n",
		"<!-- BEGIN GENERATED OPTIONS dns -->\nstale\n",
		"<!-- BEGIN GENERATED OPTIONS dns -->\n<!-- BEGIN GENERATED OPTIONS spf -->\n",
		"<!-- BEGIN GENERATED OPTIONS -->\n<!-- END GENERATED OPTIONS -->\n",
	};
	struct buf out = BUF_INIT, err = BUF_INIT;

	(void)state;
	assert_int_equal(config_doc_fill(CONFIG_DOC_MARKDOWN, "a\n<!-- BEGIN GENERATED OPTIONS "
					 "dns -->\nstale\n<!-- END GENERATED OPTIONS -->\nb\n",
					 &out, &err), 0);
	assert_null(strstr(buf_cstr(&out), "stale"));
	assert_non_null(strstr(buf_cstr(&out), "a\n<!-- BEGIN GENERATED OPTIONS dns -->\n"
			       "| option | type | default | allowed | meaning |\n"));
	assert_non_null(strstr(buf_cstr(&out), "| `timeout_ms` | integer (ms) | 2000 | 1-5000 | "));
	assert_non_null(strstr(buf_cstr(&out), " |\n<!-- END GENERATED OPTIONS -->\nb\n"));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_truncate(&out, 0);
		buf_truncate(&err, 0);
		assert_int_equal(config_doc_fill(CONFIG_DOC_MARKDOWN, bad[i], &out, &err), -1);
		assert_true(err.len > 0);
	}
	buf_release(&out);
	buf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_whole),
		cmocka_unit_test(test_find_by_section),
		cmocka_unit_test(test_mode_keywords),
		cmocka_unit_test(test_docs_generated),
		cmocka_unit_test(test_fill),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
