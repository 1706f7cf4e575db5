/*
 * request - a parsed Postfix policy request as a struct rw_txn.
 *
 * Maps the SMTPD_POLICY_README attributes onto the front-end neutral
 * transaction: protocol_state, instance, queue_id, client_address,
 * client_name, reverse_client_name, helo_name, policy_context (-> listener),
 * server_port, encryption_protocol, encryption_cipher, ccert_fingerprint,
 * ccert_pubkey_fingerprint, ccert_subject, ccert_issuer, sasl_method,
 * sasl_username, sasl_sender, sender, recipient, recipient_count, size.
 * Postfix sends ccert_subject/ccert_issuer only for a verified (trusted)
 * client certificate, so cert_verified is set when ccert_subject is given.
 * Postfix xtext-encodes ccert_subject and ccert_issuer (RFC 3461, "+20" for
 * a space): they are decoded into copies kept in the caller's store.
 * Numbers that do not parse are taken as 0. The txn borrows the parser's
 * strings and the store's: it is valid until proto_reset and
 * strvec_release(store). Pure: libc only.
 */
#ifndef RW_REQUEST_H
#define RW_REQUEST_H

#include "core/engine/proto.h"
#include "core/util/strvec.h"
#include "core/engine/txn.h"

/* request_to_txn - fill *t (zeroed first) from the complete request in p */
void request_to_txn(const struct proto_parser *p, struct rw_txn *t, struct strvec *store);

#endif
