/*
 * fuzz_pipeline.c - the whole program on one capture file held in memory:
 * libpcap, decode, sessions, reassembly, SMTP, TLS, the record, the verdict
 * and both reporters (text and NDJSON, written to /dev/null).
 *
 * The input is written to a memfd and opened by its /proc/self/fd path, so
 * the file goes through the same sti_analysis_file() as a capture named on
 * the command line, error paths included. The session cap is small so that
 * eviction runs too. A key log (keylog_seed.h) is set, as with --keylog.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sti/analyze.h"
#include "sti/report.h"
#include "sti/session.h"
#include "sti/verdict.h"

#include "keylog_seed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_SESSIONS 8

/* One reporter that hands everything to the text and the JSON reporter. */
struct fanout {
	struct sti_reporter base;
	struct sti_reporter *to[2];
};

static void fan_session(struct sti_reporter *r, const char *file,
			const struct sti_record *rec, const struct sti_verdict *v)
{
	struct fanout *f = (struct fanout *)r;
	for (int i = 0; i < 2; i++)
		f->to[i]->ops->session(f->to[i], file, rec, v);
}

static void fan_file_done(struct sti_reporter *r, const char *file,
			  const struct sti_ingest_stats *st,
			  const struct sti_tally *tally, const char *error)
{
	struct fanout *f = (struct fanout *)r;
	for (int i = 0; i < 2; i++)
		f->to[i]->ops->file_done(f->to[i], file, st, tally, error);
}

static void fan_finish(struct sti_reporter *r, const struct sti_tally *tally)
{
	struct fanout *f = (struct fanout *)r;
	for (int i = 0; i < 2; i++)
		f->to[i]->ops->finish(f->to[i], tally);
}

static void fan_destroy(struct sti_reporter *r)
{
	struct fanout *f = (struct fanout *)r;
	for (int i = 0; i < 2; i++)
		f->to[i]->ops->destroy(f->to[i]);
}

static const struct sti_reporter_ops fanout_ops = {
	.session = fan_session, .file_done = fan_file_done, .finish = fan_finish,
	.destroy = fan_destroy,
};

static int memfd = -1;
static char path[64];
static FILE *sink;

/* Once: the memfd, the output, and stderr quieted (every bad capture
 * prints its one-line error there; sanitizer reports go to fd 2 itself). */
static void setup(void)
{
	memfd = memfd_create("sti-fuzz-capture", 0);
	sink = fopen("/dev/null", "w");
	FILE *quiet = fopen("/dev/null", "w");
	if (memfd < 0 || !sink || !quiet)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	stderr = quiet;
}

static void load(const uint8_t *data, size_t size)
{
	if (ftruncate(memfd, 0) != 0)
		abort();
	size_t done = 0;
	while (done < size) {
		ssize_t w = pwrite(memfd, data + done, size - done, (off_t)done);
		if (w <= 0)
			abort();
		done += (size_t)w;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (memfd < 0)
		setup();
	load(data, size);
	struct sti_session_cfg cfg;
	struct sti_policy policy;
	sti_session_cfg_defaults(&cfg);
	cfg.max_sessions = FUZZ_MAX_SESSIONS;
	sti_policy_defaults(&policy);
	struct sti_report_opts ro = { .color = size & 1, .min_version = policy.min_version };
	/* the text reporter prints ladders: their text is fuzzed too */
	struct fanout fan = { .base = { &fanout_ops, sink, ro, true } };
	fan.to[0] = sti_report_text_new(sink, &ro);
	fan.to[1] = sti_report_json_new(sink, &ro);
	struct sti_analysis *a = sti_analysis_new(&cfg, &policy, &fan.base);
	if (!fan.to[0] || !fan.to[1] || !a)
		abort();
	sti_analysis_set_keylog(a, fuzz_keylog());
	sti_analysis_file(a, path);
	sti_analysis_finish(a);
	sti_analysis_free(a);
	fan_destroy(&fan.base);
	return 0;
}
