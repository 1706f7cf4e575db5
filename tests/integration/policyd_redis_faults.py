"""policyd_redis_faults - relaywarden-policyd when its redis-server fails,
for each on_store_failure mode at once (three daemons, one Redis):

  tempfail  -> 451 4.3.0 rate-limit store unavailable, try again later
  accept    -> DUNNO, the audit record's limits[].degraded true
  local     -> the in-process GCRA at local_share (50%) enforces the limit

Faults: Redis killed (SIGKILL) under load (every request still answered,
a log line says the store is degraded, the circuit breaker opens); Redis
restarted EMPTY (the script is reloaded on NOSCRIPT, decisions are normal
again, the breaker closes); Redis stopped (SIGSTOP) with timeout_ms 100;
Redis busy in DEBUG SLEEP. Every wait is bounded; nothing asserts on
elapsed time."""
import re
import socket
import sys
import threading
import time

from rwtest import (Policyd, RedisServer, rcpt, eom, check, finish, have_redis, skip,
                    redis_conf, request_bytes, read_reply, redis_cmd, VALGRIND, WAIT)

MODES = ("tempfail", "accept", "local")
TF_REPLY = "451 4.3.0 rate-limit store unavailable, try again later"
BURST = 10
CONF = """
local_domains = { "example.test" }
relay "submission" { type = sasl sender_login = any }
limit "user-msgs" {
    charge = sasl_user
    unit = messages
    rate = "%d/1d"
    on_store_failure = %s
    %s
}
"""
EMISSION_S = 86400 // BURST


def user(name):
    return dict(sasl_username=name, sasl_method="PLAIN", sender=name + "@example.test")


class Loader(threading.Thread):
    """Sequential EOM requests on one persistent connection until stopped;
    remembers, per reply, whether the fault had happened before the send."""

    def __init__(self, d, name, fault):
        super().__init__(daemon=True)
        self.d, self.name, self.fault = d, name, fault
        self.stop = threading.Event()
        self.replies = []		# (after_fault, reply)
        self.error = None

    def run(self):
        s = self.d.connect()
        try:
            n = 0
            while not self.stop.is_set():
                after = self.fault.is_set()
                s.sendall(request_bytes(eom(queue_id="L%d" % n, **user(self.name))))
                data = read_reply(s)
                if not data.endswith(b"\n\n"):
                    self.error = "connection closed"
                    return
                self.replies.append((after, data.decode()[len("action="):].strip()))
                n += 1
        except (OSError, socket.timeout) as e:
            self.error = repr(e)
        finally:
            s.close()

    def after(self):
        return [x for a, x in self.replies if a]


