"""policyd_privdrop - started as root with user = "nobody", policyd binds
its sockets and opens its files as root, then runs as nobody (uid, gid and
groups, for good): it still serves, writes its audit file, and reloads a
configuration nobody can read. An unknown user is a configuration error.
Needs root (skipped otherwise)."""
import os
import pwd
import signal
import subprocess
import sys

from rwtest import CLI, Policyd, check, finish, rcpt, skip

CONF = """
user = "nobody"
local_domains = { "example.test" }
relay "office" { type = network networks = { "127.0.0.0/30" } }
"""


def ids(pid):
    """Uid, Gid (real, effective, saved, fs) and Groups of a process"""
    out = {}
    with open("/proc/%d/status" % pid) as fp:
        for line in fp:
            key, _, rest = line.partition(":")
            if key in ("Uid", "Gid", "Groups"):
                out[key] = [int(x) for x in rest.split()]
    return out


def main():
    if os.geteuid() != 0:
        skip("needs root to start as root")
    nobody = pwd.getpwnam("nobody")
    d = Policyd(CONF)
    try:
        got = ids(d.proc.pid)
        check(got["Uid"] == [nobody.pw_uid] * 4 and got["Gid"] == [nobody.pw_gid] * 4,
              "runs as nobody: uid %s gid %s" % (got["Uid"], got["Gid"]))
        check(set(got["Groups"]) <= {nobody.pw_gid}, "no supplementary groups of root's: %s" % got["Groups"])
        check("event=privileges user=nobody" in d.log_text(), "the drop is logged")
        check(d.ask(rcpt(client_address="127.0.0.2", queue_id="P1")) == "OK", "serves after the drop")
        check(d.ask(rcpt(client_address="127.0.0.2", queue_id="P2"), via="unix") == "OK",
              "the unix socket root made still answers")
        os.chmod(d.dir, 0o755)
        os.chmod(d.conf, 0o644)
        d.signal(signal.SIGHUP)
        d.wait_log("event=reloaded")
        check("event=reload_refused" not in d.log_text(), "reload as nobody of a readable configuration")
        os.chmod(d.conf, 0o600)
        d.signal(signal.SIGHUP)
        d.wait_log("event=reload_refused")
        check("Permission denied" in d.log_text(), "a configuration nobody cannot read: reload refused, named")
        check(d.ask(rcpt(client_address="127.0.0.2", queue_id="P3")) == "OK", "the old configuration serves")
    finally:
        d.close()
    check([r["queue_id"] for r in d.records()] == ["P1", "P2", "P3"], "audit file written after the drop")

    bad = os.path.join(d.dir, "bad.conf")
    with open(bad, "w") as fp:
        fp.write(CONF.replace('"nobody"', '"no-such-user-rw"'))
    p = subprocess.run([CLI, "check-config", bad], capture_output=True, text=True)
    check(p.returncode == 1 and "bad.conf:2:" in p.stdout + p.stderr and
          "no such user" in p.stdout + p.stderr, "an unknown user: check-config names file and line")
    finish()


if __name__ == "__main__":
    sys.exit(main())
