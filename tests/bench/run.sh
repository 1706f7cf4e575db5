#!/bin/bash
# run.sh - protocol ceiling (rw-dunnod) vs relaywarden-policyd under rw-loadgen.
#
# usage: tests/bench/run.sh [BUILDDIR]      (default ./build)
# environment:
#   BENCH_SECONDS  seconds per measurement (default 5)
#   BENCH_CONNS    connection counts, one row each (default "1 16 64"); a
#                  count may repeat ("64 5000 5000": is memory flat?)
#   BENCH_BEV      1: also measure rw-dunnod -b (bufferevent variant)
#   BENCH_NOFILE   1: also measure policyd with the same config minus the
#                  audit file (records still built, written nowhere): what
#                  appending them to the file costs
#   BENCH_SIGN     1: also measure policyd with audit { signing_key_file }
#                  (a fresh Ed25519 key; checkpoints at the defaults, 1000
#                  records or 60 s): what the running hash and the signed
#                  checkpoints cost
#
# The shipped defaults of the audit and log sections, with and without a
# syslog daemon, are measured by defaults.sh (interleaved rounds).
#
# Builds nothing: run `make bench-programs` (and build the daemon) in
# BUILDDIR first; use a build without sanitizers for meaningful numbers.
# Starts rw-dunnod, then relaywarden-policyd (-e -c CONF) with a generated
# config (network and SASL relay rules, audit file) in a temporary
# directory, each on a free 127.0.0.1 port, drives each with rw-loadgen at
# each connection count and prints a table with the policyd/ceiling ratio.
# Everything started here is stopped by PID on exit.
set -u
# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"
# thousands of connections need as many descriptors, here and in the servers
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

build=${1:-./build}
secs=${BENCH_SECONDS:-5}
conns=${BENCH_CONNS:-1 16 64}
loadgen=$build/tests/bench/rw-loadgen
dunnod=$build/tests/bench/rw-dunnod
policyd=$build/policyd/relaywarden-policyd
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rw-bench.XXXXXX")
server_pid=""

