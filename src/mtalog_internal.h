/*
 * mtalog_internal.h - the log store, shared by the parser (mtalog.c) and
 * the join (mtalog_join.c) only.
 */
#ifndef STI_MTALOG_INTERNAL_H
#define STI_MTALOG_INTERNAL_H

#include "sti/mtalog.h"

/* (capture, captured session) -> log session, sorted for lookups. */
struct sti_mtalog_join_entry {
	uint32_t capture;
	uint64_t id;
	size_t session;
};

struct sti_mtalog {
	struct sti_mtalog_session *sessions;
	size_t nsessions, cap;
	uint64_t nlines;                  /* kept, all sessions */
	struct sti_mtalog_stats st;
	char *files[STI_MTALOG_FILES_MAX];
	enum sti_mtalog_format formats[STI_MTALOG_FILES_MAX];
	uint32_t nfiles;
	struct sti_mtalog_join_entry *joins;
	size_t njoins;
};

#endif /* STI_MTALOG_INTERNAL_H */
