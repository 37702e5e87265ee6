/*
 * smtp_frame.c - the SMTP layer's framer: bytes in, complete lines out.
 *
 * Each direction is a framer with four modes: command/reply lines, DATA
 * content (up to the lone "."), a BDAT chunk (a byte count), and a TLS
 * record seen in the plaintext session (skipped by its length so its bytes
 * do not turn into junk commands). A line whole in the chunk is parsed in
 * place; a line split across chunks is gathered in a capped buffer. The
 * line parsers (smtp.c) only ever see complete lines.
 */
#include "sti/smtp.h"

#include <string.h>

#include "sti/rd.h"
#include "smtp_impl.h"

/* ---- framing ---- */

/* A complete line: drop the CR of CRLF and hand it to its parser. */
static void line_done(struct sti_smtp *m, enum sti_dir dir, struct sti_rd line)
{
	struct sti_smtp_dir *d = &m->d[dir];
	uint64_t off = d->line_off, wire_len = d->line_total;
	bool overlong = d->overlong;
	uint8_t c;

	smtp_dir_reset_line(d);
	if (overlong)
		smtp_note(m, dir, STI_SMTP_AN_LINE_TOO_LONG, m->frame);
	else if (sti_rd_peek(&line, line.n ? line.n - 1 : 0, &c) && c == '\r')
		line.n--;
	if (wire_len > 0 && d->last == '\r')
		wire_len--;
	if (dir == STI_C2S)
		smtp_client_line(m, line, off, wire_len);
	else
		smtp_server_line(m, line, off);
}

/* Keep what fits of a partial line; the rest is only counted. */
static void line_append(struct sti_smtp_dir *d, struct sti_rd piece)
{
	size_t room = STI_SMTP_LINE_MAX - d->len;
	size_t k = piece.n < room ? piece.n : room;
	uint8_t c;

	if (piece.n == 0)
		return;
	if (sti_rd_peek(&piece, piece.n - 1, &c))
		d->last = c;
	d->line_total += piece.n;
	if (d->line_total > STI_SMTP_LINE_MAX)
		d->overlong = true;
	if (sti_rd_copy(&piece, d->line + d->len, k))
		d->len += k;
}

static bool take(struct sti_smtp_dir *d, struct sti_rd *r, size_t k,
		 struct sti_rd *out)
{
	if (!sti_rd_sub(r, k, out))
		return false;
	d->off += k;
	return true;
}

/*
 * The first three bytes of a line look like a TLS record header (RFC 8446
 * 5.1: content type 20..23, legacy version 3.x). 1 yes, 0 no, 2 not yet.
 */
static int tls_prefix(const struct sti_smtp_dir *d, const struct sti_rd *r,
		      uint8_t *type)
{
	uint8_t b[3];
	size_t have = 0;

	for (size_t i = 0; i < d->len && have < 3; i++)
		b[have++] = d->line[i];
	for (size_t i = 0; have < 3 && sti_rd_peek(r, i, &b[have]); i++)
		have++;
	if (have >= 1 && (b[0] < 0x14 || b[0] > 0x17))
		return 0;
	if (have >= 2 && b[1] != 0x03)
		return 0;
	if (have >= 3 && b[2] > 0x04)
		return 0;
	*type = have ? b[0] : 0;
	return have == 3 ? 1 : 2;
}

/*
 * A TLS record where a line should start. It is skipped by its length and
 * stands for one command, since the server answers it (with 500s).
 */
static void enter_record(struct sti_smtp *m, enum sti_dir dir, uint8_t type)
{
	struct sti_smtp_dir *d = &m->d[dir];
	struct sti_smtp_facts *f = &m->f;

	memcpy(d->rec, d->line, d->len);
	d->rec_have = (uint8_t)d->len;
	smtp_dir_reset_line(d);
	d->mode = M_TLSREC;
	if (f->tls_records_in_plaintext[dir]++ == 0) {
		f->tls_in_plaintext_frame[dir] = d->line_frame;
		f->tls_in_plaintext_type[dir] = type;
	}
	smtp_note(m, dir, STI_SMTP_AN_TLS_IN_PLAINTEXT, d->line_frame);
	if (dir == STI_S2C && !m->replied) {  /* a TLS server, not a greeting */
		m->replied = true;
		smtp_note(m, STI_S2C, STI_SMTP_AN_NO_GREETING, d->line_frame);
	}
	if (dir == STI_C2S) {
		struct sti_smtp_event ev = smtp_ev_new(m, STI_SMTP_EV_COMMAND, STI_C2S);
		m->f.commands++;
		smtp_queue_push(m, STI_SMTP_CMD_TLS, false);
		ev.offset = d->line_off;
		ev.cmd = STI_SMTP_CMD_TLS;
		smtp_ev_send(m, &ev);
	}
}

