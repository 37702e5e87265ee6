/*
 * anon.c - keyed, shape-keeping pseudonyms (--anonymize KEY).
 */
#include "sti/anon.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sti/evidence_redact.h"
#include "sti/report_fields.h"

#define KEY_MAX 256
#define TEXT_MAX 4096   /* the longest text field rewritten at once (a remediation) */

struct sti_anon {
	uint8_t key[KEY_MAX];
	size_t keylen;
};

struct sti_anon *sti_anon_new(const char *key)
{
	size_t n = strlen(key);
	if (n == 0)
		return NULL;
	struct sti_anon *an = calloc(1, sizeof(*an));
	if (!an)
		return NULL;
	/* A longer key is hashed by HMAC anyway; keep what fits. */
	an->keylen = n < KEY_MAX ? n : KEY_MAX;
	memcpy(an->key, key, an->keylen);
	return an;
}

void sti_anon_free(struct sti_anon *an)
{
	if (an)
		OPENSSL_cleanse(an->key, sizeof(an->key));
	free(an);
}

/* HMAC-SHA256(key, tag || data). */
static void mac(const struct sti_anon *an, const char *tag, const uint8_t *data,
		size_t n, uint8_t out[32])
{
	uint8_t buf[TEXT_MAX + 16];
	size_t tl = strlen(tag);
	if (n > sizeof(buf) - tl)
		n = sizeof(buf) - tl;
	memcpy(buf, tag, tl);
	memcpy(buf + tl, data, n);
	unsigned int len = 32;
	if (!HMAC(EVP_sha256(), an->key, (int)an->keylen, buf, tl + n, out, &len))
		memset(out, 0, 32);
}

/* ---- addresses ---- */

/*
 * Prefix-preserving (the idea of Crypto-PAn): each byte is XORed with a
 * mask keyed on the bytes before it, so two addresses that share their
 * first k bits share the first k bits of the result, and different
 * addresses stay different.
 */
static void prefix_permute(const struct sti_anon *an, const char *tag, uint8_t *a, size_t n)
{
	uint8_t in[16], h[32];
	memcpy(in, a, n);
	for (size_t i = 0; i < n; i++) {
		char t[16];
		snprintf(t, sizeof(t), "%s%zu:", tag, i);
		mac(an, t, in, i, h);
		a[i] = in[i] ^ h[0];
	}
}

/*
 * Into networks reserved for documentation and testing, never a real
 * one: IPv4 into 198.18.0.0/15 (RFC 2544), the permuted address's last 17
 * bits kept, IPv6 into fd00::/8 (RFC 4193), its last 120 bits kept. The
 * prefix is preserved from bit 15 (IPv4) or 8 (IPv6) on: hosts of one /24
 * stay in one /24. Addresses that differ only in their first 15 bits may,
 * rarely (one pair in 2^17), share a pseudonym.
 */
void sti_anon_addr(const struct sti_anon *an, struct sti_addr *a)
{
	if (a->family == 4) {
		prefix_permute(an, "ip4p", a->a, 4);
		a->a[0] = 198;
		a->a[1] = (uint8_t)(18 | (a->a[1] & 1));
	} else if (a->family == 6) {
		prefix_permute(an, "ip6p", a->a, 16);
		a->a[0] = 0xfd;
	}
}

/* out into s (capacity cap), cut to fit. */
static void copy_cut(char *s, size_t cap, const char *out)
{
	size_t n = strnlen(out, cap - 1);
	memcpy(s, out, n);
	s[n] = '\0';
}

/* ---- names ---- */

static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";

/* One label, same length: letters and digits, a letter first. */
static void label_pseudonym(const struct sti_anon *an, const char *label, size_t n, char *out)
{
	if (n == 1 && label[0] == '*') {
		out[0] = '*';
		return;
	}
	uint8_t lower[TEXT_MAX], h[32];
	n = n < sizeof(lower) ? n : sizeof(lower);
	for (size_t i = 0; i < n; i++)
		lower[i] = (uint8_t)tolower((unsigned char)label[i]);
	for (size_t i = 0; i < n; i++) {
		if (i % 32 == 0) {
			char tag[16];
			snprintf(tag, sizeof(tag), "name%zu:", i / 32);
			mac(an, tag, lower, n, h);
		}
		out[i] = i == 0 ? alnum[h[0] % 26] : alnum[h[i % 32] % 36];
	}
}

