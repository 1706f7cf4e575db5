/*
 * dns_int - the pure half of the resolver layer: typed answers from rdata,
 * query names for libunbound, and whole DNS messages when libunbound
 * refuses one (dns_packet.c). Used by core/dns/dns.c, the unit test and the
 * fuzz target; not for other modules (they see core/dns/dns.h only).
 *
 * Pure: libc only (linked into librwcore.a). Every input is untrusted:
 * rdata that does not fit its type gives a DNS_SERVFAIL answer, never a
 * read out of bounds.
 */
#ifndef RW_DNS_INT_H
#define RW_DNS_INT_H

#include <stddef.h>

#include "core/util/buf.h"
#include "core/dns/dns.h"

/* dns_answer_new - an answer with no records */
struct dns_answer *dns_answer_new(enum dns_type type, enum dns_status st);
/* dns_answer_parse - typed records from n rdata items (data[i], len[i]) */
struct dns_answer *dns_answer_parse(enum dns_type type, char *const *data,
				    const int *len, size_t n);
/* dns_packet_answer - records of type for name (NULL: not checked) from a whole
 * DNS message of len octets (core/dns/dns_packet.c: grammar and limits there) */
struct dns_answer *dns_packet_answer(enum dns_type type, const char *name,
				     const unsigned char *p, size_t len);
/* dns_name_to_query - name in libunbound's text form (\DDD escapes); -1 if invalid */
int dns_name_to_query(const char *name, struct buf *out);

#endif
