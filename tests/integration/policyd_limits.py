"""policyd_limits - charging semantics of relaywarden-policyd against a real
redis-server: a peek at RCPT charges nothing, END-OF-MESSAGE charges once
with recipient_count and size, M messages pass and the next gets 450 4.7.1
naming the limit and the unit, refused mail costs nothing (all or nothing
across a rate limit and a quota), a message above the burst gets a
permanent 552 that says so, shadow mode accepts and records the would-be
refusal, and every record carries "charge" and "limits" and validates."""
import sys

from rwtest import (Policyd, RedisServer, rcpt, eom, check, finish, have_redis, skip,
                    redis_conf, redis_keys, quota_show, validate_records)

FP = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"
# GCRA usage drains continuously: 1000000/1d gives back a byte every 86 ms,
# so exact byte counts read later in the run need the slowest rate there is
# (a byte every 31.6 s). Every user is charged by the sasl_user limits; only
# bob's customer has a quota; only the certificate client is charged by the shadow limit.
CONF = """
local_domains = { "example.test" }
relay "submission" { type = sasl sender_login = any }
relay "partner" { type = certificate fingerprints = { "%s" } }
customer "acme" { users = { "bob" } }
limit "user-msgs" {
    charge = sasl_user
    unit = messages
    rate = "3/1d"
}
limit "user-rcpts" {
    charge = sasl_user
    unit = recipients
    rate = "100/1d"
}
limit "user-bytes" {
    charge = sasl_user
    unit = bytes
    rate = "1000000/366d"
}
limit "partner-msgs" {
    charge = cert
    unit = messages
    rate = "2/1d"
    mode = shadow
}
quota "acme-day" {
    charge = customer
    window = day
    recipients = 5
}
""" % FP


def user(name, **kw):
    base = dict(sasl_username=name, sasl_method="PLAIN", sender=name + "@example.test")
    base.update(kw)
    return base


def used(doc, limit, unit=None):
    """quota show --json: the used units of one limit (or quota counter)."""
    rows = [r for r in (doc or {}).get("limits", [])
            if r["limit"] == limit and (unit is None or r["unit"] == unit)]
    return rows[0]["used"] if rows else None


def last_record(d):
    recs = d.records()
    return recs[-1] if recs else {}


def peek_charges_nothing(d, r):
    """alice: RCPT peeks leave Redis untouched; one EOM charges 1 / 2 / 1234."""
    for rc in ("bob@remote.test", "carol@remote.test", "dan@remote.test"):
        got = d.ask(rcpt(recipient=rc, **user("alice")))
        check(got == "OK", "alice RCPT %s peeked: OK (%r)" % (rc, got))
    check(redis_keys(r.port) == {}, "RCPT peeks wrote nothing to Redis")
    doc = quota_show(d.conf, "--user", "alice")
    check(doc is not None and [used(doc, n) for n in ("user-msgs", "user-rcpts", "user-bytes")]
          == [0, 0, 0], "quota show: alice used nothing after peeks")
    rec = last_record(d)
    check(rec.get("charge") is False and len(rec.get("limits", [])) == 3 and
          all(x["cost"] == 1 and x["ok"] for x in rec["limits"]),
          "RCPT audit record: charge false, three limits peeked at cost 1")

    got = d.ask(eom(recipient_count="2", size="1234", **user("alice")))
    check(got == "DUNNO", "alice EOM (2 recipients, 1234 bytes) accepted: %r" % got)
    doc = quota_show(d.conf, "--user", "alice")
    check([used(doc, n) for n in ("user-msgs", "user-rcpts", "user-bytes")] == [1, 2, 1234],
          "EOM charged once: 1 message, 2 recipients, 1234 bytes (%s)" %
          [used(doc, n) for n in ("user-msgs", "user-rcpts", "user-bytes")])
    rec = last_record(d)
    check(rec.get("charge") is True and rec.get("stage") == "END-OF-MESSAGE" and
          [(x["name"], x["unit"], x["cost"], x["ok"], x["degraded"]) for x in rec["limits"]] ==
          [("user-msgs", "messages", 1, True, False), ("user-rcpts", "recipients", 2, True, False),
           ("user-bytes", "bytes", 1234, True, False)],
          "EOM audit record: charge true, limits with costs 1 / 2 / 1234")
    check([x["remaining"] for x in rec["limits"]] == [2, 98, 1000000 - 1234],
          "EOM audit record: remaining after the charge")

    before = redis_keys(r.port)
    check(d.ask(rcpt(**user("alice"))) == "OK", "alice peeks again: OK")
    check(redis_keys(r.port) == before, "a peek after a charge changes nothing in Redis")


