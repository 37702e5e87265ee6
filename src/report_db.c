/*
 * report_db.c - the batching database writer (a reporter with a thread of
 * its own), and the replay of stored sessions into a reporter.
 */
#include "sti/grow.h"
#include "sti/report_db.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sti/smtp.h"
#include "sti/tls.h"

#define EXPIRE_EVERY_US (3600 * INT64_C(1000000))

/* ---- record to row ---- */

static void copy_text(char *dst, size_t len, const char *src, size_t max)
{
	size_t n = strnlen(src, max);
	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void sti_db_row_from_record(const struct sti_record *rec, const struct sti_verdict *v,
			    const char *input, struct sti_db_row *row)
{
	memset(row, 0, sizeof(*row));
	copy_text(row->input, sizeof(row->input), input, SIZE_MAX);
	row->session = rec->id;
	row->first_ts = rec->first_ts;
	row->last_ts = rec->last_ts;
	sti_addr_str(&rec->cli.addr, row->client_ip, sizeof(row->client_ip));
	sti_addr_str(&rec->srv.addr, row->server_ip, sizeof(row->server_ip));
	row->client_port = rec->cli.port;
	row->server_port = rec->srv.port;
	copy_text(row->mode, sizeof(row->mode), sti_mode_name(rec->mode), SIZE_MAX);
	const struct sti_smtp_facts *s = rec->smtp;
	if (s) {
		copy_text(row->client_name, sizeof(row->client_name), s->hello_name,
			  STI_SMTP_NAME_MAX);
		if (s->greeting_seen)
			copy_text(row->banner, sizeof(row->banner), s->greeting.text,
				  STI_SMTP_TEXT_MAX);
	}
	const struct sti_tls_facts *t = rec->tls;
	row->cipher = -1;
	if (t && t->have_ch) {
		row->offered_version = t->ch.max_version;
		copy_text(row->server_name, sizeof(row->server_name), t->ch.sni,
			  STI_HELLO_NAME_MAX);
	}
	if (t && t->have_sh && !t->sh.hello_retry_request) {
		row->chosen_version = t->sh.version;
		row->cipher = t->sh.cipher;
	}
	if (t && t->established)
		row->negotiated_version = t->version;
	copy_text(row->outcome, sizeof(row->outcome), sti_outcome_name(v->outcome), SIZE_MAX);
	copy_text(row->cause, sizeof(row->cause), sti_cause_name(v->cause), SIZE_MAX);
	copy_text(row->reason, sizeof(row->reason), sti_reason_name(v->reason), SIZE_MAX);
	copy_text(row->confidence, sizeof(row->confidence),
		  sti_confidence_name(v->confidence), SIZE_MAX);
}

/* ---- the writer ---- */

struct db_reporter {
	struct sti_reporter base;   /* first: the ops get &base */
	struct sti_db *db;
	int64_t keep_us;
	pthread_t thread;
	bool running;
	pthread_mutex_t mu;
	pthread_cond_t wake;
	/* under mu: */
	struct sti_db_row *queue;   /* filled by the capture side */
	size_t nqueue, capqueue;
	bool stop;
	uint64_t dropped;
	bool failed;
	char error[512];
	/* the thread's own: */
	struct sti_db_row *batch;
	size_t capbatch;
	int64_t last_expire;
};

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void note_failure(struct db_reporter *d, const char *err)
{
	pthread_mutex_lock(&d->mu);
	if (!d->failed) {
		d->failed = true;
		snprintf(d->error, sizeof(d->error), "%s", err);
		fprintf(stderr, "starttls-inspect: --db %s\n", err);
	}
	pthread_mutex_unlock(&d->mu);
}

static void expire_old(struct db_reporter *d)
{
	char err[512];
	uint64_t deleted;
	if (d->keep_us <= 0 || (d->last_expire && mono_us() - d->last_expire < EXPIRE_EVERY_US))
		return;
	d->last_expire = mono_us();
	if (!sti_db_expire(d->db, wall_us() - d->keep_us, &deleted, err, sizeof(err)))
		note_failure(d, err);
}

/* Wait for a full batch, the batch interval or the stop; then swap the
 * queue with the thread's empty buffer. Called and returns with mu held. */
static size_t take_batch(struct db_reporter *d, bool *stopping)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += STI_DB_BATCH_US / 1000000;
	while (!d->stop && d->nqueue < STI_DB_BATCH_ROWS) {
		if (pthread_cond_timedwait(&d->wake, &d->mu, &until) == ETIMEDOUT)
			break;
	}
	*stopping = d->stop;
	size_t n = d->nqueue;
	struct sti_db_row *q = d->queue;
	size_t cap = d->capqueue;
	d->queue = d->batch;
	d->capqueue = d->capbatch;
	d->nqueue = 0;
	d->batch = q;
	d->capbatch = cap;
	return n;
}

