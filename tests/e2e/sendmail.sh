#!/bin/bash
# sendmail.sh - end-to-end tests against a real Sendmail 8.17: Debian's
# sendmail-bin, unpacked (apt-get download, dpkg -x) into the test's own
# directory and never installed (it conflicts with the postfix package),
# run with a sendmail.cf that m4 builds from the shipped
# deploy/sendmail/relaywarden.mc (only its socket path changed) and
# relaywarden-milter on a unix socket; swaks drives it.
#
#   sendmail.sh          run every scenario, print one line per check and
#                        "N passed, M failed"; exit 1 on any failure
#
# Sendmail's own rules decide first: it relays for 127.0.0.1 (its default,
# "originated locally"), for 127.0.0.2 (RELAY_DOMAIN) and for SMTP AUTH
# (TRUST_AUTH_MECH), and refuses 127.0.0.3. Inside what Sendmail permits
# the milter narrows: relaywarden.conf permits only the network 127.0.0.2
# and SASL users on the listener named MSA. Scenarios: a stranger's relay
# refused by the milter (554 5.7.1), a client Sendmail itself refuses (the
# milter never sees that recipient), the allowlisted client's relay, local
# delivery, alice's SASL relay on MSA and refused on MTA, every milter
# audit record (component milter, listener = {daemon_name}, queue id = i,
# sasl.username = {auth_authen}) against the schema, and the milter down
# (F=T: 4xx, nothing accepted).
#
# Nothing outside DIR is written: no /etc/mail, no package installed. DIR
# holds the unpacked packages (pkg/), the configuration (etc/: the .mc, the
# .cf, Cyrus SASL's Sendmail.conf and sasldb), the queue (spool/), the
# milter's socket (run/milter/, owned by the milter's user, nobody or
# RW_SENDMAIL_MILTER_USER, mode 0750, as the package's /run/relaywarden;
# the milter runs as that user), the delivery sink (sink/{relay,local}/,
# one file per recipient named QUEUEID-*.eml, written by bin/sink.sh as
# the "local" mailer and the smart host's "rwsink" mailer), logs (log/).
# Every process is started here and stopped by PID; the Sendmail
# processes are found by their executable, DIR/pkg/.../sendmail.
#
# Needs root with CAP_SYS_ADMIN (Sendmail runs in its own UTS and mount
# namespaces: see sm), network access to a Debian mirror (apt-get
# download; or RW_SENDMAIL_DEBS, a directory holding the .deb files), m4,
# swaks, saslpasswd2, setpriv, unshare, /usr/bin/python3 and the milter
# binary (RW_MILTER, default $RW_BUILD/milter/relaywarden-milter). DIR is
# made under RW_SENDMAIL_BASE (default /run): Sendmail does not start with
# a milter socket below a world-writable directory such as /tmp. Ports:
# RW_SENDMAIL_MTA_PORT (2625) and RW_SENDMAIL_MSA_PORT (2687), moved along
# when taken (clear of stack.sh's 2525, 2587, 10040, 10041, 15353, 16379).
# RW_E2E_KEEP=1 keeps DIR; RW_E2E_VERBOSE=1 prints the swaks transcripts.
# shellcheck disable=SC2317 # cleanup, finish... reached via traps
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
AUDIT_CHECK=$HERE/audit_check.py
PY=/usr/bin/python3
RW_BUILD=${RW_BUILD:-${top_builddir:-$PWD}}
RW_MILTER=${RW_MILTER:-$RW_BUILD/milter/relaywarden-milter}
SHIPPED_MC=$TOP/deploy/sendmail/relaywarden.mc
SEQ=0
TOKEN="$$.$RANDOM"
SASL_USER=alice@example.test
SASL_PASS=alice-pw
DENIED="Relay access denied"
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$HERE/common.sh"

# die - a failed step after which nothing can be checked: report, stop
die() {
	fail "$@"
	finish
}

