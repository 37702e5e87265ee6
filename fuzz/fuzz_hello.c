/*
 * fuzz_hello.c - the handshake body parsers on their own. The first input
 * byte picks the parser, the rest is one message body (after the 4-byte
 * handshake header). A malformed body must name its part.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sti/tls_hello.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { P_CLIENT_HELLO, P_CLIENT_HELLO_V2, P_SERVER_HELLO, P_CERT_12, P_CERT_13,
       P_COUNT };

static size_t touched;

static void check_named(bool ok, const char *malformed)
{
	if (!ok && !malformed)
		__builtin_trap();   /* a failure that does not say where */
	if (malformed)
		touched += strlen(malformed);
}

static void client_hello(const uint8_t *p, size_t n, bool v2)
{
	static struct sti_client_hello ch;
	static struct sti_client_hello_room room;
	sti_client_hello_init(&ch, &room);
	bool ok = v2 ? sti_tls_parse_client_hello_v2(p, n, &ch)
		     : sti_tls_parse_client_hello(p, n, &ch);
	check_named(ok, ch.malformed);
	char ja3[33], ja4[40], str[STI_JA3_STR_MAX];
	sti_ja3_string(&ch, str, sizeof(str));
	sti_ja3_hash(&ch, ja3);
	sti_ja4(&ch, ja4);
	/* the per-hello cache must give what computing them gives */
	char cja3[33], cja4[40];
	sti_tls_client_fp(&ch, cja3, cja4);
	if (strcmp(ja3, cja3) != 0 || strcmp(ja4, cja4) != 0)
		__builtin_trap();
	touched += strlen(str) + strlen(ja3) + strlen(ja4) + strlen(ch.sni);
	for (unsigned i = 0; i < ch.nalpn; i++)
		touched += strlen(ch.alpn[i]);
}

static void server_hello(const uint8_t *p, size_t n)
{
	struct sti_server_hello sh;
	uint16_t exts[STI_HELLO_MAX_EXTS];
	sti_server_hello_init(&sh, exts);
	check_named(sti_tls_parse_server_hello(p, n, &sh), sh.malformed);
	char ja3s[33];
	sti_ja3s_hash(&sh, ja3s);
	char cja3s[33];
	sti_tls_server_fp(&sh, cja3s);
	if (strcmp(ja3s, cja3s) != 0)
		__builtin_trap();
	touched += strlen(ja3s) + strlen(sh.alpn);
}

static void certificate(const uint8_t *p, size_t n, uint16_t version)
{
	static struct sti_cert_info ci;
	memset(&ci, 0, sizeof(ci));
	check_named(sti_tls_parse_certificate(p, n, version, &ci), ci.malformed);
	touched += strlen(ci.subject) + strlen(ci.issuer) + strlen(ci.subject_cn) +
		   strlen(ci.key_type) + strlen(ci.sha256);
	if (ci.nsans > STI_CERT_MAX_SANS)
		__builtin_trap();
	for (unsigned i = 0; i < ci.nsans; i++)
		touched += strlen(ci.sans[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	switch (data[0] % P_COUNT) {
	case P_CLIENT_HELLO: client_hello(p, n, false); break;
	case P_CLIENT_HELLO_V2: client_hello(p, n, true); break;
	case P_SERVER_HELLO: server_hello(p, n); break;
	case P_CERT_12: certificate(p, n, STI_TLS12); break;
	case P_CERT_13: certificate(p, n, STI_TLS13); break;
	}
	return 0;
}
