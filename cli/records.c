/* records - audit records from logs; see records.h */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/records.h"

const char *records_str(json_t *rec, const char *key, const char *sub)
{
	json_t *v = json_object_get(rec, key);

	if (sub != NULL)
		v = json_object_get(v, sub);
	return json_string_value(v);
}

/* records_scan - one log; the lines that were not records, -1 when unreadable */
static long records_scan(const char *name, FILE *in, records_fn *fn, void *arg)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long lineno = 0, bad = 0;

	while ((n = getline(&line, &cap, in)) >= 0) {
		json_error_t jerr;
		json_t *rec;

		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n == 0)
			continue;
		rec = json_loadb(line, (size_t)n, JSON_REJECT_DUPLICATES, &jerr);
		if (rec == NULL || !json_is_object(rec) ||
		    json_integer_value(json_object_get(rec, "v")) != 1 ||
		    records_str(rec, "time", NULL) == NULL) {
			fprintf(stderr, "relaywarden: %s:%ld: not an audit record%s%s\n", name, lineno,
				rec == NULL ? ": " : " (no \"v\":1 or no time)",
				rec == NULL ? jerr.text : "");
			bad++;
		} else {
			fn(arg, rec, line, name, lineno);
		}
		json_decref(rec);
	}
	free(line);
	if (ferror(in)) {
		fprintf(stderr, "relaywarden: %s: %s\n", name, strerror(errno));
		return -1;
	}
	return bad;
}

int records_each_log(char *const *logs, int n, records_fn *fn, void *arg)
{
	int rc = 0;

	for (int i = 0; i < n; i++) {
		FILE *in = strcmp(logs[i], "-") == 0 ? stdin : fopen(logs[i], "r");

		if (in == NULL) {
			fprintf(stderr, "relaywarden: %s: %s\n", logs[i], strerror(errno));
			rc = 1;
			continue;
		}
		if (records_scan(logs[i], in, fn, arg) != 0)
			rc = 1;
		if (in != stdin)
			fclose(in);
	}
	return rc;
}
