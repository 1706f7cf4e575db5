"""dmarc_vectors - RFC 9989 conformance of relaywarden's alignment.

Every vector of tests/data/dmarc/vectors.json (each worked example of RFC
9989's text and appendices - organizational domain discovery, alignment
outcomes, the PSD cases, the 8-query cap, the record grammar - and hostile
records: very long names, wildcards, loops, timeouts and SERVFAIL in the
middle of a walk) is asked of tests/integration/dmarc_check, which runs the
alignment code over the shared resolver (core/dns/dns.c, libunbound) as the
milter does. Its only upstream is a DNS server in this process (dnslib,
UDP on 127.0.0.1) that serves the vector's zone and logs every query, so
the test also checks which _dmarc names went out on the wire, in order.
Prints one line per vector and "N passed, M failed"; exits 1 on any failure.
Waits are bounded (the driver's time budget, a subprocess timeout); nothing
asserts on elapsed time.
"""
import json
import os
import select
import socket
import subprocess
import sys
import threading

from dnslib import A, CNAME, QTYPE, RCODE, RR, TXT, DNSRecord

TOP_SRCDIR = os.environ.get("top_srcdir", os.path.join(os.path.dirname(__file__), "..", ".."))
TOP_BUILDDIR = os.environ.get("top_builddir", os.getcwd())
DRIVER = os.path.join(TOP_BUILDDIR, "tests", "integration", "dmarc_check")
VECTORS = os.path.join(TOP_SRCDIR, "tests", "data", "dmarc", "vectors.json")
VALGRIND = os.environ.get("RW_VALGRIND") == "1"


class ZoneServer:
    """Authoritative answers from the current zone; a log of (name, type)."""

    def __init__(self):
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.port = self.udp.getsockname()[1]
        self.zone = {}
        self.log = []
        self.lock = threading.Lock()
        self.stop = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stop:
            r, _, _ = select.select([self.udp], [], [], 0.2)
            if not r:
                continue
            data, peer = self.udp.recvfrom(4096)
            reply = self.answer(data)
            if reply is not None:
                self.udp.sendto(reply, peer)

    def lookup(self, name):
        """The zone's entry for name: exact, else the nearest "*.parent", else None."""
        if name in self.zone:
            return self.zone[name]
        labels = name.split(".")
        for i in range(1, len(labels)):
            w = "*." + ".".join(labels[i:])
            if w in self.zone:
                return self.zone[w]
        return None

    def answer(self, data):
        try:
            q = DNSRecord.parse(data)
        except Exception:
            return None
        name = str(q.q.qname).rstrip(".").lower()
        with self.lock:
            self.log.append((name, q.q.qtype))
            entry = self.lookup(name)
            below = any(k.endswith("." + name) for k in self.zone)
        reply = q.reply()
        if entry == "DROP":
            return None
        if entry == "SERVFAIL":
            reply.header.rcode = RCODE.SERVFAIL
        elif isinstance(entry, dict) and "CNAME" in entry:
            reply.add_answer(RR(q.q.qname, QTYPE.CNAME, rdata=CNAME(entry["CNAME"] + "."), ttl=60))
        elif isinstance(entry, dict) and "A" in entry:
            if q.q.qtype == QTYPE.A:
                reply.add_answer(RR(q.q.qname, QTYPE.A, rdata=A(entry["A"]), ttl=60))
        elif isinstance(entry, list):
            if q.q.qtype == QTYPE.TXT:
                for txt in entry:
                    chunks = [txt[i:i + 255] for i in range(0, len(txt), 255)] or [""]
                    reply.add_answer(RR(q.q.qname, QTYPE.TXT, rdata=TXT(chunks), ttl=60))
        elif not below:
            reply.header.rcode = RCODE.NXDOMAIN
        return reply.pack()

    def set_zone(self, zone):
        with self.lock:
            self.zone = {k.lower(): v for k, v in zone.items()}
            self.log = []

    def dmarc_names(self):
        """The distinct _dmarc TXT names asked, first-asked order."""
        out = []
        with self.lock:
            for name, qtype in self.log:
                if qtype == QTYPE.TXT and name.startswith("_dmarc.") and name not in out:
                    out.append(name)
        return out

    def close(self):
        self.stop = True
        self.thread.join(5)
        self.udp.close()


def ask(port, request):
    """One request through a fresh driver (fresh resolver cache); its fields."""
    # per query, per check (ms): under valgrind every first look-up is slow
    cmd = [DRIVER, "127.0.0.1@%d" % port] + (["4000", "12000"] if VALGRIND else ["400", "1500"])
    if VALGRIND:
        cmd = ["valgrind", "--quiet", "--error-exitcode=99", "--leak-check=full",
               "--errors-for-leak-kinds=definite"] + cmd
    p = subprocess.run(cmd, input=("\t".join(request) + "\n").encode(), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120 if VALGRIND else 30)
    line = p.stdout.decode("utf-8", "replace").strip()
    fields = {"exit": str(p.returncode)}
    head, _, ar = line.partition(" ar=")
    if _:
        fields["ar"] = ar
    for kv in head.split(" "):
        k, _, v = kv.partition("=")
        fields[k] = v
    return line, fields, p.stderr.decode("utf-8", "replace")


def check_vector(server, v):
    """The problems of one vector ([] when it passes)."""
    server.set_zone(v["zone"])
    line, got, err = ask(server.port, v["ask"])
    bad = []
    if got["exit"] != "0":
        bad.append("driver exit %s: %s" % (got["exit"], err.strip()[-500:]))
    for k, want in v["want"].items():
        if k.endswith("~"):
            if want not in got.get(k[:-1], ""):
                bad.append("%s lacks %r" % (k[:-1], want))
        elif got.get(k) != want:
            bad.append("%s=%s, want %s" % (k, got.get(k), want))
    if "queried" in v and server.dmarc_names() != v["queried"]:
        bad.append(("queried %s, want %s" % (server.dmarc_names(), v["queried"]))[:2000])
    if bad:
        bad.append("answer: " + line)
    return bad


def main():
    if not os.path.exists(DRIVER):
        print("FAIL: %s not built" % DRIVER)
        sys.exit(1)
    with open(VECTORS) as fp:
        vectors = json.load(fp)["vectors"]
    server = ZoneServer()
    passed = failed = 0
    try:
        for v in vectors:
            bad = check_vector(server, v)
            if bad:
                failed += 1
                print("FAIL %s (%s)" % (v["id"], v["source"]))
                for b in bad:
                    print("     " + b)
            else:
                passed += 1
                print("ok   %s" % v["id"])
    finally:
        server.close()
    print("%d passed, %d failed (RFC 9989 conformance vectors)" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
