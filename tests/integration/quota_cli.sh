#!/bin/sh
# quota_cli - `relaywarden quota` against a private redis-server (with a
# password) on a free loopback port, with usage driven by a real
# relaywarden-policyd charging at END-OF-MESSAGE, and once by the limits
# script itself called with the KEYS/ARGV that `quota show --json` prints.
# Every process started here is stopped by PID; every wait is bounded.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
RW="$top_builddir/cli/relaywarden"
PD="$top_builddir/policyd/relaywarden-policyd"
PY=/usr/bin/python3
[ "${RW_VALGRIND:-0}" = 1 ] && RW="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite $RW"
command -v redis-server >/dev/null && command -v redis-cli >/dev/null || { echo "SKIP: redis-server/redis-cli not installed"; exit 77; }
dir=$(mktemp -d /tmp/rw-quota-XXXXXX)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
failed=0
ok() { echo "ok   $1"; }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }
check() { if eval "$1"; then ok "$2"; else fail "$2"; fi; }

free_port() { $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PASS=quota-test-pw
RPORT=$(free_port)
PPORT=$(free_port)
DEAD=$(free_port)
rcli() { redis-cli -h 127.0.0.1 -p "$RPORT" -a "$PASS" --no-auth-warning "$@"; }

redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
	--requirepass "$PASS" >"$dir/redis.log" 2>&1 &
pids="$pids $!"
i=0
until [ "$(rcli ping 2>/dev/null)" = PONG ]; do
	i=$((i + 1)); [ $i -gt 100 ] && { echo "FAIL redis-server did not start"; cat "$dir/redis.log"; exit 1; }
	sleep 0.1
done

write_conf() {	# write_conf FILE SERVER PASSWORD
	cat > "$1" <<CONF
local_domains = { "example.test" }
relay "submission" { type = sasl }
customer "acme" { users = { "alice" } }
limit "user-rate" {
    charge = sasl_user
    unit = messages
    rate = "5/1m"
    burst = 3
}
limit "net-rate" {
    charge = client_prefix
    unit = recipients
    rate = "100/1h"
}
quota "cust-day" {
    charge = customer
    window = day
    messages = 10
    recipients = 50
}
quota "user-day" {
    charge = sasl_user
    window = day
    recipients = 20
}
redis {
    servers = { "$2" }
    password = "$3"
    timeout_ms = 200
    connect_timeout_ms = 500
}
policyd { listen = { "inet:127.0.0.1:$PPORT" } }
audit { syslog = false }
log { target = stderr }
CONF
}
C="$dir/rw.conf"
write_conf "$C" "127.0.0.1:$RPORT" "$PASS"

"$PD" -e -c "$C" 2>"$dir/policyd.log" &
pids="$pids $!"
i=0
until $PY -c "import socket,sys; socket.create_connection(('127.0.0.1', $PPORT), 1)" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 100 ] && { echo "FAIL policyd did not start"; cat "$dir/policyd.log"; exit 1; }
	sleep 0.1
done

# eom USER RCPTS: one message at END-OF-MESSAGE; prints the action line
eom() {
	$PY - "$PPORT" "$1" "$2" <<'PY'
import socket, sys
port, user, rcpts = int(sys.argv[1]), sys.argv[2], sys.argv[3]
req = {"request": "smtpd_access_policy", "protocol_state": "END-OF-MESSAGE",
       "protocol_name": "ESMTP", "client_address": "192.0.2.9", "helo_name": "c.test",
       "sender": user + "@example.test", "recipient": "", "recipient_count": rcpts,
       "size": "100", "sasl_method": "PLAIN", "sasl_username": user, "instance": "i1"}
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall("".join("%s=%s\n" % kv for kv in req.items()).encode() + b"\n")
data = b""
while not data.endswith(b"\n\n"):
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
print(data.decode().strip())
PY
}

