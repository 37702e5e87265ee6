/*
 * fuzz_keylog.c - the key log parser (--keylog): the input as a log file,
 * fed whole and then again in pieces whose size the first byte picks (any
 * split must give the same counts), then sealed and searched with the
 * random of every entry-sized window of the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sti/tls_keylog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sti_keylog *parse(const uint8_t *data, size_t size, size_t piece)
{
	struct sti_keylog *kl = sti_keylog_new();
	if (!kl)
		abort();
	for (size_t at = 0; at < size; at += piece)
		sti_keylog_feed(kl, data + at, size - at < piece ? size - at : piece);
	sti_keylog_end(kl);
	sti_keylog_seal(kl);
	return kl;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t piece = size ? (size_t)data[0] % 17 + 1 : 1;
	struct sti_keylog *whole = parse(data, size, size ? size : 1);
	struct sti_keylog *split = parse(data, size, piece);
	if (memcmp(sti_keylog_stats(whole), sti_keylog_stats(split),
		   sizeof(struct sti_keylog_stats)) != 0 ||
	    sti_keylog_entries(whole) != sti_keylog_entries(split))
		__builtin_trap();
	for (size_t at = 0; at + STI_KEYLOG_RANDOM_LEN <= size && at < 256; at += 7) {
		const struct sti_keylog_entry *e = sti_keylog_find(whole, data + at);
		if (e && memcmp(e->random, data + at, STI_KEYLOG_RANDOM_LEN) != 0)
			__builtin_trap();
	}
	if (sti_keylog_lines_unused(whole) > sti_keylog_stats(whole)->secrets)
		__builtin_trap();
	sti_keylog_free(whole);
	sti_keylog_free(split);
	return 0;
}
