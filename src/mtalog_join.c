/*
 * mtalog_join.c - log sessions to captured sessions (mtalog.h).
 *
 * A captured session fits a log session when the peer the MTA names is
 * the session's other end (the client for a server's log, the server for
 * a client's), the ports agree where the log has them, and the log
 * session starts, skew removed, within the captured one (give or take
 * STI_MTAJOIN_SLACK_US: syslog times are whole seconds). The skew is the
 * median of log time minus capture time over the log sessions that have
 * exactly one captured session at their address (and port) within
 * STI_MTAJOIN_SKEW_RANGE_US, unless --log-skew gives it.
 *
 * One fit is exact when the ports identify the connection, else
 * time_and_address. Several fits are ambiguous: the log session goes to
 * the earliest-starting one whose outcome agrees with the log (a log that
 * reports a failure goes to a failed session) and that no other log
 * session took yet, so concurrent connections from one address are placed
 * in the order they were opened; all candidates are named.
 */
#include "sti/grow.h"
#include "sti/mtalog.h"
#include "mtalog_internal.h"

#include <stdlib.h>
#include <string.h>

/* Captured sessions this far before a log session may still hold it. */
#define LONGEST_SESSION_US (3600 * INT64_C(1000000))
#define SKEW_SAMPLES_MAX 4096

/* Index of captured sessions by one end's address, then start time. */
struct by_addr {
	const struct sti_mtajoin_cap **c;
	size_t n;
	bool server_end;   /* keyed by srv (a client's log), else by cli */
};

static const struct sti_endpoint *keyed(const struct by_addr *ix,
					const struct sti_mtajoin_cap *c)
{
	return ix->server_end ? &c->srv : &c->cli;
}

static int addr_cmp(const struct sti_addr *x, const struct sti_addr *y)
{
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->a, y->a, sizeof(x->a));
}