# cleanup - stop what we started, remove the temporary directory
cleanup() {
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null
		wait "$server_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for p in "$loadgen" "$dunnod"; do
	if [ ! -x "$p" ]; then
		echo "run.sh: $p missing: run 'make bench-programs' in $build" >&2
		exit 1
	fi
done

# stop_server - stop the server started last
stop_server() {
	kill "$server_pid" 2>/dev/null
	wait "$server_pid" 2>/dev/null
	server_pid=""
}

# shellcheck source=tests/bench/rotate.sh
. "$(dirname "$0")/rotate.sh"

# new_audit - a fresh audit file for the next row (rotate.sh), its
# predecessor's records counted
audit_total=0
new_audit() {
	rotate_audit "$tmp/audit.jsonl" "$server_pid" "$tmp/audit.old" || return 0
	audit_total=$((audit_total + $(wc -l <"$tmp/audit.old")))
	rm -f "$tmp/audit.old"
}

# measure NAME PORT - one rw-loadgen run per row (connection count) into
# $tmp/NAME.ROW, and the server's resident memory late in the row (all
# connections open, 4/5 of the way through) into $tmp/NAME.ROW.rss; each
# row starts with a fresh audit file (new_audit) and a synced file system
measure() {
	local row=0 c sampler
	bench_rss_kb "$server_pid" >"$tmp/$1.idle.rss"
	for c in $conns; do
		row=$((row + 1))
		new_audit
		sync
		(sleep "$(awk -v s="$secs" 'BEGIN { print s * 0.8 }')" &&
			bench_rss_kb "$server_pid" >"$tmp/$1.$row.rss") &
		sampler=$!
		t0=$(bench_cpu_ticks "$server_pid")
		"$loadgen" -t "127.0.0.1:$2" -c "$c" -n 1000000000 -d "$secs" >"$tmp/$1.$row" 2>"$tmp/$1.$row.err"
		t1=$(bench_cpu_ticks "$server_pid")
		wait "$sampler"
		# the server's CPU per request: less noisy than its rate on a shared machine
		cpu_us=$(bench_cpu_us "$((t1 - t0))" "$(bench_field "$tmp/$1.$row" requests)")
		echo "  $1 c=$c: $(cat "$tmp/$1.$row") rss_kb=$(cat "$tmp/$1.$row.rss") cpu_us_per_req=$cpu_us$(test -s "$tmp/$1.$row.err" && echo " ($(head -1 "$tmp/$1.$row.err"))")"
	done
}

# run_server NAME PORT CMD... - start CMD, measure it, stop it
run_server() {
	name=$1
	port=$2
	shift 2
	"$@" >"$tmp/$name.log" 2>&1 &
	server_pid=$!
	if ! bench_wait_listening "$server_pid" "$port"; then
		echo "run.sh: $name did not start; its output:" >&2
		tail -5 "$tmp/$name.log" >&2
		stop_server
		return 1
	fi
	echo "$name (pid $server_pid) on 127.0.0.1:$port, ${secs}s per run"
	measure "$name" "$port"
	stop_server
}

servers="dunnod"
port=$(bench_free_port)
run_server dunnod "$port" "$dunnod" -l "127.0.0.1:$port" || exit 1
if [ "${BENCH_BEV:-0}" = 1 ]; then
	port=$(bench_free_port)
	run_server dunnod-bev "$port" "$dunnod" -b -l "127.0.0.1:$port" && servers="$servers dunnod-bev"
fi
if [ -x "$policyd" ] && [ "${BENCH_NOFILE:-0}" = 1 ]; then
	port=$(bench_free_port)
	bench_gen_config "$tmp" "$port"
	sed -i '/^\tfile = /d' "$tmp/relaywarden.conf"
	run_server policyd-nofile "$port" "$policyd" -e -c "$tmp/relaywarden.conf" &&
		servers="$servers policyd-nofile"
fi
if [ -x "$policyd" ]; then
	port=$(bench_free_port)
	bench_gen_config "$tmp" "$port"
	if run_server policyd "$port" "$policyd" -e -c "$tmp/relaywarden.conf"; then
		servers="$servers policyd"
		echo "  audit records written: $((audit_total + $(wc -l <"$tmp/audit.jsonl" 2>/dev/null || echo 0)))"
	fi
else
	echo "run.sh: $policyd not built: measuring the ceiling only"
fi
if [ -x "$policyd" ] && [ "${BENCH_SIGN:-0}" = 1 ]; then
	port=$(bench_free_port)
	bench_gen_config "$tmp" "$port"
	openssl genpkey -algorithm ed25519 -out "$tmp/sign.pem" 2>/dev/null && chmod 600 "$tmp/sign.pem"
	sed -i "s|^\tfsync = false\$|&\n\tsigning_key_file = \"$tmp/sign.pem\"|" "$tmp/relaywarden.conf"
	grep -q signing_key_file "$tmp/relaywarden.conf" || echo "run.sh: no signing_key_file in the config" >&2
	audit_total=0
	rm -f "$tmp/audit.jsonl"	# the policyd row's last file: counted above
	if run_server policyd-sign "$port" "$policyd" -e -c "$tmp/relaywarden.conf"; then
		servers="$servers policyd-sign"
		echo "  audit lines written (records and checkpoints): $((audit_total + $(wc -l <"$tmp/audit.jsonl" 2>/dev/null || echo 0)))"
	fi
fi

echo
printf '%-6s' conns
for s in $servers; do
	printf ' %12s %11s' "$s-rps" "p99_us"
done
for s in $servers; do
	case $s in policyd*) printf ' %10s' "${s#policyd}-ratio" ;; esac
done
case " $servers " in *" policyd "*) printf ' %14s' policyd-rss_kb ;; esac
echo
row=0
for c in $conns; do
	row=$((row + 1))
	printf '%-6s' "$c"
	for s in $servers; do
		printf ' %12s %11s' "$(bench_field "$tmp/$s.$row" rps)" "$(bench_field "$tmp/$s.$row" p99_us)"
	done
	for s in $servers; do
		case $s in
		policyd*)
			printf ' %10s' "$(awk -v a="$(bench_field "$tmp/$s.$row" rps)" \
				-v b="$(bench_field "$tmp/dunnod.$row" rps)" \
				'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"
			;;
		esac
	done
	case " $servers " in
	*" policyd "*) printf ' %14s' "$(cat "$tmp/policyd.$row.rss" 2>/dev/null)" ;;
	esac
	echo
done
case " $servers " in
*" policyd "*) echo "policyd resident memory before the first row: $(cat "$tmp/policyd.idle.rss") KiB" ;;
esac
