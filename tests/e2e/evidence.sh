#!/bin/bash
# evidence.sh - the evidence pcap (-w, SPEC 2.3): re-read, selection,
# redaction, file mode, rotation.
#
# - An evidence file written from the busy-gateway fixture is read back by
#   starttls-inspect: the same verdicts for the selected sessions and no
#   other session; tshark (when installed) reads it without errors, and it
#   holds exactly the frames of those sessions.
# - Redaction: on a plaintext fixture with --only all, the envelope
#   addresses and the message text are nowhere in the file's bytes, the
#   SMTP commands are, and every TCP checksum is still right (tshark).
#   With --no-redact they are all there. A TLS fixture keeps its handshake.
# - --session and --host narrow the selection; the file is mode 0600 even
#   when it existed with wider permissions; -C rotates into FILE1, FILE2...
#
# Needs python3 (skip without it); the tshark checks are skipped without
# tshark.

set -u
. "$(dirname "$0")/lib.sh"
e2e_setup python tshark
CMP="$STI_SRCDIR/tests/e2e/evidence-verdicts.py"
BUSY=$PC/busy-gateway-mixed.pcap
PLAIN=$PC/notls-client-skipped-starttls-postfix-python.pcap
TLS=$PC/fail-server-too-old-postfix-openssl-defaults.pcap

# tshark, its complaints kept apart (minus the warning about running as root).
tshark_q() {
	tshark -n "$@" 2>"$T/tshark.raw"
	grep -v 'Running as user' "$T/tshark.raw" >"$T/tshark.err"
}

# ---- re-reading: default selection (every session whose cause is not none) ----
"$STI_BIN" --json "$BUSY" >"$T/orig.json"
e2e_run --json -w "$T/ev.pcap" "$BUSY"
e2e_eq "exit status with -w" 1 "$E2E_RC"
"$STI_BIN" --json "$T/ev.pcap" >"$T/ev.json"
e2e_eq "re-read: the selected sessions, same verdicts" "same 26" \
	"$("$PY" "$CMP" "$T/orig.json" "$T/ev.json" cause)"

"$STI_BIN" --json --only all -w "$T/all.pcap" "$BUSY" >/dev/null
"$STI_BIN" --json "$T/all.pcap" >"$T/all.json"
e2e_eq "re-read --only all" "same 44" \
	"$("$PY" "$CMP" "$T/orig.json" "$T/all.json" all)"

"$STI_BIN" --json --only no_tls,ok -w "$T/nt.pcap" "$BUSY" >/dev/null
"$STI_BIN" --json "$T/nt.pcap" >"$T/nt.json"
e2e_eq "re-read --only no_tls,ok" "same 26" \
	"$("$PY" "$CMP" "$T/orig.json" "$T/nt.json" no_tls,ok)"

