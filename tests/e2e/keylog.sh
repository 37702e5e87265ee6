#!/bin/bash
# keylog.sh - --keylog (SPEC 9.3) on the lab's TLS 1.3 captures with their
# key logs (pcaps/*-keylog.keys):
#
# - GnuTLS encrypts its certificate rejection: without the key log the
#   verdict is today's inferred tls13_failed_after_server_hello; with it,
#   client_rejected_certificate, certain, with the real alert and the
#   certificate's problem (expired) named;
# - wrong keys (a secret with one digit changed), a truncated key log and a
#   key log for other sessions give the verdict without keys, a per-session
#   note and summary counts, never a crash or an error status;
# - an unreadable key log is an input error (exit 2, one line naming it);
# - -w FILE --embed-keys writes pcapng whose Decryption Secrets Block holds
#   the selected (failed) session's secrets and not the good session's,
#   and tshark reads the Certificate and the alert from it decrypted.
set -u
. "$(dirname "$0")/lib.sh"
e2e_setup python
CAP=$PC/fail-cert-expired-tls13-postfix-gnutls-keylog

not_crashed() { ! e2e_crashed; }

# field NAME...: those fields of the session line (the first), tab-separated.
field() {
	"$PY" -c '
import json, sys
keys = sys.argv[1:]
for line in sys.stdin:
    o = json.loads(line)
    if o.get("event.kind") in ("session", "summary"):
        print("\t".join(str(o.get(k, "-")) for k in keys))
        break' "$@" <"$T/out"
}
summary() {
	"$PY" -c '
import json, sys
last = [json.loads(l) for l in open("/dev/stdin")][-1]
print("\t".join(str(last.get(k, "-")) for k in sys.argv[1:]))' "$@" <"$T/out"
}

e2e_run --json "$CAP.pcap"
e2e_eq "without key log: exit 1" 1 "$E2E_RC"
e2e_eq "without key log: today's verdict" \
	"tls13_failed_after_server_hello	inferred	-" \
	"$(field verdict.reason verdict.confidence tls.decrypted)"

e2e_run --json --keylog "$CAP.keys" "$CAP.pcap"
e2e_eq "with key log: certain rejection" \
	"client_rejected_certificate	certain	server	True	ok" \
	"$(field verdict.reason verdict.confidence verdict.cause tls.decrypted tls.decryption.status)"
e2e_match "with key log: the problem is named" "$(field verdict.explanation)" \
	"(CN=mx.example.test, it expired on 2024-01-01 00:00:00 UTC, 1069 days before this session) with bad_certificate(42)"
e2e_eq "with key log: summary" "1	0	0" \
	"$(summary keylog.sessions_decrypted keylog.lines_unused keylog.lines_malformed)"

# The ladder says what was decrypted.
e2e_run --no-color --keylog "$CAP.keys" "$CAP.pcap"
e2e_match "ladder: decrypted certificate" "$E2E_OUT" "decrypted Certificate CN=mx.ex"
e2e_match "ladder: decrypted alert" "$E2E_OUT" "decrypted Alert fatal bad_certifi"
e2e_match "text summary" "$E2E_OUT" "key log: 1 sessions decrypted, 0 lines unused, 0 malformed"

# Wrong keys: one hex digit of every secret changed.
sed -E 's/ ([0-9a-f])([0-9a-f]{63,95})$/ f\2/; s/ f([0-9a-f]{63,95})$/ 0\1/' "$CAP.keys" >"$T/wrong.keys"
cmp -s "$CAP.keys" "$T/wrong.keys" && e2e_fail "wrong.keys is not different"
e2e_run --json --keylog "$T/wrong.keys" "$CAP.pcap"
e2e_eq "wrong keys: exit 1" 1 "$E2E_RC"
e2e_check "wrong keys: no crash" not_crashed
e2e_eq "wrong keys: the verdict without keys" \
	"tls13_failed_after_server_hello	inferred	False	failed" \
	"$(field verdict.reason verdict.confidence tls.decrypted tls.decryption.status)"
e2e_match "wrong keys: a note" "$(field tls.decryption.note)" \
	"record in frame 12 did not decrypt: wrong, truncated or mismatched keys"

