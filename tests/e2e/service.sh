#!/bin/bash
#
# service.sh - the gateway service (SPEC 9.6, issue 18).
#
# The unit: systemd-analyze verify finds nothing wrong with it, and
# systemd-analyze security gives it the exposure the README states.
#
# The service command line, run as the unit runs it (an unprivileged user
# with only CAP_NET_RAW and CAP_NET_ADMIN, given up once the capture is
# open) on a veth in network namespaces, with Postfix and real clients:
# - the metrics move as sessions happen, and pass promtool (the textfile
#   and the HTTP endpoint);
# - the database holds every session the log holds;
# - SIGHUP reopens the log (logrotate moved the old one away);
# - kill -9 mid-run leaves a database that opens, with at most the last
#   batch missing;
# - a restart continues the same inventory, and --summary --db --since
#   30d names the client that offered at most TLS 1.0.
# Needs root, ip netns, postfix, swaks, openssl, setpriv, sqlite3, curl,
# promtool for the live part; systemd-analyze for the unit part. Each part
# is skipped where its tools are missing; the whole skips (77) only when
# neither can run.
set -u
. "$(dirname "$0")/lib.sh"
e2e_setup
UNIT=$STI_SRCDIR/service/starttls-inspect@.service
RAN=

# ---- the unit ----
unit_checks() {
	command -v systemd-analyze >/dev/null || { e2e_note "no systemd-analyze: unit checks skipped"; return; }
	RAN=1
	local u=$E2E_TMP/unit/starttls-inspect@eth0.service
	mkdir -p "$E2E_TMP/unit"
	# The program as built: verify checks that ExecStart names an executable.
	sed "s|/usr/bin/starttls-inspect|$STI_BIN|" "$UNIT" >"$u"
	systemd-analyze verify --man=no "$u" >"$E2E_TMP/verify.out" 2>&1
	e2e_eq "systemd-analyze verify" "0:" "$?:$(cat "$E2E_TMP/verify.out")"
	systemd-analyze security --offline=yes "$u" >"$E2E_TMP/security.out" 2>&1
	local score
	score=$(sed -n 's/.*Overall exposure level for starttls-inspect@eth0.service: \([0-9.]*\) .*/\1/p' \
		"$E2E_TMP/security.out")
	e2e_check "systemd-analyze security gives a score ($(tail -1 "$E2E_TMP/security.out"))" \
		test -n "$score"
	e2e_match "the README states the score" "$(cat "$STI_SRCDIR/README.md")" \
		"exposure level of $score"
	e2e_check "exposure at most 2.5 (OK)" awk -v s="$score" 'BEGIN { exit !(s <= 2.5) }'
	e2e_match "capabilities limited to capture's" "$(cat "$UNIT")" \
		"CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN"
}
unit_checks

# ---- the service, live ----
live_skip() {
	e2e_note "live part skipped: $*"
	[ -n "$RAN" ] && e2e_summary
	e2e_skip "$*"
}
[ "$(id -u)" = 0 ] || live_skip "needs root (network namespaces)"
for c in ip postfix swaks openssl timeout setpriv sqlite3 curl promtool; do
	command -v "$c" >/dev/null || live_skip "needs $c"
done
PY=${PYTHON3:-python3}
[ -n "$PY" ] || PY=python3
TOOLS="$PY $STI_SRCDIR/tests/e2e/live_tools.py"
# Names unique to this run (the prefix keeps them apart from live.sh's).
NS=w18-sv-s$$ NC=w18-sv-c$$ VC=svc$$ VS=svs$$
SRV=198.18.0.2 REFUSE=198.18.0.3 CLI=198.18.0.1
LAB_SKIP=live_skip
. "$(dirname "$0")/live_lab.sh"
lab_setup

