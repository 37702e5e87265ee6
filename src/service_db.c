/*
 * service_db.c - the SQLite store: schema, migrations, inserts, retention, reads.
 */
#include "sti/service_db.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"

#define APPLICATION "starttls-inspect"
#define RUN_CACHE 8

struct run_entry {
	char input[STI_DB_TEXT];
	int64_t id;
};

struct sti_db {
	sqlite3 *h;
	char *path;
	int64_t started;                 /* this process's runs begin here */
	sqlite3_stmt *ins_session, *ins_peer, *ins_run;
	struct run_entry runs[RUN_CACHE];
	unsigned nruns, next_run;        /* next_run: the slot reused next */
};

/*
 * migrations[v] takes a database from schema v to v + 1 (docs/database.md
 * says what each version holds). Each runs in the transaction that also
 * records the new version, so a migration is all or nothing.
 */
static const char *const migrations[STI_DB_SCHEMA_VERSION] = {
	/* 0 -> 1: runs and sessions */
	"CREATE TABLE sti_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"INSERT INTO sti_meta VALUES('application','" APPLICATION "');"
	"INSERT INTO sti_meta VALUES('schema_version','0');"
	"CREATE TABLE runs(id INTEGER PRIMARY KEY, started INTEGER NOT NULL,"
	" input TEXT NOT NULL, program_version TEXT NOT NULL);"
	"CREATE TABLE sessions(id INTEGER PRIMARY KEY,"
	" run_id INTEGER NOT NULL REFERENCES runs(id), session INTEGER NOT NULL,"
	" first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL,"
	" client_ip TEXT NOT NULL, client_port INTEGER NOT NULL,"
	" server_ip TEXT NOT NULL, server_port INTEGER NOT NULL, mode TEXT NOT NULL,"
	" client_name TEXT NOT NULL, server_name TEXT NOT NULL, banner TEXT NOT NULL,"
	" offered_version INTEGER NOT NULL, chosen_version INTEGER NOT NULL,"
	" negotiated_version INTEGER NOT NULL, cipher INTEGER,"
	" outcome TEXT NOT NULL, cause TEXT NOT NULL, reason TEXT NOT NULL,"
	" confidence TEXT NOT NULL);"
	"CREATE INDEX sessions_first_ts ON sessions(first_ts);",
	/* 1 -> 2: the per-peer inventory, filled from the sessions kept */
	"CREATE TABLE peers(role TEXT NOT NULL, ip TEXT NOT NULL, name TEXT NOT NULL,"
	" first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
	" sessions INTEGER NOT NULL, offered_low INTEGER NOT NULL,"
	" offered_high INTEGER NOT NULL, PRIMARY KEY(role, ip));"
	/* The same rules as sql_peer below, which the sessions would have
	 * gone through had they been written now: a peer keeps the first
	 * non-empty name in the order written (a server's name, else its
	 * banner), and offered_low ignores 0. */
	"INSERT INTO peers SELECT 'client', s.client_ip,"
	" coalesce((SELECT n.client_name FROM sessions n WHERE n.client_ip = s.client_ip"
	" AND n.client_name <> '' ORDER BY n.id LIMIT 1), ''), min(s.first_ts),"
	" max(s.last_ts), count(*), coalesce(min(nullif(s.offered_version, 0)), 0),"
	" max(s.offered_version) FROM sessions s GROUP BY s.client_ip;"
	"INSERT INTO peers SELECT 'server', s.server_ip,"
	" coalesce((SELECT CASE WHEN n.server_name <> '' THEN n.server_name ELSE n.banner END"
	" FROM sessions n WHERE n.server_ip = s.server_ip"
	" AND (n.server_name <> '' OR n.banner <> '') ORDER BY n.id LIMIT 1), ''),"
	" min(s.first_ts), max(s.last_ts), count(*),"
	" coalesce(min(nullif(s.offered_version, 0)), 0), max(s.offered_version)"
	" FROM sessions s GROUP BY s.server_ip;",
};

static bool sql_fail(struct sti_db *db, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s: %s", db->path, what, sqlite3_errmsg(db->h));
	return false;
}

static bool exec(struct sti_db *db, const char *sql, const char *what,
		 char *err, size_t errlen)
{
	if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) == SQLITE_OK)
		return true;
	return sql_fail(db, what, err, errlen);
}

/* One integer from a query, or `none` when it has no row. */
static bool query_int(struct sti_db *db, const char *sql, int64_t none, int64_t *out)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		return false;
	int rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : none;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

/*
 * The schema version: 0 for an empty file, -1 with err set for anything
 * that is not one of our databases.
 */
