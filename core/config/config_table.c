/*
 * config_table - relaywarden.conf's options, their types, defaults, ranges,
 * keywords and descriptions; see config_table.h. The order of each array
 * is the order of the documentation and of the digest.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include <confuse.h>

#include "core/config/config_int.h"
#include "core/config/config_table.h"
#include "core/util/mem.h"

#define END { .name = NULL }
#define MAX53 9007199254740992LL	/* 2^53: exact in a double (Lua, JSON) */

static const char *const kw_modes[] = { "enforce", "shadow", "off", NULL };
static const char *const kw_checks[] = { "off", "shadow", "enforce", NULL };
static const char *const kw_spf[] = { "off", "shadow", "tag", "defer", "reject", NULL };

static const struct config_option opts_login[] = {
	{ "senders", CONFIG_LIST, .check = config_v_sender,
	  .dflt = "none: at least one is required",
	  .allowed = "`user@domain` (case-insensitive) or `@domain` (any address in exactly "
		     "that domain)",
	  .desc = "the envelope senders LOGIN owns; the null sender is owned by every login" },
	END
};

static const struct config_option opts_relay[] = {
	{ "type", CONFIG_KEYWORD, CONFIG_REQUIRED, .check = config_v_enum,
	  .values = (const char *const[]){ "sasl", "network", "certificate", NULL },
	  .desc = "what the rule matches; options of another type are errors" },
	{ "listeners", CONFIG_LIST, .check = config_v_word, .only = "sasl",
	  .dflt = "empty: any listener", .allowed = "printable words",
	  .desc = "only on these listeners (Postfix `policy_context`)" },
	{ "ports", CONFIG_INTS, .check = config_v_int, .min = 1, .max = 65535, .only = "sasl",
	  .dflt = "empty: any port", .desc = "only on these server ports (Postfix `server_port`)" },
	{ "require_tls", CONFIG_BOOL, .def = "false", .check = config_v_note, .only = "sasl",
	  .desc = "only over TLS" },
	{ "sender_login", CONFIG_KEYWORD, .def = "enforce", .check = config_v_enum, .only = "sasl",
	  .values = (const char *const[]){ "enforce", "any", NULL },
	  .desc = "`enforce` = the user must own the envelope sender; `any` = no check" },
	{ "networks", CONFIG_LIST, .check = config_v_cidr, .only = "network",
	  .allowed = "IPv4/IPv6 addresses or CIDR networks, no host bits beyond the prefix",
	  .desc = "client addresses allowed to relay" },
	{ "networks_files", CONFIG_LIST, .check = config_v_file, .only = "network",
	  .allowed = "file names",
	  .desc = "more networks, one per line (first column of a Postfix `cidr:` table; only "
		  "`OK` may follow)" },
	{ "fingerprints", CONFIG_LIST, .check = config_v_fprint, .only = "certificate",
	  .allowed = "hex md5/sha1/sha256/sha512, colons optional, any case",
	  .desc = "whole-certificate fingerprints (Postfix `ccert_fingerprint`)" },
	{ "pubkey_fingerprints", CONFIG_LIST, .check = config_v_fprint, .only = "certificate",
	  .allowed = "as `fingerprints`",
	  .desc = "public-key (SPKI) fingerprints (Postfix `ccert_pubkey_fingerprint`)" },
	{ "fingerprints_files", CONFIG_LIST, .check = config_v_file, .only = "certificate",
	  .allowed = "file names",
	  .desc = "more `fingerprints`, one per line (only `OK` may follow)" },
	{ "pubkey_fingerprints_files", CONFIG_LIST, .check = config_v_file, .only = "certificate",
	  .allowed = "file names", .desc = "more `pubkey_fingerprints`, one per line" },
	{ "subject", CONFIG_STRING, .check = config_v_text, .only = "certificate",
	  .allowed = "non-empty, no control characters",
	  .desc = "a verified certificate with this subject, only together with `issuer`" },
	{ "issuer", CONFIG_STRING, .check = config_v_text, .only = "certificate",
	  .allowed = "as `subject`",
	  .desc = "... and this issuer; both must match. Never \"any trusted CN\"" },
	END
};

