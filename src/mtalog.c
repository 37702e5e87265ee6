/*
 * mtalog.c - MTA log lines into log sessions (mtalog.h).
 *
 * A line is cut at STI_MTALOG_LINE_MAX bytes, then its prefix tells the
 * format (syslog in three forms, Exim's own log, Exchange CSV), the MTA
 * (by program name) and the time; its text gives the peer ("[ip]" or
 * "[ip]:port"), the queue id and the message id. Lines of one connection
 * are grouped by process id (a new "connect from", a new peer or a long
 * pause starts another session), Exchange lines by session-id. Lines of
 * other processes that only name a queue id (Postfix cleanup and qmgr)
 * join every session that names the same queue id.
 */
#include "sti/grow.h"
#include "sti/mtalog.h"
#include "mtalog_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define PID_SLOTS 4096     /* open sessions by process id, direct-mapped */
#define QID_SLOTS 16384    /* sessions by queue id, direct-mapped */
#define PENDING_MAX 4096   /* queue-id lines waiting for their session */
#define CSV_FIELDS 16
/* A process's lines this far apart are another connection (pid reuse). */
#define PID_PAUSE_US (300 * INT64_C(1000000))


/* Exchange: where each field is in a line, from #Fields:. */
enum xf { XF_TIME, XF_SESSION, XF_LOCAL, XF_REMOTE, XF_EVENT, XF_DATA, XF_CONTEXT,
	  XF_COUNT };

struct slot { uint64_t key; size_t idx; };   /* idx + 1; 0: empty */

struct sti_mtalog_reader {
	struct sti_mtalog *log;
	uint32_t file;
	int64_t ref_ts;
	uint64_t lineno;
	char buf[STI_MTALOG_LINE_MAX + 1];
	size_t len;
	bool overflow;
	bool exchange;
	int xfield[XF_COUNT];             /* -1: absent */
	int exchange_role;                /* -1 unknown, else enum sti_mta_role */
	struct slot pid[PID_SLOTS];
	struct { char qid[STI_MTALOG_QID]; size_t idx; } qid[QID_SLOTS];
	struct sti_mtalog_line *pending[PENDING_MAX];
	size_t npending;
};

/* ---- names ---- */

const char *sti_mta_name(enum sti_mta m)
{
	static const char *const n[] = { "Postfix", "Exim", "Sendmail", "Exchange" };
	return (unsigned)m < 4 ? n[m] : "?";
}

const char *sti_mta_role_name(enum sti_mta_role r)
{
	return r == STI_MTA_CLIENT ? "client" : "server";
}

const char *sti_mta_match_name(enum sti_mta_match m)
{
	static const char *const n[] = { "none", "exact", "time_and_address", "ambiguous" };
	return (unsigned)m < 4 ? n[m] : "?";
}

const char *sti_mtalog_format_name(enum sti_mtalog_format f)
{
	static const char *const n[] = { "unknown", "rfc3164", "rfc5424", "short-iso",
					 "exim", "exchange" };
	return (unsigned)f < 6 ? n[f] : "?";
}

/* ---- the store ---- */

struct sti_mtalog *sti_mtalog_new(void)
{
	return calloc(1, sizeof(struct sti_mtalog));
}

static void free_lines(struct sti_mtalog_line *l)
{
	while (l) {
		struct sti_mtalog_line *next = l->next;
		free(l);
		l = next;
	}
}

void sti_mtalog_free(struct sti_mtalog *log)
{
	if (!log)
		return;
	for (size_t i = 0; i < log->nsessions; i++)
		free_lines(log->sessions[i].first);
	for (uint32_t i = 0; i < log->nfiles; i++)
		free(log->files[i]);
	free(log->sessions);
	free(log->joins);
	free(log);
}

size_t sti_mtalog_nsessions(const struct sti_mtalog *log)
{
	return log->nsessions;
}

struct sti_mtalog_session *sti_mtalog_session(struct sti_mtalog *log, size_t i)
{
	return i < log->nsessions ? &log->sessions[i] : NULL;
}

const struct sti_mtalog_stats *sti_mtalog_stats(const struct sti_mtalog *log)
{
	return &log->st;
}

size_t sti_mtalog_nfiles(const struct sti_mtalog *log)
{
	return log->nfiles;
}

const char *sti_mtalog_file_name(const struct sti_mtalog *log, uint32_t file)
{
	return file < log->nfiles ? log->files[file] : "?";
}

enum sti_mtalog_format sti_mtalog_file_format(const struct sti_mtalog *log, uint32_t file)
{
	return file < log->nfiles ? log->formats[file] : STI_MTALOG_UNKNOWN;
}

/* ---- small text helpers (all bounded by the NUL of a capped line) ---- */

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* needle (lower case) in s, ignoring case. */
static bool ci_contains(const char *s, const char *needle)
{
	size_t n = strlen(needle);
	for (; *s; s++) {
		size_t i = 0;
		while (i < n && s[i] && lower(s[i]) == needle[i])
			i++;
		if (i == n)
			return true;
	}
	return false;
}

