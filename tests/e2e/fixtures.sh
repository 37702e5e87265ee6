#!/bin/bash
# Every lab fixture's expectations (pcaps/*.expect) and every named public
# capture's (tests/e2e/public/*.expect) against the --json output.
set -u
: "${STI_BIN:?}" "${STI_SRCDIR:?}"
py=${PYTHON3:-$(command -v python3 || true)}
if [ -z "$py" ]; then
	echo "SKIP: python3 is needed to read the JSON output"
	exit 77
fi
shopt -s nullglob
files=("$STI_SRCDIR"/pcaps/*.expect)
if [ -d "$STI_SRCDIR/../shared/pcaps/public" ]; then
	files+=("$STI_SRCDIR"/tests/e2e/public/*.expect)
else
	echo "note: ../shared/pcaps/public is missing; public captures not checked"
fi
exec "$py" "$STI_SRCDIR/tests/e2e/expectations.py" "$STI_BIN" "${files[@]}"
