"""policyd_workers - policyd { workers = 2 }: two event loops decide the
connections of one inet port (SO_REUSEPORT) and one unix socket (shared),
each sealing its own audit chain into the one file; the /metrics
connection gauge counts both loops' connections; a reload reaches both
(every later record carries the new config digest, under two new chains),
a rotation too (both loops write on in the new file, each chain's old file
ending with a "rotate" checkpoint), and a stop closes both chains. Every
decision is recorded once, and `relaywarden audit verify --public-key`
proves the trail, chain by chain, across the rotation."""
import json
import os
import signal
import socket
import sys
import tempfile

from rwtest import (Policyd, WAIT, check, ed25519_keypair, finish, free_port, metric, rcpt,
                    read_reply, request_bytes, run_cli)

CONF = """
instance = "mx-workers"
local_domains = { "example.test" }
relay "office" { type = network networks = { "127.0.0.0/30" } }
"""
# the reload adds a rule: a new digest
CONF2 = CONF + 'relay "lab" { type = network networks = { "198.51.100.0/25" } }\n'
ASKS = 24	# connections per phase: all on one loop by chance is 2^-23


def lines(path):
    with open(path) as fp:
        return [json.loads(ln) for ln in fp if ln.strip()]


def decisions(recs):
    return [r for r in recs if r.get("kind") != "checkpoint"]


def checkpoints(recs, reason):
    return [r for r in recs if r.get("kind") == "checkpoint" and r.get("reason") == reason]


def ask_many(d, prefix, n, via="inet"):
    got = [d.ask(rcpt(client_address="127.0.0.2", queue_id="%s%d" % (prefix, i)), via=via)
           for i in range(n)]
    return got.count("OK")


def main():
    kdir = tempfile.mkdtemp(prefix="rw-key-")
    priv, pub = ed25519_keypair(kdir, "sign")
    mport = free_port()
    d = Policyd(CONF, policyd_extra='workers = 2\nmetrics = "inet:127.0.0.1:%d"' % mport,
                audit_extra='signing_key_file = "%s"\ncheckpoint_records = 1000\nsyslog = false'
                % priv)
    try:
        check("workers=2" in d.log_text(), "ready with two event loops")
        asked = ask_many(d, "A", ASKS)
        check(asked == ASKS, "every inet connection answered (%d of %d)" % (asked, ASKS))
        asked = ask_many(d, "U", 8, via="unix")
        check(asked == 8, "every unix connection answered (%d of 8)" % asked)
        first = decisions(d.records())
        chains = {r["chain"]["id"] for r in first}
        check(len(chains) == 2, "both loops decided, each sealing its own chain (%d)" % len(chains))
        check(len(first) == ASKS + 8 and
              sorted(r["queue_id"] for r in first) ==
              sorted(["A%d" % i for i in range(ASKS)] + ["U%d" % i for i in range(8)]),
              "one record per decision, none lost or repeated (%d)" % len(first))
        check(len(checkpoints(d.records(), "start")) == 2, "each chain begins with its start checkpoint")

        held = []
        for _ in range(12):				# open connections on both loops
            s = socket.create_connection(("127.0.0.1", d.port), timeout=WAIT)
            s.sendall(request_bytes(rcpt(client_address="127.0.0.2", queue_id="H")))
            read_reply(s)
            held.append(s)
        conns = metric(mport, "relaywarden_connections")
        check(conns == 12, "the connection gauge counts both loops' connections (%r)" % conns)
        for s in held:
            s.close()

        old_digest = first[0]["config_digest"]
        d.write_config(CONF2, policyd_extra='workers = 2\nmetrics = "inet:127.0.0.1:%d"' % mport,
                       audit_extra='signing_key_file = "%s"\ncheckpoint_records = 1000\n'
                       'syslog = false' % priv)
        d.signal(signal.SIGHUP)
        d.wait_log("event=reloaded")                  # logged once every loop applied it
        n0 = len(d.records())
        asked = ask_many(d, "B", ASKS)
        after = decisions(d.records()[n0:])
        check(asked == ASKS and len(after) == ASKS, "after the reload: answered and recorded")
        check(all(r["config_digest"] != old_digest for r in after),
              "both loops decide under the new configuration")
        new_chains = {r["chain"]["id"] for r in after}
        check(len(new_chains) == 2 and not (new_chains & chains),
              "each loop began a new chain at the reload (%d new)" % len(new_chains))

        os.rename(d.audit, d.audit + ".1")
        d.signal(signal.SIGUSR1)
        d.wait_log("event=audit_reopened")           # logged once every loop reopened
        asked = ask_many(d, "C", ASKS)
        cur = decisions(lines(d.audit))
        check(asked == ASKS and len(cur) == ASKS and {r["chain"]["id"] for r in cur} == new_chains,
              "after the rotation both chains go on in the new file")
        check(len(checkpoints(lines(d.audit + ".1"), "rotate")) == 2,
              "each chain's part of the old file ends with a rotate checkpoint")
    finally:
        d.close()
    check(len(checkpoints(lines(d.audit), "close")) == 2, "the stop closed both chains")
    rc, out, err = run_cli("audit", "verify", "--public-key", pub, d.audit + ".1", d.audit)
    check(rc == 0 and "0 problems" in out and "4 chains" in out,
          "verify --public-key: both files, four chains, proven (%d) %s%s" % (rc, out[-300:], err))
    finish()


if __name__ == "__main__":
    sys.exit(main())