/* A dotted name, label by label; dots stay. */
static void name_pseudonym(const struct sti_anon *an, const char *s, size_t n, char *out)
{
	size_t i = 0;
	while (i < n) {
		size_t l = 0;
		while (i + l < n && s[i + l] != '.')
			l++;
		label_pseudonym(an, s + i, l, out + i);
		i += l;
		if (i < n)
			out[i++] = '.';
	}
}

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '.';
}

static bool is_ipv4(const char *s, size_t n)
{
	char buf[16];
	struct in_addr a;
	if (n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return inet_pton(AF_INET, buf, &a) == 1;
}

/* label.label..., the last one letters only (a top-level domain). */
static bool is_hostname(const char *s, size_t n)
{
	size_t dots = 0, last = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '.')
			continue;
		if (i == 0 || s[i - 1] == '.' || i + 1 == n)
			return false;
		dots++;
		last = i + 1;
	}
	if (!dots || n - last < 2)
		return false;
	for (size_t i = last; i < n; i++)
		if (!isalpha((unsigned char)s[i]))
			return false;
	return true;
}

/*
 * The pseudonym's text made exactly n characters long, for packet bytes:
 * octets padded with leading zeros ("198.018.007.042") when it is shorter;
 * when even the shortest form is longer, a placeholder of the same shape
 * with every digit 0 (no real address either way).
 */
static void ipv4_fit(const struct sti_addr *a, const char *orig, size_t n, char *out,
		     size_t cap)
{
	char tmp[32];
	unsigned width[4] = { 1, 1, 1, 1 };
	for (int i = 3; i >= 0; i--) {
		unsigned v = a->a[i];
		width[i] = v >= 100 ? 3 : v >= 10 ? 2 : 1;
	}
	size_t len = width[0] + width[1] + width[2] + width[3] + 3;
	for (int i = 3; i >= 0 && len < n; i--)
		while (width[i] < 3 && len < n) {
			width[i]++;
			len++;
		}
	if (len == n) {
		snprintf(tmp, sizeof(tmp), "%0*u.%0*u.%0*u.%0*u", (int)width[0], a->a[0],
			 (int)width[1], a->a[1], (int)width[2], a->a[2], (int)width[3], a->a[3]);
	} else {
		for (size_t i = 0; i < n && i + 1 < sizeof(tmp); i++)
			tmp[i] = orig[i] == '.' ? '.' : '0';
		tmp[n < sizeof(tmp) ? n : sizeof(tmp) - 1] = '\0';
	}
	snprintf(out, cap, "%s", tmp);
}

/* fit: the same length as the original (packet bytes). */
static void ipv4_text(const struct sti_anon *an, const char *s, size_t n, char *out, size_t cap,
		      bool fit)
{
	char buf[16];
	struct sti_addr a = { .family = 4 };
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, a.a) != 1) {
		snprintf(out, cap, "%s", buf);
		return;
	}
	sti_anon_addr(an, &a);
	if (fit)
		ipv4_fit(&a, buf, n, out, cap);
	else
		sti_addr_str(&a, out, cap);
}

/* An IPv6 literal at s (hex digits, colons, maybe a dotted tail). */
static size_t ipv6_at(const char *s, char *out, size_t cap, const struct sti_anon *an)
{
	size_t n = 0, colons = 0;
	while (s[n] && (isxdigit((unsigned char)s[n]) || s[n] == ':' || s[n] == '.') && n < 45)
		colons += s[n++] == ':';
	if (colons < 2)
		return 0;
	char buf[46];
	struct sti_addr a = { .family = 6 };
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET6, buf, a.a) != 1)
		return 0;
	sti_anon_addr(an, &a);
	sti_addr_str(&a, out, cap);
	return n;
}

