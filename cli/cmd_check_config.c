/*
 * cmd_check_config - relaywarden check-config [-q] FILE
 *
 * Loads FILE as the daemons would. Valid: prints the effective settings
 * (config_dump) on stdout, or nothing with -q, and exits 0. Invalid: prints
 * "relaywarden: FILE:LINE: option '...': ..." on stderr and exits 1.
 * Usage errors exit 2.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/config.h"

/* check_config_usage - say how to call us; exit status 2 */
static int check_config_usage(void)
{
	fputs("usage: relaywarden check-config [-q] FILE\n", stderr);
	return 2;
}

/* cmd_check_config - validate a configuration file */
int cmd_check_config(int argc, char **argv)
{
	struct buf msg = BUF_INIT;
	struct rw_config *c;
	int quiet = 0, ch, rc = 0;

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
