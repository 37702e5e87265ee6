/*
 * session_record.h - everything observed in one session, ready for the verdict.
 *
 * The record stage is a session consumer (sti_session_ops): it routes each
 * direction's bytes to the SMTP layer until the STARTTLS boundary and to the
 * TLS layer after it (or from the first byte for implicit TLS), stops
 * payload once TLS is settled, notes gaps and the TCP ending, and keeps a
 * ladder of what happened with frame numbers. When the session closes it
 * hands a finished `struct sti_record` to its sink; the record stays valid
 * only during that call.
 */
#ifndef STI_SESSION_RECORD_H
#define STI_SESSION_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "sti/session.h"
#include "sti/smtp.h"
#include "sti/session_sniff.h"
#include "sti/tls.h"

/* smtp.mode (SPEC section 7). */
enum sti_mode {
	STI_MODE_UNKNOWN,
	STI_MODE_STARTTLS,   /* the STARTTLS command was accepted */
	STI_MODE_IMPLICIT,   /* TLS from the first byte */
	STI_MODE_PLAINTEXT   /* SMTP without a TLS upgrade */
};

/* How the session was recognised. */
enum sti_proto {
	STI_PROTO_NONE,      /* no payload seen */
	STI_PROTO_SMTP,      /* on an SMTP port, or a greeting sniffed */
	STI_PROTO_TLS,       /* on an implicit-TLS port, or a hello sniffed */
	STI_PROTO_OTHER      /* neither: not reported */
};

struct sti_mtalog_joined;   /* sti/mtalog.h */
struct sti_ladder_source;   /* the recorder's, while its sink has the record */

#define STI_LADDER_MAX 48
#define STI_LADDER_TEXT 112

struct sti_ladder_row {
	uint64_t frame;
	int64_t ts_us;
	enum sti_dir dir;
	char text[STI_LADDER_TEXT];
};

struct sti_record {
	uint64_t id;                 /* session id, per file */
	struct sti_endpoint cli, srv;
	enum sti_orient orient;
	uint64_t first_frame, last_frame;
	int64_t first_ts, last_ts;
	bool syn_seen;               /* the connection's start is in the capture */
	struct sti_dir_info tcp[2];  /* packets, bytes, FIN and RST frames */
	enum sti_end end;
	enum sti_dir end_side;       /* first FIN/RST; STI_DIR_NONE: none */
	uint64_t end_frame;
	uint64_t gaps[2], gap_bytes[2], first_gap_frame[2];
	uint64_t retransmitted[2];   /* whole segments seen again */

	enum sti_proto proto;
	bool proto_sniffed;          /* decided by content, not by port */
	enum sti_mode mode;
	const struct sti_smtp_facts *smtp;  /* NULL unless proto is SMTP */
	const struct sti_tls_facts *tls;    /* NULL unless TLS bytes were seen */
	uint64_t tls_start_frame;

	struct sti_ladder_row ladder[STI_LADDER_MAX];
	unsigned nladder;
	unsigned ladder_dropped;     /* rows past the cap */
	/* Rows not written yet: the recorder hands its records over with
	 * the ladder unwritten (nladder and ladder_dropped 0) and writes it
	 * only when sti_record_ladder_fill asks, for a record that will be
	 * printed. NULL once written, or with no rows to write. */
	const struct sti_ladder_source *ladder_pending;

	uint64_t fallback_after;     /* id of an earlier failed TLS session
					between the same pair, or 0 */

	/* What each direction's first payload looked like (SPEC 9.1), and
	 * its frame: the verdict tells other protocols from SMTP by it. */
	enum sti_looks looks[2];
	uint64_t looks_frame[2];

	/* --mta-log: the MTA's lines joined to this session, or NULL. Set by
	 * the analysis for the reporters; the verdict never reads it. */
	const struct sti_mtalog_joined *mta;
};

typedef void (*sti_record_sink)(void *ctx, struct sti_record *rec);

struct sti_recorder;

/*
 * A recorder for one input. Its ops go to sti_table_new with the recorder
 * as ctx; finished records go to sink(sink_ctx, rec).
 */
struct sti_recorder *sti_recorder_new(const struct sti_session_cfg *cfg,
				      sti_record_sink sink, void *sink_ctx);
void sti_recorder_free(struct sti_recorder *r);
/*
 * Report a session as soon as its outcome is final (TLS settled both ways,
 * a fatal alert, STARTTLS refused) instead of at the TCP close: live
 * capture shows verdicts as they happen. The early record has no TCP
 * ending yet. Off by default.
 */
void sti_recorder_report_early(struct sti_recorder *r, bool early);
/* Sessions are decrypted with this key log (tls.h sti_tls_set_keylog). */
struct sti_keylog;
void sti_recorder_set_keylog(struct sti_recorder *r, struct sti_keylog *kl);
/* Sessions share decoded certificates through this cache (tls.h
 * sti_tls_set_certcache); the caller keeps ownership. */
struct sti_certcache;
void sti_recorder_set_certcache(struct sti_recorder *r, struct sti_certcache *cc);
/*
 * Whether ladder rows are made (default yes). Without a reporter that
 * prints ladders the record has none (nladder 0) and the parsers' events
 * are not asked for.
 */
void sti_recorder_ladder_text(struct sti_recorder *r, bool wanted);
extern const struct sti_session_ops sti_recorder_ops;
/* How many blocks for sessions' ladder rows the recorder keeps to lend
 * (at most 256): they come back when a session settles or goes. */
unsigned sti_recorder_spare_blocks(const struct sti_recorder *r);

const char *sti_mode_name(enum sti_mode m);

/*
 * Write the record's ladder rows (nladder, ladder_dropped and each row)
 * if they are still pending; nothing otherwise. Only while the record is
 * with the recorder's sink.
 */
void sti_record_ladder_fill(struct sti_record *rec);

/* Append a ladder row (used by the recorder; exposed for tests). */
void sti_record_ladder_add(struct sti_record *rec, enum sti_dir dir, uint64_t frame,
			   int64_t ts_us, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#endif /* STI_SESSION_RECORD_H */
