#!/bin/sh
# dns_resolver - core/dns/dns.c against a real DNS server on loopback.
#
# Starts Debian's unbound as a small authoritative server (local-zone /
# local-data) on a free 127.0.0.1 port, a "black hole" (UDP and TCP bound,
# never answering) for timeouts, and runs tests/integration/test_dns with
# their ports, and a fake upstream answering SERVFAIL to everything. The zone
# is below; refused.example is refused (REFUSED, which we report as SERVFAIL).
# RW_VALGRIND=1 runs the test program under valgrind (definite leaks count).
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
PROG="$top_builddir/tests/integration/test_dns"
[ "${RW_VALGRIND:-0}" = 1 ] && PROG="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite $PROG"
UNBOUND=/usr/sbin/unbound
PY=/usr/bin/python3
[ -x "$UNBOUND" ] || { echo "SKIP: no $UNBOUND"; exit 77; }
dir=$(mktemp -d /tmp/rw-dns-XXXXXX)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

. "$top_srcdir/tests/lib/unbound.sh"

# fake.py MODE FILE - a fake upstream on a free port (written to FILE):
# "hole" binds UDP and TCP and never answers; "servfail" answers every UDP
# query with RCODE 2.
cat > "$dir/fake.py" <<'PY'
import os, signal, socket, sys
mode, portfile = sys.argv[1], sys.argv[2]
while True:
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p))
    except OSError:
        continue
    break
t.listen(64)
with open(portfile + ".tmp", "w") as f:
    f.write(str(p))
os.rename(portfile + ".tmp", portfile)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
if mode == "hole":
    while True:
        signal.pause()
while True:
    q, peer = u.recvfrom(4096)
    i = 12
    while i < len(q) and q[i] != 0:
        i += 1 + q[i]
    if len(q) < 12 or i + 5 > len(q):
        continue
    flags = 0x8000 | (int.from_bytes(q[2:4], "big") & 0x7900) | 0x0080 | 2
    u.sendto(q[0:2] + flags.to_bytes(2, "big") + b"\0\1\0\0\0\0\0\0" + q[12:i + 5], peer)
PY
# start_fake MODE - start one; its port lands in $dir/MODE.port
start_fake() {
	$PY "$dir/fake.py" "$1" "$dir/$1.port" &
	pids="$pids $!"
	i=0
	while [ ! -s "$dir/$1.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ -s "$dir/$1.port" ] || { echo "FAIL: fake upstream $1 did not start" >&2; exit 1; }
}
start_fake hole
start_fake servfail
hole=$(cat "$dir/hole.port")
servfail=$(cat "$dir/servfail.port")

port=$(rw_free_port)
# big.rw.example: 6 TXT records of 250 octets, bigone: one of 5 x 255; both
# answers exceed 1232 octets, so the UDP answer is truncated (TCP retry).
$PY - > "$dir/big.conf" <<'PY'
for i in range(6):
    print("    local-data: 'big.rw.example. TXT \"%s\"'" % (chr(97 + i) * 250))
print("    local-data: 'bigone.rw.example. TXT %s'"
      % " ".join('"%s"' % (chr(65 + i) * 255) for i in range(5)))
PY
rw_unbound_conf "$dir" "$port" > "$dir/unbound.conf"
cat >> "$dir/unbound.conf" <<CONF
    verbosity: 1
    do-not-query-localhost: no
    local-zone: "rw.example." static
    local-data: "a.rw.example. A 192.0.2.1"
    local-data: "a.rw.example. A 192.0.2.2"
    local-data: "a.rw.example. AAAA 2001:db8::1"
    local-data: "alias.rw.example. CNAME a.rw.example."
    local-data: "mx.rw.example. MX 10 Mail.RW.example."
    local-data: "mx.rw.example. MX 20 mx2.rw.example."
    local-data: 'txt.rw.example. TXT "v=spf1 " "ip4:192.0.2.0/24 -all"'
    local-data: 'nul.rw.example. TXT "v=spf1\\000 -all" ""'
    include: "$dir/big.conf"
    local-zone: "2.0.192.in-addr.arpa." static
    local-data: "1.2.0.192.in-addr.arpa. PTR A.rw.example."
    local-zone: "refused.example." refuse
remote-control:
    control-enable: no
CONF
/usr/sbin/unbound-checkconf "$dir/unbound.conf" >/dev/null || { echo "FAIL: unbound config"; exit 1; }
"$UNBOUND" -d -c "$dir/unbound.conf" &
upid=$!
pids="$pids $upid"
rw_wait_tcp "$port" || { echo "FAIL: unbound did not start"; cat "$dir/unbound.log"; exit 1; }

DNS_TEST_PORT=$port DNS_TEST_HOLE=$hole DNS_TEST_SERVFAIL=$servfail DNS_TEST_SERVER_PID=$upid $PROG
rc=$?
kill -CONT "$upid" 2>/dev/null
[ $rc = 0 ] || { echo "FAIL: test_dns exit $rc"; sed -n '1,40p' "$dir/unbound.log"; }
exit $rc
