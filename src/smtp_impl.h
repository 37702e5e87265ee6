/*
 * smtp_impl.h - what the SMTP layer's two halves share, and nobody else:
 * the framer (smtp_frame.c) and the line parsers (smtp.c). Not part of
 * the layer's interface (include/sti/smtp.h).
 */
#ifndef STI_SMTP_IMPL_H
#define STI_SMTP_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "sti/rd.h"
#include "sti/smtp.h"

/* Per-direction framing state (smtp_frame.c). */
struct sti_smtp_dir {
	uint8_t *line;            /* STI_SMTP_LINE_MAX bytes (sti_smtp.lines) */
	size_t len;               /* bytes held in line[] */
	uint64_t line_total;      /* the line's length on the wire so far */
	uint64_t line_off;        /* stream offset of the line's first byte */
	uint64_t line_frame;      /* frame of its first byte */
	uint64_t off;             /* stream offset of the next byte */
	uint64_t last_frame;      /* frame of the last chunk fed */
	int64_t last_ts;
	uint8_t last;             /* the line's last byte before LF */
	int mode;                 /* lines, content, BDAT chunk, TLS record */
	bool discard;             /* skipping to the next LF */
	bool overlong;            /* ... because the line hit the cap */
	bool switched, ended, spoke;
	uint8_t dot;              /* DATA terminator matcher state */
	uint64_t content_off, content_len;
	uint64_t bdat_left;
	bool bdat_last;
	uint8_t rec[5];           /* TLS record header being read */
	uint8_t rec_have;
	uint32_t rec_left;
};

struct sti_smtp_pending {
	enum sti_smtp_cmd cmd;
	bool last;                /* BDAT ... LAST */
	uint64_t frame;
};

/* The reply being assembled from its lines (smtp.c). */
struct sti_smtp_acc {
	bool active;
	uint16_t code;
	unsigned lines;
	int target;               /* greeting, queue head, or nothing */
	enum sti_smtp_cmd cmd;
	uint64_t off;
	char first[STI_SMTP_TEXT_MAX];
	char text[STI_SMTP_TEXT_MAX];
	char caps[STI_SMTP_MAX_CAPS][STI_SMTP_CAP_MAX];
	unsigned ncaps;
	bool caps_truncated, has_starttls, stripped;
	char masked_cap[STI_SMTP_CAP_MAX];
};

/* A kept reply's strings while the parser runs. */
struct sti_smtp_reply_text {
	char enhanced[STI_SMTP_ESC_MAX];
	char text[STI_SMTP_TEXT_MAX];
};

struct sti_smtp {
	struct sti_smtp_facts f;
	struct sti_smtp_anomalies anomalies;   /* f's once there is one */
	/* The slots f's strings point to while parsing. */
	struct sti_smtp_reply_text greeting, starttls_reply, masked_command_reply,
		quit_reply, auth_reply;
	char hello_name[STI_SMTP_NAME_MAX];
	char masked_cap[STI_SMTP_CAP_MAX];
	char injected_line[STI_SMTP_TEXT_MAX];
	char auth_mech[STI_SMTP_MECH_MAX];
	struct sti_smtp_dir d[2];
	unsigned qhead, qlen;
	bool replied;             /* the server's first reply has been seen */
	bool await_starttls;      /* STARTTLS sent, its reply not yet seen */
	bool auth_next;           /* the next client line is a SASL response */
	uint64_t inj_off;         /* client offset just after STARTTLS */
	uint64_t inj_gap;         /* ... and bytes lost since: not injected */
	uint64_t inj_frame;
	char inj_line[STI_SMTP_TEXT_MAX];
	uint64_t frame;           /* of the chunk being fed */
	int64_t ts;
	sti_smtp_sink sink;
	void *ctx;
	/* Last, and not zeroed at sti_smtp_new (the first 2.3 KB are, of
	 * 6.6 KB, and the pages a session never needs stay untouched): bytes
	 * read only once written. A list entry below its count, a queue
	 * entry below qlen, the reply being assembled while acc.active (set
	 * false at the start; reply_start zeroes the rest), capabilities and
	 * their pointers once an EHLO reply set them, a line below its
	 * length. */
	struct sti_smtp_reply notable[STI_SMTP_MAX_NOTABLE];
	struct sti_smtp_reply_text notable_text[STI_SMTP_MAX_NOTABLE];
	struct sti_smtp_span spans[STI_SMTP_MAX_SPANS];
	struct sti_smtp_pending q[STI_SMTP_PIPE_MAX];
	struct sti_smtp_acc acc;
	char caps[STI_SMTP_MAX_CAPS][STI_SMTP_CAP_MAX];
	const char *cap_lines[STI_SMTP_MAX_CAPS];   /* caps[i] */
	uint8_t lines[2][STI_SMTP_LINE_MAX];
};

/* A direction's framing mode. */
enum { M_LINES, M_CONTENT, M_BDAT, M_TLSREC };

/* Where the DATA terminator matcher stands (RFC 5321 4.1.1.4). */
enum { DOT_BOL, DOT_MID, DOT_DOT, DOT_DOT_CR };

/* Events and facts (smtp.c). */
struct sti_smtp_event smtp_ev_new(const struct sti_smtp *m, enum sti_smtp_ev_kind kind, enum sti_dir dir);
void smtp_ev_send(struct sti_smtp *m, const struct sti_smtp_event *ev);
void smtp_note_at(struct sti_smtp *m, enum sti_dir dir, enum sti_smtp_anomaly a, uint64_t frame, uint64_t off);
void smtp_note(struct sti_smtp *m, enum sti_dir dir, enum sti_smtp_anomaly a, uint64_t frame);
void smtp_add_span(struct sti_smtp *m, enum sti_dir dir, enum sti_smtp_span_kind kind, uint64_t off, uint64_t len);

/* The command queue and switching to TLS (smtp.c). */
void smtp_queue_push(struct sti_smtp *m, enum sti_smtp_cmd cmd, bool last);
void smtp_dir_reset_line(struct sti_smtp_dir *d);
void smtp_switch_dir(struct sti_smtp *m, enum sti_dir dir);
void smtp_crossed_in_clear(struct sti_smtp *m);

/* The line parsers the framer hands complete lines to (smtp.c). */
void smtp_reply_finish(struct sti_smtp *m);
void smtp_server_line(struct sti_smtp *m, struct sti_rd line, uint64_t off);
void smtp_client_line(struct sti_smtp *m, struct sti_rd line, uint64_t off, uint64_t wire_len);

#endif /* STI_SMTP_IMPL_H */
