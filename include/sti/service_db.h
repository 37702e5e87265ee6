/*
 * service_db.h - the SQLite store (--db, SPEC 9.6): every session of every run and
 * a per-peer inventory, kept across runs and restarts. The schema is
 * versioned and documented in docs/database.md; opening an older database
 * migrates it, a newer or foreign one is refused.
 *
 * This module only stores and reads rows. Turning records into rows, the
 * batching writer and the replay into a reporter are report_db.h's.
 */
#ifndef STI_SERVICE_DB_H
#define STI_SERVICE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STI_DB_SCHEMA_VERSION 2
#define STI_DB_TEXT 128   /* names, banner, input: longer ones are cut */

/* One session as stored. Versions are wire values (0x0303 is TLS 1.2),
 * 0 when absent; times are microseconds since the epoch. */
struct sti_db_row {
	char input[STI_DB_TEXT];        /* the capture file or interface */
	uint64_t session;               /* the session's number in its input */
	int64_t first_ts, last_ts;
	char client_ip[48], server_ip[48];
	uint16_t client_port, server_port;
	char mode[16];                  /* sti_mode_name() */
	char client_name[STI_DB_TEXT];  /* EHLO/HELO argument */
	char server_name[STI_DB_TEXT];  /* SNI */
	char banner[STI_DB_TEXT];       /* the greeting's text */
	uint16_t offered_version;       /* ClientHello maximum */
	uint16_t chosen_version;        /* ServerHello (not a retry request) */
	uint16_t negotiated_version;    /* of an established handshake */
	int32_t cipher;                 /* ServerHello suite, -1 none */
	char outcome[24], cause[24], reason[48], confidence[16];
};

struct sti_db;

enum sti_db_access { STI_DB_READ, STI_DB_WRITE };

/*
 * Open path. STI_DB_WRITE creates it when missing (mode 0600), migrates an
 * older schema and turns on WAL; STI_DB_READ needs an existing database of
 * this schema version or older and never changes it. NULL with err set
 * ("PATH: what is wrong") when the file is not a database, is another
 * program's database, has a newer schema or cannot be opened as asked.
 */
struct sti_db *sti_db_open(const char *path, enum sti_db_access access,
			   char *err, size_t errlen);
void sti_db_close(struct sti_db *db);
const char *sti_db_path(const struct sti_db *db);

/* Add rows in one transaction, each under a run (one per input name and
 * program start) and into the peers table. False with err set. */
bool sti_db_insert(struct sti_db *db, const struct sti_db_row *rows, size_t n,
		   char *err, size_t errlen);

/* Retention: delete sessions that started before `before_us`. */
bool sti_db_expire(struct sti_db *db, int64_t before_us, uint64_t *deleted,
		   char *err, size_t errlen);

/* Every session that started at or after since_us, oldest first. */
typedef void (*sti_db_row_fn)(void *ctx, const struct sti_db_row *row);
bool sti_db_read(struct sti_db *db, int64_t since_us, sti_db_row_fn fn, void *ctx,
		 char *err, size_t errlen);

#endif /* STI_SERVICE_DB_H */