static int64_t schema_version(struct sti_db *db, char *err, size_t errlen)
{
	int64_t tables, ours, version;
	if (!query_int(db, "SELECT count(*) FROM sqlite_master", 0, &tables)) {
		snprintf(err, errlen, "%s: not a starttls-inspect database (%s)", db->path,
			 sqlite3_errmsg(db->h));
		return -1;
	}
	if (tables == 0)
		return 0;
	if (!query_int(db, "SELECT count(*) FROM sqlite_master WHERE name='sti_meta'", 0,
		       &ours) || !ours ||
	    !query_int(db, "SELECT count(*) FROM sti_meta WHERE key='application' AND value='"
		       APPLICATION "'", 0, &ours) || !ours) {
		snprintf(err, errlen, "%s: not a starttls-inspect database (another "
			 "program's tables)", db->path);
		return -1;
	}
	if (!query_int(db, "SELECT CAST(value AS INTEGER) FROM sti_meta WHERE "
		       "key='schema_version'", -1, &version) || version < 0) {
		snprintf(err, errlen, "%s: not a starttls-inspect database (no schema "
			 "version)", db->path);
		return -1;
	}
	return version;
}

static bool migrate(struct sti_db *db, int64_t from, char *err, size_t errlen)
{
	if (!exec(db, "BEGIN IMMEDIATE", "cannot write", err, errlen))
		return false;
	for (int64_t v = from; v < STI_DB_SCHEMA_VERSION; v++) {
		char set[96];
		snprintf(set, sizeof(set), "UPDATE sti_meta SET value='%d' WHERE "
			 "key='schema_version'", (int)v + 1);
		if (!exec(db, migrations[v], "schema migration failed", err, errlen) ||
		    !exec(db, set, "schema migration failed", err, errlen)) {
			sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
			return false;
		}
	}
	return exec(db, "COMMIT", "cannot write", err, errlen);
}

static const char sql_session[] =
	"INSERT INTO sessions(run_id, session, first_ts, last_ts, client_ip, client_port,"
	" server_ip, server_port, mode, client_name, server_name, banner, offered_version,"
	" chosen_version, negotiated_version, cipher, outcome, cause, reason, confidence)"
	" VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20)";

/* The name a peer keeps is the first one seen; offered_low ignores 0. */
static const char sql_peer[] =
	"INSERT INTO peers VALUES(?1,?2,?3,?4,?5,1,?6,?6)"
	" ON CONFLICT(role, ip) DO UPDATE SET"
	" name = CASE WHEN peers.name = '' THEN excluded.name ELSE peers.name END,"
	" first_seen = min(peers.first_seen, excluded.first_seen),"
	" last_seen = max(peers.last_seen, excluded.last_seen),"
	" sessions = peers.sessions + 1,"
	" offered_low = CASE WHEN excluded.offered_low = 0 THEN peers.offered_low"
	"   WHEN peers.offered_low = 0 THEN excluded.offered_low"
	"   ELSE min(peers.offered_low, excluded.offered_low) END,"
	" offered_high = max(peers.offered_high, excluded.offered_high)";

static const char sql_run[] =
	"INSERT INTO runs(started, input, program_version) VALUES(?1, ?2, '" PACKAGE_VERSION "')";

static bool prepare_writes(struct sti_db *db, char *err, size_t errlen)
{
	if (sqlite3_prepare_v2(db->h, sql_session, -1, &db->ins_session, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db->h, sql_peer, -1, &db->ins_peer, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db->h, sql_run, -1, &db->ins_run, NULL) != SQLITE_OK)
		return sql_fail(db, "cannot prepare", err, errlen);
	return true;
}

/* A missing file is created 0600 first: sessions are mail metadata. */
static bool create_private(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
		return false;
	}
	close(fd);
	return true;
}

/* Ready for writing: WAL (readers never wait for the writer), the schema
 * brought up to date, statements prepared. */
static bool open_for_writing(struct sti_db *db, char *err, size_t errlen)
{
	if (sqlite3_db_readonly(db->h, "main") == 1) {
		snprintf(err, errlen, "%s: read-only: cannot write the database", db->path);
		return false;
	}
	int64_t v = schema_version(db, err, errlen);
	if (v < 0)
		return false;
	if (v > STI_DB_SCHEMA_VERSION) {
		snprintf(err, errlen, "%s: schema version %lld is newer than this "
			 "program's %d", db->path, (long long)v, STI_DB_SCHEMA_VERSION);
		return false;
	}
	/* synchronous=NORMAL under WAL: a commit survives a crash of the
	 * process (what the issue asks), only power loss may undo the last. */
	if (!exec(db, "PRAGMA journal_mode=WAL", "cannot write", err, errlen) ||
	    !exec(db, "PRAGMA synchronous=NORMAL", "cannot write", err, errlen))
		return false;
	if (v < STI_DB_SCHEMA_VERSION && !migrate(db, v, err, errlen))
		return false;
	return prepare_writes(db, err, errlen);
}

