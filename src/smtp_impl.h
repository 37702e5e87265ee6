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

/* A direction's framing mode. */
enum { M_LINES, M_CONTENT, M_BDAT, M_TLSREC };

/* Where the DATA terminator matcher stands (RFC 5321 4.1.1.4). */
enum { DOT_BOL, DOT_MID, DOT_DOT, DOT_DOT_CR };

/* Events and facts (smtp.c). */
struct sti_smtp_event smtp_ev_new(const struct sti_smtp *m, enum sti_smtp_ev_kind kind, int dir);
void smtp_ev_send(struct sti_smtp *m, const struct sti_smtp_event *ev);
void smtp_note_at(struct sti_smtp *m, int dir, enum sti_smtp_anomaly a, uint64_t frame, uint64_t off);
void smtp_note(struct sti_smtp *m, int dir, enum sti_smtp_anomaly a, uint64_t frame);
void smtp_add_span(struct sti_smtp *m, int dir, enum sti_smtp_span_kind kind, uint64_t off, uint64_t len);

/* The command queue and switching to TLS (smtp.c). */
void smtp_queue_push(struct sti_smtp *m, enum sti_smtp_cmd cmd, bool last);
void smtp_dir_reset_line(struct sti_smtp_dir *d);
void smtp_switch_dir(struct sti_smtp *m, int dir);
void smtp_crossed_in_clear(struct sti_smtp *m);

/* The line parsers the framer hands complete lines to (smtp.c). */
void smtp_reply_finish(struct sti_smtp *m);
void smtp_server_line(struct sti_smtp *m, struct sti_rd line, uint64_t off);
void smtp_client_line(struct sti_smtp *m, struct sti_rd line, uint64_t off, uint64_t wire_len);

#endif /* STI_SMTP_IMPL_H */
