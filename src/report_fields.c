/*
 * report_fields.c - the output fields that carry text from the wire (report_fields.h).
 *
 * One row per line, each starting with ONE( or MANY( and its key: the
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
#define PART_TYPE_VERDICT struct sti_verdict
#define MEMBER(part, m) (((PART_TYPE_##part *)0)->m)

/* One value: member m of the part. */
#define ONE(key, kind, part, m) \
	{ key, STI_KIND_##kind, STI_PART_##part, offsetof(PART_TYPE_##part, m), \
	  sizeof(MEMBER(part, m)), 0, 1, SIZE_MAX }
/* Values arr[i] sub, for i below the unsigned member count (or every
 * element when count is the word ALL). */
#define MANY(key, kind, part, arr, sub, count) \
	{ key, STI_KIND_##kind, STI_PART_##part, offsetof(PART_TYPE_##part, arr[0] sub), \
	  sizeof(MEMBER(part, arr[0] sub)), sizeof(MEMBER(part, arr[0])), \
	  sizeof(MEMBER(part, arr)) / sizeof(MEMBER(part, arr[0])), COUNT_##count(part, count) }
#define COUNT_ALL(part, count) SIZE_MAX
#define COUNT_nladder(part, count) offsetof(PART_TYPE_##part, count)
#define COUNT_ncaps(part, count) offsetof(PART_TYPE_##part, count)
#define COUNT_nnotable(part, count) offsetof(PART_TYPE_##part, count)
#define COUNT_server_cert(part, count) offsetof(PART_TYPE_##part, server_cert.nsans)
#define COUNT_client_cert(part, count) offsetof(PART_TYPE_##part, client_cert.nsans)
#define COUNT_chain(part, count) offsetof(PART_TYPE_##part, server_trust.ndecoded)

const struct sti_field sti_fields[] = {
	ONE("source.ip", ADDRESS, RECORD, cli.addr),
	ONE("destination.ip", ADDRESS, RECORD, srv.addr),
	MANY("text:ladder", TEXT, RECORD, ladder, .text, nladder),

	ONE("smtp.helo", HOST, SMTP, hello_name),
	ONE("smtp.greeting", TEXT, SMTP, greeting.text),
	ONE("smtp.starttls.reply_text", TEXT, SMTP, starttls_reply.text),
	ONE("text:smtp.masked_command_reply", TEXT, SMTP, masked_command_reply.text),
	ONE("text:smtp.quit_reply", TEXT, SMTP, quit_reply.text),
	ONE("text:smtp.injected_line", TEXT, SMTP, injected_line),
	ONE("text:smtp.masked_cap", TEXT, SMTP, masked_cap),
	MANY("text:smtp.caps", TEXT, SMTP, caps, , ncaps),
	MANY("smtp.notable_replies.text", TEXT, SMTP, notable, .text, nnotable),

	ONE("tls.client.server_name", HOST, TLS, ch.sni),
	ONE("text:tls.ch2.server_name", HOST, TLS, ch2.sni),
	/* Common names before the distinguished names that hold them. */
	ONE("tls.server.x509.subject.common_name", HOST, TLS, server_cert.subject_cn),
	ONE("tls.server.x509.issuer.common_name", HOST, TLS, server_cert.issuer_cn),
	ONE("text:tls.server.subject", DN, TLS, server_cert.subject),
	ONE("text:tls.server.issuer", DN, TLS, server_cert.issuer),
	MANY("tls.server.x509.alternative_names", HOST, TLS, server_cert.sans, , server_cert),
	ONE("tls.server.hash.sha256", DIGEST, TLS, server_cert.sha256),
	ONE("text:tls.client_cert.subject_cn", HOST, TLS, client_cert.subject_cn),
	ONE("text:tls.client_cert.issuer_cn", HOST, TLS, client_cert.issuer_cn),
	ONE("text:tls.client_cert.subject", DN, TLS, client_cert.subject),
	ONE("text:tls.client_cert.issuer", DN, TLS, client_cert.issuer),
	MANY("text:tls.client_cert.sans", HOST, TLS, client_cert.sans, , client_cert),
	ONE("text:tls.client_cert.sha256", DIGEST, TLS, client_cert.sha256),
	ONE("tls.server.x509.trust_anchor", HOST, TLS, server_trust.anchor),
	ONE("tls.server.x509.verify_result", TEXT, TLS, server_trust.error_text),
	MANY("tls.server.x509.chain.subject_cn", HOST, TLS, server_trust.chain, .subject_cn, chain),
	MANY("tls.server.x509.chain.issuer_cn", HOST, TLS, server_trust.chain, .issuer_cn, chain),
	MANY("tls.server.x509.chain.first_dns_name", HOST, TLS, server_trust.chain, .first_san, chain),
	MANY("tls.server.x509.chain.sha256", DIGEST, TLS, server_trust.chain, .sha256, chain),
	MANY("text:tls.sample", TEXT, TLS, dir, .sample, ALL),
	MANY("text:tls.reason", TEXT, TLS, dir, .reason, ALL),
	ONE("tls.decryption.note", TEXT, TLS, decrypt_note),

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
	return (char *)base + f->offset + (size_t)i * f->stride;
}
