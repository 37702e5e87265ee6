/*
 * capture_live.h - what a live capture needs besides libpcap: the default filter,
 * dropping root, and the signals that stop it or ask for statistics.
 *
 * Kept apart from capture.c so that each piece is testable on its own: the
 * filter text is a pure function, the privilege drop takes a user name.
 */
#ifndef STI_CAPTURE_LIVE_H
#define STI_CAPTURE_LIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "sti/capture.h"
#include "sti/session.h"

/* Keeps a whole handshake: certificates come in frames up to 64 KiB with
 * segmentation offload, and this is tcpdump's default too. */
#define STI_LIVE_SNAPLEN_DEFAULT 262144
/*
 * The kernel's capture buffer (-B) unless told otherwise. libpcap's 2 MiB
 * (tcpdump's default) dropped packets at the start of bench/live-load's
 * replay, where 2,000 sessions open at once and their handshakes are the
 * costliest packets; 8 MiB and more dropped none (bench/RESULTS.md, "Issue
 * 14, live drops"). The ring is mapped into the process: this much of its
 * resident memory from the start.
 */
#define STI_LIVE_BUFFER_KIB_DEFAULT 16384
/* How long libpcap may wait for a frame: the idle clock and the signal
 * checks tick at least this often. */
#define STI_LIVE_TIMEOUT_MS 250
/* The packet-buffer timeout: the longest a frame waits in the kernel before
 * it is read, so a verdict line appears at most this much later than
 * without buffering (docs/starttls-inspect.1.in says so). */
#define STI_LIVE_BUFFER_TIMEOUT_MS 50
/* Frames read in one go between looks at the clock, the signals and -c. */
#define STI_LIVE_BATCH 256

/*
 * The BPF filter: TCP on every STARTTLS and implicit-TLS port, the same
 * inside one VLAN tag when `vlan` is set (libpcap cannot say "vlan" on
 * the "any" interface), narrowed by `extra` (-f) when it is not NULL.
 * Runs of three or more ports become a portrange; no port at all, all TCP. Returns the length of
 * the text; when that is >= len the text was cut and the caller must
 * retry with a bigger buffer.
 */
size_t sti_live_filter(const struct sti_portset *smtp, const struct sti_portset *tls,
		       const char *extra, bool vlan, char *buf, size_t len);

/*
 * Give up root once the capture is open, as tcpdump -Z does: user NULL
 * means "nobody" when running as root; "root" keeps root on purpose; a
 * process that is not root keeps its identity (capabilities may have let it
 * capture), unless asked for a user other than itself, which fails. The
 * result is checked: root must not come back. On failure err says why.
 */
bool sti_live_drop_privileges(const char *user, char *err, size_t errlen);

/* SIGINT and SIGTERM break the capture loop; SIGUSR1 asks for statistics;
 * SIGHUP asks to reopen the output file (--output, logrotate). */
void sti_live_signals_install(struct sti_capture *c);
void sti_live_signals_restore(void);
bool sti_live_stop_requested(void);
/* True once per SIGUSR1 received since the last call. */
bool sti_live_take_stats_request(void);
/* True once per SIGHUP received since the last call. */
bool sti_live_take_reopen_request(void);

/*
 * --output FILE: standard output goes to FILE (appended, created 0600),
 * and sti_live_output_reopen() opens FILE again by name, so that a file
 * that logrotate moved away is left behind and a new one begins. The
 * caller flushes stdout first. False with err set; on a failed reopen the
 * old file is kept.
 */
bool sti_live_output_open(const char *path, char *err, size_t errlen);
bool sti_live_output_reopen(char *err, size_t errlen);

#endif /* STI_CAPTURE_LIVE_H */
