"""explain_corpus - `relaywarden explain --live` and relaywarden-policyd give
the same action line for the same request: a corpus of requests at every
stage, every relay rule kind (sasl with sender login, network,
certificate fingerprint, certificate subject and issuer, local and relay
domains, relay tricks), refused and permitted, rate limits and a quota
under and over, a message that never fits and a shadow limit, against a
real redis-server and a real policyd that share one configuration file.

Each request goes to explain --live first (it peeks Redis, charges
nothing), then to policyd (which charges at END-OF-MESSAGE). The lines must
be identical. A refusal naming a retry time ("retry in N seconds") is
computed from Redis's clock when each asks, so there (only) policyd's line
may instead equal the one of a second explain run just after it (over a
limit nothing is charged, so that run sees the same counters).

Also: explain --live writes nothing to Redis, also for a message over its
rate (shown over); with Redis down it decides without the limits and says
they were not peeked (why on stderr), without a redis section that the
daemons count in their own memory; explain names the customer,
every limit and quota with its unit, identity and Redis key; without
--live it shows the SPF directions it would check and the limits it would
peek."""
import os
import re
import subprocess

from rwtest import (Policyd, RedisServer, CLI, WAIT, rcpt, eom, check, finish, free_port,
                    have_redis, skip, redis_conf, redis_keys, request_bytes, sasl_limit_conf)

FP = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"
FP2 = FP.replace("AB", "0B")
CONF = """
instance = "corpus"
local_domains = { "example.test" }
relay_domains = { ".backup.test" }
sender_login "alice" { senders = { "alice@example.test" } }
sender_login "carol" { senders = { "@carol.test" } }
sender_login "bob" { senders = { "bob@example.test" } }
sender_login "dave" { senders = { "dave@example.test" } }
relay "submission" {
    type = sasl
    listeners = { "submission" }
    sender_login = enforce
}
relay "office" {
    type = network
    networks = { "192.0.2.10", "2001:db8::/32" }
}
relay "partner" {
    type = certificate
    fingerprints = { "%s" }
}
relay "partner-ca" {
    type = certificate
    subject = "mx.partner.test"
    issuer = "Partner CA"
}
customer "acme" { users = { "alice", "carol" } }
limit "user-msgs" {
    charge = sasl_user
    unit = messages
    rate = "3/1d"
}
limit "user-bytes" {
    charge = sasl_user
    unit = bytes
    rate = "10000/1d"
}
limit "office-msgs" {
    charge = network
    unit = messages
    rate = "2/1d"
}
limit "partner-msgs" {
    charge = cert
    unit = messages
    rate = "1/1d"
    mode = shadow
}
quota "acme-day" {
    charge = customer
    window = day
    recipients = 5
}
""" % FP

SUB = dict(policy_context="submission", sasl_method="PLAIN", encryption_protocol="TLSv1.3")


def user(name, sender=None, **kw):
    base = dict(SUB, sasl_username=name,
                sender=name + "@example.test" if sender is None else sender)
    base.update(kw)
    return base


OFFICE = dict(client_address="192.0.2.10")
PARTNER = dict(client_address="198.51.100.7", ccert_fingerprint=FP, encryption_protocol="TLSv1.3")
PARTNER_CA = dict(client_address="198.51.100.8", ccert_subject="mx.partner.test",
                  ccert_issuer="Partner+20CA", ccert_fingerprint=FP2,
                  encryption_protocol="TLSv1.3")

