/*
 * evidence.c - the evidence pcap: parked frames, selection, redaction,
 * rotation, files created 0600.
 */
#include "sti/grow.h"
#include "sti/evidence.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sti/anon.h"
#include "sti/evidence_pcapng.h"
#include "sti/tls_keylog.h"
#include "sti/evidence_redact.h"
#include "sti/report.h"

#define PCAP_FILE_HEADER 24u
#define PCAP_RECORD_HEADER 16u
#define MAX_FRAME 262144u           /* libpcap's largest snaplen */
#define TLS_RECORD_HEADER 5u

/* What the spool holds before each frame's bytes. */
struct parked {
	uint64_t id;
	uint64_t frame;         /* its number in the input */
	int64_t ts_us;
	int64_t stream_off;     /* of the first payload byte; -1 unknown */
	uint32_t caplen, len;
};

/* A selected session: where its client is, and what to blank. */
struct picked {
	uint64_t id;
	struct sti_endpoint cli;
	struct sti_redact_plan *plan;   /* NULL: nothing to blank */
	struct sti_anon_names *names;   /* --anonymize: names in its payload */
	uint64_t plain_end[2];          /* stream offset where each direction's
					   plaintext SMTP ends (TLS after) */
	bool has_keys;                  /* --embed-keys: the key log has it */
	bool keys_written;              /* ... in the current file */
	uint8_t random[32];             /* its ClientHello random */
};

enum { DECIDED = 1, SELECTED = 2 };

struct sti_evidence {
	struct sti_evidence_cfg cfg;
	FILE *spool;
	uint64_t parked;            /* frames in the spool */
	uint8_t *state;             /* DECIDED | SELECTED, by session id */
	size_t nstate;
	struct picked *picked;
	size_t npicked, cap_picked;
	bool picked_sorted;

	/* the output */
	pcap_t *dead;
	pcap_dumper_t *dump;
	FILE *ng;                   /* pcapng output (--embed-keys) */
	int dlt;
	unsigned file_index;        /* 0: FILE, n: FILEn */
	uint64_t file_bytes, file_frames;
	uint64_t frames;
	uint8_t *buf;               /* one frame being rewritten */

	/* Which frame of which evidence file each written frame became, in
	 * writing order (ascending per input once a file input ends), on
	 * disk: for the report's "236, evidence frame 13". */
	FILE *map;
	uint64_t nmap;
	unsigned input;             /* inputs begun, the current one's index + 1 */
};

struct map_entry {
	uint64_t input, frame, file_index, ev_frame;
};

void sti_evidence_file_name(const char *base, unsigned n, char *out, size_t len)
{
	/* tcpdump -C names the files that follow the first FILE1, FILE2... */
	if (n == 0)
		snprintf(out, len, "%s", base);
	else
		snprintf(out, len, "%s%u", base, n);
}

struct sti_evidence *sti_evidence_new(const struct sti_evidence_cfg *cfg)
{
	struct sti_evidence *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->cfg = *cfg;
	e->dlt = -1;
	e->buf = malloc(MAX_FRAME);
	if (!e->buf) {
		free(e);
		return NULL;
	}
	return e;
}

static void forget_source(struct sti_evidence *e)
{
	if (e->spool)
		fclose(e->spool);
	e->spool = NULL;
	e->parked = 0;
	free(e->state);
	e->state = NULL;
	e->nstate = 0;
	for (size_t i = 0; i < e->npicked; i++) {
		free(e->picked[i].plan);
		free(e->picked[i].names);
	}
	e->npicked = 0;
	e->picked_sorted = true;
}

static bool close_output(struct sti_evidence *e)
{
	bool ok = true;
	if (e->ng) {
		ok = fflush(e->ng) == 0 && !ferror(e->ng);
		ok = (fclose(e->ng) == 0) && ok;
		e->ng = NULL;
	}
	if (e->dump) {
		FILE *f = pcap_dump_file(e->dump);
		ok = pcap_dump_flush(e->dump) == 0 && !ferror(f);
		pcap_dump_close(e->dump);
		e->dump = NULL;
	}
	if (e->dead)
		pcap_close(e->dead);
	e->dead = NULL;
	return ok;
}

void sti_evidence_free(struct sti_evidence *e)
{
	if (!e)
		return;
	forget_source(e);
	close_output(e);
	if (e->map)
		fclose(e->map);
	free(e->picked);
	free(e->buf);
	free(e);
}

