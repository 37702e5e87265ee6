/*
 * test_capture.c - the file walker against libpcap: every fixture,
 * every public capture and hand-built pcap/pcapng files (both byte orders,
 * micro- and nanoseconds, several sections and interfaces, odd timestamp
 * resolutions, records libpcap truncates or refuses, files several times
 * the walker's buffer with records larger than it) must give the same
 * frames, the same timestamps and the same final error through both
 * readers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sti/capture.h"

struct totals {
	uint64_t files, frames, walked;
	enum sti_capture_rc last;   /* how the last file ended */
	char err[1024];             /* and the words for it */
};

/* One file through both readers, frame by frame; the frames the walker
 * gave itself are added to t. */
static void same_frames(const char *path, struct totals *t)
{
	char ea[1024] = "", eb[1024] = "";
	struct sti_capture *a = sti_capture_open_offline_with(path, STI_READER_LIBPCAP,
							      ea, sizeof(ea));
	struct sti_capture *b = sti_capture_open_offline_with(path, STI_READER_AUTO,
							      eb, sizeof(eb));
	assert_int_equal(a == NULL, b == NULL);
	if (!a) {
		assert_string_equal(ea, eb);
		return;
	}
	enum sti_capture_rc ra, rb;
	do {
		struct sti_frame fa, fb;
		ra = sti_capture_next(a, &fa, ea, sizeof(ea));
		rb = sti_capture_next(b, &fb, eb, sizeof(eb));
		if (ra != rb)
			fail_msg("%s: libpcap %d, walker %d after frame %llu", path,
				 ra, rb, (unsigned long long)t->frames);
		if (ra == STI_CAP_FRAME) {
			assert_int_equal(fa.number, fb.number);
			if (fa.ts_us != fb.ts_us || fa.caplen != fb.caplen ||
			    fa.len != fb.len)
				fail_msg("%s frame %llu: ts %lld/%lld caplen %u/%u len %u/%u",
					 path, (unsigned long long)fa.number,
					 (long long)fa.ts_us, (long long)fb.ts_us,
					 fa.caplen, fb.caplen, fa.len, fb.len);
			assert_memory_equal(fa.data, fb.data, fa.caplen);
			t->frames++;
		}
	} while (ra == STI_CAP_FRAME);
	if (ra == STI_CAP_ERROR || ra == STI_CAP_TRUNCATED)
		assert_string_equal(ea, eb);
	t->last = ra;
	snprintf(t->err, sizeof(t->err), "%s", ra == STI_CAP_EOF ? "" : ea);
	t->walked += sti_capture_frames_walked(b);
	t->files++;
	sti_capture_close(a);
	sti_capture_close(b);
}

static bool capture_name(const char *name)
{
	const char *dot = strrchr(name, '.');
	return dot && (strcmp(dot, ".pcap") == 0 || strcmp(dot, ".pcapng") == 0);
}

/* Every capture under dir, recursively (no symlinks followed). */
static void same_frames_under(const char *dir, struct totals *t)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		struct stat sb;
		if (lstat(path, &sb) != 0)
			continue;
		if (S_ISDIR(sb.st_mode))
			same_frames_under(path, t);
		else if (S_ISREG(sb.st_mode) && capture_name(e->d_name))
			same_frames(path, t);
	}
	closedir(d);
}

static const char *srcdir(void)
{
	const char *s = getenv("STI_SRCDIR");
	return s ? s : ".";
}

static void test_fixtures(void **state)
{
	(void)state;
	char dir[4096];
	struct totals t = { 0 };
	snprintf(dir, sizeof(dir), "%s/pcaps", srcdir());
	same_frames_under(dir, &t);
	assert_true(t.files >= 20);
	/* Lab captures are plain pcap: the walker reads all of them. */
	assert_int_equal(t.walked, t.frames);
}

static void test_public(void **state)
{
	(void)state;
	char dir[4096];
	struct totals t = { 0 };
	snprintf(dir, sizeof(dir), "%s/../shared/pcaps/public", srcdir());
	same_frames_under(dir, &t);
	if (t.files == 0)
		skip();
	print_message("public: %llu files, %llu frames, %llu walked\n",
		      (unsigned long long)t.files, (unsigned long long)t.frames,
		      (unsigned long long)t.walked);
	assert_true(t.walked > t.frames / 2);
}

/* ---- hand-built files ---- */

struct file {
	uint8_t b[4096];
	size_t n;
	bool be;     /* multi-byte fields big-endian */
};

