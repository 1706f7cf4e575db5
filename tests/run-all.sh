#!/bin/sh
# run-all.sh - every test tier, as CI runs it on a fresh Debian 12 machine (root).
#
#   1. install the Debian packages (deploy/install-deps.sh; RW_SKIP_DEPS=1 skips)
#   2. build with -Werror, ASan and UBSan: unit, fuzz-corpus replay, integration
#   3. build with -Werror, no sanitizers: unit and fuzz replay under valgrind,
#      integration with the daemon and CLI under valgrind
#   4. end to end: a real Postfix on loopback with swaks (tests/e2e/run.sh)
#   5. end to end: a real Sendmail (Debian's sendmail-bin unpacked, not
#      installed) with relaywarden-milter (tests/e2e/sendmail.sh;
#      RW_SKIP_SENDMAIL=1 skips)
#   6. packaging: build the Debian package, lintian, dpkg -i, the installed
#      daemons behind a chrooted Postfix, dpkg --purge (tests/pkg/run.sh;
#      RW_SKIP_PKG=1 skips)
#   7. static analysis: scan-build over a full build, any report fails it
#   8. fuzzing: every libFuzzer target for RW_FUZZ_SECONDS (default 15) each
# Prints "N passed, M failed" per tier and in total; exits non-zero on any failure.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ "${RW_SKIP_DEPS:-0}" = 1 ] || deploy/install-deps.sh
autoreconf -fi >/dev/null 2>&1 || autoreconf -fi

total_pass=0
total_fail=0
status=0

# tally DIR NAME - count results from automake's test logs in DIR
tally() {
	p=$(grep -h '^:test-result: PASS' $(find "$1" -name '*.trs') 2>/dev/null | wc -l)
	f=$(grep -h -E '^:test-result: (FAIL|ERROR|XPASS)' $(find "$1" -name '*.trs') 2>/dev/null | wc -l)
	echo "== $2: $p passed, $f failed"
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
}

# tier DIR NAME CONFIGURE-ARGS -- MAKE-CHECK-ARGS
tier() {
	dir=$1 name=$2
	shift 2
	rm -rf "$dir" && mkdir -p "$dir"
	(cd "$dir" && "$top/configure" --enable-werror "$@" >configure.log 2>&1) || {
		cat "$dir/configure.log"; return 1; }
}

tier build-asan "sanitizers (ASan+UBSan)" --enable-sanitizers
if ! (cd build-asan && make -j2 >make.log 2>&1 && make -j2 check >check.log 2>&1); then
	tail -50 build-asan/make.log; cat build-asan/test-suite.log 2>/dev/null | tail -200
	status=1
fi
tally build-asan "sanitizers (ASan+UBSan)"

tier build-vg "valgrind"
if ! (cd build-vg && make -j2 >make.log 2>&1 &&
      RW_VALGRIND=1 make -j2 check LOG_COMPILER="$top/tests/valgrind.sh" >check.log 2>&1); then
	tail -50 build-vg/make.log; cat build-vg/test-suite.log 2>/dev/null | tail -200
	status=1
fi
tally build-vg "valgrind"

# tally_script LOG NAME RC - count "ok "/"FAIL " lines of a script tier's
# LOG (a non-zero RC with no FAIL line counts as one failure)
tally_script() {
	cat "$1"
	p=$(grep -c '^ok ' "$1" || true)
	f=$(grep -c '^FAIL ' "$1" || true)
	[ "$3" = 0 ] || [ "$f" -gt 0 ] || f=1
	[ "$3" = 0 ] || status=1
	echo "== $2: $p passed, $f failed"
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
}

if [ -x build-vg/policyd/relaywarden-policyd ]; then
	e2e_rc=0
	RW_BUILD="$top/build-vg" tests/e2e/run.sh >build-vg/e2e.log 2>&1 || e2e_rc=1
	tally_script build-vg/e2e.log "end-to-end (Postfix)" "$e2e_rc"
fi

# ---- a real Sendmail (tests/e2e/sendmail.sh): downloads sendmail-bin from
# the Debian mirror and unpacks it in its own directory; the ASan build's
# milter, so its sanitizer reports count
if [ "${RW_SKIP_SENDMAIL:-0}" != 1 ] && [ -x build-asan/milter/relaywarden-milter ]; then
	sm_rc=0
	RW_BUILD="$top/build-asan" tests/e2e/sendmail.sh >build-asan/sendmail.log 2>&1 || sm_rc=1
	tally_script build-asan/sendmail.log "end-to-end (Sendmail)" "$sm_rc"
fi

# ---- packaging tier (tests/pkg/run.sh): self-contained; it installs and
# purges the relaywarden package on this machine
if [ "${RW_SKIP_PKG:-0}" != 1 ]; then
	pkg_rc=0
	tests/pkg/run.sh >build-vg/pkg.log 2>&1 || pkg_rc=1
	tally_script build-vg/pkg.log "packaging (Debian package)" "$pkg_rc"
fi

# ---- static analysis: the clang static analyzer (clang-tools-14) over the
# whole build; any report fails it, as -Werror does any warning
scan=$(command -v scan-build-14 || command -v scan-build || echo scan-build-14)
rm -rf build-scan && mkdir -p build-scan
if (cd build-scan && "$scan" -o scan-configure "$top/configure" --enable-werror \
	>configure.log 2>&1 && "$scan" --status-bugs -o scan-out make -j2 >make.log 2>&1); then
	echo "ok scan-build: no reports" >build-scan/result.log
	scan_rc=0
else
	{ grep -E 'warning:|error:|bugs? found' build-scan/make.log build-scan/configure.log |
		tail -40; echo "FAIL scan-build: see build-scan/scan-out"; } >build-scan/result.log
	scan_rc=1
fi
tally_script build-scan/result.log "static analysis (scan-build)" "$scan_rc"

# ---- fuzzing: every target of tests/fuzz built with libFuzzer (clang,
# configure --enable-fuzzing) and run RW_FUZZ_SECONDS each on its corpus; a
# crash, leak, timeout or broken invariant fails it (tests/fuzz/build-libfuzzer.sh)
rm -rf build-fuzz && mkdir -p build-fuzz
fuzz_rc=0
FUZZ_SECONDS=${RW_FUZZ_SECONDS:-15} tests/fuzz/build-libfuzzer.sh build-fuzz \
	>build-fuzz/run.log 2>&1 || fuzz_rc=1
tally_script build-fuzz/run.log "fuzzing (libFuzzer)" "$fuzz_rc"

echo "== total: $total_pass passed, $total_fail failed"
[ "$status" = 0 ] && [ "$total_fail" = 0 ]
