/*
 * capture.c - libpcap as the source of frames.
 */
#include "sti/capture.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sti/decode.h"
#include "sti/capture_pcapwalk.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

/* libpcap's MAXIMUM_SNAPLEN: its sanity cap on a record for the link types
 * we walk (max_snaplen_for_dlt). */
#define LIBPCAP_MAX_SNAPLEN 262144u
/*
 * The walker reads the file into a buffer of this size (read(2), not a
 * mapping: in a VM with shadow page tables every newly mapped page costs
 * a hidden fault at its first touch, about 1.9 us each, which made half of
 * all time on a long-session gigabyte; a read into a reused buffer costs
 * a copy at several GB/s). Small enough to stay in the L2 cache while its
 * frames are decoded. It grows for a record that does not fit, up to the
 * largest block the walker takes (a pcapng block of 16 MiB; a pcap record
 * is at most 16 + 262,144 bytes).
 */
#define WALK_BUFFER_SIZE (256u * 1024)
#define WALK_BUFFER_MAX (16u * 1024 * 1024)
/* libpcap reads a file through stdio, whose buffer is 1 KiB in some C
 * libraries (musl, emscripten's): one read(2), or in a browser one
 * synchronous read of the dropped file, per KiB. With a buffer of ours each
 * read is this size. */
#define READ_BUFFER_SIZE (1024u * 1024)

/* A file walked from our buffer (capture_pcapwalk.h) while libpcap stands by. */
struct walked_file {
	int fd;
	uint8_t *buf;
	size_t cap;          /* bytes buf can hold */
	bool at_end;         /* read(2) has said end of file */
	struct sti_pcapwalk walk;
};

struct sti_capture {
	pcap_t *pcap;
	uint64_t frames;
	bool live;
	int fd;              /* live: what poll(2) waits on */
	int timeout_ms;
	/* libpcap's counters are 32-bit and wrap on a long run: the last raw
	 * values and 64-bit sums of their differences. */
	uint32_t raw_recv, raw_drop, raw_ifdrop;
	struct sti_capture_kstats sums;
	struct walked_file *file; /* offline: the fast path, NULL once libpcap reads */
	volatile sig_atomic_t stop;
	uint64_t walked;         /* frames the walker gave */
	char *read_buffer;       /* offline: stdio's buffer for libpcap's FILE */
	char *path;              /* offline: for advice in errors */
};

