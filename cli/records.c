/* records - audit records from logs; see records.h */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "cli/records.h"
#include "core/util/buf.h"
#include "core/config/config.h"
#include "core/util/strvec.h"

#define RECORDS_CHUNK (64 * 1024) 	/* bytes read (and inflated) at a time */
#define RECORDS_MAX_ROTATIONS 1000	/* name.N looked for at most */

const char *records_str(json_t *rec, const char *key, const char *sub)
{
	json_t *v = json_object_get(rec, key);

	if (sub != NULL)
		v = json_object_get(v, sub);
	return json_string_value(v);
}

/*
 * records_scan - every line of one log to fn, through zlib (gzip or plain
 * bytes alike); -1 when it cannot be read whole
 */
static int records_scan(const char *name, gzFile in, records_line_fn *fn, void *arg)
{
	struct buf pending = BUF_INIT;	/* the line not yet ended */
	char chunk[RECORDS_CHUNK];
	long lineno = 0;
	int n, zerr = Z_OK;
	const char *msg;

	while ((n = gzread(in, chunk, sizeof(chunk))) > 0) {
		const char *p = chunk, *end = chunk + n, *nl;

		while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			buf_append(&pending, p, (size_t)(nl - p));
			fn(arg, buf_cstr(&pending), pending.len, name, ++lineno);
			buf_truncate(&pending, 0);
			p = nl + 1;
		}
		buf_append(&pending, p, (size_t)(end - p));
	}
	msg = gzerror(in, &zerr);	/* a cut gzip stream ends like a file: Z_BUF_ERROR */
	if (strncmp(msg, "<fd:", 4) == 0 && strstr(msg, ": ") != NULL)
		msg = strstr(msg, ": ") + 2;	/* zlib names the descriptor; we name the file */
	if (n == 0 && zerr == Z_OK && pending.len > 0)	/* the last line, without its newline */
		fn(arg, buf_cstr(&pending), pending.len, name, ++lineno);
	buf_release(&pending);
	if (n < 0 || zerr != Z_OK) {
		fprintf(stderr, "relaywarden: %s: %s after line %ld\n", name,
			zerr == Z_ERRNO ? strerror(errno) : msg, lineno);
		return -1;
	}
	return 0;
}

/* records_read - one log ("-": standard input); -1 when it cannot be opened or read */
static int records_read(const char *name, records_line_fn *fn, void *arg)
{
	int fd = strcmp(name, "-") == 0 ? dup(STDIN_FILENO) : open(name, O_RDONLY | O_CLOEXEC);
	gzFile in = fd >= 0 ? gzdopen(fd, "rb") : NULL;
	int rc;

	if (in == NULL) {
		fprintf(stderr, "relaywarden: %s: %s\n", name, strerror(fd < 0 ? errno : ENOMEM));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	gzbuffer(in, RECORDS_CHUNK);
	rc = records_scan(name, in, fn, arg);
	gzclose_r(in);
	return rc;
}

/* records_exists - path names something (a rotated log) */
static int records_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* records_rotated_of - name is live's rotation: live.N or live.N.gz */
static int records_rotated_of(const char *name, const char *live)
{
	size_t n = strlen(live);
	const char *p = name + n + 1;

	if (strncmp(name, live, n) != 0 || name[n] != '.' || !isdigit((unsigned char)*p))
		return 0;
	p += strspn(p, "0123456789");
	return *p == '\0' || strcmp(p, ".gz") == 0;
}

/*
 * records_expand - the logs to read: each name given, preceded by its
 * rotations (name.N or name.N.gz, N from 1 up to the first missing, read
 * oldest first) unless one of them was given too
 */
static void records_expand(char *const *logs, int n, struct strvec *out)
{
	for (int i = 0; i < n; i++) {
		struct strvec rot = STRVEC_INIT;
		int given = strcmp(logs[i], "-") == 0;

		for (int j = 0; j < n && !given; j++)
			given = records_rotated_of(logs[j], logs[i]);
		for (unsigned k = 1; !given && k <= RECORDS_MAX_ROTATIONS; k++) {
			struct buf p = BUF_INIT;

			buf_printf(&p, "%s.%u", logs[i], k);
			if (!records_exists(buf_cstr(&p)))
				buf_puts(&p, ".gz");
			if (!records_exists(buf_cstr(&p))) {
				buf_release(&p);
				break;
			}
			strvec_add(&rot, buf_cstr(&p));
			buf_release(&p);
		}
		for (size_t k = rot.n; k-- > 0;)
			strvec_add(out, rot.v[k]);
		strvec_add(out, logs[i]);
		strvec_release(&rot);
	}
}

int records_each_line(char *const *logs, int n, records_line_fn *fn, void *arg)
{
	struct strvec all = STRVEC_INIT;
	int unreadable = 0;

	records_expand(logs, n, &all);
	for (size_t i = 0; i < all.n; i++)
		if (records_read(all.v[i], fn, arg) < 0)
			unreadable++;
	strvec_release(&all);
	return unreadable;
}

struct records_run {
	records_fn *fn;
	void *arg;
	long bad;	/* lines that were not records */
};

/* records_line - parse one line; a record to run->fn, anything else reported */
static void records_line(void *arg, const char *line, size_t n, const char *name, long lineno)
{
	struct records_run *run = arg;
	json_error_t jerr;
	json_t *rec;

	if (n == 0)
		return;
	rec = json_loadb(line, n, JSON_REJECT_DUPLICATES, &jerr);
	if (json_is_object(rec) && records_str(rec, "kind", NULL) != NULL &&
	    strcmp(records_str(rec, "kind", NULL), "checkpoint") == 0) {
		json_decref(rec);	/* a signed checkpoint: audit verify's, no decision */
		return;
	}
	if (rec == NULL || !json_is_object(rec) ||
	    json_integer_value(json_object_get(rec, "v")) != 1 ||
	    records_str(rec, "time", NULL) == NULL) {
		fprintf(stderr, "relaywarden: %s:%ld: not an audit record%s%s\n", name, lineno,
			rec == NULL ? ": " : " (no \"v\":1 or no time)",
			rec == NULL ? jerr.text : "");
		run->bad++;
	} else {
		run->fn(run->arg, rec, line, name, lineno);
	}
	json_decref(rec);
}

int records_each_log(char *const *logs, int n, records_fn *fn, void *arg)
{
	struct records_run run = { fn, arg, 0 };

	return records_each_line(logs, n, records_line, &run) > 0 || run.bad > 0 ? 1 : 0;
}

int records_config(const char *path, char **log, char **keyfile)
{
	struct buf err = BUF_INIT;
	struct rw_config *cfg = config_load(path, &err);

	if (cfg == NULL) {
		fprintf(stderr, "relaywarden: %s\n", buf_cstr(&err));
		buf_release(&err);
		return -1;
	}
	*log = cfg->audit.file != NULL ? strdup(cfg->audit.file) : NULL;
	if (keyfile != NULL && *keyfile == NULL && cfg->audit.hmac_key_file != NULL)
		*keyfile = strdup(cfg->audit.hmac_key_file);
	config_unref(&cfg);
	return 0;
}
