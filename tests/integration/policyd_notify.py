"""policyd_notify - the service manager's readiness protocol (sd_notify):
with $NOTIFY_SOCKET policyd says READY=1 once it serves, RELOADING=1 then
READY=1 around a reload (a refused one too: the old configuration
serves), and STOPPING=1 on SIGTERM; a status line names the config."""
import os
import signal
import socket
import sys
import tempfile

from rwtest import Policyd, WAIT, check, finish, rcpt

CONF = """
local_domains = { "example.test" }
relay "office" { type = network networks = { "127.0.0.0/30" } }
"""


def messages(sock, n):
    """n datagrams (bounded wait), each as a set of its lines"""
    out = []
    sock.settimeout(WAIT)
    try:
        for _ in range(n):
            out.append(set(sock.recv(4096).decode().splitlines()))
    except socket.timeout:
        pass
    return out


def main():
    tdir = tempfile.mkdtemp(prefix="rw-notify-")
    path = os.path.join(tdir, "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    d = Policyd(CONF, env={"NOTIFY_SOCKET": path})
    try:
        m = messages(sock, 1)
        check(m and "READY=1" in m[0] and any(x.startswith("STATUS=serving, config sha256 ") for x in m[0]),
              "READY=1 with a status once serving: %s" % m)
        check(d.ask(rcpt(client_address="127.0.0.2")) == "OK", "and it serves")
        d.signal(signal.SIGHUP)
        m = messages(sock, 2)
        check(len(m) == 2 and "RELOADING=1" in m[0] and "READY=1" in m[1], "reload: RELOADING=1 then READY=1 (%s)" % m)
        with open(d.conf, "a") as fp:
            fp.write("this is { not a config\n")
        d.signal(signal.SIGHUP)
        m = messages(sock, 2)
        check(len(m) == 2 and "RELOADING=1" in m[0] and "READY=1" in m[1],
              "refused reload: READY=1 again, the old config serves (%s)" % m)
        check(d.ask(rcpt(client_address="127.0.0.2")) == "OK", "still serving after the refused reload")
        d.signal(signal.SIGTERM)
        m = messages(sock, 1)
        check(m and "STOPPING=1" in m[0], "SIGTERM: STOPPING=1 (%s)" % m)
        # d.stop() sends a second SIGTERM while the daemon is stopping: it
        # must still finish its last flush and exit 0
    finally:
        d.stop()
        sock.close()
        os.unlink(path)
        os.rmdir(tdir)
    check(d.proc.returncode == 0, "policyd exited cleanly (%s)" % d.proc.returncode)
    finish()


if __name__ == "__main__":
    sys.exit(main())