static void put(struct file *f, const void *p, size_t n)
{
	assert_true(f->n + n <= sizeof(f->b));
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static void put16(struct file *f, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	if (f->be) {
		b[0] = (uint8_t)(v >> 8);
		b[1] = (uint8_t)v;
	}
	put(f, b, 2);
}

static void put32(struct file *f, uint32_t v)
{
	if (f->be) {
		put16(f, (uint16_t)(v >> 16));
		put16(f, (uint16_t)v);
	} else {
		put16(f, (uint16_t)v);
		put16(f, (uint16_t)(v >> 16));
	}
}

static void put64(struct file *f, uint64_t v)
{
	if (f->be) {
		put32(f, (uint32_t)(v >> 32));
		put32(f, (uint32_t)v);
	} else {
		put32(f, (uint32_t)v);
		put32(f, (uint32_t)(v >> 32));
	}
}

static void pad4(struct file *f)
{
	while (f->n % 4)
		put(f, "", 1);
}

/* A 60-byte frame whose bytes name its number. */
static void payload(struct file *f, uint8_t tag, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint8_t v = (uint8_t)(tag + i);
		put(f, &v, 1);
	}
}

static void pcap_header(struct file *f, uint32_t magic, uint16_t major,
			uint16_t minor, uint32_t snaplen)
{
	put32(f, magic);
	put16(f, major);
	put16(f, minor);
	put32(f, 0);
	put32(f, 0);
	put32(f, snaplen);
	put32(f, 1);   /* Ethernet */
}

static void pcap_record(struct file *f, uint32_t sec, uint32_t frac,
			uint32_t caplen, uint32_t len, uint8_t tag, uint32_t bytes)
{
	put32(f, sec);
	put32(f, frac);
	put32(f, caplen);
	put32(f, len);
	payload(f, tag, bytes);
}

/* Block helpers: open a block, fill it, close it with both lengths. */
static size_t ng_open(struct file *f, uint32_t type)
{
	size_t at = f->n;
	put32(f, type);
	put32(f, 0);
	return at;
}

static void ng_close(struct file *f, size_t at)
{
	pad4(f);
	uint32_t total = (uint32_t)(f->n - at + 4);
	struct file tmp = { .be = f->be };
	put32(&tmp, total);
	memcpy(f->b + at + 4, tmp.b, 4);
	put32(f, total);
}

static void ng_shb(struct file *f)
{
	size_t at = ng_open(f, 0x0A0D0D0A);
	put32(f, 0x1A2B3C4D);
	put16(f, 1);
	put16(f, 0);
	put64(f, UINT64_MAX);
	ng_close(f, at);
}

/* tsresol 0xff means none; tsoffset 0 means none. */
static void ng_idb(struct file *f, uint16_t linktype, uint32_t snaplen,
		   uint8_t tsresol, uint64_t tsoffset)
{
	size_t at = ng_open(f, 1);
	put16(f, linktype);
	put16(f, 0);
	put32(f, snaplen);
	put16(f, 2);              /* if_name, ignored */
	put16(f, 3);
	put(f, "eth", 3);
	pad4(f);
	if (tsresol != 0xff) {
		put16(f, 9);
		put16(f, 1);
		put(f, &tsresol, 1);
		pad4(f);
	}
	if (tsoffset) {
		put16(f, 14);
		put16(f, 8);
		put64(f, tsoffset);
	}
	put16(f, 0);
	put16(f, 0);
	ng_close(f, at);
}

static void ng_epb(struct file *f, uint32_t ifid, uint64_t t, uint32_t caplen,
		   uint32_t len, uint8_t tag)
{
	size_t at = ng_open(f, 6);
	put32(f, ifid);
	put32(f, (uint32_t)(t >> 32));
	put32(f, (uint32_t)t);
	put32(f, caplen);
	put32(f, len);
	payload(f, tag, caplen);
	ng_close(f, at);
}

static void ng_spb(struct file *f, uint32_t len, uint8_t tag, uint32_t bytes)
{
	size_t at = ng_open(f, 3);
	put32(f, len);
	payload(f, tag, bytes);
	ng_close(f, at);
}

static void ng_other(struct file *f)
{
	size_t at = ng_open(f, 0x40000BAD);
	put32(f, 0xdeadbeef);
	ng_close(f, at);
}

static void same_frames_in_batches(const char *path, int max, uint64_t *frames,
				   uint64_t *batches);

