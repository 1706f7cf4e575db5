/*
 * config - relaywarden.conf (libconfuse) into an immutable snapshot.
 *
 * config_load parses the file, loads the files it names (CIDR tables,
 * fingerprint lists, sender-login maps, customer maps), checks cross-field
 * rules, compiles the relay policy (with its limits, quotas and
 * customers) and computes the config digest (hex SHA-256 of the effective
 * settings and the included files' bytes, secrets left out: it is
 * published, see core/config/config_digest.c). Unknown
 * options are errors. Every error names file, line and option:
 *   "relaywarden.conf:12: option 'networks' in relay 'office': bad CIDR
 *    '10.0.0.1/33': ..."
 * and errors in an included file name that file and its line.
 *
 * Snapshots are reference counted: a daemon holds one as "current"; each
 * transaction takes a reference for its lifetime; reload builds a new one
 * beside the old and swaps. config_ref/config_unref are not atomic: use
 * them from one thread (policyd's event loop) or under the caller's lock.
 * config_load itself is not reentrant (libconfuse's lexer has global
 * state): one load at a time per process.
 */
#ifndef RW_CONFIG_H
#define RW_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "core/util/buf.h"
#include "core/engine/cidr.h"
#include "core/engine/mode.h"
#include "core/engine/policy.h"
#include "core/util/strvec.h"

struct config_src;
struct domainset;

enum log_target { LOG_TO_SYSLOG = 0, LOG_TO_STDERR };

struct rw_config {
	unsigned refs;
	char *path;
	char digest[65];		/* hex; no function of a secret (config_digest.c) */
	char *instance_name;		/* "instance" option: this host's name in audit */
	char *user;			/* the daemons run as this user after binding; NULL: as started */
	struct rw_policy *policy;
	struct config_src *src;		/* private to core/config*.c (config_dump) */

	struct {
		struct strvec listen;	/* "inet:HOST:PORT", "unix:PATH" */
		unsigned socket_mode;	/* for unix sockets, e.g. 0660 */
		unsigned max_connections;
		unsigned workers;	/* event loops; 0: one per online CPU (server.c) */
		unsigned idle_timeout;	/* seconds */
		unsigned request_timeout;	/* seconds from a request's first byte to its end */
		size_t max_line_length;
		size_t max_attributes;
		size_t max_request_size;
		char *metrics;		/* "inet:HOST:PORT" of /metrics, /health, /ready; NULL: off */
	} policyd;

	struct {			/* relaywarden-milter (core/config/config_milter.c) */
		char *listen;		/* libmilter socket: "inet:PORT@HOST", "unix:/PATH" */
		unsigned socket_mode;	/* for a unix socket, e.g. 0660 */
		unsigned mta_timeout;	/* seconds libmilter waits for the MTA */
		char *metrics;		/* "inet:HOST:PORT" of /metrics, /health, /ready; NULL: off */
	} milter;

	struct {			/* EOM message checks of the milter (core/config/config_milter.c) */
		enum rw_mode dkim;		/* off, shadow, enforce: DKIM (core/msgauth/dkimv.h) */
		enum rw_mode spf;		/* ... SPF for the message (core/spf/spf_policy.h) */
		enum rw_mode alignment;		/* ... RFC 7489 3.1 (core/msgauth/align.h) */
		char *authserv_id;		/* Authentication-Results id; NULL: instance */
		int alignment_strict;		/* default mode without a DMARC record */
		int org_psl;			/* org_domain = psl (RFC 7489), else tree walk */
		struct domainset *signed_domains; /* signed downstream (planned DKIM) */
		struct strvec signed_list;	/* the same, as written (dump) */
		unsigned dkim_min_rsa_bits;
		char *dkim_key_file;		/* tests: keys from a file, not DNS */
	} checks;

	struct {			/* the resolver (core/spf/config_spf.c, core/dns/dns.h) */
		struct strvec upstreams;	/* "IP" or "IP@PORT"; empty: resolv.conf */
		unsigned timeout_ms;		/* per query, 2000 default */
	} dns;

	struct {			/* SPF in policyd (core/spf/config_spf.c, core/spf/spf_policy.h) */
		enum rw_mode inbound;		/* mail to our domains, from the client */
		enum rw_mode egress;		/* relayed mail, from each egress address */
		struct rw_ip *egress_addresses;
		size_t n_egress;
		unsigned budget_ms;		/* per transaction, all look-ups */
		char *receiver;			/* %{r} and Received-SPF; NULL: instance */
	} spf;

	struct {
		char *file;		/* NULL: no file sink */
		int syslog;
		int fsync;		/* fsync after each record */
		char *hmac_key_file;	/* NULL: records carry no mac (core/audit/audit_mac.h) */
		char *signing_key_file;	/* NULL: no signed checkpoints (core/audit/audit_sign.h) */
		unsigned checkpoint_records;	/* a checkpoint after this many records */
		unsigned checkpoint_seconds;	/* or after the first record this late */
	} audit;

	/*
	 * The Redis store of limits and quotas. "Configured" means servers or
	 * sentinels is non-empty (never both). Without it every limit or
	 * quota that is not mode = off has on_store_failure = local and runs
	 * on the in-process store alone.
	 */
	struct {
		struct strvec servers;		/* "HOST:PORT", "[V6]:PORT", "unix:/PATH" */
		struct strvec sentinels;	/* "HOST:PORT", "[V6]:PORT"; with master_name */
		char *master_name;		/* NULL unless sentinels */
		char *password;			/* NULL: no AUTH; never logged or dumped */
		unsigned database;		/* SELECT; 0 default */
		unsigned timeout_ms;		/* deadline of one command, 50 default */
		unsigned connect_timeout_ms;	/* 200 default */
		unsigned connections;		/* per process, 2 default */
	} redis;

	struct {
		enum log_target target;
		int facility;		/* syslog facility, LOG_MAIL default */
		int debug;
		int decisions;		/* a summary line for every decision, not only refusals */
	} log;
};

/* config_load - parse path; NULL with the message in *err (file:line: ...) */
struct rw_config *config_load(const char *path, struct buf *err);
/* config_dump - the effective settings in relaywarden.conf syntax */
void config_dump(const struct rw_config *c, struct buf *out);
struct rw_config *config_ref(struct rw_config *c);
/* config_unref - drop a reference, free on the last; clears *cp */
void config_unref(struct rw_config **cp);

/* config_parse_size - N[K|M|G] (binary), at most 2^53; 0 or -1 with *error_r
 * (the syntax of burst, bytes; also `relaywarden quota set`) */
int config_parse_size(const char *s, uint64_t *v, const char **error_r);
/* config_parse_rate - N[K|M|G]/[D]{s,m,h,d}, N >= 1, period 1 s..366 d */
int config_parse_rate(const char *s, uint64_t *n, uint64_t *period_s, const char **error_r);

#endif
