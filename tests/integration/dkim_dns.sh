#!/bin/sh
# dkim_dns.sh - DKIM keys through the shared resolver (core/dns/dns.c wired into
# libopendkim's DNS callbacks) instead of libopendkim's key file.
#
# For every key file of the conformance vectors, Debian's unbound serves its
# records ("selector._domainkey.domain TXT-value" lines become local-data,
# everything else NXDOMAIN) on a free 127.0.0.1 port, and every vector using
# that key file is verified twice: with the key file and with --dns. The two
# outputs must be identical. Then a key look-up that meets SERVFAIL (a fake
# upstream) must give temperror. Vectors: ../shared/conformance/dkim or
# $RW_SHARED/conformance/dkim (missing: failure).
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
shared=${RW_SHARED:-$top_srcdir/../shared}
vdir=$shared/conformance/dkim
driver=$top_builddir/tests/integration/dkim_vectors
UNBOUND=/usr/sbin/unbound
PY=/usr/bin/python3
[ -f "$vdir/vectors.json" ] || { echo "FAIL: no DKIM vectors in $vdir (set RW_SHARED)" >&2; exit 1; }
[ -x "$UNBOUND" ] || { echo "SKIP: no $UNBOUND"; exit 77; }
dir=$(mktemp -d /tmp/rw-dkimdns-XXXXXX)
pid=""
stop() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	pid=""
}
cleanup() {
	stop
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

. "$top_srcdir/tests/lib/unbound.sh"

# serve KEYFILE - unbound answering the key file's records; sets $port, $pid
serve() {
	port=$(rw_free_port)
	rw_txt_local_data "$1" > "$dir/keys.conf"
	{
		rw_unbound_conf "$dir" "$port"
		echo '    local-zone: "." static'
		echo "    include: \"$dir/keys.conf\""
	} > "$dir/unbound.conf"
	"$UNBOUND" -d -c "$dir/unbound.conf" &
	pid=$!
	rw_wait_tcp "$port" || { echo "FAIL: unbound did not start" >&2; cat "$dir/unbound.log" >&2; exit 1; }
}

# the vectors as "keyfile message fixcrlf" lines, grouped by key file
$PY - "$vdir" > "$dir/list" <<'PY'
import json, os, sys
d = sys.argv[1]
rows = []
for m in ("vectors.json", "derived/manifest.json"):
    for v in json.load(open(os.path.join(d, m)))["vectors"]:
        rows.append((v["keys"], v["file"], "0"))
for v in json.load(open(os.path.join(d, "opendkim/manifest.json")))["vectors"]:
    rows.append(("opendkim/keys.txt", "opendkim/" + v["file"], "1" if v.get("fixcrlf") else "0"))
for r in sorted(rows):
    print(" ".join(r))
PY

ok=0
bad=0
for keys in $(cut -d' ' -f1 "$dir/list" | uniq); do
	serve "$vdir/$keys"
	grep "^$keys " "$dir/list" > "$dir/set"
	while read -r _ msg fix; do
		opt=""
		[ "$fix" = 1 ] && opt="--fixcrlf"
		"$driver" $opt "$vdir/$keys" "$vdir/$msg" > "$dir/file.out" 2>&1
		"$driver" $opt --dns "127.0.0.1@$port" - "$vdir/$msg" > "$dir/dns.out" 2>&1
		if cmp -s "$dir/file.out" "$dir/dns.out"; then
			ok=$((ok + 1))
		else
			bad=$((bad + 1))
			echo "FAIL $msg: key file and DNS differ"
			diff "$dir/file.out" "$dir/dns.out" | sed 's/^/    /'
		fi
	done < "$dir/set"
	stop
done

# SERVFAIL from the upstream: a temporary error, never pass or permerror
sfport=$(rw_free_port)
$PY - "$sfport" <<'PY' &
import socket, sys
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    q, peer = u.recvfrom(4096)
    i = 12
    while i < len(q) and q[i] != 0:
        i += 1 + q[i]
    if len(q) < 12 or i + 5 > len(q):
        continue
    flags = 0x8000 | (int.from_bytes(q[2:4], "big") & 0x0100) | 0x0080 | 2
    u.sendto(q[0:2] + flags.to_bytes(2, "big") + b"\0\1\0\0\0\0\0\0" + q[12:i + 5], peer)
PY
pid=$!
sleep 0.3
out=$("$driver" --dns "127.0.0.1@$sfport" - "$vdir/rfc6376/a2-signed.eml" 2>&1)
stop
if printf '%s\n' "$out" | grep -q '^sig 0 temperror ' && printf '%s\n' "$out" | grep -q '^dkim temperror'; then
	ok=$((ok + 1))
else
	bad=$((bad + 1))
	echo "FAIL SERVFAIL key look-up: expected temperror"
	printf '%s\n' "$out" | sed 's/^/    /'
fi
echo "$ok passed, $bad failed (DKIM keys through the resolver)"
[ "$bad" -eq 0 ]
