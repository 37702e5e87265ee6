#!/usr/bin/env python3
"""Check starttls-inspect's --json output against expectation files.

Usage: expectations.py [--tap] BINARY EXPECT_FILE...

Each expectation file lists sessions by client port ("session PORT") and the
fields their verdict must have ("key value"); the format is described in
pcaps/README.md. The capture is NAME.pcap beside NAME.expect, unless the
file names it in a "# capture: PATH" line (relative to the file; used for
the public captures in ../shared). A "# options: ..." line adds options to
the command line. A key log beside the capture (NAME.keys) is passed with
--keylog (SPEC 9.3); a decrypted alert then reads like a cleartext one.
Every session in the output must have a block and every
block a session. Prints PASS/FAIL per file and ends with "N passed, N failed";
with --tap, one TAP result per file (automake's tap-driver.sh reports each
fixture as its own test, so one failure does not hide the others).
"""
import json
import os
import shlex
import subprocess
import sys


def parse_expect(path):
    capture, options, sessions, cur = None, [], {}, None
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if line.startswith("# capture:"):
                capture = line.split(":", 1)[1].strip()
                continue
            if line.startswith("# options:"):
                options = shlex.split(line.split(":", 1)[1])
                continue
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line.startswith("session "):
                cur = {}
                sessions[int(line.split()[1])] = cur
                continue
            if cur is None:
                raise ValueError("%s: field outside a session block: %r" % (path, line))
            key, _, value = line.strip().partition(" ")
            cur[key] = value.strip()
    base = os.path.dirname(os.path.abspath(path))
    # a file named in the options (--ca-file X) is beside the expectation
    options = [os.path.join(base, o) if not o.startswith("-") and
               os.path.exists(os.path.join(base, o)) else o for o in options]
    if capture is None:
        capture = os.path.splitext(os.path.basename(path))[0] + ".pcap"
    return os.path.normpath(os.path.join(base, capture)), options, sessions


def alert_text(a):
    if a.get("encrypted") and not a.get("decrypted"):
        return "%s:encrypted:-" % a["from"]
    return "%s:%s:%s" % (a["from"], a.get("level"), a.get("code"))


def without_encrypted(alerts):
    """The alerts the tool reports for an established session.

    Once a handshake is established and data flows both ways the tool stops
    reading that session's payload (what makes big captures cheap), so the
    encrypted close_notify alerts at the end of a good session are seen only
    when the session was short; the expectation files list every alert on
    the wire. Both sides are compared without them.
    """
    kept = [a for a in alerts.split(",") if a != "-" and ":encrypted:" not in a]
    return ",".join(kept) if kept else "-"


def actual_value(obj, key):
    """The JSON field rendered the way expectation files write it."""
    if key == "tls.client.versions":
        v = obj.get(key)
        return ",".join(v) if v else "-"
    if key == "tls.alerts":
        v = obj.get(key)
        return ",".join(alert_text(a) for a in v) if v else "-"
    if key == "tls.established":
        return "true" if obj.get(key) else "false"
    if key == "verdict.evidence":
        return ",".join(str(x) for x in obj.get(key, [])) or "-"
    v = obj.get(key)
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return ",".join(str(x) for x in v)
    return str(v)


def check(binary, path):
    capture, options, want = parse_expect(path)
    if not os.path.exists(capture):
        return ["capture %s is missing" % capture]
    keys = os.path.splitext(capture)[0] + ".keys"
    if os.path.exists(keys):
        options = options + ["--keylog", keys]
    proc = subprocess.run([binary, "--json"] + options + [capture],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    if proc.returncode not in (0, 1):
        return ["exit status %d: %s" % (proc.returncode, proc.stderr.decode(errors="replace").strip())]
    got = {}
    problems = []
    for line in proc.stdout.decode("utf-8").splitlines():
        obj = json.loads(line)
        if obj.get("event.kind") != "session":
            continue
        port = obj.get("source.port")
        if port in got:
            problems.append("client port %s appears twice" % port)
        got[port] = obj
    for port in sorted(set(want) - set(got)):
        problems.append("session %d: expected, not reported" % port)
    for port in sorted(set(got) - set(want)):
        o = got[port]
        problems.append("session %d: reported (%s %s), not expected" %
                        (port, o.get("verdict.outcome"), o.get("verdict.reason")))
    for port in sorted(set(want) & set(got)):
        for key, value in want[port].items():
            actual = actual_value(got[port], key)
            if key == "tls.alerts" and want[port].get("tls.established") == "true":
                value, actual = without_encrypted(value), without_encrypted(actual)
            if actual != value:
                problems.append("session %d: %s is %s, expected %s" % (port, key, actual, value))
    return problems


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    tap = sys.argv[1] == "--tap"
    args = sys.argv[2:] if tap else sys.argv[1:]
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary, files = args[0], args[1:]
    passed = failed = 0
    if tap:
        print("1..%d" % len(files))
    for n, path in enumerate(files, 1):
        name = os.path.relpath(path)
        try:
            problems = check(binary, path)
        except (ValueError, OSError, subprocess.TimeoutExpired, json.JSONDecodeError) as e:
            problems = [str(e)]
        if problems:
            failed += 1
            print("not ok %d - %s" % (n, name) if tap else "FAIL %s" % name)
            for p in problems:
                print("#   %s" % p if tap else "    %s" % p)
        else:
            passed += 1
            print("ok %d - %s" % (n, name) if tap else "PASS %s" % name)
    if not tap:
        print("%d passed, %d failed" % (passed, failed))
    return 1 if failed and not tap else 0


if __name__ == "__main__":
    sys.exit(main())
