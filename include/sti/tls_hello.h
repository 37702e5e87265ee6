/*
 * tls_hello.h - pure parsers for complete TLS handshake message bodies:
 * ClientHello, ServerHello (and HelloRetryRequest), Certificate; and the
 * JA3/JA3S/JA4 fingerprints of the hellos.
 *
 * Each parser takes the body of one handshake message (after the 4-byte
 * handshake header), reads it only through sti_rd, and fills a struct (a
 * ClientHello's lists go to the room given with sti_client_hello_init):
 * lists are capped, and `*_truncated` flags say when a cap was hit.
 * A parser returns false when the body is malformed; what was read before
 * the fault is still filled in and `malformed` names the part.
 */
#ifndef STI_TLS_HELLO_H
#define STI_TLS_HELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Wire versions (RFC 8446 4.2.1 and earlier). */
#define STI_SSL3 0x0300
#define STI_TLS10 0x0301
#define STI_TLS11 0x0302
#define STI_TLS12 0x0303
#define STI_TLS13 0x0304

#define STI_HELLO_MAX_CIPHERS 128
#define STI_HELLO_MAX_EXTS 64
#define STI_HELLO_MAX_VERSIONS 16
#define STI_HELLO_MAX_GROUPS 32
#define STI_HELLO_MAX_SIGALGS 32
#define STI_HELLO_MAX_ALPN 8
#define STI_HELLO_NAME_MAX 256
#define STI_HELLO_ALPN_MAX 32

/* Extension types the parsers decode (RFC 8446 4.2 and the RFCs named). */
#define STI_EXT_SERVER_NAME 0x0000          /* RFC 6066 3 */
#define STI_EXT_SUPPORTED_GROUPS 0x000a     /* RFC 8422 5.1.1, RFC 8446 4.2.7 */
#define STI_EXT_EC_POINT_FORMATS 0x000b     /* RFC 8422 5.1.2 */
#define STI_EXT_SIGNATURE_ALGORITHMS 0x000d /* RFC 8446 4.2.3 */
#define STI_EXT_ALPN 0x0010                 /* RFC 7301 3.1 */
#define STI_EXT_SUPPORTED_VERSIONS 0x002b   /* RFC 8446 4.2.1 */
#define STI_EXT_KEY_SHARE 0x0033            /* RFC 8446 4.2.8 */

#define STI_HELLO_MAX_POINT_FORMATS 8
#define STI_HELLO_MAX_KEY_SHARES 8

/*
 * Lists the fingerprints need verbatim (ciphers, exts, groups, point formats,
 * sigalgs) keep GREASE values in wire order; the derived lists (versions,
 * key_share_groups) leave GREASE out. Counts `n*` are entries stored.
 *
 * The lists live elsewhere: while a hello is parsed, in a struct
 * sti_client_hello_room its owner gave with sti_client_hello_init (the
 * parsers write through the pointers); in a settled copy of the TLS facts
 * (sti_tls_facts_settle), in the copy's own allocation, exactly as long as
 * the counts (NULL when empty). `sni` is always a string ("" for none).
 */
struct sti_client_hello {
	/* (Ordered so that the small fields fill the words beside the
	 * counts: a settled session keeps the first hello.) */
	uint16_t *versions;           /* supported_versions, wire order, GREASE excluded */
	unsigned nversions;
	uint16_t legacy_version;
	uint16_t max_version;         /* highest offered, GREASE excluded */
	bool has_supported_versions;
	bool sslv2_format;            /* SSLv2-compatible ClientHello */
	unsigned sslv2_specs;         /* SSLv2-only 3-byte cipher specs (not in ciphers[]) */
	uint16_t *ciphers;            /* wire order, GREASE included */
	unsigned nciphers;            /* entries stored */
	unsigned ciphers_total;       /* entries on the wire */
	uint16_t *exts;               /* extension types, wire order */
	unsigned nexts, exts_total;
	uint16_t *groups;             /* supported_groups */
	unsigned ngroups;
	unsigned nkey_shares;         /* of key_share_groups */
	uint8_t *ec_point_formats;
	unsigned npoint_formats;
	unsigned alpn0_len;           /* raw length of the first ALPN name */
	uint16_t *sigalgs;            /* signature_algorithms */
	unsigned nsigalgs;
	uint8_t alpn0_ends[2];        /* the first ALPN name's raw first and
					 last byte (JA4) */
	char *sni;                    /* server_name host_name, printable only,
					 at most STI_HELLO_NAME_MAX with its NUL */
	uint16_t *key_share_groups;   /* groups with a key share */
	char (*alpn)[STI_HELLO_ALPN_MAX]; /* printable only */
	unsigned nalpn;
	/* Offer quality, for the verdict: */
	bool offers_tls13_suites;     /* 0x1301..0x1305 */
	bool offers_aead;             /* any AES-GCM / ChaCha20 / CCM suite */
	bool only_legacy_ciphers;     /* at least one suite, and nothing but RC4,
					 3DES, NULL, EXPORT, DES, RC2, IDEA (GREASE
					 and SCSVs aside) */
	bool truncated;               /* a cap was hit */
	const char *malformed;        /* NULL, or the part that did not parse */
};

