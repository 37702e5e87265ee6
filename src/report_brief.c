/*
 * report_brief.c - the triage view (--brief, SPEC 9.5): one line per
 * session, the sessions of a client and server with the same verdict and
 * versions grouped into one line with their count and time span.
 *
 *   time (UTC)                    sessions  client      server            outcome ...
 *   2026-11-27 19:41:00           #1        192.0.2.10  198.51.100.25:25  ok      ...
 *   2026-11-27 19:41:02-19:41:06  6x #12    192.0.2.10  198.51.100.31:25  failed  ...
 *
 * Groups are held until their input file ends (a live capture prints each
 * session as it comes, ungrouped), at most GROUPS_MAX at once: when that
 * many are held they are printed and a new batch starts, so memory stays
 * bounded whatever the input.
 */
#include "sti/report.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sti/tls_hello.h"

#define GROUPS_MAX 4096

struct group {
	struct sti_addr cli;
	struct sti_endpoint srv;
	enum sti_outcome outcome;
	enum sti_cause cause;
	enum sti_reason reason;
	uint16_t offered, negotiated;   /* 0: none */
	uint64_t first_id, count;
	int64_t first_ts, last_ts;
};

struct brief_reporter {
	struct sti_reporter base;   /* first: the ops get &base */
	struct group *groups;
	size_t ngroups;
	bool header_done, wrote;
	struct sti_tally run;
};

static struct brief_reporter *brief_of(struct sti_reporter *r)
{
	return (struct brief_reporter *)r;
}

static void fill_group(struct group *g, const struct sti_record *rec,
		       const struct sti_verdict *v)
{
	memset(g, 0, sizeof(*g));
	g->cli = rec->cli.addr;
	g->srv = rec->srv;
	g->outcome = v->outcome;
	g->cause = v->cause;
	g->reason = v->reason;
	if (rec->tls && rec->tls->have_ch)
		g->offered = rec->tls->ch.max_version;
	if (rec->tls && rec->tls->have_sh)
		g->negotiated = rec->tls->sh.version;
	g->first_id = rec->id;
	g->count = 1;
	g->first_ts = rec->first_ts;
	g->last_ts = rec->first_ts;
}

static bool same_group(const struct group *a, const struct group *b)
{
	return a->cli.family == b->cli.family && memcmp(a->cli.a, b->cli.a, 16) == 0 &&
	       a->srv.addr.family == b->srv.addr.family &&
	       memcmp(a->srv.addr.a, b->srv.addr.a, 16) == 0 && a->srv.port == b->srv.port &&
	       a->outcome == b->outcome && a->cause == b->cause && a->reason == b->reason &&
	       a->offered == b->offered && a->negotiated == b->negotiated;
}

/* The columns of one line, as text. */
struct cols {
	char when[96], count[40], cli[64], srv[80], versions[40];
};

static void version_or_dash(uint16_t v, char *buf, size_t len)
{
	char raw[16];
	snprintf(buf, len, "%s", v ? sti_tls_version_name(v, raw, sizeof(raw)) : "-");
}

static void format_group(const struct group *g, bool localtime, struct cols *c)
{
	char a[64], off[16], neg[16];
	sti_report_time(c->when, sizeof(c->when), g->first_ts, localtime);
	/* The zone is in the column heading, not on every line. */
	char *zone = strrchr(c->when, ' ');
	if (zone && zone > c->when + 10)
		*zone = '\0';
	if (g->count == 1)
		snprintf(c->count, sizeof(c->count), "#%" PRIu64, g->first_id);
	else
		snprintf(c->count, sizeof(c->count), "%" PRIu64 "x #%" PRIu64, g->count,
			 g->first_id);
	sti_addr_str(&g->cli, c->cli, sizeof(c->cli));
	sti_addr_str(&g->srv.addr, a, sizeof(a));
	snprintf(c->srv, sizeof(c->srv), g->srv.addr.family == 6 ? "[%s]:%u" : "%s:%u", a,
		 (unsigned)g->srv.port);
	version_or_dash(g->offered, off, sizeof(off));
	version_or_dash(g->negotiated, neg, sizeof(neg));
	snprintf(c->versions, sizeof(c->versions), "%s/%s", off, neg);
	if (g->count > 1) {
		/* "2026-11-27 19:41:00-19:41:06": to the last one's time of day */
		char end[64];
		size_t n = strlen(c->when);
		sti_report_time(end, sizeof(end), g->last_ts, localtime);
		snprintf(c->when + n, sizeof(c->when) - n, "-%.8s",
			 strlen(end) >= 19 ? end + 11 : end);
	}
}

struct widths {
	int when, count, cli, srv, outcome, cause, reason;
};

static void widen(int *w, const char *s)
{
	int n = (int)strlen(s);
	if (n > *w)
		*w = n;
}

static void put_line(FILE *f, const struct widths *w, const struct group *g,
		     const struct cols *c)
{
	fprintf(f, "%-*s  %-*s  %-*s  %-*s  %-*s  %-*s  %-*s  %s\n",
		w->when, c->when, w->count, c->count, w->cli, c->cli, w->srv, c->srv,
		w->outcome, sti_outcome_name(g->outcome), w->cause, sti_cause_name(g->cause),
		w->reason, sti_reason_name(g->reason), c->versions);
}

