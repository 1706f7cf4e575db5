# scenarios.sh - the end-to-end scenarios; sourced by run.sh, which provides
# smtp, expect_reply, expect_queued, expect_audit, expect_sink and the
# stack's RW_* variables.
# shellcheck shell=bash

# Postfix wraps a policy server's "NNN text" as
# "NNN D.D.D <rcpt>: Recipient address rejected: text", so the text
# fragments below are matched anywhere in the reply.
DENIED="Relay access denied"

# scenarios_init - swaks option sets: plain SMTP from 127.0.0.1,
# submission as alice (STARTTLS + AUTH PLAIN), the allowlisted office address
scenarios_init() {
	SMTP=(--port "$RW_SMTP_PORT")
	ALICE=(--port "$RW_SUBMISSION_PORT" --tls --auth PLAIN
		--auth-user "$RW_SASL_USER" --auth-password "$RW_SASL_PASS")
	OFFICE=(--port "$RW_SMTP_PORT" --local-interface 127.0.0.2)
}

# s1_unknown_client - no permit: relay refused
s1_unknown_client() {
	smtp "${SMTP[@]}" --from someone@elsewhere.test --to bob@remote.test
	expect_reply 1-unknown 554 5.7.1 "$DENIED"
	expect_audit 1-unknown bob@remote.test verdict=REJECT stage=RCPT \
		host=e2e component=policyd rule=null \
		client_address=127.0.0.1 sender=someone@elsewhere.test \
		"reply^=554 5.7.1" "reply*=$DENIED" trace?
}

# s2_sasl_submission - alice over STARTTLS + AUTH PLAIN relays
s2_sasl_submission() {
	smtp "${ALICE[@]}" --from alice@example.test --to bob@remote.test
	expect_reply 2-sasl 250 2.1.5 ""
	expect_queued 2-sasl
	expect_audit 2-sasl bob@remote.test verdict=OK rule=submission \
		sasl_username=alice@example.test sasl_method=PLAIN \
		listener=submission "listener_port=$RW_SUBMISSION_PORT" \
		tls_protocol^=TLS sender=alice@example.test
	expect_sink 2-sasl relay bob@remote.test
}

# s3_sender_not_owned - alice may not use another's envelope sender
s3_sender_not_owned() {
	smtp "${ALICE[@]}" --from mallory@other.test --to bob@remote.test
	expect_reply 3-sender 553 5.7.1 ""
	expect_audit 3-sender bob@remote.test verdict=REJECT rule=submission \
		sasl_username=alice@example.test sender=mallory@other.test \
		reply^="553 5.7.1"
}

# s4_office_network - the allowlisted client address relays
s4_office_network() {
	smtp "${OFFICE[@]}" --from clerk@office.test --to bob@remote.test
	expect_reply 4-office 250 2.1.5 ""
	expect_queued 4-office
	expect_audit 4-office bob@remote.test verdict=OK rule=office \
		client_address=127.0.0.2 sasl_username!
	expect_sink 4-office relay bob@remote.test
}

# s5_partner_cert - the allowlisted client certificate relays. Postfix sends
# ccert_subject/ccert_issuer (CNs) only for a verified certificate, and
# xtext-encoded ("relaywarden+20e2e+20test+20CA"): policyd must decode them.
s5_partner_cert() {
	smtp "${SMTP[@]}" --tls --tls-cert "$RW_TLS_DIR/client.pem" \
		--tls-key "$RW_TLS_DIR/client.key" \
		--from mta@partner.test --to bob@remote.test
	expect_reply 5-partner 250 2.1.5 ""
	expect_queued 5-partner
	expect_audit 5-partner bob@remote.test verdict=OK rule=partner \
		"cert_fingerprint=$RW_CLIENT_FP" cert_verified=true \
		client_address=127.0.0.1 cert_subject=partner.example.test \
		"cert_issuer=relaywarden e2e test CA"
	expect_sink 5-partner relay bob@remote.test
}

# s6_other_cert - an untrusted certificate not in the allowlist: refused
s6_other_cert() {
	smtp "${SMTP[@]}" --tls --tls-cert "$RW_TLS_DIR/other.pem" \
		--tls-key "$RW_TLS_DIR/other.key" \
		--from mta@other.test --to bob@remote.test
	expect_reply 6-other-cert 554 5.7.1 "$DENIED"
	# Postfix passes the fingerprint of an unverified certificate too
	# (ccert_subject/issuer only when verified): policyd must see it
	# and still refuse.
	expect_audit 6-other-cert bob@remote.test verdict=REJECT \
		"cert_fingerprint=$RW_OTHER_FP" cert_verified=false reply^=554
}

# s7_local_delivery - mail for our own domain is not relay
s7_local_delivery() {
	smtp "${SMTP[@]}" --from someone@elsewhere.test --to someone@example.test
	expect_reply 7-local 250 2.1.5 ""
	expect_queued 7-local
	expect_audit 7-local someone@example.test verdict=OK
	expect_sink 7-local local someone@example.test
}

