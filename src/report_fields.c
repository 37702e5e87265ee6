/*
 * report_fields.c - the output fields that carry text from the wire (report_fields.h).
 *
 * One row per line, each starting with ONE(, ONE_REF(, MANY(, MANY_REF(,
 * MANY_VIA( or MANY_VIA_REF( and its key: the
 * json-schema test reads the keys and kinds from here and compares them
 * with the schema's "x-sti-kind".
 */
#include "sti/report_fields.h"

#include <stdint.h>
#include <string.h>

#include "sti/session_record.h"
#include "sti/smtp.h"
#include "sti/tls.h"
#include "sti/verdict.h"

#define PART_TYPE_RECORD struct sti_record
#define PART_TYPE_SMTP struct sti_smtp_facts
#define PART_TYPE_TLS struct sti_tls_facts
#define PART_TYPE_CERT struct sti_cert_info
#define PART_TYPE_CHAIN struct sti_trust_info
#define PART_TYPE_VERDICT struct sti_verdict
#define MEMBER(part, m) (((PART_TYPE_##part *)0)->m)

/* One value: member m of the part. */
#define ONE(key, kind, part, m) \
	{ key, STI_KIND_##kind, STI_PART_##part, offsetof(PART_TYPE_##part, m), \
	  sizeof(MEMBER(part, m)), 0, 1, SIZE_MAX, SIZE_MAX, false }
/* One string member m points to, of at most cap bytes. */
#define ONE_REF(key, kind, part, m, cap) \
	{ key, STI_KIND_##kind, STI_PART_##part, offsetof(PART_TYPE_##part, m), \
	  cap, 0, 1, SIZE_MAX, SIZE_MAX, true }
/* Values arr[i] sub, for i below the unsigned member count (or every
 * element when count is the word ALL). */
/* The same when each of those values is a pointer to a string of at most
 * cap bytes. */
#define MANY_REF(key, kind, part, arr, sub, count, cap) \
	{ key, STI_KIND_##kind, STI_PART_##part, offsetof(PART_TYPE_##part, arr[0] sub), \
	  cap, sizeof(MEMBER(part, arr[0])), \
	  sizeof(MEMBER(part, arr)) / sizeof(MEMBER(part, arr[0])), COUNT_##count(part, count), \
	  SIZE_MAX, true }
#define MANY(key, kind, part, arr, sub, count) \
	{ key, STI_KIND_##kind, STI_PART_##part, offsetof(PART_TYPE_##part, arr[0] sub), \
	  sizeof(MEMBER(part, arr[0] sub)), sizeof(MEMBER(part, arr[0])), \
	  sizeof(MEMBER(part, arr)) / sizeof(MEMBER(part, arr[0])), COUNT_##count(part, count), \
	  SIZE_MAX, false }
/* The same for an array the part points to, of at most max values, sub
 * being at sub_offset in each (a pointer's target has no offsetof). */
