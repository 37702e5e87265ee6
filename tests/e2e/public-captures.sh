#!/bin/bash
#
# public-captures.sh - every public capture through the sessions view, the
# text report and NDJSON.
#
# Each file either succeeds (the sessions view: exit 0 and a well-formed
# report; the text and NDJSON reports: exit 0 or 1; nothing on stderr) or
# fails as an input error (exit 2, one stderr line naming the file), and
# exactly the files listed below fail, in every mode. Nothing may crash: exit 128 or more,
# or a sanitizer report on stderr, is a failure (CI runs this under
# AddressSanitizer and UndefinedBehaviorSanitizer).
set -u
. "$(dirname "$0")/lib.sh"

e2e_setup public

# The files expected to fail, relative to the public directory, and why.
EXPECTED_FAILURES='
libpcap/linktype-reserved-field-not-zero.pcap
libpcap/pcap-invalid-version-1.pcap
pcapplusplus/many_interfaces-1.pcapng
suricata-verify/smtp-to-comma/10.7.29.101_49898-178.63.41.150_25.pcap
tcpdump/LINKTYPE_PKTAP.pcap
'
# - linktype-reserved-field-not-zero: the header's link-type field has
#   reserved bits set (0x00300000); libpcap 1.10 passes it on as DLT
#   3145728, which we do not decode ("unsupported link type").
# - pcap-invalid-version-1: major version 1; libpcap refuses to open it
#   ("archaic pcap savefile format").
# - many_interfaces-1: a pcapng whose interfaces have different link types;
#   libpcap stops before the first packet, and the error says how to keep
#   the first interface (cli.sh runs that advice).
# - smtp-to-comma: after frame 18 a record claims 3925868813 captured bytes;
#   libpcap stops there (the 18 frames are still reported; see cli.sh).
# - LINKTYPE_PKTAP: Apple's PKTAP link type, which we do not decode.

is_expected_failure() {
	case $EXPECTED_FAILURES in
	*"
$1
"*) return 0 ;;
	esac
	return 1
}

cd "$E2E_PUBLIC" || e2e_hard_error "cannot enter $E2E_PUBLIC"

# The list must not go stale: every file on it is still there.
for f in $EXPECTED_FAILURES; do
	e2e_check "expected failure $f exists" test -f "$f"
done

find . -type f \( -name '*.pcap' -o -name '*.pcapng' \) | sed 's|^\./||' |
	LC_ALL=C sort >"$E2E_TMP/files"
total=$(wc -l <"$E2E_TMP/files")
[ "$total" -gt 0 ] || e2e_hard_error "no captures under $E2E_PUBLIC"
e2e_note "$total captures under $E2E_PUBLIC"

# check_run FILE MODE OK_STATUSES: the last run exited with one of
# OK_STATUSES (a file not on the list) or 2 (a file on it); an error is one
# line naming the file; success leaves stderr empty. Returns 1 on a crash.
check_run() {
	local f=$1 mode=$2 ok=$3
	if e2e_crashed; then
		e2e_fail "$f ($mode): crashed (exit $E2E_RC): $(head -c 600 "$E2E_TMP/err")"
		return 1
	fi
	if [ "$E2E_RC" -ne 2 ] && [ "${ok#*"$E2E_RC"}" != "$ok" ]; then
		if is_expected_failure "$f"; then
			e2e_fail "$f ($mode): expected to fail, but exit status $E2E_RC"
		else
			e2e_pass
		fi
		e2e_eq "$f ($mode): stderr on success" "" "$E2E_ERR"
	elif [ "$E2E_RC" -eq 2 ]; then
		if is_expected_failure "$f"; then
			e2e_pass
		else
			e2e_fail "$f ($mode): unexpected failure: $E2E_ERR"
		fi
		e2e_eq "$f ($mode): stderr lines on failure" 1 "$E2E_ERR_LINES"
		e2e_match "$f ($mode): the error names the file" "$E2E_ERR" \
			"starttls-inspect: $f: "
	else
		e2e_fail "$f ($mode): exit status $E2E_RC (one of $ok, or 2, expected): $E2E_ERR"
	fi
	return 0
}

failed_list=
while IFS= read -r f; do
	# The text report and NDJSON run every layer above TCP too; their exit
	# status is 1 when a session failed or was deprecated.
	e2e_run "$f" </dev/null
	check_run "$f" text "0 1"
	e2e_run --json "$f" </dev/null
	check_run "$f" json "0 1"

	# The sessions view: 0 or 2, and the list of failures is taken here.
	e2e_run --sessions "$f" </dev/null
	check_run "$f" sessions "0" || continue
	[ "$E2E_RC" -eq 2 ] && failed_list="$failed_list$f
"
	# Whatever was read is reported in a well-formed section: the header,
	# session lines, then the counters, which must add up.
	[ "$E2E_RC" -eq 0 ] || [ "$E2E_RC" -eq 2 ] || continue
	[ -s "$E2E_TMP/out" ] || continue
	e2e_eq "$f: first line" "# file $f" "$(head -n 1 "$E2E_TMP/out")"
	problem=$(awk -v f="$f" '
		NR == 1 { next }
		index($0, "# " f ": frames=") == 1 {
			stats++
			for (i = 3; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			sum = v["tcp"] + v["not_ip"] + v["not_tcp"]
			sum += v["ip_fragment"] + v["truncated"] + v["malformed"]
			if (sum != v["frames"])
				print "frame classes add up to " sum ", frames=" v["frames"]
			if (v["sessions"] != n)
				print "sessions=" v["sessions"] " but " n " session lines"
			next
		}
		/^#/ { print "unexpected line: " $0; next }
		stats { print "session line after the counters: " $0; next }
		$3 != "->" || $5 !~ /^orient=/ || $6 !~ /^c2s=[0-9]+p\/[0-9]+B$/ ||
		$7 !~ /^s2c=[0-9]+p\/[0-9]+B$/ { print "malformed session line: " $0; next }
		$1 != n + 1 { print "session id " $1 " after " n + 0; n = $1; next }
		{ n++ }
		END { if (stats != 1) print stats + 0 " counter lines" }
	' "$E2E_TMP/out") || problem="awk failed: $problem"
	e2e_eq "$f: report" "" "$problem"
done <"$E2E_TMP/files"

# The exact list of failures: none missing from it, none extra.
expected=$(printf '%s' "$EXPECTED_FAILURES" | sed '/^$/d' | LC_ALL=C sort)
actual=$(printf '%s' "$failed_list" | sed '/^$/d' | LC_ALL=C sort)
e2e_eq "the files that fail" "$expected" "$actual"

e2e_summary
