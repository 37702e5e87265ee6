/*
 * test_tls.c - the TLS record and handshake layer, fed real captures and
 * hand-built corners.
 *
 * The captures are the in-order TCP payload of each direction of one
 * stream, extracted with tshark from the files named above each
 * transcript (kept in tests/data/tls/: one segment per line, "DIR FRAME
 * HEX"; frames as Wireshark numbers them; an out-of-order segment appears where
 * reassembly delivers it, under the frame that carried it). Every input is
 * fed whole per segment, one byte at a time, and in seeded random splits,
 * and the facts and event logs must be identical.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sti/rd.h"
#include "sti/tls.h"
#include "data.h"
#include "feed.h"
#include "tls_same.h"

/* ---- feeding harness ---- */

struct seg {
	enum sti_dir dir;
	unsigned frame;
	const char *hex;
};

TEST_SEG_LIST(struct seg)

/* Line k of a transcript, "DIR FRAME HEX", into the list's segment k. */
static bool seg_from_line(char *line, size_t k, void *ctx)
{
	struct seg_list *l = ctx;
	long long v[2];
	char *hex;
	if (k >= l->n || !test_line_fields(line, v, 2, &hex) || (v[0] != STI_C2S && v[0] != STI_S2C)) {
		fprintf(stderr, "test data %s: line %zu is not the segment "
			"\"DIR FRAME HEX\" the test expects\n", l->name, k + 1);
		return false;
	}
	l->s[k] = (struct seg){ v[0] == STI_S2C ? STI_S2C : STI_C2S, (unsigned)v[1], hex };
	return true;
}

/* One delivery: what the stream layer would hand over. */
struct chunk {
	enum sti_dir dir;
	bool gap;       /* a capture gap of n bytes instead of data */
	uint64_t frame;
	uint8_t *p;
	size_t n;
};

struct input {
	struct chunk c[1024];
	size_t n;
};

static void input_add(struct input *in, enum sti_dir dir, uint64_t frame,
		      const uint8_t *p, size_t n)
{
	struct chunk *c;
	assert_true(in->n < sizeof(in->c) / sizeof(in->c[0]));
	c = &in->c[in->n++];
	c->dir = dir;
	c->frame = frame;
	c->p = malloc(n ? n : 1);
	assert_non_null(c->p);
	if (n && p)
		memcpy(c->p, p, n);
	c->n = n;
}

static void input_gap(struct input *in, enum sti_dir dir, uint64_t frame, size_t n)
{
	input_add(in, dir, frame, NULL, 0);
	in->c[in->n - 1].gap = true;
	in->c[in->n - 1].n = n;
}

static void input_from_segs(struct input *in, const struct seg *s, size_t n)
{
	memset(in, 0, sizeof(*in));
	for (size_t i = 0; i < n; i++) {
		char *b = strdup(s[i].hex);
		assert_non_null(b);
		long len = test_hex_decode(b);
		assert_true(len >= 0);
		input_add(in, s[i].dir, s[i].frame, (const uint8_t *)b, (size_t)len);
		free(b);
	}
}

static void input_free(struct input *in)
{
	for (size_t i = 0; i < in->n; i++)
		free(in->c[i].p);
	in->n = 0;
}

struct run {
	struct sti_tls *t;
	char *log;
	size_t len, cap;
};

static void logf_(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void logf_(struct run *r, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (r->cap - r->len < 256) {
		r->cap = r->cap ? r->cap * 2 : 4096;
		r->log = realloc(r->log, r->cap);
		assert_non_null(r->log);
	}
	va_start(ap, fmt);
	k = vsnprintf(r->log + r->len, r->cap - r->len, fmt, ap);
	va_end(ap);
	assert_true(k > 0 && (size_t)k < r->cap - r->len);
	r->len += (size_t)k;
}

static void sink(void *ctx, const struct sti_tls_ev *ev)
{
	struct run *r = ctx;
	const struct sti_tls_facts *f = sti_tls_facts(r->t);

	logf_(r, "%d d%d f%llu type%u len%u enc%d %u/%u %s", (int)ev->kind,
	      ev->dir, (unsigned long long)ev->frame, ev->type, ev->length,
	      ev->encrypted, ev->level, ev->desc, ev->text ? ev->text : "-");
	/* A hello's parsed result must be in the facts when its event comes. */
	if (ev->kind == STI_TLS_EV_HANDSHAKE && ev->type == 1 && ev->dir == STI_C2S)
		logf_(r, " max%04x", f->have_ch2 ? f->ch2->max_version :
		      f->ch.max_version);
	if (ev->kind == STI_TLS_EV_HANDSHAKE && ev->type == 2 && ev->dir == STI_S2C)
		logf_(r, " hrr%d sh%04x enc%d", f->have_hrr, f->sh.version,
		      f->dir[STI_S2C].encrypted);
	logf_(r, "\n");
}

static struct run *run_input(const struct input *in, enum feed_mode m,
			     uint64_t seed)
{
	struct run *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	r->t = sti_tls_new();
	assert_non_null(r->t);
	sti_tls_set_sink(r->t, sink, r);
	logf_(r, "start\n");
	for (size_t i = 0; i < in->n; i++) {
		const struct chunk *c = &in->c[i];
		size_t off = 0;
		int64_t ts = (int64_t)c->frame * 1000;
		if (c->gap) {
			sti_tls_gap(r->t, c->dir, c->n, c->frame);
			continue;
		}
		if (c->n == 0) {
			sti_tls_feed(r->t, c->dir, c->p, c->n, c->frame, ts);
			continue;
		}
		while (off < c->n) {
			size_t k = feed_next(m, c->n - off, 0, &seed);
			sti_tls_feed(r->t, c->dir, c->p + off, k, c->frame,
				     ts);
			off += k;
		}
	}
	return r;
}

static void run_free(struct run *r)
{
	sti_tls_free(r->t);
	free(r->log);
	free(r);
}

/* Feed `in` every way; all must agree. Returns the whole-segment run. */
static struct run *check_all(const struct input *in)
{
	struct run *whole = run_input(in, FEED_WHOLE, 0);
	struct run *other = run_input(in, FEED_BYTES, 0);

	assert_same_tls_facts(sti_tls_facts(whole->t), sti_tls_facts(other->t));
	assert_string_equal(whole->log, other->log);
	run_free(other);
	for (uint64_t seed = 1; seed <= 24; seed++) {
		other = run_input(in, FEED_RANDOM, seed * 2654435761u);
		assert_same_tls_facts(sti_tls_facts(whole->t), sti_tls_facts(other->t));
		assert_string_equal(whole->log, other->log);
		run_free(other);
	}
	return whole;
}

static struct run *check_segs(const struct seg *s, size_t n)
{
	struct input in;
	struct run *r;
	input_from_segs(&in, s, n);
	r = check_all(&in);
	input_free(&in);
	return r;
}

#define CHECK_SEGS(a) check_segs((a).s, (a).n)

static bool log_has(const struct run *r, const char *line)
{
	return strstr(r->log, line) != NULL;
}

/* zeek/tls/tls1.2.pcap, TCP stream 0:
 * in-order payload per direction */
static struct seg_list tls12 = { "tls/tls12.segs", 11, NULL, NULL };

/* ssldump/tls1.3_keyupdates_aes256.pcap, TCP stream 0:
 * in-order payload per direction */
static struct seg_list tls13 = { "tls/tls13.segs", 18, NULL, NULL };

/* zeek/tls/hrr.pcap, TCP stream 0:
 * in-order payload per direction */
static struct seg_list hrr = { "tls/hrr.segs", 8, NULL, NULL };

/* zeek/tls/tls-1.2-handshake-failure.pcap, TCP stream 0:
 * in-order payload per direction */
static struct seg_list hsfail = { "tls/hsfail.segs", 2, NULL, NULL };

/* zeek/tls/tls-1.2-protocol-error.pcap, TCP stream 0:
 * in-order payload per direction */
static struct seg_list proterr = { "tls/proterr.segs", 2, NULL, NULL };

/* ndpi/tls_alert.pcap, TCP stream 0:
 * in-order payload per direction */
static struct seg_list alert70 = { "tls/alert70.segs", 2, NULL, NULL };

/* arkime/tls-split-client-hello.pcap, TCP stream 0:
 * in-order payload per direction */
static struct seg_list split = { "tls/split.segs", 19, NULL, NULL };

/* zeek/tls/ssl-v2.pcap, TCP stream 0:
 * in-order payload per direction */
static struct seg_list ssl2 = { "tls/ssl2.segs", 10, NULL, NULL };

/* zeek/tls/certificate-request-failed.pcap, TCP stream 0:
 * in-order payload per direction */
static struct seg_list certreq = { "tls/certreq.segs", 4, NULL, NULL };

/* zeek/tls/tls-expired-cert.pcap, TCP stream 0:
 * in-order payload per direction */
static struct seg_list expired = { "tls/expired.segs", 11, NULL, NULL };

/* zeek/tls/smtp-starttls.pcap, TCP stream 0, from frame 13
 * (the first TLS byte after STARTTLS): in-order payload per direction */
static struct seg_list smtp = { "tls/smtp.segs", 13, NULL, NULL };

/* Counters by content type and by handshake type, for short asserts. */
#define BY_TYPE(d, ct) ((d)->by_type[STI_TLS_CT_##ct - 20])
#define HS(d, name) sti_tls_hs_get((d), STI_TLS_HSI_##name)

/* ---- names ---- */

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(sti_tls_alert_name(0), "close_notify");
	assert_string_equal(sti_tls_alert_name(10), "unexpected_message");
	assert_string_equal(sti_tls_alert_name(20), "bad_record_mac");
	assert_string_equal(sti_tls_alert_name(40), "handshake_failure");
	assert_string_equal(sti_tls_alert_name(42), "bad_certificate");
	assert_string_equal(sti_tls_alert_name(45), "certificate_expired");
	assert_string_equal(sti_tls_alert_name(48), "unknown_ca");
	assert_string_equal(sti_tls_alert_name(70), "protocol_version");
	assert_string_equal(sti_tls_alert_name(71), "insufficient_security");
	assert_string_equal(sti_tls_alert_name(80), "internal_error");
	assert_string_equal(sti_tls_alert_name(86), "inappropriate_fallback");
	assert_string_equal(sti_tls_alert_name(90), "user_canceled");
	assert_string_equal(sti_tls_alert_name(109), "missing_extension");
	assert_string_equal(sti_tls_alert_name(110), "unsupported_extension");
	assert_string_equal(sti_tls_alert_name(112), "unrecognized_name");
	assert_string_equal(sti_tls_alert_name(113),
			    "bad_certificate_status_response");
	assert_string_equal(sti_tls_alert_name(115), "unknown_psk_identity");
	assert_string_equal(sti_tls_alert_name(116), "certificate_required");
	assert_string_equal(sti_tls_alert_name(120), "no_application_protocol");
	assert_null(sti_tls_alert_name(1));
	assert_null(sti_tls_alert_name(255));
	assert_string_equal(sti_tls_alert_level_name(1), "warning");
	assert_string_equal(sti_tls_alert_level_name(2), "fatal");
	assert_null(sti_tls_alert_level_name(3));
	assert_string_equal(sti_tls_handshake_name(1), "client_hello");
	assert_string_equal(sti_tls_handshake_name(13), "certificate_request");
	assert_string_equal(sti_tls_handshake_name(20), "finished");
	assert_null(sti_tls_handshake_name(3));
	assert_string_equal(sti_tls_content_type_name(23), "application_data");
	assert_null(sti_tls_content_type_name(25));
	assert_int_equal(sti_tls_hs_index(1), STI_TLS_HSI_CLIENT_HELLO);
	assert_int_equal(sti_tls_hs_index(14), STI_TLS_HSI_SERVER_HELLO_DONE);
	assert_int_equal(sti_tls_hs_index(99), -1);
}

/* ---- real captures ---- */

