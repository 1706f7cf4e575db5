"""policyd_metrics - policy { metrics = "inet:..." }: GET /metrics counts
decisions by stage and verdict, connections, bad requests and reloads in
Prometheus text format; GET /health is 200 while the rate-limit store is
fine and 503 once it fails; other paths and methods are refused; and the
endpoint keeps answering while Postfix connections are served."""
import signal
import socket
import sys
import urllib.error
import urllib.request

from rwtest import Policyd, check, eom, finish, free_port, rcpt, read_reply, request_bytes

CONF = """
local_domains = { "example.test" }
relay "office" { type = network networks = { "127.0.0.0/30" } }
relay "submission" { type = sasl sender_login = any }
limit "user-msgs" {
    charge = sasl_user
    unit = messages
    rate = "10/1d"
    on_store_failure = accept
}
redis {
    servers = { "127.0.0.1:%d" }
    timeout_ms = 300
    connect_timeout_ms = 300
}
"""


def get(port, path, method="GET"):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), method=method)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.read().decode(), r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), ""


def value(text, line_start):
    for ln in text.splitlines():
        if ln.startswith(line_start + " "):
            return int(ln.rsplit(" ", 1)[1])
    return None


def main():
    mport, dead = free_port(), free_port()       # nothing listens on "dead": Redis is down
    d = Policyd(CONF % dead, policyd_extra='metrics = "inet:127.0.0.1:%d"' % mport)
    try:
        code, body, ctype = get(mport, "/health")
        check(code == 200 and body.startswith("ok"), "health before any store call: 200 ok (%d %r)" % (code, body))
        for i in range(3):
            d.ask(rcpt(client_address="127.0.0.2", queue_id="P%d" % i))
        for i in range(2):
            d.ask(rcpt(client_address="192.0.2.1", queue_id="R%d" % i))
        s = d.connect()                                # a malformed request: closed, counted
        s.sendall(b"no equals sign here\n\n")
        check(read_reply(s) == b"", "malformed request: closed without a reply")
        s.close()
        d.signal(signal.SIGHUP)
        d.wait_log("event=reloaded")
        code, body, ctype = get(mport, "/metrics")
        check(code == 200 and ctype.startswith("text/plain; version=0.0.4"), "metrics: 200, Prometheus text")
        check(value(body, 'relaywarden_decisions_total{stage="RCPT",verdict="OK"}') == 3 and
              value(body, 'relaywarden_decisions_total{stage="RCPT",verdict="REJECT"}') == 2,
              "decisions by stage and verdict (3 OK, 2 REJECT)")
        check(value(body, "relaywarden_bad_requests_total") == 1, "bad requests: 1")
        check(value(body, "relaywarden_connections_total") == 6, "connections accepted: 6")
        check(value(body, 'relaywarden_reloads_total{result="ok"}') == 1, "reloads: 1")
        check("# TYPE relaywarden_decisions_total counter" in body and
              'relaywarden_info{store="redis",config_digest="' in body, "HELP/TYPE lines and the info labels")
        # an EOM charge: Redis is down, on_store_failure = accept
        reply = d.ask(eom(sasl_method="PLAIN", sasl_username="alice", recipient_count="1", size="100"))
        check(reply == "DUNNO", "EOM with Redis down: accepted by the fail mode (%r)" % reply)
        code, body, _ = get(mport, "/health")
        check(code == 503 and body.startswith("degraded"), "health with Redis down: 503 degraded (%d %r)" % (code, body))
        code, body, _ = get(mport, "/metrics")
        check(value(body, "relaywarden_store_degraded") == 1, "store_degraded gauge: 1")
        check(value(body, 'relaywarden_decisions_total{stage="END-OF-MESSAGE",verdict="DUNNO"}') == 1,
              "the EOM decision counted")
        check(get(mport, "/nope")[0] == 404, "unknown path: 404")
        check(get(mport, "/metrics", method="POST")[0] == 405, "POST: 405")
        check(d.ask(rcpt(client_address="127.0.0.2")) == "OK", "policy service unaffected")
    finally:
        d.close()
    finish()


if __name__ == "__main__":
    sys.exit(main())