# (name, request, the action expected of both: a prefix)
CORPUS = [
    # every stage of a stranger's session
    ("CONNECT", rcpt(protocol_state="CONNECT", recipient="", sender=""), "DUNNO"),
    ("EHLO", rcpt(protocol_state="EHLO", recipient="", sender=""), "DUNNO"),
    ("HELO", rcpt(protocol_state="HELO", recipient="", sender=""), "DUNNO"),
    ("MAIL", rcpt(protocol_state="MAIL", recipient=""), "DUNNO"),
    ("RCPT relay refused", rcpt(), "554 5.7.1 Relay access denied"),
    ("VRFY relay refused", rcpt(protocol_state="VRFY"), "554 5.7.1 Relay access denied"),
    ("DATA", rcpt(protocol_state="DATA", recipient=""), "DUNNO"),
    ("ETRN", rcpt(protocol_state="ETRN", recipient=""), "DUNNO"),
    ("END-OF-MESSAGE stranger", eom(), "DUNNO"),
    # recipients and relay tricks
    ("local domain", rcpt(recipient="carol@example.test"), "OK"),
    ("relay_domains subdomain", rcpt(recipient="x@mx.backup.test"), "OK"),
    ("trailing dot is local", rcpt(recipient="x@example.test."), "OK"),
    ("percent hack", rcpt(recipient="u%remote.test@example.test"), "554 5.7.1 Relay access"),
    ("bang path", rcpt(recipient="remote.test!u@example.test"), "554 5.7.1 Relay access"),
    ("address literal", rcpt(recipient="u@[192.0.2.1]"), "554 5.7.1 Relay access"),
    ("bad syntax", rcpt(recipient="a b@remote.test"), "501 5.1.3"),
    ("no domain", rcpt(recipient="postmaster"), "501 5.1.3"),
    ("missing recipient", rcpt(recipient=""), "554 5.7.1"),
    # sasl: listener, sender ownership
    ("bob owns his sender", rcpt(**user("bob")), "OK"),
    ("bob foreign sender", rcpt(**user("bob", sender="boss@bank.test")),
     "553 5.7.1 <boss@bank.test>: Sender address rejected"),
    ("bob on another listener", rcpt(**user("bob", policy_context="")), "554 5.7.1"),
    ("bob null sender", rcpt(**user("bob", sender="")), "OK"),
    # network and certificates
    ("office v4", rcpt(**OFFICE), "OK"),
    ("office v6", rcpt(client_address="2001:db8::7"), "OK"),
    ("pinned certificate", rcpt(**PARTNER), "OK"),
    ("subject and issuer", rcpt(**PARTNER_CA), "OK"),
    ("other certificate", rcpt(client_address="198.51.100.9", ccert_fingerprint=FP2,
                               encryption_protocol="TLSv1.3"), "554 5.7.1"),
    # alice: 3 messages a day, her customer acme 5 recipients a day
    ("alice RCPT peek", rcpt(**user("alice")), "OK"),
    ("alice EOM 1", eom(recipient_count="1", **user("alice")), "DUNNO"),
    ("alice EOM 2 (2 recipients)", eom(recipient_count="2", **user("alice")), "DUNNO"),
    ("carol EOM over the quota (3 more)", eom(recipient_count="3", **user("carol", "c@carol.test")),
     "450 4.7.1 Quota \"acme-day\" exceeded for customer acme"),
    ("carol RCPT: one recipient fits", rcpt(**user("carol", "c@carol.test")), "OK"),
    ("carol EOM 2 recipients: 5", eom(recipient_count="2", **user("carol", "c@carol.test")), "DUNNO"),
    ("carol RCPT: the quota is used up", rcpt(**user("carol", "c@carol.test")), "450 4.7.1 Quota"),
    ("alice local recipient: not relay, still peeked", rcpt(recipient="x@example.test",
                                                           **user("alice")), "450 4.7.1 Quota"),
    ("alice VRFY", rcpt(protocol_state="VRFY", **user("alice")), "450 4.7.1"),
    # dave: a message above the byte burst can never fit
    ("dave EOM too large", eom(size="20000", **user("dave")), "552 5.3.4"),
    ("dave EOM fits", eom(size="9000", **user("dave")), "DUNNO"),
    ("dave EOM over bytes", eom(size="9000", **user("dave")), "450 4.7.1 Rate limit \"user-bytes\""),
    ("dave EOM 2", eom(size="10", **user("dave")), "DUNNO"),
    ("dave EOM 3", eom(size="10", **user("dave")), "DUNNO"),
    ("dave EOM over messages", eom(size="10", **user("dave")), "450 4.7.1 Rate limit \"user-msgs\""),
    ("dave RCPT over messages", rcpt(**user("dave")), "450 4.7.1 Rate limit \"user-msgs\""),
    # the office network: 2 messages a day
    ("office EOM 1", eom(**OFFICE), "DUNNO"),
    ("office EOM 2", eom(**OFFICE), "DUNNO"),
    ("office EOM over", eom(**OFFICE), "450 4.7.1 Rate limit \"office-msgs\" exceeded for network office"),
    ("office RCPT over", rcpt(**OFFICE), "450 4.7.1"),
    ("office v6 shares the network's count", rcpt(client_address="2001:db8::7"), "450 4.7.1"),
    # the partner: a shadow limit never refuses
    ("partner EOM 1", eom(**PARTNER), "DUNNO"),
    ("partner EOM 2 (shadow over)", eom(**PARTNER), "DUNNO"),
    ("partner RCPT (shadow over)", rcpt(**PARTNER), "OK"),
]