/* Write f to a temporary file and compare the readers; the totals, with
 * how the file ended. The walker's frames are compared one at a time and
 * in batches of 1, 3 and 16 (runs of several records from the walker,
 * cut by whatever ends a run: hand-offs, truncations, the file's end). */
static struct totals compare_file_totals(const struct file *f)
{
	char path[] = "/tmp/sti-test-capture-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, f->b, f->n), (ssize_t)f->n);
	close(fd);
	struct totals t = { 0 };
	same_frames(path, &t);
	static const int maxes[] = { 1, 3, 16 };
	for (size_t i = 0; t.files && i < sizeof(maxes) / sizeof(maxes[0]); i++) {
		uint64_t frames = 0, batches = 0;
		same_frames_in_batches(path, maxes[i], &frames, &batches);
		assert_int_equal(frames, t.frames);
	}
	unlink(path);
	return t;
}

/* The same; returns the frames the walker gave. */
static uint64_t compare_file(const struct file *f, uint64_t want_frames)
{
	struct totals t = compare_file_totals(f);
	assert_int_equal(t.frames, want_frames);
	return t.walked;
}

static void test_pcap_orders_and_precisions(void **state)
{
	(void)state;
	for (int be = 0; be < 2; be++) {
		for (int ns = 0; ns < 2; ns++) {
			struct file f = { .be = be };
			pcap_header(&f, ns ? 0xa1b23c4d : 0xa1b2c3d4, 2, 4, 65535);
			pcap_record(&f, 1700000000, ns ? 999999999 : 999999, 60, 60, 1, 60);
			pcap_record(&f, 0x80000001u, 5, 20, 1500, 2, 20); /* negative seconds */
			pcap_record(&f, 1700000001, 0xfffffff0u, 0, 0, 3, 0); /* bad fraction */
			pcap_record(&f, 1700000002, 1, 10, 10, 4, 10);
			assert_int_equal(compare_file(&f, 4), 4);
		}
	}
}

static void test_pcap_handoffs(void **state)
{
	(void)state;
	/* caplen above the snapshot length: libpcap truncates it, the
	 * walker hands over, and the frames after it still match. */
	struct file f = { 0 };
	pcap_header(&f, 0xa1b2c3d4, 2, 4, 64);
	pcap_record(&f, 1, 1, 60, 60, 1, 60);
	pcap_record(&f, 2, 2, 100, 100, 2, 100);
	pcap_record(&f, 3, 3, 40, 40, 3, 40);
	assert_int_equal(compare_file(&f, 3), 1);
	/* A truncated record: libpcap's own error after the walked frames. */
	struct file g = { 0 };
	pcap_header(&g, 0xa1b2c3d4, 2, 4, 65535);
	pcap_record(&g, 1, 1, 60, 60, 1, 60);
	pcap_record(&g, 2, 2, 60, 60, 2, 30);
	assert_int_equal(compare_file(&g, 1), 1);
	/* Version 2.3: caplen and len swapped where caplen > len. */
	struct file h = { 0 };
	pcap_header(&h, 0xa1b2c3d4, 2, 3, 65535);
	pcap_record(&h, 1, 1, 60, 40, 1, 40);
	pcap_record(&h, 2, 2, 30, 60, 2, 30);
	assert_int_equal(compare_file(&h, 2), 2);
}

static void test_pcapng_sections_and_interfaces(void **state)
{
	(void)state;
	for (int be = 0; be < 2; be++) {
		struct file f = { .be = be };
		ng_shb(&f);
		ng_idb(&f, 1, 65535, 0xff, 0);
		ng_idb(&f, 1, 65535, 9, 0);            /* nanoseconds */
		ng_idb(&f, 1, 65535, 0x80 | 10, 1000); /* 2^-10 s, offset */
		ng_idb(&f, 1, 65535, 3, 0);            /* milliseconds */
		ng_epb(&f, 0, UINT64_C(1700000000123456), 60, 60, 1);
		ng_epb(&f, 1, UINT64_C(1700000000123456789), 60, 1514, 2);
		ng_other(&f);
		ng_epb(&f, 2, UINT64_C(1700000000) * 1024 + 1023, 20, 20, 3);
		ng_epb(&f, 3, UINT64_C(1700000000999), 20, 20, 4);
		ng_spb(&f, 90, 5, 90);
		ng_shb(&f);                            /* a second section */
		ng_idb(&f, 1, 65535, 6, 0);            /* microseconds, said */
		ng_epb(&f, 0, UINT64_C(1800000000000000), 33, 33, 6);
		ng_spb(&f, 10, 7, 10);
		assert_int_equal(compare_file(&f, 7), 7);
	}
}

