/*
 * verdict.c - from a session record to SPEC section 6's verdict.
 *
 * The rules read what each side offered and chose, not only who sent an
 * alert: the side at fault is the one whose capability falls short (below
 * the policy minimum, or without a common cipher). The rules are tried in
 * order, the SMTP level first, then TLS; the first that applies decides.
 */
#include "sti/verdict.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sti/civil_time.h"
#include "sti/fmt.h"
#include "sti/session_record.h"
#include "sti/tls_hello.h"

/* ---- names from the tables ---- */

static const char *const outcome_names[] = {
#define STI_X(name, str, desc) str,
	STI_OUTCOMES(STI_X)
#undef STI_X
};
static const char *const cause_names[] = {
#define STI_X(name, str) str,
	STI_CAUSES(STI_X)
#undef STI_X
};
static const char *const reason_names[] = {
#define STI_X(name, str, rpt, desc) str,
	STI_REASONS(STI_X)
#undef STI_X
};
static const char *const reason_tlsrpt[] = {
#define STI_X(name, str, rpt, desc) rpt,
	STI_REASONS(STI_X)
#undef STI_X
};
static const char *const reason_descs[] = {
#define STI_X(name, str, rpt, desc) desc,
	STI_REASONS(STI_X)
#undef STI_X
};

const char *sti_outcome_name(enum sti_outcome o)
{
	return (unsigned)o < STI_OUTCOME_COUNT ? outcome_names[o] : "unknown";
}
const char *sti_cause_name(enum sti_cause c)
{
	return (unsigned)c < STI_CAUSE_COUNT ? cause_names[c] : "unknown";
}
const char *sti_reason_name(enum sti_reason r)
{
	return (unsigned)r < STI_REASON_COUNT ? reason_names[r] : "unknown";
}
const char *sti_reason_description(enum sti_reason r)
{
	return (unsigned)r < STI_REASON_COUNT ? reason_descs[r] : "";
}
const char *sti_reason_tlsrpt(enum sti_reason r)
{
	return (unsigned)r < STI_REASON_COUNT ? reason_tlsrpt[r] : NULL;
}
const char *sti_confidence_name(enum sti_confidence c)
{
	return c == STI_CERTAIN ? "certain" : "inferred";
}

void sti_policy_defaults(struct sti_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->min_version = STI_TLS12;
}

/* ---- the working set of one decision ---- */

struct ctx {
	const struct sti_record *rec;
	const struct sti_smtp_facts *smtp;  /* may be NULL */
	const struct sti_tls_facts *tls;    /* may be NULL */
	uint16_t min;                       /* policy minimum */
	uint16_t cmax;                      /* client's highest offer, 0 none */
	uint16_t ver;                       /* negotiated, 0 none */
	const struct sti_tls_alert *alert;  /* first cleartext non-close alert */
	const struct sti_tls_alert *enc_alert[2]; /* first encrypted, per side */
	struct sti_verdict *out;
};

static void add_evidence(struct ctx *c, uint64_t frame)
{
	struct sti_verdict *v = c->out;
	if (!frame || v->nevidence == STI_VERDICT_MAX_EVIDENCE)
		return;
	unsigned i = v->nevidence;
	for (unsigned j = 0; j < v->nevidence; j++)
		if (v->evidence[j] == frame)
			return;
	while (i > 0 && v->evidence[i - 1] > frame) {
		v->evidence[i] = v->evidence[i - 1];
		i--;
	}
	v->evidence[i] = frame;
	v->nevidence++;
}

static void decide(struct ctx *c, enum sti_outcome o, enum sti_cause cause,
		   enum sti_reason r, enum sti_confidence conf)
{
	c->out->outcome = o;
	c->out->cause = cause;
	c->out->reason = r;
	c->out->confidence = conf;
	c->out->tlsrpt = sti_reason_tlsrpt(r);
}

__attribute__((format(printf, 2, 3)))
static void explain(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sti_vfmt(c->out->explanation, sizeof(c->out->explanation), fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 2, 3)))
static void remedy(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sti_vfmt(c->out->remediation, sizeof(c->out->remediation), fmt, ap);
	va_end(ap);
}

static const char *side(enum sti_dir dir)
{
	return dir == STI_C2S ? "client" : "server";
}

/* "reset the connection (frame 12)" or "closed the connection (frame 12)" */
static void closing_text(const struct ctx *c, enum sti_dir dir, char *buf, size_t len)
{
	const struct sti_dir_info *d = &c->rec->tcp[dir];
	if (d->rst_frame && (!d->fin_frame || d->rst_frame < d->fin_frame))
		sti_fmt(buf, len, "reset the connection (frame %" PRIu64 ")", d->rst_frame);
	else if (d->fin_frame)
		sti_fmt(buf, len, "closed the connection (frame %" PRIu64 ")", d->fin_frame);
	else
		sti_fmt(buf, len, "stopped");
}

static uint64_t closing_frame(const struct ctx *c, enum sti_dir dir)
{
	const struct sti_dir_info *d = &c->rec->tcp[dir];
	if (d->rst_frame && (!d->fin_frame || d->rst_frame < d->fin_frame))
		return d->rst_frame;
	return d->fin_frame;
}

/* The side whose FIN or RST came first, or STI_DIR_NONE when neither
 * closed. */
static enum sti_dir first_closer(const struct ctx *c)
{
	return c->rec->end_side;
}

static const char *alert_name(uint8_t desc)
{
	const char *n = sti_tls_alert_name(desc);
	return n ? n : "unassigned";
}

static bool is_cert_alert(uint8_t d)
{
	switch (d) {
	case 42: case 43: case 44: case 45: case 46: case 48: case 49:
		return true;   /* bad/unsupported/revoked/expired/unknown cert, unknown_ca, access_denied */
	default:
		return false;
	}
}

/* ---- who the peers are: remediation names their settings ---- */

enum software { SW_UNKNOWN, SW_EXCHANGE, SW_POSTFIX, SW_EXIM, SW_SENDMAIL };

static enum software server_software(const struct ctx *c)
{
	if (!c->smtp || !c->smtp->greeting_seen)
		return SW_UNKNOWN;
	const char *g = c->smtp->greeting.text;
	if (strstr(g, "Microsoft") || strstr(g, "Exchange"))
		return SW_EXCHANGE;
	if (strstr(g, "Postfix"))
		return SW_POSTFIX;
	if (strstr(g, "Exim"))
		return SW_EXIM;
	if (strstr(g, "Sendmail"))
		return SW_SENDMAIL;
	return SW_UNKNOWN;
}

/*
 * Remediation text is lines: prose, and commands or paths on lines of
 * their own that start with two spaces, which reporters print whole
 * (never wrapped) so that they can be pasted.
 */
#define CMD "\n  "

/* Append to the remediation (it was started by remedy()), cut at its
 * size as snprintf would cut it. */
static void remedy_text(struct ctx *c, const char *text)
{
	char *r = c->out->remediation;
	size_t cap = sizeof(c->out->remediation), n = strnlen(r, cap);
	if (n + 1 >= cap)
		return;
	size_t k = strnlen(text, cap - 1 - n);
	memcpy(r + n, text, k);
	r[n + k] = '\0';
}

/*
 * The fixes for a version that must be enabled are the same text for
 * every session with the same target version and role: each is a string
 * literal per version (MAJOR "." MINOR), appended whole instead of
 * formatted from pieces for every session.
 */
#define SCHANNEL_KEY "HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS "
#define REG_DWORD_SET(value, data) "\" /v " value " /t REG_DWORD /d " data " /f"
#define SCHANNEL_ROLE(ver, role) \
	CMD "reg add \"" SCHANNEL_KEY ver "\\" role REG_DWORD_SET("Enabled", "1") \
	CMD "reg add \"" SCHANNEL_KEY ver "\\" role REG_DWORD_SET("DisabledByDefault", "0")
#define DOTNET_KEY(key) \
	CMD "reg add \"" key REG_DWORD_SET("SystemDefaultTlsVersions", "1") \
	CMD "reg add \"" key REG_DWORD_SET("SchUseStrongCrypto", "1")

/*
 * Windows/Exchange: the SChannel keys of Microsoft's TLS 1.0/1.1
 * deprecation notice (seed/) for both roles, and the .NET Framework values
 * (SystemDefaultTlsVersions, SchUseStrongCrypto) its Exchange Server TLS
 * guidance sets for both runtimes, 64- and 32-bit: complete reg add lines.
 */
#define WINDOWS_FIX(ver) \
	"\nWindows/Exchange: enable TLS " ver " in SChannel and .NET " \
	"(as administrator), then restart and install the latest " \
	"Windows and Exchange updates:" \
	SCHANNEL_ROLE(ver, "Client") SCHANNEL_ROLE(ver, "Server") \
	DOTNET_KEY("HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319") \
	DOTNET_KEY("HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\.NETFramework\\v4.0.30319") \
	DOTNET_KEY("HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v2.0.50727") \
	DOTNET_KEY("HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\.NETFramework\\v2.0.50727")

/* Postfix and Exim: remove what caps the version, require nothing new (a
 * public MX that requires TLS 1.2 loses its old peers' mail to plaintext
 * or bounces). */
#define POSTFIX_FIX(who, prefix, ver) \
	"\nPostfix (" who "): remove the cap, do not add a requirement: take " \
	"\"<=TLSv1\", \"<=TLSv1.1\" and \"!TLSv" ver "\" out of " prefix "_protocols and " \
	prefix "_mandatory_protocols (the defaults allow TLS " ver "), and use an " \
	"OpenSSL that supports it; check with:" CMD "postconf " prefix "_protocols " \
	prefix "_mandatory_protocols"

#define EXIM_FIX(who, major, minor) \
	"\nExim (" who "): remove +no_tlsv" major "_" minor " from openssl_options " \
	"(OpenSSL builds) or -VERS-TLS" major "." minor " from tls_require_ciphers (GnuTLS " \
	"builds), and update the TLS library; check with:" CMD "exim -bP openssl_options " \
	"tls_require_ciphers"

/* Sendmail as the receiving server: OpenSSL's SSL_OP_NO_* options in
 * ServerSSLOptions cap the version it accepts. */
#define SENDMAIL_FIX(major, minor) \
	"\nSendmail (receiving): remove +SSL_OP_NO_TLSv" major "_" minor " from " \
	"ServerSSLOptions in sendmail.cf (confSERVER_SSL_OPTIONS in " \
	"sendmail.mc) and link it with an OpenSSL that supports TLS " major "." minor "; " \
	"check with:" CMD "grep SSLOptions /etc/mail/sendmail.cf"

/* Each fix for one target version. */
struct version_fixes {
	const char *ver;
	const char *windows, *sendmail;
	const char *postfix[2], *exim[2];   /* [0] the client, [1] the server */
};

