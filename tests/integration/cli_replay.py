"""cli_replay - relaywarden replay: RCPT decisions a real policyd recorded,
decided again under a candidate configuration; the changes in relay
permission are listed (text and JSON), everything else is counted, and
the exit status says whether anything changes."""
import json
import os
import subprocess
import sys

from rwtest import CLI, Policyd, VALGRIND, check, finish, rcpt

CONF = """
local_domains = { "example.test" }
relay "office" { type = network networks = { "127.0.0.0/30" } }
relay "submission" { type = sasl sender_login = any }
"""
CANDIDATE = """
local_domains = { "example.test" }
relay "lab" { type = network networks = { "192.0.2.0/24" } }
relay "submission" { type = sasl sender_login = any }
"""


def replay(*args):
    cmd = [CLI, "replay"] + list(args)
    if VALGRIND:
        cmd = ["valgrind", "--quiet", "--error-exitcode=99", "--leak-check=full",
               "--errors-for-leak-kinds=definite"] + cmd
    p = subprocess.run(cmd, capture_output=True)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def main():
    d = Policyd(CONF)
    try:
        check(d.ask(rcpt(client_address="127.0.0.2", queue_id="Q1", recipient="a@remote.test")) == "OK", "Q1 OK")
        check(d.ask(rcpt(client_address="192.0.2.9", queue_id="Q2", recipient="b@remote.test")) != "OK", "Q2 refused")
        check(d.ask(rcpt(client_address="198.51.100.1", queue_id="Q3", recipient="c@example.test")) is not None, "Q3 local")
        check(d.ask(rcpt(client_address="198.51.100.1", queue_id="Q4", sasl_method="PLAIN",
                         sasl_username="alice", recipient="d@remote.test")) == "OK", "Q4 SASL")
    finally:
        d.close()
    cand = os.path.join(d.dir, "candidate.conf")
    with open(cand, "w") as fp:
        fp.write(CANDIDATE)

    rc, out, err = replay("-c", cand, d.audit)
    lines = out.splitlines()
    check(rc == 1, "changes found: exit 1 (%d) %s" % (rc, err))
    check(any(":1: Q1 " in ln and "was OK (rule office), now REJECT (rule -)" in ln and
              "Relay access denied" in ln for ln in lines), "Q1 would now be refused: %s" % out)
    check(any(":2: Q2 " in ln and "was REJECT (rule -), now OK (rule lab)" in ln for ln in lines),
          "Q2 would now be permitted by lab")
    check(not any(" Q3 " in ln or " Q4 " in ln for ln in lines), "Q3 (local) and Q4 (SASL) unchanged")
    check("4 RCPT decisions replayed" in out and "1 would now be refused, 1 would now be permitted, 2 unchanged" in out
          and "0 not replayable" in out, "summary: %s" % lines[-1])

    rc, out, err = replay("-c", cand, "--format", "json", d.audit)
    objs = [json.loads(ln) for ln in out.splitlines()]
    check(rc == 1 and [(o["queue_id"], o["was"], o["now"], o["now_rule"]) for o in objs] ==
          [("Q1", "OK", "REJECT", None), ("Q2", "REJECT", "OK", "lab")] and "replayed" in err,
          "json: one object per change, summary on stderr")

    rc, out, _ = replay("-c", d.conf, d.audit)
    check(rc == 0 and "0 would now be refused, 0 would now be permitted, 4 unchanged" in out,
          "the configuration that decided: nothing changes, exit 0")

    mixed = os.path.join(d.dir, "mixed.jsonl")
    with open(d.audit) as fp, open(mixed, "w") as out_fp:
        out_fp.write("garbage\n" + fp.read())
    rc, out, err = replay("-c", d.conf, mixed)
    check(rc == 1 and "mixed.jsonl:1: not an audit record" in err and "4 unchanged" in out,
          "a line that is not a record: named, the rest replayed, exit 1")
    check(replay(d.audit)[0] == 2 and replay("-c", cand)[0] == 2, "usage errors: exit 2")
    finish()


if __name__ == "__main__":
    sys.exit(main())
