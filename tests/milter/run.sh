#!/bin/bash
# run.sh - relaywarden-milter against miltertest (Lua) on loopback, with a
# private redis-server: relay decisions from Postfix- and Sendmail-style
# macros, limits charged once at EOM (checked in Redis and the audit
# file), the fail mode with Redis gone, SIGHUP reload (a new rule applies,
# a broken config is refused and the milter keeps running), SIGTERM stop;
# then the end-of-message checks (checks.lua) against a second milter with
# unbound on loopback serving DKIM keys, SPF and DMARC records: enforce,
# then shadow after SIGHUP (audit records checked).
# Every process is started here, stopped by PID, every wait is bounded.
# Skips (77) without miltertest or redis-server.
set -u

srcdir="${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}"
builddir="${top_builddir:-.}"
milter="$builddir/milter/relaywarden-milter"
luadir="$srcdir/tests/milter"

command -v miltertest >/dev/null || { echo "SKIP: miltertest not installed"; exit 77; }
command -v redis-server >/dev/null || { echo "SKIP: redis-server not installed"; exit 77; }
[ -x "$milter" ] || { echo "FAIL: $milter not built"; exit 1; }

work=$(mktemp -d /tmp/rw-milter-test.XXXXXX)
milter_pid= redis_pid= monitor_pid= unbound_pid= notify_pid= failed=0