if $HAVE_TSHARK; then
	# Every frame of the selected sessions, and no other: the client
	# ports of the sessions whose cause is not none.
	ports=$("$PY" -c '
import json, sys
print(" || ".join("tcp.port==%d" % json.loads(l)["source.port"]
	for l in open(sys.argv[1])
	if json.loads(l).get("verdict.cause") not in (None, "none")))' "$T/orig.json")
	want=$(tshark_q -r "$BUSY" -Y "$ports" | wc -l)
	got=$(tshark_q -r "$T/ev.pcap" | wc -l)
	e2e_eq "tshark reads the evidence without errors" "" "$(cat "$T/tshark.err")"
	e2e_eq "frames: exactly those of the selected sessions" "$want" "$got"
	others=$(tshark_q -r "$T/ev.pcap" -Y "!($ports)" | wc -l)
	e2e_eq "no frame of another session" 0 "$others"
	# Timestamps and order are the original's (first frame of session 19).
	e2e_eq "first frame keeps its time" \
		"$(tshark_q -r "$BUSY" -Y "$ports" -T fields -e frame.time_epoch | head -1)" \
		"$(tshark_q -r "$T/ev.pcap" -T fields -e frame.time_epoch | head -1)"
	# After the handshake settled, application data is cut to its record
	# header, the original length kept.
	cut=$(tshark_q -r "$T/all.pcap" -Y 'frame.cap_len < frame.len' | wc -l)
	e2e_check "some settled application data cut ($cut frames)" [ "$cut" -gt 0 ]
	nocut=$(tshark_q -r "$T/all.pcap" -Y 'frame.cap_len < frame.len && tls.handshake' | wc -l)
	e2e_eq "no handshake frame cut" 0 "$nocut"
fi

# ---- selection by session and host ----
id20=$(grep '"source.port":41020,' "$T/orig.json" | sed 's/.*"session.id":\([0-9]*\),.*/\1/')
id3=$(grep '"source.port":41003,' "$T/orig.json" | sed 's/.*"session.id":\([0-9]*\),.*/\1/')
"$STI_BIN" --json --session "$id3" --session "$id20" -w "$T/s.pcap" "$BUSY" >/dev/null
e2e_eq "--session (two ids): those two, any outcome" \
	"41003 ok tls_ok,41020 failed client_version_too_low" \
	"$("$STI_BIN" --json "$T/s.pcap" | "$PY" -c '
import json, sys
print(",".join("%d %s %s" % (o["source.port"], o["verdict.outcome"], o["verdict.reason"])
	for o in map(json.loads, sys.stdin) if o["event.kind"] == "session"))')"
"$STI_BIN" --json --only failed --session "$id3" --session "$id20" -w "$T/s2.pcap" "$BUSY" >/dev/null
e2e_eq "--only failed with --session: the intersection" "41020" \
	"$("$STI_BIN" --json "$T/s2.pcap" | "$PY" -c '
import json, sys
print(",".join(str(o["source.port"]) for o in map(json.loads, sys.stdin) if o["event.kind"] == "session"))')"
"$STI_BIN" --json --host 198.51.100.30 -w "$T/h.pcap" "$BUSY" >/dev/null
e2e_eq "--host: sessions with that server" \
	"$(grep -c '"destination.ip":"198.51.100.30"' "$T/orig.json")" \
	"$("$STI_BIN" --json "$T/h.pcap" | grep -c '"destination.ip":"198.51.100.30"')"
e2e_eq "--host: no session without it" 0 \
	"$("$STI_BIN" --json "$T/h.pcap" | grep '"event.kind":"session"' | grep -vc '198.51.100.30')"

# ---- redaction ----
"$STI_BIN" --only all -w "$T/red.pcap" "$PLAIN" >/dev/null
"$STI_BIN" --only all --no-redact -w "$T/raw.pcap" "$PLAIN" >/dev/null
for s in 'a@client.example.test' 'b@example.test' 'Subject: t'; do
	e2e_eq "redacted: '$s' is not in the file" 0 "$(grep -c -a -F "$s" "$T/red.pcap")"
	e2e_eq "--no-redact: '$s' is in the file" 1 "$(grep -c -a -F "$s" "$T/raw.pcap")"
done
for s in 'ehlo client.example.test' 'mail FROM:' 'rcpt TO:' 'data' 'quit' \
	'354 End data' '250 2.1.5 Ok' '220 mx.example.test ESMTP'; do
	n=$(grep -c -a -F "$s" "$T/raw.pcap")
	e2e_check "'$s' is in the original" [ "$n" -ge 1 ]
	e2e_eq "redacted: '$s' kept" "$n" "$(grep -c -a -F "$s" "$T/red.pcap")"
done
e2e_eq "same size as the original frames" \
	"$(wc -c <"$T/raw.pcap")" "$(wc -c <"$T/red.pcap")"
"$STI_BIN" --json "$PLAIN" >"$T/p1.json"
"$STI_BIN" --json "$T/red.pcap" >"$T/p2.json"
e2e_eq "redacted file: same verdict" "same 1" "$("$PY" "$CMP" "$T/p1.json" "$T/p2.json" all)"
if $HAVE_TSHARK; then
	e2e_eq "every TCP checksum right after redaction" "21" \
		"$(tshark_q -r "$T/red.pcap" -o tcp.check_checksum:TRUE -Y 'tcp.checksum.status == 1' | wc -l)"
	e2e_eq "tshark still sees the commands" "ehlo,mail,rcpt,data,quit" \
		"$(tshark_q -r "$T/red.pcap" -Y smtp.req.command -T fields -e smtp.req.command | paste -sd,)"
	# A TLS session: the handshake messages are those of the original.
	"$STI_BIN" --only all -w "$T/tls.pcap" "$TLS" >/dev/null
	e2e_eq "TLS handshake intact" \
		"$(tshark_q -r "$TLS" -Y tls -T fields -e tls.handshake.type -e tls.alert_message.desc | paste -sd/)" \
		"$(tshark_q -r "$T/tls.pcap" -Y tls -T fields -e tls.handshake.type -e tls.alert_message.desc | paste -sd/)"
fi

# ---- file mode ----
touch "$T/mode.pcap"
chmod 644 "$T/mode.pcap"
(umask 000 && "$STI_BIN" -w "$T/mode.pcap" "$PLAIN" >/dev/null)
e2e_eq "an existing 0644 file becomes 0600" 600 "$(stat -c %a "$T/mode.pcap")"
(umask 000 && "$STI_BIN" -w "$T/new.pcap" "$PLAIN" >/dev/null)
e2e_eq "a new file is 0600 under umask 000" 600 "$(stat -c %a "$T/new.pcap")"

# ---- rotation ----
(umask 000 && "$STI_BIN" --only all -C 20k -w "$T/rot.pcap" "$BUSY" >/dev/null)
n=$(ls "$T"/rot.pcap* | wc -l)
e2e_check "-C 20k: several files ($n)" [ "$n" -ge 5 ]
e2e_check "rotation names: rot.pcap, rot.pcap1, rot.pcap2" \
	[ -f "$T/rot.pcap" ] && [ -f "$T/rot.pcap1" ] && [ -f "$T/rot.pcap2" ]
big=0
for f in "$T"/rot.pcap*; do
	[ "$(stat -c %s "$f")" -le 20480 ] || big=$((big + 1))
	[ "$(stat -c %a "$f")" = 600 ] || big=$((big + 1))
done
e2e_eq "every rotated file at most 20k and 0600" 0 "$big"
files=("$T/rot.pcap")
for ((i = 1; i < n; i++)); do files+=("$T/rot.pcap$i"); done
"$STI_BIN" --json "${files[@]}" >"$T/rot.json"
e2e_eq "rotated files together: every frame" "$(wc -c <"$T/all.pcap")" \
	"$(( $(cat "${files[@]}" | wc -c) - 24 * (n - 1) ))"

# ---- errors ----
e2e_run -w "$T/no/such/dir.pcap" "$PLAIN"
e2e_eq "unwritable -w: exit 2" 2 "$E2E_RC"
e2e_match "unwritable -w: names the file" "$E2E_ERR" "$T/no/such/dir.pcap:"
e2e_eq "unwritable -w: fails before reading (no report)" "" "$E2E_OUT"
e2e_run --only bogus -w "$T/x.pcap" "$PLAIN"
e2e_eq "--only bogus: exit 2" 2 "$E2E_RC"
# The names come from the outcome table (not_smtp joins it before "all").
[[ "$E2E_ERR" =~ ^"starttls-inspect: --only: 'bogus' is not one of ok, deprecated, failed, no_tls, incomplete, "(.*", ")?"all"$ ]]
e2e_eq "--only bogus: one line naming the outcomes ($E2E_ERR)" 0 $?
e2e_run -C 1 "$PLAIN"
e2e_eq "-C without -w: exit 2" 2 "$E2E_RC"

e2e_summary
