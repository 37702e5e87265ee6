#!/bin/bash
#
# live.sh - live capture (-i) against a real Postfix with STARTTLS in one
# network namespace and real clients (swaks, openssl s_client, a Python
# socket client) in another, joined by a veth pair (issue: live capture).
#
# While starttls-inspect runs on the server's veth it must print each
# verdict as NDJSON: a success, a client below the policy minimum, a
# refused STARTTLS. It must have left root after start-up, print
# statistics on SIGUSR1, give an open session an "incomplete" verdict and
# a summary on SIGINT, and stop by itself with -c and --duration.
# Needs root, ip netns, postfix, swaks, openssl; skipped (77) otherwise.
set -u
. "$(dirname "$0")/lib.sh"

e2e_require_bin
[ "$(id -u)" = 0 ] || e2e_skip "needs root (network namespaces)"
for c in ip postfix swaks openssl timeout; do
	command -v "$c" >/dev/null || e2e_skip "needs $c"
done
PY=${PYTHON3:-python3}
[ -n "$PY" ] || PY=python3
TOOLS="$PY $STI_SRCDIR/tests/e2e/live_tools.py"

# Names unique to this run: two builds may run the suite at once.
NS=sti-lv-s$$ NC=sti-lv-c$$      # server and client namespaces
VC=lvc$$ VS=lvs$$                # their veth ends
SRV=198.18.0.2 REFUSE=198.18.0.3 CLI=198.18.0.1
. "$(dirname "$0")/live_lab.sh"

# start_sti OUT ARGS...: starttls-inspect on the server's veth, in the
# background; returns once it has left root (the capture is open then),
# or at once when it was asked to keep root.
start_sti() {
	local out=$1
	shift
	ip netns exec $NS "$STI_BIN" -i $VS "$@" >"$out" 2>"$out.err" &
	STI_PID=$!
	for _ in $(seq 100); do
		[ "$(uid_of $STI_PID)" != 0 ] && return 0
		case " $* " in *" -Z root "*) capture_open $STI_PID && return 0 ;; esac
		kill -0 $STI_PID 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# capture_open PID: the tool holds a packet socket, so the capture is open
# (what leaving root tells us when it does not leave root).
capture_open() {
	ls -l /proc/$1/fd 2>/dev/null | grep -q 'socket:'
}

# ring_of PID: "VERSION BLOCK_SIZE BLOCKS TIMEOUT_MS" of the receive ring of
# the process's packet socket, as ss(8) reads them from the kernel (VERSION 2
# is TPACKET_V3); empty when ss cannot say (no packet_diag).
ring_of() {
	ip netns exec $NS ss -0 -e -p -a 2>/dev/null | awk -v pid="pid=$1," '
		index($0, pid) { mine = 1; next }
		/^[^ \t]/ { mine = 0 }
		mine && /ver:/ { sub(/.*ver:/, ""); ver = $1 }
		mine && /ring_rx/ {
			gsub(/[(),]/, " ")
			for (i = 1; i <= NF; i++) { split($i, kv, ":"); f[kv[1]] = kv[2] }
			print ver, f["blk_size"], f["blk_nr"], f["tmo"]
			exit
		}'
}

# expect_ring WHAT PID KIB: TPACKET_V3 with a KIB ring and the 50 ms
# packet-buffer timeout the man page promises.
expect_ring() {
	local ring
	ring=$(ring_of "$2")
	if [ -z "$ring" ]; then
		e2e_note "$1: ss(8) shows no packet ring (no packet_diag); not checked"
		return
	fi
	set -- "$1" $ring "$3"
	e2e_eq "$1: TPACKET_V3 (not immediate mode's V2)" 2 "$2"
	e2e_eq "$1: ring size" $(($6 * 1024)) $(($3 * $4))
	e2e_eq "$1: packet-buffer timeout (ms)" 50 "$5"
}

# expect_session WHAT KEY=VALUE...: the verdict is in the stream within
# 10 seconds while the tool still runs.
expect_session() {
	local what=$1
	shift
	if $TOOLS find "$W/out.ndjson" 10 event.kind=session "$@" >/dev/null; then
		e2e_pass
	else
		e2e_fail "$what: no session with $* in: $(cat "$W/out.ndjson")"
	fi
	e2e_check "$what: reported while still running" running
}

lab_setup

# ---- verdicts while running, privileges, SIGUSR1, SIGINT
start_sti "$W/out.ndjson" --json || e2e_fail "starttls-inspect did not start: $(cat "$W/out.ndjson.err")"
uid=$(uid_of $STI_PID)
e2e_check "left root after start-up (uid $uid)" test "$uid" != 0 -a "$uid" != mixed
e2e_eq "became nobody" "$(id -u nobody)" "$uid"
gid=$(awk '/^Gid:/ { print $2 }' /proc/$STI_PID/status)
e2e_eq "group of nobody" "$(id -g nobody)" "$gid"
groups=$(awk '/^Groups:/ { $1 = ""; print $0 }' /proc/$STI_PID/status | tr -s ' ')
e2e_eq "supplementary groups only nobody's" " $(id -g nobody)" "$groups"

expect_ring "default buffer" $STI_PID 16384

swaks_ok || e2e_fail "swaks failed: $(tail -5 "$W/swaks.out")"
expect_session "TLS success" source.port=41001 verdict.outcome=ok verdict.reason=tls_ok \
	smtp.mode=starttls tls.version=1.3 destination.ip=$SRV

