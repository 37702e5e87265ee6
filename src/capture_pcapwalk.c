/*
 * capture_pcapwalk.c - pcap and pcapng records from memory, the way libpcap 1.10
 * reads them (sf-pcap.c, sf-evidence_pcapng.c), without copying them.
 *
 * The rule throughout: anything whose result we are not sure matches
 * libpcap's is a hand-off, never a guess. A hand-off costs one reopen; a
 * guess could change a verdict.
 */
#include "sti/capture_pcapwalk.h"

#include <string.h>

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAP_FILE_HDR 24
#define PCAP_REC_HDR 16

#define NG_SHB 0x0A0D0D0Au
#define NG_IDB 1u
#define NG_PB 2u
#define NG_SPB 3u
#define NG_EPB 6u
#define NG_BYTE_ORDER 0x1A2B3C4Du
#define NG_MAX_BLOCK (16u * 1024 * 1024) /* libpcap's INITIAL_MAX_BLOCKSIZE */
#define NG_OPT_END 0
#define NG_OPT_TSRESOL 9
#define NG_OPT_TSOFFSET 14

#define USER_TSRESOL 1000000u /* we ask libpcap for microseconds */

/* pcap 2.3 files may have caplen and len in either order (sf-pcap.c). */
enum { LEN_NOT_SWAPPED, LEN_MAYBE_SWAPPED, LEN_SWAPPED };

static bool host_is_le(void)
{
	const uint16_t one = 1;
	uint8_t b;
	memcpy(&b, &one, 1);
	return b == 1;
}

/* Multi-byte fields in the file's byte order (decided once, at init). */
static inline bool file_le(const struct sti_pcapwalk *w)
{
	return w->le;
}

STI_MUST_CHECK static inline bool rd32(const struct sti_pcapwalk *w, struct sti_rd *r,
				uint32_t *v)
{
	return file_le(w) ? sti_rd_u32le(r, v) : sti_rd_u32(r, v);
}

/* A 32-bit field of a header already copied out of a file in the given
 * byte order. */
