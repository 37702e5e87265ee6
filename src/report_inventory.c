/*
 * report_inventory.c - the --summary reporter: counts by outcome, cause
 * and reason, and the per-peer readiness tables (text), or one NDJSON
 * "inventory" object per peer.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sti/inventory.h"
#include "sti/outbuf.h"
#include "sti/tls_hello.h"

/* A file's own counts, for the per-file lines of a run over several. */
struct inv_file {
	char *name;
	struct sti_tally tally;
	bool failed;                /* an input error: counts up to it */
};

struct inv_reporter {
	struct sti_reporter base;   /* first: the ops get &base */
	struct sti_inventory *inv;
	bool json;
	bool markdown;
	struct inv_file *files;
	size_t nfiles;
};

static const enum sti_outcome order[STI_OUTCOME_COUNT] = {
	STI_OUTCOME_FAILED, STI_OUTCOME_DEPRECATED, STI_OUTCOME_NO_TLS,
	STI_OUTCOME_OK, STI_OUTCOME_INCOMPLETE, STI_OUTCOME_NOT_SMTP,
};

static const uint16_t versions[] = { 0x0300, 0x0301, 0x0302, 0x0303, 0x0304 };

static void inv_session(struct sti_reporter *r, const char *file,
			const struct sti_record *rec, const struct sti_verdict *v)
{
	(void)file;
	sti_inventory_add(((struct inv_reporter *)r)->inv, rec, v);
}

static void inv_file_done(struct sti_reporter *r, const char *file,
			  const struct sti_ingest_stats *st,
			  const struct sti_tally *tally, const char *error)
{
	struct inv_reporter *ir = (struct inv_reporter *)r;
	(void)st;
	struct inv_file *nf = realloc(ir->files, (ir->nfiles + 1) * sizeof(*nf));
	if (!nf)
		return;   /* the per-file lines are a convenience; totals stand */
	ir->files = nf;
	struct inv_file *one = &nf[ir->nfiles];
	memset(one, 0, sizeof(*one));
	one->name = strdup(file ? file : "-");
	if (!one->name)
		return;
	if (tally)
		one->tally = *tally;
	one->failed = error != NULL;
	ir->nfiles++;
}

static const char *vname(uint16_t v, char *buf, size_t len)
{
	return sti_tls_version_name(v, buf, len);
}

/* UTC to the minute, or iso: RFC 3339; "-" and false for a time that
 * cannot be shown (negative, past year 9999). */
