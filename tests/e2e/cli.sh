#!/bin/bash
#
# cli.sh - the command line: help and version, usage errors, input errors,
# standard input, several files in one run, and truncated captures whose
# results so far must still be written (SPEC 4 and 8).
set -u
. "$(dirname "$0")/lib.sh"

e2e_setup public

PUB=$E2E_PUBLIC
PCAP=$PUB/arkime/twovlan.pcap                      # Ethernet, QinQ, 6 frames
PCAPNG=$PUB/chrissanders/mail_sender_client_1.pcapng
PKTAP=$PUB/tcpdump/LINKTYPE_PKTAP.pcap
TRUNC=$PUB/suricata-verify/smtp-to-comma/10.7.29.101_49898-178.63.41.150_25.pcap
for f in "$PCAP" "$PCAPNG" "$PKTAP" "$TRUNC"; do
	[ -f "$f" ] || e2e_hard_error "missing capture $f"
done

# No crash, whatever else happened.
no_crash() {
	if e2e_crashed; then
		e2e_fail "$1: crashed (exit $E2E_RC): $(head -c 400 "$E2E_TMP/err")"
	else
		e2e_pass
	fi
}

# usage_error DESCRIPTION NEEDLE ARGS...: exit 2, nothing on stdout, one line
# on stderr that contains NEEDLE (the option at fault).
usage_error() {
	local what=$1 needle=$2
	shift 2
	e2e_run "$@" </dev/null
	no_crash "$what"
	e2e_eq "$what: exit status" 2 "$E2E_RC"
	e2e_eq "$what: stdout" "" "$E2E_OUT"
	e2e_eq "$what: stderr lines" 1 "$E2E_ERR_LINES"
	e2e_match "$what: stderr names the culprit" "$E2E_ERR" "$needle"
}

# ---- help and version ----

for opt in --help -h; do
	e2e_run "$opt" </dev/null
	no_crash "$opt"
	e2e_eq "$opt: exit status" 0 "$E2E_RC"
	e2e_eq "$opt: stderr" "" "$E2E_ERR"
	e2e_match "$opt: usage" "$E2E_OUT" "Usage: starttls-inspect"
	e2e_match "$opt: lists --sessions" "$E2E_OUT" "--sessions"
	e2e_match "$opt: lists --ports" "$E2E_OUT" "--ports"
done

for opt in --version -V; do
	e2e_run "$opt" </dev/null
	no_crash "$opt"
	e2e_eq "$opt: exit status" 0 "$E2E_RC"
	e2e_eq "$opt: stderr" "" "$E2E_ERR"
	first=$(printf '%s\n' "$E2E_OUT" | head -n 1)
	if printf '%s\n' "$first" | grep -q -E '^starttls-inspect [0-9]+\.[0-9]+'; then
		e2e_pass
	else
		e2e_fail "$opt: first line is not 'starttls-inspect VERSION': '$first'"
	fi
	e2e_match "$opt: names libpcap" "$E2E_OUT" "libpcap"
done

# ---- usage errors: exit 2, one line naming the option ----

usage_error "unknown long option" "--bogus" --bogus "$PCAP"
usage_error "unknown short option" "-x" -x "$PCAP"
# getopt stops inside the cluster "-xV": the message must still say -x,
# not the program name or a neighbouring argument.
usage_error "unknown short option in a cluster" "-x" -xV "$PCAP"
usage_error "unknown short option after a file" "-x" "$PCAP" -xr
usage_error "flag given an argument" "--sessions" --sessions=yes "$PCAP"

usage_error "missing argument: --ports" "--ports" "$PCAP" --ports
usage_error "missing argument: --tls-ports" "--tls-ports" "$PCAP" --tls-ports
usage_error "missing argument: --max-sessions" "--max-sessions" "$PCAP" --max-sessions
usage_error "missing argument: --idle-timeout" "--idle-timeout" "$PCAP" --idle-timeout
usage_error "missing argument: -r" "-r" -r

for bad in 0 65536 99999999999999999999 abc 25x -25 +25 ",25" "25,,587" "25;587" \
	"" "25,"; do
	usage_error "bad --ports value '$bad'" "--ports" --ports "$bad" "$PCAP"
	usage_error "bad --ports='$bad'" "--ports" "--ports=$bad" "$PCAP"
