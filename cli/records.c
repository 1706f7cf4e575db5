/* records - audit records from logs; see records.h */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/records.h"
#include "core/config.h"

const char *records_str(json_t *rec, const char *key, const char *sub)
{
	json_t *v = json_object_get(rec, key);

	if (sub != NULL)
		v = json_object_get(v, sub);
	return json_string_value(v);
}

/* records_scan - every line of one log to fn; -1 when it cannot be read */
static int records_scan(const char *name, FILE *in, records_line_fn *fn, void *arg)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long lineno = 0;

	while ((n = getline(&line, &cap, in)) >= 0) {
		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		fn(arg, line, (size_t)n, name, lineno);
	}
	free(line);
	if (ferror(in)) {
		fprintf(stderr, "relaywarden: %s: %s\n", name, strerror(errno));
		return -1;
	}
	return 0;
}

int records_each_line(char *const *logs, int n, records_line_fn *fn, void *arg)
{
	int unreadable = 0;

	for (int i = 0; i < n; i++) {
		FILE *in = strcmp(logs[i], "-") == 0 ? stdin : fopen(logs[i], "r");

		if (in == NULL) {
			fprintf(stderr, "relaywarden: %s: %s\n", logs[i], strerror(errno));
			unreadable++;
			continue;
		}
		if (records_scan(logs[i], in, fn, arg) < 0)
			unreadable++;
		if (in != stdin)
			fclose(in);
	}
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
