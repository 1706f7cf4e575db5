#!/bin/bash
# milter_bench.sh - Postfix throughput on loopback with and without
# milters: smtp-source -> Postfix -> smtp-sink, the same
# DKIM-signed message, three smtpd listeners of one Postfix instance:
#
#   none        no milter
#   relaywarden relaywarden-milter: relay rule, DKIM + SPF + alignment
#               enforced, Authentication-Results, a rate limit and a quota
#               charged at end of message in a private Redis, audit file
#   opendkim+opendmarc  opendkim (verify only) then opendmarc (SPF self-
#               validation, DMARC, reject on failure)
#   null milter tests/bench/rw-nullmilter: a libmilter filter that asks for
#               the steps relaywarden-milter asks for and does nothing - the
#               floor libmilter's per-command cost sets for any filter
#               that reads the message
#
# The milters listen on unix sockets (BENCH_SOCKETS=unix, the default: what
# deploy/ and most operators use) or loopback TCP (BENCH_SOCKETS=inet); in
# the same run a second relaywarden-milter and a second null filter listen
# on the other kind, behind two more smtpd listeners, so every round also
# measures both over the other socket kind and the report compares the two
# (issue 13: TCP within 10 % of unix).
#
# Every run sends the same message (2.2 kB, rsa-sha256 2048-bit,
# d=bench.example, aligned, SPF pass for 127.0.0.1) BENCH_MESSAGES times
# (2000) over BENCH_SESSIONS (10) parallel sessions; messages/s = messages
# accepted / wall time of smtp-source. Each run also reports the milter
# processes' CPU per message and the whole machine's busy CPU per message
# (/proc/stat, first message to last delivery), so "machine time a milter
# adds" (the target: under 1 ms) is that minus the no-milter run's. The
# queue is drained before the next run; the configurations alternate for
# BENCH_ROUNDS rounds (3) and the median counts. Before timing, one message per configuration goes to
# a dumping smtp-sink, and its Authentication-Results lines are shown
# (each configuration must really verify the signature).
#
# DNS: unbound on 127.0.0.77:53 (BENCH_DNS_ADDR) serves the key, SPF and
# DMARC records of bench.example (not under test.: opendkim's libunbound
# answers test. names itself, NXDOMAIN); opendkim uses it through
# Nameservers,
# relaywarden through dns upstreams, opendmarc (libc resolver, no option)
# runs in a private mount namespace whose /etc/resolv.conf names it.
#
# usage: RW_BUILD=BUILDDIR tests/bench/milter_bench.sh [OUTFILE]
# Needs root, postfix (smtp-source, smtp-sink), opendkim, opendmarc,
# unbound, redis-server, python3-dkim, unshare. BENCH_RW_CHECKS (enforce)
# sets the milter's checks modes (off: relay and limits only),
# BENCH_RW_LIMITS=0 drops its limit and quota, BENCH_SOCKETS=inet puts
# the three milters on loopback TCP instead of unix sockets (and the
# comparison rows on unix sockets). Build without
# sanitizers
# for figures that mean anything; BENCH_PERF=FILE profiles the relaywarden
# runs system-wide into FILE (perf record -a -g). Ports from BENCH_PORT_BASE (12500) up.
# Everything lives in a temporary directory (BENCH_KEEP=1 keeps it) and
# every process is stopped by PID.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
# shellcheck source=tests/lib/postfix.sh
. "$TOP/tests/lib/postfix.sh"
RW_BUILD=${RW_BUILD:-$PWD}
MILTER=${RW_MILTER:-$RW_BUILD/milter/relaywarden-milter}
NULLMILTER=$RW_BUILD/tests/bench/rw-nullmilter
N=${BENCH_MESSAGES:-2000}
SESSIONS=${BENCH_SESSIONS:-10}
ROUNDS=${BENCH_ROUNDS:-3}
RW_CHECKS=${BENCH_RW_CHECKS:-enforce}
RW_LIMITS=${BENCH_RW_LIMITS:-1}
SOCKETS=${BENCH_SOCKETS:-unix}
case $SOCKETS in
unix) OTHER=inet ;;
inet) OTHER=unix ;;
*) echo "milter_bench.sh: BENCH_SOCKETS is unix or inet" >&2 && exit 2 ;;
esac
BASE=${BENCH_PORT_BASE:-12500}
DNS_ADDR=${BENCH_DNS_ADDR:-127.0.0.77}
OUTFILE=${1:-}
P_SINK=$BASE P_DUMP=$((BASE + 1)) P_NONE=$((BASE + 2)) P_RW=$((BASE + 3))
P_PAIR=$((BASE + 4)) P_RWM=$((BASE + 10)) P_DKIM=$((BASE + 11))
P_DMARC=$((BASE + 12)) P_REDIS=$((BASE + 20)) P_NULL=$((BASE + 5))
P_NULLM=$((BASE + 13)) P_RWX=$((BASE + 6)) P_NULLX=$((BASE + 7))
P_RWXM=$((BASE + 14)) P_NULLXM=$((BASE + 15))
W='' PIDS=()
declare -A MPID=()

