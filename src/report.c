/*
 * report.c - what every reporter shares.
 */
#include "sti/report.h"

void sti_tally_add(struct sti_tally *t, const struct sti_verdict *v)
{
	t->sessions++;
	if ((unsigned)v->outcome < STI_OUTCOME_COUNT)
		t->by_outcome[v->outcome]++;
	if ((unsigned)v->cause < STI_CAUSE_COUNT)
		t->by_cause[v->cause]++;
	if ((unsigned)v->reason < STI_REASON_COUNT)
		t->by_reason[v->reason]++;
}