#define MANY_VIA(key, kind, part, ptr, sub, sub_offset, count, max) \
	{ key, STI_KIND_##kind, STI_PART_##part, sub_offset, \
	  sizeof(MEMBER(part, ptr[0] sub)), sizeof(MEMBER(part, ptr[0])), max, \
	  COUNT_##count(part, count), offsetof(PART_TYPE_##part, ptr), false }
/* The same when each of those values is a pointer to a string of at most
 * cap bytes. */
#define MANY_VIA_REF(key, kind, part, ptr, sub, sub_offset, count, max, cap) \
	{ key, STI_KIND_##kind, STI_PART_##part, sub_offset, \
	  cap, sizeof(MEMBER(part, ptr[0])), max, \
	  COUNT_##count(part, count), offsetof(PART_TYPE_##part, ptr), true }
#define COUNT_ALL(part, count) SIZE_MAX
#define COUNT_nladder(part, count) offsetof(PART_TYPE_##part, count)
#define COUNT_ncaps(part, count) offsetof(PART_TYPE_##part, count)
#define COUNT_nnotable(part, count) offsetof(PART_TYPE_##part, count)
#define COUNT_nsans(part, count) offsetof(PART_TYPE_##part, count)
#define COUNT_ndecoded(part, count) offsetof(PART_TYPE_##part, count)

const struct sti_field sti_fields[] = {
	ONE("source.ip", ADDRESS, RECORD, cli.addr),
	ONE("destination.ip", ADDRESS, RECORD, srv.addr),
	MANY("text:ladder", TEXT, RECORD, ladder, .text, nladder),

	ONE_REF("smtp.helo", HOST, SMTP, hello_name, STI_SMTP_NAME_MAX),
	ONE_REF("smtp.greeting", TEXT, SMTP, greeting.text, STI_SMTP_TEXT_MAX),
	ONE_REF("smtp.starttls.reply_text", TEXT, SMTP, starttls_reply.text, STI_SMTP_TEXT_MAX),
	ONE_REF("text:smtp.masked_command_reply", TEXT, SMTP, masked_command_reply.text,
		STI_SMTP_TEXT_MAX),
	ONE_REF("text:smtp.quit_reply", TEXT, SMTP, quit_reply.text, STI_SMTP_TEXT_MAX),
	ONE_REF("text:smtp.injected_line", TEXT, SMTP, injected_line, STI_SMTP_TEXT_MAX),
	ONE_REF("text:smtp.masked_cap", TEXT, SMTP, masked_cap, STI_SMTP_CAP_MAX),
	MANY_VIA_REF("text:smtp.caps", TEXT, SMTP, caps, , 0, ncaps, STI_SMTP_MAX_CAPS,
		     STI_SMTP_CAP_MAX),
	MANY_VIA_REF("smtp.notable_replies.text", TEXT, SMTP, notable, .text,
		     offsetof(struct sti_smtp_reply, text), nnotable, STI_SMTP_MAX_NOTABLE,
		     STI_SMTP_TEXT_MAX),

	ONE_REF("tls.client.server_name", HOST, TLS, ch.sni, STI_HELLO_NAME_MAX),
	MANY_VIA_REF("text:tls.ch2.server_name", HOST, TLS, ch2, .sni,
		     offsetof(struct sti_client_hello, sni), ALL, 1, STI_HELLO_NAME_MAX),
	/* Each certificate's leaf, the server's then the client's (the keys
	 * are the server's; the client's are printed only in ladder text).
	 * Common names before the distinguished names that hold them. */
	ONE("tls.server.x509.subject.common_name", HOST, CERT, subject_cn),
	ONE("tls.server.x509.issuer.common_name", HOST, CERT, issuer_cn),
	ONE("text:tls.server.subject", DN, CERT, subject),
	ONE("text:tls.server.issuer", DN, CERT, issuer),
	MANY("tls.server.x509.alternative_names", HOST, CERT, sans, , nsans),
	ONE("tls.server.hash.sha256", DIGEST, CERT, sha256),
	ONE("tls.server.x509.trust_anchor", HOST, CHAIN, anchor),
	ONE("tls.server.x509.verify_result", TEXT, CHAIN, error_text),
	MANY("tls.server.x509.chain.subject_cn", HOST, CHAIN, chain, .subject_cn, ndecoded),
	MANY("tls.server.x509.chain.issuer_cn", HOST, CHAIN, chain, .issuer_cn, ndecoded),
	MANY("tls.server.x509.chain.first_dns_name", HOST, CHAIN, chain, .first_san, ndecoded),
	MANY("tls.server.x509.chain.sha256", DIGEST, CHAIN, chain, .sha256, ndecoded),
	MANY_REF("text:tls.sample", TEXT, TLS, dir, .sample, ALL, STI_TLS_SAMPLE_MAX + 1),
	MANY_REF("text:tls.reason", TEXT, TLS, dir, .reason, ALL, STI_TLS_REASON_MAX),
	ONE_REF("tls.decryption.note", TEXT, TLS, decrypt_note, STI_TLS_NOTE_MAX),

	ONE("verdict.explanation", TEXT, VERDICT, explanation),
	ONE("verdict.remediation", TEXT, VERDICT, remediation),
};
const size_t sti_nfields = sizeof(sti_fields) / sizeof(sti_fields[0]);

static const char *const kind_names[STI_KIND_COUNT] = {
	[STI_KIND_FIXED] = "fixed",
	[STI_KIND_ADDRESS] = "address",
	[STI_KIND_HOST] = "host",
	[STI_KIND_DN] = "dn",
	[STI_KIND_DIGEST] = "digest",
	[STI_KIND_TEXT] = "text",
	[STI_KIND_PATH] = "path",
	[STI_KIND_MTA_LOG] = "mta_log",
};

const char *sti_field_kind_name(enum sti_field_kind k)
{
	return (unsigned)k < STI_KIND_COUNT ? kind_names[k] : "?";
}

bool sti_field_kind_identifies(enum sti_field_kind k)
{
	return k != STI_KIND_FIXED && k < STI_KIND_COUNT;
}

unsigned sti_field_count(const struct sti_field *f, const void *base)
{
	if (f->count_offset == SIZE_MAX)
		return f->max;
	unsigned n;
	memcpy(&n, (const char *)base + f->count_offset, sizeof(n));
	return n < f->max ? n : f->max;
}

void *sti_field_at(const struct sti_field *f, void *base, unsigned i)
{
	char *values = base;
	if (f->via != SIZE_MAX)
		memcpy(&values, (char *)base + f->via, sizeof(values));
	char *at = values + f->offset + (size_t)i * f->stride;
	if (!f->ref)
		return at;
	char *string;   /* where the slot points */
	memcpy(&string, (const void *)at, sizeof(string));
	return string;
}

static void *part_base(const struct sti_field_parts *p, enum sti_field_part part)
{
	switch (part) {
	case STI_PART_RECORD: return p->record;
	case STI_PART_SMTP: return p->smtp;
	case STI_PART_TLS: return p->tls;
	case STI_PART_CHAIN: return p->chain;
	case STI_PART_VERDICT: return p->verdict;
	case STI_PART_CERT: break;   /* one of two: the caller picks */
	}
	return NULL;
}

void sti_fields_walk(const struct sti_field_parts *p, sti_field_fn fn, void *ctx)
{
	for (size_t i = 0; i < sti_nfields;) {
		if (sti_fields[i].part != STI_PART_CERT) {
			void *base = part_base(p, sti_fields[i].part);
			if (base)
				fn(&sti_fields[i], base, ctx);
			i++;
			continue;
		}
		/* A run of certificate rows: all of it for each certificate. */
		size_t end = i;
		while (end < sti_nfields && sti_fields[end].part == STI_PART_CERT)
			end++;
		for (int c = 0; c < 2; c++)
			for (size_t k = i; k < end && p->cert[c]; k++)
				fn(&sti_fields[k], p->cert[c], ctx);
		i = end;
	}
}
