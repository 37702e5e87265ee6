/*
 * smtp.h - the plaintext SMTP conversation of one session, up to STARTTLS.
 *
 * Both directions of a TCP session are fed in capture order, in pieces of
 * any size: client commands (direction 0) and server replies (direction 1).
 * The layer frames lines (CRLF or bare LF, capped), pairs pipelined
 * commands with their replies (RFC 2920), skips message content (DATA,
 * BDAT), reads the EHLO capabilities, and stops consuming a direction at the
 * exact byte where it switches to TLS, so the caller can hand the rest of
 * that chunk to the TLS layer.
 *
 * Everything it learns lands in a `struct sti_smtp_facts`; its lists
 * (notable replies, capabilities, redaction spans) and its strings (reply
 * texts, the hello name, ...) point into the parser's own fixed slots
 * while it parses, and sti_smtp_facts_settle copies the facts with only the
 * entries that arrived and only the bytes of each string. An optional callback sees one event per greeting, command, reply, message,
 * switch, gap and anomaly, in the order the bytes were fed (for a ladder
 * diagram). One allocation per session (sti_smtp_new), of a fixed size; every
 * buffer and list is capped and says so.
 *
 * Stream offsets count the bytes fed to a direction plus the gaps reported
 * for it, from the first call; when the caller starts feeding at stream
 * offset 0 they are the reassembler's offsets.
 */
#ifndef STI_SMTP_H
#define STI_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sti/dir.h"

/*
 * Caps. RFC 5321 4.5.3.1 allows 512 octets for a command line and 1000 for
 * a text line, both with CRLF; a longer line is counted as an anomaly, its
 * first STI_SMTP_LINE_MAX bytes are parsed and the rest is discarded.
 */
#define STI_SMTP_LINE_MAX 1024
#define STI_SMTP_TEXT_MAX 128    /* kept text: greeting, replies, lines */
#define STI_SMTP_NAME_MAX 128    /* EHLO/HELO argument */
#define STI_SMTP_ESC_MAX 12      /* "5.7.0" (RFC 3463 allows 3-digit parts) */
#define STI_SMTP_MECH_MAX 20     /* an AUTH mechanism's name */
#define STI_SMTP_MAX_CAPS 24
#define STI_SMTP_CAP_MAX 40      /* one capability line's text */
#define STI_SMTP_PIPE_MAX 32     /* commands awaiting their reply */
#define STI_SMTP_MAX_NOTABLE 16
#define STI_SMTP_MAX_SPANS 32

/*
 * Commands. The wire verb is matched case-insensitively; the entries with
 * a NULL verb are what the layer makes of a client line that is not a
 * verb it knows.
 */
#define STI_SMTP_CMDS(X)                                                    \
	X(NONE, NULL, "none")                                               \
	X(HELO, "HELO", "helo")                                             \
	X(EHLO, "EHLO", "ehlo")                                             \
	X(MAIL, "MAIL", "mail")                                             \
	X(RCPT, "RCPT", "rcpt")                                             \
	X(DATA, "DATA", "data")                                             \
	X(BDAT, "BDAT", "bdat")                                             \
	X(RSET, "RSET", "rset")                                             \
	X(VRFY, "VRFY", "vrfy")                                             \
	X(EXPN, "EXPN", "expn")                                             \
	X(HELP, "HELP", "help")                                             \
	X(NOOP, "NOOP", "noop")                                             \
	X(QUIT, "QUIT", "quit")                                             \
	X(STARTTLS, "STARTTLS", "starttls")                                 \
	X(AUTH, "AUTH", "auth")                                             \
	X(LHLO, "LHLO", "lhlo")            /* LMTP, RFC 2033: as EHLO */    \
	X(DATA_END, NULL, "end_of_data")   /* the ".": answered 250/5xx */  \
	X(AUTH_DATA, NULL, "auth_data")    /* a SASL response line */       \
	X(MASKED, NULL, "masked")          /* "XXXXXXXX": rewritten */      \
	X(TLS, NULL, "tls_record")         /* TLS record(s) in plaintext */ \
	X(BINARY, NULL, "binary")          /* control bytes: junk */        \
	X(OTHER, NULL, "other")            /* any other verb */