# cleanup - stop Sendmail and the milter, remove DIR (trap; runs once)
cleanup() {
	[ -n "${DIR:-}" ] || return 0
	sendmail_stop
	milter_stop
	if [ "${RW_E2E_KEEP:-0}" = 1 ]; then
		echo "kept $DIR"
	else
		rm -rf "$DIR"
	fi
	DIR=
}

# free_port - $1 if nothing listens on 127.0.0.1:$1, else the next free one
free_port() {
	local p
	for ((p = $1; p < $1 + 100; p++)); do
		port_open "$p" || { echo "$p"; return; }
	done
	echo "$1"
}

# preflight - root and the tools
preflight() {
	local t
	[ "$(id -u)" = 0 ] || die preflight "must run as root (Sendmail's daemon)"
	for t in swaks m4 setpriv unshare apt-get apt-cache dpkg-deb dpkg-query saslpasswd2 ldd \
		"$PY"; do
		command -v "$t" >/dev/null || die preflight "$t not found"
	done
	[ -x "$RW_MILTER" ] ||
		die preflight "no milter binary at $RW_MILTER (set RW_BUILD or RW_MILTER)"
	[ -r "$SHIPPED_MC" ] || die preflight "$SHIPPED_MC missing"
	unshare --uts --mount --propagation private true 2>/dev/null ||
		die preflight "unshare --uts --mount refused (needs CAP_SYS_ADMIN; see sm)"
	# Cyrus SASL's search path for Sendmail.conf; the third one, the
	# multiarch /usr/lib/TRIPLET/sasl2, holds the plugins: not covered
	for SASL_DIR in /etc/sasl2 /etc/sasl /usr/lib/sasl2 ""; do
		[ -d "$SASL_DIR" ] && break
		[ "$SASL_DIR" != /etc/sasl ] || ! compgen -G '/usr/lib/*/sasl2/Sendmail.conf' ||
			die preflight "$(compgen -G '/usr/lib/*/sasl2/Sendmail.conf') would be used"
	done
	[ -n "$SASL_DIR" ] || die preflight "no Cyrus SASL configuration directory (libsasl2-2)"
}

# setup_vars - DIR's paths and the ports
setup_vars() {
	PKG=$DIR/pkg
	ETC=$DIR/etc
	SINK=$DIR/sink
	LOG=$DIR/log
	RW_AUDIT=$LOG/audit.jsonl
	MILTER_LOG=$LOG/milter.log
	MILTER_SOCK=$DIR/run/milter/milter.sock
	MILTER_USER=${RW_SENDMAIL_MILTER_USER:-nobody}
	SM_BIN=$PKG/usr/libexec/sendmail/sendmail
	MTA_PORT=${RW_SENDMAIL_MTA_PORT:-$(free_port 2625)}
	MSA_PORT=${RW_SENDMAIL_MSA_PORT:-$(free_port 2687)}
	mkdir -p "$PKG" "$ETC/sasl" "$SINK/relay" "$SINK/local" "$LOG" \
		"$DIR/spool/mqueue" "$DIR/run/milter" "$DIR/bin" "$DIR/swaks" "$DIR/debs"
	chmod 0700 "$DIR/spool/mqueue"
	# the milter's socket directory as the package makes /run/relaywarden:
	# its user's, 0750 (Sendmail checks the path; it connects as root)
	chown "$MILTER_USER:$(id -gn "$MILTER_USER")" "$DIR/run/milter"
	chmod 0750 "$DIR/run/milter"
	install -o "$MILTER_USER" -m 0640 /dev/null "$RW_AUDIT"
}

# sendmail_packages - the packages to unpack: sendmail-bin, sendmail-cf
# (the m4 files) and the libraries sendmail-bin depends on that this
# machine lacks (apt-cache depends; liblockfile1 and libwrap0 here)
sendmail_packages() {
	local dep
	echo sendmail-bin sendmail-cf
	apt-cache depends --no-recommends --no-suggests sendmail-bin 2>/dev/null |
		sed -n 's/^ *Depends: \(lib[^ <>]*\)$/\1/p' | sort -u |
		while read -r dep; do
			dpkg-query -W -f='${Status}\n' "$dep" 2>/dev/null |
				grep -q ' installed$' || echo "$dep"
		done
}

