"""cli_audit_query - relaywarden audit query over records a real policyd
wrote: every filter, the three formats, the configured file as default,
hostile bytes, and lines that are not records (reported with file and
line, the rest still printed)."""
import csv
import io
import json
import os
import subprocess
import sys

from rwtest import CLI, Policyd, VALGRIND, check, finish, rcpt

CONF = """
local_domains = { "example.test" }
sender_login "alice@example.test" { senders = { "alice@example.test" } }
relay "office" { type = network networks = { "127.0.0.0/30" } }
relay "submission" { type = sasl sender_login = enforce }
"""
DECISIONS = [  # queue id, request attributes, verdict
    ("Q1", dict(client_address="127.0.0.2", recipient="bob@remote.test"), "OK"),
    ("Q2", dict(client_address="192.0.2.9", recipient="eve@remote.test"), "REJECT"),
    ("Q3", dict(client_address="192.0.2.9", recipient="x@example.test"), "OK"),
    ("Q4", dict(client_address="198.51.100.7", sasl_method="PLAIN", sasl_username="alice@example.test",
                sender="alice@example.test", recipient="carol@remote.test"), "OK"),
    ("Q5", dict(client_address="2001:db8::5", recipient="dan@remote.test"), "REJECT"),
    ("Q6", dict(client_address="127.0.0.2", sender="=cmd\x1b[31m@remote.test",
                recipient="fay@remote.test"), "OK"),
]


def query(*args, stdin=None):
    cmd = [CLI, "audit", "query"] + list(args)
    if VALGRIND:
        cmd = ["valgrind", "--quiet", "--error-exitcode=99", "--leak-check=full",
               "--errors-for-leak-kinds=definite"] + cmd
    p = subprocess.run(cmd, input=stdin, capture_output=True)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def qids(out):
    """queue ids of table output (third column), header skipped"""
    return [ln.split()[2] for ln in out.splitlines()[1:]]