enum sti_smtp_cmd {
#define STI_SMTP_CMD_ENUM(id, verb, name) STI_SMTP_CMD_##id,
	STI_SMTP_CMDS(STI_SMTP_CMD_ENUM)
#undef STI_SMTP_CMD_ENUM
	STI_SMTP_CMD__COUNT
};

/* Things that are wrong or unusual on the wire; each is counted. */
#define STI_SMTP_ANOMALIES(X)                                                 \
	X(LINE_TOO_LONG, "line_too_long",                                     \
	  "a line longer than the 1024-byte cap; its start was parsed")       \
	X(BINARY_LINE, "binary_line",                                         \
	  "a line with control bytes: not SMTP text")                         \
	X(REPLY_WITHOUT_CODE, "reply_without_code",                           \
	  "a server line that does not start with a 3-digit reply code")      \
	X(REPLY_CODE_MISMATCH, "reply_code_mismatch",                         \
	  "the lines of one multi-line reply carry different codes")          \
	X(UNPAIRED_REPLY, "unpaired_reply",                                   \
	  "a reply with no command waiting for it")                           \
	X(PIPELINE_OVERFLOW, "pipeline_overflow",                             \
	  "more commands awaiting replies than the queue holds")              \
	X(NO_GREETING, "no_greeting",                                         \
	  "the server's first bytes are not a greeting (capture started "     \
	  "mid-session)")                                                     \
	X(CLIENT_SPOKE_FIRST, "client_spoke_first",                           \
	  "the client sent bytes before the server's first reply")            \
	X(TLS_IN_PLAINTEXT, "tls_in_plaintext",                               \
	  "a TLS record inside the plaintext SMTP session")                   \
	X(MASKED_BANNER, "masked_banner",                                     \
	  "the greeting is mostly '*': rewritten by a middlebox")             \
	X(MASKED_CAPABILITY, "masked_capability",                             \
	  "an EHLO capability rewritten to X's by a middlebox")               \
	X(MASKED_COMMAND, "masked_command",                                   \
	  "a client command rewritten to X's by a middlebox")                 \
	X(PLAINTEXT_AFTER_STARTTLS, "plaintext_after_starttls",               \
	  "client bytes after STARTTLS and before the server's 220")          \
	X(CONTENT_AFTER_REJECTED_DATA, "content_after_rejected_data",         \
	  "message content was sent before a DATA that the server refused")   \
	X(BAD_BDAT, "bad_bdat", "a BDAT command without a usable size")       \
	X(GAP, "gap", "bytes missing from the capture")                       \
	X(TRUNCATED_AT_END, "truncated_at_end",                               \
	  "the stream ended inside a line, reply or message")

enum sti_smtp_anomaly {
#define STI_SMTP_AN_ENUM(id, name, desc) STI_SMTP_AN_##id,
	STI_SMTP_ANOMALIES(STI_SMTP_AN_ENUM)
#undef STI_SMTP_AN_ENUM
	STI_SMTP_AN__COUNT
};

/* smtp.starttls_offered (SPEC section 7). */
enum sti_smtp_offer {
	STI_SMTP_OFFER_UNKNOWN,   /* no 250 reply to EHLO seen */
	STI_SMTP_OFFER_YES,
	STI_SMTP_OFFER_NO,
	STI_SMTP_OFFER_STRIPPED   /* "XXXXXXXA" in its place */
};

/*
 * One reply, as kept in the facts. code 0: none seen. Its strings are
 * never NULL in facts the layer made (sti_smtp_facts, the settled copy):
 * at most STI_SMTP_ESC_MAX and STI_SMTP_TEXT_MAX bytes with their NUL.
 */
struct sti_smtp_reply {
	uint16_t code;
	enum sti_smtp_cmd cmd;            /* the command it answered */
	const char *enhanced;             /* RFC 3463 "x.y.z" or "" */
	const char *text;                 /* final line after the code */
	uint64_t frame;
	int64_t ts_us;
};

