#!/bin/bash
#
# check-valgrind.sh BINARY SRCDIR - every lab fixture (pcaps/*.pcap) and
# every public capture (../shared/pcaps/public, skipped when absent) through
# the tool under valgrind with full leak checking: one run with the text
# report and one with NDJSON, each given every capture (the tool analyses
# each file on its own), side by side. Any valgrind error or leak fails:
# valgrind then exits 99, as the tool's own statuses 0, 1 and 2 are results
# (some public captures are input errors by design, see public-captures.sh).
# Run by `make check-valgrind` on a build without sanitizers.
set -u
bin=$1
src=$2
command -v valgrind >/dev/null || { echo "check-valgrind: valgrind not installed"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sti-valgrind.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

captures=("$src"/pcaps/*.pcap)
public=$src/../shared/pcaps/public
if [ -d "$public" ]; then
	while IFS= read -r f; do captures+=("$f"); done < <(
		find "$public" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | sort)
else
	echo "check-valgrind: $public not found, public captures skipped"
fi

run() {
	valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect,possible \
		--errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
		--log-file="$tmp/$1.valgrind" "$bin" "$1" "${captures[@]}" >/dev/null 2>"$tmp/$1.stderr"
	echo $? >"$tmp/$1.rc"
}

start=$(date +%s)
run --no-color &
run --json &
wait
status=0
for mode in --no-color --json; do
	rc=$(cat "$tmp/$mode.rc")
	if [ "$rc" -gt 2 ]; then
		echo "check-valgrind: FAIL with $mode: exit $rc"
		cat "$tmp/$mode.valgrind"
		tail -5 "$tmp/$mode.stderr"
		status=1
	fi
done
echo "check-valgrind: ${#captures[@]} captures, text and NDJSON, $(( $(date +%s) - start )) s"
[ "$status" -eq 0 ] && echo "check-valgrind: no errors, no leaks"
exit $status
