/*
 * tls_hello.c - pure parsers for ClientHello (RFC 8446 4.1.2, RFC 5246
 * 7.4.1.2), the SSLv2-compatible ClientHello (RFC 5246 E.2) and ServerHello /
 * HelloRetryRequest (RFC 8446 4.1.3), plus the version and cipher-suite
 * tables the verdict needs to judge an offer.
 *
 * Every wire byte is read through sti_rd; every vector becomes a child reader
 * that must be consumed exactly, so a length that lies is caught where it
 * lies and the "malformed" string names that part.
 */
#include <stdio.h>
#include <string.h>

#include "sti/rd.h"
#include "sti/tls_hello.h"

/* ---- cipher suites --------------------------------------------------- */

/*
 * What a suite is worth to a mail admin. AEAD is what current servers want;
 * LEGACY (RC4, 3DES, DES, NULL, EXPORT, RC2, IDEA) is what modern servers
 * refuse; SIGNAL marks SCSVs, which are not ciphers at all.
 */
enum cs_class { CS_CBC, CS_AEAD, CS_LEGACY, CS_SIGNAL, CS_UNKNOWN };

struct cs_entry {
	uint16_t id;
	uint8_t cls;
	const char *name;
};

/* The registry is data: src/tls_cipher_suites.def. */
static const struct cs_entry cs_table[] = {
#define X(id, cls, name) { id, CS_##cls, name },
#include "tls_cipher_suites.def"
#undef X
};

static const struct cs_entry *cs_find(uint16_t suite)
{
	size_t lo = 0, hi = sizeof(cs_table) / sizeof(cs_table[0]);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cs_table[mid].id == suite)
			return &cs_table[mid];
		if (cs_table[mid].id < suite)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *sti_tls_cipher_name(uint16_t suite)
{
	const struct cs_entry *e = cs_find(suite);
	return e ? e->name : NULL;
}

const char *sti_tls_cipher_text(uint16_t suite, char *buf, size_t len)
{
	const char *n = sti_tls_cipher_name(suite);
	if (n)
		snprintf(buf, len, "%s", n);
	else
		snprintf(buf, len, "0x%04x", suite);
	return buf;
}

const char *sti_tls_group_name(uint16_t group)
{
	/* IANA TLS Supported Groups, the ones seen in mail. */
	static const struct { uint16_t v; const char *name; } groups[] = {
		{ 0x0017, "secp256r1" }, { 0x0018, "secp384r1" }, { 0x0019, "secp521r1" },
		{ 0x001d, "x25519" }, { 0x001e, "x448" }, { 0x0100, "ffdhe2048" },
		{ 0x0101, "ffdhe3072" }, { 0x0102, "ffdhe4096" }, { 0x0103, "ffdhe6144" },
		{ 0x0104, "ffdhe8192" }, { 0x11eb, "SecP256r1MLKEM768" },
		{ 0x11ec, "X25519MLKEM768" }, { 0x6399, "X25519Kyber768Draft00" },
	};
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (groups[i].v == group)
			return groups[i].name;
	return NULL;
}

static enum cs_class cs_classify(uint16_t suite)
{
	const struct cs_entry *e = cs_find(suite);
	return e ? (enum cs_class)e->cls : CS_UNKNOWN;
}

/* ---- versions and strings ------------------------------------------- */

unsigned sti_tls_version_rank(uint16_t v)
{
	if (sti_tls_is_grease(v))
		return 0;
	if (v == 0x0002) /* SSL 2.0 */
		return 1;
	if (v >= STI_SSL3 && v <= STI_TLS13)
		return 2u + 2u * (unsigned)(v - STI_SSL3);
	/*
	 * TLS 1.3 drafts (0x7fNN), Chrome's 2017 experiment (0x7e01) and
	 * Facebook's fizz drafts (0xfbNN) all speak a 1.3-style handshake:
	 * better than 1.2, not yet the final 1.3.
	 */
	if ((v >> 8) == 0x7f || v == 0x7e01 || (v >> 8) == 0xfb)
		return 2u + 2u * (unsigned)(STI_TLS13 - STI_SSL3) - 1u;
	return 0;
}

