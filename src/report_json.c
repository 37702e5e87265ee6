/*
 * report_json.c - the NDJSON reporter (--json).
 *
 * One JSON object per line: one per session ("event.kind": "session"), then
 * one closing summary for the run ("event.kind": "summary"). Every line is
 * handed to standard output whole when it ends, and flushed then when the
 * input is live or the output a terminal, so `starttls-inspect --json -i
 * eth0 | jq` sees sessions as they close (sti/outbuf.h).
 *
 * Keys are flat and dotted ("source.ip", not {"source": {"ip": ...}}): the
 * names are those of SPEC section 7 and of the Elastic Common Schema where
 * it has a field, and docs/starttls-inspect.schema.json describes them.
 * A field without a value is left out, never written as "" or null; the
 * verdict fields, smtp.mode and smtp.starttls_offered are always present.
 * null appears only inside tls.alerts (the level, code and description of
 * an encrypted alert) and as tcp.first_close when no side closed.
 *
 * A line is assembled in the reporter's fixed buffer, with no allocation
 * besides the reporter itself. Keys are the program's own constants and
 * are written as they are; strings from the wire go through the one
 * escaper (sti_out_json_string): quotes, backslashes and control bytes are
 * escaped, valid UTF-8 passes through, and each byte that is not part of a
 * valid UTF-8 sequence becomes U+FFFD, so every line is valid UTF-8 JSON
 * whatever was captured.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sti/civil_time.h"
#include "sti/decode.h"
#include "sti/fmt.h"
#include "sti/mtalog.h"
#include "sti/outbuf.h"
#include "sti/session_record.h"
#include "sti/report.h"
#include "sti/session.h"
#include "sti/smtp.h"
#include "sti/tls.h"
#include "sti/tls_hello.h"
#include "sti/verdict.h"

#define TCP_PROTO 6 /* IANA protocol number */

/*
 * Escaped remediation texts, remembered. A remediation is a few hundred
 * to a few thousand bytes with a line break or a quote every few dozen,
 * and a capture's sessions share a few dozen distinct ones: escaping it
 * again was the largest part of a line. An entry is found by the length
 * and two bytes of the text and taken only when the whole text is equal
 * (memcmp), so what is written is always what escaping would write. The
 * same for a ClientHello's cipher suite list (the bytes of its values)
 * and the JSON array of their names: thirty-odd names a session, from a
 * handful of client builds.
 */
#define MEMO_SETS 16
#define MEMO_WAYS 4

struct text_memo {
	char *text;            /* the text as the verdict wrote it */
	size_t len;
	char *json;            /* its JSON string, quotes included */
	size_t json_len;
};

struct memo_set {
	struct text_memo way[MEMO_WAYS];
	unsigned next;         /* the way a new text replaces */
};

/*
 * The server's certificate and chain as written, remembered: a capture's
 * sessions are served a handful of distinct certificates, and their two
 * dozen fields (names escaped, dates formatted) were a fifth of a line.
 * A memo holds a copy of the struct it was written from and is taken only
 * when the session's struct has the same bytes, so it is exactly what
 * writing would write (whether the facts point into the certificate cache
 * or to a copy, as --anonymize's do).
 */
#define CERT_MEMOS 8

struct cert_memo {
	struct sti_tls_cert *cert;   /* the copy; NULL when empty */
	char *json;
	size_t json_len;
};

struct cert_memos {
	struct cert_memo way[CERT_MEMOS];
	unsigned next;
};

/*
 * The same for a ClientHello's fields but its server name: what the
 * hello offered and its fingerprints, from a few client builds. Its
 * shape is every value those fields are made from; lists are compared
 * with GREASE values taken as equal to one another, as every one of those
 * fields leaves GREASE out (fresh GREASE values come with each hello).
 */
struct hello_shape {
	uint16_t legacy_version, max_version;
	bool has_supported_versions, sslv2_format, alpn_named;
	uint8_t alpn0_ends[2];
	unsigned nversions, nciphers, nexts, ngroups, npoint_formats, nsigalgs;
	uint16_t versions[STI_HELLO_MAX_VERSIONS];
	uint16_t ciphers[STI_HELLO_MAX_CIPHERS];
	uint16_t exts[STI_HELLO_MAX_EXTS];
	uint16_t groups[STI_HELLO_MAX_GROUPS];
	uint16_t sigalgs[STI_HELLO_MAX_SIGALGS];
	uint8_t point_formats[STI_HELLO_MAX_POINT_FORMATS];
};

#define HELLO_SETS 8
#define HELLO_WAYS 4

struct hello_memo {
	struct hello_shape *shape;   /* NULL when empty */
	char *head;                  /* max_version ... ja4 */
	size_t head_len;
	char *tail;                  /* supported_ciphers, sslv2_hello */
	size_t tail_len;
};

struct hello_set {
	struct hello_memo way[HELLO_WAYS];
	unsigned next;
};

struct json_reporter {
	struct sti_reporter base;   /* first: the ops get &base */
	struct memo_set remedies[MEMO_SETS];
	struct memo_set cipher_lists[MEMO_SETS];
	struct cert_memos certs;
	struct hello_set hellos[HELLO_SETS];
	uint64_t files;
	uint64_t files_failed;
	struct sti_ingest_stats live;      /* the live capture's counters */
	bool have_live;
	struct sti_time_cache times;
	struct sti_out out;
};

/* ---- JSON primitives -------------------------------------------------- */

/*
 * The helpers that take a key are inlined into their callers: every key is
 * a string constant there, so its length is known when compiling and the
 * key is copied as a block (measuring each key's length cost more than
 * writing it).
 */
#if defined(__GNUC__) || defined(__clang__)
#define J_KEYED static inline __attribute__((always_inline))
#else
#define J_KEYED static inline
#endif

/* One object being written: whether a member needs a comma before it. */
struct jw {
	struct sti_out *o;
	struct sti_time_cache *times;
	struct memo_set *remedies;
	struct memo_set *cipher_lists;
	struct cert_memos *certs;
	struct hello_set *hellos;
	bool more;
};

/* A NUL-terminated string that may not be terminated within cap bytes. */
static size_t bounded_len(const char *s, size_t cap)
{
	return strnlen(s, cap);
}

/* A member's key: one of the program's constants, which need no escaping. */
J_KEYED void j_key(struct jw *w, const char *key)
{
	if (w->more)
		sti_out_byte(w->o, ',');
	w->more = true;
	sti_out_byte(w->o, '"');
	sti_out_write(w->o, key, strlen(key));
	sti_out_lit(w->o, "\":");
}

