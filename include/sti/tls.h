/*
 * tls.h - the incremental TLS record and handshake layer.
 *
 * One `struct sti_tls` per session. The glue feeds each direction's bytes
 * (STI_C2S, STI_S2C) from the first TLS byte on, in
 * capture order and in pieces of any size; the layer frames records
 * (RFC 8446 5.1, RFC 5246 6.2), reassembles handshake messages across
 * records and feeds (RFC 8446 4), hands complete ClientHello, ServerHello
 * and Certificate bodies to the parsers of tls_hello.h, follows each side's
 * encryption state, and keeps what it saw as facts with frame numbers.
 *
 * Memory is one fixed allocation per session (sti_tls_new), its shared
 * certificates (tls_certcache.h) and one handshake buffer per direction,
 * allocated on first need, grown to the largest message seen and never past
 * STI_TLS_HS_CAP; it is released once that direction is encrypted or dead.
 * Record bodies other than cleartext handshake, alert and ChangeCipherSpec
 * are skipped, never copied. Feeding one byte at a time gives the same facts
 * and events as feeding whole segments. Once nothing can change the facts
 * (sti_tls_settled_both), a copy sized by what arrived can replace the
 * parser (sti_tls_facts_settle).
 *
 * Frames are the capture's 1-based numbers (Wireshark's); 0 means "none".
 * A record or handshake message is dated by the frame that carried its last
 * byte, as Wireshark shows a reassembled PDU.
 *
 * Encryption, per direction (RFC 5246 7.1, RFC 8446 2 and D.4):
 *   TLS <= 1.2: after that side's ChangeCipherSpec.
 *   TLS 1.3 (the ServerHello's negotiated version 0x0304 or a draft):
 *   the server from the record after its ServerHello; the client from its
 *   first CCS or type-23 record after that ServerHello was seen. A CCS
 *   after a HelloRetryRequest and before the real ServerHello means nothing.
 * Alerts: a 2-byte type-21 record from a side in clear, or under TLS 1.3
 * (whose ciphertext is always type 23), is a cleartext alert; any other
 * type-21 record is an encrypted alert, recorded with its length. TLS 1.3
 * encrypted alerts are type-23 records: see the per-direction tail.
 *
 * Established:
 *   TLS <= 1.2 or unknown: both sides sent an encrypted handshake record
 *   after their CCS (their Finished), or application data flowed both ways
 *   (a capture that began after the handshake).
 *   TLS 1.3: the client's Finished (its first type-23 record after the
 *   server's encrypted flight that is at least as long as the smallest
 *   Finished for the negotiated suite's hash; a shorter one is an encrypted
 *   alert, however padded: GnuTLS and JSSE reject a certificate that way),
 *   then a record longer than an alert each way. A TLS 1.3 server
 *   can still reject the client's certificate after that point: look at
 *   appdata_after_est and the server's tail before trusting it.
 */
#ifndef STI_TLS_H
#define STI_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sti/dir.h"
#include "sti/tls_certcache.h"
#include "sti/tls_hello.h"
#include "sti/tls_trust.h"

/* RFC 8446 5.1: ContentType. */
#define STI_TLS_CT_CHANGE_CIPHER_SPEC 20
#define STI_TLS_CT_ALERT 21
#define STI_TLS_CT_HANDSHAKE 22
#define STI_TLS_CT_APPLICATION_DATA 23
#define STI_TLS_CT_HEARTBEAT 24 /* RFC 6520 */
#define STI_TLS_CT_COUNT 5      /* index = type - 20 */

/* RFC 5246 6.2.3: TLSCiphertext.length <= 2^14 + 2048. */
#define STI_TLS_MAX_RECORD (16384 + 2048)
/* The largest handshake message kept whole; bigger ones are truncated. */
#define STI_TLS_HS_CAP 65536u
#define STI_TLS_MAX_ALERTS 8
/* Records remembered per direction, the latest last, for "what came right
 * before the close" (an encrypted alert is a short record). */
#define STI_TLS_TAIL 4
/* Printable sample of a direction that did not speak TLS. */
#define STI_TLS_SAMPLE_MAX 48
#define STI_TLS_REASON_MAX 48
#define STI_TLS_NOTE_MAX 112