static bool utc_time(int64_t us, bool iso, char *buf, size_t len)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	if (us >= 0 && gmtime_r(&t, &tm) && tm.tm_year <= 9999 - 1900 &&
	    strftime(buf, len, iso ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M", &tm))
		return true;
	snprintf(buf, len, "-");
	return false;
}

/* ---- text ---- */

/* With several files, each file's counts on its own line: a table whose
 * numbers stand right-aligned under their outcome. */
static void text_per_file(FILE *f, const struct inv_reporter *ir)
{
	if (ir->nfiles < 2)
		return;
	int w = (int)strlen("file");
	for (size_t i = 0; i < ir->nfiles; i++)
		if ((int)strlen(ir->files[i].name) > w)
			w = (int)strlen(ir->files[i].name);
	int cw[STI_OUTCOME_COUNT + 1];
	cw[0] = (int)strlen("sessions");
	for (unsigned k = 0; k < STI_OUTCOME_COUNT; k++)
		cw[k + 1] = (int)strlen(sti_outcome_name(order[k]));
	for (size_t i = 0; i < ir->nfiles; i++)
		for (unsigned k = 0; k <= STI_OUTCOME_COUNT; k++) {
			uint64_t v = k ? ir->files[i].tally.by_outcome[order[k - 1]]
				       : ir->files[i].tally.sessions;
			int d = snprintf(NULL, 0, "%" PRIu64, v);
			if (d > cw[k])
				cw[k] = d;
		}
	fprintf(f, "\nby file (%zu files)\n  %-*s  %*s", ir->nfiles, w, "file", cw[0], "sessions");
	for (unsigned k = 0; k < STI_OUTCOME_COUNT; k++)
		fprintf(f, "  %*s", cw[k + 1], sti_outcome_name(order[k]));
	fputc('\n', f);
	for (size_t i = 0; i < ir->nfiles; i++) {
		const struct inv_file *one = &ir->files[i];
		fprintf(f, "  %-*s  %*" PRIu64, w, one->name, cw[0], one->tally.sessions);
		for (unsigned k = 0; k < STI_OUTCOME_COUNT; k++)
			fprintf(f, "  %*" PRIu64, cw[k + 1], one->tally.by_outcome[order[k]]);
		fputs(one->failed ? "  (input error: counted up to it)\n" : "\n", f);
	}
}

static void text_counts(FILE *f, const struct sti_tally *t)
{
	fprintf(f, "sessions: %" PRIu64, t->sessions);
	for (unsigned i = 0; i < STI_OUTCOME_COUNT; i++)
		fprintf(f, "  %s: %" PRIu64, sti_outcome_name(order[i]), t->by_outcome[order[i]]);
	fputs("\nby cause:", f);
	const char *sep = " ";
	for (unsigned c = 0; c < STI_CAUSE_COUNT; c++)
		if (t->by_cause[c]) {
			fprintf(f, "%s%s %" PRIu64, sep, sti_cause_name((enum sti_cause)c), t->by_cause[c]);
			sep = ", ";
		}
	fputs("\nby reason:", f);
	sep = " ";
	for (unsigned r = 0; r < STI_REASON_COUNT; r++)
		if (t->by_reason[r]) {
			fprintf(f, "%s%s %" PRIu64, sep, sti_reason_name((enum sti_reason)r), t->by_reason[r]);
			sep = ", ";
		}
	fputc('\n', f);
}

static void version_range(char *buf, size_t len, uint16_t low, uint16_t high)
{
	char a[16], b[16];
	if (!high)
		snprintf(buf, len, "-");
	else if (low == high)
		snprintf(buf, len, "%s", vname(high, a, sizeof(a)));
	else
		snprintf(buf, len, "%s-%s", vname(low, a, sizeof(a)), vname(high, b, sizeof(b)));
}

static void text_offered(char *buf, size_t len, const struct sti_inv_peer *p)
{
	version_range(buf, len, p->offered_low, p->offered_high);
}

/* "1.0,1.2,1.3" from a bit per version, or "-". */
static void version_list(char *buf, size_t len, uint8_t bits)
{
	char v[16];
	size_t used = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < STI_INV_NVERSIONS; i++)
		if (bits & 1u << i)
			used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s",
						 used ? "," : "",
						 vname(sti_inv_version_of_bit(i), v, sizeof(v)));
	if (!used)
		snprintf(buf, len, "-");
}

static void text_negotiated(char *buf, size_t len, const struct sti_inv_peer *p)
{
	version_list(buf, len, p->negotiated);
}

/* What a server refused without a ServerHello, by the offer's maximum:
 * "1.0 (too old)", "1.3 (too new)", or "-". */
static void text_refused(char *buf, size_t len, const struct sti_inv_peer *p)
{
	char a[16], b[16];
	if (p->refused_old && p->refused_new)
		snprintf(buf, len, "%s (too old); %s (too new)", vname(p->refused_old, a, sizeof(a)),
			 vname(p->refused_new, b, sizeof(b)));
	else if (p->refused_old)
		snprintf(buf, len, "%s (too old)", vname(p->refused_old, a, sizeof(a)));
	else if (p->refused_new)
		snprintf(buf, len, "%s (too new)", vname(p->refused_new, b, sizeof(b)));
	else
		snprintf(buf, len, "-");
}

/* What a server accepts, from what it chose and what it refused. */
static void text_accepts(char *buf, size_t len, const struct sti_inv_peer *p)
{
	char v[16];
	size_t used = 0;
	buf[0] = '\0';
	if (p->chose)
		version_list(buf, len, p->chose), used = strlen(buf);
	if (p->refused_old)
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%sabove %s",
					 used ? "; " : "", vname(p->refused_old, v, sizeof(v)));
	if (p->refused_new)
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%sbelow %s",
					 used ? "; " : "", vname(p->refused_new, v, sizeof(v)));
	if (!used)
		snprintf(buf, len, "-");
}