static void assert_tail(const struct sti_tls_dir_facts *d, unsigned i,
			uint8_t type, uint16_t len, uint64_t frame)
{
	assert_true(i < d->ntail);
	assert_int_equal(d->tail[i].type, type);
	assert_int_equal(d->tail[i].length, len);
	assert_int_equal(d->tail[i].frame, frame);
}

/* zeek tls1.2.pcap: a complete TLS 1.2 handshake (RC4-MD5), two records
 * of data each way, then the client's encrypted close_notify. */
static void test_tls12(void **state)
{
	struct run *r = CHECK_SEGS(tls12);
	const struct sti_tls_facts *f = sti_tls_facts(r->t);
	const struct sti_tls_dir_facts *c = &f->dir[STI_C2S], *s = &f->dir[STI_S2C];

	(void)state;
	assert_true(f->have_ch);
	assert_int_equal(f->ch_frame, 4);
	assert_int_equal(f->ch.max_version, STI_TLS12);
	assert_int_equal(f->ch.ciphers_total, 80);
	assert_true(f->have_sh);
	assert_int_equal(f->sh_frame, 5);
	assert_int_equal(f->sh.cipher, 0x0004);
	assert_int_equal(f->version, STI_TLS12);
	assert_false(f->have_hrr);
	assert_non_null(f->server_cert);
	assert_int_equal(f->server_cert_frame, 8);  /* spans frames 5, 6, 8 */
	assert_int_equal(f->server_cert->leaf.chain_len, 3);
	assert_null(f->client_cert);
	/* Reassembled from three segments, the leaf decodes. */
	assert_true(f->server_cert->leaf.parsed);
	assert_string_equal(f->server_cert->leaf.subject_cn, "*.taleo.net");
	assert_string_equal(f->server_cert->leaf.issuer_cn,
			    "COMODO High-Assurance Secure Server CA");

	assert_int_equal(c->records, 7);
	assert_int_equal(BY_TYPE(c, HANDSHAKE), 3);
	assert_int_equal(BY_TYPE(c, CHANGE_CIPHER_SPEC), 1);
	assert_int_equal(BY_TYPE(c, APPLICATION_DATA), 2);
	assert_int_equal(BY_TYPE(c, ALERT), 1);
	assert_int_equal(HS(c, CLIENT_KEY_EXCHANGE).first_frame, 10);
	assert_int_equal(c->ccs_frame, 10);
	assert_int_equal(c->finished_frame, 10);
	assert_int_equal(s->records, 7);
	assert_int_equal(BY_TYPE(s, HANDSHAKE), 4);
	assert_int_equal(HS(s, SERVER_HELLO_DONE).first_frame, 8);
	assert_int_equal(s->ccs_frame, 11);
	assert_int_equal(s->finished_frame, 11);
	assert_true(f->established);
	assert_int_equal(f->established_frame, 11);
	assert_int_equal(f->established_ts, 11000);

	assert_int_equal(f->nalerts, 1);
	assert_int_equal(f->alerts[0].from, STI_C2S);
	assert_true(f->alerts[0].encrypted);
	assert_int_equal(f->alerts[0].length, 18);
	assert_int_equal(f->alerts[0].frame, 20);
	assert_tail(c, 3, STI_TLS_CT_ALERT, 18, 20);
	assert_tail(s, 2, STI_TLS_CT_APPLICATION_DATA, 1464, 18);
	assert_int_equal(c->appdata_after_est, 2);
	assert_int_equal(s->appdata_after_est, 2);
	assert_true(sti_tls_settled(r->t, STI_C2S));
	assert_true(sti_tls_settled(r->t, STI_S2C));
	assert_false(c->mid_record || s->mid_record || c->malformed ||
		     s->malformed || c->hs_cut || s->hs_cut);
	assert_true(log_has(r, "5 d1 f11 type0 len0 enc0 0/0 -\n"));
	assert_true(log_has(r, "1 d0 f4 type1 len313 enc0 0/0 - max0303\n"));
	assert_true(log_has(r, "1 d1 f5 type2 len77 enc0 0/0 - hrr0 sh0303 enc0\n"));
	run_free(r);
}

/* ssldump tls1.3_keyupdates_aes256.pcap: TLS 1.3 with a certificate, key
 * updates, and encrypted close_notify records (19 bytes) each way. */
static void test_tls13(void **state)
{
	struct run *r = CHECK_SEGS(tls13);
	const struct sti_tls_facts *f = sti_tls_facts(r->t);
	const struct sti_tls_dir_facts *c = &f->dir[STI_C2S], *s = &f->dir[STI_S2C];

	(void)state;
	assert_int_equal(f->ch.max_version, STI_TLS13);
	assert_int_equal(f->sh_frame, 6);
	assert_int_equal(f->version, STI_TLS13);
	assert_int_equal(f->sh.cipher, 0x1302);
	/* The certificate is encrypted under TLS 1.3. */
	assert_null(f->server_cert);
	assert_true(s->encrypted);
	assert_int_equal(s->encrypted_frame, 6);
	assert_int_equal(s->ccs_frame, 6);  /* compatibility CCS, no meaning */
	assert_int_equal(s->finished_frame, 6);
	assert_true(c->encrypted);
	assert_int_equal(c->encrypted_frame, 8);
	assert_int_equal(c->finished_frame, 8);
	/* Established once data went both ways after the client's Finished:
	 * the server's at frame 10, the client's first full-sized record at
	 * 20 (its 23- and 22-byte records before that are KeyUpdates). */
	assert_true(f->established);
	assert_int_equal(f->established_frame, 20);
	assert_int_equal(c->records, 10);
	assert_int_equal(BY_TYPE(c, APPLICATION_DATA), 8);
	assert_int_equal(s->records, 14);
	assert_int_equal(BY_TYPE(s, APPLICATION_DATA), 12);
	assert_int_equal(f->nalerts, 0);  /* close_notify is encrypted, type 23 */
	assert_tail(c, 3, STI_TLS_CT_APPLICATION_DATA, 19, 36);
	assert_tail(s, 3, STI_TLS_CT_APPLICATION_DATA, 19, 34);
	assert_true(sti_tls_settled(r->t, STI_C2S));
	assert_true(sti_tls_settled(r->t, STI_S2C));
	run_free(r);
}

/* The bytes a settled copy of f should take: the facts, its alerts, the
 * HelloRetryRequest if there was one, each direction's handshake entries,
 * the first hello's lists exactly as long as their counts, each hello's
 * name, each direction's reason and sample and the decryption note with
 * their NULs. */
static size_t settled_size_wanted(const struct sti_tls_facts *f)
{
	const struct sti_client_hello *h = &f->ch;
	size_t n = sizeof(*f) + f->nalerts * sizeof(f->alerts[0]);
	n += f->have_hrr ? sizeof(*f->hrr) + f->hrr->nexts * sizeof(f->hrr->exts[0]) : 0;
	n += f->sh.nexts * sizeof(f->sh.exts[0]);
	n += (f->dir[STI_C2S].nhs + f->dir[STI_S2C].nhs) * sizeof(struct sti_tls_hs_seen);
	for (enum sti_dir d = STI_C2S; d <= STI_S2C; d++)
		n += strlen(f->dir[d].reason) + 1 + strlen(f->dir[d].sample) + 1;
	n += 2 * (h->nversions + h->nciphers + h->nexts + h->ngroups + h->nsigalgs +
		  h->nkey_shares);
	n += h->npoint_formats + h->nalpn * STI_HELLO_ALPN_MAX;
	if (f->have_ch2)
		n += sizeof(*f->ch2) + strlen(f->ch2->sni) + 1;
	return n + strlen(h->sni) + 1 + strlen(f->decrypt_note) + 1;
}

/* Whether [p, p + n) lies in the copy's allocation, after the facts. */
static bool in_copy(const struct sti_tls_facts *copy, const void *p, size_t n)
{
	const char *lo = (const char *)(copy + 1);
	const char *hi = (const char *)copy + sti_tls_facts_settled_size(copy);
	return n == 0 ? p == NULL : (const char *)p >= lo && (const char *)p + n <= hi;
}

/* The copy of a settled session's facts (sti_tls_facts_settle) is the
 * same, field by field and list by list; it is one allocation exactly as
 * long as the facts and the lists that arrived, far smaller than the
 * parser's rooms; its lists are its own and it holds its certificate:
 * it outlives the parser. */
static void test_settled_copy(void **state)
{
	struct run *r = CHECK_SEGS(tls12);
	const struct sti_tls_facts *live = sti_tls_facts(r->t);

	(void)state;
	assert_true(sti_tls_settled_both(r->t));
	assert_true(live->have_ch && live->ch.nciphers && live->ch.nexts && live->ch.ngroups);
	assert_non_null(live->server_cert);
	struct sti_tls_facts *copy = sti_tls_facts_settle(live);
	assert_non_null(copy);
	assert_settled_copy_of(live, copy);
	assert_ptr_equal(copy->server_cert, live->server_cert);
	size_t want = settled_size_wanted(live);
	assert_int_equal(sti_tls_facts_settled_size(live), want);
	assert_int_equal(sti_tls_facts_settled_size(copy), want);
	/* zeek tls1.2.pcap: 256 bytes of the ClientHello's lists and name,
	 * the ServerHello's one extension, one alert, the handshake types
	 * seen (client: hello, key exchange; server: hello, certificate,
	 * hello done), four empty reasons and samples and an empty note,
	 * where the parser has a room of 3,752 */
	assert_int_equal(live->nalerts, 1);
	assert_int_equal(live->dir[STI_C2S].nhs, 2);
	assert_int_equal(live->dir[STI_S2C].nhs, 3);
	assert_int_equal(want - sizeof(*live), 256 + 2 + 32 + 5 * 16 + 4 + 1);
	assert_int_equal(live->sh.nexts, 1);
	assert_true(in_copy(copy, copy->sh.exts, sizeof(copy->sh.exts[0])));
	assert_int_equal(sizeof(struct sti_tls_facts_room), 3752);
	assert_true(in_copy(copy, copy->dir[STI_C2S].reason, 1));
	assert_true(in_copy(copy, copy->dir[STI_S2C].sample, 1));
	assert_true(in_copy(copy, copy->dir[STI_C2S].hs, 2 * sizeof(copy->dir[0].hs[0])));
	assert_true(in_copy(copy, copy->dir[STI_S2C].hs, 3 * sizeof(copy->dir[0].hs[0])));
	assert_int_equal(HS(&copy->dir[STI_S2C], SERVER_HELLO_DONE).count, 1);
	assert_int_equal(HS(&copy->dir[STI_S2C], CERTIFICATE_REQUEST).count, 0);
	assert_null(copy->hrr);
	const struct sti_client_hello *ch = &copy->ch;
	assert_true(in_copy(copy, ch->ciphers, ch->nciphers * sizeof(ch->ciphers[0])));
	assert_true(in_copy(copy, ch->exts, ch->nexts * sizeof(ch->exts[0])));
	assert_true(in_copy(copy, ch->groups, ch->ngroups * sizeof(ch->groups[0])));
	assert_true(in_copy(copy, ch->sigalgs, ch->nsigalgs * sizeof(ch->sigalgs[0])));
	assert_true(in_copy(copy, ch->versions, ch->nversions * sizeof(ch->versions[0])));
	assert_true(in_copy(copy, ch->ec_point_formats, ch->npoint_formats));
	assert_true(in_copy(copy, ch->alpn, ch->nalpn * sizeof(ch->alpn[0])));
	assert_true(in_copy(copy, ch->sni, strlen(ch->sni) + 1));
	/* no second hello: an empty one, not in the copy */
	assert_false(in_copy(copy, copy->ch2, sizeof(*copy->ch2)));
	assert_true(in_copy(copy, copy->alerts, sizeof(copy->alerts[0])));
	assert_true(in_copy(copy, copy->decrypt_note, 1));
	assert_string_equal(copy->ch2->sni, "");
	assert_null(copy->ch2->ciphers);
	char ja3[33], ja3_copy[33];
	sti_ja3_hash(&live->ch, ja3);
	/* The compact form: the same facts in 675 bytes where the copy takes
	 * 1,343: the core (336), the alert with its count (8 + 32), five
	 * 8-byte handshake rows, the same 256 bytes of lists and name, the
	 * ServerHello's extension and empty ALPN (2 + 1). */
	struct sti_tls_packed *packed = sti_tls_facts_pack(live);
	assert_non_null(packed);
	assert_int_equal(sti_tls_facts_settled_size(live), 1343);
	assert_int_equal(sti_tls_packed_size(packed), 336 + 8 + 32 + 5 * 8 + 256 + 2 + 1);
	static struct sti_tls_view view;
	assert_settled_copy_of(live, sti_tls_packed_facts(packed, &view));

	run_free(r);   /* the parser, its rooms and its hold on the certificate */
	struct run *again = CHECK_SEGS(tls12);
	assert_settled_copy_of(sti_tls_facts(again->t), copy);
	sti_ja3_hash(&copy->ch, ja3_copy);
	assert_string_equal(ja3_copy, ja3);
	assert_true(copy->server_cert->leaf.parsed);
	const struct sti_tls_facts *unpacked = sti_tls_packed_facts(packed, &view);
	assert_settled_copy_of(sti_tls_facts(again->t), unpacked);
	sti_ja3_hash(&unpacked->ch, ja3_copy);
	assert_string_equal(ja3_copy, ja3);
	assert_true(unpacked->server_cert->leaf.parsed);
	run_free(again);
	sti_tls_facts_free(copy);
	sti_tls_packed_free(packed);
}