/* A section with one Ethernet interface and one packet on it. */
static void ng_start(struct file *f)
{
	ng_shb(f);
	ng_idb(f, 1, 65535, 0xff, 0);
	ng_epb(f, 0, 1, 20, 20, 1);
}

static void test_pcapng_handoffs(void **state)
{
	(void)state;
	/* A packet on an interface the section does not have. */
	struct file f = { 0 };
	ng_start(&f);
	ng_shb(&f);
	ng_idb(&f, 1, 65535, 0xff, 0);
	ng_epb(&f, 1, 2, 20, 20, 2);
	assert_int_equal(compare_file(&f, 1), 1);
	/* A later interface of another link type. */
	struct file g = { 0 };
	ng_start(&g);
	ng_idb(&g, 101, 65535, 0xff, 0);
	ng_epb(&g, 1, 2, 20, 20, 2);
	assert_int_equal(compare_file(&g, 1), 1);
	/* Trailer length differs from the header's. */
	struct file h = { 0 };
	ng_start(&h);
	ng_epb(&h, 0, 2, 20, 20, 2);
	h.b[h.n - 4] ^= 4;
	assert_int_equal(compare_file(&h, 1), 1);
	/* A timestamp resolution libpcap refuses. */
	struct file k = { 0 };
	ng_start(&k);
	ng_idb(&k, 1, 65535, 20, 0);
	ng_epb(&k, 0, 2, 20, 20, 2);
	assert_int_equal(compare_file(&k, 1), 1);
	/* A record cut off by the end of the file. */
	struct file m = { 0 };
	ng_start(&m);
	ng_epb(&m, 0, 2, 20, 20, 2);
	m.n -= 10;
	assert_int_equal(compare_file(&m, 1), 1);
}

/* A file cut inside its last record: both readers give every whole frame,
 * then the same truncation, and the walker needs no hand-off for it. */
static void expect_cut(const struct file *f, uint64_t frames)
{
	struct totals t = compare_file_totals(f);
	assert_int_equal(t.frames, frames);
	assert_int_equal(t.walked, frames);
	assert_int_equal(t.last, STI_CAP_TRUNCATED);
	char want[80];
	snprintf(want, sizeof(want), "the file ends inside the record after frame %llu",
		 (unsigned long long)frames);
	assert_string_equal(t.err, want);
}

static void test_cut_inside_last_record(void **state)
{
	(void)state;
	for (int be = 0; be < 2; be++) {
		struct file f = { .be = be };
		pcap_header(&f, 0xa1b2c3d4, 2, 4, 65535);
		pcap_record(&f, 1, 1, 60, 60, 1, 60);
		pcap_record(&f, 2, 2, 60, 60, 2, 60);
		struct file cut = f;
		cut.n -= 1;                 /* in the data */
		expect_cut(&cut, 1);
		cut.n = 24 + 76 + 7;        /* in the second record's header */
		expect_cut(&cut, 1);
		cut.n = 24 + 76;            /* between records: a clean end */
		struct totals t = compare_file_totals(&cut);
		assert_int_equal(t.last, STI_CAP_EOF);
		assert_int_equal(t.frames, 1);

		struct file g = { .be = be };
		ng_start(&g);
		size_t second = g.n;
		ng_epb(&g, 0, 2, 20, 20, 2);
		struct file ngcut = g;
		ngcut.n -= 4;               /* the trailer length */
		expect_cut(&ngcut, 1);
		ngcut.n = second + 5;       /* in the block header */
		expect_cut(&ngcut, 1);
		ngcut.n = second + 30;      /* in the packet data */
		expect_cut(&ngcut, 1);
	}
}

/* ---- files larger than the walker's buffer ---- */

/* Files of a few MiB, written piece by piece: f holds the piece. */
static void emit(FILE *out, struct file *f)
{
	assert_int_equal(fwrite(f->b, 1, f->n, out), f->n);
	f->n = 0;
}

