# shellcheck shell=bash
# rotate.sh - sourced by the policyd benches (run.sh, defaults.sh, run-limits.sh).
#
# rotate_audit FILE PID OLD - as logrotate would: rename FILE to OLD, send
# PID (relaywarden-policyd) SIGUSR1 so it reopens FILE, wait up to 5 s for
# the new file; false when there was no FILE. The caller counts what it
# needs in OLD and removes it. Why a bench rotates before each row: a row at
# 100k decisions/s appends half a gigabyte, and while the page cache holds
# it every later row of the same process is slower (here 125k, 109k, 99k
# decisions/s for three back-to-back rows at 64 connections).
rotate_audit() {
	[ -f "$1" ] || return 1
	mv "$1" "$3"
	kill -USR1 "$2"
	for _ in $(seq 50); do
		[ -f "$1" ] && break
		sleep 0.1
	done
	return 0
}