/* n digits at p as a number, or -1. */
static int digits(const char *p, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!is_digit(p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int64_t civil_us(int64_t y, int mo, int d, int h, int mi, int s)
{
	return ((days_from_civil(y, mo, d) * 86400) + h * 3600 + mi * 60 + s) *
	       INT64_C(1000000);
}

static bool valid_clock(int mo, int d, int h, int mi, int s)
{
	return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h >= 0 && h <= 23 &&
	       mi >= 0 && mi <= 59 && s >= 0 && s <= 60;
}

/* ".123456" after the seconds: microseconds; advances *p. */
static int64_t fraction_us(const char **p)
{
	int64_t us = 0, scale = 100000;
	if (**p != '.' && **p != ',')
		return 0;
	(*p)++;
	while (is_digit(**p)) {
		us += (**p - '0') * scale;
		scale /= 10;
		(*p)++;
	}
	return us;
}

/* "Z", "+hh:mm", "+hhmm": the offset east of UTC in microseconds. */
static bool zone_us(const char **p, int64_t *off)
{
	const char *z = *p;
	*off = 0;
	if (*z == 'Z') {
		*p = z + 1;
		return true;
	}
	if (*z != '+' && *z != '-')
		return false;
	int h = digits(z + 1, 2), m;
	const char *mp = z + 3;
	if (*mp == ':')
		mp++;
	m = digits(mp, 2);
	if (h < 0 || m < 0 || h > 23 || m > 59)
		return false;
	*off = (int64_t)(h * 60 + m) * 60 * 1000000 * (*z == '-' ? -1 : 1);
	*p = mp + 2;
	return true;
}

/* "2026-12-05T14:34:41[.frac][zone]" (sep 'T') or with a space (Exim). */
static bool iso_time(const char **pp, char sep, int64_t *ts)
{
	const char *p = *pp;
	if (strnlen(p, 19) < 19)
		return false;   /* the fixed offsets below stay inside the string */
	int y = digits(p, 4), mo = digits(p + 5, 2), d = digits(p + 8, 2);
	if (y < 0 || p[4] != '-' || p[7] != '-' || p[10] != sep)
		return false;
	int h = digits(p + 11, 2), mi = digits(p + 14, 2), s = digits(p + 17, 2);
	if (p[13] != ':' || p[16] != ':' || !valid_clock(mo, d, h, mi, s))
		return false;
	p += 19;
	int64_t us = civil_us(y, mo, d, h, mi, s) + fraction_us(&p), off = 0;
	if (sep == ' ' && p[0] == ' ' && (p[1] == '+' || p[1] == '-') && is_digit(p[2]))
		p++;   /* Exim's log_timezone: " +0100" */
	if (zone_us(&p, &off))
		us -= off;
	*ts = us;
	*pp = p;
	return true;
}

/* "Dec  5 14:34:41" with the year that puts it at most a day after ref. */
static bool bsd_time(const char **pp, int64_t ref_ts, int64_t *ts)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *p = *pp;
	int mo = 0;
	if (strnlen(p, 15) < 15)
		return false;   /* the fixed offsets below stay inside the string */
	for (int i = 0; i < 12; i++)
		if (strncmp(p, months + 3 * i, 3) == 0)
			mo = i + 1;
	if (!mo || p[3] != ' ')
		return false;
	int d = p[4] == ' ' ? digits(p + 5, 1) : digits(p + 4, 2);
	int h = digits(p + 7, 2), mi = digits(p + 10, 2), s = digits(p + 13, 2);
	if (p[6] != ' ' || p[9] != ':' || p[12] != ':' || !valid_clock(mo, d, h, mi, s))
		return false;
	p += 15;
	int64_t extra = fraction_us(&p);
	time_t ref = (time_t)ref_ts;
	struct tm tm;
	int year = 1970;
	if (gmtime_r(&ref, &tm))
		year = tm.tm_year + 1900;
	int64_t us = civil_us(year, mo, d, h, mi, s) + extra;
	if (us > (ref_ts + 86400) * INT64_C(1000000))
		us = civil_us(year - 1, mo, d, h, mi, s) + extra;
	*ts = us;
	*pp = p;
	return true;
}

/* ---- what a line says ---- */

struct parsed {
	int64_t ts;
	enum sti_mta mta;
	int role;                    /* -1: no connection role (a queue process) */
	uint32_t pid;
	const char *msg;             /* the MTA's own words */
	bool have_peer;
	struct sti_endpoint peer, local;
	char qid[STI_MTALOG_QID];
	char msgid[STI_MTALOG_MSGID];
	bool failure;
	bool starts, ends;           /* opens or closes a connection */
	const char *xsession;        /* Exchange session-id */
	size_t xsession_len;
};

static bool parse_ip(const char *s, size_t n, struct sti_addr *a)
{
	char tmp[64];
	if (n >= 5 && strncmp(s, "IPv6:", 5) == 0) {
		s += 5;
		n -= 5;
	}
	if (n == 0 || n >= sizeof(tmp))
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, tmp, a->a) == 1)
		a->family = 4;
	else if (inet_pton(AF_INET6, tmp, a->a) == 1)
		a->family = 6;
	return a->family != 0;
}

