#!/bin/sh
# build-libfuzzer.sh - build the fuzz targets with libFuzzer and run each for
# a bounded time on its corpus.
#
# usage: tests/fuzz/build-libfuzzer.sh [OUTDIR]
#   OUTDIR        the clang build, new corpus entries, logs and crash
#                 artifacts (default: fuzz-build in the current directory)
# environment:
#   CC            a clang (default clang; anything else is replaced by clang,
#                 since -fsanitize=fuzzer is clang's)
#   FUZZ_SECONDS  seconds per target (default 30; 0 = build only)
#   FUZZ_TARGETS  targets to build and run, as tests/fuzz/fuzz_NAME or
#                 fuzz_NAME (default: every one tests/fuzz/Makemodule.am lists)
#   FUZZ_JOBS     make -j for the build (default 2)
#
# The build is the project's own: OUTDIR/build is configured with
# --enable-fuzzing (every object instrumented, ASan and UBSan, libFuzzer's
# driver instead of tests/fuzz/standalone.c) and the targets are made there,
# so each links exactly the libraries of the daemon or command it fuzzes;
# no file list is kept here. Each target fuzz_NAME runs on OUTDIR/corpus/NAME
# (new inputs land there) plus the seed corpus tests/fuzz/corpus/NAME (read
# only), with tests/fuzz/NAME.dict when present. Crashes, leaks, timeouts and
# aborted invariants are written to OUTDIR/artifacts/; to keep one as a
# regression input, fix it and copy it into tests/fuzz/corpus/NAME (`make
# check` replays it). Prints one line per target with its executions; exits 1
# when any target failed to build or found a crash.
set -u

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-fuzz-build}
seconds=${FUZZ_SECONDS:-30}
jobs=${FUZZ_JOBS:-2}
case ${CC:-clang} in
*clang*) cc=${CC:-clang} ;;
*) cc=clang ;;
esac
failed=""

mkdir -p "$out/build" "$out/artifacts" "$out/corpus" || exit 1
out=$(cd "$out" && pwd)
build=$out/build

if [ ! -x "$srcdir/configure" ]; then
	echo "build-libfuzzer: $srcdir/configure is missing: run autoreconf -fi" >&2
	exit 1
fi
# the default list: FUZZ_TARGETS in tests/fuzz/Makemodule.am
if [ -z "${FUZZ_TARGETS:-}" ]; then
	FUZZ_TARGETS=$(awk '$1 == "FUZZ_TARGETS" { on = 1; next }
		on { print; if ($0 !~ /\\$/) on = 0 }' "$srcdir/tests/fuzz/Makemodule.am" |
		tr -d '\\')
fi
targets=""
for t in $FUZZ_TARGETS; do
	targets="$targets tests/fuzz/${t#tests/fuzz/}"
done

# configure once (again when configure is newer than the build's Makefile)
if [ ! -f "$build/Makefile" ] || [ "$srcdir/configure" -nt "$build/Makefile" ]; then
	echo "== configuring $build (CC=$cc --enable-fuzzing)"
	if ! (cd "$build" && "$srcdir/configure" CC="$cc" CFLAGS="-g -O1" \
		--enable-fuzzing >configure.log 2>&1); then
		tail -30 "$build/configure.log"
		echo "build-libfuzzer: configure failed, see $build/configure.log"
		exit 1
	fi
fi
echo "== building$targets"
# shellcheck disable=SC2086
if ! make -C "$build" -j"$jobs" $targets >"$build/make.log" 2>&1; then
	grep -E 'error|Error' "$build/make.log" | head -30
	echo "build-libfuzzer: build failed, see $build/make.log"
	exit 1
fi

# run_target NAME - fuzz for $seconds on the working and seed corpora
run_target() {
	name=${1#fuzz_}
	seed="$srcdir/tests/fuzz/corpus/$name"
	log="$out/$1.log"
	mkdir -p "$out/corpus/$name"
	dict=""
	[ -f "$srcdir/tests/fuzz/$name.dict" ] && dict="-dict=$srcdir/tests/fuzz/$name.dict"
	# shellcheck disable=SC2086
	"$build/tests/fuzz/$1" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -close_fd_mask=3 -print_final_stats=1 \
		-artifact_prefix="$out/artifacts/$1-" $dict \
		"$out/corpus/$name" "$seed" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -E '^#[0-9]+' "$log" | tail -1 | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	if [ $rc -ne 0 ]; then
		echo "FAIL $1: exit $rc after ${execs:-?} executions, see $log:"
		grep -E 'ERROR|SUMMARY|Test unit written|artifact' "$log" | head -20
		return 1
	fi
	echo "ok $1: ${execs:-?} executions in ${seconds}s, coverage ${cov:-?}, corpus" \
		"$(find "$out/corpus/$name" -type f | wc -l) new + $(find "$seed" -type f | wc -l) seed"
}

[ "$seconds" -gt 0 ] || { echo "build-libfuzzer: built (FUZZ_SECONDS=0)"; exit 0; }
for t in $targets; do
	if ! run_target "${t#tests/fuzz/}"; then
		failed="$failed ${t#tests/fuzz/}"
	fi
done

if [ -n "$failed" ]; then
	echo "build-libfuzzer: failed:$failed"
	exit 1
fi
echo "build-libfuzzer: all targets passed"