/* Byte ranges a redacted evidence pcap must blank. */
enum sti_smtp_span_kind {
	STI_SMTP_SPAN_ENVELOPE,   /* MAIL FROM / RCPT TO arguments */
	STI_SMTP_SPAN_AUTH,       /* AUTH arguments and SASL responses */
	STI_SMTP_SPAN_CONTENT     /* DATA or BDAT message bytes */
};

struct sti_smtp_span {
	enum sti_dir dir;
	uint8_t kind;             /* enum sti_smtp_span_kind */
	uint64_t offset, len;
};

/*
 * The facts' string fields, each listed once here: the parser points
 * them at its buffers, the settled copy pools them, --anonymize copies
 * them. A reply holds two strings (enhanced code and text); every other
 * string field is named with its cap.
 */
#define STI_SMTP_REPLY_FIELDS(X) \
	X(greeting) X(starttls_reply) X(masked_command_reply) X(quit_reply) X(auth_reply)
#define STI_SMTP_TEXT_FIELDS(X)                                             \
	X(hello_name, STI_SMTP_NAME_MAX) X(masked_cap, STI_SMTP_CAP_MAX)    \
	X(injected_line, STI_SMTP_TEXT_MAX) X(auth_mech, STI_SMTP_MECH_MAX)

/* How often each anomaly was seen in a session, and the first one's frame. */
struct sti_smtp_anomalies {
	unsigned count[STI_SMTP_AN__COUNT];
	uint64_t frame[STI_SMTP_AN__COUNT];
};

struct sti_smtp_facts {
	/* Greeting: the first server reply, paired with no command. */
	bool greeting_seen;
	struct sti_smtp_reply greeting;   /* text: first line of the banner */

	/* The last HELO/EHLO/LHLO and the capabilities of the last 250 to
	 * EHLO or LHLO. */
	enum sti_smtp_cmd hello_cmd;      /* NONE, HELO, EHLO or LHLO */
	const char *hello_name;           /* < STI_SMTP_NAME_MAX bytes */
	uint64_t hello_frame;
	uint16_t hello_code;              /* its reply, 0 if none */
	enum sti_smtp_offer starttls_offered;
	const char *const *caps;          /* ncaps lines, each
					     < STI_SMTP_CAP_MAX bytes */
	unsigned ncaps;
	bool caps_truncated;
	const char *masked_cap;           /* the first masked capability,
					     < STI_SMTP_CAP_MAX bytes */

	/* STARTTLS: the last attempt and its reply. */
	unsigned starttls_count;
	uint64_t starttls_frame;
	int64_t starttls_ts;
	struct sti_smtp_reply starttls_reply;
	bool starttls_accepted;           /* 220: both directions switched */
	bool starttls_refused;            /* any other reply */
	uint64_t switch_frame;            /* frame of the server's 220 */
	uint64_t switch_offset[2];        /* first TLS byte of each direction */
	bool client_tls_before_reply;     /* client sent a TLS record before
					     the reply came: switched early */

	/* Plaintext sent after STARTTLS before its 220 (CVE-2011-0411). */
	uint64_t injected_bytes;
	uint64_t injected_frame;
	const char *injected_line;        /* < STI_SMTP_TEXT_MAX bytes */

	/* TLS records seen inside the plaintext session. */
	unsigned tls_records_in_plaintext[2];
	uint64_t tls_in_plaintext_frame[2];  /* first, per direction */
	uint8_t tls_in_plaintext_type[2];    /* content type of that record */

	/* Middlebox masking (Cisco ASA ESMTP inspection style). */
	unsigned masked_commands;
	uint64_t masked_command_frame;
	struct sti_smtp_reply masked_command_reply;

	/* Server says STARTTLS is required (530 5.7.0, 451 5.7.3, ...). */
	bool starttls_required;
	uint64_t starttls_required_frame;