static void *writer_main(void *arg)
{
	struct db_reporter *d = arg;
	char err[512];
	bool stopping = false;
	expire_old(d);
	pthread_mutex_lock(&d->mu);
	while (!stopping) {
		size_t n = take_batch(d, &stopping);
		pthread_mutex_unlock(&d->mu);
		if (n && !sti_db_insert(d->db, d->batch, n, err, sizeof(err)))
			note_failure(d, err);
		expire_old(d);
		pthread_mutex_lock(&d->mu);
		if (stopping && d->nqueue)
			stopping = false;   /* rows came in meanwhile: one more round */
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

/* Room for one more row; false when the queue is at its cap. */
static bool queue_room(struct db_reporter *d)
{
	struct sti_db_row *q = sti_grow_array(d->queue, &d->capqueue, sizeof(*q),
					      d->nqueue + 1, 64, STI_DB_QUEUE_MAX);
	if (!q)
		return false;
	d->queue = q;
	return true;
}

static void db_session(struct sti_reporter *r, const char *file,
		       const struct sti_record *rec, const struct sti_verdict *v)
{
	struct db_reporter *d = (struct db_reporter *)r;
	struct sti_db_row row;
	sti_db_row_from_record(rec, v, file, &row);
	pthread_mutex_lock(&d->mu);
	if (queue_room(d)) {
		d->queue[d->nqueue++] = row;
		if (d->nqueue >= STI_DB_BATCH_ROWS)
			pthread_cond_signal(&d->wake);
	} else {
		d->dropped++;
	}
	pthread_mutex_unlock(&d->mu);
}

static void db_file_done(struct sti_reporter *r, const char *file,
			 const struct sti_ingest_stats *st,
			 const struct sti_tally *tally, const char *error)
{
	(void)r, (void)file, (void)st, (void)tally, (void)error;
}

static void db_finish(struct sti_reporter *r, const struct sti_tally *tally)
{
	(void)r, (void)tally;
}

bool sti_report_db_drain(struct sti_reporter *r, char *err, size_t errlen)
{
	struct db_reporter *d = (struct db_reporter *)r;
	if (d->running) {
		pthread_mutex_lock(&d->mu);
		d->stop = true;
		pthread_cond_signal(&d->wake);
		pthread_mutex_unlock(&d->mu);
		pthread_join(d->thread, NULL);
		d->running = false;
	}
	if (d->failed) {
		snprintf(err, errlen, "%s", d->error);
		return false;
	}
	if (d->dropped) {
		snprintf(err, errlen, "%s: %llu session(s) not stored: the database "
			 "could not keep up", sti_db_path(d->db), (unsigned long long)d->dropped);
		return false;
	}
	return true;
}

static void db_destroy(struct sti_reporter *r)
{
	struct db_reporter *d = (struct db_reporter *)r;
	if (!d)
		return;
	char err[512];
	sti_report_db_drain(r, err, sizeof(err));
	pthread_cond_destroy(&d->wake);
	pthread_mutex_destroy(&d->mu);
	sti_db_close(d->db);
	free(d->queue);
	free(d->batch);
	free(d);
}

static const struct sti_reporter_ops db_ops = {
	.session = db_session,
	.file_done = db_file_done,
	.finish = db_finish,
	.destroy = db_destroy,
};

struct sti_reporter *sti_report_db_new(struct sti_db *db, int64_t keep_us,
				       char *err, size_t errlen)
{
	struct db_reporter *d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(err, errlen, "%s: out of memory", sti_db_path(db));
		return NULL;
	}
	d->base.ops = &db_ops;
	d->base.out = stdout;
	d->db = db;
	d->keep_us = keep_us;
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->wake, NULL);
	int rc = pthread_create(&d->thread, NULL, writer_main, d);
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot start the writer: %s", sti_db_path(db),
			 strerror(rc));
		d->db = NULL;   /* the caller still owns it */
		db_destroy(&d->base);
		return NULL;
	}
	d->running = true;
	return &d->base;
}

/* ---- row to record, for the replay ---- */

