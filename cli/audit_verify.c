/*
 * relaywarden audit verify - prove the audit trail whole and in order.
 *
 * usage: relaywarden audit verify [-c FILE | -k KEYFILE] [LOG ...]
 *
 * Reads every record of each LOG in turn (oldest first; "-": standard
 * input; none: the configuration's audit file) and checks each against the
 * chain audit_seal (core/audit/audit.h) wrote: the record's mac under the key
 * (-k, or the configuration's hmac_key_file), and per chain that seq goes
 * up by one and prev is the mac of the record before. Prints one line per
 * problem (FILE:LINE: what), then one line per chain and a summary.
 * What it cannot see: records cut off the end of the last log (compare the
 * chains' last times with when the writers stopped), and chains whose
 * first records are in logs not given (reported as "starts at seq N").
 * Exit status: 0 every record verified, 1 a problem, 2 usage or key error.
 */
#include "autoconfig.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "cli/audit_proof.h"
#include "cli/cli.h"
#include "cli/records.h"
#include "core/audit/audit_mac.h"
#include "core/audit/audit_sign.h"
#include "core/util/strvec.h"

#define AV_USAGE AUDIT_VERIFY_USAGE \
	"  --public-key FILE: prove the signed checkpoints (Ed25519 public key, PEM),\n" \
	"  --checkpoints FILE: copies of them (syslog) to find a cut-off end;\n" \
	"  else the mac key: -k, or the hmac_key_file of the configuration (-c,\n" \
	"  default " CLI_DEFAULT_CONFIG ");\n" \
	"  LOG: oldest first, each after its rotations (LOG.2.gz, LOG.1); - for\n" \
	"  stdin; none: the configuration's audit file\n"

struct av_chain {
	char *id;
	unsigned long long first, last;	/* seq */
	unsigned long count;
	char mac[AUDIT_MAC_HEX + 1];	/* of the record with seq last */
	char *first_time, *last_time;
};

struct av_state {
	struct audit_mac *key;
	struct av_chain *chains;
	size_t n_chains;
	unsigned long records, problems;
};

/* av_problem - one FILE:LINE: line */
static void av_problem(struct av_state *st, const char *name, long lineno, const char *what,
		       const char *detail)
{
	printf("%s:%ld: %s%s%s\n", name, lineno, what, detail ? ": " : "", detail ? detail : "");
	st->problems++;
}

/* av_chain_get - the chain with id, added when new (*fresh set) */
static struct av_chain *av_chain_get(struct av_state *st, const char *id, int *fresh)
{
	struct av_chain *c;

	*fresh = 0;
	for (size_t i = st->n_chains; i-- > 0;)	/* the latest chains are the likeliest */
		if (strcmp(st->chains[i].id, id) == 0)
			return &st->chains[i];
	st->chains = realloc(st->chains, (st->n_chains + 1) * sizeof(*st->chains));
	if (st->chains == NULL) {
		fputs("relaywarden: out of memory\n", stderr);
		exit(2);
	}
	c = &st->chains[st->n_chains++];
	memset(c, 0, sizeof(*c));
	c->id = strdup(id);
	*fresh = 1;
	return c;
}

/* av_sealed_part - length of the line before ',"mac":"' when it ends with a
 * well-formed mac (copied to mac), else 0 */
static size_t av_sealed_part(const char *line, size_t n, char mac[AUDIT_MAC_HEX + 1])
{
	static const char tag[] = ",\"mac\":\"";
	size_t tail = sizeof(tag) - 1 + AUDIT_MAC_HEX + BUF_LIT_LEN("\"}");

	if (n <= tail || memcmp(line + n - tail, tag, sizeof(tag) - 1) != 0 ||
	    memcmp(line + n - BUF_LIT_LEN("\"}"), BUF_LIT("\"}")) != 0)
		return 0;
	memcpy(mac, line + n - tail + sizeof(tag) - 1, AUDIT_MAC_HEX);
	mac[AUDIT_MAC_HEX] = '\0';
	return strspn(mac, "0123456789abcdef") == AUDIT_MAC_HEX ? n - tail : 0;
}

