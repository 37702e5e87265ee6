/*
 * digest.c - digests fetched once (see digest.h).
 */
#include "sti/digest.h"
#include "sti/thread_slot.h"

#include <pthread.h>
#include <stdlib.h>

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

/*
 * A context per digest and thread, set up once: EVP_Digest makes and
 * frees a context, and the digest's own state inside it, on every call
 * (two allocations and their set-up, more than hashing a Community ID's
 * 40 bytes costs). The key frees a thread's contexts when it ends; the
 * main thread's live until exit.
 */
struct md_ctxs {
	EVP_MD_CTX *ctx[STI_MD_COUNT];
};

static _Thread_local struct md_ctxs *my_ctxs;

static void ctxs_free(void *p)
{
	struct md_ctxs *c = p;
	for (int i = 0; i < STI_MD_COUNT; i++)
		EVP_MD_CTX_free(c->ctx[i]);
	free(c);
}

static struct sti_thread_slot ctxs_slot = STI_THREAD_SLOT(sizeof(struct md_ctxs), ctxs_free);

/* This thread's context for which, set up for it; NULL when none can be
 * had (then the digest is computed the one-shot way). */
static EVP_MD_CTX *thread_ctx(enum sti_md which)
{
	if (!my_ctxs && !(my_ctxs = sti_thread_slot_make(&ctxs_slot)))
		return NULL;
	EVP_MD_CTX **ctx = &my_ctxs->ctx[which];
	if (!*ctx) {
		EVP_MD_CTX *fresh = EVP_MD_CTX_new();
		if (!fresh || EVP_DigestInit_ex2(fresh, sti_md(which), NULL) != 1) {
			EVP_MD_CTX_free(fresh);
			return NULL;
		}
		*ctx = fresh;
	}
	return *ctx;
}

bool sti_digest(enum sti_md which, const void *p, size_t n,
		unsigned char *out, unsigned *outlen)
{
	*outlen = 0;
	EVP_MD_CTX *ctx = which < STI_MD_COUNT ? thread_ctx(which) : NULL;
	if (!ctx)
		return EVP_Digest(p, n, out, outlen, sti_md(which), NULL) == 1;
	/* NULL: the context's own digest again, without looking it up. */
	return EVP_DigestInit_ex2(ctx, NULL, NULL) == 1 && EVP_DigestUpdate(ctx, p, n) == 1 &&
	       EVP_DigestFinal_ex(ctx, out, outlen) == 1;
}

void sti_digest_cleanup(void)
{
	for (int i = 0; i < STI_MD_COUNT; i++) {
		EVP_MD_free(fetched[i]);
		fetched[i] = NULL;
	}
}
