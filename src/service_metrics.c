/*
 * service_metrics.c - counters, their Prometheus/OpenMetrics text, and the
 * textfile writer.
 */
#include "sti/service_metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sti/tls.h"

struct sti_metrics {
	pthread_mutex_t mu;
	struct sti_metrics_counts c;
	/* the inputs that ended, so that the current one adds to them */
	uint64_t done_packets, done_malformed, done_evicted, done_kdrop, done_ifdrop;
};

struct sti_metrics *sti_metrics_new(void)
{
	struct sti_metrics *m = calloc(1, sizeof(*m));
	if (m)
		pthread_mutex_init(&m->mu, NULL);
	return m;
}

void sti_metrics_free(struct sti_metrics *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->mu);
	free(m);
}

static enum sti_metrics_version version_of(const struct sti_record *rec)
{
	if (!rec->tls || !rec->tls->established)
		return STI_MV_NONE;
	switch (rec->tls->version) {
	case 0x0002: return STI_MV_SSL2;
	case 0x0300: return STI_MV_SSL3;
	case 0x0301: return STI_MV_TLS10;
	case 0x0302: return STI_MV_TLS11;
	case 0x0303: return STI_MV_TLS12;
	case 0x0304: return STI_MV_TLS13;
	default: return STI_MV_OTHER;
	}
}

void sti_metrics_session(struct sti_metrics *m, const struct sti_record *rec,
			 const struct sti_verdict *v)
{
	enum sti_metrics_version ver = version_of(rec);
	pthread_mutex_lock(&m->mu);
	if ((unsigned)v->outcome < STI_OUTCOME_COUNT)
		m->c.by_outcome[v->outcome]++;
	if ((unsigned)v->cause < STI_CAUSE_COUNT)
		m->c.by_cause[v->cause]++;
	if ((unsigned)v->reason < STI_REASON_COUNT)
		m->c.by_reason[v->reason]++;
	m->c.by_version[ver]++;
	pthread_mutex_unlock(&m->mu);
}

void sti_metrics_input(struct sti_metrics *m, const struct sti_ingest_stats *st,
		       uint64_t open_sessions, uint64_t evicted, bool ended)
{
	uint64_t malformed = st->by_status[STI_DEC_MALFORMED] + st->by_status[STI_DEC_TRUNCATED];
	pthread_mutex_lock(&m->mu);
	m->c.packets = m->done_packets + st->frames;
	m->c.malformed = m->done_malformed + malformed;
	m->c.evicted = m->done_evicted + evicted;
	m->c.kernel_dropped = m->done_kdrop + st->kernel_dropped;
	m->c.interface_dropped = m->done_ifdrop + st->kernel_if_dropped;
	m->c.open_sessions = ended ? 0 : open_sessions;
	if (ended) {
		m->done_packets = m->c.packets;
		m->done_malformed = m->c.malformed;
		m->done_evicted = m->c.evicted;
		m->done_kdrop = m->c.kernel_dropped;
		m->done_ifdrop = m->c.interface_dropped;
	}
	pthread_mutex_unlock(&m->mu);
}

void sti_metrics_snapshot(struct sti_metrics *m, struct sti_metrics_counts *out)
{
	pthread_mutex_lock(&m->mu);
	*out = m->c;
	pthread_mutex_unlock(&m->mu);
}

/* ---- the text ---- */

struct text {
	FILE *out;
	enum sti_metrics_format f;
};

/* HELP and TYPE of a family. A counter's samples end in _total; in
 * OpenMetrics the family is named without it. */
static void family(struct text *t, const char *name, bool counter, const char *help)
{
	const char *suffix = counter && t->f == STI_METRICS_PROMETHEUS ? "_total" : "";
	fprintf(t->out, "# HELP starttls_inspect_%s%s %s\n", name, suffix, help);
	fprintf(t->out, "# TYPE starttls_inspect_%s%s %s\n", name, suffix, counter ? "counter" : "gauge");
}

static void sample(struct text *t, const char *name, bool counter, const char *label,
		   const char *value, uint64_t n)
{
	fprintf(t->out, "starttls_inspect_%s%s", name, counter ? "_total" : "");
	if (label)
		fprintf(t->out, "{%s=\"%s\"}", label, value);
	fprintf(t->out, " %llu\n", (unsigned long long)n);
}

static void scalar(struct text *t, const char *name, bool counter, const char *help,
		   uint64_t n)
{
	family(t, name, counter, help);
	sample(t, name, counter, NULL, NULL, n);
}

static const char *const version_labels[STI_MV_COUNT] = {
	"none", "ssl2", "ssl3", "1.0", "1.1", "1.2", "1.3", "other",
};

