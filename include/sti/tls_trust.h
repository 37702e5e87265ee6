/*
 * tls_trust.h - the server's certificate chain as sent in clear, decoded
 * and verified with OpenSSL against a trust store (SPEC 9.2).
 *
 * The verification runs when the record is built, at the capture time of
 * the Certificate message (never "now"), and its result is stored in the
 * facts, so the verdict stays a pure function of the record. The store is
 * the system's (/etc/ssl/certs) unless --ca-file/--ca-path name another.
 */
#ifndef STI_TLS_TRUST_H
#define STI_TLS_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STI_CHAIN_MAX 4          /* certificates decoded and kept */
#define STI_CHAIN_NAME 64
#define STI_TRUST_TEXT 80

/* tls.server.x509.trust */
enum sti_trust {
	STI_TRUST_UNKNOWN,     /* no chain visible (TLS 1.3, none sent) */
	STI_TRUST_PUBLIC,      /* verifies to a root in the store */
	STI_TRUST_PRIVATE,     /* self-signed, or a root not in the store */
	STI_TRUST_INCOMPLETE   /* an issuer is neither sent nor in the store */
};

struct sti_chain_cert {
	char subject_cn[STI_CHAIN_NAME];
	char issuer_cn[STI_CHAIN_NAME];
	int64_t not_before, not_after;   /* seconds since the epoch, 0 unknown */
	char key_type[16];
	int key_bits;
	char sha256[65];
	char first_san[STI_CHAIN_NAME];  /* the leaf's first DNS name */
};

struct sti_trust_info {
	bool checked;                    /* a chain was verified */
	enum sti_trust trust;
	int error;                       /* X509_V_ERR_*, 0 when it verified */
	char error_text[STI_TRUST_TEXT]; /* OpenSSL's words for it */
	char anchor[STI_CHAIN_NAME];     /* CN of the root (public), of the
					    self-signed top (private), or of the
					    issuer that is missing (incomplete) */
	unsigned chain_len;              /* certificates sent */
	unsigned ndecoded;               /* ... decoded into chain[] */
	struct sti_chain_cert chain[STI_CHAIN_MAX];
	int64_t earliest_not_after;      /* over the whole chain sent */
	int64_t latest_not_before;
};

/*
 * The trust store: the system's by default; a CA file and/or directory
 * replace it. Returns false (with a one-line reason in err) when they
 * cannot be loaded.
 */
bool sti_trust_configure(const char *ca_file, const char *ca_path,
			 char *err, size_t errlen);
/* Release the store (at exit). */
void sti_trust_cleanup(void);

/*
 * The body of a Certificate handshake message (tls_version selects the
 * TLS 1.3 layout), sent at at_us (capture time, microseconds): decode the
 * chain and verify it. Every length is checked through the reader; the
 * DER of each entry goes to libcrypto with its exact length.
 */
void sti_trust_check_chain(const uint8_t *body, size_t len, uint16_t tls_version,
			   int64_t at_us, struct sti_trust_info *out);
/*
 * The same, and the capture seconds [*from, *to] around at_us for which
 * the answer is the same (OpenSSL reads the time only through the dates
 * of certificates that are or could be in the chain, tls_trust.c): a
 * session captured then may reuse it (tls_certcache.c).
 */
void sti_trust_check_chain_span(const uint8_t *body, size_t len, uint16_t tls_version,
				int64_t at_us, struct sti_trust_info *out,
				int64_t *from, int64_t *to);

const char *sti_trust_name(enum sti_trust t);

#endif /* STI_TLS_TRUST_H */