/*
 * Handshake types, RFC 8446 4 and RFC 5246 7.4 (and RFC 6066 for 21, 22):
 * name, wire value, printable name. One table gives the enum, the per-
 * direction index and the names.
 */
#define STI_TLS_HS_TYPES(X)                                             \
	X(HELLO_REQUEST, 0, "hello_request")                            \
	X(CLIENT_HELLO, 1, "client_hello")                              \
	X(SERVER_HELLO, 2, "server_hello")                              \
	X(NEW_SESSION_TICKET, 4, "new_session_ticket")                  \
	X(END_OF_EARLY_DATA, 5, "end_of_early_data")                    \
	X(ENCRYPTED_EXTENSIONS, 8, "encrypted_extensions")              \
	X(CERTIFICATE, 11, "certificate")                               \
	X(SERVER_KEY_EXCHANGE, 12, "server_key_exchange")               \
	X(CERTIFICATE_REQUEST, 13, "certificate_request")               \
	X(SERVER_HELLO_DONE, 14, "server_hello_done")                   \
	X(CERTIFICATE_VERIFY, 15, "certificate_verify")                 \
	X(CLIENT_KEY_EXCHANGE, 16, "client_key_exchange")               \
	X(FINISHED, 20, "finished")                                     \
	X(CERTIFICATE_URL, 21, "certificate_url")                       \
	X(CERTIFICATE_STATUS, 22, "certificate_status")                 \
	X(KEY_UPDATE, 24, "key_update")                                 \
	X(MESSAGE_HASH, 254, "message_hash")

enum sti_tls_hs_type {
#define STI_TLS_X_ENUM(name, val, str) STI_TLS_HS_##name = val,
	STI_TLS_HS_TYPES(STI_TLS_X_ENUM)
#undef STI_TLS_X_ENUM
};

/* Dense index of the types above (struct sti_tls_hs_seen). */
enum sti_tls_hs_index {
#define STI_TLS_X_IDX(name, val, str) STI_TLS_HSI_##name,
	STI_TLS_HS_TYPES(STI_TLS_X_IDX)
#undef STI_TLS_X_IDX
	STI_TLS_HSI_COUNT
};

/* Alert descriptions, RFC 8446 6 and RFC 5246 7.2 (and RFC 6066, 7301). */
#define STI_TLS_ALERTS(X)                                               \
	X(CLOSE_NOTIFY, 0, "close_notify")                              \
	X(UNEXPECTED_MESSAGE, 10, "unexpected_message")                 \
	X(BAD_RECORD_MAC, 20, "bad_record_mac")                         \
	X(DECRYPTION_FAILED, 21, "decryption_failed")                   \
	X(RECORD_OVERFLOW, 22, "record_overflow")                       \
	X(DECOMPRESSION_FAILURE, 30, "decompression_failure")           \
	X(HANDSHAKE_FAILURE, 40, "handshake_failure")                   \
	X(NO_CERTIFICATE, 41, "no_certificate")                         \
	X(BAD_CERTIFICATE, 42, "bad_certificate")                       \
	X(UNSUPPORTED_CERTIFICATE, 43, "unsupported_certificate")       \
	X(CERTIFICATE_REVOKED, 44, "certificate_revoked")               \
	X(CERTIFICATE_EXPIRED, 45, "certificate_expired")               \
	X(CERTIFICATE_UNKNOWN, 46, "certificate_unknown")               \
	X(ILLEGAL_PARAMETER, 47, "illegal_parameter")                   \
	X(UNKNOWN_CA, 48, "unknown_ca")                                 \
	X(ACCESS_DENIED, 49, "access_denied")                           \
	X(DECODE_ERROR, 50, "decode_error")                             \
	X(DECRYPT_ERROR, 51, "decrypt_error")                           \
	X(EXPORT_RESTRICTION, 60, "export_restriction")                 \
	X(PROTOCOL_VERSION, 70, "protocol_version")                     \
	X(INSUFFICIENT_SECURITY, 71, "insufficient_security")           \
	X(INTERNAL_ERROR, 80, "internal_error")                         \
	X(INAPPROPRIATE_FALLBACK, 86, "inappropriate_fallback")         \
	X(USER_CANCELED, 90, "user_canceled")                           \
	X(NO_RENEGOTIATION, 100, "no_renegotiation")                    \
	X(MISSING_EXTENSION, 109, "missing_extension")                  \
	X(UNSUPPORTED_EXTENSION, 110, "unsupported_extension")          \
	X(CERTIFICATE_UNOBTAINABLE, 111, "certificate_unobtainable")    \
	X(UNRECOGNIZED_NAME, 112, "unrecognized_name")                  \
	X(BAD_CERTIFICATE_STATUS_RESPONSE, 113,                         \
	  "bad_certificate_status_response")                            \
	X(BAD_CERTIFICATE_HASH_VALUE, 114, "bad_certificate_hash_value") \
	X(UNKNOWN_PSK_IDENTITY, 115, "unknown_psk_identity")            \
	X(CERTIFICATE_REQUIRED, 116, "certificate_required")            \
	X(NO_APPLICATION_PROTOCOL, 120, "no_application_protocol")