/* The compact form of live reads back as its settled copy does. */
static void assert_packs(const struct sti_tls_facts *live)
{
	static struct sti_tls_view view;
	struct sti_tls_packed *packed = sti_tls_facts_pack(live);
	assert_non_null(packed);
	const struct sti_tls_facts *f = sti_tls_packed_facts(packed, &view);
	assert_settled_copy_of(live, f);
	assert_true(sti_tls_packed_size(packed) < sti_tls_facts_settled_size(live));
	sti_tls_packed_free(packed);
}

/* A settled copy of live: the same facts, exactly as big as wanted, each
 * direction's reason and sample its own and as long as its string. */
static void assert_packs(const struct sti_tls_facts *live);

static void assert_settles(const struct sti_tls_facts *live)
{
	assert_packs(live);
	struct sti_tls_facts *copy = sti_tls_facts_settle(live);
	assert_non_null(copy);
	assert_settled_copy_of(live, copy);
	assert_int_equal(sti_tls_facts_settled_size(copy), settled_size_wanted(live));
	for (enum sti_dir d = STI_C2S; d <= STI_S2C; d++) {
		assert_true(in_copy(copy, copy->dir[d].reason, strlen(live->dir[d].reason) + 1));
		assert_true(in_copy(copy, copy->dir[d].sample, strlen(live->dir[d].sample) + 1));
	}
	sti_tls_facts_free(copy);
}

/* Handshake entries: one per type, in the order first seen, counting
 * every message and keeping the first one's frame; a type never seen reads
 * as none, with its index. */
static void test_handshake_entries(void **state)
{
	(void)state;
	static struct sti_tls_facts f;
	static struct sti_tls_facts_room room;
	sti_tls_facts_init(&f, &room);
	struct sti_tls_dir_facts *d = &f.dir[STI_S2C];
	sti_tls_hs_note(d, STI_TLS_HSI_SERVER_HELLO, 4);
	sti_tls_hs_note(d, STI_TLS_HSI_CERTIFICATE, 5);
	sti_tls_hs_note(d, STI_TLS_HSI_SERVER_HELLO, 9);
	assert_int_equal(d->nhs, 2);
	assert_int_equal(d->hs[0].index, STI_TLS_HSI_SERVER_HELLO);
	assert_int_equal(d->hs[1].index, STI_TLS_HSI_CERTIFICATE);
	assert_int_equal(HS(d, SERVER_HELLO).count, 2);
	assert_int_equal(HS(d, SERVER_HELLO).first_frame, 4);
	assert_int_equal(HS(d, CERTIFICATE).count, 1);
	assert_int_equal(HS(d, CERTIFICATE).first_frame, 5);
	struct sti_tls_hs_seen none = HS(d, CERTIFICATE_REQUEST);
	assert_int_equal(none.count, 0);
	assert_int_equal(none.first_frame, 0);
	assert_int_equal(none.index, STI_TLS_HSI_CERTIFICATE_REQUEST);
	assert_int_equal(HS(&f.dir[STI_C2S], SERVER_HELLO).count, 0);
	/* every listed type fits the room */
	for (int i = 0; i < STI_TLS_HSI_COUNT; i++)
		sti_tls_hs_note(&f.dir[STI_C2S], (enum sti_tls_hs_index)i, 20 + (uint64_t)i);
	assert_int_equal(f.dir[STI_C2S].nhs, STI_TLS_HSI_COUNT);
	assert_int_equal(HS(&f.dir[STI_C2S], MESSAGE_HASH).first_frame, 20 + STI_TLS_HSI_MESSAGE_HASH);
}

/* Facts with nothing in them: the copy is the facts, an empty name, four
 * empty reasons and samples and an empty note. After a HelloRetryRequest
 * the second hello keeps its name, frame and flags, not its lists (nothing
 * reads them any more). */
static void test_settled_copy_empty_and_hrr(void **state)
{
	(void)state;
	struct sti_tls *t = sti_tls_new();
	assert_non_null(t);
	struct sti_tls_facts *copy = sti_tls_facts_settle(sti_tls_facts(t));
	assert_non_null(copy);
	assert_int_equal(sti_tls_facts_settled_size(copy), sizeof(*copy) + 6);
	assert_settled_copy_of(sti_tls_facts(t), copy);
	assert_null(copy->ch.ciphers);
	assert_null(copy->alerts);
	assert_string_equal(copy->ch.sni, "");
	sti_tls_free(t);
	sti_tls_facts_free(copy);

	struct run *r = CHECK_SEGS(hrr);
	const struct sti_tls_facts *live = sti_tls_facts(r->t);
	assert_true(live->have_ch2 && live->ch2->nciphers);
	copy = sti_tls_facts_settle(live);
	assert_non_null(copy);
	assert_int_equal(sti_tls_facts_settled_size(copy), settled_size_wanted(live));
	assert_settled_copy_of(live, copy);
	assert_true(copy->have_ch2);
	assert_int_equal(copy->ch2_frame, live->ch2_frame);
	assert_true(in_copy(copy, copy->ch2, sizeof(*copy->ch2)));
	assert_true(in_copy(copy, copy->ch2->sni, strlen(live->ch2->sni) + 1));
	assert_int_equal(copy->ch2->max_version, live->ch2->max_version);
	assert_int_equal(copy->ch2->nciphers, 0);
	assert_null(copy->ch2->ciphers);
	assert_string_equal(copy->ch2->sni, live->ch2->sni);
	assert_true(in_copy(copy, copy->hrr, sizeof(*copy->hrr)));
	assert_true(copy->hrr->hello_retry_request);
	assert_true(live->hrr->nexts > 0);
	assert_true(in_copy(copy, copy->hrr->exts, live->hrr->nexts * sizeof(copy->hrr->exts[0])));
	assert_int_equal(copy->hrr->selected_group, live->hrr->selected_group);
	assert_packs(live);
	run_free(r);
	sti_tls_facts_free(copy);
}

/* ---- the compact form of settled facts (sti_tls_facts_pack) ---- */

/* s filled with n copies of c and a NUL. */
static void fill_text(char *s, size_t n, char c)
{
	memset(s, c, n);
	s[n] = '\0';
}

/* A direction with every field at the top of what the compact form holds
 * (32-bit frames and counters, 16-bit handshake counts) and of its caps,
 * the wide fields of a stop at their 64-bit top, every flag set. */
static void extreme_dir(struct sti_tls_dir_facts *d)
{
	for (int i = 0; i < STI_TLS_HSI_COUNT; i++)
		sti_tls_hs_note(d, (enum sti_tls_hs_index)i, UINT32_MAX - (uint64_t)i);
	for (unsigned i = 0; i < d->nhs; i++)
		d->hs[i].count = UINT16_MAX - i;
	d->bytes = d->records = UINT32_MAX;
	for (unsigned i = 0; i < STI_TLS_CT_COUNT; i++)
		d->by_type[i] = UINT32_MAX - i;
	d->first_frame = d->last_frame = UINT32_MAX;
	d->first_ts = INT64_MIN;
	d->last_ts = INT64_MAX;
	d->hs_other = UINT32_MAX;
	d->encrypted = d->hs_cut = d->mid_record = d->malformed = true;
	d->not_tls = d->gap = d->sslv2 = true;
	d->sslv2_version = UINT16_MAX;
	d->ccs_frame = d->encrypted_frame = d->finished_frame = UINT32_MAX - 1;
	d->appdata_first_frame = d->appdata_after_est = d->data_frame = UINT32_MAX;
	for (unsigned i = 0; i < STI_TLS_TAIL; i++)
		d->tail[i] = (struct sti_tls_rec){ .type = UINT8_MAX, .length = UINT16_MAX,
						   .frame = UINT32_MAX - i };
	d->ntail = STI_TLS_TAIL;
	fill_text(d->reason, STI_TLS_REASON_MAX - 1, 'r');
	fill_text(d->sample, STI_TLS_SAMPLE_MAX, 's');
	d->malformed_frame = d->gap_frame = d->gap_len = d->sslv2_frame = UINT64_MAX;
}

/* A hello with every list at its cap, the wire totals at 16 bits. */
static void extreme_hello(struct sti_client_hello *c)
{
	c->nversions = STI_HELLO_MAX_VERSIONS;
	c->nciphers = STI_HELLO_MAX_CIPHERS;
	c->nexts = STI_HELLO_MAX_EXTS;
	c->ngroups = STI_HELLO_MAX_GROUPS;
	c->nsigalgs = STI_HELLO_MAX_SIGALGS;
	c->nkey_shares = STI_HELLO_MAX_KEY_SHARES;
	c->npoint_formats = STI_HELLO_MAX_POINT_FORMATS;
	c->nalpn = STI_HELLO_MAX_ALPN;
	for (unsigned i = 0; i < STI_HELLO_MAX_CIPHERS; i++)
		c->ciphers[i] = (uint16_t)(UINT16_MAX - i);
	for (unsigned i = 0; i < STI_HELLO_MAX_EXTS; i++)
		c->exts[i] = (uint16_t)(0xfe00 + i);
	for (unsigned i = 0; i < STI_HELLO_MAX_VERSIONS; i++)
		c->versions[i] = (uint16_t)(0x0300 + i);
	for (unsigned i = 0; i < STI_HELLO_MAX_GROUPS; i++)
		c->groups[i] = c->sigalgs[i] = (uint16_t)(0x8000 | i);
	for (unsigned i = 0; i < STI_HELLO_MAX_KEY_SHARES; i++)
		c->key_share_groups[i] = (uint16_t)(0x4000 | i);
	for (unsigned i = 0; i < STI_HELLO_MAX_POINT_FORMATS; i++)
		c->ec_point_formats[i] = (uint8_t)(UINT8_MAX - i);
	for (unsigned i = 0; i < STI_HELLO_MAX_ALPN; i++)
		fill_text(c->alpn[i], STI_HELLO_ALPN_MAX - 1, (char)('a' + i));
	fill_text(c->sni, STI_HELLO_NAME_MAX - 1, 'n');
	c->legacy_version = c->max_version = UINT16_MAX;
	c->ciphers_total = c->exts_total = c->sslv2_specs = UINT16_MAX;
	c->alpn0_len = UINT8_MAX;
	c->alpn0_ends[0] = c->alpn0_ends[1] = UINT8_MAX;
	c->has_supported_versions = c->sslv2_format = c->offers_tls13_suites = true;
	c->offers_aead = c->only_legacy_ciphers = c->truncated = true;
	c->malformed = "cipher_suites";
}

