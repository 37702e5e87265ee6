/*
 * tls_impl.h - what the TLS layer's two halves share, and nobody else: the
 * framer of records and handshake messages (tls_record.c) and the
 * inference of encryption, establishment and alerts (tls_state.c). Not
 * part of the layer's interface (include/sti/tls.h).
 */
#ifndef STI_TLS_IMPL_H
#define STI_TLS_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "sti/tls.h"
#include "sti/tls_decrypt.h"

/* Framing state of one direction. */
struct sti_tls_dir {
	int state;
	bool started;           /* a byte was seen */
	bool first_is_v2;       /* first record was an SSLv2 hello */
	bool v2_hdr;            /* the header being read is SSLv2's */
	uint8_t hdr[5];
	unsigned hdr_have;
	uint8_t rtype;
	uint16_t rlen;
	uint32_t rleft;         /* body bytes of the record still to come */
	int rmode;              /* how its body is read, fixed at the header */
	bool renc;              /* it is ciphertext (sender's state then) */
	uint8_t small[2];       /* alert/CCS body */
	unsigned small_have;
	uint8_t hs_hdr[4];      /* handshake message header being read */
	unsigned hs_hdr_have;
	uint8_t hs_type;
	uint32_t hs_len;        /* body length from the header */
	uint32_t hs_have;       /* body bytes received so far */
	uint32_t hs_kept;       /* ... of which stored in hs_buf, in order */
	uint8_t *hs_buf;        /* hs_cap bytes, or NULL */
	uint32_t hs_cap;
	bool sample_done;
	unsigned sample_len;
	bool data_after_finished; /* TLS 1.3: a full-sized record after the
				     client's Finished */
	uint16_t pend_len;      /* TLS 1.3: an alert-sized record not yet */
	uint64_t pend_frame;    /* followed by data: an encrypted alert if */
	int64_t pend_ts;        /* the direction ends here (sti_tls_end) */
};

struct sti_tls_dec;

struct sti_tls {
	struct sti_tls_dir d[2];
	struct sti_tls_facts f;
	sti_tls_sink sink;
	void *sink_ctx;
	struct sti_keylog *keylog;      /* NULL: nothing is decrypted */
	struct sti_certcache *certs;    /* NULL: certificates decoded alone */
	bool cert_seen[2];              /* a Certificate came from [dir] */
	struct sti_tls_dec *dec;        /* allocated when the log matches */
	struct sti_tls_facts_room room;  /* what f points to; last (sti_tls_new) */
};

/* An encrypted alert is 2 bytes of alert, 1 of inner type and a 16-byte
 * AEAD tag (RFC 8446 5.2); a little padding allowed. A type-23 record this
 * short after the client's Finished is not application data. */
#define ALERT_SIZED_MAX 24

/* A session the key log matched: its decryptor, each direction's record
 * body being collected, and room for one record's plaintext. */
struct sti_tls_dec {
	struct sti_tls_decryptor *dx;
	uint8_t client_random[32];
	uint8_t body[2][STI_TLS_MAX_RECORD];
	uint32_t have[2];
	uint8_t plain[STI_TLS_MAX_RECORD];
};


/* The context of the bytes being fed: who, which frame, when. */
struct feed_ctx {
	struct sti_tls *t;
	enum sti_dir dir;
	uint64_t frame;
	int64_t ts;
	bool decrypted;     /* the bytes being parsed came out of a record
			       opened with the key log */
};

/* TLS 1.3 or one of its drafts; events to the sink (tls_record.c). */
bool tls_is_13(uint16_t v);
void tls_emit(const struct feed_ctx *c, enum sti_tls_ev_kind kind, uint8_t type,
	      uint32_t length, const char *text);
void tls_emit_alert(const struct feed_ctx *c, const struct sti_tls_alert *a);

/* Encryption, establishment, alerts and the tail of records (tls_state.c). */
bool tls_13_mode(const struct sti_tls_facts *f);
void tls_set_encrypted(const struct feed_ctx *c);
void tls_set_established(const struct feed_ctx *c);
void tls_on_ccs(const struct feed_ctx *c);
void tls_on_encrypted_handshake(const struct feed_ctx *c);
void tls_on_appdata(const struct feed_ctx *c, uint16_t len);
struct sti_tls_alert *tls_new_alert(const struct feed_ctx *c, uint16_t len,
				     struct sti_tls_alert *spare);
void tls_record_alert(const struct feed_ctx *c, uint16_t len);
void tls_push_tail(struct sti_tls_dir_facts *df, uint8_t type, uint16_t len,
		   uint64_t frame);

#endif /* STI_TLS_IMPL_H */
