/*
 * analyze.c - the run: files, records, verdicts, reporters.
 */
#include "sti/grow.h"
#include "sti/analyze.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sti/anon.h"
#include "sti/capture.h"
#include "sti/evidence.h"
#include "sti/capture_ingest.h"
#include "sti/capture_live.h"
#include "sti/service_metrics.h"
#include "sti/mtalog.h"
#include "sti/session_record.h"
#include "sti/tls_certcache.h"
#include "sti/tls_keylog.h"

/*
 * Recent failed TLS attempts by (client address, server address), to spot
 * the plaintext retry that follows one: the same client, server, port and
 * EHLO name. Direct-mapped and fixed in size: an old entry may be
 * overwritten, which only loses a hint.
 */
#define FALLBACK_SLOTS 4096

struct fallback_slot {
	struct sti_addr cli, srv;
	uint16_t port;
	uint64_t hello;     /* hash of the EHLO name */
	uint64_t id;        /* failed session, 0 = empty */
	int64_t start_ts;
	char *remediation;  /* the failure's fix, for the retry */
};

struct sti_analysis {
	struct sti_session_cfg cfg;
	struct sti_policy policy;
	struct sti_reporter *rep;
	struct sti_tally run, file;
	const char *path;
	char shown_path[64];             /* what reporters see: path, or its
					    --anonymize pseudonym */
	bool problems;
	struct sti_evidence *evidence;   /* -w, or NULL */
	struct sti_selection sel;        /* real addresses, not pseudonyms */
	uint64_t selected;               /* sessions sel matched */
	const struct sti_anon *anon;     /* --anonymize, or NULL */
	struct sti_keylog *keylog;       /* --keylog, or NULL */
	struct sti_certcache *certs;     /* decoded certificates, shared by
					    every session of the run (NULL
					    without memory: each its own) */
	struct sti_metrics *metrics;     /* --metrics, --metrics-listen, or NULL */
	struct fallback_slot fallback[FALLBACK_SLOTS];
	struct mta_state *mta;           /* --mta-log, or NULL */
};

/* --mta-log: the logs, the join of each capture file, --find. */
#define MTA_CAPS_MAX 1000000   /* captured sessions a capture file can join */

struct mta_state {
	struct sti_mtalog *log;
	struct sti_mtajoin_opts opts;
	const char *find;
	uint32_t capture;                  /* index of the file being reported */
	struct sti_mtajoin_result *results;
	const char **names;
	size_t nresults;
	struct sti_mtalog_joined joined;
	/* pass 1: what the join needs of each captured session */
	struct sti_mtajoin_cap *caps;
	size_t ncaps, cap;
	uint64_t caps_over;
	struct sti_policy policy;
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
	a->certs = sti_certcache_new(STI_CERTCACHE_DEFAULT_CAP);
	return a;
}

static void fallback_clear(struct sti_analysis *a)
{
	for (size_t i = 0; i < FALLBACK_SLOTS; i++)
		free(a->fallback[i].remediation);
	memset(a->fallback, 0, sizeof(a->fallback));
}

void sti_analysis_free(struct sti_analysis *a)
{
	if (a) {
		fallback_clear(a);
		sti_certcache_free(a->certs);
	}
	if (a && a->mta) {
		free(a->mta->results);
		free(a->mta->names);
		free(a->mta->caps);
		free(a->mta);
	}
	free(a);
}

bool sti_analysis_set_mtalog(struct sti_analysis *a, struct sti_mtalog *log,
			     const struct sti_mtajoin_opts *o, const char *find)
{
	a->mta = calloc(1, sizeof(*a->mta));
	if (!a->mta)
		return false;
	a->mta->log = log;
	if (o)
		a->mta->opts = *o;
	a->mta->find = find;
	a->mta->policy = a->policy;
	return true;
}

void sti_analysis_set_evidence(struct sti_analysis *a, struct sti_evidence *e)
{
	a->evidence = e;
}