/* A string member, even when empty. */
J_KEYED void j_str_always(struct jw *w, const char *key, const char *s,
			 size_t n)
{
	j_key(w, key);
	sti_out_json_string(w->o, s, n);
}

/* A string member, left out when s is NULL or empty. */
J_KEYED void j_strn(struct jw *w, const char *key, const char *s, size_t n)
{
	if (s && n > 0)
		j_str_always(w, key, s, n);
}

J_KEYED void j_str(struct jw *w, const char *key, const char *s)
{
	if (s)
		j_strn(w, key, s, strlen(s));
}

/* A string member the program formatted itself from digits, hex,
 * base64 or an address's punctuation: nothing in it needs escaping. Left
 * out when empty, as j_strn leaves it. */
J_KEYED void j_plain(struct jw *w, const char *key, const char *s, size_t n)
{
	if (n == 0)
		return;
	j_key(w, key);
	sti_out_byte(w->o, '"');
	sti_out_write(w->o, s, n);
	sti_out_byte(w->o, '"');
}

/* A string member whose value is one of the program's own names (a
 * reason, a version, a cipher suite): nothing in it needs escaping. Left
 * out when s is NULL or empty. */
static void j_const_value(struct sti_out *o, const char *s)
{
	sti_out_byte(o, '"');
	sti_out_str(o, s);
	sti_out_byte(o, '"');
}

J_KEYED void j_const(struct jw *w, const char *key, const char *s)
{
	if (!s || !*s)
		return;
	j_key(w, key);
	j_const_value(w->o, s);
}

/* A member from a fixed char array of the facts. */
#define J_STR_ARR(w, key, arr) j_strn((w), (key), (arr), bounded_len((arr), sizeof(arr)))
/* A string the facts point to, NUL-ended within cap bytes. */
#define J_STR_CAP(w, key, s, cap) j_strn((w), (key), (s), bounded_len((s), (cap)))

J_KEYED void j_u64(struct jw *w, const char *key, uint64_t v)
{
	j_key(w, key);
	sti_out_u64(w->o, v);
}

J_KEYED void j_bool(struct jw *w, const char *key, bool v)
{
	j_key(w, key);
	if (v)
		sti_out_lit(w->o, "true");
	else
		sti_out_lit(w->o, "false");
}

/* One of the program's names, or null. */
static void j_const_or_null(struct jw *w, const char *s)
{
	if (s)
		j_const_value(w->o, s);
	else
		sti_out_lit(w->o, "null");
}

/* The i-th number of an array being written. */
static void j_list_u64(struct jw *w, unsigned i, uint64_t v)
{
	if (i)
		sti_out_byte(w->o, ',');
	sti_out_u64(w->o, v);
}

static void j_begin(struct jw *w, struct json_reporter *j)
{
	w->o = &j->out;
	w->times = &j->times;
	w->remedies = j->remedies;
	w->cipher_lists = j->cipher_lists;
	w->certs = &j->certs;
	w->hellos = j->hellos;
	w->more = false;
	sti_out_byte(w->o, '{');
}

/* An object inside w's. */
static void j_begin_in(struct jw *inner, struct jw *w)
{
	*inner = *w;
	inner->more = false;
	sti_out_byte(w->o, '{');
}

static void j_end(struct jw *w)
{
	sti_out_byte(w->o, '}');
}

/* ---- values ------------------------------------------------------------ */

/* RFC 3339, UTC, with microseconds: "2026-11-27T18:36:19.123456Z"; left
 * out when the year has not four digits. */
J_KEYED void j_time_us(struct jw *w, const char *key, int64_t us)
{
	char buf[STI_RFC3339_MAX];
	size_t n = sti_rfc3339_us(w->times, us, buf);

	if (n)
		j_plain(w, key, buf, n);
}

/* RFC 3339, UTC, whole seconds: "2027-02-25T12:00:00Z". */
J_KEYED void j_time_s(struct jw *w, const char *key, int64_t secs)
{
	char buf[STI_RFC3339_MAX];
	size_t n = sti_rfc3339_s(w->times, secs, buf);

	if (n)
		j_plain(w, key, buf, n);
}

/* A version name ("1.2", "ssl3", "0x7f1c") as a bare JSON string. */
static void j_version_value(struct sti_out *o, uint16_t v)
{
	char buf[16];
	j_const_value(o, sti_tls_version_name(v, buf, sizeof(buf)));
}

J_KEYED void j_version(struct jw *w, const char *key, uint16_t v)
{
	j_key(w, key);
	j_version_value(w->o, v);
}

/*
 * The IANA name of a cipher suite, from the registry (the table
 * sti_tls_cipher_name searches), or "0xC0A5" style for a value it does not
 * list. A switch over the same rows writes each name as a constant: a
 * ClientHello lists dozens of suites, and searching the table and
 * measuring each name cost more than the rest of the line.
 */
static bool j_cipher_known(struct sti_out *o, uint16_t suite)
{
	switch (suite) {
#define X(id, cls, name) \
	case id: \
		sti_out_lit(o, "\"" name "\""); \
		return true;
#include "tls_cipher_suites.def"
#undef X
	default:
		return false;
	}
}

static void j_cipher_value(struct sti_out *o, uint16_t suite)
{
	char buf[8];

	if (j_cipher_known(o, suite))
		return;
	snprintf(buf, sizeof(buf), "0x%04X", (unsigned)suite);
	j_const_value(o, buf);
}

static void j_endpoint(struct jw *w, const char *ip_key, const char *port_key,
		       const struct sti_endpoint *e)
{
	char buf[64];

	sti_addr_str(&e->addr, buf, sizeof(buf));
	j_plain(w, ip_key, buf, bounded_len(buf, sizeof(buf)));
	j_u64(w, port_key, e->port);
}

static const char *side_name(enum sti_dir dir)
{
	return dir == STI_C2S ? "client" : "server";
}

/* ---- SMTP --------------------------------------------------------------- */

/* A reply code as printf's "%03u" writes it: at least three digits. */
static size_t code_digits(unsigned code, char buf[STI_U64_DIGITS + 2])
{
	char d[STI_U64_DIGITS];
	size_t n = sti_fmt_u64(d, code), pad = n < 3 ? 3 - n : 0;

	memset(buf, '0', pad);
	memcpy(buf + pad, d, n);
	return pad + n;
}

/* "220 mx.example.test ESMTP": the code, then the text when there is one. */
static void j_reply_line(struct jw *w, const char *key,
			 const struct sti_smtp_reply *r)
{
	char buf[STI_U64_DIGITS + 3 + STI_SMTP_TEXT_MAX];
	size_t tlen = bounded_len(r->text, STI_SMTP_TEXT_MAX);
	size_t n = code_digits(r->code, buf);

	if (tlen) {
		buf[n++] = ' ';
		memcpy(buf + n, r->text, tlen);
		n += tlen;
	}
	j_strn(w, key, buf, n);
}