bool sti_evidence_begin(struct sti_evidence *e, char *err, size_t errlen)
{
	forget_source(e);
	e->input++;
	e->spool = tmpfile();
	if (!e->spool) {
		snprintf(err, errlen, "%s: temporary file for the evidence: %s",
			 e->cfg.path, strerror(errno));
		return false;
	}
	return true;
}

uint64_t sti_evidence_frames(const struct sti_evidence *e)
{
	return e->frames;
}

uint64_t sti_evidence_parked(const struct sti_evidence *e)
{
	return e->parked;
}

unsigned sti_evidence_files(const struct sti_evidence *e)
{
	return e->dump || e->file_index ? e->file_index + 1 : 0;
}

/* ---- parking frames ---- */

static bool endpoint_is(const struct sti_endpoint *e, const struct sti_addr *a,
			uint16_t port)
{
	return e->port == port && e->addr.family == a->family &&
	       memcmp(e->addr.a, a->a, 16) == 0;
}

/* Where the segment's payload sits in its direction's stream, as the
 * reassembler counts (0 = the first byte after the SYN). */
static int64_t stream_offset(const struct sti_reasm *rs, const struct sti_pkt *p)
{
	uint32_t first = p->seq + ((p->flags & STI_TCP_SYN) ? 1u : 0u);
	if (!rs->started)
		return 0;   /* this segment will be the stream's origin */
	int64_t off = (int64_t)rs->next_off + (int32_t)(first - rs->next_seq);
	return off < 0 ? -1 : off;
}

static bool looks_like_record_header(const uint8_t *p, uint32_t n)
{
	return n >= TLS_RECORD_HEADER && p[0] >= 20 && p[0] <= 24 && p[1] == 3;
}

/* After the handshake: keep the headers and a leading record header. */
static uint32_t settled_caplen(const struct sti_pkt *p)
{
	uint32_t at = (uint32_t)(p->payload - p->raw);
	if (looks_like_record_header(p->payload, p->payload_caplen))
		return at + TLS_RECORD_HEADER;
	return at;
}

void sti_evidence_tap(void *ctx, const struct sti_session *s,
		      const struct sti_pkt *p)
{
	struct sti_evidence *e = ctx;
	if (!e->spool || !p->raw)
		return;
	enum sti_dir d = endpoint_is(&s->cli, &p->src, p->sport) ? STI_C2S : STI_S2C;
	struct parked h = {
		.id = s->id, .frame = p->frame, .ts_us = p->ts_us,
		.stream_off = p->payload_len ? stream_offset(sti_session_stream(s, d), p) : -1,
		.caplen = p->raw_caplen, .len = p->raw_len,
	};
	if (h.caplen > MAX_FRAME)
		h.caplen = MAX_FRAME;
	if (sti_session_stream(s, d)->stopped && p->payload_caplen && e->cfg.redact) {
		uint32_t cut = settled_caplen(p);
		if (cut < h.caplen)
			h.caplen = cut;
	}
	if (fwrite(&h, sizeof(h), 1, e->spool) != 1 ||
	    fwrite(p->raw, 1, h.caplen, e->spool) != h.caplen)
		return;   /* ferror is reported at the flush */
	e->parked++;
}

/* ---- decisions ---- */

static bool grow_state(struct sti_evidence *e, uint64_t id)
{
	if (id < e->nstate)
		return true;
	size_t n = e->nstate ? e->nstate : 1024;
	while (n <= id)
		n *= 2;
	uint8_t *st = realloc(e->state, n);
	if (!st)
		return false;
	memset(st + e->nstate, 0, n - e->nstate);
	e->state = st;
	e->nstate = n;
	return true;
}

static struct sti_redact_plan *plan_for(const struct sti_record *rec)
{
	if (!rec->smtp)
		return NULL;
	struct sti_redact_plan *plan = malloc(sizeof(*plan));
	if (!plan)
		return NULL;
	sti_redact_plan_from_smtp(plan, rec->smtp);
	if (plan->n[STI_C2S] || plan->n[STI_S2C])
		return plan;
	free(plan);
	return NULL;
}

