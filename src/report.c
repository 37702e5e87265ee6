/*
 * report.c - what every reporter shares.
 */
#include "sti/report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void sti_report_time(char *buf, size_t len, int64_t ts_us, bool localtime)
{
	time_t t = (time_t)(ts_us / 1000000);
	struct tm tm;
	bool ok = localtime ? localtime_r(&t, &tm) != NULL : gmtime_r(&t, &tm) != NULL;
	if (!ok || !strftime(buf, len, localtime ? "%Y-%m-%d %H:%M:%S %Z"
			     : "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, len, "%" PRId64, ts_us / 1000000);
}

void sti_tally_add(struct sti_tally *t, const struct sti_verdict *v)
{
	t->sessions++;
	if ((unsigned)v->outcome < STI_OUTCOME_COUNT)
		t->by_outcome[v->outcome]++;
	if ((unsigned)v->cause < STI_CAUSE_COUNT)
		t->by_cause[v->cause]++;
	if ((unsigned)v->reason < STI_REASON_COUNT)
		t->by_reason[v->reason]++;
}

FILE *sti_fopen_private(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *f = NULL;
	if (fd >= 0 && fchmod(fd, 0600) == 0)
		f = fdopen(fd, "w");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	return f;
}

bool sti_reporter_ladder_wanted(struct sti_reporter *r, const struct sti_record *rec,
				const struct sti_verdict *v)
{
	if (!r->prints_ladder)
		return false;
	return r->ops->ladder_wanted ? r->ops->ladder_wanted(r, rec, v) : true;
}

/* ---- the tee ---- */

struct tee {
	struct sti_reporter base;   /* first: the ops get &base */
	struct sti_reporter *a, *b;
};

static void tee_session(struct sti_reporter *r, const char *file,
			const struct sti_record *rec, const struct sti_verdict *v)
{
	struct tee *t = (struct tee *)r;
	t->a->ops->session(t->a, file, rec, v);
	t->b->ops->session(t->b, file, rec, v);
}

static void tee_file_done(struct sti_reporter *r, const char *file,
			  const struct sti_ingest_stats *st,
			  const struct sti_tally *tally, const char *error)
{
	struct tee *t = (struct tee *)r;
	t->a->ops->file_done(t->a, file, st, tally, error);
	t->b->ops->file_done(t->b, file, st, tally, error);
}

static void tee_mta_done(struct sti_reporter *r, const struct sti_mtalog_report *m)
{
	struct tee *t = (struct tee *)r;
	if (t->a->ops->mta_done)
		t->a->ops->mta_done(t->a, m);
	if (t->b->ops->mta_done)
		t->b->ops->mta_done(t->b, m);
}

static void tee_finish(struct sti_reporter *r, const struct sti_tally *tally)
{
	struct tee *t = (struct tee *)r;
	t->a->ops->finish(t->a, tally);
	t->b->ops->finish(t->b, tally);
	fflush(t->b->out);
}

static bool tee_ladder_wanted(struct sti_reporter *r, const struct sti_record *rec,
			      const struct sti_verdict *v)
{
	struct tee *t = (struct tee *)r;
	return sti_reporter_ladder_wanted(t->a, rec, v) || sti_reporter_ladder_wanted(t->b, rec, v);
}

static void tee_destroy(struct sti_reporter *r)
{
	struct tee *t = (struct tee *)r;
	if (!t)
		return;
	t->a->ops->destroy(t->a);
	t->b->ops->destroy(t->b);
	free(t);
}

static const struct sti_reporter_ops tee_ops = {
	.session = tee_session,
	.file_done = tee_file_done,
	.mta_done = tee_mta_done,
	.finish = tee_finish,
	.destroy = tee_destroy,
	.ladder_wanted = tee_ladder_wanted,
};

struct sti_reporter *sti_report_tee_new(struct sti_reporter *a, struct sti_reporter *b)
{
	struct tee *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->base.ops = &tee_ops;
	t->base.prints_ladder = a->prints_ladder || b->prints_ladder;
	t->base.out = a->out;
	t->base.opts = a->opts;
	t->a = a;
	t->b = b;
	return &t->base;
}