/* Our handle around libpcap's; the pcap_t is closed when this fails. */
static struct sti_capture *wrap(pcap_t *p, char *err, size_t errlen)
{
	struct sti_capture *c = calloc(1, sizeof(*c));
	if (!c) {
		pcap_close(p);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->pcap = p;
	return c;
}

/* The link types we decode, whose records libpcap hands over unchanged:
 * its pcap_post_process rewrites SLL and SLL2 headers when swapped. */
static bool walkable_dlt(int dlt, bool swapped)
{
	if (swapped && (dlt == DLT_LINUX_SLL || dlt == DLT_LINUX_SLL2))
		return false;
	return sti_decode_link_supported(dlt);
}

static void free_walked(struct walked_file *m)
{
	if (!m)
		return;
	if (m->fd >= 0)
		close(m->fd);
	free(m->buf);
	free(m);
}

static void stop_walking(struct sti_capture *c)
{
	free_walked(c->file);
	c->file = NULL;
}

/* Read behind the first *len bytes of the buffer until it is full or the
 * file ends; false on a read error. */
static bool read_more(struct walked_file *m, size_t *len)
{
	while (*len < m->cap && !m->at_end) {
		ssize_t n = read(m->fd, m->buf + *len, m->cap - *len);
		if (n > 0)
			*len += (size_t)n;
		else if (n == 0)
			m->at_end = true;
		else if (errno != EINTR)
			return false;
	}
	return true;
}

enum refill_rc { REFILL_MORE, REFILL_END, REFILL_FAILED };

/* The bytes not yet walked to the front, the file's next bytes behind
 * them; the buffer doubles when they fill it (a record larger than it).
 * FAILED (a read error, no memory): libpcap takes over and says why. */
static enum refill_rc refill(struct walked_file *m)
{
	if (m->at_end)
		return REFILL_END;
	struct sti_rd rest = sti_pcapwalk_rest(&m->walk);
	size_t len = sti_rd_left(&rest);
	if (len)
		memmove(m->buf, rest.p, len);
	if (len == m->cap) {
		size_t cap = m->cap * 2;
		uint8_t *buf = cap <= WALK_BUFFER_MAX ? realloc(m->buf, cap) : NULL;
		if (!buf)
			return REFILL_FAILED;
		m->buf = buf;
		m->cap = cap;
	}
	size_t before = len;
	if (!read_more(m, &len))
		return REFILL_FAILED;
	sti_pcapwalk_more(&m->walk, m->buf, len);
	return len > before ? REFILL_MORE : REFILL_END;
}

/* A regular file, opened again for the walker, its first *len bytes read. */
static struct walked_file *open_walked(const char *path, size_t *len)
{
	struct walked_file *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	*len = 0;
	if (m->fd < 0 || fstat(m->fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size <= 0 || !(m->buf = malloc(WALK_BUFFER_SIZE))) {
		free_walked(m);
		return NULL;
	}
	m->cap = WALK_BUFFER_SIZE;
	if (!read_more(m, len)) {
		free_walked(m);
		return NULL;
	}
	return m;
}

/* Walk a regular file ourselves; anything else (standard input, a pipe,
 * an empty file, a read error) stays with libpcap. */
static void walk_file(struct sti_capture *c, const char *path)
{
	pcap_t *p = c->pcap;
	bool swapped = pcap_is_swapped(p) == 1;
	if (strcmp(path, "-") == 0 || !walkable_dlt(pcap_datalink(p), swapped))
		return;
	size_t len;
	struct walked_file *m = open_walked(path, &len);
	if (!m)
		return;
	struct sti_walk_params pp = {
		.swapped = swapped,
		.version_major = pcap_major_version(p),
		.version_minor = pcap_minor_version(p),
		.dlt = pcap_datalink(p),
		.snapshot = (uint32_t)pcap_snapshot(p),
		.max_caplen = LIBPCAP_MAX_SNAPLEN,
	};
	if (!sti_pcapwalk_init(&m->walk, m->buf, len, &pp)) {
		free_walked(m);
		return;
	}
	c->file = m;
}

struct sti_capture *sti_capture_open_offline(const char *path, char *err,
					     size_t errlen)
{
	return sti_capture_open_offline_with(path, STI_READER_AUTO, err, errlen);
}

/* The file opened as pcap_open_offline opens it ("-" is standard input),
 * but with a large stdio buffer for a named file; *buffer is that buffer,
 * to be freed after the FILE is closed (NULL: stdio's own). */
static FILE *open_buffered(const char *path, char **buffer, char *ebuf)
{
	*buffer = NULL;
	if (strcmp(path, "-") == 0)
		return stdin;   /* stdio's buffer: stdin outlives the capture */
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		snprintf(ebuf, PCAP_ERRBUF_SIZE, "%s", strerror(errno));
		return NULL;
	}
	*buffer = malloc(READ_BUFFER_SIZE);
	if (*buffer && setvbuf(fp, *buffer, _IOFBF, READ_BUFFER_SIZE) != 0) {
		free(*buffer);
		*buffer = NULL;
	}
	return fp;
}

/* libpcap's open over our FILE; on failure the FILE is closed. */
static pcap_t *open_pcap(const char *path, char **buffer, char *ebuf)
{
	FILE *fp = open_buffered(path, buffer, ebuf);
	if (!fp)
		return NULL;
	pcap_t *p = pcap_fopen_offline_with_tstamp_precision(
		fp, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	if (!p) {
		if (fp != stdin)
			fclose(fp);
		free(*buffer);
		*buffer = NULL;
	}
	return p;
}

struct sti_capture *sti_capture_open_offline_with(const char *path,
						  enum sti_capture_reader reader,
						  char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	char *buffer;
	pcap_t *p = open_pcap(path, &buffer, ebuf);
	if (!p) {
		/* libpcap often names the file itself; callers add the name. */
		const char *why = ebuf[0] ? ebuf : "cannot open";
		size_t plen = strlen(path);
		if (strncmp(why, path, plen) == 0 && why[plen] == ':' && why[plen + 1] == ' ')
			why += plen + 2;
		snprintf(err, errlen, "%s", why);
		return NULL;
	}
	/* libpcap opens every file, so that open errors, the link type and
	 * the snapshot length are its own; the walker then reads records. */
	struct sti_capture *c = wrap(p, err, errlen);
	if (!c) {
		free(buffer);
		return NULL;
	}
	c->read_buffer = buffer;
	c->path = strdup(path);
	if (reader == STI_READER_AUTO)
		walk_file(c, path);
	return c;
}

static bool live_setup(pcap_t *p, const struct sti_live_cfg *cfg)
{
	if (pcap_set_snaplen(p, cfg->snaplen) != 0 ||
	    pcap_set_promisc(p, 1) != 0 ||
	    /* Not immediate mode: with it libpcap falls back to TPACKET_V2,
	     * whose ring has one slot per frame sized for the largest frame
	     * (64 KiB with receive offload: 32 slots in 2 MiB). TPACKET_V3
	     * packs frames into blocks, and this timeout bounds how long a
	     * frame waits in a block that is not full. */
	    pcap_set_timeout(p, cfg->buffer_timeout_ms) != 0)
		return false;
	if (cfg->buffer_kib > 0 && pcap_set_buffer_size(p, cfg->buffer_kib * 1024) != 0)
		return false;
	return true;
}

bool sti_capture_set_filter(struct sti_capture *c, const char *expr, char *err,
			    size_t errlen)
{
	struct bpf_program prog;
	pcap_t *p = c->pcap;
	if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(err, errlen, "filter '%s': %s", expr, pcap_geterr(p));
		return false;
	}
	int rc = pcap_setfilter(p, &prog);
	pcap_freecode(&prog);
	if (rc != 0) {
		snprintf(err, errlen, "filter '%s': %s", expr, pcap_geterr(p));
		return false;
	}
	return true;
}

/* pcap_activate's result: 0, a warning (> 0) or an error (< 0). libpcap
 * sometimes leaves the detail empty; the status names the problem then. */
static bool live_activate(pcap_t *p, const char *iface, char *warn,
			  size_t warnlen, char *err, size_t errlen)
{
	int rc = pcap_activate(p);
	if (rc == 0)
		return true;
	const char *detail = pcap_geterr(p);
	const char *why = detail[0] ? detail : pcap_statustostr(rc);
	if (rc > 0) {
		snprintf(warn, warnlen, "%s: %s", iface, why);
		return true;
	}
	snprintf(err, errlen, "%s: %s", iface, why);
	return false;
}

struct sti_capture *sti_capture_open_live(const struct sti_live_cfg *cfg,
					  char *warn, size_t warnlen,
					  char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	warn[0] = '\0';
	pcap_t *p = pcap_create(cfg->iface, ebuf);
	if (!p) {
		snprintf(err, errlen, "%s: %s", cfg->iface, ebuf);
		return NULL;
	}
	if (!live_setup(p, cfg)) {
		snprintf(err, errlen, "%s: %s", cfg->iface, pcap_geterr(p));
		pcap_close(p);
		return NULL;
	}
	if (!live_activate(p, cfg->iface, warn, warnlen, err, errlen)) {
		pcap_close(p);
		return NULL;
	}
	struct sti_capture *c = wrap(p, err, errlen);
	if (!c)
		return NULL;
	c->live = true;
	c->timeout_ms = cfg->timeout_ms;
	/*
	 * libpcap on Linux keeps polling inside pcap_next_ex when its read
	 * timeout passes without a frame, so the idle clock and the signals
	 * would wait for traffic. Non-blocking reads plus our own poll(2) give
	 * control back on time.
	 */
	c->fd = pcap_get_selectable_fd(p);
	if (c->fd < 0 || pcap_setnonblock(p, 1, ebuf) != 0) {
		snprintf(err, errlen, "%s: cannot wait for frames with a timeout%s%s",
			 cfg->iface, ebuf[0] ? ": " : "", ebuf);
		sti_capture_close(c);
		return NULL;
	}
	return c;
}

void sti_capture_breakloop(struct sti_capture *c)
{
	c->stop = 1;
	pcap_breakloop(c->pcap);
}

bool sti_capture_kstats(struct sti_capture *c, struct sti_capture_kstats *ks,
			char *err, size_t errlen)
{
	struct pcap_stat ps;
	if (!c->live || pcap_stats(c->pcap, &ps) != 0) {
		snprintf(err, errlen, "%s", c->live ? pcap_geterr(c->pcap)
						    : "not a live capture");
		return false;
	}
	/* Unsigned 32-bit differences survive one wrap between two reads. */
	c->sums.received += (uint32_t)(ps.ps_recv - c->raw_recv);
	c->sums.dropped += (uint32_t)(ps.ps_drop - c->raw_drop);
	c->sums.if_dropped += (uint32_t)(ps.ps_ifdrop - c->raw_ifdrop);
	c->raw_recv = ps.ps_recv;
	c->raw_drop = ps.ps_drop;
	c->raw_ifdrop = ps.ps_ifdrop;
	*ks = c->sums;
	return true;
}

void sti_capture_close(struct sti_capture *c)
{
	if (!c)
		return;
	stop_walking(c);
	pcap_close(c->pcap);
	free(c->read_buffer);
	free(c->path);
	free(c);
}

uint64_t sti_capture_frames_walked(const struct sti_capture *c)
{
	return c->walked;
}

int sti_capture_datalink(const struct sti_capture *c)
{
	return pcap_datalink(c->pcap);
}

const char *sti_capture_datalink_name(int dlt, char *buf, size_t len)
{
	const char *name = pcap_datalink_val_to_name(dlt);
	if (name)
		snprintf(buf, len, "DLT_%s (%d)", name, dlt);
	else
		snprintf(buf, len, "DLT %d", dlt);
	return buf;
}

/*
 * The walker stopped where libpcap must speak (a bad or unusual record):
 * libpcap, still at the first record, reads past the frames already given
 * and carries on from there with its own results and errors.
 */
static enum sti_capture_rc hand_off(struct sti_capture *c, char *err,
				    size_t errlen)
{
	stop_walking(c);
	struct pcap_pkthdr *h;
	const u_char *data;
	for (uint64_t i = 0; i < c->frames; i++) {
		int rc = pcap_next_ex(c->pcap, &h, &data);
		if (rc == 1)
			continue;
		/* libpcap disagrees about a frame already given: say so. */
		snprintf(err, errlen, "libpcap cannot re-read frame %llu: %s",
			 (unsigned long long)i + 1,
			 rc == PCAP_ERROR ? pcap_geterr(c->pcap) : "end of file");
		return STI_CAP_ERROR;
	}
	return STI_CAP_FRAME;
}

/* The same words from both readers, so that they stay comparable. */
static enum sti_capture_rc cut_short(const struct sti_capture *c, char *err,
				     size_t errlen)
{
	snprintf(err, errlen, "the file ends inside the record after frame %llu",
		 (unsigned long long)c->frames);
	return STI_CAP_TRUNCATED;
}

/*
 * libpcap's read error at the end of the file is a truncation: its reads
 * only reach end-of-file when a record promised more bytes than were left.
 * Other errors (a bad length, a bad block) stop before the end.
 */
static bool libpcap_hit_end(pcap_t *p)
{
	FILE *f = pcap_file(p);
	return f && feof(f) && !ferror(f);
}

/* editcap's name (-T) for the link types we decode. */
static const char *editcap_encap(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB: return "ether";
	case DLT_LINUX_SLL: return "linux-sll";
	case DLT_LINUX_SLL2: return "linux-sll2";
	case DLT_RAW: return "rawip";
	case DLT_IPV4: return "rawip4";
	case DLT_IPV6: return "rawip6";
	case DLT_NULL: return "null";
	case DLT_LOOP: return "loop";
	default: return NULL;
	}
}

