#!/bin/bash
# anonymize.sh - --anonymize KEY (SPEC 2.3, issue 6).
#
# The schema's kinds ("x-sti-kind") and the field table anon.c works from
# (src/report_fields.c) agree: every string field has a kind, every identifying
# one a row. For fixtures with IPv4, IPv6, certificate names and a
# plaintext mail: no original IP address, host name or certificate hash
# (taken from the program's own JSON without --anonymize, from every field
# whose kind identifies) and not the input's name appears in any output:
# text, --json --summary, the Markdown report, the --summary text and the
# evidence pcap (searched as bytes). The same key
# gives the same output twice, another key another output. The evidence
# file still reads the same (its verdicts match the anonymised JSON, which
# shows that addresses in the packets and in the reports are the same
# pseudonyms), and tshark finds no bad checksum in it.

set -u
. "$(dirname "$0")/lib.sh"
e2e_setup python tshark
CMP="$STI_SRCDIR/tests/e2e/evidence-verdicts.py"

SCHEMA=$STI_SRCDIR/docs/starttls-inspect.schema.json
FIELDS=$STI_SRCDIR/src/report_fields.c

# The output field table: every string property of the schema says what
# kind of thing it holds ("x-sti-kind"), and every property of a kind that
# identifies is a row of src/report_fields.c of the same kind (the rows anon.c
# rewrites), or is derived from such rows ("x-sti-from"), or is an input
# file name (sti_anon_path), or comes from --mta-log (refused with
# --anonymize). A new field without a kind, or with an identifying kind and
# no row, fails here.
e2e_eq "the schema's kinds and the field table agree" "" "$("$PY" - "$SCHEMA" "$FIELDS" <<'PY'
import json, re, sys
schema = json.load(open(sys.argv[1]))
src = open(sys.argv[2]).read()
kinds = set(re.findall(r'\[STI_KIND_[A-Z_]+\] = "([a-z_]+)"', src))
rows = dict(re.findall(r'^\s*(?:ONE|ONE_REF|MANY|MANY_REF|MANY_VIA|MANY_VIA_REF)\("([^"]+)", ([A-Z_]+),', src, re.M))
defs = schema["$defs"]
bad = []
def resolve(v):
    return defs[v["$ref"].split("/")[-1]] if "$ref" in v else v
def stringish(v):
    r = resolve(v)
    t = r.get("type")
    if t == "string" or "enum" in r or (isinstance(t, list) and "string" in t):
        return True
    return t == "array" and stringish(r.get("items", {}))
seen = {}
def walk(props, prefix):
    for k, v in props.items():
        key, r = prefix + k, resolve(v)
        items = resolve(r.get("items", {})) if r.get("type") == "array" else None
        if r.get("type") == "object" and "properties" in r and "$ref" not in v:
            walk(r["properties"], key + "/")
        elif items is not None and "properties" in items:
            walk(items["properties"], key + ".")
        elif stringish(v):
            kind = v.get("x-sti-kind")
            if kind not in kinds:
                bad.append("%s: kind %r is not one of %s" % (key, kind, sorted(kinds)))
                continue
            seen[key] = kind
            if kind in ("fixed", "path", "mta_log"):
                continue
            for src_key in v.get("x-sti-from", [key]):
                if src_key not in rows:
                    bad.append("%s (%s): no row %s in src/report_fields.c" % (key, kind, src_key))
            if "x-sti-from" not in v and key in rows and rows[key].lower() != kind:
                bad.append("%s: %s in the schema, %s in src/report_fields.c" % (key, kind, rows[key].lower()))
for name in ("session", "summary", "inventory", "mta_log"):
    walk(defs[name]["properties"], "")
for key, kind in rows.items():
    if not key.startswith("text:") and seen.get(key) != kind.lower():
        bad.append("src/report_fields.c row %s (%s): the schema says %s" % (key, kind.lower(), seen.get(key)))
print("\n".join(bad))
PY
)"

# Addresses, names and hashes a fixture reveals, one per line: from our
# JSON without --anonymize, every field whose schema kind identifies (the
# names and addresses inside text fields), and (with tshark) from every
# SMTP command and reply line, such as the client address an Exim EHLO
# reply echoes.
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
schema = json.load(open(sys.argv[1]))
kind = {}
def collect(props, prefix):
    for k, v in props.items():
        if "x-sti-kind" in v:
            kind[prefix + k] = v["x-sti-kind"]
        r = schema["$defs"][v["$ref"].split("/")[-1]] if "$ref" in v else v
        items = r.get("items", {})
        items = schema["$defs"][items["$ref"].split("/")[-1]] if "$ref" in items else items
        if "properties" in items:
            collect(items["properties"], prefix + k + ".")
collect(schema["$defs"]["session"]["properties"], "")
name = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}|\b(?:\d{1,3}\.){3}\d{1,3}\b")
found = set()
def values(key, v):
    if isinstance(v, list):
        for x in v:
            yield from values(key, x)
    elif isinstance(v, dict):
        for k, x in v.items():
            yield from values(key + "." + k, x)
    else:
        yield key, v
for line in sys.stdin:
    for key, v in values("", json.loads(line)):
        key = key[1:]
        k = kind.get(key, "fixed")
        if k in ("address", "digest") or (k == "host" and "." in str(v)):
            found.add(str(v))
        elif k in ("host", "text", "dn") and not key.startswith("verdict."):
            found.update(name.findall(str(v)))
print("\n".join(sorted(found)))' "$SCHEMA"
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
	e2e_eq "$f: no original address, name or hash in any output" "" "$leaks"
	# The input's name says whose capture it is: reports carry its pseudonym.
	e2e_eq "$f: the input's name in no report" "" \
		"$(grep -l -F "$f" "$T/text" "$T/json" "$T/summary" "$T/md" "$T/r.md")"
	e2e_match "$f: the JSON names the input by its pseudonym" "$(head -n 1 "$T/json")" \
		'"file":"capture-'
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

e2e_run --anonymize k --sessions "$STI_SRCDIR/pcaps/busy-gateway-mixed.pcap"
e2e_eq "--anonymize with --sessions: refused, nothing printed" \
	"2:starttls-inspect: --anonymize: not with --sessions (its lines hold the real addresses):" \
	"$E2E_RC:$E2E_ERR:$E2E_OUT"

e2e_run --anonymize '' "$STI_SRCDIR/pcaps/busy-gateway-mixed.pcap"
e2e_eq "--anonymize '': exit 2" 2 "$E2E_RC"
e2e_eq "--anonymize '': one line" "starttls-inspect: --anonymize: the key is empty" "$E2E_ERR"

e2e_summary