static uint16_t parse_port(const char *p)
{
	unsigned v = 0;
	int n = 0;
	while (is_digit(p[n]) && n < 6)
		v = v * 10 + (unsigned)(p[n++] - '0');
	return n && n < 6 && v <= 65535 ? (uint16_t)v : 0;
}

/* The first "[ip]" or "[ip]:port" in the message. */
static bool find_peer(const char *msg, struct sti_endpoint *ep)
{
	for (const char *p = strchr(msg, '['); p; p = strchr(p + 1, '[')) {
		const char *close = strchr(p, ']');
		if (!close)
			return false;
		if (!parse_ip(p + 1, (size_t)(close - p - 1), &ep->addr))
			continue;
		ep->port = close[1] == ':' ? parse_port(close + 2) : 0;
		return true;
	}
	return false;
}

/* Postfix and Sendmail: "ABC123DEF: "; Exim: "1xZqsY-0008GN-1j ". */
static void find_qid(const char *msg, char *qid)
{
	size_t n = 0;
	bool digit = false;
	while (n < STI_MTALOG_QID - 1 && (is_alnum(msg[n]) || msg[n] == '-')) {
		digit |= is_digit(msg[n]);
		n++;
	}
	bool exim = n >= 16 && msg[6] == '-' && msg[n] == ' ';
	bool postfix = n >= 6 && digit && msg[n] == ':' && msg[n + 1] == ' ' &&
		       !memchr(msg, '-', n);
	if (exim || postfix) {
		memcpy(qid, msg, n);
		qid[n] = '\0';
	}
}

/* "message-id=<x>" (Postfix), "msgid=<x>" (Sendmail), " id=x" (Exim <=). */
static void find_msgid(const char *msg, char *out)
{
	static const char *const keys[] = { "message-id=", "msgid=", " id=" };
	for (size_t k = 0; k < 3; k++) {
		const char *p = strstr(msg, keys[k]);
		if (!p)
			continue;
		p += strlen(keys[k]);
		size_t n = strcspn(p, " ,");
		if (n == 0 || strcmp(p, "<>") == 0 || strncmp(p, "<>", n) == 0)
			return;
		if (n >= STI_MTALOG_MSGID)
			n = STI_MTALOG_MSGID - 1;
		memcpy(out, p, n);
		out[n] = '\0';
		return;
	}
}

static bool says_failure(const char *msg)
{
	static const char *const words[] = {
		"error", "fail", "lost connection", "unsupported", "reject",
		"refused", "timeout", "timed out", "deferred", "bounced", "dropped",
		"unavailable", "must issue a starttls", "no shared cipher",
		"handshake", "alert", "not accept",
	};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (ci_contains(msg, words[i]))
			return true;
	return false;
}

static void classify_postfix(const char *prog, struct parsed *l)
{
	const char *slash = strchr(prog, '/');
	const char *svc = slash ? slash + 1 : prog;
	l->role = -1;
	if (strcmp(svc, "smtpd") == 0 || strcmp(svc, "postscreen") == 0)
		l->role = STI_MTA_SERVER;
	else if (strcmp(svc, "smtp") == 0 || strcmp(svc, "lmtp") == 0)
		l->role = STI_MTA_CLIENT;
	l->starts = l->role == STI_MTA_SERVER && strncmp(l->msg, "connect from ", 13) == 0;
	l->ends = (l->role == STI_MTA_SERVER && strncmp(l->msg, "disconnect from ", 16) == 0) ||
		  (l->role == STI_MTA_CLIENT && strstr(l->msg, " status=") != NULL);
}

static void classify_exim(struct parsed *l)
{
	static const char *const client[] = { " => ", " -> ", " == ", " ** ",
					      "connection to ", "SMTP error from remote" };
	l->role = STI_MTA_SERVER;
	for (size_t i = 0; i < sizeof(client) / sizeof(client[0]); i++)
		if (strstr(l->msg, client[i]))
			l->role = STI_MTA_CLIENT;
	l->starts = strncmp(l->msg, "SMTP connection from ", 21) == 0;
}

static void classify_sendmail(struct parsed *l)
{
	bool client = strstr(l->msg, "STARTTLS=client") ||
		      (strstr(l->msg, " to=") && strstr(l->msg, "relay="));
	l->role = client ? STI_MTA_CLIENT : STI_MTA_SERVER;
}

