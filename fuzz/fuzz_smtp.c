/*
 * fuzz_smtp.c - the SMTP layer, both directions, in pieces of any size
 * (chunks.h). Every event string is read whole so that a dangling or
 * unterminated one shows up under AddressSanitizer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chunks.h"
#include "sti/smtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t touched;

static void touch_event(void *ctx, const struct sti_smtp_event *ev)
{
	(void)ctx;
	touched += strlen(ev->text ? ev->text : "") + strlen(ev->enhanced ? ev->enhanced : "");
	touched += strlen(sti_smtp_ev_name(ev->kind)) + strlen(sti_smtp_cmd_name(ev->cmd));
	if (ev->kind == STI_SMTP_EV_ANOMALY)
		touched += strlen(sti_smtp_anomaly_name(ev->anomaly));
}

/* Once the direction switched to TLS the layer takes nothing more. */
static void feed(void *ctx, enum sti_dir dir, const uint8_t *p, size_t n, uint64_t frame)
{
	if (sti_smtp_feed(ctx, dir, p, n, frame, (int64_t)frame) > n)
		__builtin_trap();   /* consumed more than it was given */
}

static void gap(void *ctx, enum sti_dir dir, uint64_t len, uint64_t frame)
{
	sti_smtp_gap(ctx, dir, len, frame);
}

static void end(void *ctx, enum sti_dir dir)
{
	sti_smtp_end(ctx, dir);
}

static const struct chunk_calls calls = { feed, gap, end };

static size_t reply_len(const struct sti_smtp_reply *r)
{
	return strlen(r->text) + strlen(r->enhanced);
}

static void check_facts(const struct sti_smtp_facts *f)
{
	touched += strlen(f->hello_name) + strlen(f->masked_cap) + strlen(f->injected_line) +
		   strlen(f->auth_mech) + strlen(sti_smtp_offer_name(f->starttls_offered));
	touched += reply_len(&f->greeting) + reply_len(&f->starttls_reply) +
		   reply_len(&f->masked_command_reply) + reply_len(&f->quit_reply) +
		   reply_len(&f->auth_reply);
	if (f->ncaps > STI_SMTP_MAX_CAPS || f->nnotable > STI_SMTP_MAX_NOTABLE ||
	    f->nspans > STI_SMTP_MAX_SPANS)
		__builtin_trap();   /* a count past its array */
	for (unsigned i = 0; i < f->ncaps; i++)
		touched += strlen(f->caps[i]);
	for (unsigned i = 0; i < f->nnotable; i++)
		touched += reply_len(&f->notable[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sti_smtp *m = sti_smtp_new();
	if (!m)
		return 0;
	sti_smtp_set_sink(m, touch_event, NULL);
	chunk_play(data, size, &calls, m);
	sti_smtp_end(m, 0);
	sti_smtp_end(m, 1);
	check_facts(sti_smtp_facts(m));
	/* What a settled session keeps, read after the parser is gone. */
	struct sti_smtp_facts *done = sti_smtp_facts_settle(sti_smtp_facts(m));
	/* And its compact form, rebuilt as the report does. */
	struct sti_smtp_packed *packed = sti_smtp_facts_pack(sti_smtp_facts(m));
	sti_smtp_free(m);
	if (done)
		check_facts(done);
	if (packed) {
		static struct sti_smtp_view view;
		const struct sti_smtp_facts *u = sti_smtp_packed_facts(packed, &view);
		check_facts(u);
		if (done && (u->ncaps != done->ncaps || u->commands != done->commands ||
			     strcmp(u->greeting.text, done->greeting.text) != 0 ||
			     strcmp(u->hello_name, done->hello_name) != 0))
			__builtin_trap();
		sti_smtp_packed_free(packed);
	}
	free(done);
	return 0;
}
