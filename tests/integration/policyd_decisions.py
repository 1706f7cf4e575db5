"""policyd_decisions - real requests over TCP and a unix socket: actions,
persistent and pipelined connections, and one schema-valid audit record per
relay decision (none for other stages)."""
import re
import sys

from rwtest import (Policyd, rcpt, check, finish, validate_records, request_bytes,
                    read_reply, read_replies, as_action, strip_ids)

BURST = 40
FP = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"
CONF = """
instance = "it-host"
local_domains = { "example.test" }
sender_login "alice@example.test" { senders = { "alice@example.test" } }
relay "submission" {
    type = sasl
    listeners = { "submission" }
    require_tls = true
    sender_login = enforce
}
relay "office" {
    type = network
    networks = { "127.0.0.2", "2001:db8::/32" }
}
relay "partner" {
    type = certificate
    fingerprints = { "%s" }
}
""" % FP.lower().replace(":", "")

ALICE = dict(sasl_username="alice@example.test", sasl_method="PLAIN",
             policy_context="submission", encryption_protocol="TLSv1.3",
             encryption_cipher="TLS_AES_256_GCM_SHA384", server_port="587")

CASES = [
    # (name, request, expected reply as the audit records it (None: OK), expected rule)
    ("stranger relay refused", rcpt(), "554 5.7.1 <bob@remote.test>: Relay access denied", None),
    ("local domain accepted", rcpt(recipient="carol@example.test"), None, None),
    ("alice relays", rcpt(sender="alice@example.test", **ALICE), None, "submission"),
    ("alice foreign sender", rcpt(sender="boss@bank.test", **ALICE),
     "553 5.7.1 <boss@bank.test>: Sender address rejected: not owned by user alice@example.test",
     "submission"),
    ("allowlisted address", rcpt(client_address="127.0.0.2"), None, "office"),
    ("allowlisted v6", rcpt(client_address="2001:db8::7"), None, "office"),
    ("pinned certificate", rcpt(ccert_fingerprint=FP, encryption_protocol="TLSv1.3"), None,
     "partner"),
    ("other certificate", rcpt(ccert_fingerprint=FP.replace("AB", "00"),
                               encryption_protocol="TLSv1.3"),
     "554 5.7.1 <bob@remote.test>: Relay access denied", None),
    ("percent hack", rcpt(client_address="127.0.0.2", recipient="u%remote.test@example.test"),
     "554 5.7.1 <u%remote.test@example.test>: Relay access denied (percent hack not allowed)",
     None),
]