static void extreme_server_hello(struct sti_server_hello *h)
{
	h->legacy_version = h->version = h->cipher = h->selected_group = UINT16_MAX;
	h->compression = UINT8_MAX;
	h->hello_retry_request = h->downgrade_sentinel = h->truncated = true;
	h->nexts = STI_HELLO_MAX_EXTS;
	for (unsigned i = 0; i < STI_HELLO_MAX_EXTS; i++)
		h->exts[i] = (uint16_t)(UINT16_MAX - 2 * i);
	h->exts_total = UINT16_MAX;
	fill_text(h->alpn, STI_HELLO_ALPN_MAX - 1, 'p');
	h->malformed = "extensions";
}

/* Facts with every group present and every field at its extreme. */
static void extreme_facts(struct sti_tls_facts *f, struct sti_tls_facts_room *room)
{
	sti_tls_facts_init(f, room);
	extreme_dir(&f->dir[STI_C2S]);
	extreme_dir(&f->dir[STI_S2C]);
	f->have_ch = f->have_ch2 = f->have_hrr = f->have_sh = f->established = true;
	f->version = UINT16_MAX;
	f->ch_frame = f->ch2_frame = f->hrr_frame = f->sh_frame = UINT32_MAX;
	f->server_cert_frame = f->client_cert_frame = f->established_frame = UINT32_MAX;
	f->established_ts = INT64_MIN;
	extreme_hello(&f->ch);
	extreme_hello(f->ch2);
	extreme_server_hello(&f->sh);
	extreme_server_hello(f->hrr);
	f->nalerts = STI_TLS_MAX_ALERTS;
	f->alerts_total = UINT32_MAX;
	for (unsigned i = 0; i < STI_TLS_MAX_ALERTS; i++)
		f->alerts[i] = (struct sti_tls_alert){ .from = STI_S2C, .encrypted = true,
			.decrypted = true, .level = UINT8_MAX, .desc = (uint8_t)i,
			.length = UINT16_MAX, .frame = UINT64_MAX, .ts_us = INT64_MIN };
	f->decrypt = STI_TLS_DEC_OK;
	memset(f->client_random, 0xff, sizeof(f->client_random));
	f->decrypted_records[0] = f->decrypted_records[1] = UINT32_MAX;
	f->decrypt_failures[0] = f->decrypt_failures[1] = UINT32_MAX;
	fill_text(f->decrypt_note, STI_TLS_NOTE_MAX - 1, 'k');
}

/* Every field at its extreme and every group present: read back the same
 * as the settled copy (and the facts), each list and string its own. */
static void test_packed_extremes(void **state)
{
	(void)state;
	static struct sti_tls_facts f;
	static struct sti_tls_facts_room room;
	static struct sti_tls_view view;
	extreme_facts(&f, &room);
	struct sti_tls_packed *p = sti_tls_facts_pack(&f);
	assert_non_null(p);
	const struct sti_tls_facts *u = sti_tls_packed_facts(p, &view);
	assert_settled_copy_of(&f, u);
	struct sti_tls_facts *copy = sti_tls_facts_settle(&f);
	assert_settled_copy_of(copy, u);
	sti_tls_facts_free(copy);
	assert_int_equal(u->dir[STI_S2C].nhs, STI_TLS_HSI_COUNT);
	assert_int_equal(HS(&u->dir[STI_S2C], MESSAGE_HASH).count, UINT16_MAX - STI_TLS_HSI_MESSAGE_HASH);
	assert_int_equal(u->dir[STI_C2S].gap_len, UINT64_MAX);
	assert_int_equal(strlen(u->dir[STI_C2S].sample), STI_TLS_SAMPLE_MAX);
	assert_int_equal(strlen(u->ch.sni), STI_HELLO_NAME_MAX - 1);
	assert_int_equal(strlen(u->ch2->sni), STI_HELLO_NAME_MAX - 1);
	assert_int_equal(u->ch2->nciphers, 0);   /* its lists are not kept */
	assert_int_equal(strlen(u->decrypt_note), STI_TLS_NOTE_MAX - 1);
	assert_string_equal(u->sh.alpn, f.sh.alpn);
	assert_string_equal(u->hrr->alpn, f.hrr->alpn);
	assert_ptr_equal(u->ch.malformed, f.ch.malformed);
	assert_ptr_equal(u->sh.malformed, f.sh.malformed);
	assert_int_equal(u->alerts[STI_TLS_MAX_ALERTS - 1].frame, UINT64_MAX);
	/* nothing points back into the facts' room */
	assert_ptr_not_equal(u->ch.ciphers, f.ch.ciphers);
	assert_ptr_not_equal(u->hrr->exts, f.hrr->exts);
	assert_ptr_not_equal(u->dir[STI_C2S].reason, f.dir[STI_C2S].reason);
	sti_tls_packed_free(p);
}

/* A value one past what a narrowed field holds: not packed (the caller
 * keeps the settled copy instead). */
static void test_packed_refuses_wide_values(void **state)
{
	(void)state;
	static struct sti_tls_facts f;
	static struct sti_tls_facts_room room;
	for (int k = 0; k < 12; k++) {
		extreme_facts(&f, &room);
		struct sti_tls_packed *p = sti_tls_facts_pack(&f);
		assert_non_null(p);   /* at the top: packed */
		sti_tls_packed_free(p);
		struct sti_tls_dir_facts *d = &f.dir[k % 2];
		switch (k) {
		case 0: f.ch_frame = (uint64_t)UINT32_MAX + 1; break;
		case 1: d->bytes = (uint64_t)UINT32_MAX + 1; break;
		case 2: d->by_type[STI_TLS_CT_COUNT - 1] = (uint64_t)UINT32_MAX + 1; break;
		case 3: d->tail[STI_TLS_TAIL - 1].frame = (uint64_t)UINT32_MAX + 1; break;
		case 4: d->hs[d->nhs - 1].count = UINT16_MAX + 1u; break;
		case 5: d->hs[0].first_frame = (uint64_t)UINT32_MAX + 1; break;
		case 6: f.ch.ciphers_total = UINT16_MAX + 1u; break;
		case 7: f.ch.alpn0_len = UINT8_MAX + 1u; break;
		case 8: f.nalerts = UINT8_MAX + 1u; break;
		case 9: d->appdata_after_est = (uint64_t)UINT32_MAX + 1; break;
		case 10: f.sh.exts_total = UINT16_MAX + 1u; break;
		case 11: f.established_frame = (uint64_t)UINT32_MAX + 1; break;
		}
		assert_null(sti_tls_facts_pack(&f));
	}
}

/* Each optional group costs its bytes only when present; absent, it reads
 * as nothing (NULL lists, empty strings, the empty second hello). */
static void test_packed_groups(void **state)
{
	(void)state;
	static struct sti_tls_facts f;
	static struct sti_tls_facts_room room;
	static struct sti_tls_view view;
	/* nothing: the core (336 bytes) and two empty strings (name, ALPN) */
	sti_tls_facts_init(&f, &room);
	struct sti_tls_packed *p = sti_tls_facts_pack(&f);
	assert_int_equal(sti_tls_packed_size(p), 336 + 2);
	const struct sti_tls_facts *u = sti_tls_packed_facts(p, &view);
	assert_settled_copy_of(&f, u);
	assert_null(u->alerts);
	assert_null(u->hrr);
	assert_null(u->ch.ciphers);
	assert_null(u->dir[STI_C2S].hs);
	assert_false(u->have_ch2);
	assert_string_equal(u->ch2->sni, "");
	assert_string_equal(u->dir[STI_S2C].reason, "");
	assert_string_equal(u->decrypt_note, "");
	sti_tls_packed_free(p);
	/* one group at a time: its bytes, read back */
	for (int k = 0; k < 7; k++) {
		size_t extra = 0;
		sti_tls_facts_init(&f, &room);
		switch (k) {
		case 0:
			f.nalerts = f.alerts_total = 1;
			f.alerts[0] = (struct sti_tls_alert){ .level = 2, .desc = 40, .frame = 7 };
			extra = 8 + sizeof(struct sti_tls_alert);
			break;
		case 1:
			f.have_hrr = true;
			f.hrr->nexts = 2;
			f.hrr->exts[0] = 0x2b;
			f.hrr->exts[1] = 0x33;
			f.hrr->selected_group = 0x1d;
			extra = sizeof(struct sti_server_hello) + 4;
			break;
		case 2:
			f.have_ch2 = true;
			f.ch2->max_version = STI_TLS13;
			strcpy(f.ch2->sni, "ab");
			extra = sizeof(struct sti_client_hello) + 3;
			break;
		case 3:
			f.decrypt = STI_TLS_DEC_NO_KEYS;
			extra = 56 + 1;   /* its note is empty */
			break;
		case 4:
			f.dir[STI_S2C].not_tls = true;
			f.dir[STI_S2C].malformed_frame = 3;
			strcpy(f.dir[STI_S2C].sample, "HTTP/1.1");
			extra = 40 + 1 + 9;
			break;
		case 5:
			f.sh.malformed = "version";
			extra = 16;
			break;
		case 6:
			f.client_random[31] = 1;   /* a key log matched nothing yet */
			extra = 56 + 1;
			break;
		}
		p = sti_tls_facts_pack(&f);
		assert_int_equal(sti_tls_packed_size(p), 336 + 2 + extra);
		u = sti_tls_packed_facts(p, &view);
		assert_settled_copy_of(&f, u);
		sti_tls_packed_free(p);
	}
}

/* The TLS 1.3 handshake of tls13 (suite TLS_AES_256_GCM_SHA384) up to the
 * server's flight, then one client record of `len` bytes after its CCS. */
static struct run *tls13_client_record(unsigned len)
{
	char hex[2 * (6 + 5 + 80) + 1];
	int n = snprintf(hex, sizeof(hex), "140303000101170303%04x", len);
	for (unsigned i = 0; i < len; i++)
		n += snprintf(hex + n, sizeof(hex) - (size_t)n, "a5");
	struct seg s[] = { tls13.s[0], tls13.s[1], { STI_C2S, 8, hex } };
	return check_segs(s, sizeof(s) / sizeof(s[0]));
}

/* Both directions stopped (capture gaps) while an alert-sized record
 * waits for its direction's end: settled each way, but not final until
 * sti_tls_end has counted that record as an encrypted alert. */
static void test_settled_waits_for_pending_alert(void **state)
{
	(void)state;
	struct run *r = tls13_client_record(19);
	sti_tls_gap(r->t, STI_C2S, 5, 9);
	sti_tls_gap(r->t, STI_S2C, 5, 9);
	assert_true(sti_tls_settled(r->t, STI_C2S) && sti_tls_settled(r->t, STI_S2C));
	assert_false(sti_tls_settled_both(r->t));
	sti_tls_end(r->t, STI_C2S);
	assert_int_equal(sti_tls_facts(r->t)->nalerts, 1);
	assert_true(sti_tls_settled_both(r->t));
	run_free(r);
}

/* Stacks pad: a record is a Finished only if it can be one. With a
 * SHA-384 suite that takes 4 + 48 + 1 + 16 = 69 bytes; JSSE's 35-byte
 * encrypted alert, or 53 bytes (a SHA-256 Finished), cannot be. */
