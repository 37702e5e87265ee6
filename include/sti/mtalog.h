/*
 * mtalog.h - the MTA's own log beside the wire (--mta-log, SPEC 9.4).
 *
 * Parsing (mtalog.c): Postfix, Exim and Sendmail lines in RFC 3164 syslog,
 * RFC 5424 syslog, `journalctl -o short-iso` form and Exim's own main and
 * reject log; Exchange SMTP send and receive protocol logs (CSV with a
 * #Fields: header). The format is detected per file. Lines are grouped
 * into log sessions: one SMTP connection as the MTA saw it (Postfix and
 * Sendmail by process id, Exim by process id or message, Exchange by
 * session-id), each with the peer's address, the MTA's role and the time
 * span. The parser is incremental: any split of the input gives the same
 * sessions. Logs are untrusted input: every line is capped, every count is
 * capped, and what lies beyond a cap is counted, never kept.
 *
 * Joining (mtalog_join.c): each log session to one captured session, with
 * how sure the match is, and the clock skew between the two hosts.
 */
#ifndef STI_MTALOG_H
#define STI_MTALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sti/session.h"

#define STI_MTALOG_LINE_MAX 2048        /* bytes of a line read; the rest is dropped */
#define STI_MTALOG_TEXT_MAX 400         /* bytes of a line kept for the reports */
#define STI_MTALOG_SESSIONS_MAX 100000  /* log sessions kept in a run */
#define STI_MTALOG_LINES_MAX 100000     /* lines kept in a run (about 60 MB) */
#define STI_MTALOG_SESSION_LINES 64     /* lines kept per log session */
#define STI_MTALOG_FILES_MAX 64         /* --mta-log files */
#define STI_MTALOG_QID 32
#define STI_MTALOG_MSGID 128
#define STI_MTALOG_CANDIDATES 8         /* ambiguous: candidates named */

enum sti_mta { STI_MTA_POSTFIX, STI_MTA_EXIM, STI_MTA_SENDMAIL, STI_MTA_EXCHANGE };

/* Which end of the SMTP connection the MTA was. */
enum sti_mta_role { STI_MTA_SERVER, STI_MTA_CLIENT };

enum sti_mtalog_format {
	STI_MTALOG_UNKNOWN,
	STI_MTALOG_RFC3164,     /* "Dec  5 14:34:41 host prog[pid]: msg" */
	STI_MTALOG_RFC5424,     /* "<22>1 2026-12-05T14:34:41Z host prog pid - - msg" */
	STI_MTALOG_SHORT_ISO,   /* "2026-12-05T14:34:41+0000 host prog[pid]: msg" */
	STI_MTALOG_EXIM,        /* "2026-12-05 14:34:41 [pid] msg" (main/reject log) */
	STI_MTALOG_EXCHANGE     /* CSV protocol log */
};

enum sti_mta_match {
	STI_MTA_UNMATCHED,
	STI_MTA_EXACT,             /* both endpoints, or the client port, agree */
	STI_MTA_TIME_AND_ADDRESS,  /* one captured session fits address and time */
	STI_MTA_AMBIGUOUS          /* several fit; placed by connection order */
};

struct sti_mtalog_line {
	struct sti_mtalog_line *next;   /* the session's next line */
	uint32_t file;                  /* index of the --mta-log file */
	uint64_t lineno;                /* 1-based */
	int64_t ts_us;                  /* as logged, UTC when no zone is given */
	bool failure;                   /* the line reports an error or failure */
	uint16_t msg_off;               /* where the MTA's own words start in text */
	char queue_id[STI_MTALOG_QID];
	char message_id[STI_MTALOG_MSGID];
	char text[STI_MTALOG_TEXT_MAX + 1];  /* the line, control bytes as '?' */
};

struct sti_mtalog_session {
	enum sti_mta mta;
	enum sti_mta_role role;
	uint32_t file;
	struct sti_endpoint peer;       /* port 0: not logged */
	struct sti_endpoint local;      /* family 0: not logged (Exchange has it) */
	uint32_t pid;                   /* 0: none */
	int64_t first_ts, last_ts;
	bool failure;                   /* some line of it is a failure line */
	unsigned nlines, lines_dropped;
	struct sti_mtalog_line *first, *last;
	/* the join */
	enum sti_mta_match match;
	uint32_t capture;               /* capture file index (sti_mtalog_join) */
	uint64_t session_id;            /* captured session, 0: none */
	uint64_t candidates[STI_MTALOG_CANDIDATES];
	unsigned ncandidates;
};

struct sti_mtalog_stats {
	uint64_t lines;             /* read */
	uint64_t lines_kept;
	uint64_t lines_other;       /* not a line of a known MTA */
	uint64_t lines_unattached;  /* an MTA line with no session to go to */
	uint64_t lines_truncated;   /* longer than STI_MTALOG_LINE_MAX */
	uint64_t lines_over_cap;    /* past STI_MTALOG_LINES_MAX or per session */
	uint64_t sessions_over_cap; /* past STI_MTALOG_SESSIONS_MAX */
};

struct sti_mtalog;
struct sti_mtalog_reader;

struct sti_mtalog *sti_mtalog_new(void);
void sti_mtalog_free(struct sti_mtalog *log);

