/*
 * report_md.c - the ticket report: one Markdown document a support engineer
 * can read without our tool (SPEC 2.3, 7).
 *
 * The head of the document (capture names, time span, policy, counts) is
 * only known at the end, so each selected session's section is written as
 * it arrives into a temporary file of its outcome and the document is put
 * together in finish(): failed first, then deprecated, no_tls, incomplete,
 * ok. Only counts and names stay in memory.
 *
 * Wire text is reduced to printable ASCII and Markdown's special characters
 * are escaped outside code; ladder lines never start with a fence.
 */
#include "sti/report.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sti/tls_hello.h"

#define MAX_FILES_NAMED 16

static const enum sti_outcome order[STI_OUTCOME_COUNT] = {
	STI_OUTCOME_FAILED, STI_OUTCOME_DEPRECATED, STI_OUTCOME_NO_TLS,
	STI_OUTCOME_INCOMPLETE, STI_OUTCOME_OK, STI_OUTCOME_NOT_SMTP,
};

struct md_reporter {
	struct sti_reporter base;          /* first: the ops get &base */
	struct sti_selection sel;
	FILE *park[STI_OUTCOME_COUNT];
	bool lost;                         /* a temporary file failed */
	uint64_t counts[STI_OUTCOME_COUNT][STI_CAUSE_COUNT][STI_REASON_COUNT];
	uint64_t sessions, selected;
	int64_t first_ts, last_ts;
	char *files[MAX_FILES_NAMED];
	unsigned nfiles, files_more;
	unsigned file_errors;
};

static struct md_reporter *md_of(struct sti_reporter *r)
{
	return (struct md_reporter *)r;
}

/* ---- text helpers ---- */

/* Printable ASCII with the characters that act inside a line escaped
 * (emphasis, code, links, HTML, table cells): safe in a paragraph or a
 * table cell, and still readable as plain text. */
static void put_text(FILE *f, const char *s, size_t max)
{
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\t' || c == '\n' || c == '\r')
			c = ' ';
		else if (c < 0x20 || c > 0x7e)
			c = '?';
		if (strchr("\\`*_[]<>|~", c))
			fputc('\\', f);
		fputc(c, f);
	}
}

/* Inside a code span: no backticks, printable only. */
static void put_code(FILE *f, const char *s, size_t max)
{
	fputc('`', f);
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		fputc(c < 0x20 || c > 0x7e || c == '`' ? '?' : c, f);
	}
	fputc('`', f);
}