static void text_outcomes(char *buf, size_t len, const struct sti_inv_peer *p)
{
	size_t used = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < STI_OUTCOME_COUNT; i++)
		if (p->outcomes[order[i]])
			used += (size_t)snprintf(buf + used, used < len ? len - used : 0,
						 "%s%s %" PRIu64, used ? ", " : "",
						 sti_outcome_name(order[i]), p->outcomes[order[i]]);
	if (p->tcp_refused || p->tcp_no_answer)
		snprintf(buf + used, used < len ? len - used : 0,
			 " (refused %" PRIu64 ", unanswered %" PRIu64 ")",
			 p->tcp_refused, p->tcp_no_answer);
}

static void text_ciphers(char *buf, size_t len, const struct sti_inv_peer *p)
{
	size_t used = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < p->nciphers; i++) {
		const char *n = sti_tls_cipher_name(p->ciphers[i]);
		char hex[8];
		snprintf(hex, sizeof(hex), "0x%04X", p->ciphers[i]);
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s",
					 i ? "," : "", n ? n : hex);
	}
	if (p->ciphers_more)
		snprintf(buf + used, used < len ? len - used : 0, ",...");
}

/*
 * One table row as cells. Clients: what they offered and negotiated;
 * servers: what they chose, refused and so accept. The widths of a role's
 * table come from its widest cell, so every column lines up whatever the
 * address family or name length.
 */
enum { CELLS_MAX = 10, CELL_LEN = 400 };
struct cells {
	unsigned n;
	char c[CELLS_MAX][CELL_LEN];
};

static void cell(struct cells *row, const char *text)
{
	snprintf(row->c[row->n++], CELL_LEN, "%s", text);
}

static void header_cells(struct cells *row, enum sti_inv_role role, bool dated)
{
	row->n = 0;
	cell(row, "breaks");
	cell(row, "address");
	cell(row, "name");
	cell(row, "sessions");
	if (role == STI_INV_CLIENT) {
		cell(row, "offered");
		cell(row, "negotiated");
	} else {
		cell(row, "chose");
		cell(row, "refused");
		cell(row, "accepts");
	}
	if (dated)
		cell(row, "last seen (UTC)");
	cell(row, "outcomes");
	cell(row, "ciphers");
}

static void peer_cells(struct cells *row, const struct sti_inventory *inv,
		       const struct sti_inv_peer *p, bool dated)
{
	char t[CELL_LEN];
	row->n = 0;
	cell(row, sti_inv_risk_name(sti_inventory_risk(inv, p)));
	cell(row, sti_addr_str(&p->addr, t, sizeof(t)));
	cell(row, p->name[0] ? p->name : "-");
	snprintf(t, sizeof(t), "%" PRIu64, p->sessions);
	cell(row, t);
	if (p->role == STI_INV_CLIENT) {
		text_offered(t, sizeof(t), p);
		cell(row, t);
		text_negotiated(t, sizeof(t), p);
		cell(row, t);
	} else {
		version_list(t, sizeof(t), p->chose);
		cell(row, t);
		text_refused(t, sizeof(t), p);
		cell(row, t);
		text_accepts(t, sizeof(t), p);
		cell(row, t);
	}
	if (dated) {
		utc_time(p->last_seen, false, t, sizeof(t));
		cell(row, t);
	}
	text_outcomes(t, sizeof(t), p);
	cell(row, t);
	text_ciphers(t, sizeof(t), p);
	cell(row, t);
}

static void widen(size_t *w, const struct cells *row)
{
	for (unsigned i = 0; i < row->n; i++)
		if (strlen(row->c[i]) > w[i])
			w[i] = strlen(row->c[i]);
}

/* Two spaces between columns; sessions right-aligned; nothing after the
 * last non-empty cell. */