static int cmp_ts(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_by_cli(const void *pa, const void *pb)
{
	const struct sti_mtajoin_cap *a = *(const struct sti_mtajoin_cap *const *)pa;
	const struct sti_mtajoin_cap *b = *(const struct sti_mtajoin_cap *const *)pb;
	int c = addr_cmp(&a->cli.addr, &b->cli.addr);
	return c ? c : cmp_ts(a->first_ts, b->first_ts);
}

static int cmp_by_srv(const void *pa, const void *pb)
{
	const struct sti_mtajoin_cap *a = *(const struct sti_mtajoin_cap *const *)pa;
	const struct sti_mtajoin_cap *b = *(const struct sti_mtajoin_cap *const *)pb;
	int c = addr_cmp(&a->srv.addr, &b->srv.addr);
	return c ? c : cmp_ts(a->first_ts, b->first_ts);
}

static bool index_build(struct by_addr *ix, struct sti_mtajoin_cap *caps, size_t n,
			bool server_end)
{
	ix->c = malloc((n ? n : 1) * sizeof(*ix->c));
	ix->n = n;
	ix->server_end = server_end;
	if (!ix->c)
		return false;
	for (size_t i = 0; i < n; i++)
		ix->c[i] = &caps[i];
	qsort(ix->c, n, sizeof(*ix->c), server_end ? cmp_by_srv : cmp_by_cli);
	return true;
}

/* The first entry at addr starting at or after t. */
static size_t lower_bound(const struct by_addr *ix, const struct sti_addr *addr, int64_t t)
{
	size_t lo = 0, hi = ix->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct sti_mtajoin_cap *c = ix->c[mid];
		int k = addr_cmp(&keyed(ix, c)->addr, addr);
		if (k < 0 || (k == 0 && c->first_ts < t))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The ports and the local end agree with what the log says of them. */
static bool ends_fit(const struct sti_mtalog_session *s, const struct sti_mtajoin_cap *c)
{
	bool server = s->role == STI_MTA_SERVER;
	const struct sti_endpoint *peer = server ? &c->cli : &c->srv;
	const struct sti_endpoint *local = server ? &c->srv : &c->cli;
	if (s->peer.port && s->peer.port != peer->port)
		return false;
	if (s->local.addr.family &&
	    (addr_cmp(&s->local.addr, &local->addr) != 0 || s->local.port != local->port))
		return false;
	return true;
}

/* The connection is named by its ports: the client's port, or both ends. */
static bool names_connection(const struct sti_mtalog_session *s)
{
	return s->peer.port && (s->role == STI_MTA_SERVER || s->local.addr.family);
}

/* Captured sessions at the log session's peer whose span holds t. */
static size_t fits(const struct by_addr *ix, const struct sti_mtalog_session *s, int64_t t,
		   int64_t slack, const struct sti_mtajoin_cap **out, size_t max)
{
	size_t n = 0;
	for (size_t i = lower_bound(ix, &s->peer.addr, t - LONGEST_SESSION_US); i < ix->n; i++) {
		const struct sti_mtajoin_cap *c = ix->c[i];
		if (addr_cmp(&keyed(ix, c)->addr, &s->peer.addr) != 0 || c->first_ts > t + slack)
			break;
		if (c->last_ts + slack < t || !ends_fit(s, c))
			continue;
		if (n < max)
			out[n] = c;
		n++;
	}
	return n;
}

static int cmp_i64(const void *a, const void *b)
{
	return cmp_ts(*(const int64_t *)a, *(const int64_t *)b);
}

static bool joinable(const struct sti_mtalog_session *s)
{
	return s->session_id == 0 && s->peer.addr.family != 0;
}

static const struct by_addr *index_for(const struct sti_mtalog_session *s,
				       const struct by_addr *by_cli, const struct by_addr *by_srv)
{
	return s->role == STI_MTA_SERVER ? by_cli : by_srv;
}

/* The median offset of the log sessions with one captured session near. */
static void estimate_skew(struct sti_mtalog *log, const struct by_addr *by_cli,
			  const struct by_addr *by_srv, struct sti_mtajoin_result *res)
{
	int64_t *samples = malloc(SKEW_SAMPLES_MAX * sizeof(*samples));
	size_t n = 0;
	if (!samples)
		return;
	for (size_t i = 0; i < log->nsessions && n < SKEW_SAMPLES_MAX; i++) {
		const struct sti_mtalog_session *s = &log->sessions[i];
		const struct sti_mtajoin_cap *only;
		if (!joinable(s))
			continue;
		if (fits(index_for(s, by_cli, by_srv), s, s->first_ts, STI_MTAJOIN_SKEW_RANGE_US,
			 &only, 1) == 1)
			samples[n++] = s->first_ts - only->first_ts;
	}
	if (n) {
		qsort(samples, n, sizeof(*samples), cmp_i64);
		res->skew_us = samples[n / 2];
		res->skew_known = true;
		res->skew_samples = n;
	}
	free(samples);
}

/* When the log session began, on the capture's clock. */
static int64_t log_start(const struct sti_mtalog_session *s, int64_t skew)
{
	return s->first_ts - skew;
}

/* The captured sessions each log file's sessions already took: another
 * log file (the other MTA, the other end) may take them again. */
struct taken {
	struct taken_id { uint32_t file; uint64_t id; } *ids;
	size_t n, cap;
};

static bool was_taken(const struct taken *t, uint32_t file, uint64_t id)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->ids[i].id == id && t->ids[i].file == file)
			return true;
	return false;
}

static void take(struct taken *t, uint32_t file, uint64_t id)
{
	struct taken_id *ni = sti_grow_array(t->ids, &t->cap, sizeof(*ni), t->n + 1,
					     64, SIZE_MAX);
	if (!ni)
		return;   /* only loses the ordering hint */
	t->ids = ni;
	t->ids[t->n++] = (struct taken_id){ file, id };
}

static const struct sti_mtajoin_cap *pick(const struct sti_mtalog_session *s,
					  const struct sti_mtajoin_cap **cand, size_t n,
					  const struct taken *t)
{
	const struct sti_mtajoin_cap *best = NULL;
	int best_score = -1;
	for (size_t i = 0; i < n; i++) {   /* candidates are in start order */
		int score = (cand[i]->failed == s->failure) * 2 +
			    !was_taken(t, s->file, cand[i]->id);
		if (score > best_score) {
			best = cand[i];
			best_score = score;
		}
	}
	return best;
}

#define FIT_MAX 64

static void place(struct sti_mtalog_session *s, uint32_t capture,
		  const struct sti_mtajoin_cap **cand, size_t n, const struct taken *t,
		  struct sti_mtajoin_result *res)
{
	const struct sti_mtajoin_cap *c = n == 1 ? cand[0] : pick(s, cand, n, t);
	s->capture = capture;
	s->session_id = c->id;
	s->match = n > 1 ? STI_MTA_AMBIGUOUS
		   : names_connection(s) ? STI_MTA_EXACT : STI_MTA_TIME_AND_ADDRESS;
	s->ncandidates = 0;
	for (size_t i = 0; n > 1 && i < n && i < STI_MTALOG_CANDIDATES; i++)
		s->candidates[s->ncandidates++] = cand[i]->id;
	res->matched[s->match]++;
}