done
usage_error "bad --tls-ports value" "--tls-ports" --tls-ports 465,x "$PCAP"
usage_error "bad --max-sessions 0" "--max-sessions" --max-sessions 0 "$PCAP"
usage_error "bad --max-sessions abc" "--max-sessions" --max-sessions abc "$PCAP"
usage_error "bad --idle-timeout 0" "--idle-timeout" --idle-timeout 0 "$PCAP"
usage_error "bad --idle-timeout -5" "--idle-timeout" --idle-timeout -5 "$PCAP"

usage_error "no capture file" "file" --sessions
usage_error "no argument at all" "file"

# Good values are accepted.
e2e_run --ports 25,587,2525 --tls-ports 465,993 --max-sessions 10 \
	--idle-timeout 60 --sessions "$PCAP" </dev/null
e2e_eq "good option values: exit status" 0 "$E2E_RC"
e2e_eq "good option values: stderr" "" "$E2E_ERR"

# ---- input errors: exit 2, one line naming the file ----

missing=$E2E_TMP/does-not-exist.pcap
e2e_run --sessions "$missing" </dev/null
no_crash "nonexistent file"
e2e_eq "nonexistent file: exit status" 2 "$E2E_RC"
e2e_eq "nonexistent file: stdout" "" "$E2E_OUT"
e2e_eq "nonexistent file: stderr lines" 1 "$E2E_ERR_LINES"
e2e_match "nonexistent file: names it" "$E2E_ERR" "$missing"

e2e_run --sessions "$PKTAP" </dev/null
no_crash "PKTAP"
e2e_eq "PKTAP: exit status" 2 "$E2E_RC"
e2e_eq "PKTAP: stdout" "" "$E2E_OUT"
e2e_eq "PKTAP: stderr lines" 1 "$E2E_ERR_LINES"
e2e_match "PKTAP: names the file" "$E2E_ERR" "$PKTAP"
e2e_match "PKTAP: names the link type" "$E2E_ERR" "PKTAP"

# A record header claims a 3925868813-byte frame after frame 18: an error for
# the file, and the one session gathered from frames 1-18 is still written
# (tshark 4.0 agrees on the byte counts: 1683 client, 712 server).
e2e_run --sessions "$TRUNC" </dev/null
no_crash "smtp-to-comma"
e2e_eq "smtp-to-comma: exit status" 2 "$E2E_RC"
e2e_eq "smtp-to-comma: stderr lines" 1 "$E2E_ERR_LINES"
e2e_match "smtp-to-comma: names the file" "$E2E_ERR" "$TRUNC"
e2e_match "smtp-to-comma: names the frame" "$E2E_ERR" "frame 18"
e2e_eq "smtp-to-comma: first stdout line" "# file $TRUNC" \
	"$(head -n 1 "$E2E_TMP/out")"
e2e_eq "smtp-to-comma: session lines" 1 "$(e2e_session_lines | wc -l)"
e2e_match "smtp-to-comma: the session" "$(e2e_session_lines)" \
	"10.7.29.101:49898 -> 178.63.41.150:25 orient=syn c2s=8p/1683B s2c=10p/712B "
e2e_match "smtp-to-comma: stats line" "$(tail -n 1 "$E2E_TMP/out")" \
	"# $TRUNC: frames=18 "

# ---- truncated copies of a small capture ----
# arkime/twovlan.pcap: 24-byte file header, then records at 24, 122, 220,
# 310, 513 and 603 (frame 6 holds 4418 bytes, the server's 4344-byte reply).

cut=$E2E_TMP/cut.pcap

# A file cut inside its last record was read as far as it goes: a warning
# naming the file, and the exit status of what was read (0 here).
head -c 4037 "$PCAP" >"$cut"    # inside the data of frame 6
e2e_run --sessions "$cut" </dev/null
no_crash "cut in frame 6's data"
e2e_eq "cut in frame 6's data: exit status" 0 "$E2E_RC"
e2e_eq "cut in frame 6's data: stderr" \
	"starttls-inspect: $cut: warning: cut short: the file ends inside the record after frame 5; the 5 frames before it were read" \
	"$E2E_ERR"