# die - message to stderr, exit 1 (the EXIT trap stops everything)
die() {
	echo "milter_bench.sh: $*" >&2
	exit 1
}

# port_open - true if 127.0.0.1:$1 accepts TCP connections
port_open() {
	timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# wait_port - PORT NAME: until it listens (15 s), else die
wait_port() {
	local i
	for ((i = 0; i < 150; i++)); do
		port_open "$1" && return 0
		sleep 0.1
	done
	die "$2 does not listen on 127.0.0.1:$1"
}

# msock - NAME SYNTAX: milter NAME's socket (rw, dkim, dmarc, null; rwx
# and nullx on the other socket kind) as libmilter or Postfix spell it: a
# socket in DIR/sock, or loopback TCP
msock() {
	local port kind=$SOCKETS
	case $1 in
	rw) port=$P_RWM ;;
	dkim) port=$P_DKIM ;;
	null) port=$P_NULLM ;;
	rwx) port=$P_RWXM kind=$OTHER ;;
	nullx) port=$P_NULLXM kind=$OTHER ;;
	*) port=$P_DMARC ;;
	esac
	case $kind:$2 in
	unix:*) echo "unix:$W/sock/$1.sock" ;;
	*:libmilter) echo "inet:$port@127.0.0.1" ;;
	*) echo "inet:127.0.0.1:$port" ;;
	esac
}

# wait_milter - NAME WHAT: until milter NAME accepts connections (15 s)
wait_milter() {
	local i s
	s=$(msock "$1" postfix)
	for ((i = 0; i < 150; i++)); do
		case $s in
		unix:*) [ -S "${s#unix:}" ] && return 0 ;;
		*) port_open "${s##*:}" && return 0 ;;
		esac
		sleep 0.1
	done
	die "$2 does not listen on $s"
}

# start - NAME CMD...: start CMD in the background, remember its PID
start() {
	local name=$1
	shift
	"$@" </dev/null >>"$W/log/$name.log" 2>&1 &
	PIDS+=("$!")
}

# stop_all - TERM every process we started (KILL after 10 s), Postfix too
stop_all() {
	local p i
	[ -n "$W" ] || return 0
	postfix -c "$W/etc" stop >/dev/null 2>&1 || true
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		for ((i = 0; i < 100; i++)); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null || true
	done
	PIDS=()
	if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "kept $W" >&2; else rm -rf "$W"; fi
	W=
}

# preflight - root, the tools, free ports
preflight() {
	local t p
	[ "$(id -u)" = 0 ] || die "must run as root"
	for t in postfix /usr/sbin/smtp-source /usr/sbin/smtp-sink opendkim opendmarc \
		/usr/sbin/unbound redis-server unshare openssl /usr/bin/python3; do
		command -v "$t" >/dev/null || die "$t not found"
	done
	/usr/bin/python3 -c 'import dkim' 2>/dev/null || die "python3-dkim missing"
	[ -x "$MILTER" ] || die "no $MILTER (set RW_BUILD)"
	[ -x "$NULLMILTER" ] || die "no $NULLMILTER (make bench-programs)"
	for p in "$P_SINK" "$P_DUMP" "$P_NONE" "$P_RW" "$P_PAIR" "$P_RWM" "$P_DKIM" \
		"$P_DMARC" "$P_REDIS" "$P_NULL" "$P_NULLM" "$P_RWX" "$P_NULLX" "$P_RWXM" \
		"$P_NULLXM"; do
		! port_open "$p" || die "127.0.0.1:$p is in use (BENCH_PORT_BASE)"
	done
}