#define VERSION_FIXES(major, minor) { \
	major "." minor, WINDOWS_FIX(major "." minor), SENDMAIL_FIX(major, minor), \
	{ POSTFIX_FIX("sending", "smtp_tls", major "." minor), \
	  POSTFIX_FIX("receiving", "smtpd_tls", major "." minor) }, \
	{ EXIM_FIX("sending", major, minor), EXIM_FIX("receiving", major, minor) } }

static const struct version_fixes fixes_tls12 = VERSION_FIXES("1", "2");
static const struct version_fixes fixes_tls13 = VERSION_FIXES("1", "3");

/* The version a fix must enable: the policy minimum, at least TLS 1.2
 * (a lower minimum does not make an older version worth enabling). */
static const struct version_fixes *target_fixes(const struct ctx *c)
{
	return c->min >= STI_TLS13 ? &fixes_tls13 : &fixes_tls12;
}

static void remedy_client_versions(struct ctx *c)
{
	const struct version_fixes *fx = target_fixes(c);
	remedy(c, "Enable TLS %s on the sending server (the client).", fx->ver);
	remedy_text(c, fx->postfix[0]);
	remedy_text(c, fx->exim[0]);
	remedy_text(c, fx->windows);
}

static void remedy_server_versions(struct ctx *c)
{
	const struct version_fixes *fx = target_fixes(c);
	enum software sw = server_software(c);
	remedy(c, "Enable TLS %s on the receiving %sserver (the server).", fx->ver,
	       sw == SW_EXCHANGE ? "Exchange " : sw == SW_POSTFIX ? "Postfix "
	       : sw == SW_EXIM ? "Exim " : sw == SW_SENDMAIL ? "Sendmail " : "");
	if (sw == SW_POSTFIX || sw == SW_UNKNOWN)
		remedy_text(c, fx->postfix[1]);
	if (sw == SW_EXIM || sw == SW_UNKNOWN)
		remedy_text(c, fx->exim[1]);
	if (sw == SW_EXCHANGE || sw == SW_UNKNOWN)
		remedy_text(c, fx->windows);
	if (sw == SW_SENDMAIL)
		remedy_text(c, fx->sendmail);
}

/* ---- certificate problems visible in TLS <= 1.2 ---- */

static bool name_matches(const char *pattern, const char *host)
{
	if (strcasecmp(pattern, host) == 0)
		return true;
	/* RFC 6125 6.4.3: a wildcard only as the whole left-most label. */
	if (pattern[0] == '*' && pattern[1] == '.') {
		const char *dot = strchr(host, '.');
		return dot && dot != host && strcasecmp(pattern + 1, dot) == 0;
	}
	return false;
}

static bool cert_names_host(const struct sti_cert_info *ci, const char *host)
{
	for (unsigned i = 0; i < ci->nsans; i++)
		if (name_matches(ci->sans[i], host))
			return true;
	return ci->nsans == 0 && name_matches(ci->subject_cn, host);
}

/*
 * The name the client should have checked (SPEC 9.2): the SNI it sent,
 * else the host name the server gives in its greeting. `which` says so.
 */
static bool name_to_check(const struct ctx *c, char *name, size_t len,
			  const char **which)
{
	const struct sti_tls_facts *t = c->tls;
	if (t->have_ch && t->ch.sni[0]) {
		sti_fmt(name, len, "%s", t->ch.sni);
		*which = "the name the client asked for";
		return true;
	}
	if (!c->smtp || !c->smtp->greeting_seen)
		return false;
	const char *g = c->smtp->greeting.text;
	size_t n = strcspn(g, " ");
	if (n == 0 || n >= len || !memchr(g, '.', n))
		return false;
	memcpy(name, g, n);
	name[n] = '\0';
	*which = "the name in the server's greeting (no SNI was sent)";
	return true;
}

/* "2026-01-31 23:59:59 UTC" */
static void utc_text(int64_t t, char *buf, size_t len)
{
	struct tm tm;
	if (!sti_tm_from_epoch(t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm))
		sti_fmt(buf, len, "%" PRId64, t);
}

/* "3 days", "5 hours", "12 minutes": how long, roughly. */
static void span_text(int64_t secs, char *buf, size_t len)
{
	if (secs >= 2 * 86400)
		sti_fmt(buf, len, "%" PRId64 " days", secs / 86400);
	else if (secs >= 2 * 3600)
		sti_fmt(buf, len, "%" PRId64 " hours", secs / 3600);
	else
		sti_fmt(buf, len, "%" PRId64 " minutes", secs / 60);
}

/* "mx.a.test, *.b.test" (the SANs, else the CN). */
static void cert_names_text(const struct sti_cert_info *ci, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < ci->nsans && i < STI_CERT_MAX_SANS && n < len; i++) {
		int w = sti_fmt(buf + n, len - n, "%s%s", i ? ", " : "", ci->sans[i]);
		n += w > 0 ? (size_t)w : 0;
	}
	if (!ci->nsans)
		sti_fmt(buf, len, "CN=%.200s", ci->subject_cn);
}

/*
 * What is wrong with the server's certificate, as far as the wire shows,
 * with its numbers (into buf: "it expired on ..., 12 days before this
 * session"); NULL when nothing is.
 */
/* A side's certificate, or one with nothing parsed and nothing checked
 * when that side sent none (what the facts held before they pointed to
 * shared entries). */
static const struct sti_tls_cert *cert_or_none(const struct sti_tls_cert *cert)
{
	static const struct sti_tls_cert none;
	return cert ? cert : &none;
}

static const char *cert_problem(const struct ctx *c, const char **tlsrpt, char *buf,
				size_t len)
{
	const struct sti_tls_facts *t = c->tls;
	char when[40], span[32], names[256];
	*tlsrpt = "validation-failure";
	if (!t->server_cert || !t->server_cert->leaf.parsed)   /* t: never NULL here */
		return NULL;
	const struct sti_cert_info *ci = &t->server_cert->leaf;
	const struct sti_trust_info *tr = &t->server_cert->chain;
	int64_t now = c->rec->first_ts / 1000000;
	/* Dates over the whole chain sent, at the capture time. */
	int64_t expiry = ci->not_after, start = ci->not_before;
	const char *whose_end = "it", *whose_start = "it";
	if (tr->checked && tr->earliest_not_after && (!expiry || tr->earliest_not_after < expiry)) {
		expiry = tr->earliest_not_after;
		whose_end = "a CA certificate in its chain";
	}
	if (tr->checked && tr->latest_not_before > start) {
		start = tr->latest_not_before;
		whose_start = "a CA certificate in its chain";
	}
	if (expiry && expiry < now) {
		*tlsrpt = "certificate-expired";
		utc_text(expiry, when, sizeof(when));
		span_text(now - expiry, span, sizeof(span));
		sti_fmt(buf, len, "%s expired on %s, %s before this session", whose_end,
			 when, span);
		return buf;
	}
	if (start > now) {
		utc_text(start, when, sizeof(when));
		sti_fmt(buf, len, "%s is not valid before %s", whose_start, when);
		return buf;
	}
	char name[STI_CERT_NAME_MAX];
	const char *which;
	if (name_to_check(c, name, sizeof(name), &which) && !cert_names_host(ci, name)) {
		*tlsrpt = "certificate-host-mismatch";
		cert_names_text(ci, names, sizeof(names));
		sti_fmt(buf, len, "it names %s, not %.100s, %s", names, name, which);
		return buf;
	}
	if (ci->self_signed || (tr->checked && tr->trust == STI_TRUST_PRIVATE)) {
		*tlsrpt = "certificate-not-trusted";
		if (ci->self_signed)
			sti_fmt(buf, len, "it is self-signed, its own root, in no public store");
		else
			sti_fmt(buf, len, "it is issued by a private CA: the root CN=%.64s "
				 "is in no public store", tr->anchor[0] ? tr->anchor : ci->issuer_cn);
		return buf;
	}
	if (tr->checked && tr->trust == STI_TRUST_INCOMPLETE) {
		*tlsrpt = "certificate-not-trusted";
		sti_fmt(buf, len, "its chain is incomplete: the issuer CN=%.64s is not sent "
			 "(%u certificate(s) in the chain) and not a trusted root",
			 tr->anchor, tr->chain_len);
		return buf;
	}
	return NULL;
}

static const char *tlsrpt_for_alert(uint8_t desc)
{
	switch (desc) {
	case 45: return "certificate-expired";
	case 48: return "certificate-not-trusted";
	default: return "validation-failure";
	}
}

/* ---- rules: SMTP level ---- */

/* ---- rules: no SMTP conversation (SPEC 9.1) ---- */

static void not_smtp(struct ctx *c, enum sti_cause cause, enum sti_reason r,
		     enum sti_confidence conf)
{
	decide(c, STI_OUTCOME_NOT_SMTP, cause, r, conf);
}

static double span_seconds(const struct sti_record *r)
{
	return (double)(r->last_ts - r->first_ts) / 1e6;
}

/*
 * Only one side's packets are in the capture: the other direction went
 * another way (asymmetric routing) or the mirror copies one direction.
 */
static bool one_direction(struct ctx *c)
{
	const struct sti_record *r = c->rec;
	enum sti_dir have;
	if (r->tcp[STI_C2S].packets && !r->tcp[STI_S2C].packets)
		have = STI_C2S;
	else if (r->tcp[STI_S2C].packets && !r->tcp[STI_C2S].packets)
		have = STI_S2C;
	else
		return false;
	/* a client whose SYNs got nothing back is tcp_no_answer */
	if (have == STI_C2S && r->tcp[STI_C2S].syn && !r->tcp[STI_C2S].payload_bytes)
		return false;
	enum sti_dir missing = sti_dir_other(have);
	decide(c, STI_OUTCOME_INCOMPLETE, STI_CAUSE_UNKNOWN,
	       STI_REASON_CAPTURE_ONE_DIRECTION, STI_INFERRED);
	explain(c, "the capture holds only the %s's packets (%" PRIu64 " packets, %"
		PRIu64 " payload bytes) and none from the %s: the %s-to-%s "
		"direction took another path (asymmetric routing, a second "
		"link or firewall) or the mirror/SPAN port copies one direction "
		"only", side(have), r->tcp[have].packets, r->tcp[have].payload_bytes,
		side(missing), side(missing), side(have));
	remedy(c, "Capture where both directions pass (both links of an "
		  "asymmetric path, or a SPAN session with \"both\"/rx+tx), then "
		  "look again.");
	add_evidence(c, r->first_frame);
	return true;
}

static bool rule_one_direction(struct ctx *c)
{
	return c->rec->proto != STI_PROTO_NONE && one_direction(c);
}

