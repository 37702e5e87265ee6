#!/bin/bash
# mtalog.sh - --mta-log, --log-skew and --find end to end (SPEC 9.4):
# tests/e2e/mtalog.py over the lab captures that keep their MTA's log
# (pcaps/*.maillog) and the written fixtures of tests/e2e/mtalogs/.
set -u
. "$(dirname "$0")/lib.sh"
e2e_setup python
"$PY" "$STI_SRCDIR/tests/e2e/mtalog.py" "$STI_BIN" "$STI_SRCDIR" "$E2E_TMP"
