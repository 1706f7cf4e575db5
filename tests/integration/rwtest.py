"""rwtest - helpers for relaywarden's integration tier.

Starts a real relaywarden-policyd (optionally under valgrind when
RW_VALGRIND=1) on a free 127.0.0.1 port and a unix socket in a private
temporary directory, talks the Postfix policy protocol to it over real
sockets, and reads its audit file. Every process started is stopped by PID.
Waits are bounded; nothing asserts on elapsed time.
"""
import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

TOP_SRCDIR = os.environ.get("top_srcdir", os.path.join(os.path.dirname(__file__), "..", ".."))
TOP_BUILDDIR = os.environ.get("top_builddir", os.getcwd())
POLICYD = os.path.join(TOP_BUILDDIR, "policyd", "relaywarden-policyd")
CLI = os.path.join(TOP_BUILDDIR, "cli", "relaywarden")
SCHEMA = os.path.join(TOP_SRCDIR, "schema", "audit-record.schema.json")
VALGRIND = os.environ.get("RW_VALGRIND") == "1"
WAIT = 120 if VALGRIND else 20

FAILED = []


def check(cond, what):
    """Record one assertion; print it; remember failures."""
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILED.append(what)


def finish():
    """Exit with the tally."""
    print("%d failed" % len(FAILED))
    sys.exit(1 if FAILED else 0)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def dns_sockets():
    """A TCP and a UDP socket bound to one free port on 127.0.0.1, as a DNS
    server listens: (tcp, udp, port); the caller closes both."""
    for _ in range(100):
        t = socket.socket()
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
        except OSError:
            t.close()
            u.close()
            continue
        return t, u, port
    raise RuntimeError("no port on 127.0.0.1 free for both TCP and UDP")


def free_dns_port():
    """A port on 127.0.0.1 free for both TCP and UDP, for a DNS server started later."""
    t, u, port = dns_sockets()
    t.close()
    u.close()
    return port


def listening(port):
    """True when something accepts TCP connections on 127.0.0.1:port."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def request_bytes(attrs):
    """A policy request from a dict or a list of (name, value) pairs."""
    items = attrs.items() if isinstance(attrs, dict) else attrs
    return "".join("%s=%s\n" % (k, v) for k, v in items).encode() + b"\n"


def rcpt(**kw):
    """A typical RCPT-state request, overridable by keyword."""
    base = {
        "request": "smtpd_access_policy", "protocol_state": "RCPT",
        "protocol_name": "ESMTP", "client_address": "192.0.2.9",
        "client_name": "unknown", "reverse_client_name": "unknown",
        "helo_name": "client.test", "sender": "x@remote.test",
        "recipient": "bob@remote.test", "recipient_count": "0", "queue_id": "",
        "instance": "1a2b.3c4d.1", "size": "0", "sasl_method": "", "sasl_username": "",
        "sasl_sender": "", "ccert_subject": "", "ccert_issuer": "", "ccert_fingerprint": "",
        "ccert_pubkey_fingerprint": "", "encryption_protocol": "", "encryption_cipher": "",
        "encryption_keysize": "0", "etrn_domain": "", "stress": "", "server_address": "127.0.0.1",
        "server_port": "25", "policy_context": "", "compatibility_level": "3.6",
        "mail_version": "3.7.11",
    }
    base.update(kw)
    return base


def as_action(reply, recipient):
    """The action policyd sends for an engine reply: Postfix itself puts
    "<rcpt>: Recipient address rejected: " in front, so a leading "<rcpt>: "
    is dropped from the text."""
    if reply is None:
        return None
    code, dsn, text = reply.split(" ", 2)
    prefix = "<%s>: " % recipient
    if text.startswith(prefix):
        text = text[len(prefix):]
    return "%s %s %s" % (code, dsn, text)


# a refusal's reply text ends with its decision id (core/engine/decid.h)
ID_SUFFIX = re.compile(rb" \(id ([0-9a-f]{12})\)\n\n")


def strip_ids(data):
    """Replies (bytes) without the decision-id suffix of refusals: what
    policyd answered before decision ids, for tests about everything else."""
    return ID_SUFFIX.sub(b"\n\n", data)


def read_replies(sock, n, timeout=WAIT):
    """Read n pipelined replies (up to the n-th empty line), ids kept; less
    if the peer closed first."""
    sock.settimeout(timeout)
    data = b""
    while data.count(b"\n\n") < n:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def read_reply(sock, timeout=WAIT, keep_id=False):
    """Read one reply (up to the empty line), without its decision id unless
    keep_id. b'' if the peer closed first."""
    sock.settimeout(timeout)
    data = b""
    while not data.endswith(b"\n\n"):
        chunk = sock.recv(4096)
        if not chunk:
            return data
        data += chunk
    return data if keep_id else strip_ids(data)


def run_cli(*args):
    """relaywarden ARGS (under valgrind with RW_VALGRIND): (status, stdout, stderr)."""
    cmd = [CLI] + list(args)
    if VALGRIND:
        cmd = ["valgrind", "--quiet", "--error-exitcode=99", "--leak-check=full",
               "--errors-for-leak-kinds=definite"] + cmd
    p = subprocess.run(cmd, capture_output=True)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def ed25519_keypair(d, name):
    """An Ed25519 key pair made by openssl in d: (private PEM, public PEM)."""
    priv, pub = os.path.join(d, name + ".pem"), os.path.join(d, name + ".pub.pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", priv], check=True)
    os.chmod(priv, 0o600)
    subprocess.run(["openssl", "pkey", "-in", priv, "-pubout", "-out", pub], check=True)
    return priv, pub


def metric(port, series):
    """The value of series (name{labels} exactly) on policyd's /metrics at port, or None."""
    import urllib.request
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=WAIT) as r:
        for ln in r.read().decode().splitlines():
            if ln.startswith(series + " "):
                return float(ln.rsplit(" ", 1)[1])
    return None


