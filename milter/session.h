/*
 * session - the milter's per-connection and per-message contexts, and the
 * mapping of MTA macros onto the engine's struct rw_txn.
 *
 * Memory handed over by libmilter (callback arguments, getsymval results)
 * is valid only inside the callback: everything kept is copied here. A
 * session owns every string it points to; session_msg_reset frees the
 * message part, session_free everything.
 *
 * Macros (Sendmail names; Postfix emulates them):
 *   {client_addr}            client address (else the connect hostaddr)
 *   {daemon_name}            -> listener
 *   {daemon_port}            -> server_port
 *   {tls_version} {cipher}   TLS protocol and cipher
 *   {cert_subject} {cert_issuer}
 *                            Sendmail: the client cert's full DNs,
 *                            xtext-encoded (decoded here); Postfix: the CNs,
 *                            and only for a verified certificate
 *   {verify}                 Sendmail: "OK" = the cert chained to a trusted CA
 *   {cert_md5} {cert_fp}     Sendmail: whole-certificate fingerprint, colon hex
 *   {auth_authen} {auth_type} SASL login and mechanism
 *   i                        queue id
 *   v                        MTA name and version ("Postfix 3.7.11")
 * Verified: {verify} = "OK" when the MTA sent {verify}; otherwise only a
 * Postfix MTA (v begins with "Postfix") vouches for its {cert_subject}, which
 * it sends for verified certificates alone. An MTA that sends neither gets
 * cert_verified = 0: fail closed. Whether a verified certificate may relay
 * is the relay rules' business (subject AND issuer), never "any CN".
 *
 * Thread-safety: a session belongs to the libmilter thread of its
 * connection. Pure apart from the getsymval function passed in.
 */
#ifndef RW_MILTER_SESSION_H
#define RW_MILTER_SESSION_H

#include <stdint.h>

#include "core/util/strvec.h"
#include "core/engine/txn.h"

struct eom_msg;

/* getsymval as libmilter has it; ctx is passed through */
typedef char *session_getsym_fn(void *ctx, char *name);

struct session_msg {
	int active;			/* between MAIL and EOM/abort */
	char *queue_id;
	char *sender;			/* envelope sender, "" = null sender */
	struct strvec rcpts;		/* recipients this milter accepted */
	uint64_t size;			/* header and body bytes seen */
	int relayed;			/* a recipient was accepted as relay (a rule permitted it) */
	struct eom_msg *checks;		/* message checks state (milter/eom.c) */
};

struct session {
	char *id;			/* session id in logs and audit */
	unsigned long steps;		/* SMFIP_* flags agreed in negotiate */
	/* connection */
	char *client_name;
	char *client_hostaddr;		/* from the connect callback */
	char *helo;
	/* macros, as the MTA sent them (NULL: never sent) */
	char *client_addr;
	char *daemon_name;
	char *daemon_port;
	char *tls_version;
	char *cipher;
	char *cert_subject;
	char *cert_issuer;
	char *verify;
	char *cert_md5;
	char *cert_fp;
	char *auth_authen;
	char *auth_type;
	char *mta;
	/* derived by session_txn (owned) */
	char *subject_dec;
	char *issuer_dec;
	struct session_msg msg;
	int tcp_fd;			/* our end of the MTA's TCP connection, -1
					 * (milter/nodelay.h) */
	unsigned long tcp_inode;
};

/* session_new - an empty session with a fresh id */
struct session *session_new(void);
void session_free(struct session **sp);
/* session_msg_reset - forget the message (MAIL, EOM, abort) */
void session_msg_reset(struct session *s);
/* session_set - replace *field with a copy of value (NULL clears) */
void session_set(char **field, const char *value);
/* session_addr - copy "<a@b>" as "a@b" ("<>" gives "") into *field */
void session_addr(char **field, const char *arg);
/* session_macros - copy every known macro getsym answers (others stay) */
void session_macros(struct session *s, session_getsym_fn *getsym, void *ctx);
/* session_is_postfix - the MTA said it is Postfix (macro v) */
int session_is_postfix(const struct session *s);
/*
 * session_txn - *t (zeroed first) from the session at stage st; the txn
 * borrows the session's strings (valid until the next callback changes
 * them). recipient may be NULL.
 */
void session_txn(struct session *s, enum rw_stage st, const char *recipient,
		 struct rw_txn *t);
/* session_xtext - RFC 3461 xtext decoded; NULL if malformed or a control char results */
char *session_xtext(const char *s);

#endif