static bool has_version(const uint16_t *v, unsigned n, uint16_t x)
{
	for (unsigned k = 0; k < n; k++)
		if (v[k] == x)
			return true;
	return false;
}

unsigned sti_tls_offered_versions(const struct sti_client_hello *ch,
				  uint16_t out[STI_HELLO_MAX_VERSIONS])
{
	unsigned n = 0;

	if (ch->has_supported_versions) {
		unsigned m = ch->nversions < STI_HELLO_MAX_VERSIONS
				     ? ch->nversions : STI_HELLO_MAX_VERSIONS;
		for (unsigned i = 0; i < m; i++)
			if (!sti_tls_is_grease(ch->versions[i]) &&
			    !has_version(out, n, ch->versions[i]))
				out[n++] = ch->versions[i];
	}
	if (n == 0 && ch->legacy_version)
		out[n++] = ch->legacy_version;
	/* Insertion sort by rank, highest first; stable for equal ranks. */
	for (unsigned i = 1; i < n; i++) {
		uint16_t x = out[i];
		unsigned k = i;
		while (k > 0 && sti_tls_version_rank(out[k - 1]) < sti_tls_version_rank(x)) {
			out[k] = out[k - 1];
			k--;
		}
		out[k] = x;
	}
	return n;
}

const char *sti_tls_version_name(uint16_t v, char *buf, size_t len)
{
	switch (v) {
	case 0x0002: return "ssl2";
	case STI_SSL3: return "ssl3";
	case STI_TLS10: return "1.0";
	case STI_TLS11: return "1.1";
	case STI_TLS12: return "1.2";
	case STI_TLS13: return "1.3";
	default: break;
	}
	if (buf && len)
		snprintf(buf, len, "0x%04x", (unsigned)v);
	return buf ? buf : "?";
}

/* prefix then name into buf (cut to fit, always terminated when len > 0). */
static const char *two_parts(char *buf, size_t len, const char *prefix, const char *name)
{
	size_t at = 0;
	if (len == 0)
		return buf;
	for (const char *s = prefix; *s && at + 1 < len; s++)
		buf[at++] = *s;
	for (const char *s = name; *s && at + 1 < len; s++)
		buf[at++] = *s;
	buf[at] = '\0';
	return buf;
}

/*
 * Called for every version a report prints: plain copies, no snprintf.
 * SSL versions have their own words; every other one, known or not, is
 * "TLS " and its short name ("TLS 1.2", "TLS 0x7f1c").
 */
const char *sti_tls_version_text(uint16_t v, char *buf, size_t len)
{
	switch (v) {
	case 0:
		return two_parts(buf, len, "", "none");
	case 0x0002:
		return two_parts(buf, len, "", "SSL 2.0");
	case STI_SSL3:
		return two_parts(buf, len, "", "SSL 3.0");
	default: {
		char raw[16];
		return two_parts(buf, len, "TLS ", sti_tls_version_name(v, raw, sizeof(raw)));
	}
	}
}