static void step_discard(struct sti_smtp_dir *d, struct sti_rd *r)
{
	const uint8_t *lf = memchr(r->p, '\n', r->n);
	size_t k = lf ? (size_t)(lf - r->p) + 1 : r->n;
	struct sti_rd skipped;

	if (take(d, r, k, &skipped) && lf)
		smtp_dir_reset_line(d);
}

static void step_lines(struct sti_smtp *m, enum sti_dir dir, struct sti_rd *r)
{
	struct sti_smtp_dir *d = &m->d[dir];
	const uint8_t *lf;
	struct sti_rd piece, body;
	size_t k;
	uint8_t c;

	if (d->discard) {
		step_discard(d, r);
		return;
	}
	if (d->line_total == 0) {
		d->line_off = d->off;
		d->line_frame = m->frame;
		/* TLS bytes right after STARTTLS: the client did not wait. */
		if (dir == STI_C2S && m->await_starttls && sti_rd_peek(r, 0, &c) &&
		    (c == 0x16 || c == 0x15)) {
			m->f.client_tls_before_reply = true;
			smtp_switch_dir(m, STI_C2S);
			return;
		}
	}
	if (d->line_total < 3 && tls_prefix(d, r, &c) == 1) {
		enter_record(m, dir, c);
		return;
	}
	lf = memchr(r->p, '\n', r->n);
	k = lf ? (size_t)(lf - r->p) + 1 : r->n;
	if (!take(d, r, k, &piece))
		return;
	if (!lf) {
		line_append(d, piece);
		return;
	}
	if (!sti_rd_sub(&piece, k - 1, &body))
		return;
	if (d->line_total == 0 && body.n <= STI_SMTP_LINE_MAX) {
		d->line_total = body.n;  /* whole in the chunk: parse in place */
		if (body.n && sti_rd_peek(&body, body.n - 1, &c))
			d->last = c;
		line_done(m, dir, body);
		return;
	}
	line_append(d, body);
	line_done(m, dir, sti_rd_init(d->line, d->len));
}

static void content_finish(struct sti_smtp *m, uint64_t term)
{
	struct sti_smtp_dir *c = &m->d[STI_C2S];
	uint64_t bytes = c->content_len - term;
	struct sti_smtp_event ev = smtp_ev_new(m, STI_SMTP_EV_CONTENT, STI_C2S);

	m->f.message_bytes += bytes;
	if (bytes)
		smtp_crossed_in_clear(m);
	smtp_add_span(m, STI_C2S, STI_SMTP_SPAN_CONTENT, c->content_off, bytes);
	ev.offset = c->content_off;
	ev.len = bytes;
	ev.cmd = c->mode == M_BDAT ? STI_SMTP_CMD_BDAT : STI_SMTP_CMD_DATA;
	smtp_ev_send(m, &ev);
	c->mode = M_LINES;
	smtp_dir_reset_line(c);
}

/* One step of the CRLF "." CRLF matcher; bare LF is accepted too. */
static bool dot_step(struct sti_smtp_dir *c, uint8_t b)
{
	switch (c->dot) {
	case DOT_BOL:
		c->dot = b == '.' ? DOT_DOT : b == '\n' ? DOT_BOL : DOT_MID;
		return false;
	case DOT_DOT:
		if (b == '\n')
			return true;
		c->dot = b == '\r' ? DOT_DOT_CR : DOT_MID;
		return false;
	case DOT_DOT_CR:
		if (b == '\n')
			return true;
		c->dot = DOT_MID;
		return false;
	default:
		c->dot = b == '\n' ? DOT_BOL : DOT_MID;
		return false;
	}
}

static void step_content(struct sti_smtp *m, struct sti_rd *r)
{
	struct sti_smtp_dir *c = &m->d[STI_C2S];
	struct sti_rd piece;
	uint8_t b;

	while (!sti_rd_empty(r)) {
		if (c->dot == DOT_MID) {  /* most bytes: jump to the next LF */
			const uint8_t *lf = memchr(r->p, '\n', r->n);
			size_t k = lf ? (size_t)(lf - r->p) + 1 : r->n;
			if (!take(c, r, k, &piece))
				return;
			c->content_len += k;
			if (lf)
				c->dot = DOT_BOL;
			continue;
		}
		if (!sti_rd_u8(r, &b))
			return;
		c->off++;
		c->content_len++;
		if (dot_step(c, b)) {
			content_finish(m, c->dot == DOT_DOT_CR ? 3 : 2);
			smtp_queue_push(m, STI_SMTP_CMD_DATA_END, false);
			return;
		}
	}
}

static void step_bdat(struct sti_smtp *m, struct sti_rd *r)
{
	struct sti_smtp_dir *c = &m->d[STI_C2S];
	size_t k = r->n < c->bdat_left ? r->n : (size_t)c->bdat_left;
	struct sti_rd piece;

	if (!take(c, r, k, &piece))
		return;
	c->bdat_left -= k;
	c->content_len += k;
	if (c->bdat_left == 0)
		content_finish(m, 0);
}

