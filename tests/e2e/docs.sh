#!/bin/bash
#
# docs.sh - the man page and --help agree with each other and with the
# program.
#
# - --help and the OPTIONS section of starttls-inspect(1) list the same
#   options, with the same argument names, in the same groups and order;
# - every default --help names is in the man page's entry for that option;
# - the program accepts every option the two list, and takes an argument
#   exactly for those shown with one;
# - the man page's outcomes, causes and reasons are the ones the program
#   counts in its --json summary, in the same order;
# - every JSON field the page names is a field of the schema;
# - the README's verdict tables and the schema's verdict enums are the ones
#   docs/sync-verdict-lists.py writes from include/sti/verdict.h;
# - --help fits 80 columns; no @placeholder@ is left in the page;
# - mandoc -T lint and groff -ww find nothing to warn about;
# - the READMEs point at nothing outside the source tree (only the .deb that
#   dpkg-buildpackage writes beside it), and the tree's own paths they name
#   exist.
#
# The page is the built one: $STI_MAN, else docs/starttls-inspect.1 beside
# the binary (the build directory). Skipped (77) when neither mandoc nor
# groff is there to render it.
set -u
. "$(dirname "$0")/lib.sh"

e2e_setup

MAN=${STI_MAN:-$(dirname "$STI_BIN")/docs/starttls-inspect.1}
[ -f "$MAN" ] || e2e_hard_error "man page $MAN not built"

# The page as a reader sees it, plain text.
render() {
	if command -v mandoc >/dev/null 2>&1; then
		mandoc -T ascii "$MAN"
	elif command -v groff >/dev/null 2>&1; then
		groff -mdoc -T ascii -P -c "$MAN"
	else
		e2e_skip "neither mandoc nor groff can render $MAN"
	fi
}
render | sed 's/.\x08//g' | col -bx >"$E2E_TMP/page" ||
	e2e_hard_error "cannot render $MAN"
"$STI_BIN" --help >"$E2E_TMP/help" 2>&1 || e2e_hard_error "--help failed"

# ---- --help and OPTIONS: same groups, options and arguments ----

# "GROUP<TAB>OPTION [ARG]" for each option of an entry such as "-h, --help"
# or "-r FILE"; the argument's name in lower case, as the page sets it in
# italics and --help in capitals.
OPTION_NAMES='
	function option_names(group, spec,   n, alt, i, m, w) {
		n = split(spec, alt, /, /)
		for (i = 1; i <= n; i++) {
			m = split(alt[i], w, / /)
			print group "\t" w[1] (m > 1 ? " " tolower(w[2]) : "")
		}
	}'

