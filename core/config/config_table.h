/*
 * config_table - the one table of relaywarden.conf's options: for each
 * option its type, default, range or keywords, what else its values must
 * be, and a one-line description. Everything else is built from it:
 *   - the libconfuse option table the parser runs (config_table_build);
 *   - the parse-time checks: an integer's range and a keyword's values are
 *     looked up by section and name (config_table_find), so `timeout_ms`
 *     of `dns` and of `redis` each have their own;
 *   - the relay rule types' options (`only`), checked after parsing;
 *   - the digest's secret options (CONFIG_SECRET, core/config/config_digest.c);
 *   - the option reference: `relaywarden check-config --options`, the
 *     generated section of relaywarden.conf(5) and the tables of
 *     schema/config-reference.md (core/config/config_doc.h).
 * Static, read-only data: thread-safe.
 */
#ifndef RW_CONFIG_TABLE_H
#define RW_CONFIG_TABLE_H

#include <confuse.h>

enum config_type {
	CONFIG_STRING,		/* "text"; what text: .check and .allowed */
	CONFIG_LIST,		/* { "a", "b" }: strings, each checked by .check */
	CONFIG_INT,		/* an integer in [min, max] */
	CONFIG_INTS,		/* { 1, 2 }: integers in [min, max] */
	CONFIG_BOOL,		/* true or false (yes/no, on/off) */
	CONFIG_KEYWORD,		/* one of .values */
	CONFIG_SIZE,		/* N[K|M|G], binary multiples */
	CONFIG_SECTION,		/* NAME { ... } of .sub */
	CONFIG_TITLED,		/* NAME "TITLE" { ... }, repeatable, each title once */
};

#define CONFIG_REQUIRED	0x1u	/* no default: must be given (checked after parsing) */
#define CONFIG_UNSET	0x2u	/* no default: unset is told apart from any value */
#define CONFIG_SECRET	0x4u	/* never in the digest, the dump, a log or an error */
#define CONFIG_EMPTY_OK	0x8u	/* "" is allowed and means none */

struct config_option {
	const char *name;
	enum config_type type;
	unsigned flags;
	const char *def;		/* the default as written in the file; NULL: none */
	long long min, max;		/* CONFIG_INT, CONFIG_INTS */
	const char *const *values;	/* CONFIG_KEYWORD: NULL-terminated */
	const char *unit;		/* CONFIG_INT: "ms", "seconds", "bytes", "percent" */
	const char *title;		/* CONFIG_TITLED: what the title is */
	const char *only;		/* relay options: the one rule type they belong to */
	const char *dflt;		/* the default in words, where def does not say it */
	const char *allowed;		/* what values must be, beyond type, range and keywords */
	const char *desc;		/* one line: what the option does */
	cfg_validate_callback_t check;	/* parse-time check (core/config/config_check.c) */
	const struct config_option *sub;	/* CONFIG_SECTION, CONFIG_TITLED */
};

/* the top level; sections point at their options; each ends with a NULL name */
extern const struct config_option config_table[];

/* config_table_find - option name of section ("root" or NULL: the top level); NULL if none */
const struct config_option *config_table_find(const char *section, const char *name);
/* config_table_build - libconfuse's option array for t (recursively); free with
 * config_table_free (cfg_init copies what it keeps) */
cfg_opt_t *config_table_build(const struct config_option *t);
/* config_table_free - what config_table_build returned; clears *op */
void config_table_free(cfg_opt_t **op);

#endif