# make_message - the DKIM key, its record, the signed message (LF lines)
make_message() {
	mkdir -p "$W/dkim"
	openssl genrsa -out "$W/dkim/bench.key" 2048 2>/dev/null
	openssl rsa -in "$W/dkim/bench.key" -pubout -outform DER 2>/dev/null |
		base64 -w0 >"$W/dkim/bench.pub"
	/usr/bin/python3 "$TOP/tests/e2e/dkim_sign.py" --from bench@bench.example \
		--to rcpt@remote.test --subject "relaywarden bench" --body-lines 50 \
		--key "$W/dkim/bench.key" --selector bench --domain bench.example |
		tr -d '\r' >"$W/message.txt"
}

# dns_conf - unbound on $DNS_ADDR:53 with bench.example's records
dns_conf() {
	local txt
	txt=$(printf 'v=DKIM1; k=rsa; p=%s' "$(cat "$W/dkim/bench.pub")" | fold -w 200 |
		sed 's/.*/"&"/' | tr '\n' ' ')
	cat <<-EOF
		server:
		    interface: $DNS_ADDR
		    port: 53
		    do-ip6: no
		    do-daemonize: no
		    username: ""
		    chroot: ""
		    directory: "$W/dns"
		    pidfile: "$W/dns/unbound.pid"
		    use-syslog: no
		    logfile: "$W/log/unbound.log"
		    num-threads: 1
		    module-config: "iterator"
		    access-control: 127.0.0.0/8 allow
		    local-zone: "." refuse
		    local-zone: "example." static
		    local-data: "example. 3600 IN SOA ns.example. hostmaster.example. 1 3600 600 86400 60"
		    local-data: 'bench.example. 3600 IN TXT "v=spf1 ip4:127.0.0.1 -all"'
		    local-data: '_dmarc.bench.example. 3600 IN TXT "v=DMARC1; p=reject"'
		    local-data: 'bench._domainkey.bench.example. 3600 IN TXT $txt'
		remote-control:
		    control-enable: no
	EOF
}

# rw_limits - the limit and quota of the milter under test
rw_limits() {
	[ "$RW_LIMITS" = 1 ] || return 0
	cat <<-EOF
		limit "bench-messages" {
		    charge = client_address
		    unit = messages
		    rate = "100M/1h"
		}
		quota "bench-recipients" {
		    charge = client_address
		    window = day
		    recipients = 1000000000
		}
	EOF
}

# rw_conf - NAME: relaywarden.conf of the milter under test (rw or rwx)
rw_conf() {
	cat <<-EOF
		instance = "bench"
		local_domains = { "mx.bench.example" }
		charge_at = milter
		relay "bench" {
		    type = network
		    networks = { "127.0.0.1" }
		}
		$(rw_limits)
		redis {
		    servers = { "127.0.0.1:$P_REDIS" }
		}
		dns {
		    upstreams = { "$DNS_ADDR@53" }
		}
		spf {
		    egress_addresses = { "127.0.0.1" }
		}
		checks {
		    dkim = $RW_CHECKS
		    spf = $RW_CHECKS
		    alignment = $RW_CHECKS
		    authserv_id = "mx.bench.example"
		}
		milter {
		    listen = "$(msock "$1" libmilter)"
		    socket_mode = "0666"
		}
		audit {
		    file = "$W/log/audit-$1.jsonl"
		    syslog = false
		}
		log {
		    target = stderr
		}
	EOF
}

