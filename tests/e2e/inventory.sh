#!/bin/bash
# inventory.sh - the --summary inventory (SPEC 2.4, 7).
#
# The NDJSON inventory objects of the busy-gateway fixture match
# tests/e2e/inventory-busy-gateway.expect (numbers checked by hand against
# tshark, see the file), come before the closing summary, and leave the
# session lines as they were. The text form counts by outcome, cause and
# reason and lists the peers that break first. --min-version 1.0 changes
# who breaks.

set -u
. "$(dirname "$0")/lib.sh"
e2e_setup python
BUSY=$STI_SRCDIR/pcaps/busy-gateway-mixed.pcap
EXPECT=$STI_SRCDIR/tests/e2e/inventory-busy-gateway.expect

# The inventory lines in the expectation file's format.
rows() {
	"$PY" -c '
import json, sys
def refused(o):
    r = []
    if "inventory.refused_old_max" in o:
        r.append("old<=" + o["inventory.refused_old_max"])
    if "inventory.refused_new_max" in o:
        r.append("new<=" + o["inventory.refused_new_max"])
    return ",".join(r) or "-"
for line in sys.stdin:
    o = json.loads(line)
    if o["event.kind"] != "inventory":
        continue
    print(" ".join([o["inventory.role"], o["inventory.ip"], o.get("inventory.name", "-"),
        str(o["inventory.sessions"]), o.get("inventory.offered_max_lowest", "-"),
        o.get("inventory.offered_max_highest", "-"),
        ",".join(o["inventory.versions"]) or "-",
        ",".join(sorted(o["inventory.ciphers"])) or "-",
        ",".join("%s=%d" % kv for kv in o["inventory.outcome"].items()),
        ",".join(o.get("inventory.chose", [])) or "-",
        refused(o), o["inventory.breaks_at_minimum"]]))' "$@"
}

"$STI_BIN" --json --summary "$BUSY" >"$T/s.json"
e2e_eq "exit status" 1 "$?"
e2e_eq "inventory rows match the expectation file" "$(grep -v '^#' "$EXPECT")" \
	"$(rows <"$T/s.json")"
e2e_eq "policy minimum on every row" 9 "$(grep -c '"inventory.policy_minimum":"1.2"' "$T/s.json")"
e2e_eq "the summary is still the last line" summary \
	"$(tail -1 "$T/s.json" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["event.kind"])')"
e2e_eq "inventory after the sessions, before the summary" "session*44 inventory*9 summary*1" \
	"$("$PY" -c '
import json, sys, itertools
kinds = [json.loads(l)["event.kind"] for l in open(sys.argv[1])]
print(" ".join("%s*%d" % (k, len(list(g))) for k, g in itertools.groupby(kinds)))' "$T/s.json")"
"$STI_BIN" --json "$BUSY" >"$T/plain.json"
e2e_eq "session lines unchanged by --summary" "$(cat "$T/plain.json" | grep '"session"')" \
	"$(grep '"event.kind":"session"' "$T/s.json")"

e2e_run --summary "$BUSY"
e2e_eq "text: exit status" 1 "$E2E_RC"
e2e_match "text: counts" "$E2E_OUT" "sessions: 44  failed: 14  deprecated: 4  no_tls: 8  ok: 18  incomplete: 0"
e2e_match "text: causes" "$E2E_OUT" "by cause: none 18, client 14, server 12"
e2e_match "text: reasons" "$E2E_OUT" "by reason: tls_ok 18, version_below_policy 4, client_version_too_low 6, server_version_too_low 4, client_rejected_certificate 4, starttls_not_offered 4, starttls_required_not_used 4"
e2e_eq "text: no session detail" 0 "$(printf '%s\n' "$E2E_OUT" | grep -c '^#[0-9]')"
e2e_eq "text: server rows, breaking first" \
	"yes 198.51.100.28,unknown 198.51.100.30,unknown 198.51.100.33,unknown 198.51.100.34,no 198.51.100.25,no 198.51.100.26,no 198.51.100.31,no 198.51.100.37" \
	"$(printf '%s\n' "$E2E_OUT" | sed -n '/^servers/,$p' | awk '/^(yes|no|unknown) /{print $1" "$2}' | paste -sd,)"
e2e_match "text: the client row" "$E2E_OUT" \
	"yes     192.0.2.10  client.example.test        44  1.0-1.3  1.0,1.2,1.3  failed 14, deprecated 4, no_tls 8, ok 18  TLS_AES_256_GCM_SHA384,"