static const struct config_option opts_policyd[] = {
	{ "listen", CONFIG_LIST, .def = "{ \"inet:127.0.0.1:10040\" }", .check = config_v_listen,
	  .allowed = "`inet:HOST:PORT`, `inet:[IPV6]:PORT`, `unix:/ABSOLUTE/PATH`; port "
		     "1-65535; at least one",
	  .desc = "where the policy server accepts Postfix connections" },
	{ "socket_mode", CONFIG_STRING, .def = "0660", .check = config_v_mode, .unit = "octal",
	  .allowed = "`0000`-`0777`", .desc = "mode of unix sockets" },
	{ "max_connections", CONFIG_INT, .def = "10000", .min = 1, .max = 1000000,
	  .check = config_v_int, .desc = "concurrent client connections" },
	{ "workers", CONFIG_INT, .def = "0", .min = 0, .max = 64, .check = config_v_int,
	  .dflt = "`0`: one per online CPU, at most 8",
	  .desc = "event loops deciding in parallel, each with its own connections, Redis "
		  "connection and audit chain; read at start only" },
	{ "idle_timeout", CONFIG_INT, .def = "330", .min = 1, .max = 86400, .unit = "seconds",
	  .check = config_v_int,
	  .desc = "close a connection idle this long (Postfix keeps them up to 300 s)" },
	{ "request_timeout", CONFIG_INT, .def = "10", .min = 1, .max = 3600, .unit = "seconds",
	  .check = config_v_int,
	  .desc = "close a connection whose request is not complete this long after its first "
		  "byte (Postfix writes a request at once)" },
	{ "max_line_length", CONFIG_INT, .def = "4096", .min = 256, .max = 1048576,
	  .unit = "bytes", .check = config_v_int, .allowed = "at most `max_request_size`",
	  .desc = "longest attribute line" },
	{ "max_attributes", CONFIG_INT, .def = "100", .min = 8, .max = 10000,
	  .check = config_v_int, .desc = "attributes in one request" },
	{ "max_request_size", CONFIG_INT, .def = "65536", .min = 1024, .max = 16777216,
	  .unit = "bytes", .check = config_v_int, .desc = "bytes in one request" },
	{ "metrics", CONFIG_STRING, .def = "", .check = config_v_metrics, .dflt = "`\"\"`: off",
	  .allowed = "`inet:HOST:PORT`",
	  .desc = "serve Prometheus `GET /metrics`, `GET /health` and `GET /ready` on this "
		  "address (keep it on loopback or a management network); read at start only" },
	END
};

static const struct config_option opts_milter[] = {
	{ "listen", CONFIG_STRING, .def = "inet:10041@127.0.0.1", .check = config_v_milter_listen,
	  .allowed = "`inet:PORT@HOST` (IPv4 address or host name), `inet6:PORT@IPV6`, "
		     "`unix:/ABSOLUTE/PATH` (also `local:`); port 1-65535; no white space or "
		     "quotes",
	  .desc = "the libmilter socket the MTA connects to (Postfix `smtpd_milters`, Sendmail "
		  "`INPUT_MAIL_FILTER` `S=`); read at start only" },
	{ "socket_mode", CONFIG_STRING, .def = "0660", .check = config_v_mode, .unit = "octal",
	  .allowed = "`0000`-`0777`", .desc = "mode of a unix socket" },
	{ "mta_timeout", CONFIG_INT, .def = "300", .min = 1, .max = 86400, .unit = "seconds",
	  .check = config_v_int,
	  .desc = "how long libmilter waits for the MTA's next command before it drops the "
		  "connection" },
	{ "metrics", CONFIG_STRING, .def = "", .check = config_v_metrics, .dflt = "`\"\"`: off",
	  .allowed = "`inet:HOST:PORT`",
	  .desc = "serve Prometheus `GET /metrics`, `GET /health` and `GET /ready` on this "
		  "address from a thread of its own (libmilter's threads never wait for a "
		  "scrape); read at start only" },
	END
};

