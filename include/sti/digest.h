/*
 * digest.h - the message digests the program computes (fingerprints,
 * Community ID, certificate hashes), each fetched from libcrypto once.
 *
 * OpenSSL 3 looks a digest up by name, under a lock, every time one of the
 * EVP_md5()-style handles is used; a fetched handle skips that. The
 * handles live until sti_digest_cleanup (at exit).
 */
#ifndef STI_DIGEST_H
#define STI_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

enum sti_md {
	STI_MD_MD5,
	STI_MD_SHA1,
	STI_MD_SHA256,
	STI_MD_COUNT
};

/* The fetched digest (the built-in handle if fetching failed). */
const EVP_MD *sti_md(enum sti_md which);

/* out gets the digest of n bytes at p, *outlen its size; false on a
 * libcrypto failure. out must hold EVP_MAX_MD_SIZE bytes. */
bool sti_digest(enum sti_md which, const void *p, size_t n,
		unsigned char *out, unsigned *outlen);

/* Release the fetched handles (atexit). */
void sti_digest_cleanup(void);

#endif /* STI_DIGEST_H */
