"""policyd_syslog - the log's own syslog client against a syslog "daemon"
this test plays on /dev/log (skipped when a real one owns it): a refusal
gives one Postfix-style line (QUEUEID: reject: ... id=ID) at mail.info with
the same id as the reply and the audit record's JSON line (audit syslog =
true); with the daemon gone every request is still answered (nothing
blocks, nothing is retried per line), and once a daemon listens again the
lines come back (the connection is retried, at most once a second)."""
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

from rwtest import (POLICYD, VALGRIND, WAIT, check, finish, free_port, rcpt, read_replies,
                    read_reply, request_bytes, skip)

DEV_LOG = "/dev/log"


class Syslogd:
    """A datagram socket on /dev/log that keeps what it receives."""

    def __init__(self):
        self.lines = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(DEV_LOG)
        self.sock.settimeout(0.2)
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop:
            try:
                self.lines.append(self.sock.recv(65536).decode("utf-8", "replace"))
            except socket.timeout:
                pass

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()
        os.unlink(DEV_LOG)

    def wait(self, pred, what):
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            got = [ln for ln in self.lines if pred(ln)]
            if got:
                return got
            time.sleep(0.05)
        check(False, "within the bound: " + what)
        return []


def ask(port, **kw):
    s = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    try:
        s.sendall(request_bytes(rcpt(**kw)))
        return read_reply(s, keep_id=True).decode()
    finally:
        s.close()


def main():
    if os.path.exists(DEV_LOG):
        skip("a syslog daemon owns /dev/log")
    if os.geteuid() != 0:
        skip("needs root to create /dev/log")
    d = tempfile.mkdtemp(prefix="rw-it-")
    port = free_port()
    conf = os.path.join(d, "relaywarden.conf")
    with open(conf, "w") as fp:
        fp.write('local_domains = { "example.test" }\n'
                 'relay "office" { type = network networks = { "127.0.0.0/30" } }\n'
                 'policyd { listen = { "inet:127.0.0.1:%d" } }\n'
                 'audit { file = "%s/audit.jsonl" syslog = true }\n'
                 'log { target = syslog facility = mail }\n' % (port, d))
    syslogd = Syslogd()
    cmd = [POLICYD, "-c", conf]
    if VALGRIND:
        cmd = ["valgrind", "--quiet", "--error-exitcode=99", "--leak-check=full",
               "--errors-for-leak-kinds=definite"] + cmd
    err = open(os.path.join(d, "stderr"), "wb")
    p = subprocess.Popen(cmd, stdout=err, stderr=err)
    try:
        ready = syslogd.wait(lambda ln: "event=ready" in ln, "event=ready reaches syslog")
        check(bool(ready) and re.match(r"<22>[A-Z][a-z]{2} [ 1-3][0-9] \d\d:\d\d:\d\d "
                                       r"relaywarden-policyd\[%d\]: level=info event=ready " % p.pid,
                                       ready[0]) is not None,
              "RFC 3164 line at mail.info with ident[pid]: %r" % ready[:1])
        reply = ask(port, queue_id="", client_address="192.0.2.9")
        m = re.fullmatch(r"action=554 5\.7\.1 Relay access denied \(id ([0-9a-f]{12})\)\n\n", reply)
        check(m is not None, "the refusal's reply ends with its id: %r" % reply)
        rid = m.group(1) if m else "none"
        summary = syslogd.wait(lambda ln: "id=" + rid in ln, "the refusal's summary line")
        want = ("relaywarden-policyd[%d]: NOQUEUE: reject: RCPT from unknown[192.0.2.9]: 554 5.7.1 "
                "<bob@remote.test>: Relay access denied (id %s); from=<x@remote.test> "
                "to=<bob@remote.test> rule=- id=%s" % (p.pid, rid, rid))
        check(bool(summary) and summary[0].endswith(want), "Postfix-style line: %r" % summary[:1])
        audit = syslogd.wait(lambda ln: "audit: {" in ln and rid in ln, "the record's JSON")
        rec = json.loads(audit[0].split("audit: ", 1)[1]) if audit else {}
        check(rec.get("id") == rid, "the audit record carries the same id")

        # a burst: one loop turn's lines leave together (sendmmsg), one datagram each
        burst = 60
        s = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        s.sendall(b"".join(request_bytes(rcpt(client_address="192.0.2.%d" % (i + 100)))
                           for i in range(burst)))
        data = read_replies(s, burst)
        s.close()
        ids = re.findall(r"\(id ([0-9a-f]{12})\)\n\n", data.decode())
        check(len(ids) == burst, "every pipelined refusal answered with an id (%d)" % len(ids))
        ids = set(ids)

        def of_burst():
            return [ln for ln in syslogd.lines if "id=" in ln and ln.rsplit("id=", 1)[1] in ids]
        deadline = time.monotonic() + WAIT
        while len(of_burst()) < burst and time.monotonic() < deadline:
            time.sleep(0.05)
        got = of_burst()
        one_line = re.compile(r"<22>[A-Z][a-z]{2} [ 1-3][0-9] \d\d:\d\d:\d\d relaywarden-policyd\[%d\]: "
                              r"NOQUEUE: reject: RCPT from unknown\[192\.0\.2\.(\d+)\]: [^\n]*"
                              r" id=[0-9a-f]{12}" % p.pid)
        whole = [one_line.fullmatch(ln) for ln in got]
        check(len(got) == burst and all(whole),
              "one datagram per line, each a whole line: %d of %d, %r" % (
                  len(got), burst, [ln for ln, w in zip(got, whole) if not w][:1]))
        check(sorted(int(w.group(1)) for w in whole if w) == list(range(100, 100 + burst)),
              "every client of the burst logged once")

        syslogd.close()                                # the daemon goes away
        answered = sum(ask(port, client_address="192.0.2.%d" % (i % 200 + 1)).startswith(
            "action=554") for i in range(200))
        check(answered == 200, "with no syslog daemon every request is answered (%d)" % answered)
        check(p.poll() is None, "policyd still runs")
        syslogd = Syslogd()                            # and comes back
        deadline = time.monotonic() + WAIT
        back = []
        while not back and time.monotonic() < deadline:
            ask(port, client_address="192.0.2.77")
            time.sleep(0.3)
            back = [ln for ln in syslogd.lines if "192.0.2.77" in ln]
        check(bool(back), "lines reach the daemon again once it listens")
    finally:
        p.terminate()
        try:
            rc = p.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = p.wait()
        err.close()
        if os.path.exists(DEV_LOG):
            syslogd.close()
    check(rc == 0, "policyd exited cleanly (status %s)" % rc)
    finish()


if __name__ == "__main__":
    sys.exit(main())