/* Log sessions in time order (then file order): the order of connections.
 * qsort has no context argument in C11: the array being ordered. */
static const struct sti_mtalog_session *order_base;

static int cmp_order(const void *pa, const void *pb)
{
	const struct sti_mtalog_session *a = &order_base[*(const size_t *)pa];
	const struct sti_mtalog_session *b = &order_base[*(const size_t *)pb];
	int c = cmp_ts(a->first_ts, b->first_ts);
	if (c)
		return c;
	if (a->file != b->file)
		return a->file < b->file ? -1 : 1;
	uint64_t la = a->first ? a->first->lineno : 0, lb = b->first ? b->first->lineno : 0;
	return la < lb ? -1 : la > lb;
}

static int cmp_join(const void *pa, const void *pb)
{
	const struct sti_mtalog_join_entry *a = pa, *b = pb;
	if (a->capture != b->capture)
		return a->capture < b->capture ? -1 : 1;
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	return a->session < b->session ? -1 : a->session > b->session;
}

static void index_joins(struct sti_mtalog *log, uint32_t capture)
{
	size_t add = 0;
	for (size_t i = 0; i < log->nsessions; i++)
		add += log->sessions[i].session_id && log->sessions[i].capture == capture;
	struct sti_mtalog_join_entry *nj = realloc(log->joins,
						   (log->njoins + add + 1) * sizeof(*nj));
	if (!nj)
		return;
	log->joins = nj;
	for (size_t i = 0; i < log->nsessions; i++) {
		const struct sti_mtalog_session *s = &log->sessions[i];
		if (s->session_id && s->capture == capture)
			log->joins[log->njoins++] = (struct sti_mtalog_join_entry){
				capture, s->session_id, i };
	}
	qsort(log->joins, log->njoins, sizeof(*log->joins), cmp_join);
}

/* Exact and single fits first, so that they count as taken. */
static void join_pass(struct sti_mtalog *log, uint32_t capture, const size_t *order,
		      const struct by_addr *by_cli, const struct by_addr *by_srv,
		      int64_t skew, bool ambiguous_pass, struct taken *t,
		      struct sti_mtajoin_result *res)
{
	const struct sti_mtajoin_cap *cand[FIT_MAX];
	for (size_t k = 0; k < log->nsessions; k++) {
		struct sti_mtalog_session *s = &log->sessions[order[k]];
		if (!joinable(s))
			continue;
		size_t n = fits(index_for(s, by_cli, by_srv), s, log_start(s, skew),
				STI_MTAJOIN_SLACK_US, cand, FIT_MAX);
		if (n > FIT_MAX)
			n = FIT_MAX;
		if (n == 0 || (n > 1) != ambiguous_pass)
			continue;
		place(s, capture, cand, n, t, res);
		take(t, s->file, s->session_id);
	}
}

void sti_mtalog_join(struct sti_mtalog *log, uint32_t capture,
		     struct sti_mtajoin_cap *caps, size_t ncaps,
		     const struct sti_mtajoin_opts *o, struct sti_mtajoin_result *res)
{
	struct by_addr by_cli, by_srv;
	memset(res, 0, sizeof(*res));
	size_t *order = malloc((log->nsessions ? log->nsessions : 1) * sizeof(*order));
	bool ok = index_build(&by_cli, caps, ncaps, false);
	ok &= index_build(&by_srv, caps, ncaps, true);
	if (ok && order) {
		if (o && o->skew_given) {
			res->skew_us = o->skew_us;
			res->skew_known = res->skew_given = true;
		} else {
			estimate_skew(log, &by_cli, &by_srv, res);
		}
		for (size_t i = 0; i < log->nsessions; i++)
			order[i] = i;
		order_base = log->sessions;
		qsort(order, log->nsessions, sizeof(*order), cmp_order);
		struct taken t = { NULL, 0, 0 };
		join_pass(log, capture, order, &by_cli, &by_srv, res->skew_us, false, &t, res);
		join_pass(log, capture, order, &by_cli, &by_srv, res->skew_us, true, &t, res);
		free(t.ids);
		index_joins(log, capture);
	}
	free(order);
	free(by_cli.c);
	free(by_srv.c);
}

/* ---- lookups for the reporters ---- */

