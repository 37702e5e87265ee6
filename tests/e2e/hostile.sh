#!/bin/bash
#
# hostile.sh - hostile input end to end (issue 8, SPEC 8): truncated and
# corrupt capture files, TCP tricks, malformed TLS, abusive SMTP and a SYN
# flood. tests/e2e/hostile.py builds each capture in a temporary directory
# (with hostile_gen.py), runs the tool and checks the outcome it must give:
# the exit status and one-line error, or the verdict naming the malformed
# part. Skipped without python3.
set -u
. "$(dirname "$0")/lib.sh"

e2e_require_bin
[ -n "${PYTHON3:-}" ] || e2e_skip "python3 not found"
exec "$PYTHON3" "$STI_SRCDIR/tests/e2e/hostile.py" "$STI_BIN" "$STI_SRCDIR"
