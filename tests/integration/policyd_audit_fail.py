"""policyd_audit_fail - the audit file cannot be written (a full disk:
here, after a rotation, a file already at the daemon's file size limit,
RLIMIT_FSIZE, so every write fails with EFBIG): decisions go on,
the failure is logged once a second with the records lost, not once per
decision, and after the next rotation records are written again."""
import os
import signal
import sys
import time

from rwtest import Policyd, VALGRIND, rcpt, check, finish, read_reply, request_bytes

CONF = """
local_domains = { "example.test" }
relay "office" { type = network networks = { "127.0.0.0/30" } }
"""
N = 400 if VALGRIND else 2000   # enough to log hundreds of lines when not throttled
FSIZE = 8 << 20                  # the daemon's log (stderr, a file too) stays far below it


def main():
    d = Policyd(CONF, fsize=FSIZE)
    try:
        check(d.ask(rcpt(client_address="127.0.0.2", queue_id="A0")) == "OK", "first decision")
        os.rename(d.audit, d.audit + ".1")
        with open(d.audit, "wb") as fp:            # every write: EFBIG
            fp.truncate(FSIZE)
        d.signal(signal.SIGUSR1)
        d.wait_log("event=audit_reopened")
        s = d.connect()
        ok = 0
        start = time.monotonic()
        for i in range(N):
            s.sendall(request_bytes(rcpt(client_address="127.0.0.2", queue_id="F%d" % i)))
            ok += read_reply(s) == b"action=OK\n\n"
        elapsed = time.monotonic() - start
        s.close()
        check(ok == N, "all %d decisions answered while the disk is full (%d)" % (N, ok))
        lines = [ln for ln in d.log_text().splitlines() if "event=audit_write_failed" in ln]
        check(1 <= len(lines) <= elapsed + 2,
              "audit failure logged at most once a second: %d lines in %.1f s" % (len(lines), elapsed))
        check(len(lines) > 0 and "File too large" in lines[0] and "records_lost=" in lines[0],
              "the line names the error and counts the records lost")
        os.unlink(d.audit)
        d.signal(signal.SIGUSR1)
        d.wait_log("event=audit_reopened", 2)
        check(d.ask(rcpt(client_address="127.0.0.2", queue_id="B0")) == "OK", "decision after the disk has room")
    finally:
        d.close()
    check([r["queue_id"] for r in d.records()] == ["B0"], "records written again after the rotation")
    with open(d.audit + ".1") as fp:
        check(fp.read().count("\n") == 1, "the record before the failure is intact")
    finish()


if __name__ == "__main__":
    sys.exit(main())