bool sti_mtalog_joined_for(const struct sti_mtalog *log, uint32_t capture,
			   uint64_t id, struct sti_mtalog_joined *j)
{
	j->n = 0;
	j->log = log;
	size_t lo = 0, hi = log->njoins;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct sti_mtalog_join_entry *e = &log->joins[mid];
		if (e->capture < capture || (e->capture == capture && e->id < id))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < log->njoins && j->n < STI_MTALOG_JOINED_MAX; i++) {
		const struct sti_mtalog_join_entry *e = &log->joins[i];
		if (e->capture != capture || e->id != id)
			break;
		j->s[j->n++] = &log->sessions[e->session];
	}
	return j->n > 0;
}

static bool has_any(const char *s, const char *const *words, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strstr(s, words[i]))
			return true;
	return false;
}

/* The line most worth quoting: one that says why TLS failed, then any TLS
 * failure, then any failure. */
static int quote_rank(const struct sti_mtalog_line *l)
{
	static const char *const why[] = { "unsupported", "alert", "version", "cipher",
					   "certificate", "negotiation failed", "TLS error",
					   "STARTTLS command first", "SocketError" };
	static const char *const tls[] = { "TLS", "SSL", "STARTTLS", "handshake" };
	const char *m = l->text + l->msg_off;
	if (!l->failure)
		return 0;
	if (has_any(m, why, sizeof(why) / sizeof(why[0])))
		return 3;
	return has_any(m, tls, sizeof(tls) / sizeof(tls[0])) ? 2 : 1;
}

/* OpenSSL 3's "error:0A000102:SSL routines::unsupported protocol:file:line:"
 * is cited by its reason alone. */
static bool openssl_reason(const char *m, char *buf, size_t len)
{
	const char *p = strstr(m, "routines::");
	if (!p)
		return false;
	p += strlen("routines::");
	size_t n = strcspn(p, ":");
	if (n == 0)
		return false;
	snprintf(buf, len, "%.*s", (int)(n < 160 ? n : 160), p);
	return true;
}

bool sti_mtalog_citation(const struct sti_mtalog_joined *j, char *buf, size_t len)
{
	const struct sti_mtalog_line *best = NULL;
	const struct sti_mtalog_session *from = NULL;
	int rank = 0;
	for (size_t i = 0; i < j->n; i++)
		for (const struct sti_mtalog_line *l = j->s[i]->first; l; l = l->next) {
			int r = quote_rank(l);
			if (r > rank) {
				best = l;
				from = j->s[i];
				rank = r;
			}
		}
	if (!best)
		return false;
	char reason[200];
	if (openssl_reason(best->text + best->msg_off, reason, sizeof(reason)))
		snprintf(buf, len, "%s logged \"%s\" (TLS library problem).",
			 sti_mta_name(from->mta), reason);
	else
		snprintf(buf, len, "%s logged \"%.200s\".", sti_mta_name(from->mta),
			 best->text + best->msg_off);
	return true;
}

/* "<id>" and "id" are the same message id. */
static bool same_id(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	if (na >= 2 && a[0] == '<' && a[na - 1] == '>') {
		a++;
		na -= 2;
	}
	if (nb >= 2 && b[0] == '<' && b[nb - 1] == '>') {
		b++;
		nb -= 2;
	}
	return na && na == nb && memcmp(a, b, na) == 0;
}

bool sti_mtalog_line_matches(const struct sti_mtalog_line *l, const char *q)
{
	if (!*q)
		return false;
	return strcmp(l->queue_id, q) == 0 || same_id(l->message_id, q) ||
	       strstr(l->text, q) != NULL;
}

bool sti_mtalog_joined_matches(const struct sti_mtalog_joined *j, const char *q)
{
	for (size_t i = 0; i < j->n; i++)
		for (const struct sti_mtalog_line *l = j->s[i]->first; l; l = l->next)
			if (sti_mtalog_line_matches(l, q))
				return true;
	return false;
}

void sti_mtalog_unmatched_failures(const struct sti_mtalog *log,
				   bool (*fn)(void *ctx, const struct sti_mtalog_session *s,
					      const struct sti_mtalog_line *l),
				   void *ctx)
{
	for (size_t i = 0; i < log->nsessions; i++) {
		const struct sti_mtalog_session *s = &log->sessions[i];
		if (s->session_id || !s->failure)
			continue;
		for (const struct sti_mtalog_line *l = s->first; l; l = l->next)
			if (l->failure && !fn(ctx, s, l))
				return;
	}
}

void sti_mtalog_match_str(const struct sti_mtalog_session *s, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s", sti_mta_match_name(s->match));
	for (unsigned i = 0; i < s->ncandidates && n > 0 && (size_t)n < len; i++)
		n += snprintf(buf + n, len - (size_t)n, "%s#%llu", i ? ", " : " among ",
			      (unsigned long long)s->candidates[i]);
}