/*
 * libpcap reads a pcapng whose interfaces have different link types only
 * up to the first interface of another type, with these words (sf-pcapng.c).
 * Neither `editcap -F pcap` nor `tshark -F pcap` converts such a file as it
 * is; keeping the first interface, then forcing its type, does.
 */
static bool mixed_link_advice(const struct sti_capture *c, const char *why,
			      char *err, size_t errlen)
{
	unsigned other;
	char rest[8];
	if (sscanf(why, "an interface has a type %u different from the type of "
		   "the first interface%7s", &other, rest) != 1)
		return false;
	int first = pcap_datalink(c->pcap);
	const char *encap = editcap_encap(first);
	char a[64];
	/* libpcap gives the file's LINKTYPE_ value, not a DLT_ one. */
	int n = snprintf(err, errlen, "the interfaces have different link types (%s, then"
			 " LINKTYPE %u), which libpcap does not read in one file",
			 sti_capture_datalink_name(first, a, sizeof(a)), other);
	/* A name with a quote in it would break the quoting: a placeholder. */
	const char *name = c->path && !strchr(c->path, '\'') ? c->path : "FILE";
	if (encap && n > 0 && (size_t)n < errlen)
		snprintf(err + n, errlen - (size_t)n, "; keep the first interface with:"
			 " tshark -r '%s' -Y 'frame.interface_id == 0' -w - | editcap -T %s"
			 " -F pcap - first-interface.pcap", name, encap);
	return true;
}

