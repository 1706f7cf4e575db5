#!/bin/sh
# recipes - every configuration we publish loads with `relaywarden
# check-config` and decides what its text says: docs/recipes/*.conf, the
# packaged deploy/relaywarden.conf (relays nothing), the EXAMPLE of
# relaywarden.conf(5) and the examples of docs/migrating.md.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
RW="$top_builddir/cli/relaywarden"
[ "${RW_VALGRIND:-0}" = 1 ] && RW="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite $RW"
R="$top_srcdir/docs/recipes"
dir=$(mktemp -d /tmp/rw-recipes-XXXXXX)
trap 'rm -rf "$dir"' EXIT
failed=0 checked=0
ok() { echo "ok   $1"; }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

# The secrets the recipes read from /etc/default/relaywarden.
export RELAYWARDEN_REDIS_PASSWORD=recipe-test-pw
export RELAYWARDEN_HMAC_KEY_FILE="$dir/audit.key"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$RELAYWARDEN_HMAC_KEY_FILE"
chmod 0600 "$RELAYWARDEN_HMAC_KEY_FILE"

# loads FILE - check-config accepts FILE
loads() {
	out=$($RW check-config -q "$1" 2>&1) && ok "check-config $(basename "$1")" ||
		fail "check-config $1: $out"
}

# decides CONF VERDICT WHAT ATTR=VALUE... - explain gives VERDICT (and the
# rule, when WHAT names one as "rule NAME")
decides() {
	conf=$1 want=$2 what=$3
	shift 3
	checked=$((checked + 1))
	out=$($RW explain -c "$conf" "$@" 2>&1)
	if ! printf '%s\n' "$out" | grep -q "^verdict: $want\$"; then
		fail "$(basename "$conf"): $what: want $want, got: $out"
		return
	fi
	case $what in
	"rule "*)
		printf '%s\n' "$out" | grep -q "^rule: ${what#rule }\$" ||
			{ fail "$(basename "$conf"): $what: $out"; return; } ;;
	esac
	ok "$(basename "$conf"): $what -> $want"
}

