#!/bin/bash
# db.sh - the SQLite store from capture files (--db, SPEC 9.6).
#
# - every session of a capture is stored, with its verdict;
# - --summary --db (no input) gives the inventory --summary gives on the
#   capture itself, in JSON exactly; text and Markdown show the last seen;
# - a second run adds a run and its sessions; --db-keep trims old ones;
# - several --db merge: two databases give the inventory of both captures;
# - --since and --min-version narrow and re-judge;
# - bad input is refused with one line and exit 2: not a database, another
#   program's database, a newer schema, a read-only file, a bad age, options
#   that do not go together.
# The live service (metrics, SIGHUP, kill -9, restart) is service.sh's.

set -u
. "$(dirname "$0")/lib.sh"
e2e_setup
command -v sqlite3 >/dev/null 2>&1 || e2e_skip "sqlite3 (the shell) not found"
BUSY=$STI_SRCDIR/pcaps/busy-gateway-mixed.pcap
OLD=$STI_SRCDIR/pcaps/deprecated-tls10-postfix-openssl.pcap

q() { sqlite3 "$1" "$2"; }

# ---- a capture into a database, and its inventory back ----
"$STI_BIN" --db "$T/a.db" "$BUSY" >/dev/null
e2e_eq "exit status as without --db" 1 "$?"
e2e_eq "every session stored" 44 "$(q "$T/a.db" 'SELECT count(*) FROM sessions')"
e2e_eq "outcomes stored" "deprecated|4 failed|14 no_tls|8 ok|18" \
	"$(q "$T/a.db" 'SELECT outcome, count(*) FROM sessions GROUP BY outcome' | tr '\n' ' ' | sed 's/ $//')"
e2e_eq "the file is private" 600 "$(stat -c %a "$T/a.db")"
e2e_eq "WAL" wal "$(q "$T/a.db" 'PRAGMA journal_mode')"
e2e_eq "schema version" 2 "$(q "$T/a.db" "SELECT value FROM sti_meta WHERE key='schema_version'")"
e2e_eq "one run, named by its input" "$BUSY" "$(q "$T/a.db" 'SELECT input FROM runs')"
e2e_eq "per-peer inventory" "client|192.0.2.10|client.example.test|44|769|772" \
	"$(q "$T/a.db" "SELECT role, ip, name, sessions, offered_low, offered_high FROM peers WHERE role='client'")"

"$STI_BIN" --summary --json "$BUSY" | grep '"inventory"' >"$T/file.json"
e2e_run --summary --json --db "$T/a.db"
e2e_eq "summary from the database: exit status" 1 "$E2E_RC"
e2e_eq "summary from the database = summary of the capture (JSON)" "$(cat "$T/file.json")" "$E2E_OUT"
e2e_match "JSON: last seen" "$E2E_OUT" '"inventory.last_seen":"2026-11-27T19:41:'

e2e_run --summary --db "$T/a.db"
e2e_match "text: counts" "$E2E_OUT" "sessions: 44  failed: 14  deprecated: 4  no_tls: 8  ok: 18  incomplete: 0"
e2e_match "text: last seen column" "$E2E_OUT" "last seen (UTC)"
e2e_match "text: the client that breaks" "$E2E_OUT" \
	"yes     192.0.2.10  client.example.test        44  1.0-1.3  1.0,1.2,1.3  2026-11-27 19:41  failed 14,"
e2e_match "text: a server that refused old clients, from the database" "$E2E_OUT" \
	"no       198.51.100.31  mx.example.test         6  -      1.0 (too old)  above 1.0  2026-11-27 19:41  failed 6"

e2e_run --summary --format markdown --db "$T/a.db"
e2e_match "markdown: heading" "$E2E_OUT" "# TLS inventory"
e2e_match "markdown: client row" "$E2E_OUT" \
	"| yes | 192.0.2.10 | client.example.test | 44 | 1.0-1.3 | 1.0,1.2,1.3 | 2026-11-27 19:41 |"
e2e_match "markdown: a server row says what the server chose and refused" "$E2E_OUT" \
	"| yes | 198.51.100.28 | mx.example.test | 4 | - | 1.3 (too new) | below 1.3 | 2026-11-27 19:41 | failed 4 |"

# --min-version re-judges from what was stored.
e2e_run --summary --json --min-version 1.0 --db "$T/a.db"
e2e_match "--min-version 1.0: the client no longer breaks" "$E2E_OUT" \
	'"inventory.ip":"192.0.2.10","inventory.name":"client.example.test"'
e2e_eq "--min-version 1.0: policy on every row" 9 \
	"$(printf '%s\n' "$E2E_OUT" | grep -c '"inventory.policy_minimum":"1.0"')"