/* Room for the lists of one ClientHello at their caps. */
struct sti_client_hello_room {
	uint16_t versions[STI_HELLO_MAX_VERSIONS];
	uint16_t ciphers[STI_HELLO_MAX_CIPHERS];
	uint16_t exts[STI_HELLO_MAX_EXTS];
	uint16_t groups[STI_HELLO_MAX_GROUPS];
	uint16_t sigalgs[STI_HELLO_MAX_SIGALGS];
	uint16_t key_share_groups[STI_HELLO_MAX_KEY_SHARES];
	uint8_t ec_point_formats[STI_HELLO_MAX_POINT_FORMATS];
	char sni[STI_HELLO_NAME_MAX];
	char alpn[STI_HELLO_MAX_ALPN][STI_HELLO_ALPN_MAX];
};

/* An empty hello whose lists are in room: what the parsers below need in
 * *out. The room need not be zeroed, and a parser may reuse it: the lists
 * are read only up to their counts. */
void sti_client_hello_init(struct sti_client_hello *ch, struct sti_client_hello_room *room);

/*
 * Its extension list lives elsewhere, as a client hello's lists do: while
 * parsed, in the room given to sti_server_hello_init; in a settled copy
 * of the TLS facts, exactly as long as nexts (NULL when empty).
 */
struct sti_server_hello {
	uint16_t legacy_version;
	uint16_t version;             /* negotiated: supported_versions if present */
	uint16_t cipher;
	uint8_t compression;
	bool hello_retry_request;     /* RFC 8446 4.1.3 special random */
	bool downgrade_sentinel;      /* RFC 8446 4.1.3: random ends in "DOWNGRD":
					 the server can do more than it chose */
	uint16_t *exts;               /* extension types, wire order */
	unsigned nexts, exts_total;
	uint16_t selected_group;      /* key_share / HRR selected group, 0 if none */
	char alpn[STI_HELLO_ALPN_MAX];   /* printable only */
	bool truncated;
	const char *malformed;
};

#define STI_CERT_NAME_MAX 256
#define STI_CERT_MAX_SANS 16

/*
 * Strings are NUL-terminated, cut to fit (`truncated` set), with bytes
 * outside printable ASCII replaced by '?'. A message with an empty list
 * (a client without a certificate) parses with chain_len 0, parsed false.
 */
struct sti_cert_info {
	unsigned chain_len;           /* certificates in the message */
	bool parsed;                  /* the leaf decoded as X.509 */
	char subject_cn[STI_CERT_NAME_MAX];
	char issuer_cn[STI_CERT_NAME_MAX];
	char subject[STI_CERT_NAME_MAX];   /* one-line RFC 2253 form */
	char issuer[STI_CERT_NAME_MAX];
	char sans[STI_CERT_MAX_SANS][STI_CERT_NAME_MAX]; /* DNS names */
	unsigned nsans;
	int64_t not_before, not_after;     /* seconds since the epoch (UTC); 0 if undecodable */
	bool self_signed;                  /* subject == issuer and signature verifies with
					      own key (false when the key cannot be loaded) */
	char key_type[16];                 /* "RSA", "RSA-PSS", "EC", "DSA", "Ed25519", "Ed448";
					      "unknown" for keys libcrypto cannot load */
	int key_bits;                      /* 0 when unknown */
	char sha256[65];                   /* of the leaf DER, lowercase hex */
	bool truncated;
	const char *malformed;
};

/* An empty hello whose extension list is in exts (not zeroed: read only
 * up to nexts): what sti_tls_parse_server_hello needs in *out. */
