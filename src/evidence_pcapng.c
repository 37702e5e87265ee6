/*
 * evidence_pcapng.c - the pcapng blocks evidence files need, nothing more.
 * Each block is type, total length, body padded to 32 bits, total length.
 */
#include "sti/evidence_pcapng.h"

#include <string.h>

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define BT_DSB 0x0000000Au
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define SECRETS_TLS_KEYLOG 0x544c534bu   /* "TLSK" */

static uint32_t pad4(size_t n)
{
	return (uint32_t)((4 - (n & 3)) & 3);
}

/* One block: a fixed head (after type and length), then data, padded. */
static size_t write_block(FILE *f, uint32_t type, const void *head, size_t head_len,
			  const void *data, size_t data_len)
{
	static const uint8_t zeros[4];
	uint32_t pad = pad4(data_len);
	size_t total = 12 + head_len + data_len + pad;
	if (total > UINT32_MAX)
		return 0;
	uint32_t t32 = (uint32_t)total;
	bool ok = fwrite(&type, 4, 1, f) == 1 && fwrite(&t32, 4, 1, f) == 1 &&
		  (!head_len || fwrite(head, head_len, 1, f) == 1) &&
		  (!data_len || fwrite(data, data_len, 1, f) == 1) &&
		  (!pad || fwrite(zeros, pad, 1, f) == 1) &&
		  fwrite(&t32, 4, 1, f) == 1;
	return ok ? total : 0;
}

size_t sti_pcapng_write_header(FILE *f, int linktype, uint32_t snaplen)
{
	struct {
		uint32_t magic;
		uint16_t major, minor;
		int64_t section_len;
	} shb = { BYTE_ORDER_MAGIC, 1, 0, -1 };   /* length not known */
	struct {
		uint16_t linktype, reserved;
		uint32_t snaplen;
	} idb = { (uint16_t)linktype, 0, snaplen };
	size_t a = write_block(f, BT_SHB, &shb, sizeof(shb), NULL, 0);
	size_t b = a ? write_block(f, BT_IDB, &idb, sizeof(idb), NULL, 0) : 0;
	return b ? a + b : 0;
}

size_t sti_pcapng_write_tls_secrets(FILE *f, const char *text, size_t len)
{
	if (len > UINT32_MAX - 64)
		return 0;
	uint32_t head[2] = { SECRETS_TLS_KEYLOG, (uint32_t)len };
	return write_block(f, BT_DSB, head, sizeof(head), text, len);
}

size_t sti_pcapng_write_packet(FILE *f, int64_t ts_us, const uint8_t *data,
			       uint32_t caplen, uint32_t len)
{
	uint64_t ts = ts_us < 0 ? 0 : (uint64_t)ts_us;
	uint32_t head[5] = { 0, (uint32_t)(ts >> 32), (uint32_t)ts, caplen, len };
	return write_block(f, BT_EPB, head, sizeof(head), data, caplen);
}
