/*
 * fuzz_mtalog.c - the MTA log parser and the join (--mta-log). The first
 * byte picks the piece size the rest is fed in (0: whole), since any split
 * must give what one call gives; the second byte, whether the input is an
 * Exchange log (a #Fields: header is put first). The sessions found are
 * then joined to captured sessions made from their own peers, and every
 * string of the result is read whole.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sti/mtalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t touched;

static void touch_joined(const struct sti_mtalog *log, uint32_t capture, uint64_t id)
{
	struct sti_mtalog_joined j;
	char buf[400];
	if (!sti_mtalog_joined_for(log, capture, id, &j))
		return;
	if (sti_mtalog_citation(&j, buf, sizeof(buf)))
		touched += strlen(buf);
	touched += sti_mtalog_joined_matches(&j, "1xZqtt-0000nf-2u");
	for (size_t i = 0; i < j.n; i++) {
		sti_mtalog_match_str(j.s[i], buf, sizeof(buf));
		touched += strlen(buf);
		for (const struct sti_mtalog_line *l = j.s[i]->first; l; l = l->next)
			touched += strlen(l->text) + strlen(l->text + l->msg_off) +
				   strlen(l->queue_id) + strlen(l->message_id);
	}
}

static bool count_unmatched(void *ctx, const struct sti_mtalog_session *s,
			    const struct sti_mtalog_line *l)
{
	(void)ctx;
	touched += strlen(l->text) + s->nlines;
	return true;
}

/* A captured session at each log session's peer, at its time. */
static void join_own_peers(struct sti_mtalog *log)
{
	static struct sti_mtajoin_cap caps[64];
	size_t n = 0;
	for (size_t i = 0; i < sti_mtalog_nsessions(log) && n < 64; i++) {
		const struct sti_mtalog_session *s = sti_mtalog_session(log, i);
		struct sti_mtajoin_cap *c = &caps[n];
		memset(c, 0, sizeof(*c));
		c->id = n + 1;
		c->cli = s->role == STI_MTA_SERVER ? s->peer : s->local;
		c->srv = s->role == STI_MTA_SERVER ? s->local : s->peer;
		c->first_ts = s->first_ts;
		c->last_ts = s->last_ts;
		c->failed = i & 1;
		n++;
	}
	struct sti_mtajoin_result res;
	sti_mtalog_join(log, 0, caps, n, NULL, &res);
	for (size_t i = 0; i < n; i++)
		touch_joined(log, 0, caps[i].id);
	sti_mtalog_unmatched_failures(log, count_unmatched, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char fields[] = "#Fields: date-time,connector-id,session-id,"
		"sequence-number,local-endpoint,remote-endpoint,event,data,context\n";
	if (size < 2)
		return 0;
	size_t piece = data[0];
	bool exchange = data[1] & 1;
	data += 2;
	size -= 2;
	struct sti_mtalog *log = sti_mtalog_new();
	if (!log)
		return 0;
	struct sti_mtalog_reader *r = sti_mtalog_reader_new(log, "fuzz", 1796481409);
	if (!r) {
		sti_mtalog_free(log);
		return 0;
	}
	if (exchange)
		sti_mtalog_feed(r, (const uint8_t *)fields, sizeof(fields) - 1);
	size_t step = piece ? piece : (size ? size : 1);
	for (size_t off = 0; off < size; off += step)
		sti_mtalog_feed(r, data + off, size - off < step ? size - off : step);
	sti_mtalog_reader_end(r);
	join_own_peers(log);
	sti_mtalog_free(log);
	return 0;
}