/* The program name decides the MTA; false for any other program. */
static bool classify(const char *prog, size_t n, struct parsed *l)
{
	char name[48];
	if (n == 0 || n >= sizeof(name))
		return false;
	memcpy(name, prog, n);
	name[n] = '\0';
	if (strncmp(name, "postfix", 7) == 0) {
		l->mta = STI_MTA_POSTFIX;
		classify_postfix(name, l);
	} else if (strcmp(name, "exim") == 0 || strcmp(name, "exim4") == 0) {
		l->mta = STI_MTA_EXIM;
		classify_exim(l);
	} else if (strcmp(name, "sendmail") == 0 || strcmp(name, "sm-mta") == 0 ||
		   strcmp(name, "sm-msp-queue") == 0) {
		l->mta = STI_MTA_SENDMAIL;
		classify_sendmail(l);
	} else {
		return false;
	}
	return true;
}

static uint32_t parse_pid(const char *p, size_t n)
{
	uint64_t v = 0;
	if (n == 0 || n > 9)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(p[i]))
			return 0;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	return (uint32_t)v;
}

/* "host prog[pid]: msg" after a syslog time. */
static bool syslog_tail(const char *p, struct parsed *l)
{
	if (*p++ != ' ')
		return false;
	p += strcspn(p, " ");          /* the host */
	if (*p++ != ' ')
		return false;
	const char *prog = p;
	size_t n = strcspn(p, "[: ");
	p += n;
	if (*p == '[') {
		const char *close = strchr(p, ']');
		if (!close)
			return false;
		l->pid = parse_pid(p + 1, (size_t)(close - p - 1));
		p = close + 1;
	}
	if (p[0] != ':' || p[1] != ' ')
		return false;
	l->msg = p + 2;
	return classify(prog, n, l);
}

/* "<pri>1 TIME HOST APP PROCID MSGID SD MSG" */
static bool rfc5424(const char *p, struct parsed *l)
{
	if (*p != '<')
		return false;
	const char *close = strchr(p, '>');
	if (!close || close - p > 4 || close[1] != '1' || close[2] != ' ')
		return false;
	p = close + 3;
	if (!iso_time(&p, 'T', &l->ts) || *p != ' ')
		return false;
	const char *tok[4];
	size_t len[4];
	for (int i = 0; i < 4; i++) {   /* host, app, procid, msgid */
		p++;
		tok[i] = p;
		len[i] = strcspn(p, " ");
		p += len[i];
		if (*p != ' ')
			return false;
	}
	p++;
	if (*p == '[') {               /* structured data: [..][..] */
		while (*p == '[') {
			const char *e = strchr(p, ']');
			if (!e)
				return false;
			p = e + 1;
		}
	} else if (*p == '-') {
		p++;
	} else {
		return false;
	}
	if (*p == ' ')
		p++;
	if ((unsigned char)p[0] == 0xef && (unsigned char)p[1] == 0xbb &&
	    (unsigned char)p[2] == 0xbf)
		p += 3;                /* the UTF-8 BOM */
	l->msg = p;
	l->pid = parse_pid(tok[2], len[2]);
	return classify(tok[1], len[1], l);
}

/* Exim's own log: "2026-12-05 14:34:41[.mmm] [+zone] [[pid]] msg". */
static bool exim_native(const char *p, struct parsed *l)
{
	if (!iso_time(&p, ' ', &l->ts) || *p != ' ')
		return false;
	p++;
	if (*p == '[') {
		const char *close = strchr(p, ']');
		if (close && close[1] == ' ') {
			l->pid = parse_pid(p + 1, strcspn(p + 1, "/]"));
			p = close + 2;
		}
	}
	l->msg = p;
	l->mta = STI_MTA_EXIM;
	classify_exim(l);
	return true;
}

/* A syslog or Exim line: its format, or UNKNOWN when it is neither. */
static enum sti_mtalog_format parse_syslog(const char *line, int64_t ref_ts,
					   struct parsed *l)
{
	const char *p = line;
	if (rfc5424(line, l))
		return STI_MTALOG_RFC5424;
	if (bsd_time(&p, ref_ts, &l->ts))
		return syslog_tail(p, l) ? STI_MTALOG_RFC3164 : STI_MTALOG_UNKNOWN;
	p = line;
	if (iso_time(&p, 'T', &l->ts))
		return syslog_tail(p, l) ? STI_MTALOG_SHORT_ISO : STI_MTALOG_UNKNOWN;
	return exim_native(line, l) ? STI_MTALOG_EXIM : STI_MTALOG_UNKNOWN;
}

/* ---- Exchange protocol logs ---- */

