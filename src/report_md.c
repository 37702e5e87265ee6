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

#include "config.h"
#include "sti/civil_time.h"
#include "sti/evidence.h"
#include "sti/mtalog.h"
#include "sti/outbuf.h"
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
	unsigned input;                    /* inputs ended so far */
	FILE *mta_park;                    /* --mta-log: the closing section */
};

static struct md_reporter *md_of(struct sti_reporter *r)
{
	return (struct md_reporter *)r;
}

/* ---- text helpers ---- */

/* The characters that act inside a line of Markdown. */
static bool md_special(unsigned char c)
{
	switch (c) {
	case '\\': case '`': case '*': case '_': case '[': case ']':
	case '<': case '>': case '|': case '~':
		return true;
	default:
		return false;
	}
}

/* Printable ASCII with the characters that act inside a line escaped
 * (emphasis, code, links, HTML, table cells): safe in a paragraph or a
 * table cell, and still readable as plain text. */
static void put_text(FILE *f, const char *s, size_t max)
{
	struct sti_out o;
	sti_out_init(&o, f, false);
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\t' || c == '\n' || c == '\r')
			c = ' ';
		else if (c < 0x20 || c > 0x7e)
			c = '?';
		if (md_special(c))
			sti_out_byte(&o, '\\');
		sti_out_byte(&o, (char)c);
	}
	sti_out_drain(&o);
}

/* Up to max bytes of s (or its NUL), printable, backticks as '?': safe
 * in a code span and in a fenced block. */
static void put_plain(FILE *f, const char *s, size_t max, bool ticks)
{
	struct sti_out o;
	sti_out_init(&o, f, false);
	if (ticks)
		sti_out_byte(&o, '`');
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		sti_out_byte(&o, c < 0x20 || c > 0x7e || c == '`' ? '?' : (char)c);
	}
	if (ticks)
		sti_out_byte(&o, '`');
	sti_out_drain(&o);
}

/* Inside a code span: no backticks, printable only. */
static void put_code(FILE *f, const char *s, size_t max)
{
	put_plain(f, s, max, true);
}

/* "FILE:LINE  text" inside a fenced block: printable, no fence breaks. */
static void put_log_line(FILE *f, const struct sti_mtalog *log, const struct sti_mtalog_line *l)
{
	fprintf(f, "%s:%" PRIu64 "  ", sti_mtalog_file_name(log, l->file), l->lineno);
	put_plain(f, l->text, sizeof(l->text), false);
	fputc('\n', f);
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

/* ---- frame numbers ---- */

/*
 * With -w the report gives each frame as the original capture's and the
 * evidence file's number. The evidence is written when its input ends,
 * after the section, so the section holds a mark (control bytes, which
 * wire text never keeps) that unpark() turns into the numbers:
 * 'b' both ("236, evidence frame 13"), 'e' the evidence file's alone.
 */
#define MARK_START '\001'
#define MARK_END '\002'

static void put_frame(FILE *f, const struct md_reporter *m, uint64_t frame, char kind)
{
	if (m->base.opts.evidence)
		fprintf(f, "%c%c%u:%" PRIu64 "%c", MARK_START, kind, m->input, frame, MARK_END);
	else
		fprintf(f, "%" PRIu64, frame);
}

/* The mark's numbers, as the reader sees them. */
static void put_mark(struct md_reporter *m, const char *mark)
{
	FILE *f = m->base.out;
	char kind = mark[0];
	unsigned input = 0, file_index = 0;
	uint64_t frame = 0, ev = 0;
	if (sscanf(mark + 1, "%u:%" SCNu64, &input, &frame) != 2)
		return;
	bool found = sti_evidence_lookup(m->base.opts.evidence, input, frame, &file_index, &ev);
	if (kind == 'b')
		fprintf(f, "%" PRIu64, frame);
	if (!found) {
		fputs(kind == 'b' ? "" : "?", f);
		return;
	}
	fprintf(f, "%s%" PRIu64, kind == 'b' ? ", evidence frame " : "", ev);
	if (file_index) {
		char name[4096];
		sti_evidence_file_name(m->base.opts.evidence_path, file_index, name, sizeof(name));
		fputs(" of ", f);
		put_code(f, name, sizeof(name));
	}
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
		put_code(f, m->hello_name, STI_SMTP_NAME_MAX);
	}
	fputs(" |\n", f);
	put_row(f, "Server");
	put_endpoint(f, &rec->srv);
	if (m && m->greeting_seen) {
		fputs(", greeting ", f);
		put_code(f, m->greeting.text, STI_SMTP_TEXT_MAX);
	}
	if (t && t->have_ch && t->ch.sni[0]) {
		fputs(", SNI ", f);
		put_code(f, t->ch.sni, STI_HELLO_NAME_MAX);
	}
	fputs(" |\n", f);
}