enum sti_tls_alert_desc {
#define STI_TLS_X_ALERT(name, val, str) STI_TLS_ALERT_##name = val,
	STI_TLS_ALERTS(STI_TLS_X_ALERT)
#undef STI_TLS_X_ALERT
};

#define STI_TLS_ALERT_WARNING 1
#define STI_TLS_ALERT_FATAL 2

struct sti_tls_alert {
	enum sti_dir from;   /* the side that sent it */
	bool encrypted;      /* level/desc unknown (unless decrypted); length
				says how big */
	bool decrypted;      /* encrypted on the wire, read with --keylog:
				level and desc are real */
	uint8_t level;       /* cleartext only */
	uint8_t desc;        /* cleartext only */
	uint16_t length;     /* record length */
	uint64_t frame;
	int64_t ts_us;
};

/* One record, for the per-direction tail. */
struct sti_tls_rec {
	uint8_t type;        /* content type */
	uint16_t length;
	uint64_t frame;
};

/* A handshake type seen in one direction: which (enum sti_tls_hs_index),
 * how often, first frame. */
struct sti_tls_hs_seen {
	uint32_t count;
	uint8_t index;
	uint64_t first_frame;
};

struct sti_tls_dir_facts {
	uint64_t bytes;                 /* bytes fed */
	uint64_t records;               /* complete records */
	uint64_t by_type[STI_TLS_CT_COUNT]; /* [type - 20] */
	uint64_t first_frame, last_frame;   /* of complete records */
	int64_t first_ts, last_ts;
	/* Cleartext handshake messages of the listed types (frame of the
	 * last byte), one entry per type seen, in the order first seen: read
	 * them through sti_tls_hs_get. They are in the parser's room or in a
	 * settled copy, which keeps nhs of them. */
	struct sti_tls_hs_seen *hs;
	uint32_t hs_other;              /* messages of a type not listed */
	uint8_t nhs;
	/* (The small fields share words: a settled session keeps these.) */
	bool encrypted;                 /* later records are ciphertext */
	uint16_t sslv2_version;         /* SSLv2 SERVER-HELLO's version (see
					   sslv2) */
	uint64_t ccs_frame;             /* first ChangeCipherSpec */
	uint64_t encrypted_frame;       /* the record that made it encrypted */
	/* TLS <= 1.2: the first encrypted handshake record after this side's
	 * CCS, which is its Finished. TLS 1.3: the first type-23 record that
	 * counted as this side's encrypted flight (server) or Finished
	 * (client), see `established`. */
	uint64_t finished_frame;
	uint64_t appdata_first_frame;   /* first type-23 record */
	uint64_t appdata_after_est;     /* type-23 records after established */
	/* First record that can carry application data (an SMTP command or
	 * reply): TLS <= 1.2 any type-23 record; TLS 1.3 a record longer than
	 * an encrypted alert after the client's Finished. 0 none. */
	uint64_t data_frame;
	struct sti_tls_rec tail[STI_TLS_TAIL]; /* last records, oldest first */
	unsigned ntail;
	bool hs_cut;                    /* a handshake message was cut short
					   by a CCS or oversize */
	bool mid_record;                /* bytes of an unfinished record are
					   pending (true at capture end =
					   truncated) */
	/* Why parsing stopped, if it did. */
	bool malformed;
	bool not_tls;                   /* the first bytes were not TLS */
	/* Strings in the parser's room or in a settled copy, as long as
	 * they are there: */
	char *reason;                   /* < STI_TLS_REASON_MAX, e.g.
					   "record type 0x47" */
	uint64_t malformed_frame;       /* also set when not_tls */
	char *sample;                   /* not_tls: printable, '.' for others;
					   at most STI_TLS_SAMPLE_MAX characters */
	bool gap;                       /* capture gap: parsing stopped */
	bool sslv2;                     /* spoke SSLv2 beyond a compatible
					   ClientHello: not parsed further */
	uint64_t gap_frame;
	uint64_t gap_len;               /* bytes missing (first gap) */
	uint64_t sslv2_frame;           /* SSLv2 SERVER-HELLO's frame */
};

