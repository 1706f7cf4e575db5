/*
 * relaywarden audit query - find decisions in the audit trail.
 *
 * usage: relaywarden audit query [-c FILE] [FILTER ...] [--format F] [LOG ...]
 *
 * Reads audit records (schema/audit-record.schema.json, one JSON object a
 * line) from each LOG in turn ("-": standard input; none: the audit file
 * the configuration names) and prints those every filter accepts, in file
 * order. Filters (all must match):
 *   --since TIME, --until TIME   decision time, UTC: YYYY-MM-DD[THH:MM[:SS]]
 *                                [Z]; since inclusive, until exclusive
 *   --user NAME                  SASL username, exactly
 *   --sender ADDR, --recipient ADDR
 *                                address, case-insensitively; "@domain"
 *                                matches every address of the domain
 *   --client ADDR|CIDR           client address, v4 or v6
 *   --verdict OK|REJECT|DEFER|DUNNO, --rule NAME, --component NAME,
 *   --queue-id ID, --id DECISIONID (the "(id ...)" of a refusal's reply)
 * Formats: table (default; one line a record, C0 and C1 control characters
 * shown as '?', cli/termsafe.h),
 * json (the matching lines as they are in the file), csv (RFC 4180 with a
 * header; a field that a spreadsheet would run as a formula - first byte
 * = + - @ - gets a leading ').
 * A line that is not an audit record is reported on stderr with its file
 * and line number and skipped. Exit status: 0; 1 when a log could not be
 * read or held a line that is not a record (everything else is printed);
 * 2 usage.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "cli/records.h"
#include "cli/termsafe.h"
#include "core/engine/cidr.h"
#include "core/config/config.h"

#define AQ_TIME_MAX 20	/* "YYYY-MM-DDTHH:MM:SS" */

enum aq_format { AQ_TABLE, AQ_JSON, AQ_CSV };

struct aq_filter {
	char since[AQ_TIME_MAX + 1], until[AQ_TIME_MAX + 1];	/* "": no bound */
	const char *user, *sender, *recipient, *verdict, *rule, *component, *queue_id, *id;
	struct cidr_table *clients;	/* NULL: any client */
};

/* the columns of table and csv output: a label and a path into the record */
static const struct aq_column {
	const char *label;
	const char *key, *sub;	/* record[key] or record[key][sub] */
} aq_columns[] = {
	{ "time", "time", NULL },
	{ "component", "component", NULL },
	{ "queue_id", "queue_id", NULL },
	{ "stage", "stage", NULL },
	{ "client", "client", "address" },
	{ "sasl_user", "sasl", "username" },
	{ "sender", "sender", NULL },
	{ "recipient", "recipient", NULL },
	{ "verdict", "verdict", NULL },
	{ "rule", "rule", NULL },
	{ "reply", "reply", NULL },
};
#define AQ_NCOLUMNS (sizeof(aq_columns) / sizeof(aq_columns[0]))

#define AQ_USAGE \
	"usage: relaywarden audit query [-c FILE] [--since TIME] [--until TIME] [--user NAME]\n" \
	"           [--sender ADDR|@DOMAIN] [--recipient ADDR|@DOMAIN] [--client ADDR|CIDR]\n" \
	"           [--verdict OK|REJECT|DEFER|DUNNO] [--rule NAME] [--component NAME]\n" \
	"           [--queue-id ID] [--id DECISIONID] [--format table|json|csv] [LOG ...]\n" \
	"  TIME: YYYY-MM-DD[THH:MM[:SS]][Z], UTC; LOG: a file, - for stdin; none: the\n" \
	"  configuration's audit file (-c, default " CLI_DEFAULT_CONFIG ")\n"

/* aq_time_arg - validate a TIME argument into out (no zone letter); 0 or -1 */
static int aq_time_arg(const char *in, char out[AQ_TIME_MAX + 1])
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t n = strlen(in);

	if (n > 0 && (in[n - 1] == 'Z' || in[n - 1] == 'z'))
		n--;
	if (n != 10 && n != 16 && n != 19)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = in[i] == 't' ? 'T' : in[i];

		if (shape[i] == 'd' ? !isdigit((unsigned char)c) : c != shape[i])
			return -1;
		out[i] = c;
	}
	out[n] = '\0';
	return 0;
}

/* aq_addr_match - address vs ADDR (case-insensitive) or @DOMAIN */
static int aq_addr_match(const char *addr, const char *want)
{
	const char *at;

	if (addr == NULL)
		return 0;
	if (want[0] != '@')
		return strcasecmp(addr, want) == 0;
	at = strrchr(addr, '@');
	return at != NULL && strcasecmp(at, want) == 0;
}