def wait_count(pred, what):
    """Bounded poll of pred()."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.02)
    check(False, "within the bound: " + what)
    return False


def last(d):
    recs = d.records()
    return recs[-1] if recs else {}


def degraded(rec):
    return any(x["degraded"] for x in rec.get("limits", []))


def wait_normal(d, what):
    """Peek (charges nothing) until a decision is made against Redis again."""
    deadline = time.monotonic() + WAIT * 2
    while time.monotonic() < deadline:
        got = d.ask(rcpt(**user("probe")))
        rec = last(d)
        if got == "OK" and rec.get("limits") and not degraded(rec):
            return True
        time.sleep(0.1)
    check(False, "%s: decisions normal again within the bound" % what)
    return False


def retry_s(reply):
    m = re.search(r"retry in (\d+) seconds", reply or "")
    return int(m.group(1)) if m else None


def check_degraded_answers(daemons, answers, what):
    """answers[mode]: replies given while the store was unavailable."""
    tf, acc, loc = (answers[m] for m in MODES)
    check(tf and all(x == TF_REPLY for x in tf),
          "%s: tempfail answers %s (%d)" % (what, TF_REPLY, len(tf)))
    check(acc and all(x == "DUNNO" for x in acc), "%s: accept answers DUNNO (%d)" % (what, len(acc)))
    rec = last(daemons["accept"])
    check(rec.get("verdict") == "DUNNO" and rec["limits"][0]["degraded"] is True,
          "%s: accept: audit record limits[].degraded true" % what)
    check(loc and all(x == "DUNNO" or x.startswith("450 4.7.1 ") for x in loc),
          "%s: local answers DUNNO or 450 (%d)" % (what, len(loc)))


def kill_under_load(r, daemons):
    """SIGKILL Redis while every daemon is under load."""
    fault = threading.Event()
    loaders = {m: Loader(daemons[m], "load-" + m, fault) for m in MODES}
    for ld in loaders.values():
        ld.start()
    wait_count(lambda: all(len(ld.replies) >= 5 for ld in loaders.values()), "load started")
    r.kill()
    fault.set()
    wait_count(lambda: all(len(ld.after()) >= 3 * BURST or ld.error
                           for ld in loaders.values()), "load goes on after the kill")
    for ld in loaders.values():
        ld.stop.set()
        ld.join(WAIT)
    for m, ld in loaders.items():
        check(ld.error is None and not ld.is_alive(),
              "kill: %s daemon answered every request (%d before, %d after; %s)"
              % (m, len(ld.replies) - len(ld.after()), len(ld.after()), ld.error))
        check(all(x in ("DUNNO", TF_REPLY) or x.startswith("450 4.7.1 ")
                  for _, x in ld.replies), "kill: %s: only expected replies" % m)
    check_degraded_answers(daemons, {m: loaders[m].after() for m in MODES}, "killed")
    loc = loaders["local"].after()
    local = [x["verdict"] for x in daemons["local"].records()
             if x["sasl"]["username"] == "load-local" and x["limits"][0]["degraded"]]
    check(local.count("DUNNO") == BURST and local[BURST:] == ["DEFER"] * (len(local) - BURST)
          and loc[-1].startswith("450 4.7.1 "),
          "kill: local: exactly the burst (%d) accepted locally, then 450 (%d of %d)"
          % (BURST, local.count("DUNNO"), len(local)))
    rec = last(daemons["local"])
    check(rec.get("verdict") == "DEFER" and rec["limits"][0]["degraded"] is True and
          any("local fallback" in t for t in rec["trace"]),
          "kill: local: refusal made by the local fallback, record degraded")
    check((retry_s(loc[-1]) or 0) > EMISSION_S,
          "kill: local: local_share 50%% halves the rate (retry %s s > %d s)"
          % (retry_s(loc[-1]), EMISSION_S))
    for m, d in daemons.items():
        d.wait_log("event=store_degraded")
        d.wait_log("event=breaker_open")
        check(True, "kill: %s: store_degraded and breaker_open logged" % m)


def restart_empty(r, daemons):
    """Redis back, empty: the script is loaded again on NOSCRIPT; normal decisions."""
    r.start()
    check(redis_cmd(r.port, "DBSIZE") == 0, "restart: Redis is empty")
    for m, d in daemons.items():
        wait_normal(d, "restart: " + m)
        for k in range(10):	# a fresh user each time: a deadline missed under load costs nothing
            got = d.ask(eom(**user("fresh-%s-%d" % (m, k))))
            rec = last(d)
            if not degraded(rec):
                break
        check(got == "DUNNO" and not degraded(rec) and rec["limits"][0]["remaining"] == BURST - 1,
              "restart: %s: message charged in the new Redis (%r)" % (m, got))
        d.wait_log("event=breaker_closed")
        d.wait_log("event=store_recovered")
        check(True, "restart: %s: breaker_closed and store_recovered logged" % m)
    info = redis_cmd(r.port, "INFO", "errorstats") + redis_cmd(r.port, "INFO", "commandstats")
    check("errorstat_NOSCRIPT:" in info and "cmdstat_script|load:calls=" in info,
          "restart: NOSCRIPT answered, then SCRIPT LOAD (transparent reload)")
    keys = redis_cmd(r.port, "KEYS", "rw:v1:*")
    check(len(keys) >= 3, "restart: the three messages are in the new Redis (%d keys)" % len(keys))


def paused(r, daemons):
    """SIGSTOP: every command times out (timeout_ms 100); the breaker opens."""
    opened = {m: d.log_text().count("event=breaker_open") for m, d in daemons.items()}
    closed = {m: d.log_text().count("event=breaker_closed") for m, d in daemons.items()}
    r.pause()
    try:
        answers = {m: [d.ask(eom(**user("paused-" + m))) for _ in range(5)]
                   for m, d in daemons.items()}
        check_degraded_answers(daemons, answers, "paused")
        check(answers["local"] == ["DUNNO"] * 5, "paused: local accepts within the burst")
        for m, d in daemons.items():
            d.wait_log("event=breaker_open", opened[m] + 1)
            check(True, "paused: %s: the breaker opened again" % m)
        abandoned_probe(daemons["accept"])
    finally:
        r.resume()
    for m, d in daemons.items():
        wait_normal(d, "resumed: " + m)
        d.wait_log("event=breaker_closed", closed[m] + 1)
        check(True, "resumed: %s: breaker closed" % m)
    # The charges sent before the breaker opened sat in the stopped server's
    # socket; it ran them after SIGCONT, past their deadline: RWLATE, no charge.
    d = daemons["tempfail"]
    got = d.ask(eom(**user("paused-tempfail")))
    rec = last(d)
    check(got == "DUNNO" and not degraded(rec) and rec["limits"][0]["remaining"] == BURST - 1,
          "resumed: mail deferred while Redis was stopped cost nothing (charge deadline): "
          "%r, remaining %s" % (got, rec.get("limits", [{}])[0].get("remaining")))


def abandoned_probe(d):
    """Breaker open, Redis stopped: once the backoff (0.5 s) has passed, the
    next request is the half-open probe. Its client hangs up at once; the
    probe must still time out and re-open the breaker (not leave it
    half-open, waiting for an answer nobody will report)."""
    failed = d.log_text().count("event=breaker_probe_failed")
    time.sleep(1.1)
    s = d.connect()
    s.sendall(request_bytes(eom(**user("gone"))))
    s.close()
    d.wait_log("event=breaker_probe_failed", failed + 1)
    check(True, "paused: a probe whose client hung up still re-opens the breaker")


def debug_sleep(r, daemons):
    """DEBUG SLEEP: the server is busy; the deadline applies the fail mode."""
    secs = 10 if VALGRIND else 2
    t = threading.Thread(target=lambda: redis_cmd(r.port, "DEBUG", "SLEEP", str(secs),
                                                  timeout=secs + WAIT), daemon=True)
    t.start()
    time.sleep(0.2)
    answers = {m: [d.ask(eom(**user("sleep-" + m)))] for m, d in daemons.items()}
    check_degraded_answers(daemons, answers, "DEBUG SLEEP %d" % secs)
    t.join(secs + WAIT)
    for m, d in daemons.items():
        wait_normal(d, "after DEBUG SLEEP: " + m)


def main():
    if not have_redis():
        skip("redis-server not installed")
    r = RedisServer()
    daemons = {}
    try:
        for m in MODES:
            share = "local_share = 50" if m == "local" else ""
            daemons[m] = Policyd(CONF % (BURST, m, share) +
                                 redis_conf(servers=[r.addr()], timeout_ms=100,
                                            connect_timeout_ms=200))
        for m, d in daemons.items():
            wait_normal(d, "start: " + m)
        kill_under_load(r, daemons)
        restart_empty(r, daemons)
        paused(r, daemons)
        debug_sleep(r, daemons)
    finally:
        for d in daemons.values():
            d.close()
        r.close()
    finish()


if __name__ == "__main__":
    sys.exit(main())
