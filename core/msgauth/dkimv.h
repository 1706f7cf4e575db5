/*
 * dkimv - DKIM verification: an I/O adapter over libopendkim (2.11).
 *
 * (The prefix is dkimv_, not dkim_: libopendkim owns the dkim_ namespace.)
 *
 * Every DKIM-Signature of a message is verified (RSA and ed25519), the
 * message fed as it streams past: header fields one by one, then body
 * chunks, then dkimv_eom. Keys are fetched through the shared resolver
 * (core/dns/dns.h dns_query, installed as libopendkim's DNS query service), or,
 * for tests, from a key file in libopendkim's DKIM_QUERY_FILE format
 * ("selector._domainkey.domain TXT-value" per line).
 *
 * On top of the library (RFC 8301, and what alignment needs):
 *  - a=rsa-sha1 is a fail ("rsa-sha1 not accepted (RFC 8301)");
 *  - an RSA key under min_rsa_bits (default 1024) is a fail;
 *  - a key whose k= does not name the signature's key type is a fail;
 *  - an l= signature whose l= is shorter than the canonicalized body
 *    passes with partial = 1 and reason "l= partial": it does not count
 *    for alignment (mc_dkim_sig_aligns).
 * Result words are RFC 8601's: pass, fail (signature or body hash
 * mismatch, revoked key, key/signature mismatch, our policy), neutral
 * (signature not processed), temperror (key look-up failed for a while:
 * SERVFAIL, timeout), permerror (malformed signature or key, no key).
 *
 * Threads: one struct dkimv per configuration, shared by all threads
 * (dkimv_new/dkimv_free on one thread, with no message open); one
 * struct dkimv_msg per message, used by one thread at a time.
 * Ownership: a dkimv_msg owns its results; pointers from dkimv_sigs are
 * valid until dkimv_msg_free. Input bytes are copied as needed (buffers
 * borrowed from libmilter may be reused after the call returns).
 * Errors: dkimv_new returns NULL with a message in *err. Feeding a
 * message never fails: a malformed message gives permerror/none results.
 */
#ifndef RW_DKIMV_H
#define RW_DKIMV_H

#include <stddef.h>

#include "core/util/buf.h"
#include <stdint.h>

#include "core/dns/dns.h"
#include "core/msgauth/msgcheck.h"

struct dkimv_config {
	struct dns_resolver *dns;	/* key look-ups; borrowed, outlives the dkimv */
	const char *key_file;		/* tests: DKIM_QUERY_FILE path instead of DNS */
	unsigned min_rsa_bits;		/* 0: 1024 */
	unsigned max_signatures;	/* verify at most this many (the rest:
					 * neutral); 0: 16 */
	int fix_crlf;			/* bare LF / CR in the body count as CRLF
					 * (DKIM_LIBFLAGS_FIXCRLF); headers always do */
	unsigned long fixed_time;	/* tests: the clock for t=/x= (0: now) */
};

struct dkimv;
struct dkimv_msg;

/* dkimv_new - a verifier for cfg (copied); NULL with *err on failure */
struct dkimv *dkimv_new(const struct dkimv_config *cfg, struct buf *err);
void dkimv_free(struct dkimv **dp);

/* dkimv_msg_new - start verifying one message; id is used in log text only */
struct dkimv_msg *dkimv_msg_new(struct dkimv *d, const char *id);
/* dkimv_header - one header field: name ":" value, no final line end;
 * folded lines may use "\r\n" or "\n" (the milter passes name, ':' and the
 * value with its leading space: negotiate SMFIP_HDR_LEADSPC, or add " ") */
void dkimv_header(struct dkimv_msg *m, const char *field, size_t len);
/* dkimv_header_nv - the same from libmilter's name and value */
void dkimv_header_nv(struct dkimv_msg *m, const char *name, const char *value);
/* dkimv_body - a body chunk (CRLF line ends, as the milter protocol has them) */
void dkimv_body(struct dkimv_msg *m, const unsigned char *p, size_t len);
/* dkimv_eom - end of message: verify; the results are then available */
void dkimv_eom(struct dkimv_msg *m);
/*
 * dkimv_eom_by - dkimv_eom whose key look-ups end by deadline (now_mono_ms
 * clock, core/util/now.h; 0: none): a key not fetched by then is a temperror
 */
void dkimv_eom_by(struct dkimv_msg *m, uint64_t deadline);
/* dkimv_sigs - the results, one per DKIM-Signature in header order; when
 * libopendkim dropped every signature field as malformed (or refused the
 * message), one entry with empty d=/s=/a= and permerror (temperror when a
 * key look-up failed) stands for them */
const struct mc_dkim_sig *dkimv_sigs(const struct dkimv_msg *m, size_t *n_r);
/* dkimv_result - the message's one-word result (mc_dkim_message_result) */
enum mc_dkim_result dkimv_result(const struct dkimv_msg *m);
/* dkimv_status - libopendkim's own status: dkim_eom's, else dkim_eoh's
 * when that ended the message, e.g. "DKIM_STAT_OK" (diagnostics, tests) */
const char *dkimv_status(const struct dkimv_msg *m);
void dkimv_msg_free(struct dkimv_msg **mp);

#endif
