#!/bin/bash
# defaults.sh - relaywarden-policyd relay-only with the shipped defaults of
# the audit and log sections, against a server that answers DUNNO at once,
# with no syslog daemon listening and with rsyslogd on /dev/log.
#
# usage: tests/bench/defaults.sh [BUILDDIR]      (default ./build)
# environment:
#   BENCH_SECONDS  seconds per row (default 4)
#   BENCH_CONNS    connection counts (default "16 64")
#   BENCH_ROUNDS   rounds (default 3)
#
# The servers run side by side, each on a free 127.0.0.1 port, and the rows
# are interleaved: each round measures every server at every connection
# count in turn (every other round in reverse order), so a shared machine's
# drift hits the DUNNO server and policyd alike; a ratio is taken between
# rows of the same round. Phase 1, no syslog daemon: rw-dunnod, policyd with
# the bench config (run.sh's: log to stderr) and policyd with the shipped
# defaults (log to syslog: every refusal's Postfix-style line, the records'
# JSON not). Phase 2: rsyslogd (Debian's) on /dev/log writing every line to
# a file, rw-dunnod and policyd with the shipped defaults. Phase 2 is
# skipped when another daemon owns /dev/log (phase 1 then measures with it).
# Half the requests rw-loadgen sends are refusals. Every policyd row starts
# with a fresh audit file (rotate.sh).
#
# Prints every row, then per server and connection count the median rate,
# the median and range of its per-round ratios to the DUNNO server and the
# median CPU per request. Builds nothing: `make bench-programs` and the
# daemon in BUILDDIR first, without sanitizers. Everything started here is
# stopped by PID on exit.
set -u
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

here=$(dirname "$0")
# shellcheck source=tests/bench/lib.sh
. "$here/lib.sh"
# shellcheck source=tests/bench/rotate.sh
. "$here/rotate.sh"

build=${1:-./build}
secs=${BENCH_SECONDS:-4}
conns=${BENCH_CONNS:-16 64}
rounds=${BENCH_ROUNDS:-3}
loadgen=$build/tests/bench/rw-loadgen
dunnod=$build/tests/bench/rw-dunnod
policyd=$build/policyd/relaywarden-policyd
for p in "$loadgen" "$dunnod" "$policyd"; do
	if [ ! -x "$p" ]; then
		echo "defaults.sh: $p missing: build the daemon and run 'make bench-programs' in $build" >&2
		exit 1
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rw-bench-defaults.XXXXXX")
mkdir "$tmp/rows"
declare -A pid port records

# stop NAME - stop the server NAME by PID
stop() {
	[ -n "${pid[$1]:-}" ] || return 0
	kill "${pid[$1]}" 2>/dev/null
	wait "${pid[$1]}" 2>/dev/null
	unset "pid[$1]"
}

