/*
 * relaywarden - the operator's command.
 *
 * Usage: relaywarden COMMAND [ARGS]
 *   check-config [-q] FILE           validate, print the effective settings
 *   check-config --options           every option: type, default, values
 *   explain [-c FILE] [--json] [--live] [NAME=VALUE ...]
 *                                    decide a policy request without side effects
 *   spf --ip IP --mail-from ADDR --helo NAME [--dns HOST@PORT]
 *                                    SPF result and explanation
 *   quota ACTION [-c FILE] IDENTITY [OPTIONS]
 *                                    limits and quotas in Redis (show, set, unset,
 *                                    block, unblock, reset)
 *   audit query [-c FILE] [FILTER ...] [--format table|json|csv] [LOG ...]
 *                                    find decisions in the audit trail
 *   audit verify [-c FILE | -k KEYFILE] [LOG ...]
 *                                    prove the chained trail whole and in order
 *   replay -c CANDIDATE [--format text|json] LOG ...
 *                                    recorded RCPT decisions under a candidate config
 * Exit status: 0 success, 1 failure or refusal (see each command), 2 usage.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "check-config", cmd_check_config, "validate a config file, print effective settings" },
	{ "explain", cmd_explain, "show the verdict, reply and rule trace for a policy request" },
	{ "spf", cmd_spf, "evaluate SPF (RFC 7208) for an address, sender and HELO" },
	{ "quota", cmd_quota, "show usage; set, block, reset limits and quotas in Redis" },
	{ "audit", cmd_audit, "query or verify the audit trail (audit --help)" },
	{ "replay", cmd_replay, "what a candidate config would decide for recorded RCPTs" },
};

/* usage - list the commands on stderr; exit status 2 */
static int usage(void)
{
	fprintf(stderr, "usage: relaywarden COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(stderr, "  %-14s %s\n", commands[i].name, commands[i].summary);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "--version") == 0) {
		printf("relaywarden %s\n", PACKAGE_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "relaywarden: unknown command '%s'\n", argv[1]);
	return usage();
}
