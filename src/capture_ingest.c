/*
 * capture_ingest.c - the loop from libpcap to the session table.
 */
#include "sti/capture_ingest.h"

#include <stdio.h>
#include <string.h>

#include "sti/capture.h"

/* Count and decode one frame; true when it is TCP and p is filled in. */
static bool decode_counted(int dlt, uint64_t number, int64_t ts_us,
			   const uint8_t *data, uint32_t caplen, uint32_t wirelen,
			   struct sti_ingest_stats *st, struct sti_pkt *p)
{
	st->frames++;
	st->bytes += caplen;
	enum sti_decode_status ds = sti_decode_frame(dlt, data, caplen, wirelen, p);
	st->by_status[ds]++;
	if (ds != STI_DEC_TCP)
		return false;
	p->frame = number;
	p->ts_us = ts_us;
	return true;
}

void sti_ingest_frame(struct sti_table *t, int dlt, uint64_t number,
		      int64_t ts_us, const uint8_t *data, uint32_t caplen,
		      uint32_t wirelen, struct sti_ingest_stats *st)
{
	struct sti_pkt pkt;
	if (decode_counted(dlt, number, ts_us, data, caplen, wirelen, st, &pkt))
		sti_table_packet(t, &pkt);
}

/*
 * Frames taken from a file at once: enough for their lookups' memory loads
 * to overlap, few enough that the decoded packets stay in the L1 cache.
 */
#define INGEST_BATCH 16

/*
 * A batch of frames: all decoded and counted first (decode keeps no
 * state), then their TCP packets to the table together, in order.
 */
static void ingest_batch(struct sti_table *t, int dlt,
			 const struct sti_frame *v, int n,
			 struct sti_ingest_stats *st)
{
	struct sti_pkt pkt[INGEST_BATCH];
	size_t m = 0;
	for (int i = 0; i < n; i++)
		m += decode_counted(dlt, v[i].number, v[i].ts_us, v[i].data,
				    v[i].caplen, v[i].len, st, &pkt[m]);
	sti_table_packets(t, pkt, m);
}

enum sti_ingest_rc sti_ingest_file(const char *path, struct sti_table *t,
				   struct sti_ingest_stats *st, char *err,
				   size_t errlen)
{
	struct sti_capture *c = sti_capture_open_offline(path, err, errlen);
	if (!c)
		return STI_INGEST_OPEN_FAILED;
	st->dlt = sti_capture_datalink(c);
	if (!sti_decode_link_supported(st->dlt)) {
		char name[64];
		snprintf(err, errlen, "unsupported link type %s",
			 sti_capture_datalink_name(st->dlt, name, sizeof(name)));
		sti_capture_close(c);
		return STI_INGEST_BAD_LINKTYPE;
	}
	enum sti_ingest_rc rc = STI_INGEST_OK;
	struct sti_frame v[INGEST_BATCH];
	int n;
	char why[1024];
	for (;;) {
		enum sti_capture_rc cr = sti_capture_next_batch(c, v, INGEST_BATCH, &n,
								why, sizeof(why));
		if (cr == STI_CAP_EOF)
			break;
		if (cr == STI_CAP_TRUNCATED) {
			snprintf(err, errlen, "warning: cut short: %s; the %llu frames"
				 " before it were read", why,
				 (unsigned long long)st->frames);
			rc = STI_INGEST_TRUNCATED;
			break;
		}
		if (cr == STI_CAP_ERROR) {
			snprintf(err, errlen, "read error after frame %llu: %s",
				 (unsigned long long)st->frames, why);
			rc = STI_INGEST_READ_ERROR;
			break;
		}
		ingest_batch(t, st->dlt, v, n, st);
	}
	sti_capture_close(c);
	return rc;
}
