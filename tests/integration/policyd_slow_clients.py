"""policyd_slow_clients - clients that never complete a request cannot keep
Postfix out: with max_connections held by clients dripping a request one
byte at a time, a normal client's requests are still answered (the client
stalled longest is evicted for each, event=evict), the drippers'
requests end at request_timeout whatever they send (event=request_timeout),
and /metrics counts both."""
import sys
import urllib.request

from rwtest import (Dripper, Policyd, rcpt, check, closed_by_server, finish, free_port,
                    read_reply, request_bytes, wait_for, VALGRIND)

CONF = """
local_domains = { "example.test" }
relay "office" { type = network networks = { "127.0.0.0/30" } }
"""
MAX = 20
NORMAL = 10


def metric(port, name):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=30) as r:
        for ln in r.read().decode().splitlines():
            if ln.startswith(name + " "):
                return int(ln.split()[1])
    return None


def main():
    mport = free_port()
    timeout_s = 4 if not VALGRIND else 8
    # one event loop: max_connections is then all its own (several loops
    # each take their share, and the kernel picks the loop: policyd_workers.py)
    d = Policyd(CONF, policyd_extra='workers = 1\nmax_connections = %d\nrequest_timeout = %d\n'
                'metrics = "inet:127.0.0.1:%d"' % (MAX, timeout_s, mport))
    drips = []
    normal = []
    drip = None
    try:
        for _ in range(MAX):
            drips.append(d.connect())
        drip = Dripper(drips, request_bytes(rcpt(client_address="127.0.0.2"))[:-1])
        drip.start()
        wait_for(lambda: d.log_text().count("event=connect") >= MAX, "%d clients connected" % MAX)
        # a second since every dripper's first byte: each is in the middle of a request
        wait_for(lambda: drip.sent >= 2, "the drippers' first bytes sent")
        answered = 0
        for i in range(NORMAL):      # persistent, as Postfix's are
            s = d.connect()
            normal.append(s)
            try:
                s.sendall(request_bytes(rcpt(client_address="127.0.0.2", queue_id="N%d" % i)))
                answered += read_reply(s, timeout=10 if not VALGRIND else 60) == b"action=OK\n\n"
            except OSError:
                break     # kept out: once is enough
        check(answered == NORMAL, "%d of %d requests answered while %d clients drip at "
              "max_connections" % (answered, NORMAL, MAX))
        evicted = d.log_text().count("event=evict")
        check(evicted == NORMAL and d.log_text().count("reason=stalled_request") == NORMAL,
              "a stalled dripping client evicted for each (%d event=evict)" % evicted)
        again = 0
        for i, s in enumerate(normal):   # the idle Postfix-like ones were not the victims
            try:
                s.sendall(request_bytes(rcpt(client_address="127.0.0.2", queue_id="A%d" % i)))
                again += read_reply(s, timeout=10 if not VALGRIND else 60) == b"action=OK\n\n"
            except OSError:
                pass
        check(again == NORMAL, "the normal connections kept: %d of %d answer again"
              % (again, NORMAL))
        answered += again
        left = [s for s in drips if closed_by_server([s]) == 0]
        check(len(left) == MAX - NORMAL, "%d drippers left after the evictions" % len(left))
        wait_for(lambda: closed_by_server(left) == len(left),
                 "the remaining drippers closed at request_timeout")
        check(closed_by_server(left) == len(left) and "event=request_timeout" in d.log_text(),
              "dripping clients closed at request_timeout (%d of %d)"
              % (closed_by_server(left), len(left)))
        check(metric(mport, "relaywarden_evictions_total") == evicted and
              metric(mport, "relaywarden_request_timeouts_total") ==
              d.log_text().count("event=request_timeout"),
              "/metrics counts evictions and request timeouts")
        check(d.ask(rcpt(client_address="127.0.0.2")) == "OK", "daemon answers afterwards")
    finally:
        if drip is not None:
            drip.stop.set()
            drip.join()
        for s in drips + normal:
            s.close()
        d.close()
    recs = d.records()
    check(len(recs) == answered + 1, "only complete requests decided and audited (%d)" % len(recs))
    finish()


if __name__ == "__main__":
    sys.exit(main())
