# milter.sh - relaywarden-milter in the e2e stack; sourced by stack.sh,
# which provides die, port_open, pid_is, pid_gone, wait_until,
# service_stop and the RW_* variables.
#
# The milter runs beside policyd with the same relaywarden.conf: stack.sh
# appends the sections written here (charge_at = policyd, so the milter
# only peeks at limits and nothing is counted twice; milter { listen };
# checks { ... } with every check in mode $RW_MILTER_CHECKS, default
# shadow, authserv-id mx.example.test). Postfix lists it in smtpd_milters
# for both listeners (milter_default_action = tempfail) after policyd's
# restrictions. Its audit records go to the same audit file with
# component "milter".
#
# DKIM: a 2048-bit RSA key DIR/dkim/e2e.key (openssl genrsa) whose public
# key the stack's DNS serves as e2e._domainkey.example.test; example.test
# publishes "v=DMARC1; p=reject". tests/e2e/dkim_sign.py signs with it.
#
# `stack.sh checks DIR MODE` rewrites the checks modes and reloads the
# milter (SIGHUP), waiting for its "event=reloaded" line.
# shellcheck shell=bash

# milter_vars - the milter's paths and port
# shellcheck disable=SC2034 # printed by name in milter_write_env
milter_vars() {
	RW_MILTER_PORT=${RW_MILTER_PORT:-10041}
	RW_MILTER_METRICS_PORT=${RW_MILTER_METRICS_PORT:-10049}
	RW_MILTER=${RW_MILTER:-$RW_BUILD/milter/relaywarden-milter}
	RW_MILTER_PIDFILE=$RW_DIR/run/milter.pid
	RW_MILTER_LOG=$RW_LOG_DIR/milter.log
	RW_MILTER_CHECKS=${RW_MILTER_CHECKS:-shadow}
	RW_DKIM_KEY=$RW_DIR/dkim/e2e.key
	RW_DKIM_SELECTOR=e2e
	RW_DKIM_DOMAIN=example.test
	RW_AUTHSERV_ID=mx.example.test
}

# milter_write_env - the milter's variables, for stack.env
milter_write_env() {
	local v
	for v in RW_MILTER_PORT RW_MILTER_METRICS_PORT RW_MILTER RW_MILTER_PIDFILE RW_MILTER_LOG \
		RW_MILTER_CHECKS RW_DKIM_KEY RW_DKIM_SELECTOR RW_DKIM_DOMAIN \
		RW_AUTHSERV_ID; do
		printf '%s=%q\n' "$v" "${!v}"
	done
}

# milter_preflight - the binary, a free port
milter_preflight() {
	[ -x "$RW_MILTER" ] ||
		die "no milter binary at $RW_MILTER (set RW_BUILD or RW_MILTER)"
	! port_open "$RW_MILTER_PORT" || die "127.0.0.1:$RW_MILTER_PORT is already in use"
	! port_open "$RW_MILTER_METRICS_PORT" || die "127.0.0.1:$RW_MILTER_METRICS_PORT is already in use"
}

# milter_dkim_key - the stack's DKIM signing key (made once)
milter_dkim_key() {
	[ -s "$RW_DKIM_KEY" ] && return 0
	mkdir -p "${RW_DKIM_KEY%/*}"
	openssl genrsa -out "$RW_DKIM_KEY" 2048 2>/dev/null ||
		die "openssl genrsa failed"
	chmod 0600 "$RW_DKIM_KEY"
}

# milter_dkim_txt - the DKIM key record of the stack's key, as unbound
# local-data quoted strings of at most 200 characters each
milter_dkim_txt() {
	local p
	p=$(openssl rsa -in "$RW_DKIM_KEY" -pubout -outform DER 2>/dev/null |
		base64 -w0) || die "cannot read $RW_DKIM_KEY"
	printf 'v=DKIM1; k=rsa; p=%s' "$p" | fold -w 200 |
		sed 's/.*/"&"/' | tr '\n' ' ' | sed 's/ $//'
}

# milter_dns_zone - local-data for the DKIM key and example.test's DMARC
milter_dns_zone() {
	[ -s "$RW_DKIM_KEY" ] || return 0
	printf "    local-data: '%s._domainkey.%s. 3600 IN TXT %s'\n" \
		"$RW_DKIM_SELECTOR" "$RW_DKIM_DOMAIN" "$(milter_dkim_txt)"
	printf "    local-data: '_dmarc.%s. 3600 IN TXT \"v=DMARC1; p=reject\"'\n" \
		"$RW_DKIM_DOMAIN"
}

