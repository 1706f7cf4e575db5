#!/bin/bash
# stack.sh - a throwaway Postfix 3.7 + relaywarden-policyd, with a
# private Redis (rate limits and quotas) and a DNS server (SPF records), on
# loopback, for the end-to-end tests.
#
#   stack.sh up DIR     build everything under DIR and start it
#   stack.sh env DIR    print the stack's shell variables (eval-able)
#   stack.sh down DIR   stop what `up` started (safe to call twice)
#   stack.sh checks DIR MODE  the milter's checks to MODE (SIGHUP reload)
#
# relaywarden-milter runs beside policyd (smtpd_milters on both
# listeners, the same relaywarden.conf plus milter/checks sections): see
# milter.sh.
#
# Nothing outside DIR is written: Postfix runs with config_directory
# DIR/postfix/etc and queue_directory DIR/postfix/spool, no chroot, logging
# through postlogd to DIR/log/maillog. Needs root (Postfix's master must be
# started as root; mail_owner is the system's "postfix" user).
#
# Layout under DIR:
#   postfix/etc/{main.cf,master.cf,sasl/smtpd.conf,sasldb2}  postfix/spool
#   postfix/data  tls/{ca,server,client,other}.{pem,key}  bin/sink.sh
#   sink/relay/ (relayed mail, one file per recipient, named QUEUEID-*.eml)
#   sink/local/ (mail for example.test)  log/{maillog,policyd.log,audit.jsonl}
#   log/{redis.log,unbound.log}  redis/  dns/unbound.conf (zone included)
#   run/{policyd,redis,dns}.pid  relaywarden.conf  stack.env
#
# Postfix is configured so that the policy server is the sole relay
# authority: smtpd_relay_restrictions = check_policy_service ..., reject;
# nothing else permits relay (mynetworks is not consulted anywhere).
#
# relaywarden.conf charges alice (SASL) at END-OF-MESSAGE (Postfix's
# smtpd_end_of_data_restrictions ask policyd too): limit "alice-messages"
# (3 messages per hour, burst 3) and quota "alice-recipients" (6 recipients
# a day), both in the private Redis; nothing else is limited.
#
# Environment (defaults): RW_SMTP_PORT (2525), RW_SUBMISSION_PORT (2587),
# RW_POLICY_PORT (10040), RW_REDIS_PORT (16379), RW_DNS_PORT (15353, UDP and
# TCP), RW_SASL_PASS (alice-pw), RW_POLICYD (the binary; default
# $RW_BUILD/policyd/relaywarden-policyd, RW_BUILD defaulting to
# $top_builddir as exported by `make check`, else the current directory),
# RW_CLI (the relaywarden command, default $RW_BUILD/cli/relaywarden).
# `env` also prints RW_DNS (127.0.0.1@PORT, for --dns / dns upstreams).
set -euo pipefail

STACK_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib/postfix.sh
. "$STACK_HERE/../lib/postfix.sh"
# shellcheck source=tests/e2e/common.sh
. "$STACK_HERE/common.sh"

# die - print to stderr and exit 1
die() {
	echo "stack.sh: $*" >&2
	exit 1
}