# trick_refused - NAME OPTS-ARRAY-NAME SENDER ADDRESS SEEN: the trick
# ADDRESS gets a 5xx, and the policy's audit record (for SEEN, the form
# Postfix passes) is a REJECT whose trace names the trick
trick_refused() {
	local name=$1
	local -n opts=$2
	smtp "${opts[@]}" --from "$3" --to "$4" --quit-after RCPT
	expect_reply "$name" '5[0-9][0-9]' '5.*' ""
	expect_audit "$name" "$5" verdict=REJECT reply^=5 "trace*=relay trick"
}

# What Postfix 3.7 passes to the policy server for each trick (seen with a
# logging responder): the percent hack, bang paths, a double "@", IP
# literals and trailing dots as given; a quoted local part un-quoted
# ("user@remote.test"@example.test arrives as user@remote.test@example.test,
# the policy cannot tell it from the unquoted form); a source route
# stripped (@mx.example.test:user@remote.test arrives as user@remote.test);
# an unbalanced quote never: smtpd answers 501 5.1.3 itself.

# s8_relay_tricks - refused even for clients that may relay
s8_relay_tricks() {
	local who t addr seen from
	# address as given | as Postfix passes it to the policy server
	local -a tricks=(
		'user%remote.test@example.test|user%remote.test@example.test'
		'remote.test!user@example.test|remote.test!user@example.test'
		# Postfix un-quotes the local part: policyd sees two "@"
		'"user@remote.test"@example.test|user@remote.test@example.test'
		'user@remote.test@example.test|user@remote.test@example.test'
		# address literals are refused, never routed
		'user@[127.0.0.1]|user@[127.0.0.1]'
	)
	for who in OFFICE ALICE; do
		from=clerk@office.test
		[ "$who" = ALICE ] && from=alice@example.test
		for t in "${tricks[@]}"; do
			addr=${t%%|*} seen=${t#*|}
			trick_refused "8-trick $who $addr" "$who" "$from" "$addr" "$seen"
		done
	done
	s8_source_route
	s8_trailing_dot
	# An unbalanced quote never reaches us: Postfix itself answers
	# "501 5.1.3 Bad recipient address syntax".
	smtp "${OFFICE[@]}" --from clerk@office.test \
		--to '"user@remote.test@example.test' --quit-after RCPT
	expect_reply "8-trick unbalanced quote (Postfix)" 501 5.1.3 "Bad recipient address syntax"
}

# s8_source_route - Postfix strips a source route before the policy check
s8_source_route() {
	local route='@mx.example.test:user@remote.test'
	# From an unknown client it is plain relay to user@remote.test: refused.
	smtp "${SMTP[@]}" --from someone@elsewhere.test --to "$route" --quit-after RCPT
	expect_reply "8-trick source route, unknown client" 554 5.7.1 "$DENIED"
	expect_audit "8-trick source route, unknown client" user@remote.test \
		verdict=REJECT reply^=554
	# From the office it is that same relay, which office may do: the
	# route is ignored, never followed (the copy goes to user@remote.test).
	smtp "${OFFICE[@]}" --from clerk@office.test --to "$route"
	expect_reply "8-trick source route, office" 250 2.1.5 ""
	expect_audit "8-trick source route, office" user@remote.test \
		verdict=OK rule=office
	expect_sink "8-trick source route, office" relay user@remote.test
}

# s8_trailing_dot - domains compare without one trailing dot (issue #2):
# user@example.test. is local mail, not relay, even from an unknown client
s8_trailing_dot() {
	smtp "${SMTP[@]}" --from someone@elsewhere.test --to 'user@example.test.' --quit-after RCPT
	expect_reply "8-trailing dot is local" 250 2.1.5 ""
	expect_audit "8-trailing dot is local" 'user@example.test.' verdict=OK "trace*=is local"
}

# s9_policyd_down - with policyd gone Postfix fails closed (default action)
s9_policyd_down() {
	local pid
	pid=$(cat "$RW_POLICYD_PIDFILE" 2>/dev/null)
	if [ -z "$pid" ] || ! kill -TERM "$pid" 2>/dev/null; then
		fail "9-policyd-down" "no policyd pid in $RW_POLICYD_PIDFILE"
		return
	fi
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	smtp "${OFFICE[@]}" --from clerk@office.test --to bob@remote.test --quit-after RCPT
	expect_reply 9-policyd-down 451 4.3.5 "Server configuration problem"
}

# scenarios_all - every scenario, in order (s9 stops policyd: keep it last)
scenarios_all() {
	scenarios_init
	s1_unknown_client
	s2_sasl_submission
	s3_sender_not_owned
	s4_office_network
	s5_partner_cert
	s6_other_cert
	s7_local_delivery
	s8_relay_tricks
	expect_schema
	s9_policyd_down
}