static void verdict_rows(FILE *f, const struct md_reporter *m, const char *file,
			 const struct sti_record *rec, const struct sti_verdict *v)
{
	char ver[24];
	put_row(f, "Capture");
	put_code(f, file ? file : "-", 4096);
	fprintf(f, ", frames %" PRIu64 " to %" PRIu64 " |\n", rec->first_frame, rec->last_frame);
	if (m->base.opts.evidence) {
		put_row(f, "Evidence file");
		put_code(f, m->base.opts.evidence_path, 4096);
		fputs(", frames ", f);
		put_frame(f, m, rec->first_frame, 'e');
		fputs(" to ", f);
		put_frame(f, m, rec->last_frame, 'e');
		fputs(" |\n", f);
	}
	put_row(f, "Mode");
	fprintf(f, "%s |\n", sti_mode_name(rec->mode));
	if (rec->tls && rec->tls->have_ch) {
		put_row(f, "Client offered");
		fprintf(f, "up to %s |\n", sti_tls_version_text(rec->tls->ch.max_version, ver, sizeof(ver)));
	}
	if (rec->tls && rec->tls->have_sh) {
		put_row(f, "Negotiated");
		char cs[64];
		const char *group = sti_tls_group_name(rec->tls->sh.selected_group);
		fprintf(f, "%s, cipher %s%s%s |\n",
			sti_tls_version_text(rec->tls->sh.version, ver, sizeof(ver)),
			sti_tls_cipher_text(rec->tls->sh.cipher, cs, sizeof(cs)),
			group ? ", group " : "", group ? group : "");
	}
	put_row(f, "Verdict");
	fprintf(f, "**%s**, cause %s, reason `%s` (%s) |\n", sti_outcome_name(v->outcome),
		sti_cause_name(v->cause), sti_reason_name(v->reason),
		sti_confidence_name(v->confidence));
	put_row(f, "Decisive frames");
	unsigned ne = v->nevidence < STI_VERDICT_MAX_EVIDENCE ? v->nevidence : STI_VERDICT_MAX_EVIDENCE;
	for (unsigned i = 0; i < ne; i++) {
		fputs(!i ? "" : m->base.opts.evidence ? "; " : ", ", f);
		put_frame(f, m, v->evidence[i], 'b');
	}
	fputs(ne ? " |\n" : "none |\n", f);
	put_row(f, "Wireshark filter");
	put_filter(f, rec);
	fputs(" |\n", f);
}

/*
 * The remediation's prose as paragraphs, its command lines (two leading
 * spaces) in a code block, whole, so that they paste as they are.
 */
static void put_remediation(FILE *f, const char *r, size_t max)
{
	const char *p = r, *end = r + strnlen(r, max);
	bool in_code = false;
	fputs("\n**What to change.** ", f);
	while (p < end) {
		size_t n = strcspn(p, "\n");
		if (n > (size_t)(end - p))
			n = (size_t)(end - p);
		bool code = n >= 2 && p[0] == ' ' && p[1] == ' ';
		if (code != in_code)
			fputs(code ? "\n```text\n" : "```\n\n", f);
		if (code) {
			put_plain(f, p + 2, n - 2, false);
		} else {
			fputs(p == r || in_code ? "" : "\n", f);   /* a paragraph each */
			put_text(f, p, n);
		}
		fputc('\n', f);
		in_code = code;
		p += n + 1;
	}
	if (in_code)
		fputs("```\n", f);
}