def validate_records(records):
    """Every record validates against schema/audit-record.schema.json."""
    import jsonschema
    with open(SCHEMA) as fp:
        schema = json.load(fp)
    validator = jsonschema.Draft202012Validator(schema)
    bad = []
    for r in records:
        errs = list(validator.iter_errors(r))
        if errs:
            bad.append((r, errs[0].message))
    return bad


class Policyd:
    """One relaywarden-policyd process with its own directory."""

    def __init__(self, body, name="policyd", nofile=None, fsize=None, **extra):
        """extra: policyd_extra, audit_extra (config text), env (added to the environment)"""
        self.dir = tempfile.mkdtemp(prefix="rw-it-")
        self.port = free_port()
        self.sock = os.path.join(self.dir, "policyd.sock")
        self.conf = os.path.join(self.dir, "relaywarden.conf")
        self.audit = os.path.join(self.dir, "audit.jsonl")
        self.log = os.path.join(self.dir, "policyd.log")
        self.pidfile = os.path.join(self.dir, "policyd.pid")
        self.write_config(body, **extra)
        cmd = [POLICYD, "-e", "-d", "-c", self.conf, "-P", self.pidfile]
        if VALGRIND:
            cmd = ["valgrind", "--quiet", "--error-exitcode=99", "--leak-check=full",
                   "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite"] + cmd
        self.logfp = open(self.log, "ab")
        # nofile: (soft, hard) RLIMIT_NOFILE for the daemon, as a service manager sets it;
        # fsize: RLIMIT_FSIZE in bytes (a write past it fails: a full disk, for one file)
        def limit():
            if nofile:
                resource.setrlimit(resource.RLIMIT_NOFILE, nofile)
            if fsize:
                resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        env = dict(os.environ, **extra["env"]) if "env" in extra else None
        self.proc = subprocess.Popen(cmd, stdout=self.logfp, stderr=self.logfp, preexec_fn=limit if nofile or fsize else None,
                                     env=env)
        self.wait_log("event=ready")

    def write_config(self, body, **extra):
        text = body.replace("@DIR@", self.dir) + """
policyd {
    listen = { "inet:127.0.0.1:%d", "unix:%s" }
    socket_mode = "0660"
    %s
}
audit {
    file = "%s"
    %s
}
log { target = stderr }
""" % (self.port, self.sock, extra.get("policyd_extra", ""), self.audit, extra.get("audit_extra", ""))
        with open(self.conf, "w") as fp:
            fp.write(text)

    def log_text(self):
        with open(self.log, "rb") as fp:
            return fp.read().decode("utf-8", "replace")

    def wait_log(self, needle, count=1):
        """Wait (bounded) until needle appears count times in the log."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if self.log_text().count(needle) >= count:
                return True
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("policyd: '%s' not logged; log:\n%s" % (needle, self.log_text()))

    def connect(self, via="inet"):
        if via == "unix":
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(self.sock)
        else:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=WAIT)
        return s

    def ask(self, attrs, via="inet"):
        """One request on a new connection; the reply's action value."""
        s = self.connect(via)
        try:
            s.sendall(request_bytes(attrs))
            reply = read_reply(s).decode()
        finally:
            s.close()
        if not reply.startswith("action="):
            return None
        return reply[len("action="):].rstrip("\n")

    def records(self):
        if not os.path.exists(self.audit):
            return []
        with open(self.audit) as fp:
            return [json.loads(line) for line in fp if line.strip()]

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self):
        """SIGTERM, wait (bounded); the exit status (99 = valgrind found errors)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                check(False, "policyd stopped within the bound after SIGTERM")
        self.logfp.close()
        return self.proc.returncode

    def close(self):
        """Stop and check a clean exit (no valgrind errors)."""
        rc = self.stop()
        check(rc == 0, "policyd exited cleanly (status %s)" % rc)
        if rc != 0:
            print(self.log_text()[-4000:])
        return rc


class Dripper(threading.Thread):
    """A slow client on each of socks: data one byte a second on every
    socket, until stopped or data ends (an idle timeout restarted by every
    byte never closes them)."""

    def __init__(self, socks, data):
        super().__init__(daemon=True)
        self.socks = socks
        self.data = data
        self.sent = 0           # bytes sent on each socket so far
        self.stop = threading.Event()

    def run(self):
        for i in range(len(self.data)):
            if self.stop.is_set():
                break
            for s in self.socks:
                try:
                    s.sendall(self.data[i:i + 1])
                except OSError:
                    pass
            self.sent = i + 1
            self.stop.wait(1.0)


def closed_by_server(socks):
    """How many of socks the server has closed (EOF or reset), now."""
    import select
    n = 0
    for s in socks:
        if select.select([s], [], [], 0)[0]:
            try:
                n += s.recv(4096, socket.MSG_PEEK) == b""
            except OSError:
                n += 1
    return n


# --- Redis: private redis-server / redis-sentinel processes -----------------

def have_redis(sentinel=False):
    """redis-server (and redis-sentinel) on PATH."""
    import shutil
    return shutil.which("redis-server") is not None and \
        (not sentinel or shutil.which("redis-sentinel") is not None)


def skip(why):
    """Exit with automake's SKIP status."""
    print("SKIP: " + why)
    sys.exit(77)