static void test_tls13_finished_by_size(void **state)
{
	(void)state;
	static const unsigned too_short[] = { 19, 35, 53, 68 };
	for (size_t i = 0; i < sizeof(too_short) / sizeof(too_short[0]); i++) {
		struct run *r = tls13_client_record(too_short[i]);
		assert_int_equal(sti_tls_facts(r->t)->dir[STI_C2S].finished_frame, 0);
		sti_tls_end(r->t, STI_C2S);
		assert_int_equal(sti_tls_facts(r->t)->nalerts, 1);
		assert_true(sti_tls_facts(r->t)->alerts[0].encrypted);
		assert_int_equal(sti_tls_facts(r->t)->alerts[0].length, too_short[i]);
		assert_int_equal(sti_tls_facts(r->t)->alerts[0].frame, 8);
		assert_false(sti_tls_facts(r->t)->established);
		run_free(r);
	}
	struct run *r = tls13_client_record(69);
	assert_int_equal(sti_tls_facts(r->t)->dir[STI_C2S].finished_frame, 8);
	sti_tls_end(r->t, STI_C2S);
	assert_int_equal(sti_tls_facts(r->t)->nalerts, 0);
	assert_int_equal(sti_tls_facts(r->t)->dir[STI_C2S].data_frame, 0);   /* no command yet */
	run_free(r);
}

/* zeek hrr.pcap: HelloRetryRequest (with a compatibility CCS that must
 * not switch the server to ciphertext), a second ClientHello after the
 * client's CCS, and a server flight whose segments came out of order. */
static void test_hrr(void **state)
{
	struct run *r = CHECK_SEGS(hrr);
	const struct sti_tls_facts *f = sti_tls_facts(r->t);
	const struct sti_tls_dir_facts *c = &f->dir[STI_C2S], *s = &f->dir[STI_S2C];

	(void)state;
	assert_true(f->have_hrr);
	assert_int_equal(f->hrr_frame, 6);
	assert_true(f->hrr->hello_retry_request);
	assert_int_equal(f->hrr->selected_group, 0x0017); /* secp256r1 */
	assert_true(f->have_ch2);
	assert_int_equal(f->ch2_frame, 8);
	assert_int_equal(f->ch_frame, 4);
	assert_int_equal(HS(c, CLIENT_HELLO).count, 2);
	assert_true(f->have_sh);
	assert_false(f->sh.hello_retry_request);
	assert_int_equal(f->sh_frame, 11);
	assert_int_equal(f->version, STI_TLS13);
	assert_int_equal(s->encrypted_frame, 11);
	assert_int_equal(s->finished_frame, 9); /* the flight ends in frame 9 */
	assert_int_equal(c->ccs_frame, 8);
	assert_int_equal(c->encrypted_frame, 13);
	assert_int_equal(c->finished_frame, 13);
	/* The client's Finished, the server's tickets, then only a 19-byte
	 * record from the client before it closes: no data went both ways,
	 * so this handshake is not established, and the short record is an
	 * encrypted alert once the client's side ends. */
	assert_false(f->established);
	assert_int_equal(f->nalerts, 0);
	sti_tls_end(r->t, STI_C2S);
	assert_int_equal(f->nalerts, 1);
	assert_true(f->alerts[0].encrypted);
	assert_int_equal(f->alerts[0].from, STI_C2S);
	assert_int_equal(f->alerts[0].frame, 16);
	assert_int_equal(f->alerts[0].length, 19);
	assert_false(sti_tls_settled(r->t, STI_C2S));
	assert_false(sti_tls_settled(r->t, STI_S2C));
	assert_tail(c, 3, STI_TLS_CT_APPLICATION_DATA, 19, 16);
	assert_false(c->hs_cut || s->hs_cut || c->malformed || s->malformed);
	/* The HRR, then the real ServerHello: ciphertext only after it. */
	assert_true(log_has(r, "1 d1 f6 type2 len84 enc0 0/0 - hrr1 sh0000 enc0\n"
			       "0 d1 f6 type22 len88 enc0 0/0 -\n"));
	assert_true(log_has(r, "1 d0 f8 type1 len235 enc0 0/0 - max0304\n"));
	assert_true(log_has(r, "1 d1 f11 type2 len151 enc0 0/0 - hrr1 sh0304 enc0\n"
			       "4 d1 f11 type0 len0 enc0 0/0 -\n"));
	run_free(r);
}

/* zeek tls-1.2-handshake-failure.pcap: cleartext fatal handshake_failure
 * right after the ClientHello. */
static void test_alert_handshake_failure(void **state)
{
	struct run *r = CHECK_SEGS(hsfail);
	const struct sti_tls_facts *f = sti_tls_facts(r->t);

	(void)state;
	assert_int_equal(f->ch.max_version, STI_TLS12);
	assert_false(f->have_sh);
	assert_int_equal(f->version, 0);
	assert_int_equal(f->nalerts, 1);
	assert_int_equal(f->alerts_total, 1);
	assert_int_equal(f->alerts[0].from, STI_S2C);
	assert_false(f->alerts[0].encrypted);
	assert_int_equal(f->alerts[0].level, STI_TLS_ALERT_FATAL);
	assert_int_equal(f->alerts[0].desc, STI_TLS_ALERT_HANDSHAKE_FAILURE);
	assert_int_equal(f->alerts[0].frame, 6);
	assert_false(f->established);
	assert_false(sti_tls_settled(r->t, STI_C2S));
	assert_false(sti_tls_settled(r->t, STI_S2C));
	assert_true(log_has(r, "3 d1 f6 type21 len2 enc0 2/40 -\n"));
	run_free(r);
}

/* ndpi tls_alert.pcap: a TLS 1.0-only client gets protocol_version. */
static void test_alert_protocol_version(void **state)
{
	struct run *r = CHECK_SEGS(alert70);
	const struct sti_tls_facts *f = sti_tls_facts(r->t);

	(void)state;
	assert_int_equal(f->ch.max_version, STI_TLS10);
	assert_string_equal(f->ch.sni, "www.google-analytics.com");
	assert_int_equal(f->nalerts, 1);
	assert_int_equal(f->alerts[0].from, STI_S2C);
	assert_int_equal(f->alerts[0].level, STI_TLS_ALERT_FATAL);
	assert_int_equal(f->alerts[0].desc, STI_TLS_ALERT_PROTOCOL_VERSION);
	assert_int_equal(f->alerts[0].frame, 6);
	assert_false(f->established);
	run_free(r);
}

/* zeek tls-1.2-protocol-error.pcap: the server answers with bytes that are
 * not a TLS record at all (00 00 00 00 02 00 28). */
static void test_server_not_tls(void **state)
{
	struct run *r = CHECK_SEGS(proterr);
	const struct sti_tls_facts *f = sti_tls_facts(r->t);

	(void)state;
	assert_true(f->dir[STI_S2C].not_tls);
	assert_string_equal(f->dir[STI_S2C].sample, "......(");
	assert_int_equal(f->dir[STI_S2C].records, 0);
	assert_false(f->dir[STI_S2C].malformed);
	assert_false(f->dir[STI_C2S].not_tls);
	assert_int_equal(f->nalerts, 0);
	/* No line end yet: the sample may grow, so keep the payload. */
	assert_false(sti_tls_settled(r->t, STI_S2C));
	run_free(r);
}

/* arkime tls-split-client-hello.pcap: a 1724-byte ClientHello (Chrome,
 * GREASE, TLS 1.3) split over two segments; TLS 1.3 server flight. */
static void test_split_client_hello(void **state)
{
	struct run *r = CHECK_SEGS(split);
	const struct sti_tls_facts *f = sti_tls_facts(r->t);
	const struct sti_tls_dir_facts *c = &f->dir[STI_C2S], *s = &f->dir[STI_S2C];

	(void)state;
	assert_true(f->have_ch);
	assert_int_equal(f->ch_frame, 5);
	assert_int_equal(c->first_frame, 5);
	assert_true(log_has(r, "0 d0 f5 type22 len1724 enc0 0/0 -\n"));
	assert_int_equal(f->ch.max_version, STI_TLS13);
	assert_int_equal(f->sh.cipher, 0x1301);
	assert_string_equal(f->ch.sni, "clients2.google.com");
	assert_int_equal(f->version, STI_TLS13);
	assert_int_equal(s->finished_frame, 14);
	assert_int_equal(c->finished_frame, 17);
	/* Client data at 18 and 19, the server's first reply at 20. */
	assert_true(f->established);
	assert_int_equal(f->established_frame, 20);
	assert_int_equal(c->appdata_after_est, 2);
	assert_int_equal(s->appdata_after_est, 6);
	assert_true(sti_tls_settled(r->t, STI_C2S));
	run_free(r);
}

/* zeek ssl-v2.pcap: SSLv2 from both sides. */
static void test_sslv2(void **state)
{
	struct run *r = CHECK_SEGS(ssl2);
	const struct sti_tls_facts *f = sti_tls_facts(r->t);

	(void)state;
	assert_true(f->have_ch);
	assert_int_equal(f->ch_frame, 4);
	assert_true(f->ch.sslv2_format);
	assert_int_equal(f->ch.legacy_version, 0x0002);
	assert_true(f->dir[STI_S2C].sslv2);
	assert_int_equal(f->dir[STI_S2C].sslv2_version, 0x0002);
	assert_int_equal(f->version, 0x0002);
	assert_true(f->dir[STI_C2S].sslv2); /* CLIENT-MASTER-KEY in frame 8 */
	assert_false(f->dir[STI_C2S].malformed || f->dir[STI_S2C].malformed);
	assert_false(f->dir[STI_C2S].not_tls || f->dir[STI_S2C].not_tls);
	assert_true(sti_tls_settled(r->t, STI_C2S));
	assert_true(sti_tls_settled(r->t, STI_S2C));
	assert_true(log_has(r, "2 d1 f6 type4 len948 enc0 0/0 -\n"));
	run_free(r);
}

/* zeek certificate-request-failed.pcap: the server asks for a client
 * certificate, the client sends an empty one, the server says 40. */
static void test_certificate_request(void **state)
{
	struct run *r = CHECK_SEGS(certreq);
	const struct sti_tls_facts *f = sti_tls_facts(r->t);
	const struct sti_tls_dir_facts *c = &f->dir[STI_C2S], *s = &f->dir[STI_S2C];

	(void)state;
	assert_int_equal(f->version, STI_TLS12);
	assert_int_equal(HS(s, CERTIFICATE_REQUEST).count, 1);
	assert_int_equal(HS(s, CERTIFICATE_REQUEST).first_frame, 6);
	assert_int_equal(HS(s, SERVER_KEY_EXCHANGE).count, 1);
	assert_non_null(f->server_cert);
	assert_int_equal(f->server_cert->leaf.chain_len, 2);
	assert_non_null(f->client_cert);
	assert_int_equal(f->client_cert_frame, 8);
	assert_int_equal(f->client_cert->leaf.chain_len, 0);
	assert_int_equal(c->finished_frame, 8);
	assert_int_equal(s->finished_frame, 0);
	assert_false(f->established);
	assert_int_equal(f->nalerts, 1);
	assert_int_equal(f->alerts[0].from, STI_S2C);
	assert_int_equal(f->alerts[0].desc, STI_TLS_ALERT_HANDSHAKE_FAILURE);
	assert_int_equal(f->alerts[0].frame, 9);
	assert_false(f->alerts[0].encrypted);
	run_free(r);
}

/* zeek tls-expired-cert.pcap (first stream): TLS 1.0 negotiated, encrypted
 * alerts (type 21, 32 bytes) from both sides at the end. */