/*
 * A reply's text without the enhanced status code that starts it: the SMTP
 * layer keeps the line after the reply code ("2.0.0 Ready to start TLS"),
 * and the enhanced code has a field of its own.
 */
static void j_reply_text(struct jw *w, const char *key,
			 const struct sti_smtp_reply *r)
{
	const char *t = r->text;
	size_t tlen = bounded_len(r->text, STI_SMTP_TEXT_MAX);
	size_t elen = bounded_len(r->enhanced, STI_SMTP_ESC_MAX);

	if (elen && tlen > elen && memcmp(t, r->enhanced, elen) == 0 &&
	    t[elen] == ' ') {
		t += elen;
		tlen -= elen;
		while (tlen && *t == ' ') {
			t++;
			tlen--;
		}
	}
	j_strn(w, key, t, tlen);
}

static void j_notable(struct jw *w, const struct sti_smtp_facts *s)
{
	unsigned n = s->nnotable < STI_SMTP_MAX_NOTABLE ? s->nnotable
							: STI_SMTP_MAX_NOTABLE;
	if (n == 0)
		return;
	j_key(w, "smtp.notable_replies");
	sti_out_byte(w->o, '[');
	for (unsigned i = 0; i < n; i++) {
		const struct sti_smtp_reply *r = &s->notable[i];
		struct jw o;
		if (i)
			sti_out_byte(w->o, ',');
		j_begin_in(&o, w);
		j_u64(&o, "code", r->code);
		J_STR_CAP(&o, "enhanced", r->enhanced, STI_SMTP_ESC_MAX);
		j_reply_text(&o, "text", r);
		if (r->cmd != STI_SMTP_CMD_NONE)
			j_const(&o, "command", sti_smtp_cmd_name(r->cmd));
		j_u64(&o, "frame", r->frame);
		j_end(&o);
	}
	sti_out_byte(w->o, ']');
}

static void j_smtp(struct jw *w, const struct sti_record *rec)
{
	const struct sti_smtp_facts *s = rec->smtp;

	j_const(w, "smtp.mode", sti_mode_name(rec->mode));
	j_const(w, "smtp.starttls_offered",
	      sti_smtp_offer_name(s ? s->starttls_offered
				    : STI_SMTP_OFFER_UNKNOWN));
	if (s) {
		if (s->greeting_seen && s->greeting.code)
			j_reply_line(w, "smtp.greeting", &s->greeting);
		J_STR_CAP(w, "smtp.helo", s->hello_name, STI_SMTP_NAME_MAX);
		if (s->starttls_count > 0 && s->starttls_reply.code) {
			j_u64(w, "smtp.starttls.reply_code",
			      s->starttls_reply.code);
			J_STR_CAP(w, "smtp.starttls.enhanced_status",
				  s->starttls_reply.enhanced, STI_SMTP_ESC_MAX);
			j_reply_text(w, "smtp.starttls.reply_text",
				     &s->starttls_reply);
		}
		j_notable(w, s);
		j_u64(w, "smtp.injected_bytes", s->injected_bytes);
		j_bool(w, "smtp.mail_in_clear", s->mail_in_clear);
	}
	if (rec->fallback_after)
		j_u64(w, "smtp.fallback_after", rec->fallback_after);
}

/* ---- TLS ---------------------------------------------------------------- */

/* tls.client.versions: what the hello offers, highest first. */
static void j_client_versions(struct jw *w, const struct sti_client_hello *ch)
{
	uint16_t v[STI_HELLO_MAX_VERSIONS];
	unsigned n = sti_tls_offered_versions(ch, v);

	if (n == 0)
		return;
	j_key(w, "tls.client.versions");
	sti_out_byte(w->o, '[');
	for (unsigned i = 0; i < n; i++) {
		if (i)
			sti_out_byte(w->o, ',');
		j_version_value(w->o, v[i]);
	}
	sti_out_byte(w->o, ']');
}

static struct memo_set *memo_set_of(struct memo_set *sets, const char *s, size_t n)
{
	size_t h = n ^ (n ? (uint8_t)s[n / 2] << 3 ^ (uint8_t)s[n - 1] : 0);
	return &sets[h % MEMO_SETS];
}

static const struct text_memo *memo_find(const struct memo_set *set, const char *s, size_t n)
{
	for (unsigned i = 0; i < MEMO_WAYS; i++) {
		const struct text_memo *m = &set->way[i];
		if (m->text && m->len == n && memcmp(m->text, s, n) == 0)
			return m;
	}
	return NULL;
}

/* Remember text s and its JSON string; without memory, nothing is kept. */
static void memo_keep(struct memo_set *set, const char *s, size_t n, const char *json,
		      size_t json_len)
{
	char *text = malloc(n ? n : 1), *copy = malloc(json_len ? json_len : 1);
	if (!text || !copy) {
		free(text);
		free(copy);
		return;
	}
	memcpy(text, s, n);
	memcpy(copy, json, json_len);
	struct text_memo *m = &set->way[set->next];
	set->next = (set->next + 1) % MEMO_WAYS;
	free(m->text);
	free(m->json);
	*m = (struct text_memo){ text, n, copy, json_len };
}

/* Where a value being written starts in the output buffer. */
struct memo_mark {
	uint64_t drains;
	size_t start;
};

static struct memo_mark memo_mark(const struct sti_out *o)
{
	return (struct memo_mark){ o->drains, o->len };
}

/* Remember what was written since mark as key's value, if it is still in
 * the buffer in one piece. */
static void memo_keep_written(struct memo_set *set, const char *key, size_t klen,
			      const struct sti_out *o, struct memo_mark mark)
{
	if (o->drains == mark.drains)
		memo_keep(set, key, klen, o->buf + mark.start, o->len - mark.start);
}

static void memo_free(struct memo_set *sets)
{
	for (unsigned i = 0; i < MEMO_SETS; i++)
		for (unsigned k = 0; k < MEMO_WAYS; k++) {
			free(sets[i].way[k].text);
			free(sets[i].way[k].json);
		}
}

/* The JSON array of the suites' names, GREASE left out; at least one
 * suite is not GREASE. */
static void j_cipher_array(struct sti_out *o, const uint16_t *v, unsigned m)
{
	bool any = false;

	for (unsigned i = 0; i < m; i++) {
		if (sti_tls_is_grease(v[i]))
			continue;
		sti_out_byte(o, any ? ',' : '[');
		any = true;
		j_cipher_value(o, v[i]);
	}
	sti_out_byte(o, ']');
}

