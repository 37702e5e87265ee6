#!/usr/bin/env python3
"""evidence-verdicts.py - compare the sessions of two --json runs.

Usage: evidence-verdicts.py ORIGINAL.json EVIDENCE.json OUTCOMES

OUTCOMES is a comma-separated list of outcomes that were selected, "all",
or "cause" for the default selection (every session whose cause is not
none). Sessions are matched by client address and port (session ids are
renumbered in the evidence file). Prints one line per difference and
"same N" when the evidence holds exactly the selected sessions with the
same outcome, cause, reason, confidence and negotiated version.
"""
import json
import sys


def sessions(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            o = json.loads(line)
            if o.get("event.kind") != "session":
                continue
            key = (o["source.ip"], o["source.port"])
            out[key] = tuple(o.get(k) for k in (
                "verdict.outcome", "verdict.cause", "verdict.reason",
                "verdict.confidence", "tls.version"))
    return out


def main():
    orig, ev, wanted = sessions(sys.argv[1]), sessions(sys.argv[2]), sys.argv[3].split(",")
    picked = {k: v for k, v in orig.items()
              if "all" in wanted or v[0] in wanted or ("cause" in wanted and v[1] != "none")}
    bad = 0
    for k in sorted(set(picked) | set(ev)):
        if picked.get(k) != ev.get(k):
            print("differs %s:%s: original %s, evidence %s" % (k[0], k[1], picked.get(k), ev.get(k)))
            bad += 1
    if not bad:
        print("same %d" % len(picked))
    return 1 if bad else 0


sys.exit(main())
