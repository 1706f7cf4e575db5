/* audit_proof - prove the audit trail with the public key; see audit_proof.h */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/audit_proof.h"
#include "cli/records.h"
#include "core/audit/audit_sign.h"
#include "core/util/mem.h"

struct ap_run {           /* consecutive unproven lines of one file */
	const char *name; /* interned: audit_proof.names */
	long from, to;
};

struct ap_mark { /* a checkpoint of the logs that verified */
	uint64_t seq;
	char hash[AUDIT_HASH_HEX + 1];
};

struct ap_chain {
	char *id;
	uint64_t first, next;   /* the first seq seen; the seq expected next */
	struct audit_hash hash; /* H(next), while in_sync */
	int in_sync;            /* every line of the chain since a known hash was hashed */
	uint64_t proven;        /* lines with seq below this are proven */
	unsigned long lines, checkpoints;
	char *first_time, *last_time;
	char *last_reason;   /* of the last checkpoint that verified; NULL: none */
	struct ap_run *runs; /* unproven lines since the last proof */
	size_t n_runs;
	struct ap_mark *marks;
	size_t n_marks;
	unsigned long unproven; /* lines reported unproven */
};

struct audit_proof {
	const struct audit_key *key;
	struct ap_chain *chains;
	size_t n_chains;
	char **names; /* file names seen, interned */
	size_t n_names;
	char *earliest; /* the earliest record time in the logs */
	unsigned long lines, checkpoints, problems, unproven, copies, other_keys;
};