/* Reads the bytes through the reader like everything else on the wire. */
static bool copy_printable_rd(char *dst, size_t cap, struct sti_rd src)
{
	size_t i = 0;
	uint8_t c;

	if (cap == 0)
		return sti_rd_empty(&src);
	while (i + 1 < cap && sti_rd_u8(&src, &c))
		dst[i++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	dst[i] = '\0';
	return sti_rd_empty(&src);
}

bool sti_tls_copy_printable(char *dst, size_t cap, const uint8_t *src, size_t n)
{
	return copy_printable_rd(dst, cap, sti_rd_init(src, n));
}

/* ---- shared list readers -------------------------------------------- */

/*
 * A vector of uint16 (length already taken as the child reader v): the
 * length must be even; entries past cap are counted, not stored.
 */
static bool read_u16s(struct sti_rd *v, uint16_t *dst, unsigned cap,
		      unsigned *n, bool *truncated)
{
	uint16_t x;

	if (sti_rd_left(v) % 2 != 0)
		return false;
	while (sti_rd_u16(v, &x)) {
		if (*n < cap)
			dst[(*n)++] = x;
		else
			*truncated = true;
	}
	return true;
}

/* Name the first part that did not parse; always false, to return. */
static bool fail_part(const char **malformed, const char *part)
{
	if (!*malformed)
		*malformed = part;
	return false;
}

/* ---- ClientHello extensions ----------------------------------------- */

/* RFC 6066 3: the first host_name entry is the SNI. */
static bool ch_ext_server_name(struct sti_rd *d, struct sti_client_hello *ch)
{
	struct sti_rd list, name;
	uint8_t type;

	if (sti_rd_empty(d)) /* sent empty by some stacks; nothing to read */
		return true;
	if (!sti_rd_vec16(d, &list))
		return false;
	while (!sti_rd_empty(&list)) {
		if (!sti_rd_u8(&list, &type) || !sti_rd_vec16(&list, &name))
			return false;
		if (type == 0 && ch->sni[0] == '\0' &&
		    !copy_printable_rd(ch->sni, STI_HELLO_NAME_MAX, name))
			ch->truncated = true;
	}
	return true;
}

static bool ch_ext_groups(struct sti_rd *d, struct sti_client_hello *ch)
{
	struct sti_rd v;

	if (!sti_rd_vec16(d, &v))
		return false;
	return read_u16s(&v, ch->groups, STI_HELLO_MAX_GROUPS, &ch->ngroups,
			 &ch->truncated);
}

static bool ch_ext_point_formats(struct sti_rd *d, struct sti_client_hello *ch)
{
	struct sti_rd v;
	uint8_t f;
	const unsigned cap = STI_HELLO_MAX_POINT_FORMATS;

	if (!sti_rd_vec8(d, &v))
		return false;
	while (sti_rd_u8(&v, &f)) {
		if (ch->npoint_formats < cap)
			ch->ec_point_formats[ch->npoint_formats++] = f;
		else
			ch->truncated = true;
	}
	return true;
}

static bool ch_ext_sigalgs(struct sti_rd *d, struct sti_client_hello *ch)
{
	struct sti_rd v;

	if (!sti_rd_vec16(d, &v))
		return false;
	return read_u16s(&v, ch->sigalgs, STI_HELLO_MAX_SIGALGS, &ch->nsigalgs,
			 &ch->truncated);
}

/* RFC 7301 3.1: ProtocolName protocol_name_list<2..2^16-1>, each <1..2^8-1>. */
static bool ch_ext_alpn(struct sti_rd *d, struct sti_client_hello *ch)
{
	struct sti_rd list, name;
	bool first = true;

	if (!sti_rd_vec16(d, &list))
		return false;
	while (!sti_rd_empty(&list)) {
		if (!sti_rd_vec8(&list, &name))
			return false;
		if (first) {
			/* JA4 wants the raw ends, before '?' replaces them. */
			size_t n = sti_rd_left(&name);
			ch->alpn0_len = (unsigned)n;
			if (n > 0 && (!sti_rd_peek(&name, 0, &ch->alpn0_ends[0]) ||
				      !sti_rd_peek(&name, n - 1, &ch->alpn0_ends[1])))
				return false;
			first = false;
		}
		if (ch->nalpn < STI_HELLO_MAX_ALPN) {
			/* whole rows are copied: no bytes of before past the NUL */
			memset(ch->alpn[ch->nalpn], 0, STI_HELLO_ALPN_MAX);
			if (!copy_printable_rd(ch->alpn[ch->nalpn], STI_HELLO_ALPN_MAX, name))
				ch->truncated = true;
			ch->nalpn++;
		} else {
			ch->truncated = true;
		}
	}
	return true;
}

/* RFC 8446 4.2.1: ProtocolVersion versions<2..254>; GREASE left out. */
static bool ch_ext_versions(struct sti_rd *d, struct sti_client_hello *ch)
{
	struct sti_rd v;
	uint16_t x;

	if (!sti_rd_vec8(d, &v) || sti_rd_left(&v) % 2 != 0)
		return false;
	ch->has_supported_versions = true;
	while (sti_rd_u16(&v, &x)) {
		if (sti_tls_is_grease(x))
			continue;
		if (ch->nversions < STI_HELLO_MAX_VERSIONS)
			ch->versions[ch->nversions++] = x;
		else
			ch->truncated = true;
	}
	return true;
}

/* RFC 8446 4.2.8: KeyShareEntry client_shares<0..2^16-1>; GREASE left out. */
static bool ch_ext_key_share(struct sti_rd *d, struct sti_client_hello *ch)
{
	struct sti_rd shares, key;
	uint16_t group;
	const unsigned cap = STI_HELLO_MAX_KEY_SHARES;

	if (!sti_rd_vec16(d, &shares))
		return false;
	while (!sti_rd_empty(&shares)) {
		if (!sti_rd_u16(&shares, &group) || !sti_rd_vec16(&shares, &key))
			return false;
		if (sti_tls_is_grease(group))
			continue;
		if (ch->nkey_shares < cap)
			ch->key_share_groups[ch->nkey_shares++] = group;
		else
			ch->truncated = true;
	}
	return true;
}

typedef bool (*ch_ext_fn)(struct sti_rd *d, struct sti_client_hello *ch);

/* X(type, decoder, the part named when it does not parse) */
#define CH_EXT_DECODERS(X)                                                   \
	X(STI_EXT_SERVER_NAME, ch_ext_server_name, "server_name")            \
	X(STI_EXT_SUPPORTED_GROUPS, ch_ext_groups, "supported_groups")       \
	X(STI_EXT_EC_POINT_FORMATS, ch_ext_point_formats, "ec_point_formats") \
	X(STI_EXT_SIGNATURE_ALGORITHMS, ch_ext_sigalgs, "signature_algorithms") \
	X(STI_EXT_ALPN, ch_ext_alpn, "alpn")                                 \
	X(STI_EXT_SUPPORTED_VERSIONS, ch_ext_versions, "supported_versions") \
	X(STI_EXT_KEY_SHARE, ch_ext_key_share, "key_share")

static const struct {
	uint16_t type;
	ch_ext_fn fn;
	const char *part;
} ch_ext_table[] = {
#define X(type, fn, name) { type, fn, "ClientHello " name " extension" },
	CH_EXT_DECODERS(X)
#undef X
};

/* Decode one extension body; it must be consumed exactly. */
static bool ch_decode_ext(uint16_t type, struct sti_rd data,
			  struct sti_client_hello *ch)
{
	size_t i;

	for (i = 0; i < sizeof(ch_ext_table) / sizeof(ch_ext_table[0]); i++) {
		if (ch_ext_table[i].type != type)
			continue;
		if (!ch_ext_table[i].fn(&data, ch) || !sti_rd_empty(&data))
			return fail_part(&ch->malformed, ch_ext_table[i].part);
		return true;
	}
	return true; /* not one we decode: its type was recorded, that is all */
}

static bool ch_read_extensions(struct sti_rd *r, struct sti_client_hello *ch)
{
	struct sti_rd exts, data;
	uint16_t type;

	if (!sti_rd_vec16(r, &exts))
		return fail_part(&ch->malformed, "ClientHello extensions length");
	while (!sti_rd_empty(&exts)) {
		if (!sti_rd_u16(&exts, &type) || !sti_rd_vec16(&exts, &data))
			return fail_part(&ch->malformed, "ClientHello extension length");
		ch->exts_total++;
		if (ch->nexts < STI_HELLO_MAX_EXTS)
			ch->exts[ch->nexts++] = type;
		else
			ch->truncated = true;
		if (!ch_decode_ext(type, data, ch))
			return false;
	}
	if (!sti_rd_empty(r))
		return fail_part(&ch->malformed, "ClientHello trailing bytes");
	return true;
}

/* ---- ClientHello ----------------------------------------------------- */

static void ch_add_cipher(struct sti_client_hello *ch, uint16_t suite)
{
	ch->ciphers_total++;
	if (ch->nciphers < STI_HELLO_MAX_CIPHERS)
		ch->ciphers[ch->nciphers++] = suite;
	else
		ch->truncated = true;
}

/* The offer-quality flags and max_version, from whatever was read. */
static void ch_finish(struct sti_client_hello *ch)
{
	unsigned i, real = 0, legacy = 0;

	for (i = 0; i < ch->nciphers; i++) {
		uint16_t s = ch->ciphers[i];
		enum cs_class c;

		if (sti_tls_is_grease(s))
			continue;
		c = cs_classify(s);
		if (s >= 0x1301 && s <= 0x1305) /* RFC 8446 B.4 */
			ch->offers_tls13_suites = true;
		if (c == CS_AEAD)
			ch->offers_aead = true;
		if (c == CS_SIGNAL)
			continue;
		real++;
		if (c == CS_LEGACY)
			legacy++;
	}
	/* SSLv2-only specs are RC4, RC2, DES, 3DES, IDEA: all legacy. */
	real += ch->sslv2_specs;
	legacy += ch->sslv2_specs;
	ch->only_legacy_ciphers = real > 0 && legacy == real;

	ch->max_version = sti_tls_is_grease(ch->legacy_version) ? 0 : ch->legacy_version;
	for (i = 0; i < ch->nversions; i++)
		if (sti_tls_version_rank(ch->versions[i]) >
		    sti_tls_version_rank(ch->max_version))
			ch->max_version = ch->versions[i];
}

static bool ch_read_body(struct sti_rd *r, struct sti_client_hello *ch)
{
	struct sti_rd v;
	uint16_t suite;

	if (!sti_rd_u16(r, &ch->legacy_version))
		return fail_part(&ch->malformed, "ClientHello version");
	if (!sti_rd_skip(r, 32))
		return fail_part(&ch->malformed, "ClientHello random");
	/* legacy_session_id<0..32> */
	if (!sti_rd_vec8(r, &v) || sti_rd_left(&v) > 32)
		return fail_part(&ch->malformed, "ClientHello session_id");
	/* cipher_suites<2..2^16-2>: an empty list is a decode_error too. */
	if (!sti_rd_vec16(r, &v) || sti_rd_left(&v) == 0 || sti_rd_left(&v) % 2 != 0)
		return fail_part(&ch->malformed, "ClientHello cipher_suites");
	while (sti_rd_u16(&v, &suite))
		ch_add_cipher(ch, suite);
	/* legacy_compression_methods<1..2^8-1> */
	if (!sti_rd_vec8(r, &v) || sti_rd_empty(&v))
		return fail_part(&ch->malformed, "ClientHello compression_methods");
	/* Extensions are optional before TLS 1.3 (RFC 5246 7.4.1.2). */
	if (sti_rd_empty(r))
		return true;
	return ch_read_extensions(r, ch);
}

/* ch all zero, its lists where from's are. */
static void take_lists(struct sti_client_hello *ch, const struct sti_client_hello *from)
{
	struct sti_client_hello lists = *from;
	memset(ch, 0, sizeof(*ch));
	ch->versions = lists.versions;
	ch->ciphers = lists.ciphers;
	ch->exts = lists.exts;
	ch->groups = lists.groups;
	ch->sigalgs = lists.sigalgs;
	ch->key_share_groups = lists.key_share_groups;
	ch->ec_point_formats = lists.ec_point_formats;
	ch->sni = lists.sni;
	ch->alpn = lists.alpn;
}

/* What a parser starts from: nothing read, no name. The lists are read
 * only up to their counts (and each ALPN row is zeroed as it is written),
 * so what a room held before needs no clearing. */
static void clear_hello(struct sti_client_hello *ch)
{
	take_lists(ch, ch);
	ch->sni[0] = '\0';
}

void sti_client_hello_init(struct sti_client_hello *ch, struct sti_client_hello_room *room)
{
	const struct sti_client_hello lists = {
		.versions = room->versions, .ciphers = room->ciphers,
		.exts = room->exts, .groups = room->groups, .sigalgs = room->sigalgs,
		.key_share_groups = room->key_share_groups,
		.ec_point_formats = room->ec_point_formats,
		.sni = room->sni, .alpn = room->alpn,
	};
	take_lists(ch, &lists);
	ch->sni[0] = '\0';
}

bool sti_tls_parse_client_hello(const uint8_t *body, size_t len,
				struct sti_client_hello *out)
{
	struct sti_rd r = sti_rd_init(body, len);
	bool ok;

	clear_hello(out);
	ok = ch_read_body(&r, out);
	ch_finish(out);
	return ok;
}

/*
 * RFC 5246 E.2: msg_type 1, version, three uint16 lengths, then the 3-byte
 * cipher specs, the session id and the challenge, with no extensions.
 */
static bool v2_read_body(struct sti_rd *r, struct sti_client_hello *ch)
{
	struct sti_rd specs;
	uint8_t type, hi;
	uint16_t spec_len, sid_len, chal_len, lo;

	if (!sti_rd_u8(r, &type) || type != 1)
		return fail_part(&ch->malformed, "SSLv2 ClientHello msg_type");
	if (!sti_rd_u16(r, &ch->legacy_version) || !sti_rd_u16(r, &spec_len) ||
	    !sti_rd_u16(r, &sid_len) || !sti_rd_u16(r, &chal_len))
		return fail_part(&ch->malformed, "SSLv2 ClientHello header");
	if (spec_len == 0 || spec_len % 3 != 0 || !sti_rd_sub(r, spec_len, &specs))
		return fail_part(&ch->malformed, "SSLv2 ClientHello cipher_specs");
	while (sti_rd_u8(&specs, &hi) && sti_rd_u16(&specs, &lo)) {
		if (hi == 0) /* a TLS suite written in 3 bytes */
			ch_add_cipher(ch, lo);
		else
			ch->sslv2_specs++;
	}
	if (sid_len > 32 || !sti_rd_skip(r, sid_len))
		return fail_part(&ch->malformed, "SSLv2 ClientHello session_id");
	/* "Historically, permissible values are between 16 and 32 bytes." */
	if (chal_len < 16 || chal_len > 32 || !sti_rd_skip(r, chal_len))
		return fail_part(&ch->malformed, "SSLv2 ClientHello challenge");
	if (!sti_rd_empty(r))
		return fail_part(&ch->malformed, "SSLv2 ClientHello trailing bytes");
	return true;
}

bool sti_tls_parse_client_hello_v2(const uint8_t *msg, size_t len,
				   struct sti_client_hello *out)
{
	struct sti_rd r = sti_rd_init(msg, len);
	bool ok;

	clear_hello(out);
	out->sslv2_format = true;
	ok = v2_read_body(&r, out);
	ch_finish(out);
	return ok;
}

/* ---- ServerHello ----------------------------------------------------- */

/* RFC 8446 4.1.3: SHA-256("HelloRetryRequest"). */
static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
	0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
	0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* RFC 8446 4.1.3: "DOWNGRD" then 0x01 (chose 1.2) or 0x00 (chose <= 1.1). */
static const uint8_t downgrade_prefix[7] = { 0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44 };

/* RFC 8446 4.2.1: the server form is the one selected version. */
static bool sh_ext_versions(struct sti_rd *d, struct sti_server_hello *sh)
{
	return sti_rd_u16(d, &sh->version);
}

/* RFC 8446 4.2.8: HRR carries a NamedGroup, ServerHello a KeyShareEntry. */
static bool sh_ext_key_share(struct sti_rd *d, struct sti_server_hello *sh)
{
	struct sti_rd key;

	if (!sti_rd_u16(d, &sh->selected_group))
		return false;
	return sh->hello_retry_request || sti_rd_vec16(d, &key);
}

/* RFC 7301 3.1: the list holds exactly one protocol name. */
static bool sh_ext_alpn(struct sti_rd *d, struct sti_server_hello *sh)
{
	struct sti_rd list, name;

	if (!sti_rd_vec16(d, &list) || !sti_rd_vec8(&list, &name) ||
	    !sti_rd_empty(&list))
		return false;
	if (!copy_printable_rd(sh->alpn, sizeof(sh->alpn), name))
		sh->truncated = true;
	return true;
}

typedef bool (*sh_ext_fn)(struct sti_rd *d, struct sti_server_hello *sh);

#define SH_EXT_DECODERS(X)                                                   \
	X(STI_EXT_SUPPORTED_VERSIONS, sh_ext_versions, "supported_versions") \
	X(STI_EXT_KEY_SHARE, sh_ext_key_share, "key_share")                  \
	X(STI_EXT_ALPN, sh_ext_alpn, "alpn")

static const struct {
	uint16_t type;
	sh_ext_fn fn;
	const char *part;
} sh_ext_table[] = {
#define X(type, fn, name) { type, fn, "ServerHello " name " extension" },
	SH_EXT_DECODERS(X)
#undef X
};

static bool sh_decode_ext(uint16_t type, struct sti_rd data,
			  struct sti_server_hello *sh)
{
	size_t i;

	for (i = 0; i < sizeof(sh_ext_table) / sizeof(sh_ext_table[0]); i++) {
		if (sh_ext_table[i].type != type)
			continue;
		if (!sh_ext_table[i].fn(&data, sh) || !sti_rd_empty(&data))
			return fail_part(&sh->malformed, sh_ext_table[i].part);
		return true;
	}
	return true;
}

static bool sh_read_extensions(struct sti_rd *r, struct sti_server_hello *sh)
{
	struct sti_rd exts, data;
	uint16_t type;

	if (!sti_rd_vec16(r, &exts))
		return fail_part(&sh->malformed, "ServerHello extensions length");
	while (!sti_rd_empty(&exts)) {
		if (!sti_rd_u16(&exts, &type) || !sti_rd_vec16(&exts, &data))
			return fail_part(&sh->malformed, "ServerHello extension length");
		sh->exts_total++;
		if (sh->nexts < STI_HELLO_MAX_EXTS)
			sh->exts[sh->nexts++] = type;
		else
			sh->truncated = true;
		if (!sh_decode_ext(type, data, sh))
			return false;
	}
	if (!sti_rd_empty(r))
		return fail_part(&sh->malformed, "ServerHello trailing bytes");
	return true;
}

static bool sh_read_random(struct sti_rd *r, struct sti_server_hello *sh)
{
	struct sti_rd rnd;
	uint8_t whole[32], tail[7], last;

	if (!sti_rd_sub(r, sizeof(whole), &rnd) ||
	    !sti_rd_copy(&rnd, whole, sizeof(whole)))
		return false;
	sh->hello_retry_request = memcmp(whole, hrr_random, sizeof(whole)) == 0;
	/* Re-read the last 8 bytes for the downgrade sentinel. */
	rnd = sti_rd_init(whole, sizeof(whole));
	if (!sti_rd_skip(&rnd, 24) || !sti_rd_copy(&rnd, tail, sizeof(tail)) ||
	    !sti_rd_u8(&rnd, &last))
		return false;
	sh->downgrade_sentinel =
		memcmp(tail, downgrade_prefix, sizeof(tail)) == 0 && last <= 0x01;
	return true;
}

static bool sh_read_body(struct sti_rd *r, struct sti_server_hello *sh)
{
	struct sti_rd sid;
	bool early_draft;

	if (!sti_rd_u16(r, &sh->legacy_version))
		return fail_part(&sh->malformed, "ServerHello version");
	sh->version = sh->legacy_version;
	if (!sh_read_random(r, sh))
		return fail_part(&sh->malformed, "ServerHello random");
	/* TLS 1.3 drafts before -22 had no session id and no compression. */
	early_draft = (sh->legacy_version >> 8) == 0x7f && (sh->legacy_version & 0xff) < 22;
	if (!early_draft && (!sti_rd_vec8(r, &sid) || sti_rd_left(&sid) > 32))
		return fail_part(&sh->malformed, "ServerHello session_id");
	if (!sti_rd_u16(r, &sh->cipher))
		return fail_part(&sh->malformed, "ServerHello cipher_suite");
	if (!early_draft && !sti_rd_u8(r, &sh->compression))
		return fail_part(&sh->malformed, "ServerHello compression_method");
	if (sti_rd_empty(r))
		return true;
	return sh_read_extensions(r, sh);
}

bool sti_tls_parse_server_hello(const uint8_t *body, size_t len,
				struct sti_server_hello *out)
{
	struct sti_rd r = sti_rd_init(body, len);

	sti_server_hello_init(out, out->exts);
	return sh_read_body(&r, out);
}

void sti_server_hello_init(struct sti_server_hello *sh, uint16_t exts[STI_HELLO_MAX_EXTS])
{
	memset(sh, 0, sizeof(*sh));
	sh->exts = exts;
}
