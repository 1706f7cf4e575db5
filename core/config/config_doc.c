/*
 * config_doc - the option reference from the option table; see
 * config_doc.h. Every text is written once in the table, in Markdown's
 * inline style (`code`); doc_put turns it into what the format needs.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <string.h>

#include "core/config/config_doc.h"
#include "core/config/config_table.h"

#define DOC_BEGIN "BEGIN GENERATED OPTIONS "
#define DOC_END "END GENERATED OPTIONS"
#define DOC_MAX53 9007199254740992LL

/* doc_put - s in format f: roff escapes its backslashes and makes `code` bold */
static void doc_put(enum config_doc_format f, struct buf *out, const char *s)
{
	int code = 0;

	if (f != CONFIG_DOC_MAN) {
		buf_puts(out, s);
		return;
	}
	for (; *s != '\0'; s++) {
		if (*s == '`')
			buf_puts(out, (code = !code) ? "\\fB" : "\\fR");
		else if (*s == '\\')
			buf_puts(out, "\\e");
		else
			buf_putc(out, *s);
	}
}

/* doc_num - a range bound; 2^53 by name */
static void doc_num(struct buf *out, long long v)
{
	if (v == DOC_MAX53)
		buf_puts(out, "2^53");
	else
		buf_printf(out, "%lld", v);
}

/* doc_type - "integer (ms)", "list of integers", "section, titled by ...", ... */
static void doc_type(struct buf *out, const struct config_option *o)
{
	static const char *const names[] = {
		[CONFIG_STRING] = "string", [CONFIG_LIST] = "list",
		[CONFIG_INT] = "integer", [CONFIG_INTS] = "list of integers",
		[CONFIG_BOOL] = "boolean", [CONFIG_KEYWORD] = "keyword", [CONFIG_SIZE] = "size",
		[CONFIG_SECTION] = "section", [CONFIG_TITLED] = "section",
	};

	buf_puts(out, names[o->type]);
	if (o->unit != NULL)
		buf_printf(out, " (%s)", o->unit);
	if (o->type == CONFIG_TITLED)
		buf_printf(out, ", titled by %s, repeatable (each title once)", o->title);
}

/* doc_default - the default in words (Markdown style) */
static void doc_default(struct buf *out, const struct config_option *o)
{
	if (o->flags & CONFIG_REQUIRED)
		buf_puts(out, "required");
	else if (o->dflt != NULL)
		buf_puts(out, o->dflt);
	else if (o->type == CONFIG_SECTION)
		buf_puts(out, "defaults below");
	else if (o->type == CONFIG_TITLED)
		buf_puts(out, "none");
	else if (o->def == NULL)
		buf_puts(out, o->type == CONFIG_LIST || o->type == CONFIG_INTS ? "empty" : "none");
	else if (o->type == CONFIG_LIST || o->type == CONFIG_INTS)
		buf_printf(out, "`%s`", o->def);
	else if (o->type == CONFIG_STRING)
		buf_printf(out, "`\"%s\"`", o->def);
	else if (o->type == CONFIG_KEYWORD)
		buf_printf(out, "`%s`", o->def);
	else
		buf_puts(out, o->def);
}

/* doc_allowed - range or keywords, then what else (Markdown style) */
static void doc_allowed(struct buf *out, const struct config_option *o)
{
	size_t start = out->len;

	if (o->type == CONFIG_INT || o->type == CONFIG_INTS) {
		doc_num(out, o->min);
		buf_putc(out, '-');
		doc_num(out, o->max);
	}
	for (size_t i = 0; o->type == CONFIG_KEYWORD && o->values[i] != NULL; i++)
		buf_printf(out, "%s`%s`", i > 0 ? ", " : "", o->values[i]);
	if (o->allowed != NULL)
		buf_printf(out, "%s%s", out->len > start ? "; " : "", o->allowed);
}

/* doc_meaning - the description, with the rule type it belongs to */
static void doc_meaning(struct buf *out, const struct config_option *o)
{
	if (o->only != NULL)
		buf_printf(out, "%s: ", o->only);
	buf_puts(out, o->desc);
}

/* doc_field - one rendered field in format f */
static void doc_field(enum config_doc_format f, struct buf *out, const struct config_option *o,
		      void (*fn)(struct buf *, const struct config_option *))
{
	struct buf b = BUF_INIT;

	fn(&b, o);
	doc_put(f, out, buf_cstr(&b));
	buf_release(&b);
}

/* doc_md_row - one Markdown table row */
static void doc_md_row(struct buf *out, const struct config_option *o)
{
	struct buf allowed = BUF_INIT;

	doc_allowed(&allowed, o);
	buf_printf(out, "| `%s` | ", o->name);
	doc_type(out, o);
	buf_puts(out, " | ");
	doc_default(out, o);
	buf_printf(out, " | %s%s", buf_cstr(&allowed), allowed.len > 0 ? " | " : "| ");
	doc_meaning(out, o);
	buf_puts(out, " |\n");
	buf_release(&allowed);
}

