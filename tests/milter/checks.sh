# checks.sh - sourced by tests/milter/run.sh: the end-of-message checks.
#
# unbound on a free 127.0.0.1 port serves the DKIM keys of the conformance
# vectors rfc6376 and rfc8463 (key files turned into local-data), the SPF
# record of football.example.com (permits the client 198.51.100.7 and our
# egress address 192.0.2.25) and its DMARC record (p=reject, strict);
# every other name is NXDOMAIN. A second milter (checks section, no Redis)
# runs checks.lua and bounds.py in enforce mode (budget.py runs a third
# milter against a DNS server that never answers), then, after SIGHUP,
# checks.lua in shadow mode; the audit records are checked here. Uses run.sh's work, milter, luadir,
# fail, wait_port; every process is stopped by PID.
# Vectors: ../shared/conformance/dkim or $RW_SHARED/conformance/dkim.

vdir="${RW_SHARED:-$srcdir/../shared}/conformance/dkim"
UNBOUND=/usr/sbin/unbound

. "$srcdir/tests/lib/unbound.sh"

# checks_zone - local-data lines: the key files, SPF and DMARC records
checks_zone() {
	cat >"$work/records.txt" <<'REC'
football.example.com v=spf1 ip4:198.51.100.7 ip4:192.0.2.25 -all
_dmarc.football.example.com v=DMARC1; p=reject; adkim=s; aspf=s
REC
	rw_txt_local_data "$vdir/rfc6376/keys.txt" "$vdir/rfc8463/keys.txt" "$work/records.txt"
}

# checks_config MODE - the checks milter's configuration
checks_config() {
	cat >"$work/checks.conf" <<EOF
instance = "milter-checks"
local_domains = { "example.test" }
relay "office" {
	type = network
	networks = { "192.0.2.0/24" }
}
dns {
	upstreams = { "127.0.0.1@$dns_port" }
	timeout_ms = 1000
}
spf {
	egress_addresses = { "192.0.2.25" }
}
checks {
	dkim = $1
	spf = $1
	alignment = $1
	authserv_id = "mx.example.test"
}
milter {
	listen = "inet:$checks_port@127.0.0.1"
}
audit {
	file = "checks-audit.jsonl"
	syslog = false
}
log {
	target = stderr
	debug = true
}
EOF
}

# audit_has WHAT PATTERN... - some audit record matches every pattern (fixed strings)
audit_has() {
	local what=$1 line
	shift
	while IFS= read -r line; do
		local ok=1 p
		for p in "$@"; do
			case "$line" in *"$p"*) ;; *) ok=0; break ;; esac
		done
		[ "$ok" = 1 ] && return 0
	done <"$work/checks-audit.jsonl"
	fail "no audit record: $what"
	return 1
}

# checks_lua PHASE - checks.lua against the checks milter
checks_lua() {
	RW_MILTER_SOCK="inet:$checks_port@127.0.0.1" RW_LUA_DIR="$luadir" RW_PHASE="$1" \
		RW_VDIR="$vdir" miltertest -s "$luadir/checks.lua" || fail "checks.lua $1"
}

# checks_run - unbound, the checks milter, both phases
checks_run() {
	local checks_pid i
	dns_port=$(rw_free_port)
	checks_port=$(rw_free_port)
	checks_zone >"$work/zone.conf"
	{
		rw_unbound_conf "$work" "$dns_port"
		echo '    local-zone: "." static'
		echo "    include: \"$work/zone.conf\""
	} >"$work/unbound.conf"
	"$UNBOUND" -d -c "$work/unbound.conf" &
	unbound_pid=$!
	wait_port "$dns_port" || { fail "unbound did not start"; return; }
	checks_config enforce
	"$milter" -c "$work/checks.conf" -e >"$work/checks.log" 2>&1 &
	checks_pid=$!
	milter_pid=$checks_pid	# run.sh's cleanup stops it
	wait_port "$checks_port" || { fail "checks milter did not start"; return; }

	checks_lua enforce
	audit_has "aligned relay, DKIM pass" '"verdict":"DUNNO"' \
		'"dkim":{"mode":"enforce","result":"pass"' \
		'"spf":{"mode":"enforce","direction":"egress","result":"pass","domain":"football.example.com","ip":"192.0.2.25"}' \
		'"alignment":{"mode":"enforce","result":"pass","finding":"ok","from_domain":"football.example.com","how":"dkim+spf",' \
		'"org_method":"treewalk","org_domain":"football.example.com","dmarc_record":"_dmarc.football.example.com","policy":"reject","policy_tag":"p","testing":false}'
	audit_has "forged From refused" '"verdict":"REJECT"' '"reply":"550 5.7.1 multiple From headers' \
		'"finding":"multiple From headers"'
	audit_has "inbound SPF pass" '"direction":"inbound","result":"pass"' '"ip":"198.51.100.7"' \
		'"verdict":"DUNNO"'
	audit_has "inbound SPF fail refused" '"direction":"inbound","result":"fail"' \
		'"reply":"550 5.7.23 ' '"verdict":"REJECT"'

	/usr/bin/python3 "$luadir/bounds.py" "$checks_port" || fail "bounds.py"
	/usr/bin/python3 "$luadir/budget.py" "$milter" "$vdir" "$work" || fail "budget.py"
	audit_has "1 MB header field refused" '"queue_id":"QBIG"' '"verdict":"REJECT"' \
		'"reply":"552 5.6.0 header field X-Big is too long ('
	audit_has "unsigned, no From: alignment's refusal" '"queue_id":"QNOFROM"' \
		'"verdict":"REJECT"' '"reply":"550 5.7.1 ' '"dkim":{"mode":"enforce","result":"none"'

	checks_config shadow
	: >"$work/checks-audit.jsonl"
	kill -HUP "$checks_pid"
	for i in $(seq 1 100); do
		grep -q 'event=reloaded' "$work/checks.log" && break
		sleep 0.05
	done
	grep -q 'event=reloaded' "$work/checks.log" || fail "checks milter: no reload"
	checks_lua shadow
	audit_has "shadow: forged From accepted and audited" '"verdict":"DUNNO"' \
		'"alignment":{"mode":"shadow","result":"fail","finding":"multiple From headers"' \
		'alignment: fail would refuse; mode shadow accepts'
	audit_has "shadow: inbound SPF fail accepted" '"verdict":"DUNNO"' \
		'"spf":{"mode":"shadow","direction":"inbound","result":"fail"'

	kill -TERM "$checks_pid"
	for i in $(seq 1 150); do
		kill -0 "$checks_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$checks_pid" 2>/dev/null && fail "checks milter still running after SIGTERM"
	wait "$checks_pid" 2>/dev/null
	milter_pid=
	kill "$unbound_pid" 2>/dev/null && wait "$unbound_pid" 2>/dev/null
	unbound_pid=
}

if [ ! -f "$vdir/vectors.json" ]; then
	fail "DKIM vectors not found in $vdir (set RW_SHARED)"
elif [ ! -x "$UNBOUND" ]; then
	echo "SKIP: message checks: no $UNBOUND"
else
	checks_run
fi