static void by_verdict(struct text *t, const struct sti_metrics_counts *c)
{
	family(t, "sessions", true, "Sessions reported, by verdict outcome.");
	for (unsigned i = 0; i < STI_OUTCOME_COUNT; i++)
		sample(t, "sessions", true, "outcome", sti_outcome_name((enum sti_outcome)i),
		       c->by_outcome[i]);
	family(t, "sessions_by_cause", true, "Sessions reported, by the side that must change.");
	for (unsigned i = 0; i < STI_CAUSE_COUNT; i++)
		sample(t, "sessions_by_cause", true, "cause", sti_cause_name((enum sti_cause)i),
		       c->by_cause[i]);
	family(t, "sessions_by_reason", true, "Sessions reported, by verdict reason.");
	for (unsigned i = 0; i < STI_REASON_COUNT; i++)
		sample(t, "sessions_by_reason", true, "reason",
		       sti_reason_name((enum sti_reason)i), c->by_reason[i]);
	family(t, "sessions_by_version", true,
	       "Sessions reported, by negotiated TLS version (none: not established).");
	for (unsigned i = 0; i < STI_MV_COUNT; i++)
		sample(t, "sessions_by_version", true, "version", version_labels[i],
		       c->by_version[i]);
}

void sti_metrics_render(const struct sti_metrics_counts *c, enum sti_metrics_format f,
			FILE *out)
{
	struct text t = { .out = out, .f = f };
	by_verdict(&t, c);
	scalar(&t, "packets", true, "Packets captured and read.", c->packets);
	scalar(&t, "malformed_frames", true, "Frames whose headers were truncated or "
	       "contradict themselves.", c->malformed);
	scalar(&t, "kernel_dropped_packets", true, "Packets the kernel dropped for lack of "
	       "buffer space (live capture).", c->kernel_dropped);
	scalar(&t, "interface_dropped_packets", true, "Packets the interface or its driver "
	       "dropped (live capture).", c->interface_dropped);
	scalar(&t, "sessions_evicted", true, "Sessions evicted from a full session table.",
	       c->evicted);
	scalar(&t, "open_sessions", false, "Sessions being followed now.", c->open_sessions);
	if (f == STI_METRICS_OPENMETRICS)
		fputs("# EOF\n", out);
}

/* ---- --metrics FILE ---- */

struct sti_metrics_file {
	struct sti_metrics *m;
	char *path, *tmp;
	unsigned interval_s;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t wake;
	bool stop, failed;
	char error[512];
};

/* The whole text to a temporary file, then renamed over the file: the
 * collector never reads half a file. */
static bool write_file(struct sti_metrics_file *f, char *err, size_t errlen)
{
	struct sti_metrics_counts c;
	sti_metrics_snapshot(f->m, &c);
	int fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!out) {
		snprintf(err, errlen, "--metrics %s: %s", f->tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	sti_metrics_render(&c, STI_METRICS_PROMETHEUS, out);
	bool ok = !ferror(out);
	ok &= fclose(out) == 0;
	if (ok && rename(f->tmp, f->path) == 0)
		return true;
	snprintf(err, errlen, "--metrics %s: %s", ok ? f->path : f->tmp, strerror(errno));
	unlink(f->tmp);
	return false;
}

static void *file_main(void *arg)
{
	struct sti_metrics_file *f = arg;
	char err[512];
	pthread_mutex_lock(&f->mu);
	for (;;) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += f->interval_s;
		while (!f->stop &&
		       pthread_cond_timedwait(&f->wake, &f->mu, &until) != ETIMEDOUT)
			;
		bool stopping = f->stop;
		pthread_mutex_unlock(&f->mu);
		bool ok = write_file(f, err, sizeof(err));
		pthread_mutex_lock(&f->mu);
		if (!ok && !f->failed) {
			f->failed = true;
			snprintf(f->error, sizeof(f->error), "%s", err);
			fprintf(stderr, "starttls-inspect: %s\n", err);
		}
		if (stopping)
			break;
	}
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

static void file_free(struct sti_metrics_file *f)
{
	pthread_cond_destroy(&f->wake);
	pthread_mutex_destroy(&f->mu);
	free(f->path);
	free(f->tmp);
	free(f);
}

struct sti_metrics_file *sti_metrics_file_start(struct sti_metrics *m, const char *path,
						unsigned interval_s, char *err, size_t errlen)
{
	struct sti_metrics_file *f = calloc(1, sizeof(*f));
	size_t n = strlen(path) + 8;
	if (!f || !(f->path = strdup(path)) || !(f->tmp = malloc(n))) {
		if (f)
			free(f->path);
		free(f);
		snprintf(err, errlen, "--metrics %s: out of memory", path);
		return NULL;
	}
	/* Beside the file (same file system: rename is atomic); the
	 * textfile collector reads only *.prom, so ".tmp" is never read. */
	snprintf(f->tmp, n, "%s.tmp", path);
	f->m = m;
	f->interval_s = interval_s;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->wake, NULL);
	if (!write_file(f, err, errlen)) {
		file_free(f);
		return NULL;
	}
	int rc = pthread_create(&f->thread, NULL, file_main, f);
	if (rc != 0) {
		snprintf(err, errlen, "--metrics %s: cannot start the writer: %s", path,
			 strerror(rc));
		file_free(f);
		return NULL;
	}
	return f;
}

bool sti_metrics_file_stop(struct sti_metrics_file *f, char *err, size_t errlen)
{
	if (!f)
		return true;
	pthread_mutex_lock(&f->mu);
	f->stop = true;
	pthread_cond_signal(&f->wake);
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->thread, NULL);
	bool ok = !f->failed;
	if (!ok)
		snprintf(err, errlen, "%s", f->error);
	file_free(f);
	return ok;
}
