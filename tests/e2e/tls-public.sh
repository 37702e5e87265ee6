#!/bin/bash
# End-to-end check of the TLS layer on the public captures: for every row of
# tls-public.tsv (beside this script), run the binary with --json and the
# row's options and compare, orientation-aware, with what tshark (and, for
# JA4, FoxIO's published outputs) decoded:
#   - the highest version offered by the clients,
#   - the version each ServerHello chose (a HelloRetryRequest counts apart),
#   - the cleartext alerts: sender (side and endpoint), level and code,
#   - the endpoints that sent the ClientHellos (so that "client" is right),
#   - the JA3, JA3S and JA4 values, as multisets over the file.
# The file format and how each column was made are described at the top of
# tls-public.tsv. Prints one PASS/FAIL line per capture with the
# differences, then "N passed, N failed"; exits 1 on any failure.
#
# Environment: STI_BIN (the built binary), STI_SRCDIR (the source tree).
# The public captures live in "$STI_SRCDIR/../shared/pcaps/public"; without
# them, or without python3 ($PYTHON3 or the one on PATH), the test is
# skipped (exit 77).
set -u
: "${STI_BIN:?STI_BIN must name the built binary}"
: "${STI_SRCDIR:?STI_SRCDIR must name the source tree}"

pub="$STI_SRCDIR/../shared/pcaps/public"
tsv="$STI_SRCDIR/tests/e2e/tls-public.tsv"
if [ ! -d "$pub" ]; then
	echo "SKIP: $pub is missing"
	exit 77
fi
py=${PYTHON3:-$(command -v python3 || true)}
if [ -z "$py" ] || ! "$py" -c 'import sys' 2>/dev/null; then
	echo "SKIP: python3 is needed to read the JSON output"
	exit 77
fi
if [ ! -r "$tsv" ]; then
	echo "FAIL: $tsv is missing"
	exit 1
fi

exec "$py" - "$STI_BIN" "$pub" "$tsv" <<'PYEOF'
import collections
import json
import os
import re
import shlex
import subprocess
import sys

binary, pub, tsv = sys.argv[1], sys.argv[2], sys.argv[3]

COLS = ["file", "options", "max_client_version", "server_versions",
        "alerts", "client_endpoints", "ja3", "ja3s", "ja4"]
LEVELS = {"warning": 1, "fatal": 2}


def version_name(v):
    """The tool's version string ("1.2", "ssl3", "0x7f12") in the naming of
    tshark-reference.tsv ("TLS1.2", "SSLv3", "TLS1.3-draft18")."""
    fixed = {"ssl2": "SSLv2", "ssl3": "SSLv3", "1.0": "TLS1.0",
             "1.1": "TLS1.1", "1.2": "TLS1.2", "1.3": "TLS1.3"}
    if v in fixed:
        return fixed[v]
    m = re.fullmatch(r"0x([0-9a-fA-F]{4})", v)
    if not m:
        return "?" + v
    n = int(m.group(1), 16)
    if n >> 8 == 0x7f:
        return "TLS1.3-draft%d" % (n & 0xff)
    if n >> 8 == 0x7e:
        return "TLS1.3-exp0x%04x" % n
    if n >> 8 == 0xfb:
        return "TLS1.3-fb0x%04x" % n
    return "0x%04x" % n


def version_rank(name):
    """Order of tshark-reference names; drafts sit between 1.2 and 1.3."""
    order = ["SSLv2", "SSLv3", "TLS1.0", "TLS1.1", "TLS1.2"]
    if name in order:
        return 1 + order.index(name)
    if name.startswith("TLS1.3-"):
        return 6
    if name == "TLS1.3":
        return 7
    return 0


def endpoint(ip, port):
    return ("[%s]:%s" if ":" in ip else "%s:%s") % (ip, port)


def multiset(text, sep=","):
    """"a*2,b" (or "TLS1.2x2,TLS1.3x1" with sep "x") -> Counter."""
    c = collections.Counter()
    if text == "-":
        return c
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        if sep == "x":
            m = re.fullmatch(r"(.*)x(\d+)", item)
        else:
            m = re.fullmatch(r"(.*)\*(\d+)", item)
        if m:
            c[m.group(1)] += int(m.group(2))
        else:
            c[item] += 1
    return c


def parse_alerts(text):
    out = []
    if text == "-":
        return out
    for item in text.split(";"):
        m = re.fullmatch(r"([CS?]):(\w+):(\w+)\((\d+)\)@(\S+)", item.strip())
        if not m:
            raise ValueError("bad alert %r" % item)
        out.append((m.group(1), LEVELS[m.group(2)], int(m.group(4)),
                    m.group(5)))
    return out


def show(c):
    return ",".join("%s*%d" % (k, n) if n > 1 else k
                    for k, n in sorted(c.items())) or "-"