static const struct config_option opts_checks[] = {
	{ "dkim", CONFIG_KEYWORD, .def = "off", .values = kw_checks, .check = config_v_enum,
	  .desc = "DKIM (RFC 6376, RFC 8301, RFC 8463): a message whose signatures all fail "
		  "(fail, permerror) is refused with `550 5.7.20` naming d= and s=; an unsigned "
		  "message is not" },
	{ "spf", CONFIG_KEYWORD, .def = "off", .values = kw_checks, .check = config_v_enum,
	  .desc = "SPF of the message: refused as `spf` `reject` mode refuses (`550 "
		  "5.7.23`/`5.7.24`, `451 4.7.24`); relayed mail without `egress_addresses` is "
		  "not checked" },
	{ "alignment", CONFIG_KEYWORD, .def = "off", .values = kw_checks, .check = config_v_enum,
	  .desc = "the From domain must align with a valid DKIM d= or the SPF-passing MAIL "
		  "FROM domain; exactly one From field with one address, else a finding of its "
		  "own; refused with `550 5.7.1` naming what failed and what to fix" },
	{ "authserv_id", CONFIG_STRING, .check = config_v_word, .dflt = "the `instance` name",
	  .allowed = "printable word",
	  .desc = "the authserv-id of our Authentication-Results field; existing fields "
		  "claiming it are removed" },
	{ "alignment_default", CONFIG_KEYWORD, .def = "relaxed", .check = config_v_enum,
	  .values = (const char *const[]){ "relaxed", "strict", NULL },
	  .desc = "the alignment mode when the From domain has no DMARC record (`adkim=`/"
		  "`aspf=` of a record win)" },
	{ "org_domain", CONFIG_KEYWORD, .def = "treewalk", .check = config_v_enum,
	  .values = (const char *const[]){ "treewalk", "psl", NULL },
	  .desc = "how Organizational Domains (relaxed alignment, the policy record) are found: "
		  "`treewalk` = RFC 9989's DNS Tree Walk over `_dmarc` records (at most 8 "
		  "look-ups per name, through the resolver and the message's time budget), "
		  "records read per RFC 9989; `psl` = RFC 7489 with the Public Suffix List" },
	{ "signed_domains", CONFIG_LIST, .check = config_v_domain,
	  .allowed = "domain names (`.example.test` = every subdomain)",
	  .desc = "domains the site signs downstream: for relayed mail, DKIM alignment is "
		  "planned (counts as aligned)" },
	{ "dkim_min_rsa_bits", CONFIG_INT, .def = "1024", .min = 1024, .max = 4096,
	  .check = config_v_int, .desc = "RSA keys shorter than this fail" },
	{ "dkim_key_file", CONFIG_STRING, .check = config_v_file, .dflt = "none: keys from DNS",
	  .allowed = "file name, relative to the config file",
	  .desc = "tests only: DKIM keys from a file in libopendkim's `DKIM_QUERY_FILE` format "
		  "(`selector._domainkey.domain TXT-value` per line)" },
	END
};

static const struct config_option opts_dns[] = {
	{ "upstreams", CONFIG_LIST, .check = config_v_upstream,
	  .dflt = "empty: the servers of `/etc/resolv.conf`",
	  .allowed = "`IP` or `IP@PORT` (IPv4 or IPv6 address, port 1-65535)",
	  .desc = "forwarders asked for every name, e.g. `127.0.0.1@5353`; read at start only" },
	{ "timeout_ms", CONFIG_INT, .def = "2000", .min = 1, .max = 5000, .unit = "ms",
	  .check = config_v_int, .desc = "the longest wait for one answer; read at start only" },
	END
};

static const struct config_option opts_spf[] = {
	{ "inbound", CONFIG_KEYWORD, .def = "off", .values = kw_spf, .check = config_v_enum,
	  .desc = "what to do with mail arriving for our domains" },
	{ "egress", CONFIG_KEYWORD, .def = "off", .values = kw_spf, .check = config_v_enum,
	  .allowed = "not `off` needs `egress_addresses`",
	  .desc = "what to do with relayed mail" },
	{ "egress_addresses", CONFIG_LIST, .check = config_v_ip,
	  .allowed = "IPv4 or IPv6 addresses, no prefix, no duplicates",
	  .desc = "the addresses receivers see our relayed mail come from" },
	{ "budget_ms", CONFIG_INT, .def = "3000", .min = 100, .max = 30000, .unit = "ms",
	  .check = config_v_int,
	  .desc = "time for all look-ups of one transaction (every egress address included); "
		  "then temperror. Keep it well under Postfix's policy timeout" },
	{ "receiver", CONFIG_STRING, .check = config_v_word, .dflt = "the `instance` name",
	  .allowed = "a host name (letters, digits, `.`, `-`, `_`)",
	  .desc = "our name in `%{r}` and in Received-SPF" },
	END
};