/* "2026-01-31" */
static void put_date(FILE *f, int64_t t)
{
	struct tm tm;
	char buf[16];
	if (t && sti_tm_from_epoch(t, &tm) && strftime(buf, sizeof(buf), "%Y-%m-%d", &tm))
		fputs(buf, f);
	else
		fputs("unknown", f);
}

/* The server's certificate: subject, issuer, SAN, validity, chain, SHA-256. */
static void cert_table(FILE *f, const struct sti_record *rec)
{
	const struct sti_tls_facts *t = rec->tls;
	if (!t || !t->server_cert || !t->server_cert->leaf.parsed)
		return;
	const struct sti_cert_info *ci = &t->server_cert->leaf;
	fputs("\n| Server certificate | |\n| --- | --- |\n", f);
	put_row(f, "Subject");
	put_code(f, ci->subject[0] ? ci->subject : ci->subject_cn, sizeof(ci->subject));
	fputs(" |\n", f);
	put_row(f, "Issuer");
	put_code(f, ci->issuer[0] ? ci->issuer : ci->issuer_cn, sizeof(ci->issuer));
	fputs(" |\n", f);
	put_row(f, "SAN");
	for (unsigned i = 0; i < ci->nsans && i < STI_CERT_MAX_SANS; i++) {
		fputs(i ? ", " : "", f);
		put_code(f, ci->sans[i], sizeof(ci->sans[i]));
	}
	fputs(ci->nsans ? " |\n" : "none |\n", f);
	put_row(f, "Valid");
	put_date(f, ci->not_before);
	fputs(" to ", f);
	put_date(f, ci->not_after);
	fputs(" |\n", f);
	put_row(f, "Chain");
	fprintf(f, "%u certificate%s sent |\n", ci->chain_len, ci->chain_len == 1 ? "" : "s");
	put_row(f, "SHA-256");
	put_code(f, ci->sha256, sizeof(ci->sha256));
	fputs(" |\n", f);
}

/* The MTA's own lines (--mta-log), in a text block as logged. */
static void put_mta_lines(FILE *f, const struct sti_mtalog_joined *mta)
{
	char how[160];
	for (size_t i = 0; i < mta->n; i++) {
		const struct sti_mtalog_session *s = mta->s[i];
		sti_mtalog_match_str(s, how, sizeof(how));
		fprintf(f, "\n**%s logged** (%s, match: %s):\n\n```text\n",
			sti_mta_name(s->mta), sti_mta_role_name(s->role), how);
		for (const struct sti_mtalog_line *l = s->first; l; l = l->next)
			put_log_line(f, mta->log, l);
		fputs("```\n", f);
	}
}