RETRY = re.compile(r"retry in [0-9]+ seconds")


def explain(conf, req, *opts):
    """explain with req on stdin: (exit status, stdout)."""
    p = subprocess.run([CLI, "explain", "-c", conf] + list(opts), input=request_bytes(req),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=WAIT)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def action_of(out):
    """The value of explain's action= line, or None."""
    for line in out.splitlines():
        if line.startswith("action="):
            return line[len("action="):]
    return None


def corpus(d):
    """Every request to explain --live, then policyd; the same action."""
    for name, req, want in CORPUS:
        _, out = explain(d.conf, req, "--live")
        said = action_of(out)
        got = d.ask(req)
        same = said == got
        if not same and got is not None and RETRY.search(got):
            said_after = action_of(explain(d.conf, req, "--live")[1])
            same = said_after == got
            said = "%r / after: %r" % (said, said_after)
        check(same and got is not None and got.startswith(want),
              "%s: explain and policyd both %r (explain %s, want %r...)" % (name, got, said, want))


def live_charges_nothing(d, r):
    """explain --live of a message that would be charged leaves Redis as it was."""
    req = eom(recipient_count="1", **user("erin"))
    before = redis_keys(r.port)
    rc, out = explain(d.conf, req, "--live")
    check(rc == 0 and action_of(out) == "DUNNO" and redis_keys(r.port) == before,
          "explain --live of an END-OF-MESSAGE wrote nothing to Redis (exit %d)" % rc)
    check("a charge at END-OF-MESSAGE; current usage read from Redis, nothing charged" in out and
          re.search(r"limit user-msgs: messages, sasl_user erin, customer -, rate 3 per 86400 s,"
                    r" burst 3, cost 1\n    key rw:v1:\{-\}:rate:user-msgs:sasl_user:[0-9a-f]{32}:"
                    r" room, [0-9]+ remaining", out) is not None,
          "explain --live names the limit, unit, identity, customer, key and usage")


def live_over_charges_nothing(d, r):
    """After the corpus dave is over user-msgs: explain --live of his next
    message (a charge at END-OF-MESSAGE) refuses it (exit 1), shows the
    limit as over and leaves every counter in Redis as it was; so does a
    RCPT peek."""
    for stage, req in (("END-OF-MESSAGE", eom(size="10", **user("dave"))),
                       ("RCPT", rcpt(**user("dave")))):
        before = redis_keys(r.port)
        rc, out = explain(d.conf, req, "--live")
        check(rc == 1 and (action_of(out) or "").startswith(
                  '450 4.7.1 Rate limit "user-msgs" exceeded') and
              "current usage read from Redis, nothing charged" in out and
              re.search(r"limit user-msgs: messages, sasl_user dave, .*\n    key "
                        r"rw:v1:\{-\}:rate:user-msgs:sasl_user:[0-9a-f]{32}: over, retry in "
                        r"[0-9]+ ms\n", out) is not None,
              "explain --live %s over user-msgs: 450, the limit shown over (exit %d)" % (stage, rc))
        check(before != {} and redis_keys(r.port) == before,
              "explain --live %s over user-msgs: Redis unchanged" % stage)