static void note_name(struct sti_anon_names *names, const char *orig, const char *repl,
		      size_t n)
{
	/* Short strings would match random bytes in binary payloads. */
	if (!names || n < 4 || n >= STI_ANON_NAME_MAX || names->n == STI_ANON_NAMES)
		return;
	for (unsigned i = 0; i < names->n; i++)
		if (strlen(names->orig[i]) == n && strncasecmp(names->orig[i], orig, n) == 0)
			return;
	memcpy(names->orig[names->n], orig, n);
	names->orig[names->n][n] = '\0';
	memcpy(names->repl[names->n], repl, n);
	names->repl[names->n][n] = '\0';
	names->n++;
}

/* One run of name characters at s[0..n): what replaces it, into out
 * (for packet bytes, with fit, or names to collect: of the same length). */
static void token(const struct sti_anon *an, const char *s, size_t n, bool before_at,
		  char *out, size_t cap, struct sti_anon_names *names, bool fit)
{
	if (n >= cap || n >= TEXT_MAX) {
		snprintf(out, cap, "%.*s", (int)n, s);
		return;
	}
	if (is_ipv4(s, n)) {
		ipv4_text(an, s, n, out, cap, fit || names);
		note_name(names, s, out, n);
	} else if (before_at || is_hostname(s, n)) {
		name_pseudonym(an, s, n, out);
		out[n] = '\0';
		if (!before_at)
			note_name(names, s, out, n);
	} else {
		memcpy(out, s, n);
		out[n] = '\0';
	}
}

/*
 * Within a run of n name characters, the part that may be a name: leading
 * dots and hyphens, and an SMTP reply's "250-", stay; so do trailing dots
 * and hyphens (a sentence's full stop). Returns its length, *lead where
 * it starts.
 */
static size_t token_core(const char *s, size_t n, size_t *lead)
{
	size_t a = 0;
	if (n > 4 && isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
	    isdigit((unsigned char)s[2]) && s[3] == '-')
		a = 4;
	while (a < n && (s[a] == '.' || s[a] == '-'))
		a++;
	size_t b = n;
	while (b > a && (s[b - 1] == '.' || s[b - 1] == '-'))
		b--;
	*lead = a;
	return b - a;
}

/* n bytes of p after the used bytes of buf (capacity cap), cut to fit;
 * returns the new length. */
static size_t append(char *buf, size_t cap, size_t used, const char *p, size_t n)
{
	if (used + n >= cap)
		n = cap - 1 - used;
	memcpy(buf + used, p, n);
	buf[used + n] = '\0';
	return used + n;
}

/* The text of s rewritten into out (capacity cap). */
static void scrub(const struct sti_anon *an, const char *s, char *out, size_t cap,
		  struct sti_anon_names *names)
{
	size_t o = 0;
	char rep[TEXT_MAX];
	while (*s && o + 1 < cap) {
		size_t n = ipv6_at(s, rep, sizeof(rep), an);
		if (!n && name_char(*s)) {
			while (name_char(s[n]) && n + 1 < TEXT_MAX)
				n++;
			size_t lead, core = token_core(s, n, &lead);
			char tok[TEXT_MAX], mid[TEXT_MAX];
			memcpy(tok, s + lead, core);
			tok[core] = '\0';
			token(an, tok, core, s[n] == '@' && lead + core == n, mid, sizeof(mid), names,
			      false);
			size_t rl = append(rep, sizeof(rep), 0, s, lead);
			rl = append(rep, sizeof(rep), rl, mid, strlen(mid));
			append(rep, sizeof(rep), rl, s + lead + core, n - lead - core);
		} else if (!n) {
			rep[0] = *s;
			rep[1] = '\0';
			n = 1;
		}
		size_t rl = strlen(rep);
		if (o + rl >= cap)
			rl = cap - 1 - o;
		memcpy(out + o, rep, rl);
		o += rl;
		s += n;
	}
	out[o] = '\0';
}

