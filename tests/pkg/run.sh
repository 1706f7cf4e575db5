#!/bin/bash
# run.sh - the packaging tier: build the Debian package from this tree,
# lintian it, install it with dpkg -i on this machine, start the installed
# daemons exactly as their installed units would (tests/pkg/unitrun.py:
# ExecStartPre, ExecStart, User, Group, UMask, EnvironmentFile, READY=1),
# put a throwaway Postfix with smtpd chrooted (chroot "y") and the shipped
# main.cf/master.cf snippets in front, and check with swaks: a refused
# relay, an authenticated relay through the milter's unix socket, the audit
# records in /var/log/relaywarden, a logrotate run that both daemons follow;
# then a real Sendmail (sendmail-bin unpacked with dpkg -x, a .cf built from
# the shipped .mc lines) in front of the milter: a refused relay, an
# allowlisted client's relay, local delivery, the audit records; then
# dpkg --purge and check that nothing is left.
#
#   tests/pkg/run.sh [WORKDIR]     (root; Debian 12 with debhelper, lintian,
#                                   postfix, swaks, sasl2-bin installed)
#
# Prints "ok N - what" or "FAIL N - what" per check and a last line
# "pkg: P passed, F failed"; exits 1 on any failure. Refuses to run when a
# relaywarden package or user is already on the machine (it installs and
# purges its own). Ports (loopback): RW_PKG_SMTP_PORT (2725),
# RW_PKG_SUBMISSION_PORT (2787), RW_PKG_SENDMAIL_PORT (2925), apart from
# tests/e2e/stack.sh's. apt-get download needs the Debian mirror.
#
# The throwaway Postfix has its own config and queue directories (WORK/etc,
# WORK/spool), so its chroot is WORK/spool, not /var/spool/postfix: the
# test makes WORK/spool/relaywarden exactly as the installed tmpfiles.d
# entry makes /var/spool/postfix/relaywarden (owner, group, mode read from
# it) and points the two listen options of the installed configuration
# there; main.cf names the sockets as shipped (unix:relaywarden/...).
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
here="$top/tests/pkg"
SMTP_PORT=${RW_PKG_SMTP_PORT:-2725}
SUB_PORT=${RW_PKG_SUBMISSION_PORT:-2787}
SM_PORT=${RW_PKG_SENDMAIL_PORT:-2925}
SASL_PASS=alice-pkg-pw
n=0 passed=0 failed=0
installed=0 pf_up=0
policyd_pid='' milter_pid='' sm_pid=''

# shellcheck source=tests/lib/postfix.sh
. "$top/tests/lib/postfix.sh"

