/*
 * capture.h - where frames come from: libpcap, offline for now.
 *
 * The only module that talks to libpcap for reading. It numbers frames from
 * 1 per source, the way Wireshark's frame.number does.
 */
#ifndef STI_CAPTURE_H
#define STI_CAPTURE_H

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
	STI_CAP_EOF,     /* the source is exhausted */
	STI_CAP_ERROR    /* a read error: err says what */
};

struct sti_capture;

/* "-" is standard input. NULL on failure with the reason in err. */
struct sti_capture *sti_capture_open_offline(const char *path, char *err,
					     size_t errlen);
void sti_capture_close(struct sti_capture *c);

int sti_capture_datalink(const struct sti_capture *c);
/* libpcap's name for a DLT, or "DLT_<n>" when it has none. */
const char *sti_capture_datalink_name(int dlt, char *buf, size_t len);

enum sti_capture_rc sti_capture_next(struct sti_capture *c,
				     struct sti_frame *f, char *err,
				     size_t errlen);

#endif /* STI_CAPTURE_H */
