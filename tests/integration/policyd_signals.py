"""policyd_signals - SIGHUP reloads atomically (a broken config is refused and
the old one keeps deciding), SIGUSR1 reopens the audit file after rotation,
SIGTERM stops cleanly and removes the socket and pid file."""
import os
import signal
import sys

from rwtest import Policyd, rcpt, check, finish

CONF1 = """
local_domains = { "example.test" }
relay "office" { type = network networks = { "127.0.0.2" } }
"""
CONF2 = CONF1 + """
relay "branch" { type = network networks = { "198.51.100.0/24" } }
"""
BROKEN = CONF2 + """
relay "oops" { type = network networks = { "10.0.0.1/33" } }
"""


def main():
    d = Policyd(CONF1)
    try:
        check(os.path.exists(d.pidfile) and int(open(d.pidfile).read()) == d.proc.pid,
              "pid file written")
        check(d.ask(rcpt(client_address="198.51.100.7")).startswith("554 "),
              "branch refused before reload")
        digest1 = d.records()[-1]["config_digest"]

        d.write_config(CONF2)
        d.signal(signal.SIGHUP)
        d.wait_log("event=reloaded")
        check(d.ask(rcpt(client_address="198.51.100.7")) == "OK", "branch permitted after reload")
        rec = d.records()[-1]
        check(rec["rule"] == "branch" and rec["config_digest"] != digest1,
              "new rule and new config digest in the audit record")

        d.write_config(BROKEN)
        d.signal(signal.SIGHUP)
        d.wait_log("event=reload_refused")
        check("relaywarden.conf:" in d.log_text().split("event=reload_refused")[1].split("\n")[0],
              "refusal names the file and line")
        check(d.ask(rcpt(client_address="198.51.100.7")) == "OK", "old config still decides")
        check(d.ask(rcpt(client_address="10.0.0.1")).startswith("554 "), "broken rule not active")

        os.rename(d.audit, d.audit + ".1")
        d.signal(signal.SIGUSR1)
        d.wait_log("event=audit_reopened")
        d.ask(rcpt(client_address="127.0.0.2", queue_id="AFTERROTATE"))
        recs = d.records()
        check(len(recs) == 1 and recs[0]["queue_id"] == "AFTERROTATE",
              "records go to the new file after SIGUSR1")
    finally:
        rc = d.close()
    check(rc == 0 and not os.path.exists(d.sock) and not os.path.exists(d.pidfile),
          "SIGTERM: clean exit, socket and pid file removed")
    finish()


if __name__ == "__main__":
    sys.exit(main())
