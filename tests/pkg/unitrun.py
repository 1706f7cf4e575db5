#!/usr/bin/python3
"""unitrun.py - start a service the way its installed systemd unit would,
without systemd as PID 1 (the packaging tier, tests/pkg/run.sh).

    unitrun.py start UNIT_FILE LOG    prints the main PID once READY=1 came
    unitrun.py show UNIT_FILE KEY     prints the values of KEY, one a line

From [Service] it takes what decides how the daemon runs: EnvironmentFile
(a "-" prefix: optional), User, Group (with the user's supplementary
groups, as systemd does), UMask, RuntimeDirectory (+ Mode), every
ExecStartPre (each must exit 0) and ExecStart, run as that user through
setpriv(1). Type=notify: NOTIFY_SOCKET points at a datagram socket here and
start waits (bounded) for READY=1 from the main process. The daemon's
stdout and stderr go to LOG. Directives this helper does not emulate
(the sandboxing: ProtectSystem, SystemCallFilter, ...) are checked by
`systemd-analyze verify` in run.sh, not here.
"""
import grp
import os
import pwd
import shlex
import socket
import subprocess
import sys
import tempfile

READY_TIMEOUT = 30.0  # seconds for READY=1


def die(msg):
    """die - message to stderr, exit 1"""
    sys.stderr.write("unitrun: %s\n" % msg)
    sys.exit(1)


def service_section(path):
    """service_section - the [Service] directives as (key, value) pairs in order"""
    pairs, section = [], None
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1]
                continue
            if section != "Service" or "=" not in line:
                continue
            key, value = line.split("=", 1)
            pairs.append((key.strip(), value.strip()))
    return pairs


def values(pairs, key):
    """values - every value of key, in order"""
    return [v for k, v in pairs if k == key]


def last(pairs, key, default=None):
    """last - the value that wins (systemd: the last assignment)"""
    vals = values(pairs, key)
    return vals[-1] if vals else default


def read_env(pairs):
    """read_env - the environment the unit's EnvironmentFile= lines give"""
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "LANG": "C.UTF-8"}
    for spec in values(pairs, "EnvironmentFile"):
        optional = spec.startswith("-")
        path = spec[1:] if optional else spec
        if not os.path.exists(path):
            if optional:
                continue
            die("EnvironmentFile %s does not exist" % path)
        with open(path, encoding="utf-8") as f:
            for raw in f:
                line = raw.strip()
                if not line or line[0] in "#;" or "=" not in line:
                    continue
                key, value = line.split("=", 1)
                value = value.strip()
                if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                    value = value[1:-1]
                env[key.strip()] = value
    return env


def runtime_dirs(pairs, user, group):
    """runtime_dirs - RuntimeDirectory= under /run, owned by the unit's user"""
    mode = int(last(pairs, "RuntimeDirectoryMode", "0755"), 8)
    for spec in values(pairs, "RuntimeDirectory"):
        for name in spec.split():
            path = os.path.join("/run", name)
            os.makedirs(path, exist_ok=True)
            os.chown(path, pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid)
            os.chmod(path, mode)


def command(spec, user, group):
    """command - argv of an Exec line run as user:group with their groups"""
    argv = shlex.split(spec.lstrip("-@:+!"))
    return ["setpriv", "--reuid", user, "--regid", group, "--init-groups", "--"] + argv


def wait_ready(sock, proc):
    """wait_ready - True once READY=1 arrives; False if proc exits or time runs out"""
    sock.settimeout(0.5)
    waited = 0.0
    while waited < READY_TIMEOUT:
        try:
            msg = sock.recv(4096).decode("utf-8", "replace")
        except socket.timeout:
            waited += 0.5
            if proc.poll() is not None:
                return False
            continue
        if "READY=1" in msg.split("\n"):
            return True
    return False


def start(unit, log):
    """start - ExecStartPre lines, then ExecStart until READY=1; print the PID"""
    pairs = service_section(unit)
    user = last(pairs, "User", "root")
    group = last(pairs, "Group", pwd.getpwnam(user).pw_name)
    umask = int(last(pairs, "UMask", "0022"), 8)
    env = read_env(pairs)
    runtime_dirs(pairs, user, group)
    old = os.umask(umask)
    try:
        for pre in values(pairs, "ExecStartPre"):
            rc = subprocess.call(command(pre, user, group), env=env, cwd="/")
            if rc != 0 and not pre.startswith("-"):
                die("ExecStartPre %r exited %d" % (pre, rc))
        main = values(pairs, "ExecStart")
        if len(main) != 1:
            die("%s: expected one ExecStart, found %d" % (unit, len(main)))
        tmp = tempfile.mkdtemp(prefix="unitrun.")
        path = os.path.join(tmp, "notify")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        os.chmod(tmp, 0o755)
        os.chmod(path, 0o777)  # the daemon sends as its user
        env["NOTIFY_SOCKET"] = path
        with open(log, "ab") as out:
            proc = subprocess.Popen(command(main[0], user, group), env=env, cwd="/",
                                    stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                    start_new_session=True)
    finally:
        os.umask(old)
    ready = last(pairs, "Type", "simple") != "notify" or wait_ready(sock, proc)
    sock.close()
    os.unlink(path)
    os.rmdir(tmp)
    if not ready:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(10)
        die("%s: no READY=1 (exit status %s); see %s" % (unit, proc.returncode, log))
    print(proc.pid)


def main():
    """main - dispatch"""
    if len(sys.argv) == 4 and sys.argv[1] == "start":
        start(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "show":
        for v in values(service_section(sys.argv[2]), sys.argv[3]):
            print(v)
    else:
        die("usage: unitrun.py start UNIT LOG | show UNIT KEY")


if __name__ == "__main__":
    main()
