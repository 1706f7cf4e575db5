"""policyd_metrics - policyd { metrics = "inet:..." } with a real Redis:
every series is there from the first scrape at zero (rules, limits and
quotas of the configuration included); decisions count by stage, verdict
and rule, refusals by reason and limits by name; Redis and audit series
move; GET /health is liveness (200 also while a failing store is handled
by its fail mode) and GET /ready readiness (503 while Redis is down and a
limit's fail mode is tempfail, 200 again once it is back); other paths and
methods are refused; the endpoint keeps answering while Postfix
connections are served."""
import re
import signal
import sys
import urllib.error
import urllib.request

from rwtest import (Policyd, RedisServer, check, eom, finish, free_port, have_redis, rcpt,
                    read_reply, redis_conf, skip, wait_for)

CONF = """
local_domains = { "example.test" }
relay "office" { type = network networks = { "127.0.0.0/30" } }
relay "submission" { type = sasl sender_login = any }
limit "user-msgs" {
    charge = sasl_user
    unit = messages
    rate = "2/1d"
    on_store_failure = tempfail
}
quota "cust-day" {
    charge = sasl_user
    window = day
    messages = 1000
    on_store_failure = accept
}
"""


def get(port, path, method="GET"):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), method=method)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.read().decode(), r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), ""


def value(text, series):
    """The sample value of series (name{labels} exactly), or None."""
    for ln in text.splitlines():
        if ln.startswith(series + " "):
            return float(ln.rsplit(" ", 1)[1])
    return None


def scrape(port):
    code, body, ctype = get(port, "/metrics")
    check(code == 200 and ctype.startswith("text/plain; version=0.0.4"), "metrics: 200, Prometheus text")
    return body


