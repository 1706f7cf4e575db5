# scenarios.sh - the end-to-end scenarios; sourced by run.sh, which provides
# smtp, expect_reply, expect_data_reply, expect_queued, expect_not_queued,
# expect_audit, expect_audit_eom, expect_sink, expect_sink_all,
# expect_not_delivered and the stack's RW_* variables.
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
	# From the office it is that same relay, which office may do: policyd
	# permits it (the route is ignored, never followed). Postfix passes
	# the milter the address as given, route included, and the milter
	# refuses every source route: the office gets 554 all the same.
	smtp "${OFFICE[@]}" --from clerk@office.test --to "$route" --quit-after RCPT
	expect_reply "8-trick source route, office" 554 5.7.1 "source route not allowed"
	expect_audit "8-trick source route, office" user@remote.test \
		verdict=OK rule=office
	AUDIT_COMPONENT=milter expect_audit "8-trick source route, office [milter]" \
		"$route" verdict=REJECT "reply*=source route not allowed"
}

# s8_trailing_dot - domains compare without one trailing dot:
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

# quota_used - "LIMIT=USED ..." for alice, from `relaywarden quota show --json`
quota_used() {
	"$RW_CLI" quota show -c "$RW_CONF" --user "$RW_SASL_USER" --json |
		"$PY" -c 'import json, sys
print(" ".join("%s=%s" % (c["limit"], c["used"]) for c in json.load(sys.stdin)["limits"]))'
}

# expect_quota - NAME LIMIT=USED...: alice's counters in Redis are these
expect_quota() {
	local name=$1 got
	shift
	got=$(quota_used 2>&1)
	if [ "$got" = "$*" ]; then
		pass "$name: quota show: $got"
	else
		fail "$name: quota show" "expected: $*" "got:      $got"
	fi
}

# quota_reset - NAME: `relaywarden quota reset` for alice succeeds
quota_reset() {
	local out
	if out=$("$RW_CLI" quota reset -c "$RW_CONF" --user "$RW_SASL_USER" 2>&1); then
		pass "$1: relaywarden quota reset --user $RW_SASL_USER"
	else
		fail "$1: relaywarden quota reset (exit $?)" "$out"
	fi
}