static bool any_cipher(const uint16_t *v, unsigned m)
{
	for (unsigned i = 0; i < m; i++)
		if (!sti_tls_is_grease(v[i]))
			return true;
	return false;
}

/* tls.client.supported_ciphers: from the memo when the same list was
 * written before (an empty entry: nothing to write). */
static void j_client_ciphers(struct jw *w, const struct sti_client_hello *ch)
{
	unsigned m = ch->nciphers < STI_HELLO_MAX_CIPHERS ? ch->nciphers
							  : STI_HELLO_MAX_CIPHERS;
	if (m == 0)
		return;
	const char *key = (const char *)(const void *)ch->ciphers;
	size_t klen = m * sizeof(ch->ciphers[0]);
	struct memo_set *set = memo_set_of(w->cipher_lists, key, klen);
	const struct text_memo *memo = memo_find(set, key, klen);

	if (memo) {
		if (memo->json_len) {
			j_key(w, "tls.client.supported_ciphers");
			sti_out_write(w->o, memo->json, memo->json_len);
		}
		return;
	}
	if (!any_cipher(ch->ciphers, m)) {
		memo_keep(set, key, klen, "", 0);
		return;
	}
	j_key(w, "tls.client.supported_ciphers");
	struct memo_mark mark = memo_mark(w->o);
	j_cipher_array(w->o, ch->ciphers, m);
	memo_keep_written(set, key, klen, w->o, mark);
}

/* A copy of what was written since mark, if it is still in the buffer in
 * one piece; NULL otherwise or without memory. */
static char *copy_written(const struct sti_out *o, struct memo_mark mark, size_t *len)
{
	if (o->drains != mark.drains)
		return NULL;
	*len = o->len - mark.start;
	char *copy = malloc(*len ? *len : 1);
	if (copy)
		memcpy(copy, o->buf + mark.start, *len);
	return copy;
}

/* ---- ClientHello memo ---- */

static unsigned capped_count(unsigned n, unsigned cap, bool *over)
{
	if (n > cap)
		*over = true;
	return n < cap ? n : cap;
}

/* The shape of ch, or false when a count is past its list's cap (such a
 * hello is written without the memo). */
static bool hello_shape_of(const struct sti_client_hello *ch, struct hello_shape *s)
{
	bool over = false;

	memset(s, 0, sizeof(*s));
	s->legacy_version = ch->legacy_version;
	s->max_version = ch->max_version;
	s->has_supported_versions = ch->has_supported_versions;
	s->sslv2_format = ch->sslv2_format;
	s->alpn_named = ch->nalpn != 0 && ch->alpn0_len != 0;
	if (s->alpn_named)
		memcpy(s->alpn0_ends, ch->alpn0_ends, sizeof(s->alpn0_ends));
	s->nversions = capped_count(ch->nversions, STI_HELLO_MAX_VERSIONS, &over);
	s->nciphers = capped_count(ch->nciphers, STI_HELLO_MAX_CIPHERS, &over);
	s->nexts = capped_count(ch->nexts, STI_HELLO_MAX_EXTS, &over);
	s->ngroups = capped_count(ch->ngroups, STI_HELLO_MAX_GROUPS, &over);
	s->npoint_formats = capped_count(ch->npoint_formats, STI_HELLO_MAX_POINT_FORMATS, &over);
	s->nsigalgs = capped_count(ch->nsigalgs, STI_HELLO_MAX_SIGALGS, &over);
	if (over)
		return false;
	if (s->nversions)
		memcpy(s->versions, ch->versions, s->nversions * sizeof(s->versions[0]));
	if (s->nciphers)
		memcpy(s->ciphers, ch->ciphers, s->nciphers * sizeof(s->ciphers[0]));
	if (s->nexts)
		memcpy(s->exts, ch->exts, s->nexts * sizeof(s->exts[0]));
	if (s->ngroups)
		memcpy(s->groups, ch->groups, s->ngroups * sizeof(s->groups[0]));
	if (s->npoint_formats)
		memcpy(s->point_formats, ch->ec_point_formats, s->npoint_formats);
	if (s->nsigalgs)
		memcpy(s->sigalgs, ch->sigalgs, s->nsigalgs * sizeof(s->sigalgs[0]));
	return true;
}

/* Equal lists, a GREASE value matching any GREASE value. */
static bool same_list16(const uint16_t *a, const uint16_t *b, unsigned n)
{
	if (n == 0 || memcmp(a, b, n * sizeof(a[0])) == 0)
		return true;
	for (unsigned i = 0; i < n; i++)
		if (a[i] != b[i] && !(sti_tls_is_grease(a[i]) && sti_tls_is_grease(b[i])))
			return false;
	return true;
}

/* Whether ch has shape s: the counts first, they settle most misses. */
static bool hello_has_shape(const struct sti_client_hello *ch, const struct hello_shape *s)
{
	bool alpn_named = ch->nalpn != 0 && ch->alpn0_len != 0;

	if (ch->nciphers != s->nciphers || ch->nexts != s->nexts ||
	    ch->ngroups != s->ngroups || ch->nsigalgs != s->nsigalgs ||
	    ch->nversions != s->nversions || ch->npoint_formats != s->npoint_formats ||
	    ch->legacy_version != s->legacy_version || ch->max_version != s->max_version ||
	    ch->has_supported_versions != s->has_supported_versions ||
	    ch->sslv2_format != s->sslv2_format || alpn_named != s->alpn_named)
		return false;
	if (alpn_named && memcmp(ch->alpn0_ends, s->alpn0_ends, sizeof(s->alpn0_ends)) != 0)
		return false;
	/* The versions exactly: what the hello offers is not GREASE-blind. */
	return (s->nversions == 0 ||
		memcmp(ch->versions, s->versions, s->nversions * sizeof(s->versions[0])) == 0) &&
	       (s->npoint_formats == 0 ||
		memcmp(ch->ec_point_formats, s->point_formats, s->npoint_formats) == 0) &&
	       same_list16(ch->ciphers, s->ciphers, s->nciphers) &&
	       same_list16(ch->exts, s->exts, s->nexts) &&
	       same_list16(ch->groups, s->groups, s->ngroups) &&
	       same_list16(ch->sigalgs, s->sigalgs, s->nsigalgs);
}

/* A set picked by counts and versions only: GREASE cannot move a hello
 * to another set. */
