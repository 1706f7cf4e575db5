/*
 * quota - relaywarden quota show|set|unset|block|unblock|reset: usage,
 * overrides, blocks and resets of rate limits and quotas in the Redis the
 * daemons share, with no reload. Details: QUOTA_USAGE below and the QUOTA
 * section of relaywarden(1); keys and fields: schema/redis-keys.md.
 *
 * The config file names the limits, the customers and the Redis (servers
 * or Sentinel). An identity option names what a limit charges; the command
 * plans it as the daemons do (core/limits/limits.c) so keys and numbers are
 * theirs. Exit: 0 done, 1 Redis unavailable or an error reply (the message
 * names the server), 2 usage or configuration error. The Redis password is
 * never printed.
 */
#include "autoconfig.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/quota.h"
#include "core/config/config.h"

#define QUOTA_REASON_MAX 200

#define QUOTA_USAGE \
	"usage: relaywarden quota ACTION [-c FILE] IDENTITY [OPTIONS]\n" \
	"actions:\n" \
	"  show [--json] [--limit NAME]\n" \
	"      per limit: configured and effective values, override, used, remaining,\n" \
	"      retry-after, block; --json adds the Redis keys\n" \
	"  set --limit NAME (--rate N/PERIOD [--burst B] |\n" \
	"                    [--messages N] [--recipients N] [--bytes N])\n" \
	"      [--expire DURATION] [--customer-wide]\n" \
	"      override the config for this identity (or its whole customer)\n" \
	"  unset --limit NAME [--customer-wide]      delete that override\n" \
	"  block --reason TEXT [--expire DURATION] [--limit NAME] [--customer-wide]\n" \
	"      refuse every check of the identity (or of its customer)\n" \
	"  unblock [--limit NAME] [--customer-wide]  lift the block\n" \
	"  reset [--limit NAME]                      delete rate state and this\n" \
	"      window's quota counters: the identity may send again\n" \
	"identity (one):\n" \
	"  --user LOGIN  --address IP  --network CIDR|RULE  --cert FINGERPRINT\n" \
	"  --sender ADDRESS  --sender-domain DOMAIN  --customer ID\n" \
	"  with another identity, --customer ID names the customer whose keys hold\n" \
	"  it (default: the customer the config maps it to; '-' for none)\n" \
	"  -c FILE  config (default " CLI_DEFAULT_CONFIG ")\n" \
	"  N: a number, optional K/M/G suffix; PERIOD, DURATION: [N]s|m|h|d\n" \
	"exit: 0 done, 1 Redis unavailable or error, 2 usage or config error\n"

enum quota_optid {
	O_CONFIG = 'c', O_HELP = 'h',
	O_JSON = 256, O_USER, O_CUSTOMER, O_ADDRESS, O_NETWORK, O_CERT, O_SENDER,
	O_SENDER_DOMAIN, O_LIMIT, O_RATE, O_BURST, O_MESSAGES, O_RECIPIENTS, O_BYTES,
	O_EXPIRE, O_CUSTOMER_WIDE, O_REASON, O_MAX
};

#define BIT(o) (UINT64_C(1) << ((o) - O_JSON))
#define B_IDENT (BIT(O_USER) | BIT(O_CUSTOMER) | BIT(O_ADDRESS) | BIT(O_NETWORK) | \
		 BIT(O_CERT) | BIT(O_SENDER) | BIT(O_SENDER_DOMAIN))
#define B_CAPS (BIT(O_MESSAGES) | BIT(O_RECIPIENTS) | BIT(O_BYTES))

static const struct option quota_longopts[] = {
	{ "config", required_argument, NULL, O_CONFIG },
	{ "help", no_argument, NULL, O_HELP },
	{ "json", no_argument, NULL, O_JSON },
	{ "user", required_argument, NULL, O_USER },
	{ "customer", required_argument, NULL, O_CUSTOMER },
	{ "address", required_argument, NULL, O_ADDRESS },
	{ "network", required_argument, NULL, O_NETWORK },
	{ "cert", required_argument, NULL, O_CERT },
	{ "sender", required_argument, NULL, O_SENDER },
	{ "sender-domain", required_argument, NULL, O_SENDER_DOMAIN },
	{ "limit", required_argument, NULL, O_LIMIT },
	{ "rate", required_argument, NULL, O_RATE },
	{ "burst", required_argument, NULL, O_BURST },
	{ "messages", required_argument, NULL, O_MESSAGES },
	{ "recipients", required_argument, NULL, O_RECIPIENTS },
	{ "bytes", required_argument, NULL, O_BYTES },
	{ "expire", required_argument, NULL, O_EXPIRE },
	{ "customer-wide", no_argument, NULL, O_CUSTOMER_WIDE },
	{ "reason", required_argument, NULL, O_REASON },
	{ NULL, 0, NULL, 0 },
};