static const struct config_option opts_audit[] = {
	{ "file", CONFIG_STRING, CONFIG_EMPTY_OK, .def = "", .check = config_v_file,
	  .dflt = "`\"\"`: no file", .allowed = "a file name",
	  .desc = "append one JSON line per decision to this file (reopened on SIGUSR1)" },
	{ "syslog", CONFIG_BOOL, .def = "false", .check = config_v_note,
	  .desc = "also send each record's JSON to syslog at LOG_INFO (refusals are always "
		  "logged as one summary line; see `log.decisions`)" },
	{ "fsync", CONFIG_BOOL, .def = "false", .check = config_v_note,
	  .desc = "fsync the file after each record" },
	{ "hmac_key_file", CONFIG_STRING, CONFIG_EMPTY_OK, .def = "", .check = config_v_file,
	  .dflt = "`\"\"`: not chained", .allowed = "a file name",
	  .desc = "chain every record with HMAC-SHA256 under the key in this file (its bytes "
		  "without a final newline, at least 32; not readable by others), so "
		  "`relaywarden audit verify` can prove the trail whole and in order" },
	{ "signing_key_file", CONFIG_STRING, CONFIG_EMPTY_OK, .def = "", .check = config_v_file,
	  .dflt = "`\"\"`: no checkpoints", .allowed = "a file name",
	  .desc = "an Ed25519 private key (PEM, `openssl genpkey -algorithm ed25519`; not "
		  "readable by others): the records form a chain, and each daemon writes a signed "
		  "checkpoint (the chain's running SHA-256) at start, every `checkpoint_records` "
		  "records or `checkpoint_seconds`, at rotation (SIGUSR1), reload and stop, also to "
		  "syslog; `relaywarden audit verify --public-key` proves the trail with the public "
		  "key alone" },
	{ "checkpoint_records", CONFIG_INT, .def = "1000", .min = 1, .max = 100000000,
	  .check = config_v_int,
	  .desc = "with `signing_key_file`: a checkpoint after this many records" },
	{ "checkpoint_seconds", CONFIG_INT, .def = "60", .min = 1, .max = 86400,
	  .unit = "seconds", .check = config_v_int,
	  .desc = "with `signing_key_file`: a checkpoint this many seconds after the last one "
		  "when records were written since (checked at each record and once a second by "
		  "each daemon's timer, so an idle daemon's last records are proven within this "
		  "time)" },
	END
};

static const struct config_option opts_log[] = {
	{ "target", CONFIG_KEYWORD, .def = "syslog", .check = config_v_enum,
	  .values = (const char *const[]){ "syslog", "stderr", NULL },
	  .desc = "where operational log lines go" },
	{ "facility", CONFIG_KEYWORD, .def = "mail", .check = config_v_enum,
	  .values = (const char *const[]){ "mail", "daemon", "user", "local0", "local1",
					   "local2", "local3", "local4", "local5", "local6",
					   "local7", NULL },
	  .desc = "syslog facility" },
	{ "debug", CONFIG_BOOL, .def = "false", .check = config_v_note,
	  .desc = "log debug lines" },
	{ "decisions", CONFIG_BOOL, .def = "false", .check = config_v_note,
	  .desc = "log every decision's one-line summary at info, not only refusals" },
	END
};

static const struct config_option opts_customer[] = {
	{ "users", CONFIG_LIST, .check = config_v_text,
	  .allowed = "non-empty, no control characters",
	  .desc = "SASL logins of the customer (ASCII case-insensitive)" },
	{ "sender_domains", CONFIG_LIST, .check = config_v_domain, .allowed = "domain names",
	  .desc = "envelope sender domains of the customer (exactly these, no subdomains)" },
	{ "networks", CONFIG_LIST, .check = config_v_cidr, .allowed = "as `relay` `networks`",
	  .desc = "client networks of the customer" },
	{ "fingerprints", CONFIG_LIST, .check = config_v_fprint,
	  .allowed = "as `relay` `fingerprints`",
	  .desc = "client certificate or public-key fingerprints of the customer" },
	END
};