void sti_anon_text(const struct sti_anon *an, char *s, size_t cap)
{
	char out[TEXT_MAX];
	if (!cap)
		return;
	scrub(an, s, out, cap < sizeof(out) ? cap : sizeof(out), NULL);
	copy_cut(s, cap, out);
}

static void org_pseudonym(const struct sti_anon *an, char *v, size_t n,
			  struct sti_anon_names *names);

/* A field that is a name as a whole (EHLO argument, SNI, certificate
 * name): every label is rewritten, even without a dot. A name of words
 * ("Example Test Issuing CA") names an organisation: every word. */
static void field_name(const struct sti_anon *an, char *s, size_t cap,
		       struct sti_anon_names *names)
{
	size_t n = strnlen(s, cap);
	if (memchr(s, ' ', n)) {
		org_pseudonym(an, s, n, names);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (!name_char(s[i]) && s[i] != '*') {
			char out[TEXT_MAX];
			scrub(an, s, out, cap < sizeof(out) ? cap : sizeof(out), names);
			copy_cut(s, cap, out);
			return;
		}
	if (is_ipv4(s, n)) {
		char out[16];
		ipv4_text(an, s, n, out, sizeof(out), names != NULL);
		note_name(names, s, out, n);
		copy_cut(s, cap, out);
		return;
	}
	char out[TEXT_MAX];
	if (n >= sizeof(out))
		return;
	name_pseudonym(an, s, n, out);
	note_name(names, s, out, n);
	memcpy(s, out, n);
}

/* ---- records ---- */

static void scrub_field(const struct sti_anon *an, char *s, size_t cap,
			struct sti_anon_names *names)
{
	char out[TEXT_MAX];
	scrub(an, s, out, cap < sizeof(out) ? cap : sizeof(out), names);
	copy_cut(s, cap, out);
}

/* Each word of an organisation's name, same length (so its bytes can be
 * replaced in the certificate on the wire too). */
static void org_pseudonym(const struct sti_anon *an, char *v, size_t n,
			  struct sti_anon_names *names)
{
	char orig[STI_ANON_NAME_MAX];
	size_t keep = n < sizeof(orig) - 1 ? n : sizeof(orig) - 1;
	memcpy(orig, v, keep);
	orig[keep] = '\0';
	for (size_t i = 0; i < n;) {
		size_t l = 0;
		while (i + l < n && isalnum((unsigned char)v[i + l]))
			l++;
		if (l)
			label_pseudonym(an, v + i, l, v + i);
		i += l ? l : 1;
	}
	note_name(names, orig, v, keep);
}

/*
 * The organisation and unit (O=, OU=) of an RFC 2253 name: they name the
 * company as surely as a host name does. A value ends at an unescaped
 * comma or plus.
 */
static void anon_dn_orgs(const struct sti_anon *an, char *dn, size_t cap,
			 struct sti_anon_names *names)
{
	size_t n = strnlen(dn, cap);
	for (size_t i = 0; i < n; i++) {
		bool start = i == 0 || dn[i - 1] == ',' || dn[i - 1] == '+';
		size_t tag = !start ? 0 : strncmp(dn + i, "O=", 2) == 0 ? 2
			: strncmp(dn + i, "OU=", 3) == 0 ? 3 : 0;
		if (!tag)
			continue;
		size_t v = i + tag, e = v;
		while (e < n && dn[e] != ',' && dn[e] != '+')
			e += dn[e] == '\\' && e + 1 < n ? 2 : 1;
		org_pseudonym(an, dn + v, e - v, names);
		i = e;
	}
}

/* A certificate's hash as hex: another hash of the same length, keyed. */
static void digest_pseudonym(const struct sti_anon *an, char *s, size_t cap)
{
	size_t n = strnlen(s, cap);
	uint8_t h[32];
	mac(an, "digest:", (const uint8_t *)s, n, h);
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++)
		if (isxdigit((unsigned char)s[i]))
			s[i] = hex[(h[(i / 2) % sizeof(h)] >> (i % 2 ? 0 : 4)) & 15];
}