/* Split a CSV line in place ("" inside quotes is one "). */
static int csv_split(char *s, char **f, int max)
{
	int n = 0;
	while (n < max) {
		char *out = s;
		f[n++] = s;
		if (*s == '"') {
			char *r = s + 1;
			for (;;) {
				if (!*r)
					break;
				if (*r == '"' && r[1] == '"') {
					*out++ = '"';
					r += 2;
				} else if (*r == '"') {
					r++;
					break;
				} else {
					*out++ = *r++;
				}
			}
			s = r + strcspn(r, ",");
		} else {
			s += strcspn(s, ",");
			out = s;
		}
		char next = *s;
		*out = '\0';
		if (next != ',')
			break;
		s++;
	}
	return n;
}

static void exchange_header(struct sti_mtalog_reader *r, const char *line)
{
	static const char *const names[XF_COUNT] = {
		"date-time", "session-id", "local-endpoint", "remote-endpoint",
		"event", "data", "context",
	};
	if (strncmp(line, "#Log-type:", 10) == 0) {
		if (strstr(line, "Receive"))
			r->exchange_role = STI_MTA_SERVER;
		else if (strstr(line, "Send"))
			r->exchange_role = STI_MTA_CLIENT;
		return;
	}
	if (strncmp(line, "#Fields:", 8) != 0)
		return;
	char copy[STI_MTALOG_LINE_MAX + 1];
	char *f[CSV_FIELDS];
	snprintf(copy, sizeof(copy), "%s", line + 8);
	int n = csv_split(copy, f, CSV_FIELDS);
	r->exchange = true;
	for (int k = 0; k < XF_COUNT; k++) {
		r->xfield[k] = -1;
		for (int i = 0; i < n; i++)
			if (strcmp(f[i] + strspn(f[i], " "), names[k]) == 0)
				r->xfield[k] = i;
	}
}

/* "192.0.2.10:40404" or "[2001:db8::1]:25" */
static bool parse_endpoint(const char *s, struct sti_endpoint *ep)
{
	const char *colon = strrchr(s, ':');
	if (!colon)
		return false;
	const char *a = s;
	size_t n = (size_t)(colon - s);
	if (*a == '[' && n >= 2 && a[n - 1] == ']') {
		a++;
		n -= 2;
	}
	ep->port = parse_port(colon + 1);
	return parse_ip(a, n, &ep->addr) && ep->port;
}

static const char *xfield(struct sti_mtalog_reader *r, char **f, int n, enum xf k)
{
	int i = r->xfield[k];
	return i >= 0 && i < n ? f[i] : "";
}

/* "250 2.6.0 <id@host> [InternalId=...] Queued mail for delivery" */
static void exchange_msgid(const char *data, char *out)
{
	if (strncmp(data, "250 2.6.0 <", 11) != 0)
		return;
	size_t n = strcspn(data + 10, " ");
	if (n >= STI_MTALOG_MSGID)
		n = STI_MTALOG_MSGID - 1;
	memcpy(out, data + 10, n);
	out[n] = '\0';
}

static bool parse_exchange(struct sti_mtalog_reader *r, const char *text, char *copy,
			   struct parsed *l)
{
	char *f[CSV_FIELDS];
	int n = csv_split(copy, f, CSV_FIELDS);
	const char *t = xfield(r, f, n, XF_TIME);
	if (!iso_time(&t, 'T', &l->ts))
		return false;
	/* Some lines leave the endpoints out: the session-id carries them. */
	l->have_peer = parse_endpoint(xfield(r, f, n, XF_LOCAL), &l->local) &&
		       parse_endpoint(xfield(r, f, n, XF_REMOTE), &l->peer);
	if (!l->have_peer)
		memset(&l->local, 0, sizeof(l->local));
	l->mta = STI_MTA_EXCHANGE;
	l->role = r->exchange_role >= 0 ? r->exchange_role
		  : l->local.port == 25 || l->local.port == 587 || l->local.port == 465
		  ? STI_MTA_SERVER : STI_MTA_CLIENT;
	l->xsession = xfield(r, f, n, XF_SESSION);
	l->xsession_len = strlen(l->xsession);
	const char *ev = xfield(r, f, n, XF_EVENT), *data = xfield(r, f, n, XF_DATA);
	const char *ctx = xfield(r, f, n, XF_CONTEXT);
	l->starts = strcmp(ev, "+") == 0;
	l->ends = strcmp(ev, "-") == 0;
	l->failure = says_failure(data) || says_failure(ctx) ||
		     ((data[0] == '4' || data[0] == '5') && is_digit(data[1]) &&
		      is_digit(data[2]) && data[3] == ' ');
	exchange_msgid(data, l->msgid);
	/* the MTA's words: the data field on (offsets in copy are the line's) */
	int words = data[0] || r->xfield[XF_CONTEXT] < 0 ? r->xfield[XF_DATA]
		    : r->xfield[XF_CONTEXT];
	if (words >= 0 && words < n)
		l->msg = text + (f[words] - copy) + (text[f[words] - copy] == '"');
	return l->xsession_len > 0;
}

/* ---- sessions ---- */

