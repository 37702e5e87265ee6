/*
 * select.h - which sessions go into the evidence pcap and the ticket report
 * (--only, --session, --host).
 */
#ifndef STI_SELECT_H
#define STI_SELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sti/decode.h"
#include "sti/record.h"
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

/* failed and deprecated: what a ticket is about. */
void sti_selection_defaults(struct sti_selection *sel);

/* "failed,no_tls" or "all" into outcome bits; false names nothing known
 * (bad gets the offending item). */
bool sti_selection_parse_only(struct sti_selection *sel, const char *list,
			      char *bad, size_t badlen);
bool sti_selection_add_id(struct sti_selection *sel, uint64_t id);
/* An IPv4 or IPv6 address; false if it is neither or the list is full. */
bool sti_selection_add_host(struct sti_selection *sel, const char *text);

/*
 * A session is selected when its outcome is in the set and, if --session
 * or --host were given, its id or one of its addresses is listed. Naming
 * sessions or hosts without --only selects them whatever their outcome.
 */
bool sti_selection_match(const struct sti_selection *sel,
			 const struct sti_record *rec,
			 const struct sti_verdict *v);

#endif /* STI_SELECT_H */
