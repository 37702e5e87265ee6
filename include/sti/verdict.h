/*
 * verdict.h - what happened to TLS in one session, and whose side must
 * change (SPEC section 6).
 *
 * sti_verdict_decide() is a pure function of the session record and the
 * policy: no I/O, no globals, no clock. The reasons, outcomes and causes are
 * X-macro tables so that the enum, the JSON string and the one-line
 * description (used by --help and the man page) come from one source.
 */
#ifndef STI_VERDICT_H
#define STI_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sti_record;

#define STI_OUTCOMES(X)                                                     \
	X(OK, "ok", "TLS established at or above the policy minimum")        \
	X(DEPRECATED, "deprecated", "TLS established below the policy minimum") \
	X(FAILED, "failed", "TLS attempted and not established")             \
	X(NO_TLS, "no_tls", "the session went on or ended without TLS")      \
	X(INCOMPLETE, "incomplete", "the capture cannot decide")             \
	X(NOT_SMTP, "not_smtp",                                              \
	  "no SMTP conversation took place (another protocol, or no payload)")

#define STI_CAUSES(X)                                                       \
	X(NONE, "none")                                                      \
	X(CLIENT, "client")                                                  \
	X(SERVER, "server")                                                  \
	X(MIDDLEBOX, "middlebox")                                            \
	X(NETWORK, "network")                                                \
	X(UNKNOWN, "unknown")

/* name, JSON code, RFC 8460 result type or NULL, description */
#define STI_REASONS(X)                                                      \
	X(TLS_OK, "tls_ok", NULL,                                            \
	  "TLS was established at or above the policy minimum")             \
	X(VERSION_BELOW_POLICY, "version_below_policy", NULL,                \
	  "TLS was established with a version below the policy minimum")    \
	X(CLIENT_VERSION_TOO_LOW, "client_version_too_low", NULL,            \
	  "the client's highest version is below what the server, or the "   \
	  "client's own security level, accepts")                           \
	X(SERVER_VERSION_TOO_LOW, "server_version_too_low", NULL,            \
	  "the server cannot do the versions the client accepts")           \
	X(NO_SHARED_CIPHER, "no_shared_cipher", NULL,                        \
	  "client and server have no cipher suite or group in common")      \
	X(CLIENT_REJECTED_CERTIFICATE, "client_rejected_certificate",        \
	  "validation-failure",                                             \
	  "the client refused the server's certificate")                    \
	X(SERVER_REJECTED_CLIENT_CERTIFICATE,                                \
	  "server_rejected_client_certificate", NULL,                        \
	  "the server refused the client's certificate")                    \
	X(PEER_ALERT, "peer_alert", NULL,                                    \
	  "a side ended the handshake with another alert")                  \
	X(SERVER_ABORTED_HANDSHAKE, "server_aborted_handshake", NULL,        \
	  "the server closed or reset during the handshake without an alert") \
	X(CLIENT_ABORTED_HANDSHAKE, "client_aborted_handshake", NULL,        \
	  "the client closed or reset during the handshake without an alert") \
	X(STARTTLS_NOT_OFFERED, "starttls_not_offered",                      \
	  "starttls-not-supported",                                         \
	  "the server did not advertise STARTTLS")                          \
	X(STARTTLS_STRIPPED, "starttls_stripped", "starttls-not-supported",  \
	  "a middlebox masked STARTTLS in the EHLO reply or command")       \
	X(STARTTLS_REFUSED, "starttls_refused", "starttls-not-supported",    \
	  "the server refused the STARTTLS command")                        \
	X(STARTTLS_REQUIRED_NOT_USED, "starttls_required_not_used", NULL,    \
	  "the server requires STARTTLS and the client did not use it")     \
	X(CLIENT_SKIPPED_STARTTLS, "client_skipped_starttls", NULL,          \
	  "STARTTLS was offered and the client went on in plaintext")       \
	X(NOT_TLS_AFTER_STARTTLS, "not_tls_after_starttls", NULL,            \
	  "plaintext came where the TLS handshake belonged")                \
	X(PLAINTEXT_INJECTION_AFTER_STARTTLS,                                \
	  "plaintext_injection_after_starttls", NULL,                        \
	  "the client pipelined plaintext after STARTTLS (CVE-2011-0411 class)") \
	X(TLS13_FAILED_AFTER_SERVER_HELLO, "tls13_failed_after_server_hello", \
	  NULL, "a TLS 1.3 handshake failed after the ServerHello (encrypted)") \
	X(CAPTURE_STARTED_MID_SESSION, "capture_started_mid_session", NULL,  \
	  "the capture began after the session had started")                \
	X(CAPTURE_ENDED_MID_HANDSHAKE, "capture_ended_mid_handshake", NULL,  \
	  "the capture ended before the handshake finished")                \
	X(CAPTURE_GAP, "capture_gap", NULL,                                  \
	  "packets the verdict needs are missing from the capture")         \
	X(MALFORMED_TLS, "malformed_tls", NULL,                              \
	  "the TLS bytes did not parse")                                    \
	X(CAPTURE_ONE_DIRECTION, "capture_one_direction", NULL,              \
	  "the capture holds only one direction of the connection")         \
	X(AUTH_IN_CLEAR, "auth_in_clear", NULL,                              \
	  "a mail client sent AUTH PLAIN or LOGIN credentials without TLS")  \
	X(NOT_SMTP, "not_smtp", NULL,                                        \
	  "another protocol on a mail port (FTP, SSH, HTTP, OpenVPN...)")    \
	X(TCP_REFUSED, "tcp_refused", NULL,                                  \
	  "the server answered the SYN with a reset")                       \
	X(TCP_NO_ANSWER, "tcp_no_answer", NULL,                              \
	  "the client's SYNs were never answered")                          \
	X(NO_PAYLOAD, "no_payload", NULL,                                    \
	  "the connection was made and nothing was sent")