/* the options a limit and a quota share, before their own */
#define LIMIT_HEAD								\
	{ "charge", CONFIG_KEYWORD, CONFIG_REQUIRED, .check = config_v_enum,		\
	  .values = (const char *const[]){ "sasl_user", "cert", "client_address",	\
					   "client_prefix", "network", "customer",	\
					   "sender", "sender_domain", NULL },		\
	  .desc = "the identity counted (relaywarden.conf(5), RATE LIMITS AND QUOTAS)" },	\
	{ "prefix4", CONFIG_INT, .def = "24", .min = 0, .max = 32, .check = config_v_int,	\
	  .allowed = "only with `charge = client_prefix`",				\
	  .desc = "IPv4 prefix length of `client_prefix`" },				\
	{ "prefix6", CONFIG_INT, .def = "64", .min = 0, .max = 128, .check = config_v_int,	\
	  .allowed = "only with `charge = client_prefix`",				\
	  .desc = "IPv6 prefix length of `client_prefix`" }

/* ... and after their own */
#define LIMIT_TAIL								\
	{ "mode", CONFIG_KEYWORD, .def = "enforce", .values = kw_modes,		\
	  .check = config_v_enum,							\
	  .desc = "`shadow`: never refuse, trace \"shadow: would refuse\"; `off`: not "	\
		  "checked" },								\
	{ "reply", CONFIG_KEYWORD, .def = "temporary", .check = config_v_enum,		\
	  .values = (const char *const[]){ "temporary", "permanent", NULL },		\
	  .desc = "over the limit (or blocked): `450 4.7.1` or `550 5.7.1`" },		\
	{ "on_store_failure", CONFIG_KEYWORD, .def = "tempfail", .check = config_v_enum,	\
	  .values = (const char *const[]){ "tempfail", "accept", "local", NULL },	\
	  .desc = "Redis unavailable: `451 4.3.0`; accept; or count in this process at "	\
		  "`local_share` of the limit" },					\
	{ "local_share", CONFIG_INT, .def = "100", .min = 1, .max = 100,		\
	  .unit = "percent", .check = config_v_int,					\
	  .allowed = "only with `on_store_failure = local`",				\
	  .desc = "the share of the limit one host allows while counting locally" }

static const struct config_option opts_limit[] = {
	LIMIT_HEAD,
	{ "unit", CONFIG_KEYWORD, CONFIG_REQUIRED, .check = config_v_enum,
	  .values = (const char *const[]){ "messages", "recipients", "bytes", NULL },
	  .desc = "what the rate counts (shown in replies and logs)" },
	{ "rate", CONFIG_STRING, CONFIG_REQUIRED, .check = config_v_rate,
	  .allowed = "`N/DURATION`: N >= 1 (`K`, `M`, `G` suffix allowed), DURATION `[D]s`, "
		     "`[D]m`, `[D]h`, `[D]d`, 1 s to 366 d; e.g. `\"100/1h\"`, `\"10/30s\"`, "
		     "`\"5000/1d\"`, `\"500M/1d\"`",
	  .desc = "the sustained rate" },
	{ "burst", CONFIG_SIZE, CONFIG_UNSET, .check = config_v_size, .dflt = "N of `rate`",
	  .allowed = "1 and up, `K`/`M`/`G` suffix allowed; burst x DURATION / N at most 10^15 "
		     "microseconds",
	  .desc = "units that may go at once" },
	LIMIT_TAIL,
	END
};

static const struct config_option opts_quota[] = {
	LIMIT_HEAD,
	{ "window", CONFIG_KEYWORD, CONFIG_REQUIRED, .check = config_v_enum,
	  .values = (const char *const[]){ "hour", "day", "month", NULL },
	  .desc = "the calendar window, in `timezone`" },
	{ "messages", CONFIG_INT, .def = "0", .min = 0, .max = MAX53, .check = config_v_int,
	  .dflt = "0: not capped", .desc = "messages per window" },
	{ "recipients", CONFIG_INT, .def = "0", .min = 0, .max = MAX53, .check = config_v_int,
	  .dflt = "0: not capped", .desc = "recipients per window" },
	{ "bytes", CONFIG_SIZE, .def = "0", .check = config_v_size, .dflt = "0: not capped",
	  .allowed = "0-2^53, `K`/`M`/`G` suffix (binary) allowed", .desc = "bytes per window" },
	LIMIT_TAIL,
	END
};

