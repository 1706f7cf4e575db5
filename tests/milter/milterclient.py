"""milterclient - the MTA side of the milter protocol (version 6), enough to
send one message to a milter and read its verdict, for what miltertest
cannot do (its buffers are fixed: a 1 MB header field crashes it).

Usage:
    c = MilterClient("127.0.0.1", port)
    c.connect_info("client.test", "192.0.2.10")
    c.helo("client.test")
    c.mail("<joe@example.com>", macros={"i": "Q1"})
    c.rcpt("<bob@remote.test>")
    c.header("From", "joe@example.com") ...
    c.eoh(); c.body(b"Hello.\\r\\n")
    code, text = c.eom()     # ('c', '') continue, ('y', '552 5.6.0 ...') ...
    c.close()
Every reply is read with a bounded timeout; a closed connection raises.
"""
import socket
import struct

# protocol flags (libmilter/mfdef.h)
NR_HDR, NR_CONN, NR_HELO, NR_MAIL = 0x80, 0x1000, 0x2000, 0x4000
NR_RCPT, NR_DATA, NR_EOH, NR_BODY = 0x8000, 0x10000, 0x40000, 0x80000
HDR_LEADSPC = 0x100000
FINAL = b"acrtyd"     # accept, continue, reject, tempfail, replycode, discard


class MilterClient:
    def __init__(self, host, port, timeout=30):
        self.s = socket.create_connection((host, port), timeout=timeout)
        self.s.settimeout(timeout)
        self.send(b"O", struct.pack(">III", 6, 0x1FF, 0x1FFFFF))
        cmd, data = self.read()
        if cmd != b"O":
            raise OSError("milter: no option negotiation reply (%r)" % cmd)
        self.version, self.actions, self.proto = struct.unpack(">III", data[:12])

    def send(self, cmd, data=b""):
        self.s.sendall(struct.pack(">I", len(data) + 1) + cmd + data)

    def recv_exact(self, n):
        out = b""
        while len(out) < n:
            chunk = self.s.recv(n - len(out))
            if not chunk:
                raise ConnectionError("milter closed the connection")
            out += chunk
        return out

    def read(self):
        n, = struct.unpack(">I", self.recv_exact(4))
        pkt = self.recv_exact(n)
        return pkt[:1], pkt[1:]

    def step(self, cmd, data, no_reply_flag):
        """Send one command; its reply (None when the milter asked for none)."""
        self.send(cmd, data)
        if self.proto & no_reply_flag:
            return None
        return self.read()

    def macros(self, stage, macros):
        if macros:
            self.send(b"D", stage + b"".join(k.encode() + b"\0" + v.encode() + b"\0"
                                              for k, v in macros.items()))

    def connect_info(self, name, ip, port=12345):
        return self.step(b"C", name.encode() + b"\0" + b"4" + struct.pack(">H", port) +
                         ip.encode() + b"\0", NR_CONN)

    def helo(self, name):
        return self.step(b"H", name.encode() + b"\0", NR_HELO)

    def mail(self, sender, macros=None):
        self.macros(b"M", macros)
        return self.step(b"M", sender.encode() + b"\0", NR_MAIL)

    def rcpt(self, rcpt):
        return self.step(b"R", rcpt.encode() + b"\0", NR_RCPT)

    def header(self, name, value):
        if self.proto & HDR_LEADSPC:
            value = " " + value
        return self.step(b"L", name.encode() + b"\0" + value.encode() + b"\0", NR_HDR)

    def eoh(self):
        return self.step(b"N", b"", NR_EOH)

    def body(self, data):
        return self.step(b"B", data, NR_BODY)

    def eom(self):
        """End of message: header changes are skipped; the final (code, text)."""
        self.send(b"E")
        while True:
            cmd, data = self.read()
            if cmd in [bytes([c]) for c in FINAL]:
                return cmd.decode(), data.rstrip(b"\0").decode("utf-8", "replace")

    def close(self):
        try:
            self.send(b"Q")
        except OSError:
            pass
        self.s.close()
