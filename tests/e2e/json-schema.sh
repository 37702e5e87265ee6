#!/bin/bash
# json-schema.sh - every line `starttls-inspect --json --summary` writes for the
# fixture captures validates against docs/starttls-inspect.schema.json.
#
# Environment: STI_BIN (the binary), STI_SRCDIR (the source tree), PYTHON3
# (optional, default python3). For each pcaps/*.pcap: the program must exit
# 0 or 1, every line must be a JSON object valid against the schema, the
# last line must be the only summary, its session count must match the
# session lines, and each session line must name the file it came from.
# Before that, the schema itself is checked: it must be a valid draft
# 2020-12 schema, its enums must list exactly the outcomes, causes and
# reasons of include/sti/verdict.h, and it must reject a few wrong objects.
#
# Prints 'PASS name' or 'FAIL name: why' per check, then 'N passed, N failed'.
# Exit 0 all passed, 1 some failed, 77 skipped (python3 or its jsonschema
# module missing, or no captures).

set -u

: "${STI_BIN:?STI_BIN must name the starttls-inspect binary}"
: "${STI_SRCDIR:?STI_SRCDIR must name the source tree}"
PY=${PYTHON3:-python3}
SCHEMA="$STI_SRCDIR/docs/starttls-inspect.schema.json"

if ! command -v "$PY" >/dev/null 2>&1; then
	echo "SKIP: python3 not found"
	exit 77
fi
if ! "$PY" -c 'import jsonschema; jsonschema.Draft202012Validator' >/dev/null 2>&1; then
	echo "SKIP: the python3 jsonschema module (>= 4, Debian python3-jsonschema) is missing"
	exit 77
fi