e2e_eq "cut in frame 6's data: session lines" 1 "$(e2e_session_lines | wc -l)"
e2e_match "cut in frame 6's data: partial session" "$(e2e_session_lines)" \
	"10.0.0.1:54422 -> 10.0.0.2:80 orient=syn c2s=3p/113B s2c=2p/0B "
e2e_match "cut in frame 6's data: stats" "$(tail -n 1 "$E2E_TMP/out")" \
	"# $cut: frames=5 "

head -c 520 "$PCAP" >"$cut"     # inside the record header of frame 5
e2e_run --sessions "$cut" </dev/null
no_crash "cut in frame 5's header"
e2e_eq "cut in frame 5's header: exit status" 0 "$E2E_RC"
e2e_eq "cut in frame 5's header: stderr lines" 1 "$E2E_ERR_LINES"
e2e_match "cut in frame 5's header: names the file" "$E2E_ERR" "starttls-inspect: $cut: warning: "
e2e_match "cut in frame 5's header: names the frame" "$E2E_ERR" "inside the record after frame 4;"
e2e_eq "cut in frame 5's header: session lines" 1 "$(e2e_session_lines | wc -l)"
e2e_match "cut in frame 5's header: partial session" "$(e2e_session_lines)" \
	"10.0.0.1:54422 -> 10.0.0.2:80 orient=syn c2s=3p/113B s2c=1p/0B "

head -c 513 "$PCAP" >"$cut"     # exactly after frame 4: a valid capture
e2e_run --sessions "$cut" </dev/null
no_crash "cut between records"
e2e_eq "cut between records: exit status" 0 "$E2E_RC"
e2e_eq "cut between records: stderr" "" "$E2E_ERR"
e2e_match "cut between records: stats" "$(tail -n 1 "$E2E_TMP/out")" \
	"# $cut: frames=4 "

head -c 24 "$PCAP" >"$cut"      # the file header alone: no frames at all
e2e_run --sessions "$cut" </dev/null
no_crash "file header only"
e2e_eq "file header only: exit status" 0 "$E2E_RC"
e2e_eq "file header only: stderr" "" "$E2E_ERR"
e2e_eq "file header only: session lines" 0 "$(e2e_session_lines | wc -l)"
e2e_match "file header only: stats" "$E2E_OUT" "frames=0 "

head -c 10 "$PCAP" >"$cut"      # inside the file header
e2e_run --sessions "$cut" </dev/null
no_crash "cut in the file header"
e2e_eq "cut in the file header: exit status" 2 "$E2E_RC"
e2e_eq "cut in the file header: stdout" "" "$E2E_OUT"
e2e_eq "cut in the file header: stderr lines" 1 "$E2E_ERR_LINES"
e2e_match "cut in the file header: names the file" "$E2E_ERR" "$cut"

: >"$cut"                       # empty file
e2e_run --sessions "$cut" </dev/null
no_crash "empty file"
e2e_eq "empty file: exit status" 2 "$E2E_RC"
e2e_eq "empty file: stderr lines" 1 "$E2E_ERR_LINES"
e2e_match "empty file: names the file" "$E2E_ERR" "$cut"

# ---- real SMTP captures cut inside their last packet ----
# A named file goes through the mapped-file walker, standard input through
# libpcap: both read every whole frame, judge the session as the whole file
# does, warn once, and exit with the verdicts' status.
FIX=$STI_SRCDIR/pcaps/fail-cert-expired-tls12-postfix-curl.pcap  # 16 frames
size=$(wc -c <"$FIX")
head -c $((size - 20)) "$FIX" >"$cut"
e2e_run --json "$FIX" </dev/null
whole=$(grep -o '"verdict.outcome":"[a-z_]*".*"verdict.reason":"[a-z_]*"' "$E2E_TMP/out")
e2e_match "whole SMTP capture: failed, client rejected the certificate" "$whole" \
	'"verdict.outcome":"failed","verdict.cause":"server","verdict.reason":"client_rejected_certificate"'