static struct hello_set *hello_set_of(struct hello_set *sets, const struct sti_client_hello *ch)
{
	unsigned h = ch->nciphers * 31u + ch->nexts * 7u + ch->ngroups * 3u + ch->nsigalgs +
		     ch->max_version + ch->legacy_version;
	return &sets[h % HELLO_SETS];
}

static struct hello_memo *hello_find(struct hello_set *set, const struct sti_client_hello *ch)
{
	for (unsigned i = 0; i < HELLO_WAYS; i++) {
		struct hello_memo *m = &set->way[i];
		if (m->shape && hello_has_shape(ch, m->shape))
			return m;
	}
	return NULL;
}

static void hello_memo_clear(struct hello_memo *m)
{
	free(m->shape);
	free(m->head);
	free(m->tail);
	*m = (struct hello_memo){ NULL, NULL, 0, NULL, 0 };
}

/* Remember ch's two pieces (each malloc'd, taken over); without all of
 * them nothing is kept. */
static void hello_keep(struct hello_set *set, const struct sti_client_hello *ch, char *head,
		       size_t head_len, char *tail, size_t tail_len)
{
	struct hello_shape *shape = head && tail ? malloc(sizeof(*shape)) : NULL;
	if (!shape || !hello_shape_of(ch, shape)) {
		free(shape);
		free(head);
		free(tail);
		return;
	}
	struct hello_memo *m = &set->way[set->next];
	set->next = (set->next + 1) % HELLO_WAYS;
	hello_memo_clear(m);
	*m = (struct hello_memo){ shape, head, head_len, tail, tail_len };
}

static void hello_memos_free(struct hello_set *sets)
{
	for (unsigned i = 0; i < HELLO_SETS; i++)
		for (unsigned k = 0; k < HELLO_WAYS; k++)
			hello_memo_clear(&sets[i].way[k]);
}

/* From max_version to ja4: all but the server name and what follows it. */
static void j_client_hello_head(struct jw *w, const struct sti_client_hello *ch)
{
	char ja3[33], ja4[40];

	if (ch->max_version)
		j_version(w, "tls.client.max_version", ch->max_version);
	j_client_versions(w, ch);
	sti_tls_client_fp(ch, ja3, ja4);
	J_STR_ARR(w, "tls.client.ja3", ja3);
	J_STR_ARR(w, "tls.client.ja4", ja4);
}

static void j_client_hello_tail(struct jw *w, const struct sti_client_hello *ch)
{
	j_client_ciphers(w, ch);
	j_bool(w, "tls.client.sslv2_hello", ch->sslv2_format);
}

static void j_server_name(struct jw *w, const struct sti_client_hello *ch)
{
	j_strn(w, "tls.client.server_name", ch->sni, bounded_len(ch->sni, STI_HELLO_NAME_MAX));
}

/*
 * Both pieces start with a member's comma (the TLS fields before them are
 * always written) and end with a member, so a remembered piece is what
 * writing it would give.
 */
static void j_client_hello(struct jw *w, const struct sti_client_hello *ch)
{
	struct hello_set *set = hello_set_of(w->hellos, ch);
	const struct hello_memo *m = w->more ? hello_find(set, ch) : NULL;

	if (m) {
		sti_out_write(w->o, m->head, m->head_len);
		j_server_name(w, ch);
		sti_out_write(w->o, m->tail, m->tail_len);
		return;
	}
	bool memo = w->more;
	size_t head_len = 0, tail_len = 0;
	struct memo_mark mark = memo_mark(w->o);
	j_client_hello_head(w, ch);
	char *head = memo ? copy_written(w->o, mark, &head_len) : NULL;
	j_server_name(w, ch);
	mark = memo_mark(w->o);
	j_client_hello_tail(w, ch);
	char *tail = head ? copy_written(w->o, mark, &tail_len) : NULL;
	if (head)
		hello_keep(set, ch, head, head_len, tail, tail_len);
}

static void j_server_cert(struct jw *w, const struct sti_cert_info *c)
{
	J_STR_ARR(w, "tls.server.x509.subject.common_name", c->subject_cn);
	J_STR_ARR(w, "tls.server.x509.issuer.common_name", c->issuer_cn);
	unsigned n = c->nsans < STI_CERT_MAX_SANS ? c->nsans : STI_CERT_MAX_SANS;
	bool any = false;
	for (unsigned i = 0; i < n; i++) {
		size_t len = bounded_len(c->sans[i], sizeof(c->sans[i]));
		if (len == 0)
			continue;
		if (!any) {
			j_key(w, "tls.server.x509.alternative_names");
			sti_out_byte(w->o, '[');
			any = true;
		} else {
			sti_out_byte(w->o, ',');
		}
		sti_out_json_string(w->o, c->sans[i], len);
	}
	if (any)
		sti_out_byte(w->o, ']');
	j_time_s(w, "tls.server.x509.not_before", c->not_before);
	j_time_s(w, "tls.server.x509.not_after", c->not_after);
	J_STR_ARR(w, "tls.server.x509.public_key_algorithm", c->key_type);
	if (c->key_bits > 0)
		j_u64(w, "tls.server.x509.public_key_size", (uint64_t)c->key_bits);
	J_STR_ARR(w, "tls.server.hash.sha256", c->sha256);
}

/* SPEC 9.2: the chain as sent in clear and what OpenSSL made of it. */
static void j_server_chain(struct jw *w, const struct sti_trust_info *tr)
{
	j_u64(w, "tls.server.x509.chain_length", tr->chain_len);
	j_const(w, "tls.server.x509.trust", sti_trust_name(tr->trust));
	if (!tr->checked)
		return;
	J_STR_ARR(w, "tls.server.x509.trust_anchor", tr->anchor);
	J_STR_ARR(w, "tls.server.x509.verify_result", tr->error_text);
	if (!tr->ndecoded)
		return;
	j_key(w, "tls.server.x509.chain");
	sti_out_byte(w->o, '[');
	for (unsigned i = 0; i < tr->ndecoded && i < STI_CHAIN_MAX; i++) {
		const struct sti_chain_cert *cc = &tr->chain[i];
		struct jw o;
		if (i)
			sti_out_byte(w->o, ',');
		j_begin_in(&o, w);
		J_STR_ARR(&o, "subject_cn", cc->subject_cn);
		J_STR_ARR(&o, "issuer_cn", cc->issuer_cn);
		j_time_s(&o, "not_before", cc->not_before);
		j_time_s(&o, "not_after", cc->not_after);
		J_STR_ARR(&o, "key", cc->key_type);
		if (cc->key_bits > 0)
			j_u64(&o, "key_bits", (uint64_t)cc->key_bits);
		J_STR_ARR(&o, "first_dns_name", cc->first_san);
		J_STR_ARR(&o, "sha256", cc->sha256);
		j_end(&o);
	}
	sti_out_byte(w->o, ']');
}

