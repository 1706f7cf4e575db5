#!/usr/bin/python3
"""audit_check.py - assert fields of one relaywarden audit record.

usage: audit_check.py [-v] [--stage STAGE] [--component NAME] AUDIT_FILE SKIP
                      RECIPIENT [CHECK ...]
       audit_check.py --schema SCHEMA AUDIT_FILE

Waits (up to RW_AUDIT_WAIT seconds, default 5) for a record, among the lines
after the first SKIP lines of AUDIT_FILE, whose recipient is RECIPIENT
(compared case-insensitively; a list of recipients matches if it holds it;
"*" matches any record) and, with --stage, whose stage is STAGE ("RCPT",
"END-OF-MESSAGE": Postfix passes the recipient at END-OF-MESSAGE only when
the message has exactly one) and, with --component, written by NAME
("policyd", "milter": both write to the e2e stack's audit file), takes the
last such record and applies each
CHECK:

  field=value    equal ("null" means JSON null; numbers compare as text)
  field^=prefix  the value (as text) starts with prefix
  field*=text    the value (as text) contains text
  field?         present and not null/empty
  field!         absent, null or empty

Field names are logical: FIELDS below maps them to the record's layout
(schema/audit-record.schema.json), the one place to change if it moves;
other names are dotted paths into the record, where a number indexes a
list ("limits.1.name").
Exit 0 when every check holds; 1 with one line per failed check; 2 when no
record matched. The matched record is printed to stdout with -v.

--schema validates every line of AUDIT_FILE against the JSON schema
(python3-jsonschema): exit 0, or 1 with one line per invalid record.
"""
import json
import os
import sys
import time

FIELDS = {
    "verdict": "verdict",
    "reply": "reply",
    "rule": "rule",
    "trace": "trace",
    "stage": "stage",
    "client_address": "client.address",
    "client_name": "client.name",
    "sasl_username": "sasl.username",
    "sasl_method": "sasl.method",
    "tls_protocol": "tls.protocol",
    "tls_cipher": "tls.cipher",
    "cert_fingerprint": "tls.cert_fingerprint",
    "cert_pubkey_fingerprint": "tls.cert_pubkey_fingerprint",
    "cert_subject": "tls.cert_subject",
    "cert_issuer": "tls.cert_issuer",
    "cert_verified": "tls.cert_verified",
    "sender": "sender",
    "recipient": "recipient",
    "queue_id": "queue_id",
    "listener": "listener.name",
    "listener_port": "listener.port",
    "host": "host",
    "component": "component",
    "recipient_count": "recipient_count",
    "charge": "charge",
}
OPS = ("^=", "*=", "=")


def lookup(rec, field):
    """lookup - the value at the logical field's dotted path, or None"""
    node = rec
    for part in FIELDS.get(field, field).split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node


def as_text(value):
    """as_text - a JSON value as the text checks compare against"""
    if value is None:
        return "null"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value) if isinstance(value, (list, dict)) else str(value)


def rcpt_matches(rec, rcpt):
    """rcpt_matches - the record's recipient (or one of them) is rcpt"""
    if rcpt == "*":
        return True
    value = lookup(rec, "recipient")
    values = value if isinstance(value, list) else [value]
    return any(isinstance(v, str) and v.lower() == rcpt.lower()
               for v in values)


def find_record(path, skip, rcpt, stage, component=None):
    """find_record - the last record after line skip for rcpt (and stage,
    and component, unless None), or None"""
    found = None
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()[skip:]
    except FileNotFoundError:
        return None
    for line in lines:
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict) and rcpt_matches(rec, rcpt) and (
                stage is None or rec.get("stage") == stage) and (
                component is None or rec.get("component") == component):
            found = rec
    return found


def check(rec, spec):
    """check - None if spec holds for rec, else a message"""
    if spec.endswith("?") or spec.endswith("!"):
        field, want_set = spec[:-1], spec.endswith("?")
        value = lookup(rec, field)
        is_set = value not in (None, "", [], {})
        if is_set == want_set:
            return None
        return "%s: expected %s, got %s" % (
            field, "a value" if want_set else "nothing", as_text(value))
    for op in OPS:
        field, sep, want = spec.partition(op)
        if sep:
            break
    else:
        return "bad check %r" % spec
    got = as_text(lookup(rec, field))
    ok = {"=": got == want, "^=": got.startswith(want),
          "*=": want in got}[op]
    return None if ok else "%s: expected %s%r, got %r" % (
        field, {"=": "", "^=": "prefix ", "*=": "text "}[op], want, got)


def validate_all(schema_path, path):
    """validate_all - every record of path against the schema; exit code"""
    import jsonschema
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    validator = jsonschema.validators.validator_for(schema)(schema)
    bad = 0
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for n, line in enumerate(lines, 1):
        try:
            errors = [e.message for e in validator.iter_errors(json.loads(line))]
        except ValueError as e:
            errors = ["not JSON: %s" % e]
        for msg in errors[:3]:
            print("line %d: %s" % (n, msg))
        bad += bool(errors)
    if not lines:
        print("no records")
        return 1
    return 1 if bad else 0


def main(argv):
    """main - find the record, apply the checks, report"""
    if len(argv) == 4 and argv[1] == "--schema":
        return validate_all(argv[2], argv[3])
    verbose = len(argv) > 1 and argv[1] == "-v"
    if verbose:
        argv = argv[1:]
    stage = None
    if len(argv) > 2 and argv[1] == "--stage":
        stage, argv = argv[2], argv[2:]
    component = None
    if len(argv) > 2 and argv[1] == "--component":
        component, argv = argv[2], argv[2:]
    if len(argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    path, skip, rcpt, specs = argv[1], int(argv[2]), argv[3], argv[4:]
    deadline = time.monotonic() + float(os.environ.get("RW_AUDIT_WAIT", "5"))
    rec = find_record(path, skip, rcpt, stage, component)
    while rec is None and time.monotonic() < deadline:
        time.sleep(0.05)
        rec = find_record(path, skip, rcpt, stage, component)
    if rec is None:
        print("no %s%saudit record for recipient %s" % (
            component + " " if component else "", stage + " " if stage else "", rcpt))
        return 2
    if verbose:
        print(json.dumps(rec, sort_keys=True))
    failures = [m for m in (check(rec, s) for s in specs) if m]
    for m in failures:
        print(m)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
