/*
 * anon.h - keyed pseudonyms for --anonymize KEY.
 *
 * One function of the key (HMAC-SHA256) gives every IP address and every
 * host name a pseudonym, the same in every output and every run with the
 * same key. Pseudonyms keep the shape of what they replace, so they can be
 * written into packets without changing a length:
 * - IPv4: each octet becomes another octet with as many decimal digits
 *   (192.0.2.10 may become 147.3.8.61), so the text is as long;
 * - IPv6: fd00::/8 (a unique local address) and 120 bits of the HMAC;
 * - a host name: each label becomes letters and digits of the same length
 *   ("*" stays), so *.example.test still matches mx.example.test; the
 *   local part of a mail address ("who" in who@example.test) likewise.
 *
 * Which fields of a record are rewritten, and how, comes from the output
 * field table (report_fields.h): each field's kind. The run applies it at two
 * points: to a copy of each record and verdict before the reporters see
 * them (and to the input file's name), and to each evidence frame as it is
 * written (IP headers with their checksums, and the session's names inside
 * the payload).
 */
#ifndef STI_ANON_H
#define STI_ANON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sti/decode.h"
#include "sti/session_record.h"
#include "sti/verdict.h"

struct sti_anon;

/* NULL when the key is empty or memory is short. */
struct sti_anon *sti_anon_new(const char *key);
void sti_anon_free(struct sti_anon *an);

void sti_anon_addr(const struct sti_anon *an, struct sti_addr *a);

/*
 * Rewrite the host names, mail addresses and IP literals found in the
 * NUL-terminated text s (capacity cap) in place. IPv6 literals may change
 * length; the text is then cut to fit cap.
 */
void sti_anon_text(const struct sti_anon *an, char *s, size_t cap);

/* A record with its SMTP and TLS facts, rewritten: what reporters see. */
struct sti_anon_record {
	struct sti_record rec;
	struct sti_smtp_facts smtp;
	/* smtp's lists that hold text, its reply texts and its other string
	 * fields, copied at their caps: the field rows rewrite some of them
	 * in place (its spans and enhanced codes are the session's) */
	struct sti_smtp_reply notable[STI_SMTP_MAX_NOTABLE];
	char notable_text[STI_SMTP_MAX_NOTABLE][STI_SMTP_TEXT_MAX];
	char caps[STI_SMTP_MAX_CAPS][STI_SMTP_CAP_MAX];
	const char *cap_lines[STI_SMTP_MAX_CAPS];
#define STI_ANON_REPLY_TEXT(name) char name[STI_SMTP_TEXT_MAX];
	STI_SMTP_REPLY_FIELDS(STI_ANON_REPLY_TEXT)
#undef STI_ANON_REPLY_TEXT
#define STI_ANON_TEXT(name, cap) char name[cap];
	STI_SMTP_TEXT_FIELDS(STI_ANON_TEXT)
#undef STI_ANON_TEXT
	struct sti_tls_facts tls;
	/* tls's hello names, each direction's reason and sample, and its
	 * decryption note, copied (its lists are the session's) */
	struct sti_client_hello ch2;   /* tls's second hello, copied */
	char sni[STI_HELLO_NAME_MAX], ch2_sni[STI_HELLO_NAME_MAX];
	char reason[2][STI_TLS_REASON_MAX], sample[2][STI_TLS_SAMPLE_MAX + 1];
	char decrypt_note[STI_TLS_NOTE_MAX];
	struct sti_tls_cert server_cert, client_cert;  /* tls's, copied */
};
void sti_anon_record(const struct sti_anon *an, const struct sti_record *in,
		     struct sti_anon_record *out);
void sti_anon_verdict(const struct sti_anon *an, struct sti_verdict *v);

/* An input file's name: "capture-" and 8 hex digits, its extension kept;
 * "-" stays. */
void sti_anon_path(const struct sti_anon *an, const char *path, char *out, size_t cap);

/* The names one session's packets may carry in clear, to be replaced
 * byte for byte in its evidence frames. */
#define STI_ANON_NAMES 24
#define STI_ANON_NAME_MAX 128
struct sti_anon_names {
	char orig[STI_ANON_NAMES][STI_ANON_NAME_MAX];
	char repl[STI_ANON_NAMES][STI_ANON_NAME_MAX];
	unsigned n;
};
void sti_anon_collect(const struct sti_anon *an, const struct sti_record *rec,
		      struct sti_anon_names *names);

/*
 * Rewrite one decoded frame in place: the IP addresses (with the IPv4
 * header checksum); in the first `plain` payload bytes (plaintext SMTP)
 * every host name, mail local part and IPv4 literal; in all of it every
 * listed name (any case, byte for byte: safe inside TLS records); and the
 * TCP checksum to match. names may be NULL.
 */
void sti_anon_frame(const struct sti_anon *an, uint8_t *frame,
		    const struct sti_pkt *pkt, const struct sti_anon_names *names,
		    size_t plain);

#endif /* STI_ANON_H */
