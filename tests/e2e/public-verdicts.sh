#!/bin/bash
#
# public-verdicts.sh - pins pcaps/public-verdicts.tsv: the verdict of every
# mail session in the public captures (../shared/pcaps/public, captures
# nobody on the team made), as judged by a person reading each one with
# tshark (SPEC 9, issue 13 section 3).
#
# For each capture named in the table the binary runs with --json and no
# options; its mail sessions (smtp.mode starttls or plaintext, a mail or
# FTP server port 21/25/465/587/2525, or outcome not_smtp) must be exactly
# the table's rows for that file: client port and
# outcome/cause/reason/confidence, as multisets. A row whose verdict is "-"
# pins that the tool reports no mail session in that file. Sessions that are TLS on
# other ports (HTTPS in a mixed capture) belong to tls-public.sh.
#
# Skipped (77) when ../shared is not beside the source tree or python3 is
# missing.
set -u
. "$(dirname "$0")/lib.sh"

e2e_require_bin
e2e_public_dir
py=${PYTHON3:-$(command -v python3 || true)}
[ -n "$py" ] || e2e_skip "python3 is needed to read the JSON output"
tsv="$STI_SRCDIR/pcaps/public-verdicts.tsv"
[ -r "$tsv" ] || e2e_hard_error "$tsv is missing"

exec "$py" - "$STI_BIN" "$STI_SRCDIR" "$tsv" <<'PYEOF'
import collections, json, os, subprocess, sys

binary, srcdir, tsv = sys.argv[1:4]
MAIL_PORTS = {21, 25, 465, 587, 2525}
want = collections.defaultdict(collections.Counter)
rows = 0
with open(tsv) as f:
    for line in f:
        if line.startswith("#") or not line.strip():
            continue
        cols = line.rstrip("\n").split("\t")
        if len(cols) != 4 or cols[0] == "file":
            if cols[0] != "file":
                print("public-verdicts.sh: FAIL: bad row: %r" % line)
                sys.exit(1)
            continue
        rows += 1
        if cols[2] == "-":   # the tool reports no mail session here
            want[cols[0]].update({})
            continue
        want[cols[0]][(int(cols[1]), cols[2])] += 1

def mail_session(o):
    return (o.get("smtp.mode") in ("starttls", "plaintext")
            or o.get("destination.port") in MAIL_PORTS
            or o.get("verdict.outcome") == "not_smtp")

passed = failed = 0
for path in sorted(want):
    full = os.path.join(srcdir, path)
    if not path.startswith("../shared/pcaps/public/") or not os.path.exists(full):
        print("public-verdicts.sh: FAIL: %s: not a public capture" % path)
        failed += 1
        continue
    run = subprocess.run([binary, "--json", full], capture_output=True, text=True)
    got = collections.Counter()
    for line in run.stdout.splitlines():
        o = json.loads(line)
        if o.get("event.kind") == "session" and mail_session(o):
            v = "/".join(o["verdict." + k] for k in ("outcome", "cause", "reason", "confidence"))
            got[(o["source.port"], v)] += 1
    if got == want[path]:
        passed += 1
        continue
    failed += 1
    print("public-verdicts.sh: FAIL: %s" % path)
    for k in sorted(set(got) | set(want[path])):
        if got[k] != want[path][k]:
            print("    client port %d %s: table %d, tool %d" % (k[0], k[1], want[path][k], got[k]))
print("public-verdicts.sh: %d rows; %d captures passed, %d failed" % (rows, passed, failed))
sys.exit(1 if failed else 0)
PYEOF
