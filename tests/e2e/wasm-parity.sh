#!/bin/bash
# wasm-parity.sh - the WebAssembly build says exactly what the native one says.
#
# Every fixture (pcaps/) and every public capture (../shared/pcaps/public)
# goes through the native binary and through build-wasm/starttls-inspect.js
# under node, in five modes: --json with -w, the text report, --format
# markdown, --summary, and --anonymize with --json. Standard output,
# standard error, the exit status and the -w file must be byte for byte the
# same. The 2050 certificate fixture (ok-cert-2050-tls12-postfix-openssl)
# is among them: it is where a 32-bit time_t went wrong.
#
# Skipped (77) when the wasm build is absent (an error when
# STI_WASM_REQUIRED is set): `make wasm` makes it
# (scripts/build-wasm), outside the default build; .ci/run builds it and
# runs this test as a step of its own. STI_WASM_JS names another build.

set -u
. "$(dirname "$0")/lib.sh"
e2e_setup

e2e_require_wasm starttls-inspect.js "${STI_WASM_JS:-}"
WASM_JS=$E2E_WASM
KEY=parity-test-key

# The same relative names for both programs: paths appear in the output.
cd "$STI_SRCDIR" || e2e_hard_error "cannot enter $STI_SRCDIR"
ls pcaps/*.pcap >"$T/files"
if [ -d ../shared/pcaps/public ]; then
	find ../shared/pcaps/public -type f \( -name '*.pcap' -o -name '*.pcapng' \) |
		LC_ALL=C sort >>"$T/files"
else
	e2e_note "public captures not found: fixtures only"
fi
grep -q 'ok-cert-2050-tls12-postfix-openssl' "$T/files" ||
	e2e_fail "the 2050 certificate fixture is missing"

# compare_one FILE: every mode through both programs; prints one line per
# difference, nothing when all agree.
compare_one() {
	local f=$1 d mode rc
	d=$(mktemp -d "$T/run.XXXXXX")
	for mode in json text markdown summary anonymize; do
		local args=()
		case $mode in
		json) args=(--json -w "$d/ev.@") ;;
		text) args=() ;;
		markdown) args=(--format markdown) ;;
		summary) args=(--summary) ;;
		anonymize) args=(--anonymize "$KEY" --json) ;;
		esac
		local a=("${args[@]/@/native}") b=("${args[@]/@/wasm}")
		rc=0; "$STI_BIN" "${a[@]}" "$f" >"$d/n.out" 2>"$d/n.err" || rc=$?
		echo "$rc" >"$d/n.rc"
		rc=0; node "$WASM_JS" "${b[@]}" "$f" >"$d/w.out" 2>"$d/w.err" || rc=$?
		echo "$rc" >"$d/w.rc"
		# The error lines name the program; node's is the script's name.
		sed -i 's/^starttls-inspect\.js: /starttls-inspect: /' "$d/w.err"
		cmp -s "$d/n.rc" "$d/w.rc" || echo "$f $mode: exit $(cat "$d/n.rc") native, $(cat "$d/w.rc") wasm"
		cmp -s "$d/n.out" "$d/w.out" || echo "$f $mode: standard output differs"
		cmp -s "$d/n.err" "$d/w.err" || echo "$f $mode: standard error differs: $(diff "$d/n.err" "$d/w.err" | head -3 | tr '\n' ' ')"
		if [ "$mode" = json ]; then
			if [ -f "$d/ev.native" ] || [ -f "$d/ev.wasm" ]; then
				cmp -s "$d/ev.native" "$d/ev.wasm" || echo "$f: -w files differ"
			fi
		fi
	done
	rm -rf "$d"
}
export -f compare_one
export STI_BIN WASM_JS T KEY

# Two at a time: the machine is shared (never more than -j2).
xargs -P 2 -I{} bash -c 'compare_one "$1"' _ {} <"$T/files" >"$T/diffs"
n=$(wc -l <"$T/files")
e2e_note "$n captures x 5 modes, native against $WASM_JS"
e2e_eq "differences between native and wasm" "" "$(head -20 "$T/diffs")"
# The date that a 32-bit time_t got wrong, from the wasm build itself.
out=$(node "$WASM_JS" --json pcaps/ok-cert-2050-tls12-postfix-openssl.pcap)
e2e_match "wasm: 2050 certificate" "$out" '"tls.server.x509.not_after":"2050-06-01T12:00:00Z"'
e2e_match "wasm: 2050 certificate is ok" "$out" '"verdict.outcome":"ok"'
e2e_summary