static void fill_walked(struct sti_capture *c, struct sti_frame *f,
			const struct sti_walk_frame *wf)
{
	f->number = ++c->frames;
	c->walked++;
	f->ts_us = sti_walk_ts_us(wf->tv_sec, wf->tv_usec);
	f->data = wf->data;
	f->caplen = wf->caplen;
	f->len = wf->len;
}

static enum sti_capture_rc walk_next(struct sti_capture *c, struct sti_frame *f,
				     char *err, size_t errlen)
{
	struct sti_walk_frame wf;
	if (c->stop)
		return STI_CAP_EOF;
	enum sti_walk_rc rc;
	for (;;) {
		rc = sti_pcapwalk_next(&c->file->walk, &wf);
		if (rc != STI_WALK_EOF && rc != STI_WALK_TRUNCATED)
			break;
		/* the end of the buffer, not necessarily of the file */
		enum refill_rc fr = refill(c->file);
		if (fr == REFILL_FAILED)
			return hand_off(c, err, errlen);
		if (fr == REFILL_END)
			break;
	}
	if (rc == STI_WALK_EOF)
		return STI_CAP_EOF;
	if (rc == STI_WALK_HANDOFF)
		return hand_off(c, err, errlen);
	if (rc == STI_WALK_TRUNCATED)
		return cut_short(c, err, errlen);
	fill_walked(c, f, &wf);
	return STI_CAP_FRAME;
}

