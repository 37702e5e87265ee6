#!/bin/bash
# tickets.sh - remediation an admin can paste, certificate problems with
# their numbers, pseudonyms that are safe to share (SPEC 9.5), on real
# captures.
#
# - a TLS 1.0 client against a TLS 1.2 server: the SChannel registry path
#   and the .NET values come as complete reg add lines, each whole on one
#   line of the text output; Postfix is told to remove its cap, not to
#   require a version; --min-version 1.3 makes it TLS 1.3;
# - the Markdown report puts the same lines in a code block;
# - -w with --report on stripped-STARTTLS captures (and the busy gateway):
#   a non-empty pcap, the report names it and the tool's version, and every
#   "N, evidence frame M" is frame M of that pcap as tshark shows it (the
#   same time and ports as frame N of the capture); a certificate table;
# - the plaintext retry after a failed TLS attempt carries the failure's
#   fix and says "possibly";
# - an expired certificate gives its not-after date and how long ago; a
#   name mismatch the names it has against the name asked for;
# - --anonymize: every address in the JSON lies in 198.18.0.0/15 or
#   fd00::/8.
set -u
. "$(dirname "$0")/lib.sh"
e2e_setup
OLD=$PC/fail-client-too-old-tls10-postfix-openssl.pcap
KEY='HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS'

# ---- registry lines, whole ----
e2e_run "$OLD"
for line in \
	"       reg add \"$KEY 1.2\\Client\" /v Enabled /t REG_DWORD /d 1 /f" \
	"       reg add \"$KEY 1.2\\Client\" /v DisabledByDefault /t REG_DWORD /d 0 /f" \
	"       reg add \"$KEY 1.2\\Server\" /v Enabled /t REG_DWORD /d 1 /f" \
	"       reg add \"$KEY 1.2\\Server\" /v DisabledByDefault /t REG_DWORD /d 0 /f" \
	'       reg add "HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319" /v SystemDefaultTlsVersions /t REG_DWORD /d 1 /f' \
	'       reg add "HKLM\SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v4.0.30319" /v SchUseStrongCrypto /t REG_DWORD /d 1 /f' \
	'       postconf smtp_tls_protocols smtp_tls_mandatory_protocols'; do
	e2e_eq "one whole line: ${line:7:60}..." 1 "$(grep -cxF -- "$line" <<<"$E2E_OUT")"
done
e2e_eq "no registry path cut at a space" 0 "$(grep -c 'Protocols\\TLS$' <<<"$E2E_OUT")"
e2e_match "Postfix: remove the cap" "$E2E_OUT" "Postfix (sending): remove the cap, do not add a requirement"
e2e_eq "Postfix: no requirement added" 0 "$(grep -c '>=TLSv1.2' <<<"$E2E_OUT")"
e2e_run --min-version 1.3 "$OLD"
e2e_match "--min-version 1.3: TLS 1.3" "$E2E_OUT" "  fix: Enable TLS 1.3 on the sending server (the client)."
e2e_eq "--min-version 1.3: TLS 1.3 keys" 4 "$(grep -c "reg add \"$(sed 's/\\/\\\\/g' <<<"$KEY") 1.3" <<<"$E2E_OUT")"
e2e_eq "--min-version 1.3: no TLS 1.2 key" 0 "$(grep -c 'TLS 1.2\\' <<<"$E2E_OUT")"

"$STI_BIN" --format markdown "$OLD" >"$T/r.md"
e2e_eq "report: the reg add lines in a code block" \
	"reg add \"$KEY 1.2\\Client\" /v Enabled /t REG_DWORD /d 1 /f" \
	"$(awk '/^```text$/ { code = 1; next } /^```$/ { code = 0 } code && /^reg add/ { print; exit }' "$T/r.md")"