# sendmail_unpack - download (or take from RW_SENDMAIL_DEBS) and unpack
# the packages into PKG; the unpacked sendmail loses its setgid bit (else
# the loader ignores LD_LIBRARY_PATH, SM_LIB: the unpacked libraries)
sendmail_unpack() {
	local debs=$DIR/debs pkgs p f out
	pkgs=$(sendmail_packages)
	if [ -n "${RW_SENDMAIL_DEBS:-}" ]; then
		debs=$RW_SENDMAIL_DEBS
	else
		# apt's _apt user must be able to write the download directory
		chown _apt "$debs" 2>/dev/null || true
		# shellcheck disable=SC2086 # one word per package
		out=$(cd "$debs" && apt-get download $pkgs 2>&1) ||
			die "download" "apt-get download failed:" "$out"
	fi
	for p in $pkgs; do
		f=$(find "$debs" -maxdepth 1 -name "${p}_*.deb" | sort | tail -n 1)
		[ -n "$f" ] || die "unpack" "no $p package in $debs"
		dpkg-deb -x "$f" "$PKG" || die "unpack" "dpkg-deb -x $f failed"
	done
	[ -x "$SM_BIN" ] || die "unpack" "no $SM_BIN in the packages"
	chmod g-s "$SM_BIN"
	SM_LIB=$(find "$PKG" -name 'lib*.so.*' -printf '%h\n' | sort -u | paste -sd:)
	out=$(LD_LIBRARY_PATH=$SM_LIB ldd "$SM_BIN" | grep 'not found')
	[ -z "$out" ] || die "unpack" "libraries missing for $SM_BIN:" "$out"
	f=$(find "$debs" -maxdepth 1 -name 'sendmail-bin_*.deb' | sort | tail -n 1)
	pass "sendmail: sendmail-bin $(dpkg-deb -f "$f" Version) unpacked in $PKG"
}

# sm - run the unpacked Sendmail with the test's configuration, an empty
# environment (Sendmail clears it anyway) and, in its own UTS and mount
# namespaces, two things that it only takes from the system: the host name
# (Sendmail qualifies it before it reads the .cf, and sleeps a minute when
# it cannot: mx.example.test here) and Cyrus SASL's Sendmail.conf, looked
# up in fixed directories only (ETC/sasl bound over the first of them that
# exists, SASL_DIR). Nothing is visible outside the namespaces.
# shellcheck disable=SC2016 # the inner script's own arguments
sm() {
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LD_LIBRARY_PATH="$SM_LIB" \
		unshare --uts --mount --propagation private sh -c \
		'hostname mx.example.test && mount --bind "$1" "$2" && shift 2 && exec "$@"' \
		sm "$ETC/sasl" "$SASL_DIR" "$SM_BIN" -C "$ETC/sendmail.cf" "$@"
}

# sink_script - the delivery "mailer": DIR QUEUE_ID RECIPIENT, the message
# on stdin, stored with the recipient in a first header line
sink_script() {
	cat >"$DIR/bin/sink.sh" <<-'EOS'
		#!/bin/sh
		# sink.sh DIR QUEUE_ID RECIPIENT - store one delivered message
		set -eu
		tmp=$(mktemp "$1/.tmp.XXXXXX")
		{ printf 'X-Sink-Recipient: %s\n' "$3"; cat; } >"$tmp"
		mv "$tmp" "$1/$2-$$.eml"
	EOS
	chmod 0755 "$DIR/bin/sink.sh"
}