	/* Replies worth reporting: 421, 454, 530, any x.7.x, a failure that
	 * names STARTTLS, a failed greeting, and 4xx/5xx to HELO/EHLO, AUTH,
	 * MAIL, RCPT, DATA (and its "."), BDAT, STARTTLS, a masked command
	 * or TLS bytes. */
	const struct sti_smtp_reply *notable;   /* nnotable of them */
	unsigned nnotable;
	bool notable_truncated;

	/* Mail transfer, all of it in clear since this layer sees plaintext. */
	unsigned mail_cmds, rcpt_cmds, data_cmds, bdat_cmds, auth_cmds;
	uint64_t message_bytes;           /* DATA content and BDAT chunks */
	unsigned messages_accepted;       /* 2xx to "." or BDAT LAST */
	bool mail_in_clear;               /* message content or AUTH
					     credentials crossed (SPEC 9.1) */
	uint64_t mail_in_clear_frame;     /* the first such frame */

	/* The end of the conversation. */
	uint64_t quit_frame;
	struct sti_smtp_reply quit_reply;

	/* Counters. */
	unsigned commands, replies;
	/* The anomalies, NULL while there is none (nearly always): read them
	 * through sti_smtp_anomaly_count and sti_smtp_anomaly_frame. In the
	 * parser, or in a settled copy that had one. */
	const struct sti_smtp_anomalies *anomalies;
	uint64_t gap_bytes;

	/* The first AUTH in clear (RFC 4954): its mechanism, whether
	 * credentials followed (an initial response or a SASL line), and the
	 * server's final reply to it. */
	/* The frame of the reply to the last HELO/EHLO/LHLO, and of the first
	 * client command after it that is not STARTTLS or another greeting:
	 * the client going on without TLS (SPEC 9.1 evidence). */
	uint64_t hello_reply_frame;
	uint64_t went_on_frame;

	const char *auth_mech;            /* < STI_SMTP_MECH_MAX bytes */
	uint64_t auth_frame;
	bool auth_credentials;
	uint64_t auth_credentials_frame;
	struct sti_smtp_reply auth_reply;

	/* Ranges to redact; when truncated, redact the client stream whole. */
	const struct sti_smtp_span *spans;      /* nspans of them */
	unsigned nspans;
	bool spans_truncated;
};

enum sti_smtp_ev_kind {
	STI_SMTP_EV_GREETING,   /* code, enhanced, text */
	STI_SMTP_EV_COMMAND,    /* cmd, text (credentials left out) */
	STI_SMTP_EV_REPLY,      /* code, enhanced, text, cmd it answered */
	STI_SMTP_EV_CONTENT,    /* len message bytes ended (DATA, BDAT) */
	STI_SMTP_EV_SWITCH,     /* this direction is TLS from offset on */
	STI_SMTP_EV_GAP,        /* len bytes missing at offset */
	STI_SMTP_EV_ANOMALY,    /* anomaly */
	STI_SMTP_EV_END         /* the direction ended (FIN/RST) */
};

struct sti_smtp_event {
	enum sti_smtp_ev_kind kind;
	enum sti_dir dir;
	uint64_t frame;          /* frame of the byte that completed it */
	int64_t ts_us;
	uint64_t offset;         /* stream offset where it starts */
	uint64_t len;
	enum sti_smtp_cmd cmd;
	uint16_t code;
	const char *enhanced;    /* "" when none; valid during the call */
	const char *text;        /* printable, capped; valid during the call */
	enum sti_smtp_anomaly anomaly;
};

typedef void (*sti_smtp_sink)(void *ctx, const struct sti_smtp_event *ev);

/* One session's parser: private to the layer (src/smtp_impl.h). */
struct sti_smtp;

/* A parser with nothing fed yet; NULL without memory. */
struct sti_smtp *sti_smtp_new(void);
void sti_smtp_free(struct sti_smtp *m);
/* Events go to sink(ctx, ev) from now on; NULL turns them off. */
void sti_smtp_set_sink(struct sti_smtp *m, sti_smtp_sink sink, void *ctx);

