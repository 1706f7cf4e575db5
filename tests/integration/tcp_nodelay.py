"""tcp_nodelay - every TCP connection that carries small request/reply
exchanges runs with TCP_NODELAY: policyd's accepted policy connections,
relaywarden-milter's accepted MTA connections (libmilter sets none itself;
the milter sets it on its listening socket, which Linux copies to every
accepted one) and both daemons' Redis connections. Without it each small
write waits for the peer's delayed ACK.

How it is read: the test starts the daemons itself (they are its children),
takes a duplicate of each of their socket descriptors with pidfd_getfd(2)
(the same open socket, not a copy of its settings) and asks getsockopt
(TCP_NODELAY) on it; getsockname/getpeername tell which connection it is.
The milter's connection must also leave the kernel's "pingpong" mode
(getsockopt(TCP_QUICKACK) reads 1) soon after it replied to end of
message: Postfix's SMFIC_ABORT, which follows and gets no reply, is then
acknowledged at once instead of after a delayed ACK that Postfix's next
command (Nagle) would wait for. Real redis-server, real policyd over TCP,
the real milter driven by miltertest, on loopback."""
import ctypes
import os
import shutil
import socket
import subprocess
import tempfile
import time

from rwtest import (FAILED, Policyd, RedisServer, eom, check, finish, have_redis, skip,
                    redis_conf, free_port, wait_for, WAIT, VALGRIND, TOP_BUILDDIR, TOP_SRCDIR)

SYS_PIDFD_GETFD = 438
LIBC = ctypes.CDLL(None, use_errno=True)
MILTER = os.path.join(TOP_BUILDDIR, "milter", "relaywarden-milter")
LUA = os.path.join(TOP_SRCDIR, "tests", "integration", "tcp_nodelay.lua")

LIMIT = """
limit "office-rate" {
    charge = network
    unit = messages
    rate = "1000/1h"
    on_store_failure = tempfail
}
"""


def tcp_sockets(pid):
    """Every TCP socket of process pid: (local, peer or None, listening, nodelay)."""
    out = []
    pidfd = os.pidfd_open(pid)
    try:
        for name in os.listdir("/proc/%d/fd" % pid):
            try:
                if not os.readlink("/proc/%d/fd/%s" % (pid, name)).startswith("socket:"):
                    continue
            except OSError:
                continue		# closed meanwhile
            fd = LIBC.syscall(SYS_PIDFD_GETFD, pidfd, int(name), 0)
            if fd < 0:
                continue
            s = socket.socket(fileno=fd)
            try:
                if s.family in (socket.AF_INET, socket.AF_INET6) and s.type == socket.SOCK_STREAM:
                    listening = s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) != 0
                    try:
                        peer = s.getpeername()[:2]
                    except OSError:
                        peer = None
                    out.append((s.getsockname()[:2], peer, listening,
                                s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0,
                                s.getsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK) != 0))
            finally:
                s.close()	# our duplicate only
    finally:
        os.close(pidfd)
    return out


def expect_nodelay(pid, what, match):
    """Exactly the sockets chosen by match exist (at least one) and all have TCP_NODELAY."""
    socks = [s for s in tcp_sockets(pid) if match(s)]
    check(len(socks) > 0, "%s: found (%d)" % (what, len(socks)))
    for local, peer, _, nodelay, _ in socks:
        check(nodelay, "%s %s -> %s: TCP_NODELAY" % (what, local, peer))


def policyd_case(r):
    d = Policyd("local_domains = { \"example.test\" }\n"
                "relay \"office\" { type = network networks = { \"192.0.2.0/24\" } }\n"
                + LIMIT + redis_conf(servers=[r.addr()], timeout_ms=2000 if VALGRIND else None))
    try:
        held = d.connect()		# a policy connection held open while we look
        got = d.ask(eom(client_address="192.0.2.10"))
        check(got == "DUNNO", "policyd charged the message in Redis (%r)" % got)
        mine = held.getsockname()[:2]
        pid = d.proc.pid
        expect_nodelay(pid, "policyd policy connection", lambda s: s[1] == mine)
        expect_nodelay(pid, "policyd Redis connection",
                       lambda s: s[1] is not None and s[1][1] == r.port)
        held.close()
    finally:
        d.close()


