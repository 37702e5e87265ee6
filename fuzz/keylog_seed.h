/*
 * keylog_seed.h - the key log the TLS and pipeline fuzz targets run with:
 * the secrets of RFC 8448 section 3 (client random cb34ec...) and of the
 * lab capture fail-cert-expired-tls13-postfix-gnutls-keylog (lab keys only),
 * so that inputs grown from those sessions reach the decryption paths.
 */
#ifndef STI_FUZZ_KEYLOG_SEED_H
#define STI_FUZZ_KEYLOG_SEED_H

#include <stdlib.h>
#include <string.h>

#include "sti/tls_keylog.h"

static const char fuzz_keylog_text[] =
	"CLIENT_HANDSHAKE_TRAFFIC_SECRET "
	"cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7 "
	"b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21\n"
	"SERVER_HANDSHAKE_TRAFFIC_SECRET "
	"cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7 "
	"b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38\n"
	"CLIENT_TRAFFIC_SECRET_0 "
	"cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7 "
	"9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5\n"
	"SERVER_TRAFFIC_SECRET_0 "
	"cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7 "
	"a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643\n"
	"CLIENT_HANDSHAKE_TRAFFIC_SECRET "
	"d9a6dfabe22d63960907e6c83d1b9660d127cbb3d8abec1f284e8597bb70c925 "
	"cbd8510efa9125e3cc94fd1516fe79da53479ef8fb4ae4ee5fed2dd462cbfd414148be7cf496a757a36916f78877a9f3\n"
	"SERVER_HANDSHAKE_TRAFFIC_SECRET "
	"d9a6dfabe22d63960907e6c83d1b9660d127cbb3d8abec1f284e8597bb70c925 "
	"d6e81bdcb503e4dcc0fff6c7ebf3c8cafa22bde53b4983c36f68f74c25afc3427c05a86f393c0646d4a3ffbf38bcf383\n";

/* Built once, kept for the process: lookups only mark entries used. */
static struct sti_keylog *fuzz_keylog(void)
{
	static struct sti_keylog *kl;
	if (!kl) {
		kl = sti_keylog_new();
		if (!kl)
			abort();
		sti_keylog_feed(kl, (const uint8_t *)fuzz_keylog_text,
				strlen(fuzz_keylog_text));
		sti_keylog_end(kl);
		sti_keylog_seal(kl);
	}
	return kl;
}

#endif /* STI_FUZZ_KEYLOG_SEED_H */