client_too_old
expect_session "client below the policy minimum" destination.ip=$SRV \
	verdict.outcome=failed verdict.cause=client verdict.reason=client_version_too_low \
	tls.client.max_version=1.0

ip netns exec $NC $TOOLS smtp $REFUSE 25 refused ||
	e2e_fail "the server at $REFUSE did not answer STARTTLS with 454"
expect_session "STARTTLS refused" destination.ip=$REFUSE verdict.outcome=failed \
	verdict.cause=server verdict.reason=starttls_refused smtp.starttls.reply_code=454

kill -USR1 $STI_PID
sleep 1
stats=$(grep 'packets; sessions' "$W/out.ndjson.err")
e2e_match "SIGUSR1 statistics" "$stats" "$VS: "
e2e_match "SIGUSR1 kernel counters" "$stats" " dropped by the interface; "

ip netns exec $NC $TOOLS smtp $SRV 25 hold >"$W/hold.out" 2>&1 &
HOLD_PID=$!
for _ in $(seq 100); do grep -q holding "$W/hold.out" && break; sleep 0.1; done
e2e_check "the held session is open" grep -q holding "$W/hold.out"
sleep 0.5
kill -INT $STI_PID
for _ in $(seq 50); do running || break; sleep 0.1; done
e2e_check "SIGINT stops the capture" test ! -d /proc/$STI_PID
wait $STI_PID
e2e_eq "exit status after SIGINT (failures seen)" 1 $?
STI_PID=
kill $HOLD_PID 2>/dev/null
HOLD_PID=
if $TOOLS find "$W/out.ndjson" 0 event.kind=session verdict.outcome=incomplete \
	destination.ip=$SRV smtp.mode=starttls >"$W/incomplete.json"; then
	e2e_pass
else
	e2e_fail "no incomplete verdict for the open session: $(cat "$W/out.ndjson")"
fi
e2e_check "summary after SIGINT" $TOOLS find "$W/out.ndjson" 0 event.kind=summary sessions=4
e2e_check "kernel counters in the summary" $TOOLS find "$W/out.ndjson" 0 \
	event.kind=summary capture.kernel.dropped=0

# ---- -Z root keeps root; -B sets the ring
start_sti "$W/root.ndjson" --json -Z root -B 4096 --duration 2
e2e_eq "-Z root keeps root" 0 "$(uid_of $STI_PID)"
expect_ring "-B 4096" $STI_PID 4096
wait $STI_PID
STI_PID=

# ---- -c stops after COUNT packets
t0=$(date +%s)
start_sti "$W/count.ndjson" --json -c 5
swaks_ok
for _ in $(seq 100); do running || break; sleep 0.1; done
e2e_check "-c 5 stopped the capture" test ! -d /proc/$STI_PID
wait $STI_PID
STI_PID=
e2e_check "-c 5: 5 packets read" $TOOLS find "$W/count.ndjson" 0 event.kind=summary capture.packets=5
e2e_check "-c 5: the open session reported" $TOOLS find "$W/count.ndjson" 0 \
	event.kind=session verdict.outcome=incomplete

# ---- --duration stops on time without traffic
t0=$(date +%s%N)
start_sti "$W/dur.ndjson" --json --duration 2
wait $STI_PID
rc=$?
STI_PID=
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
e2e_eq "--duration 2: exit status" 0 $rc
e2e_check "--duration 2 took 2 to 6 s ($ms ms)" test $ms -ge 1900 -a $ms -le 6000
e2e_check "--duration 2: summary" $TOOLS find "$W/dur.ndjson" 0 event.kind=summary capture.packets=0

# ---- -w on a live capture: the evidence file reads back (-Z root: like
# tcpdump, the file is created after the privilege drop)
# Stopped by SIGINT once the session is reported, not by a fixed duration:
# a loaded machine can take longer than any fixed window.
start_sti "$W/ev.ndjson" --json -Z root --only all -w "$W/live-ev.pcap"
swaks_ok || e2e_fail "swaks failed: $(tail -5 "$W/swaks.out")"
$TOOLS find "$W/ev.ndjson" 20 event.kind=session source.port=41001 >/dev/null ||
	e2e_fail "-w live: the session was not reported: $(cat "$W/ev.ndjson")"
kill -INT $STI_PID
wait $STI_PID
STI_PID=
e2e_eq "-w live: file mode" 600 "$(stat -c %a "$W/live-ev.pcap" 2>/dev/null)"
"$STI_BIN" --json "$W/live-ev.pcap" >"$W/ev-reread.ndjson" 2>&1
e2e_check "-w live: the session is in the evidence" $TOOLS find "$W/ev-reread.ndjson" 0 \
	event.kind=session source.port=41001 verdict.outcome=ok verdict.reason=tls_ok
e2e_eq "-w live: the mail's addresses are not" 0 \
	"$(grep -c -a -F -e a@client.example.test -e b@example.test "$W/live-ev.pcap")"

# ---- every line of the live streams against the JSON Schema
if $PY -c 'import jsonschema; jsonschema.Draft202012Validator' 2>/dev/null; then
	bad=$($PY - "$STI_SRCDIR/docs/starttls-inspect.schema.json" "$W"/*.ndjson <<'PYEOF'
import json, sys, jsonschema
v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
for path in sys.argv[2:]:
    for n, line in enumerate(open(path), 1):
        for e in v.iter_errors(json.loads(line)):
            print(f"{path}:{n}: {e.message[:200]}")
PYEOF
)
	e2e_eq "live NDJSON valid against the schema" "" "$bad"
fi

e2e_summary