static bool rule_no_payload(struct ctx *c)
{
	const struct sti_record *r = c->rec;
	const struct sti_dir_info *cl = &r->tcp[STI_C2S], *sv = &r->tcp[STI_S2C];
	if (r->proto != STI_PROTO_NONE)
		return false;
	if (one_direction(c))
		return true;
	if (!sv->packets) {
		not_smtp(c, STI_CAUSE_NETWORK, STI_REASON_TCP_NO_ANSWER, STI_INFERRED);
		explain(c, "the client sent %" PRIu64 " SYN packet(s) to port %u over "
			"%.1f s and none was answered: the server is down or a "
			"firewall on the way drops the connection", cl->packets,
			r->srv.port, span_seconds(r));
		remedy(c, "Check that the server is up and reachable on port %u "
			  "(routing, firewalls, the MX record's address).", r->srv.port);
		add_evidence(c, r->first_frame);
		return true;
	}
	if (sv->rst_frame && !sv->syn) {
		not_smtp(c, STI_CAUSE_SERVER, STI_REASON_TCP_REFUSED, STI_CERTAIN);
		explain(c, "the server answered the SYN with a reset (frame %" PRIu64
			"): nothing accepts connections on port %u there, or a "
			"firewall rejects them", sv->rst_frame, r->srv.port);
		remedy(c, "Start the mail service on port %u or open the port in "
			  "the server's firewall; if the address is wrong, fix the MX "
			  "or smarthost entry.", r->srv.port);
		add_evidence(c, sv->rst_frame);
		return true;
	}
	enum sti_dir who = first_closer(c);
	char how[64] = "";
	if (who != STI_DIR_NONE)
		closing_text(c, who, how, sizeof(how));
	not_smtp(c, STI_CAUSE_UNKNOWN, STI_REASON_NO_PAYLOAD, STI_INFERRED);
	explain(c, "the connection was made but neither side sent a byte%s%s%s",
		who != STI_DIR_NONE ? "; the " : "", who != STI_DIR_NONE ? side(who) : "",
		who != STI_DIR_NONE ? " " : "");
	if (who != STI_DIR_NONE)
		sti_fmt(c->out->explanation + strlen(c->out->explanation),
			 sizeof(c->out->explanation) - strlen(c->out->explanation),
			 "%s", how);
	remedy(c, "Nothing to change for mail: a port probe or a health check "
		  "that only connects; if the server was meant to greet, check "
		  "that it is not overloaded.");
	add_evidence(c, who != STI_DIR_NONE ? closing_frame(c, who) : r->first_frame);
	return true;
}

static bool conversed(const struct sti_smtp_facts *s)
{
	return s && (s->hello_cmd != STI_SMTP_CMD_NONE || s->starttls_count);
}

/*
 * Whether a side's first bytes rule SMTP out: another protocol's, or
 * binary bytes at the very start of a plaintext connection whose SYN is
 * in the capture (mid-session they may be TLS after a STARTTLS; on an
 * implicit-TLS port binary is what TLS looks like).
 */
static bool looks_not_smtp(const struct sti_record *r, enum sti_dir d)
{
	return sti_looks_foreign(r->looks[d]) ||
	       (r->looks[d] == STI_LOOKS_BINARY && r->syn_seen &&
		r->proto == STI_PROTO_SMTP);
}

/* The side whose first bytes are another protocol's, or STI_DIR_NONE. */
static enum sti_dir foreign_side(const struct sti_record *r)
{
	if (looks_not_smtp(r, STI_S2C))
		return STI_S2C;
	if (looks_not_smtp(r, STI_C2S))
		return STI_C2S;
	return STI_DIR_NONE;
}

/*
 * SPEC 9.1: a greeting is SMTP only when it is 220 plus what an SMTP
 * server sends and the client answers with EHLO, HELO, LHLO or STARTTLS;
 * port 21 is never SMTP.
 */
static bool rule_not_smtp(struct ctx *c)
{
	const struct sti_record *r = c->rec;
	const struct sti_smtp_facts *s = c->smtp;
	if (r->proto != STI_PROTO_SMTP && r->proto != STI_PROTO_TLS)
		return false;
	enum sti_dir d = foreign_side(r);
	bool ftp_port = r->srv.port == 21 && r->proto == STI_PROTO_SMTP;
	if ((d == STI_DIR_NONE && !ftp_port) || (conversed(s) && !ftp_port))
		return false;
	if (d == STI_DIR_NONE)
		d = STI_S2C;
	const char *what = ftp_port && !looks_not_smtp(r, d)
		? "an FTP server greeting (port 21)" : sti_looks_desc(r->looks[d]);
	not_smtp(c, STI_CAUSE_NONE, STI_REASON_NOT_SMTP, STI_CERTAIN);
	explain(c, "not a mail session: the %s's first bytes (frame %" PRIu64 ") "
		"are %s%s, and no EHLO, HELO or STARTTLS followed", side(d),
		r->looks_frame[d], what,
		r->looks[d] == STI_LOOKS_FTP || ftp_port ? " (FTP answers 220 too)" : "");
	remedy(c, "Nothing to change for mail; if %s should not run on port %u, "
		  "move it or close the port.", what, r->srv.port);
	add_evidence(c, r->looks_frame[d]);
	return true;
}

/*
 * A 220 greeting that the client answered with no command at all before
 * closing: a banner grab (scanner, port monitor), not a mail session.
 */
static bool rule_banner_only(struct ctx *c)
{
	const struct sti_smtp_facts *s = c->smtp;
	const struct sti_record *r = c->rec;
	if (!s || !s->greeting_seen || s->commands || conversed(s) || c->tls ||
	    r->tcp[STI_C2S].payload_bytes)
		return false;
	enum sti_dir who = first_closer(c);
	if (who == STI_DIR_NONE)
		return false;   /* the capture ended: incomplete, below */
	char how[64];
	closing_text(c, who, how, sizeof(how));
	not_smtp(c, STI_CAUSE_NONE, STI_REASON_NOT_SMTP, STI_INFERRED);
	explain(c, "the server greeted (frame %" PRIu64 ") and the client sent "
		"nothing; the %s %s: a banner check (scanner or monitoring "
		"probe), not a mail session", s->greeting.frame, side(who), how);
	remedy(c, "Nothing to change for mail.");
	add_evidence(c, s->greeting.frame);
	add_evidence(c, closing_frame(c, who));
	return true;
}

/* ---- rules: mail clients (submission) ---- */

/* SPEC 9.1: a mail client, not an MTA: port 587, or AUTH on any port. */
static bool submission(const struct ctx *c)
{
	return c->rec->srv.port == 587 || (c->smtp && c->smtp->auth_cmds);
}

