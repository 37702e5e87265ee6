/*
 * test_inventory.c - who breaks at the policy minimum, read from what was
 * offered; names, version and cipher sets, row order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sti/inventory.h"

struct sess {
	struct sti_record rec;
	struct sti_tls_facts *tls;
	struct sti_tls_facts_room room;   /* what tls points to */
	struct sti_smtp_facts smtp;
	struct sti_verdict v;
};

/* A session from client .10 to server 198.51.100.last: the client offered
 * up to `offer` (0: no TLS), the server chose `chose` (0: no ServerHello). */
static void sess_init(struct sess *s, uint8_t last, uint16_t offer, uint16_t chose,
		      bool established, enum sti_outcome o, enum sti_reason r)
{
	memset(s, 0, sizeof(*s));
	s->tls = calloc(1, sizeof(*s->tls));
	assert_non_null(s->tls);
	sti_tls_facts_init(s->tls, &s->room);
	s->rec.cli.addr.family = s->rec.srv.addr.family = 4;
	memcpy(s->rec.cli.addr.a, (uint8_t[]){ 192, 0, 2, 10 }, 4);
	memcpy(s->rec.srv.addr.a, (uint8_t[]){ 198, 51, 100, last }, 4);
	s->rec.smtp = &s->smtp;
	sti_smtp_facts_blank(&s->smtp);
	s->smtp.hello_name = "client.example.test";
	s->smtp.greeting_seen = true;
	s->smtp.greeting.text = "mx.example.test ESMTP Postfix";
	if (offer) {
		s->tls->have_ch = true;
		s->tls->ch.max_version = offer;
		s->rec.tls = s->tls;
	}
	if (chose) {
		s->tls->have_sh = true;
		s->tls->sh.version = chose;
		s->tls->sh.cipher = 0xc030;
		s->tls->established = established;
	}
	s->v.outcome = o;
	s->v.reason = r;
}

static void add(struct sti_inventory *inv, uint8_t last, uint16_t offer, uint16_t chose,
		bool est, enum sti_outcome o, enum sti_reason r)
{
	struct sess s;
	sess_init(&s, last, offer, chose, est, o, r);
	sti_inventory_add(inv, &s.rec, &s.v);
	free(s.tls);
}

static const struct sti_inv_peer *row(struct sti_inventory *inv, enum sti_inv_role role,
				      uint8_t last)
{
	size_t n;
	uint64_t dropped;
	const struct sti_inv_peer *const *rows = sti_inventory_rows(inv, &n, &dropped);
	for (size_t i = 0; i < n; i++)
		if (rows[i]->role == role && (role == STI_INV_CLIENT || rows[i]->addr.a[3] == last))
			return rows[i];
	fail_msg("no row for .%u", last);
	return NULL;
}

static void test_risk(void **state)
{
	(void)state;
	struct sti_inventory *inv = sti_inventory_new(0x0303);
	/* .1: chose 1.0 for a client offering 1.3: breaks. */
	add(inv, 1, 0x0304, 0x0301, true, STI_OUTCOME_DEPRECATED, STI_REASON_VERSION_BELOW_POLICY);
	/* .2: chose 1.0 for a 1.0-only client: cannot tell. */
	add(inv, 2, 0x0301, 0x0301, true, STI_OUTCOME_DEPRECATED, STI_REASON_VERSION_BELOW_POLICY);
	/* .3: refused a 1.2 client without a ServerHello: breaks. */
	add(inv, 3, 0x0303, 0, false, STI_OUTCOME_FAILED, STI_REASON_SERVER_VERSION_TOO_LOW);
	/* .4: chose 1.2 once, then 1.0 for a 1.0 client: safe. */
	add(inv, 4, 0x0303, 0x0303, true, STI_OUTCOME_OK, STI_REASON_TLS_OK);
	add(inv, 4, 0x0301, 0x0301, true, STI_OUTCOME_DEPRECATED, STI_REASON_VERSION_BELOW_POLICY);
	/* .5: no TLS at all. */
	add(inv, 5, 0, 0, false, STI_OUTCOME_NO_TLS, STI_REASON_STARTTLS_NOT_OFFERED);

	assert_int_equal(sti_inventory_risk(inv, row(inv, STI_INV_SERVER, 1)), STI_INV_BREAKS);
	assert_int_equal(sti_inventory_risk(inv, row(inv, STI_INV_SERVER, 2)), STI_INV_UNKNOWN);
	assert_int_equal(sti_inventory_risk(inv, row(inv, STI_INV_SERVER, 3)), STI_INV_BREAKS);
	assert_int_equal(sti_inventory_risk(inv, row(inv, STI_INV_SERVER, 4)), STI_INV_SAFE);
	assert_int_equal(sti_inventory_risk(inv, row(inv, STI_INV_SERVER, 5)), STI_INV_UNKNOWN);

	/* The one client offered 1.0 at most twice: it breaks. */
	const struct sti_inv_peer *c = row(inv, STI_INV_CLIENT, 0);
	assert_int_equal(sti_inventory_risk(inv, c), STI_INV_BREAKS);
	assert_int_equal(c->sessions, 6);
	assert_int_equal(c->offered_low, 0x0301);
	assert_int_equal(c->offered_high, 0x0304);
	assert_int_equal(c->negotiated, 2 | 8);    /* 1.0 and 1.2 */
	assert_int_equal(c->nciphers, 1);
	assert_string_equal(c->name, "client.example.test");
	assert_int_equal(c->outcomes[STI_OUTCOME_DEPRECATED], 3);

	/* .4: both sessions, the banner's first word as its name. */
	const struct sti_inv_peer *s4 = row(inv, STI_INV_SERVER, 4);
	assert_int_equal(s4->sessions, 2);
	assert_string_equal(s4->name, "mx.example.test");

	/* Order: clients, then servers breaking, unknown, safe. */
	size_t n;
	uint64_t dropped;
	const struct sti_inv_peer *const *rows = sti_inventory_rows(inv, &n, &dropped);
	assert_int_equal(n, 6);
	assert_int_equal(dropped, 0);
	assert_int_equal(rows[0]->role, STI_INV_CLIENT);
	assert_int_equal(rows[1]->addr.a[3], 1);
	assert_int_equal(rows[2]->addr.a[3], 3);
	assert_int_equal(rows[3]->addr.a[3], 2);
	assert_int_equal(rows[4]->addr.a[3], 5);
	assert_int_equal(rows[5]->addr.a[3], 4);
	sti_inventory_free(inv);
}

