# shellcheck shell=bash
#
# lib.sh - helpers shared by the end-to-end test scripts.
#
# Source it from a bash script that runs under `set -u` (make check runs
# the scripts with bash: SH_LOG_COMPILER in Makefile.am), then call
# e2e_setup. The automake test harness exports:
#   STI_BIN     absolute path of the built starttls-inspect
#   STI_SRCDIR  absolute path of the source tree
#   PYTHON3     python3, possibly empty (these scripts do not need it)
# Exit codes follow automake: 0 pass, 1 fail, 77 skip, 99 hard error.

E2E_NAME=${0##*/}
E2E_PASSED=0
E2E_FAILED=0
E2E_TMP=

# A message for the log, prefixed with the script's name.
e2e_note() {
	printf '%s: %s\n' "$E2E_NAME" "$*"
}

e2e_pass() {
	E2E_PASSED=$((E2E_PASSED + 1))
}

# One failed check; the script goes on and the summary counts it.
e2e_fail() {
	E2E_FAILED=$((E2E_FAILED + 1))
	printf '%s: FAIL: %s\n' "$E2E_NAME" "$*"
}

# e2e_check DESCRIPTION CONDITION...: run CONDITION, pass or fail on it.
e2e_check() {
	local what=$1
	shift
	if "$@"; then
		e2e_pass
	else
		e2e_fail "$what"
	fi
}

# Long values are cut in failure messages; the log stays readable.
e2e_short() {
	if [ "${#1}" -gt 600 ]; then
		printf '%s... (%d characters)' "${1:0:600}" "${#1}"
	else
		printf '%s' "$1"
	fi
}

# e2e_eq DESCRIPTION EXPECTED ACTUAL
e2e_eq() {
	if [ "$2" = "$3" ]; then
		e2e_pass
	else
		e2e_fail "$1: expected '$(e2e_short "$2")', got '$(e2e_short "$3")'"
	fi
}

# e2e_match DESCRIPTION TEXT FIXED-STRING: TEXT contains the string.
e2e_match() {
	case $2 in
	*"$3"*) e2e_pass ;;
	*) e2e_fail "$1: '$3' not found in '$(e2e_short "$2")'" ;;
	esac
}

# The final line, exactly "N passed, N failed", and the exit status.
e2e_summary() {
	printf '%d passed, %d failed\n' "$E2E_PASSED" "$E2E_FAILED"
	[ "$E2E_FAILED" -eq 0 ] && exit 0
	exit 1
}

e2e_skip() {
	e2e_note "SKIP: $*"
	exit 77
}

e2e_hard_error() {
	e2e_note "ERROR: $*"
	exit 99
}

# The binary and the tree must be there; without them nothing can run.
e2e_require_bin() {
	[ -n "${STI_BIN:-}" ] ||
		e2e_hard_error "STI_BIN is not set (run through 'make check', or export it)"
	[ -x "$STI_BIN" ] || e2e_hard_error "STI_BIN=$STI_BIN is not an executable"
	if [ -z "${STI_SRCDIR:-}" ]; then
		STI_SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
	fi
}

# The public captures live next to the clone, in shared/; skip without them.
e2e_public_dir() {
	E2E_PUBLIC=$STI_SRCDIR/../shared/pcaps/public
	[ -d "$E2E_PUBLIC" ] ||
		e2e_skip "public captures not found at $E2E_PUBLIC (shared/ is not next to the source tree)"
	E2E_PUBLIC=$(cd "$E2E_PUBLIC" && pwd)
}

# A private temporary directory, removed when the script exits.
e2e_tmpdir() {
	E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/sti-e2e.XXXXXX") ||
		e2e_hard_error "mktemp failed"
	trap 'rm -rf "$E2E_TMP"' EXIT
	trap 'exit 130' HUP INT TERM
}

# e2e_run ARGS...: run the binary, stdin as the caller gives it. Sets E2E_RC,
# E2E_OUT and E2E_ERR (the text of both streams) and E2E_ERR_LINES (lines on
# stderr, counting a last line that lacks its newline).
e2e_run() {
	"$STI_BIN" "$@" >"$E2E_TMP/out" 2>"$E2E_TMP/err"
	E2E_RC=$?
	E2E_OUT=$(cat "$E2E_TMP/out")
	E2E_ERR=$(cat "$E2E_TMP/err")
	E2E_ERR_LINES=$(awk 'END { print NR }' "$E2E_TMP/err")
}

# e2e_refused DESCRIPTION MESSAGE ARGS...: the program refuses ARGS with
# exit status 2, one line on stderr containing MESSAGE, nothing on stdout.
e2e_refused() {
	local what=$1 msg=$2
	shift 2
	e2e_run "$@"
	e2e_eq "$what: exit 2, one line, nothing on stdout" "2 1 " "$E2E_RC $E2E_ERR_LINES $E2E_OUT"
	e2e_match "$what: message" "$E2E_ERR" "$msg"
}

# A crash: killed by a signal, or a sanitizer report on stderr.
e2e_crashed() {
	[ "$E2E_RC" -ge 128 ] && return 0
	grep -q -E 'runtime error:|AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|MemorySanitizer' \
		"$E2E_TMP/err"
}

# The session lines of the last run's output (neither "# file" nor stats).
e2e_session_lines() {
	grep -v '^#' "$E2E_TMP/out"
}

# e2e_setup [python] [public] [tshark]: what a script needs before its
# first check. Always the binary and a private temporary directory, named
# T, and PC for the lab captures; on request python3 (PY, or skip), the
# public captures (E2E_PUBLIC, or skip) and HAVE_TSHARK. The skips come
# before the directory is made, so a skipped script leaves nothing behind.
e2e_setup() {
	local need
	e2e_require_bin
	for need in "$@"; do
		case $need in
		python) e2e_require_python ;;
		public) e2e_public_dir ;;
		tshark) e2e_detect_tshark ;;
		*) e2e_hard_error "e2e_setup: unknown need '$need'" ;;
		esac
	done
	e2e_tmpdir
	T=$E2E_TMP
	PC=$STI_SRCDIR/pcaps
}

# PY: the python3 to run helpers with; the script is skipped without one.
e2e_require_python() {
	PY=${PYTHON3:-python3}
	command -v "$PY" >/dev/null 2>&1 || e2e_skip "python3 not found"
}

# HAVE_TSHARK: true when tshark is installed (checks that need it are
# skipped otherwise, the rest of the script still runs).
e2e_detect_tshark() {
	HAVE_TSHARK=false
	command -v tshark >/dev/null 2>&1 && HAVE_TSHARK=true
}