static bool add_picked(struct sti_evidence *e, const struct sti_record *rec)
{
	struct picked *np = sti_grow_array(e->picked, &e->cap_picked, sizeof(*np),
					   e->npicked + 1, 64, SIZE_MAX);
	if (!np)
		return false;
	e->picked = np;
	struct picked *pk = &e->picked[e->npicked];
	pk->id = rec->id;
	pk->cli = rec->cli;
	pk->plan = NULL;
	pk->names = NULL;
	pk->plain_end[STI_C2S] = pk->plain_end[STI_S2C] = 0;
	pk->has_keys = pk->keys_written = false;
	if (e->cfg.pcapng && e->cfg.keylog && rec->tls &&
	    rec->tls->decrypt != STI_TLS_DEC_NONE && rec->tls->decrypt != STI_TLS_DEC_NO_KEYS) {
		memcpy(pk->random, rec->tls->client_random, sizeof(pk->random));
		pk->has_keys = sti_keylog_lookup(e->cfg.keylog, pk->random) != NULL;
	}
	if (rec->smtp) {
		for (enum sti_dir d = STI_C2S; d <= STI_S2C; d++)
			pk->plain_end[d] = rec->smtp->starttls_accepted
				? rec->smtp->switch_offset[d] : UINT64_MAX;
	}
	if (e->cfg.anon) {
		/* Without its names the session cannot be written safely. */
		pk->names = malloc(sizeof(*pk->names));
		if (!pk->names)
			return false;
		sti_anon_collect(e->cfg.anon, rec, pk->names);
	}
	if (e->cfg.redact && rec->smtp) {
		pk->plan = plan_for(rec);
		/* Without its plan a session with mail in it cannot be
		 * written safely. */
		if (!pk->plan && rec->smtp->nspans) {
			free(pk->names);
			return false;
		}
	}
	e->npicked++;
	e->picked_sorted = false;
	return true;
}

void sti_evidence_session(struct sti_evidence *e, const struct sti_record *rec,
			  const struct sti_verdict *v)
{
	if (!grow_state(e, rec->id))
		return;   /* undecided: its frames are dropped, never leaked */
	bool sel = sti_selection_match(&e->cfg.sel, rec, v) && add_picked(e, rec);
	e->state[rec->id] = DECIDED | (sel ? SELECTED : 0);
}

void sti_evidence_gone(void *ctx, const struct sti_session *s)
{
	struct sti_evidence *e = ctx;
	if (!grow_state(e, s->id))
		return;
	if (!(e->state[s->id] & DECIDED))
		e->state[s->id] = DECIDED;   /* never reported: never selected */
}