# cleanup - stop what we started, by PID
cleanup() {
	[ -n "$unbound_pid" ] && kill "$unbound_pid" 2>/dev/null && wait "$unbound_pid" 2>/dev/null
	[ -n "$monitor_pid" ] && kill "$monitor_pid" 2>/dev/null
	[ -n "$notify_pid" ] && kill "$notify_pid" 2>/dev/null && wait "$notify_pid" 2>/dev/null
	[ -n "$milter_pid" ] && kill "$milter_pid" 2>/dev/null && wait "$milter_pid" 2>/dev/null
	[ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
# the audit chain's key (relative to the config: audit { hmac_key_file })
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/audit.key"
chmod 600 "$work/audit.key"
# the checkpoints' signing key (audit { signing_key_file }) and its public half
openssl genpkey -algorithm ed25519 -out "$work/sign.pem" 2>/dev/null && chmod 600 "$work/sign.pem" &&
	openssl pkey -in "$work/sign.pem" -pubout -out "$work/sign.pub.pem" 2>/dev/null || {
	echo "FAIL: openssl cannot make an Ed25519 key"
	exit 1
}

# free_port - an unused loopback TCP port
free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_port PORT - until something listens there (5 s at most)
wait_port() {
	for _ in $(seq 1 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# fail MSG - record a failure and go on
fail() {
	echo "FAIL: $*"
	failed=1
}

# config NETWORKS - write relaywarden.conf with the office networks given
config() {
	cat >"$work/relaywarden.conf" <<EOF
instance = "milter-test"
local_domains = { "example.test" }
charge_at = milter
sender_login "alice@example.test" { senders = { "alice@example.test" } }
relay "submission" {
	type = sasl
	listeners = { "submission" }
	ports = { 587 }
	require_tls = true
}
relay "office" {
	type = network
	networks = { $1 }
}
relay "partner-cn" {
	type = certificate
	subject = "mx.partner.test"
	issuer = "Partner Test CA"
}
relay "partner-dn" {
	type = certificate
	subject = "/C=DE/O=Partner GmbH/CN=mx.partner.test"
	issuer = "/C=DE/O=Partner GmbH/CN=Partner CA"
}
relay "partner-pinned" {
	type = certificate
	fingerprints = { "0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9" }
}
limit "office-rate" {
	charge = network
	unit = messages
	rate = "2/1h"
	on_store_failure = tempfail
}
quota "office-day" {
	charge = network
	window = day
	messages = 1000
	recipients = 1000
	bytes = 10M
	on_store_failure = tempfail
}
redis {
	servers = { "127.0.0.1:$redis_port" }
	timeout_ms = 200
}
milter {
	listen = "inet:$milter_port@127.0.0.1"
	metrics = "inet:127.0.0.1:$metrics_port"
}
audit {
	file = "audit.jsonl"
	syslog = false
	hmac_key_file = "audit.key"
	signing_key_file = "sign.pem"
	checkpoint_records = 2
	checkpoint_seconds = 1
}
log {
	target = stderr
	debug = true
}
EOF
}

# lua SCRIPT [PHASE] - run one miltertest script
lua() {
	RW_MILTER_SOCK="inet:$milter_port@127.0.0.1" RW_LUA_DIR="$luadir" RW_PHASE="${2:-up}" \
		miltertest -s "$luadir/$1" || fail "$1 ${2:-}"
}

# http PATH - "STATUS" then the body of GET PATH on the milter's metrics endpoint
http() {
	/usr/bin/python3 -c '
import sys, urllib.request, urllib.error
try:
    r = urllib.request.urlopen(sys.argv[1], timeout=20)
    code, body = r.status, r.read().decode()
except urllib.error.HTTPError as e:
    code, body = e.code, e.read().decode()
print(code)
print(body, end="")
' "http://127.0.0.1:$metrics_port$1"
}

# metric SERIES - the sample value of SERIES (name{labels} exactly) in $work/metrics.txt
metric() {
	awk -v s="$1" 'index($0, s " ") == 1 { print $NF }' "$work/metrics.txt"
}

redis_port=$(free_port)
milter_port=$(free_port)
metrics_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
	--daemonize no >"$work/redis.log" 2>&1 &
redis_pid=$!
wait_port "$redis_port" || { echo "FAIL: redis-server did not start"; exit 1; }

config '"192.0.2.0/24"'
# the service manager's end of sd_notify: one line per datagram
/usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(300)
with open(sys.argv[2], "a") as f:
    while True:
        try:
            d = s.recv(4096)
        except socket.timeout:
            break
        f.write(d.decode().replace("\n", " ") + "\n")
        f.flush()
' "$work/notify.sock" "$work/notify.log" &
notify_pid=$!
for _ in $(seq 1 100); do [ -S "$work/notify.sock" ] && break; sleep 0.05; done
NOTIFY_SOCKET="$work/notify.sock" "$milter" -c "$work/relaywarden.conf" -e >"$work/milter.log" 2>&1 &
milter_pid=$!
wait_port "$milter_port" || { cat "$work/milter.log"; echo "FAIL: milter did not start"; exit 1; }

http /metrics >"$work/metrics.txt"
[ "$(head -1 "$work/metrics.txt")" = 200 ] || fail "metrics: not 200"
for series in 'relaywarden_decisions_total{stage="RCPT",verdict="OK"}' \
	'relaywarden_rule_decisions_total{rule="office",verdict="OK"}' \
	'relaywarden_limit_refusals_total{kind="limit",name="office-rate"}' \
	'relaywarden_limit_refusals_total{kind="quota",name="office-day"}' \
	'relaywarden_refusals_total{reason="dkim"}' 'relaywarden_redis_errors_total{kind="timeout"}' \
	'relaywarden_audit_records_total{result="written"}'; do
	[ "$(metric "$series")" = 0 ] || fail "metrics: $series not present at zero at start"
done
grep -q '^relaywarden_build_info{component="milter",' "$work/metrics.txt" || fail "metrics: build_info"
lua relay.lua
lua sendmail.lua
redis-cli -p "$redis_port" monitor >"$work/monitor.log" 2>&1 &
monitor_pid=$!
sleep 0.2
lua limits.lua up
sleep 0.2
kill "$monitor_pid" 2>/dev/null; wait "$monitor_pid" 2>/dev/null; monitor_pid=
# charges carry a deadline on Redis's clock (sampled with TIME), peeks none
grep -q '"TIME"' "$work/monitor.log" || fail "Redis clock never sampled (TIME)"
grep '"EVALSHA"' "$work/monitor.log" | grep -qE '"charge" "[0-9]+" "[1-9][0-9]{9,}"' ||
	fail "no charge deadline in EVALSHA"
grep '"EVALSHA"' "$work/monitor.log" | grep -qE '"peek" "[0-9]+" "0"' ||
	fail "a peek with a deadline"
n_charge=$(grep '"EVALSHA"' "$work/monitor.log" | grep -c '"charge"')
[ "$n_charge" = 2 ] || fail "EVALSHA charges: $n_charge, want 2 (one per message)"

# charged once per message at EOM: 2 messages, 4 recipients, their bytes
quota_key=$(redis-cli -p "$redis_port" --scan --pattern 'rw:v1:*:quota:office-day:*' | head -1)
m=$(redis-cli -p "$redis_port" hget "$quota_key" m)
r=$(redis-cli -p "$redis_port" hget "$quota_key" r)
b=$(redis-cli -p "$redis_port" hget "$quota_key" b)
[ "$m" = 2 ] || fail "quota messages: '$m', want 2 (key '$quota_key')"
[ "$r" = 4 ] || fail "quota recipients: '$r', want 4"
# headers "From: sender@office.test\r\n" (26) + "Subject: limits\r\n" (17) + 2, bodies 100 + 200
[ "$b" = $((2 * 45 + 300)) ] || fail "quota bytes: '$b', want $((2 * 45 + 300))"

# one audit record per decision, component milter
grep -c '"component":"milter"' "$work/audit.jsonl" >"$work/n_audit"
n_eom=$(grep -c '"stage":"END-OF-MESSAGE"' "$work/audit.jsonl")
[ "$n_eom" = 2 ] || fail "EOM audit records: $n_eom, want 2"
grep -v '"component":"milter"' "$work/audit.jsonl" | grep -q . && fail "a record not from the milter"

# the metrics count what the audit file holds, from the milter's own thread
http /metrics >"$work/metrics.txt"
n_rec=$(grep -v '"kind":"checkpoint"' "$work/audit.jsonl" | grep -c .)	# records, not the signed checkpoints
n_dec=$(awk '/^relaywarden_decisions_total\{/ { n += $NF } END { print n }' "$work/metrics.txt")
[ "$n_dec" = "$n_rec" ] || fail "metrics: $n_dec decisions counted, $n_rec audit records"
[ "$(metric 'relaywarden_audit_records_total{result="written"}')" = "$n_rec" ] ||
	fail "metrics: audit records written $(metric 'relaywarden_audit_records_total{result="written"}'), file $n_rec"
n_eom_ok=$(grep '"stage":"END-OF-MESSAGE"' "$work/audit.jsonl" | grep -c '"verdict":"DUNNO"')
[ "$(metric 'relaywarden_decisions_total{stage="END-OF-MESSAGE",verdict="DUNNO"}')" = "$n_eom_ok" ] ||
	fail "metrics: EOM DUNNO decisions"
[ "$(metric 'relaywarden_redis_command_duration_seconds_count')" -ge 2 ] 2>/dev/null ||
	fail "metrics: Redis commands not timed"
[ "$(sed -n 2p <(http /health))" != "" ] && [ "$(http /ready | head -1)" = 200 ] ||
	fail "metrics: not ready with Redis up"

# Redis gone: the limits' fail mode (tempfail) at RCPT, relay still decided
kill "$redis_pid"; wait "$redis_pid" 2>/dev/null; redis_pid=
lua limits.lua down
grep -q 'reply="451 4.3.0 rate-limit store unavailable' "$work/milter.log" ||
	fail "no 451 4.3.0 with Redis gone"
grep -q 'event=store_degraded' "$work/milter.log" || fail "no event=store_degraded"
http /health >"$work/health.txt"
[ "$(head -1 "$work/health.txt")" = 200 ] && grep -q '^ok degraded' "$work/health.txt" ||
	fail "health with Redis gone: $(cat "$work/health.txt")"
http /ready >"$work/ready.txt"
[ "$(head -1 "$work/ready.txt")" = 503 ] || fail "ready with Redis gone and tempfail limits: $(cat "$work/ready.txt")"
http /metrics >"$work/metrics.txt"
[ "$(metric 'relaywarden_refusals_total{reason="store"}')" -ge 1 ] 2>/dev/null ||
	fail "metrics: store refusals not counted"
[ "$(metric 'relaywarden_store_degraded')" = 1 ] || fail "metrics: store_degraded"
grep -q 'reply="450 4.7.1 Rate limit \\"office-rate\\" exceeded' "$work/milter.log" ||
	fail "no 450 4.7.1 for the third message"

# SIGHUP: a broken config is refused, the milter keeps running
echo 'this is { not a config' >>"$work/relaywarden.conf"
kill -HUP "$milter_pid"
for _ in $(seq 1 100); do
	grep -q 'event=reload_refused' "$work/milter.log" && break
	sleep 0.05
done
grep -q 'event=reload_refused' "$work/milter.log" || fail "broken config not refused"
kill -0 "$milter_pid" 2>/dev/null || fail "milter died on SIGHUP"

# SIGHUP: a good config with another office network takes effect
config '"192.0.2.0/24", "203.0.113.0/24"'
kill -HUP "$milter_pid"
for _ in $(seq 1 100); do
	grep -q 'event=reloaded' "$work/milter.log" && break
	sleep 0.05
done
grep -q 'event=reloaded' "$work/milter.log" || fail "no reload logged"
grep -q '^READY=1 STATUS=serving' "$work/notify.log" || fail "no READY=1 to the service manager"
grep -q '^RELOADING=1' "$work/notify.log" || fail "no RELOADING=1 on SIGHUP"
cat >"$work/reload.lua" <<'EOF'
local t = dofile(os.getenv("RW_LUA_DIR") .. "/common.lua")
t.relay_case({ name = "after reload: new office network", ip = "203.0.113.9",
	       connect = { "v", "Postfix 3.7.11" }, sender = "<x@office.test>",
	       rcpt = "<example@example.test>", want = SMFIR_CONTINUE })
EOF
RW_MILTER_SOCK="inet:$milter_port@127.0.0.1" RW_LUA_DIR="$luadir" miltertest -s "$work/reload.lua" ||
	fail "reload.lua"

# idle: the control thread's tick signs a "time" checkpoint over the last records (10 s at most)
for _ in $(seq 1 100); do
	tail -1 "$work/audit.jsonl" | grep -q '"reason":"time"' && break
	sleep 0.1
done
tail -1 "$work/audit.jsonl" | grep -q '"kind":"checkpoint".*"reason":"time"' ||
	fail "no time checkpoint after the milter idled: $(tail -c 300 "$work/audit.jsonl")"

# SIGTERM: a clean stop within 15 s
kill -TERM "$milter_pid"
for _ in $(seq 1 150); do
	kill -0 "$milter_pid" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$milter_pid" 2>/dev/null; then
	fail "milter still running 15 s after SIGTERM"
else
	wait "$milter_pid"; rc=$?
	milter_pid=
	[ "$rc" = 0 ] || fail "milter exit status $rc after SIGTERM"
	grep -q 'event=stopped' "$work/milter.log" || fail "no event=stopped"
	grep -q '^STOPPING=1' "$work/notify.log" || fail "no STOPPING=1 on SIGTERM"
fi

# the milter's threads sealed every record into its chains, in file order
"$builddir/cli/relaywarden" audit verify -k "$work/audit.key" "$work/audit.jsonl" >"$work/verify.out" 2>&1 ||
	fail "audit verify: $(cat "$work/verify.out")"
grep -q ' 0 problems: verified' "$work/verify.out" && grep -q '^chain .*seq 0 to' "$work/verify.out" ||
	fail "audit verify output: $(cat "$work/verify.out")"
# ... and signed checkpoints (start, every 2 records, reload, stop) the public key alone proves
"$builddir/cli/relaywarden" audit verify --public-key "$work/sign.pub.pem" "$work/audit.jsonl" >"$work/prove.out" 2>&1 ||
	fail "audit verify --public-key: $(cat "$work/prove.out")"
n_chains=$(grep -c '^chain ' "$work/prove.out")
[ "$n_chains" -ge 2 ] && [ "$(grep -c '^chain .*, closed$' "$work/prove.out")" = "$n_chains" ] &&
	grep -q ' 0 problems, 0 unproven: verified$' "$work/prove.out" &&
	grep -q '"kind":"checkpoint".*"component":"milter","reason":"records"' "$work/audit.jsonl" ||
	fail "audit verify --public-key output: $(cat "$work/prove.out")"

# privilege drop (root only): bound and opened as root, then running as nobody
if [ "$(id -u)" = 0 ]; then
	pd="$work/privdrop"
	mkdir -p "$pd"
	chmod 755 "$work" "$pd"
	cat >"$pd/relaywarden.conf" <<EOF
user = "nobody"
local_domains = { "example.test" }
milter {
	listen = "unix:$pd/milter.sock"
}
audit {
	file = "$pd/audit.jsonl"
	syslog = false
}
log {
	target = stderr
}
EOF
	"$milter" -c "$pd/relaywarden.conf" -e >"$pd/milter.log" 2>&1 &
	pd_pid=$!
	for _ in $(seq 1 150); do grep -q 'event=ready' "$pd/milter.log" && break; sleep 0.1; done
	nobody=$(id -u nobody)
	[ "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$pd_pid/status")" = "$nobody $nobody $nobody $nobody" ] ||
		fail "privilege drop: milter not running as nobody: $(grep -E '^(Uid|Gid)' "/proc/$pd_pid/status")"
	[ "$(stat -c %u "$pd/audit.jsonl")" = "$nobody" ] || fail "privilege drop: audit file not handed to nobody"
	kill -HUP "$pd_pid"
	for _ in $(seq 1 100); do grep -q 'event=reload' "$pd/milter.log" && break; sleep 0.1; done
	grep -q 'event=reloaded' "$pd/milter.log" || fail "privilege drop: reload as nobody: $(tail -2 "$pd/milter.log")"
	kill -TERM "$pd_pid"
	wait "$pd_pid" || fail "privilege drop: milter exit status $?"

	# nobody owns the audit directory: a symlink it put at the audit path
	# must make the root start fail, the root-only target untouched
	mkdir -p "$pd/audit"
	chown nobody "$pd/audit"
	printf "root's own\n" >"$pd/root-only"
	chmod 600 "$pd/root-only"
	ln -s "$pd/root-only" "$pd/audit/audit.jsonl"
	sed "s|file = \"$pd/audit.jsonl\"|file = \"$pd/audit/audit.jsonl\"|" "$pd/relaywarden.conf" >"$pd/link.conf"
	grep -q "$pd/audit/audit.jsonl" "$pd/link.conf" || fail "privilege drop: link.conf not made"
	if timeout 60 "$milter" -c "$pd/link.conf" -e >"$pd/link.log" 2>&1; then
		fail "privilege drop: started through a symlinked audit file"
	fi
	grep -q "audit.jsonl: refused: a symbolic link" "$pd/link.log" ||
		fail "privilege drop: symlinked audit file not named: $(tail -2 "$pd/link.log")"
	[ "$(cat "$pd/root-only")" = "root's own" ] && [ "$(stat -c %u:%a "$pd/root-only")" = "0:600" ] ||
		fail "privilege drop: the symlink's root-only target was changed"
fi

. "$srcdir/tests/milter/checks.sh"

if [ "$failed" != 0 ]; then
	echo "--- milter log"; cat "$work/milter.log"
	[ -f "$work/checks.log" ] && { echo "--- checks milter log"; cat "$work/checks.log"; }
	exit 1
fi
echo "PASS: tests/milter (relay, sendmail, limits, fail mode, reload, stop, message checks)"
exit 0
