/*
 * report.h - the reporters: how verdicts reach a person or a pipeline.
 *
 * A reporter gets every reported session of every input file with its
 * verdict, the end of each file, and the end of the run. Two exist: text
 * (the default, for a terminal) and NDJSON (--json, for log pipelines).
 * Reporters keep memory bounded: the text reporter parks the sessions it
 * prints in detail in temporary files, never in RAM.
 */
#ifndef STI_REPORT_H
#define STI_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sti/capture_ingest.h"
#include "sti/session_record.h"
#include "sti/evidence_select.h"
#include "sti/verdict.h"

struct sti_report_opts {
	bool color;                /* ANSI colour (text only) */
	uint16_t min_version;      /* the policy minimum, for headers */
	bool redact;               /* markdown: envelope addresses left out */
	bool live;                 /* a live capture: verdicts as they come,
				      the input is an interface */
	bool flush_lines;          /* each line flushed as it is written: the
				      input is live (an interface, or a
				      pipe on standard input) */
	bool full;                 /* text: every session it gets in full
				      (an explicit selection was given) */
	bool brief;                /* text: one line per session, grouped */
	bool localtime;            /* times in local time, not UTC */
	const char *evidence_path; /* -w FILE, named by the report, or NULL */
	struct sti_evidence *evidence; /* its writer: the report gives frames
				      as numbered there too; or NULL */
	bool mta_find;             /* --find: every session shown in detail */
	bool dated;                /* inventory text: a "last seen" column
				      (--summary from a database) */
};

/* "2026-11-27 19:41:00 UTC" (or local time with its zone): ts_us in
 * microseconds since the epoch. */
void sti_report_time(char *buf, size_t len, int64_t ts_us, bool localtime);

/* Counts by outcome, cause and reason, per file and per run. */
struct sti_tally {
	uint64_t sessions;
	uint64_t by_outcome[STI_OUTCOME_COUNT];
	uint64_t by_cause[STI_CAUSE_COUNT];
	uint64_t by_reason[STI_REASON_COUNT];
	/* --keylog (SPEC 9.3): sessions with a record decrypted; log lines
	 * no session matched, and lines that could not be read (run only). */
	bool keylog;
	uint64_t decrypted;
	uint64_t keylog_unused, keylog_malformed;
};

void sti_tally_add(struct sti_tally *t, const struct sti_verdict *v);

struct sti_reporter;
struct sti_evidence;
struct sti_mtalog_report;   /* sti/mtalog.h */

struct sti_reporter_ops {
	/* One session of `file` ("-" for standard input). */
	void (*session)(struct sti_reporter *r, const char *file,
			const struct sti_record *rec, const struct sti_verdict *v);
	/* The file ended (or failed: error is its one-line message, else NULL). */
	void (*file_done)(struct sti_reporter *r, const char *file,
			  const struct sti_ingest_stats *st,
			  const struct sti_tally *tally, const char *error);
	/* The run ended: the closing summary. */
	void (*finish)(struct sti_reporter *r, const struct sti_tally *tally);
	void (*destroy)(struct sti_reporter *r);
	/* --mta-log, after the last file and before finish: the skew and the
	 * log's failures with no captured session. May be NULL. */
	void (*mta_done)(struct sti_reporter *r, const struct sti_mtalog_report *m);
	/* Whether session() will print this session's ladder (the record's
	 * rows are then written first: sti_record_ladder_fill). May be NULL:
	 * then every session's when prints_ladder is set. */
	bool (*ladder_wanted)(struct sti_reporter *r, const struct sti_record *rec,
			      const struct sti_verdict *v);
};

struct sti_reporter {
	const struct sti_reporter_ops *ops;
	FILE *out;
	struct sti_report_opts opts;
	bool prints_ladder;   /* reads the ladder rows' text */
};

/* The ladder_wanted op's answer, or prints_ladder without one. */
bool sti_reporter_ladder_wanted(struct sti_reporter *r, const struct sti_record *rec,
				const struct sti_verdict *v);

struct sti_reporter *sti_report_text_new(FILE *out, const struct sti_report_opts *o);
struct sti_reporter *sti_report_json_new(FILE *out, const struct sti_report_opts *o);
/* --brief: a line per session, identical verdicts of a pair grouped. */
struct sti_reporter *sti_report_brief_new(FILE *out, const struct sti_report_opts *o);

/*
 * The ticket report (--report FILE.md, --format markdown): a Markdown
 * document that stands on its own: capture names and time span, the policy,
 * counts by outcome, cause and reason, then every session the selection
 * picks with its verdict, ladder, decisive frames and a Wireshark filter.
 */
struct sti_reporter *sti_report_markdown_new(FILE *out, const struct sti_report_opts *o,
					     const struct sti_selection *sel);

/* Both reporters get every call, a first; destroying the tee destroys both. */
struct sti_reporter *sti_report_tee_new(struct sti_reporter *a, struct sti_reporter *b);

/* The text reporter's ladder diagram of a session (shared by markdown). */
void sti_report_ladder(FILE *f, const struct sti_record *rec);

/* Create or truncate path for writing, mode 0600 even if it existed: the
 * outputs may hold mail metadata. NULL with err set on failure. */
FILE *sti_fopen_private(const char *path, char *err, size_t errlen);

/* Community ID v1 (corelight/community-id-spec), seed 0, TCP: "1:..." */
void sti_community_id(const struct sti_endpoint *a, const struct sti_endpoint *b,
		      uint8_t proto, uint16_t seed, char out[32]);

#endif /* STI_REPORT_H */