/* Mechanisms that put the secret itself on the wire. */
static bool cleartext_mechanism(const char *mech)
{
	static const char *const names[] = { "PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(mech, names[i]) == 0)
			return true;
	return false;
}

#define SUBMISSION_FIX_CLIENT \
	"In the mail client, set the outgoing (SMTP) server's security to " \
	"STARTTLS on port 587 or SSL/TLS on port 465"
#define SUBMISSION_FIX_SERVER \
	"on the server, refuse AUTH without TLS: Postfix smtpd_tls_auth_only = " \
	"yes (and smtpd_tls_security_level = encrypt on 587), Exchange " \
	"RequireTLS $true on the client receive connector"

static bool rule_auth_in_clear(struct ctx *c)
{
	const struct sti_smtp_facts *s = c->smtp;
	if (!s || !s->auth_frame || !cleartext_mechanism(s->auth_mech))
		return false;
	decide(c, STI_OUTCOME_NO_TLS, STI_CAUSE_CLIENT, STI_REASON_AUTH_IN_CLEAR,
	       STI_CERTAIN);
	const struct sti_smtp_reply *rp = &s->auth_reply;
	char answer[64] = "";
	if (rp->code)
		sti_fmt(answer, sizeof(answer), "; the server answered %u (frame %"
			 PRIu64 ")", rp->code, rp->frame);
	explain(c, "the mail client sent AUTH %s without TLS (frame %" PRIu64
		")%s%s%s", s->auth_mech, s->auth_frame,
		s->auth_credentials ? ": the user name and password crossed in clear"
				    : ", though no credentials followed",
		s->starttls_offered == STI_SMTP_OFFER_YES ? " although STARTTLS was offered" : "",
		answer);
	remedy(c, SUBMISSION_FIX_CLIENT "; " SUBMISSION_FIX_SERVER
	       ". Change the password: it was sent readable.");
	add_evidence(c, s->auth_credentials ? s->auth_credentials_frame : s->auth_frame);
	add_evidence(c, rp->frame);
	return true;
}

static bool rule_mid_session(struct ctx *c)
{
	const struct sti_smtp_facts *s = c->smtp;
	if (!s || s->greeting_seen || c->rec->syn_seen)
		return false;
	if (s->starttls_count || s->hello_cmd != STI_SMTP_CMD_NONE)
		return false;
	decide(c, STI_OUTCOME_INCOMPLETE, STI_CAUSE_UNKNOWN,
	       STI_REASON_CAPTURE_STARTED_MID_SESSION, STI_INFERRED);
	explain(c, "the capture starts in the middle of the session (frame %" PRIu64
		"): no greeting, EHLO or STARTTLS is in it", c->rec->first_frame);
	remedy(c, "Start the capture before the connection opens to see the "
		  "STARTTLS upgrade and the TLS handshake.");
	add_evidence(c, c->rec->first_frame);
	return true;
}

static bool rule_stripped(struct ctx *c)
{
	const struct sti_smtp_facts *s = c->smtp;
	if (!s || (s->starttls_offered != STI_SMTP_OFFER_STRIPPED && !s->masked_commands))
		return false;
	/* The client tried STARTTLS if it sent the command (answered with an
	 * error by a server that got X's), or if X's arrived in its place. */
	bool attempted = s->masked_commands > 0 || s->starttls_count > 0;
	decide(c, attempted ? STI_OUTCOME_FAILED : STI_OUTCOME_NO_TLS,
	       STI_CAUSE_MIDDLEBOX, STI_REASON_STARTTLS_STRIPPED, STI_CERTAIN);
	if (s->masked_commands)
		explain(c, "a middlebox rewrote the client's STARTTLS command to X's "
			"(frame %" PRIu64 ") and the server answered %u", s->masked_command_frame,
			s->masked_command_reply.code);
	else if (attempted)
		explain(c, "the EHLO reply carries the masked capability \"%s\" "
			"(frame %" PRIu64 ") and the client's STARTTLS (frame %" PRIu64
			") was answered \"%u %s\": a middlebox rewrote both",
			s->masked_cap, sti_smtp_anomaly_frame(s, STI_SMTP_AN_MASKED_CAPABILITY),
			s->starttls_frame, s->starttls_reply.code, s->starttls_reply.text);
	else
		explain(c, "the EHLO reply carries the masked capability \"%s\" "
			"(frame %" PRIu64 ") where STARTTLS belongs: a middlebox "
			"stripped it, so the session went on without TLS",
			s->masked_cap, sti_smtp_anomaly_frame(s, STI_SMTP_AN_MASKED_CAPABILITY));
	remedy(c, "Turn off the ESMTP/SMTP inspection (Cisco ASA/FTD \"inspect "
		  "esmtp\" or similar) on the firewall between the two servers, or "
		  "exempt this traffic, so that STARTTLS passes unchanged.");
	add_evidence(c, sti_smtp_anomaly_frame(s, STI_SMTP_AN_MASKED_CAPABILITY));
	add_evidence(c, s->masked_command_frame);
	add_evidence(c, s->masked_command_reply.frame);
	add_evidence(c, s->starttls_frame);
	add_evidence(c, s->starttls_reply.frame);
	return true;
}

static bool rule_starttls_refused(struct ctx *c)
{
	const struct sti_smtp_facts *s = c->smtp;
	if (!s || !s->starttls_count || !s->starttls_refused)
		return false;
	const struct sti_smtp_reply *rp = &s->starttls_reply;
	decide(c, STI_OUTCOME_FAILED, STI_CAUSE_SERVER, STI_REASON_STARTTLS_REFUSED,
	       STI_CERTAIN);
	/* The reply text may start with the enhanced code already. */
	size_t el = strnlen(rp->enhanced, STI_SMTP_ESC_MAX);
	bool echoed = el && strncmp(rp->text, rp->enhanced, el) == 0;
	explain(c, "the server answered STARTTLS with \"%u%s%s %s\" (frame %" PRIu64 ")",
		rp->code, rp->enhanced[0] && !echoed ? " " : "", echoed ? "" : rp->enhanced,
		rp->text, rp->frame);
	switch (server_software(c)) {
	case SW_POSTFIX:
		remedy(c, "Fix TLS on the receiving Postfix server: smtpd_tls_cert_file "
			  "and smtpd_tls_key_file must name a readable certificate and key "
			  "(see the mail log for the \"cannot load\" warning).");
		break;
	case SW_EXIM:
		remedy(c, "Fix TLS on the receiving Exim server: tls_certificate and "
			  "tls_privatekey must be readable by Exim, and tls_advertise_hosts "
			  "must include the sender.");
		break;
	case SW_SENDMAIL:
		remedy(c, "Fix TLS on the receiving Sendmail server: ServerCertFile "
			  "and ServerKeyFile (confSERVER_CERT, confSERVER_KEY) must name "
			  "a readable certificate and key, and the key must not be "
			  "readable by group or others.");
		break;
	case SW_EXCHANGE:
		remedy(c, "Assign a valid certificate to the SMTP service on the "
			  "receive connector (Enable-ExchangeCertificate -Services SMTP) "
			  "and enable TLS on it.");
		break;
	case SW_UNKNOWN:
		remedy(c, "Enable STARTTLS on the receiving server: install a valid "
			  "certificate and key and enable TLS on the receive connector.");
		break;
	}
	add_evidence(c, rp->frame);   /* the server's reply decides (9.1) */
	return true;
}

static bool rule_injection(struct ctx *c)
{
	const struct sti_smtp_facts *s = c->smtp;
	if (!s || !s->starttls_accepted || !s->injected_bytes)
		return false;
	decide(c, STI_OUTCOME_FAILED, STI_CAUSE_CLIENT,
	       STI_REASON_PLAINTEXT_INJECTION_AFTER_STARTTLS, STI_CERTAIN);
	explain(c, "the client sent %" PRIu64 " bytes of plaintext (\"%s\") after "
		"STARTTLS and before the server's 220 (frame %" PRIu64 "): "
		"command injection of the CVE-2011-0411 class", s->injected_bytes,
		s->injected_line, s->injected_frame);
	remedy(c, "The client must wait for the 220 reply before starting TLS; "
		  "the server must discard buffered plaintext at the STARTTLS "
		  "boundary (update it: Postfix >= 2.8.1, current Exim).");
	add_evidence(c, s->starttls_frame);
	add_evidence(c, s->injected_frame);
	add_evidence(c, s->starttls_reply.frame);
	return true;
}

/*
 * The client went on after the EHLO reply: a command that is not
 * STARTTLS, or it closed the connection. A capture that stops right after
 * the reply does not show what the client would have done (SPEC 9.1).
 */
static bool went_on_after_hello(const struct ctx *c)
{
	const struct sti_smtp_facts *s = c->smtp;
	const struct sti_dir_info *cl = &c->rec->tcp[STI_C2S];
	uint64_t after = s->hello_reply_frame ? s->hello_reply_frame : s->hello_frame;
	return s->went_on_frame || s->mail_cmds || s->auth_cmds ||
	       s->quit_frame > after || cl->fin_frame > after ||
	       cl->rst_frame > after || c->rec->end_side == STI_S2C;
}

/* The frame that shows the client went on: its next command or close. */
static uint64_t went_on_evidence(const struct ctx *c)
{
	const struct sti_smtp_facts *s = c->smtp;
	if (s->went_on_frame)
		return s->went_on_frame;
	return c->rec->end_side != STI_DIR_NONE ? c->rec->end_frame : s->mail_in_clear_frame;
}

/* The server's reply to EHLO, where it said what it offers. */
static uint64_t hello_reply(const struct ctx *c)
{
	return c->smtp->hello_reply_frame ? c->smtp->hello_reply_frame : c->smtp->hello_frame;
}

static bool ended_after_ehlo_reply(struct ctx *c)
{
	decide(c, STI_OUTCOME_INCOMPLETE, STI_CAUSE_UNKNOWN,
	       STI_REASON_CAPTURE_ENDED_MID_HANDSHAKE, STI_INFERRED);
	explain(c, "the server offered STARTTLS in its EHLO reply and the "
		"capture ends before the client's next command (last frame %"
		PRIu64 "): whether it would use STARTTLS is not shown",
		c->rec->last_frame);
	remedy(c, "Capture the whole session.");
	add_evidence(c, c->rec->last_frame);
	return true;
}

static bool rule_plaintext(struct ctx *c)
{
	const struct sti_smtp_facts *s = c->smtp;
	if (!s || s->starttls_count)
		return false;
	if (s->starttls_required) {
		decide(c, STI_OUTCOME_NO_TLS, STI_CAUSE_CLIENT,
		       STI_REASON_STARTTLS_REQUIRED_NOT_USED, STI_CERTAIN);
		explain(c, "the server requires STARTTLS (frame %" PRIu64 ": \"Must "
			"issue a STARTTLS command first\") and the client did not use it",
			s->starttls_required_frame);
		if (submission(c))
			remedy(c, SUBMISSION_FIX_CLIENT ".");
		else
			remedy(c, "Enable STARTTLS on the sending server (Postfix: "
				  "smtp_tls_security_level = may or encrypt; Exchange: "
				  "enable TLS on the send connector).");
		add_evidence(c, s->starttls_required_frame);
		return true;
	}
	switch (s->starttls_offered) {
	case STI_SMTP_OFFER_YES:
		if (!went_on_after_hello(c))
			return ended_after_ehlo_reply(c);
		decide(c, STI_OUTCOME_NO_TLS, STI_CAUSE_CLIENT,
		       STI_REASON_CLIENT_SKIPPED_STARTTLS, STI_CERTAIN);
		explain(c, "the server offered STARTTLS (frame %" PRIu64 ") and the "
			"%s went on without it%s", hello_reply(c),
			submission(c) ? "mail client" : "client",
			s->mail_in_clear ? ": mail was sent in clear" : "");
		if (submission(c))
			remedy(c, SUBMISSION_FIX_CLIENT "; " SUBMISSION_FIX_SERVER ".");
		else
			remedy(c, "Enable opportunistic TLS on the sending server (Postfix: "
				  "smtp_tls_security_level = may; Exim: hosts_try_tls = *; "
				  "Exchange: TLS on the send connector).");
		add_evidence(c, hello_reply(c));
		add_evidence(c, went_on_evidence(c));
		return true;
	case STI_SMTP_OFFER_NO:
		decide(c, STI_OUTCOME_NO_TLS, STI_CAUSE_SERVER,
		       STI_REASON_STARTTLS_NOT_OFFERED, STI_CERTAIN);
		explain(c, "the server's EHLO reply (frame %" PRIu64 ") does not "
			"offer STARTTLS%s", hello_reply(c),
			s->mail_in_clear ? "; mail was sent in clear" : "");
		remedy(c, "Enable STARTTLS on the receiving server (Postfix: "
			  "smtpd_tls_security_level = may with a certificate; Exim: "
			  "tls_advertise_hosts = * with tls_certificate; Exchange: a "
			  "certificate for SMTP on the receive connector).");
		add_evidence(c, hello_reply(c));
		return true;
	case STI_SMTP_OFFER_STRIPPED:
		return false;
	case STI_SMTP_OFFER_UNKNOWN:
		break;
	}
	if (s->hello_cmd == STI_SMTP_CMD_HELO) {
		decide(c, STI_OUTCOME_NO_TLS, STI_CAUSE_CLIENT,
		       STI_REASON_CLIENT_SKIPPED_STARTTLS, STI_INFERRED);
		explain(c, "the client greeted with HELO (frame %" PRIu64 "), which "
			"cannot negotiate STARTTLS", s->hello_frame);
		remedy(c, "Configure the sending server to use EHLO and STARTTLS.");
		add_evidence(c, s->hello_frame);
		return true;
	}
	decide(c, STI_OUTCOME_INCOMPLETE, STI_CAUSE_UNKNOWN,
	       STI_REASON_CAPTURE_ENDED_MID_HANDSHAKE, STI_INFERRED);
	explain(c, "the session ended before the EHLO reply showed whether "
		"STARTTLS is offered");
	remedy(c, "Capture the whole session.");
	add_evidence(c, c->rec->last_frame);
	return true;
}

/* STARTTLS sent, no reply yet when the session ended. */
static bool rule_starttls_unanswered(struct ctx *c)
{
	const struct sti_smtp_facts *s = c->smtp;
	if (!s || !s->starttls_count || s->starttls_accepted || s->starttls_refused)
		return false;
	enum sti_dir who = first_closer(c);
	char how[64];
	if (who == STI_S2C) {
		closing_text(c, who, how, sizeof(how));
		decide(c, STI_OUTCOME_FAILED, STI_CAUSE_SERVER,
		       STI_REASON_SERVER_ABORTED_HANDSHAKE, STI_INFERRED);
		explain(c, "the server %s after the STARTTLS command without replying", how);
		remedy(c, "Check the receiving server's TLS setup and its log for the "
			  "moment of the STARTTLS command.");
		add_evidence(c, closing_frame(c, who));
	} else {
		decide(c, STI_OUTCOME_INCOMPLETE, STI_CAUSE_UNKNOWN,
		       STI_REASON_CAPTURE_ENDED_MID_HANDSHAKE, STI_INFERRED);
		explain(c, "the STARTTLS command (frame %" PRIu64 ") got no reply "
			"before the capture or the client ended", s->starttls_frame);
		remedy(c, "Capture the whole session.");
	}
	add_evidence(c, s->starttls_frame);
	return true;
}

/* ---- rules: TLS level ---- */

static void find_alerts(struct ctx *c)
{
	const struct sti_tls_facts *t = c->tls;
	for (unsigned i = 0; t && i < t->nalerts; i++) {
		const struct sti_tls_alert *a = &t->alerts[i];
		/* A decrypted alert (--keylog) says what it says, as if it
		 * had been sent in clear. */
		if (a->encrypted && !a->decrypted) {
			if (!c->enc_alert[a->from])
				c->enc_alert[a->from] = a;
		} else if (!c->alert && a->desc != 0 /* close_notify */) {
			c->alert = a;
		}
	}
}

static bool rule_no_tls_bytes(struct ctx *c)
{
	const struct sti_tls_facts *t = c->tls;
	if (t && (t->dir[STI_C2S].bytes || t->dir[STI_S2C].bytes))
		return false;
	enum sti_dir who = first_closer(c);
	char how[64];
	const char *after = c->rec->mode == STI_MODE_STARTTLS ?
		"after the server's 220 to STARTTLS" : "before any TLS byte";
	if (who == STI_DIR_NONE) {
		decide(c, STI_OUTCOME_INCOMPLETE, STI_CAUSE_UNKNOWN,
		       STI_REASON_CAPTURE_ENDED_MID_HANDSHAKE, STI_INFERRED);
		explain(c, "the capture ends %s", after);
		remedy(c, "Capture the whole session.");
		add_evidence(c, c->rec->last_frame);
		return true;
	}
	closing_text(c, who, how, sizeof(how));
	decide(c, STI_OUTCOME_FAILED, who == STI_C2S ? STI_CAUSE_CLIENT : STI_CAUSE_SERVER,
	       who == STI_C2S ? STI_REASON_CLIENT_ABORTED_HANDSHAKE
			      : STI_REASON_SERVER_ABORTED_HANDSHAKE, STI_INFERRED);
	explain(c, "the %s %s %s, before a ClientHello", side(who), how, after);
	remedy(c, "Check the %s's TLS library and settings: it gave up before the "
		  "handshake began.", side(who));
	add_evidence(c, closing_frame(c, who));
	return true;
}

static bool rule_not_tls(struct ctx *c)
{
	const struct sti_tls_facts *t = c->tls;
	bool implicit = c->rec->mode == STI_MODE_IMPLICIT;
	for (enum sti_dir d = STI_C2S; d <= STI_S2C; d++) {
		if (!t->dir[d].not_tls)
			continue;
		uint64_t frame = t->dir[d].malformed_frame ? t->dir[d].malformed_frame
							   : c->rec->tls_start_frame;
		decide(c, STI_OUTCOME_FAILED, d == STI_C2S ? STI_CAUSE_CLIENT : STI_CAUSE_SERVER,
		       STI_REASON_NOT_TLS_AFTER_STARTTLS, STI_CERTAIN);
		explain(c, "the %s sent \"%s\" where the TLS handshake belonged%s "
			"(frame %" PRIu64 ")", side(d), t->dir[d].sample,
			implicit ? " on an implicit-TLS port" : "", frame);
		if (implicit && d == STI_S2C)
			remedy(c, "The server speaks plaintext on port %u, where clients "
				  "expect TLS from the first byte (RFC 8314): enable implicit "
				  "TLS (SMTPS) on that port, or have the client use STARTTLS "
				  "on port 25 or 587.", c->rec->srv.port);
		else
			remedy(c, "The %s must start TLS after the 220 reply to STARTTLS; "
				  "check for a broken STARTTLS implementation or a proxy in "
				  "between.", side(d));
		add_evidence(c, frame);
		add_evidence(c, c->rec->tls_start_frame);
		return true;
	}
	return false;
}

/*
 * TLS in use: ok, or deprecated on the side whose capability is below the
 * policy. `note` qualifies a handshake whose end the capture lost.
 */
static void established_verdict(struct ctx *c, enum sti_confidence conf,
				const char *note)
{
	const struct sti_tls_facts *t = c->tls;
	char cm[16], v[16], min[16];
	sti_tls_version_text(c->cmax, cm, sizeof(cm));
	sti_tls_version_text(c->ver, v, sizeof(v));
	sti_tls_version_text(c->min, min, sizeof(min));
	add_evidence(c, t->sh_frame);
	add_evidence(c, t->established_frame);
	if (c->ver && c->ver < c->min) {
		bool client_low = c->cmax && c->cmax < c->min;
		decide(c, STI_OUTCOME_DEPRECATED, client_low ? STI_CAUSE_CLIENT : STI_CAUSE_SERVER,
		       STI_REASON_VERSION_BELOW_POLICY, conf);
		if (client_low)
			explain(c, "TLS established with %s%s: the client offered at most "
				"%s, below the policy minimum %s", v, note, cm, min);
		else
			explain(c, "TLS established with %s%s: the client offered up to %s "
				"but the server chose %s, below the policy minimum %s",
				v, note, cm, v, min);
		if (client_low)
			remedy_client_versions(c);
		else
			remedy_server_versions(c);
		return;
	}
	decide(c, STI_OUTCOME_OK, STI_CAUSE_NONE, STI_REASON_TLS_OK, conf);
	explain(c, "%s established%s (client offered up to %s)", v, note, cm);
	remedy(c, "Nothing to change.");
}

/*
 * A capture gap hid the end of the handshake, but the client sent its
 * Finished and more after it, with no alert from either side: the client
 * only finishes a handshake whose server flight it accepted.
 */
static bool completed_behind_gap(const struct ctx *c)
{
	const struct sti_tls_dir_facts *cl = &c->tls->dir[STI_C2S];
	return c->tls->have_sh && cl->finished_frame &&
	       cl->last_frame > cl->finished_frame && !c->alert &&
	       !c->enc_alert[STI_C2S] && !c->enc_alert[STI_S2C];
}

/*
 * A hello or Certificate in clear that did not parse, for a handshake that
 * then failed: its sender and the part (the parsers' names for parts say
 * which message they belong to).
 */
static bool malformed_message(const struct sti_tls_facts *t, enum sti_dir *d,
			      const char **part, uint64_t *frame)
{
	const struct { bool have; const char *malformed; enum sti_dir d; uint64_t frame; } m[] = {
		{ t->have_ch, t->ch.malformed, STI_C2S, t->ch_frame },
		{ t->have_sh, t->sh.malformed, STI_S2C, t->sh_frame },
		{ t->server_cert != NULL, cert_or_none(t->server_cert)->leaf.malformed, STI_S2C,
		  t->server_cert_frame },
		{ t->client_cert != NULL, cert_or_none(t->client_cert)->leaf.malformed, STI_C2S,
		  t->client_cert_frame },
	};
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		if (m[i].have && m[i].malformed) {
			*d = m[i].d;
			*part = m[i].malformed;
			*frame = m[i].frame;
			return true;
		}
	}
	return false;
}

