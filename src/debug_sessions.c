/*
 * debug_sessions.c - one line per TCP session, for debugging the lower
 * layers and comparing them with tshark's tcp.stream view.
 */
#include "sti/grow.h"
#include "sti/debug_sessions.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct line {
	uint64_t id;
	char *text;
};

struct sti_sessions_view {
	struct line *lines;
	size_t n, cap;
};

struct sti_sessions_view *sti_sessions_view_new(void)
{
	return calloc(1, sizeof(struct sti_sessions_view));
}

static void forget_lines(struct sti_sessions_view *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->lines[i].text);
	v->n = 0;
}

void sti_sessions_view_free(struct sti_sessions_view *v)
{
	if (!v)
		return;
	forget_lines(v);
	free(v->lines);
	free(v);
}

static void format_endpoint(const struct sti_endpoint *e, char *buf, size_t len)
{
	char a[64];
	sti_addr_str(&e->addr, a, sizeof(a));
	snprintf(buf, len, e->addr.family == 6 ? "[%s]:%u" : "%s:%u", a, e->port);
}

/* "fin:client@12", "rst:server@40" or "none": the first closing packet. */
static void format_first_end(const struct sti_session *s, char *buf, size_t len)
{
	if (s->end_side == STI_DIR_NONE) {
		snprintf(buf, len, "none");
		return;
	}
	const struct sti_dir_info *di = &s->dir[s->end_side];
	snprintf(buf, len, "%s:%s@%" PRIu64,
		 di->rst_frame == s->end_frame ? "rst" : "fin",
		 s->end_side == STI_C2S ? "client" : "server", s->end_frame);
}

static char *format_session(const struct sti_session *s)
{
	char cli[80], srv[80], first[48];
	format_endpoint(&s->cli, cli, sizeof(cli));
	format_endpoint(&s->srv, srv, sizeof(srv));
	format_first_end(s, first, sizeof(first));
	const struct sti_reasm_stats *c = &sti_session_stream(s, STI_C2S)->st,
				     *v = &sti_session_stream(s, STI_S2C)->st;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	fprintf(f,
		"%" PRIu64 " %s -> %s orient=%s c2s=%" PRIu64 "p/%" PRIu64
		"B s2c=%" PRIu64 "p/%" PRIu64 "B gaps=%" PRIu64 "/%" PRIu64
		"B end=%s first=%s frames=%" PRIu64 "-%" PRIu64,
		s->id, cli, srv, sti_orient_name(s->orient),
		s->dir[STI_C2S].packets, s->dir[STI_C2S].payload_bytes,
		s->dir[STI_S2C].packets, s->dir[STI_S2C].payload_bytes,
		c->gaps + v->gaps, c->gap_bytes + v->gap_bytes,
		sti_end_name(s->end), first, s->first_frame, s->last_frame);
	if (c->conflicts + v->conflicts)
		fprintf(f, " conflicts=%" PRIu64, c->conflicts + v->conflicts);
	if (s->dir[STI_C2S].foreign + s->dir[STI_S2C].foreign)
		fprintf(f, " foreign=%" PRIu64,
			s->dir[STI_C2S].foreign + s->dir[STI_S2C].foreign);
	fclose(f);
	return text;
}

static void on_release(void *ctx, struct sti_session *s)
{
	struct sti_sessions_view *v = ctx;
	struct line *nl = sti_grow_array(v->lines, &v->cap, sizeof(*nl), v->n + 1,
					 64, SIZE_MAX);
	if (!nl)
		return;
	v->lines = nl;
	char *text = format_session(s);
	if (text)
		v->lines[v->n++] = (struct line){ s->id, text };
}

const struct sti_session_ops sti_sessions_view_ops = {
	.release = on_release,
};

static int by_id(const void *a, const void *b)
{
	const struct line *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

void sti_sessions_view_print(struct sti_sessions_view *v, FILE *out)
{
	if (v->n)
		qsort(v->lines, v->n, sizeof(*v->lines), by_id);
	for (size_t i = 0; i < v->n; i++)
		fprintf(out, "%s\n", v->lines[i].text);
	forget_lines(v);
}

void sti_sessions_view_print_stats(FILE *out, const char *file,
				   const struct sti_ingest_stats *st,
				   const struct sti_table_stats *ts)
{
	fprintf(out, "# %s: frames=%" PRIu64 " bytes=%" PRIu64, file,
		st->frames, st->bytes);
	for (int i = 0; i < STI_DEC_STATUS_COUNT; i++)
		fprintf(out, " %s=%" PRIu64,
			sti_decode_status_name((enum sti_decode_status)i),
			st->by_status[i]);
	fprintf(out,
		" sessions=%" PRIu64 " evicted=%" PRIu64 " expired=%" PRIu64
		" max_concurrent=%" PRIu64 "\n",
		ts->created, ts->evicted, ts->expired, ts->high_water);
}
