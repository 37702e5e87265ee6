#!/bin/bash
# mtalog.sh - --mta-log, --log-skew and --find end to end (SPEC 9.4):
# tests/e2e/mtalog.py over the lab captures that keep their MTA's log
# (pcaps/*.maillog) and the written fixtures of tests/e2e/mtalogs/.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || { echo "SKIP: bash not found"; exit 77; }
	exec bash "$0" "$@"
fi
set -u
. "$(dirname "$0")/lib.sh"
e2e_require_bin
e2e_tmpdir
e2e_require_python
"$PY" "$STI_SRCDIR/tests/e2e/mtalog.py" "$STI_BIN" "$STI_SRCDIR" "$E2E_TMP"
