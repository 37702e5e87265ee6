/*
 * tls_keylog.c - the NSS key log parser (SSLKEYLOGFILE).
 *
 * Lines are cut with a fixed buffer; the bytes of a line longer than the
 * buffer are dropped until its end and the line counts as malformed. Each
 * usable line becomes one entry of a growing array; sealing sorts them by
 * client random (ties in file order) and merges the lines of one session,
 * the first line of a label winning, so that lookup is a binary search.
 * A line is read through sti_rd like any other untrusted bytes.
 */
#include "sti/grow.h"
#include "sti/tls_keylog.h"

#include "sti/rd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sti_keylog {
	struct sti_keylog_entry *e;
	size_t n, cap;
	bool sealed;
	char line[STI_KEYLOG_LINE_MAX];
	size_t len;
	bool overlong;              /* the current line did not fit */
	struct sti_keylog_stats st;
};

static const char *const label_names[STI_KL_LABELS] = {
	[STI_KL_CLIENT_RANDOM] = "CLIENT_RANDOM",
	[STI_KL_CLIENT_HANDSHAKE] = "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
	[STI_KL_SERVER_HANDSHAKE] = "SERVER_HANDSHAKE_TRAFFIC_SECRET",
	[STI_KL_CLIENT_TRAFFIC_0] = "CLIENT_TRAFFIC_SECRET_0",
	[STI_KL_SERVER_TRAFFIC_0] = "SERVER_TRAFFIC_SECRET_0",
};

struct sti_keylog *sti_keylog_new(void)
{
	struct sti_keylog *kl = calloc(1, sizeof(*kl));
	if (kl)
		kl->sealed = true;
	return kl;
}

void sti_keylog_free(struct sti_keylog *kl)
{
	if (!kl)
		return;
	free(kl->e);
	free(kl);
}

/* ---- one line ---- */

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A field of exactly 2 * len hex digits into out. */
static bool hex_field(struct sti_rd f, uint8_t *out, size_t len)
{
	if (sti_rd_left(&f) != 2 * len)
		return false;
	for (size_t i = 0; i < len; i++) {
		uint8_t hi, lo;
		if (!sti_rd_u8(&f, &hi) || !sti_rd_u8(&f, &lo))
			return false;
		int h = hexval(hi), l = hexval(lo);
		if (h < 0 || l < 0)
			return false;
		out[i] = (uint8_t)(h << 4 | l);
	}
	return true;
}