static int by_time(const void *x, const void *y)
{
	const struct group *a = x, *b = y;
	if (a->first_ts != b->first_ts)
		return a->first_ts < b->first_ts ? -1 : 1;
	return a->first_id < b->first_id ? -1 : a->first_id > b->first_id;
}

static const char *heading_time(bool localtime)
{
	return localtime ? "time (local)" : "time (UTC)";
}

/* The held groups, in time order, under a column heading. */
static void print_groups(struct brief_reporter *b)
{
	FILE *f = b->base.out;
	bool lt = b->base.opts.localtime;
	struct widths w = { 0, 0, 0, 0, 0, 0, 0 };
	struct cols c;
	if (!b->ngroups)
		return;
	qsort(b->groups, b->ngroups, sizeof(*b->groups), by_time);
	widen(&w.when, heading_time(lt));
	widen(&w.count, "sessions");
	widen(&w.cli, "client");
	widen(&w.srv, "server");
	widen(&w.outcome, "outcome");
	widen(&w.cause, "cause");
	widen(&w.reason, "reason");
	for (size_t i = 0; i < b->ngroups; i++) {
		const struct group *g = &b->groups[i];
		format_group(g, lt, &c);
		widen(&w.when, c.when);
		widen(&w.count, c.count);
		widen(&w.cli, c.cli);
		widen(&w.srv, c.srv);
		widen(&w.outcome, sti_outcome_name(g->outcome));
		widen(&w.cause, sti_cause_name(g->cause));
		widen(&w.reason, sti_reason_name(g->reason));
	}
	fprintf(f, "%-*s  %-*s  %-*s  %-*s  %-*s  %-*s  %-*s  %s\n", w.when, heading_time(lt),
		w.count, "sessions", w.cli, "client", w.srv, "server", w.outcome, "outcome",
		w.cause, "cause", w.reason, "reason", "TLS offered/negotiated");
	for (size_t i = 0; i < b->ngroups; i++) {
		format_group(&b->groups[i], lt, &c);
		put_line(f, &w, &b->groups[i], &c);
	}
	b->ngroups = 0;
}

static void file_header(struct brief_reporter *b, const char *file)
{
	if (b->header_done)
		return;
	b->header_done = true;
	fprintf(b->base.out, "%s== %s ==\n", b->wrote ? "\n" : "",
		!file ? "(unnamed input)" : strcmp(file, "-") == 0 ? "standard input" : file);
}

static void brief_session(struct sti_reporter *r, const char *file,
			  const struct sti_record *rec, const struct sti_verdict *v)
{
	struct brief_reporter *b = brief_of(r);
	struct group g;
	sti_tally_add(&b->run, v);
	file_header(b, file);
	fill_group(&g, rec, v);
	for (size_t i = 0; i < b->ngroups && !r->opts.live; i++) {
		struct group *h = &b->groups[i];
		if (!same_group(h, &g))
			continue;
		h->count++;
		if (g.first_ts < h->first_ts) {
			h->first_ts = g.first_ts;
			h->first_id = g.first_id;
		}
		if (g.last_ts > h->last_ts)
			h->last_ts = g.last_ts;
		return;
	}
	if (b->ngroups == GROUPS_MAX)
		print_groups(b);
	b->groups[b->ngroups++] = g;
	if (r->opts.live) {
		print_groups(b);
		fflush(r->out);
	}
}

static void brief_file_done(struct sti_reporter *r, const char *file,
			    const struct sti_ingest_stats *st,
			    const struct sti_tally *tally, const char *error)
{
	struct brief_reporter *b = brief_of(r);
	(void)st;
	(void)tally;
	if (!error || b->header_done)
		file_header(b, file);
	print_groups(b);
	fflush(r->out);
	b->wrote = b->wrote || b->header_done;
	b->header_done = false;
}

static void brief_finish(struct sti_reporter *r, const struct sti_tally *tally)
{
	struct brief_reporter *b = brief_of(r);
	print_groups(b);
	if (!tally)
		tally = &b->run;
	fprintf(r->out, "%ssessions: %" PRIu64, b->wrote ? "\n" : "", tally->sessions);
	for (int o = 0; o < STI_OUTCOME_COUNT; o++)
		fprintf(r->out, "  %s: %" PRIu64, sti_outcome_name((enum sti_outcome)o),
			tally->by_outcome[o]);
	fputc('\n', r->out);
	fflush(r->out);
}

static void brief_destroy(struct sti_reporter *r)
{
	struct brief_reporter *b = brief_of(r);
	if (!b)
		return;
	free(b->groups);
	free(b);
}

static const struct sti_reporter_ops brief_ops = {
	.session = brief_session,
	.file_done = brief_file_done,
	.finish = brief_finish,
	.destroy = brief_destroy,
};

struct sti_reporter *sti_report_brief_new(FILE *out, const struct sti_report_opts *o)
{
	struct brief_reporter *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->groups = malloc(GROUPS_MAX * sizeof(*b->groups));
	if (!b->groups) {
		free(b);
		return NULL;
	}
	b->base.ops = &brief_ops;
	b->base.out = out;
	if (o)
		b->base.opts = *o;
	return &b->base;
}