# --since: the fixtures are from 2026-11-27; one second ago excludes them.
e2e_run --summary --json --db "$T/a.db" --since 1s
e2e_eq "--since 1s: nothing" "0:" "$E2E_RC:$E2E_OUT"
e2e_run --summary --json --db "$T/a.db" --since 5200w
e2e_eq "--since 5200w: everything" "$(cat "$T/file.json")" "$E2E_OUT"

# ---- runs accumulate; retention trims ----
"$STI_BIN" --db "$T/a.db" "$BUSY" >/dev/null
e2e_eq "second run: sessions added" 88 "$(q "$T/a.db" 'SELECT count(*) FROM sessions')"
e2e_eq "second run: two runs" 2 "$(q "$T/a.db" 'SELECT count(*) FROM runs')"
e2e_eq "second run: the inventory continues" 88 \
	"$(q "$T/a.db" "SELECT sessions FROM peers WHERE role='client'")"
"$STI_BIN" --db "$T/a.db" --db-keep 1d "$BUSY" >/dev/null
e2e_eq "--db-keep 1d: older sessions gone, this run's kept" 44 \
	"$(q "$T/a.db" 'SELECT count(*) FROM sessions')"
e2e_eq "--db-keep: the all-time inventory kept" 132 \
	"$(q "$T/a.db" "SELECT sessions FROM peers WHERE role='client'")"

# ---- several databases merge ----
"$STI_BIN" --db "$T/b.db" "$BUSY" >/dev/null
"$STI_BIN" --db "$T/c.db" "$OLD" >/dev/null
"$STI_BIN" --summary --json "$BUSY" "$OLD" | grep '"inventory"' >"$T/both.json"
e2e_run --summary --json --db "$T/b.db" --db "$T/c.db"
e2e_eq "two databases = both captures" "$(cat "$T/both.json")" "$E2E_OUT"

# ---- refused ----
head -c 8192 "$BUSY" >"$T/junk.db"
e2e_refused "not a database" "--db $T/junk.db: not a starttls-inspect database (file is not a database)" \
	--db "$T/junk.db" "$BUSY"
e2e_refused "not a database, summary" "not a starttls-inspect database" --summary --db "$T/junk.db"
q "$T/other.db" 'CREATE TABLE mailq(id INTEGER)'
e2e_refused "another program's database" "$T/other.db: not a starttls-inspect database (another program's tables)" \
	--db "$T/other.db" "$BUSY"
e2e_eq "another program's database left alone" "mailq" "$(q "$T/other.db" '.tables')"
cp "$T/b.db" "$T/newer.db"
q "$T/newer.db" "UPDATE sti_meta SET value='7' WHERE key='schema_version'"
e2e_refused "newer schema" "schema version 7 is newer than this program's 2" --summary --db "$T/newer.db"
e2e_refused "missing, summary" "$T/none.db: No such file or directory" --summary --db "$T/none.db"
e2e_refused "no such directory" "$T/no/dir.db: cannot create: No such file or directory" \
	--db "$T/no/dir.db" "$BUSY"
if [ "$(id -u)" -ne 0 ]; then
	cp "$T/b.db" "$T/ro.db"
	chmod 444 "$T/ro.db"
	refused "read-only file" "$T/ro.db: read-only: cannot write the database" --db "$T/ro.db" "$BUSY"
elif command -v setpriv >/dev/null 2>&1; then
	# root writes anything: look through an unprivileged user's eyes.
	mkdir "$T/ro" && cp "$T/b.db" "$T/ro/ro.db" && chmod 755 "$T" "$T/ro" && chmod 444 "$T/ro/ro.db"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$STI_BIN" --db "$T/ro/ro.db" \
		"$BUSY" >/dev/null 2>"$T/ro.err"
	e2e_eq "read-only file: exit 2" 2 "$?"
	e2e_eq "read-only file: message" "starttls-inspect: --db $T/ro/ro.db: read-only: cannot write the database" \
		"$(cat "$T/ro.err")"
fi
e2e_refused "bad --since" "--since: '30x' is not an age like 30d" --summary --db "$T/b.db" --since 30x
e2e_refused "--since 0d" "--since: '0d' is not an age" --summary --db "$T/b.db" --since 0d
e2e_refused "bad --db-keep" "--db-keep: 'forever' is not an age" --db "$T/b.db" --db-keep forever "$BUSY"
e2e_refused "--since with input" "--since: only with --summary --db and no capture file or -i" \
	--db "$T/b.db" --since 30d "$BUSY"
e2e_refused "two databases to write" "--db: one database is written at a time" \
	--db "$T/b.db" --db "$T/c.db" "$BUSY"
e2e_refused "--db-keep without --db" "--db-keep: needs --db FILE" --db-keep 1d "$BUSY"
e2e_refused "--db alone" "no capture file or interface given" --db "$T/b.db"
e2e_eq "refusals changed nothing" 44 "$(q "$T/b.db" 'SELECT count(*) FROM sessions')"

e2e_summary