static bool open_for_reading(struct sti_db *db, char *err, size_t errlen)
{
	int64_t v = schema_version(db, err, errlen);
	if (v < 0)
		return false;
	if (v == 0) {
		snprintf(err, errlen, "%s: not a starttls-inspect database (empty)", db->path);
		return false;
	}
	if (v > STI_DB_SCHEMA_VERSION) {
		snprintf(err, errlen, "%s: schema version %lld is newer than this "
			 "program's %d", db->path, (long long)v, STI_DB_SCHEMA_VERSION);
		return false;
	}
	return true;
}

struct sti_db *sti_db_open(const char *path, enum sti_db_access mode,
			   char *err, size_t errlen)
{
	bool write = mode == STI_DB_WRITE;
	if (access(path, F_OK) != 0) {
		if (!write || errno != ENOENT) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return NULL;
		}
		if (!create_private(path, err, errlen))
			return NULL;
	}
	struct sti_db *db = calloc(1, sizeof(*db));
	if (!db || !(db->path = strdup(path))) {
		free(db);
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	db->started = (int64_t)time(NULL) * 1000000;
	int flags = write ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY;
	if (sqlite3_open_v2(path, &db->h, flags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
			 db->h ? sqlite3_errmsg(db->h) : "out of memory");
		sti_db_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db->h, 5000);   /* a reader beside the service */
	bool ok = write ? open_for_writing(db, err, errlen) : open_for_reading(db, err, errlen);
	if (!ok) {
		sti_db_close(db);
		return NULL;
	}
	return db;
}

void sti_db_close(struct sti_db *db)
{
	if (!db)
		return;
	sqlite3_finalize(db->ins_session);
	sqlite3_finalize(db->ins_peer);
	sqlite3_finalize(db->ins_run);
	sqlite3_close(db->h);
	free(db->path);
	free(db);
}

const char *sti_db_path(const struct sti_db *db)
{
	return db->path;
}

/* The run an input's sessions belong to: one per input and program start. */
static int64_t run_id(struct sti_db *db, const char *input)
{
	for (unsigned i = 0; i < db->nruns; i++)
		if (strcmp(db->runs[i].input, input) == 0)
			return db->runs[i].id;
	sqlite3_stmt *st = db->ins_run;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, db->started);
	sqlite3_bind_text(st, 2, input, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE)
		return -1;
	struct run_entry *e = &db->runs[db->next_run];
	db->next_run = (db->next_run + 1) % RUN_CACHE;
	if (db->nruns < RUN_CACHE)
		db->nruns++;
	snprintf(e->input, sizeof(e->input), "%s", input);
	e->id = sqlite3_last_insert_rowid(db->h);
	return e->id;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

static bool insert_session(struct sti_db *db, int64_t run, const struct sti_db_row *r)
{
	sqlite3_stmt *st = db->ins_session;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)r->session);
	sqlite3_bind_int64(st, 3, r->first_ts);
	sqlite3_bind_int64(st, 4, r->last_ts);
	bind_text(st, 5, r->client_ip);
	sqlite3_bind_int(st, 6, r->client_port);
	bind_text(st, 7, r->server_ip);
	sqlite3_bind_int(st, 8, r->server_port);
	bind_text(st, 9, r->mode);
	bind_text(st, 10, r->client_name);
	bind_text(st, 11, r->server_name);
	bind_text(st, 12, r->banner);
	sqlite3_bind_int(st, 13, r->offered_version);
	sqlite3_bind_int(st, 14, r->chosen_version);
	sqlite3_bind_int(st, 15, r->negotiated_version);
	if (r->cipher >= 0)
		sqlite3_bind_int(st, 16, r->cipher);
	else
		sqlite3_bind_null(st, 16);
	bind_text(st, 17, r->outcome);
	bind_text(st, 18, r->cause);
	bind_text(st, 19, r->reason);
	bind_text(st, 20, r->confidence);
	return sqlite3_step(st) == SQLITE_DONE;
}

static bool upsert_peer(struct sti_db *db, const char *role, const char *ip,
			const char *name, const struct sti_db_row *r)
{
	sqlite3_stmt *st = db->ins_peer;
	sqlite3_reset(st);
	bind_text(st, 1, role);
	bind_text(st, 2, ip);
	bind_text(st, 3, name);
	sqlite3_bind_int64(st, 4, r->first_ts);
	sqlite3_bind_int64(st, 5, r->last_ts);
	sqlite3_bind_int(st, 6, r->offered_version);
	return sqlite3_step(st) == SQLITE_DONE;
}