def main():
    d = Policyd(CONF)
    try:
        for qid, attrs, want in DECISIONS:
            got = d.ask(rcpt(queue_id=qid, **attrs))
            check((got == "OK") == (want == "OK"), "%s decided %s" % (qid, got))
    finally:
        d.close()
    log = d.audit
    with open(log, "rb") as fp:
        raw = fp.read()

    q5_id = [json.loads(ln)["id"] for ln in raw.decode().splitlines() if '"Q5"' in ln][0]
    rc, out, _ = query("--id", q5_id, log)
    check(rc == 0 and qids(out) == ["Q5"], "--id %s (the refusal's decision id) -> Q5" % q5_id)
    rc, out, err = query(log)
    check(rc == 0 and qids(out) == ["Q1", "Q2", "Q3", "Q4", "Q5", "Q6"] and err == "",
          "no filter: every record, in order (%d) %s" % (rc, err))
    check(out.splitlines()[0].split()[:4] == ["time", "component", "queue_id", "stage"], "table header")
    for args, want in [
            (["--verdict", "reject"], ["Q2", "Q5"]),
            (["--client", "192.0.2.0/24"], ["Q2", "Q3"]),
            (["--client", "2001:db8::/32"], ["Q5"]),
            (["--client", "127.0.0.2", "--client", "198.51.100.7"], ["Q1", "Q4", "Q6"]),
            (["--user", "alice@example.test"], ["Q4"]),
            (["--sender", "ALICE@EXAMPLE.TEST"], ["Q4"]),
            (["--recipient", "@remote.test", "--verdict", "OK"], ["Q1", "Q4", "Q6"]),
            (["--recipient", "@example.test"], ["Q3"]),
            (["--rule", "office"], ["Q1", "Q6"]),
            (["--queue-id", "Q3"], ["Q3"]),
            (["--component", "milter"], []),
            (["--since", "2999-01-01"], []),
            (["--until", "2000-01-01T00:00Z"], []),
            (["--since", "2000-01-01", "--until", "2999-12-31T23:59:59"], ["Q1", "Q2", "Q3", "Q4", "Q5", "Q6"]),
    ]:
        rc, out, err = query(*(args + [log]))
        check(rc == 0 and qids(out) == want, "%s -> %s (%s)" % (" ".join(args), want, qids(out)))

    times = [json.loads(ln)["time"] for ln in raw.decode().splitlines()]
    rc, out, _ = query("--since", times[3][:19], log)     # seconds: at or after Q4's second
    check(rc == 0 and "Q4" in qids(out) and set(qids(out)) <= {"Q1", "Q2", "Q3", "Q4", "Q5", "Q6"},
          "--since a record's own second includes it")

    rc, out, _ = query("--format", "json", "--verdict", "REJECT", log)
    lines = raw.decode().splitlines()
    check(rc == 0 and out.splitlines() == [lines[1], lines[4]], "json: the matching lines as written")

    rc, out, _ = query("--format", "csv", log)
    rows = list(csv.reader(io.StringIO(out)))
    check(rc == 0 and rows[0][:3] == ["time", "component", "queue_id"] and len(rows) == 7,
          "csv: header and six rows")
    q6 = rows[6]
    check(q6[6].startswith("'=cmd") and "\x1b" not in out,
          "csv: formula-looking field neutralised, escape byte removed (%r)" % q6[6])
    rc, out, _ = query("--queue-id", "Q6", log)
    check("\x1b" not in out and "=cmd?[31m@remote.test" in out, "table: control bytes shown as '?'")

    # C1 controls (U+0085 NEL, U+009B CSI) are shown as C0 controls are
    rec = json.loads(raw.decode().splitlines()[5])
    rec["sender"] = "c1\u0085x\u009b[31m@remote.test"
    rec["recipient"] = "fay@remote.test"
    c1log = os.path.join(d.dir, "c1.jsonl")
    with open(c1log, "wb") as fp:
        fp.write(json.dumps(rec, ensure_ascii=False).encode() + b"\n")
    for fmt in ("table", "csv"):
        rc, out, _ = query("--format", fmt, c1log)
        check(rc == 0 and "\u0085" not in out and "\u009b" not in out and
              "c1?x?[31m@remote.test" in out,
              "%s: C1 controls shown as '?' (%r)" % (fmt, out.splitlines()[-1:]))

    rc, out, err = query("-c", d.conf)
    check(rc == 0 and len(qids(out)) == 6, "no log given: the configured audit file (%d %s)" % (rc, err))
    rc, out, err = query("-", stdin=raw)
    check(rc == 0 and len(qids(out)) == 6, "- reads standard input")

    bad = os.path.join(d.dir, "mixed.jsonl")
    with open(bad, "wb") as fp:
        fp.write(raw.splitlines(True)[0] + b"not json at all\n" + raw.splitlines(True)[1] +
                 b'{"v":1,"time":"2026-01-01T00:00:00.000000Z","comp\n' + b'{"x":1}\n' +
                 raw.splitlines(True)[2])
    rc, out, err = query(bad)
    check(rc == 1 and qids(out) == ["Q1", "Q2", "Q3"], "bad lines skipped, records printed (%d)" % rc)
    check("mixed.jsonl:2: not an audit record" in err and "mixed.jsonl:4:" in err and
          "mixed.jsonl:5:" in err, "each bad line named with file and line: %s" % err.strip())

    rc, out, err = query(log, os.path.join(d.dir, "nonexistent"))
    check(rc == 1 and len(qids(out)) == 6 and "nonexistent" in err, "unreadable log: reported, exit 1")
    rc, out, err = query("--since", "yesterday", log)
    check(rc == 2 and "--since" in err, "bad time: usage error")
    rc, out, err = query("--client", "300.1.1.1", log)
    check(rc == 2 and "--client" in err, "bad network: usage error")
    rc, out, err = query("--format", "xml", log)
    check(rc == 2, "bad format: usage error")
    finish()


if __name__ == "__main__":
    sys.exit(main())
