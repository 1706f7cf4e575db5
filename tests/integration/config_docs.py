"""config_docs - every option of the option table (as `relaywarden
check-config --options` lists it) is mentioned in the option reference of
relaywarden.conf(5), set or commented out in the annotated example
configuration deploy/relaywarden.conf, and in check-config's effective
settings of a configuration that sets them all, each in its own section (a
`timeout_ms` in `dns` does not count for `redis`). The generated blocks of
the man page and of schema/config-reference.md equal what `make
config-reference` writes (core/config-ref), and the example loads."""
import os
import re
import subprocess
import sys

from rwtest import CLI, TOP_BUILDDIR, TOP_SRCDIR, check, finish

CONFIG_REF = os.path.join(TOP_BUILDDIR, "core", "config-ref")
EXAMPLE = os.path.join(TOP_SRCDIR, "deploy", "relaywarden.conf")
MAN = os.path.join(TOP_SRCDIR, "man", "relaywarden.conf.5")
MARKDOWN = os.path.join(TOP_SRCDIR, "schema", "config-reference.md")

# a commented-out line that is configuration, not prose
CODE = re.compile(r'^(\w+\s*(\+?=|("[^"]*"\s*)?\{)|\})')
TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|\+=|[{}=,]|[^\s{}=,"]+')


def table_options():
    """Every option: "name" or "section.name", from check-config --options."""
    out = subprocess.run([CLI, "check-config", "--options"], capture_output=True, timeout=60)
    check(out.returncode == 0, "check-config --options exits 0")
    names = [ln for ln in out.stdout.decode().splitlines() if ln and not ln[0].isspace()]
    check(len(names) > 100 and len(set(names)) == len(names), "%d options, each once" % len(names))
    return names


def strip_comment(line):
    """line without a trailing # comment (a '#' in a string stays)."""
    quoted = False
    for i, ch in enumerate(line):
        if ch == '"' and (i == 0 or line[i - 1] != "\\"):
            quoted = not quoted
        elif ch == "#" and not quoted:
            return line[:i]
    return line


def example_mentions(text, sections):
    """The options the example sets or shows commented out, as "[section.]name"."""
    found, stack, list_depth = set(), [], 0
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("##"):
            continue                        # prose (the example's convention)
        if line.startswith("#"):
            line = line.lstrip("#").strip().lstrip("#").strip()
            if not CODE.match(line):
                continue                    # prose
        toks = TOKEN.findall(strip_comment(line))
        i = 0
        while i < len(toks):
            t = toks[i]
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if list_depth:
                list_depth += {"{": 1, "}": -1}.get(t, 0)
            elif t == "}":
                if stack:
                    stack.pop()
            elif nxt in ("=", "+="):
                found.add(".".join(stack + [t]))
                if i + 2 < len(toks) and toks[i + 2] == "{":
                    list_depth, i = 1, i + 2
            elif not stack and t in sections and (nxt == "{" or (
                    nxt is not None and nxt.startswith('"') and i + 2 < len(toks)
                    and toks[i + 2] == "{")):
                found.add(t)
                stack.append(t)
                i += 1 if nxt == "{" else 2
            i += 1
    return found


# a configuration that sets every option (check-config must show each)
FULL = """
instance = "mx.example.test"
local_domains = { "example.test" }
relay_domains = { "backup.test" }
sender_login "alice" { senders = { "alice@example.test" } }
relay "sub" { type = sasl listeners = { "submission" } ports = { 587 } require_tls = true
              sender_login = any }
relay "net" { type = network networks = { "192.0.2.0/24" } }
relay "crt" { type = certificate subject = "mx.partner.test" issuer = "Partner CA"
              fingerprints = { "11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44" } }
policyd { metrics = "inet:127.0.0.1:9464" }
checks { dkim = shadow authserv_id = "mx.example.test" signed_domains = { "example.test" }
         dkim_key_file = "keys.txt" }
dns { upstreams = { "127.0.0.1@5353" } }
spf { egress = shadow egress_addresses = { "192.0.2.10" } receiver = "mx.example.test" }
audit { file = "audit.jsonl" hmac_key_file = "audit.key" }
timezone = "UTC"
customer "acme" { users = { "bob" } sender_domains = { "acme.test" } networks = { "198.51.100.0/24" }
                  fingerprints = { "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD" } }
limit "l" { charge = client_prefix prefix4 = 24 prefix6 = 64 unit = messages rate = "10/1h"
            burst = 5 mode = shadow reply = permanent on_store_failure = local local_share = 50 }
quota "q" { charge = client_prefix window = day messages = 10 recipients = 20 bytes = "1M"
            on_store_failure = local local_share = 50 }
redis { sentinels = { "127.0.0.1:26379" } master_name = "m" password = "not-shown-pw" }
"""


def man_mentions(text):
    """The options of the generated OPTION REFERENCE of relaywarden.conf(5)."""
    found, section = set(), None
    block = text.split("BEGIN GENERATED OPTIONS", 1)[-1].split("END GENERATED OPTIONS", 1)[0]
    for ln in block.splitlines():
        m = re.match(r'\.SS "(\S+)', ln)
        if m:
            section = None if m.group(1) == "Top" else m.group(1)
        m = re.match(r'\.B "(\w+)', ln)
        if m:
            found.add(m.group(1) if section is None else section + "." + m.group(1))
    return found


def main():
    options = table_options()
    sections = {o for o in options if any(x.startswith(o + ".") for x in options)}
    with open(EXAMPLE) as fp:
        example = example_mentions(fp.read(), sections)
    with open(MAN) as fp:
        man = man_mentions(fp.read())
    missing_example = [o for o in options if o not in example]
    missing_man = [o for o in options if o not in man]
    check(not missing_example, "deploy/relaywarden.conf mentions every option in its section "
          "(missing: %s)" % ", ".join(missing_example))
    check(not missing_man, "relaywarden.conf(5) describes every option (missing: %s)"
          % ", ".join(missing_man))
    check(not (example - set(options)), "the example mentions no option that does not exist "
          "(%s)" % ", ".join(sorted(example - set(options))))
    # the parser of this test sees a missing option: a section's option elsewhere does not count
    probe = example_mentions('dns {\n  timeout_ms = 5\n}\n# redis {\n#   servers = { "a" }\n# }\n',
                             sections)
    check(probe == {"dns", "dns.timeout_ms", "redis", "redis.servers"},
          "mentions are told apart by section (%s)" % sorted(probe))
    # check-config shows every option of a configuration that sets them all
    path = os.path.join(os.environ.get("TMPDIR", "/tmp"), "config_docs.%d.conf" % os.getpid())
    with open(path, "w") as fp:
        fp.write(FULL)
    out = subprocess.run([CLI, "check-config", path], capture_output=True, timeout=60)
    os.unlink(path)
    dump = out.stdout.decode()
    check(out.returncode == 0, "the full configuration loads (%s)" % out.stderr.decode().strip())
    shown = example_mentions(dump, sections)
    missing = [o for o in options if o not in shown]
    check(not missing, "check-config shows every option in its section (missing: %s)"
          % ", ".join(missing))
    check("not-shown-pw" not in dump, "check-config does not show the password")
    for doc in (MAN, MARKDOWN):
        out = subprocess.run([CONFIG_REF, doc], capture_output=True, timeout=60)
        with open(doc, "rb") as fp:
            same = fp.read() == out.stdout
        check(out.returncode == 0 and same, "%s is what `make config-reference` writes"
              % os.path.relpath(doc, TOP_SRCDIR))
    out = subprocess.run([CLI, "check-config", "-q", EXAMPLE], capture_output=True, timeout=60)
    check(out.returncode == 0, "the example loads (%s)" % out.stderr.decode().strip())
    finish()


if __name__ == "__main__":
    sys.exit(main())
