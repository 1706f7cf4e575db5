#!/bin/sh
# spf_offline - the RFC 7208 and RFC 4408 suites over the table-driven fake
# resolver (tests/unit/spf_zone, tests/integration/spf_offline.py): no
# network, no timeouts, the zone semantics of the shared run-suite.py.
# Fails unless every test passes; fails (no skip) when the shared data is
# missing ($RW_SHARED or $top_srcdir/../shared).
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
shared=${RW_SHARED:-$top_srcdir/../shared}
spf=$shared/conformance/spf
failed=0

for f in "$spf/run-suite.py" "$spf/rfc7208-tests.yml" "$spf/rfc4408-tests.yml"; do
	if [ ! -f "$f" ]; then
		echo "FAIL spf_offline: $f is missing (set RW_SHARED to the shared directory)"
		exit 1
	fi
done
for suite in rfc7208-tests.yml rfc4408-tests.yml; do
	if /usr/bin/python3 "$top_srcdir/tests/integration/spf_offline.py" \
		--driver "$top_builddir/tests/unit/spf_zone" --suite "$spf/$suite"; then
		echo "ok   $suite offline"
	else
		echo "FAIL $suite offline"
		failed=$((failed + 1))
	fi
done
echo "$failed failed"
[ $failed = 0 ]