static bool is_space(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* The next space-separated field; false at the end of the line. */
static bool next_field(struct sti_rd *r, struct sti_rd *field)
{
	uint8_t c;
	while (sti_rd_peek(r, 0, &c) && is_space(c))
		if (!sti_rd_skip(r, 1))
			return false;
	size_t k = 0;
	while (sti_rd_peek(r, k, &c) && !is_space(c))
		k++;
	return k > 0 && sti_rd_sub(r, k, field);
}

static int label_of(struct sti_rd f)
{
	for (int i = 0; i < STI_KL_LABELS; i++) {
		size_t n = strlen(label_names[i]);
		if (sti_rd_left(&f) == n && memcmp(f.p, label_names[i], n) == 0)
			return i;
	}
	return -1;
}

/* A label is upper case, digits and '_': anything else is not a key log. */
static bool looks_like_label(struct sti_rd f)
{
	uint8_t c;
	while (sti_rd_u8(&f, &c))
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	return true;
}

static struct sti_keylog_entry *new_entry(struct sti_keylog *kl)
{
	if (kl->n == STI_KEYLOG_MAX_ENTRIES)
		return NULL;
	struct sti_keylog_entry *grown = sti_grow_array(kl->e, &kl->cap, sizeof(*grown),
							kl->n + 1, 64,
							STI_KEYLOG_MAX_ENTRIES);
	if (!grown)
		return NULL;
	kl->e = grown;
	struct sti_keylog_entry *e = &kl->e[kl->n++];
	memset(e, 0, sizeof(*e));
	return e;
}

/* Secret length by label: TLS 1.2 master secrets are 48 bytes; TLS 1.3
 * traffic secrets are as long as the suite's hash (SHA-256 or SHA-384). */
static bool secret_field(int label, struct sti_rd f, struct sti_keylog_secret *s)
{
	size_t len = sti_rd_left(&f) / 2;
	bool ok_len = label == STI_KL_CLIENT_RANDOM ? len == 48 : (len == 32 || len == 48);
	if (!ok_len || !hex_field(f, s->b, len))
		return false;
	s->len = (uint8_t)len;
	return true;
}

static void parse_line(struct sti_keylog *kl, const uint8_t *p, size_t n)
{
	struct sti_rd r = sti_rd_init(p, n), f_label, f_random, f_secret, extra;
	uint8_t c;

	kl->st.lines++;
	while (sti_rd_peek(&r, 0, &c) && is_space(c))
		if (!sti_rd_skip(&r, 1))
			return;
	if (sti_rd_empty(&r) || (sti_rd_peek(&r, 0, &c) && c == '#')) {
		kl->st.ignored++;
		return;
	}
	if (!next_field(&r, &f_label) || !looks_like_label(f_label)) {
		kl->st.malformed++;
		return;
	}
	int label = label_of(f_label);
	if (label < 0) {
		kl->st.ignored++;   /* EXPORTER_SECRET, RSA, early data: not needed */
		return;
	}
	struct sti_keylog_entry tmp;
	memset(&tmp, 0, sizeof(tmp));
	if (!next_field(&r, &f_random) || !next_field(&r, &f_secret) ||
	    next_field(&r, &extra) || !hex_field(f_random, tmp.random, 32) ||
	    !secret_field(label, f_secret, &tmp.s[label])) {
		kl->st.malformed++;
		return;
	}
	struct sti_keylog_entry *e = new_entry(kl);
	if (!e) {
		kl->st.dropped++;
		return;
	}
	tmp.lines = 1;
	*e = tmp;
	kl->st.secrets++;
	kl->sealed = false;
}

/* ---- feeding ---- */

static void finish_line(struct sti_keylog *kl)
{
	if (kl->overlong) {
		kl->st.lines++;
		kl->st.malformed++;
	} else {
		size_t n = kl->len;
		if (n && kl->line[n - 1] == '\r')
			n--;
		parse_line(kl, (const uint8_t *)kl->line, n);
	}
	kl->len = 0;
	kl->overlong = false;
}

void sti_keylog_feed(struct sti_keylog *kl, const uint8_t *p, size_t n)
{
	struct sti_rd r = sti_rd_init(p, n);
	uint8_t c;
	while (sti_rd_u8(&r, &c)) {
		if (c == '\n') {
			finish_line(kl);
		} else if (kl->len < sizeof(kl->line)) {
			kl->line[kl->len++] = (char)c;
		} else {
			kl->overlong = true;
		}
	}
}

void sti_keylog_end(struct sti_keylog *kl)
{
	if (kl->len || kl->overlong)
		finish_line(kl);
}

bool sti_keylog_load(struct sti_keylog *kl, const char *path, char *err,
		     size_t errlen)
{
	FILE *f = fopen(path, "rb");
	uint8_t buf[8192];
	size_t got;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return false;
	}
	while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
		sti_keylog_feed(kl, buf, got);
	bool bad = ferror(f);
	fclose(f);
	sti_keylog_end(kl);
	if (bad) {
		snprintf(err, errlen, "%s: read error", path);
		return false;
	}
	return true;
}

/* ---- lookup ---- */

static int cmp_random(const void *a, const void *b)
{
	const struct sti_keylog_entry *x = a, *y = b;
	int c = memcmp(x->random, y->random, sizeof(x->random));
	if (c)
		return c;
	/* qsort is not stable: entries carry their file order in `lines`
	 * while sorting (see sti_keylog_seal). */
	return (x->lines > y->lines) - (x->lines < y->lines);
}