void sti_server_hello_init(struct sti_server_hello *sh, uint16_t exts[STI_HELLO_MAX_EXTS]);

/* out was set up by sti_client_hello_init. */
bool sti_tls_parse_client_hello(const uint8_t *body, size_t len,
				struct sti_client_hello *out);
/* The SSLv2-compatible form (RFC 5246 E.2): the record after its 2-byte header. */
bool sti_tls_parse_client_hello_v2(const uint8_t *msg, size_t len,
				   struct sti_client_hello *out);
/* Also HelloRetryRequest, and the TLS 1.3 draft (0x7f00..0x7f15) layout
 * without session id and compression. out was set up by
 * sti_server_hello_init. */
bool sti_tls_parse_server_hello(const uint8_t *body, size_t len,
				struct sti_server_hello *out);
/* tls_version selects the TLS 1.3 form (request context, per-entry extensions). */
bool sti_tls_parse_certificate(const uint8_t *body, size_t len,
			       uint16_t tls_version, struct sti_cert_info *out);

/* GREASE values, RFC 8701: 0x?a?a with both bytes equal. */
static inline bool sti_tls_is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/*
 * "ssl2", "ssl3", "1.0", "1.1", "1.2", "1.3" (static strings); anything else
 * is formatted "0x7f1c" style into buf, which is then returned.
 */
const char *sti_tls_version_name(uint16_t v, char *buf, size_t len);
/* The same for a sentence: "TLS 1.2", "SSL 3.0", "SSL 2.0", "none" for 0. */
const char *sti_tls_version_text(uint16_t v, char *buf, size_t len);

/*
 * An order on versions: 0 for unknown and GREASE, then SSL 2 < SSL 3 < 1.0 <
 * 1.1 < 1.2 < TLS 1.3 drafts and experiments (0x7fxx, 0x7e01, fizz 0xfbxx)
 * < 1.3. Raw numbers do not order (0x7f1c > 0x0304).
 */
unsigned sti_tls_version_rank(uint16_t v);

/*
 * The versions a ClientHello offers, highest first, without repeats or
 * GREASE: its supported_versions, else its legacy version. Writes at most
 * STI_HELLO_MAX_VERSIONS into out; returns how many.
 */
unsigned sti_tls_offered_versions(const struct sti_client_hello *ch,
				  uint16_t out[STI_HELLO_MAX_VERSIONS]);

/* IANA name of a cipher suite ("TLS_AES_128_GCM_SHA256"), or NULL. */
const char *sti_tls_cipher_name(uint16_t suite);
/* "x25519", "secp256r1"...: the IANA name of a supported group, or NULL. */
const char *sti_tls_group_name(uint16_t group);
/* The cipher's IANA name, else "0x1302" style, into buf. */
const char *sti_tls_cipher_text(uint16_t suite, char *buf, size_t len);

/*
 * Copy n bytes into dst (capacity cap, always NUL-terminated when cap > 0),
 * replacing bytes outside 0x20..0x7e by '?'. Returns false when cut short.
 */
bool sti_tls_copy_printable(char *dst, size_t cap, const uint8_t *src, size_t n);

/*
 * JA3 (the string and its MD5), JA3S, and JA4 (the a_b_c form). They are
 * computed from the stored lists, so a hello that hit a cap (`truncated`)
 * gives a fingerprint of its first STI_HELLO_MAX_* entries only, and an
 * SSLv2-format hello contributes only its TLS-form cipher specs.
 */
#define STI_JA3_STR_MAX 2048
void sti_ja3_string(const struct sti_client_hello *ch, char *out, size_t len);
void sti_ja3_hash(const struct sti_client_hello *ch, char out[33]);
void sti_ja3s_hash(const struct sti_server_hello *sh, char out[33]);
/* FoxIO JA4 (BSD part), transport 't' for TCP; out is 36 chars + NUL. */
void sti_ja4(const struct sti_client_hello *ch, char out[40]);
/*
 * The same, computed once per distinct hello: a small cache keyed by
 * everything the fingerprints read (reporters call these per session).
 */
void sti_tls_client_fp(const struct sti_client_hello *ch, char ja3[33], char ja4[40]);
void sti_tls_server_fp(const struct sti_server_hello *sh, char ja3s[33]);

#endif /* STI_TLS_HELLO_H */
