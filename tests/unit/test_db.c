/*
 * test_db.c - the SQLite store: rows round-trip, the batching writer, the
 * replay into the inventory, retention, migration from schema 1, and the
 * files it refuses (not a database, another program's, a newer schema).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sti/service_db.h"
#include "sti/inventory.h"
#include "sti/report_db.h"
#include "sti/smtp.h"
#include "sti/tls.h"

static char dir[] = "/tmp/test_db.XXXXXX";

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/test_db.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *path_of(const char *name)
{
	static char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static void sql(const char *path, const char *text)
{
	sqlite3 *h;
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, text, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

static int64_t sql_int(const char *path, const char *text)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, text, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

/* A TLS 1.0 session from 192.0.2.<cli> to 198.51.100.25 at `ts` seconds. */
struct sess {
	struct sti_record rec;
	struct sti_smtp_facts smtp;
	struct sti_tls_facts tls;
	struct sti_tls_facts_room room;   /* what tls points to */
	struct sti_verdict v;
};

static void make_session(struct sess *s, uint8_t cli, int64_t ts, uint16_t offer)
{
	memset(s, 0, sizeof(*s));
	sti_tls_facts_init(&s->tls, &s->room);
	s->rec.id = cli;
	s->rec.first_ts = ts * 1000000;
	s->rec.last_ts = ts * 1000000 + 500000;
	s->rec.cli.addr.family = s->rec.srv.addr.family = 4;
	memcpy(s->rec.cli.addr.a, (uint8_t[]){ 192, 0, 2, cli }, 4);
	memcpy(s->rec.srv.addr.a, (uint8_t[]){ 198, 51, 100, 25 }, 4);
	s->rec.cli.port = 40000;
	s->rec.srv.port = 25;
	s->rec.mode = STI_MODE_STARTTLS;
	s->rec.smtp = &s->smtp;
	sti_smtp_facts_blank(&s->smtp);
	s->smtp.hello_name = "old.example.test";
	s->smtp.greeting_seen = true;
	s->smtp.greeting.text = "mx.example.test ESMTP";
	s->tls.have_ch = true;
	s->tls.ch.max_version = offer;
	strcpy(s->tls.ch.sni, "mx.example.test");
	s->tls.have_sh = true;
	s->tls.sh.version = offer;
	s->tls.sh.cipher = 0xc014;
	s->tls.established = true;
	s->tls.version = offer;
	s->rec.tls = &s->tls;
	s->v.outcome = offer < 0x0303 ? STI_OUTCOME_DEPRECATED : STI_OUTCOME_OK;
	s->v.cause = offer < 0x0303 ? STI_CAUSE_CLIENT : STI_CAUSE_NONE;
	s->v.reason = offer < 0x0303 ? STI_REASON_VERSION_BELOW_POLICY : STI_REASON_TLS_OK;
	s->v.confidence = STI_CERTAIN;
}

static void test_row_from_record(void **state)
{
	(void)state;
	struct sess s;
	struct sti_db_row r;
	make_session(&s, 10, 1700000000, 0x0301);
	sti_db_row_from_record(&s.rec, &s.v, "eth0", &r);
	assert_string_equal(r.input, "eth0");
	assert_string_equal(r.client_ip, "192.0.2.10");
	assert_string_equal(r.server_ip, "198.51.100.25");
	assert_int_equal(r.server_port, 25);
	assert_string_equal(r.mode, "starttls");
	assert_string_equal(r.client_name, "old.example.test");
	assert_string_equal(r.server_name, "mx.example.test");
	assert_string_equal(r.banner, "mx.example.test ESMTP");
	assert_int_equal(r.offered_version, 0x0301);
	assert_int_equal(r.negotiated_version, 0x0301);
	assert_int_equal(r.cipher, 0xc014);
	assert_string_equal(r.outcome, "deprecated");
	assert_string_equal(r.cause, "client");
	assert_string_equal(r.reason, "version_below_policy");
	assert_string_equal(r.confidence, "certain");
	assert_true(r.first_ts == INT64_C(1700000000000000));
}

/* A reporter that only fills an inventory, to look at its rows. */
struct inv_only {
	struct sti_reporter base;
	struct sti_inventory *inv;
};

static void inv_only_session(struct sti_reporter *r, const char *file,
			     const struct sti_record *rec, const struct sti_verdict *v)
{
	(void)file;
	sti_inventory_add(((struct inv_only *)r)->inv, rec, v);
}

static const struct sti_reporter_ops inv_only_ops = { .session = inv_only_session };

/* Rows through the writer thread, then back through the replay into the
 * inventory: the client that offered at most TLS 1.0 breaks at 1.2. */