def milter_conf(work, r, port):
    with open(os.path.join(work, "relaywarden.conf"), "w") as fp:
        fp.write("""instance = "nodelay-test"
local_domains = { "example.test" }
charge_at = milter
relay "office" {
    type = network
    networks = { "192.0.2.0/24" }
}
%s%s
milter {
    listen = "inet:%d@127.0.0.1"
}
audit {
    file = "%s/audit.jsonl"
    syslog = false
}
log {
    target = stderr
}
""" % (LIMIT, redis_conf(servers=[r.addr()], timeout_ms=2000 if VALGRIND else None), port, work))


def wait_ready(log_path, proc):
    """The milter logged event=ready: its socket is set up (bounded wait)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline and proc.poll() is None:
        with open(log_path, "rb") as fp:
            if b"event=ready" in fp.read():
                return True
        time.sleep(0.05)
    return False


def wait_file(path, proc):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline and proc.poll() is None:
        if os.path.exists(path):
            return True
        time.sleep(0.05)
    return os.path.exists(path)


def milter_case(r):
    work = tempfile.mkdtemp(prefix="rw-nodelay-")
    port = free_port()
    milter_conf(work, r, port)
    cmd = [MILTER, "-e", "-c", os.path.join(work, "relaywarden.conf")]
    if VALGRIND:
        cmd = ["valgrind", "--quiet", "--error-exitcode=99"] + cmd
    log = open(os.path.join(work, "milter.log"), "ab")
    m = subprocess.Popen(cmd, stdout=log, stderr=log)
    mt = None
    try:
        if not wait_ready(os.path.join(work, "milter.log"), m):
            check(False, "the milter listens on 127.0.0.1:%d" % port)
            return
        expect_nodelay(m.pid, "milter listening socket", lambda s: s[2])
        env = dict(os.environ, RW_MILTER_SOCK="inet:%d@127.0.0.1" % port,
                   RW_HOLD_READY=os.path.join(work, "ready"),
                   RW_HOLD_DONE=os.path.join(work, "done"))
        mt = subprocess.Popen(["miltertest", "-s", LUA], env=env)
        if not wait_file(env["RW_HOLD_READY"], mt):
            check(False, "miltertest ended its message and holds its connection (exit %s)"
                  % mt.poll())
            return
        expect_nodelay(m.pid, "milter accepted MTA connection",
                       lambda s: s[1] is not None and s[0][1] == port)
        expect_nodelay(m.pid, "milter Redis connection",
                       lambda s: s[1] is not None and s[1][1] == r.port)
        quick = wait_for(lambda: [s for s in tcp_sockets(m.pid)
                                  if s[1] is not None and s[0][1] == port and s[4]],
                         "the milter's MTA connection leaves pingpong mode after end of "
                         "message (TCP_QUICKACK reads 1)")
        check(bool(quick), "the abort after end of message is acknowledged at once")
        open(env["RW_HOLD_DONE"], "w").close()
        check(mt.wait(timeout=WAIT) == 0, "miltertest finished its transaction")
    finally:
        if mt is not None and mt.poll() is None:
            mt.kill()
            mt.wait()
        m.terminate()
        try:
            rc = m.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            m.kill()
            rc = m.wait()
        log.close()
        check(rc == 0, "the milter exited cleanly (status %s)" % rc)
        if rc != 0 or FAILED:
            with open(os.path.join(work, "milter.log"), "rb") as fp:
                print(fp.read().decode("utf-8", "replace")[-3000:])
        shutil.rmtree(work, ignore_errors=True)


def main():
    if not have_redis():
        skip("redis-server not installed")
    if shutil.which("miltertest") is None:
        skip("miltertest not installed")
    if not hasattr(os, "pidfd_open"):
        skip("no pidfd_open")
    r = RedisServer()
    try:
        policyd_case(r)
        milter_case(r)
    finally:
        r.close()
    finish()


if __name__ == "__main__":
    main()