S=$W/svc
mkdir -p "$S"
chown 65534:65534 "$S"
PORT=9188
# The unit's command line, as the unit's user: nobody with the two
# capabilities in its ambient set, as AmbientCapabilities= gives them.
start_service() {
	ip netns exec $NS setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=+net_raw,+net_admin --ambient-caps=+net_raw,+net_admin \
		"$STI_BIN" -i $VS --json --output "$S/log.json" --db "$S/s.db" \
		--metrics "$S/m.prom" --metrics-interval 1 --metrics-listen 127.0.0.1:$PORT \
		2>>"$S/err" &
	STI_PID=$!
	for _ in $(seq 100); do
		[ "$(awk '/^CapEff:/ { print $2 }' /proc/$STI_PID/status 2>/dev/null)" = 0000000000000000 ] &&
			ip netns exec $NS curl -s -o /dev/null "http://127.0.0.1:$PORT/metrics" && return 0
		kill -0 $STI_PID 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
metric() {   # metric SERIES: from the endpoint
	ip netns exec $NS curl -s "http://127.0.0.1:$PORT/metrics" | awk -v s="$1" '$1 == s { print $2 }'
}
sessions_in_log() { grep -c '"event.kind":"session"' "$@" 2>/dev/null | awk -F: '{ n += $NF } END { print n + 0 }'; }
sessions_in_db() { sqlite3 "$S/s.db" 'SELECT count(*) FROM sessions'; }

start_service || e2e_fail "the service did not start: $(cat "$S/err")"
e2e_eq "capabilities given up once the capture is open" \
	"0000000000000000 0000000000000000 0000000000000000" \
	"$(awk '/^Cap(Eff|Prm|Amb):/ { printf "%s%s", s, $2; s = " " }' /proc/$STI_PID/status)"
e2e_eq "runs as the unit's user" 65534 "$(uid_of $STI_PID)"
ok0=$(metric 'starttls_inspect_sessions_total{outcome="ok"}')
e2e_eq "no session yet" 0 "$ok0"

swaks_ok || e2e_fail "swaks failed: $(tail -5 "$W/swaks.out")"
client_too_old
for _ in $(seq 50); do [ "$(metric 'starttls_inspect_sessions_total{outcome="ok"}')" = 1 ] && break; sleep 0.2; done
e2e_eq "metrics move: ok" 1 "$(metric 'starttls_inspect_sessions_total{outcome="ok"}')"
for _ in $(seq 50); do [ "$(metric 'starttls_inspect_sessions_total{outcome="failed"}')" = 1 ] && break; sleep 0.2; done
e2e_eq "metrics move: failed" 1 "$(metric 'starttls_inspect_sessions_total{outcome="failed"}')"
e2e_eq "metrics move: TLS 1.3" 1 "$(metric 'starttls_inspect_sessions_by_version_total{version="1.3"}')"
e2e_eq "metrics move: client_version_too_low" 1 \
	"$(metric 'starttls_inspect_sessions_by_reason_total{reason="client_version_too_low"}')"
e2e_check "metrics move: packets" test "$(metric starttls_inspect_packets_total)" -gt 20
ip netns exec $NS curl -s "http://127.0.0.1:$PORT/metrics" >"$W/http.prom"
promtool check metrics <"$W/http.prom" >"$W/promtool.out" 2>&1
e2e_eq "endpoint: promtool check metrics" "0:" "$?:$(cat "$W/promtool.out")"
sleep 1.5   # the textfile's interval
promtool check metrics <"$S/m.prom" >"$W/promtool.out" 2>&1
e2e_eq "textfile: promtool check metrics" "0:" "$?:$(cat "$W/promtool.out")"
e2e_eq "textfile: the same sessions" 1 \
	"$(awk '$1 == "starttls_inspect_sessions_total{outcome=\"ok\"}" { print $2 }' "$S/m.prom")"

sleep 1.5   # one batch
e2e_eq "the database holds every session of the log" "$(sessions_in_log "$S/log.json")" "$(sessions_in_db)"

# ---- SIGHUP: logrotate moved the log away
mv "$S/log.json" "$S/log.json.1"
kill -HUP $STI_PID
sleep 0.6
swaks_ok || e2e_fail "swaks failed: $(tail -5 "$W/swaks.out")"
for _ in $(seq 50); do [ "$(sessions_in_log "$S/log.json")" = 1 ] && break; sleep 0.2; done
e2e_eq "SIGHUP: a new log with the new session" 1 "$(sessions_in_log "$S/log.json")"
e2e_eq "SIGHUP: the old log kept the old ones" 2 "$(sessions_in_log "$S/log.json.1")"
e2e_eq "SIGHUP: the new log is private" 600 "$(stat -c %a "$S/log.json")"
e2e_check "SIGHUP: still running" kill -0 $STI_PID

# ---- kill -9 mid-run
sleep 1.5
before=$(sessions_in_log "$S"/log.json*)
swaks_ok
client_too_old
sleep 0.2
kill -9 $STI_PID
wait $STI_PID 2>/dev/null
STI_PID=
e2e_eq "kill -9: the database opens" ok "$(sqlite3 "$S/s.db" 'PRAGMA integrity_check')"
after=$(sessions_in_log "$S"/log.json*)
stored=$(sessions_in_db)
e2e_check "kill -9: at most the last batch missing ($stored stored, $before before it, $after logged)" \
	test "$stored" -ge "$before" -a "$stored" -le "$after"

# ---- a restart continues the same inventory
start_service || e2e_fail "the service did not restart: $(cat "$S/err")"
client_too_old
for _ in $(seq 50); do [ "$(metric 'starttls_inspect_sessions_total{outcome="failed"}')" = 1 ] && break; sleep 0.2; done
kill -TERM $STI_PID
wait $STI_PID
e2e_eq "SIGTERM: exit status (a failure seen)" 1 $?
STI_PID=
e2e_eq "restart: runs" 2 "$(sqlite3 "$S/s.db" 'SELECT count(*) FROM runs')"
e2e_eq "restart: every session of both runs" "$((stored + 1))" "$(sessions_in_db)"
e2e_eq "restart: the per-peer inventory continues" "$((stored + 1))" \
	"$(sqlite3 "$S/s.db" "SELECT sessions FROM peers WHERE role='client' AND ip='$CLI'")"
"$STI_BIN" --summary --json --db "$S/s.db" --since 30d >"$W/sum.json"
e2e_check "30 days: the client offered at most TLS 1.0 and breaks at TLS 1.2" \
	grep -q "\"inventory.role\":\"client\",\"inventory.ip\":\"$CLI\".*\"inventory.offered_max_lowest\":\"1.0\".*\"inventory.breaks_at_minimum\":\"yes\"" \
	"$W/sum.json"
e2e_eq "ended without a complaint" "" "$(grep -v 'kernel dropped' "$S/err")"

e2e_summary
