/*
 * session_sniff.c - the first bytes of a direction, classified (see session_sniff.h).
 *
 * Every test reads through struct sti_rd: a short chunk simply fails the
 * match. Only signatures that a mail admin meets on mail ports are known;
 * anything else is "unknown", which the verdict treats as "not shown to be
 * another protocol".
 */
#include "sti/session_sniff.h"

#include <string.h>
#include <strings.h>

#include "sti/rd.h"

static const char *const looks_names[] = {
#define STI_X(id, name, desc) name,
	STI_LOOKS(STI_X)
#undef STI_X
};
static const char *const looks_descs[] = {
#define STI_X(id, name, desc) desc,
	STI_LOOKS(STI_X)
#undef STI_X
};

const char *sti_looks_name(enum sti_looks l)
{
	return (unsigned)l < STI_LOOKS_COUNT ? looks_names[l] : "unknown";
}

const char *sti_looks_desc(enum sti_looks l)
{
	return (unsigned)l < STI_LOOKS_COUNT ? looks_descs[l] : "unrecognised bytes";
}

bool sti_looks_foreign(enum sti_looks l)
{
	switch (l) {
	case STI_LOOKS_FTP: case STI_LOOKS_SSH: case STI_LOOKS_HTTP:
	case STI_LOOKS_OPENVPN: case STI_LOOKS_POP3: case STI_LOOKS_IMAP:
	case STI_LOOKS_SOCKS:
		return true;
	default:
		return false;
	}
}

/* Whether the reader starts with `lit` (case-insensitive when `nocase`). */
static bool starts(const struct sti_rd *r, const char *lit, bool nocase)
{
	size_t len = strlen(lit);
	struct sti_rd c = *r;
	const uint8_t *p;
	if (!sti_rd_take(&c, len, &p))
		return false;
	return nocase ? strncasecmp((const char *)p, lit, len) == 0
		      : memcmp(p, lit, len) == 0;
}

/* The first line (without CR LF), at most cap bytes, NUL-terminated. */
static void first_line(const struct sti_rd *r, char *buf, size_t cap)
{
	struct sti_rd c = *r;
	size_t i = 0;
	uint8_t b;
	while (i + 1 < cap && sti_rd_u8(&c, &b) && b != '\r' && b != '\n')
		buf[i++] = b ? (char)b : ' ';
	buf[i] = '\0';
}

