#!/bin/bash
#
# completion.sh - the bash completion (completions/starttls-inspect) loaded
# into bash with bash-completion, as an interactive shell would, and asked
# for completions the way readline asks:
# - options: exactly the options --help lists;
# - -r and -w: file names; a plain argument: file names;
# - -i: the interface names the kernel lists (and libpcap's "any");
# - --min-version: the four versions; --format: the three formats; --only:
#   the outcome names the program takes, item by item after commas; other
#   options' arguments: nothing.
# Skipped (77) without bash-completion.
set -u
. "$(dirname "$0")/lib.sh"

e2e_setup

COMPLETION=$STI_SRCDIR/completions/starttls-inspect
[ -f "$COMPLETION" ] || e2e_hard_error "missing $COMPLETION"
BASH_COMPLETION=
for f in "$(pkg-config --variable=prefix bash-completion 2>/dev/null)/share/bash-completion/bash_completion" \
	/usr/share/bash-completion/bash_completion; do
	[ -f "$f" ] && { BASH_COMPLETION=$f; break; }
done
[ -n "$BASH_COMPLETION" ] || e2e_skip "bash-completion is not installed"

# The program under its installed name, first in PATH.
mkdir -p "$E2E_TMP/bin" "$E2E_TMP/files/captures"
ln -s "$STI_BIN" "$E2E_TMP/bin/starttls-inspect"
: >"$E2E_TMP/files/gateway.pcap"
: >"$E2E_TMP/files/gateway.pcapng"
: >"$E2E_TMP/files/notes.txt"

# complete WORD...: the completions bash offers for the last WORD (empty for
# a new word), sorted, one line. Each call is a fresh shell, so one
# completion's state cannot leak into the next.
complete_words() {
	(
		cd "$E2E_TMP/files" || exit 1
		PATH=$E2E_TMP/bin:$PATH bash --norc --noprofile -c '
			. "$1" || exit 1
			. "$2" || exit 1
			shift 2
			spec=$(complete -p starttls-inspect) || exit 1
			fn=${spec#*-F }; fn=${fn%% *}
			COMP_WORDS=("$@")
			COMP_CWORD=$(($# - 1))
			COMP_LINE="$*"
			COMP_POINT=${#COMP_LINE}
			COMPREPLY=()
			"$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
			printf "%s\n" "${COMPREPLY[@]}" | sed "/^$/d" | sort | tr "\n" " "
		' sh "$BASH_COMPLETION" "$COMPLETION" "$@"
	)
}

# The long options of --help, from its option rows.
help_long=$("$STI_BIN" --help | grep '^  -' | sed 's/^  //; s/  .*//' |
	tr ',' '\n' | grep -o -- '--[a-z-]*' | sort | tr '\n' ' ')
[ "$(wc -w <<<"$help_long")" -ge 8 ] || e2e_hard_error "--help lists too few options: $help_long"

e2e_eq "long options" "$help_long" "$(complete_words starttls-inspect --)"
e2e_eq "--m" "--max-sessions --metrics --metrics-interval --metrics-listen --min-version --mta-log " "$(complete_words starttls-inspect --m)"
short=$(complete_words starttls-inspect -)
for opt in -r -h -V --json --ports; do
	e2e_match "'-' offers $opt" "$short" " $opt "
done

captures="captures gateway.pcap gateway.pcapng notes.txt "
e2e_eq "-r: file names" "$captures" "$(complete_words starttls-inspect -r '')"
e2e_eq "-r gate" "gateway.pcap gateway.pcapng " "$(complete_words starttls-inspect -r gate)"
e2e_eq "-w: file names" "$captures" "$(complete_words starttls-inspect -w '')"
e2e_eq "--mta-log: file names" "$captures" "$(complete_words starttls-inspect --mta-log '')"
e2e_eq "a capture argument" "gateway.pcap gateway.pcapng " \
	"$(complete_words starttls-inspect --json gate)"

ifaces=$(for d in /sys/class/net/*; do [ -e "$d" ] && echo "${d##*/}"; done;
	echo any)
ifaces=$(printf '%s\n' "$ifaces" | sort | tr '\n' ' ')
e2e_eq "-i: interface names" "$ifaces" "$(complete_words starttls-inspect -i '')"
if [ -e /sys/class/net/lo ]; then
	e2e_match "-i l: lo" "$(complete_words starttls-inspect -i l)" "lo "
fi

e2e_eq "--min-version" "1.0 1.1 1.2 1.3 " "$(complete_words starttls-inspect --min-version '')"
e2e_eq "--format" "json markdown text " "$(complete_words starttls-inspect --format '')"
e2e_eq "--only: the outcome names the program takes" \
	"$(complete_words starttls-inspect --only '')" \
	"$("$STI_BIN" --only , 2>&1 | sed -n 's/.* is not one of //p' | tr -d , | tr ' ' '\n' | sort | tr '\n' ' ')"
e2e_match "--only: ok among them" "$(complete_words starttls-inspect --only '')" "ok "
e2e_eq "--only failed,in: the next item" "failed,incomplete " \
	"$(complete_words starttls-inspect --only failed,in)"
e2e_eq "--ports: nothing to offer" "" "$(complete_words starttls-inspect --ports '')"
e2e_eq "--max-sessions: nothing to offer" "" \
	"$(complete_words starttls-inspect --max-sessions '')"

e2e_summary