static void test_write_then_replay(void **state)
{
	(void)state;
	char err[512];
	const char *p = path_of("w.db");
	struct sti_db *db = sti_db_open(p, STI_DB_WRITE, err, sizeof(err));
	assert_non_null(db);
	struct sti_reporter *w = sti_report_db_new(db, 0, err, sizeof(err));
	assert_non_null(w);
	struct sess s;
	for (uint8_t i = 1; i <= 3; i++) {
		make_session(&s, i, 1700000000 + i, i == 1 ? 0x0301 : 0x0303);
		w->ops->session(w, "a.pcap", &s.rec, &s.v);
	}
	assert_true(sti_report_db_drain(w, err, sizeof(err)));
	w->ops->destroy(w);
	assert_int_equal(sql_int(p, "SELECT count(*) FROM sessions"), 3);
	assert_int_equal(sql_int(p, "SELECT count(*) FROM runs"), 1);
	assert_int_equal(sql_int(p, "SELECT sessions FROM peers WHERE role='server'"), 3);
	assert_int_equal(sql_int(p, "SELECT offered_low FROM peers WHERE role='server'"), 0x0301);

	struct stat sb;
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);

	db = sti_db_open(p, STI_DB_READ, err, sizeof(err));
	assert_non_null(db);
	struct inv_only io = { .base.ops = &inv_only_ops, .inv = sti_inventory_new(0x0303) };
	struct sti_reporter *inv = &io.base;
	struct sti_tally tally;
	memset(&tally, 0, sizeof(tally));
	assert_true(sti_db_replay(db, 1700000002 * INT64_C(1000000), inv, &tally, err,
				  sizeof(err)));
	assert_int_equal(tally.sessions, 2);   /* --since left the first out */
	assert_int_equal(tally.by_outcome[STI_OUTCOME_OK], 2);
	sti_inventory_free(io.inv);
	io.inv = sti_inventory_new(0x0303);
	memset(&tally, 0, sizeof(tally));
	assert_true(sti_db_replay(db, INT64_MIN, inv, &tally, err, sizeof(err)));
	assert_int_equal(tally.sessions, 3);
	assert_int_equal(tally.by_outcome[STI_OUTCOME_DEPRECATED], 1);
	size_t nrows;
	uint64_t dropped;
	const struct sti_inv_peer *const *rows = sti_inventory_rows(io.inv, &nrows, &dropped);
	assert_int_equal(nrows, 4);   /* three clients, one server */
	assert_int_equal(rows[0]->role, STI_INV_CLIENT);
	assert_int_equal(rows[0]->addr.a[3], 1);   /* the TLS 1.0 one breaks */
	assert_int_equal(sti_inventory_risk(io.inv, rows[0]), STI_INV_BREAKS);
	assert_string_equal(rows[0]->name, "old.example.test");
	assert_true(rows[0]->last_seen == INT64_C(1700000001500000));
	assert_int_equal(sti_inventory_risk(io.inv, rows[1]), STI_INV_SAFE);
	assert_int_equal(rows[3]->role, STI_INV_SERVER);
	assert_string_equal(rows[3]->name, "mx.example.test");
	assert_int_equal(rows[3]->sessions, 3);
	sti_inventory_free(io.inv);
	sti_db_close(db);
}

static void count_row(void *ctx, const struct sti_db_row *row)
{
	uint64_t *n = ctx;
	assert_string_equal(row->input, "a");
	(*n)++;
}

static void test_retention(void **state)
{
	(void)state;
	char err[512];
	const char *p = path_of("keep.db");
	struct sti_db *db = sti_db_open(p, STI_DB_WRITE, err, sizeof(err));
	assert_non_null(db);
	struct sess s;
	struct sti_db_row rows[2];
	make_session(&s, 1, 1000, 0x0303);
	sti_db_row_from_record(&s.rec, &s.v, "a", &rows[0]);
	make_session(&s, 2, 2000, 0x0303);
	sti_db_row_from_record(&s.rec, &s.v, "a", &rows[1]);
	assert_true(sti_db_insert(db, rows, 2, err, sizeof(err)));
	uint64_t deleted = 0;
	assert_true(sti_db_expire(db, 1500 * INT64_C(1000000), &deleted, err, sizeof(err)));
	assert_int_equal(deleted, 1);
	uint64_t n = 0;
	assert_true(sti_db_read(db, INT64_MIN, count_row, &n, err, sizeof(err)));
	assert_int_equal(n, 1);
	sti_db_close(db);
	assert_int_equal(sql_int(p, "SELECT count(*) FROM sessions"), 1);
	/* The per-peer inventory keeps what retention removed. */
	assert_int_equal(sql_int(p, "SELECT sessions FROM peers WHERE role='server'"), 2);
}

