"""metrics_dashboards - the shipped Prometheus rules and Grafana dashboard
against the daemons' real endpoints: `promtool check rules` accepts
deploy/prometheus/relaywarden.rules.yml, and every relaywarden_ series the
rules or deploy/grafana/relaywarden.json query is exported by a running
relaywarden-policyd AND a running relaywarden-milter; every family a daemon
exports is documented in the METRICS sections of their man pages.
With --endpoints POLICYD_PORT MILTER_PORT it checks the series against
daemons already running there (the end-to-end stack) and starts nothing."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

from rwtest import TOP_BUILDDIR, TOP_SRCDIR, VALGRIND, WAIT, Policyd, check, finish, free_port

RULES = os.path.join(TOP_SRCDIR, "deploy", "prometheus", "relaywarden.rules.yml")
DASHBOARD = os.path.join(TOP_SRCDIR, "deploy", "grafana", "relaywarden.json")
MILTER = os.path.join(TOP_BUILDDIR, "milter", "relaywarden-milter")
MANS = [os.path.join(TOP_SRCDIR, "man", m) for m in ("relaywarden-policyd.8", "relaywarden-milter.8")]
CONF = """
local_domains = { "example.test" }
relay "office" { type = network networks = { "127.0.0.0/30" } }
limit "office-rate" { charge = network unit = messages rate = "100/1h" on_store_failure = local }
"""
SERIES = re.compile(r"\brelaywarden_[a-z_]+")


def scrape(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=20) as r:
        return r.read().decode()


def exported(text):
    """Names of the samples in a scrape (histograms: _bucket, _sum, _count)."""
    return {ln.split("{")[0].split(" ")[0] for ln in text.splitlines() if ln and ln[0] != "#"}


def families(text):
    return {ln.split()[2] for ln in text.splitlines() if ln.startswith("# TYPE ")}


def milter_scrape():
    """Start relaywarden-milter with a metrics endpoint, scrape it, stop it."""
    d = tempfile.mkdtemp(prefix="rw-it-")
    port, mport = free_port(), free_port()
    conf = os.path.join(d, "relaywarden.conf")
    with open(conf, "w") as fp:
        fp.write(CONF + 'milter { listen = "inet:%d@127.0.0.1" metrics = "inet:127.0.0.1:%d" }\n'
                 'audit { file = "%s/audit.jsonl" syslog = false }\nlog { target = stderr }\n'
                 % (port, mport, d))
    cmd = [MILTER, "-e", "-c", conf]
    if VALGRIND:
        cmd = ["valgrind", "--quiet", "--error-exitcode=99", "--leak-check=full",
               "--errors-for-leak-kinds=definite"] + cmd
    log = open(os.path.join(d, "milter.log"), "wb")
    p = subprocess.Popen(cmd, stdout=log, stderr=log)
    text = None
    try:
        deadline = time.monotonic() + WAIT
        while text is None and time.monotonic() < deadline and p.poll() is None:
            try:
                text = scrape(mport)
            except OSError:
                time.sleep(0.1)
    finally:
        p.terminate()
        try:
            rc = p.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = p.wait()
        log.close()
    check(text is not None, "the milter's metrics endpoint answered")
    check(rc == 0, "the milter stopped cleanly (status %s)" % rc)
    if rc != 0 or text is None:
        with open(os.path.join(d, "milter.log"), "rb") as fp:
            print(fp.read().decode("utf-8", "replace")[-3000:])
    shutil.rmtree(d, ignore_errors=True)
    return text or ""


def wanted_series():
    """(where, series) the rules and the dashboard query"""
    with open(RULES) as fp:
        wanted = {("rules", s) for s in SERIES.findall(fp.read())}
    with open(DASHBOARD) as fp:
        dash = json.load(fp)
    exprs = [t["expr"] for panel in dash["panels"] for t in panel.get("targets", [])]
    exprs += [v.get("query", "") for v in dash["templating"]["list"] if isinstance(v.get("query"), str)]
    return wanted | {("dashboard", s) for e in exprs for s in SERIES.findall(e)}


def check_exported(wanted, scrapes):
    for name, text in scrapes:
        have = exported(text)
        missing = sorted("%s (%s)" % (s, where) for where, s in wanted if s not in have)
        check(not missing, "%s exports every series the rules and dashboard query; missing: %s"
              % (name, missing))


def main():
    if sys.argv[1:2] == ["--endpoints"]:
        check_exported(wanted_series(), [("policyd", scrape(int(sys.argv[2]))),
                                         ("milter", scrape(int(sys.argv[3])))])
        finish()
    promtool = shutil.which("promtool")
    check(promtool is not None, "promtool is installed (Debian package prometheus)")
    if promtool:
        p = subprocess.run([promtool, "check", "rules", RULES], capture_output=True, text=True)
        check(p.returncode == 0 and "SUCCESS" in p.stdout,
              "promtool check rules: %s" % (p.stdout + p.stderr).strip())
    wanted = wanted_series()
    check(len({s for _, s in wanted}) >= 15, "the rules and dashboard query %d series" % len(wanted))

    mport = free_port()
    d = Policyd(CONF, policyd_extra='metrics = "inet:127.0.0.1:%d"' % mport)
    try:
        policyd_text = scrape(mport)
    finally:
        d.close()
    milter_text = milter_scrape()
    check_exported(wanted, [("policyd", policyd_text), ("milter", milter_text)])
    documented = ""
    for m in MANS:
        with open(m) as fp:
            documented += fp.read().replace("\\", "")
    undocumented = sorted(f for f in families(policyd_text) | families(milter_text)
                          if f not in documented)
    check(not undocumented, "every exported family is in the METRICS man page sections: %s"
          % undocumented)
    finish()


if __name__ == "__main__":
    sys.exit(main())
