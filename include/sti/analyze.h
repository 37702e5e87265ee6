/*
 * analyze.h - one run: capture files through the session table and the
 * record stage, each record through the verdict, every verdict to a
 * reporter, and the cross-session facts (opportunistic-TLS fallback).
 */
#ifndef STI_ANALYZE_H
#define STI_ANALYZE_H

#include <stdbool.h>

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

struct sti_anon;
/* Reporters get records and verdicts with pseudonyms (--anonymize). */
void sti_analysis_set_anon(struct sti_analysis *a, const struct sti_anon *an);

/*
 * Analyse one capture file ("-" for standard input). On an input error the
 * sessions gathered so far are still reported, the error goes to stderr as
 * one line naming the file, and false is returned.
 */
bool sti_analysis_file(struct sti_analysis *a, const char *path);

/* The closing summary; true when some session was failed or deprecated. */
bool sti_analysis_finish(struct sti_analysis *a);

#endif /* STI_ANALYZE_H */