# stack_vars - set every path and port for DIR ($1)
# shellcheck disable=SC2034 # printed by name in stack_write_env
stack_vars() {
	RW_DIR=$1
	RW_SMTP_PORT=${RW_SMTP_PORT:-2525}
	RW_SUBMISSION_PORT=${RW_SUBMISSION_PORT:-2587}
	RW_POLICY_PORT=${RW_POLICY_PORT:-10040}
	RW_POLICY_METRICS_PORT=${RW_POLICY_METRICS_PORT:-10048}
	RW_REDIS_PORT=${RW_REDIS_PORT:-16379}
	RW_DNS_PORT=${RW_DNS_PORT:-15353}
	RW_DNS=127.0.0.1@$RW_DNS_PORT
	RW_SASL_USER=alice@example.test
	RW_SASL_PASS=${RW_SASL_PASS:-alice-pw}
	RW_PF_ETC=$RW_DIR/postfix/etc
	RW_PF_SPOOL=$RW_DIR/postfix/spool
	RW_TLS_DIR=$RW_DIR/tls
	RW_SINK=$RW_DIR/sink
	RW_LOG_DIR=$RW_DIR/log
	RW_MAILLOG=$RW_LOG_DIR/maillog
	RW_AUDIT=$RW_LOG_DIR/audit.jsonl
	RW_POLICYD_LOG=$RW_LOG_DIR/policyd.log
	RW_POLICYD_PIDFILE=$RW_DIR/run/policyd.pid
	RW_REDIS_PIDFILE=$RW_DIR/run/redis.pid
	RW_DNS_PIDFILE=$RW_DIR/run/dns.pid
	RW_CONF=$RW_DIR/relaywarden.conf
	RW_SASLDB=$RW_PF_ETC/sasldb2
	RW_BUILD=${RW_BUILD:-${top_builddir:-$PWD}}
	RW_POLICYD=${RW_POLICYD:-$RW_BUILD/policyd/relaywarden-policyd}
	RW_CLI=${RW_CLI:-$RW_BUILD/cli/relaywarden}
	milter_vars
}

# stack_dir - the absolute form of DIR ($1), created if $2 is "create"
stack_dir() {
	[ -n "${1:-}" ] || die "usage: stack.sh up|env|down DIR"
	if [ "${2:-}" = create ]; then
		mkdir -p "$1"
	fi
	[ -d "$1" ] || return 1
	(cd "$1" && pwd -P)
}

# smtp_banner - the first reply line of the SMTP server on 127.0.0.1:$1
smtp_banner() {
	local fd line
	{ exec {fd}<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
	if IFS= read -r -t 3 line <&"$fd"; then
		printf 'QUIT\r\n' >&"$fd"
	fi
	exec {fd}>&-
	[ -n "${line:-}" ] && printf '%s\n' "${line%$'\r'}"
}

# tls_cert - key $2.key + cert $2.pem for subject CN $3 signed by the CA,
# with extended key usage $4 (in $1)
tls_cert() {
	local d=$1 name=$2 cn=$3 eku=$4
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/$name.key" -out "$d/$name.csr" -subj "/CN=$cn" \
		2>/dev/null
	printf 'subjectAltName=DNS:%s\nextendedKeyUsage=%s\nbasicConstraints=CA:FALSE\n' \
		"$cn" "$eku" >"$d/$name.ext"
	openssl x509 -req -in "$d/$name.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		-CAcreateserial -days 30 -sha256 -extfile "$d/$name.ext" \
		-out "$d/$name.pem" 2>/dev/null
	rm -f "$d/$name.csr" "$d/$name.ext"
}

# tls_selfsigned - self-signed key+cert $2 with CN $3 (in $1)
tls_selfsigned() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$1/$2.key" -out "$1/$2.pem" -days 30 -subj "/CN=$3" \
		"${@:4}" 2>/dev/null
}

# tls_fp - sha256 fingerprint of cert $1 as Postfix's ccert_fingerprint
# shows it (upper-case colon hex of the DER certificate)
tls_fp() {
	openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/^.*=//'
}

# tls_pkey_fp - sha256 of the DER SubjectPublicKeyInfo of cert $1, as
# Postfix's ccert_pubkey_fingerprint
tls_pkey_fp() {
	openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER |
		openssl dgst -sha256 -c | sed 's/^.*= *//' | tr 'a-f' 'A-F'
}

