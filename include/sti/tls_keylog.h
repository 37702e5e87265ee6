/*
 * tls_keylog.h - NSS key log files (SSLKEYLOGFILE), the secrets that let the
 * TLS layer read a session's encrypted handshake and alerts (SPEC 9.3).
 *
 * A key log is untrusted text. The parser is incremental (any split of the
 * bytes gives the same result), caps every line at STI_KEYLOG_LINE_MAX and
 * the whole log at STI_KEYLOG_MAX_ENTRIES sessions, and never fails: a line
 * it cannot use is counted as malformed (bad syntax, bad hex, wrong length,
 * too long) or ignored (a label this program has no use for, a comment).
 *
 * Entries are keyed by the ClientHello's 32-byte random. Each holds the
 * TLS 1.3 traffic secrets (RFC 8446 7.1) and the TLS 1.2 master secret
 * (label CLIENT_RANDOM) that were logged for it; several files may add to
 * one entry. After the last file, sti_keylog_seal() sorts the entries for
 * lookup; sti_keylog_find() marks an entry used, so the summary can say how
 * many logged sessions no capture matched.
 */
#ifndef STI_TLS_KEYLOG_H
#define STI_TLS_KEYLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STI_KEYLOG_LINE_MAX 512         /* longest line read; longer = malformed */
#define STI_KEYLOG_MAX_ENTRIES 100000u  /* secret lines kept; more = dropped */
#define STI_KEYLOG_SECRET_MAX 48        /* SHA-384 */
#define STI_KEYLOG_RANDOM_LEN 32

enum sti_keylog_label {
	STI_KL_CLIENT_RANDOM,               /* TLS <= 1.2 master secret */
	STI_KL_CLIENT_HANDSHAKE,            /* CLIENT_HANDSHAKE_TRAFFIC_SECRET */
	STI_KL_SERVER_HANDSHAKE,            /* SERVER_HANDSHAKE_TRAFFIC_SECRET */
	STI_KL_CLIENT_TRAFFIC_0,            /* CLIENT_TRAFFIC_SECRET_0 */
	STI_KL_SERVER_TRAFFIC_0,            /* SERVER_TRAFFIC_SECRET_0 */
	STI_KL_LABELS
};

struct sti_keylog_secret {
	uint8_t len;                        /* 0: not logged */
	uint8_t b[STI_KEYLOG_SECRET_MAX];
};

struct sti_keylog_entry {
	uint8_t random[STI_KEYLOG_RANDOM_LEN];
	struct sti_keylog_secret s[STI_KL_LABELS];
	uint32_t lines;                     /* log lines that fed this entry */
	bool used;                          /* a session matched it */
};

struct sti_keylog_stats {
	uint64_t lines;                     /* all lines read */
	uint64_t secrets;                   /* lines whose secret was kept */
	uint64_t ignored;                   /* comments, blank, other labels */
	uint64_t malformed;                 /* unusable lines */
	uint64_t dropped;                   /* lines past STI_KEYLOG_MAX_ENTRIES */
};

struct sti_keylog;

struct sti_keylog *sti_keylog_new(void);
void sti_keylog_free(struct sti_keylog *kl);

/* Bytes of a log, in pieces of any size; sti_keylog_end() after each file
 * (a last line without a newline counts). */
void sti_keylog_feed(struct sti_keylog *kl, const uint8_t *p, size_t n);
void sti_keylog_end(struct sti_keylog *kl);
/* Read a whole file; false with one line in err when it cannot be read. */
bool sti_keylog_load(struct sti_keylog *kl, const char *path, char *err,
		     size_t errlen);
/* Sort for lookup, once all files are in (feeding afterwards reseals). */
void sti_keylog_seal(struct sti_keylog *kl);

/* The entry for a ClientHello random, marked used; NULL when none. */
const struct sti_keylog_entry *sti_keylog_find(struct sti_keylog *kl,
					       const uint8_t random[32]);

/* The same without marking it, once sealed (for the evidence writer). */
const struct sti_keylog_entry *sti_keylog_lookup(const struct sti_keylog *kl,
						 const uint8_t random[32]);
/* The entry's secrets as NSS key log lines (NUL-terminated); the length
 * written, 0 when they do not fit. */
size_t sti_keylog_format(const struct sti_keylog_entry *e, char *out, size_t cap);

const struct sti_keylog_stats *sti_keylog_stats(const struct sti_keylog *kl);
size_t sti_keylog_entries(const struct sti_keylog *kl);
/* Log lines whose session no capture matched (entries never found). */
uint64_t sti_keylog_lines_unused(const struct sti_keylog *kl);

#endif /* STI_TLS_KEYLOG_H */
