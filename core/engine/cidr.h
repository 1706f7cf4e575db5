/*
 * cidr - IPv4/IPv6 network tables, Postfix cidr:-like.
 *
 * Patterns: "192.0.2.0/24", "192.0.2.1" (a /32), "2001:db8::/32",
 * "[2001:db8::]/32", "::1". Host bits beyond the prefix are an error (as
 * Postfix: "non-null host address bits"). Prefix /0 is allowed.
 * An IPv4-mapped IPv6 client (::ffff:192.0.2.1) matches IPv4 entries; an
 * IPv4 client never matches IPv6 entries other than through that mapping.
 * Matching is first-match in insertion order and reports the pattern text.
 *
 * Ownership: the table owns copies of pattern texts; cidr_table_free frees
 * all and clears the pointer. Immutable tables may be shared across threads.
 * Errors: -1 with a static *error_r. Pure: libc only (inet_pton).
 */
#ifndef RW_CIDR_H
#define RW_CIDR_H

#include <stddef.h>

struct rw_ip {
	int family;		/* 4 or 6 */
	unsigned char b[16];	/* network order; IPv4 in the first 4 bytes */
};

struct cidr_table;

/* cidr_parse_ip - parse a client address (v4, v6, [v6], v4-mapped v6 -> v4) */
int cidr_parse_ip(const char *s, struct rw_ip *ip);
struct cidr_table *cidr_table_new(void);
/* cidr_table_add - add one pattern; 0 or -1 with *error_r */
int cidr_table_add(struct cidr_table *t, const char *pattern, const char **error_r);
/* cidr_table_match - 1 and the matching pattern in *pattern_r, or 0 */
int cidr_table_match(const struct cidr_table *t, const struct rw_ip *ip,
		     const char **pattern_r);
size_t cidr_table_size(const struct cidr_table *t);
void cidr_table_free(struct cidr_table **t);

#endif
