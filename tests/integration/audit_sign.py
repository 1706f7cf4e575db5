"""audit_sign - policyd signs checkpoints with audit { signing_key_file }
(no HMAC key) at start, every checkpoint_records records, rotation,
reload and stop, and logs a copy of each; `relaywarden audit verify
--public-key` proves the trail with the public key alone: a changed,
deleted, reordered or replayed line, a forged checkpoint or another key is
a problem named by file:line; lines after the last checkpoint of a cut
log are named unproven, and the cut is found with the logged copies.
`audit query`, `audit verify` and `replay` read the rotated files
(audit.jsonl.2.gz, audit.jsonl.1, audit.jsonl) oldest first when given
the live file's name. With both keys the HMAC mode still verifies."""
import gzip
import json
import os
import shutil
import signal
import sys
import tempfile
import time

from rwtest import (Policyd, WAIT, check, finish, rcpt, validate_records,
                    ed25519_keypair as keypair, run_cli as cli)

CONF = """
instance = "mx-sign"
local_domains = { "example.test" }
relay "office" { type = network networks = { "127.0.0.0/30" } }
"""
CANDIDATE = """
local_domains = { "example.test" }
relay "office" { type = network networks = { "127.0.0.1/32" } }
"""


def lines_of(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as fp:
        return fp.read().splitlines()


def write(path, lines):
    with open(path, "w") as fp:
        fp.write("".join(ln + "\n" for ln in lines))


def is_cp(line):
    return '"kind":"checkpoint"' in line


def run_daemon(key, extra=""):
    """policyd through a reload and two rotations (the older one gzipped);
    the daemon, and the queue ids asked in order"""
    # one event loop, one chain (several: policyd_workers.py)
    d = Policyd(CONF, policyd_extra="workers = 1",
                audit_extra='signing_key_file = "%s"\ncheckpoint_records = 3\n'
                'syslog = false\n%s' % (key, extra))
    asked = []

    def ask(qid, client="127.0.0.2"):
        asked.append(qid)
        return d.ask(rcpt(client_address=client, queue_id=qid))

    try:
        for i in range(5):
            check(ask("A%d" % i) == "OK", "A%d permitted" % i)
        d.signal(signal.SIGHUP)                         # reload: the chain ends, a new one starts
        d.wait_log("event=reloaded")
        check(ask("B0", client="192.0.2.1") is not None, "B0 after reload")
        os.rename(d.audit, d.audit + ".1")              # rotation: the chain goes on
        d.signal(signal.SIGUSR1)
        d.wait_log("event=audit_reopened")
        for i in range(4):
            ask("C%d" % i)
        os.rename(d.audit + ".1", d.audit + ".2")       # logrotate with compress
        os.rename(d.audit, d.audit + ".1")
        d.signal(signal.SIGUSR1)
        d.wait_log("event=audit_reopened", 2)
        with open(d.audit + ".2", "rb") as src, gzip.open(d.audit + ".2.gz", "wb") as dst:
            shutil.copyfileobj(src, dst)
        os.unlink(d.audit + ".2")
        for i in range(4):
            ask("D%d" % i)
    finally:
        d.close()
    return d, asked


def main():
    kdir = tempfile.mkdtemp(prefix="rw-sign-")
    priv, pub = keypair(kdir, "audit")
    _, other_pub = keypair(kdir, "other")
    # the verifier holds the public key alone: no private key, no configuration
    vdir = tempfile.mkdtemp(prefix="rw-verifier-")
    shutil.copy(pub, os.path.join(vdir, "audit.pub.pem"))
    pub = os.path.join(vdir, "audit.pub.pem")

    d, asked = run_daemon(priv)
    files = [d.audit + ".2.gz", d.audit + ".1", d.audit]
    every = [ln for f in files for ln in lines_of(f)]
    recs = [json.loads(ln) for ln in every]
    check(validate_records(recs) == [], "records and checkpoints are schema-valid")
    cps = [r for r in recs if r.get("kind") == "checkpoint"]
    reasons = [c["reason"] for c in cps]
    check(reasons.count("start") == 2 and reasons.count("close") == 2
          and reasons.count("rotate") == 2 and "records" in reasons,
          "checkpoints at start, every 3 records, rotation, reload and stop: %s" % reasons)
    check(all("mac" not in r and "prev" not in r["chain"] for r in recs),
          "a signing key alone: chained, no mac")
    check(all(is_cp(ln) for ln in lines_of(d.audit + ".1")[-1:] + lines_of(d.audit)[-1:]),
          "each file ends with a checkpoint (rotation, stop)")
    copies = os.path.join(d.dir, "copies.log")
    logged = [ln for ln in open(d.log).read().splitlines() if "event=audit_checkpoint" in ln]
    write(copies, logged)
    check(len(logged) == len(cps), "every checkpoint also logged (%d of %d)" % (len(logged), len(cps)))

    # a verifier with the public key alone, given the live file's name
    rc, out, err = cli("audit", "verify", "--public-key", pub, d.audit)
    check(rc == 0 and "%d lines, 2 chains" % len(every) in out and "0 problems, 0 unproven: verified" in out
          and out.count(", closed") == 2,
          "rotated and gzipped files read in order: every line proven (%d) %s%s" % (rc, out, err))
    rc, out, _ = cli("audit", "verify", "--public-key", pub, "--checkpoints", copies, *files)
    check(rc == 0 and "%d copies compared" % len(cps) in out, "files given: with the copies (%d) %s" % (rc, out))

    # query and replay read the same files oldest first; checkpoints are no decisions
    rc, out, err = cli("audit", "query", "-c", d.conf, "--format", "json")
    got = [json.loads(ln).get("queue_id") for ln in out.splitlines()]
    check(rc == 0 and got == asked, "audit query: every record, oldest file first (%s) %s" % (got, err))
    cand = os.path.join(d.dir, "candidate.conf")
    write(cand, CANDIDATE.splitlines())
    rc, out, err = cli("replay", "-c", cand, d.audit)
    names = [ln.split(":")[0] for ln in out.splitlines() if "now REJECT" in ln or "was OK" in ln]
    order = [n for i, n in enumerate(names) if i == 0 or names[i - 1] != n]
    check(order == files and "%d RCPT decisions replayed" % len(asked) in out,
          "replay: the rotated files oldest first (%s) %s%s" % (order, out[-300:], err))

    base = os.path.join(vdir, "t.jsonl")
    first = [i for i, ln in enumerate(every) if not is_cp(ln)][1]   # a record the first "records" checkpoint covers

    def verify(lines, *extra):
        write(base, lines)
        return cli("audit", "verify", "--public-key", pub, *extra, base)

    rc, out, _ = verify(every[:first] + [every[first].replace('"A1"', '"A9"')] + every[first + 1:])
    check(rc == 1 and "do not hash to its hash" in out and "1 problems" in out,
          "a changed record: the checkpoint after it fails (%s)" % out.splitlines()[0])
    rc, out, _ = verify(every[:first] + every[first + 1:])
    check(rc == 1 and "t.jsonl:%d: lines missing: seq %d to %d" % (first + 1, first, first) in out,
          "a deleted record: the gap named by file:line (%s)" % out.splitlines()[0])
    rc, out, _ = verify(every[:first] + [every[first + 1], every[first]] + every[first + 2:])
    check(rc == 1 and "repeated, replayed or out of order" in out, "swapped records found")
    cp_at = [i for i, ln in enumerate(every) if is_cp(ln)]
    forged = json.loads(every[cp_at[1]])
    forged_line = every[cp_at[1]].replace(forged["hash"], "0" * 64)
    rc, out, _ = verify(every[:cp_at[1]] + [forged_line] + every[cp_at[1] + 1:])
    check(rc == 1 and "t.jsonl:%d: checkpoint signature does not verify" % (cp_at[1] + 1) in out,
          "a forged checkpoint: named")

    # the tail cut: two records after a checkpoint kept, the rest of the chain gone
    chain0 = recs[0]["chain"]["id"]
    c0 = [i for i, r in enumerate(recs) if r["chain"]["id"] == chain0]
    mid = [i for i in c0 if is_cp(every[i]) and recs[i]["reason"] == "records"][0]
    cut = every[:mid + 3]
    rc, out, _ = verify(cut)
    check(rc == 3 and "t.jsonl:%d-%d: unproven: after the last checkpoint of chain %s" % (mid + 2, mid + 3, chain0) in out
          and "0 problems, 2 unproven: verified up to the last checkpoints" in out,
          "a cut tail without copies: the lines after the last checkpoint named unproven (%d) %s" % (rc, out))
    rc, out, _ = verify(cut, "--checkpoints", copies)
    check(rc == 1 and "lines cut off the end" in out and "has no line in the logs" in out,
          "a cut tail with the logged copies: the cut and the missing chain found (%d) %s" % (rc, out))
    forged_copies = os.path.join(vdir, "forged.log")
    write(forged_copies, [logged[1].replace(cps[1]["hash"], "f" * 64)])
    rc, out, _ = verify(every, "--checkpoints", forged_copies)
    check(rc == 1 and "forged.log:1: checkpoint signature does not verify" in out,
          "a forged checkpoint copy: named (%s)" % out.splitlines()[0])
    rc, out, _ = verify(cut + [every[mid]])
    check(rc == 1 and "t.jsonl:%d: seq %d after" % (mid + 4, recs[mid]["chain"]["seq"]) in out,
          "a replayed checkpoint: named (%s)" % out.splitlines()[0])
    cutgz = os.path.join(vdir, "cut.jsonl.gz")
    with open(files[0], "rb") as src, open(cutgz, "wb") as dst:
        dst.write(src.read()[:-40])
    rc, out, err = cli("audit", "verify", "--public-key", pub, cutgz)
    check(rc == 1 and "cut.jsonl.gz: unexpected end of file" in err, "a cut .gz file: named (%d) %s" % (rc, err))
    rc, out, err = cli("audit", "query", cutgz)
    check(rc == 1 and "cut.jsonl.gz: unexpected end of file" in err, "audit query: a cut .gz file named")
    rc, out, _ = cli("audit", "verify", "--public-key", other_pub, *files)
    check(rc == 1 and out.count("signed by another key") == len(cps), "another public key: every checkpoint refused")
    rc, out, err = cli("audit", "verify", "--public-key", priv + ".missing", d.audit)
    check(rc == 2 and ".missing" in err, "a missing public key: exit 2, named")
    rc, out, err = cli("audit", "verify", "--public-key", copies, d.audit)
    check(rc == 2 and "not an Ed25519" in err, "a file that is no key: exit 2")

    # an idle daemon: its timer signs a "time" checkpoint over the last records
    idle = Policyd(CONF, policyd_extra="workers = 1",
                   audit_extra='signing_key_file = "%s"\ncheckpoint_seconds = 1\n'
                   'syslog = false' % priv)
    try:
        for i in range(2):
            idle.ask(rcpt(client_address="127.0.0.2", queue_id="I%d" % i))
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline and not '"reason":"time"' in (lines_of(idle.audit) or [""])[-1]:
            time.sleep(0.1)
        rc, out, _ = cli("audit", "verify", "--public-key", pub, idle.audit)
        check(rc == 0 and "4 lines, 2 checkpoints" in out and "0 unproven: verified" in out and "no closing checkpoint" in out,
              "idle: a time checkpoint proves the last records while the daemon runs (%d) %s" % (rc, out))
    finally:
        idle.close()
    shutil.rmtree(idle.dir)

    # both keys: the HMAC chain covers the checkpoints too; the signatures still prove
    shutil.rmtree(d.dir)
    mkey = os.path.join(kdir, "mac.key")
    with open(mkey, "w") as fp:
        fp.write(os.urandom(32).hex() + "\n")
    os.chmod(mkey, 0o600)
    d, _ = run_daemon(priv, 'hmac_key_file = "%s"' % mkey)
    rc, out, _ = cli("audit", "verify", "-k", mkey, d.audit)
    check(rc == 0 and " 0 problems: verified" in out, "both keys: the HMAC mode verifies (%s)" % out[-200:])
    rc, out, _ = cli("audit", "verify", "--public-key", pub, d.audit)
    check(rc == 0 and "0 unproven: verified" in out, "both keys: the checkpoints prove")
    shutil.rmtree(d.dir)
    shutil.rmtree(kdir)
    shutil.rmtree(vdir)
    finish()


if __name__ == "__main__":
    sys.exit(main())
