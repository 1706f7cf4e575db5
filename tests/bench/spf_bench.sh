#!/bin/sh
# spf_bench - SPF evaluations/s, relaywarden beside pyspf, same records, same run.
#
# usage: tests/bench/spf_bench.sh [BUILDDIR]     (default ./build)
# environment: BENCH_SECONDS (default 3), RW_SHARED (the shared directory).
#
# A typical record with an include chain of 3 (mx, then three includes to
# the matching ip4 block) is served by the shared run-suite.py on a free
# 127.0.0.1 port; both checkers evaluate the same request over a warm
# cache: relaywarden through its libunbound resolver (tests/bench/
# rw-spfbench, `make check` builds it; also with --memo, every answer kept
# in the process: the evaluator's own cost), pyspf (Debian python3-spf)
# through dnspython (python3-dnspython) with a resolver cache. Use a build without sanitizers.
# The DNS server is stopped by PID on exit.
set -u
build=${1:-./build}
secs=${BENCH_SECONDS:-3}
src=$(cd "$(dirname "$0")/../.." && pwd)
shared=${RW_SHARED:-$src/../shared}
bench=$build/tests/bench/rw-spfbench
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rw-spfbench.XXXXXX")
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
[ -x "$bench" ] || { echo "spf_bench: build $bench first (make check or make tests/bench/rw-spfbench)"; exit 1; }
[ -f "$shared/conformance/spf/run-suite.py" ] || { echo "spf_bench: $shared/conformance/spf missing"; exit 1; }

cat > "$tmp/bench.yml" <<'YML'
description: bench
tests:
  chain3:
    helo: mail.example.org
    host: 203.0.113.200
    mailfrom: alice@example.org
    result: pass
zonedata:
  example.org:
    - TXT: v=spf1 mx include:_spf.example.org ~all
    - MX: [10, mail.example.org]
  mail.example.org:
    - A: 192.0.2.10
  _spf.example.org:
    - TXT: v=spf1 ip4:198.51.100.0/24 include:_netblocks.example.net ~all
  _netblocks.example.net:
    - TXT: v=spf1 ip4:203.0.113.0/25 include:_netblocks2.example.net ~all
  _netblocks2.example.net:
    - TXT: v=spf1 ip4:203.0.113.128/25 ip6:2001:db8::/32 -all
YML
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
/usr/bin/python3 "$shared/conformance/spf/run-suite.py" --suite "$tmp/bench.yml" --serve-only \
	--test chain3 --port "$port" >"$tmp/dns.log" 2>&1 &
pid=$!
sleep 1

ours=$("$bench" --dns "127.0.0.1@$port" --ip 203.0.113.200 --mail-from alice@example.org \
	--helo mail.example.org --seconds "$secs" --expect pass) || { echo "spf_bench: relaywarden failed"; exit 1; }
memo=$("$bench" --dns "127.0.0.1@$port" --ip 203.0.113.200 --mail-from alice@example.org \
	--helo mail.example.org --seconds "$secs" --expect pass --memo) || { echo "spf_bench: relaywarden --memo failed"; exit 1; }
theirs=$(/usr/bin/python3 - "$port" "$secs" <<'PY'
import sys, time
import dns.resolver, spf
port, secs = int(sys.argv[1]), float(sys.argv[2])
res = dns.resolver.Resolver(configure=False)
res.nameservers = ['127.0.0.1']
res.port = port
res.cache = dns.resolver.Cache()
dns.resolver.default_resolver = res
def once():
    r = spf.query(i='203.0.113.200', s='alice@example.org', h='mail.example.org').check()[0]
    assert r == 'pass', r
once()
n, end = 0, time.time() + secs
while time.time() < end:
    once()
    n += 1
print('pyspf pass %.0f evals/s' % (n / secs))
PY
) || { echo "spf_bench: pyspf failed (python3-spf installed?)"; exit 1; }
echo "record: example.org, mx + include chain of 3, client 203.0.113.200, cached DNS"
echo "$ours    (the resolver: its in-process TTL cache in front of libunbound)"
echo "$memo    (answers kept in process: the evaluator alone)"
echo "$theirs    (dnspython cache)"
a=$(echo "$ours" | awk '{print $3}')
b=$(echo "$theirs" | awk '{print $3}')
awk -v a="$a" -v b="$b" 'BEGIN { if (b > 0) printf "ratio relaywarden/pyspf: %.1fx\n", a / b }'