/*
 * Feed n bytes of direction dir. Returns the bytes
 * consumed: n, unless the direction switched to TLS inside this chunk, in
 * which case the rest belongs to TLS; once switched, it returns 0.
 */
size_t sti_smtp_feed(struct sti_smtp *m, enum sti_dir dir, const uint8_t *p, size_t n,
		     uint64_t frame, int64_t ts_us);
bool sti_smtp_switched(const struct sti_smtp *m, enum sti_dir dir);
/* len bytes of dir will never come: drop the partial line, note the gap. */
void sti_smtp_gap(struct sti_smtp *m, enum sti_dir dir, uint64_t len, uint64_t frame);
/* The direction ended (FIN/RST): a partial last line is still parsed. */
void sti_smtp_end(struct sti_smtp *m, enum sti_dir dir);

/* The facts so far; their lists point into the parser: valid while it is. */
const struct sti_smtp_facts *sti_smtp_facts(const struct sti_smtp *m);
/*
 * A copy of f in one allocation (free() it) with its own lists, each as
 * long as its count, and its own strings, each as long as its text, in one
 * pool after them: what a session keeps once the parser is gone. NULL
 * without memory. sti_smtp_facts_settled_size(f) is that allocation's size.
 */
struct sti_smtp_facts *sti_smtp_facts_settle(const struct sti_smtp_facts *f);
size_t sti_smtp_facts_settled_size(const struct sti_smtp_facts *f);
/*
 * The compact form of the facts (src/smtp_pack.c), for a session that stays
 * open after its switch to TLS: one allocation about half the size of the
 * copy above, frames, counters and offsets narrowed to what they hold, the
 * parts a STARTTLS session rarely has before its switch (injected
 * plaintext, TLS records in plaintext, masking, mail transfer, QUIT, AUTH,
 * anomalies, a gap, redaction spans) kept only when present, the strings
 * pooled. NULL without memory, or when a value does not fit a narrowed
 * field (a frame or stream offset beyond 32 bits): then keep
 * sti_smtp_facts_settle's copy. Free with sti_smtp_packed_free.
 */
struct sti_smtp_packed;
struct sti_smtp_packed *sti_smtp_facts_pack(const struct sti_smtp_facts *f);
size_t sti_smtp_packed_size(const struct sti_smtp_packed *p);
void sti_smtp_packed_free(struct sti_smtp_packed *p);
/* Its starttls_refused, without rebuilding the facts. */
bool sti_smtp_packed_refused(const struct sti_smtp_packed *p);
/* Where the readers' struct is rebuilt from the compact form. */
struct sti_smtp_view {
	struct sti_smtp_facts facts;
	struct sti_smtp_reply notable[STI_SMTP_MAX_NOTABLE];
	const char *caps[STI_SMTP_MAX_CAPS];
};
/* The facts p was made from, every value, list and string the same,
 * rebuilt in view (its strings and lists point into p and view): valid
 * while p is and until view is used again. */
const struct sti_smtp_facts *sti_smtp_packed_facts(const struct sti_smtp_packed *p,
						   struct sti_smtp_view *view);

/* Facts of nothing seen, built outside the layer (a record rebuilt from a
 * database, a test): zeroes, no lists, every string "". */
void sti_smtp_facts_blank(struct sti_smtp_facts *f);

const char *sti_smtp_cmd_name(enum sti_smtp_cmd c);
const char *sti_smtp_anomaly_name(enum sti_smtp_anomaly a);
/* How often anomaly a was seen, and the frame of the first (0: none). */
unsigned sti_smtp_anomaly_count(const struct sti_smtp_facts *f, enum sti_smtp_anomaly a);
uint64_t sti_smtp_anomaly_frame(const struct sti_smtp_facts *f, enum sti_smtp_anomaly a);
const char *sti_smtp_anomaly_desc(enum sti_smtp_anomaly a);
const char *sti_smtp_offer_name(enum sti_smtp_offer o);
const char *sti_smtp_ev_name(enum sti_smtp_ev_kind k);

#endif /* STI_SMTP_H */