/* av_mac_ok - the mac of line[0..sealed) under the key is mac */
static int av_mac_ok(struct av_state *st, const char *line, size_t sealed, const char *mac)
{
	char want[AUDIT_MAC_HEX + 1];

	audit_mac_hex(st->key, line, sealed, want);
	return CRYPTO_memcmp(want, mac, AUDIT_MAC_HEX) == 0;
}

/* av_record - check one line */
static void av_record(struct av_state *st, const char *name, long lineno, const char *line,
		      size_t n)
{
	char mac[AUDIT_MAC_HEX + 1];
	size_t sealed = av_sealed_part(line, n, mac);
	json_t *rec = json_loadb(line, n, JSON_REJECT_DUPLICATES, NULL), *chain;
	const char *id, *prev, *time;
	json_int_t seq;
	struct av_chain *c;
	int fresh;

	st->records++;
	chain = json_object_get(rec, "chain");
	id = json_string_value(json_object_get(chain, "id"));
	prev = json_string_value(json_object_get(chain, "prev"));
	seq = json_integer_value(json_object_get(chain, "seq"));
	time = json_string_value(json_object_get(rec, "time"));
	if (rec == NULL || !json_is_object(rec)) {
		av_problem(st, name, lineno, "not a JSON record", NULL);
	} else if (sealed == 0 || id == NULL || prev == NULL || time == NULL || seq < 0 ||
		   !json_is_integer(json_object_get(chain, "seq"))) {
		av_problem(st, name, lineno, "not sealed (no chain or mac)", NULL);
	} else {
		/* a changed record is one problem: its chain fields still place it */
		if (!av_mac_ok(st, line, sealed, mac))
			av_problem(st, name, lineno, "mac does not match: the record was changed, "
				   "or sealed under another key", NULL);
		c = av_chain_get(st, id, &fresh);
		if (fresh) {
			c->first = (unsigned long long)seq;
			if (seq == 0 && strspn(prev, "0") != AUDIT_MAC_HEX)
				av_problem(st, name, lineno, "seq 0 with a prev that is not zeros", id);
		} else if ((unsigned long long)seq != c->last + 1) {
			char what[160];

			if ((unsigned long long)seq > c->last + 1)
				snprintf(what, sizeof(what), "records missing: seq %llu to %llu",
					 c->last + 1, (unsigned long long)seq - 1);
			else
				snprintf(what, sizeof(what), "seq %llu after %llu: repeated or out of order",
					 (unsigned long long)seq, c->last);
			av_problem(st, name, lineno, what, id);
		} else if (strcmp(prev, c->mac) != 0) {
			av_problem(st, name, lineno, "prev is not the mac of the record before", id);
		}
		if (fresh || (unsigned long long)seq > c->last) {	/* never back: one problem a swap */
			c->last = (unsigned long long)seq;
			memcpy(c->mac, mac, sizeof(mac));
		}
		c->count++;
		if (c->first_time == NULL)
			c->first_time = strdup(time);
		free(c->last_time);
		c->last_time = strdup(time);
	}
	json_decref(rec);
}

/* av_line - one line of a log (records_line_fn): a record, or an empty line */
static void av_line(void *arg, const char *line, size_t n, const char *name, long lineno)
{
	struct av_state *st = arg;

	if (n == 0)
		av_problem(st, name, lineno, "empty line", NULL);
	else
		av_record(st, name, lineno, line, n);
}

/* av_report - one line per chain, then the summary; frees the chains */
static void av_report(struct av_state *st)
{
	for (size_t i = 0; i < st->n_chains; i++) {
		struct av_chain *c = &st->chains[i];

		printf("chain %s: seq %llu to %llu, %lu records, %s to %s%s\n", c->id, c->first,
		       c->last, c->count, c->first_time, c->last_time,
		       c->first > 0 ? " (starts after seq 0: earlier records in older logs?)" : "");
		free(c->id);
		free(c->first_time);
		free(c->last_time);
	}
	free(st->chains);
	printf("%lu records, %zu chains, %lu problems: %s\n", st->records, st->n_chains,
	       st->problems, st->problems == 0 ? "verified" : "NOT verified");
}