# js FILE EXPR: evaluate a Python expression over the JSON document d;
# lim(NAME[, UNIT]) is the row of that limit
js() {
	$PY - "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
def lim(name, unit=None):
    return [r for r in d["limits"] if r["limit"] == name and (unit is None or r["unit"] == unit)][0]
v = eval(sys.argv[2])
print(str(v).lower() if isinstance(v, bool) else v)
PY
}
now_us() { $PY -c 'import time; print(int(time.time() * 1000000))'; }
gcra_remaining() {	# TAT_US NOW_US EMISSION_US TOLERANCE_US: units that fit at NOW (no TAT: empty)
	$PY -c 'import sys; t, n, e, l = (int(a or 0) for a in sys.argv[1:]); print(max(0, l - max(0, t - n)) // e)' "$@"
}
show() {	# show NAME ARGS...: quota show --json into $dir/NAME.json, exit status
	name=$1; shift
	$RW quota show -c "$C" --json "$@" >"$dir/$name.json" 2>"$dir/$name.err"
}

# --- usage and configuration errors: exit 2 ---
for args in "" "show" "frob --user alice" "show --user alice --address 192.0.2.1" \
	"set --user alice --rate 5/1m" "set --user alice --limit user-rate" \
	"set --user alice --limit user-rate --rate 5/1x" "set --user alice --limit user-day --rate 5/1m" \
	"set --user alice --limit user-day --bytes 1K" "show --user alice --limit nope" \
	"show --user alice --limit cust-day" "reset --user alice --expire 1m" "block --user alice" \
	"show --address 300.1.1.1" "show --user alice --bogus" "show --user alice stray"; do
	# shellcheck disable=SC2086
	$RW quota $args -c "$C" >/dev/null 2>"$dir/usage.err"; rc=$?
	[ $rc = 2 ] && [ -s "$dir/usage.err" ] && ok "usage error exits 2: quota $args" || fail "usage error ($rc): quota $args: $(head -1 "$dir/usage.err")"
done
$RW quota show -c "$dir/missing.conf" --user alice >/dev/null 2>"$dir/e"; rc=$?
[ $rc = 2 ] && grep -q missing.conf "$dir/e" && ok "missing config exits 2 naming the file" || fail "missing config ($rc)"
$RW quota block -c "$C" --user alice --reason "$(printf 'a\r\nb')" >/dev/null 2>&1; rc=$?
[ $rc = 2 ] && ok "block reason with CR LF refused" || fail "CR LF reason ($rc)"
out=$($RW quota --help); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q 'reset \[--limit NAME\]' && ok "quota --help: usage on stdout, exit 0" || fail "quota --help ($rc)"

# --- show on a fresh identity; keys are schema/redis-keys.md's ---
show fresh --user alice; rc=$?
check '[ $rc = 0 ] && [ "$(js $dir/fresh.json "lim(\"user-rate\")[\"used\"]")" = 0 ] && [ "$(js $dir/fresh.json "lim(\"user-rate\")[\"remaining\"]")" = 3 ]' "fresh alice: user-rate used 0, remaining 3 (burst)"
check '[ "$(js $dir/fresh.json "lim(\"user-rate\")[\"keys\"][\"state\"]")" = "rw:v1:{acme}:rate:user-rate:sasl_user:2bd806c97f0e00af1a1fc3328fa763a9" ]' "state key is the documented example (customer from the maps)"
check '[ "$(js $dir/fresh.json "d[\"customer\"] + \" \" + d[\"customer_source\"]")" = "acme config" ]' "alice maps to customer acme"
check '[ "$(js $dir/fresh.json "len(d[\"limits\"])")" = 2 ]' "alice: only the sasl_user limits (user-rate, user-day)"
out=$($RW quota show -c "$C" --user alice); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q '^user-rate .* 5/1m burst 3 .* ok$' && echo "$out" | grep -q '^blocked: no' && ok "table output" || fail "table ($rc): $out"

