# milter_scenarios.sh - relaywarden-milter in Postfix's smtpd_milters;
# sourced by run.sh after scenarios.sh, whose helpers it uses.
#
# The stack starts the milter with its checks (DKIM, SPF, alignment) in
# shadow mode; `stack.sh checks DIR enforce` reloads it (SIGHUP) with every
# check enforced, and back. Signed messages come from dkim_sign.py with the
# stack's key (d=example.test, s=e2e, served by the stack's DNS with
# "_dmarc.example.test" p=reject). Audit checks here read only the milter's
# records (AUDIT_COMPONENT=milter).
# shellcheck shell=bash

DKIM_SIGN=$HERE/dkim_sign.py
AR_FORGED="Authentication-Results: mx.example.test; dkim=pass header.d=bank.example"

# mmsg - FILE ARGS...: write the next message (subject of the next swaks
# run) with dkim_sign.py ARGS; --sign adds the stack's DKIM key
mmsg() {
	local file=$1 a=()
	shift
	if [ "${1:-}" = --sign ]; then
		shift
		a=(--key "$RW_DKIM_KEY" --selector "$RW_DKIM_SELECTOR" --domain "$RW_DKIM_DOMAIN")
	fi
	"$PY" "$DKIM_SIGN" --subject "rw-e2e $((SEQ + 1)) $TOKEN" --out "$file" "${a[@]}" "$@"
}

# msend - FILE SWAKS-ARGS...: send FILE as the whole DATA (no header added:
# the signature must stay intact); sets OUT and AUDIT_MARK like smtp
msend() {
	local file=$1
	shift
	SEQ=$((SEQ + 1))
	OUT=$DIR/swaks/$SEQ.out
	# shellcheck disable=SC2034 # read by expect_audit_at (run.sh)
	AUDIT_MARK=$(wc -l <"$RW_AUDIT" 2>/dev/null || echo 0)
	swaks --server 127.0.0.1 --ehlo client.e2e.test --timeout 30 \
		--data "$(tr -d '\r' <"$file")" "$@" >"$OUT" 2>&1
	echo "swaks exit $?" >>"$OUT"
	[ "${RW_E2E_VERBOSE:-0}" = 1 ] && sed 's/^/     | /' "$OUT"
	return 0
}

# milter_audit - NAME STAGE RECIPIENT CHECK...: the milter's record
milter_audit() {
	local name=$1 stage=$2
	shift 2
	AUDIT_COMPONENT=milter expect_audit_at "$stage" "$name [milter]" "$@"
}

# milter_mode - MODE: reload the milter with every check in MODE
milter_mode() {
	local out
	if out=$("$STACK" checks "$DIR" "$1" 2>&1); then
		pass "milter: SIGHUP reload, checks = $1"
	else
		fail "milter: reload to $1" "$out"
	fi
}

# top_field - the first header field of sink file $1 that the delivery
# did not add (Return-Path, Delivered-To, X-Original-To): above Postfix's
# own Received field
top_field() {
	awk '/^\r?$/ { exit }
	     /^[^ \t]/ { if (f != "") { print f; exit } }
	     /^(Return-Path|Delivered-To|X-Original-To):/ { skip = 1; next }
	     /^[ \t]/ { if (!skip && f != "") f = f " " $0; next }
	     { skip = 0; f = $0 }
	     END { }' "$1" | tr -d '\r'
}

# expect_ar_on_top - NAME KIND: the delivered copy has our
# Authentication-Results field on top with dkim=pass, and no field
# claiming our authserv-id other than it
expect_ar_on_top() {
	local name=$1 kind=$2 f top n
	if ! f=$(sink_file "$kind" "$(queue_id)"); then
		fail "$name: sink" "no copy of $(queue_id) in $RW_SINK/$kind"
		return
	fi
	top=$(top_field "$f")
	n=$(grep -ci "^Authentication-Results: *$RW_AUTHSERV_ID;" "$f")
	if [[ $top == "Authentication-Results: $RW_AUTHSERV_ID;"*"dkim=pass"* ]] &&
		[ "$n" = 1 ] && ! grep -q 'header.d=bank.example' "$f"; then
		pass "$name: sink copy starts with ${top:0:100}..."
	else
		fail "$name: Authentication-Results" "top field: $top" \
			"fields claiming $RW_AUTHSERV_ID: $n (file $f)"
	fi
}

