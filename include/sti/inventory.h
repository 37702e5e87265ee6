/*
 * inventory.h - the TLS-readiness inventory (--summary, SPEC 2.4 and 7).
 *
 * One row per client address and one per server address over the whole
 * run: sessions, the versions the peer offered (a client's ClientHello
 * maximum, lowest and highest over its sessions), the versions and ciphers
 * negotiated, outcomes by count, and whether the peer breaks once the other
 * side requires the policy minimum. That last column is read from what was
 * offered, not only from what was negotiated: a client breaks when one of
 * its ClientHellos stops below the minimum; a server breaks when a client
 * offered the minimum or more and the server still chose less (or refused
 * with server_version_too_low); a server that chose the minimum once does
 * not, and neither does one that refused an older client's ClientHello
 * (client_version_too_low): its own minimum is above that client's offer,
 * so it accepts newer clients; otherwise the capture cannot tell.
 *
 * A server row says what the server itself did: the versions it chose in a
 * ServerHello, the offers it refused without one, and from both what it
 * accepts. What its clients offered stays in offered_low/offered_high.
 */
#ifndef STI_INVENTORY_H
#define STI_INVENTORY_H

#include <stdbool.h>
#include <stdint.h>

#include "sti/decode.h"
#include "sti/session_record.h"
#include "sti/report.h"
#include "sti/verdict.h"

#define STI_INV_CIPHERS 8
#define STI_INV_NAME 64
#define STI_INV_MAX_PEERS 65536

enum sti_inv_role { STI_INV_CLIENT, STI_INV_SERVER };
enum sti_inv_risk { STI_INV_BREAKS, STI_INV_UNKNOWN, STI_INV_SAFE };

struct sti_inv_peer {
	enum sti_inv_role role;
	struct sti_addr addr;
	char name[STI_INV_NAME];          /* EHLO (client); SNI or banner (server) */
	uint64_t sessions;
	uint16_t offered_low, offered_high;  /* ClientHello maxima; 0 none */
	uint16_t chosen_high;             /* server: best version it chose */
	uint8_t chose;                    /* server: bit per version it chose */
	uint16_t refused_old;             /* server: highest ClientHello maximum it
					     refused as too old, no ServerHello */
	uint16_t refused_new;             /* server: lowest ClientHello maximum it
					     refused as too new, no ServerHello */
	uint8_t negotiated;               /* bit per version: ssl3 1.0 1.1 1.2 1.3 */
	uint16_t ciphers[STI_INV_CIPHERS];
	unsigned nciphers;
	bool ciphers_more;
	uint64_t outcomes[STI_OUTCOME_COUNT];
	uint64_t tcp_refused, tcp_no_answer;  /* SPEC 9.1: an unreachable MX */
	bool below_with_modern_offer;     /* server chose < minimum for a client
					     that offered at least the minimum */
	int64_t first_seen, last_seen;    /* session times, microseconds */
};

struct sti_inventory;

struct sti_inventory *sti_inventory_new(uint16_t min_version);
void sti_inventory_free(struct sti_inventory *inv);
void sti_inventory_add(struct sti_inventory *inv, const struct sti_record *rec,
		       const struct sti_verdict *v);
enum sti_inv_risk sti_inventory_risk(const struct sti_inventory *inv,
				     const struct sti_inv_peer *p);
/* Rows in report order: clients then servers, breaking peers first, then
 * unknown, then safe; more sessions first. Valid until the next add. */
const struct sti_inv_peer *const *sti_inventory_rows(struct sti_inventory *inv,
						     size_t *n, uint64_t *dropped);
const char *sti_inv_risk_name(enum sti_inv_risk r);

/* Version bit masks as in sti_inv_peer.negotiated and .chose. */
#define STI_INV_NVERSIONS 5
uint16_t sti_inv_version_of_bit(unsigned i);

/* --summary: text (counts and the two tables) or NDJSON "inventory"
 * objects (before the closing summary when teed ahead of the JSON
 * reporter). */
struct sti_reporter *sti_report_inventory_new(FILE *out, const struct sti_report_opts *o,
					      bool json);
/* The same inventory as a Markdown document (--summary --format markdown
 * from a database): counts, then one table per role. */
struct sti_reporter *sti_report_inventory_markdown_new(FILE *out,
						       const struct sti_report_opts *o);

#endif /* STI_INVENTORY_H */