static void print_cells(FILE *f, const struct cells *row, const size_t *w)
{
	unsigned last = row->n;
	while (last > 0 && !row->c[last - 1][0])
		last--;
	for (unsigned i = 0; i < last; i++) {
		int width = i + 1 == last ? 0 : (int)w[i];
		if (i == 3)
			fprintf(f, "%*s", width, row->c[i]);
		else
			fprintf(f, "%-*s", width, row->c[i]);
		if (i + 1 < last)
			fputs("  ", f);
	}
	fputc('\n', f);
}

/* One role's rows [from, to) as an aligned table under its title. */
static void text_table(FILE *f, const struct sti_inventory *inv,
		       const struct sti_inv_peer *const *rows, size_t from, size_t to,
		       bool dated, const char *min)
{
	static struct cells row;   /* 4 KB: off the stack */
	size_t w[CELLS_MAX] = { 0 };
	enum sti_inv_role role = rows[from]->role;
	header_cells(&row, role, dated);
	widen(w, &row);
	for (size_t i = from; i < to; i++) {
		peer_cells(&row, inv, rows[i], dated);
		widen(w, &row);
	}
	fprintf(f, "\n%s (breaks: fails once the %s requires TLS %s)\n",
		role == STI_INV_CLIENT ? "clients" : "servers",
		role == STI_INV_CLIENT ? "server" : "client", min);
	header_cells(&row, role, dated);
	print_cells(f, &row, w);
	for (size_t i = from; i < to; i++) {
		peer_cells(&row, inv, rows[i], dated);
		print_cells(f, &row, w);
	}
}

static void text_tables(struct inv_reporter *ir)
{
	FILE *f = ir->base.out;
	size_t n;
	uint64_t dropped;
	char v[16];
	const struct sti_inv_peer *const *rows = sti_inventory_rows(ir->inv, &n, &dropped);
	const char *min = vname(ir->base.opts.min_version, v, sizeof(v));
	for (size_t from = 0; from < n;) {
		size_t to = from;
		while (to < n && rows[to]->role == rows[from]->role)
			to++;
		text_table(f, ir->inv, rows, from, to, ir->base.opts.dated, min);
		from = to;
	}
	if (dropped)
		fprintf(f, "(%" PRIu64 " session ends not counted: more than %d peers)\n",
			dropped, STI_INV_MAX_PEERS);
}

/* ---- NDJSON ---- */

/* The program's one JSON escaper (sti/outbuf.h): names keep their UTF-8. */
static void json_string(FILE *f, const char *s)
{
	sti_json_string_to(f, s, strlen(s));
}

static void json_versions(FILE *f, const struct sti_inv_peer *p)
{
	char v[16];
	bool first = true;
	fputs(",\"inventory.versions\":[", f);
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		if (p->negotiated & 1u << i) {
			fprintf(f, "%s\"%s\"", first ? "" : ",", vname(versions[i], v, sizeof(v)));
			first = false;
		}
	fputs("],\"inventory.ciphers\":[", f);
	for (unsigned i = 0; i < p->nciphers; i++) {
		const char *n = sti_tls_cipher_name(p->ciphers[i]);
		if (n)
			fprintf(f, "%s\"%s\"", i ? "," : "", n);
		else
			fprintf(f, "%s\"0x%04X\"", i ? "," : "", p->ciphers[i]);
	}
	fprintf(f, "],\"inventory.ciphers_truncated\":%s", p->ciphers_more ? "true" : "false");
}

/* What the server itself did: the versions it chose, the offers it
 * refused without a ServerHello (too old for it, or too new). */
static void json_server_choices(FILE *f, const struct sti_inv_peer *p)
{
	char v[16];
	bool first = true;
	fputs(",\"inventory.chose\":[", f);
	for (unsigned i = 0; i < STI_INV_NVERSIONS; i++)
		if (p->chose & 1u << i) {
			fprintf(f, "%s\"%s\"", first ? "" : ",",
				vname(sti_inv_version_of_bit(i), v, sizeof(v)));
			first = false;
		}
	fputc(']', f);
	if (p->refused_old)
		fprintf(f, ",\"inventory.refused_old_max\":\"%s\"", vname(p->refused_old, v, sizeof(v)));
	if (p->refused_new)
		fprintf(f, ",\"inventory.refused_new_max\":\"%s\"", vname(p->refused_new, v, sizeof(v)));
}

