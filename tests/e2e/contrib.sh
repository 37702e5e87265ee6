#!/bin/bash
# contrib.sh - the many-gateways material in contrib/ is current and valid:
# the index template is what contrib/schema-to-template.py makes of the
# JSON Schema today (regenerate it when the schema changes), maps the
# address fields as ip and the times as date; the federation snippet is a
# valid Prometheus configuration.
set -u
. "$(dirname "$0")/lib.sh"
e2e_tmpdir
e2e_require_python
C=$STI_SRCDIR/contrib

"$PY" "$C/schema-to-template.py" "$STI_SRCDIR/docs/starttls-inspect.schema.json" >"$E2E_TMP/t.json"
e2e_eq "generator exit status" 0 "$?"
e2e_check "contrib/index-template.json is current (run contrib/schema-to-template.py)" \
	cmp -s "$E2E_TMP/t.json" "$C/index-template.json"
e2e_eq "mapped types" "source.ip=ip destination.ip=ip inventory.ip=ip @timestamp=date inventory.last_seen=date tls.established=boolean session.id=long verdict.outcome=keyword" \
	"$("$PY" - "$C/index-template.json" <<'PYEOF'
import json, sys
p = json.load(open(sys.argv[1]))["template"]["mappings"]["properties"]
names = ["source.ip", "destination.ip", "inventory.ip", "@timestamp", "inventory.last_seen",
         "tls.established", "session.id", "verdict.outcome"]
print(" ".join("%s=%s" % (n, p[n]["type"]) for n in names))
PYEOF
)"
if command -v promtool >/dev/null 2>&1; then
	promtool check config "$C/prometheus-federation.yml" >"$E2E_TMP/p.out" 2>&1
	e2e_eq "promtool check config (federation)" 0 "$?"
else
	e2e_note "promtool not found: the federation snippet is not checked"
fi
e2e_summary