def main():
    if not have_redis():
        skip("redis-server not installed")
    r = RedisServer()
    mport = free_port()
    # one event loop: every series is checked at zero from the start, and
    # under valgrind a second loop's first Redis call can outlast 300 ms
    # (the loops' shared gauges: policyd_workers.py)
    d = Policyd(CONF + redis_conf([r.addr()], timeout_ms=300),
                policyd_extra='workers = 1\nmetrics = "inet:127.0.0.1:%d"' % mport)
    try:
        body = scrape(mport)
        zeros = ['relaywarden_decisions_total{stage="RCPT",verdict="OK"}',
                 'relaywarden_decisions_total{stage="END-OF-MESSAGE",verdict="DEFER"}',
                 'relaywarden_rule_decisions_total{rule="office",verdict="OK"}',
                 'relaywarden_rule_decisions_total{rule="user-msgs",verdict="DEFER"}',
                 'relaywarden_rule_decisions_total{rule="none",verdict="REJECT"}',
                 'relaywarden_refusals_total{reason="relay"}',
                 'relaywarden_refusals_total{reason="alignment"}',
                 'relaywarden_limit_refusals_total{kind="limit",name="user-msgs"}',
                 'relaywarden_limit_refusals_total{kind="quota",name="cust-day"}',
                 'relaywarden_redis_errors_total{kind="timeout"}',
                 'relaywarden_dns_failures_total{kind="timeout"}',
                 'relaywarden_audit_records_total{result="lost"}',
                 'relaywarden_local_fallback_decisions_total',
                 'relaywarden_decision_duration_seconds_count',
                 'relaywarden_reloads_total{result="refused"}']
        missing = [z for z in zeros if value(body, z) != 0]
        check(not missing, "every series present at zero from the start (missing: %s)" % missing)
        digest = re.search(r"config_digest=([0-9a-f]+)", d.log_text()).group(1)
        check(value(body, 'relaywarden_config_info{config_digest="%s"}' % digest) == 1,
              "config_info names the digest in effect")
        check('relaywarden_build_info{component="policyd",version="' in body, "build_info")
        check(value(body, 'relaywarden_store_state{state="redis"}') == 1 and
              value(body, 'relaywarden_store_state{state="failing"}') == 0, "store_state: redis")

        for i in range(3):
            d.ask(rcpt(client_address="127.0.0.2", queue_id="P%d" % i))
        for i in range(2):
            d.ask(rcpt(client_address="192.0.2.1", queue_id="R%d" % i))
        replies = [d.ask(eom(sasl_method="PLAIN", sasl_username="alice", queue_id="E%d" % i))
                   for i in range(3)]
        check(replies[:2] == ["DUNNO", "DUNNO"] and replies[2].startswith("450 4.7.1"),
              "two messages charged, the third over the limit (%s)" % replies)
        s = d.connect()                                # a malformed request: closed, counted
        s.sendall(b"no equals sign here\n\n")
        check(read_reply(s) == b"", "malformed request: closed without a reply")
        s.close()
        d.signal(signal.SIGHUP)
        d.wait_log("event=reloaded")
        body = scrape(mport)
        expect = {'relaywarden_decisions_total{stage="RCPT",verdict="OK"}': 3,
                  'relaywarden_decisions_total{stage="RCPT",verdict="REJECT"}': 2,
                  'relaywarden_decisions_total{stage="END-OF-MESSAGE",verdict="DEFER"}': 1,
                  'relaywarden_rule_decisions_total{rule="office",verdict="OK"}': 3,
                  'relaywarden_rule_decisions_total{rule="none",verdict="REJECT"}': 2,
                  'relaywarden_rule_decisions_total{rule="user-msgs",verdict="DEFER"}': 1,
                  'relaywarden_refusals_total{reason="relay"}': 2,
                  'relaywarden_refusals_total{reason="limit"}': 1,
                  'relaywarden_limit_refusals_total{kind="limit",name="user-msgs"}': 1,
                  'relaywarden_limit_refusals_total{kind="quota",name="cust-day"}': 0,
                  'relaywarden_decision_duration_seconds_count': 8,
                  'relaywarden_audit_records_total{result="written"}': 8,
                  'relaywarden_bad_requests_total': 1,
                  'relaywarden_connections_total': 9,
                  'relaywarden_reloads_total{result="ok"}': 1}
        wrong = ["%s=%s (want %s)" % (k, value(body, k), v) for k, v in expect.items()
                 if value(body, k) != v]
        check(not wrong, "counts after 8 decisions, a bad request and a reload: %s" % wrong)
        check((value(body, "relaywarden_redis_command_duration_seconds_count") or 0) >= 3,
              "Redis commands timed (at least the three charges)")
        check("# TYPE relaywarden_decision_duration_seconds histogram" in body and
              'relaywarden_decision_duration_seconds_bucket{le="+Inf"} 8' in body, "a histogram")
        code, text, _ = get(mport, "/health")
        check(code == 200 and text.startswith("ok\n"), "health: 200 ok (%d %r)" % (code, text))
        code, text, _ = get(mport, "/ready")
        check(code == 200 and text.startswith("ready"), "ready: 200 (%d %r)" % (code, text))

        r.kill()                                       # Redis down: user-msgs tempfails
        reply = d.ask(eom(sasl_method="PLAIN", sasl_username="bob", queue_id="D1"))
        check(reply is not None and reply.startswith("451 4.3.0"), "Redis down: 451 (%r)" % reply)
        code, text, _ = get(mport, "/health")
        check(code == 200 and text.startswith("ok degraded"),
              "health with Redis down: still 200, says degraded (%d %r)" % (code, text))
        code, text, _ = get(mport, "/ready")
        check(code == 503 and text.startswith("not ready"),
              "ready with Redis down and a tempfail limit: 503 (%d %r)" % (code, text))
        body = scrape(mport)
        check(value(body, "relaywarden_store_degraded") == 1, "store_degraded gauge: 1")
        check((value(body, 'relaywarden_redis_errors_total{kind="disconnected"}') or 0) +
              (value(body, 'relaywarden_redis_errors_total{kind="timeout"}') or 0) >= 1,
              "the failed Redis call counted by kind")
        check(value(body, 'relaywarden_refusals_total{reason="store"}') == 1,
              "the store refusal counted under its reason")

        r.start()                                      # back, empty, on the same port
        ok = wait_for(lambda: d.ask(eom(sasl_method="PLAIN", sasl_username="carol")) == "DUNNO",
                      "a charge succeeds once Redis is back")
        code, text, _ = get(mport, "/ready")
        check(ok and code == 200, "ready again once Redis is back (%d %r)" % (code, text))
        body = scrape(mport)
        check((value(body, "relaywarden_redis_reconnects_total") or 0) >= 1, "the reconnect counted")
        check(get(mport, "/nope")[0] == 404, "unknown path: 404")
        check(get(mport, "/metrics", method="POST")[0] == 405, "POST: 405")
        check(d.ask(rcpt(client_address="127.0.0.2")) == "OK", "policy service unaffected")
    finally:
        d.close()
        r.close()
    finish()


if __name__ == "__main__":
    sys.exit(main())