static void test_tls10_encrypted_alerts(void **state)
{
	struct run *r = CHECK_SEGS(expired);
	const struct sti_tls_facts *f = sti_tls_facts(r->t);

	(void)state;
	assert_int_equal(f->ch.max_version, STI_TLS12);
	assert_int_equal(f->version, STI_TLS10);
	assert_string_equal(f->server_cert->leaf.subject_cn, "www.spidh.org");
	assert_int_equal(f->server_cert->leaf.not_after, 1393977599); /* 2014-03-04 */
	assert_int_equal(HS(&f->dir[STI_S2C], NEW_SESSION_TICKET).count, 1);
	assert_true(f->established);
	assert_int_equal(f->established_frame, 12);
	assert_int_equal(f->nalerts, 2);
	assert_int_equal(f->alerts[0].from, STI_S2C);
	assert_true(f->alerts[0].encrypted);
	assert_int_equal(f->alerts[0].length, 32);
	assert_int_equal(f->alerts[0].frame, 19);
	assert_int_equal(f->alerts[1].from, STI_C2S);
	assert_int_equal(f->alerts[1].frame, 24);
	/* The server sent one data record: not settled. */
	assert_false(sti_tls_settled(r->t, STI_C2S));
	run_free(r);
}

/* zeek smtp-starttls.pcap: the TLS bytes after "220 2.0.0 Ready to start
 * TLS" (Gmail's MX, TLS 1.2 ECDHE-RSA-AES128-GCM), SMTP inside, and the
 * client's encrypted close_notify. Also when the glue could stop payload. */
static void test_smtp_starttls(void **state)
{
	struct run *r = CHECK_SEGS(smtp);
	const struct sti_tls_facts *f = sti_tls_facts(r->t);
	struct input in;
	struct sti_tls *t;
	uint64_t settled_at = 0;

	(void)state;
	assert_int_equal(f->ch_frame, 13);
	assert_int_equal(f->ch.max_version, STI_TLS12);
	assert_int_equal(f->version, STI_TLS12);
	assert_int_equal(f->sh.cipher, 0xc02f);
	assert_int_equal(f->server_cert_frame, 16);
	assert_int_equal(f->server_cert->leaf.chain_len, 3);
	assert_int_equal(HS(&f->dir[STI_S2C], SERVER_KEY_EXCHANGE).first_frame, 16);
	assert_string_equal(f->server_cert->leaf.subject_cn, "mx.google.com");
	assert_int_equal(HS(&f->dir[STI_S2C], NEW_SESSION_TICKET).first_frame, 21);
	assert_int_equal(f->dir[STI_C2S].finished_frame, 20);
	assert_int_equal(f->dir[STI_S2C].finished_frame, 21);
	assert_true(f->established);
	assert_int_equal(f->established_frame, 21);
	assert_int_equal(f->dir[STI_C2S].appdata_first_frame, 23);
	assert_int_equal(BY_TYPE(&f->dir[STI_C2S], APPLICATION_DATA), 3);
	assert_int_equal(BY_TYPE(&f->dir[STI_S2C], APPLICATION_DATA), 3);
	assert_int_equal(f->nalerts, 1);
	assert_true(f->alerts[0].encrypted);
	assert_int_equal(f->alerts[0].length, 26);
	assert_int_equal(f->alerts[0].frame, 34);
	run_free(r);

	/* Both sides settle once each sent two data records after the
	 * handshake: the server's second is frame 27. */
	input_from_segs(&in, smtp.s, smtp.n);
	t = sti_tls_new();
	assert_non_null(t);
	for (size_t i = 0; i < in.n && !settled_at; i++) {
		sti_tls_feed(t, in.c[i].dir, in.c[i].p, in.c[i].n,
			     in.c[i].frame, 0);
		assert_false(sti_tls_settled(t, STI_C2S) != sti_tls_settled(t, STI_S2C));
		if (sti_tls_settled(t, STI_C2S))
			settled_at = in.c[i].frame;
	}
	assert_int_equal(settled_at, 27);
	sti_tls_free(t);
	input_free(&in);
}

/* ---- hand-built corners ---- */

struct bld {
	uint8_t *b;
	size_t n, cap;
};

