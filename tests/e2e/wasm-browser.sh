#!/bin/bash
# wasm-browser.sh - the page (build-wasm/starttls-inspect.html) in headless
# Chromium: opened from file://, each fixture below set on its file input,
# every row's outcome checked against the fixture's .expect, no request but
# file:, blob: and data:, and a screenshot (wasm-browser.js does the work
# over the DevTools protocol on loopback).
#
# Skipped (77) without the page (make wasm), chromium or node; an error
# instead when STI_WASM_REQUIRED is set (.ci/run). The
# screenshot goes to $STI_SCREENSHOT if set (docs/wasm-page.png is one).

set -u
. "$(dirname "$0")/lib.sh"
e2e_setup

e2e_require_wasm starttls-inspect.html "${STI_WASM_PAGE:-}"
PAGE=$E2E_WASM
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || e2e_wasm_missing "chromium not found"

SHOT=${STI_SCREENSHOT:-$E2E_TMP/page.png}
out=$(node "$STI_SRCDIR/tests/e2e/wasm-browser.js" "$CHROMIUM" "$PAGE" "$SHOT" \
	"$PC/fail-cert-expired-tls12-postfix-openssl.pcap" \
	"$PC/ok-cert-2050-tls12-postfix-openssl.pcap" \
	"$PC/busy-gateway-mixed.pcap" 2>&1)
rc=$?
printf '%s\n' "$out"
e2e_eq "wasm-browser.js exit status" 0 "$rc"
e2e_match "expired certificate fixture" "$out" "ok fail-cert-expired-tls12-postfix-openssl.pcap: 1 of 1 outcomes"
e2e_match "2050 certificate fixture" "$out" "ok ok-cert-2050-tls12-postfix-openssl.pcap: 1 of 1 outcomes"
e2e_match "busy gateway, every session" "$out" "ok busy-gateway-mixed.pcap: 44 of 44 outcomes"
e2e_match "text view, busy gateway" "$out" "ok busy-gateway-mixed.pcap: text view holds the text report"
e2e_match "no network requests" "$out" "requests, all file:, blob: or data:"
e2e_check "screenshot written" test -s "$SHOT"
e2e_summary
