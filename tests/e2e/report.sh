#!/bin/bash
# report.sh - the ticket report (--report FILE.md, --format markdown).
#
# On the busy-gateway fixture the report names the capture, the policy and
# the time span, counts every outcome/cause/reason, and has one section per
# selected session (by default every session whose cause is not none) with its verdict, its
# decisive frames and a Wireshark filter for exactly that connection; the
# filters are checked against the --json output. --only and --session
# change the sections; the file is 0600; --format markdown writes the same
# document to stdout; envelope addresses stay out unless --no-redact.

set -u
. "$(dirname "$0")/lib.sh"
e2e_setup python
BUSY=$PC/busy-gateway-mixed.pcap
PLAIN=$PC/notls-client-skipped-starttls-postfix-python.pcap

touch "$T/r.md"
chmod 644 "$T/r.md"
e2e_run --report "$T/r.md" "$BUSY"
e2e_eq "exit status with --report" 1 "$E2E_RC"
e2e_match "stdout is still the text report" "$E2E_OUT" "sessions: 44  failed: 14"
e2e_eq "report file mode" 600 "$(stat -c %a "$T/r.md")"
R=$(cat "$T/r.md")
e2e_match "title" "$R" "# STARTTLS report"
e2e_match "capture name" "$R" "- Capture: \`$BUSY\`"
e2e_match "time span" "$R" "- Time span: 2026-11-27 19:41:00 UTC to 2026-11-27 19:41:08 UTC"
e2e_match "policy" "$R" "- Policy minimum: TLS 1.2"
e2e_match "selection" "$R" "- Sessions: 44; described below: 26 (every session whose cause is not none)"
for row in "| failed | client | client_version_too_low | 6 |" \
	"| failed | server | server_version_too_low | 4 |" \
	"| failed | server | client_rejected_certificate | 4 |" \
	"| deprecated | client | version_below_policy | 4 |" \
	"| no_tls | client | starttls_required_not_used | 4 |" \
	"| no_tls | server | starttls_not_offered | 4 |" \
	"| ok | none | tls_ok | 18 |"; do
	e2e_match "summary row" "$R" "$row"
done
e2e_eq "sections" 26 "$(grep -c '^### Session ' "$T/r.md")"
e2e_eq "failed sections" 14 "$(grep -c '^| Verdict | \*\*failed\*\*' "$T/r.md")"
e2e_eq "deprecated sections" 4 "$(grep -c '^| Verdict | \*\*deprecated\*\*' "$T/r.md")"
e2e_eq "no_tls sections (stripped, not offered, required)" 8 \
	"$(grep -c '^| Verdict | \*\*no_tls\*\*' "$T/r.md")"
e2e_eq "ladders" 26 "$(grep -c '^ *time  frame  client' "$T/r.md")"

# Every section against the JSON of the same run: its id, verdict, decisive
# frames and a filter for exactly its two endpoints.
"$STI_BIN" --json "$BUSY" >"$T/all.json"
e2e_eq "sections match the JSON sessions" "26 sections agree" "$("$PY" - "$T/r.md" "$T/all.json" <<'PY'
import json, re, sys
md = open(sys.argv[1]).read()
js = {o["session.id"]: o for o in map(json.loads, open(sys.argv[2])) if o["event.kind"] == "session"}
sections = re.split(r"\n### Session ", md)[1:]
bad = []
for s in sections:
    sid = int(s.split(":", 1)[0])
    o = js[sid]
    want_filter = "`ip.addr==%s && ip.addr==%s && tcp.port==%d && tcp.port==%d`" % (
        o["source.ip"], o["destination.ip"], o["source.port"], o["destination.port"])
    want_verdict = "| Verdict | **%s**, cause %s, reason `%s` (%s) |" % (
        o["verdict.outcome"], o["verdict.cause"], o["verdict.reason"], o["verdict.confidence"])
    frames = ", ".join(str(f) for f in o["verdict.evidence"])
    want_frames = "| Decisive frames | %s |" % (frames or "none")
    for w in (want_filter, want_verdict, want_frames):
        if w not in s:
            bad.append("session %d lacks %s" % (sid, w))
    if o["verdict.cause"] == "none":
        bad.append("session %d has cause none" % sid)
print("\n".join(bad) if bad else "%d sections agree" % len(sections))
PY
)"

"$STI_BIN" --format markdown "$BUSY" >"$T/stdout.md"
e2e_eq "--format markdown: the same document on stdout" "" "$(diff "$T/r.md" "$T/stdout.md")"
"$STI_BIN" --format markdown --only ok,no_tls "$BUSY" >"$T/ok.md"
e2e_eq "--only ok,no_tls: sections" 26 "$(grep -c '^### Session ' "$T/ok.md")"
e2e_eq "--only ok,no_tls: no failed section" 0 "$(grep -c '^| Verdict | \*\*failed' "$T/ok.md")"
"$STI_BIN" --format markdown --session 3 "$BUSY" >"$T/one.md"
e2e_eq "--session 3: one section" "### Session 3: 192.0.2.10:41003 to 198.51.100.25:25" \
	"$(grep '^### Session ' "$T/one.md")"
e2e_match "--session 3: the selection named" "$(cat "$T/one.md")" \
	"- Sessions: 1; described below: 1 (selected by \`--session 3\`)"

"$STI_BIN" --format markdown --only all "$PLAIN" >"$T/p.md"
e2e_eq "redacted: no envelope address" 0 "$(grep -c -e 'a@client.example.test' -e 'b@example.test' "$T/p.md")"
e2e_match "redacted: the command stays" "$(cat "$T/p.md")" "mail FROM:<redacted>"
"$STI_BIN" --format markdown --only all --no-redact "$PLAIN" >"$T/p2.md"
e2e_match "--no-redact: the address is there" "$(cat "$T/p2.md")" "mail FROM:<a@client.example.test>"

e2e_run --report "$T/nodir/r.md" "$PLAIN"
e2e_eq "unwritable --report: exit 2" 2 "$E2E_RC"
e2e_match "unwritable --report: names it" "$E2E_ERR" "$T/nodir/r.md:"
e2e_run --format yaml "$PLAIN"
e2e_eq "--format yaml: exit 2" 2 "$E2E_RC"

e2e_summary
