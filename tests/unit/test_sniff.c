/*
 * test_sniff.c - what the first bytes of a direction look like (SPEC 9.1),
 * on byte strings as they arrive from real peers, and on every cut of them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "sti/session_sniff.h"

#define S(dir, lit) sti_sniff(dir, (const uint8_t *)(lit), sizeof(lit) - 1)

static void test_greetings(void **state)
{
	(void)state;
	assert_int_equal(S(STI_S2C, "220 mx.example.test ESMTP Postfix\r\n"), STI_LOOKS_SMTP_GREETING);
	assert_int_equal(S(STI_S2C, "220-mx ESMTP Exim 4.96\r\n"), STI_LOOKS_SMTP_GREETING);
	/* vsftpd, ProFTPD, FileZilla: 220 too, and they name themselves */
	assert_int_equal(S(STI_S2C, "220 (vsFTPd 3.0.5)\r\n"), STI_LOOKS_FTP);
	assert_int_equal(S(STI_S2C, "220 ProFTPD Server (Debian) [::ffff:10.0.0.1]\r\n"), STI_LOOKS_FTP);
	assert_int_equal(S(STI_S2C, "220-FileZilla Server 1.7.0\r\n"), STI_LOOKS_FTP);
	/* a mail server whose name has "ftp" in it is still SMTP */
	assert_int_equal(S(STI_S2C, "220 ftp.example.test ESMTP Sendmail\r\n"), STI_LOOKS_SMTP_GREETING);
	assert_int_equal(S(STI_S2C, "2200 x\r\n"), STI_LOOKS_UNKNOWN);
	assert_int_equal(S(STI_S2C, "+OK Dovecot ready.\r\n"), STI_LOOKS_POP3);
	assert_int_equal(S(STI_S2C, "* OK [CAPABILITY IMAP4rev1] ready\r\n"), STI_LOOKS_IMAP);
	assert_int_equal(S(STI_S2C, "HTTP/1.1 400 Bad Request\r\n"), STI_LOOKS_HTTP);
}

static void test_clients(void **state)
{
	(void)state;
	static const uint8_t hello[] = { 0x16, 0x03, 0x01, 0x00, 0xf4, 0x01 };
	static const uint8_t socks5[] = { 0x05, 0x01, 0x00 };
	/* OpenVPN P_CONTROL_HARD_RESET_CLIENT_V2: length 14, opcode 7, key 0 */
	uint8_t ovpn[16] = { 0x00, 0x0e, 0x38 };
	assert_int_equal(sti_sniff(STI_C2S, hello, sizeof(hello)), STI_LOOKS_TLS);
	assert_int_equal(sti_sniff(STI_C2S, socks5, sizeof(socks5)), STI_LOOKS_SOCKS);
	assert_int_equal(sti_sniff(STI_C2S, ovpn, sizeof(ovpn)), STI_LOOKS_OPENVPN);
	/* cut short, it is only binary bytes */
	assert_int_equal(sti_sniff(STI_C2S, ovpn, sizeof(ovpn) - 1), STI_LOOKS_BINARY);
	assert_int_equal(S(STI_C2S, "\x01\x02junk"), STI_LOOKS_BINARY);
	assert_int_equal(S(STI_C2S, "USER anonymous\r\n"), STI_LOOKS_UNKNOWN);
	assert_int_equal(S(STI_C2S, "SSH-2.0-OpenSSH_9.2p1\r\n"), STI_LOOKS_SSH);
	assert_int_equal(S(STI_S2C, "SSH-2.0-OpenSSH_9.2p1\r\n"), STI_LOOKS_SSH);
	assert_int_equal(S(STI_C2S, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"), STI_LOOKS_HTTP);
	assert_int_equal(S(STI_C2S, "ehlo client.example.test\r\n"), STI_LOOKS_SMTP_COMMAND);
	assert_int_equal(S(STI_C2S, "LHLO lmtp.example.test\r\n"), STI_LOOKS_SMTP_COMMAND);
	assert_int_equal(sti_sniff(STI_C2S, NULL, 0), STI_LOOKS_NOTHING);
	assert_true(sti_looks_foreign(STI_LOOKS_FTP));
	assert_false(sti_looks_foreign(STI_LOOKS_TLS));
	assert_false(sti_looks_foreign(STI_LOOKS_UNKNOWN));
	assert_string_equal(sti_looks_name(STI_LOOKS_OPENVPN), "openvpn");
}

/* Any prefix is read safely (ASan checks the bounds) and never looks like
 * another protocol than the whole would. */
/* The session table's orientation questions, on every cut of the bytes. */
static void test_orientation_questions(void **state)
{
	static const uint8_t hello[] = { 0x16, 0x03, 0x01, 0x00, 0x40, 0x01, 0x00 };
	static const uint8_t server_hello[] = { 0x16, 0x03, 0x03, 0x00, 0x40, 0x02 };
	static const uint8_t alert[] = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x01 };
	(void)state;

	assert_true(sti_sniff_greeting((const uint8_t *)"220 mx ESMTP\r\n", 14));
	assert_true(sti_sniff_greeting((const uint8_t *)"220-mx", 6));
	assert_false(sti_sniff_greeting((const uint8_t *)"220mx", 5));
	assert_false(sti_sniff_greeting((const uint8_t *)"250 ok", 6));
	assert_false(sti_sniff_greeting((const uint8_t *)"220", 3));   /* cut */
	assert_true(sti_sniff_client_hello(hello, sizeof(hello)));
	assert_false(sti_sniff_client_hello(hello, 5));                 /* cut */
	assert_false(sti_sniff_client_hello(server_hello, sizeof(server_hello)));
	assert_false(sti_sniff_client_hello(alert, sizeof(alert)));
	assert_false(sti_sniff_client_hello(NULL, 0));
}

static void test_every_prefix(void **state)
{
	(void)state;
	static const char *const samples[] = {
		"220 (vsFTPd 3.0.5)\r\n", "SSH-2.0-x\r\n", "GET / HTTP/1.1\r\n",
		"220 mx ESMTP\r\n",
	};
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		size_t n = strlen(samples[i]);
		enum sti_looks whole = sti_sniff(STI_S2C, (const uint8_t *)samples[i], n);
		for (size_t k = 0; k < n; k++) {
			enum sti_looks part = sti_sniff(STI_S2C, (const uint8_t *)samples[i], k);
			assert_true(part == whole || part == STI_LOOKS_UNKNOWN ||
				    part == STI_LOOKS_NOTHING ||
				    (whole == STI_LOOKS_FTP && part == STI_LOOKS_SMTP_GREETING));
		}
	}
}

