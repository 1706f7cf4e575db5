/*
 * cmd_check_config - relaywarden check-config [-q] FILE
 *                    relaywarden check-config --options
 *
 * Loads FILE as the daemons would. Valid: prints the effective settings
 * (config_dump) on stdout, or nothing with -q, and exits 0. Invalid: prints
 * "relaywarden: FILE:LINE: option '...': ..." on stderr and exits 1.
 * Usage errors exit 2. --options prints every option of the option table
 * (section.name, what it does, type, default, allowed values) and exits 0.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/util/buf.h"
#include "core/config/config.h"
#include "core/config/config_doc.h"

/* check_config_usage - say how to call us; exit status 2 */
static int check_config_usage(void)
{
	fputs("usage: relaywarden check-config [-q] FILE\n"
	      "       relaywarden check-config --options\n", stderr);
	return 2;
}

/* check_config_options - every option with its type, default and values */
static int check_config_options(void)
{
	struct buf out = BUF_INIT;
	int rc = 0;

	config_doc_render(CONFIG_DOC_TEXT, "all", &out);
	if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
		perror("relaywarden: stdout");
		rc = 1;
	}
	buf_release(&out);
	return rc;
}

/* cmd_check_config - validate a configuration file */
int cmd_check_config(int argc, char **argv)
{
	struct buf msg = BUF_INIT;
	struct rw_config *c;
	int quiet = 0, ch, rc = 0;

	if (argc == 2 && strcmp(argv[1], "--options") == 0)
		return check_config_options();
	optind = 1;
	while ((ch = getopt(argc, argv, "q")) != -1) {
		if (ch != 'q')
			return check_config_usage();
		quiet = 1;
	}
	if (argc - optind != 1)
		return check_config_usage();
	c = config_load(argv[optind], &msg);
	if (c == NULL) {
		fprintf(stderr, "relaywarden: %s\n", buf_cstr(&msg));
		rc = 1;
	} else if (!quiet) {
		config_dump(c, &msg);
		fwrite(msg.data, 1, msg.len, stdout);
		if (fflush(stdout) != 0) {
			perror("relaywarden: stdout");
			rc = 1;
		}
	}
	config_unref(&c);
	buf_release(&msg);
	return rc;
}