struct sti_tls_facts {
	struct sti_tls_dir_facts dir[2];

	/* The hellos' lists, the second ClientHello, the handshake entries,
	 * the alerts, the reasons, samples and the decryption note are in the
	 * parser's room (struct sti_tls_facts_room), or in a settled copy's
	 * own allocation (sti_tls_facts_settle). The flags first, sharing a
	 * word (a settled session keeps these facts). */
	bool have_ch;                   /* the first ClientHello (ch) */
	bool have_ch2;                  /* the one after an HRR (ch2) */
	bool have_hrr;                  /* HelloRetryRequest (hrr) */
	bool have_sh;                   /* the first real ServerHello (sh) */
	bool established;               /* see established_frame */
	uint16_t version;               /* negotiated: sh.version, 0x0002 for an
					   SSLv2 SERVER-HELLO, 0 unknown */
	uint64_t ch_frame;
	struct sti_client_hello ch;
	/* The ClientHello after an HRR; never NULL (without one, an empty
	 * hello). A settled copy keeps of it only what is read once the
	 * handshake is over, and only when there was one: everything but its
	 * lists (the ladder reads those as it arrives), which are empty there. */
	uint64_t ch2_frame;
	struct sti_client_hello *ch2;
	uint64_t hrr_frame;
	/* Read only when have_hrr (a settled copy without one has NULL). */
	struct sti_server_hello *hrr;
	uint64_t sh_frame;
	struct sti_server_hello sh;

	/* The first Certificate of each side, decoded, shared with other
	 * sessions that sent the same (tls_certcache.h); the server's with
	 * its chain verified (SPEC 9.2). NULL: none was seen (or there was no
	 * memory to decode it). Released by sti_tls_free. */
	uint64_t server_cert_frame;
	const struct sti_tls_cert *server_cert;
	uint64_t client_cert_frame;
	const struct sti_tls_cert *client_cert;

	struct sti_tls_alert *alerts;   /* the first ones, nalerts of them */
	unsigned nalerts;               /* stored */
	unsigned alerts_total;          /* seen */

	uint64_t established_frame;
	int64_t established_ts;

	/* --keylog (SPEC 9.3). `decrypt` says how far it got; the note says
	 * why it stopped (no entry, a missing secret, a record that did not
	 * open). Only handshake messages and alerts are read; application
	 * data is opened to follow the keys and then forgotten. */
	enum sti_tls_decrypt_state {
		STI_TLS_DEC_NONE,       /* no key log, or no ClientHello */
		STI_TLS_DEC_NO_KEYS,    /* the key log has nothing for it */
		STI_TLS_DEC_MATCHED,    /* keys found, no protected record yet */
		STI_TLS_DEC_PARTIAL,    /* some records opened, then a failure */
		STI_TLS_DEC_FAILED,     /* keys found, nothing opened */
		STI_TLS_DEC_OK          /* every protected record read opened */
	} decrypt;
	uint8_t client_random[32];      /* the ClientHello's, with a key log */
	uint32_t decrypted_records[2];
	uint32_t decrypt_failures[2];
	char *decrypt_note;             /* a string, < STI_TLS_NOTE_MAX */
};

/* Room for what the facts point to, at its caps: the parser's, or that of
 * facts built outside a parser (a replay, a test). */
