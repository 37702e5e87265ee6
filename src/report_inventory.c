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
#include "sti/tls_hello.h"

struct inv_reporter {
	struct sti_reporter base;   /* first: the ops get &base */
	struct sti_inventory *inv;
	bool json;
	bool markdown;
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
	(void)r, (void)file, (void)st, (void)tally, (void)error;
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

static void text_offered(char *buf, size_t len, const struct sti_inv_peer *p)
{
	char a[16], b[16];
	if (!p->offered_high)
		snprintf(buf, len, "-");
	else if (p->offered_low == p->offered_high)
		snprintf(buf, len, "%s", vname(p->offered_high, a, sizeof(a)));
	else
		snprintf(buf, len, "%s-%s", vname(p->offered_low, a, sizeof(a)),
			 vname(p->offered_high, b, sizeof(b)));
}

static void text_negotiated(char *buf, size_t len, const struct sti_inv_peer *p)
{
	char v[16];
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		if (p->negotiated & 1u << i)
			used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s",
						 used ? "," : "", vname(versions[i], v, sizeof(v)));
	if (!used)
		snprintf(buf, len, "-");
}

static void text_row(FILE *f, const struct sti_inventory *inv, const struct sti_inv_peer *p,
		     bool dated)
{
	char addr[64], offered[40], neg[40];
	sti_addr_str(&p->addr, addr, sizeof(addr));
	text_offered(offered, sizeof(offered), p);
	text_negotiated(neg, sizeof(neg), p);
	fprintf(f, "%-8s %-15s %-24.24s %8" PRIu64 "  %-8s %-16s ",
		sti_inv_risk_name(sti_inventory_risk(inv, p)), addr,
		p->name[0] ? p->name : "-", p->sessions, offered, neg);
	if (dated) {
		char when[32];
		utc_time(p->last_seen, false, when, sizeof(when));
		fprintf(f, "%-16s  ", when);
	}
	const char *sep = "";
	for (unsigned i = 0; i < STI_OUTCOME_COUNT; i++)
		if (p->outcomes[order[i]]) {
			fprintf(f, "%s%s %" PRIu64, sep, sti_outcome_name(order[i]), p->outcomes[order[i]]);
			sep = ", ";
		}
	if (p->tcp_refused || p->tcp_no_answer)
		fprintf(f, " (refused %" PRIu64 ", unanswered %" PRIu64 ")",
			p->tcp_refused, p->tcp_no_answer);
	fputs(p->nciphers ? "  " : "\n", f);
	for (unsigned i = 0; i < p->nciphers; i++) {
		const char *n = sti_tls_cipher_name(p->ciphers[i]);
		if (n)
			fprintf(f, "%s%s", i ? "," : "", n);
		else
			fprintf(f, "%s0x%04X", i ? "," : "", p->ciphers[i]);
	}
	if (p->nciphers)
		fputs(p->ciphers_more ? ",...\n" : "\n", f);
}

static void text_tables(struct inv_reporter *ir)
{
	FILE *f = ir->base.out;
	size_t n;
	uint64_t dropped;
	char v[16];
	const struct sti_inv_peer *const *rows = sti_inventory_rows(ir->inv, &n, &dropped);
	const char *min = vname(ir->base.opts.min_version, v, sizeof(v));
	int role = -1;
	for (size_t i = 0; i < n; i++) {
		if ((int)rows[i]->role != role) {
			role = (int)rows[i]->role;
			fprintf(f, "\n%s (breaks: fails once the %s requires TLS %s)\n",
				role == STI_INV_CLIENT ? "clients" : "servers",
				role == STI_INV_CLIENT ? "server" : "client", min);
			fprintf(f, "%-8s %-15s %-24s %8s  %-8s %-16s ", "breaks", "address",
				"name", "sessions", "offered", "negotiated");
			if (ir->base.opts.dated)
				fprintf(f, "%-16s  ", "last seen (UTC)");
			fputs("outcomes  ciphers\n", f);
		}
		text_row(f, ir->inv, rows[i], ir->base.opts.dated);
	}
	if (dropped)
		fprintf(f, "(%" PRIu64 " session ends not counted: more than %d peers)\n",
			dropped, STI_INV_MAX_PEERS);
}

/* ---- NDJSON ---- */

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c > 0x7e)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
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
	fprintf(f, " | %" PRIu64 " | %s | %s | %s | ", p->sessions, offered, neg, when);
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
			fputs("| breaks | address | name | sessions | offered | negotiated "
			      "| last seen (UTC) | outcomes |\n"
			      "|---|---|---|---:|---|---|---|---|\n", f);
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
