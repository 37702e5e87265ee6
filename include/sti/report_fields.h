/*
 * report_fields.h - the output fields that carry text from the wire, and what
 * kind of thing each one holds.
 *
 * One row per field of a session record (and its verdict) that an output
 * prints: its JSON key (the property of docs/starttls-inspect.schema.json,
 * where the same kind is given as "x-sti-kind"), or "text:..." for a field
 * only the text and Markdown reports print; its kind; and where it lives.
 * --anonymize (anon.c) rewrites every row by its kind and nothing else, so
 * a field cannot be printed unanonymised by being forgotten there: the
 * tests require every string property of the schema to have a kind, and
 * every property of an identifying kind to have a row here.
 */
#ifndef STI_REPORT_FIELDS_H
#define STI_REPORT_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

enum sti_field_kind {
	STI_KIND_FIXED,    /* the tool's own words, numbers, versions, ciphers */
	STI_KIND_ADDRESS,  /* an IP address (struct sti_addr) */
	STI_KIND_HOST,     /* a host name as a whole (EHLO, SNI, certificate CN) */
	STI_KIND_DN,       /* a distinguished name: O/OU and the names in it */
	STI_KIND_DIGEST,   /* a certificate's hash: looked up, it names the host */
	STI_KIND_TEXT,     /* free text that may hold names, addresses, mail */
	STI_KIND_PATH,     /* an input file's name */
	STI_KIND_MTA_LOG,  /* an MTA's log line or file (--anonymize refuses
			    * --mta-log) */
	STI_KIND_COUNT
};

/* Which structure a row's offset is in. */
enum sti_field_part {
	STI_PART_RECORD,   /* struct sti_record */
	STI_PART_SMTP,     /* struct sti_smtp_facts */
	STI_PART_TLS,      /* struct sti_tls_facts */
	STI_PART_CERT,     /* struct sti_cert_info: each side's certificate */
	STI_PART_CHAIN,    /* struct sti_trust_info: the server's chain */
	STI_PART_VERDICT   /* struct sti_verdict */
};

struct sti_field {
	const char *key;         /* JSON key, or "text:..." */
	enum sti_field_kind kind;
	enum sti_field_part part;
	size_t offset;           /* of the (first) value in its part */
	size_t size;             /* of one value: a char array's capacity */
	size_t stride;           /* between values of an array; 0: one value */
	unsigned max;            /* values at most */
	size_t count_offset;     /* of the unsigned count; SIZE_MAX: max */
	size_t via;              /* of the pointer to the array the values are
				  * in (offset is then within it); SIZE_MAX:
				  * they are in the part itself */
	bool ref;                /* at offset is a pointer to the value, a
				  * string of at most size bytes */
};

extern const struct sti_field sti_fields[];
extern const size_t sti_nfields;

/* "fixed", "address", ...: the schema's "x-sti-kind" values. */
const char *sti_field_kind_name(enum sti_field_kind k);
/* The kinds --anonymize must rewrite. */
bool sti_field_kind_identifies(enum sti_field_kind k);
/* How many values a row has in a part at base (its count, capped). */
unsigned sti_field_count(const struct sti_field *f, const void *base);
/* The i-th value of a row in a part at base; a ref row's string is
 * writable only where the caller owns it (--anonymize's copy). */
void *sti_field_at(const struct sti_field *f, void *base, unsigned i);

/* Where each part of one session is; NULL for a part it does not have. */
struct sti_field_parts {
	void *record, *smtp, *tls, *verdict;
	void *cert[2];     /* the server's and the client's leaf */
	void *chain;       /* the server's chain */
};
typedef void (*sti_field_fn)(const struct sti_field *f, void *base, void *ctx);
/* fn(row, its part) for every row whose part is there, in the table's
 * order; a run of certificate rows is given whole for the server's
 * certificate, then whole for the client's. */
void sti_fields_walk(const struct sti_field_parts *p, sti_field_fn fn, void *ctx);

#endif /* STI_REPORT_FIELDS_H */