struct sti_tls_facts_room {
	struct sti_client_hello_room ch[2];     /* ch's and ch2's lists */
	struct sti_client_hello ch2;
	struct sti_tls_hs_seen hs[2][STI_TLS_HSI_COUNT];
	struct sti_server_hello hrr;
	uint16_t sh_exts[STI_HELLO_MAX_EXTS], hrr_exts[STI_HELLO_MAX_EXTS];
	struct sti_tls_alert alerts[STI_TLS_MAX_ALERTS];
	char reason[2][STI_TLS_REASON_MAX];
	char sample[2][STI_TLS_SAMPLE_MAX + 1];
	char decrypt_note[STI_TLS_NOTE_MAX];
};

/* Events, in the order things happened, for the ladder diagram. A message
 * that ends before its record does is reported before that record. */
enum sti_tls_ev_kind {
	STI_TLS_EV_RECORD,      /* a whole record: type, length */
	STI_TLS_EV_HANDSHAKE,   /* a cleartext handshake message: type,
				   length */
	STI_TLS_EV_SSLV2_HELLO, /* SSLv2 CLIENT-HELLO (1) or SERVER-HELLO (4) */
	STI_TLS_EV_ALERT,       /* level, desc (cleartext) or encrypted */
	STI_TLS_EV_ENCRYPTED,   /* this direction is ciphertext from here */
	STI_TLS_EV_ESTABLISHED, /* the handshake completed */
	STI_TLS_EV_STOPPED      /* parsing stopped: text names why */
};

struct sti_tls_ev {
	enum sti_tls_ev_kind kind;
	enum sti_dir dir;
	uint64_t frame;
	int64_t ts_us;
	uint8_t type;           /* content type or handshake type */
	uint32_t length;
	bool encrypted;
	bool decrypted;         /* read with a key log */
	uint8_t level, desc;    /* alerts */
	const char *text;       /* STOPPED: reason; valid during the call */
};

typedef void (*sti_tls_sink)(void *ctx, const struct sti_tls_ev *ev);

/* Empty facts whose lists and text are in room (zeroed too). */
void sti_tls_facts_init(struct sti_tls_facts *f, struct sti_tls_facts_room *room);

/* One session's parser: private to the layer (src/tls_impl.h). */
struct sti_tls;
struct sti_keylog;

/* A parser with nothing fed yet; NULL without memory. */
struct sti_tls *sti_tls_new(void);
/* The parser, its handshake buffers and its decryption state. */
void sti_tls_free(struct sti_tls *t);
/* Optional: events go to sink(ctx, ev) as they happen. */
void sti_tls_set_sink(struct sti_tls *t, sti_tls_sink sink, void *ctx);

/* Optional: a key log (tls_keylog.h) to read the encrypted handshake and
 * alerts of a session whose ClientHello random it lists (SPEC 9.3). */
void sti_tls_set_keylog(struct sti_tls *t, struct sti_keylog *kl);
/* Optional: certificates are decoded through this cache, shared by the
 * run's sessions. It may be freed before the parsers: the entries they
 * hold stay until sti_tls_free. Without one each session decodes its own. */
void sti_tls_set_certcache(struct sti_tls *t, struct sti_certcache *cc);
const char *sti_tls_decrypt_state_name(enum sti_tls_decrypt_state s);

/* Bytes of direction dir, carried by `frame` captured at ts_us. */
void sti_tls_feed(struct sti_tls *t, enum sti_dir dir, const uint8_t *p, size_t n,
		  uint64_t frame, int64_t ts_us);
/*
 * The direction ended (FIN, RST or end of capture). Under TLS 1.3 an
 * alert-sized record that nothing followed is then counted as an
 * encrypted alert: a KeyUpdate is the same size, but data follows it.
 */
void sti_tls_end(struct sti_tls *t, enum sti_dir dir);
/* A capture gap: resynchronisation is not attempted, the direction stops. */
void sti_tls_gap(struct sti_tls *t, enum sti_dir dir, uint64_t len, uint64_t frame);

