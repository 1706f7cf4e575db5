"""policyd_sentinel - relaywarden-policyd behind Redis Sentinel: a master, a
replica and a redis-sentinel on loopback; policyd finds the master through
the sentinel and charges there; after SENTINEL FAILOVER it follows the new
master (bounded wait) and the counts carried over by replication hold: the
limit of 8 messages is exactly 8 across the failover. Then the new master
is killed and policyd follows the sentinel back to the first server."""
import sys
import time

from rwtest import (Policyd, RedisServer, rcpt, eom, check, finish, have_redis, skip,
                    redis_conf, redis_cmd, redis_try, wait_for, WAIT)

M = 8
CONF = """
local_domains = { "example.test" }
relay "submission" { type = sasl sender_login = any }
limit "user-msgs" {
    charge = sasl_user
    unit = messages
    rate = "%d/1d"
    on_store_failure = tempfail
}
""" % M
USER = dict(sasl_username="sentry", sasl_method="PLAIN", sender="sentry@example.test")
TF_REPLY = "451 4.3.0 rate-limit store unavailable, try again later"


def master_port(sentinel):
    """The master the sentinel names now (None if it cannot say)."""
    got = redis_try(sentinel.port, "SENTINEL", "get-master-addr-by-name", "mymaster")
    return int(got[1]) if isinstance(got, list) and len(got) == 2 else None


def is_master(port):
    role = redis_try(port, "ROLE")
    return isinstance(role, list) and role[0] == "master"


def replicated(src, dst):
    """Every rw: key of src has the same value on dst."""
    keys = redis_try(src.port, "KEYS", "rw:*")
    if not keys:
        return False
    return all(redis_try(dst.port, "GET", k) == redis_try(src.port, "GET", k) for k in keys)


def charge_until_refused(d, limit_n, what):
    """EOMs until 450 (bounded): the count of DUNNO; 451 (store changing
    master) may come between and costs nothing."""
    accepted, other = 0, []
    deadline = time.monotonic() + WAIT * 3
    while time.monotonic() < deadline and accepted <= limit_n:
        got = d.ask(eom(**USER))
        if got == "DUNNO":
            accepted += 1
        elif got is not None and got.startswith("450 4.7.1 "):
            return accepted, got
        elif got == TF_REPLY:
            time.sleep(0.1)
        else:
            other.append(got)
    check(False, "%s: refused within the bound (accepted %d, unexpected %r)"
          % (what, accepted, other[:3]))
    return accepted, None


def wait_master(s, want, others, d, what):
    """The sentinel names want as master, want says master and the others
    (still running) say replica, and policyd decides against Redis again
    (peeks, charging nothing). Until the sentinel has demoted the old
    master, it takes writes that the resync to the new master drops: a
    charge made there is lost (Redis replication is asynchronous)."""
    ok = wait_for(lambda: master_port(s) == want.port and is_master(want.port) and
                  not any(o.proc is not None and is_master(o.port) for o in others),
                  "%s: sentinel promotes 127.0.0.1:%d" % (what, want.port), WAIT * 5)
    check(bool(ok), "%s: 127.0.0.1:%d is the only master" % (what, want.port))

    def normal():
        got = d.ask(rcpt(**USER))
        recs = d.records()
        return got is not None and recs and recs[-1].get("limits") and \
            not recs[-1]["limits"][0]["degraded"]
    check(bool(wait_for(normal, "%s: policyd decides against Redis" % what, WAIT * 3)),
          "%s: policyd peeks against Redis again" % what)


def main():
    if not have_redis(sentinel=True):
        skip("redis-server / redis-sentinel not installed")
    servers = []
    d = None
    try:
        m = RedisServer(name="master")
        servers.append(m)
        rep = RedisServer(replicaof=m.port, name="replica")
        servers.append(rep)
        s = RedisServer(sentinel_of=m.port, name="sentinel")
        servers.append(s)
        check(bool(wait_for(lambda: "master_link_status:up" in (redis_try(rep.port, "INFO",
                                                                          "replication") or "")
                            and redis_try(s.port, "SENTINEL", "replicas", "mymaster"),
                            "replica in sync and known to the sentinel", WAIT * 3)),
              "master, replica and sentinel up")

        # one event loop: each loop finds the new master on its own connection,
        # and the failovers below are followed through one
        d = Policyd(CONF + redis_conf(sentinels=[s.addr()], master_name="mymaster",
                                      timeout_ms=1000, connect_timeout_ms=500),
                    policyd_extra="workers = 1")
        d.wait_log("redis sentinel master=mymaster addr=127.0.0.1:%d" % m.port)
        check(True, "policyd discovered the master 127.0.0.1:%d through the sentinel" % m.port)
        answers = [d.ask(eom(**USER)) for _ in range(5)]
        check(answers == ["DUNNO"] * 5, "5 messages charged on the first master: %r" % answers)
        check(redis_cmd(m.port, "DBSIZE") == 1, "the state is on the master")
        check(bool(wait_for(lambda: replicated(m, rep), "state replicated")),
              "the state reached the replica")

        check(redis_cmd(s.port, "SENTINEL", "FAILOVER", "mymaster") == "OK", "SENTINEL FAILOVER")
        wait_master(s, rep, [m], d, "failover")
        accepted, refusal = charge_until_refused(d, M, "after failover")
        check(accepted == M - 5, "after failover: exactly %d more accepted (%d): counts carried over"
              % (M - 5, accepted))
        check(refusal is not None and '"user-msgs"' in refusal,
              "after failover: then 450 4.7.1 naming the limit: %r" % refusal)
        tat = redis_cmd(rep.port, "KEYS", "rw:*")
        check(len(tat) == 1, "the new master holds the state")
        check(bool(wait_for(lambda: replicated(rep, m), "state replicated back")),
              "the old master, now a replica, follows")

        rep.kill()			# the new master dies: back to the first server
        wait_master(s, m, [rep], d, "master killed")
        got = d.ask(eom(**USER))
        check(got is not None and got.startswith("450 4.7.1 "),
              "after the second failover: still exhausted (%r)" % got)
        check(redis_cmd(m.port, "DEL", *redis_cmd(m.port, "KEYS", "rw:*")) == 1,
              "state reset on the current master")
        got = d.ask(eom(**USER))
        check(got == "DUNNO", "after the reset: accepted on 127.0.0.1:%d (%r)" % (m.port, got))
        check("READONLY" in d.log_text() or "sentinel master=mymaster addr=127.0.0.1:%d"
              % rep.port in d.log_text(), "policyd logged the master change")
    finally:
        if d is not None:
            d.close()
        for x in reversed(servers):
            x.close()
    finish()


if __name__ == "__main__":
    sys.exit(main())
