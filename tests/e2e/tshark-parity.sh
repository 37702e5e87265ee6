#!/bin/bash
#
# tshark-parity.sh - our TCP sessions against tshark's TCP streams.
#
# tshark-parity.tsv holds, for public captures of every link type we decode,
# one row per tshark `tcp.stream`: its two endpoints as an unordered pair and
# the packets and TCP payload bytes (sum of tcp.len) each way. It was made
# once with tshark (see its header); tshark is not needed here. For each file
# the sessions view must give the same number of sessions and, matching
# sessions to streams by endpoint pair (and, where a pair repeats, by order
# of first packet), the same packets and bytes each way, whichever side we
# call the client.
set -u
. "$(dirname "$0")/lib.sh"

e2e_setup public

TSV=$STI_SRCDIR/tests/e2e/tshark-parity.tsv
[ -f "$TSV" ] || e2e_hard_error "reference file $TSV is missing"

cd "$E2E_PUBLIC" || e2e_hard_error "cannot enter $E2E_PUBLIC"

# A B PACKETS_AB BYTES_AB PACKETS_BA BYTES_BA, one line per session in order
# of first packet, into "A B #k PACKETS_AB BYTES_AB PACKETS_BA BYTES_BA"
# with A < B and k the k-th session between A and B, sorted.
normalise() {
	LC_ALL=C awk -F'\t' '
		{
			a = $1; b = $2; pab = $3; bab = $4; pba = $5; bba = $6
			if (b < a) {
				t = a; a = b; b = t
				t = pab; pab = pba; pba = t
				t = bab; bab = bba; bba = t
			}
			k = ++seen[a " " b]
			print a " " b " #" k " " pab " " bab " " pba " " bba
		}' | LC_ALL=C sort -t ' ' -k1,1 -k2,2 -k3.2n
}

# Streams of one file from the reference, in tshark's stream order.
expected_rows() {
	awk -F'\t' -v OFS='\t' -v f="$1" '
		/^#/ || $1 != f || $2 == "-" { next }
		{ print $3, $4, $5, $6, $7, $8 }' "$TSV"
}

# Sessions from the last run, in id order (the order of first packet).
actual_rows() {
	awk -v OFS='\t' '
		/^#/ { next }
		$3 == "->" {
			split($6, c, /[=p\/B]/)   # c2s=Np/NB: c[2] packets, c[4] bytes
			split($7, s, /[=p\/B]/)
			print $2, $4, c[2], c[4], s[2], s[4]
		}' "$E2E_TMP/out"
}

awk -F'\t' '!/^#/ && NF && !seen[$1]++ { print $1 }' "$TSV" >"$E2E_TMP/files"
nfiles=$(wc -l <"$E2E_TMP/files")
[ "$nfiles" -ge 12 ] ||
	e2e_hard_error "the reference covers $nfiles files; at least 12 expected"
e2e_note "$nfiles captures in $TSV"

while IFS= read -r f; do
	if [ ! -f "$f" ]; then
		e2e_fail "$f: listed in the reference but missing from $E2E_PUBLIC"
		continue
	fi
	e2e_run --sessions "$f" </dev/null
	if e2e_crashed; then
		e2e_fail "$f: crashed (exit $E2E_RC): $(head -c 600 "$E2E_TMP/err")"
		continue
	fi
	if [ "$E2E_RC" -ne 0 ]; then
		e2e_fail "$f: exit status $E2E_RC: $E2E_ERR"
		continue
	fi
	e2e_pass
	expected_rows "$f" | normalise >"$E2E_TMP/want"
	actual_rows | normalise >"$E2E_TMP/got"
	e2e_eq "$f: sessions (tshark tcp.stream count)" \
		"$(wc -l <"$E2E_TMP/want")" "$(wc -l <"$E2E_TMP/got")"
	if diff "$E2E_TMP/want" "$E2E_TMP/got" >"$E2E_TMP/diff"; then
		e2e_pass
	else
		e2e_fail "$f: sessions differ from tshark's streams" \
			"(< tshark, > ours; A B #k packets/bytes A->B, B->A):"
		head -n 20 "$E2E_TMP/diff" | sed 's/^/    /'
		n=$(wc -l <"$E2E_TMP/diff")
		[ "$n" -le 20 ] || printf '    ... %d diff lines in all\n' "$n"
	fi
done <"$E2E_TMP/files"

e2e_summary