/* aq_eq - a string field equal to want (NULL field: no) */
static int aq_eq(const char *field, const char *want, int nocase)
{
	return field != NULL && (nocase ? strcasecmp(field, want) : strcmp(field, want)) == 0;
}

/* aq_match - every filter accepts rec */
static int aq_match(const struct aq_filter *f, json_t *rec)
{
	const char *time = records_str(rec, "time", NULL);
	struct rw_ip ip;

	if (f->since[0] && (time == NULL || strcmp(time, f->since) < 0))
		return 0;
	if (f->until[0] && (time == NULL || strcmp(time, f->until) >= 0))
		return 0;
	if ((f->user && !aq_eq(records_str(rec, "sasl", "username"), f->user, 0)) ||
	    (f->verdict && !aq_eq(records_str(rec, "verdict", NULL), f->verdict, 1)) ||
	    (f->rule && !aq_eq(records_str(rec, "rule", NULL), f->rule, 0)) ||
	    (f->component && !aq_eq(records_str(rec, "component", NULL), f->component, 1)) ||
	    (f->queue_id && !aq_eq(records_str(rec, "queue_id", NULL), f->queue_id, 0)) ||
	    (f->id && !aq_eq(records_str(rec, "id", NULL), f->id, 1)))
		return 0;
	if ((f->sender && !aq_addr_match(records_str(rec, "sender", NULL), f->sender)) ||
	    (f->recipient && !aq_addr_match(records_str(rec, "recipient", NULL), f->recipient)))
		return 0;
	if (f->clients != NULL) {
		const char *addr = records_str(rec, "client", "address");

		if (addr == NULL || cidr_parse_ip(addr, &ip) < 0 ||
		    !cidr_table_match(f->clients, &ip, NULL))
			return 0;
	}
	return 1;
}

/* aq_put_safe - s with control characters as '?' (cli/termsafe.h: a terminal never sees escapes) */
static void aq_put_safe(const char *s, FILE *out)
{
	struct buf b = BUF_INIT;

	termsafe_append(&b, s, "");
	fputs(buf_cstr(&b), out);
	buf_release(&b);
}

/* aq_put_csv - one RFC 4180 field, control characters as '?' but tabs */
static void aq_put_csv(const char *s, FILE *out)
{
	struct buf b = BUF_INIT;

	putc('"', out);
	if (s[0] != '\0' && strchr("=+-@", s[0]) != NULL)
		putc('\'', out);
	termsafe_append(&b, s, "\t");
	for (const char *p = buf_cstr(&b); *p; p++) {
		if (*p == '"')
			putc('"', out);
		putc(*p, out);
	}
	putc('"', out);
	buf_release(&b);
}

/* aq_print - one matching record in the chosen format */
static void aq_print(enum aq_format fmt, json_t *rec, const char *line, FILE *out)
{
	if (fmt == AQ_JSON) {
		fputs(line, out);
		putc('\n', out);
		return;
	}
	for (size_t i = 0; i < AQ_NCOLUMNS; i++) {
		const char *v = records_str(rec, aq_columns[i].key, aq_columns[i].sub);

		if (i > 0)
			putc(fmt == AQ_CSV ? ',' : ' ', out);
		if (fmt == AQ_CSV)
			aq_put_csv(v ? v : "", out);
		else
			aq_put_safe(v && *v ? v : "-", out);
	}
	putc('\n', out);
}

/* aq_header - the column names (table and csv) */
static void aq_header(enum aq_format fmt, FILE *out)
{
	if (fmt == AQ_JSON)
		return;
	for (size_t i = 0; i < AQ_NCOLUMNS; i++)
		fprintf(out, "%s%s", i ? (fmt == AQ_CSV ? "," : " ") : "", aq_columns[i].label);
	putc('\n', out);
}

struct aq_run {
	const struct aq_filter *f;
	enum aq_format fmt;
};

/* aq_record - print rec when every filter accepts it (records_fn) */
static void aq_record(void *arg, json_t *rec, const char *line, const char *name, long lineno)
{
	struct aq_run *run = arg;

	(void)name;
	(void)lineno;
	if (aq_match(run->f, rec))
		aq_print(run->fmt, rec, line, stdout);
}

