#!/bin/bash
#
# fuzz-replay.sh - every file of every fuzz corpus (seeds and regression
# files, fuzz/corpus/TARGET/) through its target's replay program. Under the
# sanitizer build a finding aborts the replay: the test fails and the log
# has the report. The count of files replayed must match the directory.
set -u
. "$(dirname "$0")/lib.sh"

e2e_require_bin
builddir=$(dirname "$STI_BIN")

for target in smtp tls hello pipeline reader mtalog keylog http; do
	replay=$builddir/fuzz/replay-$target
	corpus=$STI_SRCDIR/fuzz/corpus/$target
	[ -x "$replay" ] || e2e_hard_error "$replay was not built"
	[ -d "$corpus" ] || e2e_hard_error "no corpus at $corpus"
	files=$(find "$corpus" -type f ! -name '.*' | wc -l)
	e2e_check "$target: corpus has files" [ "$files" -gt 0 ]
	out=$("$replay" "$corpus" 2>&1)
	rc=$?
	e2e_eq "$target: replay exit status" 0 "$rc"
	e2e_eq "$target: files replayed" "$replay: $files inputs replayed" "$(printf '%s\n' "$out" | tail -1)"
	[ "$rc" -eq 0 ] || printf '%s\n' "$out" | tail -40
done
e2e_summary
