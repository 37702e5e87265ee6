/*
 * capture.c - libpcap as the source of frames.
 */
#include "sti/capture.h"

#include <pcap/pcap.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	return wrap(p, err, errlen);
}

static bool live_setup(pcap_t *p, const struct sti_live_cfg *cfg)
{
	if (pcap_set_snaplen(p, cfg->snaplen) != 0 ||
	    pcap_set_promisc(p, 1) != 0 ||
	    pcap_set_timeout(p, cfg->timeout_ms) != 0 ||
	    /* Immediate mode: a verdict must not wait for a buffer to fill. */
	    pcap_set_immediate_mode(p, 1) != 0)
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
	if (rc == 0 && c->live) {
		/* Nothing buffered: wait; a signal or the timeout ends the wait
		 * and the caller looks at its clock and its flags. */
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		if (poll(&pfd, 1, c->timeout_ms) <= 0)
			return STI_CAP_TIMEOUT;
		rc = pcap_next_ex(c->pcap, &h, &data);
	}
	if (rc == PCAP_ERROR_BREAK)
		return STI_CAP_EOF;
	if (rc == PCAP_ERROR) {
		snprintf(err, errlen, "%s", pcap_geterr(c->pcap));
		return STI_CAP_ERROR;
	}
	if (rc == 0 && c->live)
		return STI_CAP_TIMEOUT;
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