/* ---- certificate memo ---- */

static const struct cert_memo *cert_find(const struct cert_memos *memos,
					 const struct sti_tls_cert *c)
{
	for (unsigned i = 0; i < CERT_MEMOS; i++) {
		const struct cert_memo *m = &memos->way[i];
		if (m->cert && memcmp(m->cert, c, sizeof(*c)) == 0)
			return m;
	}
	return NULL;
}

static void cert_memo_clear(struct cert_memo *m)
{
	free(m->cert);
	free(m->json);
	*m = (struct cert_memo){ NULL, NULL, 0 };
}

/* Remember c and json (malloc'd, taken over); without memory, nothing. */
static void cert_keep(struct cert_memos *memos, const struct sti_tls_cert *c, char *json,
		      size_t json_len)
{
	struct sti_tls_cert *copy = json ? malloc(sizeof(*copy)) : NULL;
	if (!copy) {
		free(json);
		return;
	}
	memcpy(copy, c, sizeof(*copy));
	struct cert_memo *m = &memos->way[memos->next];
	memos->next = (memos->next + 1) % CERT_MEMOS;
	cert_memo_clear(m);
	*m = (struct cert_memo){ copy, json, json_len };
}

static void cert_memos_free(struct cert_memos *memos)
{
	for (unsigned i = 0; i < CERT_MEMOS; i++)
		cert_memo_clear(&memos->way[i]);
}

/* The leaf's fields, then the chain's. Remembered as written when a
 * member came before them (always: the TLS fields before are written
 * whatever the facts), so that the piece starts with its comma. */
static void j_server_certs(struct jw *w, const struct sti_tls_cert *c)
{
	const struct cert_memo *m = w->more ? cert_find(w->certs, c) : NULL;

	if (m) {
		sti_out_write(w->o, m->json, m->json_len);
		return;
	}
	bool memo = w->more;
	struct memo_mark mark = memo_mark(w->o);
	if (c->leaf.parsed)
		j_server_cert(w, &c->leaf);
	if (c->chain.chain_len)
		j_server_chain(w, &c->chain);
	if (memo) {
		size_t len = 0;
		char *json = copy_written(w->o, mark, &len);
		if (json)
			cert_keep(w->certs, c, json, len);
	}
}

static void j_alerts(struct jw *w, const struct sti_tls_facts *t)
{
	unsigned n = t->nalerts < STI_TLS_MAX_ALERTS ? t->nalerts
						     : STI_TLS_MAX_ALERTS;
	if (n == 0)
		return;
	j_key(w, "tls.alerts");
	sti_out_byte(w->o, '[');
	for (unsigned i = 0; i < n; i++) {
		const struct sti_tls_alert *a = &t->alerts[i];
		const char *level = NULL, *desc = NULL;
		struct jw o;

		if (i)
			sti_out_byte(w->o, ',');
		bool readable = !a->encrypted || a->decrypted;
		if (readable) {
			level = sti_tls_alert_level_name(a->level);
			desc = sti_tls_alert_name(a->desc);
		}
		j_begin_in(&o, w);
		j_const(&o, "from", side_name(a->from));
		j_key(&o, "level");
		j_const_or_null(&o, level);
		j_key(&o, "code");
		if (!readable)
			sti_out_lit(o.o, "null");
		else
			sti_out_u64(o.o, a->desc);
		j_key(&o, "description");
		j_const_or_null(&o, desc);
		j_bool(&o, "encrypted", a->encrypted);
		if (a->decrypted)
			j_bool(&o, "decrypted", true);
		j_u64(&o, "frame", a->frame);
		j_end(&o);
	}
	sti_out_byte(w->o, ']');
}

/* --keylog: how far the session was read (absent without a key log). */
static void j_decrypted(struct jw *w, const struct sti_tls_facts *t)
{
	if (t->decrypt == STI_TLS_DEC_NONE)
		return;
	j_bool(w, "tls.decrypted", t->decrypted_records[STI_C2S] + t->decrypted_records[STI_S2C] > 0);
	j_const(w, "tls.decryption.status", sti_tls_decrypt_state_name(t->decrypt));
	j_u64(w, "tls.decryption.records", (uint64_t)t->decrypted_records[STI_C2S] +
					   t->decrypted_records[STI_S2C]);
	if (t->decrypt_note[0])
		j_str(w, "tls.decryption.note", t->decrypt_note);
}

static void j_tls(struct jw *w, const struct sti_tls_facts *t)
{
	if (t->have_sh) {
		uint16_t v = t->version ? t->version : t->sh.version;
		char ja3s[33];
		if (v) {
			j_version(w, "tls.version", v);
			j_const(w, "tls.version_protocol",
			      v <= STI_SSL3 ? "ssl" : "tls");
		}
		j_key(w, "tls.cipher");
		j_cipher_value(w->o, t->sh.cipher);
		sti_tls_server_fp(&t->sh, ja3s);
		J_STR_ARR(w, "tls.server.ja3s", ja3s);
	} else if (t->version) {
		/* An SSLv2 SERVER-HELLO: a version, no ServerHello. */
		j_version(w, "tls.version", t->version);
		j_const(w, "tls.version_protocol", "ssl");
	}
	j_bool(w, "tls.established", t->established);
	j_bool(w, "tls.hello_retry_request", t->have_hrr);
	if (t->have_ch)
		j_client_hello(w, &t->ch);
	if (t->server_cert)
		j_server_certs(w, t->server_cert);
	j_alerts(w, t);
	j_decrypted(w, t);
}

/* ---- TCP ---------------------------------------------------------------- */

/* The first FIN or RST of either side: {by, kind, frame}, or null. Who
 * closed first is the record's fact (the session layer notes it), the one
 * the verdict reads too. */
static void j_first_close(struct jw *w, const struct sti_record *rec)
{
	struct jw o;

	j_key(w, "tcp.first_close");
	if (rec->end_side == STI_DIR_NONE || !rec->end_frame) {
		sti_out_lit(w->o, "null");
		return;
	}
	bool rst = rec->tcp[rec->end_side].rst_frame == rec->end_frame;
	j_begin_in(&o, w);
	j_const(&o, "by", side_name(rec->end_side));
	j_const(&o, "kind", rst ? "rst" : "fin");
	j_u64(&o, "frame", rec->end_frame);
	j_end(&o);
}

