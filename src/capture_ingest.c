/*
 * capture_ingest.c - the loop from libpcap to the session table.
 */
#include "sti/capture_ingest.h"

#include <stdio.h>
#include <string.h>

#include "sti/capture.h"

void sti_ingest_frame(struct sti_table *t, int dlt, uint64_t number,
		      int64_t ts_us, const uint8_t *data, uint32_t caplen,
		      uint32_t wirelen, struct sti_ingest_stats *st)
{
	struct sti_pkt pkt;
	memset(&pkt, 0, sizeof(pkt));
	st->frames++;
	st->bytes += caplen;
	enum sti_decode_status ds = sti_decode_frame(dlt, data, caplen, wirelen, &pkt);
	st->by_status[ds]++;
	if (ds != STI_DEC_TCP)
		return;
	pkt.frame = number;
	pkt.ts_us = ts_us;
	sti_table_packet(t, &pkt);
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
	struct sti_frame f;
	char why[1024];
	for (;;) {
		enum sti_capture_rc cr = sti_capture_next(c, &f, why, sizeof(why));
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
		sti_ingest_frame(t, st->dlt, f.number, f.ts_us, f.data, f.caplen,
				 f.len, st);
	}
	sti_capture_close(c);
	return rc;
}
