"""budget.py - one time budget bounds the whole end-of-message check.

A DNS server on loopback that never answers (UDP and TCP: it counts the
queries and drops them) is the milter's only upstream; dns.timeout_ms =
1000, spf.budget_ms = 2000, every check enforced. A signed, relayed
message needs a DKIM key, SPF records of the egress address and the DMARC
record: each look-up times out. The milter must answer 451 and its audit
record must say the check took at most budget_ms plus EOM_BUDGET_SLACK_MS
(milter/eom.h), whatever the number of look-ups (before, each step had a
budget or a timeout of its own: 5.1 s for this message). No wall-clock
assertion here: the milter reports its own elapsed_ms.
usage: budget.py MILTER VECTOR_DIR WORKDIR
"""
import json
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from milterclient import MilterClient  # noqa: E402
from rwtest import (FAILED, check, dns_sockets, free_port, listening,  # noqa: E402
                    validate_records, wait_for)

BUDGET_MS = 2000
SLACK_MS = 1000      # EOM_BUDGET_SLACK_MS (milter/eom.h)


class BlackHole(threading.Thread):
    """Reads DNS queries over UDP and TCP, answers none; counts them."""

    def __init__(self, tcp, udp):
        super().__init__(daemon=True)
        self.tcp, self.udp = tcp, udp
        self.queries = 0
        self.conns = []
        self.stop = False

    def run(self):
        import select
        self.tcp.listen(16)
        while not self.stop:
            r, _, _ = select.select([self.tcp, self.udp] + self.conns, [], [], 0.1)
            for s in r:
                if s is self.udp:
                    s.recvfrom(4096)
                    self.queries += 1
                elif s is self.tcp:
                    c, _ = s.accept()
                    self.conns.append(c)
                    self.queries += 1
                else:
                    if not s.recv(4096):
                        self.conns.remove(s)
                        s.close()


def read_eml(path):
    text = open(path, "rb").read().decode("latin-1")
    head, body = text.split("\n\n", 1)
    hdrs = []
    for line in head.split("\n"):
        if line[:1] in (" ", "\t"):
            hdrs[-1][1] += "\n" + line
        else:
            n, v = line.split(":", 1)
            hdrs.append([n, v[1:] if v.startswith(" ") else v])
    return hdrs, body.replace("\r\n", "\n").replace("\n", "\r\n").encode("latin-1")


def main():
    milter, vdir, work = sys.argv[1:4]
    tcp, udp, dns_port = dns_sockets()
    hole = BlackHole(tcp, udp)
    hole.start()
    mport = free_port()
    conf = os.path.join(work, "budget.conf")
    audit = os.path.join(work, "budget-audit.jsonl")
    if os.path.exists(audit):
        os.unlink(audit)
    with open(conf, "w") as fp:
        fp.write("""instance = "milter-budget"
local_domains = { "example.test" }
relay "office" { type = network networks = { "192.0.2.0/24" } }
dns { upstreams = { "127.0.0.1@%d" } timeout_ms = 1000 }
spf { egress_addresses = { "192.0.2.25" } budget_ms = %d }
checks { dkim = enforce spf = enforce alignment = enforce authserv_id = "mx.example.test" }
milter { listen = "inet:%d@127.0.0.1" }
audit { file = "%s" syslog = false }
log { target = stderr }
""" % (dns_port, BUDGET_MS, mport, audit))
    log = open(os.path.join(work, "budget.log"), "wb")
    proc = subprocess.Popen([milter, "-c", conf, "-e"], stdout=log, stderr=log)
    try:
        wait_for(lambda: listening(mport), "the milter listens on %d" % mport)
        hdrs, body = read_eml(os.path.join(vdir, "rfc8463/a3-signed.eml"))
        c = MilterClient("127.0.0.1", mport, timeout=60)
        try:
            c.connect_info("client.test", "192.0.2.10")
            c.helo("client.test")
            c.mail("<joe@football.example.com>", macros={"i": "QBUDGET"})
            c.rcpt("<bob@remote.test>")
            for n, v in hdrs:
                c.header(n, v)
            c.eoh()
            c.body(body)
            code, text = c.eom()
        finally:
            c.close()
        check(code == "y" and text.startswith("451 4."),
              "DNS not answering: 451 (%s %r)" % (code, text[:80]))
        check(hole.queries >= 1, "the look-ups reached the silent server (%d)" % hole.queries)
        recs = []
        for _ in range(100):
            if os.path.exists(audit):
                recs = [json.loads(ln) for ln in open(audit) if '"END-OF-MESSAGE"' in ln]
            if recs:
                break
            time.sleep(0.05)
        bad = validate_records(recs)
        check(recs and not bad, "the EOM record follows the schema (%s)" % (bad[:1],))
        msg = recs[0].get("message", {}) if recs else {}
        el = msg.get("elapsed_ms")
        check(msg.get("budget_ms") == BUDGET_MS and el is not None and el <= BUDGET_MS + SLACK_MS,
              "the whole check within the budget: elapsed_ms %s <= %d + %d"
              % (el, BUDGET_MS, SLACK_MS))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        hole.stop = True
        hole.join()
        log.close()
    if FAILED:
        print(open(os.path.join(work, "budget.log")).read()[-3000:])
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