# --- usage from real decisions ---
a1=$(eom alice 2); a2=$(eom alice 2)
check '[ "$a1" = action=DUNNO ] && [ "$a2" = action=DUNNO ]' "policyd accepts two messages"
show two --user alice
check '[ "$(js $dir/two.json "lim(\"user-rate\")[\"used\"]")" = 2 ] && [ "$(js $dir/two.json "lim(\"user-rate\")[\"remaining\"]")" = 1 ]' "after 2 messages: user-rate used 2, remaining 1"
check '[ "$(js $dir/two.json "lim(\"user-day\")[\"used\"]")" = 4 ] && [ "$(js $dir/two.json "lim(\"user-day\")[\"remaining\"]")" = 16 ]' "after 2x2 recipients: user-day used 4, remaining 16"
show cust --customer acme
check '[ "$(js $dir/cust.json "lim(\"cust-day\", \"messages\")[\"used\"]")" = 2 ] && [ "$(js $dir/cust.json "lim(\"cust-day\", \"recipients\")[\"remaining\"]")" = 46 ]' "customer acme: cust-day messages used 2, recipients remaining 46"
# the daemons tag an address's keys with the transaction's customer (alice's
# acme); the address alone maps to none, so --customer names it
show addr0 --address 192.0.2.9
show addr --address 192.0.2.9 --customer acme; show net --network 192.0.2.0/24 --customer acme
check '[ "$(js $dir/addr0.json "d[\"customer\"]")" = - ] && [ "$(js $dir/addr0.json "lim(\"net-rate\")[\"used\"]")" = 0 ]' "--address alone: no customer, other keys"
check '[ "$(js $dir/addr.json "lim(\"net-rate\")[\"used\"]")" = 4 ] && [ "$(js $dir/net.json "lim(\"net-rate\")[\"keys\"][\"state\"]")" = "$(js $dir/addr.json "lim(\"net-rate\")[\"keys\"][\"state\"]")" ]' "--address/--network CIDR with --customer: the client_prefix state policyd charged"
eom alice 1 >/dev/null
a4=$(eom alice 1)
t_show0=$(now_us)
show full --user alice
t_show1=$(now_us)
check 'echo "$a4" | grep -q "^action=450 4.7.1 .*user-rate"' "4th message refused by policyd"
# what a show may say follows from the state it read (GCRA at 5/1m burst 3:
# emission 12 s, tolerance 36 s): remaining = (tolerance - (TAT - now)) / emission
# for a now between the show's start and end. On a fast run both ends give 0
# and the check is strict; under valgrind units may have come back since the
# first charge, and ok must then agree with remaining.
f_tat=$(rcli get "rw:v1:{acme}:rate:user-rate:sasl_user:2bd806c97f0e00af1a1fc3328fa763a9")
f_lo=$(gcra_remaining "$f_tat" "$t_show0" 12000000 36000000)
f_hi=$(gcra_remaining "$f_tat" "$t_show1" 12000000 36000000)
f_rem=$(js $dir/full.json "lim(\"user-rate\")[\"remaining\"]")
f_ok=$(js $dir/full.json "lim(\"user-rate\")[\"ok\"]")
f_retry=$(js $dir/full.json "lim(\"user-rate\")[\"retry_after_ms\"] > 0")
if [ "$f_hi" = 0 ]; then
	check '[ "$f_rem" = 0 ] && [ "$f_ok" = false ] && [ "$f_retry" = true ]' "show: exhausted, remaining 0, retry-after > 0"
else
	check '[ "$f_rem" -ge "$f_lo" ] && [ "$f_rem" -le "$f_hi" ] && { { [ "$f_rem" = 0 ] && [ "$f_ok" = false ] && [ "$f_retry" = true ]; } || { [ "$f_rem" -gt 0 ] && [ "$f_ok" = true ]; }; }' "show (slow run): remaining $f_rem within $f_lo..$f_hi from the TAT, ok $f_ok, retry-after > 0 $f_retry"
fi
tat1=$(rcli get "rw:v1:{acme}:rate:user-rate:sasl_user:2bd806c97f0e00af1a1fc3328fa763a9")
show again --user alice
tat2=$(rcli get "rw:v1:{acme}:rate:user-rate:sasl_user:2bd806c97f0e00af1a1fc3328fa763a9")
check '[ -n "$tat1" ] && [ "$tat1" = "$tat2" ] && [ "$(js $dir/again.json "lim(\"user-day\")[\"used\"]")" = 5 ]' "show is read-only (TAT and counters unchanged)"