void sti_analysis_set_selection(struct sti_analysis *a, const struct sti_selection *sel)
{
	a->sel = *sel;
}

uint64_t sti_analysis_selected(const struct sti_analysis *a)
{
	return a->selected;
}

void sti_analysis_set_anon(struct sti_analysis *a, const struct sti_anon *an)
{
	a->anon = an;
}

void sti_analysis_set_metrics(struct sti_analysis *a, struct sti_metrics *m)
{
	a->metrics = m;
}

/* The input's name in reports: with --anonymize a file's pseudonym (a
 * name can say whose capture it is); messages on stderr keep the real one. */
static const char *reported_path(const struct sti_analysis *a)
{
	return a->shown_path[0] ? a->shown_path : a->path;
}

/* The one place reporters' input is pseudonymised; the evidence writer
 * gets the real record (its frames carry the real addresses). */
static void report_session(struct sti_analysis *a, const struct sti_record *rec,
			   const struct sti_verdict *v)
{
	if (!a->anon) {
		a->rep->ops->session(a->rep, reported_path(a), rec, v);
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
	a->rep->ops->session(a->rep, reported_path(a), &ar->rec, &av);
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

static uint64_t hello_hash(const struct sti_record *rec)
{
	uint64_t h = 1469598103934665603ull;
	const char *n = rec->smtp ? rec->smtp->hello_name : "";
	for (size_t i = 0; rec->smtp && i < STI_SMTP_NAME_MAX && n[i]; i++)
		h = (h ^ (unsigned char)(n[i] | 0x20)) * 1099511628211ull;
	return h;
}

/*
 * A session that never tried TLS, after a failed attempt of the same
 * client to the same server, port and EHLO name: possibly the retry. Its
 * fix is the failure's (the retry is the client's opportunistic TLS doing
 * its job).
 */
static void note_fallback(struct sti_analysis *a, struct sti_record *rec,
			  struct sti_verdict *v)
{
	struct fallback_slot *s = &a->fallback[pair_slot(&rec->cli.addr, &rec->srv.addr)];
	uint64_t hello = hello_hash(rec);
	bool same = s->id && same_addr(&s->cli, &rec->cli.addr) &&
		    same_addr(&s->srv, &rec->srv.addr) && s->port == rec->srv.port &&
		    s->hello == hello;
	if (v->outcome == STI_OUTCOME_FAILED && rec->tls) {
		free(s->remediation);
		*s = (struct fallback_slot){ .cli = rec->cli.addr, .srv = rec->srv.addr,
			.port = rec->srv.port, .hello = hello, .id = rec->id,
			.start_ts = rec->first_ts, .remediation = strdup(v->remediation) };
		return;
	}
	if (!same || rec->mode != STI_MODE_PLAINTEXT || rec->first_ts < s->start_ts ||
	    rec->id == s->id)
		return;
	rec->fallback_after = s->id;
	if (s->remediation)
		snprintf(v->remediation, sizeof(v->remediation), "This is possibly a "
			 "plaintext retry after the failed TLS of session #%" PRIu64
			 "; fix that failure:\n%s", s->id, s->remediation);
}

/* The log lines joined to rec; false when --find leaves it out. */
static bool attach_mta(struct sti_analysis *a, struct sti_record *rec)
{
	struct mta_state *m = a->mta;
	rec->mta = NULL;
	if (!m)
		return true;
	bool joined = sti_mtalog_joined_for(m->log, m->capture, rec->id, &m->joined);
	if (joined)
		rec->mta = &m->joined;
	return !m->find || (joined && sti_mtalog_joined_matches(&m->joined, m->find));
}

static void on_record(void *ctx, struct sti_record *rec)
{
	struct sti_analysis *a = ctx;
	struct sti_verdict v;
	if (!attach_mta(a, rec))
		return;
	sti_verdict_decide(rec, &a->policy, &v);
	note_fallback(a, rec, &v);
	bool picked = sti_selection_match(&a->sel, rec, &v);
	a->selected += picked;
	if (a->evidence)
		sti_evidence_session(a->evidence, rec, &v);
	/* The gateway's metrics count every session, whatever is printed. */
	if (a->metrics)
		sti_metrics_session(a->metrics, rec, &v);
	/* An explicit selection narrows every output (SPEC 9.5). */
	if (!picked && sti_selection_given(&a->sel))
		return;
	if (v.outcome == STI_OUTCOME_FAILED || v.outcome == STI_OUTCOME_DEPRECATED)
		a->problems = true;
	sti_tally_add(&a->file, &v);
	sti_tally_add(&a->run, &v);
	if (rec->tls && rec->tls->decrypted_records[STI_C2S] + rec->tls->decrypted_records[STI_S2C]) {
		a->file.decrypted++;
		a->run.decrypted++;
	}
	/* The ladder is written only for a session that will be printed;
	 * with --anonymize for every one: the pseudonyms are numbered in the
	 * order names are first seen, the ladder's among them. */
	if (a->anon ? a->rep->prints_ladder : sti_reporter_ladder_wanted(a->rep, rec, &v))
		sti_record_ladder_fill(rec);
	report_session(a, rec, &v);
	rec->mta = NULL;
}

/* Park the frames of this input's sessions for the evidence pcap. */
static bool start_evidence(struct sti_analysis *a, struct sti_table *t)
{
	char err[512];
	if (!a->evidence)
		return true;
	if (!sti_evidence_begin(a->evidence, err, sizeof(err))) {
		fprintf(stderr, "starttls-inspect: %s\n", err);
		return false;
	}
	sti_table_set_tap(t, sti_evidence_tap, sti_evidence_gone, a->evidence);
	return true;
}

/* Write the evidence of sessions decided so far (all of them at_end). */
static bool flush_evidence(struct sti_analysis *a, int dlt, bool at_end)
{
	char err[512];
	if (!a->evidence || dlt < 0 || !sti_decode_link_supported(dlt))
		return true;   /* the input never opened: nothing was parked */
	if (sti_evidence_flush(a->evidence, dlt, at_end, err, sizeof(err)))
		return true;
	fflush(a->rep->out);
	fprintf(stderr, "starttls-inspect: %s\n", err);
	return false;
}

/* One input's session table and recorder, reporting into the analysis. */
struct input {
	struct sti_recorder *rec;
	struct sti_table *table;
};

static bool input_begin(struct sti_analysis *a, const char *name, bool early,
			struct input *in)
{
	memset(&a->file, 0, sizeof(a->file));
	fallback_clear(a);   /* ids are per input */
	a->path = name;
	a->shown_path[0] = '\0';
	if (a->anon && !early)
		sti_anon_path(a->anon, name, a->shown_path, sizeof(a->shown_path));
	in->rec = sti_recorder_new(&a->cfg, on_record, a);
	in->table = in->rec ? sti_table_new(&a->cfg, &sti_recorder_ops, in->rec) : NULL;
	if (!in->table) {
		sti_recorder_free(in->rec);
		fprintf(stderr, "starttls-inspect: %s: out of memory\n", name);
		return false;
	}
	sti_recorder_report_early(in->rec, early);
	sti_recorder_set_keylog(in->rec, a->keylog);
	sti_recorder_set_certcache(in->rec, a->certs);
	sti_recorder_ladder_text(in->rec, a->rep->prints_ladder);
	if (!start_evidence(a, in->table)) {
		sti_table_free(in->table);
		sti_recorder_free(in->rec);
		return false;
	}
	return true;
}

/* Sessions not yet closed; closed ones linger in the table for a while. */
static uint64_t open_sessions(const struct sti_table_stats *ts)
{
	return ts->created - ts->closed_fin - ts->closed_rst - ts->expired -
	       ts->evicted - ts->reused - ts->at_end;
}

/* Close every session (each is reported), write their evidence, then the
 * input's summary and its error line, if any. False when the evidence
 * could not be written. */
static bool input_end(struct sti_analysis *a, struct input *in,
		       struct sti_ingest_stats *st, const char *err)
{
	st->sessions_open = open_sessions(sti_table_stats(in->table));
	sti_table_flush(in->table);
	st->table = *sti_table_stats(in->table);
	if (a->metrics)
		sti_metrics_input(a->metrics, st, 0, st->table.evicted, true);
	sti_table_free(in->table);
	sti_recorder_free(in->rec);
	/* Sessions gathered before a read error are still written. */
	bool evidence_ok = flush_evidence(a, st->dlt, true);
	char line[1800];
	const char *msg = NULL;
	if (err) {
		snprintf(line, sizeof(line), "%s: %s", reported_path(a), err);
		msg = line;
	}
	a->rep->ops->file_done(a->rep, reported_path(a), st, &a->file, msg);
	if (msg) {
		fflush(a->rep->out);
		fprintf(stderr, "starttls-inspect: %s: %s\n", a->path, err);
	}
	return evidence_ok;
}

/* ---- --mta-log: a first pass gathers the sessions, the logs join them ---- */

static void collect_cap(void *ctx, struct sti_record *rec)
{
	struct mta_state *m = ctx;
	if (m->ncaps == MTA_CAPS_MAX) {
		m->caps_over++;
		return;
	}
	struct sti_mtajoin_cap *nc = sti_grow_array(m->caps, &m->cap, sizeof(*nc),
						    m->ncaps + 1, 256, MTA_CAPS_MAX);
	if (!nc) {
		m->caps_over++;
		return;
	}
	m->caps = nc;
	struct sti_verdict v;
	sti_verdict_decide(rec, &m->policy, &v);
	m->caps[m->ncaps++] = (struct sti_mtajoin_cap){
		.id = rec->id, .cli = rec->cli, .srv = rec->srv,
		.first_ts = rec->first_ts, .last_ts = rec->last_ts,
		.failed = v.outcome == STI_OUTCOME_FAILED,
	};
}

static bool add_result(struct mta_state *m, const char *name)
{
	struct sti_mtajoin_result *nr = realloc(m->results, (m->nresults + 1) * sizeof(*nr));
	if (!nr)
		return false;
	m->results = nr;
	const char **nn = realloc(m->names, (m->nresults + 1) * sizeof(*nn));
	if (!nn)
		return false;
	m->names = nn;
	m->names[m->nresults] = name;
	memset(&m->results[m->nresults], 0, sizeof(*nr));
	m->capture = (uint32_t)m->nresults++;
	return true;
}

/* The same sessions with the same ids as the reporting pass will see. */
static void mta_join_file(struct sti_analysis *a, const char *name, const char *path)
{
	struct mta_state *m = a->mta;
	if (!add_result(m, name))
		return;
	m->ncaps = 0;
	m->caps_over = 0;
	struct sti_recorder *rec = sti_recorder_new(&a->cfg, collect_cap, m);
	struct sti_table *t = rec ? sti_table_new(&a->cfg, &sti_recorder_ops, rec) : NULL;
	if (rec)
		sti_recorder_set_certcache(rec, a->certs);
	if (t) {
		struct sti_ingest_stats st;
		char err[512];
		memset(&st, 0, sizeof(st));
		/* a read error shows in the reporting pass */
		(void)sti_ingest_file(path, t, &st, err, sizeof(err));
		sti_table_flush(t);
		sti_table_free(t);
	}
	sti_recorder_free(rec);
	if (m->caps_over)
		fprintf(stderr, "starttls-inspect: %s: warning: %llu sessions past %d were not"
			" joined to the MTA logs\n", name, (unsigned long long)m->caps_over,
			MTA_CAPS_MAX);
	sti_mtalog_join(m->log, m->capture, m->caps, m->ncaps, &m->opts,
			&m->results[m->capture]);
}

/* Standard input read twice: copied to an unlinked temporary file. */
static FILE *spool_stdin(char *path, size_t len)
{
	const char *dir = getenv("TMPDIR");
	snprintf(path, len, "%s/starttls-inspect-XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, "w+b");
	if (!f) {
		close(fd);
		unlink(path);
		return NULL;
	}
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
		if (fwrite(buf, 1, n, f) != n)
			break;
	if (fflush(f) != 0 || ferror(stdin)) {
		fclose(f);
		unlink(path);
		return NULL;
	}
	return f;
}

static bool analyse_path(struct sti_analysis *a, const char *name, const char *path)
{
	struct sti_ingest_stats st;
	struct input in;
	memset(&st, 0, sizeof(st));
	st.dlt = -1;   /* set once the file is open */
	if (a->mta)
		mta_join_file(a, name, path);
	if (!input_begin(a, name, false, &in))
		return false;
	char err[1536];
	enum sti_ingest_rc rc = sti_ingest_file(path, in.table, &st, err, sizeof(err));
	/* A file cut inside its last record was read as far as it goes: its
	 * sessions are judged and the exit status is theirs. */
	bool cut = rc == STI_INGEST_TRUNCATED;
	bool evidence_ok = input_end(a, &in, &st, rc == STI_INGEST_OK || cut ? NULL : err);
	if (cut) {
		fflush(a->rep->out);
		fprintf(stderr, "starttls-inspect: %s: %s\n", a->path, err);
	}
	return (rc == STI_INGEST_OK || cut) && evidence_ok;
}

bool sti_analysis_file(struct sti_analysis *a, const char *path)
{
	if (!a->mta || strcmp(path, "-") != 0)
		return analyse_path(a, path, path);
	char tmp[4096];
	FILE *f = spool_stdin(tmp, sizeof(tmp));
	if (!f) {
		fprintf(stderr, "starttls-inspect: -: cannot copy standard input to a"
			" temporary file (needed to join --mta-log)\n");
		return false;
	}
	bool ok = analyse_path(a, "-", tmp);
	fclose(f);
	unlink(tmp);
	return ok;
}

/* ---- live ---- */

/* How often a live capture writes the evidence of decided sessions. */
#define STI_LIVE_EVIDENCE_US (10 * INT64_C(1000000))

static int64_t wall_clock_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The port filter, tagged traffic included where the link allows it. */
static bool live_filter(const struct sti_analysis *a, const struct sti_live_opts *lo,
			struct sti_capture *c, char *err, size_t errlen)
{
	for (int vlan = 1; vlan >= 0; vlan--) {
		size_t n = sti_live_filter(&a->cfg.smtp_ports, &a->cfg.tls_ports,
					   lo->filter_extra, vlan, NULL, 0);
		char *expr = malloc(n + 1);
		if (!expr) {
			snprintf(err, errlen, "out of memory");
			return false;
		}
		sti_live_filter(&a->cfg.smtp_ports, &a->cfg.tls_ports, lo->filter_extra,
				vlan, expr, n + 1);
		bool ok = sti_capture_set_filter(c, expr, err, errlen);
		free(expr);
		if (ok)
			return true;   /* else retry without "vlan" (the "any" device) */
	}
	if (lo->filter_extra) {
		/* Name what the user wrote, with libpcap's complaint about it. */
		const char *why = strstr(err, "': ");
		char copy[256];
		snprintf(copy, sizeof(copy), "%.200s", why ? why + 3 : err);
		snprintf(err, errlen, "-f '%.200s': %s", lo->filter_extra, copy);
	}
	return false;
}

static struct sti_capture *live_open(const struct sti_analysis *a,
				     const struct sti_live_opts *lo,
				     char *err, size_t errlen)
{
	struct sti_live_cfg cfg = {
		.iface = lo->iface, .snaplen = lo->snaplen,
		.buffer_kib = lo->buffer_kib, .timeout_ms = STI_LIVE_TIMEOUT_MS,
		.buffer_timeout_ms = STI_LIVE_BUFFER_TIMEOUT_MS,
	};
	char warn[512];
	struct sti_capture *c = sti_capture_open_live(&cfg, warn, sizeof(warn), err, errlen);
	if (!c)
		return NULL;
	if (warn[0])
		fprintf(stderr, "starttls-inspect: warning: %s\n", warn);
	if (!live_filter(a, lo, c, err, errlen) ||
	    !sti_live_drop_privileges(lo->user, err, errlen)) {
		sti_capture_close(c);
		return NULL;
	}
	return c;
}

struct live_run {
	struct sti_analysis *a;
	const struct sti_live_opts *lo;
	struct sti_capture *cap;
	struct input in;
	struct sti_ingest_stats st;
	int64_t started, last_tick, last_evidence;
	bool evidence_failed;
	uint64_t drops_warned;
};

static void live_stats_line(struct live_run *lr)
{
	const struct sti_table_stats *ts = sti_table_stats(lr->in.table);
	const struct sti_ingest_stats *st = &lr->st;
	fprintf(stderr,
		"starttls-inspect: %s: %" PRIu64 " packets; sessions %" PRIu64 " open, %" PRIu64
		" closed, %" PRIu64 " evicted; kernel %" PRIu64 " received, %" PRIu64
		" dropped, %" PRIu64 " dropped by the interface; %" PRIu64 " malformed\n",
		lr->lo->iface, st->frames, open_sessions(ts),
		ts->closed_fin + ts->closed_rst + ts->expired + ts->reused, ts->evicted,
		st->kernel_received, st->kernel_dropped, st->kernel_if_dropped,
		st->by_status[STI_DEC_MALFORMED] + st->by_status[STI_DEC_TRUNCATED]);
}

static void live_kernel_stats(struct live_run *lr)
{
	struct sti_capture_kstats ks;
	char err[256];
	if (!sti_capture_kstats(lr->cap, &ks, err, sizeof(err)))
		return;
	lr->st.kernel_valid = true;
	lr->st.kernel_received = ks.received;
	lr->st.kernel_dropped = ks.dropped;
	lr->st.kernel_if_dropped = ks.if_dropped;
	if (ks.dropped > lr->drops_warned) {
		fprintf(stderr, "starttls-inspect: %s: warning: the kernel dropped %" PRIu64
			" packet(s), %" PRIu64 " in all; verdicts may be incomplete"
			" (a bigger -B or a narrower -f helps)\n",
			lr->lo->iface, ks.dropped - lr->drops_warned, ks.dropped);
		lr->drops_warned = ks.dropped;
	}
}

/* Several times a second: the idle clock, the kernel's drops, statistics. */
static void live_tick(struct live_run *lr, int64_t now)
{
	bool want_stats = sti_live_take_stats_request();
	if (now - lr->last_tick < STI_LIVE_TIMEOUT_MS * 1000 && !want_stats)
		return;
	lr->last_tick = now;
	sti_table_expire(lr->in.table, now);
	live_kernel_stats(lr);
	if (lr->a->metrics) {
		const struct sti_table_stats *ts = sti_table_stats(lr->in.table);
		sti_metrics_input(lr->a->metrics, &lr->st, open_sessions(ts), ts->evicted, false);
	}
	fflush(lr->a->rep->out);
	if (sti_live_take_reopen_request()) {
		char err[512];
		if (!sti_live_output_reopen(err, sizeof(err)))
			fprintf(stderr, "starttls-inspect: warning: %s; still writing to the "
				"file it replaced\n", err);
	}
	if (want_stats)
		live_stats_line(lr);
	/* Decided sessions go to the evidence file (and its -C rotation)
	 * while the capture runs; the others stay parked. */
	if (!lr->evidence_failed && now - lr->last_evidence >= STI_LIVE_EVIDENCE_US) {
		lr->last_evidence = now;
		lr->evidence_failed = !flush_evidence(lr->a, lr->st.dlt, false);
	}
}

static void live_frame(void *ctx, const struct sti_frame *f)
{
	struct live_run *lr = ctx;
	sti_ingest_frame(lr->in.table, lr->st.dlt, f->number, f->ts_us, f->data,
			 f->caplen, f->len, &lr->st);
}

/* How many frames one read may give: the clock, the signals and -c are
 * looked at between reads. */
static int live_batch(const struct live_run *lr)
{
	uint64_t left = lr->lo->count ? lr->lo->count - lr->st.frames : UINT64_MAX;
	return left < STI_LIVE_BATCH ? (int)left : STI_LIVE_BATCH;
}

/* Frames until a stop; NULL, or the read error. */
static const char *live_loop(struct live_run *lr, char *err, size_t errlen)
{
	for (;;) {
		if (sti_live_stop_requested())
			return NULL;
		enum sti_capture_rc rc = sti_capture_dispatch(lr->cap, live_batch(lr),
							      live_frame, lr, err, errlen);
		if (rc == STI_CAP_EOF)
			return NULL;
		if (rc == STI_CAP_ERROR)
			return err;
		int64_t now = wall_clock_us();
		live_tick(lr, now);
		if (lr->lo->count && lr->st.frames >= lr->lo->count)
			return NULL;
		if (lr->lo->duration_us && now - lr->started >= lr->lo->duration_us)
			return NULL;
	}
}

bool sti_analysis_live(struct sti_analysis *a, const struct sti_live_opts *lo)
{
	struct live_run lr = { .a = a, .lo = lo };
	char err[512];
	lr.cap = live_open(a, lo, err, sizeof(err));
	if (!lr.cap) {
		fprintf(stderr, "starttls-inspect: %s\n", err);
		return false;
	}
	lr.st.live = true;
	lr.st.dlt = sti_capture_datalink(lr.cap);
	if (!sti_decode_link_supported(lr.st.dlt)) {
		char name[64];
		fprintf(stderr, "starttls-inspect: %s: unsupported link type %s\n", lo->iface,
			sti_capture_datalink_name(lr.st.dlt, name, sizeof(name)));
		sti_capture_close(lr.cap);
		return false;
	}
	if (!input_begin(a, lo->iface, true, &lr.in)) {
		sti_capture_close(lr.cap);
		return false;
	}
	sti_live_signals_install(lr.cap);
	lr.started = lr.last_tick = lr.last_evidence = wall_clock_us();
	const char *read_err = live_loop(&lr, err, sizeof(err));
	sti_live_signals_restore();
	live_kernel_stats(&lr);
	sti_capture_close(lr.cap);
	bool evidence_ok = input_end(a, &lr.in, &lr.st, read_err);
	return read_err == NULL && evidence_ok && !lr.evidence_failed;
}

void sti_analysis_set_keylog(struct sti_analysis *a, struct sti_keylog *kl)
{
	a->keylog = kl;
}

bool sti_analysis_finish(struct sti_analysis *a)
{
	if (a->mta && a->rep->ops->mta_done) {
		struct sti_mtalog_report r = {
			.log = a->mta->log, .ncaptures = a->mta->nresults,
			.capture_names = a->mta->names, .results = a->mta->results,
		};
		a->rep->ops->mta_done(a->rep, &r);
	}
	if (a->keylog) {
		a->run.keylog = true;
		a->run.keylog_unused = sti_keylog_lines_unused(a->keylog);
		a->run.keylog_malformed = sti_keylog_stats(a->keylog)->malformed;
	}
	a->rep->ops->finish(a->rep, &a->run);
	fflush(a->rep->out);
	return a->problems;
}