static void merge_into(struct sti_keylog_entry *dst, const struct sti_keylog_entry *src)
{
	for (int i = 0; i < STI_KL_LABELS; i++)
		if (!dst->s[i].len && src->s[i].len)
			dst->s[i] = src->s[i];
	dst->lines += src->lines;
	dst->used = dst->used || src->used;
}

void sti_keylog_seal(struct sti_keylog *kl)
{
	if (kl->sealed)
		return;
	/* Borrow `lines` as a sequence number for a stable sort; each new
	 * entry has lines == 1, merged ones keep a count, restored below. */
	uint32_t *count = malloc((kl->n ? kl->n : 1) * sizeof(*count));
	if (!count)
		return;   /* lookups fall back to a linear scan */
	for (size_t i = 0; i < kl->n; i++) {
		count[i] = kl->e[i].lines;
		kl->e[i].lines = (uint32_t)i;
	}
	qsort(kl->e, kl->n, sizeof(*kl->e), cmp_random);
	size_t out = 0;
	for (size_t i = 0; i < kl->n; i++) {
		struct sti_keylog_entry cur = kl->e[i];
		cur.lines = count[kl->e[i].lines];
		if (out && memcmp(kl->e[out - 1].random, cur.random, 32) == 0) {
			merge_into(&kl->e[out - 1], &cur);
			continue;
		}
		kl->e[out++] = cur;
	}
	free(count);
	kl->n = out;
	kl->sealed = true;
}

/* Binary search when sealed, else (no memory to seal) a linear scan. */
static struct sti_keylog_entry *search(const struct sti_keylog *kl, const uint8_t random[32])
{
	if (!kl->sealed) {
		for (size_t i = 0; i < kl->n; i++)
			if (memcmp(kl->e[i].random, random, 32) == 0)
				return &kl->e[i];
		return NULL;
	}
	size_t lo = 0, hi = kl->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(kl->e[mid].random, random, 32);
		if (c == 0)
			return &kl->e[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct sti_keylog_entry *sti_keylog_find(struct sti_keylog *kl,
					       const uint8_t random[32])
{
	if (!kl)
		return NULL;
	sti_keylog_seal(kl);
	struct sti_keylog_entry *hit = search(kl, random);
	if (hit)
		hit->used = true;
	return hit;
}

const struct sti_keylog_entry *sti_keylog_lookup(const struct sti_keylog *kl,
						 const uint8_t random[32])
{
	return kl ? search(kl, random) : NULL;
}

static size_t put_hex(char *out, const uint8_t *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	return 2 * n;
}

size_t sti_keylog_format(const struct sti_keylog_entry *e, char *out, size_t cap)
{
	size_t at = 0;
	for (int i = 0; i < STI_KL_LABELS; i++) {
		const struct sti_keylog_secret *s = &e->s[i];
		size_t name = strlen(label_names[i]);
		if (!s->len)
			continue;
		if (at + name + 2 + 64 + 2 * (size_t)s->len + 2 > cap)
			return 0;
		memcpy(out + at, label_names[i], name);
		at += name;
		out[at++] = ' ';
		at += put_hex(out + at, e->random, 32);
		out[at++] = ' ';
		at += put_hex(out + at, s->b, s->len);
		out[at++] = '\n';
	}
	if (at >= cap)
		return 0;
	out[at] = '\0';
	return at;
}

const struct sti_keylog_stats *sti_keylog_stats(const struct sti_keylog *kl)
{
	return &kl->st;
}

size_t sti_keylog_entries(const struct sti_keylog *kl)
{
	return kl->n;
}

uint64_t sti_keylog_lines_unused(const struct sti_keylog *kl)
{
	uint64_t n = 0;
	for (size_t i = 0; i < kl->n; i++)
		if (!kl->e[i].used)
			n += kl->e[i].lines;
	return n;
}
