/*
 * capture.h - where frames come from: libpcap, a file or an interface.
 *
 * The only module that talks to libpcap for reading. It numbers frames from
 * 1 per source, the way Wireshark's frame.number does.
 */
#ifndef STI_CAPTURE_H
#define STI_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sti_frame {
	uint64_t number;     /* 1-based within the source */
	int64_t ts_us;
	const uint8_t *data; /* valid until the next call */
	uint32_t caplen;
	uint32_t len;
};

enum sti_capture_rc {
	STI_CAP_FRAME,   /* a frame was read */
	STI_CAP_EOF,     /* the source is exhausted, or the loop was broken */
	STI_CAP_TIMEOUT, /* live: no frame within the read timeout */
	STI_CAP_ERROR,   /* a read error: err says what */
	STI_CAP_TRUNCATED /* offline: the file ends inside a record (cut while
			   * it was written or copied); err says after which
			   * frame. Every frame before it was given. */
};

struct sti_capture;

/* "-" is standard input. NULL on failure with the reason in err. */
struct sti_capture *sti_capture_open_offline(const char *path, char *err,
					     size_t errlen);

/*
 * Which reader walks a file's records. AUTO reads a regular file into a
 * buffer of its own and walks it there (capture_pcapwalk.h), handing over
 * to libpcap for standard input, other link types and any record it does
 * not reproduce exactly; LIBPCAP reads everything through libpcap (the
 * parity test compares the two).
 */
enum sti_capture_reader { STI_READER_AUTO, STI_READER_LIBPCAP };
struct sti_capture *sti_capture_open_offline_with(const char *path,
						  enum sti_capture_reader reader,
						  char *err, size_t errlen);
/* Frames given by the walker rather than libpcap (for tests and bench). */
uint64_t sti_capture_frames_walked(const struct sti_capture *c);
void sti_capture_close(struct sti_capture *c);

/* A live capture: pcap_create, the setters, pcap_activate. */
struct sti_live_cfg {
	const char *iface;    /* "any" is every interface */
	int snaplen;          /* bytes kept per frame */
	int buffer_kib;       /* kernel buffer, 0 for libpcap's default */
	int timeout_ms;       /* longest wait for a frame */
	/* Packet-buffer timeout: the kernel packs frames into blocks
	 * (TPACKET_V3) and hands a block over when it is full or this old,
	 * so no frame waits longer than this to be read. */
	int buffer_timeout_ms;
};

/*
 * NULL on failure with pcap_geterr's reason in err. A warning from
 * pcap_activate (the capture still works) goes to warn, else warn[0] = 0.
 */
struct sti_capture *sti_capture_open_live(const struct sti_live_cfg *cfg,
					  char *warn, size_t warnlen,
					  char *err, size_t errlen);

/* Install a BPF filter on a live capture; false with the reason in err. */
bool sti_capture_set_filter(struct sti_capture *c, const char *expr, char *err,
			    size_t errlen);

/* Make the next sti_capture_next return STI_CAP_EOF. Signal-safe. */
void sti_capture_breakloop(struct sti_capture *c);

struct sti_capture_kstats {
	uint64_t received;   /* ps_recv: frames the filter passed */
	uint64_t dropped;    /* ps_drop: no room in the buffer */
	uint64_t if_dropped; /* ps_ifdrop: dropped by the interface */
};

/* Kernel counters of a live capture; false (err set) if unavailable. */
bool sti_capture_kstats(struct sti_capture *c, struct sti_capture_kstats *ks,
			char *err, size_t errlen);

int sti_capture_datalink(const struct sti_capture *c);
/* libpcap's name for a DLT, or "DLT_<n>" when it has none. */
const char *sti_capture_datalink_name(int dlt, char *buf, size_t len);

enum sti_capture_rc sti_capture_next(struct sti_capture *c,
				     struct sti_frame *f, char *err,
				     size_t errlen);

/*
 * Offline: up to max frames (at least 1) at once, every one valid until
 * the next call, so that a caller can look at several before handling
 * the first. *n is how many; the result is sti_capture_next's for the
 * first. The walker gives the frames its buffer already holds (it reads
 * more only for the first), libpcap one.
 */
enum sti_capture_rc sti_capture_next_batch(struct sti_capture *c,
					   struct sti_frame *v, int max, int *n,
					   char *err, size_t errlen);

/*
 * Live: every frame the kernel has handed over, up to max (at least 1), is
 * given to fn in order, straight from the kernel's ring (f->data is valid
 * only during the call); when none is ready, waits up to the read timeout
 * first. STI_CAP_FRAME when at least one frame was given, STI_CAP_TIMEOUT
 * when none came, STI_CAP_EOF once the loop was broken, STI_CAP_ERROR with
 * err set.
 */
typedef void sti_frame_fn(void *ctx, const struct sti_frame *f);
enum sti_capture_rc sti_capture_dispatch(struct sti_capture *c, int max,
					 sti_frame_fn *fn, void *ctx,
					 char *err, size_t errlen);

#endif /* STI_CAPTURE_H */
