"""policyd_privdrop - started as root with user = "nobody", policyd binds
its sockets and opens its files as root, then runs as nobody (uid, gid and
groups, for good): it still serves, writes its audit file, and reloads a
configuration nobody can read. An unknown user is a configuration error.
The service user owns the audit directory, so it chooses what the audit
path names: a symlink, a hard link or a FIFO there (or at the HMAC key's
path) must make the root start refuse, with the target left untouched
(safefile.h). Needs root (skipped otherwise)."""
import os
import pwd
import signal
import subprocess
import sys
import tempfile

from rwtest import CLI, POLICYD, VALGRIND, WAIT, Policyd, check, finish, rcpt, skip

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


def start_refused(what, arrange, hmac=False):
    """policyd started as root with user = nobody, after nobody (the owner of
    the audit directory) arranged it with arrange(audit_dir, target): the
    start fails naming the path, and the root-only target is unchanged"""
    nobody = pwd.getpwnam("nobody")
    top = tempfile.mkdtemp(prefix="rw-it-")
    os.chmod(top, 0o755)
    aud = os.path.join(top, "audit")
    os.mkdir(aud)
    os.chown(aud, nobody.pw_uid, nobody.pw_gid)
    target = os.path.join(top, "root-only")
    with open(target, "w") as fp:
        fp.write("root's own\n")
    os.chmod(target, 0o600)
    arrange(aud, target)
    conf = os.path.join(top, "relaywarden.conf")
    with open(conf, "w") as fp:
        fp.write('user = "nobody"\nlocal_domains = { "example.test" }\n'
                 'policyd { listen = { "unix:%s/policyd.sock" } }\n'
                 'audit { file = "%s/audit.jsonl" %s }\nlog { target = stderr }\n'
                 % (top, aud, 'hmac_key_file = "%s/key"' % aud if hmac else ""))
    cmd = [POLICYD, "-e", "-c", conf]
    if VALGRIND:
        cmd = ["valgrind", "--quiet", "--error-exitcode=99"] + cmd
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=WAIT)
        out, rc = p.stdout + p.stderr, p.returncode
    except subprocess.TimeoutExpired:
        out, rc = "(still running after %d s)" % WAIT, None
    st = os.stat(target)
    with open(target) as fp:
        text = fp.read()
    named = os.path.join(aud, "key" if hmac else "audit.jsonl")
    check(rc not in (0, None, 99) and named in out and "start_failed" in out,
          "%s: the root start is refused, naming why (status %s): %s" % (what, rc, out.strip()[-300:]))
    check(text == "root's own\n" and st.st_uid == 0 and st.st_mode & 0o777 == 0o600,
          "%s: the root-only file is untouched" % what)


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

    audit_st = os.stat(d.audit)
    check(audit_st.st_uid == nobody.pw_uid, "the audit file root created is handed to nobody")

    start_refused("audit file a symlink",
                  lambda aud, target: os.symlink(target, os.path.join(aud, "audit.jsonl")))
    start_refused("audit file a hard link",
                  lambda aud, target: os.link(target, os.path.join(aud, "audit.jsonl")))
    start_refused("audit file a FIFO", lambda aud, target: os.mkfifo(os.path.join(aud, "audit.jsonl")))
    start_refused("audit file a directory", lambda aud, target: os.mkdir(os.path.join(aud, "audit.jsonl")))
    start_refused("HMAC key a symlink",
                  lambda aud, target: os.symlink(target, os.path.join(aud, "key")), hmac=True)
    start_refused("HMAC key a hard link",
                  lambda aud, target: os.link(target, os.path.join(aud, "key")), hmac=True)

    bad = os.path.join(d.dir, "bad.conf")
    with open(bad, "w") as fp:
        fp.write(CONF.replace('"nobody"', '"no-such-user-rw"'))
    p = subprocess.run([CLI, "check-config", bad], capture_output=True, text=True)
    check(p.returncode == 1 and "bad.conf:2:" in p.stdout + p.stderr and
          "no such user" in p.stdout + p.stderr, "an unknown user: check-config names file and line")
    finish()


if __name__ == "__main__":
    sys.exit(main())
