"""policyd_fdlimit - the open-files limit: policyd lifts its soft limit to
the hard one, warns when max_connections cannot fit, and when accept(2)
fails with EMFILE it pauses accepting (one log line per pause) instead of
spinning, and every queued connection is answered once others close."""
import signal
import sys
import time

from rwtest import (Policyd, rcpt, check, finish, free_port, metric, read_reply, request_bytes,
                    VALGRIND)

CONF = """
local_domains = { "example.test" }
relay "office" { type = network networks = { "127.0.0.0/30" } }
"""
CONNS = 80          # more than the hard limit below allows at once
HARD = 64
BACKOFF_S = 0.5     # SERVER_ACCEPT_BACKOFF_MS


def soft_limit(pid):
    with open("/proc/%d/limits" % pid) as fp:
        for line in fp:
            if line.startswith("Max open files"):
                return int(line.split()[3])
    return None


def raised():
    """A soft limit under the hard one is lifted to it."""
    if VALGRIND:
        return  # valgrind emulates setrlimit(RLIMIT_NOFILE): /proc shows its own
    d = Policyd(CONF, nofile=(40, 4096), policyd_extra="max_connections = 1000")
    try:
        check(soft_limit(d.proc.pid) == 4096, "soft open-files limit 40 lifted to the hard 4096")
        check("event=fd_limit" not in d.log_text(),
              "no fd_limit warning when max_connections (1000) fits")
    finally:
        d.close()


def exhausted():
    mport = free_port()
    metrics = 'metrics = "inet:127.0.0.1:%d"' % mport
    d = Policyd(CONF, nofile=(HARD, HARD), policyd_extra=metrics)
    check("event=fd_limit" in d.log_text() and "max_connections=10000" in d.log_text(),
          "warned at start that max_connections=10000 cannot fit under %d open files" % HARD)
    d.write_config(CONF, policyd_extra="max_connections = 1000\n" + metrics)
    d.signal(signal.SIGHUP)  # the reload checks the limit against the new max_connections
    d.wait_log("event=reloaded")
    check("max_connections=1000" in d.log_text(), "warned again after the reload")
    socks = []
    answered = 0
    try:
        start = time.monotonic()
        for i in range(CONNS):       # the kernel queues what policyd cannot accept
            s = d.connect()
            s.sendall(request_bytes(rcpt(client_address="127.0.0.2", queue_id="F%d" % i)))
            socks.append(s)
        d.wait_log("event=accept_failed")
        answered = reset = 0
        for s in socks:              # in order: each close frees a descriptor
            try:
                answered += read_reply(s) == b"action=OK\n\n"
            except ConnectionResetError:
                reset += 1
            s.close()
        socks = []
        elapsed = time.monotonic() - start
        fails = d.log_text().count("event=accept_failed")
        # valgrind emulates the limit: its accept(2) takes the connection and
        # closes it before failing with EMFILE, one lost per failed accept (of
        # any event loop; the log has one line per pause); the kernel leaves
        # it queued
        lost = metric(mport, "relaywarden_accept_failures_total") if VALGRIND else 0
        check(answered + reset == CONNS and reset <= lost,
              "all %d connections answered (%d, %d reset)" % (CONNS, answered, reset))
        # a spinning listener logs hundreds of thousands of lines a second;
        # a paused one at most one per pause
        check(1 <= fails <= elapsed / BACKOFF_S + 2,
              "accept failures logged once per pause: %d lines in %.1f s" % (fails, elapsed))
        check(d.ask(rcpt(client_address="127.0.0.2")) == "OK", "daemon answers afterwards")
    finally:
        for s in socks:
            s.close()
        d.close()
    recs = d.records()
    check(len(recs) == answered + 1, "every decision audited (%d)" % len(recs))


def main():
    raised()
    exhausted()
    finish()


if __name__ == "__main__":
    sys.exit(main())
