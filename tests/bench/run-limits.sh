#!/bin/bash
# run-limits.sh - relaywarden-policyd with rate limits and quotas on, beside
# redis-benchmark running the same Lua script (schema/limits.lua) at the same
# concurrency against the same private redis-server, in the same run.
#
# usage: tests/bench/run-limits.sh [BUILDDIR]      (default ./build)
# environment: BENCH_SECONDS (default 5), BENCH_CONNS (default "1 16 64 256")
#
# Every request is an END-OF-MESSAGE charge (one EVALSHA per decision) of
# three checks: a rate per client address (messages), a rate per SASL user
# (recipients, on a third of the requests) and a daily quota per client /24
# (messages and recipients) — limits large enough that nothing is refused.
# redis-benchmark runs one EVALSHA of the same script with the same number
# of checks, keys varied per request (__rand_int__); last, the same call 16
# pipelined on one connection (the script's cost to Redis alone). Build without
# sanitizers (make bench-programs + the daemon and the CLI). Everything
# started here is stopped by PID on exit.
set -u

build=${1:-./build}
secs=${BENCH_SECONDS:-5}
conns=${BENCH_CONNS:-1 16 64 256}
loadgen=$build/tests/bench/rw-loadgen
policyd=$build/policyd/relaywarden-policyd
cli=$build/cli/relaywarden
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rw-bench-limits.XXXXXX")
pids=()

cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for p in "$loadgen" "$policyd" "$cli"; do
	[ -x "$p" ] || { echo "run-limits.sh: $p missing (build it in $build)" >&2; exit 1; }
done

# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"

# wait_port PORT - up to 10 s for a listener on 127.0.0.1:PORT
wait_port() {
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	echo "run-limits.sh: nothing listens on $1" >&2
	return 1
}

rport=$(bench_free_port)
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" \
	>"$tmp/redis.log" 2>&1 &
pids+=($!)
wait_port "$rport" || exit 1

pport=$(bench_free_port)
cat >"$tmp/bench.conf" <<CONF
local_domains = { "example.test" }
relay "office" {
	type = network
	networks = { "0.0.0.0/0" }
}
limit "per-client" {
	charge = client_address
	unit = messages
	rate = "1000000000/1h"
}
limit "per-user" {
	charge = sasl_user
	unit = recipients
	rate = "1000000000/1h"
}
quota "per-net" {
	charge = client_prefix
	window = day
	messages = 1000000000000
	recipients = 1000000000000
}
redis {
	servers = { "127.0.0.1:$rport" }
	timeout_ms = 500
	connections = 2
}
policyd { listen = { "inet:127.0.0.1:$pport" } }
audit { file = "$tmp/audit.jsonl" syslog = false }
log { target = stderr }
CONF
"$policyd" -c "$tmp/bench.conf" -e 2>"$tmp/policyd.log" &
pids+=($!)
policyd_pid=$!
wait_port "$pport" || { cat "$tmp/policyd.log"; exit 1; }

# The same script call as the daemon's, from relaywarden quota show --json
# (keys and arguments of a peek), turned into a charge with varied keys.
"$cli" quota show -c "$tmp/bench.conf" --json --address 192.0.2.1 >"$tmp/show.json" ||
	{ echo "run-limits.sh: quota show failed" >&2; exit 1; }
mapfile -t evalsha < <(/usr/bin/python3 - "$tmp/show.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
keys, args = [], []
for c in d["limits"]:
    k = c["keys"]
    ks = [k[r] for r in ("state", "override", "override_customer", "block", "block_customer")]
    ks[0] = ks[0] + ":__rand_int__"
    keys += ks
    args += [str(a) for a in c["script_args"]]
print("")
print(len(keys))
for x in keys + ["2", "charge", "3600", "0"] + args:
    print(x)
PY
)
sha=${evalsha[0]}
nkeys=${evalsha[1]}
if [ -z "$sha" ]; then
	sha=$(redis-cli -p "$rport" SCRIPT LOAD "$(cat "$(dirname "$0")/../../schema/limits.lua")")
fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -r)"
best=0
printf '%-6s %12s %10s %10s %14s %10s\n' conns policyd-rps p50_us p99_us redis-bench-rps ratio
# shellcheck source=tests/bench/rotate.sh
. "$(dirname "$0")/rotate.sh"

# new_audit - a fresh audit file for the next row (rotate.sh), its
# predecessor's charged decisions counted
charged=0
new_audit() {
	rotate_audit "$tmp/audit.jsonl" "$policyd_pid" "$tmp/audit.old" || return 0
	charged=$((charged + $(grep -c '"charge":true' "$tmp/audit.old")))
	rm -f "$tmp/audit.old"
}

for c in $conns; do
	new_audit
	sync
	line=$("$loadgen" -t "127.0.0.1:$pport" -c "$c" -n 1000000000 -d "$secs" -s END-OF-MESSAGE 2>&1)
	rps=$(sed -n 's/.* rps=\([0-9]*\).*/\1/p' <<<"$line")
	[ "${rps:-0}" -gt "${best:-0}" ] && best=$rps
	p50=$(sed -n 's/.* p50_us=\([0-9.]*\).*/\1/p' <<<"$line")
	p99=$(sed -n 's/.* p99_us=\([0-9.]*\).*/\1/p' <<<"$line")
	n=$((secs * 40000))
	rb=$(redis-benchmark -p "$rport" -c "$c" -n "$n" -r 100000 -q EVALSHA "$sha" "$nkeys" \
		"${evalsha[@]:2}" 2>/dev/null | tr '\r' '\n' | sed -n 's/.*: \([0-9.]*\) requests per second.*/\1/p' | tail -1)
	ratio=$(/usr/bin/python3 -c "print(f'{${rps:-0}/max(float(${rb:-0}),1):.2f}')")
	printf '%-6s %12s %10s %10s %14s %10s\n' "$c" "${rps:-?}" "${p50:-?}" "${p99:-?}" "${rb:-?}" "$ratio"
	grep -q 'errors=0' <<<"$line" || echo "  loadgen: $line"
done
# The Redis ceiling as it is usually quoted: one connection, 16 calls
# pipelined - what the script costs Redis with no client round trips.
pipe=$(redis-benchmark -p "$rport" -c 1 -P 16 -n $((secs * 40000)) -r 100000 -q EVALSHA "$sha" \
	"$nkeys" "${evalsha[@]:2}" 2>/dev/null | tr '\r' '\n' |
	sed -n 's/.*: \([0-9.]*\) requests per second.*/\1/p' | tail -1)
echo "redis-benchmark, same script, one connection, 16 pipelined: ${pipe:-?} calls/s;" \
	"policyd's best above: ${best:-?} decisions/s ($(/usr/bin/python3 -c \
	"print(f'{${best:-0}/max(float(${pipe:-0}),1):.2f}')") of it)"
new_audit
echo "decisions charged: $charged audit records with limits"