static void write_section(FILE *f, const struct md_reporter *m, const char *file,
			  const struct sti_record *rec, const struct sti_verdict *v)
{
	const struct sti_report_opts *o = &m->base.opts;
	fprintf(f, "\n### Session %" PRIu64 ": ", rec->id);
	put_endpoint(f, &rec->cli);
	fputs(" to ", f);
	put_endpoint(f, &rec->srv);
	fputs("\n\n| | |\n| --- | --- |\n", f);
	peers_rows(f, rec);
	verdict_rows(f, m, file, rec, v);
	cert_table(f, rec);
	char cite[300];
	bool cited = rec->mta && sti_mtalog_citation(rec->mta, cite, sizeof(cite));
	if (v->explanation[0] || cited) {
		fputs("\n**What happened.** ", f);
		put_text(f, v->explanation, sizeof(v->explanation));
		if (cited) {
			fputc(' ', f);
			put_text(f, cite, sizeof(cite));
		}
		fputc('\n', f);
	}
	if (v->remediation[0])
		put_remediation(f, v->remediation, sizeof(v->remediation));
	if (rec->fallback_after)
		fprintf(f, "\nThis plaintext session follows the failed TLS attempt "
			"of session %" PRIu64 ".\n", rec->fallback_after);
	if (rec->mta)
		put_mta_lines(f, rec->mta);
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

/* A verdict the document's tables can count. */
static bool countable(const struct sti_verdict *v)
{
	return (unsigned)v->outcome < STI_OUTCOME_COUNT && (unsigned)v->cause < STI_CAUSE_COUNT &&
	       (unsigned)v->reason < STI_REASON_COUNT;
}

/* Whether the session gets a section (with its ladder). */
static bool md_prints(struct sti_reporter *r, const struct sti_record *rec,
		      const struct sti_verdict *v)
{
	return countable(v) && (r->opts.mta_find || sti_selection_match(&md_of(r)->sel, rec, v));
}

static void md_session(struct sti_reporter *r, const char *file,
		       const struct sti_record *rec, const struct sti_verdict *v)
{
	struct md_reporter *m = md_of(r);
	if (!countable(v))
		return;
	note_file(m, file);
	m->counts[v->outcome][v->cause][v->reason]++;
	if (!m->sessions++ || rec->first_ts < m->first_ts)
		m->first_ts = rec->first_ts;
	if (m->sessions == 1 || rec->last_ts > m->last_ts)
		m->last_ts = rec->last_ts;
	if (!md_prints(r, rec, v))
		return;
	m->selected++;
	FILE **park = &m->park[v->outcome];
	if (!*park && !(*park = tmpfile())) {
		m->lost = true;
		return;
	}
	write_section(*park, m, file, rec, v);
}

static void md_file_done(struct sti_reporter *r, const char *file,
			 const struct sti_ingest_stats *st,
			 const struct sti_tally *tally, const char *error)
{
	struct md_reporter *m = md_of(r);
	(void)st;
	(void)tally;
	note_file(m, file);
	m->input++;
	if (error)
		m->file_errors++;
}

static void put_head(struct md_reporter *m)
{
	FILE *f = m->base.out;
	char ver[24];
	fputs("# STARTTLS report\n\n", f);
	fputs("Made by " PACKAGE_NAME " " PACKAGE_VERSION " from a packet capture. "
	      "Frame numbers are those Wireshark shows for the same file; each "
	      "session gives a display filter that opens it.\n\n", f);
	fputs(m->nfiles + m->files_more == 1 ? "- Capture: " : "- Captures: ", f);
	for (unsigned i = 0; i < m->nfiles; i++) {
		fputs(i ? ", " : "", f);
		put_code(f, m->files[i], 4096);
	}
	if (m->files_more)
		fprintf(f, " and %u more", m->files_more);
	fputc('\n', f);
	if (m->base.opts.evidence) {
		fputs("- Evidence file: ", f);
		put_code(f, m->base.opts.evidence_path, 4096);
		fputs(" (its packets of the sessions below; a frame reads \"236, evidence "
		      "frame 13\": frame 236 of the capture is frame 13 of the evidence "
		      "file)\n", f);
	}
	if (m->sessions) {
		fputs("- Time span: ", f);
		put_time(f, m->first_ts);
		fputs(" to ", f);
		put_time(f, m->last_ts);
		fputs(" (first to last packet of the sessions)\n", f);
	}
	fprintf(f, "- Policy minimum: %s\n",
		sti_tls_version_text(m->base.opts.min_version, ver, sizeof(ver)));
	char what[512];
	sti_selection_describe(&m->sel, what, sizeof(what));
	fprintf(f, "- Sessions: %" PRIu64 "; described below: %" PRIu64 " (", m->sessions,
		m->selected);
	if (sti_selection_given(&m->sel)) {
		fputs("selected by ", f);
		put_code(f, what, sizeof(what));
	} else {
		fputs("every session whose cause is not none", f);
	}
	fputs(")\n", f);
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

/* A mark being read from a parked file, which may span two reads. */
struct mark_reader {
	char text[64];
	size_t n;
	bool open;
};

/* Bytes inside a mark up to and including its end: how many were used. */
static size_t mark_bytes(struct md_reporter *m, struct mark_reader *k,
			 const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (b[i] == MARK_START) {
			k->n = 0;
		} else if (b[i] == MARK_END) {
			k->text[k->n] = '\0';
			put_mark(m, k->text);
			k->open = false;
			return i + 1;
		} else if (k->n + 1 < sizeof(k->text)) {
			k->text[k->n++] = b[i];
		}
	}
	return n;
}

/* Copy a parked file to the output, marks replaced by their numbers: the
 * text between marks in runs, not byte by byte. */
static void unpark(struct md_reporter *m, FILE *p)
{
	char buf[8192];
	struct mark_reader k = { .n = 0, .open = false };
	size_t got;
	if (fflush(p) != 0 || ferror(p))
		m->lost = true;
	rewind(p);
	while ((got = fread(buf, 1, sizeof(buf), p)) > 0) {
		size_t i = 0;
		while (i < got) {
			if (k.open) {
				i += mark_bytes(m, &k, buf + i, got - i);
				continue;
			}
			const char *start = memchr(buf + i, MARK_START, got - i);
			size_t run = start ? (size_t)(start - (buf + i)) : got - i;
			fwrite(buf + i, 1, run, m->base.out);
			i += run;
			if (start) {
				k.open = true;
				k.n = 0;
				i++;
			}
		}
	}
	if (ferror(p))
		m->lost = true;
}

struct md_unmatched {
	FILE *f;
	const struct sti_mtalog *log;
	uint64_t n;
};

static bool md_unmatched_line(void *ctx, const struct sti_mtalog_session *s,
			      const struct sti_mtalog_line *l)
{
	struct md_unmatched *u = ctx;
	char peer[64];
	if (u->n++ >= STI_MTALOG_UNMATCHED_LISTED)
		return true;
	sti_addr_str(&s->peer.addr, peer, sizeof(peer));
	fprintf(u->f, "peer %s  ", peer);
	put_log_line(u->f, u->log, l);
	return true;
}

/* Kept for the end of the document, after the sessions. */
static void md_mta_done(struct sti_reporter *r, const struct sti_mtalog_report *mr)
{
	struct md_reporter *m = md_of(r);
	FILE *f = m->mta_park ? m->mta_park : (m->mta_park = tmpfile());
	if (!f) {
		m->lost = true;
		return;
	}
	fputs("\n## MTA logs\n\n| capture | exact | time and address | ambiguous | log clock skew |\n"
	      "| --- | --- | --- | --- | --- |\n", f);
	for (size_t i = 0; i < mr->ncaptures; i++) {
		const struct sti_mtajoin_result *res = &mr->results[i];
		fputs("| ", f);
		put_text(f, mr->capture_names[i], 4096);
		fprintf(f, " | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " | ",
			res->matched[STI_MTA_EXACT], res->matched[STI_MTA_TIME_AND_ADDRESS],
			res->matched[STI_MTA_AMBIGUOUS]);
		if (res->skew_known)
			fprintf(f, "%+.3f s (%s) |\n", (double)res->skew_us / 1e6,
				res->skew_given ? "given" : "estimated");
		else
			fputs("unknown |\n", f);
	}
	struct md_unmatched u = { f, mr->log, 0 };
	fputs("\n### Failure lines with no captured session\n\n```text\n", f);
	sti_mtalog_unmatched_failures(mr->log, md_unmatched_line, &u);
	fputs("```\n", f);
	if (u.n > STI_MTALOG_UNMATCHED_LISTED)
		fprintf(f, "\n... and %" PRIu64 " more.\n", u.n - STI_MTALOG_UNMATCHED_LISTED);
	fputs(u.n ? "\nThe capture was taken elsewhere (another host or interface), a filter "
		    "left these connections out, or the clocks differ (--log-skew).\n"
		  : "\nNone.\n", f);
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
	if (m->mta_park)
		unpark(m, m->mta_park);
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
	if (m->mta_park)
		fclose(m->mta_park);
	free(m);
}

static const struct sti_reporter_ops md_ops = {
	.session = md_session,
	.file_done = md_file_done,
	.mta_done = md_mta_done,
	.finish = md_finish,
	.destroy = md_destroy,
	.ladder_wanted = md_prints,
};

struct sti_reporter *sti_report_markdown_new(FILE *out, const struct sti_report_opts *o,
					     const struct sti_selection *sel)
{
	struct md_reporter *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->base.ops = &md_ops;
	m->base.prints_ladder = true;
	m->base.out = out;
	if (o)
		m->base.opts = *o;
	m->sel = *sel;
	return &m->base;
}
