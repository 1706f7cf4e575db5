#!/bin/bash
# run.sh - end-to-end tests: a real Postfix (tests/e2e/stack.sh) with
# relaywarden-policyd as its sole relay authority, driven by swaks, and
# relaywarden-milter in its smtpd_milters (milter_scenarios.sh: relay
# decisions, DKIM/SPF/alignment in shadow and enforce mode,
# Authentication-Results in the delivered copy).
#
# Each scenario asserts the SMTP reply to RCPT or to the end of DATA (code,
# enhanced code, text), the audit record policyd wrote for that recipient at
# RCPT or for the message at END-OF-MESSAGE (tests/e2e/audit_check.py, whose
# FIELDS table is the one place that knows the record's layout), Redis
# counters through `relaywarden quota show --json` and, for accepted mail,
# the copy the Postfix pipe delivered to DIR/sink/.
# Prints one line per check and "N passed, M failed"; exits 1 on any failure.
#
# Needs root, Postfix, redis-server, unbound, swaks with TLS
# (libnet-ssleay-perl), the policyd and relaywarden binaries (RW_BUILD, or
# RW_POLICYD and RW_CLI; see stack.sh). RW_E2E_KEEP=1 keeps the
# stack's directory; RW_E2E_VERBOSE=1 prints the swaks transcripts and the
# matched audit records.
# shellcheck disable=SC2317 # pass, fail, cleanup... reached via traps and finish
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STACK=$HERE/stack.sh
AUDIT_CHECK=$HERE/audit_check.py
PY=/usr/bin/python3
SEQ=0
TOKEN="$$.$RANDOM"

# cleanup - stop the stack, remove its directory (trap; runs once)
cleanup() {
	[ -n "${DIR:-}" ] || return 0
	"$STACK" down "$DIR" || true
	if [ "${RW_E2E_KEEP:-0}" = 1 ]; then
		echo "stack kept in $DIR"
	else
		rm -rf "$DIR"
	fi
	DIR=
}

# preflight - what the tests need besides the stack's own checks
preflight() {
	[ "$(id -u)" = 0 ] || { fail preflight "must run as root"; finish; }
	command -v swaks >/dev/null || { fail preflight "swaks not installed"; finish; }
	swaks --support 2>&1 | grep -q '=== TLS supported' ||
		{ fail preflight "swaks has no TLS: install libnet-ssleay-perl"; finish; }
	[ -x "$PY" ] || { fail preflight "$PY missing"; finish; }
	"$PY" -c 'import dkim' 2>/dev/null ||
		{ fail preflight "python3-dkim not installed (DKIM-signed messages)"; finish; }
}

# udp_free - true if 127.0.0.1:$1 can be bound for UDP
udp_free() {
	"$PY" -c 'import socket, sys
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).bind(("127.0.0.1", int(sys.argv[1])))' \
		"$1" 2>/dev/null
}

# free_port - $1 if nothing listens on 127.0.0.1:$1 (TCP, and UDP too when
# $2 is "udp"), else the next free one
free_port() {
	local p
	for ((p = $1; p < $1 + 100; p++)); do
		timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$p" 2>/dev/null && continue
		[ "${2:-}" != udp ] || udp_free "$p" || continue
		echo "$p"
		return
	done
	echo "$1"
}

# pick_ports - default ports, moved along when taken (e.g. a parallel run)
pick_ports() {
	export RW_SMTP_PORT=${RW_SMTP_PORT:-$(free_port 2525)}
	export RW_SUBMISSION_PORT=${RW_SUBMISSION_PORT:-$(free_port 2587)}
	export RW_POLICY_PORT=${RW_POLICY_PORT:-$(free_port 10040)}
	export RW_REDIS_PORT=${RW_REDIS_PORT:-$(free_port 16379)}
	export RW_DNS_PORT=${RW_DNS_PORT:-$(free_port 15353 udp)}
	export RW_MILTER_PORT=${RW_MILTER_PORT:-$(free_port 10041)}
	export RW_POLICY_METRICS_PORT=${RW_POLICY_METRICS_PORT:-$(free_port 10048)}
	export RW_MILTER_METRICS_PORT=${RW_MILTER_METRICS_PORT:-$(free_port 10049)}
}