/* One value of a field, rewritten as its kind requires. */
static void anon_value(const struct sti_anon *an, const struct sti_field *f, void *v,
		       struct sti_anon_names *names)
{
	switch (f->kind) {
	case STI_KIND_ADDRESS:
		sti_anon_addr(an, v);
		break;
	case STI_KIND_HOST:
		field_name(an, v, f->size, names);
		break;
	case STI_KIND_DN:
		anon_dn_orgs(an, v, f->size, names);
		scrub_field(an, v, f->size, names);
		break;
	case STI_KIND_DIGEST:
		digest_pseudonym(an, v, f->size);
		break;
	case STI_KIND_TEXT:
		scrub_field(an, v, f->size, names);
		break;
	case STI_KIND_PATH:      /* not in a record: sti_anon_path */
	case STI_KIND_MTA_LOG:   /* --anonymize refuses --mta-log */
	case STI_KIND_FIXED:
	case STI_KIND_COUNT:
		break;
	}
}

struct anon_walk {
	const struct sti_anon *an;
	struct sti_anon_names *names;
};

/* One row of the field table in its part, by its kind. */
static void anon_row(const struct sti_field *f, void *base, void *ctx)
{
	const struct anon_walk *w = ctx;
	if (!sti_field_kind_identifies(f->kind))
		return;
	/* The evidence replaces names on the wire; hashes are not. */
	if (w->names && f->kind == STI_KIND_DIGEST)
		return;
	unsigned n = sti_field_count(f, base);
	for (unsigned k = 0; k < n; k++)
		anon_value(w->an, f, sti_field_at(f, base, k), w->names);
}

/* Every row of the field table in the parts given. */
static void anon_parts(const struct sti_anon *an, const struct sti_field_parts *p,
		       struct sti_anon_names *names)
{
	struct anon_walk w = { an, names };
	sti_fields_walk(p, anon_row, &w);
}