static void j_tcp(struct jw *w, const struct sti_record *rec)
{
	if (rec->end != STI_END_NONE)
		j_const(w, "tcp.end", sti_end_name(rec->end));
	j_first_close(w, rec);
	j_u64(w, "tcp.gaps", rec->gaps[STI_C2S] + rec->gaps[STI_S2C]);
}

/* ---- verdict ------------------------------------------------------------ */

/* The verdict's explanation, with the MTA's own words after it. */
static void j_explanation(struct jw *w, const struct sti_verdict *v,
			  const struct sti_mtalog_joined *mta)
{
	char cite[300], both[STI_VERDICT_TEXT_MAX + sizeof(cite) + 2];
	size_t n = bounded_len(v->explanation, sizeof(v->explanation));
	if (!mta || !sti_mtalog_citation(mta, cite, sizeof(cite))) {
		j_str_always(w, "verdict.explanation", v->explanation, n);
		return;
	}
	int len = sti_fmt(both, sizeof(both), "%.*s%s%s", (int)n, v->explanation,
			   n ? " " : "", cite);
	j_str_always(w, "verdict.explanation", both,
		     len < 0 ? 0 : (size_t)len < sizeof(both) ? (size_t)len : sizeof(both) - 1);
}

/* verdict.remediation: from the memo when the same text was escaped
 * before; else escaped, and remembered if it stayed in one piece in the
 * output buffer. */
static void j_remediation(struct jw *w, const char *s, size_t n)
{
	struct memo_set *set = memo_set_of(w->remedies, s, n);
	const struct text_memo *m = memo_find(set, s, n);

	j_key(w, "verdict.remediation");
	if (m) {
		sti_out_write(w->o, m->json, m->json_len);
		return;
	}
	struct memo_mark mark = memo_mark(w->o);
	sti_out_json_string(w->o, s, n);
	memo_keep_written(set, s, n, w->o, mark);
}

static void j_verdict(struct jw *w, const struct sti_verdict *v,
		      const struct sti_mtalog_joined *mta)
{
	j_const(w, "verdict.outcome", sti_outcome_name(v->outcome));
	j_const(w, "verdict.cause", sti_cause_name(v->cause));
	j_const(w, "verdict.reason", sti_reason_name(v->reason));
	j_const(w, "verdict.confidence", sti_confidence_name(v->confidence));
	j_explanation(w, v, mta);
	j_remediation(w, v->remediation, bounded_len(v->remediation, sizeof(v->remediation)));
	j_key(w, "verdict.evidence");
	sti_out_byte(w->o, '[');
	unsigned n = v->nevidence < STI_VERDICT_MAX_EVIDENCE
			     ? v->nevidence : STI_VERDICT_MAX_EVIDENCE;
	for (unsigned i = 0; i < n; i++)
		j_list_u64(w, i, v->evidence[i]);
	sti_out_byte(w->o, ']');
	j_const(w, "verdict.tlsrpt", v->tlsrpt);
}

static struct json_reporter *json_of(struct sti_reporter *r)
{
	return (struct json_reporter *)(void *)r;
}

/* ---- MTA logs (--mta-log) ------------------------------------------------ */

/* Microseconds as seconds with six decimals: "-1.500000". */
static void j_seconds(struct jw *w, int64_t us)
{
	char buf[48];
	int n = snprintf(buf, sizeof(buf), "%.6f", (double)us / 1e6);

	if (n > 0 && (size_t)n < sizeof(buf))
		sti_out_write(w->o, buf, (size_t)n);
}

static void j_log_line(struct jw *o, const struct sti_mtalog *log,
		       const struct sti_mtalog_line *l)
{
	j_str(o, "file", sti_mtalog_file_name(log, l->file));
	j_u64(o, "line", l->lineno);
	j_time_us(o, "time", l->ts_us);
	j_str_always(o, "text", l->text, bounded_len(l->text, sizeof(l->text)));
	J_STR_ARR(o, "queue_id", l->queue_id);
	J_STR_ARR(o, "message_id", l->message_id);
}

static void j_mta(struct jw *w, const struct sti_mtalog_joined *mta)
{
	bool first = true;
	j_key(w, "mta.log");
	sti_out_byte(w->o, '[');
	for (size_t i = 0; i < mta->n; i++) {
		const struct sti_mtalog_session *s = mta->s[i];
		for (const struct sti_mtalog_line *l = s->first; l; l = l->next) {
			struct jw o;
			if (!first)
				sti_out_byte(w->o, ',');
			first = false;
			j_begin_in(&o, w);
			j_log_line(&o, mta->log, l);
			j_const(&o, "mta", sti_mta_name(s->mta));
			j_const(&o, "role", sti_mta_role_name(s->role));
			j_const(&o, "match", sti_mta_match_name(s->match));
			if (s->ncandidates) {
				j_key(&o, "candidates");
				sti_out_byte(w->o, '[');
				for (unsigned k = 0; k < s->ncandidates; k++)
					j_list_u64(w, k, s->candidates[k]);
				sti_out_byte(w->o, ']');
			}
			j_end(&o);
		}
	}
	sti_out_byte(w->o, ']');
}

struct unmatched_ctx {
	struct jw *w;
	const struct sti_mtalog *log;
	uint64_t n;
};

static bool j_unmatched_line(void *ctx, const struct sti_mtalog_session *s,
			     const struct sti_mtalog_line *l)
{
	struct unmatched_ctx *u = ctx;
	struct jw o;
	char peer[64];
	if (u->n++ >= STI_MTALOG_UNMATCHED_LISTED)
		return true;   /* counted, not listed */
	if (u->n > 1)
		sti_out_byte(u->w->o, ',');
	j_begin_in(&o, u->w);
	j_log_line(&o, u->log, l);
	sti_addr_str(&s->peer.addr, peer, sizeof(peer));
	j_str(&o, "peer", peer);
	j_end(&o);
	return true;
}