# milter_conf_sections MODE - what the milter adds to relaywarden.conf
milter_conf_sections() {
	cat <<-EOF

		# relaywarden-milter (tests/e2e/milter.sh): policyd charges the
		# limits at END-OF-MESSAGE, the milter only peeks at RCPT.
		charge_at = policyd

		milter {
		    listen = "inet:$RW_MILTER_PORT@127.0.0.1"
		    mta_timeout = 60
		    metrics = "inet:127.0.0.1:$RW_MILTER_METRICS_PORT"
		}

		checks {
		    dkim = $1
		    spf = $1
		    alignment = $1
		    authserv_id = "$RW_AUTHSERV_ID"
		}
	EOF
}

# milter_main_cf - the Postfix main.cf lines for the milter
milter_main_cf() {
	cat <<-EOF

		# relaywarden-milter on both listeners (tests/e2e/milter.sh), after
		# policyd's restrictions; down or slow means 451, never accept.
		smtpd_milters = inet:127.0.0.1:$RW_MILTER_PORT
		non_smtpd_milters =
		milter_protocol = 6
		milter_default_action = tempfail
		milter_connect_timeout = 10s
		milter_command_timeout = 30s
		milter_content_timeout = 60s
		milter_connect_macros = j {daemon_name} {daemon_addr} {daemon_port} {client_addr} v _
		milter_helo_macros = {tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer}
		milter_mail_macros = i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}
		milter_rcpt_macros = i {rcpt_addr} {rcpt_host} {rcpt_mailer}
		milter_end_of_data_macros = i
	EOF
}

# milter_up - true once the milter listens; 2 if it exited
milter_up() {
	port_open "$RW_MILTER_PORT" && return 0
	pid_is "$(cat "$RW_DIR/run/milter.child" 2>/dev/null || true)" \
		relaywarden-milter && return 1
	echo "stack.sh: relaywarden-milter exited during start-up" >&2
	return 2
}

# milter_start - start relaywarden-milter, wait until it listens
milter_start() {
	mkdir -p "$RW_DIR/run"
	rm -f "$RW_MILTER_PIDFILE"
	"$RW_MILTER" -e -c "$RW_CONF" -P "$RW_MILTER_PIDFILE" \
		</dev/null >>"$RW_MILTER_LOG" 2>&1 &
	echo $! >"$RW_DIR/run/milter.child"
	local rc=0
	WAIT_TENTHS=150 wait_until milter_up || rc=$?
	[ "$rc" = 0 ] || die "relaywarden-milter is not listening on 127.0.0.1:$RW_MILTER_PORT"
}

# milter_stop - TERM the milter we started (pidfile, else our child)
milter_stop() {
	local p
	for p in "$(cat "$RW_MILTER_PIDFILE" 2>/dev/null || true)" \
		"$(cat "$RW_DIR/run/milter.child" 2>/dev/null || true)"; do
		pid_is "$p" relaywarden-milter || continue
		kill -TERM "$p" 2>/dev/null || true
		WAIT_TENTHS=200 wait_until pid_gone "$p" relaywarden-milter ||
			kill -KILL "$p" 2>/dev/null || true
	done
	rm -f "$RW_DIR/run/milter.child" "$RW_MILTER_PIDFILE"
}

# milter_checks_mode MODE - rewrite the checks modes in relaywarden.conf,
# SIGHUP the milter, wait for its reload line
milter_checks_mode() {
	local mode=$1 pid before
	case $mode in off | shadow | enforce) ;; *) die "checks mode: $mode" ;; esac
	pid=$(cat "$RW_DIR/run/milter.child" 2>/dev/null || true)
	pid_is "$pid" relaywarden-milter || die "no relaywarden-milter running"
	sed -i -E "s/^(    (dkim|spf|alignment) = )(off|shadow|enforce)\$/\\1$mode/" "$RW_CONF"
	before=$(grep -c 'event=reload' "$RW_MILTER_LOG" || true)
	kill -HUP "$pid"
	WAIT_TENTHS=100 wait_until milter_reloaded "$before" ||
		die "relaywarden-milter did not reload"
	tail -n 5 "$RW_MILTER_LOG" | grep 'event=reload' | tail -n 1 |
		grep -q 'event=reloaded' || die "relaywarden-milter refused the reload"
	sed -i "s/^RW_MILTER_CHECKS=.*/RW_MILTER_CHECKS=$mode/" "$RW_DIR/stack.env"
}

# milter_reloaded - true once the milter log has more reload lines than $1
milter_reloaded() {
	[ "$(grep -c 'event=reload' "$RW_MILTER_LOG" || true)" -gt "$1" ]
}
