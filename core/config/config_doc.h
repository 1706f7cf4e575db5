/*
 * config_doc - the option reference, rendered from the option table
 * (core/config/config_table.h): as plain text (`relaywarden check-config
 * --options`), as roff for relaywarden.conf(5) and as Markdown tables for
 * schema/config-reference.md.
 *
 * The two documents hold generated blocks between marker lines:
 *   ... BEGIN GENERATED OPTIONS SECTION ...
 *   ... END GENERATED OPTIONS ...
 * (in comments: `.\"` in roff, `<!-- -->` in Markdown). SECTION is a
 * section name, `root` for the top level, or `all` (every section, roff
 * only). config_doc_fill rebuilds every block; `make config-reference`
 * writes the result back, and tests/unit/test_config_table fails when the
 * committed documents differ from it. Descriptions in the table use
 * Markdown's `code` spans; the roff renderer turns them into bold.
 * Pure functions over static data: thread-safe.
 */
#ifndef RW_CONFIG_DOC_H
#define RW_CONFIG_DOC_H

#include "core/util/buf.h"

enum config_doc_format { CONFIG_DOC_TEXT, CONFIG_DOC_MAN, CONFIG_DOC_MARKDOWN };

/* config_doc_render - the reference of section ("root", a section, "all") into out;
 * 0, or -1 if there is no such section */
int config_doc_render(enum config_doc_format f, const char *section, struct buf *out);
/* config_doc_fill - text with every generated block rebuilt into out; 0, or -1 with
 * the reason in err (an unknown section, a block not closed) */
int config_doc_fill(enum config_doc_format f, const char *text, struct buf *out,
		    struct buf *err);

#endif
