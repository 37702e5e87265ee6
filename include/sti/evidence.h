/*
 * evidence.h - the evidence pcap (-w): the frames of the selected sessions,
 * same link type, timestamps and order, redacted by default.
 *
 * Frames reach it through the session table's tap (any capture source:
 * file or interface), are parked in a temporary spool file with their
 * session id, and are written once the session's verdict says whether it is
 * selected: sti_evidence_flush writes every parked frame whose session is
 * decided (in arrival order) and keeps the others parked. Memory holds two
 * bits per session id of the current source and the redaction plan of each
 * selected session; the frames themselves stay on disk.
 *
 * After a direction's TLS handshake is settled its frames are parked with
 * the captured length lowered to the headers (plus a leading TLS record
 * header); the original length is kept. Output files are created mode 0600.
 * With cfg.pcapng the file is pcapng (evidence_pcapng.h) and the secrets of the
 * selected sessions the key log decrypted go in with them, no others.
 */
#ifndef STI_EVIDENCE_H
#define STI_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sti/decode.h"
#include "sti/session_record.h"
#include "sti/evidence_select.h"
#include "sti/session.h"
#include "sti/verdict.h"

struct sti_anon;
struct sti_keylog;

struct sti_evidence_cfg {
	const char *path;            /* -w FILE */
	struct sti_selection sel;
	bool redact;                 /* off with --no-redact */
	uint64_t rotate_bytes;       /* -C: start FILE1, FILE2... past this; 0 never */
	const struct sti_anon *anon; /* --anonymize: addresses and names, or NULL */
	/* --embed-keys: write pcapng, with a Decryption Secrets Block of each
	 * selected session's key-log lines before its first frame. */
	bool pcapng;
	const struct sti_keylog *keylog;
};

struct sti_evidence;

struct sti_evidence *sti_evidence_new(const struct sti_evidence_cfg *cfg);
void sti_evidence_free(struct sti_evidence *e);

/* A new source: session ids start again at 1. Parked frames are dropped. */
bool sti_evidence_begin(struct sti_evidence *e, char *err, size_t errlen);

/* The session table tap (ctx is the evidence writer). */
void sti_evidence_tap(void *ctx, const struct sti_session *s,
		      const struct sti_pkt *p);

/* The session left the table (ctx is the evidence writer): if it never got
 * a verdict (not SMTP or TLS), its parked frames go at the next flush. */
void sti_evidence_gone(void *ctx, const struct sti_session *s);

/* A session's verdict: remember whether it is selected, and what to blank. */
void sti_evidence_session(struct sti_evidence *e, const struct sti_record *rec,
			  const struct sti_verdict *v);

/*
 * Write the parked frames of decided sessions (link type dlt); frames of
 * sessions still open stay parked. With at_end, the source is over and
 * frames of sessions that never got a verdict are dropped. false on a
 * write error, with err saying what and where.
 */
bool sti_evidence_flush(struct sti_evidence *e, int dlt, bool at_end,
			char *err, size_t errlen);

/* Frames written so far, frames parked, and the files written to. */
uint64_t sti_evidence_frames(const struct sti_evidence *e);
uint64_t sti_evidence_parked(const struct sti_evidence *e);
unsigned sti_evidence_files(const struct sti_evidence *e);

/*
 * Where frame `frame` of input number `input` (0 for the first input
 * begun) went: the rotation file's number and the frame's number in it
 * (1-based, as Wireshark counts). False if it was not written (or a live
 * capture wrote it out of order).
 */
bool sti_evidence_lookup(struct sti_evidence *e, unsigned input, uint64_t frame,
			 unsigned *file_index, uint64_t *ev_frame);

/* The name of rotation file number n (0 is FILE itself, then FILE1...). */
void sti_evidence_file_name(const char *base, unsigned n, char *out, size_t len);

#endif /* STI_EVIDENCE_H */
