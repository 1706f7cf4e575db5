#!/bin/sh
# cli - relaywarden check-config and explain, as an operator runs them.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
RW="$top_builddir/cli/relaywarden"
[ "${RW_VALGRIND:-0}" = 1 ] && RW="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite $RW"
dir=$(mktemp -d /tmp/rw-cli-XXXXXX)
trap 'rm -rf "$dir"' EXIT
failed=0
ok() { echo "ok   $1"; }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

cat > "$dir/good.conf" <<CONF
local_domains = { "example.test" }
relay "office" {
    type = network
    networks = { "127.0.0.2" }
}
audit { file = "$dir/audit.jsonl" }
CONF
printf 'local_domains = { "example.test" }\nrelay "x" {\n  type = network\n  networks = { "10.0.0.0/33" }\n}\n' > "$dir/bad.conf"
printf 'local_domains = { "example.test" }\nno_such_option = 1\n' > "$dir/unknown.conf"

out=$($RW check-config "$dir/good.conf" 2>&1); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q '127.0.0.2' && ok "check-config good: exit 0, prints settings" || fail "check-config good ($rc): $out"
out=$($RW check-config "$dir/bad.conf" 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "bad.conf:4:" && echo "$out" | grep -q networks && ok "check-config bad CIDR: exit 1, file:line and option" || fail "check-config bad ($rc): $out"
out=$($RW check-config "$dir/unknown.conf" 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "unknown.conf:2:" && echo "$out" | grep -q no_such_option && ok "check-config unknown option named with its line" || fail "check-config unknown ($rc): $out"
out=$($RW check-config "$dir/missing.conf" 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "missing.conf" && ok "check-config missing file" || fail "check-config missing ($rc): $out"

out=$($RW explain -c "$dir/good.conf" protocol_state=RCPT client_address=192.0.2.1 sender=a@b.test recipient=bob@remote.test); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q '^verdict: REJECT' && echo "$out" | grep -qx 'action=554 5.7.1 Relay access denied' && echo "$out" | grep -q 'default deny' && ok "explain refusal from arguments (exit 1, policyd's action line without the <rcpt>: prefix, trace)" || fail "explain refusal ($rc): $out"
out=$(printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=127.0.0.2\nsender=a@b.test\nrecipient=bob@remote.test\n\n' | $RW explain -c "$dir/good.conf"); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q '^action=OK' && echo "$out" | grep -q '^rule: office' && ok "explain permit from stdin (exit 0, rule)" || fail "explain permit ($rc): $out"
out=$($RW explain -c "$dir/good.conf" client_address=1.2.3.4 recipient=x@example.test); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q '^stage: RCPT' && ok "explain defaults to RCPT" || fail "explain default stage ($rc): $out"
$RW explain -c "$dir/good.conf" --json client_address=192.0.2.1 'recipient=u%v@example.test' > "$dir/rec.json"; rc=$?
if [ $rc = 1 ] && /usr/bin/python3 - "$top_srcdir/schema/audit-record.schema.json" "$dir/rec.json" <<'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1])); rec = json.load(open(sys.argv[2]))
jsonschema.validate(rec, schema)
assert rec["component"] == "cli" and rec["verdict"] == "REJECT", rec
assert "percent hack" in rec["reply"], rec
PY
then ok "explain --json is a schema-valid audit record"; else fail "explain --json ($rc)"; fi
[ ! -e "$dir/audit.jsonl" ] && ok "explain has no side effects (no audit file written)" || fail "explain wrote the audit file"
out=$(printf 'garbage without equals\n\n' | $RW explain -c "$dir/good.conf" 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q "bad policy request" && ok "explain rejects a malformed request" || fail "explain malformed ($rc): $out"
out=$($RW nonsense 2>&1); rc=$?
[ $rc = 2 ] && ok "unknown command: usage, exit 2" || fail "unknown command ($rc)"

echo "$failed failed"
[ $failed = 0 ]
