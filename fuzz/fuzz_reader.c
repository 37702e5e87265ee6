/*
 * fuzz_reader.c - the file walker (capture_pcapwalk.c) against libpcap on
 * one capture file: both readers must give the same frames, timestamps and
 * lengths, the same end, and the same error. Any difference aborts. The
 * input goes to a memfd, so the walker reads it as it reads a file named on
 * the command line.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sti/capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfd = -1;
static char path[64];

static void load(const uint8_t *data, size_t size)
{
	if (memfd < 0) {
		memfd = memfd_create("sti-fuzz-reader", 0);
		if (memfd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	}
	if (ftruncate(memfd, 0) != 0 || (size && pwrite(memfd, data, size, 0) != (ssize_t)size))
		abort();
}

static bool same_frame(const struct sti_frame *a, const struct sti_frame *b)
{
	return a->number == b->number && a->ts_us == b->ts_us &&
	       a->caplen == b->caplen && a->len == b->len &&
	       memcmp(a->data, b->data, a->caplen) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	load(data, size);
	char ea[256] = "", eb[256] = "";
	struct sti_capture *a = sti_capture_open_offline_with(path, STI_READER_LIBPCAP,
							      ea, sizeof(ea));
	struct sti_capture *b = sti_capture_open_offline_with(path, STI_READER_AUTO,
							      eb, sizeof(eb));
	if ((a == NULL) != (b == NULL))
		abort();
	if (!a)
		return 0;
	enum sti_capture_rc ra, rb;
	do {
		struct sti_frame fa, fb;
		ra = sti_capture_next(a, &fa, ea, sizeof(ea));
		rb = sti_capture_next(b, &fb, eb, sizeof(eb));
		if (ra != rb || (ra == STI_CAP_FRAME && !same_frame(&fa, &fb)))
			abort();
	} while (ra == STI_CAP_FRAME);
	if (ra == STI_CAP_ERROR && strcmp(ea, eb) != 0)
		abort();
	sti_capture_close(a);
	sti_capture_close(b);
	return 0;
}