/* Banner words are found in any case, at any offset, and only ASCII
 * letters fold: the bytes just outside A-Z and a-z, and bytes past 0x7f,
 * match nothing but themselves. */
static void test_banner_words_fold(void **state)
{
	(void)state;
	assert_int_equal(S(STI_S2C, "220 fIlEzIlLa ready\r\n"), STI_LOOKS_FTP);
	assert_int_equal(S(STI_S2C, "220 ffftp\r\n"), STI_LOOKS_FTP);
	assert_int_equal(S(STI_S2C, "220 Ft fT ftP\r\n"), STI_LOOKS_FTP);
	assert_int_equal(S(STI_S2C, "220 ftp gateway, smtp inside\r\n"), STI_LOOKS_SMTP_GREETING);
	assert_int_equal(S(STI_S2C, "220 sMtPfTp\r\n"), STI_LOOKS_SMTP_GREETING);
	/* '@' '[' '`' '{' sit next to the letters: no folding for them */
	assert_int_equal(S(STI_S2C, "220 @tp [tp `tp {tp\r\n"), STI_LOOKS_SMTP_GREETING);
	assert_int_equal(S(STI_S2C, "220 \xc6TP \xe6tp\r\n"), STI_LOOKS_SMTP_GREETING);
	/* a word cut by the line's end, or past the end of the line */
	assert_int_equal(S(STI_S2C, "220 mx ft\r\nFTP\r\n"), STI_LOOKS_SMTP_GREETING);
	assert_int_equal(S(STI_S2C, "220 mx FT"), STI_LOOKS_SMTP_GREETING);
	/* client verbs in any case; methods only in upper case */
	assert_int_equal(S(STI_C2S, "eHlO client\r\n"), STI_LOOKS_SMTP_COMMAND);
	assert_int_equal(S(STI_C2S, "starttls\r\n"), STI_LOOKS_SMTP_COMMAND);
	assert_int_equal(S(STI_C2S, "OPTIONS * HTTP/1.1\r\n"), STI_LOOKS_HTTP);
	assert_int_equal(S(STI_C2S, "get / HTTP/1.1\r\n"), STI_LOOKS_UNKNOWN);
	assert_int_equal(S(STI_C2S, "PATCH"), STI_LOOKS_UNKNOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_greetings),
		cmocka_unit_test(test_clients),
		cmocka_unit_test(test_orientation_questions),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_banner_words_fold),
	};
	return cmocka_run_group_tests_name("sniff", tests, NULL, NULL);
}
