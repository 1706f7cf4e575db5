#!/usr/bin/python3
"""spf_offline.py - run an openspf YAML suite through tests/unit/spf_zone (no network).

usage: spf_offline.py --driver BUILD/tests/unit/spf_zone --suite FILE.yml
                      [--skip TEST ...] [--test TEST ...] [-v]

Each scenario's zone is resolved with the very code of the shared
run-suite.py (its load_zone and Zone.lookup: SPF copied to TXT, NONE,
TIMEOUT, CNAME chains), for every name of the zone and every type the
evaluator asks (A AAAA MX PTR TXT), and written as a zone file for the
driver; names outside it are NXDOMAIN. The driver's result must be one of
the expected results and its explanation the expected one when given.
Skipped tests are listed with their reason by the caller. Prints
"N passed, M failed, K skipped"; exit 1 when anything failed.
"""
import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile

import yaml


def load_run_suite(path):
    spec = importlib.util.spec_from_file_location('run_suite', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def rdata_value(rs, rr):
    t = rs.QTYPE[rr.rtype]
    if t in ('A', 'AAAA'):
        return str(rr.rdata)
    if t == 'MX':
        return '%d %s' % (rr.rdata.preference, str(rr.rdata.label))
    if t == 'PTR':
        return str(rr.rdata.label)
    if t == 'TXT':
        if not rr.rdata.data:
            return '-'
        return ','.join(bytes(s).hex() for s in rr.rdata.data)
    return None


def zone_rows(rs, zonedata):
    zone = rs.Zone()
    zone.set(rs.load_zone(zonedata))
    rows = []
    for name in zone.data:
        for t in ('A', 'AAAA', 'MX', 'PTR', 'TXT'):
            qtype = getattr(rs.QTYPE, t)
            res = zone.lookup(name, qtype)
            if res is None:
                rows.append((name, t, 'TIMEOUT', ''))
                continue
            rcode, rrs = res
            if rcode == rs.RCODE.NXDOMAIN:
                rows.append((name, t, 'NXDOMAIN', ''))
                continue
            if rcode != rs.RCODE.NOERROR:
                rows.append((name, t, 'SERVFAIL', ''))
                continue
            vals = [rdata_value(rs, rr) for rr in rrs if rr.rtype == qtype]
            if not vals:
                rows.append((name, t, 'NODATA', ''))
            for v in vals:
                rows.append((name, t, 'OK', v))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--driver', required=True)
    ap.add_argument('--suite', required=True)
    ap.add_argument('--run-suite', default=None,
                    help='path of run-suite.py (default: beside the suite)')
    ap.add_argument('--skip', action='append', default=[])
    ap.add_argument('--test', action='append', default=[])
    ap.add_argument('-v', '--verbose', action='store_true')
    args = ap.parse_args()
    rs = load_run_suite(args.run_suite or os.path.join(
        os.path.dirname(os.path.abspath(args.suite)), 'run-suite.py'))
    with open(args.suite, 'rb') as fp:
        docs = list(yaml.safe_load_all(fp))
    passed = failed = skipped = 0
    seen = set()
    with tempfile.TemporaryDirectory() as tmp:
        zfile = os.path.join(tmp, 'zone')
        for doc in docs:
            rows = zone_rows(rs, doc.get('zonedata'))
            with open(zfile, 'w') as fp:
                for r in rows:
                    fp.write('\t'.join(r) + '\n')
            for name, t in (doc.get('tests') or {}).items():
                if args.test and name not in args.test:
                    continue
                seen.add(name)
                if name in args.skip:
                    skipped += 1
                    continue
                exp = t['result']
                exp = [exp] if isinstance(exp, str) else list(exp)
                p = subprocess.run([args.driver, zfile, str(t['host']),
                                    str(t['mailfrom']), str(t['helo'])],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                out = p.stdout.decode('utf-8', 'replace').split('\n')
                got = out[0]
                gexp = out[1] if len(out) > 1 else ''
                why = ''
                if p.returncode != 0:
                    why = 'driver exit %d' % p.returncode
                elif got not in exp:
                    why = 'result %s, expected %s' % (got, '|'.join(exp))
                elif 'explanation' in t and t['explanation'] != gexp:
                    why = 'explanation %r, expected %r' % (gexp, t['explanation'])
                if why:
                    failed += 1
                    print('FAIL %-30s %s  [%s]' % (name, why,
                          p.stderr.decode('utf-8', 'replace').strip()))
                else:
                    passed += 1
                    if args.verbose:
                        print('ok   %-30s %s' % (name, got))
    unknown = [s for s in args.skip if s not in seen]
    if unknown and not args.test:
        print('skip list names unknown tests: %s' % ' '.join(unknown))
        failed += len(unknown)
    print('%d passed, %d failed, %d skipped' % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