for f in "$R"/*.conf; do
	loads "$f"
done
[ -f "$R/office.conf" ] && [ -f "$R/hosting.conf" ] && [ -f "$R/smarthost.conf" ] &&
	[ -f "$R/sendmail.conf" ] || fail "a recipe is missing"

# office: submission relays for the owner of the sender; port 25 nothing
o="$R/office.conf"
decides "$o" OK "rule staff" sasl_username=alice@example.com sender=alice@example.com \
	recipient=x@elsewhere.example server_port=587 policy_context=submission \
	encryption_protocol=TLSv1.3 client_address=192.0.2.9
decides "$o" OK "rule staff" sasl_username=carol@example.com sender=c@carol-consulting.example \
	recipient=x@elsewhere.example server_port=465 policy_context=submissions \
	encryption_protocol=TLSv1.3 client_address=192.0.2.9
decides "$o" REJECT "authenticated on port 25" sasl_username=alice@example.com \
	sender=alice@example.com recipient=x@elsewhere.example server_port=25 \
	encryption_protocol=TLSv1.3 client_address=192.0.2.9
decides "$o" REJECT "a sender alice does not own" sasl_username=alice@example.com \
	sender=ceo@example.com recipient=x@elsewhere.example server_port=587 \
	policy_context=submission encryption_protocol=TLSv1.3 client_address=192.0.2.9
decides "$o" OK "mail for example.com on port 25" sender=x@elsewhere.example \
	recipient=alice@example.com server_port=25 client_address=198.51.100.7

# hosting: customers' mailboxes and web servers, nobody else
h="$R/hosting.conf"
decides "$h" OK "rule customer-mailboxes" sasl_username=info@bakery.example \
	sender=news@bakery.example recipient=x@elsewhere.example policy_context=submission \
	encryption_protocol=TLSv1.3 client_address=203.0.113.9
decides "$h" REJECT "a mailbox sending for another customer" sasl_username=info@bakery.example \
	sender=office@lawfirm.example recipient=x@elsewhere.example policy_context=submission \
	encryption_protocol=TLSv1.3 client_address=203.0.113.9
decides "$h" OK "rule customer-webservers" client_address=198.51.100.11 \
	sender=www@lawfirm.example recipient=x@elsewhere.example
decides "$h" REJECT "an address that is no customer's" client_address=198.51.100.99 \
	sender=www@lawfirm.example recipient=x@elsewhere.example

# smarthost: application networks and pinned partners
s="$R/smarthost.conf"
decides "$s" OK "rule apps-prod" client_address=10.20.3.4 sender=noreply@shop.example \
	recipient=x@elsewhere.example
decides "$s" OK "rule apps-prod" client_address=2001:db8:20::25 sender=noreply@shop.example \
	recipient=x@elsewhere.example
decides "$s" OK "rule apps-staging" client_address=10.30.0.7 sender=noreply@shop.example \
	recipient=x@elsewhere.example
decides "$s" OK "rule partners" client_address=198.51.100.20 sender=a@partner.example \
	recipient=x@elsewhere.example \
	ccert_pubkey_fingerprint=3E:7B:0A:50:2E:74:C4:0A:4D:C7:43:E6:0C:9F:AF:3A:0E:D1:9A:7B:5C:33:05:A2:EA:06:09:7E:A2:1E:28:6D
decides "$s" REJECT "a network not listed" client_address=10.40.0.1 \
	sender=noreply@shop.example recipient=x@elsewhere.example

# sendmail: the MSA listener, the web servers, nobody else
m="$R/sendmail.conf"
decides "$m" OK "rule msa" sasl_username=alice@example.org sender=alice@example.org \
	recipient=x@elsewhere.example policy_context=MSA encryption_protocol=TLSv1.3 \
	client_address=203.0.113.9
decides "$m" REJECT "SMTP AUTH on the MTA listener" sasl_username=alice@example.org \
	sender=alice@example.org recipient=x@elsewhere.example policy_context=MTA \
	encryption_protocol=TLSv1.3 client_address=203.0.113.9
decides "$m" OK "rule webservers" client_address=192.0.2.14 sender=www@example.org \
	recipient=x@elsewhere.example
decides "$m" REJECT "next to the web servers" client_address=192.0.2.16 \
	sender=www@example.org recipient=x@elsewhere.example

# The packaged configuration relays nothing until edited.
d="$top_srcdir/deploy/relaywarden.conf"
loads "$d"
decides "$d" REJECT "an authenticated user" sasl_username=alice@example.com \
	sender=alice@example.com recipient=x@elsewhere.example encryption_protocol=TLSv1.3 \
	client_address=192.0.2.9
decides "$d" REJECT "loopback" client_address=127.0.0.1 recipient=x@elsewhere.example
decides "$d" REJECT "a certificate" client_address=198.51.100.20 recipient=x@elsewhere.example \
	ccert_pubkey_fingerprint=3E:7B:0A:50:2E:74:C4:0A:4D:C7:43:E6:0C:9F:AF:3A:0E:D1:9A:7B:5C:33:05:A2:EA:06:09:7E:A2:1E:28:6D

# The EXAMPLE section of relaywarden.conf(5), as printed.
sed -n '/^\.SH EXAMPLE/,/^\.SH FILES/p' "$top_srcdir/man/relaywarden.conf.5" |
	sed -n '/^\.nf$/,/^\.fi$/p' | sed '/^\.nf$/d; /^\.fi$/d; s/\\(dq/"/g; s/\\-/-/g' \
	>"$dir/man-example.conf"
if [ -s "$dir/man-example.conf" ]; then
	loads "$dir/man-example.conf"
	decides "$dir/man-example.conf" OK "rule office" client_address=192.0.2.1 \
		recipient=x@elsewhere.example
else
	fail "relaywarden.conf(5) has no EXAMPLE between .nf and .fi"
fi

# The relaywarden.conf examples of docs/migrating.md: the indented block
# after each "relaywarden.conf:" line.
awk -v dir="$dir" '
	/^relaywarden\.conf:$/ { n++; out = dir "/migrating-" n ".conf"; grab = 1; next }
	grab && /^    / { sub(/^    /, ""); print > out; next }
	grab && /^[^ ]/ { grab = 0 }
' "$top_srcdir/docs/migrating.md"
count=0
for f in "$dir"/migrating-*.conf; do
	[ -e "$f" ] || continue
	count=$((count + 1))
	loads "$f"
done
[ "$count" -ge 2 ] || fail "docs/migrating.md: $count relaywarden.conf examples found, want 2"

[ "$checked" -ge 20 ] || fail "only $checked decisions checked"
[ "$failed" = 0 ]