static void malformed_verdict(struct ctx *c, enum sti_dir d, const char *part,
			      uint64_t frame)
{
	decide(c, STI_OUTCOME_FAILED, d == STI_C2S ? STI_CAUSE_CLIENT : STI_CAUSE_SERVER,
	       STI_REASON_MALFORMED_TLS, STI_CERTAIN);
	explain(c, "the %s sent malformed TLS: %s (frame %" PRIu64 ")",
		side(d), part, frame);
	remedy(c, "The %s's TLS implementation sends bytes that are not "
		  "valid TLS records; update it or remove the device that "
		  "alters them.", side(d));
	add_evidence(c, frame);
}

static bool rule_gap_or_malformed(struct ctx *c)
{
	const struct sti_tls_facts *t = c->tls;
	if (t->established)
		return false;
	for (enum sti_dir d = STI_C2S; d <= STI_S2C; d++) {
		if (t->dir[d].gap && completed_behind_gap(c)) {
			char note[96];
			sti_fmt(note, sizeof(note), " as far as the capture shows "
				 "(%s bytes lost at frame %" PRIu64 ")", side(d),
				 t->dir[d].gap_frame);
			established_verdict(c, STI_INFERRED, note);
			add_evidence(c, t->dir[STI_C2S].finished_frame);
			add_evidence(c, t->dir[d].gap_frame);
			return true;
		}
		if (t->dir[d].gap) {
			decide(c, STI_OUTCOME_INCOMPLETE, STI_CAUSE_UNKNOWN,
			       STI_REASON_CAPTURE_GAP, STI_INFERRED);
			explain(c, "the capture lost %s bytes during the handshake "
				"(frame %" PRIu64 ")", side(d), t->dir[d].gap_frame);
			remedy(c, "Capture again with a larger buffer (-B) and without "
				  "packet loss.");
			add_evidence(c, t->dir[d].gap_frame);
			return true;
		}
	}
	for (enum sti_dir d = STI_C2S; d <= STI_S2C; d++) {
		if (t->dir[d].malformed) {
			malformed_verdict(c, d, t->dir[d].reason,
					  t->dir[d].malformed_frame);
			return true;
		}
	}
	enum sti_dir d;
	const char *part;
	uint64_t frame;
	if (malformed_message(t, &d, &part, &frame)) {
		malformed_verdict(c, d, part, frame);
		return true;
	}
	return false;
}

/* §6.1 item 8: an alert instead of a ClientHello. */
static bool rule_client_alert_instead_of_hello(struct ctx *c)
{
	const struct sti_tls_facts *t = c->tls;
	if (t->have_ch || !c->alert || c->alert->from != STI_C2S)
		return false;
	decide(c, STI_OUTCOME_FAILED, STI_CAUSE_CLIENT, STI_REASON_NO_SHARED_CIPHER,
	       STI_INFERRED);
	explain(c, "the client sent a %s alert %s(%u) instead of a ClientHello "
		"(frame %" PRIu64 "): it has no usable cipher suite or version",
		sti_tls_alert_level_name(c->alert->level) ? sti_tls_alert_level_name(c->alert->level) : "",
		alert_name(c->alert->desc), c->alert->desc, c->alert->frame);
	remedy(c, "Fix the sending server's TLS settings: its cipher list or "
		  "security level leaves nothing it may offer (OpenSSL: cipher "
		  "string and @SECLEVEL; Postfix: smtp_tls_ciphers; Exim: "
		  "tls_require_ciphers).");
	add_evidence(c, c->alert->frame);
	return true;
}

/* Any other alert: named, with the side whose log says more. */
static void peer_alert(struct ctx *c, const struct sti_tls_alert *a,
		       const char *stage)
{
	decide(c, STI_OUTCOME_FAILED, STI_CAUSE_UNKNOWN, STI_REASON_PEER_ALERT,
	       STI_CERTAIN);
	explain(c, "the %s ended the handshake %s with %s(%u) (frame %" PRIu64 ")",
		side(a->from), stage, alert_name(a->desc), a->desc, a->frame);
	remedy(c, "Look up the %s alert in the %s's TLS log; it names what was "
		  "rejected.", alert_name(a->desc),
	       a->from == STI_C2S ? "sending server" : "receiving server");
}