static uint64_t pid_key(const struct parsed *l)
{
	return (uint64_t)l->mta << 40 | (uint64_t)(l->role & 0xff) << 32 | l->pid;
}

static uint64_t text_key(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
	return h | 1;   /* never 0 */
}

static struct sti_mtalog_session *new_session(struct sti_mtalog_reader *r,
					      const struct parsed *l)
{
	struct sti_mtalog *log = r->log;
	if (log->nsessions == STI_MTALOG_SESSIONS_MAX) {
		log->st.sessions_over_cap++;
		return NULL;
	}
	struct sti_mtalog_session *ns = sti_grow_array(log->sessions, &log->cap,
						       sizeof(*ns), log->nsessions + 1,
						       64, STI_MTALOG_SESSIONS_MAX);
	if (!ns) {
		log->st.sessions_over_cap++;
		return NULL;
	}
	log->sessions = ns;
	struct sti_mtalog_session *s = &log->sessions[log->nsessions++];
	memset(s, 0, sizeof(*s));
	s->mta = l->mta;
	s->role = (enum sti_mta_role)l->role;
	s->file = r->file;
	s->pid = l->pid;
	s->peer = l->peer;
	s->local = l->local;
	s->first_ts = s->last_ts = l->ts;
	return s;
}

static size_t index_of(const struct sti_mtalog_reader *r, const struct sti_mtalog_session *s)
{
	return (size_t)(s - r->log->sessions);
}

static struct sti_mtalog_line *make_line(struct sti_mtalog_reader *r, const char *text,
					 const struct parsed *l)
{
	struct sti_mtalog *log = r->log;
	if (log->nlines >= STI_MTALOG_LINES_MAX) {
		log->st.lines_over_cap++;
		return NULL;
	}
	struct sti_mtalog_line *ln = calloc(1, sizeof(*ln));
	if (!ln) {
		log->st.lines_over_cap++;
		return NULL;
	}
	log->nlines++;
	log->st.lines_kept++;
	ln->file = r->file;
	ln->lineno = r->lineno;
	ln->ts_us = l->ts;
	ln->failure = l->failure;
	size_t off = l->msg ? (size_t)(l->msg - text) : 0;
	ln->msg_off = (uint16_t)(off < STI_MTALOG_TEXT_MAX ? off : 0);
	snprintf(ln->text, sizeof(ln->text), "%s", text);
	memcpy(ln->queue_id, l->qid, sizeof(ln->queue_id));
	memcpy(ln->message_id, l->msgid, sizeof(ln->message_id));
	return ln;
}

/* In (file, line number) order: queue-id lines may arrive later. */
static void link_line(struct sti_mtalog_session *s, struct sti_mtalog_line *ln)
{
	struct sti_mtalog_line **pp = &s->first;
	while (*pp && ((*pp)->file < ln->file ||
		       ((*pp)->file == ln->file && (*pp)->lineno <= ln->lineno)))
		pp = &(*pp)->next;
	ln->next = *pp;
	*pp = ln;
	if (!ln->next)
		s->last = ln;
	s->nlines++;
	s->failure |= ln->failure;
}

static void add_line(struct sti_mtalog_reader *r, struct sti_mtalog_session *s,
		     const char *text, const struct parsed *l, bool own)
{
	if (own) {
		if (l->ts < s->first_ts)
			s->first_ts = l->ts;
		if (l->ts > s->last_ts)
			s->last_ts = l->ts;
		if (!s->peer.addr.family && l->have_peer)
			s->peer = l->peer;
		if (!s->peer.port && l->have_peer && l->peer.port &&
		    memcmp(&s->peer.addr, &l->peer.addr, sizeof(s->peer.addr)) == 0)
			s->peer.port = l->peer.port;
	}
	if (s->nlines >= STI_MTALOG_SESSION_LINES) {
		s->lines_dropped++;
		r->log->st.lines_over_cap++;
		return;
	}
	struct sti_mtalog_line *ln = make_line(r, text, l);
	if (ln)
		link_line(s, ln);
}

static void remember_qid(struct sti_mtalog_reader *r, const char *qid, size_t idx)
{
	if (!qid[0])
		return;
	size_t h = (size_t)(text_key(qid, strlen(qid)) % QID_SLOTS);
	snprintf(r->qid[h].qid, sizeof(r->qid[h].qid), "%s", qid);
	r->qid[h].idx = idx + 1;
}

static struct sti_mtalog_session *by_qid(struct sti_mtalog_reader *r, const char *qid)
{
	if (!qid[0])
		return NULL;
	size_t h = (size_t)(text_key(qid, strlen(qid)) % QID_SLOTS);
	if (!r->qid[h].idx || strcmp(r->qid[h].qid, qid) != 0)
		return NULL;
	return &r->log->sessions[r->qid[h].idx - 1];
}

static bool same_peer(const struct sti_mtalog_session *s, const struct parsed *l)
{
	return !l->have_peer ||
	       memcmp(&s->peer.addr, &l->peer.addr, sizeof(s->peer.addr)) == 0;
}

