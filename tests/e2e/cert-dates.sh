#!/bin/bash
# cert-dates.sh - a certificate valid past 2038 is read and shown as such.
#
# The server of ok-cert-2050-tls12-postfix-openssl presents a certificate
# valid until 2050-06-01 (GeneralizedTime). Through a 32-bit time_t its end
# would wrap to 1914 and the session would be called failed, blamed on the
# server; here it is ok, and every output states the 2050 date.

set -u
. "$(dirname "$0")/lib.sh"
e2e_setup
CAP=$STI_SRCDIR/pcaps/ok-cert-2050-tls12-postfix-openssl.pcap

e2e_run --json "$CAP"
e2e_eq "exit status" 0 "$E2E_RC"
e2e_match "verdict ok" "$E2E_OUT" '"verdict.outcome":"ok","verdict.cause":"none","verdict.reason":"tls_ok"'
e2e_match "JSON not_after" "$E2E_OUT" '"tls.server.x509.not_after":"2050-06-01T12:00:00Z"'
e2e_run --format markdown --session 1 "$CAP"
e2e_match "Markdown validity" "$E2E_OUT" "| Valid | 2026-12-04 to 2050-06-01 |"
e2e_summary