/*
 * Read a whole file ("-": standard input), gzip or plain. False with a
 * one-line message in err when it cannot be read; what was read before a
 * read error is kept.
 */
bool sti_mtalog_read_file(struct sti_mtalog *log, const char *path,
			  char *err, size_t errlen);

/*
 * The incremental parser under sti_mtalog_read_file. ref_ts (seconds):
 * RFC 3164 lines carry no year; they get the year that puts them at most
 * a day after ref_ts (the file's modification time). NULL when out of
 * memory or past STI_MTALOG_FILES_MAX.
 */
struct sti_mtalog_reader *sti_mtalog_reader_new(struct sti_mtalog *log,
						const char *name, int64_t ref_ts);
void sti_mtalog_feed(struct sti_mtalog_reader *r, const uint8_t *p, size_t n);
/* The last line without a newline, lines waiting for their session; frees r. */
void sti_mtalog_reader_end(struct sti_mtalog_reader *r);

size_t sti_mtalog_nsessions(const struct sti_mtalog *log);
struct sti_mtalog_session *sti_mtalog_session(struct sti_mtalog *log, size_t i);
const struct sti_mtalog_stats *sti_mtalog_stats(const struct sti_mtalog *log);
size_t sti_mtalog_nfiles(const struct sti_mtalog *log);
const char *sti_mtalog_file_name(const struct sti_mtalog *log, uint32_t file);
enum sti_mtalog_format sti_mtalog_file_format(const struct sti_mtalog *log, uint32_t file);

const char *sti_mta_name(enum sti_mta m);
const char *sti_mta_role_name(enum sti_mta_role r);
const char *sti_mta_match_name(enum sti_mta_match m);
const char *sti_mtalog_format_name(enum sti_mtalog_format f);

/* Every session and line, one per line: for tests and the fuzz target. */
void sti_mtalog_dump(const struct sti_mtalog *log, FILE *out);

/* ---- the join (mtalog_join.c) ---- */

/* What the join needs of a captured session. */
struct sti_mtajoin_cap {
	uint64_t id;
	struct sti_endpoint cli, srv;
	int64_t first_ts, last_ts;
	bool failed;            /* its verdict: a log reporting a failure prefers it */
};

struct sti_mtajoin_opts {
	bool skew_given;        /* --log-skew */
	int64_t skew_us;        /* log time minus capture time */
};

struct sti_mtajoin_result {
	bool skew_known;        /* estimated or given */
	bool skew_given;
	int64_t skew_us;        /* log time minus capture time */
	uint64_t skew_samples;  /* unambiguous matches it was estimated from */
	uint64_t matched[4];    /* by enum sti_mta_match, this capture */
};

/* The log time window around a captured session that still matches. */
#define STI_MTAJOIN_SLACK_US (2 * INT64_C(1000000))
/* Skew is estimated among matches within this much of the capture time. */
#define STI_MTAJOIN_SKEW_RANGE_US (15 * 60 * INT64_C(1000000))

/*
 * Join the log sessions not yet matched to the sessions of one capture
 * file (caps in any order; capture is its index in the run). Sessions
 * stay matched to the first capture that takes them.
 */
void sti_mtalog_join(struct sti_mtalog *log, uint32_t capture,
		     struct sti_mtajoin_cap *caps, size_t ncaps,
		     const struct sti_mtajoin_opts *o, struct sti_mtajoin_result *res);

/* The log sessions joined to one captured session, for the reporters. */
#define STI_MTALOG_JOINED_MAX 16
struct sti_mtalog_joined {
	size_t n;
	const struct sti_mtalog_session *s[STI_MTALOG_JOINED_MAX];
	const struct sti_mtalog *log;
};

/* Fill j with the log sessions of (capture, session id); false when none. */
bool sti_mtalog_joined_for(const struct sti_mtalog *log, uint32_t capture,
			   uint64_t id, struct sti_mtalog_joined *j);

/*
 * The MTA's words worth citing beside the wire's: the first failure line's
 * message, as "Postfix logged `...`". False when no line failed.
 */
bool sti_mtalog_citation(const struct sti_mtalog_joined *j, char *buf, size_t len);

/* --find: a line whose queue id or message id is q (<> optional), or
 * whose text contains q. */
bool sti_mtalog_line_matches(const struct sti_mtalog_line *l, const char *q);
bool sti_mtalog_joined_matches(const struct sti_mtalog_joined *j, const char *q);

/* What the reporters get after the last capture (reporter op mta_done). */
#define STI_MTALOG_UNMATCHED_LISTED 100
struct sti_mtalog_report {
	const struct sti_mtalog *log;
	size_t ncaptures;
	const char *const *capture_names;
	const struct sti_mtajoin_result *results;   /* one per capture */
};

/* Every failure line of a log session no capture took, in log order;
 * fn returns false to stop. */
void sti_mtalog_unmatched_failures(const struct sti_mtalog *log,
				   bool (*fn)(void *ctx, const struct sti_mtalog_session *s,
					      const struct sti_mtalog_line *l),
				   void *ctx);

/* "time_and_address", "exact", "ambiguous among #3, #4, #5" */
void sti_mtalog_match_str(const struct sti_mtalog_session *s, char *buf, size_t len);

#endif /* STI_MTALOG_H */
