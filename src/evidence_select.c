/*
 * evidence_select.c - the session selection shared by every output (SPEC 9.5).
 */
#include "sti/evidence_select.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void sti_selection_defaults(struct sti_selection *sel)
{
	memset(sel, 0, sizeof(*sel));
}

bool sti_selection_given(const struct sti_selection *sel)
{
	return sel->outcomes_given || sel->nids || sel->nhosts;
}

void sti_selection_only_names(char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (int o = 0; o < STI_OUTCOME_COUNT && n < len; o++) {
		int w = snprintf(buf + n, len - n, "%s, ", sti_outcome_name((enum sti_outcome)o));
		n += w > 0 ? (size_t)w : 0;
	}
	if (n < len)
		snprintf(buf + n, len - n, "all");
}

/* Appends to buf at *n, never past len. */
static void append(char *buf, size_t len, size_t *n, const char *s)
{
	if (*n >= len)
		return;
	int w = snprintf(buf + *n, len - *n, "%s", s);
	*n += w > 0 ? (size_t)w : 0;
}

void sti_selection_describe(const struct sti_selection *sel, char *buf, size_t len)
{
	size_t n = 0;
	char num[32];
	buf[0] = '\0';
	if (!sti_selection_given(sel)) {
		append(buf, len, &n, "the default selection (cause not none)");
		return;
	}
	if (sel->outcomes_given) {
		append(buf, len, &n, "--only ");
		bool first = true;
		for (int o = 0; o < STI_OUTCOME_COUNT; o++) {
			if (!(sel->outcomes & 1u << o))
				continue;
			append(buf, len, &n, first ? "" : ",");
			append(buf, len, &n, sti_outcome_name((enum sti_outcome)o));
			first = false;
		}
	}
	for (size_t i = 0; i < sel->nids; i++) {
		snprintf(num, sizeof(num), "%" PRIu64, sel->ids[i]);
		append(buf, len, &n, n ? " --session " : "--session ");
		append(buf, len, &n, num);
	}
	for (size_t i = 0; i < sel->nhosts; i++) {
		char a[64];
		sti_addr_str(&sel->hosts[i], a, sizeof(a));
		append(buf, len, &n, n ? " --host " : "--host ");
		append(buf, len, &n, a);
	}
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
	if (!sti_selection_given(sel))
		return v->cause != STI_CAUSE_NONE;
	if (sel->outcomes_given && !(sel->outcomes & 1u << v->outcome))
		return false;
	return named(sel, rec);
}
