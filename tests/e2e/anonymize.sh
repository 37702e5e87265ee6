#!/bin/bash
# anonymize.sh - --anonymize KEY (SPEC 2.3, issue 6).
#
# For fixtures with IPv4, IPv6, certificate names and a plaintext mail: no
# original IP address or host name (taken from the program's own JSON
# without --anonymize: endpoints, EHLO, greeting, SNI, certificate names)
# appears in any output: text, --json --summary, the Markdown report, the
# --summary text and the evidence pcap (searched as bytes). The same key
# gives the same output twice, another key another output. The evidence
# file still reads the same (its verdicts match the anonymised JSON, which
# shows that addresses in the packets and in the reports are the same
# pseudonyms), and tshark finds no bad checksum in it.

if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || { echo "SKIP: bash not found"; exit 77; }
	exec bash "$0" "$@"
fi
set -u
. "$(dirname "$0")/lib.sh"
e2e_require_bin
e2e_tmpdir
e2e_require_python
CMP="$STI_SRCDIR/tests/e2e/evidence-verdicts.py"
T=$E2E_TMP
e2e_detect_tshark

# Addresses and names a fixture reveals, one per line: from our JSON, and
# (with tshark) from every SMTP command and reply line, such as the client
# address an Exim EHLO reply echoes.
originals() {
	{
		"$STI_BIN" --json "$1"
		if $HAVE_TSHARK; then
			tshark -n -r "$1" -Y smtp -T fields -e smtp.req.parameter \
				-e smtp.rsp.parameter 2>/dev/null |
				"$PY" -c 'import json, sys; [print(json.dumps({"smtp.greeting": l})) for l in sys.stdin]'
		fi
	} | "$PY" -c '
import json, re, sys
name = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}|\b(?:\d{1,3}\.){3}\d{1,3}\b")
found = set()
for line in sys.stdin:
    o = json.loads(line)
    for k, v in o.items():
        if k in ("source.ip", "destination.ip"):
            found.add(v)
        elif k in ("smtp.greeting", "smtp.helo", "tls.client.server_name") or k.startswith("tls.server.x509"):
            for s in (v if isinstance(v, list) else [v]):
                found.update(name.findall(str(s)))
print("\n".join(sorted(found)))'
}

for f in busy-gateway-mixed fail-cert-name-mismatch-tls12-postfix-openssl \
	ok-ipv6-postfix-swaks notls-client-skipped-starttls-postfix-python; do
	pcap=$STI_SRCDIR/pcaps/$f.pcap
	originals "$pcap" >"$T/orig.txt"
	e2e_check "$f: originals found ($(wc -l <"$T/orig.txt"))" [ "$(wc -l <"$T/orig.txt")" -ge 3 ]
	A=(--anonymize 'ticket key 1')
	"$STI_BIN" "${A[@]}" "$pcap" >"$T/text" 2>&1
	"$STI_BIN" "${A[@]}" --json --summary "$pcap" >"$T/json" 2>&1
	"$STI_BIN" "${A[@]}" --summary "$pcap" >"$T/summary" 2>&1
	"$STI_BIN" "${A[@]}" --format markdown --only all "$pcap" >"$T/md" 2>&1
	"$STI_BIN" "${A[@]}" --only all -w "$T/ev.pcap" --report "$T/r.md" "$pcap" >/dev/null 2>&1
	leaks=$(grep -a -F -i -o -f "$T/orig.txt" "$T/text" "$T/json" "$T/summary" "$T/md" \
		"$T/r.md" "$T/ev.pcap" | sort -u | paste -sd' ')
	e2e_eq "$f: no original address or name in any output" "" "$leaks"
	e2e_eq "$f: the report holds every session" \
		"$(grep -c '"event.kind":"session"' "$T/json")" "$(grep -c '^### Session ' "$T/md")"

	"$STI_BIN" "${A[@]}" --json --summary "$pcap" >"$T/json2"
	e2e_eq "$f: same key, same pseudonyms" "" "$(cmp "$T/json" "$T/json2" 2>&1)"
	"$STI_BIN" --anonymize 'another key' --json "$pcap" >"$T/json3"
	e2e_check "$f: another key, other pseudonyms" \
		[ "$(grep -o '"source.ip":"[^"]*"' "$T/json" | head -1)" != \
		  "$(grep -o '"source.ip":"[^"]*"' "$T/json3" | head -1)" ]

	"$STI_BIN" --json "$T/ev.pcap" >"$T/re.json"
	e2e_match "$f: the evidence reads back as the anonymised JSON" \
		"$("$PY" "$CMP" "$T/json" "$T/re.json" all)" "same "
	if $HAVE_TSHARK; then
		e2e_eq "$f: no bad IP or TCP checksum in the evidence" 0 \
			"$(tshark -n -r "$T/ev.pcap" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
				-Y 'tcp.checksum.status == 0 || ip.checksum.status == 0' 2>/dev/null | wc -l)"
	fi
done

e2e_run --anonymize '' "$STI_SRCDIR/pcaps/busy-gateway-mixed.pcap"
e2e_eq "--anonymize '': exit 2" 2 "$E2E_RC"
e2e_eq "--anonymize '': one line" "starttls-inspect: --anonymize: the key is empty" "$E2E_ERR"

e2e_summary