class RespError(Exception):
    """A Redis error reply (returned, not raised, by resp_read)."""


def resp_encode(args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def resp_read(f):
    """One RESP reply from a file object: str, int, None, list, RespError."""
    line = f.readline()
    if not line.endswith(b"\r\n"):
        raise OSError("redis: connection closed")
    kind, rest = line[:1], line[1:-2].decode()
    if kind == b"+":
        return rest
    if kind == b"-":
        return RespError(rest)
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        return data[:-2].decode("utf-8", "replace")
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [resp_read(f) for _ in range(n)]
    raise OSError("redis: bad reply %r" % line)


def redis_cmd(port, *args, timeout=None):
    """One command on a fresh connection to 127.0.0.1:port; its reply."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout or WAIT)
    try:
        s.sendall(resp_encode(args))
        with s.makefile("rb") as f:
            return resp_read(f)
    finally:
        s.close()


def redis_try(port, *args):
    """redis_cmd, or None when the server does not answer (bounded)."""
    try:
        return redis_cmd(port, *args, timeout=2)
    except OSError:
        return None


def wait_for(pred, what, timeout=None):
    """Poll pred (bounded); its last true value, or check() a failure and None."""
    deadline = time.monotonic() + (timeout or WAIT)
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    check(False, "within the bound: " + what)
    return None


class RedisServer:
    """A redis-server on a free loopback port (or a sentinel with sentinel=
    master port): temp dir, no persistence, DEBUG enabled, stopped by PID."""

    def __init__(self, replicaof=None, sentinel_of=None, name="redis"):
        self.dir = tempfile.mkdtemp(prefix="rw-%s-" % name)
        self.port = free_port()
        self.replicaof = replicaof
        self.sentinel_of = sentinel_of
        self.proc = None
        self.paused = False
        self.start()

    def argv(self):
        if self.sentinel_of is not None:
            conf = os.path.join(self.dir, "sentinel.conf")
            with open(conf, "w") as fp:
                fp.write("port %d\nbind 127.0.0.1\ndaemonize no\ndir %s\n"
                         "sentinel monitor mymaster 127.0.0.1 %d 1\n"
                         "sentinel down-after-milliseconds mymaster 500\n"
                         "sentinel failover-timeout mymaster 2000\n"
                         % (self.port, self.dir, self.sentinel_of))
            return ["redis-sentinel", conf]
        cmd = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
               "--save", "", "--appendonly", "no", "--dir", self.dir,
               "--enable-debug-command", "yes"]
        if self.replicaof:
            cmd += ["--replicaof", "127.0.0.1", str(self.replicaof)]
        return cmd

    def start(self):
        """(Re)start on the same port, empty; wait (bounded) for PING."""
        self.logfp = open(os.path.join(self.dir, "server.log"), "ab")
        self.proc = subprocess.Popen(self.argv(), stdout=self.logfp, stderr=self.logfp,
                                     cwd=self.dir)
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if redis_try(self.port, "PING") == "PONG":
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.kill()
        raise RuntimeError("redis on port %d did not start" % self.port)

    def cmd(self, *args):
        return redis_cmd(self.port, *args)

    def addr(self):
        return "127.0.0.1:%d" % self.port

    def kill(self):
        """SIGKILL and reap (port and dir kept for start())."""
        if self.proc is not None and self.proc.poll() is None:
            if self.paused:
                self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(timeout=WAIT)
        self.paused = False
        if self.proc is not None:
            self.logfp.close()
        self.proc = None

    def pause(self):
        """SIGSTOP: connections stay open, nothing answers."""
        self.proc.send_signal(signal.SIGSTOP)
        self.paused = True

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)
        self.paused = False

    def restart(self):
        """Killed and started again on the same port, EMPTY (no persistence)."""
        self.kill()
        self.start()

    def close(self):
        import shutil
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def redis_conf(servers=(), sentinels=(), master_name=None, timeout_ms=None,
               connect_timeout_ms=None, connections=None):
    """A redis { } section. Under valgrind a daemon's first connect can wait
    behind other tests for far longer than the 200 ms default: unless the
    test sets it, connect_timeout_ms is then 5000."""
    if VALGRIND and connect_timeout_ms is None:
        connect_timeout_ms = 5000
    lines = []
    if servers:
        lines.append("servers = { %s }" % ", ".join('"%s"' % s for s in servers))
    if sentinels:
        lines.append("sentinels = { %s }" % ", ".join('"%s"' % s for s in sentinels))
        lines.append('master_name = "%s"' % master_name)
    for k, v in (("timeout_ms", timeout_ms), ("connect_timeout_ms", connect_timeout_ms),
                 ("connections", connections)):
        if v is not None:
            lines.append("%s = %d" % (k, v))
    return "redis {\n    %s\n}\n" % "\n    ".join(lines)


def sasl_limit_conf(rate, on_store_failure=None):
    """Relay for any SASL user (no sender check) and one limit "user-msgs" of
    rate messages a day per SASL user, the config many Redis tests share."""
    failure = "\n    on_store_failure = %s" % on_store_failure if on_store_failure else ""
    return """
local_domains = { "example.test" }
relay "submission" { type = sasl sender_login = any }
limit "user-msgs" {
    charge = sasl_user
    unit = messages
    rate = "%d/1d"%s
}
""" % (rate, failure)


def eom(**kw):
    """An END-OF-MESSAGE request (recipient empty, recipient_count, size)."""
    base = rcpt(protocol_state="END-OF-MESSAGE", recipient="", recipient_count="1",
                size="1000", queue_id="4AB1C2D3E")
    base.update(kw)
    return base


def quota_show(conf, *args):
    """`relaywarden quota show --json ARGS` -> the parsed document (or None)."""
    p = subprocess.run([CLI, "quota", "show", "-c", conf, "--json"] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=WAIT)
    if p.returncode != 0:
        print("quota show failed (%d): %s" % (p.returncode, p.stderr.decode()))
        return None
    return json.loads(p.stdout.decode())


def redis_keys(port, pattern="rw:*"):
    """Every key matching pattern with its value (string or hash), sorted."""
    out = {}
    for k in sorted(redis_cmd(port, "KEYS", pattern) or []):
        t = redis_cmd(port, "TYPE", k)
        out[k] = redis_cmd(port, "HGETALL", k) if t == "hash" else redis_cmd(port, "GET", k)
    return out
