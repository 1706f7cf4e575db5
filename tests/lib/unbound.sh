# unbound.sh - sourced by the tests that serve DNS from Debian's unbound on
# loopback (tests/integration/dns_resolver.sh, dkim_dns.sh, tests/milter/
# checks.sh). POSIX sh; uses Debian's /usr/bin/python3.
#
#   rw_free_port              a port free for both TCP and UDP on 127.0.0.1
#   rw_txt_local_data FILE... "name TXT-value" lines (libopendkim's
#                             DKIM_QUERY_FILE format) as unbound local-data,
#                             strings split at 250 octets
#   rw_unbound_conf DIR PORT  the common "server:" lines: loopback only, no
#                             daemon, no chroot, no DNSSEC, files under DIR;
#                             callers append their zones
#   rw_wait_tcp PORT          until 127.0.0.1:PORT accepts (10 s at most)

# rw_free_port - print a port free for TCP and UDP (at this moment)
rw_free_port() {
	/usr/bin/python3 -c '
import socket
while True:
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p))
    except OSError:
        continue
    print(p)
    break'
}

# rw_txt_local_data FILE... - key-file lines as local-data lines
rw_txt_local_data() {
	/usr/bin/python3 - "$@" <<'PY'
import sys
for path in sys.argv[1:]:
    for line in open(path, encoding="latin-1"):
        name, _, txt = line.rstrip("\r\n").partition(" ")
        if not name:
            continue
        parts = [txt[i:i + 250] for i in range(0, len(txt), 250)] or [""]
        quoted = " ".join('"%s"' % p.replace("\\", "\\\\").replace('"', '\\"') for p in parts)
        print("    local-data: '%s. 300 IN TXT %s'" % (name, quoted))
PY
}

# rw_unbound_conf DIR PORT - the common server section
rw_unbound_conf() {
	cat <<CONF
server:
    interface: 127.0.0.1
    port: $2
    do-ip6: no
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$1"
    pidfile: "$1/unbound.pid"
    use-syslog: no
    logfile: "$1/unbound.log"
    module-config: "iterator"
    access-control: 127.0.0.0/8 allow
CONF
}

# rw_wait_tcp PORT - 0 once something accepts on 127.0.0.1:PORT, 1 after 10 s
rw_wait_tcp() {
	/usr/bin/python3 - "$1" <<'PY'
import socket, sys, time
end = time.time() + 10
while time.time() < end:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY
}