# m1_relay_via_milter - the milter's own RCPT decisions match policyd's:
# alice (SASL on the submission listener), the office network, the
# partner's verified certificate (by subject and issuer CN)
m1_relay_via_milter() {
	smtp "${ALICE[@]}" --from alice@example.test --to bob@remote.test
	expect_queued "m1-alice"
	milter_audit m1-alice RCPT bob@remote.test verdict=OK rule=submission \
		component=milter sasl_username=alice@example.test listener=submission \
		"listener_port=$RW_SUBMISSION_PORT" tls_protocol^=TLS
	milter_audit m1-alice END-OF-MESSAGE '*' verdict=DUNNO \
		"trace*=charged by policyd"
	smtp "${OFFICE[@]}" --from clerk@example.test --to bob@remote.test
	expect_queued "m1-office"
	milter_audit m1-office RCPT bob@remote.test verdict=OK rule=office \
		client_address=127.0.0.2
	smtp "${SMTP[@]}" --tls --tls-cert "$RW_TLS_DIR/client.pem" \
		--tls-key "$RW_TLS_DIR/client.key" --from mta@example.test --to bob@remote.test
	expect_queued "m1-partner"
	milter_audit m1-partner RCPT bob@remote.test verdict=OK rule=partner-cn \
		cert_subject=partner.example.test cert_verified=true
}

# m2_signed - NAME MODE: alice's aligned, DKIM-signed message (with a
# forged Authentication-Results in our name on top) relays; our field is
# on top of the delivered copy
m2_signed() {
	local name=$1 mode=$2 m=$DIR/swaks/signed.eml
	mmsg "$m" --sign --from alice@example.test --to bob@remote.test \
		--prepend "$AR_FORGED"
	msend "$m" "${ALICE[@]}" --from alice@example.test --to bob@remote.test
	expect_data_reply "$name" 250 2.0.0 "queued as"
	milter_audit "$name" END-OF-MESSAGE '*' verdict=DUNNO \
		"message.dkim.mode=$mode" message.dkim.result=pass \
		message.dkim.signatures.0.d=example.test \
		message.dkim.signatures.0.s=e2e message.dkim.signatures.0.result=pass \
		message.spf.direction=egress message.spf.result=pass \
		message.alignment.result=pass message.alignment.from_domain=example.test
	expect_sink "$name" relay bob@remote.test
	expect_ar_on_top "$name" relay
}

# m3_forged_from - NAME MODE: a second From above the signed one
m3_forged_from() {
	local name=$1 mode=$2 m=$DIR/swaks/forged.eml
	mmsg "$m" --sign --from alice@example.test --to bob@remote.test \
		--prepend "From: <ceo@example.test>"
	msend "$m" "${ALICE[@]}" --from alice@example.test --to bob@remote.test
	if [ "$mode" = enforce ]; then
		expect_data_reply "$name" 550 5.7.1 "multiple From"
		expect_not_queued "$name"
		milter_audit "$name" END-OF-MESSAGE '*' verdict=REJECT \
			"reply^=550 5.7.1" message.alignment.result=fail \
			"message.alignment.finding=multiple From headers"
	else
		expect_data_reply "$name" 250 2.0.0 "queued as"
		milter_audit "$name" END-OF-MESSAGE '*' verdict=DUNNO \
			message.alignment.mode=shadow message.alignment.result=fail \
			"message.alignment.finding=multiple From headers" \
			"trace*=would refuse"
		expect_sink "$name" relay bob@remote.test
	fi
}

