/*
 * evidence_pcapng.h - a minimal pcapng writer (IETF draft-ietf-opsawg-pcapng): one
 * section, one interface, Enhanced Packet Blocks, and Decryption Secrets
 * Blocks holding NSS key log text, so that Wireshark opens the evidence of
 * a TLS session decrypted (-w FILE --embed-keys, SPEC 9.3). libpcap reads
 * pcapng but cannot write it. Blocks are written in host byte order, which
 * the Section Header Block's byte-order magic declares.
 */
#ifndef STI_EVIDENCE_PCAPNG_H
#define STI_EVIDENCE_PCAPNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Section Header Block and the one Interface Description Block
 * (microsecond timestamps). Returns the bytes written, 0 on error. */
size_t sti_pcapng_write_header(FILE *f, int linktype, uint32_t snaplen);
/* A Decryption Secrets Block of type TLS key log. */
size_t sti_pcapng_write_tls_secrets(FILE *f, const char *text, size_t len);
/* One Enhanced Packet Block on interface 0. */
size_t sti_pcapng_write_packet(FILE *f, int64_t ts_us, const uint8_t *data,
			       uint32_t caplen, uint32_t len);

#endif /* STI_EVIDENCE_PCAPNG_H */
