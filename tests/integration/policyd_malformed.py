"""policyd_malformed - malformed and oversized requests are logged and the
connection closed without a reply; the daemon keeps serving others; slow and
idle clients are cut off by idle_timeout."""
import socket
import sys

from rwtest import Policyd, rcpt, check, finish, request_bytes, read_reply

CONF = """
local_domains = { "example.test" }
relay "office" { type = network networks = { "127.0.0.2" } }
"""
EXTRA = """max_line_length = 512
    max_attributes = 40
    max_request_size = 4096
    idle_timeout = 2"""

GOOD = request_bytes(rcpt(client_address="127.0.0.2"))
BAD = [
    ("line without '='", b"request=smtpd_access_policy\nthis line has no equals\n\n"),
    ("NUL byte", b"request=smtpd_access_policy\nsender=a\x00b@x.test\n\n"),
    ("duplicate attribute", b"sasl_username=alice\nsasl_username=mallory\n\n"),
    ("empty request", b"\n"),
    ("bad attribute name", b"=value\n\n"),
    ("line over max_line_length", b"recipient=" + b"a" * 600 + b"\n\n"),
    ("too many attributes", b"".join(b"a%d=1\n" % i for i in range(41)) + b"\n"),
    ("request over max_request_size", b"".join(b"x%d=%s\n" % (i, b"v" * 200) for i in range(30)) + b"\n"),
    ("endless line without newline", b"recipient=" + b"b" * 5000),
]


def closed_without_reply(d, payload):
    s = d.connect()
    try:
        s.sendall(payload)
    except OSError:
        pass  # the server may close while we still write: that is the point
    try:
        data = read_reply(s)
    except (ConnectionResetError, socket.timeout) as e:
        data = b"" if isinstance(e, ConnectionResetError) else b"TIMEOUT"
    s.close()
    return data


def main():
    d = LimitedPolicyd(CONF)
    try:
        for n, (name, payload) in enumerate(BAD, 1):
            got = closed_without_reply(d, payload)
            check(got == b"", "%s: closed without a reply (%r)" % (name, got[:40]))
            d.wait_log("event=bad_request", count=n)
            check(d.ask(rcpt(client_address="127.0.0.2")) == "OK",
                  "%s: daemon still answers others" % name)
        # a good request after a bad one on the same connection is never answered
        got = closed_without_reply(d, BAD[0][1] + GOOD)
        check(got == b"", "request after a malformed one on the same connection not answered")
        # at exactly the limits: accepted
        at_line = rcpt(client_address="127.0.0.2")
        at_line["x_filler"] = "f" * (512 - len("x_filler="))
        check(d.ask(at_line) == "OK", "a line of exactly max_line_length is accepted")
        # CRLF line ends are tolerated
        got = d.ask_raw(GOOD.replace(b"\n", b"\r\n").replace(b"\r\n\r\n", b"\r\n\n"))
        check(got == b"action=OK\n\n", "CRLF tolerated: %r" % got)
        # byte-by-byte delivery of a request
        s = d.connect()
        for b in GOOD:
            s.sendall(bytes([b]))
        check(read_reply(s) == b"action=OK\n\n", "request delivered byte by byte")
        s.close()
        # idle client: closed by the server after idle_timeout (bounded wait, no timing assertion)
        s = d.connect()
        s.sendall(b"request=smtpd_access_policy\n")
        check(read_reply(s, timeout=30) == b"", "idle client disconnected by idle_timeout")
        s.close()
        # a client vanishing mid-request does not disturb the daemon
        s = d.connect()
        s.sendall(b"request=smtpd_access_policy\nprotocol_state=RC")
        s.close()
        check(d.ask(rcpt(client_address="127.0.0.2")) == "OK", "daemon fine after a vanished client")
        log = d.log_text()
        check("error=\"duplicate attribute\"" in log and "error=\"NUL byte\"" in log,
              "malformed requests are logged with the reason")
    finally:
        d.close()
    good = len(BAD) + 4  # one after each bad request, at-limit, CRLF, byte by byte, after vanish
    check(len(d.records()) == good, "only the good requests were audited (%d)" % len(d.records()))
    finish()


class LimitedPolicyd(Policyd):
    """A Policyd started with the small limits above."""

    def write_config(self, body, **extra):
        Policyd.write_config(self, body, policyd_extra=EXTRA)

    def ask_raw(self, payload):
        s = self.connect()
        s.sendall(payload)
        data = read_reply(s)
        s.close()
        return data


if __name__ == "__main__":
    sys.exit(main())
