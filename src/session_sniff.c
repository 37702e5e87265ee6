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

/* A literal and its length, so that no test measures it again. */
struct lit {
	const char *s;
	size_t len;
};
#define LIT(s) { s, sizeof(s) - 1 }

/* Whether the reader starts with the literal (case-insensitive when
 * `nocase`). */
static bool starts_lit(const struct sti_rd *r, struct lit l, bool nocase)
{
	struct sti_rd c = *r;
	const uint8_t *p;
	if (!sti_rd_take(&c, l.len, &p))
		return false;
	return nocase ? strncasecmp((const char *)p, l.s, l.len) == 0
		      : memcmp(p, l.s, l.len) == 0;
}

#define starts(r, s, nocase) starts_lit(r, (struct lit)LIT(s), nocase)

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

/* ASCII case folding, as strncasecmp does it in the C locale (the
 * program never sets another). */
static inline unsigned char fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* Only where the first letter matches is the rest compared: a banner is
 * scanned at every offset, for up to three words. */
static bool contains_nocase(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	unsigned char first = fold((unsigned char)needle[0]);
	for (; *hay; hay++)
		if (fold((unsigned char)*hay) == first && strncasecmp(hay, needle, n) == 0)
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
	static const struct lit methods[] = {
		LIT("GET "), LIT("POST "), LIT("HEAD "), LIT("PUT "), LIT("OPTIONS "),
		LIT("CONNECT "), LIT("DELETE "), LIT("PATCH "),
	};
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (starts_lit(r, methods[i], false))
			return true;
	return false;
}

static bool smtp_command(const struct sti_rd *r)
{
	static const struct lit verbs[] = {
		LIT("EHLO"), LIT("HELO"), LIT("LHLO"), LIT("STARTTLS"), LIT("QUIT"),
	};
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (starts_lit(r, verbs[i], true))
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