# rcpt_reply - the server's reply to (the first) RCPT TO in the last transcript
rcpt_reply() {
	awk '/^ *[-~]> RCPT TO:/ { f = 1; next }
	     f && /^<[-~*]/ { sub(/^<[-~*]+ +/, ""); print; exit }' "$OUT"
}

# data_reply - the server's reply to the end of DATA (the lone ".")
data_reply() {
	awk '/^ *[-~]> \.\r?$/ { f = 1; next }
	     f && /^<[-~*]/ { sub(/^<[-~*]+ +/, ""); print; exit }' "$OUT"
}

# queue_id - the queue id in the last transcript's "queued as" reply
queue_id() {
	sed -n 's/.*250 2\.0\.0 Ok: queued as \([0-9A-Za-z]*\).*/\1/p' "$OUT" | tail -n 1
}

# expect_reply_at - WHEN NAME CODE DSN TEXT...: the reply to RCPT (WHEN
# "RCPT") or to the end of DATA ("DATA") has them (CODE and DSN are glob
# patterns, each TEXT a fragment)
expect_reply_at() {
	local when=$1 name=$2 code=$3 dsn=$4 got t ok=1
	shift 4
	if [ "$when" = DATA ]; then got=$(data_reply); else got=$(rcpt_reply); fi
	# shellcheck disable=SC2053 # code and dsn may be globs: 5??, 5.*
	[[ $got == $code\ $dsn\ * ]] || ok=0
	for t in "$@"; do
		[[ $got == *"$t"* ]] || ok=0
	done
	if [ "$ok" = 1 ]; then
		pass "$name: $when $code $dsn$(printf ' "%s"' "$@" | sed 's/^ ""$//')"
	else
		fail "$name: $when reply" "expected: $code $dsn ...$*..." \
			"got:      ${got:-<none>} (transcript $OUT)"
	fi
}

# expect_reply - NAME CODE DSN TEXT: the RCPT reply has them
expect_reply() {
	expect_reply_at RCPT "$@"
}

# expect_data_reply - NAME CODE DSN TEXT...: the end-of-DATA reply has them
expect_data_reply() {
	expect_reply_at DATA "$@"
}

# expect_queued - NAME: the message was accepted after DATA
expect_queued() {
	if [ -n "$(queue_id)" ]; then
		pass "$1: queued as $(queue_id)"
	else
		fail "$1: message not queued" "$(grep -E '^<' "$OUT" | tail -n 2)"
	fi
}

# expect_not_queued - NAME: the last message was not accepted
expect_not_queued() {
	if [ -z "$(queue_id)" ] && grep -q '^swaks exit [1-9]' "$OUT"; then
		pass "$1: not queued"
	else
		fail "$1: message queued" "queue id: $(queue_id) (transcript $OUT)"
	fi
}

# expect_audit_at - STAGE NAME RECIPIENT CHECK...: the audit record of
# STAGE for RECIPIENT ("*": any) written during the last swaks run
# satisfies every CHECK (audit_check.py); only records of component
# $AUDIT_COMPONENT (default policyd: the milter writes to the same file)
expect_audit_at() {
	local stage=$1 name=$2 rcpt=$3 out rc v=()
	shift 3
	[ "${RW_E2E_VERBOSE:-0}" = 1 ] && v=(-v)
	out=$("$PY" "$AUDIT_CHECK" "${v[@]}" --stage "$stage" \
		--component "${AUDIT_COMPONENT:-policyd}" "$RW_AUDIT" \
		"$AUDIT_MARK" "$rcpt" "$@")
	rc=$?
	[ -z "$out" ] || [ "$rc" != 0 ] || printf '%s\n' "$out" | sed 's/^/     | /'
	if [ "$rc" = 0 ]; then
		pass "$name: audit $stage $*"
	else
		mapfile -t lines <<<"$out"
		fail "$name: audit $stage" "${lines[@]}"
	fi
}

# expect_audit - NAME RECIPIENT CHECK...: the RCPT record for RECIPIENT
expect_audit() {
	expect_audit_at RCPT "$@"
}

# expect_audit_eom - NAME RECIPIENT CHECK...: the END-OF-MESSAGE record
# (RECIPIENT "*" for a message with several recipients: Postfix passes
# none then)
expect_audit_eom() {
	expect_audit_at END-OF-MESSAGE "$@"
}

