/*
 * digest.c - digests fetched once (see digest.h).
 */
#include "sti/digest.h"

#include <pthread.h>

static const char *const md_names[STI_MD_COUNT] = { "MD5", "SHA1", "SHA256" };
static EVP_MD *fetched[STI_MD_COUNT];
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch_all(void)
{
	for (int i = 0; i < STI_MD_COUNT; i++)
		fetched[i] = EVP_MD_fetch(NULL, md_names[i], NULL);
}

/* What EVP_get_digestbyname would give, for a fetch that failed. */
static const EVP_MD *builtin(enum sti_md which)
{
	switch (which) {
	case STI_MD_MD5: return EVP_md5();
	case STI_MD_SHA1: return EVP_sha1();
	case STI_MD_SHA256:
	case STI_MD_COUNT: break;
	}
	return EVP_sha256();
}

const EVP_MD *sti_md(enum sti_md which)
{
	(void)pthread_once(&fetch_once, fetch_all);
	if (which < STI_MD_COUNT && fetched[which])
		return fetched[which];
	return builtin(which);
}

bool sti_digest(enum sti_md which, const void *p, size_t n,
		unsigned char *out, unsigned *outlen)
{
	*outlen = 0;
	return EVP_Digest(p, n, out, outlen, sti_md(which), NULL) == 1;
}

void sti_digest_cleanup(void)
{
	for (int i = 0; i < STI_MD_COUNT; i++) {
		EVP_MD_free(fetched[i]);
		fetched[i] = NULL;
	}
}