static void json_row(FILE *f, const struct sti_inventory *inv, const struct sti_inv_peer *p,
		     uint16_t min_version)
{
	char addr[64], v[16];
	sti_addr_str(&p->addr, addr, sizeof(addr));
	fprintf(f, "{\"event.kind\":\"inventory\",\"inventory.role\":\"%s\",\"inventory.ip\":\"%s\"",
		p->role == STI_INV_CLIENT ? "client" : "server", addr);
	if (p->name[0]) {
		fputs(",\"inventory.name\":", f);
		json_string(f, p->name);
	}
	fprintf(f, ",\"inventory.sessions\":%" PRIu64, p->sessions);
	if (p->offered_high) {
		fprintf(f, ",\"inventory.offered_max_lowest\":\"%s\"", vname(p->offered_low, v, sizeof(v)));
		fprintf(f, ",\"inventory.offered_max_highest\":\"%s\"", vname(p->offered_high, v, sizeof(v)));
	}
	json_versions(f, p);
	if (p->role == STI_INV_SERVER)
		json_server_choices(f, p);
	char when[32];
	if (utc_time(p->first_seen, true, when, sizeof(when)))
		fprintf(f, ",\"inventory.first_seen\":\"%s\"", when);
	if (utc_time(p->last_seen, true, when, sizeof(when)))
		fprintf(f, ",\"inventory.last_seen\":\"%s\"", when);
	fputs(",\"inventory.outcome\":{", f);
	for (unsigned i = 0; i < STI_OUTCOME_COUNT; i++)
		fprintf(f, "%s\"%s\":%" PRIu64, i ? "," : "", sti_outcome_name((enum sti_outcome)i),
			p->outcomes[i]);
	fputc('}', f);
	if (p->tcp_refused || p->tcp_no_answer)
		fprintf(f, ",\"inventory.tcp_refused\":%" PRIu64 ",\"inventory.tcp_no_answer\":%" PRIu64,
			p->tcp_refused, p->tcp_no_answer);
	fprintf(f, ",\"inventory.breaks_at_minimum\":\"%s\",\"inventory.policy_minimum\":\"%s\"}\n",
		sti_inv_risk_name(sti_inventory_risk(inv, p)), vname(min_version, v, sizeof(v)));
}

/* ---- Markdown ---- */

/* Names are printable ASCII without spaces (set_name); Markdown's own
 * characters are escaped so a hostile EHLO cannot break the table. */
static void md_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (strchr("\\`*_[]<>|~", *s))
			fputc('\\', f);
		fputc(*s, f);
	}
}

static void md_outcomes(FILE *f, const struct sti_inv_peer *p)
{
	const char *sep = "";
	for (unsigned i = 0; i < STI_OUTCOME_COUNT; i++)
		if (p->outcomes[order[i]]) {
			fprintf(f, "%s%s %" PRIu64, sep, sti_outcome_name(order[i]),
				p->outcomes[order[i]]);
			sep = ", ";
		}
}

static void md_row(FILE *f, const struct sti_inventory *inv, const struct sti_inv_peer *p)
{
	char addr[64], offered[40], neg[40], when[32];
	sti_addr_str(&p->addr, addr, sizeof(addr));
	text_offered(offered, sizeof(offered), p);
	text_negotiated(neg, sizeof(neg), p);
	utc_time(p->last_seen, false, when, sizeof(when));
	fprintf(f, "| %s | %s | ", sti_inv_risk_name(sti_inventory_risk(inv, p)), addr);
	md_text(f, p->name[0] ? p->name : "-");
	if (p->role == STI_INV_CLIENT) {
		fprintf(f, " | %" PRIu64 " | %s | %s | %s | ", p->sessions, offered, neg, when);
	} else {
		char chose[40], refused[80], accepts[120];
		version_list(chose, sizeof(chose), p->chose);
		text_refused(refused, sizeof(refused), p);
		text_accepts(accepts, sizeof(accepts), p);
		fprintf(f, " | %" PRIu64 " | %s | %s | %s | %s | ", p->sessions, chose, refused,
			accepts, when);
	}
	md_outcomes(f, p);
	fputs(" |\n", f);
}