for reader in walker libpcap; do
	if [ $reader = walker ]; then
		e2e_run --json "$cut" </dev/null
		name=$cut
	else
		e2e_run --json - <"$cut"
		name=-
	fi
	no_crash "cut SMTP capture ($reader)"
	e2e_eq "cut SMTP capture ($reader): exit status of the failed verdict" 1 "$E2E_RC"
	e2e_eq "cut SMTP capture ($reader): the warning" \
		"starttls-inspect: $name: warning: cut short: the file ends inside the record after frame 15; the 15 frames before it were read" \
		"$E2E_ERR"
	e2e_eq "cut SMTP capture ($reader): the same verdict" "$whole" \
		"$(grep -o '"verdict.outcome":"[a-z_]*".*"verdict.reason":"[a-z_]*"' "$E2E_TMP/out")"
	e2e_match "cut SMTP capture ($reader): no failed file" "$(tail -n 1 "$E2E_TMP/out")" \
		'"files":1,"files_failed":0,'
done

# pcapng: mail_sender_client_1 holds 23 frames, the last in the Enhanced
# Packet Block at 3112-3207 (an Interface Statistics Block follows); cut
# inside it. Its session is plaintext after an offered STARTTLS.
NGCUT=$E2E_TMP/cut.pcapng
head -c 3150 "$PCAPNG" >"$NGCUT"
for reader in walker libpcap; do
	if [ $reader = walker ]; then
		e2e_run "$NGCUT" </dev/null
		name=$NGCUT
	else
		e2e_run - <"$NGCUT"
		name=-
	fi
	no_crash "cut pcapng ($reader)"
	e2e_eq "cut pcapng ($reader): exit status of the verdicts" 0 "$E2E_RC"
	e2e_eq "cut pcapng ($reader): the warning" \
		"starttls-inspect: $name: warning: cut short: the file ends inside the record after frame 22; the 22 frames before it were read" \
		"$E2E_ERR"
	e2e_match "cut pcapng ($reader): the verdict" "$E2E_OUT" \
		"NO_TLS  cause: client  reason: client_skipped_starttls  (certain)"
done

# ---- a pcapng whose interfaces have different link types ----
# libpcap stops at the first interface of another type; the error gives the
# commands that keep the first interface, and those commands work.
MIXED=$PUB/pcapplusplus/many_interfaces-1.pcapng   # Ethernet, then NULL, raw IP
e2e_run "$MIXED" </dev/null
no_crash "mixed link types"
e2e_eq "mixed link types: exit status" 2 "$E2E_RC"
e2e_eq "mixed link types: the error and the advice" \
	"starttls-inspect: $MIXED: read error after frame 0: the interfaces have different link types (DLT_EN10MB (1), then LINKTYPE 0), which libpcap does not read in one file; keep the first interface with: tshark -r '$MIXED' -Y 'frame.interface_id == 0' -w - | editcap -T ether -F pcap - first-interface.pcap" \
	"$E2E_ERR"