static bool offers_common_group(const struct sti_client_hello *ch)
{
	if (!ch->ngroups)
		return true;   /* no extension: pre-ECC hello, groups not the issue */
	for (unsigned i = 0; i < ch->ngroups; i++) {
		uint16_t g = ch->groups[i];
		if (g == 0x001d || g == 0x0017 || g == 0x0018 || g == 0x001e)
			return true;   /* x25519, secp256r1, secp384r1, x448 */
	}
	return false;
}

/*
 * Cipher families of the client's offer, read from the suite names
 * ("TLS_<kx>_WITH_<cipher>_<mac>", TLS 1.3 "TLS_<cipher>_<hash>"): what a
 * no-shared-cipher failure is about is which families each side had.
 */
enum { KX_TLS13 = 1, KX_ECDHE = 2, KX_DHE = 4, KX_RSA = 8, KX_OTHER = 16 };
static const char *const kx_names[] = { "TLS 1.3", "ECDHE", "DHE", "RSA", "other" };
enum { BC_AES_GCM = 1, BC_CHACHA = 2, BC_AES_CBC = 4, BC_AES_CCM = 8,
       BC_CAMELLIA = 16, BC_ARIA = 32, BC_3DES = 64, BC_RC4 = 128,
       BC_NULL = 256, BC_OTHER = 512 };
static const char *const bc_names[] = {
	"AES-GCM", "ChaCha20", "AES-CBC", "AES-CCM", "CAMELLIA", "ARIA", "3DES",
	"RC4", "NULL", "other",
};

/* The certificate a suite needs the server to hold; TLS 1.3 suites need
 * none in particular (the signature algorithms decide). */
enum { AUTH_ANY = 1, AUTH_RSA = 2, AUTH_ECDSA = 4, AUTH_OTHER = 8 };

struct families {
	unsigned kx, bulk;
	unsigned modern_auth;   /* certificate types the modern suites need */
	bool modern;   /* an AES or ChaCha20 suite with an ephemeral key exchange */
};

static unsigned kx_family(const char *n, const char *with)
{
	if (!with)
		return KX_TLS13;
	if (strncmp(n, "TLS_ECDHE_", 10) == 0)
		return KX_ECDHE;
	if (strncmp(n, "TLS_DHE_", 8) == 0)
		return KX_DHE;
	if (strncmp(n, "TLS_RSA_", 8) == 0)
		return KX_RSA;
	return KX_OTHER;
}

static unsigned auth_family(const char *n, const char *with)
{
	if (!with)
		return AUTH_ANY;
	const char *ecdsa = strstr(n, "_ECDSA_");
	if (ecdsa && ecdsa < with)
		return AUTH_ECDSA;
	if (strncmp(n, "TLS_RSA_", 8) == 0 || strncmp(n, "TLS_ECDHE_RSA_", 14) == 0 ||
	    strncmp(n, "TLS_DHE_RSA_", 12) == 0)
		return AUTH_RSA;
	return AUTH_OTHER;
}

static unsigned bulk_family(const char *c)
{
	static const struct { const char *prefix; unsigned bit; } t[] = {
		{ "CHACHA20", BC_CHACHA }, { "CAMELLIA", BC_CAMELLIA },
		{ "ARIA", BC_ARIA }, { "3DES", BC_3DES }, { "RC4", BC_RC4 },
		{ "NULL", BC_NULL },
	};
	if (strncmp(c, "AES_", 4) == 0)
		return strstr(c, "_GCM") ? BC_AES_GCM : strstr(c, "_CCM") ? BC_AES_CCM : BC_AES_CBC;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strncmp(c, t[i].prefix, strlen(t[i].prefix)) == 0)
			return t[i].bit;
	return BC_OTHER;
}

static struct families client_families(const struct sti_client_hello *ch)
{
	struct families f = { 0, 0, 0, false };
	for (unsigned i = 0; i < ch->nciphers; i++) {
		const char *n = sti_tls_cipher_name(ch->ciphers[i]);
		if (!n || strncmp(n, "TLS_", 4) != 0 || strstr(n, "SCSV"))
			continue;
		const char *with = strstr(n, "_WITH_");
		unsigned kx = kx_family(n, with);
		unsigned bc = bulk_family(with ? with + 6 : n + 4);
		f.kx |= kx;
		f.bulk |= bc;
		if ((kx & (KX_TLS13 | KX_ECDHE | KX_DHE)) &&
		    (bc & (BC_AES_GCM | BC_CHACHA | BC_AES_CBC | BC_AES_CCM))) {
			f.modern = true;
			f.modern_auth |= auth_family(n, with);
		}
	}
	return f;
}