struct av_options {
	const char *config;
	char *keyfile;		/* -k */
	char *pubkey;		/* --public-key */
	struct strvec copies;	/* --checkpoints */
	int cflag;
};

/* av_options - parse argv; 0, or 2 after printing the usage */
static int av_options(int argc, char **argv, struct av_options *o)
{
	static const struct option longopts[] = {
		{ "public-key", required_argument, NULL, 'p' },
		{ "checkpoints", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "c:k:", longopts, NULL)) != -1) {
		if (opt == 'c') {
			o->config = optarg;
			o->cflag = 1;
		} else if (opt == 'k' || opt == 'p') {
			char **dst = opt == 'k' ? &o->keyfile : &o->pubkey;

			free(*dst);
			*dst = strdup(optarg);
		} else if (opt == 'C') {
			strvec_add(&o->copies, optarg);
		} else {
			break;
		}
	}
	if (opt != -1 || (o->copies.n > 0 && o->pubkey == NULL) ||
	    (o->pubkey != NULL && o->keyfile != NULL)) {
		fputs(AV_USAGE, stderr);
		return 2;
	}
	return 0;
}

/* av_prove - the signature mode (cli/audit_proof.h); the exit status */
static int av_prove(const struct av_options *o, char **logs, int nlogs)
{
	struct buf err = BUF_INIT;
	struct audit_key *key = audit_key_load_public(o->pubkey, &err);
	struct audit_proof *p;
	int unreadable, rc;

	if (key == NULL) {
		fprintf(stderr, "relaywarden: --public-key %s\n", buf_cstr(&err));
		buf_release(&err);
		return 2;
	}
	p = audit_proof_new(key);
	unreadable = records_each_line(logs, nlogs, audit_proof_line, p);
	unreadable += audit_proof_copies(p, o->copies.v, (int)o->copies.n);
	rc = audit_proof_report(p);
	audit_proof_free(&p);
	audit_key_free(&key);
	return unreadable > 0 ? 1 : rc;
}

/* av_hmac - the HMAC mode; the exit status */
static int av_hmac(const char *keyfile, char **logs, int nlogs)
{
	struct av_state st = { 0 };
	struct buf err = BUF_INIT;
	int rc;

	if ((st.key = audit_mac_load(keyfile, NULL, &err)) == NULL) {
		fprintf(stderr, "relaywarden: %s\n", buf_cstr(&err));
		buf_release(&err);
		return 2;
	}
	st.problems += (unsigned long)records_each_line(logs, nlogs, av_line, &st);
	av_report(&st);
	rc = st.problems > 0 ? 1 : 0;
	audit_mac_free(&st.key);
	return rc;
}

/* audit_verify - see the file comment */
int audit_verify(int argc, char **argv)
{
	struct av_options o = { .config = CLI_DEFAULT_CONFIG, .copies = STRVEC_INIT };
	char *deflog = NULL, **logs;
	int nlogs, rc = av_options(argc, argv, &o);
	int need_key = o.keyfile == NULL && o.pubkey == NULL;

	logs = argv + optind;
	nlogs = argc - optind;
	if (rc == 0 && (need_key || nlogs == 0 || o.cflag) &&
	    records_config(o.config, &deflog, o.pubkey == NULL ? &o.keyfile : NULL) < 0) {
		rc = 2;
	} else if (rc == 0 && o.keyfile == NULL && o.pubkey == NULL) {
		fprintf(stderr, "relaywarden: no key: give --public-key FILE, -k KEYFILE, or set "
				"audit { hmac_key_file } in %s\n", o.config);
		rc = 2;
	} else if (rc == 0 && nlogs == 0 && deflog == NULL) {
		fprintf(stderr, "relaywarden: %s names no audit file: give the logs to read\n",
			o.config);
		rc = 2;
	}
	if (rc == 0 && nlogs == 0) {
		logs = &deflog;
		nlogs = 1;
	}
	if (rc == 0)
		rc = o.pubkey != NULL ? av_prove(&o, logs, nlogs) : av_hmac(o.keyfile, logs, nlogs);
	strvec_release(&o.copies);
	free(o.keyfile);
	free(o.pubkey);
	free(deflog);
	return rc;
}