e2e_detect_tshark
if $HAVE_TSHARK && command -v editcap >/dev/null 2>&1; then
	advice=${E2E_ERR#*keep the first interface with: }
	(cd "$E2E_TMP" && bash -c "$advice" >/dev/null 2>&1)
	e2e_run "$E2E_TMP/first-interface.pcap" </dev/null
	e2e_eq "mixed link types: the advice's file, exit status" 0 "$E2E_RC"
	e2e_match "mixed link types: the advice's file, its two sessions" "$E2E_OUT" \
		"sessions: 2  failed: 0  deprecated: 0  no_tls: 0  ok: 1  incomplete: 1"
else
	e2e_note "tshark or editcap not installed: the advice is not run"
fi

# A pcapng packet stamped 2^64-1 microseconds after the epoch (the field is
# 64 bits wide): hostile input, to be read without overflow (SPEC 8).
ts=$E2E_TMP/huge-timestamp.pcapng
{
	# Section header block, little endian, version 1.0, unknown length.
	printf '\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x4d\x3c\x2b\x1a\x01\x00\x00\x00'
	printf '\xff\xff\xff\xff\xff\xff\xff\xff\x1c\x00\x00\x00'
	# Interface description block: LINKTYPE_RAW (101), no options.
	printf '\x01\x00\x00\x00\x14\x00\x00\x00\x65\x00\x00\x00\x00\x00\x00\x00'
	printf '\x14\x00\x00\x00'
	# Enhanced packet block: interface 0, timestamp 0xffffffff:ffffffff.
	printf '\x06\x00\x00\x00\x48\x00\x00\x00\x00\x00\x00\x00'
	printf '\xff\xff\xff\xff\xff\xff\xff\xff\x28\x00\x00\x00\x28\x00\x00\x00'
	# IPv4 192.0.2.1 -> 192.0.2.2, TCP 12345 -> 25, SYN.
	printf '\x45\x00\x00\x28\x00\x01\x00\x00\x40\x06\x00\x00'
	printf '\xc0\x00\x02\x01\xc0\x00\x02\x02'
	printf '\x30\x39\x00\x19\x00\x00\x00\x01\x00\x00\x00\x00'
	printf '\x50\x02\xff\xff\x00\x00\x00\x00'
	printf '\x48\x00\x00\x00'
} >"$ts"
e2e_run --sessions "$ts" </dev/null
no_crash "huge pcapng timestamp"
e2e_eq "huge pcapng timestamp: exit status" 0 "$E2E_RC"
e2e_eq "huge pcapng timestamp: stderr" "" "$E2E_ERR"
e2e_match "huge pcapng timestamp: the session" "$(e2e_session_lines)" \
	"192.0.2.1:12345 -> 192.0.2.2:25 orient=syn c2s=1p/0B s2c=0p/0B "

# ---- standard input ----

# The output for "-" is the file's, with "-" where the name was.
for f in "$PCAP" "$PCAPNG"; do
	e2e_run --sessions "$f" </dev/null
	e2e_eq "$f: exit status" 0 "$E2E_RC"
	want=$(awk -v f="$f" '
		NR == 1 { print "# file -"; next }
		index($0, "# " f ": ") == 1 { print "# -: " substr($0, length(f) + 5); next }
		{ print }' "$E2E_TMP/out")
	for how in "-" "-r -"; do
		# shellcheck disable=SC2086
		e2e_run --sessions $how <"$f"
		no_crash "$how < $f"
		e2e_eq "$how < $f: exit status" 0 "$E2E_RC"
		e2e_eq "$how < $f: stderr" "" "$E2E_ERR"
		e2e_eq "$how < $f: output as for the file" "$want" "$E2E_OUT"
	done
done

e2e_run --sessions - </dev/null
no_crash "empty standard input"
e2e_eq "empty standard input: exit status" 2 "$E2E_RC"
e2e_eq "empty standard input: stderr lines" 1 "$E2E_ERR_LINES"
e2e_match "empty standard input: names it" "$E2E_ERR" "starttls-inspect: -: "

# ---- several files in one run: each analysed on its own ----

e2e_run --sessions "$PCAP" </dev/null
one=$E2E_OUT
e2e_run --sessions "$PCAPNG" </dev/null
two=$E2E_OUT
e2e_run --sessions "$TRUNC" </dev/null
three=$E2E_OUT

e2e_run --sessions "$PCAP" "$PCAPNG" </dev/null
no_crash "two files"
e2e_eq "two files: exit status" 0 "$E2E_RC"
e2e_eq "two files: stderr" "" "$E2E_ERR"
e2e_eq "two files: '# file' sections" 2 "$(grep -c '^# file ' "$E2E_TMP/out")"
e2e_eq "two files: output is the two single runs" "$one
$two" "$E2E_OUT"

e2e_run --sessions "$PCAPNG" "$PCAP" "$PCAPNG" </dev/null
e2e_eq "same file twice: output is the single runs" "$two
$one
$two" "$E2E_OUT"

e2e_run --sessions -r "$PCAP" "$PCAPNG" </dev/null
e2e_eq "-r and a name: output is the two single runs" "$one
$two" "$E2E_OUT"

# An error in one file stops neither the others nor the report of them.
e2e_run --sessions "$PCAP" "$missing" "$TRUNC" "$PKTAP" "$PCAPNG" </dev/null
no_crash "mixed good and bad files"
e2e_eq "mixed good and bad files: exit status" 2 "$E2E_RC"
e2e_eq "mixed good and bad files: output of the readable ones" "$one
$three
$two" "$E2E_OUT"
e2e_eq "mixed good and bad files: stderr lines" 3 "$E2E_ERR_LINES"
e2e_match "mixed good and bad files: the missing file" "$E2E_ERR" "$missing"
e2e_match "mixed good and bad files: the truncated file" "$E2E_ERR" "$TRUNC"
e2e_match "mixed good and bad files: the PKTAP file" "$E2E_ERR" "$PKTAP"

e2e_summary