/* n frame bytes (the pattern payload() writes), then zeros up to pad. */
static void emit_payload(FILE *out, uint8_t tag, uint32_t n, uint32_t pad)
{
	uint8_t chunk[4096];
	for (uint32_t i = 0; i < n + pad;) {
		uint32_t k = n + pad - i < sizeof(chunk) ? n + pad - i : (uint32_t)sizeof(chunk);
		for (uint32_t j = 0; j < k; j++)
			chunk[j] = i + j < n ? (uint8_t)(tag + i + j) : 0;
		assert_int_equal(fwrite(chunk, 1, k, out), k);
		i += k;
	}
}

/* Frame sizes that put record ends at every offset of the buffer; every
 * 700th frame is as large as a pcap record may be (larger than the
 * buffer, which has to grow for it). */
static uint32_t big_file_caplen(uint32_t i)
{
	return i % 700 == 350 ? 262144 : (i * 7919u) % 1511u + 1;
}

#define BIG_FILE_FRAMES 2400u

static void big_pcap(FILE *out, bool be)
{
	struct file f = { .be = be };
	pcap_header(&f, 0xa1b2c3d4, 2, 4, 262144);
	emit(out, &f);
	for (uint32_t i = 0; i < BIG_FILE_FRAMES; i++) {
		uint32_t caplen = big_file_caplen(i);
		pcap_record(&f, 1700000000 + i, i, caplen, caplen + 4, 0, 0);
		emit(out, &f);
		emit_payload(out, (uint8_t)i, caplen, 0);
	}
}

/* A block whose body is head, then n pattern bytes padded to 4. */
static void big_block(FILE *out, bool be, uint32_t type, struct file *head,
		      uint8_t tag, uint32_t n)
{
	uint32_t pad = (4 - n % 4) % 4;
	uint32_t total = 12 + (uint32_t)head->n + n + pad;
	struct file f = { .be = be };
	put32(&f, type);
	put32(&f, total);
	emit(out, &f);
	emit(out, head);
	emit_payload(out, tag, n, pad);
	put32(&f, total);
	emit(out, &f);
}

/* A pcapng of the same frames, with a 3 MiB block of another kind in the
 * middle (skipped, but read through). */
static void big_pcapng(FILE *out, bool be)
{
	struct file f = { .be = be };
	ng_shb(&f);
	ng_idb(&f, 1, 262144, 0xff, 0);
	emit(out, &f);
	for (uint32_t i = 0; i < BIG_FILE_FRAMES; i++) {
		uint32_t caplen = big_file_caplen(i);
		struct file head = { .be = be };
		put32(&head, 0);
		put32(&head, 0);
		put32(&head, 1700000000u + i);
		put32(&head, caplen);
		put32(&head, caplen + 4);
		big_block(out, be, 6, &head, (uint8_t)i, caplen);
		if (i == BIG_FILE_FRAMES / 2)
			big_block(out, be, 0x40000BAD, &f, 0, 3u << 20);
	}
}

/* The file through both readers; it may be cut short by `cut` bytes. */
static struct totals compare_big_file(void (*build)(FILE *, bool), bool be,
				      long cut)
{
	char path[] = "/tmp/sti-test-capture-big-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *out = fdopen(fd, "wb");
	assert_non_null(out);
	build(out, be);
	assert_int_equal(fflush(out), 0);
	long size = ftell(out);
	assert_true(size > 2 * 1024 * 1024);   /* several of the buffers */
	assert_int_equal(ftruncate(fd, size - cut), 0);
	fclose(out);
	struct totals t = { 0 };
	same_frames(path, &t);
	unlink(path);
	return t;
}

/* Records and blocks across the ends of the walker's reads, and larger
 * than its buffer: the same frames as libpcap's, all walked. */
static void test_files_larger_than_the_buffer(void **state)
{
	(void)state;
	void (*builds[])(FILE *, bool) = { big_pcap, big_pcapng };
	for (int b = 0; b < 2; b++) {
		for (int be = 0; be < 2; be++) {
			struct totals t = compare_big_file(builds[b], be, 0);
			assert_int_equal(t.frames, BIG_FILE_FRAMES);
			assert_int_equal(t.walked, BIG_FILE_FRAMES);
			assert_int_equal(t.last, STI_CAP_EOF);
			/* cut inside the last frame's data */
			t = compare_big_file(builds[b], be, 9);
			assert_int_equal(t.frames, BIG_FILE_FRAMES - 1);
			assert_int_equal(t.walked, BIG_FILE_FRAMES - 1);
			assert_int_equal(t.last, STI_CAP_TRUNCATED);
		}
	}
}

