"""audit_chain - policyd seals its records with hmac_key_file and
`relaywarden audit verify` proves the trail whole and in order across a
reload (a new chain) and a rotation (the chain goes on in the new file);
a changed, deleted, swapped or foreign record, or another key, is found
and named by file and line."""
import os
import shutil
import signal
import sys
import tempfile

from rwtest import Policyd, check, finish, rcpt, run_cli, validate_records

CONF = """
local_domains = { "example.test" }
relay "office" { type = network networks = { "127.0.0.0/30" } }
"""


def verify(*args):
    return run_cli("audit", "verify", *args)


def new_key(path):
    with open(path, "w") as fp:
        fp.write(os.urandom(32).hex() + "\n")
    os.chmod(path, 0o600)


def lines_of(path):
    with open(path) as fp:
        return fp.read().splitlines()


def write(path, lines):
    with open(path, "w") as fp:
        fp.write("".join(ln + "\n" for ln in lines))


def main():
    kdir = tempfile.mkdtemp(prefix="rw-key-")
    key, other = os.path.join(kdir, "audit.key"), os.path.join(kdir, "other.key")
    new_key(key)
    new_key(other)
    # one event loop: one chain, whose order and restarts are checked here
    # (several loops, each its own chain: policyd_workers.py)
    d = Policyd(CONF, policyd_extra="workers = 1", audit_extra='hmac_key_file = "%s"' % key)
    try:
        for i in range(3):
            check(d.ask(rcpt(client_address="127.0.0.2", queue_id="A%d" % i)) == "OK", "A%d" % i)
        d.signal(signal.SIGHUP)                       # reload: a new chain
        d.wait_log("event=reloaded")
        check(d.ask(rcpt(client_address="192.0.2.1", queue_id="B0")) is not None, "B0 after reload")
        os.rename(d.audit, d.audit + ".1")            # rotation: the chain goes on
        d.signal(signal.SIGUSR1)
        d.wait_log("event=audit_reopened")
        for i in range(2):
            check(d.ask(rcpt(client_address="127.0.0.2", queue_id="C%d" % i)) == "OK", "C%d" % i)
    finally:
        d.close()
    old, cur = lines_of(d.audit + ".1"), lines_of(d.audit)
    import json
    recs = [json.loads(ln) for ln in old + cur]
    check(validate_records(recs) == [], "sealed records are schema-valid")
    chains = [r["chain"]["id"] for r in recs]
    check(len(set(chains)) == 2 and chains[3] != chains[2] and chains[4] == chains[3],
          "reload started a new chain; rotation did not")
    check(all(ln.endswith('"}') and ',"mac":"' in ln for ln in old + cur), "mac is each record's last member")

    rc, out, err = verify("-c", d.conf, d.audit + ".1", d.audit)
    check(rc == 0 and "6 records, 2 chains, 0 problems: verified" in out,
          "both files, oldest first: verified (%d) %s%s" % (rc, out, err))
    rc, out, _ = verify("-c", d.conf)
    check(rc == 0 and "6 records, 2 chains, 0 problems: verified" in out,
          "the configuration's file: its rotation read first (%d) %s" % (rc, out))
    alone = os.path.join(d.dir, "alone.jsonl")
    shutil.copy(d.audit, alone)
    rc, out, _ = verify("-k", key, alone)
    check(rc == 0 and "starts after seq 0" in out and "2 records" in out,
          "the current file alone: verified, its chain noted as continuing (%d) %s" % (rc, out))
    rc, out, _ = verify("-k", key, d.audit + ".1", d.audit)
    check(rc == 0, "-k KEYFILE instead of the configuration")

    base = os.path.join(d.dir, "t.jsonl")
    every = old + cur
    write(base, every[:1] + [every[1].replace("A1", "A9")] + every[2:])
    rc, out, _ = verify("-k", key, base)
    check(rc == 1 and "t.jsonl:2: mac does not match" in out and "1 problems" in out,
          "a changed record: its line named, one problem (%s)" % out.strip().splitlines()[0])
    write(base, every[:1] + every[2:])
    rc, out, _ = verify("-k", key, base)
    check(rc == 1 and "t.jsonl:2: records missing: seq 1 to 1" in out, "a deleted record: the gap named")
    write(base, [every[0], every[2], every[1]] + every[3:])
    rc, out, _ = verify("-k", key, base)
    check(rc == 1 and "repeated or out of order" in out, "swapped records found")
    write(base, every + [every[-1]])
    rc, out, _ = verify("-k", key, base)
    check(rc == 1 and "t.jsonl:7:" in out, "a replayed record found")
    write(base, every[:2] + ['{"v":1,"time":"2026-01-01T00:00:00.000000Z","verdict":"OK"}'] + every[2:])
    rc, out, _ = verify("-k", key, base)
    check(rc == 1 and "t.jsonl:3: not sealed" in out, "an inserted unsealed record found")
    rc, out, _ = verify("-k", other, d.audit + ".1", d.audit)
    check(rc == 1 and out.count("mac does not match") == 6, "another key: every record fails")
    rc, out, err = verify("-k", os.path.join(kdir, "missing.key"), d.audit)
    check(rc == 2 and "missing.key" in err, "a missing key file: exit 2, named")
    shutil.rmtree(kdir)
    finish()


if __name__ == "__main__":
    sys.exit(main())