def m_messages_then_450(d):
    """alice: 3 messages per day; the 4th (and a peek) get 450 naming limit and unit."""
    answers = [d.ask(eom(**user("alice"))) for _ in range(3)]
    check(answers[:2] == ["DUNNO", "DUNNO"], "alice messages 2 and 3 accepted: %r" % answers[:2])
    got = answers[2]
    check(got is not None and got.startswith("450 4.7.1 ") and '"user-msgs"' in got and
          "3 messages per 1d" in got and "retry in" in got,
          "4th message: 450 4.7.1 naming limit user-msgs and unit messages: %r" % got)
    rec = last_record(d)
    check(rec.get("verdict") == "DEFER" and rec.get("rule") == "user-msgs" and
          rec.get("charge") is True and not rec["limits"][0]["ok"] and
          rec["limits"][0]["retry_after_ms"] > 0, "refused EOM audited: DEFER, user-msgs, retry-after")
    doc = quota_show(d.conf, "--user", "alice")
    usage = [used(doc, n) for n in ("user-msgs", "user-rcpts", "user-bytes")]
    check(usage == [3, 4, 3234],
          "the refused message cost nothing (3 messages, 4 recipients, 3234 bytes): %s" % usage)
    got = d.ask(rcpt(**user("alice")))
    check(got is not None and got.startswith("450 4.7.1 ") and '"user-msgs"' in got,
          "RCPT peek refuses the exhausted identity early: %r" % got)


def all_or_nothing(d, r):
    """bob (customer acme, 5 recipients a day): a quota refusal charges no rate either."""
    got = d.ask(eom(recipient_count="3", size="100", **user("bob")))
    check(got == "DUNNO", "bob: 3 recipients accepted: %r" % got)
    before = redis_keys(r.port, "rw:v1:{acme}:*")
    check(len(before) == 4, "bob's charge wrote 3 rate keys and 1 quota hash (%d)" % len(before))
    got = d.ask(eom(recipient_count="3", size="100", **user("bob")))
    check(got is not None and got.startswith("450 4.7.1 ") and '"acme-day"' in got and
          "5 recipients per day" in got,
          "bob: 3 more recipients refused by quota acme-day (recipients): %r" % got)
    check(redis_keys(r.port, "rw:v1:{acme}:*") == before,
          "refused by the quota: no rate limit charged either (Redis unchanged)")
    rec = last_record(d)
    oks = {x["name"]: x["ok"] for x in rec.get("limits", [])}
    check(oks == {"user-msgs": True, "user-rcpts": True, "user-bytes": True, "acme-day": False},
          "audit record: the rate limits had room, the quota had none: %s" % oks)
    got = d.ask(eom(recipient_count="2", size="100", **user("bob")))
    check(got == "DUNNO", "bob: 2 recipients fill the quota exactly: %r" % got)
    doc = quota_show(d.conf, "--user", "bob")
    cust = quota_show(d.conf, "--customer", "acme")
    check(used(doc, "user-msgs") == 2 and used(doc, "user-rcpts") == 5 and
          used(cust, "acme-day") == 5, "bob charged for 2 messages / 5 recipients only (%s %s %s)"
          % (used(doc, "user-msgs"), used(doc, "user-rcpts"), used(cust, "acme-day")))


