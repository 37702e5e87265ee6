/*
 * report_db.h - sessions into the SQLite store and back (--db, SPEC 9.6).
 *
 * The writer is a reporter: each session becomes a row in a queue that a
 * thread of its own commits in batches (every STI_DB_BATCH_US or
 * STI_DB_BATCH_ROWS rows), so a live capture never waits for the disk, and
 * a crash loses at most the batch not yet committed. The replay reads rows
 * back as records and verdicts into any reporter: the inventory of --summary
 * is then computed by the same code whether it comes from captures or from
 * the database.
 */
#ifndef STI_REPORT_DB_H
#define STI_REPORT_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sti/service_db.h"
#include "sti/session_record.h"
#include "sti/report.h"
#include "sti/verdict.h"

#define STI_DB_BATCH_US 1000000
#define STI_DB_BATCH_ROWS 512
/* Rows waiting when the database stalls; past this they are counted and
 * dropped rather than letting memory grow or the capture wait. */
#define STI_DB_QUEUE_MAX 16384

/* A session as a row (input: the file or interface it came from). */
void sti_db_row_from_record(const struct sti_record *rec, const struct sti_verdict *v,
			    const char *input, struct sti_db_row *row);

/*
 * The writer: owns db (closed on destroy). keep_us > 0 deletes sessions
 * older than that at start and every hour (--db-keep). NULL when out of
 * memory or the thread cannot start (err set).
 */
struct sti_reporter *sti_report_db_new(struct sti_db *db, int64_t keep_us,
				       char *err, size_t errlen);
/* Commit everything queued and stop the thread; false (err set) when a
 * batch could not be written or rows were dropped. Destroy still needed. */
bool sti_report_db_drain(struct sti_reporter *r, char *err, size_t errlen);

/* Sessions from since_us on into rep's session(); each verdict is added
 * to tally. False with err set on a read error. */
bool sti_db_replay(struct sti_db *db, int64_t since_us, struct sti_reporter *rep,
		   struct sti_tally *tally, char *err, size_t errlen);

#endif /* STI_REPORT_DB_H */
