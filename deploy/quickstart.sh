#!/bin/sh
# quickstart.sh - on a fresh Debian 12 machine (root): install the packages,
# build relaywarden, bring up the loopback stack (a real Postfix wired to
# relaywarden-policyd, tests/e2e/stack.sh) and show real decisions: a refused
# relay, an accepted one, and their audit records. The stack keeps running;
# the last line says how to stop it.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-/tmp/relaywarden-demo}
cd "$top"
[ "${RW_SKIP_DEPS:-0}" = 1 ] || deploy/install-deps.sh
autoreconf -fi >/dev/null 2>&1
mkdir -p build
(cd build && "$top/configure" >/dev/null 2>configure.err && make -j2 >/dev/null) ||
	{ cat build/configure.err; exit 1; }
tests/e2e/stack.sh down "$dir" >/dev/null 2>&1 || true
RW_BUILD="$top/build" tests/e2e/stack.sh up "$dir"
eval "$(tests/e2e/stack.sh env "$dir")"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say "a stranger (127.0.0.1) tries to relay to bob@remote.test"
swaks --server 127.0.0.1 --port "$RW_SMTP_PORT" --from x@remote.test --to bob@remote.test \
	--quit-after RCPT 2>&1 | grep -E -A1 '^ *-> RCPT TO' || true
say "alice authenticates on submission and relays to bob@remote.test"
swaks --server 127.0.0.1 --port "$RW_SUBMISSION_PORT" -tls --auth PLAIN \
	--auth-user "$RW_SASL_USER" --auth-password "$RW_SASL_PASS" \
	--from alice@example.test --to bob@remote.test 2>&1 |
	grep -E -A1 '^ *~> (RCPT TO|\.)$|^ *~> RCPT TO' || true
say "the same decisions, as relaywarden explain sees them"
build/cli/relaywarden explain -c "$dir/relaywarden.conf" client_address=127.0.0.1 \
	sender=x@remote.test recipient=bob@remote.test || true
say "their audit records ($RW_AUDIT: policyd's last two RCPT decisions)"
/usr/bin/python3 - "$RW_AUDIT" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
for r in [r for r in recs if r["stage"] == "RCPT" and r["component"] == "policyd"][-2:]:
    keep = ("time", "client", "sasl", "sender", "recipient", "verdict", "reply", "rule",
            "trace", "limits")
    print(json.dumps({k: r[k] for k in keep if k in r}, indent=1))
PY
say "the trail as an operator searches it: relaywarden audit query (relays to remote.test, newest last)"
build/cli/relaywarden audit query --component policyd --recipient @remote.test "$RW_AUDIT" | tail -n 3 || true
say "stack running under $dir; stop it with: tests/e2e/stack.sh down $dir"
