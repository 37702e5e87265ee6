/*
 * session_sniff.h - what the first bytes of one direction of a connection look
 * like (SPEC 9.1): an SMTP greeting, a TLS hello, or another protocol that
 * turns up on mail ports (FTP, SSH, HTTP, OpenVPN, POP3, IMAP, SOCKS).
 *
 * One place decides "is this TLS / an SMTP greeting / something else", and
 * it reads the bytes through the bounds-checked reader. The answer is a
 * hint from the first chunk of a direction; the verdict still asks whether
 * an SMTP conversation (a greeting answered by EHLO/HELO/LHLO or STARTTLS)
 * took place.
 */
#ifndef STI_SESSION_SNIFF_H
#define STI_SESSION_SNIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sti/dir.h"

/* name, printable description ("looks like ...") */
#define STI_LOOKS(X)                                                        \
	X(NOTHING, "nothing", "no payload")                                 \
	X(UNKNOWN, "unknown", "unrecognised bytes")                         \
	X(SMTP_GREETING, "smtp_greeting", "an SMTP 220 greeting")           \
	X(SMTP_COMMAND, "smtp_command", "an SMTP command")                  \
	X(TLS, "tls", "a TLS handshake record")                             \
	X(FTP, "ftp", "an FTP server greeting")                             \
	X(SSH, "ssh", "an SSH identification string")                       \
	X(HTTP, "http", "HTTP")                                             \
	X(OPENVPN, "openvpn", "an OpenVPN-over-TCP reset packet")           \
	X(POP3, "pop3", "a POP3 greeting")                                  \
	X(IMAP, "imap", "an IMAP greeting")                                 \
	X(SOCKS, "socks", "a SOCKS proxy handshake")                        \
	X(BINARY, "binary", "binary data (control bytes), not text")

enum sti_looks {
#define STI_X(id, name, desc) STI_LOOKS_##id,
	STI_LOOKS(STI_X)
#undef STI_X
	STI_LOOKS_COUNT
};

/*
 * The first n bytes sent by one side (dir). Reads at
 * most the first line; any n is safe.
 */
enum sti_looks sti_sniff(enum sti_dir dir, const uint8_t *p, size_t n);

/*
 * The two questions the session table asks of a first packet whose ports
 * do not say who the server is: does it start with a 220 reply (a server
 * greets), or with a TLS record holding a ClientHello (a client speaks)?
 */
bool sti_sniff_greeting(const uint8_t *p, size_t n);
bool sti_sniff_client_hello(const uint8_t *p, size_t n);

/* Whether it is a protocol that is never SMTP (FTP, SSH, HTTP, ...). */
bool sti_looks_foreign(enum sti_looks l);

const char *sti_looks_name(enum sti_looks l);
const char *sti_looks_desc(enum sti_looks l);

#endif /* STI_SESSION_SNIFF_H */