static void step_record(struct sti_smtp *m, enum sti_dir dir, struct sti_rd *r)
{
	struct sti_smtp_dir *d = &m->d[dir];
	struct sti_rd piece;
	size_t k;

	while (d->rec_have < 5) {
		if (!sti_rd_u8(r, &d->rec[d->rec_have]))
			return;
		d->off++;
		if (++d->rec_have == 5) {
			struct sti_rd h = sti_rd_init(d->rec + 3, 2);
			uint16_t len = 0;
			if (!sti_rd_u16(&h, &len))
				len = 0;
			d->rec_left = len;
		}
	}
	k = r->n < d->rec_left ? r->n : d->rec_left;
	if (!take(d, r, k, &piece))
		return;
	d->rec_left -= (uint32_t)k;
	if (d->rec_left == 0) {
		d->rec_have = 0;
		d->mode = M_LINES;
	}
}

size_t sti_smtp_feed(struct sti_smtp *m, enum sti_dir dir, const uint8_t *p, size_t n,
		     uint64_t frame, int64_t ts_us)
{
	struct sti_rd r = sti_rd_init(p, n);
	struct sti_smtp_dir *d;

	d = &m->d[dir];
	if (d->switched)
		return 0;
	m->frame = frame;
	m->ts = ts_us;
	d->last_frame = frame;
	d->last_ts = ts_us;
	while (!sti_rd_empty(&r) && !d->switched) {
		if (!d->spoke) {
			d->spoke = true;
			if (dir == STI_C2S && !m->replied)
				smtp_note_at(m, STI_C2S, STI_SMTP_AN_CLIENT_SPOKE_FIRST,
					frame, d->off);
		}
		if (dir == STI_C2S && m->await_starttls && m->inj_frame == 0)
			m->inj_frame = frame;
		switch (d->mode) {
		case M_CONTENT: step_content(m, &r); break;
		case M_BDAT: step_bdat(m, &r); break;
		case M_TLSREC: step_record(m, dir, &r); break;
		default: step_lines(m, dir, &r); break;
		}
	}
	return n - sti_rd_left(&r);
}

void sti_smtp_gap(struct sti_smtp *m, enum sti_dir dir, uint64_t len, uint64_t frame)
{
	struct sti_smtp_dir *d;
	struct sti_smtp_event ev;

	d = &m->d[dir];
	if (d->switched || d->ended || len == 0)
		return;
	m->frame = frame;
	m->f.gap_bytes += len;
	smtp_note_at(m, dir, STI_SMTP_AN_GAP, frame, d->off);
	ev = smtp_ev_new(m, STI_SMTP_EV_GAP, dir);
	ev.len = len;
	smtp_ev_send(m, &ev);
	if (dir == STI_C2S && m->await_starttls)
		m->inj_gap += len;
	d->off += len;
	if (d->mode == M_CONTENT) {
		d->content_len += len;
		d->dot = DOT_MID;  /* whatever was lost, it was not "." */
		return;
	}
	if (d->mode == M_BDAT && len < d->bdat_left) {
		d->bdat_left -= len;
		d->content_len += len;
		return;
	}
	if (d->mode == M_TLSREC && d->rec_have == 5 && len < d->rec_left) {
		d->rec_left -= (uint32_t)len;
		return;
	}
	/* Lost sync: the next byte may be mid-line. */
	if (d->mode == M_BDAT)
		content_finish(m, 0);
	d->mode = M_LINES;
	d->rec_have = 0;
	smtp_dir_reset_line(d);
	d->discard = true;
}

void sti_smtp_end(struct sti_smtp *m, enum sti_dir dir)
{
	struct sti_smtp_dir *d;
	struct sti_smtp_event ev;

	d = &m->d[dir];
	if (d->ended)
		return;
	d->ended = true;
	m->frame = d->last_frame;
	m->ts = d->last_ts;
	if (!d->switched) {
		bool partial = d->mode == M_LINES && d->line_total > 0 &&
			       !d->discard;
		bool content = (d->mode == M_CONTENT || d->mode == M_BDAT) &&
			       d->content_len > 0;
		if (partial || content || d->mode == M_TLSREC ||
		    (dir == STI_S2C && m->acc.active))
			smtp_note_at(m, dir, STI_SMTP_AN_TRUNCATED_AT_END,
				m->frame, d->off);
		if (partial)
			line_done(m, dir, sti_rd_init(d->line, d->len));
		else if (content)
			content_finish(m, 0);
		if (dir == STI_S2C && m->acc.active && !d->switched)
			smtp_reply_finish(m);
	}
	ev = smtp_ev_new(m, STI_SMTP_EV_END, dir);
	smtp_ev_send(m, &ev);
}
