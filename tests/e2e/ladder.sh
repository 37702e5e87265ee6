#!/bin/bash
#
# ladder.sh - the recorder keeps a session's ladder rows as they come
# (SPEC 9.7: state sized by what arrived) and still reports them whole:
# every row in order with its frame, the EHLO reply row completed at the
# end, and past STI_LADDER_MAX (48) rows the count of those not shown.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -u
. "$(dirname "$0")/lib.sh"

e2e_require_bin
e2e_tmpdir

fixture=$STI_SRCDIR/pcaps/fail-cert-expired-tls12-postfix-openssl.pcap
e2e_run --no-color "$fixture"
rows=$(grep -E -- ' (-->|<-- )' "$E2E_TMP/out")
e2e_eq "fixture: 13 rows" 13 "$(printf '%s\n' "$rows" | wc -l)"
e2e_eq "fixture: frames in order" "4 6 8 9 10 11 12 13 13 13 15 16 17" \
	"$(printf '%s\n' "$rows" | awk '{ printf "%s%s", (NR > 1 ? " " : ""), $2 }')"
e2e_match "fixture: the EHLO reply row is completed" "$E2E_OUT" \
	"<-- 250 EHLO reply: STARTTLS offered"
e2e_match "fixture: the last row" "$E2E_OUT" "17  FIN "
# Rows written when the record is built, from fixed words or from the
# facts the session keeps (the first ClientHello, the ServerHello, the
# server's certificate, a handshake type's name).
e2e_match "fixture: the ClientHello row" "$rows" "11  ClientHello max TLS 1.2 [1.2], 28 ... -->"
e2e_match "fixture: the ServerHello row" "$rows" "12                                        <-- ServerHello TLS 1.2"
e2e_match "fixture: the certificate row" "$rows" "<-- Certificate CN=mx.example.test issu..."
e2e_match "fixture: a handshake row" "$rows" "<-- server_hello_done"
e2e_match "fixture: the alert row" "$rows" "15  Alert fatal certificate_expired(45)   -->"

# One row per anomaly and side, each its description.
e2e_run --no-color --only all "$STI_SRCDIR/pcaps/incomplete-capture-starts-mid-session.pcap"
rows=$(grep -E -- ' (-->|<-- )' "$E2E_TMP/out")
e2e_eq "anomalies: 6 rows" 6 "$(printf '%s\n' "$rows" | wc -l)"
e2e_match "anomalies: the client's first" "$(printf '%s\n' "$rows" | head -1)" \
	"1  ! the client sent bytes before the... -->"
e2e_match "anomalies: the server's second" "$(printf '%s\n' "$rows" | sed -n 4p)" \
	"<-- ! the server's first bytes are not ..."

e2e_public_dir
e2e_run --no-color "$E2E_PUBLIC/ndpi/smtp.pcap"
rows=$(grep -E -- ' (-->|<-- )' "$E2E_TMP/out")
e2e_eq "75 rows: 48 shown" 48 "$(printf '%s\n' "$rows" | wc -l)"
e2e_eq "75 rows: the first is frame 4" 4 "$(printf '%s\n' "$rows" | head -1 | awk '{ print $2 }')"
e2e_match "75 rows: the first" "$(printf '%s\n' "$rows" | head -1)" \
	"<-- 220 pigeon.eyrie.af.mil ESMTP"
e2e_match "75 rows: the 48th" "$(printf '%s\n' "$rows" | tail -1)" \
	"53  RCPT To:<corbind@pigeon.eyrie.af.mil> -->"
e2e_match "75 rows: the rest counted" "$E2E_OUT" "(27 more rows not shown)"
e2e_summary