def main():
    d = Policyd(CONF)
    try:
        expected = []
        for via in ("inet", "unix"):
            for name, req, reply, rule in CASES:
                got = d.ask(req, via)
                want = as_action(reply, req["recipient"]) or "OK"
                check(got == want, "%s via %s: %r" % (name, via, got))
                expected.append((req, reply, rule))
        for state in ("CONNECT", "EHLO", "MAIL", "DATA", "END-OF-MESSAGE"):
            got = d.ask(rcpt(protocol_state=state))
            check(got == "DUNNO", "%s answered DUNNO: %r" % (state, got))

        # persistent connection, several requests one after another
        s = d.connect()
        answers = []
        for req in (rcpt(), rcpt(client_address="127.0.0.2"), rcpt(recipient="x@example.test")):
            s.sendall(request_bytes(req))
            answers.append(read_reply(s).decode())
        check(answers == ["action=554 5.7.1 Relay access denied\n\n",
                          "action=OK\n\n", "action=OK\n\n"], "persistent connection: %r" % answers)
        # pipelined: three requests in one write, answered in order
        s.sendall(request_bytes(rcpt(client_address="127.0.0.2")) + request_bytes(rcpt()) +
                  request_bytes(rcpt(protocol_state="DATA")))
        data = read_replies(s, 3)
        check(strip_ids(data) == b"action=OK\n\naction=554 5.7.1 Relay access denied\n\n"
                      b"action=DUNNO\n\n", "pipelined requests answered in order: %r" % data)
        s.close()
        # a burst of refusals in one write: one loop turn's summary lines leave in one
        # write(2), each a whole line of its own
        s = d.connect()
        s.sendall(b"".join(request_bytes(rcpt(recipient="burst%d@remote.test" % i))
                           for i in range(BURST)))
        data = read_replies(s, BURST)
        s.close()
        check(strip_ids(data) == b"action=554 5.7.1 Relay access denied\n\n" * BURST,
              "the burst refused in order (%d replies)" % data.count(b"\n\n"))
        # unknown attributes are ignored
        got = d.ask(rcpt(client_address="127.0.0.2", some_future_attribute="x y z"))
        check(got == "OK", "unknown attribute ignored: %r" % got)
    finally:
        d.close()

    recs = d.records()
    relay_decisions = len(expected) + 3 + 2 + BURST + 1
    check(len(recs) == relay_decisions,
          "one audit record per RCPT decision: %d records for %d" % (len(recs), relay_decisions))
    bad = validate_records(recs)
    check(not bad, "every record validates against the schema %s" % (bad[:1],))
    log = d.log_text()
    for rec, (req, reply, rule) in zip(recs, expected):
        want_verdict = "OK" if reply is None else "REJECT"
        rid = rec.get("id") or ""
        ok = (rec["verdict"] == want_verdict and rec["rule"] == rule and
              rec["recipient"] == req["recipient"] and rec["sender"] == req["sender"] and
              rec["client"]["address"] == req["client_address"] and
              re.fullmatch(r"[0-9a-f]{12}", rid) is not None and
              rec["reply"] == (None if reply is None else "%s (id %s)" % (reply, rid)) and
              rec["host"] == "it-host" and rec["component"] == "policyd" and
              rec["stage"] == "RCPT" and len(rec["trace"]) >= 1)
        check(ok, "audit record matches the decision for %s -> %s" % (req["recipient"], reply))
        if reply is not None:      # the Postfix-style line, with the same id
            line = "NOQUEUE: reject: RCPT from %s[%s]: %s (id %s);%s from=<%s> to=<%s> rule=%s id=%s" % (
                req["client_name"], req["client_address"], reply, rid,
                " sasl=" + req["sasl_username"] if req["sasl_username"] else "",
                req["sender"], req["recipient"], rule or "-", rid)
            check(": " + line + "\n" in log, "log line for the refusal: %s" % line)
    burst = [ln for ln in log.splitlines() if " to=<burst" in ln]
    whole = [re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ relaywarden-policyd\[\d+\]: NOQUEUE: "
                          r"reject: RCPT from unknown\[192\.0\.2\.9\]: 554 5\.7\.1 <burst(\d+)@remote\.test>:"
                          r" Relay access denied \(id [0-9a-f]{12}\); from=<x@remote\.test> "
                          r"to=<burst\1@remote\.test> rule=- id=[0-9a-f]{12}", ln) for ln in burst]
    check(len(burst) == BURST and all(whole) and
          [int(w.group(1)) for w in whole] == list(range(BURST)),
          "the burst's summary lines: whole, one each, in order (%d) %r" % (
              len(burst), [ln for ln, w in zip(burst, whole) if not w][:1]))
    check(len({r["id"] for r in recs}) == len(recs), "every decision has an id of its own")
    alice = [r for r in recs if r["sasl"]["username"] == "alice@example.test"]
    check(len(alice) == 4 and all(r["listener"]["name"] == "submission" and
                                  r["listener"]["port"] == 587 and
                                  r["tls"]["protocol"] == "TLSv1.3" for r in alice),
          "SASL, listener and TLS details recorded")
    cert = [r for r in recs if r["rule"] == "partner"]
    check(len(cert) == 2 and cert[0]["tls"]["cert_fingerprint"] == FP,
          "certificate fingerprint recorded")
    digests = {r["config_digest"] for r in recs}
    check(len(digests) == 1 and len(digests.pop()) == 64, "config digest recorded")
    finish()


if __name__ == "__main__":
    sys.exit(main())