# Truncated: the log cut in the middle of its second line.
head -c 150 "$CAP.keys" >"$T/cut.keys"
e2e_run --json --keylog "$T/cut.keys" "$CAP.pcap"
e2e_check "truncated: no crash" not_crashed
e2e_eq "truncated: the verdict without keys" "tls13_failed_after_server_hello	inferred" \
	"$(field verdict.reason verdict.confidence)"
e2e_match "truncated: a note" "$(field tls.decryption.note)" "the key log has no"
e2e_eq "truncated: one malformed line" "1" "$(summary keylog.lines_malformed)"

# Another session's key log, and garbage: counted, not fatal.
{ cat "$PC/ok-starttls-tls13-postfix-openssl-keylog.keys"; printf 'not a key log line\n'; } >"$T/other.keys"
e2e_run --json --keylog "$T/other.keys" "$CAP.pcap"
e2e_eq "other session's keys: no_keys" "no_keys	tls13_failed_after_server_hello" \
	"$(field tls.decryption.status verdict.reason)"
e2e_eq "other session's keys: counts" "0	4	1" \
	"$(summary keylog.sessions_decrypted keylog.lines_unused keylog.lines_malformed)"

# Two key logs, one of them for this session.
e2e_run --json --keylog "$T/other.keys" --keylog "$CAP.keys" "$CAP.pcap"
e2e_eq "repeatable: decrypted" "client_rejected_certificate	certain" \
	"$(field verdict.reason verdict.confidence)"

e2e_run --keylog "$T/missing.keys" "$CAP.pcap"
e2e_eq "missing key log: exit 2" 2 "$E2E_RC"
e2e_eq "missing key log: one line" "starttls-inspect: --keylog $T/missing.keys: No such file or directory" "$E2E_ERR"
# Evidence with the secrets embedded.
OK=$PC/ok-starttls-tls13-postfix-openssl-keylog
e2e_run --keylog "$CAP.keys" --keylog "$OK.keys" -w "$T/ev.pcapng" --embed-keys "$CAP.pcap" "$OK.pcap"
e2e_eq "embed-keys: exit 1" 1 "$E2E_RC"
e2e_eq "embed-keys: pcapng" "0a0d0d0a" "$(head -c 4 "$T/ev.pcapng" | od -An -tx1 | tr -d ' \n')"
cap_random=$(awk 'NR == 1 { print $2 }' "$CAP.keys")
ok_random=$(awk 'NR == 1 { print $2 }' "$OK.keys")
e2e_eq "embed-keys: the failed session's secrets" "$(grep -c "$cap_random" "$CAP.keys")" \
	"$(grep -a -o "$cap_random" "$T/ev.pcapng" | wc -l)"
e2e_eq "embed-keys: not the good session's" 0 "$(grep -a -c "$ok_random" "$T/ev.pcapng")"
e2e_detect_tshark
if $HAVE_TSHARK; then
	e2e_eq "embed-keys: tshark reads the certificate" "mx.example.test" \
		"$(tshark -r "$T/ev.pcapng" -Y tls.handshake.type==11 -T fields -e x509ce.dNSName 2>/dev/null)"
	e2e_eq "embed-keys: tshark reads the alert" "2	42" \
		"$(tshark -r "$T/ev.pcapng" -Y tls.alert_message -T fields -e tls.alert_message.level \
			-e tls.alert_message.desc 2>/dev/null)"
else
	e2e_note "tshark not found: the decrypted reading of the pcapng is not checked"
fi
e2e_run --keylog "$CAP.keys" -w "$T/plain.pcap" "$CAP.pcap"
e2e_eq "without --embed-keys: pcap" "d4c3b2a1" "$(head -c 4 "$T/plain.pcap" | od -An -tx1 | tr -d ' \n')"
e2e_run --embed-keys -w "$T/x.pcapng" "$CAP.pcap"
e2e_eq "embed-keys without a key log: exit 2" 2 "$E2E_RC"
e2e_eq "embed-keys without a key log: message" "starttls-inspect: --embed-keys: needs --keylog FILE" "$E2E_ERR"
e2e_summary