# sink_file - the sink copy ($1: relay|local) of queue id $2, once there
sink_file() {
	local i f
	for ((i = 0; i < 100; i++)); do
		for f in "$RW_SINK/$1/$2"-*.eml; do
			[ -s "$f" ] && { echo "$f"; return 0; }
		done
		sleep 0.1
	done
	return 1
}

# expect_sink - NAME KIND RECIPIENT: the accepted message reached the sink
expect_sink() {
	local name=$1 kind=$2 rcpt=$3 qid f
	qid=$(queue_id)
	if [ -z "$qid" ]; then
		fail "$name: sink" "no queue id"
	elif ! f=$(sink_file "$kind" "$qid"); then
		fail "$name: sink" "nothing in $RW_SINK/$kind for $qid" \
			"$(grep -F "$qid" "$RW_MAILLOG" | tail -n 3)"
	elif ! grep -qix "Delivered-To: $rcpt" "$f" ||
		! grep -q "^Subject: rw-e2e $SEQ $TOKEN" "$f"; then
		fail "$name: sink" "$f lacks Delivered-To $rcpt or the subject"
	else
		pass "$name: delivered to sink/$kind for $rcpt"
	fi
}

# expect_sink_all - NAME KIND RECIPIENT...: the accepted message reached
# the sink once per recipient (one file each, rwsink's recipient limit is 1)
expect_sink_all() {
	local name=$1 kind=$2 qid f r i missing
	shift 2
	qid=$(queue_id)
	[ -n "$qid" ] || { fail "$name: sink" "no queue id"; return; }
	for ((i = 0; i < 100; i++)); do
		missing=()
		for r in "$@"; do
			f=$(grep -lix "Delivered-To: $r" "$RW_SINK/$kind/$qid"-*.eml 2>/dev/null |
				head -n 1)
			[ -n "$f" ] && grep -q "^Subject: rw-e2e $SEQ $TOKEN" "$f" ||
				missing+=("$r")
		done
		[ ${#missing[@]} = 0 ] && break
		sleep 0.1
	done
	if [ ${#missing[@]} = 0 ]; then
		pass "$name: delivered to sink/$kind for $*"
	else
		fail "$name: sink" "no copy of $qid in $RW_SINK/$kind for ${missing[*]}"
	fi
}

# expect_not_delivered - NAME SEQ: no copy of the message sent as swaks
# run SEQ is in the sink (check it after later messages were delivered)
expect_not_delivered() {
	local hits
	hits=$(grep -rl "^Subject: rw-e2e $2 $TOKEN\$" "$RW_SINK" 2>/dev/null)
	if [ -z "$hits" ]; then
		pass "$1: nothing delivered"
	else
		fail "$1: delivered after all" "$hits"
	fi
}

# expect_clean_logs - after the stack stopped: no sanitizer report from
# policyd or the milter (an ASan/UBSan build reports at exit), no Postfix
# fatal/panic
expect_clean_logs() {
	local bad
	expect_no_sanitizer_reports "$RW_POLICYD_LOG"
	expect_no_sanitizer_reports "$RW_MILTER_LOG"
	bad=$(grep -E -m 5 'postfix-rw-e2e[^:]*: (fatal|panic):' "$RW_MAILLOG")
	if [ -z "$bad" ]; then
		pass "maillog: no Postfix fatal/panic"
	else
		mapfile -t lines <<<"$bad"
		fail "maillog: Postfix errors" "${lines[@]}"
	fi
}

# shellcheck source-path=SCRIPTDIR source=common.sh
. "$HERE/common.sh"
# shellcheck source-path=SCRIPTDIR source=scenarios.sh
. "$HERE/scenarios.sh"
# shellcheck source-path=SCRIPTDIR source=milter_scenarios.sh
. "$HERE/milter_scenarios.sh"

# main - bring the stack up, run every scenario, report
main() {
	preflight
	DIR=$(mktemp -d /tmp/rw-e2e.XXXXXX)
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	pick_ports
	if ! "$STACK" up "$DIR"; then
		fail "stack up"
		finish
	fi
	eval "$("$STACK" env "$DIR")"
	mkdir -p "$DIR/swaks"
	scenarios_all
	"$STACK" down "$DIR"
	expect_clean_logs
	finish
}

main "$@"