static bool insert_row(struct sti_db *db, const struct sti_db_row *r)
{
	int64_t run = run_id(db, r->input);
	return run >= 0 && insert_session(db, run, r) &&
	       upsert_peer(db, "client", r->client_ip, r->client_name, r) &&
	       upsert_peer(db, "server", r->server_ip,
			   r->server_name[0] ? r->server_name : r->banner, r);
}

bool sti_db_insert(struct sti_db *db, const struct sti_db_row *rows, size_t n,
		   char *err, size_t errlen)
{
	if (!exec(db, "BEGIN IMMEDIATE", "cannot write", err, errlen))
		return false;
	unsigned nruns = db->nruns;
	for (size_t i = 0; i < n; i++) {
		if (!insert_row(db, &rows[i])) {
			sql_fail(db, "cannot write", err, errlen);
			sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
			db->nruns = nruns;   /* runs added here were rolled back */
			db->next_run = nruns % RUN_CACHE;
			return false;
		}
	}
	return exec(db, "COMMIT", "cannot write", err, errlen);
}

bool sti_db_expire(struct sti_db *db, int64_t before_us, uint64_t *deleted,
		   char *err, size_t errlen)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->h, "DELETE FROM sessions WHERE first_ts < ?1", -1, &st,
			       NULL) != SQLITE_OK)
		return sql_fail(db, "cannot expire", err, errlen);
	sqlite3_bind_int64(st, 1, before_us);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sql_fail(db, "cannot expire", err, errlen);
	*deleted = (uint64_t)sqlite3_changes(db->h);
	return true;
}

static void column_text(sqlite3_stmt *st, int i, char *out, size_t len)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	snprintf(out, len, "%s", t ? (const char *)t : "");
}

/* A stored integer within 0..max; anything else (a hostile file) is 0. */
static int64_t column_bounded(sqlite3_stmt *st, int i, int64_t max)
{
	int64_t v = sqlite3_column_int64(st, i);
	return v < 0 || v > max ? 0 : v;
}

static void read_row(sqlite3_stmt *st, struct sti_db_row *r)
{
	memset(r, 0, sizeof(*r));
	column_text(st, 0, r->input, sizeof(r->input));
	r->session = (uint64_t)column_bounded(st, 1, INT64_MAX);
	r->first_ts = sqlite3_column_int64(st, 2);
	r->last_ts = sqlite3_column_int64(st, 3);
	column_text(st, 4, r->client_ip, sizeof(r->client_ip));
	r->client_port = (uint16_t)column_bounded(st, 5, 65535);
	column_text(st, 6, r->server_ip, sizeof(r->server_ip));
	r->server_port = (uint16_t)column_bounded(st, 7, 65535);
	column_text(st, 8, r->mode, sizeof(r->mode));
	column_text(st, 9, r->client_name, sizeof(r->client_name));
	column_text(st, 10, r->server_name, sizeof(r->server_name));
	column_text(st, 11, r->banner, sizeof(r->banner));
	r->offered_version = (uint16_t)column_bounded(st, 12, 65535);
	r->chosen_version = (uint16_t)column_bounded(st, 13, 65535);
	r->negotiated_version = (uint16_t)column_bounded(st, 14, 65535);
	r->cipher = sqlite3_column_type(st, 15) == SQLITE_NULL ? -1
		    : (int32_t)column_bounded(st, 15, 65535);
	column_text(st, 16, r->outcome, sizeof(r->outcome));
	column_text(st, 17, r->cause, sizeof(r->cause));
	column_text(st, 18, r->reason, sizeof(r->reason));
	column_text(st, 19, r->confidence, sizeof(r->confidence));
}

bool sti_db_read(struct sti_db *db, int64_t since_us, sti_db_row_fn fn, void *ctx,
		 char *err, size_t errlen)
{
	static const char sql[] =
		"SELECT coalesce(r.input, ''), s.session, s.first_ts, s.last_ts, s.client_ip,"
		" s.client_port, s.server_ip, s.server_port, s.mode, s.client_name,"
		" s.server_name, s.banner, s.offered_version, s.chosen_version,"
		" s.negotiated_version, s.cipher, s.outcome, s.cause, s.reason, s.confidence"
		" FROM sessions s LEFT JOIN runs r ON r.id = s.run_id"
		" WHERE s.first_ts >= ?1 ORDER BY s.first_ts, s.id";
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		return sql_fail(db, "cannot read", err, errlen);
	sqlite3_bind_int64(st, 1, since_us);
	struct sti_db_row row;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_row(st, &row);
		fn(ctx, &row);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sql_fail(db, "cannot read", err, errlen);
	return true;
}
