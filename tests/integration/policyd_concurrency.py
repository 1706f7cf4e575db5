"""policyd_concurrency - 500 concurrent persistent connections, each with
several requests in flight over time, all answered correctly; the daemon
stays healthy and audits every decision."""
import selectors
import socket
import sys

from rwtest import Policyd, rcpt, check, finish, request_bytes, strip_ids, WAIT

CONF = """
local_domains = { "example.test" }
relay "office" { type = network networks = { "127.0.0.0/30" } }
"""
CONNS = 500
PER_CONN = 3


def expected(i, k):
    return b"action=OK\n\n" if (i + k) % 2 == 0 else \
        b"action=554 5.7.1 Relay access denied\n\n"


def request(i, k):
    addr = "127.0.0.2" if (i + k) % 2 == 0 else "192.0.2.%d" % (i % 250 + 1)
    return request_bytes(rcpt(client_address=addr, queue_id="Q%dK%d" % (i, k)))


def main():
    d = Policyd(CONF)
    sel = selectors.DefaultSelector()
    socks = []
    try:
        for i in range(CONNS):        # all connections open before any request
            s = d.connect()
            s.setblocking(False)
            socks.append(s)
        state = {}
        for i, s in enumerate(socks):
            s.send(request(i, 0))
            state[s] = [i, 0, b""]
            sel.register(s, selectors.EVENT_READ)
        done = wrong = 0
        while done < CONNS:
            events = sel.select(timeout=WAIT)
            if not events:
                break
            for key, _ in events:
                s = key.fileobj
                st = state[s]
                chunk = s.recv(4096)
                if not chunk:
                    wrong += 1
                    sel.unregister(s)
                    done += 1
                    continue
                st[2] += chunk
                if not st[2].endswith(b"\n\n"):
                    continue
                if strip_ids(st[2]) != expected(st[0], st[1]) or \
                        (st[2] != expected(st[0], st[1])) != (b"554" in st[2]):
                    wrong += 1
                st[1] += 1
                st[2] = b""
                if st[1] == PER_CONN:
                    sel.unregister(s)
                    done += 1
                else:
                    s.send(request(st[0], st[1]))
        check(done == CONNS and wrong == 0,
              "%d connections x %d requests: %d finished, %d wrong" % (CONNS, PER_CONN, done, wrong))
        check(d.ask(rcpt(client_address="127.0.0.2")) == "OK", "daemon answers after the load")
    finally:
        for s in socks:
            s.close()
        d.close()
    recs = d.records()
    check(len(recs) == CONNS * PER_CONN + 1, "every decision audited (%d)" % len(recs))
    qids = {r["queue_id"] for r in recs}
    check(len(qids) == CONNS * PER_CONN + 1, "no record lost or duplicated")
    finish()


if __name__ == "__main__":
    sys.exit(main())