# ok WHAT / fail WHAT [DETAIL] - record one check
ok() {
	n=$((n + 1)) passed=$((passed + 1))
	echo "ok $n - $1"
}
fail() {
	n=$((n + 1)) failed=$((failed + 1))
	echo "FAIL $n - $1"
	[ $# -lt 2 ] || printf '%s\n' "$2" | sed 's/^/    /'
}

# check WHAT CMD... - ok if CMD succeeds, else fail with its output
check() {
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$what"; else fail "$what" "$out"; fi
}

# replied WHAT PATTERN OUTPUT - ok if the SMTP dialogue OUTPUT has a line
# matching PATTERN (grep -E), else fail showing it
replied() {
	if printf '%s\n' "$3" | grep -E -q "$2"; then ok "$1"; else fail "$1" "$3"; fi
}

# finish - print the tally and exit
finish() {
	echo "pkg: $passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit $?
}

# die WHY - a check that stops the tier (nothing after it can run)
die() {
	fail "$1" "${2:-}"
	finish
}

# stop_pid PID NAME - TERM a daemon we started, wait (bounded) for it
stop_pid() {
	local pid=$1 i
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid"
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	echo "run.sh: $2 ($pid) did not stop in 30 s; killing it" >&2
	kill -KILL "$pid" 2>/dev/null || true
	return 1
}

# cleanup - stop what we started, purge what we installed (trap)
cleanup() {
	stop_pid "$sm_pid" sendmail
	stop_pid "$milter_pid" relaywarden-milter
	stop_pid "$policyd_pid" relaywarden-policyd
	[ "$pf_up" = 0 ] || postfix -c "$W/etc" stop >/dev/null 2>&1 || true
	[ "$installed" = 0 ] || dpkg_locked --purge relaywarden >/dev/null 2>&1 || true
	[ "${RW_PKG_KEEP:-0}" = 1 ] || rm -rf "$W"
}

# port_free PORT - nothing listens on 127.0.0.1:PORT
port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# ---- preconditions -------------------------------------------------------

[ "$(id -u)" = 0 ] || die "run as root"
for tool in dpkg-buildpackage lintian dh swaks postfix saslpasswd2 setpriv logrotate \
	systemd-analyze systemd-tmpfiles openssl m4 apt-get; do
	command -v "$tool" >/dev/null || die "$tool is missing (deploy/install-deps.sh installs it)"
done
if dpkg-query -W -f='${Status}' relaywarden 2>/dev/null | grep -q 'installed'; then
	die "a relaywarden package is already installed; this tier installs and purges its own"
fi
getent passwd relaywarden >/dev/null && die "a relaywarden user exists already"
for p in "$SMTP_PORT" "$SUB_PORT" "$SM_PORT"; do
	port_free "$p" || die "127.0.0.1:$p is in use"
done
W=$(mktemp -d "${1:-/tmp}/rw-pkg.XXXXXX")
chmod 0755 "$W"
trap cleanup EXIT

# ---- build and lintian ---------------------------------------------------

# The tree as git knows it (tracked and new files, not ignored build output).
mkdir -p "$W/build/src"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$top" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf -) | tar -x -C "$W/build/src"
else
	tar -C "$top" --exclude='./build*' -cf - . | tar -x -C "$W/build/src"
fi
if (cd "$W/build/src" && dpkg-buildpackage -us -uc -b) >"$W/build/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b builds the package"
else
	die "dpkg-buildpackage -us -uc -b builds the package" "$(tail -30 "$W/build/build.log")"
fi
deb=$(ls "$W"/build/relaywarden_*_*.deb)
changes=$(ls "$W"/build/relaywarden_*.changes)
rc=0
out=$(lintian --fail-on error,warning "$changes" 2>&1) || rc=$?
out=$(printf '%s\n' "$out" | grep -v '^running with root' || true)
if [ "$rc" = 0 ]; then
	ok "lintian: no errors, no warnings (overrides: debian/relaywarden.lintian-overrides)"
	[ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/    lintian: /'
else
	fail "lintian: no errors, no warnings" "$out"
fi

# ---- install -------------------------------------------------------------

# dpkg_locked ARGS - dpkg ARGS, waiting (up to 5 min) while another process
# holds dpkg's lock (apt on a shared test machine)
dpkg_locked() {
	local i out rc
	for ((i = 0; i < 300; i++)); do
		rc=0
		out=$(DEBIAN_FRONTEND=noninteractive dpkg "$@" 2>&1) || rc=$?
		if [ "$rc" = 0 ] || ! printf '%s\n' "$out" | grep -q 'lock'; then
			printf '%s\n' "$out"
			return "$rc"
		fi
		sleep 1
	done
	printf '%s\n' "$out"
	return 1
}

if out=$(dpkg_locked -i "$deb"); then
	installed=1
	ok "dpkg -i $(basename "$deb")"
else
	installed=1
	die "dpkg -i $(basename "$deb")" "$out"
fi
dpkg -L relaywarden | sort >"$W/filelist"

# has_files - every file the package must install
has_files() {
	local f missing=''
	for f in /usr/sbin/relaywarden-policyd /usr/sbin/relaywarden-milter /usr/bin/relaywarden \
		/usr/share/man/man1/relaywarden.1.gz /usr/share/man/man5/relaywarden.conf.5.gz \
		/usr/share/man/man8/relaywarden-policyd.8.gz /usr/share/man/man8/relaywarden-milter.8.gz \
		/etc/relaywarden/relaywarden.conf /etc/default/relaywarden \
		/etc/logrotate.d/relaywarden /usr/lib/tmpfiles.d/relaywarden.conf \
		/lib/systemd/system/relaywarden-policyd.service \
		/lib/systemd/system/relaywarden-milter.service \
		/usr/share/doc/relaywarden/examples/postfix/main.cf.snippet \
		/usr/share/doc/relaywarden/examples/postfix/main.cf.milter.snippet \
		/usr/share/doc/relaywarden/examples/postfix/master.cf.snippet \
		/usr/share/doc/relaywarden/examples/sendmail/relaywarden.mc; do
		[ -f "$f" ] || missing="$missing $f"
	done
	[ -z "$missing" ] || { echo "missing:$missing"; return 1; }
}
check "installs daemons in /usr/sbin, CLI in /usr/bin, man pages, units, tmpfiles, logrotate, config, examples" has_files

# conffiles - the files in /etc are conffiles
conffiles() {
	local c f
	c=$(dpkg-query -W -f='${Conffiles}\n' relaywarden)
	for f in /etc/relaywarden/relaywarden.conf /etc/default/relaywarden /etc/logrotate.d/relaywarden; do
		printf '%s\n' "$c" | grep -q "^ $f " || { echo "not a conffile: $f"; return 1; }
	done
}
check "relaywarden.conf, /etc/default/relaywarden and the logrotate file are conffiles" conffiles

# owner_mode PATH WANT - stat's "user:group mode" of PATH is WANT
owner_mode() {
	local got
	got=$(stat -c '%U:%G %a' "$1" 2>&1)
	[ "$got" = "$2" ] || { echo "$1: $got, want $2"; return 1; }
}

# user_group - the system user and group, postfix in the group
user_group() {
	getent passwd relaywarden | awk -F: '$3 >= 1000 { exit 1 } $7 !~ /nologin|false/ { exit 1 }' ||
		{ echo "relaywarden is not a system user without a shell: $(getent passwd relaywarden)"; return 1; }
	getent group relaywarden >/dev/null || { echo "no group relaywarden"; return 1; }
	id -Gn postfix | tr ' ' '\n' | grep -qx relaywarden ||
		{ echo "postfix is not in group relaywarden: $(id -Gn postfix)"; return 1; }
}
check "postinst: relaywarden system user and group, postfix in the group" user_group
check "/etc/relaywarden: root:relaywarden 750" owner_mode /etc/relaywarden "root:relaywarden 750"
check "relaywarden.conf: root:relaywarden 640" owner_mode /etc/relaywarden/relaywarden.conf "root:relaywarden 640"
check "/etc/default/relaywarden: root:root 600" owner_mode /etc/default/relaywarden "root:root 600"
check "tmpfiles: /run/relaywarden relaywarden:relaywarden 750" owner_mode /run/relaywarden "relaywarden:relaywarden 750"
check "tmpfiles: /var/spool/postfix/relaywarden relaywarden:relaywarden 750" \
	owner_mode /var/spool/postfix/relaywarden "relaywarden:relaywarden 750"
check "tmpfiles: /var/log/relaywarden relaywarden:adm 2750" owner_mode /var/log/relaywarden "relaywarden:adm 2750"

check "the installed configuration passes check-config" \
	relaywarden check-config -q /etc/relaywarden/relaywarden.conf

# relays_nothing - the shipped configuration refuses every relay
relays_nothing() {
	local req out
	for req in "sasl_username=alice@example.com sender=alice@example.com" \
		"client_address=127.0.0.1" "client_address=192.0.2.10" \
		"ccert_fingerprint=3E:7B:0A:50:2E:74:C4:0A:4D:C7:43:E6:0C:9F:AF:3A:0E:D1:9A:7B:5C:33:05:A2:EA:06:09:7E:A2:1E:28:6D"; do
		# shellcheck disable=SC2086
		out=$(relaywarden explain -c /etc/relaywarden/relaywarden.conf $req \
			recipient=bob@remote.example 2>&1)
		printf '%s\n' "$out" | grep -q '^verdict: REJECT' || { echo "$req: $out"; return 1; }
	done
}
check "the installed configuration relays nothing (explain: SASL user, loopback, a network, a certificate)" relays_nothing

# units_verify - systemd-analyze verify is silent on both units
units_verify() {
	local out
	out=$(systemd-analyze verify /lib/systemd/system/relaywarden-policyd.service \
		/lib/systemd/system/relaywarden-milter.service 2>&1)
	[ -z "$out" ] || { echo "$out"; return 1; }
}
check "systemd-analyze verify: both units" units_verify

# units_hardened - the directives the units must carry
units_hardened() {
	local u d
	for u in /lib/systemd/system/relaywarden-policyd.service /lib/systemd/system/relaywarden-milter.service; do
		for d in 'Type=notify' 'EnvironmentFile=-/etc/default/relaywarden' 'User=relaywarden' \
			'NoNewPrivileges=yes' 'ProtectSystem=strict' 'PrivateTmp=yes' 'PrivateDevices=yes' \
			'CapabilityBoundingSet=' 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' \
			'SystemCallFilter=@system-service' 'UMask=0027' \
			'ReadWritePaths=/var/log/relaywarden -/var/spool/postfix/relaywarden' \
			'Before=postfix.service postfix@-.service'; do
			grep -q -x -F -- "$d" "$u" || grep -q -x -F -- "$d sendmail.service" "$u" ||
				{ echo "$u: no $d"; return 1; }
		done
	done
}
check "units: Type=notify, EnvironmentFile, hardening, ReadWritePaths, before Postfix" units_hardened

# ---- the throwaway Postfix and the daemons -------------------------------

ETC=$W/etc Q=$W/spool
mkdir -p "$ETC/sasl" "$Q/etc" "$W/data" "$W/log" "$W/sink" "$W/bin"
chown postfix:postfix "$W/data"
chown nobody:nogroup "$W/sink"

# The socket directory inside this Postfix's queue directory, made as the
# installed tmpfiles.d entry makes /var/spool/postfix/relaywarden.
line=$(awk '$1 == "d" && $2 == "/var/spool/postfix/relaywarden"' /usr/lib/tmpfiles.d/relaywarden.conf)
read -r _ _ mode owner group _ <<<"$line"
if [ -n "$line" ]; then
	install -d -m "$mode" -o "$owner" -g "$group" "$Q/relaywarden"
	ok "tmpfiles.d names the socket directory (d $mode $owner $group)"
else
	die "tmpfiles.d names the socket directory" "no d line for /var/spool/postfix/relaywarden"
fi

# The installed configuration as an operator edits it: our domain, alice's
# sender, a SASL rule on the submission listener; the sockets in this
# Postfix's queue directory; logs on stderr (the log file here).
conf=/etc/relaywarden/relaywarden.conf
cp -p "$conf" "$W/relaywarden.conf.shipped"
sed -i -e "s|/var/spool/postfix/relaywarden/|$Q/relaywarden/|g" \
	-e 's|^local_domains = { }$|local_domains = { "example.test" }|' \
	-e 's|^\ttarget = syslog$|\ttarget = stderr|' "$conf"
cat >>"$conf" <<EOF

## added by tests/pkg/run.sh
sender_login "alice@example.test" {
	senders = { "alice@example.test" }
}
relay "submission" {
	type = sasl
	listeners = { "submission" }
	require_tls = true
}
EOF
# A secret through /etc/default/relaywarden: the audit chain's key file,
# named as ${RELAYWARDEN_HMAC_KEY_FILE} in the configuration.
(umask 077 && openssl rand -hex 32 | tr -d '\n' >/etc/relaywarden/audit.key)
chown relaywarden /etc/relaywarden/audit.key
echo 'RELAYWARDEN_HMAC_KEY_FILE=/etc/relaywarden/audit.key' >>/etc/default/relaywarden
sed -i 's|^\t#hmac_key_file = "${RELAYWARDEN_HMAC_KEY_FILE}"$|\thmac_key_file = "${RELAYWARDEN_HMAC_KEY_FILE}"|' "$conf"
# secret_used - the edited configuration names the variable, not the file
secret_used() {
	grep -q -x -F '	hmac_key_file = "${RELAYWARDEN_HMAC_KEY_FILE}"' "$conf" ||
		{ echo "no hmac_key_file line to enable in $conf"; return 1; }
}
check "the configuration takes the key file from /etc/default/relaywarden (\${VAR})" secret_used
check "the edited configuration passes check-config (with /etc/default/relaywarden)" \
	env RELAYWARDEN_HMAC_KEY_FILE=/etc/relaywarden/audit.key relaywarden check-config -q "$conf"

# TLS for STARTTLS on the submission listener; SASL (sasldb inside the chroot).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-keyout "$ETC/server.key" -out "$ETC/server.pem" -subj /CN=mx.example.test 2>/dev/null
chmod 0600 "$ETC/server.key"
cat >"$ETC/sasl/smtpd.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
sasldb_path: /etc/sasldb2
mech_list: PLAIN LOGIN
EOF
printf '%s' "$SASL_PASS" | saslpasswd2 -f "$Q/etc/sasldb2" -p -c -u example.test alice
chown root:postfix "$Q/etc/sasldb2"
chmod 0640 "$Q/etc/sasldb2"
# what Debian copies into the chroot
for f in services resolv.conf hosts host.conf nsswitch.conf localtime; do
	[ -e "/etc/$f" ] && cp -L "/etc/$f" "$Q/etc/$f"
done

cat >"$W/bin/sink.sh" <<'EOF'
#!/bin/sh
# sink.sh DIR QUEUE_ID - store one delivered message
set -eu
tmp=$(mktemp "$1/.tmp.XXXXXX")
cat >"$tmp"
mv "$tmp" "$1/$2-$$.eml"
EOF
chmod 0755 "$W/bin/sink.sh"

ex=/usr/share/doc/relaywarden/examples
{
	echo "# relaywarden packaging tier - generated by tests/pkg/run.sh"
	rw_postfix_main_base "$W" "$Q" postfix-rw-pkg
	cat <<EOF
myhostname = mx.example.test
mydomain = example.test
mydestination = example.test
smtpd_error_sleep_time = 0
default_transport = rwsink
relay_transport = rwsink
local_transport = rwsink
rwsink_destination_recipient_limit = 1
smtpd_tls_security_level = may
smtpd_tls_cert_file = $ETC/server.pem
smtpd_tls_key_file = $ETC/server.key
smtpd_sasl_auth_enable = no
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $ETC/sasl
smtpd_sasl_security_options = noanonymous
smtpd_sasl_local_domain =

# ---- $ex/postfix/main.cf.snippet, as shipped
EOF
	cat "$ex/postfix/main.cf.snippet"
	echo "# ---- $ex/postfix/main.cf.milter.snippet, as shipped"
	cat "$ex/postfix/main.cf.milter.snippet"
	cat <<EOF
# ---- test override: no DNS on this machine for the shipped
# reject_unknown_recipient_domain (it would refuse remote.example)
smtpd_recipient_restrictions = reject_non_fqdn_recipient
EOF
} >"$ETC/main.cf"
{
	echo "# relaywarden packaging tier - generated by tests/pkg/run.sh; smtpd chrooted"
	echo "127.0.0.1:$SMTP_PORT inet n - y - - smtpd"
	echo "# ---- $ex/postfix/master.cf.snippet, as shipped but on a loopback port"
	sed -e "s|^submission |127.0.0.1:$SUB_PORT |" "$ex/postfix/master.cf.snippet"
	rw_postfix_services | sed 's/^\t*//'
	echo "rwsink unix - n n - - pipe flags=DOR user=nobody:nogroup argv=$W/bin/sink.sh $W/sink \${queue_id}"
} >"$ETC/master.cf"

# chrooted - both smtpd listeners run chrooted
chrooted() {
	local c
	c=$(postconf -c "$ETC" -M 2>&1 | awk '$8 == "smtpd" && $5 == "y"' | wc -l)
	[ "$c" = 2 ] || { postconf -c "$ETC" -M; return 1; }
}
check "Postfix: both smtpd listeners chrooted (chroot y)" chrooted

for unit in policyd milter; do
	pid=$("$here/unitrun.py" start "/lib/systemd/system/relaywarden-$unit.service" \
		"$W/log/$unit.log" 2>"$W/log/$unit.start")
	if [ -n "$pid" ]; then
		ok "relaywarden-$unit started as its unit says (ExecStartPre, ExecStart, User, READY=1)"
	else
		die "relaywarden-$unit started as its unit says" "$(cat "$W/log/$unit.start" "$W/log/$unit.log")"
	fi
	eval "${unit}_pid=$pid"
done

# runs_as - the daemons run as relaywarden:relaywarden with the pid files the units name
runs_as() {
	local pid got
	for pid in "$policyd_pid" "$milter_pid"; do
		got=$(ps -o user:32=,group:32= -p "$pid" | awk '{ print $1, $2 }')
		[ "$got" = "relaywarden relaywarden" ] || { echo "$pid runs as $got"; return 1; }
	done
	[ "$(cat /run/relaywarden/policyd.pid)" = "$policyd_pid" ] &&
		[ "$(cat /run/relaywarden/milter.pid)" = "$milter_pid" ] ||
		{ echo "pid files: $(cat /run/relaywarden/*.pid)"; return 1; }
}
check "both daemons run as relaywarden:relaywarden, pid files in /run/relaywarden" runs_as
check "policyd socket: relaywarden:relaywarden 660" owner_mode "$Q/relaywarden/policyd.sock" "relaywarden:relaywarden 660"
check "milter socket: relaywarden:relaywarden 660" owner_mode "$Q/relaywarden/milter.sock" "relaywarden:relaywarden 660"

# nobody_connects - a user outside the group cannot reach the sockets
nobody_connects() {
	local s
	for s in "$Q/relaywarden/policyd.sock" "$Q/relaywarden/milter.sock"; do
		if setpriv --reuid nobody --regid nogroup --clear-groups -- /usr/bin/python3 -c \
			'import socket,sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])' "$s" 2>/dev/null; then
			echo "nobody connected to $s"
			return 1
		fi
	done
}
check "a user outside group relaywarden cannot connect to either socket" nobody_connects

if out=$(postfix -c "$ETC" check 2>&1 && postfix -c "$ETC" start 2>&1); then
	pf_up=1
	ok "throwaway Postfix starts (postfix -c $ETC start)"
else
	die "throwaway Postfix starts" "$out"
fi
for ((i = 0; i < 100; i++)); do
	port_free "$SMTP_PORT" || break
	sleep 0.1
done

audit=/var/log/relaywarden/audit.jsonl
acheck="$top/tests/e2e/audit_check.py"
lines() { [ -f "$1" ] && wc -l <"$1" || echo 0; }

# ---- a refused relay -----------------------------------------------------

skip=$(lines "$audit")
out=$(swaks --server 127.0.0.1 --port "$SMTP_PORT" --from x@stranger.example \
	--to bob@remote.example --quit-after RCPT --timeout 15 2>&1)
replied "a stranger's relay is refused: 554 5.7.1 Relay access denied" '<\*\* *554 5\.7\.1 .*Relay access denied' "$out"
check "audit: policyd REJECT record for the refused relay" \
	"$acheck" --stage RCPT --component policyd "$audit" "$skip" bob@remote.example \
	verdict=REJECT client_address=127.0.0.1

# ---- an authenticated relay through both daemons -------------------------

# relay_alice N - alice relays message N through the submission listener
relay_alice() {
	swaks --server 127.0.0.1 --port "$SUB_PORT" -tls --auth PLAIN \
		--auth-user alice@example.test --auth-password "$SASL_PASS" \
		--from alice@example.test --to "carol$1@remote.example" \
		--header "Subject: relaywarden packaging tier $1" --timeout 15 2>&1
}

# delivered N - message N reached the sink
delivered() {
	local i
	for ((i = 0; i < 100; i++)); do
		grep -l -q "relaywarden packaging tier $1\$" "$W"/sink/*.eml 2>/dev/null && return 0
		sleep 0.1
	done
	echo "no message $1 in $W/sink"
	return 1
}

skip=$(lines "$audit")
out=$(relay_alice 1)
if printf '%s\n' "$out" | grep -q '<[-~] *250 .*queued as'; then
	ok "alice (SASL, submission, TLS) relays: 250 queued"
else
	fail "alice (SASL, submission, TLS) relays: 250 queued" "$out$(echo; tail -20 "$W/log/maillog")"
fi
check "the relayed message is delivered" delivered 1
check "audit: policyd OK record for alice's relay (rule submission)" \
	"$acheck" --stage RCPT --component policyd "$audit" "$skip" carol1@remote.example \
	verdict=OK rule=submission sasl_username=alice@example.test
check "audit: milter OK record for alice's relay through its unix socket (rule submission)" \
	"$acheck" --stage RCPT --component milter "$audit" "$skip" carol1@remote.example \
	verdict=OK rule=submission sasl_username=alice@example.test
check "audit: every record matches schema/audit-record.schema.json" \
	"$acheck" --schema "$top/schema/audit-record.schema.json" "$audit"
check "audit file: relaywarden:adm 640" owner_mode "$audit" "relaywarden:adm 640"
check "audit: records sealed with the key from /etc/default/relaywarden (mac)" \
	"$acheck" --stage RCPT --component milter "$audit" "$skip" carol1@remote.example "mac?" "chain?"

# ---- logrotate signals both daemons --------------------------------------

if out=$(logrotate -f -s "$W/logrotate.state" /etc/logrotate.d/relaywarden 2>&1) &&
	[ -s "$audit.1" ]; then
	ok "logrotate -f rotates audit.jsonl to audit.jsonl.1"
else
	fail "logrotate -f rotates audit.jsonl to audit.jsonl.1" "$out$(ls -l /var/log/relaywarden)"
fi
old=$(lines "$audit.1")
out=$(relay_alice 2)
printf '%s\n' "$out" | grep -q '<[-~] *250 .*queued as' || fail "alice relays after rotation" "$out"
check "after rotation policyd writes to the new audit.jsonl" \
	"$acheck" --stage RCPT --component policyd "$audit" 0 carol2@remote.example verdict=OK
check "after rotation the milter writes to the new audit.jsonl" \
	"$acheck" --stage RCPT --component milter "$audit" 0 carol2@remote.example verdict=OK
# as the service user: the key is relaywarden's alone (root refuses to open
# a key owned by a user the configuration does not name)
check "relaywarden audit verify (as relaywarden): the chain whole across the rotation" \
	runuser -u relaywarden -- relaywarden audit verify -k /etc/relaywarden/audit.key "$audit.1" "$audit"
# nothing_more - the rotated file got no records after the rotation
nothing_more() {
	[ "$(lines "$audit.1")" = "$old" ] || { echo "audit.jsonl.1 grew from $old lines"; return 1; }
}
check "the rotated file gets nothing after the rotation" nothing_more

# ---- a real Sendmail with the shipped .mc lines -------------------------
#
# Debian's sendmail-bin conflicts with the postfix package: apt-get download
# it (and sendmail-cf, sendmail-base, the two libraries it needs that
# Postfix does not) and dpkg -x it into WORK/sendmail/root. The .cf is built
# with its own cf.m4 from a .mc that includes the installed
# examples/sendmail/relaywarden.mc unchanged (the milter on
# unix:/run/relaywarden/milter.sock, F=T, the macro lists); its own queue,
# a loopback port, Sendmail's relaying opened to 127/8 (RELAY_DOMAIN) so
# that the milter is what narrows it to the allowlisted 127.0.0.2.

# sendmail_stage - unpack, configure and start Sendmail; 1 if it cannot
sendmail_stage() {
	local i
	S=$W/sendmail R=$W/sendmail/root
	mkdir -p "$S/dl" "$R" "$S/q" "$S/etc" "$S/sink"
	chmod 0700 "$S/q"
	chmod 0777 "$S/sink"
	(cd "$S/dl" && apt-get download sendmail-bin sendmail-cf sendmail-base liblockfile1 libwrap0) \
		>"$S/download.log" 2>&1 || { cat "$S/download.log"; return 1; }
	for d in "$S"/dl/*.deb; do dpkg -x "$d" "$R" || return 1; done
	SM=$R/usr/libexec/sendmail/sendmail
	chmod 0755 "$SM"	# set-group-id would make the loader ignore LD_LIBRARY_PATH
	cp "$R/etc/mail/helpfile" "$S/etc/helpfile"
	: >"$S/etc/statistics"
	printf 'hosts files\naliases files\n' >"$S/etc/service.switch"
	printf 'postmaster: root\nMAILER-DAEMON: postmaster\nalice: root\n' >"$S/etc/aliases"
	{
		echo '#!/bin/sh'
		echo '# sink.sh RECIPIENT - store one locally delivered message'
		echo "tmp=\$(mktemp \"$S/sink/.tmp.XXXXXX\") && cat >\"\$tmp\" && mv \"\$tmp\" \"$S/sink/\$1-\$\$.eml\""
	} >"$S/sink.sh"
	chmod 0755 "$S/sink.sh"
	sed -e "s|@R@|$R|g" -e "s|@S@|$S|g" -e "s|@PORT@|$SM_PORT|g" -e "s|@EX@|$ex|g" \
		>"$S/etc/test.mc" <<'MC'
divert(-1)dnl
divert(0)dnl
include(`@R@/usr/share/sendmail/cf/m4/cf.m4')dnl
VERSIONID(`relaywarden packaging tier')dnl
OSTYPE(`linux')dnl
define(`QUEUE_DIR', `@S@/q')dnl
define(`STATUS_FILE', `@S@/etc/statistics')dnl
define(`confHELP_FILE', `@S@/etc/helpfile')dnl
define(`confPID_FILE', `@S@/sendmail.pid')dnl
define(`ALIAS_FILE', `@S@/etc/aliases')dnl
define(`confSERVICE_SWITCH_FILE', `@S@/etc/service.switch')dnl
define(`confDONT_PROBE_INTERFACES', `True')dnl
define(`confDOMAIN_NAME', `mx.example.test')dnl
define(`confCW_FILE', `')dnl
define(`confDONT_BLAME_SENDMAIL', `TrustStickyBit')dnl
define(`LOCAL_MAILER_PATH', `@S@/sink.sh')dnl
define(`LOCAL_MAILER_ARGS', `sink.sh $u')dnl
FEATURE(`nocanonify')dnl
FEATURE(`accept_unresolvable_domains')dnl
LOCAL_DOMAIN(`example.test')dnl
DAEMON_OPTIONS(`Port=@PORT@, Addr=127.0.0.1, Name=MTA')dnl
RELAY_DOMAIN(`127')dnl
include(`@EX@/sendmail/relaywarden.mc')dnl
MAILER(`local')dnl
MAILER(`smtp')dnl
MC
	m4 "$S/etc/test.mc" >"$S/etc/test.cf" 2>"$S/m4.log" || { cat "$S/m4.log"; return 1; }
	grep -q '^Xrelaywarden, S=unix:/run/relaywarden/milter.sock, F=T' "$S/etc/test.cf" ||
		{ echo "no INPUT_MAIL_FILTER line from relaywarden.mc in the .cf"; return 1; }
	LD_LIBRARY_PATH=$R/usr/lib/x86_64-linux-gnu "$SM" -C "$S/etc/test.cf" -bi >"$S/newaliases.log" 2>&1 ||
		{ cat "$S/newaliases.log"; return 1; }
	LD_LIBRARY_PATH=$R/usr/lib/x86_64-linux-gnu "$SM" -C "$S/etc/test.cf" -bd -L rw-pkg-sendmail \
		>"$S/start.log" 2>&1 || { cat "$S/start.log"; return 1; }
	for ((i = 0; i < 100; i++)); do
		! port_free "$SM_PORT" && sm_pid=$(head -1 "$S/sendmail.pid" 2>/dev/null) && return 0
		sleep 0.1
	done
	echo "Sendmail does not listen on 127.0.0.1:$SM_PORT"
	cat "$S/start.log"
	return 1
}

# sm_delivered - the local message reached Sendmail's sink
sm_delivered() {
	local i
	for ((i = 0; i < 150; i++)); do
		grep -l -q 'relaywarden sendmail local$' "$W"/sendmail/sink/*.eml 2>/dev/null && return 0
		sleep 0.1
	done
	echo "nothing in $W/sendmail/sink"
	LD_LIBRARY_PATH=$W/sendmail/root/usr/lib/x86_64-linux-gnu "$SM" -C "$W/sendmail/etc/test.cf" -bp
	return 1
}

# sm_swaks CLIENT RCPT [SWAKS-ARGS] - one message to Sendmail from CLIENT
sm_swaks() {
	local client=$1 rcpt=$2
	shift 2
	swaks --server 127.0.0.1 --port "$SM_PORT" --local-interface "$client" \
		--from x@stranger.example --to "$rcpt" --timeout 15 "$@" 2>&1
}

# The installed milter, configured as for Sendmail: its socket where the
# shipped .mc names it, and a network rule for 127.0.0.2.
sed -i "s|^\tlisten = \"unix:$Q/relaywarden/milter.sock\"\$|\tlisten = \"unix:/run/relaywarden/milter.sock\"|" "$conf"
printf 'relay "allowlisted" {\n\ttype = network\n\tnetworks = { "127.0.0.2" }\n}\n' >>"$conf"
stop_pid "$milter_pid" relaywarden-milter
milter_pid=$("$here/unitrun.py" start /lib/systemd/system/relaywarden-milter.service \
	"$W/log/milter.log" 2>"$W/log/milter.start")
if [ -n "$milter_pid" ] && [ -S /run/relaywarden/milter.sock ]; then
	ok "relaywarden-milter restarted on unix:/run/relaywarden/milter.sock (the Sendmail socket)"
else
	fail "relaywarden-milter restarted on unix:/run/relaywarden/milter.sock" "$(cat "$W/log/milter.start")"
fi
if out=$(sendmail_stage 2>&1); then
	ok "a real Sendmail (sendmail-bin, dpkg -x) runs with the shipped relaywarden.mc lines"
	SM=$W/sendmail/root/usr/libexec/sendmail/sendmail
	sm_pid=$(head -1 "$W/sendmail/sendmail.pid")
	skip=$(lines "$audit")
	out=$(sm_swaks 127.0.0.1 dave@remote.example)
	replied "Sendmail: a relay Sendmail permits is refused by the milter (554 5.7.1)" '<\*\* *554 5\.7\.1 <dave@remote.example>: Relay access denied' "$out"
	check "Sendmail: audit: milter REJECT record (listener MTA)" \
		"$acheck" --stage RCPT --component milter "$audit" "$skip" dave@remote.example \
		verdict=REJECT client_address=127.0.0.1 listener=MTA
	out=$(sm_swaks 127.0.0.2 erin@remote.example)
	replied "Sendmail: the allowlisted client (127.0.0.2) relays" '<- *250 .*accepted for delivery' "$out"
	check "Sendmail: audit: milter OK record (rule allowlisted)" \
		"$acheck" --stage RCPT --component milter "$audit" "$skip" erin@remote.example \
		verdict=OK rule=allowlisted client_address=127.0.0.2
	out=$(sm_swaks 127.0.0.1 alice@example.test --header "Subject: relaywarden sendmail local")
	replied "Sendmail: mail for the local domain is accepted" '<- *250 .*accepted for delivery' "$out"
	check "Sendmail: the local message is delivered" sm_delivered
	check "Sendmail: audit: milter OK record for the local recipient" \
		"$acheck" --stage RCPT --component milter "$audit" "$skip" alice@example.test verdict=OK
else
	fail "a real Sendmail (sendmail-bin, dpkg -x) runs with the shipped relaywarden.mc lines" "$out"
fi
stop_pid "$sm_pid" sendmail
sm_pid=''

# ---- stop, purge, nothing left -------------------------------------------

postfix -c "$ETC" stop >/dev/null 2>&1 && pf_up=0
check "relaywarden-milter stops on SIGTERM" stop_pid "$milter_pid" relaywarden-milter
check "relaywarden-policyd stops on SIGTERM" stop_pid "$policyd_pid" relaywarden-policyd
milter_pid='' policyd_pid=''

if out=$(dpkg_locked --purge relaywarden); then
	installed=0
	ok "dpkg --purge relaywarden"
else
	fail "dpkg --purge relaywarden" "$out"
fi

# nothing_left - no file of the package, no directory it made, no user
nothing_left() {
	local f left=''
	while IFS= read -r f; do
		[ -d "$f" ] && continue	# shared directories (/usr, /etc, ...)
		[ -e "$f" ] || [ -L "$f" ] && left="$left $f"
	done <"$W/filelist"
	for f in /etc/relaywarden /etc/default/relaywarden /var/log/relaywarden \
		/var/spool/postfix/relaywarden /run/relaywarden /usr/share/doc/relaywarden \
		/lib/systemd/system/relaywarden-policyd.service; do
		[ -e "$f" ] && left="$left $f"
	done
	getent passwd relaywarden >/dev/null && left="$left user:relaywarden"
	getent group relaywarden >/dev/null && left="$left group:relaywarden"
	id -Gn postfix | tr ' ' '\n' | grep -qx relaywarden && left="$left postfix-in-group"
	dpkg-query -W relaywarden >/dev/null 2>&1 && left="$left dpkg-status"
	[ -z "$left" ] || { echo "left:$left"; return 1; }
}
check "after purge nothing is left (files, directories, user, group, dpkg status)" nothing_left

finish