cleanup() {
	for name in "${!pid[@]}"; do
		stop "$name"
	done
	bench_stop_rsyslogd
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME CMD... - start a server that listens on port[NAME]
start() {
	local name=$1
	shift
	"$@" >"$tmp/$name.log" 2>&1 &
	pid[$name]=$!
	if ! bench_wait_listening "${pid[$name]}" "${port[$name]}"; then
		echo "defaults.sh: $name did not start; its output:" >&2
		tail -5 "$tmp/$name.log" >&2
		exit 1
	fi
	echo "$name (pid ${pid[$name]}) on 127.0.0.1:${port[$name]}"
}

# start_policyd NAME DEFAULTS - policyd in $tmp/NAME with the bench config,
# or (DEFAULTS = 1) its audit and log sections at the shipped defaults
start_policyd() {
	mkdir "$tmp/$1"
	port[$1]=$(bench_free_port)
	records[$1]=0
	bench_gen_config "$tmp/$1" "${port[$1]}"
	if [ "$2" = 1 ]; then
		bench_defaults_config "$tmp/$1/relaywarden.conf"
		start "$1" "$policyd" -c "$tmp/$1/relaywarden.conf"
	else
		start "$1" "$policyd" -e -c "$tmp/$1/relaywarden.conf"
	fi
}

# row LABEL NAME CONNS ROUND - one rw-loadgen run against NAME into
# $tmp/rows/LABEL.CONNS.ROUND (and .cpu: the server's CPU per request)
row() {
	local f="$tmp/rows/$1.$3.$4" t0 t1
	if [ -d "$tmp/$2" ] && rotate_audit "$tmp/$2/audit.jsonl" "${pid[$2]}" "$tmp/$2/audit.old"; then
		records[$2]=$((records[$2] + $(wc -l <"$tmp/$2/audit.old")))
		rm -f "$tmp/$2/audit.old"
	fi
	sync
	t0=$(bench_cpu_ticks "${pid[$2]}")
	"$loadgen" -t "127.0.0.1:${port[$2]}" -c "$3" -n 1000000000 -d "$secs" >"$f" 2>"$f.err"
	t1=$(bench_cpu_ticks "${pid[$2]}")
	bench_cpu_us "$((t1 - t0))" "$(bench_field "$f" requests)" >"$f.cpu"
	echo "  round $4 $1 c=$3: $(cat "$f") cpu_us_per_req=$(cat "$f.cpu")$(test -s "$f.err" && echo " ($(head -1 "$f.err"))")"
}

# finish_policyd NAME - count the records of its last audit file, stop it
finish_policyd() {
	records[$1]=$((records[$1] + $(wc -l <"$tmp/$1/audit.jsonl" 2>/dev/null || echo 0)))
	stop "$1"
}

# rounds PAIRS... - BENCH_ROUNDS rounds over LABEL:NAME pairs, every other one reversed
rounds() {
	local r c pair order
	for r in $(seq "$rounds"); do
		order=("$@")
		if [ $((r % 2)) = 0 ]; then
			order=()
			for pair in "$@"; do order=("$pair" "${order[@]}"); done
		fi
		for c in $conns; do
			for pair in "${order[@]}"; do
				row "${pair%%:*}" "${pair#*:}" "$c" "$r"
			done
		done
	done
}

# median - the median of the numbers on stdin ("-" for none)
median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# summary LABEL CEILING - median rate, ratios to CEILING's rows of the same round, CPU
summary() {
	local c r a b ratios rates cpus
	for c in $conns; do
		ratios=""
		rates=""
		cpus=""
		for r in $(seq "$rounds"); do
			a=$(bench_field "$tmp/rows/$1.$c.$r" rps)
			b=$(bench_field "$tmp/rows/$2.$c.$r" rps)
			rates="$rates ${a:-0}"
			cpus="$cpus $(cat "$tmp/rows/$1.$c.$r.cpu" 2>/dev/null || echo -)"
			[ "$1" = "$2" ] && continue
			ratios="$ratios $(awk -v a="${a:-0}" -v b="${b:-0}" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "-" }')"
		done
		printf '%-18s %5s %10s %8s %13s %8s\n' "$1" "$c" \
			"$(echo "$rates" | tr ' ' '\n' | grep . | median | awk '{ printf "%.0f", $1 }')" \
			"$(echo "$ratios" | tr ' ' '\n' | grep -v -e '^$' -e '^-$' | median)" \
			"$(echo "$ratios" | tr ' ' '\n' | grep -v -e '^$' -e '^-$' | sort -g | sed -n '1p;$p' | paste -sd '-')" \
			"$(echo "$cpus" | tr ' ' '\n' | grep -v -e '^$' -e '^-$' | median)"
	done
}

port[dunnod]=$(bench_free_port)
start dunnod "$dunnod" -l "127.0.0.1:${port[dunnod]}"
start_policyd policyd 0
start_policyd policyd-defaults 1
daemon_note="no syslog daemon"
[ -e /dev/log ] && daemon_note="the syslog daemon that owns /dev/log"
echo "phase 1: $daemon_note; ${secs}s rows, $rounds rounds"
rounds dunnod:dunnod policyd:policyd policyd-defaults:policyd-defaults
finish_policyd policyd
finish_policyd policyd-defaults

phase2=0
if bench_start_rsyslogd "$tmp"; then
	phase2=1
	start_policyd policyd-rsyslog 1
	echo "phase 2: rsyslogd (pid $bench_rsyslog_pid) on /dev/log; ${secs}s rows, $rounds rounds"
	rounds dunnod-p2:dunnod policyd-rsyslog:policyd-rsyslog
	finish_policyd policyd-rsyslog
	refusals=0
	for f in "$tmp"/rows/policyd-rsyslog.*[0-9]; do
		refusals=$((refusals + $(bench_field "$f" REJECT)))
	done
	# a daemon that falls behind loses lines (counted by policyd, never waited for)
	echo "  refusal lines rsyslogd wrote: $(grep -c ': reject: ' "$tmp/messages" 2>/dev/null || echo 0) of $refusals refusals"
	bench_stop_rsyslogd
else
	echo "phase 2 skipped: no rsyslogd, or another daemon owns /dev/log"
fi
for name in policyd policyd-defaults policyd-rsyslog; do
	[ -n "${records[$name]:-}" ] && echo "  $name audit records written: ${records[$name]}"
done

echo
printf '%-18s %5s %10s %8s %13s %8s\n' server conns rps ratio ratio-range cpu_us
summary dunnod dunnod
summary policyd dunnod
summary policyd-defaults dunnod
if [ "$phase2" = 1 ]; then
	summary dunnod-p2 dunnod-p2
	summary policyd-rsyslog dunnod-p2
fi