/* Nothing buffered: wait; a signal or the timeout ends the wait and the
 * caller looks at its clock and its flags. True when a frame may be ready. */
static bool wait_for_frames(const struct sti_capture *c)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	return poll(&pfd, 1, c->timeout_ms) > 0;
}

/* A libpcap error, in our words where we have better ones. */
static enum sti_capture_rc read_error(const struct sti_capture *c, char *err,
				      size_t errlen)
{
	const char *why = pcap_geterr(c->pcap);
	if (!mixed_link_advice(c, why, err, errlen))
		snprintf(err, errlen, "%s", why);
	return STI_CAP_ERROR;
}

static void fill_frame(struct sti_capture *c, struct sti_frame *f,
		       const struct pcap_pkthdr *h, const u_char *data)
{
	f->number = ++c->frames;
	f->ts_us = sti_walk_ts_us((int64_t)h->ts.tv_sec, (int64_t)h->ts.tv_usec);
	f->data = data;
	f->caplen = h->caplen;
	f->len = h->len;
}

struct dispatch_to {
	struct sti_capture *c;
	sti_frame_fn *fn;
	void *ctx;
};

static void dispatch_one(u_char *user, const struct pcap_pkthdr *h,
			 const u_char *data)
{
	struct dispatch_to *d = (struct dispatch_to *)(void *)user;
	struct sti_frame f;
	fill_frame(d->c, &f, h, data);
	d->fn(d->ctx, &f);
}

