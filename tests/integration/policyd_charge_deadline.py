"""policyd_charge_deadline - a stalled Redis that catches up never charges
mail that was deferred (issue 14, item 4): the charges Redis holds equal the
messages relaywarden-policyd accepted, whatever the stalls.

One identity charged by a quota with a cap nobody reaches (so the counter in
Redis is the number of messages charged), on_store_failure = tempfail (a
message is either accepted, DUNNO, or deferred, 451, and a deferred one must
cost nothing), timeout_ms = T. Redis is stopped (SIGSTOP) and resumed
(SIGCONT) by its pid:

  start      the daemon's Redis connections are up (the script is loaded),
             then Redis stops before any charge: ten messages at end of
             data, all deferred; then Redis resumes and runs whatever
             reached it;
  connect    Redis stops before a new daemon connects at all: the same;
  stalls     eight connections charge without pause while Redis stops again
             and again for 0.8 to 1.2 T, i.e. around the client's deadline.

After each, once Redis has run everything it was sent, the counter must
equal the DUNNO answers. Nothing asserts on elapsed time; every wait and
every loop is bounded."""
import os
import random
import sys
import threading
import time

from rwtest import (Policyd, RedisServer, eom, check, finish, have_redis, skip, redis_conf,
                    redis_cmd, request_bytes, read_reply, wait_for, TOP_SRCDIR, VALGRIND, WAIT)

T_MS = 250 if VALGRIND else 50
TF_REPLY = "451 4.3.0 rate-limit store unavailable, try again later"
CONF = """
local_domains = { "example.test" }
relay "submission" { type = sasl sender_login = any }
quota "count" {
    charge = sasl_user
    window = day
    messages = 1000000000
    on_store_failure = tempfail
}
"""
LOADERS = 8
STALLS = 12 if VALGRIND else 30


def user(name, n=0):
    return dict(sasl_username=name, sasl_method="PLAIN", sender=name + "@example.test",
                queue_id="Q%s%d" % (name.replace("-", ""), n))


def charged(r):
    """Messages charged in Redis: the sum of every quota hash's field m."""
    total = 0
    for k in redis_cmd(r.port, "KEYS", "rw:v1:*") or []:
        if redis_cmd(r.port, "TYPE", k) == "hash":
            total += int(redis_cmd(r.port, "HGET", k, "m") or 0)
    return total


def settle(r):
    """Wait (bounded) until Redis has run all it was sent: the number of
    EVALSHA calls it made stops changing for a while."""
    last, same = None, 0
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline and same < 5:
        info = redis_cmd(r.port, "INFO", "commandstats")
        calls = [x for x in info.splitlines() if x.startswith("cmdstat_evalsha:")]
        same = same + 1 if calls == last else 0
        last = calls
        time.sleep(max(0.1, 4 * T_MS / 1000))


class Tally:
    """Messages accepted so far, over every scenario."""
    accepted = 0


def one_message(d, r, what):
    """One message while Redis runs: accepted (the daemon recovered) and charged once."""
    got = wait_for(lambda: d.ask(eom(**user("one"))) == "DUNNO" or None,
                   "%s: a message accepted once Redis runs" % what)
    Tally.accepted += 1 if got else 0
    settle(r)
    check(charged(r) == Tally.accepted, "%s: then charged once (%d = %d)"
          % (what, charged(r), Tally.accepted))


def connections_up(r, n):
    """Redis has n client connections besides ours (the daemons' pool)."""
    return redis_cmd(r.port, "CLIENT", "LIST").count("\n") - 1 >= n


def stopped_ten(d, r, name):
    """Ten messages while Redis is stopped (the caller stopped it); resume; count."""
    try:
        answers = [d.ask(eom(**user(name, k))) for k in range(10)]
    finally:
        r.resume()
    settle(r)
    Tally.accepted += answers.count("DUNNO")
    check(answers.count(TF_REPLY) == 10, "%s: Redis stopped: all ten deferred (%s)"
          % (name, sorted(set(answers))))
    got = charged(r)
    check(got == Tally.accepted, "%s: charges in Redis (%d) = messages accepted (%d)"
          % (name, got, Tally.accepted))


class Loader(threading.Thread):
    """EOM requests on one persistent connection until stopped."""

    def __init__(self, d, name, idx):
        super().__init__(daemon=True)
        self.d, self.name, self.idx = d, name, idx
        self.stop = threading.Event()
        self.replies = []
        self.error = None

    def run(self):
        s = self.d.connect()
        try:
            n = 0
            while not self.stop.is_set() and n < 200000:
                s.sendall(request_bytes(eom(**user(self.name, self.idx * 1000000 + n))))
                data = read_reply(s)
                if not data.endswith(b"\n\n"):
                    self.error = "connection closed"
                    return
                self.replies.append(data.decode()[len("action="):].strip())
                n += 1
        except OSError as e:
            self.error = repr(e)
        finally:
            s.close()


def stalls(d, r, name):
    """Charges without pause while Redis stalls around the deadline, again and again."""
    rnd = random.Random(14)
    loaders = [Loader(d, name, i) for i in range(LOADERS)]
    for ld in loaders:
        ld.start()
    try:
        for _ in range(STALLS):
            time.sleep(rnd.uniform(0.2, 0.6) * (5 if VALGRIND else 1))
            r.pause()
            try:
                time.sleep(rnd.uniform(0.8, 1.2) * T_MS / 1000)
            finally:
                r.resume()
    finally:
        for ld in loaders:
            ld.stop.set()
        for ld in loaders:
            ld.join(WAIT)
    settle(r)
    replies = [x for ld in loaders for x in ld.replies]
    check(all(ld.error is None and not ld.is_alive() for ld in loaders),
          "stalls: every loader ran to its end (%s)" % [ld.error for ld in loaders])
    check(all(x in ("DUNNO", TF_REPLY) for x in replies),
          "stalls: only DUNNO or %s (%s)" % (TF_REPLY, sorted(set(replies))[:4]))
    ok, deferred = replies.count("DUNNO"), replies.count(TF_REPLY)
    Tally.accepted += ok
    check(ok > 0 and deferred > 0, "stalls: %d stalls hit: %d accepted, %d deferred"
          % (STALLS, ok, deferred))
    got = charged(r)
    check(got == Tally.accepted, "stalls: charges in Redis (%d) = messages accepted (%d)"
          % (got, Tally.accepted))


def main():
    if not have_redis():
        skip("redis-server not installed")
    r = RedisServer()
    daemons = []
    try:
        # the script is loaded already, as when other daemons share this Redis
        # (else the first charges would only meet NOSCRIPT)
        with open(os.path.join(TOP_SRCDIR, "schema", "limits.lua")) as fp:
            redis_cmd(r.port, "SCRIPT", "LOAD", fp.read())
        conf = CONF + redis_conf(servers=[r.addr()], timeout_ms=T_MS, connections=2)
        d = Policyd(conf)
        daemons.append(d)
        wait_for(lambda: connections_up(r, 2), "start: the daemon's connections are up")
        r.pause()
        stopped_ten(d, r, "start")
        one_message(d, r, "start")

        r.pause()
        try:
            d2 = Policyd(conf)	# its connections reach a stopped Redis
            daemons.append(d2)
        except Exception:
            r.resume()
            raise
        stopped_ten(d2, r, "connect")
        one_message(d2, r, "connect")

        stalls(d, r, "stall")
    finally:
        for x in daemons:
            x.close()
        r.close()
    finish()


if __name__ == "__main__":
    sys.exit(main())