# test_mc - the test's sendmail.mc: own paths for everything Sendmail
# reads or writes, two listeners (Name=MTA, Name=MSA), relaying as the
# header says, every delivery to the sink, and the shipped
# relaywarden.mc included with its socket (S=) pointed at the test's
sendmail_mc() {
	local cf=$PKG/usr/share/sendmail/cf
	cat <<-EOF
		divert(-1)
		# relaywarden e2e - generated by tests/e2e/sendmail.sh; do not edit
		divert(0)dnl
		include(\`$cf/m4/cf.m4')dnl
		OSTYPE(\`linux')dnl
		define(\`confDOMAIN_NAME', \`mx.example.test')dnl
		define(\`confDONT_PROBE_INTERFACES', \`True')dnl
		define(\`QUEUE_DIR', \`$DIR/spool/mqueue')dnl
		define(\`STATUS_FILE', \`$DIR/spool/sendmail.st')dnl
		define(\`confHOST_STATUS_DIRECTORY', \`')dnl
		define(\`confDEAD_LETTER_DROP', \`$DIR/spool/dead.letter')dnl
		define(\`confPID_FILE', \`$DIR/run/sendmail.pid')dnl
		define(\`ALIAS_FILE', \`$ETC/aliases')dnl
		define(\`HELP_FILE', \`$ETC/helpfile')dnl
		define(\`confCR_FILE', \`-o $ETC/relay-domains')dnl
		define(\`confSERVICE_SWITCH_FILE', \`$ETC/service.switch')dnl
		define(\`confHOSTS_FILE', \`$ETC/hosts')dnl
		dnl Deliver before answering the end of DATA: the sink has the copy then.
		define(\`confDELIVERY_MODE', \`interactive')dnl
		dnl No RFC 1413 ident queries to the clients.
		define(\`confTO_IDENT', \`0')dnl
		FEATURE(\`no_default_msa')dnl
		DAEMON_OPTIONS(\`Port=$MTA_PORT, Addr=127.0.0.1, Name=MTA')dnl
		DAEMON_OPTIONS(\`Port=$MSA_PORT, Addr=127.0.0.1, Name=MSA, M=E')dnl
		dnl Sendmail's own relay decision, made before the milter is asked:
		dnl 127.0.0.1 relays by default, 127.0.0.2 here, SMTP AUTH users too.
		LOCAL_DOMAIN(\`example.test')dnl
		FEATURE(\`accept_unresolvable_domains')dnl
		RELAY_DOMAIN(\`127.0.0.2')dnl
		define(\`confAUTH_MECHANISMS', \`PLAIN LOGIN')dnl
		TRUST_AUTH_MECH(\`PLAIN LOGIN')dnl
		dnl Local mail and relayed mail both go to bin/sink.sh.
		define(\`LOCAL_MAILER_PATH', \`$DIR/bin/sink.sh')dnl
		define(\`LOCAL_MAILER_ARGS', \`sink.sh $SINK/local \$i \$u')dnl
		define(\`LOCAL_MAILER_FLAGS', \`S')dnl
		MODIFY_MAILER_FLAGS(\`LOCAL', \`-wA')dnl
		define(\`SMART_HOST', \`rwsink:sink')dnl
		dnl The shipped lines (deploy/sendmail/relaywarden.mc).
		include(\`$ETC/relaywarden.mc')dnl
		MAILER(\`local')dnl
		MAILER(\`smtp')dnl
		MAILER_DEFINITIONS
		Mrwsink, P=$DIR/bin/sink.sh, F=lsDFMS9, S=EnvFromL, T=DNS/RFC822/X-Unix, A=sink.sh $SINK/relay \$i \$u
	EOF
}

# sendmail_conf - the .cf (m4), Sendmail's small files, SASL (sasldb with
# alice, Sendmail.conf)
sendmail_conf() {
	local out n
	n=$(grep -c "^INPUT_MAIL_FILTER(\`relaywarden', \`S=" "$SHIPPED_MC")
	[ "$n" = 1 ] || die "mc" "$SHIPPED_MC: expected one INPUT_MAIL_FILTER(\`relaywarden', \`S=..."
	sed "/^INPUT_MAIL_FILTER(/s|S=[^,']*|S=unix:$MILTER_SOCK|" "$SHIPPED_MC" \
		>"$ETC/relaywarden.mc"
	sink_script
	sendmail_mc >"$ETC/sendmail.mc"
	out=$(m4 "$ETC/sendmail.mc" 2>&1 >"$ETC/sendmail.cf") ||
		die "mc" "m4 failed" "$out"
	[ -z "$out" ] || die "mc" "m4 complains:" "$out"
	grep -q "^Xrelaywarden, S=unix:$MILTER_SOCK, F=T" "$ETC/sendmail.cf" ||
		die "mc" "sendmail.cf has no Xrelaywarden line with the test socket and F=T"
	pass "sendmail.cf built by m4 from the shipped relaywarden.mc"
	: >"$ETC/aliases"
	: >"$ETC/relay-domains"
	: >"$ETC/helpfile"
	printf 'hosts\tfiles\naliases\tfiles\n' >"$ETC/service.switch"
	printf '127.0.0.1\tlocalhost mx.example.test\n' >"$ETC/hosts"
	cat >"$ETC/sasl/Sendmail.conf" <<-EOF
		pwcheck_method: auxprop
		auxprop_plugin: sasldb
		sasldb_path: $ETC/sasldb2
		mech_list: PLAIN LOGIN
	EOF
	printf '%s' "$SASL_PASS" |
		saslpasswd2 -f "$ETC/sasldb2" -p -c -u example.test alice ||
		die "sasl" "saslpasswd2 failed"
	chmod 0600 "$ETC/sasldb2"
}

# milter_conf - relaywarden.conf: relay for the network 127.0.0.2 and SASL
# users on the listener MSA ({daemon_name}); nothing else
milter_conf() {
	cat >"$DIR/relaywarden.conf" <<-EOF
		# relaywarden e2e - generated by tests/e2e/sendmail.sh; do not edit
		instance = "sendmail-e2e"
		local_domains = { "example.test" }
		charge_at = milter

		sender_login "$SASL_USER" {
		    senders = { "$SASL_USER" }
		}

		relay "msa" {
		    type = sasl
		    listeners = { "MSA" }
		    ports = { $MSA_PORT }
		    sender_login = enforce
		}

		relay "office" {
		    type = network
		    networks = { "127.0.0.2" }
		}

		milter {
		    listen = "unix:$MILTER_SOCK"
		}

		audit {
		    file = "$RW_AUDIT"
		}

		log {
		    target = stderr
		}
	EOF
}

# milter_start - start relaywarden-milter as MILTER_USER (as the shipped
# unit does), wait for its socket
milter_start() {
	setpriv --reuid="$MILTER_USER" --regid="$(id -g "$MILTER_USER")" --init-groups -- \
		"$RW_MILTER" -e -c "$DIR/relaywarden.conf" </dev/null >>"$MILTER_LOG" 2>&1 &
	MILTER_PID=$!
	WAIT_TENTHS=150 wait_until test -S "$MILTER_SOCK" ||
		die "milter" "no socket $MILTER_SOCK" "$(tail -n 5 "$MILTER_LOG")"
	pass "milter: as $MILTER_USER on $MILTER_SOCK (its directory $MILTER_USER's, 0750)"
}

# milter_stop - TERM the milter we started, KILL it after 20 s
milter_stop() {
	[ -n "${MILTER_PID:-}" ] || return 0
	if pid_is "$MILTER_PID" relaywarden-milter; then
		kill -TERM "$MILTER_PID" 2>/dev/null
		WAIT_TENTHS=200 wait_until pid_gone "$MILTER_PID" relaywarden-milter ||
			kill -KILL "$MILTER_PID" 2>/dev/null
	fi
	wait "$MILTER_PID" 2>/dev/null
	MILTER_PID=
}

# sendmail_pids - every process running the unpacked sendmail (the daemon
# and its children: sessions, deliveries)
sendmail_pids() {
	local d
	for d in /proc/[0-9]*; do
		[ "$(readlink "$d/exe" 2>/dev/null)" = "$SM_BIN" ] && echo "${d#/proc/}"
	done
}

# sendmail_gone - true once no process runs the unpacked sendmail
sendmail_gone() {
	[ -z "$(sendmail_pids)" ]
}

# smtp_banner - the first reply line of the SMTP server on 127.0.0.1:$1
smtp_banner() {
	local fd line
	{ exec {fd}<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
	IFS= read -r -t 3 line <&"$fd" && printf 'QUIT\r\n' >&"$fd"
	exec {fd}>&-
	[[ ${line:-} == 220\ * ]]
}

# sendmail_listening - both listeners greet, or 2 once the daemon is gone
sendmail_listening() {
	smtp_banner "$MTA_PORT" && smtp_banner "$MSA_PORT" && return 0
	pid_is "$SM_PID" "" || return 2
	return 1
}

# sendmail_start - the daemon in the foreground (-bD), no queue runs
sendmail_start() {
	sm -bD </dev/null >>"$LOG/sendmail.out" 2>&1 &
	SM_PID=$!
	WAIT_TENTHS=150 wait_until sendmail_listening ||
		die "sendmail" "not listening on 127.0.0.1:$MTA_PORT and :$MSA_PORT" \
			"$(tail -n 20 "$LOG/sendmail.out")"
	pass "sendmail: daemon $SM_PID listening on 127.0.0.1:$MTA_PORT (MTA), :$MSA_PORT (MSA)"
}

# sendmail_stop - TERM every unpacked-sendmail process, KILL after 10 s
sendmail_stop() {
	[ -n "${SM_BIN:-}" ] || return 0
	local pids
	pids=$(sendmail_pids)
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086 # one word per PID
	kill -TERM $pids 2>/dev/null
	WAIT_TENTHS=100 wait_until sendmail_gone || {
		pids=$(sendmail_pids)
		# shellcheck disable=SC2086
		[ -z "$pids" ] || kill -KILL $pids 2>/dev/null
	}
	[ -z "${SM_PID:-}" ] || wait "$SM_PID" 2>/dev/null
	SM_PID=
}

# reply_to - the server's reply to the client line matching ERE $1 in the
# last transcript
reply_to() {
	awk -v re="$1" '$0 ~ "^ *[-~]> " re { f = 1; next }
	     f && /^<[-~*]/ { sub(/^<[-~*]+ +/, ""); print; exit }' "$OUT"
}

# reply_id - the decision id that ends the milter's refusal of RCPT
reply_id() {
	reply_to 'RCPT TO:' | sed -n 's/.*(id \([0-9a-f]*\))\r\{0,1\}$/\1/p'
}

# queue_id - Sendmail's queue id in the last transcript's reply to DATA
queue_id() {
	sed -n 's/.*250 2\.0\.0 \([0-9A-Za-z]*\) Message accepted for delivery.*/\1/p' \
		"$OUT" | tail -n 1
}

# expect_reply - WHEN NAME CODE DSN TEXT: the reply to RCPT ("RCPT"), the
# end of DATA ("DATA") or MAIL ("MAIL") starts with CODE DSN (globs) and
# contains TEXT
expect_reply() {
	local when=$1 name=$2 code=$3 dsn=$4 text=${5:-} got
	case $when in
	RCPT) got=$(reply_to 'RCPT TO:') ;;
	MAIL) got=$(reply_to 'MAIL FROM:') ;;
	DATA) got=$(reply_to '\.\r?$') ;;
	esac
	# shellcheck disable=SC2053 # code and dsn may be globs
	if [[ $got == $code\ $dsn\ * && $got == *"$text"* ]]; then
		pass "$name: $when $got"
	else
		fail "$name: $when reply" "expected: $code $dsn ...$text..." \
			"got:      ${got:-<none>} (transcript $OUT)"
	fi
}

# expect_audit - NAME RECIPIENT CHECK...: the milter's RCPT record for
# RECIPIENT written during the last swaks run satisfies every CHECK
# (audit_check.py)
expect_audit() {
	local name=$1 rcpt=$2 out
	shift 2
	if out=$("$PY" "$AUDIT_CHECK" --stage RCPT --component milter "$RW_AUDIT" \
		"$AUDIT_MARK" "$rcpt" "$@"); then
		pass "$name: audit $*"
	else
		mapfile -t lines <<<"$out"
		fail "$name: audit" "${lines[@]}"
	fi
}

# expect_no_audit - NAME RECIPIENT: no milter record for RECIPIENT since
# the last swaks run began (RW_AUDIT_WAIT=0: the reply came already)
expect_no_audit() {
	local out
	out=$(RW_AUDIT_WAIT=0 "$PY" "$AUDIT_CHECK" --component milter "$RW_AUDIT" \
		"$AUDIT_MARK" "$2")
	if [ $? = 2 ]; then
		pass "$1: no milter record for $2"
	else
		fail "$1: the milter decided $2 after all" "$out"
	fi
}

# expect_sink - NAME KIND RECIPIENT: the accepted message is in the sink
# (Sendmail delivers before it answers: DeliveryMode=interactive)
expect_sink() {
	local name=$1 kind=$2 rcpt=$3 qid f
	qid=$(queue_id)
	if [ -z "$qid" ]; then
		fail "$name: not accepted" "$(grep -E '^ *<' "$OUT" | tail -n 2)"
		return
	fi
	f=$(grep -lx "X-Sink-Recipient: $rcpt" "$SINK/$kind/$qid"-*.eml 2>/dev/null |
		head -n 1)
	if [ -n "$f" ] && grep -q "^Subject: rw-e2e $SEQ $TOKEN" "$f"; then
		pass "$name: delivered to sink/$kind for $rcpt (queue id $qid)"
	else
		fail "$name: sink" "no copy of $qid for $rcpt in $SINK/$kind" \
			"$(ls "$SINK/$kind")"
	fi
}

# expect_not_delivered - NAME: no copy of the last message in the sink
expect_not_delivered() {
	if grep -rqx "Subject: rw-e2e $SEQ $TOKEN" "$SINK"; then
		fail "$1: delivered after all" "$(grep -rlx "Subject: rw-e2e $SEQ $TOKEN" "$SINK")"
	else
		pass "$1: nothing delivered"
	fi
}

# s1_stranger - 127.0.0.1: Sendmail relays for it ("originated locally"),
# the milter refuses
s1_stranger() {
	smtp --port "$MTA_PORT" --from someone@elsewhere.test --to bob@remote.test
	expect_reply RCPT 1-stranger 554 5.7.1 "$DENIED"
	expect_audit 1-stranger bob@remote.test verdict=REJECT rule=null "id=$(reply_id)" \
		component=milter host=sendmail-e2e client_address=127.0.0.1 \
		listener=MTA "listener_port=$MTA_PORT" queue_id? \
		sender=someone@elsewhere.test "reply^=554 5.7.1" "reply*=$DENIED"
	expect_not_delivered 1-stranger
}

# s2_sendmail_refuses - 127.0.0.3 is in no relay class: Sendmail's own
# check_rcpt refuses and the milter never sees the recipient
s2_sendmail_refuses() {
	smtp --port "$MTA_PORT" --local-interface 127.0.0.3 \
		--from someone@elsewhere.test --to carol@remote.test
	expect_reply RCPT 2-sendmail-first 550 5.7.1 "Relaying denied"
	expect_no_audit 2-sendmail-first carol@remote.test
}

# s3_office - the allowlisted client's relay: permitted, delivered
s3_office() {
	smtp --port "$MTA_PORT" --local-interface 127.0.0.2 \
		--from clerk@office.test --to bob@remote.test
	expect_reply RCPT 3-office 250 2.1.5
	expect_reply DATA 3-office 250 2.0.0 "Message accepted for delivery"
	expect_audit 3-office bob@remote.test verdict=OK rule=office \
		client_address=127.0.0.2 listener=MTA "queue_id=$(queue_id)" \
		sasl_username!
	expect_sink 3-office relay bob@remote.test
}

# s4_local - mail for the local domain from anyone: not relay, delivered
s4_local() {
	smtp --port "$MTA_PORT" --from someone@elsewhere.test --to bob@example.test
	expect_reply RCPT 4-local 250 2.1.5
	expect_reply DATA 4-local 250 2.0.0
	expect_audit 4-local bob@example.test verdict=OK \
		client_address=127.0.0.1 "queue_id=$(queue_id)"
	expect_sink 4-local local bob
}

# s5_alice_msa - alice (AUTH PLAIN) on the MSA listener relays:
# {auth_authen} and {daemon_name} reach the milter
s5_alice_msa() {
	smtp --port "$MSA_PORT" --auth PLAIN --auth-user "$SASL_USER" \
		--auth-password "$SASL_PASS" --from "$SASL_USER" --to dave@remote.test
	expect_reply RCPT 5-alice-msa 250 2.1.5
	expect_reply DATA 5-alice-msa 250 2.0.0
	expect_audit 5-alice-msa dave@remote.test verdict=OK rule=msa \
		"sasl_username=$SASL_USER" sasl_method=PLAIN listener=MSA \
		"listener_port=$MSA_PORT" "queue_id=$(queue_id)" "sender=$SASL_USER"
	expect_sink 5-alice-msa relay dave@remote.test
}

# s6_alice_mta - the same login on the MTA listener: Sendmail trusts the
# login (TRUST_AUTH_MECH), the milter's rule names MSA only: refused
s6_alice_mta() {
	smtp --port "$MTA_PORT" --auth PLAIN --auth-user "$SASL_USER" \
		--auth-password "$SASL_PASS" --from "$SASL_USER" --to dave@remote.test
	expect_reply RCPT 6-alice-mta 554 5.7.1 "$DENIED"
	expect_audit 6-alice-mta dave@remote.test verdict=REJECT \
		"sasl_username=$SASL_USER" listener=MTA
}

# s7_alice_foreign_sender - alice may not use another's envelope sender
s7_alice_foreign_sender() {
	smtp --port "$MSA_PORT" --auth PLAIN --auth-user "$SASL_USER" \
		--auth-password "$SASL_PASS" --from mallory@other.test --to dave@remote.test
	expect_reply RCPT 7-alice-sender 553 5.7.1 "not owned by user $SASL_USER"
	expect_audit 7-alice-sender dave@remote.test verdict=REJECT rule=msa "id=$(reply_id)" \
		"sasl_username=$SASL_USER" sender=mallory@other.test
}

# s8_milter_down - F=T: with the milter stopped Sendmail answers 4xx and
# accepts nothing (it never relays unchecked mail)
s8_milter_down() {
	milter_stop
	smtp --port "$MTA_PORT" --local-interface 127.0.0.2 \
		--from clerk@office.test --to bob@remote.test
	expect_reply MAIL 8-milter-down 451 4.3.2 "try again later"
	expect_not_delivered 8-milter-down
}

# main - unpack, configure, start, run every scenario, report
main() {
	preflight
	DIR=$(mktemp -d "${RW_SENDMAIL_BASE:-/run}/rw-sendmail.XXXXXX") ||
		die preflight "cannot make a directory under ${RW_SENDMAIL_BASE:-/run}"
	chmod 0755 "$DIR"
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	setup_vars
	sendmail_unpack
	sendmail_conf
	milter_conf
	milter_start
	sendmail_start
	s1_stranger
	s2_sendmail_refuses
	s3_office
	s4_local
	s5_alice_msa
	s6_alice_mta
	s7_alice_foreign_sender
	expect_schema "$RW_AUDIT"
	s8_milter_down
	expect_no_sanitizer_reports "$MILTER_LOG"
	finish
}

main "$@"
