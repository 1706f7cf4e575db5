"""policyd_exactness - two relaywarden-policyd processes sharing one
redis-server, 40 concurrent persistent connections split across both, 400
END-OF-MESSAGE requests for one identity whose limit is 57 messages: exactly
57 are accepted (DUNNO) and every other one gets 450 4.7.1; Redis and the
audit trail agree."""
import selectors
import sys

from rwtest import (Policyd, RedisServer, eom, check, finish, have_redis, skip, redis_conf,
                    request_bytes, quota_show, WAIT)

M = 57
CONNS = 40
PER_CONN = 10
# 57 a day, so the allowance does not grow during the run (one message
# every 25 minutes), whatever valgrind does to the run time.
CONF = """
local_domains = { "example.test" }
relay "submission" { type = sasl sender_login = any }
limit "user-msgs" {
    charge = sasl_user
    unit = messages
    rate = "%d/1d"
}
""" % M
USER = dict(sasl_username="hammer", sasl_method="PLAIN", sender="hammer@example.test")


def hammer(daemons):
    """CONNS connections round-robin over daemons, PER_CONN requests each in
    sequence; the replies, or the number of connections that broke."""
    sel = selectors.DefaultSelector()
    socks, replies, broken = [], [], 0
    try:
        for i in range(CONNS):
            s = daemons[i % len(daemons)].connect()
            s.setblocking(False)
            socks.append(s)
        for i, s in enumerate(socks):
            s.send(request_bytes(eom(queue_id="Q%dK0" % i, **USER)))
            sel.register(s, selectors.EVENT_READ, [i, 0, b""])
        open_conns = CONNS
        while open_conns > 0:
            events = sel.select(timeout=WAIT)
            if not events:
                break
            for key, _ in events:
                s, st = key.fileobj, key.data
                chunk = s.recv(4096)
                if not chunk:
                    broken += 1
                    sel.unregister(s)
                    open_conns -= 1
                    continue
                st[2] += chunk
                if not st[2].endswith(b"\n\n"):
                    continue
                replies.append(st[2].decode())
                st[1] += 1
                st[2] = b""
                if st[1] == PER_CONN:
                    sel.unregister(s)
                    open_conns -= 1
                else:
                    s.send(request_bytes(eom(queue_id="Q%dK%d" % (st[0], st[1]), **USER)))
        broken += open_conns
    finally:
        for s in socks:
            s.close()
    return replies, broken


def main():
    if not have_redis():
        skip("redis-server not installed")
    r = RedisServer()
    daemons = []
    try:
        conf = CONF + redis_conf(servers=[r.addr()], timeout_ms=5000, connections=2)
        daemons = [Policyd(conf), Policyd(conf)]
        replies, broken = hammer(daemons)
        total = CONNS * PER_CONN
        check(broken == 0 and len(replies) == total,
              "%d requests over %d connections: %d answered, %d connections broken"
              % (total, CONNS, len(replies), broken))
        accepted = replies.count("action=DUNNO\n\n")
        refused = [x for x in replies if x.startswith("action=450 4.7.1 ") and '"user-msgs"' in x]
        check(accepted == M, "exactly %d accepted across both daemons (got %d)" % (M, accepted))
        others = sorted(set(replies) - {"action=DUNNO\n\n"} - set(refused))
        check(len(refused) == total - M, "every other one refused with 450 4.7.1 user-msgs (%d)%s"
              % (len(refused), "; also: %r" % others[:3] if others else ""))
        doc = quota_show(daemons[0].conf, "--user", "hammer")
        row = (doc or {}).get("limits", [{}])[0]
        check(row.get("used") == M and row.get("remaining") == 0,
              "Redis holds exactly %d used, 0 remaining (%s)" % (M, row.get("used")))
    finally:
        for d in daemons:
            d.close()
        r.close()
    total = CONNS * PER_CONN
    each = [d.records() for d in daemons]
    recs = [x for r in each for x in r]
    per = [sum(1 for x in r if x["verdict"] == "DUNNO") for r in each]
    check(len(recs) == total, "every decision audited once (%d)" % len(recs))
    degraded = [sum(1 for x in r if x["limits"][0]["degraded"] is not False) for r in each]
    check(sum(per) == M and degraded == [0, 0],
          "audit: %d accepted (%s per daemon), none degraded (%s)" % (sum(per), per, degraded))
    if degraded != [0, 0]:
        for d in daemons:
            print("\n".join(x for x in d.log_text().splitlines() if "store" in x or "breaker" in x))
    both = [len(r) for r in each]
    check(both == [total // 2] * 2, "each daemon decided half of them (%s)" % both)
    finish()


if __name__ == "__main__":
    sys.exit(main())