# alice_sends - NAME RECIPIENTS: alice's message (comma-separated
# recipients) is accepted, charged at END-OF-MESSAGE (1 message, one
# recipient each) and delivered
alice_sends() {
	local name=$1 n rcpts
	IFS=, read -r -a rcpts <<<"$2"
	n=${#rcpts[@]}
	smtp "${ALICE[@]}" --from alice@example.test --to "$2"
	expect_data_reply "$name" 250 2.0.0 "queued as"
	expect_audit_eom "$name" "$([ "$n" = 1 ] && echo "$2" || echo '*')" \
		verdict=DUNNO charge=true "recipient_count=$n" \
		limits.0.name=alice-messages limits.0.cost=1 limits.0.ok=true \
		limits.1.name=alice-recipients "limits.1.cost=$n" limits.1.ok=true
	expect_sink_all "$name" relay "${rcpts[@]}"
}

# s10_limits - rate limits through Postfix: alice's "alice-messages" (3 per
# hour, burst 3) and "alice-recipients" (6 a day) are peeked at RCPT and
# charged at END-OF-MESSAGE, all or nothing; over them she gets 450 4.7.1
# naming the limit and its unit; `relaywarden quota reset` lets her send
s10_limits() {
	local over
	# s2 charged alice already: start from zero
	quota_reset "10-limits start"
	expect_quota "10-limits start" alice-messages=0 alice-recipients=0
	alice_sends "10-limits 1 recipient" bob@remote.test
	# one message, three recipients: charged once, 3 recipients
	alice_sends "10-limits 3 recipients" bob@remote.test,carol@remote.test,dave@remote.test
	expect_quota "10-limits 3 recipients charged" alice-messages=2 alice-recipients=4
	# 2 recipients left: each RCPT peek (1 unit) fits, the charge of 3
	# at END-OF-MESSAGE does not: refused at the end of DATA, and the
	# message limit (room for one more) is not charged either
	smtp "${ALICE[@]}" --from alice@example.test \
		--to bob@remote.test,carol@remote.test,dave@remote.test
	over=$SEQ
	expect_reply "10-limits quota at RCPT" 250 2.1.5 ""
	expect_data_reply "10-limits quota at END-OF-MESSAGE" 450 4.7.1 \
		'Quota "alice-recipients" exceeded' "sasl_user alice@example.test" \
		"6 recipients per day" "retry in"
	expect_not_queued "10-limits quota"
	expect_audit_eom "10-limits quota" '*' verdict=DEFER rule=alice-recipients \
		charge=true recipient_count=3 "reply^=450 4.7.1" \
		'reply*=Quota "alice-recipients"' "reply*=recipients" \
		limits.0.ok=true limits.1.name=alice-recipients limits.1.unit=recipients \
		limits.1.cost=3 limits.1.ok=false limits.1.remaining=2 \
		limits.1.degraded=false
	expect_quota "10-limits quota refused, nothing charged" \
		alice-messages=2 alice-recipients=4
	alice_sends "10-limits 3rd message" bob@remote.test
	# the 4th message is over "alice-messages": the RCPT peek refuses it
	smtp "${ALICE[@]}" --from alice@example.test --to bob@remote.test
	expect_reply "10-limits rate at RCPT" 450 4.7.1 \
		'Rate limit "alice-messages" exceeded' "sasl_user alice@example.test" \
		"3 messages per 1h" "retry in"
	expect_not_queued "10-limits rate"
	expect_audit "10-limits rate" bob@remote.test verdict=DEFER \
		rule=alice-messages charge=false "reply^=450 4.7.1" \
		'reply*=Rate limit "alice-messages"' "reply*=messages" \
		limits.0.name=alice-messages limits.0.unit=messages limits.0.ok=false \
		limits.1.ok=true
	expect_quota "10-limits rate refused, nothing charged" \
		alice-messages=3 alice-recipients=5
	quota_reset "10-limits reset"
	expect_quota "10-limits reset" alice-messages=0 alice-recipients=0
	alice_sends "10-limits after reset" bob@remote.test
	# checked last: later messages of the same queue were delivered
	expect_not_delivered "10-limits refused message" "$over"
}

# s11_dns_spf - the stack's DNS server answers the test domains' SPF
# records: relaywarden spf through $RW_DNS
# s12_spf_egress - relayed mail is checked the egress way: the sender
# domain's SPF evaluated for our egress address (127.0.0.1). remote-sender.test
# publishes "v=spf1 -all": refused before relay, audited with the SPF result;
# example.test lists 127.0.0.1: relayed (alice, scenario 2, passes the same way).
s12_spf_egress() {
	smtp "${OFFICE[@]}" --from boss@remote-sender.test --to bob@remote.test --quit-after RCPT
	expect_reply "12-spf egress fail" 550 5.7.23 "remote-sender.test"
	expect_audit "12-spf egress fail" bob@remote.test verdict=REJECT "reply^=550 5.7.23" \
		spf.direction=egress spf.result=fail spf.domain=remote-sender.test
	smtp "${OFFICE[@]}" --from clerk@example.test --to bob@remote.test
	expect_reply "12-spf egress pass" 250 2.1.5 ""
	expect_audit "12-spf egress pass" bob@remote.test verdict=OK rule=office \
		spf.direction=egress spf.result=pass
	expect_sink "12-spf egress pass" relay bob@remote.test
}

s11_dns_spf() {
	local t ip from want got
	for t in 127.0.0.1,a@example.test,pass 127.0.0.2,a@example.test,fail \
		127.0.0.1,a@remote-sender.test,fail 127.0.0.1,a@softfail.test,softfail \
		127.0.0.1,a@include.test,pass 127.0.0.1,a@unknown.test,none; do
		IFS=, read -r ip from want <<<"$t"
		got=$("$RW_CLI" spf --dns "$RW_DNS" --timeout-ms 2000 --budget-ms 5000 \
			--ip "$ip" --mail-from "$from" --helo client.e2e.test 2>&1 | head -n 1)
		if [ "$got" = "$want" ]; then
			pass "11-spf $from from $ip: $got (DNS $RW_DNS)"
		else
			fail "11-spf $from from $ip" "expected: $want" "got:      $got"
		fi
	done
}

# s13_metrics - after real traffic, the shipped alerting rules and
# dashboard query only series both daemons of the stack export
s13_metrics() {
	local out
	if out=$(/usr/bin/python3 "$HERE/../integration/metrics_dashboards.py" --endpoints \
		"$RW_POLICY_METRICS_PORT" "$RW_MILTER_METRICS_PORT" 2>&1); then
		pass "metrics: the rules and dashboard query only exported series (policyd, milter)"
	else
		mapfile -t lines <<<"$out"
		fail "metrics: the rules and dashboard against the stack's daemons" "${lines[@]}"
	fi
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
	s10_limits
	s11_dns_spf
	s12_spf_egress
	milter_scenarios_all
	s13_metrics
	expect_schema "$RW_AUDIT"
	s9_policyd_down
}
