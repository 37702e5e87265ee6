/*
 * capture_ingest.h - one capture source through decode into a session table.
 */
#ifndef STI_CAPTURE_INGEST_H
#define STI_CAPTURE_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sti/decode.h"
#include "sti/session.h"

struct sti_ingest_stats {
	uint64_t frames;
	uint64_t bytes;                           /* captured bytes */
	uint64_t by_status[STI_DEC_STATUS_COUNT]; /* what decode made of them */
	int dlt;
	/* A live capture: the kernel's counters and the session table's at the
	 * end, for the closing summary. */
	bool live;
	bool kernel_valid;
	uint64_t kernel_received, kernel_dropped, kernel_if_dropped;
	uint64_t sessions_open;                   /* when the capture stopped */
	struct sti_table_stats table;
};

enum sti_ingest_rc {
	STI_INGEST_OK,
	STI_INGEST_OPEN_FAILED,   /* err: libpcap's reason */
	STI_INGEST_BAD_LINKTYPE,  /* err names the link type */
	STI_INGEST_READ_ERROR,    /* err names the frame; sessions so far kept */
	STI_INGEST_TRUNCATED      /* every frame read, but the file is cut inside
				   * its last record: err is the warning */
};

/*
 * Read every frame of `path` ("-" for standard input) into `t`. The table is
 * not flushed: the caller decides when the input has ended. `err` gets a
 * message without the file name.
 */
enum sti_ingest_rc sti_ingest_file(const char *path, struct sti_table *t,
				   struct sti_ingest_stats *st, char *err,
				   size_t errlen);

/* One frame of link type dlt (caplen of wirelen bytes captured): decode,
 * count, hand TCP to the table. */
void sti_ingest_frame(struct sti_table *t, int dlt, uint64_t number,
		      int64_t ts_us, const uint8_t *data, uint32_t caplen,
		      uint32_t wirelen, struct sti_ingest_stats *st);

#endif /* STI_CAPTURE_INGEST_H */