/* ap_problem - one FILE:LINE: line */
static void ap_problem(struct audit_proof *p, const char *name, long lineno, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void ap_problem(struct audit_proof *p, const char *name, long lineno, const char *fmt, ...)
{
	va_list ap;

	printf("%s:%ld: ", name, lineno);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	p->problems++;
}

/* ap_name - the interned copy of name */
static const char *ap_name(struct audit_proof *p, const char *name)
{
	if (p->n_names > 0 && strcmp(p->names[p->n_names - 1], name) == 0)
		return p->names[p->n_names - 1];
	p->names = rw_realloc(p->names, (p->n_names + 1) * sizeof(*p->names));
	p->names[p->n_names] = rw_strdup(name);
	return p->names[p->n_names++];
}

/* ap_chain_find - the chain with id; NULL when none */
static struct ap_chain *ap_chain_find(struct audit_proof *p, const char *id)
{
	for (size_t i = p->n_chains; i-- > 0;) /* the latest chains are the likeliest */
		if (strcmp(p->chains[i].id, id) == 0)
			return &p->chains[i];
	return NULL;
}

/* ap_chain_get - the chain with id, added at seq when new */
static struct ap_chain *ap_chain_get(struct audit_proof *p, const char *id, uint64_t seq)
{
	struct ap_chain *c = ap_chain_find(p, id);

	if (c != NULL)
		return c;
	p->chains = rw_realloc(p->chains, (p->n_chains + 1) * sizeof(*p->chains));
	c = &p->chains[p->n_chains++];
	memset(c, 0, sizeof(*c));
	c->id = rw_strdup(id);
	c->first = c->next = c->proven = seq;
	audit_hash_init(&c->hash);
	c->in_sync = seq == 0; /* H(0) is known: zeros */
	return c;
}

/* ap_unproven_add - remember FILE:LINE as not yet proven */
static void ap_unproven_add(struct audit_proof *p, struct ap_chain *c, const char *name,
                            long lineno)
{
	struct ap_run *r = c->n_runs > 0 ? &c->runs[c->n_runs - 1] : NULL;
	const char *in = ap_name(p, name);

	if (r != NULL && r->name == in && r->to + 1 == lineno) {
		r->to = lineno;
		return;
	}
	c->runs = rw_realloc(c->runs, (c->n_runs + 1) * sizeof(*c->runs));
	c->runs[c->n_runs++] = (struct ap_run){in, lineno, lineno};
}

/* ap_unproven_flush - print the remembered lines as unproven, with why */
static void ap_unproven_flush(struct audit_proof *p, struct ap_chain *c, const char *why)
{
	for (size_t i = 0; i < c->n_runs; i++) {
		struct ap_run *r = &c->runs[i];

		if (r->from == r->to)
			printf("%s:%ld: unproven: %s %s\n", r->name, r->from, why, c->id);
		else
			printf("%s:%ld-%ld: unproven: %s %s\n", r->name, r->from, r->to, why,
			       c->id);
		c->unproven += (unsigned long)(r->to - r->from + 1);
		p->unproven += (unsigned long)(r->to - r->from + 1);
	}
	c->n_runs = 0;
}

/*
 * ap_checkpoint - a checkpoint line that verified: compare its hash, prove
 * or resync; -1 (reported) when it carries no hash to go on from
 */
static int ap_checkpoint(struct audit_proof *p, struct ap_chain *c, json_t *rec, uint64_t seq,
                         const char *name, long lineno)
{
	const char *hash = records_str(rec, "hash", NULL),
	           *reason = records_str(rec, "reason", NULL);
	char have[AUDIT_HASH_HEX + 1];
	struct audit_hash given = {.ctx = NULL};

	audit_hash_hex(&c->hash, have);
	if (hash == NULL || audit_hash_set(&given, hash) < 0) {
		ap_problem(p, name, lineno, "checkpoint without a well-formed hash: %s", c->id);
		return -1;
	}
	if (!c->in_sync)
		ap_unproven_flush(p, c,
		                  "before the first checkpoint (the chain starts in an "
		                  "older log, or after a gap) of chain");
	else if (strcmp(have, hash) != 0)
		ap_problem(
		    p, name, lineno,
		    "checkpoint seq %llu: the chain's lines before it do not "
		    "hash to its hash: a line since the checkpoint before was changed, removed, "
		    "inserted or reordered: %s",
		    (unsigned long long)seq, c->id);
	memcpy(c->hash.md, given.md, sizeof(given.md)); /* the signed hash: go on from it */
	c->in_sync = 1;
	c->n_runs = 0;
	c->proven = seq + 1;
	c->checkpoints++;
	p->checkpoints++;
	free(c->last_reason);
	c->last_reason = rw_strdup(reason != NULL ? reason : "?");
	c->marks = rw_realloc(c->marks, (c->n_marks + 1) * sizeof(*c->marks));
	c->marks[c->n_marks].seq = seq;
	memcpy(c->marks[c->n_marks++].hash, hash, AUDIT_HASH_HEX + 1);
	return 0;
}

/* ap_is_checkpoint - rec is a signed checkpoint line */
static int ap_is_checkpoint(json_t *rec)
{
	const char *kind = records_str(rec, "kind", NULL);

	return kind != NULL && strcmp(kind, "checkpoint") == 0;
}

/* ap_sig_problem - why a checkpoint's signature failed (rc of audit_sign_check) */
static void ap_sig_problem(struct audit_proof *p, json_t *rec, int rc, const char *name,
                           long lineno)
{
	const char *kid = records_str(rec, "key", NULL);

	if (rc == -1)
		ap_problem(p, name, lineno, "checkpoint without a signature");
	else if (kid != NULL && strcmp(kid, audit_key_id(p->key)) != 0)
		ap_problem(p, name, lineno,
		           "checkpoint signed by another key (key %s), not by the "
		           "public key given",
		           kid);
	else
		ap_problem(p, name, lineno,
		           "checkpoint signature does not verify: the checkpoint "
		           "was changed or forged");
}

/* ap_place - the line's seq against its chain: 1 to go on, 0 to skip it (reported) */
static int ap_place(struct audit_proof *p, struct ap_chain *c, uint64_t seq, const char *name,
                    long lineno)
{
	if (seq < c->next) {
		ap_problem(p, name, lineno,
		           "seq %llu after %llu: repeated, replayed or out of "
		           "order: %s",
		           (unsigned long long)seq, (unsigned long long)c->next - 1, c->id);
		return 0;
	}
	if (seq > c->next) {
		ap_problem(p, name, lineno, "lines missing: seq %llu to %llu: %s",
		           (unsigned long long)c->next, (unsigned long long)seq - 1, c->id);
		c->in_sync = 0;
		ap_unproven_flush(p, c, "before a gap in chain");
	}
	return 1;
}

/* ap_record - one parsed line of the logs */
static void ap_record(struct audit_proof *p, json_t *rec, const char *line, size_t n,
                      const char *name, long lineno)
{
	json_t *chain = json_object_get(rec, "chain"), *jseq = json_object_get(chain, "seq");
	const char *id = records_str(rec, "chain", "id"), *time = records_str(rec, "time", NULL);
	struct ap_chain *c;
	uint64_t seq;
	int cp = ap_is_checkpoint(rec), sig = 0;

	if (id == NULL || !json_is_integer(jseq) || json_integer_value(jseq) < 0) {
		ap_problem(p, name, lineno, "not in a chain (no chain id and seq)");
		return;
	}
	seq = (uint64_t)json_integer_value(jseq);
	c = ap_chain_get(p, id, seq);
	if (!ap_place(p, c, seq, name, lineno))
		return;
	if (cp && (sig = audit_sign_check(p->key, line, n)) != 0)
		ap_sig_problem(p, rec, sig, name, lineno);
	if (!cp || sig != 0 || ap_checkpoint(p, c, rec, seq, name, lineno) < 0)
		ap_unproven_add(p, c, name, lineno);
	if (c->in_sync)
		audit_hash_step(&c->hash, line, n);
	c->next = seq + 1;
	c->lines++;
	p->lines++;
	if (time != NULL) {
		if (c->first_time == NULL)
			c->first_time = rw_strdup(time);
		free(c->last_time);
		c->last_time = rw_strdup(time);
		if (p->earliest == NULL || strcmp(time, p->earliest) < 0) {
			free(p->earliest);
			p->earliest = rw_strdup(time);
		}
	}
}

struct audit_proof *audit_proof_new(const struct audit_key *key)
{
	struct audit_proof *p = rw_calloc(1, sizeof(*p));

	p->key = key;
	return p;
}

void audit_proof_line(void *proof, const char *line, size_t n, const char *name, long lineno)
{
	struct audit_proof *p = proof;
	json_t *rec;

	if (n == 0) {
		ap_problem(p, name, lineno, "empty line");
		return;
	}
	rec = json_loadb(line, n, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(rec))
		ap_problem(p, name, lineno, "not a JSON record");
	else
		ap_record(p, rec, line, n, name, lineno);
	json_decref(rec);
}

/* ap_copy_check - one verified checkpoint copy against the chains of the logs */
static void ap_copy_check(struct audit_proof *p, json_t *rec, const char *name, long lineno)
{
	const char *id = records_str(rec, "chain", "id"), *hash = records_str(rec, "hash", NULL);
	const char *time = records_str(rec, "time", NULL);
	json_int_t seq = json_integer_value(json_object_get(json_object_get(rec, "chain"), "seq"));
	struct ap_chain *c = id != NULL ? ap_chain_find(p, id) : NULL;

	if (id == NULL || hash == NULL || time == NULL || seq < 0) {
		ap_problem(p, name, lineno, "checkpoint copy without chain, hash or time");
		return;
	}
	if (c == NULL && p->earliest != NULL && strcmp(time, p->earliest) >= 0) {
		c = ap_chain_get(p, id, (uint64_t)seq); /* reported once: no line of it will come */
		c->next = (uint64_t)seq;
		ap_problem(p, name, lineno,
		           "chain %s (checkpoint seq %lld, %s) has no line in the "
		           "logs, which reach back to %s: its lines were removed",
		           id, (long long)seq, time, p->earliest);
		return;
	}
	if (c == NULL || (uint64_t)seq < c->first || c->lines == 0)
		return; /* older than the logs given, or a chain reported missing */
	if ((uint64_t)seq >= c->next) {
		ap_problem(p, name, lineno,
		           "the logs end chain %s at seq %llu, but this copy of its "
		           "checkpoint seq %lld (%s) shows it went on: lines cut off the end",
		           id, (unsigned long long)c->next - 1, (long long)seq, time);
		return;
	}
	for (size_t i = 0; i < c->n_marks; i++)
		if (c->marks[i].seq == (uint64_t)seq && strcmp(c->marks[i].hash, hash) == 0)
			return;
	ap_problem(p, name, lineno,
	           "the logs' line seq %lld of chain %s is not this checkpoint "
	           "(%s)",
	           (long long)seq, id, time);
}

/* ap_copy_line - one line of a copies file: the checkpoint JSON in it, if any */
static void ap_copy_line(void *arg, const char *line, size_t n, const char *name, long lineno)
{
	struct audit_proof *p = arg;
	const char *brace = memchr(line, '{', n);
	size_t len;
	json_t *rec;
	int rc;

	if (brace == NULL)
		return;
	len = n - (size_t)(brace - line);
	while (len > 0 && (brace[len - 1] == '\r' || brace[len - 1] == ' '))
		len--;
	rec = json_loadb(brace, len, JSON_REJECT_DUPLICATES, NULL);
	if (json_is_object(rec) && ap_is_checkpoint(rec)) {
		const char *kid = records_str(rec, "key", NULL);

		if (kid != NULL && strcmp(kid, audit_key_id(p->key)) != 0)
			p->other_keys++; /* another writer's, in a shared log */
		else if ((rc = audit_sign_check(p->key, brace, len)) != 0)
			ap_sig_problem(p, rec, rc, name, lineno);
		else {
			p->copies++;
			ap_copy_check(p, rec, name, lineno);
		}
	}
	json_decref(rec);
}

int audit_proof_copies(struct audit_proof *p, char *const *files, int n)
{
	return records_each_line(files, n, ap_copy_line, p); /* with their rotations */
}

int audit_proof_report(struct audit_proof *p)
{
	for (size_t i = 0; i < p->n_chains; i++)
		ap_unproven_flush(p, &p->chains[i], "after the last checkpoint of chain");
	for (size_t i = 0; i < p->n_chains; i++) {
		struct ap_chain *c = &p->chains[i];
		int closed = c->last_reason != NULL && strcmp(c->last_reason, "close") == 0 &&
		             c->proven == c->next;

		if (c->lines == 0) {
			printf("chain %s: no line in the logs, only checkpoint copies\n", c->id);
			continue;
		}

		printf("chain %s: seq %llu to %llu, %lu lines, %lu checkpoints, %s to %s, ", c->id,
		       (unsigned long long)c->first, (unsigned long long)c->next - 1, c->lines,
		       c->checkpoints, c->first_time ? c->first_time : "?",
		       c->last_time ? c->last_time : "?");
		if (c->checkpoints == 0)
			printf("no checkpoint: nothing proven\n");
		else
			printf("proven to seq %llu, %lu unproven%s\n",
			       (unsigned long long)c->proven - 1, c->unproven,
			       closed ? ", closed"
			              : ": no closing checkpoint (running, crashed, or "
			                "the end cut off: give --checkpoints)");
	}
	printf("%lu lines, %zu chains, %lu checkpoints, %lu copies compared, %lu problems, "
	       "%lu unproven: %s\n",
	       p->lines, p->n_chains, p->checkpoints, p->copies, p->problems, p->unproven,
	       p->problems > 0   ? "NOT verified"
	       : p->unproven > 0 ? "verified up to the last checkpoints"
	                         : "verified");
	return p->problems > 0 ? 1 : p->unproven > 0 ? 3 : 0;
}

void audit_proof_free(struct audit_proof **pp)
{
	struct audit_proof *p = *pp;

	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n_chains; i++) {
		struct ap_chain *c = &p->chains[i];

		audit_hash_release(&c->hash);
		free(c->id);
		free(c->first_time);
		free(c->last_time);
		free(c->last_reason);
		free(c->runs);
		free(c->marks);
	}
	for (size_t i = 0; i < p->n_names; i++)
		free(p->names[i]);
	free(p->names);
	free(p->chains);
	free(p->earliest);
	free(p);
	*pp = NULL;
}