static void put(struct bld *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (b->cap - b->n < n) {
		b->cap = (b->n + n) * 2;
		b->b = realloc(b->b, b->cap);
		assert_non_null(b->b);
	}
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void put_u8(struct bld *b, unsigned v)
{
	uint8_t x = (uint8_t)v;
	put(b, &x, 1);
}

static void put_u16(struct bld *b, unsigned v)
{
	put_u8(b, v >> 8);
	put_u8(b, v);
}

static void put_u24(struct bld *b, unsigned long v)
{
	put_u8(b, (unsigned)(v >> 16));
	put_u16(b, (unsigned)(v & 0xffff));
}

static void put_rec(struct bld *b, uint8_t type, const void *p, size_t n)
{
	put_u8(b, type);
	put_u16(b, 0x0303);
	put_u16(b, (unsigned)n);
	put(b, p, n);
}

static void bld_free(struct bld *b)
{
	free(b->b);
	memset(b, 0, sizeof(*b));
}

/* A record body, a whole segment of its own. */
static void add_rec(struct input *in, enum sti_dir dir, uint64_t frame, uint8_t type,
		    const void *p, size_t n)
{
	struct bld b = { 0 };
	put_rec(&b, type, p, n);
	input_add(in, dir, frame, b.b, b.n);
	bld_free(&b);
}

/* The first ClientHello message (header and body) of the tls12 capture. */
static void tls12_client_hello(struct bld *msg)
{
	struct input in;
	input_from_segs(&in, tls12.s, 1);
	assert_int_equal(in.c[0].n, 322);
	put(msg, in.c[0].p + 5, 317);
	input_free(&in);
}

static const uint8_t ccs[1] = { 1 };

static void test_record_lengths(void **state)
{
	struct input in = { 0 };
	struct run *r;
	static const uint8_t huge[5] = { 0x17, 0x03, 0x03, 0xff, 0xff };
	static const uint8_t ok_max[5] = { 0x17, 0x03, 0x03, 0x48, 0x00 };

	(void)state;
	/* Zero-length application data (RFC 5246 6.2.1 allows it) is framed
	 * and counted. */
	add_rec(&in, STI_C2S, 1, STI_TLS_CT_APPLICATION_DATA, NULL, 0);
	add_rec(&in, STI_C2S, 1, STI_TLS_CT_APPLICATION_DATA, NULL, 0);
	/* 2^14 + 2048 is the largest allowed ciphertext. */
	input_add(&in, STI_S2C, 2, ok_max, sizeof(ok_max));
	{
		uint8_t *z = calloc(1, 18432);
		assert_non_null(z);
		input_add(&in, STI_S2C, 3, z, 18432);
		free(z);
	}
	input_add(&in, STI_S2C, 4, huge, sizeof(huge));
	r = check_all(&in);
	assert_int_equal(sti_tls_facts(r->t)->dir[STI_C2S].records, 2);
	assert_int_equal(BY_TYPE(&sti_tls_facts(r->t)->dir[STI_C2S], APPLICATION_DATA), 2);
	assert_false(sti_tls_facts(r->t)->dir[STI_C2S].malformed);
	assert_false(sti_tls_facts(r->t)->dir[STI_C2S].mid_record);
	assert_int_equal(sti_tls_facts(r->t)->dir[STI_S2C].records, 1);
	assert_int_equal(sti_tls_facts(r->t)->dir[STI_S2C].tail[0].length, 18432);
	assert_int_equal(sti_tls_facts(r->t)->dir[STI_S2C].tail[0].frame, 3);
	assert_true(sti_tls_facts(r->t)->dir[STI_S2C].malformed);
	assert_string_equal(sti_tls_facts(r->t)->dir[STI_S2C].reason, "record length 65535");
	assert_int_equal(sti_tls_facts(r->t)->dir[STI_S2C].malformed_frame, 4);
	assert_true(sti_tls_settled(r->t, STI_S2C));
	assert_false(sti_tls_settled(r->t, STI_C2S));
	run_free(r);
	input_free(&in);
}

/* RFC 5246 6.2.1, RFC 8446 5.1: a zero-length handshake, alert or CCS
 * record in clear is malformed, and so is another record type between the
 * pieces of a handshake message. */
static void test_zero_length_and_interleaved_records(void **state)
{
	static const uint8_t part[] = { 0x01, 0x00, 0x03, 0xe8, 0x03, 0x03 };
	static const uint8_t appdata[3] = { 1, 2, 3 };
	struct input in = { 0 };
	struct run *r;

	(void)state;
	add_rec(&in, STI_C2S, 1, STI_TLS_CT_HANDSHAKE, NULL, 0);
	add_rec(&in, STI_S2C, 2, STI_TLS_CT_HANDSHAKE, part, sizeof(part));
	add_rec(&in, STI_S2C, 3, STI_TLS_CT_APPLICATION_DATA, appdata, sizeof(appdata));
	r = check_all(&in);
	assert_true(sti_tls_facts(r->t)->dir[STI_C2S].malformed);
	assert_string_equal(sti_tls_facts(r->t)->dir[STI_C2S].reason, "zero-length handshake record");
	assert_int_equal(sti_tls_facts(r->t)->dir[STI_C2S].malformed_frame, 1);
	assert_true(sti_tls_facts(r->t)->dir[STI_S2C].malformed);
	assert_string_equal(sti_tls_facts(r->t)->dir[STI_S2C].reason,
			    "application_data record in a handshake message");
	assert_int_equal(sti_tls_facts(r->t)->dir[STI_S2C].malformed_frame, 3);
	run_free(r);
	input_free(&in);

	memset(&in, 0, sizeof(in));
	add_rec(&in, STI_S2C, 1, STI_TLS_CT_ALERT, NULL, 0);
	r = check_all(&in);
	assert_string_equal(sti_tls_facts(r->t)->dir[STI_S2C].reason, "zero-length alert record");
	run_free(r);
	input_free(&in);
}

/* A ClientHello in 1-byte records, and one spanning two records, parse the
 * same as the original single record. */
static void test_client_hello_fragmented(void **state)
{
	struct bld msg = { 0 };
	struct input in = { 0 }, orig;
	struct run *r, *ref;

	(void)state;
	tls12_client_hello(&msg);
	input_from_segs(&orig, tls12.s, 1);
	ref = check_all(&orig);

	for (size_t i = 0; i < msg.n; i++)
		add_rec(&in, STI_C2S, 1 + i / 100, STI_TLS_CT_HANDSHAKE, msg.b + i, 1);
	r = check_all(&in);
	assert_true(sti_tls_facts(r->t)->have_ch);
	assert_int_equal(sti_tls_facts(r->t)->ch_frame, 4); /* last byte in frame 1 + 316/100 */
	assert_same_hello(&sti_tls_facts(r->t)->ch, &sti_tls_facts(ref->t)->ch);
	assert_int_equal(sti_tls_facts(r->t)->dir[STI_C2S].records, 317);
	assert_int_equal(HS(&sti_tls_facts(r->t)->dir[STI_C2S], CLIENT_HELLO).count, 1);
	run_free(r);
	input_free(&in);

	/* The handshake length is larger than the first record. */
	memset(&in, 0, sizeof(in));
	add_rec(&in, STI_C2S, 7, STI_TLS_CT_HANDSHAKE, msg.b, 100);
	add_rec(&in, STI_C2S, 8, STI_TLS_CT_HANDSHAKE, msg.b + 100, msg.n - 100);
	r = check_all(&in);
	assert_true(sti_tls_facts(r->t)->have_ch);
	assert_int_equal(sti_tls_facts(r->t)->ch_frame, 8);
	assert_same_hello(&sti_tls_facts(r->t)->ch, &sti_tls_facts(ref->t)->ch);
	assert_int_equal(sti_tls_facts(r->t)->dir[STI_C2S].records, 2);
	assert_false(sti_tls_facts(r->t)->dir[STI_C2S].mid_record);
	run_free(r);
	input_free(&in);

	/* Two messages in one record: a ClientHello and a HelloRequest. */
	memset(&in, 0, sizeof(in));
	put(&msg, "\x00\x00\x00\x00", 4);
	add_rec(&in, STI_C2S, 9, STI_TLS_CT_HANDSHAKE, msg.b, msg.n);
	r = check_all(&in);
	assert_int_equal(HS(&sti_tls_facts(r->t)->dir[STI_C2S], CLIENT_HELLO).count, 1);
	assert_int_equal(HS(&sti_tls_facts(r->t)->dir[STI_C2S], HELLO_REQUEST).count, 1);
	assert_int_equal(sti_tls_facts(r->t)->dir[STI_C2S].records, 1);
	run_free(r);
	input_free(&in);

	run_free(ref);
	input_free(&orig);
	bld_free(&msg);
}

static void test_bad_record_header(void **state)
{
	struct bld msg = { 0 };
	struct input in = { 0 };
	struct run *r;
	static const uint8_t g[5] = { 0x47, 0x03, 0x03, 0x00, 0x01 };
	static const uint8_t v[5] = { 0x16, 0x02, 0x00, 0x00, 0x01 };

	(void)state;
	tls12_client_hello(&msg);
	add_rec(&in, STI_C2S, 1, STI_TLS_CT_HANDSHAKE, msg.b, msg.n);
	input_add(&in, STI_C2S, 2, g, sizeof(g));
	input_add(&in, STI_S2C, 3, v, sizeof(v));
	r = check_all(&in);
	assert_true(sti_tls_facts(r->t)->have_ch);
	assert_true(sti_tls_facts(r->t)->dir[STI_C2S].malformed);
	assert_string_equal(sti_tls_facts(r->t)->dir[STI_C2S].reason, "record type 0x47");
	assert_int_equal(sti_tls_facts(r->t)->dir[STI_C2S].malformed_frame, 2);
	assert_false(sti_tls_facts(r->t)->dir[STI_C2S].not_tls);
	assert_true(sti_tls_facts(r->t)->dir[STI_S2C].malformed);
	assert_string_equal(sti_tls_facts(r->t)->dir[STI_S2C].reason, "record version 0x0200");
	assert_true(sti_tls_settled(r->t, STI_C2S));
	assert_true(sti_tls_settled(r->t, STI_S2C));
	assert_true(log_has(r, "6 d0 f2 type0 len0 enc0 0/0 record type 0x47\n"));
	assert_settles(sti_tls_facts(r->t));
	run_free(r);
	input_free(&in);
	bld_free(&msg);
}

/* Plaintext SMTP where the handshake belongs (SPEC 6.1.9, 6.1.10). */
static void test_plaintext_after_starttls(void **state)
{
	struct input in = { 0 };
	struct run *r;
	static const char ehlo[] = "EHLO mail.example.com\r\nMAIL FROM:<a@b>\r\n";
	static const char err[] = "500 5.5.2 Error: bad syntax\r\n";
	static const char lng[] =
		"\x01\x02 a line longer than the sample cap of forty-eight bytes";

	(void)state;
	input_add(&in, STI_C2S, 5, (const uint8_t *)ehlo, sizeof(ehlo) - 1);
	input_add(&in, STI_S2C, 6, (const uint8_t *)err, sizeof(err) - 1);
	r = check_all(&in);
	assert_true(sti_tls_facts(r->t)->dir[STI_C2S].not_tls);
	assert_string_equal(sti_tls_facts(r->t)->dir[STI_C2S].sample, "EHLO mail.example.com");
	assert_true(sti_tls_facts(r->t)->dir[STI_S2C].not_tls);
	assert_string_equal(sti_tls_facts(r->t)->dir[STI_S2C].sample, "500 5.5.2 Error: bad syntax");
	assert_int_equal(sti_tls_facts(r->t)->dir[STI_C2S].records, 0);
	assert_false(sti_tls_facts(r->t)->dir[STI_C2S].malformed);
	assert_true(sti_tls_settled(r->t, STI_C2S));
	assert_true(sti_tls_settled(r->t, STI_S2C));
	assert_true(log_has(r, "6 d0 f5 type0 len0 enc0 0/0 not TLS\n"));
	assert_settles(sti_tls_facts(r->t));
	run_free(r);
	input_free(&in);

	memset(&in, 0, sizeof(in));
	input_add(&in, STI_C2S, 5, (const uint8_t *)lng, sizeof(lng) - 1);
	r = check_all(&in);
	assert_int_equal(strlen(sti_tls_facts(r->t)->dir[STI_C2S].sample), STI_TLS_SAMPLE_MAX);
	assert_memory_equal(sti_tls_facts(r->t)->dir[STI_C2S].sample, ".. a line longer", 16);
	assert_true(sti_tls_settled(r->t, STI_C2S));
	assert_settles(sti_tls_facts(r->t));
	run_free(r);
	input_free(&in);
}

static void test_gap_mid_record(void **state)
{
	struct bld msg = { 0 }, rec = { 0 };
	struct input in = { 0 };
	struct run *r;

	(void)state;
	tls12_client_hello(&msg);
	put_rec(&rec, STI_TLS_CT_HANDSHAKE, msg.b, msg.n);
	input_add(&in, STI_C2S, 1, rec.b, 100);
	input_gap(&in, STI_C2S, 2, 100);
	input_add(&in, STI_C2S, 3, rec.b + 200, rec.n - 200);
	r = check_all(&in);
	assert_true(sti_tls_facts(r->t)->dir[STI_C2S].gap);
	assert_int_equal(sti_tls_facts(r->t)->dir[STI_C2S].gap_frame, 2);
	assert_int_equal(sti_tls_facts(r->t)->dir[STI_C2S].gap_len, 100);
	assert_true(sti_tls_facts(r->t)->dir[STI_C2S].mid_record);
	assert_false(sti_tls_facts(r->t)->have_ch);
	assert_int_equal(sti_tls_facts(r->t)->dir[STI_C2S].records, 0);
	assert_false(sti_tls_facts(r->t)->dir[STI_C2S].malformed);
	assert_true(sti_tls_settled(r->t, STI_C2S));
	assert_true(log_has(r, "6 d0 f2 type0 len0 enc0 0/0 capture gap\n"));
	run_free(r);
	input_free(&in);
	bld_free(&msg);
	bld_free(&rec);
}

/* A minimal TLS 1.2 ServerHello (RFC 5246 7.4.1.3) as a handshake message. */
static void server_hello_msg(struct bld *b, uint16_t version)
{
	uint8_t random[32] = { 1 };
	put_u8(b, STI_TLS_HS_SERVER_HELLO);
	put_u24(b, 2 + 32 + 1 + 2 + 1);
	put_u16(b, version);
	put(b, random, sizeof(random));
	put_u8(b, 0);       /* session_id */
	put_u16(b, 0x002f); /* TLS_RSA_WITH_AES_128_CBC_SHA */
	put_u8(b, 0);       /* null compression */
}

/* A Certificate bigger than the reassembly cap: truncated, skipped, and the
 * ServerHelloDone after it is still seen. */
static void test_oversize_certificate(void **state)
{
	struct bld msg = { 0 }, hs = { 0 };
	struct input in = { 0 };
	struct run *r;
	const unsigned long body = 70000;
	size_t off = 0;
	uint64_t frame = 2;

	(void)state;
	tls12_client_hello(&msg);
	add_rec(&in, STI_C2S, 1, STI_TLS_CT_HANDSHAKE, msg.b, msg.n);
	server_hello_msg(&hs, STI_TLS12);
	put_u8(&hs, STI_TLS_HS_CERTIFICATE);
	put_u24(&hs, body);
	put_u24(&hs, body - 3);
	put_u24(&hs, body - 6);
	for (unsigned long i = 0; i < body - 6; i++)
		put_u8(&hs, (unsigned)(i * 7));
	put(&hs, "\x0e\x00\x00\x00", 4);
	while (off < hs.n) {
		size_t k = hs.n - off < 16384 ? hs.n - off : 16384;
		add_rec(&in, STI_S2C, frame++, STI_TLS_CT_HANDSHAKE, hs.b + off, k);
		off += k;
	}
	r = check_all(&in);
	assert_true(sti_tls_facts(r->t)->have_sh);
	assert_int_equal(sti_tls_facts(r->t)->version, STI_TLS12);
	assert_non_null(sti_tls_facts(r->t)->server_cert);
	assert_true(sti_tls_facts(r->t)->server_cert->leaf.truncated);
	assert_true(sti_tls_facts(r->t)->dir[STI_S2C].hs_cut);
	assert_int_equal(sti_tls_facts(r->t)->server_cert_frame, 6);
	assert_int_equal(HS(&sti_tls_facts(r->t)->dir[STI_S2C], CERTIFICATE).count, 1);
	assert_int_equal(HS(&sti_tls_facts(r->t)->dir[STI_S2C], SERVER_HELLO_DONE).count, 1);
	assert_int_equal(HS(&sti_tls_facts(r->t)->dir[STI_S2C], SERVER_HELLO_DONE).first_frame, 6);
	assert_false(sti_tls_facts(r->t)->dir[STI_S2C].malformed);
	assert_true(log_has(r, "1 d1 f6 type11 len70000 enc0 0/0 -\n"));
	run_free(r);
	input_free(&in);
	bld_free(&msg);
	bld_free(&hs);
}

/* The first two segments of the TLS 1.3 capture: ClientHello, and the
 * server's ServerHello with its encrypted flight. */
static void tls13_start(struct input *in)
{
	input_from_segs(in, tls13.s, 2);
	assert_int_equal(in->c[1].dir, STI_S2C);
}

/* GnuTLS rejecting the server's certificate under TLS 1.3: an encrypted
 * alert (a 19-byte type-23 record) after the server's flight, then a
 * close. That is not a Finished: not established, and not settled. */
static void test_tls13_client_encrypted_alert(void **state)
{
	struct input in;
	struct run *r;
	uint8_t alert[19] = { 0x5a };

	(void)state;
	tls13_start(&in);
	add_rec(&in, STI_C2S, 8, STI_TLS_CT_CHANGE_CIPHER_SPEC, ccs, 1);
	add_rec(&in, STI_C2S, 8, STI_TLS_CT_APPLICATION_DATA, alert, sizeof(alert));
	r = check_all(&in);
	assert_int_equal(sti_tls_facts(r->t)->version, STI_TLS13);
	assert_true(sti_tls_facts(r->t)->dir[STI_C2S].encrypted);
	assert_int_equal(sti_tls_facts(r->t)->dir[STI_C2S].finished_frame, 0);
	assert_false(sti_tls_facts(r->t)->established);
	assert_tail(&sti_tls_facts(r->t)->dir[STI_C2S], 2, STI_TLS_CT_APPLICATION_DATA, 19, 8);
	assert_false(sti_tls_settled(r->t, STI_C2S));
	assert_false(sti_tls_settled(r->t, STI_S2C));
	run_free(r);
	input_free(&in);
}

/* A TLS 1.3 server rejecting the client's certificate after its Finished:
 * one short record from the server and no data, so not established; the
 * short record is the server's encrypted alert once its side ends. */
static void test_tls13_server_rejects_after_finished(void **state)
{
	struct input in;
	struct run *r;
	uint8_t fin[69] = { 0x33 }, alert[19] = { 0x44 };

	(void)state;
	tls13_start(&in);
	add_rec(&in, STI_C2S, 8, STI_TLS_CT_CHANGE_CIPHER_SPEC, ccs, 1);
	add_rec(&in, STI_C2S, 8, STI_TLS_CT_APPLICATION_DATA, fin, sizeof(fin));
	add_rec(&in, STI_S2C, 9, STI_TLS_CT_APPLICATION_DATA, alert, sizeof(alert));
	r = check_all(&in);
	assert_false(sti_tls_facts(r->t)->established);
	assert_int_equal(sti_tls_facts(r->t)->dir[STI_C2S].finished_frame, 8);
	assert_tail(&sti_tls_facts(r->t)->dir[STI_S2C], sti_tls_facts(r->t)->dir[STI_S2C].ntail - 1,
		    STI_TLS_CT_APPLICATION_DATA, 19, 9);
	assert_false(sti_tls_settled(r->t, STI_C2S));
	assert_false(sti_tls_settled(r->t, STI_S2C));
	assert_int_equal(sti_tls_facts(r->t)->nalerts, 0);
	sti_tls_end(r->t, STI_S2C);
	assert_int_equal(sti_tls_facts(r->t)->nalerts, 1);
	assert_true(sti_tls_facts(r->t)->alerts[0].encrypted);
	assert_int_equal(sti_tls_facts(r->t)->alerts[0].from, STI_S2C);
	assert_int_equal(sti_tls_facts(r->t)->alerts[0].frame, 9);
	run_free(r);
	input_free(&in);
}

/* OpenSSL sends its TLS 1.3 rejection in cleartext (SPEC 6.1.5): a 2-byte
 * alert record is cleartext whenever TLS 1.3 is in use, since TLS 1.3
 * ciphertext always travels as type 23. */
static void test_tls13_cleartext_alerts(void **state)
{
	struct input in;
	struct run *r;
	static const uint8_t unknown_ca[2] = { 2, 48 }, internal[2] = { 2, 80 };

	(void)state;
	tls13_start(&in);
	add_rec(&in, STI_C2S, 8, STI_TLS_CT_ALERT, unknown_ca, 2);
	add_rec(&in, STI_S2C, 9, STI_TLS_CT_ALERT, internal, 2);
	r = check_all(&in);
	assert_int_equal(sti_tls_facts(r->t)->nalerts, 2);
	assert_false(sti_tls_facts(r->t)->alerts[0].encrypted);
	assert_int_equal(sti_tls_facts(r->t)->alerts[0].from, STI_C2S);
	assert_int_equal(sti_tls_facts(r->t)->alerts[0].desc, STI_TLS_ALERT_UNKNOWN_CA);
	assert_int_equal(sti_tls_facts(r->t)->alerts[0].frame, 8);
	assert_false(sti_tls_facts(r->t)->alerts[1].encrypted);
	assert_int_equal(sti_tls_facts(r->t)->alerts[1].from, STI_S2C);
	assert_int_equal(sti_tls_facts(r->t)->alerts[1].desc, STI_TLS_ALERT_INTERNAL_ERROR);
	assert_false(sti_tls_facts(r->t)->dir[STI_C2S].encrypted);
	assert_true(sti_tls_facts(r->t)->dir[STI_S2C].encrypted);
	assert_false(sti_tls_facts(r->t)->established);
	run_free(r);
	input_free(&in);
}

/* A high-bit first byte that is not an SSLv2 hello of the right kind. */
static void test_not_sslv2(void **state)
{
	struct input in = { 0 };
	struct run *r;
	static const uint8_t b[5] = { 0x80, 0x05, 0x01, 0x00, 0x02 };

	(void)state;
	input_add(&in, STI_S2C, 3, b, sizeof(b));
	r = check_all(&in);
	assert_true(sti_tls_facts(r->t)->dir[STI_S2C].not_tls);
	assert_string_equal(sti_tls_facts(r->t)->dir[STI_S2C].sample, ".....");
	assert_false(sti_tls_facts(r->t)->dir[STI_S2C].sslv2);
	run_free(r);
	input_free(&in);
}

/* The usual SSLv2-compatible hello: SSLv2 ClientHello, TLS 1.0 answer,
 * and the client goes on in TLS records. */
static void test_sslv2_compatible_hello(void **state)
{
	struct input ssl, in = { 0 };
	struct bld sh = { 0 }, cke = { 0 };
	struct run *r;

	(void)state;
	input_from_segs(&ssl, ssl2.s, 1);
	input_add(&in, STI_C2S, 1, ssl.c[0].p, ssl.c[0].n);
	server_hello_msg(&sh, STI_TLS10);
	put(&sh, "\x0e\x00\x00\x00", 4);
	add_rec(&in, STI_S2C, 2, STI_TLS_CT_HANDSHAKE, sh.b, sh.n);
	put_u8(&cke, STI_TLS_HS_CLIENT_KEY_EXCHANGE);
	put_u24(&cke, 2);
	put_u16(&cke, 0);
	add_rec(&in, STI_C2S, 3, STI_TLS_CT_HANDSHAKE, cke.b, cke.n);
	add_rec(&in, STI_C2S, 3, STI_TLS_CT_CHANGE_CIPHER_SPEC, ccs, 1);
	r = check_all(&in);
	assert_true(sti_tls_facts(r->t)->ch.sslv2_format);
	assert_int_equal(sti_tls_facts(r->t)->version, STI_TLS10);
	assert_false(sti_tls_facts(r->t)->dir[STI_C2S].sslv2);
	assert_false(sti_tls_facts(r->t)->dir[STI_S2C].sslv2);
	assert_int_equal(HS(&sti_tls_facts(r->t)->dir[STI_C2S], CLIENT_KEY_EXCHANGE).first_frame, 3);
	assert_int_equal(sti_tls_facts(r->t)->dir[STI_C2S].records, 2); /* the SSLv2 one is not */
	assert_int_equal(sti_tls_facts(r->t)->dir[STI_C2S].encrypted_frame, 3);
	assert_false(sti_tls_facts(r->t)->dir[STI_C2S].malformed);
	run_free(r);
	input_free(&in);
	input_free(&ssl);
	bld_free(&sh);
	bld_free(&cke);
}

/* More alerts than the list holds: the first ones are kept, all counted.
 * A bare alert instead of a ClientHello (SPEC 6.1.8) is one of them. */
static void test_alert_cap(void **state)
{
	struct input in = { 0 };
	struct run *r;

	(void)state;
	for (unsigned i = 0; i < 10; i++) {
		uint8_t a[2] = { STI_TLS_ALERT_FATAL, (uint8_t)(80 + i) };
		add_rec(&in, (int)(i & 1), 10 + i, STI_TLS_CT_ALERT, a, 2);
	}
	r = check_all(&in);
	assert_int_equal(sti_tls_facts(r->t)->nalerts, STI_TLS_MAX_ALERTS);
	assert_int_equal(sti_tls_facts(r->t)->alerts_total, 10);
	assert_int_equal(sti_tls_facts(r->t)->alerts[0].desc, STI_TLS_ALERT_INTERNAL_ERROR);
	assert_int_equal(sti_tls_facts(r->t)->alerts[0].from, STI_C2S);
	assert_int_equal(sti_tls_facts(r->t)->alerts[0].frame, 10);
	assert_int_equal(sti_tls_facts(r->t)->alerts[7].desc, 87);
	assert_int_equal(sti_tls_facts(r->t)->alerts[7].from, STI_S2C);
	assert_false(sti_tls_facts(r->t)->have_ch);
	run_free(r);
	input_free(&in);
}

/* Before the handshake is decided nothing settles; the end of the input
 * inside a record shows as mid_record. */
static void test_undecided(void **state)
{
	struct input in;
	struct run *r;

	(void)state;
	input_from_segs(&in, tls12.s, 3);
	r = check_all(&in);
	assert_true(sti_tls_facts(r->t)->have_sh);
	assert_null(sti_tls_facts(r->t)->server_cert);
	assert_true(sti_tls_facts(r->t)->dir[STI_S2C].mid_record);
	assert_false(sti_tls_facts(r->t)->dir[STI_C2S].mid_record);
	assert_false(sti_tls_settled(r->t, STI_C2S));
	assert_false(sti_tls_settled(r->t, STI_S2C));
	run_free(r);
	input_free(&in);
}

/* Hostile input: each capture with bytes flipped (biased towards record
 * and handshake headers, where lengths live) must not crash or read out of
 * bounds (the sanitizers watch), and must still give the same facts
 * however it is split. */
static void mutate_and_check(const struct seg *s, size_t n, uint64_t seed)
{
	struct input in;
	struct run *r;
	size_t total = 0;

	input_from_segs(&in, s, n);
	for (size_t i = 0; i < in.n; i++)
		total += in.c[i].n;
	for (unsigned k = 0; k < 1 + seed % 8; k++) {
		size_t pos = feed_random(&seed) % total;
		/* Half the flips land in the first bytes of a segment. */
		for (size_t i = 0; i < in.n; i++) {
			if (pos < in.c[i].n) {
				if (seed & 1)
					pos %= in.c[i].n < 16 ? in.c[i].n : 16;
				in.c[i].p[pos] ^= (uint8_t)(1 + feed_random(&seed) % 255);
				break;
			}
			pos -= in.c[i].n;
		}
	}
	r = check_all(&in);
	run_free(r);
	input_free(&in);
}

#define MUTATE(a, seed) mutate_and_check((a).s, (a).n, (seed))

static void test_mutations(void **state)
{
	(void)state;
	for (uint32_t seed = 1; seed <= 12; seed++) {
		uint32_t s = seed * 0x9e3779b9u;
		MUTATE(tls12, s);
		MUTATE(tls13, s);
		MUTATE(hrr, s);
		MUTATE(hsfail, s);
		MUTATE(split, s);
		MUTATE(ssl2, s);
		MUTATE(certreq, s);
		MUTATE(expired, s);
		MUTATE(smtp, s);
	}
}

/* Random bytes behind a plausible record header. */
static void test_garbage(void **state)
{
	uint64_t seed = 12345;
	(void)state;
	for (unsigned round = 0; round < 40; round++) {
		struct input in = { 0 };
		struct run *r;
		uint8_t buf[2048];
		for (unsigned c = 0; c < 6; c++) {
			size_t n = 1 + feed_random(&seed) % sizeof(buf);
			for (size_t i = 0; i < n; i++)
				buf[i] = (uint8_t)feed_random(&seed);
			if (c < 2) {
				buf[0] = (uint8_t)(20 + feed_random(&seed) % 5);
				if (n > 1)
					buf[1] = 3;
			}
			input_add(&in, (int)(c & 1), c + 1, buf, n);
		}
		r = check_all(&in);
		run_free(r);
		input_free(&in);
	}
}

static struct seg_list *const transcripts[] = {
	&tls12, &tls13, &hrr, &hsfail, &proterr, &alert70, &split, &ssl2,
	&certreq, &expired, &smtp,
};

TEST_DATA_GROUP(transcripts, seg_lists_load, seg_lists_free)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_tls12),
		cmocka_unit_test(test_tls13),
		cmocka_unit_test(test_settled_copy),
		cmocka_unit_test(test_handshake_entries),
		cmocka_unit_test(test_settled_copy_empty_and_hrr),
		cmocka_unit_test(test_packed_extremes),
		cmocka_unit_test(test_packed_refuses_wide_values),
		cmocka_unit_test(test_packed_groups),
		cmocka_unit_test(test_settled_waits_for_pending_alert),
		cmocka_unit_test(test_hrr),
		cmocka_unit_test(test_tls13_finished_by_size),
		cmocka_unit_test(test_alert_handshake_failure),
		cmocka_unit_test(test_alert_protocol_version),
		cmocka_unit_test(test_server_not_tls),
		cmocka_unit_test(test_split_client_hello),
		cmocka_unit_test(test_sslv2),
		cmocka_unit_test(test_certificate_request),
		cmocka_unit_test(test_tls10_encrypted_alerts),
		cmocka_unit_test(test_smtp_starttls),
		cmocka_unit_test(test_record_lengths),
		cmocka_unit_test(test_zero_length_and_interleaved_records),
		cmocka_unit_test(test_client_hello_fragmented),
		cmocka_unit_test(test_bad_record_header),
		cmocka_unit_test(test_plaintext_after_starttls),
		cmocka_unit_test(test_gap_mid_record),
		cmocka_unit_test(test_oversize_certificate),
		cmocka_unit_test(test_tls13_client_encrypted_alert),
		cmocka_unit_test(test_tls13_server_rejects_after_finished),
		cmocka_unit_test(test_tls13_cleartext_alerts),
		cmocka_unit_test(test_not_sslv2),
		cmocka_unit_test(test_sslv2_compatible_hello),
		cmocka_unit_test(test_alert_cap),
		cmocka_unit_test(test_undecided),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, data_setup, data_teardown);
}
