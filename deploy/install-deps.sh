#!/bin/sh
# install-deps.sh - install every Debian 12 package relaywarden builds and tests with.
# Idempotent; needs root. Runs `apt-get update` once per invocation.
set -eu

BUILD="build-essential autoconf automake libtool pkg-config
  libconfuse-dev libevent-dev libhiredis-dev libssl-dev libjansson-dev
  libcmocka-dev libmilter-dev libopendkim-dev libunbound-dev libpsl-dev publicsuffix
  libspf2-dev libsystemd-dev zlib1g-dev"
TEST="clang libclang-rt-14-dev clang-tools-14 valgrind postfix sasl2-bin libsasl2-modules
  redis-server redis-tools redis-sentinel swaks libnet-ssleay-perl miltertest unbound nsd openssl opendkim opendkim-tools opendmarc python3-dkim
  python3-jsonschema python3-yaml python3-dnslib python3-spf python3-dnspython ca-certificates procps iproute2
  prometheus"
# the packaging tier (tests/pkg/run.sh): build the .deb, lintian it, rotate
PKG="debhelper dpkg-dev fakeroot lintian logrotate"

if [ "$(id -u)" != 0 ]; then
	echo "install-deps.sh: must run as root" >&2
	exit 1
fi
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $BUILD $TEST $PKG
# Packages may start system daemons we do not use; tests start their own.
for svc in postfix redis-server redis-sentinel unbound nsd prometheus prometheus-node-exporter; do
	if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
		systemctl stop "$svc" || true
	fi
done
