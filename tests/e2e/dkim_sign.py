#!/usr/bin/python3
"""dkim_sign.py - write a test message, DKIM-signed with dkimpy (python3-dkim).

usage: dkim_sign.py --from ADDR --to ADDR --subject TEXT [--key PEM
                    --selector S --domain D] [--prepend FIELD]... [--body-lines N]
                    [--out FILE]

The message (CRLF line ends, ASCII) has From, To, Subject, Date and
Message-ID and a short body (--body-lines lines of text, default 4). With
--key it is signed (rsa-sha256, relaxed/relaxed, d=D, s=S, signing From,
To, Subject, Date, Message-ID). Each --prepend "Name: value" is put above
everything after signing, in order (unsigned: e.g. a second From above the
signed one, or a forged Authentication-Results). Written to --out or stdout.
"""
import argparse
import email.utils
import sys

import dkim

SIGNED = [b"from", b"to", b"subject", b"date", b"message-id"]


def make_message(args):
    """make_message - the unsigned message as CRLF bytes"""
    domain = args.sender.rpartition("@")[2] or "localhost"
    head = [
        "From: <%s>" % args.sender,
        "To: <%s>" % args.rcpt,
        "Subject: %s" % args.subject,
        "Date: %s" % email.utils.formatdate(localtime=False),
        "Message-ID: %s" % email.utils.make_msgid(domain=domain),
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=us-ascii",
    ]
    body = ["relaywarden test message line %d." % (i + 1)
            for i in range(args.body_lines)]
    return ("\r\n".join(head) + "\r\n\r\n" + "\r\n".join(body) + "\r\n").encode()


def sign(msg, args):
    """sign - msg with a DKIM-Signature field on top"""
    with open(args.key, "rb") as f:
        key = f.read()
    sig = dkim.sign(msg, args.selector.encode(), args.domain.encode(), key,
                    canonicalize=(b"relaxed", b"relaxed"),
                    include_headers=SIGNED)
    return sig.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") + msg


def main(argv):
    """main - parse, build, sign, prepend, write"""
    p = argparse.ArgumentParser(description="write a DKIM-signed test message")
    p.add_argument("--from", dest="sender", required=True)
    p.add_argument("--to", dest="rcpt", required=True)
    p.add_argument("--subject", required=True)
    p.add_argument("--key")
    p.add_argument("--selector", default="e2e")
    p.add_argument("--domain")
    p.add_argument("--prepend", action="append", default=[])
    p.add_argument("--body-lines", type=int, default=4)
    p.add_argument("--out")
    args = p.parse_args(argv[1:])
    msg = make_message(args)
    if args.key:
        if not args.domain:
            p.error("--key needs --domain")
        msg = sign(msg, args)
    for field in reversed(args.prepend):
        msg = field.encode() + b"\r\n" + msg
    if args.out:
        with open(args.out, "wb") as f:
            f.write(msg)
    else:
        sys.stdout.buffer.write(msg)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