# --- set raises, lowers; expiry; unset ---
OVR="rw:v1:{acme}:ovr:user-rate:sasl_user:2bd806c97f0e00af1a1fc3328fa763a9"
$RW quota set -c "$C" --user alice --limit user-rate --rate 5/1m --burst 20 >/dev/null; rc=$?
check '[ $rc = 0 ] && [ "$(rcli hget $OVR emission_us)" = 12000000 ] && [ "$(rcli hget $OVR tolerance_us)" = 240000000 ] && [ "$(rcli ttl $OVR)" = -1 ]' "set --rate 5/1m --burst 20: emission_us, tolerance_us (gcra_params), no expiry"
r_t0=$(now_us)
show raised --user alice
r_t1=$(now_us)
# the same TAT under the override's tolerance (240 s): 17 of 20 fit at the
# charge, more as time passes (a slow run)
r_tat=$(rcli get "rw:v1:{acme}:rate:user-rate:sasl_user:2bd806c97f0e00af1a1fc3328fa763a9")
r_lo=$(gcra_remaining "$r_tat" "$r_t0" 12000000 240000000)
r_hi=$(gcra_remaining "$r_tat" "$r_t1" 12000000 240000000)
r_got=$(js $dir/raised.json "lim(\"user-rate\")[\"remaining\"]")
check '[ "$(js $dir/raised.json "lim(\"user-rate\")[\"effective\"][\"burst\"]")" = 20 ] && [ "$(js $dir/raised.json "lim(\"user-rate\")[\"ok\"]")" = true ] && [ "$r_lo" -ge 17 ] && [ "$r_got" -ge "$r_lo" ] && [ "$r_got" -le "$r_hi" ]' "raised: show says burst 20, ok, remaining from the TAT under burst 20 (got $r_got, $r_lo..$r_hi)"
check '[ "$(eom alice 1)" = action=DUNNO ]' "raised: policyd accepts again"
$RW quota set -c "$C" --user alice --limit user-rate --rate 5/1m --burst 1 >/dev/null
show lowered --user alice
check '[ "$(js $dir/lowered.json "lim(\"user-rate\")[\"ok\"]")" = false ] && [ "$(js $dir/lowered.json "lim(\"user-rate\")[\"effective\"][\"from\"]")" = identity ]' "lowered to burst 1: show exhausted, from the identity override"
check 'eom alice 1 | grep -q "^action=450 4.7.1"' "lowered: policyd refuses"
# the TTL is read with an hour to spare (a 1 s TTL can run out before show
# runs under valgrind); expiry itself is seen with a 1 s TTL, polled (bounded)
$RW quota set -c "$C" --user alice --limit user-rate --rate 5/1m --burst 20 --expire 1h >/dev/null
show expiring --user alice
check '[ "$(js $dir/expiring.json "3500000 < lim(\"user-rate\")[\"override\"][\"identity\"][\"ttl_ms\"] <= 3600000")" = true ]' "set --expire 1h: override carries its TTL"
$RW quota set -c "$C" --user alice --limit user-rate --rate 5/1m --burst 20 --expire 1 >/dev/null
n=0; while [ "$(rcli exists $OVR)" != 0 ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
show expired --user alice
check '[ "$(js $dir/expired.json "lim(\"user-rate\")[\"override\"][\"identity\"]")" = None ] && [ "$(js $dir/expired.json "lim(\"user-rate\")[\"effective\"][\"burst\"]")" = 3 ] && [ "$(rcli exists $OVR)" = 0 ]' "after expiry: config applies again (burst 3), key gone"
$RW quota set -c "$C" --user alice --limit user-day --recipients 100 --customer-wide >/dev/null; rc=$?
show wide --user alice; show bob --user bob
check '[ $rc = 0 ] && [ "$(js $dir/wide.json "lim(\"user-day\")[\"effective\"][\"cap\"]")" = 100 ] && [ "$(js $dir/wide.json "lim(\"user-day\")[\"effective\"][\"from\"]")" = customer ] && [ "$(js $dir/bob.json "lim(\"user-day\")[\"effective\"][\"cap\"]")" = 20 ]' "customer-wide override: alice (acme) sees cap 100, bob (no customer) 20"
$RW quota set -c "$C" --customer acme --limit cust-day --messages 2 >/dev/null
show custlow --customer acme
check '[ "$(js $dir/custlow.json "lim(\"cust-day\", \"messages\")[\"ok\"]")" = false ] && [ "$(js $dir/custlow.json "lim(\"cust-day\", \"recipients\")[\"ok\"]")" = true ]' "quota cap lowered below usage: messages exhausted, recipients not"
$RW quota unset -c "$C" --customer acme --limit cust-day >/dev/null; rc1=$?
$RW quota unset -c "$C" --user alice --limit user-day --customer-wide >/dev/null; rc2=$?
show unset --user alice; show custok --customer acme
check '[ $rc1 = 0 ] && [ $rc2 = 0 ] && [ "$(js $dir/unset.json "lim(\"user-day\")[\"override\"][\"customer\"]")" = None ] && [ "$(js $dir/custok.json "lim(\"cust-day\", \"messages\")[\"ok\"]")" = true ]' "unset deletes overrides"

# --- block / unblock ---
$RW quota block -c "$C" --user alice --reason "compromised account" --expire 60 >/dev/null; rc=$?
show blocked --user alice
check '[ $rc = 0 ] && [ "$(js $dir/blocked.json "lim(\"user-day\")[\"blocked\"]")" = true ] && [ "$(js $dir/blocked.json "lim(\"user-rate\")[\"block\"][\"identity\"][\"reason\"]")" = "compromised account" ] && [ "$(js $dir/blocked.json "0 < lim(\"user-rate\")[\"block\"][\"identity\"][\"ttl_ms\"] <= 60000")" = true ]' "block: show says blocked, with reason and TTL"
$RW quota reset -c "$C" --user alice >/dev/null
check 'eom alice 1 | grep -q "^action=450 4.7.1 .*compromised account"' "block: policyd refuses with the reason"
out=$($RW quota show -c "$C" --user alice)
check 'echo "$out" | grep -q "^blocked: sasl_user alice: \"compromised account\""' "block: table names the block"
$RW quota unblock -c "$C" --user alice >/dev/null; rc=$?
show unblocked --user alice
check '[ $rc = 0 ] && [ "$(js $dir/unblocked.json "lim(\"user-day\")[\"blocked\"]")" = false ] && [ "$(eom alice 1)" = action=DUNNO ]' "unblock: not blocked, policyd accepts"
$RW quota block -c "$C" --customer acme --reason unpaid >/dev/null
show custblock --user alice; show bobfree --user bob
check '[ "$(js $dir/custblock.json "lim(\"user-rate\")[\"block\"][\"customer\"][\"reason\"]")" = unpaid ] && [ "$(js $dir/custblock.json "lim(\"user-rate\")[\"blocked\"]")" = true ] && [ "$(js $dir/bobfree.json "lim(\"user-rate\")[\"blocked\"]")" = false ]' "customer block reaches alice's checks, not bob's"
$RW quota unblock -c "$C" --customer acme >/dev/null
check '[ "$(rcli exists "rw:v1:{acme}:block:customer")" = 0 ]' "customer unblock deletes the key"

# --- reset ---
eom alice 2 >/dev/null
$RW quota reset -c "$C" --user alice --limit user-rate >/dev/null; rc=$?
show rst1 --user alice
check '[ $rc = 0 ] && [ "$(js $dir/rst1.json "lim(\"user-rate\")[\"used\"]")" = 0 ] && [ "$(js $dir/rst1.json "lim(\"user-day\")[\"used\"] > 0")" = true ]' "reset --limit user-rate: only that state is cleared"
$RW quota reset -c "$C" --user alice >/dev/null
show rst2 --user alice
check '[ "$(js $dir/rst2.json "lim(\"user-day\")[\"used\"]")" = 0 ] && [ "$(js $dir/rst2.json "lim(\"user-rate\")[\"remaining\"]")" = 3 ]' "reset: usage cleared, full burst again"

# --- the keys and ARGV of show --json are the script's real layout ---
show bob0 --user bob
set -- $(js "$dir/bob0.json" '" ".join(lim("user-rate")["keys"][k] for k in ("state", "override", "override_customer", "block", "block_customer"))')
args=$(js "$dir/bob0.json" '" ".join(lim("user-rate")["script_args"][:4])')
# shellcheck disable=SC2086
rcli eval "$(cat "$top_srcdir/schema/limits.lua")" 5 "$@" 2 charge 3600 0 $args 2 m >/dev/null
show bob2 --user bob
check '[ "$(js $dir/bob2.json "lim(\"user-rate\")[\"used\"]")" = 2 ] && [ "$(js $dir/bob2.json "lim(\"user-rate\")[\"remaining\"]")" = 1 ]' "script charged with show's keys/args: bob used 2, remaining 1"

# --- through Redis Sentinel: the master it names ---
if command -v redis-sentinel >/dev/null; then
	SPORT=$(free_port)
	printf 'port %s\nbind 127.0.0.1\ndir %s\nsentinel monitor qm 127.0.0.1 %s 1\nsentinel auth-pass qm %s\n' \
		"$SPORT" "$dir" "$RPORT" "$PASS" > "$dir/sentinel.conf"
	redis-sentinel "$dir/sentinel.conf" >"$dir/sentinel.log" 2>&1 &
	pids="$pids $!"
	i=0
	until [ "$(redis-cli -p "$SPORT" ping 2>/dev/null)" = PONG ] || [ $i -gt 100 ]; do i=$((i + 1)); sleep 0.1; done
	sed -e "s/servers = { \"127.0.0.1:$RPORT\" }/sentinels = { \"127.0.0.1:$SPORT\" }\n    master_name = \"qm\"/" "$C" > "$dir/sentinel-rw.conf"
	$RW quota show -c "$dir/sentinel-rw.conf" --json --user bob >"$dir/sent.json" 2>"$dir/sent.err"; rc=$?
	check '[ $rc = 0 ] && [ "$(js $dir/sent.json "lim(\"user-rate\")[\"used\"]")" = 2 ]' "via Sentinel: same numbers ($(cat "$dir/sent.err"))"
else
	echo "skip Sentinel: redis-sentinel not installed"
fi

# --- Redis unavailable: exit 1, the server named, no password, bounded ---
write_conf "$dir/dead.conf" "127.0.0.1:$DEAD" "$PASS"
timeout 30 $RW quota show -c "$dir/dead.conf" --user alice >/dev/null 2>"$dir/dead.err"; rc=$?
check '[ $rc = 1 ] && grep -q "127.0.0.1:$DEAD" "$dir/dead.err" && ! grep -q "$PASS" "$dir/dead.err"' "Redis down: exit 1 naming the server, no password ($(cat "$dir/dead.err"))"
timeout 30 $RW quota reset -c "$dir/dead.conf" --user alice >/dev/null 2>&1; rc=$?
check '[ $rc = 1 ]' "Redis down: reset exits 1"
write_conf "$dir/wrongpw.conf" "127.0.0.1:$RPORT" "not-the-pw-xyz"
timeout 30 $RW quota show -c "$dir/wrongpw.conf" --user alice >/dev/null 2>"$dir/pw.err"; rc=$?
check '[ $rc = 1 ] && grep -q AUTH "$dir/pw.err" && ! grep -q not-the-pw-xyz "$dir/pw.err"' "wrong password: exit 1, AUTH error, password not printed"
$PY - "$DEAD" >/dev/null 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
conns = []
end = time.time() + 40
while time.time() < end:
    s.settimeout(1)
    try:
        conns.append(s.accept()[0])	# accept, never answer
    except OSError:
        pass
PY
bh=$!
pids="$pids $bh"
sleep 0.5
timeout 30 $RW quota show -c "$dir/dead.conf" --user alice >/dev/null 2>"$dir/bh.err"; rc=$?
kill "$bh" 2>/dev/null
check '[ $rc = 1 ] && grep -q "127.0.0.1:$DEAD" "$dir/bh.err"' "Redis silent: exit 1 within the timeouts, no hang ($(cat "$dir/bh.err"))"

echo "$failed failed"
[ $failed = 0 ]
