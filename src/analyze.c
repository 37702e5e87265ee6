/*
 * analyze.c - the run: files, records, verdicts, reporters.
 */
#include "sti/analyze.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sti/anon.h"
#include "sti/evidence.h"
#include "sti/ingest.h"
#include "sti/record.h"

/*
 * Recent failed TLS attempts by (client address, server address), to spot
 * the plaintext retry that follows one. Direct-mapped and fixed in size: an
 * old entry may be overwritten, which only loses a hint.
 */
#define FALLBACK_SLOTS 4096

struct fallback_slot {
	struct sti_addr cli, srv;
	uint64_t id;        /* failed session, 0 = empty */
	int64_t start_ts;
};

struct sti_analysis {
	struct sti_session_cfg cfg;
	struct sti_policy policy;
	struct sti_reporter *rep;
	struct sti_tally run, file;
	const char *path;
	bool problems;
	struct sti_evidence *evidence;   /* -w, or NULL */
	const struct sti_anon *anon;     /* --anonymize, or NULL */
	struct fallback_slot fallback[FALLBACK_SLOTS];
};

struct sti_analysis *sti_analysis_new(const struct sti_session_cfg *cfg,
				      const struct sti_policy *policy,
				      struct sti_reporter *rep)
{
	struct sti_analysis *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->cfg = *cfg;
	a->policy = *policy;
	a->rep = rep;
	return a;
}

void sti_analysis_free(struct sti_analysis *a)
{
	free(a);
}

void sti_analysis_set_evidence(struct sti_analysis *a, struct sti_evidence *e)
{
	a->evidence = e;
}

void sti_analysis_set_anon(struct sti_analysis *a, const struct sti_anon *an)
{
	a->anon = an;
}

/* The one place reporters' input is pseudonymised; the evidence writer
 * gets the real record (its frames carry the real addresses). */
static void report_session(struct sti_analysis *a, const struct sti_record *rec,
			   const struct sti_verdict *v)
{
	if (!a->anon) {
		a->rep->ops->session(a->rep, a->path, rec, v);
		return;
	}
	struct sti_anon_record *ar = malloc(sizeof(*ar));
	if (!ar) {
		fprintf(stderr, "starttls-inspect: %s: out of memory: session %llu "
			"not reported\n", a->path, (unsigned long long)rec->id);
		return;
	}
	struct sti_verdict av = *v;
	sti_anon_record(a->anon, rec, ar);
	sti_anon_verdict(a->anon, &av);
	a->rep->ops->session(a->rep, a->path, &ar->rec, &av);
	free(ar);
}

static size_t pair_slot(const struct sti_addr *cli, const struct sti_addr *srv)
{
	uint64_t h = 1469598103934665603ull;
	for (int i = 0; i < 16; i++) {
		h = (h ^ cli->a[i]) * 1099511628211ull;
		h = (h ^ srv->a[i]) * 1099511628211ull;
	}
	return (size_t)(h % FALLBACK_SLOTS);
}

static bool same_addr(const struct sti_addr *x, const struct sti_addr *y)
{
	return x->family == y->family && memcmp(x->a, y->a, 16) == 0;
}

/* A session that never tried TLS, after a failed attempt between the pair. */
static void note_fallback(struct sti_analysis *a, struct sti_record *rec,
			  const struct sti_verdict *v)
{
	struct fallback_slot *s = &a->fallback[pair_slot(&rec->cli.addr, &rec->srv.addr)];
	bool pair = s->id && same_addr(&s->cli, &rec->cli.addr) &&
		    same_addr(&s->srv, &rec->srv.addr);
	if (v->outcome == STI_OUTCOME_FAILED && rec->tls) {
		s->cli = rec->cli.addr;
		s->srv = rec->srv.addr;
		s->id = rec->id;
		s->start_ts = rec->first_ts;
		return;
	}
	if (pair && rec->mode == STI_MODE_PLAINTEXT && rec->first_ts >= s->start_ts &&
	    rec->id != s->id)
		rec->fallback_after = s->id;
}

static void on_record(void *ctx, struct sti_record *rec)
{
	struct sti_analysis *a = ctx;
	struct sti_verdict v;
	sti_verdict_decide(rec, &a->policy, &v);
	note_fallback(a, rec, &v);
	if (v.outcome == STI_OUTCOME_FAILED || v.outcome == STI_OUTCOME_DEPRECATED)
		a->problems = true;
	sti_tally_add(&a->file, &v);
	sti_tally_add(&a->run, &v);
	if (a->evidence)
		sti_evidence_session(a->evidence, rec, &v);
	report_session(a, rec, &v);
}

/* Park the frames of this source's sessions for the evidence pcap. */
static bool start_evidence(struct sti_analysis *a, struct sti_table *t,
			   char *err, size_t errlen)
{
	if (!a->evidence)
		return true;
	if (!sti_evidence_begin(a->evidence, err, errlen))
		return false;
	sti_table_set_tap(t, sti_evidence_tap, sti_evidence_gone, a->evidence);
	return true;
}

bool sti_analysis_file(struct sti_analysis *a, const char *path)
{
	struct sti_ingest_stats st;
	memset(&st, 0, sizeof(st));
	memset(&a->file, 0, sizeof(a->file));
	memset(a->fallback, 0, sizeof(a->fallback));   /* ids are per file */
	a->path = path;
	struct sti_recorder *r = sti_recorder_new(&a->cfg, on_record, a);
	struct sti_table *t = r ? sti_table_new(&a->cfg, &sti_recorder_ops, r) : NULL;
	if (!t) {
		sti_recorder_free(r);
		fprintf(stderr, "starttls-inspect: %s: out of memory\n", path);
		return false;
	}
	char err[512], line[700], everr[512];
	bool evidence_ok = start_evidence(a, t, everr, sizeof(everr));
	enum sti_ingest_rc rc = sti_ingest_file(path, t, &st, err, sizeof(err));
	sti_table_free(t);   /* closes every open session: reported */
	sti_recorder_free(r);
	const char *msg = NULL;
	if (rc != STI_INGEST_OK) {
		snprintf(line, sizeof(line), "%s: %s", path, err);
		msg = line;
	}
	/* Sessions gathered before a read error are still written. */
	if (evidence_ok && a->evidence && (rc == STI_INGEST_OK || rc == STI_INGEST_READ_ERROR))
		evidence_ok = sti_evidence_flush(a->evidence, st.dlt, true, everr, sizeof(everr));
	a->rep->ops->file_done(a->rep, path, &st, &a->file, msg);
	if (msg || !evidence_ok)
		fflush(a->rep->out);
	if (msg)
		fprintf(stderr, "starttls-inspect: %s\n", msg);
	if (!evidence_ok)
		fprintf(stderr, "starttls-inspect: %s\n", everr);
	return rc == STI_INGEST_OK && evidence_ok;
}

bool sti_analysis_finish(struct sti_analysis *a)
{
	a->rep->ops->finish(a->rep, &a->run);
	fflush(a->rep->out);
	return a->problems;
}
