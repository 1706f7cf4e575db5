"""policyd_spf - SPF in relaywarden-policyd over a real DNS server on loopback.

Debian's unbound serves the zone spf.test (local-data, as in
dns_resolver.sh) and delegates slow.test (stub-zone) to a small DNS server
in this process (dnslib) that answers late, or only when the test releases
it. policyd's only upstream is the unbound.

Checks, per mode (off, shadow, tag, defer, reject), inbound (mail to
local.test from 198.51.100.7) and egress (relayed by 192.0.2.9, egress
addresses 192.0.2.10 and 2001:db8::10): the action, the reply text
(RFC 7372 codes, the domain and the failing address named), the
Received-SPF header answered as PREPEND at DATA in tag mode, the audit
record's "spf" object (schema-valid), one evaluation per transaction.
Hostile DNS: an include chain past the 10-term limit gives permerror; a
slow chain gives temperror within budget_ms; `relaywarden explain --live`
gives every mode's case the action policyd gives; while an evaluation waits on
DNS, other clients (relay-only requests) are answered first (ordering, not
timing).
"""
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

from dnslib import QTYPE, RCODE, RR, TXT, DNSRecord

from rwtest import (CLI, WAIT, Policyd, check, finish, free_dns_port, listening, rcpt,
                    read_reply, request_bytes, validate_records, wait_for)

UNBOUND = "/usr/sbin/unbound"
EGRESS4, EGRESS6 = "192.0.2.10", "2001:db8::10"
INBOUND_CLIENT = "198.51.100.7"
RELAY_CLIENT = "192.0.2.9"
BUDGET_MS = 1500

ZONE = {
    "pass.spf.test": "v=spf1 ip4:192.0.2.10 ip4:198.51.100.7 ip6:2001:db8::10 -all",
    "fail.spf.test": "v=spf1 ip4:203.0.113.1 -all",
    "half.spf.test": "v=spf1 ip4:192.0.2.10 -all",
    "soft.spf.test": "v=spf1 ~all",
    "helo.spf.test": "v=spf1 ip4:198.51.100.7 -all",
}
for _i in range(12):        # c0 -> c1 -> ... -> c11: 11 includes, over the limit of 10
    ZONE["c%d.spf.test" % _i] = "v=spf1 include:c%d.spf.test -all" % (_i + 1)
ZONE["c12.spf.test"] = "v=spf1 +all"


class SlowDNS:
    """Authoritative for slow.test on 127.0.0.1 (UDP): sN.slow.test answers
    "include:sN+1" after DELAY seconds; gate*.slow.test answers pass only once
    released (or after 10 s)."""

    DELAY = 0.7

    def __init__(self):
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.port = self.udp.getsockname()[1]
        self.gate = threading.Event()
        self.seen = set()
        self.lock = threading.Lock()
        self.stop = False
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while not self.stop:
            r, _, _ = select.select([self.udp], [], [], 0.2)
            if r:
                data, peer = self.udp.recvfrom(4096)
                threading.Thread(target=self.answer, args=(data, peer), daemon=True).start()

    def answer(self, data, peer):
        try:
            q = DNSRecord.parse(data)
        except Exception:
            return
        name = str(q.q.qname).rstrip(".").lower()
        with self.lock:
            self.seen.add(name)
        reply = q.reply()
        label = name.split(".")[0]
        if q.q.qtype != QTYPE.TXT:
            pass
        elif label.startswith("gate"):
            self.gate.wait(10)
            reply.add_answer(RR(q.q.qname, QTYPE.TXT, rdata=TXT("v=spf1 ip4:192.0.2.0/24 -all"), ttl=1))
        elif label.startswith("s") and label[1:].isdigit():
            time.sleep(self.DELAY)
            nxt = "s%d.slow.test" % (int(label[1:]) + 1)
            reply.add_answer(RR(q.q.qname, QTYPE.TXT, rdata=TXT("v=spf1 include:%s -all" % nxt), ttl=1))
        else:
            reply.header.rcode = RCODE.NXDOMAIN
        try:
            self.udp.sendto(reply.pack(), peer)
        except OSError:
            pass

    def saw(self, name):
        with self.lock:
            return name in self.seen


