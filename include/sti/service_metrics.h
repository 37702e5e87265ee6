/*
 * service_metrics.h - the service's counters (--metrics, --metrics-listen; SPEC
 * 9.6) and their text formats: Prometheus text 0.0.4 (node_exporter's
 * textfile collector) and OpenMetrics 1.0.
 *
 * Fed by analyze.c: each reported session with its verdict, and the
 * capture's counters (packets, kernel drops, malformed frames, open and
 * evicted sessions) as they move. Read by the file writer and the HTTP
 * endpoint from other threads: every call takes the module's lock, and
 * none of them does I/O under it.
 */
#ifndef STI_SERVICE_METRICS_H
#define STI_SERVICE_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sti/capture_ingest.h"
#include "sti/session_record.h"
#include "sti/verdict.h"

/* Negotiated versions counted apart; anything else is "other". */
enum sti_metrics_version {
	STI_MV_NONE, STI_MV_SSL2, STI_MV_SSL3, STI_MV_TLS10, STI_MV_TLS11,
	STI_MV_TLS12, STI_MV_TLS13, STI_MV_OTHER, STI_MV_COUNT
};

struct sti_metrics_counts {
	uint64_t by_outcome[STI_OUTCOME_COUNT];
	uint64_t by_cause[STI_CAUSE_COUNT];
	uint64_t by_reason[STI_REASON_COUNT];
	uint64_t by_version[STI_MV_COUNT];
	uint64_t packets, malformed, evicted;
	uint64_t kernel_dropped, interface_dropped;
	uint64_t open_sessions;              /* a gauge */
};

struct sti_metrics;

struct sti_metrics *sti_metrics_new(void);
void sti_metrics_free(struct sti_metrics *m);

void sti_metrics_session(struct sti_metrics *m, const struct sti_record *rec,
			 const struct sti_verdict *v);
/*
 * The current input's counters (totals so far) and its open sessions;
 * `ended` adds them to the run's totals, so several inputs add up.
 */
void sti_metrics_input(struct sti_metrics *m, const struct sti_ingest_stats *st,
		       uint64_t open_sessions, uint64_t evicted, bool ended);

void sti_metrics_snapshot(struct sti_metrics *m, struct sti_metrics_counts *out);

enum sti_metrics_format { STI_METRICS_PROMETHEUS, STI_METRICS_OPENMETRICS };
#define STI_METRICS_PROMETHEUS_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define STI_METRICS_OPENMETRICS_TYPE \
	"application/openmetrics-text; version=1.0.0; charset=utf-8"

/* The text of c (a few KiB) to out. */
void sti_metrics_render(const struct sti_metrics_counts *c, enum sti_metrics_format f,
			FILE *out);

/*
 * --metrics FILE: a thread writes FILE every interval_s seconds and once
 * more at stop, atomically (a temporary file beside it, then rename), in
 * the textfile collector's format. A first write happens at start: a bad
 * path fails here, with err set.
 */
struct sti_metrics_file;
struct sti_metrics_file *sti_metrics_file_start(struct sti_metrics *m, const char *path,
						unsigned interval_s, char *err, size_t errlen);
/* The final write and the end of the thread; false (err) if a write failed. */
bool sti_metrics_file_stop(struct sti_metrics_file *f, char *err, size_t errlen);

#endif /* STI_SERVICE_METRICS_H */
