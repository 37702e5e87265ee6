/*
 * tls_decrypt.h - TLS record protection, the reading side only: keys from
 * key-log secrets, and one record's plaintext from its ciphertext.
 *
 * TLS 1.3 (RFC 8446 5.2, 5.3, 7.1, 7.3): the write key and IV of a traffic
 * secret by HKDF-Expand-Label; AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305,
 * AES-128-CCM and AES-128-CCM-8; the inner plaintext's padding is stripped
 * and its content type returned.
 * TLS 1.2 (RFC 5246 5, 6.3, 6.2.3; RFC 5288; RFC 7905): the key block from
 * the master secret (CLIENT_RANDOM) with the PRF; AES-GCM and ChaCha20-
 * Poly1305, and CBC suites with HMAC-SHA1/256/384 (MAC-then-encrypt, or
 * encrypt-then-MAC, RFC 7366).
 *
 * The crypto is libcrypto's. Plaintext is written to a caller buffer of at
 * least the ciphertext's length; nothing here keeps it.
 */
#ifndef STI_TLS_DECRYPT_H
#define STI_TLS_DECRYPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sti/dir.h"

enum sti_cipher {
	STI_CIPHER_NONE,
	STI_CIPHER_AES128_GCM,
	STI_CIPHER_AES256_GCM,
	STI_CIPHER_CHACHA20_POLY1305,
	STI_CIPHER_AES128_CCM,
	STI_CIPHER_AES128_CCM8,
	STI_CIPHER_AES128_CBC,
	STI_CIPHER_AES256_CBC
};

/* One direction's read state. */
struct sti_tls_keys {
	enum sti_cipher cipher;
	bool tls13;
	bool encrypt_then_mac;      /* TLS 1.2 CBC with RFC 7366 */
	uint8_t key[32];
	uint8_t key_len;
	uint8_t iv[12];             /* TLS 1.3 and ChaCha20: the whole nonce
				       base; TLS 1.2 GCM: the 4-byte salt */
	uint8_t iv_len;
	uint8_t mac_key[48];        /* TLS 1.2 CBC */
	uint8_t mac_len;            /* 20, 32 or 48 */
	uint64_t seq;               /* next record's sequence number */
};

/* RFC 8446 7.1; hash_len 32 (SHA-256) or 48 (SHA-384). */
bool sti_hkdf_expand_label(unsigned hash_len, const uint8_t *secret,
			   size_t secret_len, const char *label,
			   const uint8_t *context, size_t context_len,
			   uint8_t *out, size_t out_len);

/* The hash length of a TLS 1.3 suite (0x1301..0x1305), 0 if unknown. */
unsigned sti_tls13_hash_len(uint16_t suite);
/* Keys from a traffic secret for a TLS 1.3 suite; false if the suite is
 * unknown or the secret's length does not fit its hash. */
bool sti_tls13_keys(uint16_t suite, const uint8_t *secret, size_t secret_len,
		    struct sti_tls_keys *out);

/* Whether a TLS 1.2 suite can be read here (by its IANA name). */
bool sti_tls12_supported(uint16_t suite);
/* Both directions' keys from the master secret and the hellos' randoms. */
bool sti_tls12_keys(uint16_t suite, const uint8_t master[48],
		    const uint8_t client_random[32],
		    const uint8_t server_random[32], bool encrypt_then_mac,
		    struct sti_tls_keys *client, struct sti_tls_keys *server);

/*
 * Decrypt one record: `hdr` its 5-byte header, `body` its `n` bytes. On
 * success the plaintext (TLS 1.3: the content before the padding) is in
 * out, its length in *out_len, and *type is the real content type (TLS
 * 1.3's inner type, else the header's); the sequence number advances.
 * False when the record does not authenticate (wrong keys, a missed
 * record, a corrupt capture): the sequence number is unchanged.
 */
bool sti_tls_decrypt(struct sti_tls_keys *k, const uint8_t hdr[5],
		     const uint8_t *body, size_t n, uint8_t *out,
		     size_t *out_len, uint8_t *type);

/*
 * A session's decryptor: which keys read which record, from the secrets a
 * key log holds for its client random. The TLS layer tells it the
 * ServerHello, each side's ChangeCipherSpec (TLS 1.2) and Finished or
 * KeyUpdate (TLS 1.3), and asks it to open records. Each function that can
 * fail returns NULL on success or a short note for the session ("the key
 * log has no SERVER_HANDSHAKE_TRAFFIC_SECRET").
 */
struct sti_keylog_entry;
struct sti_tls_decryptor;

struct sti_tls_decryptor *sti_tls_decryptor_new(const struct sti_keylog_entry *e);
void sti_tls_decryptor_free(struct sti_tls_decryptor *d);
const char *sti_tls_decryptor_hello(struct sti_tls_decryptor *d, uint16_t version,
				    uint16_t suite, const uint8_t client_random[32],
				    const uint8_t server_random[32], bool etm);
/* TLS <= 1.2: dir's ChangeCipherSpec; its next records are protected. */
void sti_tls_decryptor_ccs(struct sti_tls_decryptor *d, enum sti_dir dir);
/* TLS 1.3: dir's Finished was read; its application secret comes next. */
const char *sti_tls_decryptor_finished(struct sti_tls_decryptor *d, enum sti_dir dir);
/* TLS 1.3: dir sent a KeyUpdate (RFC 8446 7.2). */
const char *sti_tls_decryptor_key_update(struct sti_tls_decryptor *d, enum sti_dir dir);
/* Why dir's protected records are not opened, when a secret the key log
 * lacks is the reason; NULL otherwise. */
const char *sti_tls_decryptor_unread(const struct sti_tls_decryptor *d, enum sti_dir dir);
/* Whether dir's next record of this outer type is to be opened. */
bool sti_tls_decryptor_wants(const struct sti_tls_decryptor *d, enum sti_dir dir, uint8_t type);
/* Open it; on failure dir stops (later records cannot line up). */
bool sti_tls_decryptor_open(struct sti_tls_decryptor *d, enum sti_dir dir, const uint8_t hdr[5],
			    const uint8_t *body, size_t n, uint8_t *out,
			    size_t *out_len, uint8_t *type);

#endif /* STI_TLS_DECRYPT_H */
