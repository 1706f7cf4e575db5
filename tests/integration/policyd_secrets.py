"""policyd_secrets - the Redis password is published nowhere, and nothing
derived from it is: policyd runs against a real redis-server that requires
the password (a charge goes through, so AUTH worked), then /metrics, the
audit records, the log, sd_notify's digest and check-config's output are
searched for it. The config digest they all carry is the same for the same
configuration with another password (it used to be the SHA-256 of the file,
which a guess list recovered the password from) and changes with any other
setting."""
import os
import re
import subprocess
import sys
import urllib.request

from rwtest import (CLI, Policyd, RedisServer, check, eom, finish, free_port, have_redis, rcpt,
                    redis_conf, sasl_limit_conf, skip, wait_for)

PASSWORD = "Zq7-hunter2-pw"

CONF = sasl_limit_conf(10, on_store_failure="tempfail")


def check_config(path):
    """relaywarden check-config FILE: (status, stdout + stderr)"""
    p = subprocess.run([CLI, "check-config", path], capture_output=True, timeout=60)
    return p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace")


def dump_digest(text):
    m = re.search(r"^# digest sha256:([0-9a-f]{64})$", text, re.M)
    return m.group(1) if m else None


def variant(conf_path, old, new):
    """A copy of the config beside it with one string replaced; its check-config digest."""
    with open(conf_path) as fp:
        text = fp.read()
    check(old in text, "the config holds %r" % old)
    path = conf_path + ".variant"
    with open(path, "w") as fp:
        fp.write(text.replace(old, new))
    rc, out = check_config(path)
    os.unlink(path)
    check(rc == 0, "the variant loads (%s)" % out[:200])
    return dump_digest(out)


def main():
    if not have_redis():
        skip("redis-server not installed")
    r = RedisServer()
    r.cmd("CONFIG", "SET", "requirepass", PASSWORD)
    mport = free_port()
    body = CONF + redis_conf(servers=[r.addr()]).replace(
        "redis {", 'redis {\n    password = "%s"' % PASSWORD)
    d = Policyd(body, policyd_extra='metrics = "inet:127.0.0.1:%d"' % mport)
    try:
        # the store connects in the background (slowly under valgrind): until then 451
        charged = wait_for(lambda: d.ask(eom(sasl_method="PLAIN", sasl_username="alice",
                                             recipient_count="1", size="100")) == "DUNNO",
                           "a charge through the password-protected Redis (AUTH worked)")
        check(bool(charged), "a charge through the password-protected Redis")
        check(d.ask(rcpt(client_address="192.0.2.1")) is not None, "a refused relay decided")
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % mport, timeout=20) as f:
            metrics = f.read().decode()
        rc, dump = check_config(d.conf)
        check(rc == 0, "check-config loads the daemon's config")
        digest = dump_digest(dump)
        check(digest is not None, "check-config shows the digest")
        recs = d.records()
        check(len(recs) >= 2 and all(x["config_digest"] == digest for x in recs),
              "every audit record carries check-config's digest")
        check('config_digest="%s"' % digest in metrics, "/metrics carries the same digest")
        check("config_digest=%s" % digest in d.log_text(), "the log carries the same digest")
        with open(d.audit) as fp:
            audit_text = fp.read()
        for name, text in (("/metrics", metrics), ("the audit records", audit_text),
                           ("the log", d.log_text()), ("check-config", dump)):
            check(PASSWORD not in text and "hunter2" not in text,
                  "the password is not in %s" % name)
        check(variant(d.conf, PASSWORD, "another-password") == digest,
              "another password: the same digest (no function of the secret)")
        check(variant(d.conf, "rate = \"10/1d\"", "rate = \"11/1d\"") not in (None, digest),
              "another rate: another digest")
    finally:
        d.close()
        r.close()
    finish()


if __name__ == "__main__":
    sys.exit(main())
