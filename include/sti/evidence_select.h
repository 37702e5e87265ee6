/*
 * evidence_select.h - which sessions the outputs cover (--only, --session, --host):
 * every output when one of them is given (SPEC 9.5); otherwise only the
 * evidence pcap and the ticket report, which then take every session whose
 * cause is not none.
 */
#ifndef STI_EVIDENCE_SELECT_H
#define STI_EVIDENCE_SELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sti/decode.h"
#include "sti/session_record.h"
#include "sti/verdict.h"

#define STI_SELECT_MAX_IDS 64
#define STI_SELECT_MAX_HOSTS 64

struct sti_selection {
	unsigned outcomes;          /* a bit per enum sti_outcome */
	bool outcomes_given;        /* --only was named */
	uint64_t ids[STI_SELECT_MAX_IDS];   /* --session: ids per file */
	size_t nids;
	struct sti_addr hosts[STI_SELECT_MAX_HOSTS];  /* --host: either end */
	size_t nhosts;
};

/* No option given: every session whose cause is not none, what a ticket
 * is about. */
void sti_selection_defaults(struct sti_selection *sel);

/* --only, --session or --host was given: the selection narrows every
 * output, not only the evidence and the report. */
bool sti_selection_given(const struct sti_selection *sel);

/* "failed,no_tls" or "all" into outcome bits, any name of the outcome
 * table; false names nothing known (bad gets the offending item). */
bool sti_selection_parse_only(struct sti_selection *sel, const char *list,
			      char *bad, size_t badlen);
/* "ok, deprecated, ..., all": what --only accepts, for its error. */
void sti_selection_only_names(char *buf, size_t len);
/* "--only failed --host 192.0.2.1": the options that made sel, for a
 * warning; "the default (cause not none)" when none was given. */
void sti_selection_describe(const struct sti_selection *sel, char *buf, size_t len);
bool sti_selection_add_id(struct sti_selection *sel, uint64_t id);
/* An IPv4 or IPv6 address; false if it is neither or the list is full. */
bool sti_selection_add_host(struct sti_selection *sel, const char *text);

/*
 * A session is selected when its outcome is in the set (--only) and, if
 * --session or --host were given, its id or one of its addresses is listed.
 * Naming sessions or hosts without --only selects them whatever their
 * outcome; with no option at all, a session is selected when its cause is
 * not none.
 */
bool sti_selection_match(const struct sti_selection *sel,
			 const struct sti_record *rec,
			 const struct sti_verdict *v);

#endif /* STI_EVIDENCE_SELECT_H */
