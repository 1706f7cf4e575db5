"""policyd_metrics_limits - the metrics endpoint cannot take the descriptors
the policy service needs: it holds at most HTTP_MAX_CONNECTIONS
connections at once (the rest wait in the listen queue), so Postfix's
requests are answered while many clients hold metrics connections open by
dripping header bytes, each closed HTTP_DEADLINE_S after its accept
whatever it sends; and when accept(2) fails with EMFILE the metrics
listener pauses (one log line per pause) instead of spinning on libevent's
"Error from accept() call" warning."""
import socket
import sys
import time

from rwtest import (Dripper, Policyd, rcpt, check, closed_by_server, finish, free_port,
                    read_reply, request_bytes, wait_for, VALGRIND)

CONF = """
local_domains = { "example.test" }
relay "office" { type = network networks = { "127.0.0.0/30" } }
"""
HARD = 64           # open files of the daemon
METRICS_CONNS = 80  # more than the daemon could hold under HARD
METRICS_MAX = 8     # HTTP_MAX_CONNECTIONS (policyd/http.h)
BACKOFF_S = 0.5     # HTTP_ACCEPT_BACKOFF_MS
SPIN = "Error from accept() call"


def connect_many(port, n):
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))   # completes in the kernel's listen queue
        socks.append(s)
    time.sleep(0.2)
    for s in socks:
        s.setblocking(True)
    return socks


def capped():
    """Dripping metrics clients hold no more than the cap: Postfix is answered."""
    mport = free_port()
    d = Policyd(CONF, nofile=(HARD, HARD),
                policyd_extra='max_connections = 100\nmetrics = "inet:127.0.0.1:%d"' % mport)
    socks = connect_many(mport, METRICS_CONNS)
    drip = Dripper(socks, b"GET /metrics HTTP/1.1\r\nX-Drip: " + b"x" * 4096)
    drip.start()
    try:
        time.sleep(1.5)   # the daemon accepts what it will
        answered = []
        for i in range(10):
            s = d.connect()
            try:
                s.sendall(request_bytes(rcpt(client_address="127.0.0.2", queue_id="M%d" % i)))
                answered.append(read_reply(s, timeout=10 if not VALGRIND else 60))
            except OSError as e:
                answered.append(repr(e).encode())
                break   # no descriptor for Postfix: once is enough
            finally:
                s.close()
        ok = sum(a == b"action=OK\n\n" for a in answered)
        check(ok == 10, "10 policy requests answered while %d clients drip into the metrics "
              "endpoint (%d answered; %r)" % (METRICS_CONNS, ok, answered[:1]))
        check(d.log_text().count(SPIN) == 0,
              "no libevent accept() spin (%d lines)" % d.log_text().count(SPIN))
        closed = wait_for(lambda: closed_by_server(socks) >= METRICS_MAX,
                          "dripping metrics clients are closed by their deadline")
        check(bool(closed), "%d dripping metrics clients closed by the server (deadline)"
              % closed_by_server(socks))
    finally:
        drip.stop.set()
        drip.join()
        for s in socks:
            s.close()
        d.close()


def emfile():
    """Policy connections take every descriptor; a metrics client then makes
    the metrics listener's accept(2) fail: it pauses, it does not spin."""
    mport = free_port()
    d = Policyd(CONF, nofile=(HARD, HARD),
                policyd_extra='max_connections = 1000\nmetrics = "inet:127.0.0.1:%d"' % mport)
    socks = []
    try:
        for i in range(HARD + 16):          # the kernel queues what policyd cannot accept
            socks.append(d.connect())
        d.wait_log("event=accept_failed")
        start = time.monotonic()
        msocks = connect_many(mport, 4)
        socks += msocks
        d.wait_log("listener=metrics")
        time.sleep(1.0)                      # a spinning listener logs ~200,000 lines a second
        text = d.log_text()
        elapsed = time.monotonic() - start
        pauses = text.count("event=accept_failed listener=metrics")
        check(text.count(SPIN) == 0, "no libevent accept() spin (%d lines)" % text.count(SPIN))
        check(1 <= pauses <= elapsed / BACKOFF_S + 2,
              "metrics accept failures logged once per pause: %d lines in %.1f s"
              % (pauses, elapsed))
        for s in socks[:HARD]:
            s.close()
        socks = socks[HARD:]
        # a new client (valgrind's emulated limit closes the queued ones it fails on)
        s = socket.create_connection(("127.0.0.1", mport), timeout=30 if not VALGRIND else 120)
        socks.append(s)
        s.sendall(b"GET /health HTTP/1.0\r\n\r\n")
        s.settimeout(30 if not VALGRIND else 120)
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        check(data.startswith(b"HTTP/1.0 200") or data.startswith(b"HTTP/1.1 200"),
              "metrics answers once descriptors are free (%r)" % data[:20])
        check(d.ask(rcpt(client_address="127.0.0.2")) == "OK", "policyd answers afterwards")
    finally:
        for s in socks:
            s.close()
        d.close()


def main():
    capped()
    emfile()
    finish()


if __name__ == "__main__":
    sys.exit(main())
