/*
 * proto - Postfix policy delegation protocol, sans I/O.
 *
 * Grammar (Postfix SMTPD_POLICY_README, util/attr_scan_plain.c):
 *   request   = 1*( attribute LF ) LF
 *   attribute = name "=" value
 *   name      = 1*( ALPHA / DIGIT / "_" / "-" )   ; case-sensitive
 *   value     = *( any octet except LF and NUL )   ; may be empty
 * A CR before LF is tolerated and dropped. Names we do not know are kept
 * and ignored by callers. Errors (the connection must then be closed without
 * a reply): a line longer than max_line (without its LF), more than
 * max_attributes attributes, more than max_request bytes in one request, a
 * line without '=', an empty or invalid name, a NUL byte, the same name
 * twice in one request, an empty request (LF alone).
 *
 * Usage: feed bytes as they arrive; proto_feed consumes up to the end of a
 * complete request and returns PROTO_REQUEST, then the attributes are
 * readable until proto_reset. Memory per parser is bounded by max_request.
 * Not thread-safe per parser.
 */
#ifndef RW_PROTO_H
#define RW_PROTO_H

#include <stddef.h>
#include <stdint.h>

struct proto_limits {
	size_t max_line;	/* bytes in one attribute line, default 4096 */
	size_t max_attributes;	/* attributes in one request, default 100 */
	size_t max_request;	/* bytes in one request, default 65536 */
};

enum proto_status {
	PROTO_NEED_MORE = 0,	/* all input consumed, request not complete */
	PROTO_REQUEST,		/* a complete request is ready */
	PROTO_ERROR,		/* malformed or over a limit; see *error_r */
};

struct proto_attr {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
	uint32_t name_hash;	/* proto_name_hash(name, name_len) */
};

struct proto_parser;

struct proto_parser *proto_new(const struct proto_limits *lim);
/*
 * proto_feed - consume bytes; *consumed says how many were used (on
 * PROTO_REQUEST the rest belongs to the next request: feed it after
 * proto_reset). On PROTO_ERROR *error_r is a static message and the parser
 * stays in error until proto_reset.
 */
enum proto_status proto_feed(struct proto_parser *p, const char *data, size_t len,
			     size_t *consumed, const char **error_r);
/* proto_get - value of attribute name in the complete request, or NULL */
const char *proto_get(const struct proto_parser *p, const char *name);
size_t proto_count(const struct proto_parser *p);
const struct proto_attr *proto_attr(const struct proto_parser *p, size_t i);
/* proto_name_hash - the hash the parser indexes names by (pure; any bytes) */
uint32_t proto_name_hash(const char *name, size_t len);
/* proto_reset - forget the current request (and any error) */
void proto_reset(struct proto_parser *p);
void proto_free(struct proto_parser **pp);

#endif