enum sti_outcome {
#define STI_X(name, str, desc) STI_OUTCOME_##name,
	STI_OUTCOMES(STI_X)
#undef STI_X
	STI_OUTCOME_COUNT
};

enum sti_cause {
#define STI_X(name, str) STI_CAUSE_##name,
	STI_CAUSES(STI_X)
#undef STI_X
	STI_CAUSE_COUNT
};

enum sti_reason {
#define STI_X(name, str, rpt, desc) STI_REASON_##name,
	STI_REASONS(STI_X)
#undef STI_X
	STI_REASON_COUNT
};

enum sti_confidence { STI_CERTAIN, STI_INFERRED };

#define STI_VERDICT_TEXT_MAX 512
/* Room for complete command lines (reg add for SChannel and .NET). */
#define STI_REMEDIATION_MAX 4096
#define STI_VERDICT_MAX_EVIDENCE 8

struct sti_verdict {
	enum sti_outcome outcome;
	enum sti_cause cause;
	enum sti_reason reason;
	enum sti_confidence confidence;
	char explanation[STI_VERDICT_TEXT_MAX];
	/* Lines: prose, and commands or paths on lines of their own that
	 * start with two spaces (printed whole, never wrapped). */
	char remediation[STI_REMEDIATION_MAX];
	const char *tlsrpt;      /* RFC 8460 result type, or NULL */
	uint64_t evidence[STI_VERDICT_MAX_EVIDENCE]; /* frames, ascending */
	unsigned nevidence;
};

struct sti_policy {
	uint16_t min_version;    /* wire value; TLS 1.2 by default */
	int64_t now_hint_us;     /* unused by the rules; 0 */
};

void sti_policy_defaults(struct sti_policy *p);

void sti_verdict_decide(const struct sti_record *rec,
			const struct sti_policy *policy,
			struct sti_verdict *out);

const char *sti_outcome_name(enum sti_outcome o);
const char *sti_cause_name(enum sti_cause c);
const char *sti_reason_name(enum sti_reason r);
const char *sti_reason_description(enum sti_reason r);
/* The RFC 8460 result type, or NULL. */
const char *sti_reason_tlsrpt(enum sti_reason r);
const char *sti_confidence_name(enum sti_confidence c);

#endif /* STI_VERDICT_H */
