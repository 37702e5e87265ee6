#!/bin/sh
# bench-corpus.sh - small corpora from bench/make-corpus (a 3 MB
# handshake-only one at 100 concurrent sessions, a 12 MB long-session one at
# 30) give every cloned session the verdict of the fixture session it was
# cloned from (bench/check-corpus). This covers the generator the benchmark
# relies on, and the recorder judging sessions interleaved with many others,
# each with its own lazily allocated parser state. Not a benchmark: nothing
# is timed. Exit 0 pass, 1 fail, 77 skip (no python3).
PY=${PYTHON3:-python3}
command -v "$PY" >/dev/null 2>&1 || { echo "SKIP: python3 not found"; exit 77; }
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
status=0
for spec in "short 3 100" "long 12 30"; do
	set -- $spec
	"$PY" "$STI_SRCDIR/bench/make-corpus" --kind "$1" --size "$2" --concurrency "$3" \
		--seed 11 -o "$tmp/$1.pcap" --manifest "$tmp/$1.manifest" || exit 99
	if "$PY" "$STI_SRCDIR/bench/check-corpus" "$STI_BIN" "$tmp/$1.pcap" "$tmp/$1.manifest"; then
		echo "PASS $1 corpus"
	else
		echo "FAIL $1 corpus"
		status=1
	fi
done
exit $status