/* aq_options - getopt_long over argv into f, *fmt, *config; 0 or a usage error */
static int aq_options(int argc, char **argv, struct aq_filter *f, enum aq_format *fmt,
		      const char **config)
{
	/* the string filters first, in the order of field[] */
	enum { O_USER = 256, O_SENDER, O_RCPT, O_VERDICT, O_RULE, O_COMPONENT, O_QUEUE_ID, O_ID,
	       O_SINCE, O_UNTIL, O_CLIENT, O_FORMAT };
	static const struct option opts[] = {
		{ "since", required_argument, NULL, O_SINCE },
		{ "until", required_argument, NULL, O_UNTIL },
		{ "user", required_argument, NULL, O_USER },
		{ "sender", required_argument, NULL, O_SENDER },
		{ "recipient", required_argument, NULL, O_RCPT },
		{ "client", required_argument, NULL, O_CLIENT },
		{ "verdict", required_argument, NULL, O_VERDICT },
		{ "rule", required_argument, NULL, O_RULE },
		{ "component", required_argument, NULL, O_COMPONENT },
		{ "queue-id", required_argument, NULL, O_QUEUE_ID },
		{ "id", required_argument, NULL, O_ID },
		{ "format", required_argument, NULL, O_FORMAT },
		{ NULL, 0, NULL, 0 },
	};
	const char **field[] = { &f->user, &f->sender, &f->recipient, &f->verdict, &f->rule,
				 &f->component, &f->queue_id, &f->id };
	const char *err = NULL;
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		if (opt >= O_USER && opt <= O_ID) {
			*field[opt - O_USER] = optarg;
			continue;
		}
		switch (opt) {
		case 'c':
			*config = optarg;
			break;
		case O_SINCE:
		case O_UNTIL:
			if (aq_time_arg(optarg, opt == O_SINCE ? f->since : f->until) < 0)
				err = "a time is YYYY-MM-DD[THH:MM[:SS]][Z]";
			break;
		case O_CLIENT:
			if (f->clients == NULL)
				f->clients = cidr_table_new();
			if (cidr_table_add(f->clients, optarg, &err) < 0 && err == NULL)
				err = "bad --client address or network";
			break;
		case O_FORMAT:
			if (strcmp(optarg, "table") == 0)
				*fmt = AQ_TABLE;
			else if (strcmp(optarg, "json") == 0)
				*fmt = AQ_JSON;
			else if (strcmp(optarg, "csv") == 0)
				*fmt = AQ_CSV;
			else
				err = "--format is table, json or csv";
			break;
		default:
			err = "unknown option or missing value";
			break;
		}
		if (err != NULL) {
			fprintf(stderr, "relaywarden: audit query: %s: %s\n%s", err,
				optind > 0 ? argv[optind - 1] : "", AQ_USAGE);
			return 2;
		}
	}
	return 0;
}

/* aq_default_log - the audit file of the configuration at path, or NULL */
static char *aq_default_log(const char *path)
{
	char *file = NULL;

	if (records_config(path, &file, NULL) == 0 && file == NULL)
		fprintf(stderr, "relaywarden: %s names no audit file: give the logs to read\n", path);
	return file;
}

/* audit_query - the query over every log */
static int audit_query(int argc, char **argv)
{
	struct aq_filter f = { 0 };
	enum aq_format fmt = AQ_TABLE;
	const char *config = CLI_DEFAULT_CONFIG;
	char *deflog = NULL;
	char **logs;
	int nlogs, rc = aq_options(argc, argv, &f, &fmt, &config);

	if (rc != 0)
		goto out;
	logs = argv + optind;
	nlogs = argc - optind;
	if (nlogs == 0) {
		if ((deflog = aq_default_log(config)) == NULL) {
			rc = 1;
			goto out;
		}
		logs = &deflog;
		nlogs = 1;
	}
	aq_header(fmt, stdout);
	rc = records_each_log(logs, nlogs, aq_record, &(struct aq_run){ &f, fmt });
	if (fflush(stdout) != 0) {
		fprintf(stderr, "relaywarden: standard output: %s\n", strerror(errno));
		rc = 1;
	}
out:
	free(deflog);
	cidr_table_free(&f.clients);
	return rc;
}

/* cmd_audit - relaywarden audit query|verify ... (see the file comments) */
int cmd_audit(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "query") == 0)
		return audit_query(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "verify") == 0)
		return audit_verify(argc - 1, argv + 1);
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(AQ_USAGE, stdout);
		fputs(AUDIT_VERIFY_USAGE, stdout);
		return 0;
	}
	fputs(AQ_USAGE, stderr);
	fputs(AUDIT_VERIFY_USAGE, stderr);
	return 2;
}