# Server rows say what the server did: .28 refused a client offering up to
# 1.3 with protocol_version (it accepts only below that: it breaks); .31
# refused a client offering at most 1.0 (its minimum is above 1.0: it does
# not break); .37 chose 1.3, then its client rejected the certificate.
servers=$(printf '%s\n' "$E2E_OUT" | sed -n '/^servers/,$p')
e2e_eq "text: the server table" \
"servers (breaks: fails once the client requires TLS 1.2)
breaks   address        name             sessions  chose  refused        accepts    outcomes      ciphers
yes      198.51.100.28  mx.example.test         4  -      1.3 (too new)  below 1.3  failed 4
unknown  198.51.100.30  mx.example.test         4  1.0    -              1.0        deprecated 4  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA
unknown  198.51.100.33  mx.example.test         4  -      -              -          no_tls 4
unknown  198.51.100.34  mx.example.test         4  -      -              -          no_tls 4
no       198.51.100.25  mx.example.test        12  1.3    -              1.3        ok 12         TLS_AES_256_GCM_SHA384
no       198.51.100.26  mx.example.test         6  1.2    -              1.2        ok 6          TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
no       198.51.100.31  mx.example.test         6  -      1.0 (too old)  above 1.0  failed 6
no       198.51.100.37  mx.example.test         4  1.3    -              1.3        failed 4" "$servers"

# Columns line up in every table, whatever the widths: each header word
# starts a column (sessions ends one), and every row has a cell there.
aligned() {
	"$PY" -c '
import re, sys
bad, table = [], None
for line in sys.stdin.read().split("\n"):
    if line.startswith("breaks "):
        table = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+(?: \S+)*", line)]
        continue
    if table is None or not line.strip():
        table = None
        continue
    for start, end, word in table[1:]:
        if word == "sessions":
            ok = line[end - 1:end].strip() and line[end:end + 2] == "  "
        else:
            ok = start >= len(line) or (line[start - 2:start] == "  " and line[start] != " ")
        if not ok:
            bad.append("%s@%d: %s" % (word, start, line))
print("\n".join(bad))'
}
e2e_eq "text: columns aligned (IPv4)" "" "$(printf '%s\n' "$E2E_OUT" | aligned)"
V6=$STI_SRCDIR/pcaps/ok-ipv6-postfix-swaks.pcap
e2e_run --summary "$BUSY" "$V6"
e2e_match "text: an IPv6 server row" "$E2E_OUT" "2001:db8:"
e2e_eq "text: columns aligned (IPv4 and IPv6 rows)" "" "$(printf '%s\n' "$E2E_OUT" | aligned)"

# Several files: one line of counts per file, under one header.
FIX=$STI_SRCDIR/pcaps/fail-cert-expired-tls12-postfix-curl.pcap
e2e_run --summary "$BUSY" "$FIX"
e2e_eq "text: several files: exit status" 1 "$E2E_RC"
e2e_eq "text: several files: counts per file" \
"by file (2 files)
  file$(printf '%*s' $((${#FIX} - 4)) '')  sessions  failed  deprecated  no_tls  ok  incomplete  not_smtp
  $BUSY$(printf '%*s' $((${#FIX} - ${#BUSY})) '')        44      14           4       8  18           0         0
  $FIX         1       1           0       0   0           0         0" \
	"$(printf '%s\n' "$E2E_OUT" | sed -n '/^by file/,/^$/p' | sed '/^$/d')"
e2e_run --summary "$BUSY"
e2e_eq "text: one file: no per-file lines" 0 "$(printf '%s\n' "$E2E_OUT" | grep -c '^by file')"

# With a policy of 1.0 nobody breaks for lack of 1.0 support.
"$STI_BIN" --json --summary --min-version 1.0 "$BUSY" | rows >"$T/min10"
e2e_eq "--min-version 1.0: the client no longer breaks" "client no" \
	"$(awk '$1=="client"{print $1" "$NF}' "$T/min10")"
e2e_eq "--min-version 1.0: servers that chose 1.0+ are safe" \
	"198.51.100.25 198.51.100.26 198.51.100.30 198.51.100.37" \
	"$(awk '$1=="server" && $NF=="no"{print $2}' "$T/min10" | sort | paste -sd' ')"
# .28 refused a 1.3/1.2 offer; .31 refused a 1.0 offer, which is now at
# the minimum (the verdict says server_version_too_low too).
e2e_eq "--min-version 1.0: servers that refused an offer at the minimum" \
	"198.51.100.28 198.51.100.31" \
	"$(awk '$1=="server" && $NF=="yes"{print $2}' "$T/min10" | sort | paste -sd' ')"

e2e_summary