# m4_inbound - NAME MODE: mail for our domain is checked the inbound way
# (SPF for the connecting client): remote-sender.test ("-all") fails,
# include.test (includes example.test's 127.0.0.1) passes
m4_inbound() {
	local name=$1 mode=$2
	smtp "${SMTP[@]}" --from boss@remote-sender.test --to someone@example.test
	if [ "$mode" = enforce ]; then
		expect_data_reply "$name fail" 550 5.7.23 "remote-sender.test"
		milter_audit "$name fail" END-OF-MESSAGE '*' \
			verdict=REJECT "reply^=550 5.7.23" message.spf.direction=inbound \
			message.spf.result=fail message.spf.ip=127.0.0.1
	else
		expect_data_reply "$name fail" 250 2.0.0 "queued as"
		milter_audit "$name fail" END-OF-MESSAGE '*' \
			verdict=DUNNO message.spf.mode=shadow message.spf.direction=inbound \
			message.spf.result=fail "trace*=would refuse"
		expect_sink "$name fail" local someone@example.test
	fi
	smtp "${SMTP[@]}" --from news@include.test --to someone@example.test
	expect_data_reply "$name pass" 250 2.0.0 "queued as"
	milter_audit "$name pass" END-OF-MESSAGE '*' verdict=DUNNO \
		message.spf.direction=inbound message.spf.result=pass \
		message.alignment.result=pass
	expect_sink "$name pass" local someone@example.test
}

# m5_big_header - NAME MODE: a message from the office network with a 1 MB
# header field (folded lines). Postfix 3.7 hands a milter (and the queue)
# only the first 60 KB of one header field, whatever header_size_limit
# says, so through Postfix the milter's own 64 KiB bound is not reached
# (tests/milter/bounds.py drives the milter protocol directly with 1 MB and
# gets the 552): what must hold here is a verdict, in both modes, with its
# audit record, never a dropped milter connection that Postfix would
# tempfail on every retry (issue 14 item 6)
m5_big_header() {
	local name=$1 mode=$2 m=$DIR/swaks/big.eml
	"$PY" - "$m" "rw-e2e $((SEQ + 1)) $TOKEN" <<'PY'
import sys
path, subject = sys.argv[1:3]
line = "a" * 76
with open(path, "w") as fp:
    fp.write("From: clerk@example.test\nTo: bob@remote.test\nSubject: %s\n" % subject)
    fp.write("X-Big: %s\n" % line)
    for _ in range(1024 * 1024 // (len(line) + 2)):
        fp.write("\t%s\n" % line)
    fp.write("\nA message with a 1 MB header field.\n")
PY
	SEQ=$((SEQ + 1))
	OUT=$DIR/swaks/$SEQ.out
	AUDIT_MARK=$(wc -l <"$RW_AUDIT" 2>/dev/null || echo 0)
	# the file is too big for an argument: swaks reads "@FILE"
	swaks --server 127.0.0.1 --ehlo client.e2e.test --timeout 60 --data "@$m" \
		"${OFFICE[@]}" --from clerk@example.test --to bob@remote.test >"$OUT" 2>&1
	echo "swaks exit $?" >>"$OUT"
	expect_data_reply "$name ($mode)" 250 2.0.0 "queued as"
	milter_audit "$name" END-OF-MESSAGE '*' verdict=DUNNO
}

# milter_scenarios_all - relay through the milter, then the message checks
# in shadow mode, in enforce mode (SIGHUP), and back to shadow
milter_scenarios_all() {
	# alice may send 3 messages an hour: start each phase from zero
	quota_reset "m0-milter start"
	m1_relay_via_milter
	m2_signed "m2-signed shadow" shadow
	m3_forged_from "m3-forged From shadow" shadow
	m4_inbound "m4-inbound shadow" shadow
	m5_big_header "m5-big header shadow" shadow
	milter_mode enforce
	quota_reset "m0-milter enforce"
	m2_signed "m2-signed enforce" enforce
	m3_forged_from "m3-forged From enforce" enforce
	m4_inbound "m4-inbound enforce" enforce
	m5_big_header "m5-big header enforce" enforce
	milter_mode shadow
}
