/*
 * config_ref - rebuild the generated option reference in a document:
 *   config-ref FILE   prints FILE with every generated block rebuilt from
 *                     the option table (core/config/config_doc.h): roff for a
 *                     FILE ending in ".5", Markdown for ".md".
 * `make config-reference` runs it over man/relaywarden.conf.5 and
 * schema/config-reference.md and writes them back. Exit 0, or 1 with a
 * message on stderr.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/util/buf.h"
#include "core/config/config_doc.h"

/* config_ref_read - the whole file into out; 0 or -1 */
static int config_ref_read(const char *path, struct buf *out)
{
	char chunk[8192];
	size_t n;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(out, chunk, n);
	n = (size_t)ferror(f);
	fclose(f);
	return n == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct buf text = BUF_INIT, out = BUF_INIT, err = BUF_INIT;
	const char *dot = argc == 2 ? strrchr(argv[1], '.') : NULL;
	enum config_doc_format f;
	int rc = 1;

	if (dot == NULL || (strcmp(dot, ".5") != 0 && strcmp(dot, ".md") != 0)) {
		fputs("usage: config-ref FILE.5|FILE.md\n", stderr);
		return 2;
	}
	f = strcmp(dot, ".5") == 0 ? CONFIG_DOC_MAN : CONFIG_DOC_MARKDOWN;
	if (config_ref_read(argv[1], &text) < 0)
		fprintf(stderr, "config-ref: %s: %s\n", argv[1], strerror(errno));
	else if (config_doc_fill(f, buf_cstr(&text), &out, &err) < 0)
		fprintf(stderr, "config-ref: %s: %s\n", argv[1], buf_cstr(&err));
	else if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0)
		perror("config-ref: stdout");
	else
		rc = 0;
	buf_release(&text);
	buf_release(&out);
	buf_release(&err);
	return rc;
}
