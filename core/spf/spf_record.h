/*
 * spf_record - sans-I/O parser of one SPF record (RFC 7208 sections 4.5, 4.6, 5, 6).
 *
 * Grammar (RFC 7208 12, checked in full before any evaluation, 4.6):
 *   record    = "v=spf1" *( 1*SP ( directive / modifier ) ) *SP
 *   directive = [ "+" / "-" / "~" / "?" ] mechanism
 *   mechanism = "all" / "include:" domain-spec / "a" [ ":" domain-spec ]
 *               [ dual-cidr ] / "mx" [ ":" domain-spec ] [ dual-cidr ]
 *               / "ptr" [ ":" domain-spec ] / "ip4:" ip4-network [ "/" 0-32 ]
 *               / "ip6:" ip6-network [ "/" 0-128 ] / "exists:" domain-spec
 *   dual-cidr = [ "/" 0-32 ] [ "//" 0-128 ]   (no leading zeros)
 *   modifier  = "redirect=" domain-spec / "exp=" domain-spec
 *               / name "=" macro-string       (unknown: checked, ignored)
 *   name      = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )
 * Names are case-insensitive. Terms are separated by SP only: any other
 * byte (TAB, CR, LF, NUL, non-ASCII) is part of a term and a syntax error
 * there. redirect= or exp= twice is an error. The input is bytes with a
 * length (a NUL is data); limits: none beyond the input's own length.
 *
 * Ownership: the record owns its strings; spf_record_release frees them
 * (nothing to release after an error).
 * Errors: -1, a static *error_r and rec->bad_term/bad_len naming the term.
 * Pure: libc only.
 */
#ifndef RW_SPF_RECORD_H
#define RW_SPF_RECORD_H

#include <stddef.h>

#include "core/engine/cidr.h"

enum spf_mech {
	SPF_MECH_ALL,
	SPF_MECH_INCLUDE,
	SPF_MECH_A,
	SPF_MECH_MX,
	SPF_MECH_PTR,
	SPF_MECH_IP4,
	SPF_MECH_IP6,
	SPF_MECH_EXISTS,
};

struct spf_term {
	enum spf_mech mech;
	char qualifier;		/* '+', '-', '~' or '?' */
	char *domain;		/* domain-spec as written; NULL: the current domain */
	int cidr4, cidr6;	/* prefix lengths; -1 when absent */
	struct rw_ip net;	/* ip4 / ip6 */
	char *text;		/* the term as written, for logs and the audit trail */
};

struct spf_record {
	struct spf_term *terms;	/* the directives, in order */
	size_t n;
	char *redirect;		/* domain-spec or NULL */
	char *exp;		/* domain-spec or NULL */
	size_t bad_term, bad_len;	/* on error: the offending term's offset, length */
};

/* spf_record_is_spf - the record begins with "v=spf1" then SP or its end */
int spf_record_is_spf(const char *s, size_t len);
/* spf_record_parse - parse s[0..len) into *rec (zeroed on entry); 0 or -1 */
int spf_record_parse(const char *s, size_t len, struct spf_record *rec, const char **error_r);
/* spf_mech_name - "all", "include", ... */
const char *spf_mech_name(enum spf_mech m);
void spf_record_release(struct spf_record *rec);

#endif
