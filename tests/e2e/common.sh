# common.sh - helpers of the end-to-end scripts; sourced by run.sh and
# sendmail.sh (the reporting and the checks of the audit file and the
# logs) and by stack.sh (waiting for processes and ports).
#
# Reporting: pass and fail print one "ok   ..." or "FAIL ..." line each and
# count them in PASSED and FAILED; finish prints the totals after the
# caller's cleanup function. smtp needs DIR, RW_AUDIT, SEQ and TOKEN.
# shellcheck shell=bash

E2E_COMMON_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PASSED=${PASSED:-0}
FAILED=${FAILED:-0}

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

# finish - the caller's cleanup, then the totals as the last line; exit
# 0 only if something passed and nothing failed
finish() {
	cleanup
	trap - EXIT
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
	exit $?
}

# smtp - run swaks (the common options: loopback, EHLO client.e2e.test,
# Subject "rw-e2e SEQ TOKEN"; then "$@") into transcript DIR/swaks/SEQ.out
# with SEQ counted up; sets OUT and AUDIT_MARK (the length of RW_AUDIT
# before); RW_E2E_VERBOSE=1 prints the transcript
# shellcheck disable=SC2034 # OUT and AUDIT_MARK: read by the callers' checks
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

# port_open - true if something accepts TCP connections on 127.0.0.1:$1
port_open() {
	timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# pid_is - true if PID $1 is alive and its command line contains $2
pid_is() {
	[ -n "$1" ] && [ -r "/proc/$1/cmdline" ] &&
		tr '\0' ' ' <"/proc/$1/cmdline" | grep -q -- "$2"
}

# pid_gone - true once PID $1 no longer runs a command containing $2
pid_gone() {
	! pid_is "$1" "$2"
}

# wait_until - retry command "$@" every 0.1s for up to $WAIT_TENTHS tenths
# while it returns 1; any other status ends the wait with that status
wait_until() {
	local i rc
	for ((i = 0; i < ${WAIT_TENTHS:-100}; i++)); do
		rc=0
		"$@" || rc=$?
		[ "$rc" = 1 ] || return "$rc"
		sleep 0.1
	done
	return 1
}

# expect_schema - every record of the audit file $1 matches the schema
expect_schema() {
	local schema=$E2E_COMMON_HERE/../../schema/audit-record.schema.json out
	if out=$(/usr/bin/python3 "$E2E_COMMON_HERE/audit_check.py" --schema "$schema" "$1"); then
		pass "${1##*/}: $(wc -l <"$1") records match the schema"
	else
		mapfile -t lines <<<"$out"
		fail "${1##*/}: schema" "${lines[@]:0:20}"
	fi
}

# expect_no_sanitizer_reports - the daemon log $1 holds no ASan/UBSan
# report (a sanitizer build reports at exit: check after the stop)
expect_no_sanitizer_reports() {
	local bad
	bad=$(grep -E -m 5 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: ' "$1")
	if [ -z "$bad" ]; then
		pass "${1##*/}: no sanitizer reports"
	else
		mapfile -t lines <<<"$bad"
		fail "${1##*/}: sanitizer reports ($1)" "${lines[@]}"
	fi
}