static const struct config_option opts_redis[] = {
	{ "servers", CONFIG_LIST, .check = config_v_redis,
	  .allowed = "`HOST:PORT`, `[IPV6]:PORT`, `unix:/PATH`",
	  .desc = "Redis servers (not with `sentinels`)" },
	{ "sentinels", CONFIG_LIST, .check = config_v_redis,
	  .allowed = "`HOST:PORT`, `[IPV6]:PORT`",
	  .desc = "Redis Sentinels to ask for the master (not with `servers`)" },
	{ "master_name", CONFIG_STRING, .check = config_v_word,
	  .allowed = "printable word; required with `sentinels`, only with them",
	  .desc = "the Sentinel master name" },
	{ "password", CONFIG_STRING, CONFIG_SECRET, .check = config_v_text,
	  .dflt = "none: no AUTH",
	  .allowed = "non-empty, no control characters; `${VAR}` reads the environment",
	  .desc = "AUTH password: a secret, never logged, shown or part of the digest" },
	{ "database", CONFIG_INT, .def = "0", .min = 0, .max = 1023, .check = config_v_int,
	  .desc = "SELECT this database" },
	{ "timeout_ms", CONFIG_INT, .def = "50", .min = 1, .max = 5000, .unit = "ms",
	  .check = config_v_int,
	  .desc = "deadline of one command; then `on_store_failure` applies" },
	{ "connect_timeout_ms", CONFIG_INT, .def = "200", .min = 1, .max = 60000, .unit = "ms",
	  .check = config_v_int, .desc = "deadline of one connection attempt" },
	{ "connections", CONFIG_INT, .def = "2", .min = 1, .max = 64, .check = config_v_int,
	  .desc = "connections per process (requests are pipelined on them)" },
	END
};

const struct config_option config_table[] = {
	{ "instance", CONFIG_STRING, .check = config_v_word,
	  .dflt = "the host name (gethostname)",
	  .allowed = "1-255 printable ASCII characters, no white space",
	  .desc = "this host's name in audit records and logs" },
	{ "user", CONFIG_STRING, .def = "", .check = config_v_user,
	  .dflt = "`\"\"`: stay as started", .allowed = "an existing user",
	  .desc = "started as root, the daemons become this user (its groups too) once their "
		  "sockets are bound and their files open; read at start only; the "
		  "configuration, the HMAC key and the audit directory must then be readable "
		  "(writable) by it" },
	{ "local_domains", CONFIG_LIST, .check = config_v_domain,
	  .allowed = "domain names; `.example.test` = every subdomain, not example.test itself",
	  .desc = "domains we receive for: mail to them is not relay. Empty: nothing is local" },
	{ "relay_domains", CONFIG_LIST, .check = config_v_domain, .allowed = "as `local_domains`",
	  .desc = "domains we relay for (backup MX): mail to them is not relay" },
	{ "sender_login_files", CONFIG_LIST, .check = config_v_file, .allowed = "file names",
	  .desc = "sender-login maps: per line `LOGIN SENDER[, SENDER ...]`; `#` lines are "
		  "comments" },
	{ "sender_login", CONFIG_TITLED, .sub = opts_login, .title = "the login",
	  .desc = "senders one SASL login may use" },
	{ "relay", CONFIG_TITLED, .sub = opts_relay, .title = "the rule name",
	  .desc = "a relay rule; rules are tried in file order, the first that permits decides" },
	{ "policyd", CONFIG_SECTION, .sub = opts_policyd, .desc = "the Postfix policy server" },
	{ "milter", CONFIG_SECTION, .sub = opts_milter,
	  .desc = "relaywarden-milter, the Postfix and Sendmail milter" },
	{ "checks", CONFIG_SECTION, .sub = opts_checks, .dflt = "defaults below: every check off",
	  .desc = "the milter's end-of-message message checks: DKIM, SPF, alignment, "
		  "Authentication-Results" },
	{ "dns", CONFIG_SECTION, .sub = opts_dns, .desc = "the resolver (libunbound) SPF uses" },
	{ "spf", CONFIG_SECTION, .sub = opts_spf, .dflt = "defaults below: SPF off",
	  .desc = "SPF checks in relaywarden-policyd, inbound and egress" },
	{ "audit", CONFIG_SECTION, .sub = opts_audit, .desc = "the audit trail" },
	{ "log", CONFIG_SECTION, .sub = opts_log, .desc = "operational logging" },
	{ "timezone", CONFIG_STRING, .def = "UTC", .check = config_v_tz,
	  .allowed = "`UTC` or a zone name with a file under `/usr/share/zoneinfo` (`$TZDIR`), "
		     "no `..`, not absolute",
	  .desc = "the time zone of quota windows (hour, day, month boundaries in local time)" },
	{ "charge_at", CONFIG_KEYWORD, .def = "policyd", .check = config_v_enum,
	  .values = (const char *const[]){ "policyd", "milter", NULL },
	  .desc = "which front-end charges limits at end of message when a Postfix site runs "
		  "both; the other only peeks" },
	{ "customer_files", CONFIG_LIST, .check = config_v_file, .allowed = "file names",
	  .desc = "customer maps: per line `ID KIND:VALUE` with KIND `user`, `domain`, "
		  "`network` or `fingerprint`; `#` lines are comments" },
	{ "customer", CONFIG_TITLED, .sub = opts_customer, .title = "the customer id",
	  .allowed = "id: 1-64 of `A-Z a-z 0-9 . _ -`, a letter or digit first",
	  .desc = "the identities that belong to one customer" },
	{ "limit", CONFIG_TITLED, .sub = opts_limit, .title = "the limit name",
	  .allowed = "name: as a customer id", .desc = "a rate limit (GCRA)" },
	{ "quota", CONFIG_TITLED, .sub = opts_quota, .title = "the quota name",
	  .allowed = "name: as a customer id, not the name of a `limit`",
	  .desc = "a calendar quota" },
	{ "redis", CONFIG_SECTION, .sub = opts_redis,
	  .desc = "the store shared by every host for limits and quotas" },
	END
};