/* "ECDHE/RSA" from a mask and its names; "none" when empty. */
static void family_text(unsigned mask, const char *const *names, size_t n,
			char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && used + 1 < len; i++) {
		if (!(mask & (1u << i)))
			continue;
		int w = sti_fmt(buf + used, len - used, "%s%s", used ? "/" : "", names[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	if (!used)
		sti_fmt(buf, len, "none named");
}

static void no_shared_cipher(struct ctx *c, enum sti_confidence conf,
			     const char *what_server_did)
{
	const struct sti_client_hello *ch = &c->tls->ch;
	struct families fam = client_families(ch);
	char kx[64], bulk[96];
	family_text(fam.kx, kx_names, sizeof(kx_names) / sizeof(kx_names[0]), kx, sizeof(kx));
	family_text(fam.bulk, bc_names, sizeof(bc_names) / sizeof(bc_names[0]), bulk, sizeof(bulk));
	bool ephemeral = fam.kx & (KX_TLS13 | KX_ECDHE | KX_DHE);
	/* a hello whose suites did not parse tells nothing about families */
	bool known = fam.kx != 0;
	bool cipher_fault = ch->only_legacy_ciphers || (known && !fam.modern);
	bool group_fault = !cipher_fault && !offers_common_group(ch);
	/* Modern suites that all need an ECDSA (or DSS) certificate: a server
	 * holding the RSA certificate nearly every mail server has cannot use
	 * any of them. Its certificate never reached the wire: inferred. */
	bool auth_fault = !cipher_fault && !group_fault && fam.modern &&
			  !(fam.modern_auth & (AUTH_ANY | AUTH_RSA));
	bool client_fault = cipher_fault || group_fault || auth_fault;
	decide(c, STI_OUTCOME_FAILED, client_fault ? STI_CAUSE_CLIENT : STI_CAUSE_SERVER,
	       STI_REASON_NO_SHARED_CIPHER, auth_fault ? STI_INFERRED : conf);
	if (auth_fault)
		explain(c, "the client offered %u cipher suites (key exchange %s, "
			"ciphers %s), every modern one needing an ECDSA certificate "
			"on the server; the server %s: a server whose certificate "
			"is RSA, as nearly every mail server's is, cannot use them",
			ch->ciphers_total, kx, bulk, what_server_did);
	else if (cipher_fault)
		explain(c, "the client offered %u cipher suites, %s: key exchange %s, "
			"ciphers %s; the server %s", ch->ciphers_total,
			ch->only_legacy_ciphers ? "only legacy ciphers (RC4, 3DES, DES, "
			"NULL or EXPORT)" : !ephemeral ? "no suite with an ephemeral key "
			"exchange (no ECDHE, DHE or TLS 1.3 suite)" : "no suite a current "
			"server accepts (no AES or ChaCha20 with ECDHE, DHE or TLS 1.3)",
			kx, bulk, what_server_did);
	else if (group_fault)
		explain(c, "the client offered %u cipher suites (key exchange %s, "
			"ciphers %s) but no common key-exchange group (no x25519 or "
			"NIST P-256/P-384); the server %s", ch->ciphers_total, kx, bulk,
			what_server_did);
	else
		explain(c, "the client offered %u cipher suites (key exchange %s, "
			"ciphers %s), modern ones among them; the server %s: it has "
			"no matching cipher or no usable certificate and key",
			ch->ciphers_total, kx, bulk, what_server_did);
	if (auth_fault)
		remedy(c, "Allow RSA-authenticated suites on the sending server as "
			  "well as ECDSA ones (ECDHE-RSA with AES-GCM), or offer "
			  "TLS 1.3.");
	else if (client_fault)
		remedy(c, "Allow modern cipher suites and groups on the sending "
			  "server (ECDHE with AES-GCM or ChaCha20; groups x25519 and "
			  "P-256).");
	else if (server_software(c) == SW_POSTFIX)
		remedy(c, "Fix the receiving Postfix server's TLS: check that "
			  "smtpd_tls_cert_file/smtpd_tls_key_file exist and load, and "
			  "that smtpd_tls_ciphers/tls_*_cipherlist allow ECDHE AES-GCM.");
	else
		remedy(c, "Fix the receiving server's TLS: give it a valid "
			  "certificate and key and allow modern cipher suites (ECDHE "
			  "with AES-GCM).");
}

/* An SSLv2 SERVER-HELLO: SSL 2.0 was chosen (RFC 6176 forbids it). */
static bool rule_sslv2(struct ctx *c)
{
	const struct sti_tls_facts *t = c->tls;
	if (t->have_sh || !t->dir[STI_S2C].sslv2 || !t->version)
		return false;
	char cm[16], v[16];
	sti_tls_version_text(c->cmax, cm, sizeof(cm));
	sti_tls_version_text(t->version, v, sizeof(v));
	bool client_low = !c->cmax || c->cmax <= t->version;
	decide(c, STI_OUTCOME_DEPRECATED, client_low ? STI_CAUSE_CLIENT : STI_CAUSE_SERVER,
	       STI_REASON_VERSION_BELOW_POLICY, STI_CERTAIN);
	explain(c, "%s negotiated: the server answered with an SSLv2 SERVER-HELLO "
		"(frame %" PRIu64 ") to a client offering up to %s", v,
		t->dir[STI_S2C].sslv2_frame, cm);
	remedy(c, "Disable SSL 2.0 on the %s (RFC 6176) and enable TLS 1.2 or "
		  "later.", client_low ? "sending server (the client)" : "receiving server");
	add_evidence(c, t->ch_frame);
	add_evidence(c, t->dir[STI_S2C].sslv2_frame);
	return true;
}

/* A ClientHello and no ServerHello. */
static bool rule_rejected_hello(struct ctx *c)
{
	const struct sti_tls_facts *t = c->tls;
	if (!t->have_ch || t->have_sh)
		return false;
	char cm[16], min[16], how[64];
	sti_tls_version_text(c->cmax, cm, sizeof(cm));
	sti_tls_version_text(c->min, min, sizeof(min));
	const struct sti_tls_alert *a = c->alert;
	add_evidence(c, t->ch_frame);
	if (a && a->from == STI_S2C) {
		bool version_alert = a->desc == 70 || a->desc == 40 || a->desc == 71;
		add_evidence(c, a->frame);
		/* The offer decides: whichever alert a server sends to a
		 * ClientHello below its minimum (protocol_version, or
		 * handshake_failure, internal_error... by stack). */
		if (c->cmax && c->cmax < c->min) {
			decide(c, STI_OUTCOME_FAILED, STI_CAUSE_CLIENT,
			       STI_REASON_CLIENT_VERSION_TOO_LOW, STI_CERTAIN);
			explain(c, "client offered at most %s; server requires %s and "
				"sent a fatal %s(%u) alert (frame %" PRIu64 ")", cm, min,
				alert_name(a->desc), a->desc, a->frame);
			remedy_client_versions(c);
		} else if (a->desc == 70) {
			decide(c, STI_OUTCOME_FAILED, STI_CAUSE_SERVER,
			       STI_REASON_SERVER_VERSION_TOO_LOW, STI_CERTAIN);
			explain(c, "client offered up to %s and nothing below %s; "
				"the server cannot do those versions and sent "
				"protocol_version(70) (frame %" PRIu64 ")", cm, min, a->frame);
			remedy_server_versions(c);
		} else if (version_alert) {
			char what[96];
			sti_fmt(what, sizeof(what), "answered with %s(%u) (frame %" PRIu64 ")",
				 alert_name(a->desc), a->desc, a->frame);
			no_shared_cipher(c, STI_CERTAIN, what);
		} else {
			peer_alert(c, a, "after the ClientHello");
		}
		return true;
	}
	enum sti_dir who = first_closer(c);
	if (who == STI_S2C) {
		closing_text(c, STI_S2C, how, sizeof(how));
		add_evidence(c, closing_frame(c, STI_S2C));
		if (c->cmax && c->cmax < c->min) {
			decide(c, STI_OUTCOME_FAILED, STI_CAUSE_CLIENT,
			       STI_REASON_CLIENT_VERSION_TOO_LOW, STI_INFERRED);
			explain(c, "client offered at most %s; server requires %s and %s "
				"right after the ClientHello without an alert", cm, min, how);
			remedy_client_versions(c);
			return true;
		}
		decide(c, STI_OUTCOME_FAILED, STI_CAUSE_SERVER,
		       STI_REASON_SERVER_ABORTED_HANDSHAKE, STI_INFERRED);
		explain(c, "client offered up to %s; the server %s after the "
			"ClientHello without an alert or ServerHello", cm, how);
		remedy(c, "Check the receiving server's TLS log at this time: "
			  "it dropped the handshake after the ClientHello (SChannel "
			  "does this when no protocol or cipher matches).");
		return true;
	}
	if (who == STI_C2S) {
		closing_text(c, STI_C2S, how, sizeof(how));
		add_evidence(c, closing_frame(c, STI_C2S));
		if (!t->dir[STI_S2C].bytes && c->rec->retransmitted[STI_C2S]) {
			decide(c, STI_OUTCOME_FAILED, STI_CAUSE_SERVER,
			       STI_REASON_SERVER_ABORTED_HANDSHAKE, STI_INFERRED);
			explain(c, "the server never answered the ClientHello (the client "
				"retransmitted it) and the client %s", how);
			remedy(c, "Check the receiving server: it stopped responding "
				  "after the ClientHello (hung TLS stack, or a firewall "
				  "dropping TLS).");
			return true;
		}
		decide(c, STI_OUTCOME_FAILED, STI_CAUSE_CLIENT,
		       STI_REASON_CLIENT_ABORTED_HANDSHAKE, STI_INFERRED);
		explain(c, "the client %s after its own ClientHello (offering up to "
			"%s) without an alert", how, cm);
		remedy(c, "Check the sending server's TLS log: it gave up on the "
			  "handshake it started.");
		return true;
	}
	/* SPEC 6.1 item 11: the client may still be retransmitting when the
	 * capture ends; nothing has failed yet, but say what is visible. */
	decide(c, STI_OUTCOME_INCOMPLETE, STI_CAUSE_UNKNOWN,
	       STI_REASON_CAPTURE_ENDED_MID_HANDSHAKE, STI_INFERRED);
	if (!t->dir[STI_S2C].bytes && c->rec->retransmitted[STI_C2S]) {
		explain(c, "the capture ends while the client retransmits its "
			"ClientHello (offering up to %s, %" PRIu64 " retransmission(s)) "
			"with no answer: the server or the path to it stopped "
			"responding", cm, c->rec->retransmitted[STI_C2S]);
		remedy(c, "Check the receiving server and the firewalls in between "
			  "(a hung TLS stack, or a device dropping TLS), and capture "
			  "until the client gives up.");
		return true;
	}
	explain(c, "the capture ends after the ClientHello (offering up to %s) "
		"with no answer yet", cm);
	remedy(c, "Capture the whole session.");
	return true;
}

/*
 * What the client did when it refused the certificate: "with
 * bad_certificate(42) (frame 15)", or, with no alert, "by closing the
 * connection (frame 18) right after the handshake without a command".
 */
static void rejection_text(const struct ctx *c, const struct sti_tls_alert *a,
			   char *buf, size_t len)
{
	if (a) {
		sti_fmt(buf, len, "with %s(%u) (frame %" PRIu64 ")",
			 alert_name(a->desc), a->desc, a->frame);
		return;
	}
	char how[64];
	closing_text(c, STI_C2S, how, sizeof(how));
	sti_fmt(buf, len, "after completing the handshake: it %s without "
		 "sending one command inside TLS", how);
}

/*
 * A complete chain to a public root, valid at the capture time and naming
 * the host: the client's trust store is what lacks the root (SPEC 9.2).
 */
static void public_chain_rejected(struct ctx *c, const struct sti_tls_alert *a,
				  const char *how)
{
	const struct sti_cert_info *ci = &c->tls->server_cert->leaf;
	const struct sti_trust_info *tr = &c->tls->server_cert->chain;
	decide(c, STI_OUTCOME_FAILED, STI_CAUSE_CLIENT,
	       STI_REASON_CLIENT_REJECTED_CERTIFICATE, STI_INFERRED);
	c->out->tlsrpt = "certificate-not-trusted";
	explain(c, "the client rejected the server's certificate (CN=%s) "
		"%s, yet the chain is complete (%u "
		"certificate(s)), valid at the capture time and verifies to the "
		"public root CN=%s: the client's trust store is out of date",
		ci->subject_cn, how, tr->chain_len, tr->anchor);
	remedy(c, "Update the trust store of the sending server so that it holds "
		  "the root CN=%s (Debian: update the ca-certificates package; "
		  "Postfix: the file in smtp_tls_CAfile; Exim: "
		  "tls_verify_certificates; Windows: the Trusted Root "
		  "Certification Authorities store).", tr->anchor);
	add_evidence(c, c->tls->server_cert_frame);
	add_evidence(c, a ? a->frame : closing_frame(c, STI_C2S));
}

/* a: the client's cleartext alert, or NULL when it completed the
 * handshake and then closed (the certificate checked afterwards). */
static void client_rejected_certificate(struct ctx *c, const struct sti_tls_alert *a)
{
	const char *tlsrpt;
	char why[512];
	const char *problem = cert_problem(c, &tlsrpt, why, sizeof(why));
	const struct sti_cert_info *ci = &cert_or_none(c->tls->server_cert)->leaf;
	enum sti_confidence conf = a ? STI_CERTAIN : STI_INFERRED;
	const struct sti_trust_info *tr = &cert_or_none(c->tls->server_cert)->chain;
	char how[160];
	rejection_text(c, a, how, sizeof(how));
	if (!problem && tr->checked && tr->trust == STI_TRUST_PUBLIC) {
		public_chain_rejected(c, a, how);
		return;
	}
	if (!problem && !tr->checked && c->tls->server_cert && ci->parsed &&
	    ci->chain_len == 1) {
		/* Unverified, a leaf alone, not self-signed: no intermediate was sent,
		 * and CAs issue leaves from intermediates, so no client can
		 * build the chain (Sendmail sends only the first certificate
		 * of its ServerCertFile). */
		problem = "it was sent without its intermediate";
		tlsrpt = "certificate-not-trusted";
	}
	if (!problem && c->tls->server_cert && ci->parsed) {
		/* Valid dates, the right name, not self-signed, with its
		 * chain: what is left is an issuer the client does not trust. */
		decide(c, STI_OUTCOME_FAILED, STI_CAUSE_CLIENT,
		       STI_REASON_CLIENT_REJECTED_CERTIFICATE, STI_INFERRED);
		c->out->tlsrpt = "certificate-not-trusted";
		explain(c, "the client rejected the server's certificate (CN=%s, "
			"issuer CN=%s) %s; nothing is wrong with it on the wire, "
			"so the client does not trust its issuer", ci->subject_cn,
			ci->issuer_cn, how);
		remedy(c, "Add the issuing CA (CN=%s) to the sending server's "
			  "trust store (Postfix: smtp_tls_CAfile; Exim: "
			  "tls_verify_certificates), or give the receiving server "
			  "a certificate from a CA the sender trusts.", ci->issuer_cn);
		add_evidence(c, c->tls->server_cert_frame);
		add_evidence(c, a ? a->frame : closing_frame(c, STI_C2S));
		return;
	}
	decide(c, STI_OUTCOME_FAILED, STI_CAUSE_SERVER,
	       STI_REASON_CLIENT_REJECTED_CERTIFICATE, conf);
	c->out->tlsrpt = problem ? tlsrpt : a ? tlsrpt_for_alert(a->desc) : "validation-failure";
	if (problem)
		explain(c, "the client rejected the server's certificate (CN=%s, %s) "
			"%s", ci->subject_cn, problem, how);
	else
		explain(c, "the client rejected the server's certificate %s%s", how,
			!a && c->ver == STI_TLS13 ? "; most often the certificate "
			"(encrypted under TLS 1.3) is the problem" : "");
	const char *what = problem ? problem :
		!a ? "the client refused it after the handshake" :
		a->desc == 45 ? "it is expired" :
		a->desc == 48 ? "it is issued by a CA the client does not trust" :
		a->desc == 42 ? "the client found a bad chain or a wrong name" : "the client refused it";
	remedy(c, "Replace the receiving server's certificate (%s): use a "
		  "certificate from a CA the sender trusts, valid now, naming the "
		  "host the sender connects to, and send the full chain.", what);
	add_evidence(c, c->tls->server_cert_frame);
	add_evidence(c, a ? a->frame : closing_frame(c, STI_C2S));
}

/*
 * The handshake completed (both Finished, or under TLS 1.3 the client's)
 * and the client closed, or sent only an encrypted alert, without one
 * command inside TLS. A client that checks the certificate after the
 * handshake (msmtp, curl's host name check, Postfix at "verify") does this
 * when it refuses it: not ok, whatever the handshake looked like.
 */
static bool rule_closed_without_command(struct ctx *c)
{
	const struct sti_tls_facts *t = c->tls;
	const struct sti_tls_dir_facts *cl = &t->dir[STI_C2S];
	bool completed = t->established ||
		(c->ver == STI_TLS13 && t->have_sh && cl->finished_frame);
	if (!completed || cl->data_frame || c->alert)
		return false;
	if (first_closer(c) != STI_C2S && !c->enc_alert[STI_C2S])
		return false;
	client_rejected_certificate(c, NULL);
	add_evidence(c, cl->finished_frame);
	add_evidence(c, c->enc_alert[STI_C2S] ? c->enc_alert[STI_C2S]->frame : 0);
	return true;
}

/* The server chose a version the client did not offer, below all it did:
 * under its minimum (supported_versions lists a client's versions). */
static bool below_client_offer(const struct ctx *c)
{
	const struct sti_client_hello *ch = &c->tls->ch;
	if (!c->tls->have_ch || !ch->has_supported_versions || !ch->nversions || !c->ver)
		return false;
	for (unsigned i = 0; i < ch->nversions; i++)
		if (ch->versions[i] <= c->ver)
			return false;
	return true;
}

/* TLS <= 1.2 or 1.3 with a ServerHello, not established, a cleartext alert. */
static bool rule_alert_after_server_hello(struct ctx *c)
{
	const struct sti_tls_facts *t = c->tls;
	const struct sti_tls_alert *a = c->alert;
	if (!t->have_sh || t->established || !a)
		return false;
	char cm[16], v[16], min[16];
	sti_tls_version_text(c->cmax, cm, sizeof(cm));
	sti_tls_version_text(c->ver, v, sizeof(v));
	sti_tls_version_text(c->min, min, sizeof(min));
	add_evidence(c, t->sh_frame);
	if (a->from == STI_C2S) {
		bool refuses = a->desc == 70 || a->desc == 80 || a->desc == 40 || a->desc == 71;
		bool below_offer = below_client_offer(c);
		if (is_cert_alert(a->desc) && !below_offer) {
			client_rejected_certificate(c, a);
			return true;
		}
		add_evidence(c, a->frame);
		/* The offer decides: a server choosing a version below what
		 * the client offered, or below the policy when the client
		 * offered more, is too old whatever the client answers. */
		if (below_offer || (c->ver < c->min && c->cmax >= c->min)) {
			decide(c, STI_OUTCOME_FAILED, STI_CAUSE_SERVER,
			       STI_REASON_SERVER_VERSION_TOO_LOW, STI_CERTAIN);
			explain(c, "client offered up to %s; the server chose %s, below "
				"%s, and the client refused it with %s(%u) (frame %" PRIu64 ")",
				cm, v, below_offer ? "the client's minimum"
				: "the policy minimum although the client listed it",
				alert_name(a->desc), a->desc, a->frame);
			remedy_server_versions(c);
			return true;
		}
		if (refuses && c->ver < c->min) {
			decide(c, STI_OUTCOME_FAILED, STI_CAUSE_CLIENT,
			       STI_REASON_CLIENT_VERSION_TOO_LOW, STI_CERTAIN);
			explain(c, "client offered at most %s, the server accepted %s, "
				"then the client refused its own offer with %s(%u) "
				"(frame %" PRIu64 "): its security level forbids %s",
				cm, v, alert_name(a->desc), a->desc, a->frame, v);
			remedy_client_versions(c);
			return true;
		}
		peer_alert(c, a, "after the ServerHello");
		return true;
	}
	add_evidence(c, a->frame);
	/* A server that asked for a certificate and then fails the handshake
	 * right after the client's answer rejected that answer, whatever the
	 * alert (often handshake_failure for an empty certificate). */
	bool asked = sti_tls_hs_get(&t->dir[STI_S2C], STI_TLS_HSI_CERTIFICATE_REQUEST).count > 0;
	bool answered = sti_tls_hs_get(&t->dir[STI_C2S], STI_TLS_HSI_CERTIFICATE).count > 0;
	if (is_cert_alert(a->desc) || a->desc == 116 || (asked && answered)) {
		decide(c, STI_OUTCOME_FAILED, STI_CAUSE_CLIENT,
		       STI_REASON_SERVER_REJECTED_CLIENT_CERTIFICATE, STI_CERTAIN);
		if (answered && t->client_cert && t->client_cert->leaf.chain_len == 0)
			explain(c, "the server asked for a client certificate, the "
				"client sent none, and the server ended the handshake "
				"with %s(%u) (frame %" PRIu64 ")", alert_name(a->desc),
				a->desc, a->frame);
		else
			explain(c, "the server rejected the client's certificate with "
				"%s(%u) (frame %" PRIu64 ")", alert_name(a->desc), a->desc,
				a->frame);
		remedy(c, "Give the sending server a client certificate the receiver "
			  "trusts (or ask the receiver to stop requiring one).");
		add_evidence(c, t->client_cert_frame);
		return true;
	}
	peer_alert(c, a, "after the ServerHello");
	return true;
}

static bool rule_tls13_encrypted_failure(struct ctx *c)
{
	const struct sti_tls_facts *t = c->tls;
	if (!t->have_sh || t->established || c->ver != STI_TLS13)
		return false;
	enum sti_dir who = first_closer(c);
	const struct sti_tls_alert *ea_c = c->enc_alert[STI_C2S], *ea_s = c->enc_alert[STI_S2C];
	bool client_finished = t->dir[STI_C2S].finished_frame != 0;
	if (!client_finished && (ea_c || who == STI_C2S)) {
		char how[64];
		closing_text(c, STI_C2S, how, sizeof(how));
		decide(c, STI_OUTCOME_FAILED, STI_CAUSE_SERVER,
		       STI_REASON_TLS13_FAILED_AFTER_SERVER_HELLO, STI_INFERRED);
		explain(c, "after the server's encrypted TLS 1.3 flight the client %s%s; "
			"most often it rejected the server's certificate",
			ea_c ? "sent an encrypted alert and " : "", how);
		remedy(c, "Check the receiving server's certificate (validity, chain, "
			  "name); the sending server's TLS log names the exact reason.");
		add_evidence(c, t->sh_frame);
		add_evidence(c, ea_c ? ea_c->frame : 0);
		add_evidence(c, closing_frame(c, STI_C2S));
		return true;
	}
	if (client_finished && (ea_s || who == STI_S2C)) {
		char how[64];
		closing_text(c, STI_S2C, how, sizeof(how));
		decide(c, STI_OUTCOME_FAILED, STI_CAUSE_CLIENT,
		       STI_REASON_TLS13_FAILED_AFTER_SERVER_HELLO, STI_INFERRED);
		explain(c, "after the client's Finished the server %s%s; most often it "
			"rejected the client's certificate", ea_s ? "sent an encrypted "
			"alert and " : "", how);
		remedy(c, "Check the client certificate the sending server presents "
			  "(or whether the receiver requires one).");
		add_evidence(c, t->dir[STI_C2S].finished_frame);
		add_evidence(c, ea_s ? ea_s->frame : 0);
		add_evidence(c, closing_frame(c, STI_S2C));
		return true;
	}
	return false;
}

static bool rule_aborted_after_server_hello(struct ctx *c)
{
	const struct sti_tls_facts *t = c->tls;
	if (!t->have_sh || t->established)
		return false;
	enum sti_dir who = first_closer(c);
	char cm[16], v[16], how[64];
	sti_tls_version_text(c->cmax, cm, sizeof(cm));
	sti_tls_version_text(c->ver, v, sizeof(v));
	add_evidence(c, t->sh_frame);
	if (who == STI_DIR_NONE) {
		decide(c, STI_OUTCOME_INCOMPLETE, STI_CAUSE_UNKNOWN,
		       STI_REASON_CAPTURE_ENDED_MID_HANDSHAKE, STI_INFERRED);
		explain(c, "the capture ends during the %s handshake, after the "
			"ServerHello", v);
		remedy(c, "Capture the whole session.");
		return true;
	}
	closing_text(c, who, how, sizeof(how));
	add_evidence(c, closing_frame(c, who));
	if (who == STI_C2S && c->ver < c->min && c->cmax >= c->min) {
		decide(c, STI_OUTCOME_FAILED, STI_CAUSE_SERVER,
		       STI_REASON_SERVER_VERSION_TOO_LOW, STI_INFERRED);
		explain(c, "client offered up to %s; the server chose %s and the "
			"client %s without an alert", cm, v, how);
		remedy_server_versions(c);
		return true;
	}
	decide(c, STI_OUTCOME_FAILED, who == STI_C2S ? STI_CAUSE_CLIENT : STI_CAUSE_SERVER,
	       who == STI_C2S ? STI_REASON_CLIENT_ABORTED_HANDSHAKE
			      : STI_REASON_SERVER_ABORTED_HANDSHAKE, STI_INFERRED);
	explain(c, "the %s %s during the %s handshake, after the ServerHello, "
		"without an alert", side(who), how, v);
	remedy(c, "Check the %s's TLS log at this time: it dropped the handshake "
		  "without saying why.", side(who));
	return true;
}

static bool rule_established(struct ctx *c)
{
	if (!c->tls->established)
		return false;
	established_verdict(c, STI_CERTAIN, "");
	return true;
}

typedef bool (*rule_fn)(struct ctx *c);

void sti_verdict_decide(const struct sti_record *rec,
			const struct sti_policy *policy,
			struct sti_verdict *out)
{
	memset(out, 0, sizeof(*out));
	struct ctx c = {
		.rec = rec, .smtp = rec->smtp, .tls = rec->tls,
		.min = policy->min_version ? policy->min_version : STI_TLS12,
		.out = out,
	};
	if (c.tls && c.tls->have_ch)
		c.cmax = c.tls->ch.max_version;
	if (c.tls)
		c.ver = c.tls->version;
	find_alerts(&c);

	static const rule_fn smtp_rules[] = {
		rule_no_payload, rule_one_direction, rule_not_smtp,
		rule_mid_session, rule_banner_only, rule_stripped,
		rule_starttls_refused, rule_injection, rule_auth_in_clear,
		rule_plaintext,
		rule_starttls_unanswered, rule_no_tls_bytes,
	};
	static const rule_fn tls_rules[] = {
		rule_not_tls, rule_gap_or_malformed,
		rule_client_alert_instead_of_hello, rule_sslv2, rule_rejected_hello,
		rule_closed_without_command, rule_established, rule_alert_after_server_hello,
		rule_tls13_encrypted_failure, rule_aborted_after_server_hello,
	};
	for (size_t i = 0; i < sizeof(smtp_rules) / sizeof(smtp_rules[0]); i++)
		if (smtp_rules[i](&c))
			return;
	for (size_t i = 0; i < sizeof(tls_rules) / sizeof(tls_rules[0]); i++)
		if (tls_rules[i](&c))
			return;
	decide(&c, STI_OUTCOME_INCOMPLETE, STI_CAUSE_UNKNOWN,
	       STI_REASON_CAPTURE_ENDED_MID_HANDSHAKE, STI_INFERRED);
	explain(&c, "the capture does not show enough of the handshake to decide");
	remedy(&c, "Capture the whole session.");
}