static const struct {
	const char *name;
	enum quota_action action;
	uint64_t allowed;	/* besides -c and the identity */
} quota_actions[] = {
	{ "show", QUOTA_SHOW, BIT(O_JSON) | BIT(O_LIMIT) },
	{ "set", QUOTA_SET, BIT(O_LIMIT) | BIT(O_RATE) | BIT(O_BURST) | B_CAPS |
	  BIT(O_EXPIRE) | BIT(O_CUSTOMER_WIDE) },
	{ "unset", QUOTA_UNSET, BIT(O_LIMIT) | BIT(O_CUSTOMER_WIDE) },
	{ "block", QUOTA_BLOCK, BIT(O_REASON) | BIT(O_EXPIRE) | BIT(O_LIMIT) |
	  BIT(O_CUSTOMER_WIDE) },
	{ "unblock", QUOTA_UNBLOCK, BIT(O_LIMIT) | BIT(O_CUSTOMER_WIDE) },
	{ "reset", QUOTA_RESET, BIT(O_LIMIT) },
};

/* quota_optname - the long name of option opt */
static const char *quota_optname(int opt)
{
	for (const struct option *lo = quota_longopts; lo->name != NULL; lo++)
		if (lo->val == opt)
			return lo->name;
	return "?";
}

/* quota_usage - the message, then the usage text on stderr; exit status 2 */
static int quota_usage(const char *msg, const char *arg)
{
	if (msg != NULL)
		fprintf(stderr, "relaywarden: quota: %s%s%s\n", msg, arg ? " " : "", arg ? arg : "");
	fputs(QUOTA_USAGE, stderr);
	return QUOTA_EXIT_USAGE;
}

/* quota_identity - record one identity option (one only, --customer aside) */
static int quota_identity(struct quota_opts *o, int opt, const char *v)
{
	static const enum quota_id ids[O_MAX - O_JSON] = {
		[O_USER - O_JSON] = QID_USER, [O_CUSTOMER - O_JSON] = QID_CUSTOMER,
		[O_ADDRESS - O_JSON] = QID_ADDRESS, [O_NETWORK - O_JSON] = QID_NETWORK,
		[O_CERT - O_JSON] = QID_CERT, [O_SENDER - O_JSON] = QID_SENDER,
		[O_SENDER_DOMAIN - O_JSON] = QID_SENDER_DOMAIN,
	};

	if (opt == O_CUSTOMER) {
		if (o->customer != NULL)
			return quota_usage("--customer given twice", NULL);
		o->customer = v;
		return 0;
	}
	if (o->id != QID_NONE)
		return quota_usage("name one identity only", NULL);
	o->id = ids[opt - O_JSON];
	o->id_value = v;
	return 0;
}

/* quota_number - a count option's value */
static int quota_number(const char *name, const char *v, uint64_t *out)
{
	const char *e;

	if (config_parse_size(v, out, &e) < 0) {
		fprintf(stderr, "relaywarden: quota: --%s '%s': %s\n", name, v, e);
		return QUOTA_EXIT_USAGE;
	}
	return 0;
}

/* quota_value - parse the value of a set/block option */
static int quota_value(struct quota_opts *o, int opt, const char *v)
{
	const char *e = NULL;

	switch (opt) {
	case O_RATE:
		o->have_rate = 1;
		if (config_parse_rate(v, &o->rate, &o->period_s, &e) < 0)
			break;
		return 0;
	case O_BURST:
		if (quota_number("burst", v, &o->burst) != 0)
			return QUOTA_EXIT_USAGE;
		return o->burst == 0 ? quota_usage("--burst must be at least 1", NULL) : 0;
	case O_MESSAGES:
	case O_RECIPIENTS:
	case O_BYTES:
		o->have_cap[opt - O_MESSAGES] = 1;
		return quota_number(quota_optname(opt), v, &o->cap[opt - O_MESSAGES]);
	case O_EXPIRE:
		if (quota_parse_duration(v, &o->expire_s, &e) < 0)
			break;
		return 0;
	}
	fprintf(stderr, "relaywarden: quota: '%s': %s\n", v, e);
	return QUOTA_EXIT_USAGE;
}

/* quota_reason - printable ASCII (it goes into SMTP replies), bounded */
static int quota_reason(struct quota_opts *o, const char *v)
{
	size_t n = strlen(v);

	for (size_t i = 0; i < n; i++)
		if (v[i] < 0x20 || v[i] > 0x7e)
			return quota_usage("--reason: printable ASCII only (it is shown in "
					   "SMTP replies)", NULL);
	if (n > QUOTA_REASON_MAX)
		return quota_usage("--reason: at most 200 characters", NULL);
	o->reason = v;
	return 0;
}

/* quota_option - apply one parsed option */
static int quota_option(struct quota_opts *o, int opt, const char *v)
{
	switch (opt) {
	case O_CONFIG:
		o->config = v;
		return 0;
	case O_JSON:
		o->json = 1;
		return 0;
	case O_LIMIT:
		o->limit = v;
		return 0;
	case O_CUSTOMER_WIDE:
		o->customer_wide = 1;
		return 0;
	case O_REASON:
		return quota_reason(o, v);
	case O_RATE: case O_BURST: case O_MESSAGES: case O_RECIPIENTS: case O_BYTES:
	case O_EXPIRE:
		return quota_value(o, opt, v);
	default:
		return quota_identity(o, opt, v);
	}
}

