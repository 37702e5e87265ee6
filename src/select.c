/*
 * select.c - the session selection shared by the evidence pcap and the
 * ticket report.
 */
#include "sti/select.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

void sti_selection_defaults(struct sti_selection *sel)
{
	memset(sel, 0, sizeof(*sel));
	sel->outcomes = 1u << STI_OUTCOME_FAILED | 1u << STI_OUTCOME_DEPRECATED;
}

static bool outcome_by_name(const char *name, size_t n, unsigned *bits)
{
	if (n == 3 && memcmp(name, "all", 3) == 0) {
		*bits = (1u << STI_OUTCOME_COUNT) - 1;
		return true;
	}
	for (int o = 0; o < STI_OUTCOME_COUNT; o++) {
		const char *s = sti_outcome_name((enum sti_outcome)o);
		if (strlen(s) == n && memcmp(s, name, n) == 0) {
			*bits = 1u << o;
			return true;
		}
	}
	return false;
}

bool sti_selection_parse_only(struct sti_selection *sel, const char *list,
			      char *bad, size_t badlen)
{
	unsigned all = 0;
	const char *p = list;
	for (;;) {
		size_t n = strcspn(p, ",");
		unsigned bits;
		if (!outcome_by_name(p, n, &bits)) {
			snprintf(bad, badlen, "%.*s", (int)(n < 64 ? n : 64), p);
			return false;
		}
		all |= bits;
		if (!p[n])
			break;
		p += n + 1;
	}
	sel->outcomes = all;
	sel->outcomes_given = true;
	return true;
}

bool sti_selection_add_id(struct sti_selection *sel, uint64_t id)
{
	if (sel->nids == STI_SELECT_MAX_IDS)
		return false;
	sel->ids[sel->nids++] = id;
	return true;
}

bool sti_selection_add_host(struct sti_selection *sel, const char *text)
{
	struct sti_addr a;
	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, text, a.a) == 1)
		a.family = 4;
	else if (inet_pton(AF_INET6, text, a.a) == 1)
		a.family = 6;
	else
		return false;
	if (sel->nhosts == STI_SELECT_MAX_HOSTS)
		return false;
	sel->hosts[sel->nhosts++] = a;
	return true;
}

static bool addr_eq(const struct sti_addr *x, const struct sti_addr *y)
{
	return x->family == y->family && memcmp(x->a, y->a, 16) == 0;
}

static bool named(const struct sti_selection *sel, const struct sti_record *rec)
{
	bool by_id = sel->nids == 0, by_host = sel->nhosts == 0;
	for (size_t i = 0; i < sel->nids && !by_id; i++)
		by_id = sel->ids[i] == rec->id;
	for (size_t i = 0; i < sel->nhosts && !by_host; i++)
		by_host = addr_eq(&sel->hosts[i], &rec->cli.addr) ||
			  addr_eq(&sel->hosts[i], &rec->srv.addr);
	return by_id && by_host;
}

bool sti_selection_match(const struct sti_selection *sel,
			 const struct sti_record *rec,
			 const struct sti_verdict *v)
{
	bool narrowed = sel->nids || sel->nhosts;
	if (!(sel->outcomes & 1u << v->outcome) && (sel->outcomes_given || !narrowed))
		return false;
	return named(sel, rec);
}