struct replay {
	struct sti_reporter *rep;
	struct sti_tally *tally;
	struct sti_record rec;
	struct sti_smtp_facts smtp;
	char hello_name[STI_SMTP_NAME_MAX];   /* smtp's strings */
	char banner[STI_SMTP_TEXT_MAX];
	struct sti_tls_facts tls;
	struct sti_tls_facts_room tls_room;   /* what tls points to */
	struct sti_verdict v;
};

static void parse_addr(const char *text, struct sti_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, text, a->a) == 1)
		a->family = 4;
	else if (inet_pton(AF_INET6, text, a->a) == 1)
		a->family = 6;
}

/* Names back to enums; an unknown name (another version's) is the first. */
#define NAME_TO_ENUM(fn, count, name) do { \
		for (unsigned i_ = 0; i_ < (count); i_++) \
			if (strcmp(fn(i_), (name)) == 0) \
				return i_; \
		return 0; \
	} while (0)

static unsigned outcome_of(const char *n) { NAME_TO_ENUM(sti_outcome_name, STI_OUTCOME_COUNT, n); }
static unsigned cause_of(const char *n) { NAME_TO_ENUM(sti_cause_name, STI_CAUSE_COUNT, n); }
static unsigned reason_of(const char *n) { NAME_TO_ENUM(sti_reason_name, STI_REASON_COUNT, n); }
static unsigned confidence_of(const char *n) { NAME_TO_ENUM(sti_confidence_name, 2u, n); }
static unsigned mode_of(const char *n) { NAME_TO_ENUM(sti_mode_name, 4u, n); }

static void rebuild_tls(struct replay *p, const struct sti_db_row *row)
{
	struct sti_tls_facts *t = &p->tls;
	sti_tls_facts_init(t, &p->tls_room);
	if (row->offered_version) {
		t->have_ch = true;
		t->ch.max_version = row->offered_version;
		copy_text(t->ch.sni, STI_HELLO_NAME_MAX, row->server_name, sizeof(row->server_name));
	}
	if (row->chosen_version) {
		t->have_sh = true;
		t->sh.version = row->chosen_version;
		t->sh.cipher = row->cipher >= 0 ? (uint16_t)row->cipher : 0;
	}
	t->established = row->negotiated_version != 0;
	t->version = row->negotiated_version;
	p->rec.tls = t->have_ch || t->have_sh ? t : NULL;
}

static void rebuild(struct replay *p, const struct sti_db_row *row)
{
	struct sti_record *rec = &p->rec;
	memset(rec, 0, sizeof(*rec));
	rec->id = row->session;
	rec->first_ts = row->first_ts;
	rec->last_ts = row->last_ts;
	parse_addr(row->client_ip, &rec->cli.addr);
	parse_addr(row->server_ip, &rec->srv.addr);
	rec->cli.port = row->client_port;
	rec->srv.port = row->server_port;
	rec->mode = (enum sti_mode)mode_of(row->mode);
	sti_smtp_facts_blank(&p->smtp);
	copy_text(p->hello_name, sizeof(p->hello_name), row->client_name,
		  sizeof(row->client_name));
	p->smtp.hello_name = p->hello_name;
	p->smtp.greeting_seen = row->banner[0] != '\0';
	copy_text(p->banner, sizeof(p->banner), row->banner, sizeof(row->banner));
	p->smtp.greeting.text = p->banner;
	rec->smtp = &p->smtp;
	rebuild_tls(p, row);
	memset(&p->v, 0, sizeof(p->v));
	p->v.outcome = (enum sti_outcome)outcome_of(row->outcome);
	p->v.cause = (enum sti_cause)cause_of(row->cause);
	p->v.reason = (enum sti_reason)reason_of(row->reason);
	p->v.confidence = (enum sti_confidence)confidence_of(row->confidence);
}

static void replay_row(void *ctx, const struct sti_db_row *row)
{
	struct replay *p = ctx;
	rebuild(p, row);
	sti_tally_add(p->tally, &p->v);
	p->rep->ops->session(p->rep, row->input, &p->rec, &p->v);
}

bool sti_db_replay(struct sti_db *db, int64_t since_us, struct sti_reporter *rep,
		   struct sti_tally *tally, char *err, size_t errlen)
{
	struct replay *p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "%s: out of memory", sti_db_path(db));
		return false;
	}
	p->rep = rep;
	p->tally = tally;
	bool ok = sti_db_read(db, since_us, replay_row, p, err, errlen);
	free(p);
	return ok;
}