/*
 * Whether the glue may stop payload for dir (sti_session_stop_payload).
 * Conservative, so that the verdict still sees an encrypted alert sent right
 * after the handshake seemed to complete (TLS 1.3 servers reject client
 * certificates after the client's Finished). A direction is settled when:
 *   - parsing it stopped: malformed, not TLS (once the sample is taken),
 *     a capture gap, or SSLv2 beyond the hello; or
 *   - the handshake is established and this direction has sent at least
 *     STI_TLS_SETTLE_RECORDS application-data records after that, and so has
 *     the other one (the peer kept talking, so neither rejected the other);
 *   - or the handshake is established and this direction alone has sent
 *     STI_TLS_SETTLE_ONE_SIDED such records (a one-way bulk transfer).
 * A failed or undecided handshake never settles: its records are few.
 */
#define STI_TLS_SETTLE_RECORDS 2
#define STI_TLS_SETTLE_ONE_SIDED 64
bool sti_tls_settled(const struct sti_tls *t, enum sti_dir dir);

const struct sti_tls_facts *sti_tls_facts(const struct sti_tls *t);

/*
 * Both directions are settled and ending them (sti_tls_end) would add
 * nothing: once the glue feeds neither direction any more (it stopped
 * their payload), the facts are final and may be settled.
 */
bool sti_tls_settled_both(const struct sti_tls *t);
/*
 * A copy of the facts in one allocation, each list exactly as long as
 * its count (the alerts, the handshake entries, the first ClientHello's
 * lists) and each text as long as its string (the hellos' names, each
 * direction's reason and sample, the decryption note), that holds
 * its own references to the certificates: it outlives the parser. The
 * second ClientHello's lists are left out (see have_ch2). NULL without
 * memory. Free with sti_tls_facts_free.
 */
struct sti_tls_facts *sti_tls_facts_settle(const struct sti_tls_facts *f);
/* The bytes that copy takes. */
size_t sti_tls_facts_settled_size(const struct sti_tls_facts *f);
void sti_tls_facts_free(struct sti_tls_facts *f);

/*
 * The compact form of settled facts (src/tls_pack.c), for a session that
 * stays open after its handshake: one allocation about half the size of the
 * copy above, frames and counters narrowed to what they hold, the parts
 * most sessions never have (alerts, HelloRetryRequest, second ClientHello,
 * key log results, a stopped direction, a hello that did not parse) kept
 * only when present, and the strings pooled. It holds its own references to
 * the certificates. NULL without memory, or when a value does not fit a
 * narrowed field (a frame or counter beyond 32 bits, a wire total beyond 16
 * bits): then keep sti_tls_facts_settle's copy. Free with
 * sti_tls_packed_free.
 */
struct sti_tls_packed;
struct sti_tls_packed *sti_tls_facts_pack(const struct sti_tls_facts *f);
size_t sti_tls_packed_size(const struct sti_tls_packed *p);
void sti_tls_packed_free(struct sti_tls_packed *p);
/* Where the readers' struct is rebuilt from the compact form. */
struct sti_tls_view {
	struct sti_tls_facts facts;
	struct sti_tls_hs_seen hs[2][STI_TLS_HSI_COUNT];
};
/*
 * The facts p was made from, as the settled copy shows them (every value,
 * list and string the same; the second ClientHello without its lists),
 * rebuilt in view: its lists and strings point into p. Valid while p is
 * and until view is used again.
 */
const struct sti_tls_facts *sti_tls_packed_facts(struct sti_tls_packed *p,
						 struct sti_tls_view *view);

/* Names; NULL when the value is not assigned. */
const char *sti_tls_alert_name(uint8_t desc);
const char *sti_tls_alert_level_name(uint8_t level);
const char *sti_tls_handshake_name(uint8_t type);
const char *sti_tls_content_type_name(uint8_t type);
/* Dense index (enum sti_tls_hs_index) of a handshake type, -1 if unlisted. */
int sti_tls_hs_index(uint8_t type);
/* Messages of type index i seen in df: their count and first frame (both 0,
 * index i, when none was). */
struct sti_tls_hs_seen sti_tls_hs_get(const struct sti_tls_dir_facts *df,
				      enum sti_tls_hs_index i);
/* One more message of type index i, carried by frame, into facts whose
 * entries are in a room (the parser's, or a replay's or a test's). */
void sti_tls_hs_note(struct sti_tls_dir_facts *df, enum sti_tls_hs_index i, uint64_t frame);

#endif /* STI_TLS_H */