static inline uint32_t get32_in(bool le, const uint8_t *b)
{
	if (le)
		return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

STI_MUST_CHECK static inline bool rd16(const struct sti_pcapwalk *w, struct sti_rd *r,
				uint16_t *v)
{
	return file_le(w) ? sti_rd_u16le(r, v) : sti_rd_u16(r, v);
}

STI_MUST_CHECK static bool rd64(const struct sti_pcapwalk *w, struct sti_rd *r,
				uint64_t *v)
{
	uint32_t a, b;
	if (!rd32(w, r, &a) || !rd32(w, r, &b))
		return false;
	/* A 64-bit option value is one word in file order, not two halves. */
	*v = file_le(w) ? ((uint64_t)b << 32 | a) : ((uint64_t)a << 32 | b);
	return true;
}

int64_t sti_walk_ts_us(int64_t tv_sec, int64_t tv_usec)
{
	const int64_t limit_s = (INT64_C(1) << 62) / 1000000 - 1;
	int64_t sec = tv_sec;
	if (sec > limit_s)
		sec = limit_s;
	if (sec < -limit_s)
		sec = -limit_s;
	if (tv_usec < 0 || tv_usec >= 1000000)
		tv_usec = 0;
	return sec * 1000000 + tv_usec;
}

bool sti_pcapwalk_init(struct sti_pcapwalk *w, const uint8_t *file, size_t n,
		       const struct sti_walk_params *pp)
{
	memset(w, 0, sizeof(*w));
	w->pp = *pp;
	w->le = host_is_le() != pp->swapped;
	struct sti_rd r = sti_rd_init(file, n);
	uint32_t magic;
	if (!rd32(w, &r, &magic))
		return false;
	if (magic == NG_SHB) {
		/* Walk from the first block: libpcap's open only validated
		 * the blocks up to the first IDB; we redo them. */
		w->ng = true;
		w->rest = sti_rd_init(file, n);
		return true;
	}
	if (magic != PCAP_MAGIC_US && magic != PCAP_MAGIC_NS)
		return false;
	w->nsec = magic == PCAP_MAGIC_NS;
	if (pp->version_major == 2 && pp->version_minor < 3)
		w->lengths = LEN_SWAPPED;
	else if (pp->version_major == 2 && pp->version_minor == 3)
		w->lengths = LEN_MAYBE_SWAPPED;
	else if (pp->version_major == 543)
		w->lengths = LEN_SWAPPED;
	else
		w->lengths = LEN_NOT_SWAPPED;
	w->rest = sti_rd_init(file, n);
	return sti_rd_skip(&w->rest, PCAP_FILE_HDR);
}

/* ---- pcap ---- */

/* sf-pcap.c's header fields: bpf_int32 times, through SWAPLONG (unsigned)
 * when the file is swapped, sign-extended otherwise. */
static void pcap_times(const struct sti_pcapwalk *w, uint32_t sec, uint32_t usec,
		       struct sti_walk_frame *f)
{
	if (w->pp.swapped) {
		f->tv_sec = (int64_t)sec;
		f->tv_usec = (int64_t)usec;
	} else {
		f->tv_sec = (int64_t)(int32_t)sec;
		f->tv_usec = (int64_t)(int32_t)usec;
	}
	if (w->nsec)
		f->tv_usec /= 1000;
}

static void pcap_lengths(const struct sti_pcapwalk *w, struct sti_walk_frame *f)
{
	bool swap = w->lengths == LEN_SWAPPED ||
		    (w->lengths == LEN_MAYBE_SWAPPED && f->caplen > f->len);
	if (swap) {
		uint32_t t = f->caplen;
		f->caplen = f->len;
		f->len = t;
	}
}

/* Forced: gcc otherwise splits pcap_next_in and calls the part, with
 * the byte order a run-time argument again. */
#if defined(__GNUC__) || defined(__clang__)
#define WALK_INLINE inline __attribute__((always_inline))
#else
#define WALK_INLINE inline
#endif

/* `le` is the file's byte order, passed in so that a loop over many
 * records (sti_pcapwalk_next_many) decides it once, not per field. */
static WALK_INLINE enum sti_walk_rc pcap_next_in(struct sti_pcapwalk *w,
					    struct sti_walk_frame *f, bool le)
{
	if (sti_rd_empty(&w->rest))
		return STI_WALK_EOF;
	struct sti_rd r = w->rest;
	uint8_t h[16];   /* the record header, one bounds check for all of it */
	if (!sti_rd_copy(&r, h, sizeof(h)))
		return STI_WALK_TRUNCATED;   /* some but not all of a header */
	f->caplen = get32_in(le, h + 8);
	f->len = get32_in(le, h + 12);
	pcap_times(w, get32_in(le, h), get32_in(le, h + 4), f);
	pcap_lengths(w, f);
	/* Oversized records are an error or a truncation in libpcap. */
	if (f->caplen > w->pp.max_caplen || f->caplen > w->pp.snapshot)
		return STI_WALK_HANDOFF;
	/* libpcap checks the lengths above, then finds the data short. */
	if (!sti_rd_take(&r, f->caplen, &f->data))
		return STI_WALK_TRUNCATED;
	w->rest = r;
	return STI_WALK_FRAME;
}

static enum sti_walk_rc pcap_next(struct sti_pcapwalk *w,
				  struct sti_walk_frame *f)
{
	return pcap_next_in(w, f, file_le(w));
}

/* ---- pcapng ---- */

/* One block: its type and body (between the length fields), checked as
 * sf-evidence_pcapng.c's read_block checks it. */
static enum sti_walk_rc ng_block(struct sti_pcapwalk *w, uint32_t *type,
				 struct sti_rd *body)
{
	if (sti_rd_empty(&w->rest))
		return STI_WALK_EOF;
	struct sti_rd r = w->rest;
	uint32_t total, trailer;
	struct sti_rd inner;
	if (!rd32(w, &r, type) || !rd32(w, &r, &total))
		return STI_WALK_TRUNCATED;   /* some but not all of a block header */
	if (total < 12 || total % 4 != 0 || total > NG_MAX_BLOCK)
		return STI_WALK_HANDOFF;
	/* read_block checks the length as above, then reads the rest. */
	if (sti_rd_left(&r) < total - 8)
		return STI_WALK_TRUNCATED;
	if (!sti_rd_sub(&r, total - 12, &inner) || !rd32(w, &r, &trailer) ||
	    trailer != total)
		return STI_WALK_HANDOFF;
	*body = inner;
	w->rest = r;
	return STI_WALK_FRAME;
}

/* libpcap's pcap_adjust_snapshot for the link types we walk. */
static uint32_t adjusted_snaplen(const struct sti_pcapwalk *w, uint32_t snaplen)
{
	if (snaplen == 0 || snaplen > INT32_MAX)
		return w->pp.max_caplen;
	return snaplen;
}

static bool ng_tsresol(struct sti_walk_iface *ifc, uint8_t v)
{
	if (v & 0x80) {
		if ((v & 0x7f) > 63)
			return false;
		ifc->binary = true;
		ifc->tsresol = (uint64_t)1 << (v & 0x7f);
		return true;
	}
	if (v > 19)
		return false;
	ifc->tsresol = 1;
	for (uint8_t i = 0; i < v; i++)
		ifc->tsresol *= 10;
	return true;
}

/* process_idb_options: only what changes timestamps; any irregularity is
 * libpcap's to report. */
static bool ng_idb_options(const struct sti_pcapwalk *w, struct sti_rd *r,
			   struct sti_walk_iface *ifc)
{
	bool saw_resol = false, saw_offset = false;
	while (!sti_rd_empty(r)) {
		uint16_t code, len;
		struct sti_rd val;
		if (!rd16(w, r, &code) || !rd16(w, r, &len) ||
		    !sti_rd_sub(r, ((size_t)len + 3) / 4 * 4, &val))
			return false;
		if (code == NG_OPT_END)
			return len == 0;
		if (code == NG_OPT_TSRESOL) {
			uint8_t v;
			if (len != 1 || saw_resol || !sti_rd_u8(&val, &v) ||
			    !ng_tsresol(ifc, v))
				return false;
			saw_resol = true;
		} else if (code == NG_OPT_TSOFFSET) {
			if (len != 8 || saw_offset || !rd64(w, &val, &ifc->tsoffset))
				return false;
			saw_offset = true;
		}
	}
	return true;
}

static bool ng_idb(struct sti_pcapwalk *w, struct sti_rd *body)
{
	uint16_t linktype, reserved;
	uint32_t snaplen;
	if (!rd16(w, body, &linktype) || !rd16(w, body, &reserved) ||
	    !rd32(w, body, &snaplen))
		return false;
	/* libpcap compares later interfaces with the first one's DLT (its
	 * open took the first IDB as is). */
	if (w->seen_idb && ((int)linktype != w->pp.dlt ||
			    adjusted_snaplen(w, snaplen) != w->pp.snapshot))
		return false;
	if (w->ifcount >= STI_WALK_MAX_IFACES)
		return false;
	struct sti_walk_iface ifc = { .tsresol = USER_TSRESOL };
	if (!ng_idb_options(w, body, &ifc))
		return false;
	w->ifaces[w->ifcount++] = ifc;
	w->seen_idb = true;
	return true;
}

static bool ng_shb(struct sti_pcapwalk *w, struct sti_rd *body)
{
	uint32_t order;
	uint16_t major;
	if (!rd32(w, body, &order) || !rd16(w, body, &major) ||
	    !sti_rd_skip(body, 10) || order != NG_BYTE_ORDER || major != 1)
		return false;
	w->ifcount = 0;   /* a section has its own interfaces */
	return true;
}

/* sf-evidence_pcapng.c's conversion from interface ticks to seconds and micro-
 * seconds, step for step in the same unsigned 64-bit arithmetic. */
static void ng_times(const struct sti_walk_iface *ifc, uint64_t t,
		     struct sti_walk_frame *f)
{
	uint64_t sec = t / ifc->tsresol + ifc->tsoffset;
	uint64_t frac = t % ifc->tsresol;
	if (ifc->tsresol != USER_TSRESOL) {
		if (ifc->binary) {
			frac *= USER_TSRESOL;
			frac /= ifc->tsresol;
		} else if (ifc->tsresol > USER_TSRESOL) {
			frac /= ifc->tsresol / USER_TSRESOL;
		} else {
			frac *= USER_TSRESOL / ifc->tsresol;
		}
	}
	f->tv_sec = (int64_t)sec;
	f->tv_usec = (int64_t)(int32_t)(uint32_t)frac;
}

static enum sti_walk_rc ng_packet(struct sti_pcapwalk *w, uint32_t type,
				  struct sti_rd *body, struct sti_walk_frame *f)
{
	uint32_t ifid = 0, hi = 0, lo = 0;
	if (type == NG_EPB) {
		if (!rd32(w, body, &ifid) || !rd32(w, body, &hi) ||
		    !rd32(w, body, &lo) || !rd32(w, body, &f->caplen) ||
		    !rd32(w, body, &f->len))
			return STI_WALK_HANDOFF;
	} else {
		/* SPB: the first interface, no time, caplen from snaplen */
		if (!rd32(w, body, &f->len))
			return STI_WALK_HANDOFF;
		f->caplen = f->len < w->pp.snapshot ? f->len : w->pp.snapshot;
	}
	if (ifid >= w->ifcount || f->caplen > w->pp.snapshot)
		return STI_WALK_HANDOFF;
	ng_times(&w->ifaces[ifid], (uint64_t)hi << 32 | lo, f);
	if (!sti_rd_take(body, f->caplen, &f->data))
		return STI_WALK_HANDOFF;
	return STI_WALK_FRAME;
}

static enum sti_walk_rc ng_next(struct sti_pcapwalk *w, struct sti_walk_frame *f)
{
	for (;;) {
		uint32_t type;
		struct sti_rd body;
		struct sti_rd before = w->rest;
		enum sti_walk_rc rc = ng_block(w, &type, &body);
		if (rc != STI_WALK_FRAME)
			return rc;
		bool ok = true;
		switch (type) {
		case NG_EPB:
		case NG_SPB:
			rc = ng_packet(w, type, &body, f);
			if (rc == STI_WALK_FRAME)
				return rc;
			ok = false;
			break;
		case NG_IDB:
			ok = ng_idb(w, &body);
			break;
		case NG_SHB:
			ok = ng_shb(w, &body);
			break;
		case NG_PB:
			ok = false;   /* obsolete: libpcap reads it */
			break;
		default:
			break;        /* other blocks carry no frames */
		}
		if (!ok) {
			w->rest = before;
			return STI_WALK_HANDOFF;
		}
	}
}

enum sti_walk_rc sti_pcapwalk_next(struct sti_pcapwalk *w,
				   struct sti_walk_frame *f)
{
	return w->ng ? ng_next(w, f) : pcap_next(w, f);
}

size_t sti_pcapwalk_next_many(struct sti_pcapwalk *w, struct sti_walk_frame *f,
			      size_t max)
{
	size_t n = 0;
	if (w->ng) {
		while (n < max && ng_next(w, &f[n]) == STI_WALK_FRAME)
			n++;
	} else if (file_le(w)) {
		while (n < max && pcap_next_in(w, &f[n], true) == STI_WALK_FRAME)
			n++;
	} else {
		while (n < max && pcap_next_in(w, &f[n], false) == STI_WALK_FRAME)
			n++;
	}
	return n;
}

struct sti_rd sti_pcapwalk_rest(const struct sti_pcapwalk *w)
{
	return w->rest;
}

void sti_pcapwalk_more(struct sti_pcapwalk *w, const uint8_t *p, size_t n)
{
	w->rest = sti_rd_init(p, n);
}
