#!/bin/bash
# triage.sh - selection for every output and the one-line view (SPEC 9.5),
# on real captures.
#
# - --only incomplete prints the hung handshake (server silent after the
#   ClientHello) in full in the text output, with its start time;
# - --host narrows the text, the JSON lines and summary, and the --summary
#   inventory to the sessions of that address;
# - with no selection, JSON and --summary still cover every session;
# - a selection that matches nothing is one warning line on stderr;
# - --brief on the busy-gateway fixture: under 50 lines, identical
#   verdicts of a client and server grouped with a count and time span;
#   --localtime changes the heading.
set -u
. "$(dirname "$0")/lib.sh"
e2e_setup
BUSY=$PC/busy-gateway-mixed.pcap
HUNG=$PC/incomplete-server-silent-after-clienthello.pcap

# ---- --only incomplete: the hung handshake in full ----
e2e_run "$HUNG"
e2e_eq "no selection: the incomplete session is only counted" 0 \
	"$(grep -c '^INCOMPLETE' <<<"$E2E_OUT")"
e2e_run --only incomplete "$HUNG"
e2e_eq "--only incomplete: exit 0 (nothing failed)" 0 "$E2E_RC"
e2e_match "--only incomplete: the session line with its start time" "$E2E_OUT" \
	"#1 2026-11-27 19:40:48 UTC 192.0.2.10:40221 -> 198.51.100.41:25 (smtp starttls)"
e2e_match "--only incomplete: the verdict" "$E2E_OUT" \
	"INCOMPLETE  cause: unknown  reason: capture_ended_mid_handshake  (inferred)"
e2e_match "--only incomplete: the ladder up to the ClientHello" "$E2E_OUT" \
	"   +0.006s     11  ClientHello max TLS 1.3"
e2e_eq "--only incomplete: no warning" "" "$E2E_ERR"

# ---- --only ok: what an admin checks after a fix ----
e2e_run --only ok "$BUSY"
e2e_eq "--only ok: every ok session in full" 18 "$(grep -c '^OK  cause: none' <<<"$E2E_OUT")"
e2e_eq "--only ok: nothing else" 0 "$(grep -c -e '^FAILED' -e '^NO_TLS' -e '^DEPRECATED' <<<"$E2E_OUT")"
e2e_eq "--only ok: exit 0" 0 "$E2E_RC"

# ---- --host narrows text, JSON and summary ----
H=198.51.100.31
e2e_run --host $H "$BUSY"
e2e_eq "--host: text sessions" 6 "$(grep -c '^#' <<<"$E2E_OUT")"
e2e_eq "--host: every text session has the host" 6 "$(grep '^#' <<<"$E2E_OUT" | grep -c " -> $H:25 ")"
e2e_match "--host: text summary line" "$E2E_OUT" "sessions: 6  failed: 6  deprecated: 0"
"$STI_BIN" --json --host $H "$BUSY" >"$T/h.json"
e2e_eq "--host: JSON sessions" 6 "$(grep -c '"event.kind":"session"' "$T/h.json")"
e2e_eq "--host: JSON sessions all with the host" 6 "$(grep -c "\"destination.ip\":\"$H\"" "$T/h.json")"
e2e_match "--host: JSON summary counts the selection" "$(tail -1 "$T/h.json")" \
	'"event.kind":"summary","files":1,"files_failed":0,"sessions":6,'
e2e_run --summary --host $H "$BUSY"
e2e_match "--host: summary counts" "$E2E_OUT" "sessions: 6  failed: 6"
e2e_eq "--host: inventory server rows" 1 "$(grep -c '^[a-z]* *198\.51\.100\.' <<<"$E2E_OUT")"
e2e_match "--host: the one server" "$E2E_OUT" "$H"

# ---- no selection: everything, as before ----
"$STI_BIN" --json "$BUSY" >"$T/all.json"
e2e_eq "no selection: JSON has every session" 44 "$(grep -c '"event.kind":"session"' "$T/all.json")"
e2e_run --summary "$BUSY"
e2e_match "no selection: summary counts every session" "$E2E_OUT" "sessions: 44"

# ---- an empty selection is said ----
e2e_run --only ok -w "$T/empty.pcap" "$PC/fail-client-too-old-tls10-postfix-openssl.pcap"
e2e_eq "empty selection: one warning line" \
	"starttls-inspect: warning: --only ok matched no session; the evidence and report are empty" \
	"$E2E_ERR"
e2e_run --host 203.0.113.99 "$BUSY"
e2e_eq "--host nobody: one warning line" \
	"starttls-inspect: warning: --host 203.0.113.99 matched no session" "$E2E_ERR"
e2e_run -w "$T/ok.pcap" "$PC/ok-big-body-tls12-exim-python.pcap"
e2e_eq "-w, default selection, all ok: warning" \
	"starttls-inspect: warning: the default selection (cause not none) matched no session; the evidence and report are empty" \
	"$E2E_ERR"

# ---- --brief ----
e2e_run --brief "$BUSY"
e2e_eq "--brief: exit status as the text" 1 "$E2E_RC"
lines=$(wc -l <<<"$E2E_OUT")
e2e_check "--brief: under 50 lines ($lines)" [ "$lines" -lt 50 ]
e2e_eq "--brief: the heading" \
	"time (UTC)                    sessions  client      server            outcome     cause   reason                       TLS offered/negotiated" \
	"$(sed -n 2p <<<"$E2E_OUT")"
e2e_match "--brief: six TLS 1.0 failures grouped" "$E2E_OUT" \
	"2026-11-27 19:41:03-19:41:06  6x #12    192.0.2.10  198.51.100.31:25  failed      client  client_version_too_low       1.0/-"
e2e_match "--brief: twelve TLS 1.3 sessions grouped" "$E2E_OUT" \
	"2026-11-27 19:41:00-19:41:04  12x #1    192.0.2.10  198.51.100.25:25  ok          none    tls_ok                       1.3/1.3"
e2e_eq "--brief: groups add up to every session" 44 \
	"$(sed -n '3,$p' <<<"$E2E_OUT" | grep -o '^[-0-9: ]*  [0-9]*x\? *#' | awk '{ n += ($3 ~ /x$/) ? $3 + 0 : 1 } END { print n }')"
e2e_match "--brief: the run's counts" "$E2E_OUT" "sessions: 44  ok: 18  deprecated: 4  failed: 14  no_tls: 8"
e2e_run --brief --localtime "$HUNG"
e2e_match "--brief --localtime: the heading says so" "$E2E_OUT" "time (local)"
TZ=UTC0 e2e_run --brief --host 192.0.2.10 --only incomplete "$HUNG"
e2e_match "--brief with a selection" "$E2E_OUT" \
	"2026-11-27 19:40:48  #1        192.0.2.10  198.51.100.41:25  incomplete  unknown  capture_ended_mid_handshake  1.3/-"

e2e_summary