/* A server row holds what the server did: the versions it chose, and the
 * offers it refused without a ServerHello, too old or too new for it. */
static void test_server_chose_and_refused(void **state)
{
	(void)state;
	/* Server .last, the client's maximum offer, the version chosen (0:
	 * refused without a ServerHello), the verdict's reason. */
	static const struct { uint8_t last; uint16_t offer, chose; enum sti_reason r; } s[] = {
		/* .1 refused clients offering 1.0 and 1.1 at most: its minimum
		 * is above 1.1, it does not break for modern clients. */
		{ 1, 0x0301, 0, STI_REASON_CLIENT_VERSION_TOO_LOW },
		{ 1, 0x0302, 0, STI_REASON_CLIENT_VERSION_TOO_LOW },
		/* .2 refused 1.3 and 1.2 offers: it accepts only below 1.2. */
		{ 2, 0x0304, 0, STI_REASON_SERVER_VERSION_TOO_LOW },
		{ 2, 0x0303, 0, STI_REASON_SERVER_VERSION_TOO_LOW },
		/* .3 refused a 1.0 client, chose 1.1 for another: cannot tell. */
		{ 3, 0x0301, 0, STI_REASON_CLIENT_VERSION_TOO_LOW },
		{ 3, 0x0302, 0x0302, STI_REASON_VERSION_BELOW_POLICY },
		/* .4 chose 1.3, and the client then left (not established). */
		{ 4, 0x0304, 0x0304, STI_REASON_CLIENT_REJECTED_CERTIFICATE },
	};
	struct sti_inventory *inv = sti_inventory_new(0x0303);
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		add(inv, s[i].last, s[i].offer, s[i].chose, false, STI_OUTCOME_FAILED, s[i].r);

	const struct sti_inv_peer *s1 = row(inv, STI_INV_SERVER, 1);
	assert_int_equal(s1->refused_old, 0x0302);
	assert_int_equal(s1->refused_new, 0);
	assert_int_equal(s1->chose, 0);
	assert_int_equal(sti_inventory_risk(inv, s1), STI_INV_SAFE);
	const struct sti_inv_peer *s2 = row(inv, STI_INV_SERVER, 2);
	assert_int_equal(s2->refused_new, 0x0303);
	assert_int_equal(s2->refused_old, 0);
	assert_int_equal(sti_inventory_risk(inv, s2), STI_INV_BREAKS);
	const struct sti_inv_peer *s3 = row(inv, STI_INV_SERVER, 3);
	assert_int_equal(s3->refused_old, 0x0301);
	assert_int_equal(s3->chose, 4);            /* 1.1 */
	assert_int_equal(sti_inventory_risk(inv, s3), STI_INV_UNKNOWN);
	const struct sti_inv_peer *s4 = row(inv, STI_INV_SERVER, 4);
	assert_int_equal(s4->chose, 16);           /* 1.3 */
	assert_int_equal(s4->negotiated, 0);
	assert_int_equal(sti_inventory_risk(inv, s4), STI_INV_SAFE);
	/* The client's own row is unchanged: what it offered. */
	const struct sti_inv_peer *c = row(inv, STI_INV_CLIENT, 0);
	assert_int_equal(c->offered_low, 0x0301);
	assert_int_equal(c->offered_high, 0x0304);
	assert_int_equal(c->refused_old, 0);
	assert_int_equal(c->chose, 0);
	sti_inventory_free(inv);
}

static void test_client_modern_is_safe(void **state)
{
	(void)state;
	struct sti_inventory *inv = sti_inventory_new(0x0303);
	add(inv, 1, 0x0304, 0x0304, true, STI_OUTCOME_OK, STI_REASON_TLS_OK);
	add(inv, 2, 0x0303, 0, false, STI_OUTCOME_FAILED, STI_REASON_SERVER_VERSION_TOO_LOW);
	assert_int_equal(sti_inventory_risk(inv, row(inv, STI_INV_CLIENT, 0)), STI_INV_SAFE);
	sti_inventory_free(inv);
	inv = sti_inventory_new(0x0303);
	add(inv, 1, 0, 0, false, STI_OUTCOME_NO_TLS, STI_REASON_CLIENT_SKIPPED_STARTTLS);
	assert_int_equal(sti_inventory_risk(inv, row(inv, STI_INV_CLIENT, 0)), STI_INV_UNKNOWN);
	sti_inventory_free(inv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_risk),
		cmocka_unit_test(test_server_chose_and_refused),
		cmocka_unit_test(test_client_modern_is_safe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