shopt -s nullglob
pcaps=("$STI_SRCDIR"/pcaps/*.pcap)
if [ ${#pcaps[@]} -eq 0 ]; then
	echo "SKIP: no captures in $STI_SRCDIR/pcaps"
	exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/sti-json-schema.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT

# Run the binary on each capture; keep its output, stderr and exit status.
i=0
for p in "${pcaps[@]}"; do
	i=$((i + 1))
	# --summary adds the inventory objects; the session lines are the same.
	# A capture that keeps its MTA's log is read with it (--mta-log adds
	# mta.log to its sessions and an mta_log object).
	log=()
	[ -f "${p%.pcap}.maillog" ] && log=(--mta-log "${p%.pcap}.maillog")
	"$STI_BIN" --json --summary "${log[@]}" "$p" >"$work/$i.out" 2>"$work/$i.err"
	echo $? >"$work/$i.rc"
	printf '%s\n' "$p" >"$work/$i.name"
done

"$PY" - "$SCHEMA" "$STI_SRCDIR/include/sti/verdict.h" "$work" "$i" <<'PYEOF'
import json
import os
import re
import sys

import jsonschema

schema_path, verdict_h, work, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
passed = failed = 0


def report(name, problems):
    global passed, failed
    if problems:
        failed += 1
        print("FAIL %s: %s" % (name, "; ".join(problems[:5])))
    else:
        passed += 1
        print("PASS %s" % name)


# ---- the schema itself ----
problems = []
validator = None
try:
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    V = jsonschema.Draft202012Validator
    V.check_schema(schema)
    validator = V(schema, format_checker=V.FORMAT_CHECKER)
    # Per kind, so that an error names the field rather than "not valid
    # under any of the given schemas".
    by_kind = {}
    for kind in ("session", "summary", "inventory", "mta_log"):
        sub = dict(schema)
        sub.pop("oneOf", None)
        sub["$ref"] = "#/$defs/" + kind
        by_kind[kind] = V(sub, format_checker=V.FORMAT_CHECKER)
except Exception as e:  # any failure here makes every later check moot
    problems.append("cannot load %s: %s" % (schema_path, e))

if validator is not None:
    with open(verdict_h, encoding="utf-8") as f:
        header = f.read()

    def table(name, pattern):
        m = re.search(r"#define %s\(X\)(.*?)\n\n" % name, header, re.S)
        return re.findall(pattern, m.group(1)) if m else []

    name = r"X\([\s\\]*\w+,[\s\\]*\"([a-z0-9_]+)\""
    want = {"outcome": table("STI_OUTCOMES", name),
            "cause": table("STI_CAUSES", name),
            "reason": table("STI_REASONS", name)}
    props = schema["$defs"]["session"]["properties"]
    summ = schema["$defs"]["summary"]["properties"]
    for kind, names in want.items():
        if not names:
            problems.append("no %s names found in %s" % (kind, verdict_h))
            continue
        enum = props["verdict." + kind]["enum"]
        if sorted(enum) != sorted(names):
            problems.append("verdict.%s enum and verdict.h differ in %s" % (
                kind, sorted(set(enum) ^ set(names))))
        if sorted(summ[kind]["required"]) != sorted(names):
            problems.append("summary %s keys differ from verdict.h" % kind)

    # A few wrong objects the schema must refuse.
    good = {"event.kind": "summary", "files": 1, "files_failed": 0, "sessions": 0,
            "outcome": {n: 0 for n in want["outcome"]},
            "cause": {n: 0 for n in want["cause"]},
            "reason": {n: 0 for n in want["reason"]}}
    if not validator.is_valid(good):
        problems.append("a minimal summary does not validate")
    bad = [dict(good, files=-1),
           {k: v for k, v in good.items() if k != "reason"},
           dict(good, extra=1),
           {"event.kind": "session", "source": {"ip": "192.0.2.1"}},
           {"event.kind": "other"},
           {"event.kind": "inventory", "inventory.role": "peer"}]
    for b in bad:
        if validator.is_valid(b):
            problems.append("schema accepts %s" % json.dumps(b)[:80])
report("schema", problems)

# ---- each capture ----
for i in range(1, count + 1):
    base = os.path.join(work, str(i))
    with open(base + ".name", encoding="utf-8") as f:
        pcap = f.read().rstrip("\n")
    name = os.path.basename(pcap)
    problems = []
    with open(base + ".rc") as f:
        rc = int(f.read().strip() or "-1")
    if rc not in (0, 1):
        with open(base + ".err", encoding="utf-8", errors="replace") as f:
            err = f.read().strip().splitlines()
        problems.append("exit status %d%s" % (rc, (": " + err[0]) if err else ""))
    with open(base + ".out", "rb") as f:
        data = f.read()
    if data and not data.endswith(b"\n"):
        problems.append("output does not end with a newline")
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    sessions = summaries = inventories = 0
    summary = None
    last_kind = None
    for n, raw in enumerate(lines, 1):
        try:
            obj = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            problems.append("line %d is not UTF-8 JSON: %s" % (n, e))
            continue
        if validator is None:
            continue
        kind = obj.get("event.kind") if isinstance(obj, dict) else None
        v = by_kind.get(kind, validator) if isinstance(kind, str) else validator
        errs = sorted(v.iter_errors(obj), key=lambda e: [str(p) for p in e.path])
        for e in errs[:2]:
            where = "/".join(str(p) for p in e.path) or "(object)"
            problems.append("line %d %s: %s" % (n, where, e.message[:160]))
        if not isinstance(obj, dict):
            continue
        if n == len(lines):
            last_kind = kind
        if kind == "session":
            sessions += 1
            if summaries:
                problems.append("line %d: a session after the summary" % n)
            if obj.get("file") != pcap:
                problems.append("line %d: file is %r, not %r" % (n, obj.get("file"), pcap))
        elif kind == "inventory":
            inventories += 1
            if summaries:
                problems.append("line %d: an inventory object after the summary" % n)
        elif kind == "summary":
            summaries += 1
            summary = obj
    if rc in (0, 1):
        if summaries != 1:
            problems.append("%d summary lines, not 1" % summaries)
        elif last_kind != "summary":
            problems.append("the last line is not the summary")
        if summary is not None and summary.get("sessions") != sessions:
            problems.append("summary says %r sessions, %d lines" % (summary.get("sessions"), sessions))
        if summary is not None and summary.get("files") != 1:
            problems.append("summary says %r files, not 1" % summary.get("files"))
        if sessions and not inventories:
            problems.append("sessions but no inventory object")
    report(name, problems)

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PYEOF