static void md_document(struct inv_reporter *ir, const struct sti_tally *t)
{
	FILE *f = ir->base.out;
	size_t n;
	uint64_t dropped;
	char v[16];
	const char *min = vname(ir->base.opts.min_version, v, sizeof(v));
	fprintf(f, "# TLS inventory\n\nPolicy minimum: TLS %s. Sessions: %" PRIu64, min,
		t ? t->sessions : 0);
	for (unsigned i = 0; t && i < STI_OUTCOME_COUNT; i++)
		fprintf(f, ", %s %" PRIu64, sti_outcome_name(order[i]), t->by_outcome[order[i]]);
	fputs(".\n", f);
	const struct sti_inv_peer *const *rows = sti_inventory_rows(ir->inv, &n, &dropped);
	int role = -1;
	for (size_t i = 0; i < n; i++) {
		if ((int)rows[i]->role != role) {
			role = (int)rows[i]->role;
			fprintf(f, "\n## %s (breaks: fails once the %s requires TLS %s)\n\n",
				role == STI_INV_CLIENT ? "Clients" : "Servers",
				role == STI_INV_CLIENT ? "server" : "client", min);
			fputs(role == STI_INV_CLIENT
			      ? "| breaks | address | name | sessions | offered | negotiated "
				"| last seen (UTC) | outcomes |\n"
				"|---|---|---|---:|---|---|---|---|\n"
			      : "| breaks | address | name | sessions | chose | refused | accepts "
				"| last seen (UTC) | outcomes |\n"
				"|---|---|---|---:|---|---|---|---|---|\n", f);
		}
		md_row(f, ir->inv, rows[i]);
	}
	if (dropped)
		fprintf(f, "\n%" PRIu64 " session ends not counted: more than %d peers.\n",
			dropped, STI_INV_MAX_PEERS);
}

static void inv_finish(struct sti_reporter *r, const struct sti_tally *tally)
{
	struct inv_reporter *ir = (struct inv_reporter *)r;
	if (ir->markdown) {
		md_document(ir, tally);
	} else if (ir->json) {
		size_t n;
		uint64_t dropped;
		const struct sti_inv_peer *const *rows = sti_inventory_rows(ir->inv, &n, &dropped);
		for (size_t i = 0; i < n; i++)
			json_row(r->out, ir->inv, rows[i], r->opts.min_version);
	} else {
		if (tally)
			text_counts(r->out, tally);
		text_per_file(r->out, ir);
		text_tables(ir);
	}
	fflush(r->out);
}

static void inv_destroy(struct sti_reporter *r)
{
	struct inv_reporter *ir = (struct inv_reporter *)r;
	if (!ir)
		return;
	sti_inventory_free(ir->inv);
	for (size_t i = 0; i < ir->nfiles; i++)
		free(ir->files[i].name);
	free(ir->files);
	free(ir);
}

static const struct sti_reporter_ops inv_ops = {
	.session = inv_session,
	.file_done = inv_file_done,
	.finish = inv_finish,
	.destroy = inv_destroy,
};

struct sti_reporter *sti_report_inventory_new(FILE *out, const struct sti_report_opts *o,
					      bool json)
{
	struct inv_reporter *ir = calloc(1, sizeof(*ir));
	if (!ir)
		return NULL;
	ir->base.ops = &inv_ops;
	ir->base.out = out;
	if (o)
		ir->base.opts = *o;
	ir->json = json;
	ir->inv = sti_inventory_new(ir->base.opts.min_version);
	if (!ir->inv) {
		free(ir);
		return NULL;
	}
	return &ir->base;
}

struct sti_reporter *sti_report_inventory_markdown_new(FILE *out,
						       const struct sti_report_opts *o)
{
	struct sti_reporter *r = sti_report_inventory_new(out, o, false);
	if (r)
		((struct inv_reporter *)r)->markdown = true;
	return r;
}
