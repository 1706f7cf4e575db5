/*
 * records - read audit records (schema/audit-record.schema.json) from logs
 * for the commands that look back at them (audit query, audit verify,
 * replay).
 *
 * Logs: each name given is read after its rotations, oldest first:
 * NAME.N ... NAME.2(.gz), NAME.1(.gz), NAME (logrotate's numbering, with
 * or without compress and delaycompress), unless a rotation of NAME is
 * among the names given (then the names are read as given). Every file is
 * read through zlib, so gzip-compressed and plain files alike; "-" is
 * standard input.
 *
 * A record is a line holding a JSON object with "v": 1 and a "time"; any
 * other non-empty line is reported on stderr as "relaywarden: FILE:LINE:
 * not an audit record ..." and skipped, never fatal. Signed checkpoints
 * ("kind": "checkpoint") are no decisions: records_each_log skips them,
 * records_each_line gives them like every line.
 */
#ifndef RW_CLI_RECORDS_H
#define RW_CLI_RECORDS_H

#include <stddef.h>

#include <jansson.h>

/* records_line_fn - one line, its newline removed (line[n] is NUL); borrowed for the call */
typedef void records_line_fn(void *arg, const char *line, size_t n, const char *name,
			     long lineno);
/* records_fn - one record; line is its text, borrowed for the call */
typedef void records_fn(void *arg, json_t *rec, const char *line, const char *name, long lineno);

/*
 * records_each_line - every line of each log and its rotations in turn
 * (see above), empty ones included, to fn; the number of files that could
 * not be opened or read whole (each reported on stderr)
 */
int records_each_line(char *const *logs, int n, records_line_fn *fn, void *arg);

/*
 * records_each_log - every record of each log in turn to fn; 0, or 1 when
 * a log could not be read or held a line that is not a record (after
 * reading everything else)
 */
int records_each_log(char *const *logs, int n, records_fn *fn, void *arg);

/*
 * records_config - from the configuration at path: its audit file into
 * *log (NULL when it names none) and, when keyfile is not NULL and *keyfile
 * is NULL, its hmac_key_file; 0, or -1 after saying why on stderr
 */
int records_config(const char *path, char **log, char **keyfile);

/* records_str - rec[key] or rec[key][sub] as a string; NULL when null or absent */
const char *records_str(json_t *rec, const char *key, const char *sub);

#endif