/* config_table_find - option name of section ("root"/NULL: the top level) */
const struct config_option *config_table_find(const char *section, const char *name)
{
	const struct config_option *t = config_table;

	if (section != NULL && strcmp(section, "root") != 0) {
		for (t = config_table; t->name != NULL && strcmp(t->name, section) != 0; t++)
			;
		if (t->sub == NULL)
			return NULL;
		t = t->sub;
	}
	for (; t->name != NULL; t++)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

/* table_one - the libconfuse option of one entry */
static void table_one(const struct config_option *o, cfg_opt_t *c)
{
	c->name = o->name;
	c->validcb = o->check;
	c->type = CFGT_STR;
	if (o->flags & (CONFIG_REQUIRED | CONFIG_UNSET))
		c->flags |= CFGF_NODEFAULT;
	switch (o->type) {
	case CONFIG_LIST:
		c->flags |= CFGF_LIST;
		c->def.parsed = (char *)o->def;
		break;
	case CONFIG_INTS:
		c->flags |= CFGF_LIST;
		c->type = CFGT_INT;
		c->def.parsed = (char *)o->def;
		break;
	case CONFIG_INT:
		c->type = CFGT_INT;
		c->def.number = o->def != NULL ? strtol(o->def, NULL, 10) : 0;
		break;
	case CONFIG_BOOL:
		c->type = CFGT_BOOL;
		c->def.boolean = o->def != NULL && strcmp(o->def, "true") == 0 ? cfg_true : cfg_false;
		break;
	case CONFIG_SECTION:
	case CONFIG_TITLED:
		c->type = CFGT_SEC;
		c->subopts = config_table_build(o->sub);
		if (o->type == CONFIG_TITLED)
			c->flags |= CFGF_TITLE | CFGF_MULTI | CFGF_NO_TITLE_DUPES;
		break;
	default:
		c->def.string = (char *)o->def;
		break;
	}
}

/* config_table_build - libconfuse's option array for t */
cfg_opt_t *config_table_build(const struct config_option *t)
{
	size_t n = 0;
	cfg_opt_t *v;

	while (t[n].name != NULL)
		n++;
	v = rw_calloc(n + 1, sizeof(*v));	/* zeroed: the last is CFG_END() */
	for (size_t i = 0; i < n; i++)
		table_one(&t[i], &v[i]);
	return v;
}

/* config_table_free - free a built array and its sections' arrays */
void config_table_free(cfg_opt_t **op)
{
	cfg_opt_t *v = *op;

	if (v == NULL)
		return;
	for (cfg_opt_t *o = v; o->name != NULL; o++)
		config_table_free(&o->subopts);
	free(v);
	*op = NULL;
}
