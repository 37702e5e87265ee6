/*
 * analyze.h - one run: capture files through the session table and the
 * record stage, each record through the verdict, every verdict to a
 * reporter, and the cross-session facts (opportunistic-TLS fallback).
 */
#ifndef STI_ANALYZE_H
#define STI_ANALYZE_H

#include <stdbool.h>
#include <stdint.h>

#include "sti/report.h"
#include "sti/session.h"
#include "sti/verdict.h"

struct sti_analysis;

struct sti_analysis *sti_analysis_new(const struct sti_session_cfg *cfg,
				      const struct sti_policy *policy,
				      struct sti_reporter *rep);
void sti_analysis_free(struct sti_analysis *a);

struct sti_evidence;
/* Also write an evidence pcap (-w); the caller keeps ownership. */
void sti_analysis_set_evidence(struct sti_analysis *a, struct sti_evidence *e);

struct sti_keylog;
/* Decrypt with this key log (--keylog); the caller keeps ownership. */
void sti_analysis_set_keylog(struct sti_analysis *a, struct sti_keylog *kl);

struct sti_anon;
/*
 * The selection (--only, --session, --host, or the default). Given
 * explicitly, reporters and the exit status see only the sessions it
 * matches; the evidence writer applies its own copy.
 */
void sti_analysis_set_selection(struct sti_analysis *a, const struct sti_selection *sel);
/* How many sessions the selection matched so far. */
uint64_t sti_analysis_selected(const struct sti_analysis *a);

/* Reporters get records and verdicts with pseudonyms (--anonymize). */
void sti_analysis_set_anon(struct sti_analysis *a, const struct sti_anon *an);

struct sti_mtalog;
struct sti_mtajoin_opts;
/*
 * --mta-log: join the log's sessions to each capture file's sessions (a
 * first pass over the file gathers them; standard input is copied to a
 * temporary file for it) and hand the joined lines to the reporters. With
 * find, only sessions joined to a matching line are reported (--find).
 * The caller keeps the log. False when out of memory.
 */
bool sti_analysis_set_mtalog(struct sti_analysis *a, struct sti_mtalog *log,
			     const struct sti_mtajoin_opts *o, const char *find);

struct sti_metrics;
/* Count sessions and capture counters into m (--metrics); the caller
 * keeps ownership. A live capture updates them several times a second. */
void sti_analysis_set_metrics(struct sti_analysis *a, struct sti_metrics *m);

/*
 * Analyse one capture file ("-" for standard input). On an input error the
 * sessions gathered so far are still reported, the error goes to stderr as
 * one line naming the file, and false is returned.
 */
bool sti_analysis_file(struct sti_analysis *a, const char *path);

/* A live capture (-i) and when to stop it. */
struct sti_live_opts {
	const char *iface;
	const char *filter_extra;   /* -f: narrows the port filter, or NULL */
	int snaplen;
	int buffer_kib;             /* -B; 0: libpcap's default (2 MiB) */
	uint64_t count;             /* stop after this many frames, 0: never */
	int64_t duration_us;        /* stop after this long, 0: never */
	const char *user;           /* -Z, or NULL for "nobody" when root */
};

/*
 * Capture live until a signal (SIGINT/SIGTERM), the count or the duration
 * stops it. Verdicts are reported as soon as they are final; at the end
 * every open session is reported and the kernel's counters go to the
 * reporter. Root is given up once the capture is open (sti_live.h).
 * False on an error (one line on stderr); sessions seen are still reported.
 */
bool sti_analysis_live(struct sti_analysis *a, const struct sti_live_opts *lo);

/* The closing summary; true when some session was failed or deprecated. */
bool sti_analysis_finish(struct sti_analysis *a);

#endif /* STI_ANALYZE_H */