/* The connection a process's line belongs to, opening one if needed. */
static struct sti_mtalog_session *by_process(struct sti_mtalog_reader *r,
					     const struct parsed *l, uint64_t key)
{
	struct slot *slot = &r->pid[key % PID_SLOTS];
	struct sti_mtalog_session *s = NULL;
	if (slot->idx && slot->key == key)
		s = &r->log->sessions[slot->idx - 1];
	bool fresh = !s || l->starts || !same_peer(s, l) ||
		     l->ts - s->last_ts > PID_PAUSE_US;
	if (fresh) {
		s = (l->have_peer || l->starts) ? new_session(r, l) : NULL;
		slot->key = key;
		slot->idx = s ? index_of(r, s) + 1 : 0;
	}
	return s;
}

static void keep_pending(struct sti_mtalog_reader *r, const char *text,
			 const struct parsed *l)
{
	if (r->npending == PENDING_MAX) {
		r->log->st.lines_unattached++;
		return;
	}
	struct sti_mtalog_line *ln = make_line(r, text, l);
	if (ln)
		r->pending[r->npending++] = ln;
}

static void take_line(struct sti_mtalog_reader *r, const char *text, struct parsed *l)
{
	struct sti_mtalog_session *s = NULL;
	uint64_t key = 0;
	if (l->mta == STI_MTA_EXCHANGE)
		key = text_key(l->xsession, l->xsession_len) ^ r->file;
	else if (l->pid && l->role >= 0)
		key = pid_key(l);
	if (key)
		s = by_process(r, l, key);
	else if (l->role >= 0 && l->qid[0] && (s = by_qid(r, l->qid)) != NULL)
		;   /* Exim without pids: the message's connection */
	else if (l->role >= 0 && l->have_peer)
		s = new_session(r, l);
	if (!s) {
		/* A queue process naming a message: its connection may come later. */
		if (l->qid[0] && (s = by_qid(r, l->qid)) == NULL) {
			keep_pending(r, text, l);
			return;
		}
		if (!s) {
			r->log->st.lines_unattached++;
			return;
		}
		add_line(r, s, text, l, false);
		return;
	}
	add_line(r, s, text, l, true);
	remember_qid(r, l->qid, index_of(r, s));
	if (l->ends)
		r->pid[key % PID_SLOTS].idx = 0;
}

/* ---- lines ---- */

/* Control bytes would reach a terminal: '?' instead. */
static void sanitize(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			s[i] = s[i] == '\t' ? ' ' : '?';
}

static void take_syslog(struct sti_mtalog_reader *r, const char *text)
{
	struct parsed l;
	memset(&l, 0, sizeof(l));
	enum sti_mtalog_format fmt = parse_syslog(text, r->ref_ts, &l);
	if (fmt == STI_MTALOG_UNKNOWN) {
		r->log->st.lines_other++;
		return;
	}
	if (r->log->formats[r->file] == STI_MTALOG_UNKNOWN)
		r->log->formats[r->file] = fmt;
	l.have_peer = find_peer(l.msg, &l.peer);
	find_qid(l.msg, l.qid);
	find_msgid(l.msg, l.msgid);
	l.failure = says_failure(l.msg);
	take_line(r, text, &l);
}

static void take_exchange(struct sti_mtalog_reader *r, const char *text)
{
	struct parsed l;
	char copy[STI_MTALOG_LINE_MAX + 1];
	memset(&l, 0, sizeof(l));
	snprintf(copy, sizeof(copy), "%s", text);
	l.msg = text;
	if (!parse_exchange(r, text, copy, &l)) {
		r->log->st.lines_other++;
		return;
	}
	take_line(r, text, &l);
}

static void take(struct sti_mtalog_reader *r)
{
	char *text = r->buf;
	size_t n = r->len;
	if (n && text[n - 1] == '\r')
		n--;
	text[n] = '\0';
	sanitize(text, n);
	r->lineno++;
	r->log->st.lines++;
	if (r->overflow)
		r->log->st.lines_truncated++;
	if (n == 0)
		return;
	if (text[0] == '#') {
		exchange_header(r, text);
		if (r->exchange)
			r->log->formats[r->file] = STI_MTALOG_EXCHANGE;
		return;
	}
	if (r->exchange)
		take_exchange(r, text);
	else
		take_syslog(r, text);
}

void sti_mtalog_feed(struct sti_mtalog_reader *r, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n') {
			take(r);
			r->len = 0;
			r->overflow = false;
		} else if (r->len < STI_MTALOG_LINE_MAX) {
			r->buf[r->len++] = p[i] ? (char)p[i] : '?';
		} else {
			r->overflow = true;
		}
	}
}