# stack_tls - test CA, server cert, trusted client cert, untrusted other cert
stack_tls() {
	local d=$RW_TLS_DIR
	[ -s "$d/other.pem" ] && return 0
	mkdir -p "$d"
	tls_selfsigned "$d" ca "relaywarden e2e test CA" \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign
	tls_cert "$d" server mx.example.test serverAuth
	tls_cert "$d" client partner.example.test clientAuth
	tls_selfsigned "$d" other other.example.test
	chmod 0600 "$d"/*.key
}

# stack_sasl - sasldb with alice@example.test, and Cyrus's smtpd.conf
stack_sasl() {
	mkdir -p "$RW_PF_ETC/sasl"
	cat >"$RW_PF_ETC/sasl/smtpd.conf" <<-EOF
		pwcheck_method: auxprop
		auxprop_plugin: sasldb
		sasldb_path: $RW_SASLDB
		mech_list: PLAIN LOGIN
	EOF
	rm -f "$RW_SASLDB"
	printf '%s' "$RW_SASL_PASS" |
		saslpasswd2 -f "$RW_SASLDB" -p -c -u example.test alice
	# smtpd reads the db as mail_owner after dropping privileges
	chown root:postfix "$RW_SASLDB"
	chmod 0640 "$RW_SASLDB"
	sasldblistusers2 -f "$RW_SASLDB" | grep -q '^alice@example.test:' ||
		die "sasldb has no alice@example.test"
}

# stack_sink_script - the pipe(8) delivery script: stdin to a file in $1
stack_sink_script() {
	mkdir -p "$RW_DIR/bin"
	cat >"$RW_DIR/bin/sink.sh" <<-'EOF'
		#!/bin/sh
		# sink.sh DIR QUEUE_ID RECIPIENT - store one delivered message
		set -eu
		tmp=$(mktemp "$1/.tmp.XXXXXX")
		cat >"$tmp"
		mv "$tmp" "$1/$2-$$.eml"
	EOF
	chmod 0755 "$RW_DIR/bin" "$RW_DIR/bin/sink.sh"
	mkdir -p "$RW_SINK/relay" "$RW_SINK/local"
	chown nobody:nogroup "$RW_SINK/relay" "$RW_SINK/local"
	chmod 0755 "$RW_SINK" "$RW_SINK/relay" "$RW_SINK/local"
}

# stack_main_cf - Postfix main.cf for the throwaway instance
stack_main_cf() {
	cat >"$RW_PF_ETC/main.cf" <<-EOF
		# relaywarden e2e - generated by tests/e2e/stack.sh; do not edit
		$(rw_postfix_main_base "$RW_DIR/postfix" "$RW_PF_SPOOL" postfix-rw-e2e "$RW_LOG_DIR")

		myhostname = mx.example.test
		mydomain = example.test
		myorigin = \$mydomain
		mydestination = example.test
		append_dot_mydomain = no
		smtpd_banner = \$myhostname ESMTP relaywarden-e2e
		smtpd_error_sleep_time = 0
		in_flow_delay = 0

		# Every delivery goes to the sink (pipe services in master.cf).
		default_transport = rwsink
		relay_transport = rwsink
		local_transport = rwlocal
		rwsink_destination_recipient_limit = 1
		rwlocal_destination_recipient_limit = 1

		# The policy server is the sole relay authority. Its request must
		# finish within 10s (two tries, 1s apart), so a hung or dead
		# policyd shows as the default action within swaks's 30s timeout;
		# idle connections are kept 300s, under policyd's idle_timeout.
		smtpd_relay_restrictions =
		    check_policy_service inet:127.0.0.1:$RW_POLICY_PORT, reject
		smtpd_recipient_restrictions = reject_non_fqdn_recipient
		smtpd_policy_service_default_action = 451 4.3.5 Server configuration problem
		# Limits are charged once per message, at END-OF-MESSAGE (the
		# accepted recipients and the size), by the same policy server.
		smtpd_end_of_data_restrictions =
		    check_policy_service inet:127.0.0.1:$RW_POLICY_PORT
		smtpd_policy_service_timeout = 10s
		smtpd_policy_service_try_limit = 2
		smtpd_policy_service_retry_delay = 1s
		smtpd_policy_service_max_idle = 300s
		smtpd_policy_service_max_ttl = 1000s
		smtpd_policy_service_request_limit = 0

		# STARTTLS on every listener; client certificates asked for and
		# verified against the test CA; fingerprints as sha256 colon hex.
		smtpd_tls_security_level = may
		smtpd_tls_cert_file = $RW_TLS_DIR/server.pem
		smtpd_tls_key_file = $RW_TLS_DIR/server.key
		smtpd_tls_CAfile = $RW_TLS_DIR/ca.pem
		smtpd_tls_ask_ccert = yes
		smtpd_tls_fingerprint_digest = sha256
		smtpd_tls_loglevel = 1
		smtpd_tls_received_header = yes

		# SMTP AUTH (enabled on the submission listener only): Cyrus SASL,
		# sasldb; Debian's Postfix reads <config_directory>/sasl/smtpd.conf.
		smtpd_sasl_auth_enable = no
		smtpd_sasl_type = cyrus
		smtpd_sasl_path = smtpd
		cyrus_sasl_config_path = $RW_PF_ETC/sasl
		smtpd_sasl_security_options = noanonymous
		smtpd_sasl_tls_security_options = noanonymous
		smtpd_sasl_local_domain =
		smtpd_tls_auth_only = yes
	EOF
}

# stack_master_cf - master.cf: two smtpd listeners, no chroot, sink pipes
stack_master_cf() {
	local sink="pipe flags=DOR user=nobody:nogroup argv=$RW_DIR/bin/sink.sh"
	cat >"$RW_PF_ETC/master.cf" <<-EOF
		# relaywarden e2e - generated by tests/e2e/stack.sh; do not edit
		127.0.0.1:$RW_SMTP_PORT inet n - n - - smtpd
		127.0.0.1:$RW_SUBMISSION_PORT inet n - n - - smtpd
		  -o syslog_name=postfix-rw-e2e/submission
		  -o smtpd_tls_security_level=encrypt
		  -o smtpd_sasl_auth_enable=yes
		  -o smtpd_policy_service_policy_context=submission
		  -o milter_macro_daemon_name=submission
		$(rw_postfix_services)
		rwsink    unix  - n n - - $sink $RW_SINK/relay \${queue_id} \${recipient}
		rwlocal   unix  - n n - - $sink $RW_SINK/local \${queue_id} \${recipient}
	EOF
}

# stack_postfix_conf - write and check the Postfix instance's configuration
stack_postfix_conf() {
	local out
	mkdir -p "$RW_PF_ETC" "$RW_PF_SPOOL" "$RW_DIR/postfix/data" "$RW_LOG_DIR"
	chown postfix:postfix "$RW_DIR/postfix/data"
	stack_main_cf
	milter_main_cf >>"$RW_PF_ETC/main.cf"
	stack_master_cf
	out=$(postfix -c "$RW_PF_ETC" check 2>&1) || {
		printf '%s\n' "$out" >&2
		die "postfix check failed"
	}
	[ -z "$out" ] || printf '%s\n' "$out" >&2
}

# stack_policyd_conf - relaywarden.conf for the e2e instance
stack_policyd_conf() {
	local fp
	fp=$(tls_fp "$RW_TLS_DIR/client.pem")
	cat >"$RW_CONF" <<-EOF
		# relaywarden e2e - generated by tests/e2e/stack.sh; do not edit
		instance = "e2e"
		local_domains = { "example.test" }

		sender_login "alice@example.test" {
		    senders = { "alice@example.test" }
		}

		# SASL relay only on the submission listener (policy_context) and
		# its port, and only over TLS (the listener enforces STARTTLS, so
		# this also checks that policyd sees the TLS attributes).
		relay "submission" {
		    type = sasl
		    listeners = { "submission" }
		    ports = { $RW_SUBMISSION_PORT }
		    require_tls = true
		    sender_login = enforce
		}

		relay "office" {
		    type = network
		    networks = { "127.0.0.2" }
		}

		# client.pem (signed by the test CA); other.pem is not listed.
		relay "partner" {
		    type = certificate
		    fingerprints = { "$fp" }
		}

		# The same partner for relaywarden-milter: Postfix gives milters
		# the verified certificate's CNs, never a fingerprint.
		relay "partner-cn" {
		    type = certificate
		    subject = "partner.example.test"
		    issuer = "relaywarden e2e test CA"
		}

		# Limits apply to SASL users only (alice): other scenarios are
		# not counted. Charged at END-OF-MESSAGE, peeked at RCPT.
		limit "alice-messages" {
		    charge = sasl_user
		    unit = messages
		    rate = "3/1h"
		    burst = 3
		}

		quota "alice-recipients" {
		    charge = sasl_user
		    window = day
		    recipients = 6
		}

		# The stack's private redis-server. A generous deadline: the
		# e2e build may run under ASan on a busy machine.
		redis {
		    servers = { "127.0.0.1:$RW_REDIS_PORT" }
		    timeout_ms = 1000
		    connect_timeout_ms = 1000
		}

		# SPF egress: relayed mail leaves from 127.0.0.1; a sender domain
		# whose SPF does not list it is refused before relay (what the
		# receiver would see). The stack's DNS server serves the records.
		dns {
		    upstreams = { "$RW_DNS" }
		    timeout_ms = 2000
		}

		spf {
		    egress = reject
		    egress_addresses = { "127.0.0.1" }
		    budget_ms = 5000
		    receiver = "mx.example.test"
		}

		policyd {
		    listen = { "inet:127.0.0.1:$RW_POLICY_PORT" }
		    metrics = "inet:127.0.0.1:$RW_POLICY_METRICS_PORT"
		}

		audit {
		    file = "$RW_AUDIT"
		}

		log {
		    target = stderr
		}
	EOF
	milter_conf_sections "$RW_MILTER_CHECKS" >>"$RW_CONF"
}

# policyd_up - true once policyd accepts connections on its port
policyd_up() {
	port_open "$RW_POLICY_PORT" && return 0
	local child
	child=$(cat "$RW_DIR/run/policyd.child" 2>/dev/null || true)
	# still starting, or daemonized (the child exited, the pidfile names it)
	pid_is "$child" relaywarden-policyd && return 1
	[ -s "$RW_POLICYD_PIDFILE" ] && return 1
	echo "stack.sh: relaywarden-policyd exited during start-up" >&2
	return 2
}

# policyd_start - start relaywarden-policyd, wait until it listens
policyd_start() {
	[ -x "$RW_POLICYD" ] ||
		die "no policyd binary at $RW_POLICYD (set RW_BUILD or RW_POLICYD)"
	mkdir -p "$RW_DIR/run"
	rm -f "$RW_POLICYD_PIDFILE"
	: >"$RW_AUDIT"
	"$RW_POLICYD" -e -c "$RW_CONF" -P "$RW_POLICYD_PIDFILE" \
		</dev/null >>"$RW_POLICYD_LOG" 2>&1 &
	echo $! >"$RW_DIR/run/policyd.child"
	local rc=0
	WAIT_TENTHS=150 wait_until policyd_up || rc=$?
	[ "$rc" = 0 ] || die "relaywarden-policyd is not listening on 127.0.0.1:$RW_POLICY_PORT"
}

# policyd_stop - TERM the policyd we started (pidfile, else our child)
policyd_stop() {
	local pid p
	for p in "$(cat "$RW_POLICYD_PIDFILE" 2>/dev/null || true)" \
		"$(cat "$RW_DIR/run/policyd.child" 2>/dev/null || true)"; do
		pid_is "$p" relaywarden-policyd || continue
		kill -TERM "$p" 2>/dev/null || true
		WAIT_TENTHS=50 wait_until pid_gone "$p" relaywarden-policyd ||
			kill -KILL "$p" 2>/dev/null || true
	done
	rm -f "$RW_DIR/run/policyd.child"
	pid=$(cat "$RW_POLICYD_PIDFILE" 2>/dev/null || true)
	pid_is "$pid" relaywarden-policyd || rm -f "$RW_POLICYD_PIDFILE"
}

# postfix_running - true if this instance's master runs
postfix_running() {
	[ -f "$RW_PF_ETC/main.cf" ] &&
		postfix -c "$RW_PF_ETC" status >/dev/null 2>&1
}

# postfix_listening - true once both listeners send a 220 banner
postfix_listening() {
	smtp_banner "$RW_SMTP_PORT" | grep -q '^220 ' &&
		smtp_banner "$RW_SUBMISSION_PORT" | grep -q '^220 '
}

# postfix_start - start the instance, wait for both listeners
postfix_start() {
	postfix -c "$RW_PF_ETC" start >>"$RW_LOG_DIR/postfix-start.log" 2>&1 ||
		die "postfix start failed (see $RW_LOG_DIR/postfix-start.log)"
	WAIT_TENTHS=200 wait_until postfix_listening ||
		die "Postfix listeners 127.0.0.1:$RW_SMTP_PORT/$RW_SUBMISSION_PORT do not answer"
}

# postfix_gone - true when no process works in this instance's queue
# directory any more (Postfix daemons chdir there; children outlive the
# master by a moment after "postfix stop")
postfix_gone() {
	local d
	for d in /proc/[0-9]*; do
		[ "$(readlink "$d/cwd" 2>/dev/null)" = "$RW_PF_SPOOL" ] && return 1
	done
	return 0
}

# postfix_stop - stop the instance and wait for its processes to exit
postfix_stop() {
	postfix_running || return 0
	postfix -c "$RW_PF_ETC" stop >/dev/null 2>&1 || true
	if ! WAIT_TENTHS=100 wait_until postfix_gone; then
		postfix -c "$RW_PF_ETC" abort >/dev/null 2>&1 || true
		WAIT_TENTHS=30 wait_until postfix_gone ||
			echo "stack.sh: Postfix processes of $RW_DIR still running" >&2
	fi
}

# stack_dump_logs - show the logs after a failed start
stack_dump_logs() {
	local f
	for f in "$RW_LOG_DIR/postfix-start.log" "$RW_MAILLOG" "$RW_POLICYD_LOG" "$RW_MILTER_LOG" \
		"$RW_LOG_DIR/redis.log" "$RW_LOG_DIR/unbound.log"; do
		[ -s "$f" ] || continue
		echo "----- $f (last 60 lines) -----" >&2
		tail -n 60 "$f" >&2
	done
}

# stack_write_env - record the stack's variables in DIR/stack.env
stack_write_env() {
	local v
	{
		for v in RW_DIR RW_SMTP_PORT RW_SUBMISSION_PORT RW_POLICY_PORT RW_POLICY_METRICS_PORT \
			RW_REDIS_PORT RW_DNS_PORT RW_DNS RW_REDIS_PIDFILE RW_DNS_PIDFILE \
			RW_SASL_USER RW_SASL_PASS RW_TLS_DIR RW_SINK RW_AUDIT \
			RW_MAILLOG RW_POLICYD_LOG RW_POLICYD_PIDFILE RW_CONF \
			RW_PF_ETC RW_PF_SPOOL RW_POLICYD RW_CLI; do
			printf '%s=%q\n' "$v" "${!v}"
		done
		printf 'RW_SINK_RELAY=%q\n' "$RW_SINK/relay"
		printf 'RW_SINK_LOCAL=%q\n' "$RW_SINK/local"
		printf 'RW_CLIENT_FP=%q\n' "$(tls_fp "$RW_TLS_DIR/client.pem")"
		printf 'RW_CLIENT_PKEY_FP=%q\n' "$(tls_pkey_fp "$RW_TLS_DIR/client.pem")"
		printf 'RW_OTHER_FP=%q\n' "$(tls_fp "$RW_TLS_DIR/other.pem")"
		milter_write_env
	} >"$RW_DIR/stack.env"
}

# stack_preflight - root, tools, a usable DIR, free ports
stack_preflight() {
	local t p
	[ "$(id -u)" = 0 ] || die "must run as root (Postfix's master)"
	for t in postfix postconf openssl saslpasswd2 sasldblistusers2 timeout \
		redis-server /usr/sbin/unbound /usr/bin/python3; do
		command -v "$t" >/dev/null || die "$t not found"
	done
	case $RW_DIR in
	*[[:space:]]*) die "DIR must not contain white space: $RW_DIR" ;;
	esac
	postfix_running && die "$RW_DIR: Postfix already running (stack.sh down first)"
	for p in "$RW_SMTP_PORT" "$RW_SUBMISSION_PORT" "$RW_POLICY_PORT" \
		"$RW_POLICY_METRICS_PORT" "$RW_REDIS_PORT" "$RW_DNS_PORT"; do
		! port_open "$p" || die "127.0.0.1:$p is already in use"
	done
	udp_port_free "$RW_DNS_PORT" || die "127.0.0.1:$RW_DNS_PORT (UDP) is already in use"
	milter_preflight
	# smtpd (as postfix) reads the sasldb, pipe (as nobody) writes the sink
	chmod 0755 "$RW_DIR"
	runuser -u nobody -- test -x "$RW_DIR" ||
		die "$RW_DIR is not reachable by unprivileged users (parent modes)"
}

# stack_up - build and start the whole stack
stack_up() {
	stack_preflight
	mkdir -p "$RW_LOG_DIR" "$RW_DIR/run"
	: >"$RW_LOG_DIR/postfix-start.log"
	trap 'stack_dump_logs; stack_down' EXIT
	stack_tls
	stack_sasl
	stack_sink_script
	milter_dkim_key
	stack_postfix_conf
	stack_policyd_conf
	stack_write_env
	redis_start
	dns_start
	policyd_start
	milter_start
	postfix_start
	trap - EXIT
	echo "stack.sh: up in $RW_DIR (smtp $RW_SMTP_PORT, submission $RW_SUBMISSION_PORT," \
		"policy $RW_POLICY_PORT, redis $RW_REDIS_PORT, dns $RW_DNS)"
}

# stack_down - stop Postfix, policyd, DNS and Redis; safe to call twice
stack_down() {
	postfix_stop
	milter_stop
	policyd_stop
	dns_stop
	redis_stop
}

# stack_main - dispatch the sub-command
stack_main() {
	local cmd=${1:-} dir
	case $cmd in
	up) dir=$(stack_dir "${2:-}" create) ;;
	env | down | checks) dir=$(stack_dir "${2:-}") || {
		[ "$cmd" = down ] && return 0
		die "no such directory: ${2:-}"
	} ;;
	*) die "usage: stack.sh up|env|down DIR | checks DIR MODE" ;;
	esac
	# a started stack's own values win over the caller's environment
	if [ "$cmd" != up ] && [ -f "$dir/stack.env" ]; then
		# shellcheck disable=SC1091
		. "$dir/stack.env"
	fi
	stack_vars "$dir"
	case $cmd in
	up) stack_up ;;
	down) stack_down ;;
	checks) milter_checks_mode "${3:-}" ;;
	env) if [ -f "$RW_DIR/stack.env" ]; then cat "$RW_DIR/stack.env"; else
		die "$RW_DIR: no stack.env (stack.sh up first)"; fi ;;
	esac
}

# shellcheck source=services.sh
. "$STACK_HERE/services.sh"
# shellcheck source=milter.sh
. "$STACK_HERE/milter.sh"

stack_main "$@"
