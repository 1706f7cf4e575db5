#!/bin/bash
# run.sh - end-to-end tests: a real Postfix (tests/e2e/stack.sh) with
# relaywarden-policyd as its sole relay authority, driven by swaks.
#
# Each scenario asserts the SMTP reply to RCPT (code, enhanced code, text),
# the audit record policyd wrote for that recipient (tests/e2e/audit_check.py,
# whose FIELDS table is the one place that knows the record's layout) and,
# for accepted mail, the copy the Postfix pipe delivered to DIR/sink/.
# Prints one line per check and "N passed, M failed"; exits 1 on any failure.
#
# Needs root, Postfix, swaks with TLS (libnet-ssleay-perl), the policyd
# binary (RW_BUILD / RW_POLICYD, see stack.sh). RW_E2E_KEEP=1 keeps the
# stack's directory; RW_E2E_VERBOSE=1 prints the swaks transcripts and the
# matched audit records.
# shellcheck disable=SC2317 # pass, fail, cleanup... reached via traps and finish
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STACK=$HERE/stack.sh
AUDIT_CHECK=$HERE/audit_check.py
PY=/usr/bin/python3
PASSED=0
FAILED=0
SEQ=0
TOKEN="$$.$RANDOM"

# pass - count and print a passed check
pass() {
	PASSED=$((PASSED + 1))
	echo "ok   $1"
}

# fail - count and print a failed check with its reasons
fail() {
	FAILED=$((FAILED + 1))
	echo "FAIL $1"
	shift
	[ $# -eq 0 ] || printf '     %s\n' "$@"
}

# finish - stop the stack, print the totals last, exit with their verdict
finish() {
	cleanup
	trap - EXIT
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
	exit $?
}

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
}

# free_port - $1 if nothing listens on 127.0.0.1:$1, else the next free one
free_port() {
	local p
	for ((p = $1; p < $1 + 100; p++)); do
		timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$p" 2>/dev/null || {
			echo "$p"
			return
		}
	done
	echo "$1"
}

# pick_ports - default ports, moved along when taken (e.g. a parallel run)
pick_ports() {
	export RW_SMTP_PORT=${RW_SMTP_PORT:-$(free_port 2525)}
	export RW_SUBMISSION_PORT=${RW_SUBMISSION_PORT:-$(free_port 2587)}
	export RW_POLICY_PORT=${RW_POLICY_PORT:-$(free_port 10040)}
}

# smtp - run swaks (common options + "$@") from a new transcript; sets OUT
smtp() {
	SEQ=$((SEQ + 1))
	OUT=$DIR/swaks/$SEQ.out
	AUDIT_MARK=$(wc -l <"$RW_AUDIT" 2>/dev/null || echo 0)
	swaks --server 127.0.0.1 --ehlo client.e2e.test --timeout 30 \
		--header "Subject: rw-e2e $SEQ $TOKEN" "$@" >"$OUT" 2>&1
	echo "swaks exit $?" >>"$OUT"
	if [ "${RW_E2E_VERBOSE:-0}" = 1 ]; then
		sed 's/^/     | /' "$OUT"
	fi
}

# rcpt_reply - the server's reply to RCPT TO in the last transcript
rcpt_reply() {
	awk '/^ *[-~]> RCPT TO:/ { f = 1; next }
	     f && /^<[-~*]/ { sub(/^<[-~*]+ +/, ""); print; exit }' "$OUT"
}

# queue_id - the queue id in the last transcript's "queued as" reply
queue_id() {
	sed -n 's/.*250 2\.0\.0 Ok: queued as \([0-9A-Za-z]*\).*/\1/p' "$OUT" | tail -n 1
}

# expect_reply - NAME CODE DSN TEXT: the RCPT reply has them (CODE and DSN
# are glob patterns, TEXT a fragment)
expect_reply() {
	local name=$1 code=$2 dsn=$3 text=$4 got
	got=$(rcpt_reply)
	# shellcheck disable=SC2053 # code and dsn may be globs: 5??, 5.*
	if [[ $got == $code\ $dsn\ * && $got == *"$text"* ]]; then
		pass "$name: RCPT $code $dsn${text:+ \"$text\"}"
	else
		fail "$name: RCPT reply" "expected: $code $dsn ...$text..." \
			"got:      ${got:-<none>} (transcript $OUT)"
	fi
}

# expect_queued - NAME: the message was accepted after DATA
expect_queued() {
	if [ -n "$(queue_id)" ]; then
		pass "$1: queued as $(queue_id)"
	else
		fail "$1: message not queued" "$(grep -E '^<' "$OUT" | tail -n 2)"
	fi
}

# expect_audit - NAME RECIPIENT CHECK...: the audit record for RECIPIENT
# written during the last swaks run satisfies every CHECK (audit_check.py)
expect_audit() {
	local name=$1 rcpt=$2 out rc v=()
	shift 2
	[ "${RW_E2E_VERBOSE:-0}" = 1 ] && v=(-v)
	out=$("$PY" "$AUDIT_CHECK" "${v[@]}" "$RW_AUDIT" "$AUDIT_MARK" "$rcpt" "$@")
	rc=$?
	[ -z "$out" ] || [ "$rc" != 0 ] || printf '%s\n' "$out" | sed 's/^/     | /'
	if [ "$rc" = 0 ]; then
		pass "$name: audit $*"
	else
		mapfile -t lines <<<"$out"
		fail "$name: audit" "${lines[@]}"
	fi
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

# expect_schema - every audit record written so far matches the schema
expect_schema() {
	local schema=$HERE/../../schema/audit-record.schema.json out
	if out=$("$PY" "$AUDIT_CHECK" --schema "$schema" "$RW_AUDIT"); then
		pass "audit.jsonl: $(wc -l <"$RW_AUDIT") records match the schema"
	else
		mapfile -t lines <<<"$out"
		fail "audit.jsonl: schema" "${lines[@]:0:20}"
	fi
}

# expect_clean_logs - after the stack stopped: no sanitizer report from
# policyd (an ASan/UBSan build reports at exit), no Postfix fatal/panic
expect_clean_logs() {
	local bad
	bad=$(grep -E -m 5 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: ' \
		"$RW_POLICYD_LOG")
	if [ -z "$bad" ]; then
		pass "policyd.log: no sanitizer reports"
	else
		mapfile -t lines <<<"$bad"
		fail "policyd.log: sanitizer reports ($RW_POLICYD_LOG)" "${lines[@]}"
	fi
	bad=$(grep -E -m 5 'postfix-rw-e2e[^:]*: (fatal|panic):' "$RW_MAILLOG")
	if [ -z "$bad" ]; then
		pass "maillog: no Postfix fatal/panic"
	else
		mapfile -t lines <<<"$bad"
		fail "maillog: Postfix errors" "${lines[@]}"
	fi
}

# shellcheck source-path=SCRIPTDIR source=scenarios.sh
. "$HERE/scenarios.sh"

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
