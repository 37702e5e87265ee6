/*
 * capture.c - libpcap as the source of frames.
 */
#include "sti/capture.h"

#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sti_capture {
	pcap_t *pcap;
	uint64_t frames;
};

struct sti_capture *sti_capture_open_offline(const char *path, char *err,
					     size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_open_offline_with_tstamp_precision(
		path, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	if (!p) {
		/* libpcap often names the file itself; callers add the name. */
		const char *why = ebuf[0] ? ebuf : "cannot open";
		size_t plen = strlen(path);
		if (strncmp(why, path, plen) == 0 && why[plen] == ':' && why[plen + 1] == ' ')
			why += plen + 2;
		snprintf(err, errlen, "%s", why);
		return NULL;
	}
	struct sti_capture *c = calloc(1, sizeof(*c));
	if (!c) {
		pcap_close(p);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->pcap = p;
	return c;
}

void sti_capture_close(struct sti_capture *c)
{
	if (!c)
		return;
	pcap_close(c->pcap);
	free(c);
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
 * Microseconds since the epoch, clamped to +-2^62 so that any difference of
 * two timestamps still fits: pcapng carries 64-bit times, and a corrupt one
 * must not overflow.
 */
static int64_t timestamp_us(const struct pcap_pkthdr *h)
{
	const int64_t limit_s = (INT64_C(1) << 62) / 1000000 - 1;
	int64_t sec = (int64_t)h->ts.tv_sec;
	int64_t usec = (int64_t)h->ts.tv_usec;
	if (sec > limit_s)
		sec = limit_s;
	if (sec < -limit_s)
		sec = -limit_s;
	if (usec < 0 || usec >= 1000000)
		usec = 0;
	return sec * 1000000 + usec;
}

enum sti_capture_rc sti_capture_next(struct sti_capture *c,
				     struct sti_frame *f, char *err,
				     size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc = pcap_next_ex(c->pcap, &h, &data);
	if (rc == PCAP_ERROR_BREAK)
		return STI_CAP_EOF;
	if (rc == PCAP_ERROR) {
		snprintf(err, errlen, "%s", pcap_geterr(c->pcap));
		return STI_CAP_ERROR;
	}
	if (rc != 1) {   /* 0 is a live timeout, which offline cannot give */
		snprintf(err, errlen, "unexpected libpcap result %d", rc);
		return STI_CAP_ERROR;
	}
	f->number = ++c->frames;
	f->ts_us = timestamp_us(h);
	f->data = data;
	f->caplen = h->caplen;
	f->len = h->len;
	return STI_CAP_FRAME;
}
