#!/bin/bash
# text-report.sh - --text-report FILE: the text report written to a file in
# the same run as another output (the browser page gets the JSON lines, the
# ticket, the evidence and the text report from one run this way).
#
# The file must be byte for byte what a plain run prints on standard output
# with the same selection and policy, whatever the run writes beside it
# (--json, --format markdown, --report, -w); exit status and standard output
# of the run are unchanged by it; the file is 0600; an unwritable file is
# refused before anything is read.

set -u
. "$(dirname "$0")/lib.sh"
e2e_setup

# same_as_plain NAME PLAIN-ARGS -- OTHER-ARGS -- FILE: the run with
# OTHER-ARGS and --text-report writes what PLAIN-ARGS prints, and its own
# stdout and exit status are those of OTHER-ARGS alone.
same_as_plain() {
	local name=$1 plain=() other=() file
	shift
	while [ "$1" != -- ]; do plain+=("$1"); shift; done
	shift
	while [ "$1" != -- ]; do other+=("$1"); shift; done
	file=$2
	e2e_run "${plain[@]}" "$file"
	local want=$E2E_OUT want_rc=$E2E_RC
	e2e_run "${other[@]}" "$file"
	local alone=$E2E_OUT
	rm -f "$T/t.txt"
	e2e_run "${other[@]}" --text-report "$T/t.txt" "$file"
	e2e_check "$name: the file is written" test -s "$T/t.txt"
	e2e_eq "$name: exit status" "$want_rc" "$E2E_RC"
	e2e_eq "$name: standard output as without --text-report" "$alone" "$E2E_OUT"
	e2e_eq "$name: the file is the plain text report" "$want" "$(cat "$T/t.txt")"
}

BUSY=$PC/busy-gateway-mixed.pcap
same_as_plain "busy gateway, --json -w --report" \
	-- --json -w "$T/ev.pcap" --report "$T/r.md" -- "$BUSY"
e2e_match "busy gateway: the counts" "$(cat "$T/t.txt")" "sessions: 44  failed: 14"
e2e_eq "file mode" 600 "$(stat -c %a "$T/t.txt")"
e2e_check "the evidence file is still written" test -s "$T/ev.pcap"
e2e_match "the ticket is still written" "$(cat "$T/r.md")" "# STARTTLS report"
same_as_plain "busy gateway, --only failed --anonymize" --only failed --anonymize k1 \
	-- --only failed --anonymize k1 --json -- "$BUSY"
same_as_plain "busy gateway, --min-version 1.3 --format markdown" --min-version 1.3 \
	-- --min-version 1.3 --format markdown -- "$BUSY"
same_as_plain "expired certificate, text on both" \
	-- -- "$PC/fail-cert-expired-tls12-postfix-openssl.pcap"
same_as_plain "2050 certificate, --json" \
	-- --json -- "$PC/ok-cert-2050-tls12-postfix-openssl.pcap"

e2e_refused "unwritable --text-report" "$T/no/such/dir/t.txt" \
	--json --text-report "$T/no/such/dir/t.txt" "$BUSY"
e2e_refused "--text-report with --summary --db and no input" "--summary --db without input" \
	--summary --db "$T/none.db" --text-report "$T/t2.txt"
e2e_summary
