/*
 * dkimv_int - internals of the DKIM adapter shared by its files and tests.
 *
 * dkimv_dns_install wires libopendkim's DNS query service to the shared
 * resolver: the query runs synchronously (dns_query) when libopendkim starts
 * it, and the answer is handed back as the DNS message libopendkim parses
 * (dkimv_dns_packet builds it from the typed answer).
 */
#ifndef RW_DKIMV_INT_H
#define RW_DKIMV_INT_H

#include <stddef.h>
#include <stdint.h>

#include <opendkim/dkim.h>

#include "core/dns/dns.h"

/* dkimv_dns_install - route lib's DNS queries to r (borrowed) */
void dkimv_dns_install(DKIM_LIB *lib, struct dns_resolver *r);
/*
 * dkimv_dns_deadline - the key look-ups of this thread end by deadline
 * (now_mono_ms clock; 0: each waits the resolver's timeout); past it no
 * look-up starts (temperror). libopendkim's query hooks carry no message,
 * and a message is verified on one thread, hence a thread-local.
 */
void dkimv_dns_deadline(uint64_t deadline);
/* dkimv_dns_packet - a DNS response for name/type holding ans (OK, NODATA or
 * NXDOMAIN) in at most cap bytes: its length, or 0 when it does not fit */
size_t dkimv_dns_packet(const char *name, int type, const struct dns_answer *ans,
			unsigned char *out, size_t cap);

#endif