static void json_mta_done(struct sti_reporter *r, const struct sti_mtalog_report *m)
{
	struct json_reporter *j = json_of(r);
	struct jw w;
	j_begin(&w, j);
	j_const(&w, "event.kind", "mta_log");
	j_key(&w, "mta.skew");
	sti_out_byte(w.o, '[');
	for (size_t i = 0; i < m->ncaptures; i++) {
		const struct sti_mtajoin_result *res = &m->results[i];
		struct jw o;
		if (i)
			sti_out_byte(w.o, ',');
		j_begin_in(&o, &w);
		j_str(&o, "file", m->capture_names[i]);
		j_bool(&o, "known", res->skew_known);
		j_bool(&o, "given", res->skew_given);
		j_key(&o, "seconds");
		j_seconds(&o, res->skew_us);
		j_u64(&o, "samples", res->skew_samples);
		j_u64(&o, "exact", res->matched[STI_MTA_EXACT]);
		j_u64(&o, "time_and_address", res->matched[STI_MTA_TIME_AND_ADDRESS]);
		j_u64(&o, "ambiguous", res->matched[STI_MTA_AMBIGUOUS]);
		j_end(&o);
	}
	sti_out_byte(w.o, ']');
	struct unmatched_ctx u = { &w, m->log, 0 };
	j_key(&w, "mta.unmatched");
	sti_out_byte(w.o, '[');
	sti_mtalog_unmatched_failures(m->log, j_unmatched_line, &u);
	sti_out_byte(w.o, ']');
	j_u64(&w, "mta.unmatched_total", u.n);
	j_end(&w);
	sti_out_end_line(w.o);
}

/* ---- reporter ops ------------------------------------------------------- */

static void json_session(struct sti_reporter *r, const char *file,
			 const struct sti_record *rec,
			 const struct sti_verdict *v)
{
	struct json_reporter *j = json_of(r);
	struct jw w;
	char cid[32], start[STI_RFC3339_MAX];

	j_begin(&w, j);
	j_const(&w, "event.kind", "session");
	size_t start_len = sti_rfc3339_us(&j->times, rec->first_ts, start);
	if (start_len) {
		j_plain(&w, "@timestamp", start, start_len);
		j_plain(&w, "event.start", start, start_len);
	}
	j_time_us(&w, "event.end", rec->last_ts);
	j_str(&w, r->opts.live ? "observer.ingress.interface.name" : "file", file);
	j_u64(&w, "session.id", rec->id);
	j_u64(&w, "session.first_frame", rec->first_frame);
	j_u64(&w, "session.last_frame", rec->last_frame);
	j_const(&w, "network.transport", "tcp");
	sti_community_id(&rec->cli, &rec->srv, TCP_PROTO, 0, cid);
	j_plain(&w, "network.community_id", cid, bounded_len(cid, sizeof(cid)));
	j_endpoint(&w, "source.ip", "source.port", &rec->cli);
	j_endpoint(&w, "destination.ip", "destination.port", &rec->srv);
	j_smtp(&w, rec);
	if (rec->tls)
		j_tls(&w, rec->tls);
	j_tcp(&w, rec);
	if (rec->mta)
		j_mta(&w, rec->mta);
	j_verdict(&w, v, rec->mta);
	j_end(&w);
	sti_out_end_line(w.o);
}

static void json_file_done(struct sti_reporter *r, const char *file,
			   const struct sti_ingest_stats *st,
			   const struct sti_tally *tally, const char *error)
{
	struct json_reporter *j = json_of(r);

	(void)file;
	(void)tally;
	if (st && st->live) {
		j->live = *st;
		j->have_live = true;
	}
	j->files++;
	if (error)
		j->files_failed++;
}

/* What a live capture saw and lost: for the closing summary. */
static void j_capture_stats(struct jw *w, const struct sti_ingest_stats *st)
{
	j_u64(w, "capture.packets", st->frames);
	j_u64(w, "capture.bytes", st->bytes);
	j_u64(w, "capture.malformed", st->by_status[STI_DEC_MALFORMED] +
					      st->by_status[STI_DEC_TRUNCATED]);
	if (st->kernel_valid) {
		j_u64(w, "capture.kernel.received", st->kernel_received);
		j_u64(w, "capture.kernel.dropped", st->kernel_dropped);
		j_u64(w, "capture.kernel.interface_dropped", st->kernel_if_dropped);
	}
	j_u64(w, "capture.sessions.open_at_stop", st->sessions_open);
	j_u64(w, "capture.sessions.expired", st->table.expired);
	j_u64(w, "capture.sessions.evicted", st->table.evicted);
	j_u64(w, "capture.sessions.high_water", st->table.high_water);
}

static void json_finish(struct sti_reporter *r, const struct sti_tally *t)
{
	struct json_reporter *j = json_of(r);
	struct jw w, o;

	j_begin(&w, j);
	j_const(&w, "event.kind", "summary");
	j_u64(&w, "files", j->files);
	j_u64(&w, "files_failed", j->files_failed);
	j_u64(&w, "sessions", t->sessions);

	j_key(&w, "outcome");
	j_begin_in(&o, &w);
	for (int i = 0; i < STI_OUTCOME_COUNT; i++)
		j_u64(&o, sti_outcome_name((enum sti_outcome)i), t->by_outcome[i]);
	j_end(&o);

	j_key(&w, "cause");
	j_begin_in(&o, &w);
	for (int i = 0; i < STI_CAUSE_COUNT; i++)
		j_u64(&o, sti_cause_name((enum sti_cause)i), t->by_cause[i]);
	j_end(&o);

	j_key(&w, "reason");
	j_begin_in(&o, &w);
	for (int i = 0; i < STI_REASON_COUNT; i++)
		j_u64(&o, sti_reason_name((enum sti_reason)i), t->by_reason[i]);
	j_end(&o);

	if (r->opts.min_version)
		j_version(&w, "policy.min_version", r->opts.min_version);
	if (t->keylog) {
		j_u64(&w, "keylog.sessions_decrypted", t->decrypted);
		j_u64(&w, "keylog.lines_unused", t->keylog_unused);
		j_u64(&w, "keylog.lines_malformed", t->keylog_malformed);
	}
	if (j->have_live)
		j_capture_stats(&w, &j->live);
	j_end(&w);
	sti_out_end_line(w.o);
	sti_out_flush(w.o);
}

static void json_destroy(struct sti_reporter *r)
{
	if (r) {
		sti_out_drain(&json_of(r)->out);
		memo_free(json_of(r)->remedies);
		memo_free(json_of(r)->cipher_lists);
		cert_memos_free(&json_of(r)->certs);
		hello_memos_free(json_of(r)->hellos);
	}
	free(json_of(r));
}

static const struct sti_reporter_ops json_ops = {
	.session = json_session,
	.file_done = json_file_done,
	.mta_done = json_mta_done,
	.finish = json_finish,
	.destroy = json_destroy,
};

struct sti_reporter *sti_report_json_new(FILE *out, const struct sti_report_opts *o)
{
	struct json_reporter *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->base.ops = &json_ops;
	j->base.out = out;
	if (o)
		j->base.opts = *o;
	bool line_flush = sti_out_wants_line_flush(out, j->base.opts.flush_lines);
	sti_out_init(&j->out, out, line_flush);
	sti_out_widen_stdout(out, line_flush);
	return &j->base;
}