# pair_conf - opendkim.conf and opendmarc.conf, verify only
pair_conf() {
	echo 192.0.2.1 >"$W/pair/nobody.hosts"
	cat >"$W/pair/opendkim.conf" <<-EOF
		Mode v
		Socket $(msock dkim libmilter)
		UMask 0000
		Nameservers $DNS_ADDR
		AuthservID mx.bench.example
		AlwaysAddARHeader yes
		InternalHosts $W/pair/nobody.hosts
		PeerList $W/pair/nobody.hosts
		Syslog no
		UserID opendkim
	EOF
	cat >"$W/pair/opendmarc.conf" <<-EOF
		Socket $(msock dmarc libmilter)
		UMask 0000
		AuthservID mx.bench.example
		TrustedAuthservIDs mx.bench.example
		IgnoreHosts $W/pair/nobody.hosts
		SPFSelfValidate true
		SPFIgnoreResults true
		RejectFailures true
		FailureReports false
		PublicSuffixList /usr/share/publicsuffix/public_suffix_list.dat
		Syslog false
		UserID opendmarc
	EOF
	echo "nameserver $DNS_ADDR" >"$W/pair/resolv.conf"
	chmod 0755 "$W/pair"
	chmod 0644 "$W/pair"/*
}

# postfix_conf - one instance, three listeners, relay to the sinks
postfix_conf() {
	local e=$W/etc
	mkdir -p "$e" "$W/spool" "$W/data"
	chown postfix:postfix "$W/data"
	cat >"$e/main.cf" <<-EOF
		compatibility_level = 3.6
		queue_directory = $W/spool
		data_directory = $W/data
		mail_owner = postfix
		setgid_group = postdrop
		maillog_file = $W/log/maillog
		maillog_file_prefixes = $W/log
		syslog_name = postfix-rw-bench
		myhostname = mx.bench.example
		mydestination =
		relay_domains =
		mynetworks = 127.0.0.0/8
		inet_interfaces = 127.0.0.1
		inet_protocols = ipv4
		smtp_dns_support_level = disabled
		smtpd_peername_lookup = no
		alias_maps =
		alias_database =
		biff = no
		smtpd_error_sleep_time = 0
		in_flow_delay = 0
		relayhost = [127.0.0.1]:$P_SINK
		transport_maps = inline:{check.test=smtp:[127.0.0.1]:$P_DUMP}
		smtpd_relay_restrictions = permit_mynetworks, reject
		default_destination_concurrency_limit = 20
		smtp_connection_cache_on_demand = yes
		milter_protocol = 6
		milter_default_action = tempfail
		milter_connect_macros = j {daemon_name} {daemon_addr} {daemon_port} {client_addr} v _
		milter_helo_macros = {tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer}
		milter_mail_macros = i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}
		milter_rcpt_macros = i {rcpt_addr} {rcpt_host} {rcpt_mailer}
		milter_end_of_data_macros = i
	EOF
	cat >"$e/master.cf" <<-EOF
		127.0.0.1:$P_NONE inet n - n - - smtpd
		127.0.0.1:$P_RW inet n - n - - smtpd -o smtpd_milters=$(msock rw postfix)
		127.0.0.1:$P_PAIR inet n - n - - smtpd -o smtpd_milters=$(msock dkim postfix),$(msock dmarc postfix)
		127.0.0.1:$P_NULL inet n - n - - smtpd -o smtpd_milters=$(msock null postfix)
		127.0.0.1:$P_RWX inet n - n - - smtpd -o smtpd_milters=$(msock rwx postfix)
		127.0.0.1:$P_NULLX inet n - n - - smtpd -o smtpd_milters=$(msock nullx postfix)
		$(rw_postfix_services)
	EOF
	postfix -c "$e" check || die "postfix check failed"
}

# start_all - DNS, Redis, sinks, the three milters, Postfix
start_all() {
	mkdir -p "$W/log" "$W/dns" "$W/redis" "$W/pair" "$W/dump" "$W/sock"
	chmod 0777 "$W/sock"
	dns_conf >"$W/dns/unbound.conf"
	/usr/sbin/unbound-checkconf "$W/dns/unbound.conf" >/dev/null || die "unbound.conf"
	start unbound /usr/sbin/unbound -d -c "$W/dns/unbound.conf"
	start redis redis-server --bind 127.0.0.1 --port "$P_REDIS" --save '' \
		--appendonly no --dir "$W/redis"
	chown postfix "$W/dump"
	start sink /usr/sbin/smtp-sink -u postfix -c "127.0.0.1:$P_SINK" 256
	start dump /usr/sbin/smtp-sink -u postfix -d "$W/dump/%H%M%S." "127.0.0.1:$P_DUMP" 16
	local m
	for m in rw rwx; do
		rw_conf "$m" >"$W/relaywarden-$m.conf"
		start "relaywarden-$m" "$MILTER" -e -c "$W/relaywarden-$m.conf"
		MPID[$m]=${PIDS[-1]}
	done
	for m in null nullx; do
		# shellcheck disable=SC2016 # expanded by that sh
		start "$m" sh -c 'umask 0 && exec "$1" "$2"' sh "$NULLMILTER" "$(msock "$m" libmilter)"
		MPID[$m]=${PIDS[-1]}
	done
	pair_conf
	start opendkim opendkim -f -x "$W/pair/opendkim.conf"
	MPID[pair]=${PIDS[-1]}
	# shellcheck disable=SC2016 # expanded by that sh
	start opendmarc unshare -m sh -c 'mount --bind "$1" /etc/resolv.conf &&
		exec opendmarc -f -c "$2"' sh "$W/pair/resolv.conf" "$W/pair/opendmarc.conf"
	MPID[pair]+=" ${PIDS[-1]}"
	postfix_conf
	postfix -c "$W/etc" start >/dev/null 2>&1 || die "postfix start failed"
	local p
	for p in "$P_REDIS:redis" "$P_SINK:smtp-sink" "$P_DUMP:smtp-sink" \
		"$P_NONE:postfix" "$P_RW:postfix" "$P_PAIR:postfix" "$P_NULL:postfix" \
		"$P_RWX:postfix" "$P_NULLX:postfix"; do
		wait_port "${p%%:*}" "${p#*:}"
	done
	for p in rw:relaywarden-milter dkim:opendkim dmarc:opendmarc null:rw-nullmilter \
		rwx:relaywarden-milter nullx:rw-nullmilter; do
		wait_milter "${p%%:*}" "${p#*:}"
	done
}

# queue_empty - true when the instance's queue holds nothing
queue_empty() {
	[ -z "$(find "$W/spool/incoming" "$W/spool/active" "$W/spool/deferred" \
		"$W/spool/maildrop" -type f 2>/dev/null | head -n 1)" ]
}

# drain - wait (120 s at most) until every accepted message left the queue
drain() {
	local i
	for ((i = 0; i < 1200; i++)); do
		queue_empty && return 0
		sleep 0.1
	done
	die "queue not drained after 120 s (see $W/log/maillog)"
}

# sanity - one message per listener to the dumping sink; show its
# Authentication-Results
sanity() {
	local name port f
	for name in none:$P_NONE relaywarden:$P_RW "relaywarden ($OTHER):$P_RWX" \
		opendkim+opendmarc:$P_PAIR; do
		port=${name#*:}
		rm -f "$W/dump"/*
		/usr/sbin/smtp-source -m 1 -f bench@bench.example -t check@check.test \
			-F "$W/message.txt" "127.0.0.1:$port" ||
			die "${name%%:*}: the check message was refused"
		drain
		sleep 0.3
		f=$(find "$W/dump" -type f | head -n 1)
		[ -n "$f" ] || die "${name%%:*}: nothing reached the dumping sink"
		echo "  ${name%%:*}:"
		awk '/^\r?$/ { exit } /^[^ \t]/ { p = /^Authentication-Results:/ } p' "$f" |
			tr -d '\r' | sed 's/^/    /'
	done
}

# cpu_ticks - PID...: user + system clock ticks the processes used so far
# (every thread, live or gone)
cpu_ticks() {
	local p t=0
	for p in "$@"; do
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
	done
	echo "$t"
}

# machine_ticks - CPU ticks the whole machine has spent busy (every state
# of /proc/stat's cpu line but idle, iowait and steal: time the
# hypervisor gave to other guests is not ours)
machine_ticks() {
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8; exit }' /proc/stat
}

# timed_run - PORT [PID...]: messages/s of one smtp-source run, the CPU
# milliseconds per message the milter processes PID... used in it, and the
# machine's busy CPU milliseconds per message from the first message to the
# last delivery (Postfix, milters, smtp-source, smtp-sink, Redis, DNS:
# everything the configuration makes the machine do)
timed_run() {
	local port=$1 t0 t1 c0 c1 m0 m1 accepted
	shift
	c0=$(cpu_ticks "$@")
	m0=$(machine_ticks)
	t0=$(date +%s.%N)
	/usr/sbin/smtp-source -s "$SESSIONS" -m "$N" -f bench@bench.example \
		-t rcpt@remote.test -F "$W/message.txt" "127.0.0.1:$port" \
		>>"$W/log/smtp-source.log" 2>&1 || die "smtp-source failed on port $port"
	t1=$(date +%s.%N)
	c1=$(cpu_ticks "$@")
	drain
	m1=$(machine_ticks)
	accepted=$N
	awk -v n="$accepted" -v a="$t0" -v b="$t1" -v c="$((c1 - c0))" -v m="$((m1 - m0))" \
		-v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%.1f %.3f %.3f\n", n / (b - a), 1000 * c / hz / n, 1000 * m / hz / n }'
}

# perf_start, perf_stop - with BENCH_PERF=FILE, a system-wide perf profile
# of the relaywarden runs (perf record -a -g) for finding where time goes;
# BENCH_PERF_OPTS="--call-graph dwarf" profiles the milter process alone
PERF_PID=
perf_start() {
	[ -n "${BENCH_PERF:-}" ] || return 0
	if [ -n "${BENCH_PERF_OPTS:-}" ]; then
		# shellcheck disable=SC2086 # perf options
		perf record -q $BENCH_PERF_OPTS -p "${MPID[rw]}" -o "$BENCH_PERF" >/dev/null 2>&1 &
	else
		perf record -q -a -g -o "$BENCH_PERF" >/dev/null 2>&1 &
	fi
	PERF_PID=$!
	sleep 0.5
}
perf_stop() {
	[ -n "$PERF_PID" ] || return 0
	kill -INT "$PERF_PID"
	wait "$PERF_PID" || true
	PERF_PID=
}

# median - the median of the arguments
median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# machine - one line about the machine
machine() {
	printf '%s, %s cores, %s GiB, %s, Postfix %s, opendkim %s, opendmarc %s' \
		"$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)" "$(nproc)" \
		"$(awk '/MemTotal/ { printf "%d", $2 / 1048576 }' /proc/meminfo)" \
		"$(. /etc/os-release && echo "$PRETTY_NAME")" "$(postconf -d -h mail_version)" \
		"$(dpkg-query -W -f '${Version}' opendkim)" "$(dpkg-query -W -f '${Version}' opendmarc)"
}

# bench - the rounds and the report
bench() {
	local r a b c none=() rw=() pair=() null=() crw=() cpair=() cnull=()
	local mnone=() mrw=() mpair=() mnull=() mn mr mp ml
	local rwx=() nullx=() crwx=() cnullx=() mrwx=() mnullx=()
	echo "relaywarden milter bench: $N messages of $(wc -c <"$W/message.txt") bytes" \
		"(DKIM rsa-sha256 2048, d=bench.example), $SESSIONS sessions, $ROUNDS rounds"
	echo "machine: $(machine)"
	echo "milter sockets: $SOCKETS (relaywarden and the null filter also over $OTHER)"
	echo "relaywarden-milter: $MILTER (relay rule, dkim/spf/alignment $RW_CHECKS," \
		"limits $([ "$RW_LIMITS" = 1 ] && echo "on: a limit + a quota charged in Redis at end of message" || echo off)," \
		"audit file)"
	echo "checks, one message each (Authentication-Results as delivered):"
	sanity
	for ((r = 1; r <= ROUNDS; r++)); do
		read -r a b c < <(timed_run "$P_NONE")
		none+=("$a") mnone+=("$c")
		perf_start
		read -r a b c < <(timed_run "$P_RW" "${MPID[rw]}")
		perf_stop
		rw+=("$a") crw+=("$b") mrw+=("$c")
		# shellcheck disable=SC2086 # two PIDs
		read -r a b c < <(timed_run "$P_PAIR" ${MPID[pair]})
		pair+=("$a") cpair+=("$b") mpair+=("$c")
		read -r a b c < <(timed_run "$P_NULL" "${MPID[null]}")
		null+=("$a") cnull+=("$b") mnull+=("$c")
		read -r a b c < <(timed_run "$P_RWX" "${MPID[rwx]}")
		rwx+=("$a") crwx+=("$b") mrwx+=("$c")
		read -r a b c < <(timed_run "$P_NULLX" "${MPID[nullx]}")
		nullx+=("$a") cnullx+=("$b") mnullx+=("$c")
		echo "round $r: none ${none[-1]}/s, relaywarden ${rw[-1]}/s," \
			"opendkim+opendmarc ${pair[-1]}/s, null milter ${null[-1]}/s;" \
			"over $OTHER: relaywarden ${rwx[-1]}/s, null ${nullx[-1]}/s;" \
			"milter CPU ms/message: relaywarden ${crw[-1]}, opendkim+opendmarc" \
			"${cpair[-1]}, null ${cnull[-1]}; machine CPU ms/message: none ${mnone[-1]}," \
			"relaywarden ${mrw[-1]}, opendkim+opendmarc ${mpair[-1]}, null ${mnull[-1]}"
	done
	mn=$(median "${none[@]}") mr=$(median "${rw[@]}") mp=$(median "${pair[@]}")
	ml=$(median "${null[@]}")
	echo "| configuration | messages/s (median of $ROUNDS) | vs no milter | milter CPU ms/message | machine CPU ms/message | added by the milter(s) |"
	echo "| --- | --- | --- | --- | --- | --- |"
	awk -v n="$mn" -v r="$mr" -v p="$mp" -v l="$ml" -v cr="$(median "${crw[@]}")" \
		-v cp="$(median "${cpair[@]}")" -v cl="$(median "${cnull[@]}")" \
		-v mn="$(median "${mnone[@]}")" -v mr="$(median "${mrw[@]}")" \
		-v mp="$(median "${mpair[@]}")" -v ml="$(median "${mnull[@]}")" \
		-v k="$SOCKETS" -v o="$OTHER" -v rx="$(median "${rwx[@]}")" \
		-v lx="$(median "${nullx[@]}")" -v crx="$(median "${crwx[@]}")" \
		-v clx="$(median "${cnullx[@]}")" -v mrx="$(median "${mrwx[@]}")" \
		-v mlx="$(median "${mnullx[@]}")" 'BEGIN {
		printf "| Postfix, no milter | %.1f | 100%% | - | %.3f | - |\n", n, mn
		printf "| Postfix + relaywarden-milter (%s) | %.1f | %.0f%% | %.3f | %.3f | %.3f |\n", k, r, 100 * r / n, cr, mr, mr - mn
		printf "| Postfix + opendkim + opendmarc (%s) | %.1f | %.0f%% | %.3f | %.3f | %.3f |\n", k, p, 100 * p / n, cp, mp, mp - mn
		printf "| Postfix + a libmilter filter doing nothing (same steps, %s) | %.1f | %.0f%% | %.3f | %.3f | %.3f |\n", k, l, 100 * l / n, cl, ml, ml - mn
		printf "| Postfix + relaywarden-milter (%s) | %.1f | %.0f%% | %.3f | %.3f | %.3f |\n", o, rx, 100 * rx / n, crx, mrx, mrx - mn
		printf "| Postfix + a libmilter filter doing nothing (same steps, %s) | %.1f | %.0f%% | %.3f | %.3f | %.3f |\n", o, lx, 100 * lx / n, clx, mlx, mlx - mn
		printf "relaywarden / no milter: %.0f%% (target >= 85%%): %s\n", 100 * r / n,
			(r >= 0.85 * n) ? "met" : "NOT met"
		printf "relaywarden / opendkim+opendmarc: %.2fx (target >= 3x): %s\n", r / p,
			(r >= 3 * p) ? "met" : "NOT met"
		tcp = k == "inet" ? r : rx; unx = k == "inet" ? rx : r
		printf "relaywarden over inet / over unix: %.0f%% (target: within 10%%): %s\n",
			100 * tcp / unx, (tcp >= 0.9 * unx) ? "met" : "NOT met"
		tcp = k == "inet" ? l : lx; unx = k == "inet" ? lx : l
		printf "null filter over inet / over unix: %.0f%%\n", 100 * tcp / unx
		printf "machine time relaywarden adds: %.3f ms/message (target: under 1 ms): %s;" \
			" of it above the do-nothing filter: %.3f ms\n", mr - mn, (mr - mn < 1) ? "met" : "NOT met", mr - ml
		printf "no milter / opendkim+opendmarc on this machine: %.2fx (a milter can be at most that)\n", n / p }'
}

main() {
	preflight
	W=$(mktemp -d /tmp/rw-bench.XXXXXX)
	chmod 0755 "$W"
	trap stop_all EXIT
	trap 'exit 130' INT TERM
	mkdir -p "$W/log"
	make_message
	start_all
	if [ -n "$OUTFILE" ]; then bench | tee "$OUTFILE"; else bench; fi
}

main "$@"
