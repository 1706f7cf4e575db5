/*
 * txn - one SMTP transaction as the engine sees it, front-end neutral.
 *
 * A front-end (policyd, milter, the CLI) fills a struct rw_txn from its own
 * protocol; the engine only reads it. All strings are borrowed from the
 * front-end's request storage and must outlive the decision; NULL and ""
 * both mean "not given". Pure: libc only.
 */
#ifndef RW_TXN_H
#define RW_TXN_H

enum rw_stage {
	STAGE_UNKNOWN = 0,
	STAGE_CONNECT,
	STAGE_EHLO,
	STAGE_HELO,
	STAGE_MAIL,
	STAGE_RCPT,
	STAGE_DATA,
	STAGE_EOM,		/* END-OF-MESSAGE */
	STAGE_VRFY,
	STAGE_ETRN,
};

struct rw_txn {
	enum rw_stage stage;
	const char *instance;		/* Postfix's per-message instance id */
	const char *queue_id;
	const char *client_address;
	const char *client_name;
	const char *reverse_client_name;
	const char *helo_name;
	const char *listener;		/* Postfix policy_context / milter daemon name */
	unsigned server_port;		/* 0 when unknown */
	const char *tls_protocol;
	const char *tls_cipher;
	const char *cert_fingerprint;	/* as given: colon hex, digest by length */
	const char *cert_pubkey_fingerprint;
	const char *cert_subject;
	const char *cert_issuer;
	int cert_verified;		/* the client cert chained to a trusted CA */
	const char *sasl_method;
	const char *sasl_username;
	const char *sasl_sender;
	const char *sender;		/* "" is the null sender */
	const char *recipient;
	unsigned long recipient_count;
	unsigned long size;
};

/* txn_stage_parse - Postfix protocol_state name to enum (STAGE_UNKNOWN if none) */
enum rw_stage txn_stage_parse(const char *s);
/* txn_stage_name - "RCPT", "END-OF-MESSAGE", ... */
const char *txn_stage_name(enum rw_stage st);
/* txn_has - s is given (non-NULL, non-empty) */
int txn_has(const char *s);

#endif
