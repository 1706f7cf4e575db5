/*
 * dns - the one resolver layer (libunbound) shared by SPF, DKIM and DMARC.
 *
 * Upstreams come from the config ("127.0.0.1@5353", several allowed, tried
 * as libunbound forwarders) or, when none is given, /etc/resolv.conf.
 * Answers are cached by libunbound (its message/RRset caches, TTLs and
 * negative answers honoured, one cache per resolver shared by all its
 * threads); synchronous look-ups first ask an in-process cache in front of
 * it (core/dns/dns_cache.h: same TTLs, answered in the calling thread, no
 * round trip to libunbound's thread). Every query has a timeout (timeout_ms, default 2000, the same
 * for both APIs); NXDOMAIN, no-data, SERVFAIL and timeout are kept apart.
 * DNSSEC validation is not done here (SPF and DKIM do not require it).
 * Private reverse zones, test. and home.arpa. go to the upstream like any
 * name (libunbound's built-in answers for them are off); localhost.,
 * invalid. and onion. are still answered by libunbound itself.
 *
 * Names asked are taken literally: labels split on '.', one trailing dot
 * ignored, every other byte is label data. A name that cannot exist (empty,
 * an empty label, a label over 63 octets, over 255 octets on the wire) is
 * DNS_NXDOMAIN without a query.
 *
 * Answers are typed: TXT records keep their character-strings as bytes with
 * lengths (a NUL byte is data, not a terminator; for convenience data[len]
 * is a NUL that is not part of the string), A/AAAA as struct rw_ip,
 * MX as preference + exchange name, PTR as names (lower-case ASCII, no
 * trailing dot; the root, as in a null MX, is ""). A record whose rdata
 * does not parse (or a name holding '.' or NUL inside a label) makes the
 * whole answer DNS_SERVFAIL. A CNAME chain is followed: the records are
 * those of the asked type at its end.
 * When libunbound's own parser refuses an answer (it reports SERVFAIL for a
 * TXT record of no strings) but the upstream's message says NOERROR, the
 * records are read from that message instead (core/dns/dns_packet.c), under the
 * same rules.
 *
 * Two ways to ask:
 *  - dns_query: synchronous, for the milter (its own thread) and the CLI;
 *    safe to call from several threads on one resolver at once (and from
 *    other threads while the loop below runs).
 *  - dns_query_async: for policyd's libevent loop; the resolver's fd is
 *    watched by an event on the given base, the callback runs on the loop
 *    thread. dns_attach, dns_query_async and dns_cancel are called on that
 *    thread only. A query is identified by an id; dns_cancel(id) guarantees
 *    the callback will not run (callers whose client went away cancel, they
 *    never leave a dangling pointer behind). A callback runs exactly once
 *    otherwise, never from inside dns_query_async.
 *
 * Ownership: answers are allocated by dns_*, freed with dns_answer_free.
 * dns_free (on the loop thread, once no other thread is inside dns_query,
 * never from inside one of its callbacks) drops pending async queries
 * without calling their callbacks.
 * Errors: dns_new returns NULL with *err; queries report failures in the
 * answer's status, never by aborting (dns_query_async before dns_attach
 * is a programming error and aborts).
 */
#ifndef RW_DNS_H
#define RW_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "core/util/buf.h"
#include "core/engine/cidr.h"
#include "core/util/strvec.h"

struct event_base;

enum dns_status {
	DNS_OK = 0,		/* at least one record of the asked type */
	DNS_NODATA,		/* the name exists, no record of that type */
	DNS_NXDOMAIN,		/* the name does not exist */
	DNS_SERVFAIL,		/* server failure, refused, malformed answer */
	DNS_TIMEOUT,		/* no answer within the timeout */
};

enum dns_type {
	DNS_T_A = 1,
	DNS_T_PTR = 12,
	DNS_T_MX = 15,
	DNS_T_TXT = 16,
	DNS_T_AAAA = 28,
	DNS_T_SPF = 99,
};

struct dns_txt {		/* one TXT record: its strings, as bytes */
	size_t n;
	struct dns_txt_string {
		const unsigned char *data;
		size_t len;
	} *s;
};

struct dns_mx {
	unsigned pref;
	char *name;
};

struct dns_answer {
	enum dns_status status;
	enum dns_type type;
	size_t n;			/* records of type */
	struct dns_txt *txt;		/* DNS_T_TXT, DNS_T_SPF */
	struct rw_ip *ip;		/* DNS_T_A, DNS_T_AAAA */
	struct dns_mx *mx;		/* DNS_T_MX */
	char **name;			/* DNS_T_PTR */
	void *storage;			/* private (freed by dns_answer_free) */
};

struct dns_config {
	struct strvec upstreams;	/* "IP" or "IP@PORT"; empty: resolv.conf */
	unsigned timeout_ms;		/* per query, default 2000 */
	int tcp_only;			/* tests: force TCP upstream */
};

struct dns_resolver;

struct dns_resolver *dns_new(const struct dns_config *cfg, struct buf *err);
/* dns_query - synchronous look-up; always returns an answer (status says how it went) */
struct dns_answer *dns_query(struct dns_resolver *r, const char *name, enum dns_type type);
/*
 * dns_query_timeout - dns_query within timeout_ms, for time budgets: the
 * resolver's own timeout when that is shorter, or when timeout_ms is 0
 */
struct dns_answer *dns_query_timeout(struct dns_resolver *r, const char *name,
				     enum dns_type type, unsigned timeout_ms);

typedef void dns_callback(struct dns_answer *ans, void *arg);	/* callee owns ans */
/* dns_attach - drive async queries from base (once per resolver); 0 or -1 */
int dns_attach(struct dns_resolver *r, struct event_base *base);
/* dns_query_async - start a look-up; returns its id (> 0) */
uint64_t dns_query_async(struct dns_resolver *r, const char *name, enum dns_type type,
			 dns_callback *cb, void *arg);
/* dns_cancel - the callback of id will not run */
void dns_cancel(struct dns_resolver *r, uint64_t id);
void dns_answer_free(struct dns_answer **ap);
const char *dns_status_name(enum dns_status st);
void dns_free(struct dns_resolver **rp);

#endif