class Unbound:
    """unbound: local-data for spf.test, stub-zone slow.test -> SlowDNS."""

    def __init__(self, slow_port):
        self.dir = tempfile.mkdtemp(prefix="rw-spf-dns-")
        self.port = free_dns_port()
        data = "".join("    local-data: '%s. TXT \"%s\"'\n" % (n, t) for n, t in ZONE.items())
        conf = """server:
    interface: 127.0.0.1
    port: %d
    do-ip6: no
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "%s"
    pidfile: "%s/unbound.pid"
    use-syslog: no
    logfile: "%s/unbound.log"
    verbosity: 1
    module-config: "iterator"
    access-control: 127.0.0.0/8 allow
    do-not-query-localhost: no
    local-zone: "test." nodefault
    local-zone: "spf.test." static
%sstub-zone:
    name: "slow.test."
    stub-addr: 127.0.0.1@%d
remote-control:
    control-enable: no
""" % (self.port, self.dir, self.dir, self.dir, data, slow_port)
        path = os.path.join(self.dir, "unbound.conf")
        with open(path, "w") as fp:
            fp.write(conf)
        self.proc = subprocess.Popen([UNBOUND, "-d", "-c", path])
        if not wait_for(lambda: listening(self.port), "unbound listens on %d" % self.port):
            raise RuntimeError("unbound did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=20)
        shutil.rmtree(self.dir, ignore_errors=True)


def config(mode, dns_port, budget=3000):
    return """
instance = "it-host"
local_domains = { "local.test" }
relay "office" {
    type = network
    networks = { "192.0.2.0/24" }
}
dns { upstreams = { "127.0.0.1@%d" }  timeout_ms = 2000 }
spf {
    inbound = %s
    egress = %s
    egress_addresses = { "%s", "%s" }
    budget_ms = %d
    receiver = "mx.example.test"
}
""" % (dns_port, mode, mode, EGRESS4, EGRESS6, budget)


def inbound(sender, instance, **kw):
    return rcpt(client_address=INBOUND_CLIENT, sender=sender, recipient="bob@local.test",
                instance=instance, **kw)


def egress(sender, instance, **kw):
    return rcpt(client_address=RELAY_CLIENT, sender=sender, recipient="carol@remote.test",
                instance=instance, **kw)


def ask_on(sock, attrs):
    sock.sendall(request_bytes(attrs))
    return read_reply(sock).decode().strip()


# (mode, name, request, expected action)
EXPECT = [
    ("reject", "inbound pass", inbound("x@pass.spf.test", "r1"), "action=OK"),
    ("reject", "inbound fail", inbound("x@fail.spf.test", "r2"),
     "action=550 5.7.23 SPF of fail.spf.test does not permit 198.51.100.7 to send its mail (fail)"),
    ("reject", "inbound softfail accepted", inbound("x@soft.spf.test", "r3"), "action=OK"),
    ("reject", "inbound null sender: HELO identity", inbound("", "r4", helo_name="helo.spf.test"),
     "action=OK"),
    ("reject", "egress pass from both addresses", egress("x@pass.spf.test", "r5"), "action=OK"),
    ("reject", "egress: one address not listed",
     egress("x@half.spf.test", "r6"),
     "action=550 5.7.23 SPF of half.spf.test does not permit our egress address 2001:db8::10 "
     "(fail): relayed, this message would fail SPF at its destination"),
    ("reject", "egress softfail refused", egress("x@soft.spf.test", "r7"),
     "action=550 5.7.23 SPF of soft.spf.test does not permit our egress address 192.0.2.10 "
     "(softfail): relayed, this message would fail SPF at its destination"),
    ("reject", "include chain past the limit: permerror", inbound("x@c0.spf.test", "r8"),
     "action=550 5.7.24 the SPF record of c0.spf.test is broken (permerror)"),
    ("reject", "no relay: no SPF", rcpt(client_address="203.0.113.5", sender="x@fail.spf.test"),
     "action=554 5.7.1 Relay access denied"),
    ("defer", "inbound fail deferred", inbound("x@fail.spf.test", "d1"),
     "action=451 4.7.24 SPF of fail.spf.test does not permit 198.51.100.7 to send its mail (fail)"),
    ("defer", "egress fail deferred", egress("x@fail.spf.test", "d2"),
     "action=451 4.7.24 SPF of fail.spf.test does not permit our egress address 192.0.2.10 "
     "(fail): relayed, this message would fail SPF at its destination"),
    ("shadow", "inbound fail accepted", inbound("x@fail.spf.test", "s1"), "action=OK"),
    ("shadow", "egress fail accepted", egress("x@fail.spf.test", "s2"), "action=OK"),
    ("tag", "inbound fail accepted at RCPT", inbound("x@fail.spf.test", "t1"), "action=OK"),
    ("off", "inbound fail, SPF off", inbound("x@fail.spf.test", "o1"), "action=OK"),
]


def explain_live(conf, req):
    """`relaywarden explain --live` of req: its action= line (it runs the SPF checks too)."""
    p = subprocess.run([CLI, "explain", "--live", "-c", conf], input=request_bytes(req),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=WAIT)
    lines = [l for l in p.stdout.decode().splitlines() if l.startswith("action=")]
    return lines[0] if lines else None


def audit_spf(records, instance):
    return [r.get("spf") for r in records if r.get("instance") == instance and r["stage"] == "RCPT"]


def test_modes(dns_port):
    for mode in ("reject", "defer", "shadow", "tag", "off"):
        d = Policyd(config(mode, dns_port))
        try:
            for m, name, req, want in EXPECT:
                if m != mode:
                    continue
                got = "action=" + (d.ask(req) or "")
                check(got == want, "%s: %s: %s" % (mode, name, got))
                said = explain_live(d.conf, req)
                check(said == got, "%s: %s: explain --live says the same (%s)" % (mode, name, said))
            if mode == "tag":
                test_tag(d)
            if mode == "reject":
                test_once_per_transaction(d)
            check(d.stop() == 0, "%s: policyd stopped cleanly (valgrind: no errors)" % mode)
            recs = d.records()
            check(validate_records(recs) == [], "%s: audit records schema-valid" % mode)
            check_audit(mode, recs)
        finally:
            d.stop()


def check_audit(mode, recs):
    if mode == "off":
        check(all("spf" not in r for r in recs), "off: no spf object in audit records")
        return
    if mode == "reject":
        s = audit_spf(recs, "r6")
        check(len(s) == 1 and s[0] is not None, "reject: egress record has an spf object")
        if s and s[0]:
            s = s[0]
            check(s["direction"] == "egress" and s["mode"] == "reject" and
                  s["identity"] == "mailfrom" and s["domain"] == "half.spf.test",
                  "reject: spf direction, mode, identity, domain: %s" % s)
            check(s["ip"] == EGRESS6 and s["result"] == "fail",
                  "reject: decisive egress address and result")
            check([(c["ip"], c["result"], c["mechanism"]) for c in s["checks"]] ==
                  [(EGRESS4, "pass", "ip4:192.0.2.10"), (EGRESS6, "fail", "-all")],
                  "reject: one check per egress address with its mechanism")
        s = audit_spf(recs, "r4")
        check(bool(s) and s[0] is not None and s[0]["identity"] == "helo" and
              s[0]["domain"] == "helo.spf.test" and s[0]["result"] == "pass",
              "reject: null sender checked as HELO identity: %s" % s)
        s = audit_spf(recs, "r8")
        check(bool(s) and s[0] is not None and s[0]["checks"][0]["problem"] is not None,
              "reject: permerror has a problem: %s" % s)
    if mode == "shadow":
        s = audit_spf(recs, "s1")
        check(bool(s) and s[0] is not None and s[0]["result"] == "fail" and
              s[0]["mode"] == "shadow" and s[0]["ip"] == INBOUND_CLIENT,
              "shadow: fail recorded for the client address: %s" % s)


def test_tag(d):
    """RCPT answers OK (PREPEND would drop the permission), DATA answers PREPEND."""
    s = d.connect()
    try:
        got = ask_on(s, inbound("x@fail.spf.test", "t2"))
        check(got == "action=OK", "tag: RCPT keeps OK: %s" % got)
        data = rcpt(protocol_state="DATA", client_address=INBOUND_CLIENT,
                    sender="x@fail.spf.test", recipient="", instance="t2",
                    recipient_count="1")
        got = ask_on(s, data)
        want = ("action=PREPEND Received-SPF: fail (mx.example.test: domain of "
                "x@fail.spf.test does not designate 198.51.100.7 as permitted sender) "
                "client-ip=198.51.100.7; envelope-from=\"x@fail.spf.test\"; "
                "helo=\"client.test\"; receiver=mx.example.test; identity=mailfrom; "
                "mechanism=\"-all\"")
        check(got == want, "tag: DATA answers the Received-SPF header: %s" % got)
        got = ask_on(s, dict(data, instance="t3"))
        check(got == "action=DUNNO", "tag: DATA of another transaction: DUNNO: %s" % got)
        got = ask_on(s, egress("x@pass.spf.test", "t4"))
        got2 = ask_on(s, rcpt(protocol_state="DATA", client_address=RELAY_CLIENT,
                              sender="x@pass.spf.test", recipient="", instance="t4"))
        check(got == "action=OK" and got2.startswith(
            "action=PREPEND Received-SPF: pass (mx.example.test: egress check: domain of "
            "x@pass.spf.test designates our egress address 192.0.2.10 as permitted sender) "
            "client-ip=192.0.2.10;"), "tag: egress header: %s" % got2)
    finally:
        s.close()


def test_once_per_transaction(d):
    """Three recipients of one transaction: one evaluation, then the cache."""
    s = d.connect()
    try:
        for rc in ("a@local.test", "b@local.test", "c@local.test"):
            got = ask_on(s, dict(inbound("x@fail.spf.test", "once"), recipient=rc))
            check(got.startswith("action=550 5.7.23"), "cache: %s refused: %s" % (rc, got))
        got = ask_on(s, dict(inbound("x@fail.spf.test", "once2")))
        check(got.startswith("action=550 5.7.23"), "cache: next transaction refused")
    finally:
        s.close()
    recs = [r for r in d.records() if r.get("instance") in ("once", "once2")]
    # the audit file is written before replies: all four are in
    cached = [r["spf"]["cached"] for r in recs]
    check(cached == [False, True, True, False], "cache: evaluated once per transaction: %s" % cached)


def test_hostile(dns_port, slow):
    d = Policyd(config("reject", dns_port, budget=BUDGET_MS))
    try:
        # slow chain: every hop 0.7 s, budget 1.5 s
        t0 = time.monotonic()
        got = d.ask(inbound("x@s1.slow.test", "h1"))
        took = time.monotonic() - t0
        check(got is not None and got.startswith("451 4.7.24 SPF check of s1.slow.test failed "
                                                  "temporarily (temperror)"),
              "hostile: slow chain gives temperror: %s" % got)
        print("# slow chain answered after %.2f s (budget %.1f s)" % (took, BUDGET_MS / 1000))
        check(took < BUDGET_MS / 1000 * 3, "hostile: answered near the budget, not at DNS timeouts")
        # other clients go first while an evaluation waits on DNS
        a = d.connect()
        a.sendall(request_bytes(inbound("x@gate1.slow.test", "h2")))
        end = time.monotonic() + 20
        while not slow.saw("gate1.slow.test") and time.monotonic() < end:
            time.sleep(0.02)
        check(slow.saw("gate1.slow.test"), "hostile: the gated query reached the slow server")
        answers = []
        for i in range(5):
            b = d.connect()
            answers.append(ask_on(b, rcpt(client_address="203.0.113.5", instance="o%d" % i)))
            b.close()
        r, _, _ = select.select([a], [], [], 0)
        check(all(x.startswith("action=554 5.7.1") for x in answers) and not r,
              "hostile: 5 relay-only clients answered while the SPF check is pending")
        slow.gate.set()
        got = read_reply(a).decode().strip()
        check(got in ("action=OK", "action=451 4.7.24 SPF check of gate1.slow.test failed "
                      "temporarily (temperror) for 198.51.100.7; try again later") or
              got.startswith("action=550 5.7.23 SPF of gate1.slow.test"),
              "hostile: the pending check answers after release: %s" % got)
        a.close()
        check(d.stop() == 0, "hostile: policyd stopped cleanly (valgrind: no errors)")
        check(validate_records(d.records()) == [], "hostile: audit records schema-valid")
    finally:
        d.stop()


def main():
    if not os.path.exists(UNBOUND):
        print("SKIP: no %s" % UNBOUND)
        sys.exit(77)
    slow = SlowDNS()
    ub = Unbound(slow.port)
    try:
        test_modes(ub.port)
        test_hostile(ub.port, slow)
    finally:
        slow.gate.set()
        ub.stop()
        slow.stop = True
    finish()


if __name__ == "__main__":
    main()
