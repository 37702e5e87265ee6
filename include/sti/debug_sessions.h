/*
 * debug_sessions.h - the "--sessions" debug view: one line per TCP session.
 *
 * A session consumer of its own: it needs nothing above reassembly, so it
 * shows what the ground floor sees.
 */
#ifndef STI_DEBUG_SESSIONS_H
#define STI_DEBUG_SESSIONS_H

#include <stdio.h>

#include "sti/capture_ingest.h"
#include "sti/session.h"

struct sti_sessions_view;

struct sti_sessions_view *sti_sessions_view_new(void);
void sti_sessions_view_free(struct sti_sessions_view *v);

/* Callbacks to pass to sti_table_new with the view as ctx. */
extern const struct sti_session_ops sti_sessions_view_ops;

/* Print the sessions released so far, in id order, and forget them. */
void sti_sessions_view_print(struct sti_sessions_view *v, FILE *out);

/* The per-file trailer: decode and table statistics. */
void sti_sessions_view_print_stats(FILE *out, const char *file,
				   const struct sti_ingest_stats *st,
				   const struct sti_table_stats *ts);

#endif /* STI_DEBUG_SESSIONS_H */