def diff_multiset(what, want, got):
    if want == got:
        return []
    missing, extra = want - got, got - want
    return ["%s: missing %s; unexpected %s" % (what, show(missing),
                                               show(extra))]


def observed(sessions):
    """The comparable values of one run, same shapes as a parsed row."""
    o = {"max": None, "versions": collections.Counter(), "alerts": [],
         "clients": collections.Counter(), "ja3": collections.Counter(),
         "ja3s": collections.Counter(), "ja4": collections.Counter()}
    for s in sessions:
        cli = endpoint(s["source.ip"], s["source.port"])
        srv = endpoint(s["destination.ip"], s["destination.port"])
        if "tls.client.max_version" in s:
            v = version_name(s["tls.client.max_version"])
            if o["max"] is None or version_rank(v) > version_rank(o["max"]):
                o["max"] = v
            o["clients"][cli] += 1
        if s.get("tls.hello_retry_request"):
            o["versions"]["TLS1.3(HRR)"] += 1
        if "tls.version" in s:
            o["versions"][version_name(s["tls.version"])] += 1
        for a in s.get("tls.alerts", []):
            if a.get("encrypted"):
                continue
            side = {"client": "C", "server": "S"}.get(a.get("from"), "?")
            o["alerts"].append((side, LEVELS.get(a.get("level"), 0),
                                a.get("code"), cli if side == "C" else srv))
        # tshark computes no JA3 for an SSLv2-format ClientHello (see the
        # TSV header): the tool's JA3 of those is not compared.
        if "tls.client.ja3" in s and not s.get("tls.client.sslv2_hello"):
            o["ja3"][s["tls.client.ja3"]] += 1
        if "tls.server.ja3s" in s:
            o["ja3s"][s["tls.server.ja3s"]] += 1
        if "tls.client.ja4" in s:
            o["ja4"][s["tls.client.ja4"]] += 1
    return o


def check(row):
    path = os.path.join(pub, row["file"])
    if not os.path.exists(path):
        return ["capture missing: %s" % path]
    opts = [] if row["options"] == "-" else shlex.split(row["options"])
    p = subprocess.run([binary, "--json"] + opts + [path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    problems = []
    if p.returncode not in (0, 1):
        problems.append("exit status %d: %s" % (
            p.returncode, p.stderr.decode("utf-8", "replace").strip()))
    sessions = []
    for n, line in enumerate(p.stdout.decode("utf-8", "replace").splitlines()):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as e:
            problems.append("line %d is not JSON: %s" % (n + 1, e))
            continue
        if obj.get("event.kind") == "session":
            sessions.append(obj)
    o = observed(sessions)

    want_max = row["max_client_version"]
    got_max = o["max"] or "-"
    if want_max != "*" and want_max != got_max:
        problems.append("max client version: want %s, got %s" %
                        (want_max, got_max))
    if row["server_versions"] != "*":
        want = multiset(row["server_versions"], "x")
        if want != o["versions"]:
            problems.append("server versions: want %s, got %s" % (
                row["server_versions"],
                ",".join("%sx%d" % (k, n) for k, n in
                         sorted(o["versions"].items())) or "-"))
    if row["alerts"] != "*":
        want = parse_alerts(row["alerts"])
        got = list(o["alerts"])
        unmatched = []
        for w in want:
            # Side "?" (tshark could not tell the sides apart): the
            # sender's endpoint alone decides.
            hit = next((g for g in got if g[1:] == w[1:] and
                        (w[0] == "?" or g[0] == w[0])), None)
            if hit is None:
                unmatched.append(w)
            else:
                got.remove(hit)
        if unmatched or got:
            fmt = lambda a: "%s:%d:%s@%s" % a
            problems.append("alerts: missing %s; unexpected %s" % (
                ";".join(map(fmt, unmatched)) or "-",
                ";".join(map(fmt, got)) or "-"))
    for col, key in (("client_endpoints", "clients"), ("ja3", "ja3"),
                     ("ja3s", "ja3s"), ("ja4", "ja4")):
        if row[col] == "*":
            continue
        problems += diff_multiset(col, multiset(row[col]), o[key])
    return problems


rows = []
with open(tsv, encoding="utf-8") as f:
    for n, raw in enumerate(f, 1):
        line = raw.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if fields[0] == "file":
            continue
        if len(fields) != len(COLS):
            print("FAIL %s:%d: %d columns, want %d" % (tsv, n, len(fields),
                                                        len(COLS)))
            sys.exit(1)
        rows.append(dict(zip(COLS, fields)))

passed = failed = 0
for row in rows:
    try:
        problems = check(row)
    except Exception as e:  # a broken row must not hide the others
        problems = ["error: %r" % (e,)]
    if problems:
        failed += 1
        print("FAIL %s" % row["file"])
        for p in problems:
            print("     %s" % p)
    else:
        passed += 1
        print("PASS %s" % row["file"])
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PYEOF