/* s (NUL-ended within cap) into buf of cap bytes, which it then is. */
static const char *own_copy(char *buf, size_t cap, const char *s)
{
	size_t n = strnlen(s, cap - 1);
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

/* The SMTP facts into out, with their own notable replies, capabilities,
 * reply texts and other strings: the field rows rewrite some of them. */
static void copy_smtp(const struct sti_smtp_facts *in, struct sti_anon_record *out)
{
	unsigned nnotable = in->nnotable < STI_SMTP_MAX_NOTABLE ? in->nnotable
								: STI_SMTP_MAX_NOTABLE;
	unsigned ncaps = in->ncaps < STI_SMTP_MAX_CAPS ? in->ncaps : STI_SMTP_MAX_CAPS;
	struct sti_smtp_facts *f = &out->smtp;
	*f = *in;
	for (unsigned i = 0; i < nnotable; i++) {
		out->notable[i] = in->notable[i];
		out->notable[i].text = own_copy(out->notable_text[i], STI_SMTP_TEXT_MAX,
						in->notable[i].text);
	}
	for (unsigned i = 0; i < ncaps; i++)
		out->cap_lines[i] = own_copy(out->caps[i], STI_SMTP_CAP_MAX, in->caps[i]);
	f->notable = out->notable;
	f->caps = out->cap_lines;
#define COPY_REPLY_TEXT(name) \
	f->name.text = own_copy(out->name, sizeof(out->name), in->name.text);
	STI_SMTP_REPLY_FIELDS(COPY_REPLY_TEXT)
#undef COPY_REPLY_TEXT
#define COPY_TEXT(name, cap) f->name = own_copy(out->name, sizeof(out->name), in->name);
	STI_SMTP_TEXT_FIELDS(COPY_TEXT)
#undef COPY_TEXT
}

/* src into dst's cap bytes, zero-filled past it as the fixed arrays the
 * facts had were. */
static void copy_text(char *dst, size_t cap, const char *src)
{
	memset(dst, 0, cap);
	memcpy(dst, src, strnlen(src, cap - 1));
}

/* The TLS facts into out, with their own hello names, reasons, samples
 * and decryption note: the rows that rewrite text write into those. */
static void copy_tls(const struct sti_tls_facts *in, struct sti_anon_record *out)
{
	out->tls = *in;
	copy_text(out->sni, sizeof(out->sni), in->ch.sni);
	copy_text(out->ch2_sni, sizeof(out->ch2_sni), in->ch2->sni);
	copy_text(out->decrypt_note, sizeof(out->decrypt_note), in->decrypt_note);
	out->tls.ch.sni = out->sni;
	out->ch2 = *in->ch2;
	out->ch2.sni = out->ch2_sni;
	out->tls.ch2 = &out->ch2;
	out->tls.decrypt_note = out->decrypt_note;
	for (enum sti_dir d = STI_C2S; d <= STI_S2C; d++) {
		copy_text(out->reason[d], sizeof(out->reason[d]), in->dir[d].reason);
		copy_text(out->sample[d], sizeof(out->sample[d]), in->dir[d].sample);
		out->tls.dir[d].reason = out->reason[d];
		out->tls.dir[d].sample = out->sample[d];
	}
}

/*
 * The session's facts into out (its own copies, certificates included:
 * the originals are shared with other sessions and never written), and
 * where each part of the copy is.
 */
static void copy_facts(const struct sti_record *in, struct sti_anon_record *out,
		       struct sti_field_parts *p)
{
	if (in->smtp) {
		copy_smtp(in->smtp, out);
		out->rec.smtp = &out->smtp;
		p->smtp = &out->smtp;
	}
	if (!in->tls)
		return;
	copy_tls(in->tls, out);
	out->rec.tls = &out->tls;
	p->tls = &out->tls;
	if (in->tls->server_cert) {
		out->server_cert = *in->tls->server_cert;
		out->tls.server_cert = &out->server_cert;
		p->cert[0] = &out->server_cert.leaf;
		p->chain = &out->server_cert.chain;
	}
	if (in->tls->client_cert) {
		out->client_cert = *in->tls->client_cert;
		out->tls.client_cert = &out->client_cert;
		p->cert[1] = &out->client_cert.leaf;
	}
}

void sti_anon_record(const struct sti_anon *an, const struct sti_record *in,
		     struct sti_anon_record *out)
{
	struct sti_field_parts p = { .record = &out->rec };
	out->rec = *in;
	copy_facts(in, out, &p);
	anon_parts(an, &p, NULL);
}

void sti_anon_verdict(const struct sti_anon *an, struct sti_verdict *v)
{
	struct sti_field_parts p = { .verdict = v };
	anon_parts(an, &p, NULL);
}

void sti_anon_collect(const struct sti_anon *an, const struct sti_record *rec,
		      struct sti_anon_names *names)
{
	struct sti_anon_record *scratch = malloc(sizeof(*scratch));
	memset(names, 0, sizeof(*names));
	if (!scratch)
		return;
	/* The session's own addresses, as an SMTP server echoes them. */
	for (int i = 0; i < 2; i++) {
		struct sti_addr a = i ? rec->srv.addr : rec->cli.addr;
		char o[64], r[64];
		if (a.family != 4)
			continue;   /* an IPv6 pseudonym's text has another length */
		sti_addr_str(&a, o, sizeof(o));
		ipv4_text(an, o, strlen(o), r, sizeof(r), true);
		note_name(names, o, r, strlen(o));
	}
	/* The same walk as for the reporters (but for the record's own
	 * fields), keeping what it replaced. */
	struct sti_field_parts p = { 0 };
	copy_facts(rec, scratch, &p);
	anon_parts(an, &p, names);
	free(scratch);
}

/*
 * An input file's name: "capture-" and 8 hex digits keyed on the whole
 * name, with its extension kept, so a report names no directory, host or
 * customer. Standard input stays "-".
 */
void sti_anon_path(const struct sti_anon *an, const char *path, char *out, size_t cap)
{
	if (strcmp(path, "-") == 0) {
		snprintf(out, cap, "-");
		return;
	}
	uint8_t h[32];
	mac(an, "path:", (const uint8_t *)path, strlen(path), h);
	const char *base = strrchr(path, '/');
	const char *dot = strchr(base ? base + 1 : path, '.');
	bool ext_ok = dot && strlen(dot) <= 16;
	for (const char *c = dot; ext_ok && *c; c++)
		ext_ok = isalnum((unsigned char)*c) || *c == '.';
	snprintf(out, cap, "capture-%02x%02x%02x%02x%s", h[0], h[1], h[2], h[3],
		 ext_ok ? dot : "");
}

/* ---- frames ---- */

/* Plaintext bytes: host names, mail local parts and IPv4 literals, each
 * only when its pseudonym is as long (so IPv6 literals stay). */
static void scrub_bytes(const struct sti_anon *an, uint8_t *p, size_t n)
{
	char tok[TEXT_MAX], rep[TEXT_MAX];
	size_t i = 0;
	while (i < n) {
		size_t l = 0;
		while (i + l < n && l + 1 < sizeof(tok) && name_char((char)p[i + l]))
			l++;
		if (!l) {
			i++;
			continue;
		}
		size_t lead, core = token_core((const char *)p + i, l, &lead);
		memcpy(tok, p + i + lead, core);
		tok[core] = '\0';
		bool at = i + l < n && p[i + l] == '@' && lead + core == l;
		token(an, tok, core, at, rep, sizeof(rep), NULL, true);
		if (strlen(rep) == core)
			memcpy(p + i + lead, rep, core);
		i += l;
	}
}

static void replace_names(uint8_t *p, size_t n, const struct sti_anon_names *names)
{
	for (unsigned k = 0; k < names->n; k++) {
		size_t l = strlen(names->orig[k]);
		for (size_t i = 0; l && i + l <= n; i++) {
			if (strncasecmp((const char *)p + i, names->orig[k], l) != 0)
				continue;
			memcpy(p + i, names->repl[k], l);
			i += l - 1;
		}
	}
}

static void swap_addr(const struct sti_anon *an, uint8_t *frame, const struct sti_pkt *pkt)
{
	uint8_t *ip = frame + pkt->l3_offset;
	uint8_t *tcp_sum = frame + pkt->l4_offset + 16;
	size_t at = pkt->src.family == 4 ? 12 : 8, len = pkt->src.family == 4 ? 4 : 16;
	struct sti_addr s = pkt->src, d = pkt->dst;
	uint8_t before[32];
	sti_anon_addr(an, &s);
	sti_anon_addr(an, &d);
	memcpy(before, ip + at, 2 * len);
	memcpy(ip + at, s.a, len);
	memcpy(ip + at + len, d.a, len);
	/* Both addresses are in the TCP pseudo-header; IPv4 also sums its
	 * own header. Offsets 12 and 8 are even. */
	sti_csum_update(tcp_sum, before, ip + at, 2 * len);
	if (pkt->src.family == 4)
		sti_csum_update(ip + 10, before, ip + at, 2 * len);
}

void sti_anon_frame(const struct sti_anon *an, uint8_t *frame,
		    const struct sti_pkt *pkt, const struct sti_anon_names *names,
		    size_t plain)
{
	if (pkt->payload_caplen) {
		size_t at = (size_t)(pkt->payload - pkt->raw), n = pkt->payload_caplen;
		uint8_t before[65536];
		n = n < sizeof(before) ? n : sizeof(before);
		memcpy(before, frame + at, n);
		scrub_bytes(an, frame + at, plain < n ? plain : n);
		if (names)
			replace_names(frame + at, n, names);
		if (memcmp(before, frame + at, n) != 0)
			sti_csum_update(frame + pkt->l4_offset + 16, before, frame + at, n);
	}
	swap_addr(an, frame, pkt);
}
