#!/bin/sh
# spf_score - how many tests of the RFC 7208 (and RFC 4408) suite each SPF
# backend passes through `relaywarden spf` over a DNS server on loopback
# (the shared run-suite.py serves each scenario's zone). Prints the counts;
# always exits 0 unless the suite or the command is missing: libspf2 is
# known not to conform (README.md, "SPF conformance"), so this is a score,
# not a test. Our own backend is tested, all 203, by spf_suite.sh.
#
# usage: spf_score.sh [BACKEND ...]   (default: ours, and libspf2 when built)
set -u
: "${top_builddir:=.}"
shared=${RW_SHARED:-${top_srcdir:-.}/../shared}
spf=$shared/conformance/spf
RW=$top_builddir/cli/relaywarden
[ -f "$spf/run-suite.py" ] || { echo "spf_score: $spf/run-suite.py is missing"; exit 1; }
[ -x "$RW" ] || { echo "spf_score: $RW is not built"; exit 1; }
backends=$*
if [ -z "$backends" ]; then
	backends=ours
	"$RW" spf --backend libspf2 --ip 192.0.2.1 --mail-from a@b.invalid --helo b.invalid \
		--dns 127.0.0.1@9 --timeout-ms 1 >/dev/null 2>&1 && backends="ours libspf2"
fi
for b in $backends; do
	for suite in rfc7208 rfc4408; do
		line=$(/usr/bin/python3 "$spf/run-suite.py" --suite "$spf/$suite-tests.yml" \
			--checker-cmd "$RW spf --backend $b --ip {ip} --mail-from {mailfrom} --helo {helo} --dns {dns_host}@{dns_port} --timeout-ms 1000" \
			2>&1 | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
		echo "$b $suite: ${line:-no result}"
	done
done
exit 0
