/*
 * cli - the relaywarden command's subcommands.
 *
 * Each subcommand is `int cmd_NAME(int argc, char **argv)`, called by
 * cli/main.c with argv[0] the subcommand's name and the rest its
 * arguments (getopt-style options first). It returns the process exit
 * status: 0 success, 1 a failure it has reported on stderr as
 * "relaywarden: ...", 2 a usage error. Output goes to stdout; nothing
 * but errors goes to stderr. Not thread-safe (getopt, config_load).
 */
#ifndef RW_CLI_H
#define RW_CLI_H

/* the configuration a subcommand reads when not given -c */
#define CLI_DEFAULT_CONFIG SYSCONFDIR "/relaywarden/relaywarden.conf"

/* cmd_check_config - relaywarden check-config [-q] FILE */
int cmd_check_config(int argc, char **argv);
/* cmd_explain - relaywarden explain ...: the decision for one transaction */
int cmd_explain(int argc, char **argv);
/* cmd_spf - relaywarden spf --ip IP --mail-from ADDR --helo NAME ...: one SPF check */
int cmd_spf(int argc, char **argv);
/* cmd_quota - relaywarden quota show|set|unset|block|unblock|reset: limits in Redis */
int cmd_quota(int argc, char **argv);
/* cmd_audit - relaywarden audit query|verify ...: the audit trail */
int cmd_audit(int argc, char **argv);
/* audit_verify - relaywarden audit verify (cli/audit_verify.c), argv[0] "verify" */
int audit_verify(int argc, char **argv);
/* cmd_replay - relaywarden replay -c CANDIDATE LOG ...: recorded RCPTs decided again */
int cmd_replay(int argc, char **argv);
#define AUDIT_VERIFY_USAGE \
	"usage: relaywarden audit verify [-c FILE] [-k KEYFILE | --public-key FILE\n" \
	"                                [--checkpoints FILE ...]] [LOG ...]\n"

#endif