def accepted_recipients_only(d):
    """carol: 4 RCPTs, one refused; the EOM's recipient_count (3) is what is charged."""
    answers = [d.ask(rcpt(recipient=rc, **user("carol")))
               for rc in ("a@remote.test", "b@remote.test", "u%x.test@remote.test", "c@remote.test")]
    check(answers[0] == answers[1] == answers[3] == "OK" and answers[2].startswith("554 "),
          "carol: 3 recipients peeked OK, the percent hack refused: %r" % answers)
    doc = quota_show(d.conf, "--user", "carol")
    check(used(doc, "user-rcpts") == 0, "carol: nothing charged before EOM")
    got = d.ask(eom(recipient_count="3", size="500", **user("carol")))
    check(got == "DUNNO", "carol EOM accepted: %r" % got)
    doc = quota_show(d.conf, "--user", "carol")
    check(used(doc, "user-rcpts") == 3 and used(doc, "user-msgs") == 1,
          "carol charged 3 recipients (the accepted ones) and 1 message")


def never_fits(d):
    """dave: more recipients / bytes than the whole burst: 552, and nothing charged."""
    got = d.ask(eom(recipient_count="150", size="100", **user("dave")))
    check(got is not None and got.startswith("552 5.5.3 ") and '"user-rcpts"' in got and
          "cost 150 recipients exceeds burst 100" in got,
          "150 recipients > burst 100: permanent 552 5.5.3 saying so: %r" % got)
    got = d.ask(eom(recipient_count="1", size="2000000", **user("dave")))
    check(got is not None and got.startswith("552 5.3.4 ") and '"user-bytes"' in got and
          "exceeds burst 1000000" in got, "2 MB > burst 1 MB: 552 5.3.4: %r" % got)
    doc = quota_show(d.conf, "--user", "dave")
    check([used(doc, n) for n in ("user-msgs", "user-rcpts", "user-bytes")] == [0, 0, 0],
          "messages that can never fit cost nothing")


def shadow(d):
    """the certificate client: shadow limit of 2; the 3rd is accepted, audited as would-refuse."""
    req = dict(ccert_fingerprint=FP, encryption_protocol="TLSv1.3")
    answers = [d.ask(eom(**req)) for _ in range(3)]
    check(answers == ["DUNNO"] * 3, "shadow: 3 messages over a limit of 2 accepted: %r" % answers)
    rec = last_record(d)
    lim = rec.get("limits", [{}])[0]
    check(lim.get("name") == "partner-msgs" and lim.get("mode") == "shadow" and
          lim.get("ok") is False and rec.get("verdict") != "DEFER",
          "shadow: audit record shows the limit without room, mode shadow")
    check(any("shadow: would refuse: 450 4.7.1" in t for t in rec.get("trace", [])),
          "shadow: trace says it would refuse with 450 4.7.1")
    got = d.ask(rcpt(**req))
    check(got == "OK", "shadow: RCPT still permitted: %r" % got)


def main():
    if not have_redis():
        skip("redis-server not installed")
    r = RedisServer()
    d = None
    try:
        d = Policyd(CONF + redis_conf(servers=[r.addr()], timeout_ms=2000))
        peek_charges_nothing(d, r)
        m_messages_then_450(d)
        all_or_nothing(d, r)
        accepted_recipients_only(d)
        never_fits(d)
        shadow(d)
    finally:
        if d is not None:
            d.close()
        r.close()
    recs = d.records()
    eoms = [x for x in recs if x["stage"] == "END-OF-MESSAGE"]
    check(len(eoms) == 13 and all(x.get("charge") is True and x.get("limits") for x in eoms),
          "every EOM decision audited with charge true and limits (%d)" % len(eoms))
    rcpts = [x for x in recs if x["stage"] == "RCPT" and "limits" in x]
    check(rcpts and all(x["charge"] is False for x in rcpts), "RCPT records with limits: charge false")
    bad = validate_records(recs)
    check(not bad, "every record validates against the schema %s" % (bad[:1],))
    finish()


if __name__ == "__main__":
    sys.exit(main())
