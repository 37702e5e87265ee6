#!/bin/bash
# metrics.sh - --metrics and --metrics-listen on capture files (SPEC 9.6).
#
# The textfile holds the counts the capture gives (by outcome, cause,
# reason, version; packets) and passes promtool; several inputs add up;
# the endpoint serves the same counts while the input is read (a capture
# on a pipe held open), answers only GET/HEAD /metrics, serves OpenMetrics
# when asked, refuses an oversized request; a port in use, a bad address,
# a bad interval and an unwritable file are refused with one line and
# exit 2. The live service is service.sh's.

set -u
. "$(dirname "$0")/lib.sh"
e2e_setup python
command -v promtool >/dev/null 2>&1 || e2e_skip "promtool (Debian prometheus) not found"
command -v curl >/dev/null 2>&1 || e2e_skip "curl not found"
BUSY=$STI_SRCDIR/pcaps/busy-gateway-mixed.pcap
OLD=$STI_SRCDIR/pcaps/deprecated-tls10-postfix-openssl.pcap

value() {   # value FILE SERIES: the sample's value
	awk -v s="$2" '$1 == s { print $2 }' "$1"
}

"$STI_BIN" --metrics "$T/m.prom" "$BUSY" >/dev/null
e2e_eq "exit status as without --metrics" 1 "$?"
promtool check metrics <"$T/m.prom" >"$T/promtool.out" 2>&1
e2e_eq "promtool check metrics" "0:" "$?:$(cat "$T/promtool.out")"
e2e_eq "ok sessions" 18 "$(value "$T/m.prom" 'starttls_inspect_sessions_total{outcome="ok"}')"
e2e_eq "failed sessions" 14 "$(value "$T/m.prom" 'starttls_inspect_sessions_total{outcome="failed"}')"
e2e_eq "by cause" 12 "$(value "$T/m.prom" 'starttls_inspect_sessions_by_cause_total{cause="server"}')"
e2e_eq "by reason" 6 \
	"$(value "$T/m.prom" 'starttls_inspect_sessions_by_reason_total{reason="client_version_too_low"}')"
e2e_eq "by version" 12 "$(value "$T/m.prom" 'starttls_inspect_sessions_by_version_total{version="1.3"}')"
e2e_eq "packets" "$(tshark -r "$BUSY" 2>/dev/null | wc -l | tr -d ' ' || true)" \
	"$(value "$T/m.prom" starttls_inspect_packets_total)"
e2e_eq "no session open at the end" 0 "$(value "$T/m.prom" starttls_inspect_open_sessions)"
e2e_eq "no temporary file left" "m.prom" "$(ls "$T" | grep '^m\.prom')"

"$STI_BIN" --metrics "$T/two.prom" "$BUSY" "$OLD" >/dev/null
e2e_eq "two inputs add up" 45 \
	"$(awk '/^starttls_inspect_sessions_total/ { n += $2 } END { print n }' "$T/two.prom")"

# ---- the endpoint, while a capture is read from a pipe held open ----
# Sessions are counted as they close, before the file ends; the capture's
# packet counters when it ends.
PORT=$((20000 + $$ % 20000))
mkfifo "$T/pipe"
"$STI_BIN" --metrics-listen "$PORT" - <"$T/pipe" >/dev/null 2>"$T/http.err" &
pid=$!
exec 3>"$T/pipe"
cat "$BUSY" >&3
for _ in $(seq 100); do
	curl -s -o "$T/http.prom" "http://127.0.0.1:$PORT/metrics" &&
		[ "$(value "$T/http.prom" 'starttls_inspect_sessions_total{outcome="ok"}')" = 18 ] && break
	sleep 0.1
done
promtool check metrics <"$T/http.prom" >"$T/promtool.out" 2>&1
e2e_eq "HTTP: promtool check metrics" "0:" "$?:$(cat "$T/promtool.out")"
e2e_eq "HTTP: closed sessions counted before the file ends" 18 \
	"$(value "$T/http.prom" 'starttls_inspect_sessions_total{outcome="ok"}')"
e2e_eq "HTTP: packets counted when it ends" 0 "$(value "$T/http.prom" starttls_inspect_packets_total)"
curl -s -D "$T/om.head" -H 'Accept: application/openmetrics-text; version=1.0.0' \
	"http://127.0.0.1:$PORT/metrics" >"$T/om.txt"
e2e_match "HTTP: OpenMetrics content type" "$(cat "$T/om.head")" \
	"Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8"
e2e_eq "HTTP: OpenMetrics ends with # EOF" "# EOF" "$(tail -1 "$T/om.txt")"
e2e_match "HTTP: OpenMetrics family without _total" "$(cat "$T/om.txt")" \
	"# TYPE starttls_inspect_packets counter"
e2e_eq "HTTP: other path" 404 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/")"
e2e_eq "HTTP: POST" 405 "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/metrics")"
e2e_eq "HTTP: HEAD" "200 0" "$(curl -s -I -o /dev/null -w '%{http_code} %{size_download}' "http://127.0.0.1:$PORT/metrics")"
e2e_eq "HTTP: oversized request" "431" "$("$PY" - "$PORT" <<'PYEOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 5000 + b"\r\n\r\n")
print(s.recv(64).split()[1].decode())
PYEOF
)"
"$STI_BIN" --metrics-listen "127.0.0.1:$PORT" "$BUSY" >/dev/null 2>"$T/busy.err"
e2e_eq "port in use: exit 2" 2 "$?"
e2e_eq "port in use: message" "starttls-inspect: --metrics-listen 127.0.0.1:$PORT: Address already in use" \
	"$(cat "$T/busy.err")"
exec 3>&-
wait "$pid"
e2e_eq "the reader ended normally" "1:" "$?:$(cat "$T/http.err")"

# ---- refused ----
e2e_refused "bad address" "--metrics-listen host:port: not ADDR:PORT or PORT" --metrics-listen host:port "$BUSY"
e2e_refused "unknown host" "--metrics-listen no.such.host.invalid:9100: " \
	--metrics-listen no.such.host.invalid:9100 "$BUSY"
e2e_refused "bad interval" "--metrics-interval: '0' is not a number of seconds" \
	--metrics "$T/x.prom" --metrics-interval 0 "$BUSY"
e2e_refused "interval without file" "--metrics-interval: needs --metrics FILE" --metrics-interval 5 "$BUSY"
e2e_refused "unwritable file" "--metrics $T/no/x.prom.tmp: No such file or directory" \
	--metrics "$T/no/x.prom" "$BUSY"

e2e_summary
