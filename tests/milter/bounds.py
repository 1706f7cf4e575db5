"""bounds.py - the milter's own bounds through the real milter (run from
checks.sh against the checks milter in enforce mode, with its own MTA side,
tests/milter/milterclient.py: miltertest cannot send a 1 MB field):
a 1 MB header field gets a clear 552 instead of a dropped connection (which
Postfix tempfails on every retry), and an unsigned message without From is
refused by the alignment check, not as a DKIM failure. Exit 1 on a failure.
usage: bounds.py PORT"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from milterclient import MilterClient  # noqa: E402
from rwtest import FAILED, check  # noqa: E402



def message(port, qid, headers, body=b"Hello.\r\n"):
    """One relayed message; the milter's final (code, text), or ('closed', error)."""
    c = MilterClient("127.0.0.1", port)
    try:
        c.connect_info("client.test", "192.0.2.10")
        c.helo("client.test")
        c.mail("<joe@football.example.com>", macros={"i": qid})
        r = c.rcpt("<bob@remote.test>")
        check(r is None or r[0] == b"c", "%s: recipient accepted (%r)" % (qid, r))
        for name, value in headers:
            c.header(name, value)
        c.eoh()
        c.body(body)
        return c.eom()
    except (ConnectionError, OSError) as e:
        return ("closed", str(e))
    finally:
        c.close()


def main():
    port = int(sys.argv[1])
    big = "a" * (1024 * 1024)
    code, text = message(port, "QBIG", [("From", "joe@football.example.com"),
                                        ("Subject", "big"), ("X-Big", big)])
    check(code == "y" and text.startswith("552 5.6.0 header field X-Big is too long"),
          "1 MB header field: a 552 verdict, not a dropped connection (%s %r)" % (code, text[:80]))
    code, text = message(port, "QNOFROM", [("To", "bob@remote.test"), ("Subject", "no From")])
    check(code == "y" and text.startswith("550 5.7.1 ") and "DKIM" not in text,
          "unsigned, no From: refused by alignment, not as DKIM (%s %r)" % (code, text[:80]))
    code, text = message(port, "QSMALL", [("From", "joe@football.example.com"),
                                          ("X-Long", "b" * 60000)])
    check(code != "closed" and not text.startswith("552"),
          "a 60 kB field is no refusal of its own (%s %r)" % (code, text[:80]))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