/*
 * Batches from the walker against libpcap one frame at a time: every frame
 * of a batch still matches after the whole batch is taken (its bytes stay
 * put until the next call), batches stop at the ends of the buffer, and
 * the file ends the same way.
 */
static void same_frames_in_batches(const char *path, int max, uint64_t *frames,
				   uint64_t *batches)
{
	char ea[1024] = "", eb[1024] = "";
	struct sti_capture *a = sti_capture_open_offline_with(path, STI_READER_LIBPCAP,
							      ea, sizeof(ea));
	struct sti_capture *b = sti_capture_open_offline(path, eb, sizeof(eb));
	assert_non_null(a);
	assert_non_null(b);
	enum sti_capture_rc ra, rb;
	for (;;) {
		struct sti_frame v[16], fa;
		int n = -1;
		rb = sti_capture_next_batch(b, v, max, &n, eb, sizeof(eb));
		if (rb == STI_CAP_FRAME)
			assert_true(n >= 1 && n <= max);
		else
			assert_int_equal(n, 0);
		for (int i = 0; i < n; i++) {
			ra = sti_capture_next(a, &fa, ea, sizeof(ea));
			assert_int_equal(ra, STI_CAP_FRAME);
			assert_int_equal(fa.number, v[i].number);
			assert_int_equal(fa.ts_us, v[i].ts_us);
			assert_int_equal(fa.caplen, v[i].caplen);
			assert_int_equal(fa.len, v[i].len);
			assert_memory_equal(fa.data, v[i].data, fa.caplen);
		}
		*frames += (uint64_t)n;
		if (rb != STI_CAP_FRAME)
			break;
		(*batches)++;
	}
	ra = sti_capture_next(a, &(struct sti_frame){ 0 }, ea, sizeof(ea));
	assert_int_equal(ra, rb);
	if (ra != STI_CAP_EOF)
		assert_string_equal(ea, eb);
	sti_capture_close(a);
	sti_capture_close(b);
}

static void test_batches(void **state)
{
	(void)state;
	void (*builds[])(FILE *, bool) = { big_pcap, big_pcapng };
	for (int b = 0; b < 2; b++) {
		for (long cut = 0; cut <= 9; cut += 9) {
			char path[] = "/tmp/sti-test-capture-batch-XXXXXX";
			int fd = mkstemp(path);
			assert_true(fd >= 0);
			FILE *out = fdopen(fd, "wb");
			assert_non_null(out);
			builds[b](out, false);
			assert_int_equal(fflush(out), 0);
			assert_int_equal(ftruncate(fd, ftell(out) - cut), 0);
			fclose(out);
			uint64_t frames = 0, batches = 0;
			same_frames_in_batches(path, 16, &frames, &batches);
			unlink(path);
			assert_int_equal(frames, BIG_FILE_FRAMES - (cut ? 1 : 0));
			/* mostly full batches, cut short at the buffer's ends */
			assert_true(batches > frames / 16);
			assert_true(batches < frames / 8);
		}
	}
}

/* libpcap stops at an interface of another link type; the error says so and
 * gives the commands that keep the first interface. */
static void test_mixed_link_types(void **state)
{
	(void)state;
	struct file g = { 0 };
	ng_start(&g);
	ng_idb(&g, 0, 65535, 0xff, 0);   /* LINKTYPE_NULL */
	ng_epb(&g, 1, 2, 20, 20, 2);
	struct totals t = compare_file_totals(&g);
	assert_int_equal(t.frames, 1);
	assert_int_equal(t.last, STI_CAP_ERROR);
	assert_non_null(strstr(t.err, "the interfaces have different link types"
			       " (DLT_EN10MB (1), then LINKTYPE 0), which libpcap does"
			       " not read in one file; keep the first interface with:"
			       " tshark -r '/tmp/sti-test-capture-"));
	assert_non_null(strstr(t.err, "' -Y 'frame.interface_id == 0' -w - |"
			       " editcap -T ether -F pcap - first-interface.pcap"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcap_orders_and_precisions),
		cmocka_unit_test(test_pcap_handoffs),
		cmocka_unit_test(test_pcapng_sections_and_interfaces),
		cmocka_unit_test(test_pcapng_handoffs),
		cmocka_unit_test(test_cut_inside_last_record),
		cmocka_unit_test(test_mixed_link_types),
		cmocka_unit_test(test_files_larger_than_the_buffer),
		cmocka_unit_test(test_batches),
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_public),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