/* quota_check - the options fit the action */
static int quota_check(const struct quota_opts *o, uint64_t seen, uint64_t allowed)
{
	for (int opt = O_JSON; opt < O_MAX; opt++)
		if ((seen & BIT(opt)) && !(allowed & BIT(opt))) {
			fprintf(stderr, "relaywarden: quota: --%s is not an option of this "
				"action\n", quota_optname(opt));
			return quota_usage(NULL, NULL);
		}
	if (o->id == QID_NONE && o->customer == NULL)
		return quota_usage("name an identity", NULL);
	if ((o->action == QUOTA_SET || o->action == QUOTA_UNSET) && o->limit == NULL)
		return quota_usage("--limit NAME is required", NULL);
	if (o->action == QUOTA_SET && !o->have_rate && !(seen & B_CAPS))
		return quota_usage("set needs --rate or --messages/--recipients/--bytes", NULL);
	if (o->have_rate && (seen & B_CAPS))
		return quota_usage("--rate is for limits, --messages/--recipients/--bytes "
				   "for quotas: not both", NULL);
	if ((seen & BIT(O_BURST)) && !o->have_rate)
		return quota_usage("--burst goes with --rate", NULL);
	if (o->action == QUOTA_BLOCK && o->reason == NULL)
		return quota_usage("block needs --reason TEXT", NULL);
	return 0;
}

/* quota_parse - the action and options into o */
static int quota_parse(int argc, char **argv, struct quota_opts *o)
{
	char **sub = argv + 1;
	uint64_t seen = 0, allowed = 0;
	int opt, rc;

	for (size_t i = 0; i < sizeof(quota_actions) / sizeof(quota_actions[0]); i++)
		if (argc > 1 && strcmp(argv[1], quota_actions[i].name) == 0) {
			o->action = quota_actions[i].action;
			allowed = quota_actions[i].allowed | B_IDENT;
		}
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
			 strcmp(argv[1], "help") == 0)) {
		fputs(QUOTA_USAGE, stdout);
		return -1;
	}
	if (o->action == 0)
		return quota_usage(argc > 1 ? "unknown action" : "no action",
				   argc > 1 ? argv[1] : NULL);
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc - 1, sub, "+c:h", quota_longopts, NULL)) != -1) {
		if (opt == '?' || opt == ':')
			return quota_usage("unknown option or missing value:", sub[optind - 1]);
		if (opt == O_HELP) {
			fputs(QUOTA_USAGE, stdout);
			return -1;
		}
		if (opt >= O_JSON)
			seen |= BIT(opt);
		if ((rc = quota_option(o, opt, optarg)) != 0)
			return rc;
	}
	if (optind < argc - 1)
		return quota_usage("unexpected argument", sub[optind]);
	if (o->id == QID_NONE && o->customer != NULL) {
		o->id = QID_CUSTOMER;	/* --customer alone is the identity */
		o->id_value = o->customer;
		o->customer = NULL;
	}
	return quota_check(o, seen, allowed);
}

/* quota_run - the action against Redis */
static int quota_run(const struct rw_config *cfg, const struct quota_opts *o)
{
	static int (*const fns[])(const struct rw_config *, const struct quota_opts *,
				  struct quota_target *, struct quota_conn *) = {
		[QUOTA_SHOW] = quota_show, [QUOTA_SET] = quota_set,
		[QUOTA_UNSET] = quota_unset, [QUOTA_BLOCK] = quota_block,
		[QUOTA_UNBLOCK] = quota_unblock, [QUOTA_RESET] = quota_reset,
	};
	struct quota_target t;
	struct quota_conn c = { NULL, NULL };
	int rc = quota_target_build(cfg, o, &t);

	if (rc == 0 && (rc = quota_conn_open(cfg, &c)) == 0)
		rc = fns[o->action](cfg, o, &t, &c);
	quota_conn_close(&c);
	quota_target_release(&t);
	return rc;
}

/* cmd_quota - see the file comment */
int cmd_quota(int argc, char **argv)
{
	struct quota_opts o;
	struct buf err = BUF_INIT;
	struct rw_config *cfg;
	int rc;

	memset(&o, 0, sizeof(o));
	o.config = CLI_DEFAULT_CONFIG;
	if ((rc = quota_parse(argc, argv, &o)) != 0)
		return rc < 0 ? 0 : rc;
	if ((cfg = config_load(o.config, &err)) == NULL) {
		fprintf(stderr, "relaywarden: %s\n", buf_cstr(&err));
		buf_release(&err);
		return QUOTA_EXIT_USAGE;
	}
	setenv("TZ", cfg->policy->timezone, 1);	/* quota windows, as the daemons */
	tzset();
	rc = quota_run(cfg, &o);
	config_unref(&cfg);
	return rc;
}