static int by_id(const void *a, const void *b)
{
	const struct picked *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

static struct picked *find_picked(struct sti_evidence *e, uint64_t id)
{
	if (!e->picked_sorted) {
		qsort(e->picked, e->npicked, sizeof(*e->picked), by_id);
		e->picked_sorted = true;
	}
	struct picked key = { .id = id };
	return bsearch(&key, e->picked, e->npicked, sizeof(*e->picked), by_id);
}

/* ---- the output ---- */

/* pcapng: its header now, each session's secrets before its frames. */
static bool open_pcapng(struct sti_evidence *e, const char *name, char *err, size_t errlen)
{
	FILE *f = sti_fopen_private(name, err, errlen);
	if (!f)
		return false;
	size_t n = sti_pcapng_write_header(f, e->dlt, MAX_FRAME);
	if (!n) {
		snprintf(err, errlen, "%s: write error", name);
		fclose(f);
		return false;
	}
	e->ng = f;
	e->file_bytes = n;
	e->file_frames = 0;
	for (size_t i = 0; i < e->npicked; i++)
		e->picked[i].keys_written = false;   /* a new file needs them again */
	return true;
}

static bool open_output(struct sti_evidence *e, char *err, size_t errlen)
{
	char name[4096];
	sti_evidence_file_name(e->cfg.path, e->file_index, name, sizeof(name));
	if (e->cfg.pcapng)
		return open_pcapng(e, name, err, errlen);
	if (!e->dead)
		e->dead = pcap_open_dead_with_tstamp_precision(e->dlt, MAX_FRAME,
							       PCAP_TSTAMP_PRECISION_MICRO);
	if (!e->dead) {
		snprintf(err, errlen, "%s: out of memory", name);
		return false;
	}
	FILE *f = sti_fopen_private(name, err, errlen);
	if (!f)
		return false;
	e->dump = pcap_dump_fopen(e->dead, f);
	if (!e->dump) {
		snprintf(err, errlen, "%s: %s", name, pcap_geterr(e->dead));
		fclose(f);
		return false;
	}
	e->file_bytes = PCAP_FILE_HEADER;
	e->file_frames = 0;
	return true;
}

static bool rotate_if_full(struct sti_evidence *e, uint32_t caplen,
			   char *err, size_t errlen)
{
	uint64_t need = PCAP_RECORD_HEADER + (uint64_t)caplen;
	if (!e->cfg.rotate_bytes || !e->file_frames ||
	    e->file_bytes + need <= e->cfg.rotate_bytes)
		return true;
	char name[4096];
	sti_evidence_file_name(e->cfg.path, e->file_index, name, sizeof(name));
	pcap_t *dead = e->dead;
	e->dead = NULL;   /* kept for the next file: close only the dumper */
	bool ok = close_output(e);
	e->dead = dead;
	if (!ok) {
		snprintf(err, errlen, "%s: write error", name);
		return false;
	}
	e->file_index++;
	return open_output(e, err, errlen);
}

/* How many payload bytes from stream offset off are plaintext SMTP. */
static size_t plain_bytes(uint64_t plain_end, int64_t off)
{
	if (off < 0 || (uint64_t)off >= plain_end)
		return 0;
	uint64_t n = plain_end - (uint64_t)off;
	return n > SIZE_MAX ? SIZE_MAX : (size_t)n;
}

/* Blank the mail bytes and pseudonymise one frame copy. */
static void rewrite(struct sti_evidence *e, const struct picked *pk,
		    const struct parked *h)
{
	struct sti_pkt pkt;
	memset(&pkt, 0, sizeof(pkt));
	if (sti_decode_frame(e->dlt, e->buf, h->caplen, h->len, &pkt) != STI_DEC_TCP)
		return;
	enum sti_dir dir = endpoint_is(&pk->cli, &pkt.src, pkt.sport) ? STI_C2S : STI_S2C;
	if (pk->plan)
		sti_redact_frame(e->buf, &pkt, h->stream_off, dir, pk->plan);
	if (e->cfg.anon)
		sti_anon_frame(e->cfg.anon, e->buf, &pkt, pk->names,
			       plain_bytes(pk->plain_end[dir], h->stream_off));
}

static void note_frame(struct sti_evidence *e, uint64_t frame);

/* A session's key-log lines, once per file, ahead of its first frame. */
static bool write_secrets(struct sti_evidence *e, struct picked *pk)
{
	char text[2048];
	const struct sti_keylog_entry *ke = sti_keylog_lookup(e->cfg.keylog, pk->random);
	size_t n = ke ? sti_keylog_format(ke, text, sizeof(text)) : 0;
	pk->keys_written = true;
	if (!n)
		return true;
	size_t w = sti_pcapng_write_tls_secrets(e->ng, text, n);
	e->file_bytes += w;
	return w != 0;
}

static bool write_ng_frame(struct sti_evidence *e, struct picked *pk,
			   const struct parked *h, char *err, size_t errlen)
{
	size_t w = 1;
	if (pk->has_keys && !pk->keys_written && !write_secrets(e, pk))
		w = 0;
	if (w)
		w = sti_pcapng_write_packet(e->ng, h->ts_us, e->buf, h->caplen, h->len);
	if (!w) {
		snprintf(err, errlen, "%s: write error", e->cfg.path);
		return false;
	}
	e->file_bytes += w;
	e->file_frames++;
	e->frames++;
	note_frame(e, h->frame);
	return true;
}

static bool write_frame(struct sti_evidence *e, struct picked *pk,
			const struct parked *h, char *err, size_t errlen)
{
	if (!rotate_if_full(e, h->caplen, err, errlen))
		return false;
	rewrite(e, pk, h);
	struct pcap_pkthdr ph;
	memset(&ph, 0, sizeof(ph));
	ph.ts.tv_sec = (time_t)(h->ts_us / 1000000);
	ph.ts.tv_usec = (suseconds_t)(h->ts_us % 1000000);
	if (ph.ts.tv_usec < 0) {
		ph.ts.tv_sec--;
		ph.ts.tv_usec += 1000000;
	}
	ph.caplen = h->caplen;
	ph.len = h->len;
	if (e->ng)
		return write_ng_frame(e, pk, h, err, errlen);
	pcap_dump((u_char *)e->dump, &ph, e->buf);
	e->file_bytes += PCAP_RECORD_HEADER + h->caplen;
	e->file_frames++;
	e->frames++;
	note_frame(e, h->frame);
	return true;
}

/* Remember where an input frame went; a failure only loses the numbers. */
static void note_frame(struct sti_evidence *e, uint64_t frame)
{
	struct map_entry m = { e->input ? e->input - 1 : 0, frame, e->file_index,
			       e->file_frames };
	if (!e->map)
		e->map = tmpfile();
	if (e->map && fwrite(&m, sizeof(m), 1, e->map) == 1)
		e->nmap++;
}

static bool read_entry(FILE *f, uint64_t i, struct map_entry *m)
{
	return fseeko(f, (off_t)(i * sizeof(*m)), SEEK_SET) == 0 &&
	       fread(m, sizeof(*m), 1, f) == 1;
}

static int entry_cmp(const struct map_entry *m, uint64_t input, uint64_t frame)
{
	if (m->input != input)
		return m->input < input ? -1 : 1;
	return m->frame < frame ? -1 : m->frame > frame;
}

bool sti_evidence_lookup(struct sti_evidence *e, unsigned input, uint64_t frame,
			 unsigned *file_index, uint64_t *ev_frame)
{
	struct map_entry m;
	if (!e->map || fflush(e->map) != 0)
		return false;
	uint64_t lo = 0, hi = e->nmap;
	while (lo < hi) {   /* binary search: entries ascend (input, frame) */
		uint64_t mid = lo + (hi - lo) / 2;
		if (!read_entry(e->map, mid, &m))
			return false;
		int c = entry_cmp(&m, input, frame);
		if (c == 0) {
			*file_index = (unsigned)m.file_index;
			*ev_frame = m.ev_frame;
			return true;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static bool ensure_output(struct sti_evidence *e, int dlt, char *err, size_t errlen)
{
	if (e->dlt < 0)
		e->dlt = dlt;
	if (e->dlt != dlt) {
		snprintf(err, errlen, "%s: holds link type %d, this input is %d: "
			 "its sessions are not written", e->cfg.path, e->dlt, dlt);
		return false;
	}
	return e->dump || e->ng || open_output(e, err, errlen);
}

/* What to do with one parked frame: write it, keep it parked, or drop it. */
static bool pass_frame(struct sti_evidence *e, const struct parked *h,
		       bool at_end, FILE *keep, char *err, size_t errlen)
{
	uint8_t st = h->id < e->nstate ? e->state[h->id] : 0;
	if (!(st & DECIDED)) {
		if (at_end || !keep)
			return true;
		if (fwrite(h, sizeof(*h), 1, keep) != 1 ||
		    fwrite(e->buf, 1, h->caplen, keep) != h->caplen) {
			snprintf(err, errlen, "%s: temporary file: write error", e->cfg.path);
			return false;
		}
		e->parked++;
		return true;
	}
	if (!(st & SELECTED))
		return true;
	struct picked *pk = find_picked(e, h->id);
	return !pk || write_frame(e, pk, h, err, errlen);
}

bool sti_evidence_flush(struct sti_evidence *e, int dlt, bool at_end,
			char *err, size_t errlen)
{
	if (!e->spool)
		return true;
	if (ferror(e->spool) || fflush(e->spool) != 0) {
		snprintf(err, errlen, "%s: temporary file: write error", e->cfg.path);
		return false;
	}
	if (!ensure_output(e, dlt, err, errlen))
		return false;
	FILE *keep = at_end ? NULL : tmpfile();
	if (!at_end && !keep) {
		snprintf(err, errlen, "%s: temporary file: %s", e->cfg.path, strerror(errno));
		return false;
	}
	rewind(e->spool);
	uint64_t n = e->parked;
	e->parked = 0;
	bool ok = true;
	struct parked h;
	for (uint64_t i = 0; ok && i < n; i++) {
		if (fread(&h, sizeof(h), 1, e->spool) != 1 || h.caplen > MAX_FRAME ||
		    fread(e->buf, 1, h.caplen, e->spool) != h.caplen) {
			snprintf(err, errlen, "%s: temporary file: read error", e->cfg.path);
			ok = false;
			break;
		}
		ok = pass_frame(e, &h, at_end, keep, err, errlen);
	}
	fclose(e->spool);
	e->spool = keep;
	bool bad_ng = e->ng && (fflush(e->ng) != 0 || ferror(e->ng));
	if (ok && (bad_ng || (e->dump && (pcap_dump_flush(e->dump) != 0 ||
					  ferror(pcap_dump_file(e->dump)))))) {
		snprintf(err, errlen, "%s: write error", e->cfg.path);
		ok = false;
	}
	return ok;
}