static bool contains_nocase(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

/* RFC 5321 4.2: a reply is three digits then SP or "-". */
static bool greeting_line(const struct sti_rd *r)
{
	uint8_t sep;
	return starts(r, "220", false) && sti_rd_peek(r, 3, &sep) &&
	       (sep == ' ' || sep == '-');
}

bool sti_sniff_greeting(const uint8_t *p, size_t n)
{
	struct sti_rd r = sti_rd_init(p, n);
	return greeting_line(&r);
}

/* RFC 8446 5.1: a handshake record of legacy version 3.x whose first
 * message is a ClientHello (type 1). */
bool sti_sniff_client_hello(const uint8_t *p, size_t n)
{
	struct sti_rd r = sti_rd_init(p, n);
	uint8_t t, major, msg;
	return sti_rd_peek(&r, 0, &t) && sti_rd_peek(&r, 1, &major) &&
	       sti_rd_peek(&r, 5, &msg) && t == 0x16 && major == 3 && msg == 1;
}

/* "220 " or "220-": FTP servers greet like SMTP servers; their banners
 * name themselves. */
static enum sti_looks greeting(const struct sti_rd *r)
{
	if (!greeting_line(r))
		return STI_LOOKS_UNKNOWN;
	char line[128];
	first_line(r, line, sizeof(line));
	if (!contains_nocase(line, "SMTP") &&
	    (contains_nocase(line, "FTP") || contains_nocase(line, "FileZilla")))
		return STI_LOOKS_FTP;
	return STI_LOOKS_SMTP_GREETING;
}

/* RFC 8446 5.1: a handshake record of version 3.x. */
static bool tls_handshake(const struct sti_rd *r)
{
	uint8_t t, major, minor;
	return sti_rd_peek(r, 0, &t) && sti_rd_peek(r, 1, &major) &&
	       sti_rd_peek(r, 2, &minor) && t == 0x16 && major == 3 && minor <= 4;
}

/*
 * OpenVPN over TCP: a 16-bit packet length, then an opcode byte (opcode in
 * the top 5 bits) of a hard reset, then an 8-byte session id.
 */
static bool openvpn_reset(const struct sti_rd *r)
{
	struct sti_rd c = *r;
	uint16_t len;
	uint8_t op;
	if (!sti_rd_u16(&c, &len) || !sti_rd_u8(&c, &op))
		return false;
	unsigned code = op >> 3;
	bool reset = code == 1 || code == 2 || code == 7 || code == 8 || code == 10;
	return reset && len >= 14 && len <= 1600 && sti_rd_left(r) >= (size_t)len + 2;
}

/* SOCKS5 (RFC 1928) method selection, or a SOCKS4 CONNECT. */
static bool socks_hello(const struct sti_rd *r)
{
	uint8_t ver, n;
	if (!sti_rd_peek(r, 0, &ver) || !sti_rd_peek(r, 1, &n))
		return false;
	if (ver == 5)
		return n >= 1 && sti_rd_left(r) == (size_t)n + 2;
	return ver == 4 && n == 1 && sti_rd_left(r) >= 9;
}

static bool http_request(const struct sti_rd *r)
{
	static const char *const methods[] = {
		"GET ", "POST ", "HEAD ", "PUT ", "OPTIONS ", "CONNECT ",
		"DELETE ", "PATCH ",
	};
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (starts(r, methods[i], false))
			return true;
	return false;
}

static bool smtp_command(const struct sti_rd *r)
{
	static const char *const verbs[] = { "EHLO", "HELO", "LHLO", "STARTTLS", "QUIT" };
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (starts(r, verbs[i], true))
			return true;
	return false;
}

/* Control bytes other than TAB, CR and LF in the first 64: not a text
 * protocol (UTF-8 is bytes >= 0x80, allowed). */
static bool binary(const struct sti_rd *r)
{
	struct sti_rd c = *r;
	uint8_t b;
	for (int i = 0; i < 64 && sti_rd_u8(&c, &b); i++)
		if ((b < 0x20 && b != '\t' && b != '\r' && b != '\n') || b == 0x7f)
			return true;
	return false;
}

enum sti_looks sti_sniff(enum sti_dir dir, const uint8_t *p, size_t n)
{
	struct sti_rd r = sti_rd_init(p, n);
	if (sti_rd_empty(&r))
		return STI_LOOKS_NOTHING;
	if (tls_handshake(&r))
		return STI_LOOKS_TLS;
	if (starts(&r, "SSH-", false))
		return STI_LOOKS_SSH;
	if (dir == STI_S2C) {
		if (starts(&r, "220", false))
			return greeting(&r);
		if (starts(&r, "HTTP/1.", false))
			return STI_LOOKS_HTTP;
		if (starts(&r, "+OK", false))
			return STI_LOOKS_POP3;
		if (starts(&r, "* OK", false) || starts(&r, "* PREAUTH", false))
			return STI_LOOKS_IMAP;
		return binary(&r) ? STI_LOOKS_BINARY : STI_LOOKS_UNKNOWN;
	}
	if (http_request(&r))
		return STI_LOOKS_HTTP;
	if (smtp_command(&r))
		return STI_LOOKS_SMTP_COMMAND;
	if (openvpn_reset(&r))
		return STI_LOOKS_OPENVPN;
	if (socks_hello(&r))
		return STI_LOOKS_SOCKS;
	return binary(&r) ? STI_LOOKS_BINARY : STI_LOOKS_UNKNOWN;
}