def live_unpeeked(d):
    """Redis down: the decision without the limits, "not peeked" on stdout
    and why on stderr; no redis section: said so, nothing on stderr."""
    down = os.path.join(d.dir, "down.conf")
    with open(down, "w") as out_fp:
        out_fp.write(CONF + redis_conf(servers=["127.0.0.1:%d" % free_port()],
                                       connect_timeout_ms=1000))
    p = subprocess.run([CLI, "explain", "-c", down, "--live"], input=request_bytes(
        rcpt(**user("alice"))), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=WAIT)
    out, err = p.stdout.decode(), p.stderr.decode()
    check(p.returncode == 0 and action_of(out) == "OK" and
          "limits: Redis did not answer: not peeked" in out and
          "current usage not read" in out and
          "relaywarden: explain: limits not peeked: " in err,
          "explain --live, Redis down: OK, limits not peeked (exit %d, stderr %r)"
          % (p.returncode, err[:200]))
    local = os.path.join(d.dir, "local.conf")
    with open(local, "w") as out_fp:
        out_fp.write(sasl_limit_conf(3, on_store_failure="local"))
    p = subprocess.run([CLI, "explain", "-c", local, "--live"], input=request_bytes(
        rcpt(**user("alice"))), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=WAIT)
    out = p.stdout.decode()
    check(p.returncode == 0 and action_of(out) == "OK" and
          "limits: no redis section: each daemon counts in its own memory: not peeked" in out and
          p.stderr == b"",
          "explain --live, no redis section: said so (exit %d, stderr %r)"
          % (p.returncode, p.stderr[:200]))


def shows_plans(d):
    """Without --live: customer, limits and SPF directions shown, not run."""
    rc, out = explain(d.conf, rcpt(**user("alice")))
    check(rc == 0 and action_of(out) == "OK" and "customer: acme (by sasl_user)" in out and
          "sender: <alice@example.test> owned by alice (alice@example.test)" in out and
          "quota acme-day: recipients, customer acme, customer acme, cap 5 per day" in out and
          "key rw:v1:{acme}:quota:acme-day:customer:" in out and
          "limits: usage not peeked (no --live)" in out,
          "explain without --live: customer, sender ownership, the quota and its key")
    spf_conf = os.path.join(d.dir, "spf.conf")
    with open(d.conf) as fp, open(spf_conf, "w") as out_fp:
        out_fp.write(fp.read() + 'spf { egress = reject egress_addresses = '
                     '{ "203.0.113.1", "2001:db8:ff::1" } inbound = shadow }\n')
    rc, out = explain(spf_conf, rcpt(**user("bob")))
    check(rc == 0 and "spf: egress (reject) for sender <bob@example.test>: 203.0.113.1 "
          "2001:db8:ff::1 (not checked: no --live)" in out,
          "explain shows the egress SPF checks it would run")
    rc, out = explain(spf_conf, rcpt(recipient="x@example.test"))
    check(rc == 0 and "spf: inbound (shadow) for sender <x@remote.test>: 192.0.2.9 "
          "(not checked: no --live)" in out, "explain shows the inbound SPF check")


def main():
    if not have_redis():
        skip("redis-server not installed")
    r = RedisServer()
    d = None
    try:
        d = Policyd(CONF + redis_conf(servers=[r.addr()]))
        corpus(d)
        live_charges_nothing(d, r)
        live_over_charges_nothing(d, r)
        live_unpeeked(d)
        shows_plans(d)
    finally:
        if d is not None:
            d.close()
        r.close()
    finish()


main()