static void put_time(FILE *f, int64_t ts_us)
{
	time_t t = (time_t)(ts_us / 1000000);
	struct tm tm;
	char buf[40];
	if (!gmtime_r(&t, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, sizeof(buf), "%" PRId64, ts_us / 1000000);
	fprintf(f, "%s UTC", buf);
}

static void put_endpoint(FILE *f, const struct sti_endpoint *e)
{
	char a[64];
	sti_addr_str(&e->addr, a, sizeof(a));
	fprintf(f, e->addr.family == 6 ? "[%s]:%u" : "%s:%u", a, (unsigned)e->port);
}

/* The display filter that opens the same TCP connection in Wireshark. */
static void put_filter(FILE *f, const struct sti_record *rec)
{
	char a[64], b[64];
	const char *ip = rec->cli.addr.family == 6 ? "ipv6.addr" : "ip.addr";
	sti_addr_str(&rec->cli.addr, a, sizeof(a));
	sti_addr_str(&rec->srv.addr, b, sizeof(b));
	fprintf(f, "`%s==%s && %s==%s && tcp.port==%u && tcp.port==%u`", ip, a, ip, b,
		(unsigned)rec->cli.port, (unsigned)rec->srv.port);
}

/* ---- one session ---- */

/* "MAIL FROM:<a@b>" rows keep the verb only when redacting. */
static void redact_ladder(struct sti_record *rec)
{
	for (unsigned i = 0; i < rec->nladder && i < STI_LADDER_MAX; i++) {
		struct sti_ladder_row *row = &rec->ladder[i];
		if (row->dir != STI_C2S || (strncasecmp(row->text, "mail ", 5) != 0 &&
					    strncasecmp(row->text, "rcpt ", 5) != 0))
			continue;
		char *colon = strchr(row->text, ':');
		size_t at = colon ? (size_t)(colon - row->text) + 1 : 4;
		snprintf(row->text + at, sizeof(row->text) - at, "%s", "<redacted>");
	}
}

static void put_row(FILE *f, const char *name)
{
	fprintf(f, "| %s | ", name);
}

static void peers_rows(FILE *f, const struct sti_record *rec)
{
	const struct sti_smtp_facts *m = rec->smtp;
	const struct sti_tls_facts *t = rec->tls;
	put_row(f, "Client");
	put_endpoint(f, &rec->cli);
	if (m && m->hello_name[0]) {
		fputs(", EHLO ", f);
		put_code(f, m->hello_name, sizeof(m->hello_name));
	}
	fputs(" |\n", f);
	put_row(f, "Server");
	put_endpoint(f, &rec->srv);
	if (m && m->greeting_seen) {
		fputs(", greeting ", f);
		put_code(f, m->greeting.text, sizeof(m->greeting.text));
	}
	if (t && t->have_ch && t->ch.sni[0]) {
		fputs(", SNI ", f);
		put_code(f, t->ch.sni, sizeof(t->ch.sni));
	}
	fputs(" |\n", f);
}

static void verdict_rows(FILE *f, const char *file, const struct sti_record *rec,
			 const struct sti_verdict *v)
{
	char ver[24];
	put_row(f, "Capture");
	put_code(f, file ? file : "-", 4096);
	fprintf(f, ", frames %" PRIu64 " to %" PRIu64 " |\n", rec->first_frame, rec->last_frame);
	put_row(f, "Mode");
	fprintf(f, "%s |\n", sti_mode_name(rec->mode));
	if (rec->tls && rec->tls->have_ch) {
		put_row(f, "Client offered");
		fprintf(f, "up to %s |\n", sti_tls_version_text(rec->tls->ch.max_version, ver, sizeof(ver)));
	}
	if (rec->tls && rec->tls->have_sh) {
		put_row(f, "Negotiated");
		fprintf(f, "%s, cipher 0x%04x |\n",
			sti_tls_version_text(rec->tls->sh.version, ver, sizeof(ver)),
			rec->tls->sh.cipher);
	}
	put_row(f, "Verdict");
	fprintf(f, "**%s**, cause %s, reason `%s` (%s) |\n", sti_outcome_name(v->outcome),
		sti_cause_name(v->cause), sti_reason_name(v->reason),
		sti_confidence_name(v->confidence));
	put_row(f, "Decisive frames");
	unsigned ne = v->nevidence < STI_VERDICT_MAX_EVIDENCE ? v->nevidence : STI_VERDICT_MAX_EVIDENCE;
	for (unsigned i = 0; i < ne; i++)
		fprintf(f, "%s%" PRIu64, i ? ", " : "", v->evidence[i]);
	fputs(ne ? " |\n" : "none |\n", f);
	put_row(f, "Wireshark filter");
	put_filter(f, rec);
	fputs(" |\n", f);
}

static void write_section(FILE *f, const struct sti_report_opts *o, const char *file,
			  const struct sti_record *rec, const struct sti_verdict *v)
{
	fprintf(f, "\n### Session %" PRIu64 ": ", rec->id);
	put_endpoint(f, &rec->cli);
	fputs(" to ", f);
	put_endpoint(f, &rec->srv);
	fputs("\n\n| | |\n| --- | --- |\n", f);
	peers_rows(f, rec);
	verdict_rows(f, file, rec, v);
	if (v->explanation[0]) {
		fputs("\n**What happened.** ", f);
		put_text(f, v->explanation, sizeof(v->explanation));
		fputc('\n', f);
	}
	if (v->remediation[0]) {
		fputs("\n**What to change.** ", f);
		put_text(f, v->remediation, sizeof(v->remediation));
		fputc('\n', f);
	}
	if (rec->fallback_after)
		fprintf(f, "\nThis plaintext session follows the failed TLS attempt "
			"of session %" PRIu64 ".\n", rec->fallback_after);
	if (!rec->nladder)
		return;
	struct sti_record *copy = malloc(sizeof(*copy));
	if (!copy)
		return;
	*copy = *rec;
	if (o->redact)
		redact_ladder(copy);
	fputs("\n```text\n", f);
	sti_report_ladder(f, copy);
	fputs("```\n", f);
	free(copy);
}

/* ---- the reporter ops ---- */

static void note_file(struct md_reporter *m, const char *file)
{
	const char *name = file ? file : "-";
	if (m->nfiles && strcmp(m->files[m->nfiles - 1], name) == 0)
		return;
	if (m->nfiles == MAX_FILES_NAMED) {
		m->files_more++;
		return;
	}
	char *copy = strdup(name);
	if (copy)
		m->files[m->nfiles++] = copy;
}

static void md_session(struct sti_reporter *r, const char *file,
		       const struct sti_record *rec, const struct sti_verdict *v)
{
	struct md_reporter *m = md_of(r);
	if ((unsigned)v->outcome >= STI_OUTCOME_COUNT || (unsigned)v->cause >= STI_CAUSE_COUNT ||
	    (unsigned)v->reason >= STI_REASON_COUNT)
		return;
	note_file(m, file);
	m->counts[v->outcome][v->cause][v->reason]++;
	if (!m->sessions++ || rec->first_ts < m->first_ts)
		m->first_ts = rec->first_ts;
	if (m->sessions == 1 || rec->last_ts > m->last_ts)
		m->last_ts = rec->last_ts;
	if (!sti_selection_match(&m->sel, rec, v))
		return;
	m->selected++;
	FILE **park = &m->park[v->outcome];
	if (!*park && !(*park = tmpfile())) {
		m->lost = true;
		return;
	}
	write_section(*park, &r->opts, file, rec, v);
}

static void md_file_done(struct sti_reporter *r, const char *file,
			 const struct sti_ingest_stats *st,
			 const struct sti_tally *tally, const char *error)
{
	struct md_reporter *m = md_of(r);
	(void)st;
	(void)tally;
	note_file(m, file);
	if (error)
		m->file_errors++;
}

static void put_head(struct md_reporter *m)
{
	FILE *f = m->base.out;
	char ver[24];
	fputs("# STARTTLS report\n\n", f);
	fputs("Made by starttls-inspect from a packet capture. Frame numbers are "
	      "those Wireshark shows for the same file; each session gives a display "
	      "filter that opens it.\n\n", f);
	fputs(m->nfiles + m->files_more == 1 ? "- Capture: " : "- Captures: ", f);
	for (unsigned i = 0; i < m->nfiles; i++) {
		fputs(i ? ", " : "", f);
		put_code(f, m->files[i], 4096);
	}
	if (m->files_more)
		fprintf(f, " and %u more", m->files_more);
	fputc('\n', f);
	if (m->sessions) {
		fputs("- Time span: ", f);
		put_time(f, m->first_ts);
		fputs(" to ", f);
		put_time(f, m->last_ts);
		fputs(" (first to last packet of the sessions)\n", f);
	}
	fprintf(f, "- Policy minimum: %s\n",
		sti_tls_version_text(m->base.opts.min_version, ver, sizeof(ver)));
	fprintf(f, "- Sessions: %" PRIu64 "; described below: %" PRIu64 " (", m->sessions, m->selected);
	bool first = true;
	for (unsigned i = 0; i < STI_OUTCOME_COUNT; i++) {
		if (!(m->sel.outcomes & 1u << order[i]))
			continue;
		fprintf(f, "%s%s", first ? "" : ", ", sti_outcome_name(order[i]));
		first = false;
	}
	fputs(m->sel.nids || m->sel.nhosts ? "; named sessions or hosts only)\n" : ")\n", f);
	if (m->file_errors)
		fprintf(f, "- %u input file%s could not be read to the end\n", m->file_errors,
			m->file_errors == 1 ? "" : "s");
}

static void put_summary_table(struct md_reporter *m)
{
	FILE *f = m->base.out;
	fputs("\n## Summary\n\n| outcome | cause | reason | sessions |\n| --- | --- | --- | ---: |\n", f);
	for (unsigned i = 0; i < STI_OUTCOME_COUNT; i++)
		for (unsigned c = 0; c < STI_CAUSE_COUNT; c++)
			for (unsigned r = 0; r < STI_REASON_COUNT; r++) {
				uint64_t n = m->counts[order[i]][c][r];
				if (n)
					fprintf(f, "| %s | %s | %s | %" PRIu64 " |\n",
						sti_outcome_name(order[i]),
						sti_cause_name((enum sti_cause)c),
						sti_reason_name((enum sti_reason)r), n);
			}
}

static void unpark(struct md_reporter *m, FILE *p)
{
	char buf[8192];
	size_t n;
	if (fflush(p) != 0 || ferror(p))
		m->lost = true;
	rewind(p);
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		fwrite(buf, 1, n, m->base.out);
	if (ferror(p))
		m->lost = true;
}

static void md_finish(struct sti_reporter *r, const struct sti_tally *tally)
{
	struct md_reporter *m = md_of(r);
	(void)tally;
	put_head(m);
	put_summary_table(m);
	for (unsigned i = 0; i < STI_OUTCOME_COUNT; i++) {
		FILE *p = m->park[order[i]];
		if (!p)
			continue;
		fprintf(r->out, "\n## %s\n", sti_outcome_name(order[i]));
		unpark(m, p);
	}
	if (m->lost)
		fputs("\n(some sessions are missing: a temporary file could not be "
		      "written or read)\n", r->out);
	fflush(r->out);
}

static void md_destroy(struct sti_reporter *r)
{
	struct md_reporter *m = md_of(r);
	if (!m)
		return;
	for (unsigned i = 0; i < STI_OUTCOME_COUNT; i++)
		if (m->park[i])
			fclose(m->park[i]);
	for (unsigned i = 0; i < m->nfiles; i++)
		free(m->files[i]);
	free(m);
}

static const struct sti_reporter_ops md_ops = {
	.session = md_session,
	.file_done = md_file_done,
	.finish = md_finish,
	.destroy = md_destroy,
};

struct sti_reporter *sti_report_markdown_new(FILE *out, const struct sti_report_opts *o,
					     const struct sti_selection *sel)
{
	struct md_reporter *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->base.ops = &md_ops;
	m->base.out = out;
	if (o)
		m->base.opts = *o;
	m->sel = *sel;
	return &m->base;
}