/*
 * pcap_dispatch rather than pcap_next_ex: the frames are read in place
 * from the ring, without pcap_next_ex's copy of each one and its call per
 * frame, and a block is handed back to the kernel as soon as it is read.
 */
enum sti_capture_rc sti_capture_dispatch(struct sti_capture *c, int max,
					 sti_frame_fn *fn, void *ctx,
					 char *err, size_t errlen)
{
	struct dispatch_to d = { .c = c, .fn = fn, .ctx = ctx };
	if (c->stop)
		return STI_CAP_EOF;
	if (max < 1)
		max = 1;   /* libpcap reads without limit at 0 */
	int n = pcap_dispatch(c->pcap, max, dispatch_one, (u_char *)&d);
	if (n == 0 && wait_for_frames(c))
		n = pcap_dispatch(c->pcap, max, dispatch_one, (u_char *)&d);
	if (n == PCAP_ERROR_BREAK)
		return STI_CAP_EOF;
	if (n == PCAP_ERROR)
		return read_error(c, err, errlen);
	return n > 0 ? STI_CAP_FRAME : STI_CAP_TIMEOUT;
}

enum sti_capture_rc sti_capture_next(struct sti_capture *c,
				     struct sti_frame *f, char *err,
				     size_t errlen)
{
	if (c->file) {
		enum sti_capture_rc wr = walk_next(c, f, err, errlen);
		if (wr != STI_CAP_FRAME || c->file)
			return wr;
		/* handed off: libpcap reads the next frame */
	}
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc = pcap_next_ex(c->pcap, &h, &data);
	if (rc == 0 && c->live) {
		if (!wait_for_frames(c))
			return STI_CAP_TIMEOUT;
		rc = pcap_next_ex(c->pcap, &h, &data);
	}
	if (rc == PCAP_ERROR_BREAK)
		return STI_CAP_EOF;
	if (rc == PCAP_ERROR && !c->live && libpcap_hit_end(c->pcap))
		return cut_short(c, err, errlen);
	if (rc == PCAP_ERROR)
		return read_error(c, err, errlen);
	if (rc == 0 && c->live)
		return STI_CAP_TIMEOUT;
	if (rc != 1) {   /* 0 is a live timeout, which offline cannot give */
		snprintf(err, errlen, "unexpected libpcap result %d", rc);
		return STI_CAP_ERROR;
	}
	fill_frame(c, f, h, data);
	return STI_CAP_FRAME;
}

/*
 * After the first frame, only what the walker's buffer already holds: a
 * refill would move the frames given before. Anything but a frame (the
 * buffer's end, a hand-off, the file's end) stops the batch without a
 * change, and the next call meets it again through sti_capture_next.
 */
/* Frames taken from the walker in one call. */
#define WALK_RUN 16

enum sti_capture_rc sti_capture_next_batch(struct sti_capture *c,
					   struct sti_frame *v, int max, int *n,
					   char *err, size_t errlen)
{
	*n = 0;
	enum sti_capture_rc rc = sti_capture_next(c, &v[0], err, errlen);
	if (rc != STI_CAP_FRAME)
		return rc;
	*n = 1;
	/* The rest from the walker's buffer, many per call: whatever ends
	 * the run (the buffer's end, a hand-off) is the next call's. A stop
	 * asked for meanwhile is seen at the next run, at most WALK_RUN
	 * frames later. */
	while (c->file && *n < max && !c->stop) {
		struct sti_walk_frame wf[WALK_RUN];
		size_t want = (size_t)(max - *n) < WALK_RUN ? (size_t)(max - *n) : WALK_RUN;
		size_t got = sti_pcapwalk_next_many(&c->file->walk, wf, want);
		for (size_t i = 0; i < got; i++)
			fill_walked(c, &v[(*n)++], &wf[i]);
		if (got < want)
			break;
	}
	return rc;
}