# ---- the report with -w: the evidence file and its frame numbers ----
# Each "N, evidence frame M" of the report: frame M of the evidence file is
# frame N of the capture (same time, same ports), as tshark reads them.
e2e_detect_tshark
check_frames() {   # CAPTURE EVIDENCE REPORT
	local pairs n m bad=0 total=0
	pairs=$(grep '^| Decisive frames |' "$3" | grep -o '[0-9]*, evidence frame [0-9]*' |
		sed 's/, evidence frame / /')
	while read -r n m; do
		[ -n "$n" ] || continue
		total=$((total + 1))
		a=$(tshark -n -r "$1" -Y "frame.number == $n" -T fields -e frame.time_epoch -e tcp.srcport -e tcp.dstport 2>/dev/null)
		b=$(tshark -n -r "$2" -Y "frame.number == $m" -T fields -e frame.time_epoch -e tcp.srcport -e tcp.dstport 2>/dev/null)
		[ -n "$a" ] && [ "$a" = "$b" ] || bad=$((bad + 1))
	done <<<"$pairs"
	echo "$total pairs, $bad wrong"
}
for f in middlebox-stripped-swaks middlebox-stripped-two-leg-openssl busy-gateway-mixed; do
	e2e_run -w "$T/$f.pcap" --report "$T/$f.md" "$PC/$f.pcap"
	e2e_check "$f: a non-empty evidence pcap" [ "$(stat -c %s "$T/$f.pcap")" -gt 24 ]
	e2e_eq "$f: no warning" "" "$E2E_ERR"
	e2e_match "$f: the report names the evidence file" "$(cat "$T/$f.md")" "- Evidence file: \`$T/$f.pcap\`"
	e2e_match "$f: the report names the tool's version" "$(cat "$T/$f.md")" "Made by starttls-inspect "
	e2e_check "$f: decisive frames with evidence numbers" \
		grep -q '^| Decisive frames | [0-9]*, evidence frame [0-9]*' "$T/$f.md"
	if $HAVE_TSHARK; then
		res=$(check_frames "$PC/$f.pcap" "$T/$f.pcap" "$T/$f.md")
		e2e_check "$f: evidence frame numbers are tshark's ($res)" [ "${res% wrong}" != "$res" ]
		e2e_eq "$f: every pair right" 0 "$(sed 's/.*, \([0-9]*\) wrong/\1/' <<<"$res")"
	fi
done
e2e_match "busy: frame 236 is the evidence file's frame 13" "$(cat "$T/busy-gateway-mixed.md")" \
	"| Decisive frames | 235, evidence frame 12; 236, evidence frame 13 |"
e2e_match "busy: the cipher and group by name" "$(cat "$T/busy-gateway-mixed.md")" \
	"| Negotiated | TLS 1.3, cipher TLS_AES_256_GCM_SHA384, group x25519 |"
"$STI_BIN" --report "$T/tls12.md" -w "$T/tls12.pcap" --only all "$PC/ok-big-body-tls12-exim-python.pcap" >/dev/null
R=$(cat "$T/tls12.md")
for row in "| Server certificate | |" "| Subject | \`" "| Issuer | \`" "| SAN | \`" \
	"| Valid | " "| Chain | " "| SHA-256 | \`"; do
	e2e_match "certificate table: $row" "$R" "$row"
done

# ---- the plaintext retry carries the failure's fix ----
e2e_run "$PC/notls-fallback-after-tls-failure-python.pcap"
e2e_match "fallback: possibly" "$E2E_OUT" \
	"  fallback: possibly a plaintext retry after the failed TLS of session #1"
e2e_match "fallback: the failure's fix" "$E2E_OUT" \
	"  fix: This is possibly a plaintext retry after the failed TLS of session"
e2e_eq "fallback: no 'enable opportunistic TLS'" 0 "$(grep -c 'Enable opportunistic TLS' <<<"$E2E_OUT")"

# ---- certificate problems with their numbers ----
e2e_run "$PC/fail-cert-expired-tls12-postfix-openssl.pcap"
e2e_match "expired: the date and how long ago" "$(tr -s ' \n' ' ' <<<"$E2E_OUT")" \
	"(CN=mx.example.test, it expired on 2024-01-01 00:00:00 UTC, 1061 days before this session)"
e2e_run "$PC/fail-cert-name-mismatch-tls12-postfix-openssl.pcap"
e2e_match "mismatch: the names against the name asked for" "$(tr -s ' \n' ' ' <<<"$E2E_OUT")" \
	"it names www.other.test, not mx.example.test, the name the client asked for"
e2e_eq "no '(it is name mismatch)'" 0 "$(grep -c 'it is name mismatch' <<<"$E2E_OUT")"

# ---- pseudonyms in reserved ranges ----
for f in busy-gateway-mixed ok-ipv6-postfix-swaks; do
	"$STI_BIN" --json --anonymize k "$PC/$f.pcap" >"$T/a.json"
	addrs=$(grep -o '"\(source\|destination\)\.ip":"[^"]*"' "$T/a.json" | cut -d'"' -f4 | sort -u)
	e2e_check "$f: addresses found" [ -n "$addrs" ]
	e2e_eq "$f: every address in 198.18.0.0/15 or fd00::/8" "" \
		"$(grep -v -E '^(198\.1[89]\.[0-9]+\.[0-9]+|fd[0-9a-f]{2}:.*)$' <<<"$addrs")"
done

e2e_summary
