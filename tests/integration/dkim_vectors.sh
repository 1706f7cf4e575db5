#!/bin/sh
# dkim_vectors.sh - every DKIM conformance vector through core/dkimv.
#
# The vectors live in ../shared/conformance/dkim (beside the source tree) or
# in $RW_SHARED/conformance/dkim; a missing directory is a failure, never a
# skip. For each vector, tests/integration/dkim_vectors verifies the message
# with its key file and aligns its From field; this script asserts:
#  - vectors.json and derived/manifest.json: the message result is one of
#    "expect", the per-signature results equal "sigs";
#  - the hazards of the README: rsa-sha1 and short keys are not a pass,
#    a k= mismatch is not a pass, a second From above the signed one and
#    text appended after an l= body both pass DKIM but fail alignment;
#  - opendkim/manifest.json: our result word agrees with the DKIM_STAT_*
#    OpenDKIM's test asserts (RFC 8301 turns an rsa-sha1 DKIM_STAT_OK into
#    fail); where libopendkim's own status differs, a note says so;
#  - no message file in the directory is left out of the manifests.
# Prints "N/M vectors as expected".
set -eu

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
shared=${RW_SHARED:-$top_srcdir/../shared}
dir=$shared/conformance/dkim
driver=$top_builddir/tests/integration/dkim_vectors

if [ ! -f "$dir/vectors.json" ]; then
	echo "dkim_vectors.sh: DKIM vectors not found in $dir (set RW_SHARED)" >&2
	exit 1
fi
if [ ! -x "$driver" ]; then
	echo "dkim_vectors.sh: $driver not built" >&2
	exit 1
fi

exec /usr/bin/python3 - "$dir" "$driver" <<'EOF'
import json, os, subprocess, sys

vdir, driver = sys.argv[1], sys.argv[2]

# What our result word may be for each status OpenDKIM's tests assert.
STAT_WORDS = {
    "DKIM_STAT_OK": {"pass"},
    "DKIM_STAT_BADSIG": {"fail"},
    "DKIM_STAT_NOSIG": {"none", "permerror"},
    "DKIM_STAT_NOKEY": {"permerror"},
    "DKIM_STAT_CANTVRFY": {"fail", "permerror"},
    "DKIM_STAT_SYNTAX": {"fail", "permerror", "none"},
    "DKIM_STAT_REVOKED": {"fail", "permerror"},
    "DKIM_STAT_NORESOURCE": {"permerror", "temperror"},
}


def run(keys, msg, fixcrlf=False):
    cmd = [driver] + (["--fixcrlf"] if fixcrlf else []) + [keys, msg]
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    if p.returncode != 0:
        raise RuntimeError("driver exit %d: %s" % (p.returncode, p.stderr.strip()))
    r = {"sigs": []}
    for line in p.stdout.splitlines():
        word, _, rest = line.partition(" ")
        if word == "sig":
            f = rest.split(" ", 7)
            r["sigs"].append({"result": f[1], "a": f[4][2:],
                              "partial": f[6] == "partial=1", "reason": f[7][7:]})
        elif word == "align":
            r["align"] = rest.split(" ")[0]
            r["align_line"] = rest
        else:
            r[word] = rest
    return r


def check_static(v, r):
    errs = []
    if r["dkim"] not in v["expect"]:
        errs.append("dkim=%s, expected one of %s" % (r["dkim"], v["expect"]))
    if "sigs" in v and [s["result"] for s in r["sigs"]] != v["sigs"]:
        errs.append("sigs %s, expected %s" % ([s["result"] for s in r["sigs"]], v["sigs"]))
    if v.get("rfc8301") and r["dkim"] == "pass":
        errs.append("RFC 8301 vector passed")
    if "k-ed25519" in v["id"] and r["dkim"] == "pass":
        errs.append("k= mismatch passed")
    if v.get("alignment_hazard"):
        if r.get("align") != "fail":
            errs.append("alignment hazard aligned: %s" % r.get("align_line"))
        if "from-prepended" in v["id"] and "multiple From headers" not in r["align_line"]:
            errs.append("second From not reported: %s" % r["align_line"])
        if "l-tag" in v["id"] and not any(s["partial"] for s in r["sigs"]):
            errs.append("l= signature not marked partial")
    return errs


notes = []


def check_opendkim(v, r):
    errs = []
    if r["status"] != v["expected"]:
        notes.append("%s: libopendkim says %s where OpenDKIM's test expects %s"
                     % (v["file"], r["status"], v["expected"]))
    words = STAT_WORDS.get(v["expected"], set())
    sha1 = any(s["a"] == "rsa-sha1" for s in r["sigs"])
    if v["expected"] == "DKIM_STAT_OK" and sha1:
        if r["dkim"] != "fail" or not any("RFC 8301" in s["reason"] for s in r["sigs"]):
            errs.append("rsa-sha1 signature gave %s, expected fail (RFC 8301)" % r["dkim"])
    elif r["dkim"] not in words:
        errs.append("dkim=%s, expected one of %s" % (r["dkim"], sorted(words)))
    return errs


def vectors():
    out = []
    for v in json.load(open(os.path.join(vdir, "vectors.json")))["vectors"]:
        out.append((v["id"], v["file"], v["keys"], False, check_static, v))
    for v in json.load(open(os.path.join(vdir, "derived/manifest.json")))["vectors"]:
        out.append((v["id"], v["file"], v["keys"], False, check_static, v))
    for v in json.load(open(os.path.join(vdir, "opendkim/manifest.json")))["vectors"]:
        out.append(("opendkim/" + v["file"], "opendkim/" + v["file"], "opendkim/keys.txt",
                    bool(v.get("fixcrlf")), check_opendkim, v))
    return out


def uncovered(listed):
    left = []
    for sub in sorted(os.listdir(vdir)):
        d = os.path.join(vdir, sub)
        if not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            if f.endswith((".eml", ".msg", ".message")) and sub + "/" + f not in listed:
                left.append(sub + "/" + f)
    return left


ok = bad = 0
all_v = vectors()
for vid, f, keys, fix, check, v in all_v:
    try:
        r = run(os.path.join(vdir, keys), os.path.join(vdir, f), fix)
        errs = check(v, r)
    except Exception as e:  # a crash is a failure of that vector
        errs = ["%s" % e]
    if errs:
        bad += 1
        print("FAIL %s: %s" % (vid, "; ".join(errs)))
    else:
        ok += 1
        print("ok   %s: dkim=%s align=%s" % (vid, r["dkim"], r.get("align")))
left = uncovered({f for _, f, _, _, _, _ in all_v})
for f in left:
    bad += 1
    print("FAIL %s: message file not in any manifest" % f)
for n in notes:
    print("note: " + n)
print("%d/%d vectors as expected" % (ok, ok + bad))
sys.exit(0 if bad == 0 and ok > 0 else 1)
EOF
