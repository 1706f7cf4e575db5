# shellcheck shell=bash
# lib.sh - sourced by the policyd benches (run.sh, defaults.sh, run-limits.sh): ports,
# process figures, loadgen fields, the bench configuration and a private
# rsyslogd. Nothing here starts anything it does not also stop.

# bench_free_port - an unused TCP port on 127.0.0.1
bench_free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# bench_wait_listening PID PORT - up to 10 s for PID to accept on 127.0.0.1:PORT
bench_wait_listening() {
	for _ in $(seq 100); do
		kill -0 "$1" 2>/dev/null || return 1
		if (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# bench_rss_kb PID - resident memory of PID in KiB
bench_rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

# bench_cpu_ticks PID - user + system CPU time of PID so far, in clock ticks
bench_cpu_ticks() {
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null
}

# bench_cpu_us TICKS REQUESTS - CPU microseconds per request ("-" without requests)
bench_cpu_us() {
	awk -v t="$1" -v hz="$(getconf CLK_TCK)" -v n="$2" \
		'BEGIN { if (n > 0) printf "%.2f", t * 1e6 / hz / n; else print "-" }'
}

# bench_field FILE KEY - a key=value field of a loadgen result line
bench_field() {
	sed -n "s/.*[[:space:]]$2=\\([^[:space:]]*\\).*/\\1/p" "$1" 2>/dev/null
}

# bench_gen_config DIR PORT - the bench's policyd config in DIR/relaywarden.conf:
# network and SASL relay rules, the audit file DIR/audit.jsonl, the log to stderr
bench_gen_config() {
	cat >"$1/relaywarden.conf" <<EOF
instance = "bench.test"
local_domains = { "example.test" }
relay_domains = { }
sender_login "alice@example.test" {
	senders = { "alice@example.test" }
}
sender_login "bob@example.test" {
	senders = { "bob@example.test", "@example.test" }
}
relay "submission" {
	type = sasl
	listeners = { "submission" }
	require_tls = true
	sender_login = enforce
}
relay "submission-any" {
	type = sasl
	sender_login = enforce
}
relay "office" {
	type = network
	networks = { "192.0.2.0/24", "2001:db8:10::/48" }
}
relay "lab" {
	type = network
	networks = { "198.51.100.0/25" }
}
policyd {
	listen = { "inet:127.0.0.1:$2" }
	max_connections = 10000
}
audit {
	file = "$1/audit.jsonl"
	syslog = false
	fsync = false
}
log {
	target = stderr
	debug = false
}
EOF
}

# bench_defaults_config FILE - the audit and log sections back to the shipped
# defaults (the log to syslog, every refusal's summary line there, the
# records' JSON not)
bench_defaults_config() {
	sed -i -e '/^\tsyslog = false$/d' -e '/^\ttarget = stderr$/d' -e '/^\tdebug = false$/d' "$1"
}

# bench_start_rsyslogd DIR - Debian's rsyslogd on /dev/log writing every line
# to DIR/messages; sets bench_rsyslog_pid; false when rsyslogd is missing,
# another daemon owns /dev/log, or it did not start
bench_rsyslog_pid=""
bench_start_rsyslogd() {
	command -v rsyslogd >/dev/null || return 1
	[ -e /dev/log ] && return 1
	printf '%s\n' 'module(load="imuxsock" SysSock.Use="on" SysSock.Name="/dev/log")' \
		"*.* action(type=\"omfile\" file=\"$1/messages\")" >"$1/rsyslog.conf"
	rsyslogd -n -f "$1/rsyslog.conf" -i "$1/rsyslogd.pid" >"$1/rsyslogd.log" 2>&1 &
	bench_rsyslog_pid=$!
	for _ in $(seq 100); do [ -S /dev/log ] && return 0; sleep 0.1; done
	return 1
}

# bench_stop_rsyslogd - stop it by PID (and remove /dev/log it made)
bench_stop_rsyslogd() {
	[ -n "$bench_rsyslog_pid" ] || return 0
	kill "$bench_rsyslog_pid" 2>/dev/null
	wait "$bench_rsyslog_pid" 2>/dev/null
	bench_rsyslog_pid=""
	rm -f /dev/log
}