/* Schema 1 (no peers table) as an earlier release wrote it. */
static void test_migration_from_1(void **state)
{
	(void)state;
	char err[512];
	const char *p = path_of("v1.db");
	sql(p, "CREATE TABLE sti_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	       "INSERT INTO sti_meta VALUES('application','starttls-inspect'),"
	       "('schema_version','1');"
	       "CREATE TABLE runs(id INTEGER PRIMARY KEY, started INTEGER NOT NULL,"
	       " input TEXT NOT NULL, program_version TEXT NOT NULL);"
	       "CREATE TABLE sessions(id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL,"
	       " session INTEGER NOT NULL, first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL,"
	       " client_ip TEXT NOT NULL, client_port INTEGER NOT NULL, server_ip TEXT NOT NULL,"
	       " server_port INTEGER NOT NULL, mode TEXT NOT NULL, client_name TEXT NOT NULL,"
	       " server_name TEXT NOT NULL, banner TEXT NOT NULL, offered_version INTEGER NOT NULL,"
	       " chosen_version INTEGER NOT NULL, negotiated_version INTEGER NOT NULL,"
	       " cipher INTEGER, outcome TEXT NOT NULL, cause TEXT NOT NULL, reason TEXT NOT NULL,"
	       " confidence TEXT NOT NULL);"
	       "INSERT INTO runs VALUES(1, 0, 'old.pcap', '0.0.9');"
	       "INSERT INTO sessions VALUES(1, 1, 1, 5, 6, '192.0.2.1', 1025, '198.51.100.1', 25,"
	       " 'starttls', 'a.test', '', '', 769, 769, 769, 49172, 'deprecated', 'client',"
	       " 'version_below_policy', 'certain'),"
	       /* Later names do not replace the first; a server without a
		* name is known by its banner, as sti_db_insert keeps it. */
	       "(2, 1, 2, 7, 9, '192.0.2.1', 1026, '198.51.100.1', 25,"
	       " 'starttls', 'z.test', '', 'mx.test ESMTP', 771, 771, 771, 49199, 'ok', 'none',"
	       " 'established', 'certain'),"
	       "(3, 1, 3, 8, 10, '192.0.2.1', 1027, '198.51.100.1', 25,"
	       " 'starttls', '', 'b.test', '', 0, 0, 0, NULL, 'failed', 'unknown',"
	       " 'no_handshake', 'possible');");
	/* Reading never migrates; writing does, and keeps the rows. */
	struct sti_db *db = sti_db_open(p, STI_DB_READ, err, sizeof(err));
	assert_non_null(db);
	sti_db_close(db);
	assert_int_equal(sql_int(p, "SELECT value FROM sti_meta WHERE key='schema_version'"), 1);
	db = sti_db_open(p, STI_DB_WRITE, err, sizeof(err));
	assert_non_null(db);
	sti_db_close(db);
	assert_int_equal(sql_int(p, "SELECT value FROM sti_meta WHERE key='schema_version'"),
			 STI_DB_SCHEMA_VERSION);
	assert_int_equal(sql_int(p, "SELECT offered_low FROM peers WHERE ip='192.0.2.1'"), 769);
	assert_int_equal(sql_int(p, "SELECT offered_high FROM peers WHERE ip='192.0.2.1'"), 771);
	assert_int_equal(sql_int(p, "SELECT sessions FROM peers WHERE ip='198.51.100.1'"), 3);
	assert_int_equal(sql_int(p, "SELECT first_seen * 100 + last_seen FROM peers"
				    " WHERE ip='192.0.2.1'"), 510);
	assert_int_equal(sql_int(p, "SELECT name = 'a.test' FROM peers WHERE ip='192.0.2.1'"), 1);
	assert_int_equal(sql_int(p, "SELECT name = 'mx.test ESMTP' FROM peers"
				    " WHERE ip='198.51.100.1'"), 1);
	assert_int_equal(sql_int(p, "SELECT count(*) FROM sessions"), 3);
	assert_int_equal(sql_int(p, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
}

static void test_refused(void **state)
{
	(void)state;
	char err[512];
	const char *p = path_of("junk.db");
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	for (int i = 0; i < 4096; i++)
		fputc(i * 7 % 251, f);
	fclose(f);
	assert_null(sti_db_open(p, STI_DB_WRITE, err, sizeof(err)));
	assert_non_null(strstr(err, "junk.db: not a starttls-inspect database"));

	p = path_of("foreign.db");
	sql(p, "CREATE TABLE mail(id INTEGER)");
	assert_null(sti_db_open(p, STI_DB_READ, err, sizeof(err)));
	assert_non_null(strstr(err, "another program's tables"));

	p = path_of("newer.db");
	struct sti_db *db = sti_db_open(p, STI_DB_WRITE, err, sizeof(err));
	assert_non_null(db);
	sti_db_close(db);
	sql(p, "UPDATE sti_meta SET value='99' WHERE key='schema_version'");
	assert_null(sti_db_open(p, STI_DB_WRITE, err, sizeof(err)));
	assert_non_null(strstr(err, "schema version 99 is newer than this program's 2"));

	assert_null(sti_db_open(path_of("missing.db"), STI_DB_READ, err, sizeof(err)));
	assert_non_null(strstr(err, "missing.db: No such file or directory"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_row_from_record),
		cmocka_unit_test(test_write_then_replay),
		cmocka_unit_test(test_retention),
		cmocka_unit_test(test_migration_from_1),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