# GROUP<TAB>OPTION [ARG] per option, in order, from --help: a group heading
# is a line at column 0 ending in ":" (its name up to " (" or ":"), an option
# row starts with two spaces, "-h, --help" being two options.
awk '
	/^[A-Z][^ ]*( [^(]*)?( \(.*\))?:$/ && !/^Usage:/ && !/^Exit status:/ {
		group = $0; sub(/ \(.*/, "", group); sub(/:$/, "", group); next }
	/^  -/ && group != "" {
		spec = substr($0, 3); sub(/  .*/, "", spec)
		option_names(group, spec)
	}
	'"$OPTION_NAMES"' ' "$E2E_TMP/help" >"$E2E_TMP/help-options"

# The same from the rendered OPTIONS section: a subsection is a line
# indented by 3, an entry's tag by 5 and ends at two spaces.
awk '
	/^[A-Z]/ { in_options = ($0 == "OPTIONS"); next }
	!in_options { next }
	/^   [^ ]/ { group = substr($0, 4); next }
	/^     -/ {
		spec = substr($0, 6); sub(/  .*/, "", spec)
		option_names(group, spec)
	}
	'"$OPTION_NAMES"' ' "$E2E_TMP/page" >"$E2E_TMP/man-options"

n_help=$(wc -l <"$E2E_TMP/help-options")
[ "$n_help" -ge 10 ] || e2e_hard_error "found only $n_help options in --help"
if diff "$E2E_TMP/help-options" "$E2E_TMP/man-options" >"$E2E_TMP/diff"; then
	e2e_pass
else
	e2e_fail "--help (<) and the man page (>) list different options:
$(cat "$E2E_TMP/diff")"
fi

# ---- defaults ----

# "OPTION<TAB>text of its man page entry", one line per option.
awk '
	/^[A-Z]/ { in_options = ($0 == "OPTIONS"); next }
	!in_options { next }
	/^   [^ ]/ { flush(); next }
	/^     -/ {
		flush()
		spec = substr($0, 6); rest = spec
		sub(/  .*/, "", spec)
		rest = substr(rest, length(spec) + 1)
		n = split(spec, alt, /, /)
		for (i = 1; i <= n; i++) { split(alt[i], w, / /); names[i] = w[1] }
		nnames = n; body = rest; next
	}
	nnames { body = body " " $0 }
	function flush(   i) {
		for (i = 1; i <= nnames; i++) print names[i] "\t" body
		nnames = 0; body = ""
	}
	END { flush() }' "$E2E_TMP/page" | tr -s ' ' >"$E2E_TMP/man-bodies"

ndefaults=0
while IFS= read -r row; do
	opt=${row#  }
	opt=${opt%%[ ,]*}
	default=${row##*(default }
	default=${default%%)*}
	body=$(awk -F'\t' -v o="$opt" '$1 == o { print $2 }' "$E2E_TMP/man-bodies")
	ndefaults=$((ndefaults + 1))
	e2e_match "man page entry of $opt gives the default of --help" "$body" "$default"
done < <(grep '^  -.*(default [^)]*)' "$E2E_TMP/help")
[ "$ndefaults" -ge 5 ] || e2e_fail "found only $ndefaults defaults in --help"

# ---- the program takes every listed option, with an argument or not ----

# Alone, an option that needs an argument is refused for the lack of it, a
# flag for the lack of a capture file; only -h and -V succeed.
while IFS=$'\t' read -r group spec; do
	opt=${spec%% *}
	arg=${spec#"$opt"}
	e2e_run "$opt" </dev/null
	case $opt in
	-h | --help | -V | --version)
		e2e_eq "$opt: exit status" 0 "$E2E_RC"
		continue ;;
	esac
	e2e_eq "$opt: exit status alone" 2 "$E2E_RC"
	if [ -n "$arg" ]; then
		e2e_match "$opt takes an argument ($arg)" "$E2E_ERR" "needs an argument"
	else
		e2e_match "$opt is a flag" "$E2E_ERR" "no capture file"
	fi
done <"$E2E_TMP/help-options"

# ---- verdict lists: the page against the program's own counts ----

# The --json summary counts sessions by every outcome, cause and reason,
# in the program's order; an empty capture (a pcap file header) gives it.
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x01\x00\x00\x00' \
	>"$E2E_TMP/empty.pcap"
e2e_run --json "$E2E_TMP/empty.pcap" </dev/null
e2e_eq "empty capture: exit status" 0 "$E2E_RC"
program_keys() {
	printf '%s\n' "$E2E_OUT" | tail -n 1 | grep -o "\"$1\":{[^}]*}" |
		grep -o '"[a-z0-9_]*":[0-9]' | sed 's/^"//; s/":.*//' | tr '\n' ' '
}
# The entries of a VERDICTS subsection; causes are one sentence.
page_keys() {
	awk -v sub_="$1" '
		/^[A-Z]/ { in_verdicts = ($0 == "VERDICTS"); next }
		!in_verdicts { next }
		/^   [^ ]/ { here = (substr($0, 4) == sub_); next }
		here && /^     [a-z]/ { print $1 }' "$E2E_TMP/page" | tr '\n' ' '
}
causes_sentence=$(awk '/^   Causes$/ { getline; print }' "$E2E_TMP/page" |
	sed 's/.*one of //; s/ or /, /; s/\.$//; s/, / /g')
for what in outcome:Outcomes reason:Reasons; do
	key=${what%%:*}
	want=$(program_keys "$key")
	[ -n "$want" ] || e2e_hard_error "no $key counts in the --json summary"
	e2e_eq "man page ${what#*:} are the program's" "$want" "$(page_keys "${what#*:}")"
done
e2e_eq "man page Causes are the program's" "$(program_keys cause)" "$causes_sentence "

# ---- JSON OUTPUT: every field the page names is in the schema ----

SCHEMA=$STI_SRCDIR/docs/starttls-inspect.schema.json
fields=$(awk '/^[A-Z]/ { here = ($0 == "JSON OUTPUT"); next } here' "$E2E_TMP/page" |
	grep -o -E '(^|[ (])[a-z@][a-z0-9_]*(\.[a-z0-9_*]+)+' | sed 's/^[ (]//' |
	grep -v -E '\.json$' | sort -u)
[ "$(wc -l <<<"$fields")" -ge 20 ] || e2e_hard_error "found only: $fields"
for f in $fields; do
	case $f in
	*.\*) key="\"${f%.\*}." ;;      # tls.server.x509.*: some field under it
	*) key="\"$f\":" ;;
	esac
	e2e_check "JSON field $f named in the page is in the schema" \
		grep -q -F "$key" "$SCHEMA"
done

# ---- shape of --help and of the page source ----

wide=$(awk 'length($0) > 79' "$E2E_TMP/help")
e2e_eq "--help lines fit 80 columns" "" "$wide"
e2e_eq "no placeholder left in the page" "" \
	"$(grep -v '^\.\\"' "$MAN" | grep -n '@[a-zA-Z_]*@')"

# ---- verdict lists repeated in the README and the schema ----

GEN=$(dirname "$STI_BIN")/docs/gen-verdict-mdoc
if [ -x "$GEN" ] && command -v "${PYTHON3:-python3}" >/dev/null 2>&1; then
	"$GEN" --json >"$E2E_TMP/lists.json"
	e2e_eq "README and schema verdict lists match verdict.h" "" \
		"$("${PYTHON3:-python3}" "$STI_SRCDIR/docs/sync-verdict-lists.py" --check \
			"$E2E_TMP/lists.json" "$STI_SRCDIR")"
	# the check can fail: a reason missing from a copy is reported
	sed '/`auth_in_clear`/d' "$STI_SRCDIR/README.md" >"$E2E_TMP/README.md"
	mkdir -p "$E2E_TMP/docs"
	cp "$STI_SRCDIR/docs/starttls-inspect.schema.json" "$E2E_TMP/docs/"
	"${PYTHON3:-python3}" "$STI_SRCDIR/docs/sync-verdict-lists.py" --check \
		"$E2E_TMP/lists.json" "$E2E_TMP" >"$E2E_TMP/stale"
	e2e_eq "a README missing a reason is reported stale" 1 $?
	e2e_match "the stale file is named" "$(cat "$E2E_TMP/stale")" "README.md: the verdict lists differ"
fi

# ---- linters ----

if command -v mandoc >/dev/null 2>&1; then
	# Style notes (long lines, manuals not installed here) are not faults;
	# warnings and errors are.
	mandoc -T lint -W warning "$MAN" >"$E2E_TMP/lint" 2>&1
	e2e_eq "mandoc -T lint -W warning" "" \
		"$(grep -E 'WARNING|ERROR|UNSUPP|BADARG' "$E2E_TMP/lint")"
fi
if command -v groff >/dev/null 2>&1; then
	# All warnings but "can't break line": a long installation prefix
	# (make distcheck's) makes a path wider than the page.
	groff -mdoc -ww -Wbreak -z -T utf8 "$MAN" >"$E2E_TMP/groff" 2>&1
	e2e_eq "groff -ww -Wbreak" "" "$(cat "$E2E_TMP/groff")"
fi
if command -v man >/dev/null 2>&1; then
	# man-db renders an installed page through groff; the same, by path.
	MANWIDTH=80 man -l "$MAN" >"$E2E_TMP/man" 2>&1
	e2e_eq "man -l: exit status" 0 "$?"
	e2e_match "man -l: the page" "$(cat "$E2E_TMP/man")" "client_version_too_low"
fi

# The READMEs: no path out of the tree (a user has only the tarball).
for readme in README.md fuzz/README.md bench/README.md pcaps/README.md; do
	[ -f "$STI_SRCDIR/$readme" ] || { e2e_fail "$readme: missing"; continue; }
	out=$(grep -o '\.\./[^` )]*' "$STI_SRCDIR/$readme" |
		grep -v '^\.\./starttls-inspect_[0-9.-]*_amd64\.deb$')
	e2e_eq "$readme: no path outside the source tree" "" "$out"
done
# The top README's paths in backquotes are the tree's (.ci/ and debian/
# are git's, not the tarball's; patterns and placeholders are not paths).
missing=
for path in $(grep -o '`[^`/ ][^` ]*/[^` ]*`' "$STI_SRCDIR/README.md" | tr -d '`' |
	      grep -v '[*{?=$<]' | grep -v -e '^\.ci/' -e '^debian/' | sort -u); do
	[ -e "$STI_SRCDIR/$path" ] || missing="$missing $path"
done
e2e_eq "README.md: the paths it names exist" "" "$missing"

e2e_summary
