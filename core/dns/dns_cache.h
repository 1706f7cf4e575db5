/*
 * dns_cache - the resolver's in-process answer cache, in front of libunbound.
 *
 * libunbound caches too, but reaching its cache costs a round trip to its
 * thread per look-up (an eventfd, a poll, a hand-over: tens of µs); SPF
 * asks half a dozen names per evaluation. This cache answers repeated
 * look-ups in the calling thread. It keeps what libunbound answered
 * (records as rdata, or no-data / NXDOMAIN) for the answer's TTL, capped at
 * DNS_CACHE_MAX_TTL_S (NXDOMAIN/no-data at DNS_CACHE_NEG_TTL_S); SERVFAIL
 * and timeouts are never cached. Direct-mapped: DNS_CACHE_SLOTS entries, a
 * colliding name replaces the older one, so memory is bounded.
 *
 * Thread-safe (one mutex). The clock is passed in (monotonic ms). Pure:
 * libc and pthreads; answers are rebuilt with dns_answer_parse.
 */
#ifndef RW_DNS_CACHE_H
#define RW_DNS_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "core/dns/dns.h"

#define DNS_CACHE_SLOTS 4096
#define DNS_CACHE_MAX_TTL_S 3600
#define DNS_CACHE_NEG_TTL_S 300

struct dns_cache;

struct dns_cache *dns_cache_new(void);
/*
 * dns_cache_put - remember an answer for (type, name): status DNS_OK with
 * n rdata items, or DNS_NODATA / DNS_NXDOMAIN (n = 0); other statuses and
 * ttl_s 0 are not stored
 */
void dns_cache_put(struct dns_cache *c, enum dns_type type, const char *name,
		   enum dns_status st, char *const *data, const int *len, size_t n,
		   unsigned ttl_s, uint64_t now_ms);
/* dns_cache_get - a fresh answer for (type, name), or NULL */
struct dns_answer *dns_cache_get(struct dns_cache *c, enum dns_type type, const char *name,
				 uint64_t now_ms);
void dns_cache_free(struct dns_cache **cp);

#endif