struct sti_mtalog_reader *sti_mtalog_reader_new(struct sti_mtalog *log,
						const char *name, int64_t ref_ts)
{
	if (log->nfiles == STI_MTALOG_FILES_MAX)
		return NULL;
	struct sti_mtalog_reader *r = calloc(1, sizeof(*r));
	char *copy = strdup(name);
	if (!r || !copy) {
		free(r);
		free(copy);
		return NULL;
	}
	r->log = log;
	r->file = log->nfiles;
	log->files[log->nfiles] = copy;
	log->formats[log->nfiles++] = STI_MTALOG_UNKNOWN;
	r->ref_ts = ref_ts;
	r->exchange_role = -1;
	/* Exchange's documented order, until a #Fields: line says otherwise */
	static const int defaults[XF_COUNT] = { 0, 2, 4, 5, 6, 7, 8 };
	memcpy(r->xfield, defaults, sizeof(defaults));
	return r;
}

/* Queue-id lines that came before their connection's first line. */
static void attach_pending(struct sti_mtalog_reader *r)
{
	for (size_t i = 0; i < r->npending; i++) {
		struct sti_mtalog_line *ln = r->pending[i];
		struct sti_mtalog_session *s = by_qid(r, ln->queue_id);
		if (s && s->nlines < STI_MTALOG_SESSION_LINES) {
			link_line(s, ln);
			continue;
		}
		r->log->st.lines_unattached++;
		r->log->st.lines_kept--;
		r->log->nlines--;
		free(ln);
	}
	r->npending = 0;
}

void sti_mtalog_reader_end(struct sti_mtalog_reader *r)
{
	if (!r)
		return;
	if (r->len || r->overflow)
		take(r);
	attach_pending(r);
	free(r);
}

/* ---- files ---- */

bool sti_mtalog_read_file(struct sti_mtalog *log, const char *path,
			  char *err, size_t errlen)
{
	bool is_stdin = strcmp(path, "-") == 0;
	int fd = is_stdin ? dup(STDIN_FILENO) : -1;
	gzFile gz = is_stdin ? (fd >= 0 ? gzdopen(fd, "rb") : NULL) : gzopen(path, "rb");
	if (!gz) {
		if (fd >= 0)
			close(fd);
		snprintf(err, errlen, "%s: %s", path, errno ? strerror(errno) : "cannot open");
		return false;
	}
	struct stat sb;
	int64_t ref = (int64_t)time(NULL);
	if (!is_stdin && stat(path, &sb) == 0)
		ref = (int64_t)sb.st_mtime;
	struct sti_mtalog_reader *r = sti_mtalog_reader_new(log, path, ref);
	if (!r) {
		gzclose(gz);
		snprintf(err, errlen, "%s: more than %d log files, or out of memory", path,
			 STI_MTALOG_FILES_MAX);
		return false;
	}
	uint8_t buf[65536];
	int got;
	while ((got = gzread(gz, buf, sizeof(buf))) > 0)
		sti_mtalog_feed(r, buf, (size_t)got);
	bool ok = got == 0;
	if (!ok) {
		int zerr;
		const char *msg = gzerror(gz, &zerr);
		snprintf(err, errlen, "%s: read error: %s", path,
			 zerr == Z_ERRNO ? strerror(errno) : msg);
	}
	sti_mtalog_reader_end(r);
	gzclose(gz);
	return ok;
}

/* ---- dump ---- */

void sti_mtalog_dump(const struct sti_mtalog *log, FILE *out)
{
	char peer[64];
	for (size_t i = 0; i < log->nsessions; i++) {
		const struct sti_mtalog_session *s = &log->sessions[i];
		sti_addr_str(&s->peer.addr, peer, sizeof(peer));
		fprintf(out, "session %zu %s %s file=%u pid=%u peer=%s:%u first=%lld last=%lld"
			" failure=%d lines=%u dropped=%u\n", i, sti_mta_name(s->mta),
			sti_mta_role_name(s->role), s->file, s->pid,
			s->peer.addr.family ? peer : "-", s->peer.port,
			(long long)s->first_ts, (long long)s->last_ts, s->failure,
			s->nlines, s->lines_dropped);
		for (const struct sti_mtalog_line *l = s->first; l; l = l->next)
			fprintf(out, "  %u:%llu %lld f=%d q=%s m=%s | %s\n", l->file,
				(unsigned long long)l->lineno, (long long)l->ts_us, l->failure,
				l->queue_id, l->message_id, l->text + l->msg_off);
	}
	const struct sti_mtalog_stats *st = &log->st;
	fprintf(out, "lines %llu kept %llu other %llu unattached %llu truncated %llu"
		" over_cap %llu sessions_over_cap %llu\n",
		(unsigned long long)st->lines, (unsigned long long)st->lines_kept,
		(unsigned long long)st->lines_other, (unsigned long long)st->lines_unattached,
		(unsigned long long)st->lines_truncated, (unsigned long long)st->lines_over_cap,
		(unsigned long long)st->sessions_over_cap);
}