/* doc_man_entry - one .TP paragraph: the name, the description, type, allowed, default */
static void doc_man_entry(struct buf *out, const struct config_option *o)
{
	struct buf allowed = BUF_INIT;

	buf_printf(out, ".TP\n.B \"%s%s\"\n", o->name,
		   o->type == CONFIG_SECTION ? " { ... }" :
		   o->type == CONFIG_TITLED ? " \\(dqTITLE\\(dq { ... }" : "");
	if (o->only == NULL && (o->desc[0] == '.' || o->desc[0] == '\''))
		buf_puts(out, "\\&");	/* not a roff request */
	doc_field(CONFIG_DOC_MAN, out, o, doc_meaning);
	buf_puts(out, ".\n.br\nType: ");
	doc_field(CONFIG_DOC_MAN, out, o, doc_type);
	doc_allowed(&allowed, o);
	if (allowed.len > 0) {
		buf_puts(out, ". Allowed: ");
		doc_put(CONFIG_DOC_MAN, out, allowed.data);
	}
	buf_puts(out, ". Default: ");
	doc_field(CONFIG_DOC_MAN, out, o, doc_default);
	buf_puts(out, ".\n");
	buf_release(&allowed);
}

/* doc_text_entry - one option for check-config --options */
static void doc_text_entry(struct buf *out, const char *section, const struct config_option *o)
{
	struct buf allowed = BUF_INIT;

	buf_printf(out, "%s%s%s\n    ", section != NULL ? section : "", section != NULL ? "." : "",
		   o->name);
	doc_meaning(out, o);
	buf_puts(out, "\n    type: ");
	doc_type(out, o);
	buf_puts(out, "; default: ");
	doc_default(out, o);
	doc_allowed(&allowed, o);
	if (allowed.len > 0)
		buf_printf(out, "; allowed: %s", allowed.data);
	buf_puts(out, "\n");
	buf_release(&allowed);
}

/* doc_heading - the roff heading of a section: "redis { ... }", "relay "NAME" { ... }" */
static void doc_heading(struct buf *out, const struct config_option *sec)
{
	const char *word;

	if (sec == NULL) {
		buf_puts(out, ".SS \"Top level\"\n");
		return;
	}
	buf_printf(out, ".SS \"%s ", sec->name);
	if (sec->type == CONFIG_TITLED) {
		word = strrchr(sec->title, ' ');
		buf_puts(out, "\\(dq");
		for (const char *p = word != NULL ? word + 1 : sec->title; *p != '\0'; p++)
			buf_putc(out, (char)toupper((unsigned char)*p));
		buf_puts(out, "\\(dq ");
	}
	buf_puts(out, "{ ... }\"\n");
}

/* doc_section - the options of one section (sec NULL: the top level) */
static void doc_section(enum config_doc_format f, const struct config_option *sec,
			struct buf *out)
{
	const struct config_option *t = sec != NULL ? sec->sub : config_table;

	if (f == CONFIG_DOC_MARKDOWN)
		buf_puts(out, "| option | type | default | allowed | meaning |\n"
			 "| --- | --- | --- | --- | --- |\n");
	else if (f == CONFIG_DOC_MAN)
		doc_heading(out, sec);
	for (; t->name != NULL; t++) {
		if (f == CONFIG_DOC_MARKDOWN)
			doc_md_row(out, t);
		else if (f == CONFIG_DOC_MAN)
			doc_man_entry(out, t);
		else
			doc_text_entry(out, sec != NULL ? sec->name : NULL, t);
	}
}

/* config_doc_render - one section, the top level ("root") or everything ("all") */
int config_doc_render(enum config_doc_format f, const char *section, struct buf *out)
{
	const struct config_option *sec = NULL;

	if (strcmp(section, "all") == 0) {
		doc_section(f, NULL, out);
		for (const struct config_option *t = config_table; t->name != NULL; t++)
			if (t->sub != NULL)
				doc_section(f, t, out);
		return 0;
	}
	if (strcmp(section, "root") != 0) {
		sec = config_table_find(NULL, section);
		if (sec == NULL || sec->sub == NULL)
			return -1;
	}
	doc_section(f, sec, out);
	return 0;
}

/* doc_block - render the block a BEGIN line opens; -1 on an unknown section */
static int doc_block(enum config_doc_format f, const char *begin, size_t len, struct buf *out,
		     struct buf *err)
{
	const char *arg = strstr(begin, DOC_BEGIN) + strlen(DOC_BEGIN);
	size_t n = strcspn(arg, " \t\n>-");
	char name[64];

	if (n == 0 || n >= sizeof(name) || arg + n > begin + len) {
		buf_printf(err, "a '" DOC_BEGIN "' line names no section");
		return -1;
	}
	memcpy(name, arg, n);
	name[n] = '\0';
	if (config_doc_render(f, name, out) < 0) {
		buf_printf(err, "'" DOC_BEGIN "%s': no such section", name);
		return -1;
	}
	return 0;
}

/* config_doc_fill - text with each generated block rebuilt */
int config_doc_fill(enum config_doc_format f, const char *text, struct buf *out,
		    struct buf *err)
{
	const char *p = text;
	int inside = 0;

	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p + 1) : strlen(p);
		const char *line_end = p + len;
		int begin = memmem(p, len, DOC_BEGIN, strlen(DOC_BEGIN)) != NULL;
		int end = memmem(p, len, DOC_END, strlen(DOC_END)) != NULL;

		if (inside && begin) {
			buf_puts(err, "a generated block opens inside another");
			return -1;
		}
		if (!inside || end)
			buf_append(out, p, len);
		if (begin && doc_block(f, p, len, out, err) < 0)
			return -1;
		inside = (inside && !end) || begin;
		p = line_end;
	}
	if (inside) {
		buf_puts(err, "a generated block is not closed ('" DOC_END "')");
		return -1;
	}
	return 0;
}
