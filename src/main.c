/*
 * main.c - starttls-inspect: options, the per-file run, exit status.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>
#include <unistd.h>

#include "config.h"
#include "sti/analyze.h"
#include "sti/anon.h"
#include "sti/digest.h"
#include "sti/evidence.h"
#include "sti/capture_ingest.h"
#include "sti/inventory.h"
#include "sti/capture_live.h"
#include "sti/service_metrics.h"
#include "sti/service_metrics_http.h"
#include "sti/mtalog.h"
#include "sti/report.h"
#include "sti/report_db.h"
#include "sti/debug_sessions.h"
#include "sti/session.h"
#include "sti/tls_hello.h"
#include "sti/tls_keylog.h"
#include "sti/tls_trust.h"
#include "sti/verdict.h"

#define EXIT_INPUT_ERROR 2

static const char *progname = "starttls-inspect";

struct options {
	struct sti_session_cfg cfg;
	struct sti_policy policy;
	bool sessions_view;
	bool json;
	bool markdown;                      /* --format markdown */
	bool summary;                       /* --summary: the inventory */
	bool brief;                         /* --brief: a line per session */
	bool localtime;                     /* --localtime */
	const char *anon_key;               /* --anonymize KEY */
	const char *report_path;            /* --report FILE.md */
	const char *text_report_path;       /* --text-report FILE */
	const char **keylogs;               /* --keylog FILE, repeatable */
	size_t nkeylogs;
	bool no_color;
	struct sti_evidence_cfg evidence;   /* path NULL: no -w */
	const char **files;
	size_t nfiles;
	const char **mta_logs;       /* --mta-log FILE, repeatable */
	size_t nmta_logs;
	struct sti_mtajoin_opts mta_join;   /* --log-skew */
	const char *find;            /* --find */
	struct sti_live_opts live;   /* live.iface set: -i */
	const char *live_only;       /* a live option given, for the error */
	/* --db: one to write with an input; several to read with --summary */
	const char **dbs;
	size_t ndbs;
	int64_t db_keep_us;          /* --db-keep, 0: keep all */
	int64_t since_us;            /* --since, 0: all */
	/* --metrics, --metrics-listen */
	const char *metrics_path;
	unsigned metrics_interval_s;
	const char *metrics_listen;
	const char *output_path;     /* --output */
	const char *ca_file, *ca_path;   /* --ca-file, --ca-path */
};

/*
 * --help, one row per option, grouped and ordered as in the man page
 * (docs/starttls-inspect.1.in, section OPTIONS): a row without an option
 * starts a group. Adding an option is one row here and one entry there;
 * tests/e2e/docs.sh checks that the two list the same options.
 */
static const struct help_row {
	const char *option;	/* "-r FILE", or NULL for a group heading */
	const char *text;
} help_rows[] = {
	{ NULL, "Input" },
	{ "-r FILE", "read FILE (same as naming it)" },
	{ "--ports LIST", "STARTTLS ports (default 25,587)" },
	{ "--tls-ports LIST", "implicit-TLS ports (default 465)" },
	{ "--max-sessions N", "sessions held at once (default 100000)" },
	{ "--idle-timeout SECS", "close a session idle this long (default 300)" },
	{ NULL, "Live capture" },
	{ "-i IFACE", "capture live on IFACE (any: all interfaces)" },
	{ "-f EXPR", "narrow the capture filter (pcap-filter(7))" },
	{ "-s SNAPLEN", "bytes kept per packet (default 262144)" },
	{ "-B KIB", "kernel buffer in KiB (default 16384)" },
	{ "-c COUNT", "stop after COUNT packets" },
	{ "--duration SECS", "stop after SECS seconds" },
	{ "-Z USER", "run as USER once the capture is open (default nobody)" },
	{ NULL, "Policy" },
	{ "--min-version VER", "lowest acceptable TLS version: 1.0 to 1.3 (default 1.2)" },
	{ NULL, "Decryption" },
	{ "--keylog FILE", "read handshakes and alerts with this SSLKEYLOGFILE" },
	{ NULL, "Trust" },
	{ "--ca-file FILE", "trusted roots in PEM (default: /etc/ssl/certs)" },
	{ "--ca-path DIR", "trusted roots, a c_rehash directory" },
	{ NULL, "Output (default: text, failures first, with a ladder diagram)" },
	{ "--json", "NDJSON: one object per session, then a summary" },
	{ "--no-color", "no colour even on a terminal" },
	{ "--output FILE", "append standard output to FILE; reopen it on SIGHUP" },
	{ "--brief", "one line per session, identical verdicts grouped" },
	{ "--localtime", "times in local time instead of UTC" },
	{ "--sessions", "debug view: one line per TCP session" },
	{ NULL, "Evidence" },
	{ "-w FILE", "write the selected sessions' packets to FILE, redacted" },
	{ "-C SIZE", "then FILE1, FILE2... each under SIZE MB (or k, m, g)" },
	{ "--only LIST", "select these outcomes (or all) in every output" },
	{ "--session ID", "select session ID, any outcome (repeatable)" },
	{ "--host IP", "select sessions with IP at either end (repeatable)" },
	{ "--no-redact", "keep envelope, AUTH and message bytes in FILE" },
	{ "--embed-keys", "FILE is pcapng with the sessions' --keylog secrets" },
	{ "--report FILE", "also write a Markdown ticket report of them to FILE" },
	{ "--text-report FILE", "also write the text report (no colour) to FILE" },
	{ "--format FMT", "text (default), json or markdown on standard output" },
	{ "--summary", "counts and the per-client/per-server TLS inventory" },
	{ "--anonymize KEY", "keyed pseudonyms for addresses and host names" },
	{ NULL, "Service: database" },
	{ "--db FILE", "add the sessions to the SQLite database FILE" },
	{ "--db-keep AGE", "delete stored sessions older than AGE (e.g. 90d)" },
	{ "--since AGE", "--summary --db, no input: only the last AGE (e.g. 30d)" },
	{ NULL, "Service: metrics" },
	{ "--metrics FILE", "write Prometheus metrics to FILE (textfile collector)" },
	{ "--metrics-interval SECS", "every SECS seconds (default 15)" },
	{ "--metrics-listen ADDR", "serve /metrics on [HOST:]PORT (host 127.0.0.1)" },
	{ NULL, "MTA logs" },
	{ "--mta-log FILE", "show the MTA log lines of each session (repeatable)" },
	{ "--log-skew SECS", "log clock minus capture clock (default: estimated)" },
	{ "--find TEXT", "only the sessions joined to log lines matching TEXT" },
	{ NULL, "Miscellaneous" },
	{ "-h, --help", "this text" },
	{ "-V, --version", "the program's version and its libraries'" },
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: %s [options] FILE...    (\"-\" is standard input)\n"
		"       %s [options] -i IFACE   (live capture)\n", progname, progname);
	for (size_t i = 0; i < sizeof(help_rows) / sizeof(help_rows[0]); i++) {
		const struct help_row *r = &help_rows[i];
		if (r->option)
			fprintf(out, "  %-20s %s\n", r->option, r->text);
		else
			fprintf(out, "%s:\n", r->text);
	}
	fprintf(out, "--only, --session and --host narrow every output; without them -w and\n"
		"--report take the sessions whose cause is not none.\n"
		"Exit status 0, 1 when some failed or were deprecated, 2 on error.\n"
		"Everything else: man starttls-inspect\n");
}

/* One line naming the option and what is wrong with it, then exit 2. */
__attribute__((format(printf, 1, 2), noreturn))
static void fail_usage(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_INPUT_ERROR);
}

static int64_t wall_clock_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	if (!s || !*s || *s == '-' || *s == '+')
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

/* "25,587" into a port set; the list replaces the defaults. */
static void parse_ports(const char *opt, const char *list, struct sti_portset *set)
{
	memset(set, 0, sizeof(*set));
	const char *p = list;
	if (!*p)
		fail_usage("%s: expected a comma-separated list of ports", opt);
	for (;;) {
		char item[16];
		size_t n = strcspn(p, ",");
		uint64_t port;
		if (n == 0 || n >= sizeof(item))
			fail_usage("%s: '%s' is not a comma-separated list of ports",
				   opt, list);
		memcpy(item, p, n);
		item[n] = '\0';
		if (!parse_u64(item, 65535, &port) || port == 0) {
			fail_usage("%s: '%s' is not a port number", opt, item);
		}
		sti_portset_add(set, (uint16_t)port);
		p += n;
		if (!*p)
			break;
		p++;   /* the comma; an empty item after it is refused */
	}
}

static void print_version(void)
{
	printf("%s %s\n%s\n%s\n", PACKAGE_NAME, PACKAGE_VERSION,
	       pcap_lib_version(), OpenSSL_version(OPENSSL_VERSION));
}

enum { OPT_SESSIONS = 256, OPT_PORTS, OPT_TLS_PORTS, OPT_MAX_SESSIONS,
       OPT_IDLE_TIMEOUT, OPT_JSON, OPT_NO_COLOR, OPT_MIN_VERSION,
       OPT_DURATION, OPT_ONLY, OPT_SESSION, OPT_HOST, OPT_NO_REDACT, OPT_FORMAT,
       OPT_REPORT, OPT_SUMMARY, OPT_ANONYMIZE, OPT_BRIEF, OPT_LOCALTIME,
       OPT_MTA_LOG, OPT_LOG_SKEW, OPT_FIND,
       OPT_KEYLOG, OPT_EMBED_KEYS,
       OPT_DB, OPT_DB_KEEP, OPT_SINCE,
       OPT_METRICS, OPT_METRICS_INTERVAL, OPT_METRICS_LISTEN, OPT_OUTPUT,
       OPT_CA_FILE, OPT_CA_PATH,   /* the trust store (SPEC 9.2) */
       OPT_TEXT_REPORT };

static uint16_t parse_min_version(const char *s)
{
	static const struct { const char *name; uint16_t v; } names[] = {
		{ "1.0", STI_TLS10 }, { "1.1", STI_TLS11 }, { "1.2", STI_TLS12 },
		{ "1.3", STI_TLS13 },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].name) == 0)
			return names[i].v;
	fail_usage("--min-version: '%s' is not one of 1.0, 1.1, 1.2, 1.3", s);
}

static void add_to_list(const char ***list, size_t *n, const char *f)
{
	const char **nf = realloc(*list, (*n + 1) * sizeof(*nf));
	if (!nf) {
		fprintf(stderr, "%s: out of memory\n", progname);
		exit(EXIT_INPUT_ERROR);
	}
	*list = nf;
	nf[(*n)++] = f;
}

static void add_file(struct options *o, const char *f)
{
	add_to_list(&o->files, &o->nfiles, f);
}

static void add_keylog(struct options *o, const char *f)
{
	add_to_list(&o->keylogs, &o->nkeylogs, f);
}

/* Every --keylog file, read before any capture; NULL without one. A file
 * that cannot be read is an input error; bad lines are only counted. */
static struct sti_keylog *load_keylogs(const struct options *o)
{
	char err[600];
	if (!o->nkeylogs)
		return NULL;
	struct sti_keylog *kl = sti_keylog_new();
	if (!kl) {
		fprintf(stderr, "%s: out of memory\n", progname);
		exit(EXIT_INPUT_ERROR);
	}
	for (size_t i = 0; i < o->nkeylogs; i++) {
		if (!sti_keylog_load(kl, o->keylogs[i], err, sizeof(err))) {
			sti_keylog_free(kl);
			fail_usage("--keylog %s", err);
		}
	}
	sti_keylog_seal(kl);
	return kl;
}

/* --mta-log, --log-skew, --find */
static void parse_mta_option(struct options *o, int c, const char *arg)
{
	char *end;
	switch (c) {
	case OPT_MTA_LOG:
		if (!*arg)
			fail_usage("--mta-log: expected a file name");
		if (o->nmta_logs == STI_MTALOG_FILES_MAX)
			fail_usage("--mta-log: more than %d files", STI_MTALOG_FILES_MAX);
		add_to_list(&o->mta_logs, &o->nmta_logs, arg);
		break;
	case OPT_LOG_SKEW: {
		errno = 0;
		double secs = strtod(arg, &end);
		if (!*arg || *end || errno || secs != secs || secs > 1e9 || secs < -1e9)
			fail_usage("--log-skew: '%s' is not a number of seconds", arg);
		o->mta_join.skew_given = true;
		o->mta_join.skew_us = (int64_t)(secs * 1e6);
		break;
	}
	default:   /* --find */
		if (!*arg)
			fail_usage("--find: the text is empty");
		o->find = arg;
		break;
	}
}

/* The options that shape a live capture; each is checked here. */
static void parse_live_option(struct options *o, int opt, const char *arg)
{
	uint64_t v;
	switch (opt) {
	case 'f':
		o->live.filter_extra = arg;
		o->live_only = "-f";
		break;
	case 's':
		if (!parse_u64(arg, STI_LIVE_SNAPLEN_DEFAULT, &v) || v == 0)
			fail_usage("-s: '%s' is not a snap length from 1 to %d", arg,
				   STI_LIVE_SNAPLEN_DEFAULT);
		o->live.snaplen = (int)v;
		o->live_only = "-s";
		break;
	case 'B':
		if (!parse_u64(arg, INT_MAX / 1024, &v) || v == 0)
			fail_usage("-B: '%s' is not a buffer size in KiB", arg);
		o->live.buffer_kib = (int)v;
		o->live_only = "-B";
		break;
	case 'c':
		if (!parse_u64(arg, UINT64_MAX, &v) || v == 0)
			fail_usage("-c: '%s' is not a positive packet count", arg);
		o->live.count = v;
		o->live_only = "-c";
		break;
	case 'Z':
		if (!*arg)
			fail_usage("-Z: expected a user name");
		o->live.user = arg;
		o->live_only = "-Z";
		break;
	default:   /* --duration */
		if (!parse_u64(arg, INT64_MAX / 1000000, &v) || v == 0)
			fail_usage("--duration: '%s' is not a positive number of seconds", arg);
		o->live.duration_us = (int64_t)v * 1000000;
		o->live_only = "--duration";
		break;
	}
}

/* -C: millions of bytes like tcpdump, or k/m/g (binary) units. */
static uint64_t parse_size(const char *s)
{
	char num[32];
	size_t n = strlen(s);
	uint64_t unit = 1000000, v;
	if (n && strchr("kKmMgG", s[n - 1])) {
		char u = (char)(s[n - 1] | 0x20);
		unit = u == 'k' ? 1024 : u == 'm' ? 1024 * 1024 : 1024 * 1024 * 1024;
		n--;
	}
	if (n == 0 || n >= sizeof(num))
		fail_usage("-C: '%s' is not a size", s);
	memcpy(num, s, n);
	num[n] = '\0';
	if (!parse_u64(num, UINT64_MAX / unit, &v) || v == 0)
		fail_usage("-C: '%s' is not a size", s);
	return v * unit;
}

static void parse_evidence_option(int c, const char *arg, struct sti_evidence_cfg *ev)
{
	uint64_t v;
	char bad[80];
	switch (c) {
	case 'w':
		ev->path = arg;
		break;
	case 'C':
		ev->rotate_bytes = parse_size(arg);
		break;
	case OPT_ONLY:
		if (!sti_selection_parse_only(&ev->sel, arg, bad, sizeof(bad))) {
			char names[256];
			sti_selection_only_names(names, sizeof(names));
			fail_usage("--only: '%s' is not one of %s", bad, names);
		}
		break;
	case OPT_SESSION:
		if (!parse_u64(arg, UINT64_MAX, &v) || v == 0)
			fail_usage("--session: '%s' is not a session number", arg);
		if (!sti_selection_add_id(&ev->sel, v))
			fail_usage("--session: more than %d sessions", STI_SELECT_MAX_IDS);
		break;
	case OPT_HOST:
		if (!sti_selection_add_host(&ev->sel, arg))
			fail_usage("--host: '%s' is not an IP address (or more than %d)",
				   arg, STI_SELECT_MAX_HOSTS);
		break;
	case OPT_NO_REDACT:
		ev->redact = false;
		break;
	}
}

/* "30d": a number and one of s, m, h, d, w, as microseconds. */
static int64_t parse_age(const char *opt, const char *s)
{
	static const struct { char unit; int64_t secs; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 604800 },
	};
	size_t n = strlen(s);
	char num[24];
	uint64_t v;
	for (size_t i = 0; n > 1 && n - 1 < sizeof(num) && i < sizeof(units) / sizeof(units[0]); i++) {
		if (s[n - 1] != units[i].unit)
			continue;
		memcpy(num, s, n - 1);
		num[n - 1] = '\0';
		if (parse_u64(num, (uint64_t)(INT64_MAX / 1000000 / units[i].secs), &v) && v)
			return (int64_t)v * units[i].secs * 1000000;
	}
	fail_usage("%s: '%s' is not an age like 30d (a positive number and one of "
		   "s, m, h, d, w)", opt, s);
}

static void parse_db_option(struct options *o, int c, const char *arg)
{
	if (c == OPT_DB_KEEP) {
		o->db_keep_us = parse_age("--db-keep", arg);
	} else if (c == OPT_SINCE) {
		o->since_us = parse_age("--since", arg);
	} else {
		if (!*arg)
			fail_usage("--db: expected a file name");
		const char **nd = realloc(o->dbs, (o->ndbs + 1) * sizeof(*nd));
		if (!nd)
			fail_usage("--db: out of memory");
		o->dbs = nd;
		o->dbs[o->ndbs++] = arg;
	}
}

static void parse_metrics_option(struct options *o, int c, const char *arg)
{
	uint64_t v;
	if (!*arg)
		fail_usage("%s: expected a value", c == OPT_METRICS ? "--metrics"
			   : c == OPT_METRICS_LISTEN ? "--metrics-listen" : "--metrics-interval");
	if (c == OPT_METRICS) {
		o->metrics_path = arg;
	} else if (c == OPT_METRICS_LISTEN) {
		o->metrics_listen = arg;
	} else {
		if (!parse_u64(arg, 86400, &v) || v == 0)
			fail_usage("--metrics-interval: '%s' is not a number of seconds from "
				   "1 to 86400", arg);
		o->metrics_interval_s = (unsigned)v;
	}
}

/* Only the summary of stored sessions: --summary --db, no capture. */
static bool db_summary_only(const struct options *o)
{
	return o->summary && o->ndbs && !o->nfiles && !o->live.iface;
}

static void check_db_options(const struct options *o)
{
	if (db_summary_only(o)) {
		if (o->db_keep_us)
			fail_usage("--db-keep: only when adding sessions (with a capture "
				   "file or -i)");
		if (o->sessions_view || o->evidence.path || o->report_path || o->anon_key ||
		    o->text_report_path || o->metrics_path || o->metrics_listen)
			fail_usage("--summary --db without input: only --since, "
				   "--min-version and --format apply");
		return;
	}
	if (o->since_us)
		fail_usage("--since: only with --summary --db and no capture file or -i");
	if (o->db_keep_us && !o->ndbs)
		fail_usage("--db-keep: needs --db FILE");
	if (o->ndbs > 1)
		fail_usage("--db: one database is written at a time (several only "
			   "with --summary and no input)");
	if (o->ndbs && o->sessions_view)
		fail_usage("--db: not with --sessions");
	if (o->metrics_interval_s && !o->metrics_path)
		fail_usage("--metrics-interval: needs --metrics FILE");
	if ((o->metrics_path || o->metrics_listen) && o->sessions_view)
		fail_usage("%s: not with --sessions", o->metrics_path ? "--metrics"
			   : "--metrics-listen");
	/* The sessions view prints the TCP table as read: nothing in it is
	 * pseudonymised, so asking for both would leak. */
	if (o->anon_key && o->sessions_view)
		fail_usage("--anonymize: not with --sessions (its lines hold the real"
			   " addresses)");
}

/* Files or an interface, not both; live options only with -i. */
static void check_input(const struct options *o)
{
	check_db_options(o);
	if (db_summary_only(o))
		return;
	if (o->live.iface) {
		if (o->nfiles)
			fail_usage("-i %s: capture files cannot be read in the same run",
				   o->live.iface);
		if (o->sessions_view)
			fail_usage("--sessions: not available with -i");
		return;
	}
	if (o->live_only)
		fail_usage("%s: only with -i (a live capture)", o->live_only);
	if (o->nfiles == 0)
		fail_usage("no capture file or interface given (try --help)");
}

static void check_mta_options(const struct options *o)
{
	const char *need = o->find ? "--find" : o->mta_join.skew_given ? "--log-skew" : NULL;
	if (need && !o->nmta_logs)
		fail_usage("%s: needs --mta-log FILE", need);
	if (!o->nmta_logs)
		return;
	if (o->live.iface)
		fail_usage("--mta-log: not available with -i (the join needs the whole capture)");
	if (o->sessions_view)
		fail_usage("--mta-log: not available with --sessions");
	if (o->anon_key)
		fail_usage("--mta-log: not available with --anonymize (log lines hold real"
			   " addresses)");
	for (size_t i = 0; i < o->nmta_logs; i++)
		for (size_t k = 0; k < o->nfiles; k++)
			if (strcmp(o->mta_logs[i], "-") == 0 && strcmp(o->files[k], "-") == 0)
				fail_usage("--mta-log -: standard input is already the capture");
}

/* --ca-file/--ca-path replace the system store; an unreadable one is a
 * usage error, before any capture is read. */
static void load_trust(const struct options *o)
{
	char err[256];
	atexit(sti_trust_cleanup);
	atexit(sti_digest_cleanup);
	if ((o->ca_file || o->ca_path) &&
	    !sti_trust_configure(o->ca_file, o->ca_path, err, sizeof(err)))
		fail_usage("%s %s", o->ca_file ? "--ca-file" : "--ca-path", err);
}

static void parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "sessions", no_argument, NULL, OPT_SESSIONS },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "no-color", no_argument, NULL, OPT_NO_COLOR },
		{ "min-version", required_argument, NULL, OPT_MIN_VERSION },
		{ "ports", required_argument, NULL, OPT_PORTS },
		{ "tls-ports", required_argument, NULL, OPT_TLS_PORTS },
		{ "max-sessions", required_argument, NULL, OPT_MAX_SESSIONS },
		{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "only", required_argument, NULL, OPT_ONLY },
		{ "session", required_argument, NULL, OPT_SESSION },
		{ "host", required_argument, NULL, OPT_HOST },
		{ "no-redact", no_argument, NULL, OPT_NO_REDACT },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "report", required_argument, NULL, OPT_REPORT },
		{ "text-report", required_argument, NULL, OPT_TEXT_REPORT },
		{ "summary", no_argument, NULL, OPT_SUMMARY },
		{ "anonymize", required_argument, NULL, OPT_ANONYMIZE },
		{ "keylog", required_argument, NULL, OPT_KEYLOG },
		{ "embed-keys", no_argument, NULL, OPT_EMBED_KEYS },
		{ "db", required_argument, NULL, OPT_DB },
		{ "db-keep", required_argument, NULL, OPT_DB_KEEP },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "metrics", required_argument, NULL, OPT_METRICS },
		{ "metrics-interval", required_argument, NULL, OPT_METRICS_INTERVAL },
		{ "metrics-listen", required_argument, NULL, OPT_METRICS_LISTEN },
		{ "output", required_argument, NULL, OPT_OUTPUT },
		{ "brief", no_argument, NULL, OPT_BRIEF },
		{ "localtime", no_argument, NULL, OPT_LOCALTIME },
		{ "ca-file", required_argument, NULL, OPT_CA_FILE },
		{ "ca-path", required_argument, NULL, OPT_CA_PATH },
		{ "mta-log", required_argument, NULL, OPT_MTA_LOG },
		{ "log-skew", required_argument, NULL, OPT_LOG_SKEW },
		{ "find", required_argument, NULL, OPT_FIND },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":r:i:f:s:B:c:Z:w:C:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			add_file(o, optarg);
			break;
		case 'i':
			o->live.iface = optarg;
			break;
		case 'f':
		case 's':
		case 'B':
		case 'c':
		case 'Z':
		case OPT_DURATION:
			parse_live_option(o, c, optarg);
			break;
		case OPT_SESSIONS:
			o->sessions_view = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_NO_COLOR:
			o->no_color = true;
			break;
		case OPT_MIN_VERSION:
			o->policy.min_version = parse_min_version(optarg);
			break;
		case OPT_PORTS:
			parse_ports("--ports", optarg, &o->cfg.smtp_ports);
			break;
		case OPT_TLS_PORTS:
			parse_ports("--tls-ports", optarg, &o->cfg.tls_ports);
			break;
		case OPT_MAX_SESSIONS:
			if (!parse_u64(optarg, SIZE_MAX, &v) || v == 0)
				fail_usage("--max-sessions: '%s' is not a positive number", optarg);
			o->cfg.max_sessions = (size_t)v;
			break;
		case OPT_IDLE_TIMEOUT:
			if (!parse_u64(optarg, INT64_MAX / 1000000, &v) || v == 0)
				fail_usage("--idle-timeout: '%s' is not a positive number of seconds", optarg);
			o->cfg.idle_timeout_us = (int64_t)v * 1000000;
			break;
		case 'w':
		case 'C':
		case OPT_ONLY:
		case OPT_SESSION:
		case OPT_HOST:
		case OPT_NO_REDACT:
			parse_evidence_option(c, optarg, &o->evidence);
			break;
		case OPT_FORMAT:
			o->json = strcmp(optarg, "json") == 0;
			o->markdown = strcmp(optarg, "markdown") == 0;
			if (!o->json && !o->markdown && strcmp(optarg, "text") != 0)
				fail_usage("--format: '%s' is not one of text, json, markdown", optarg);
			break;
		case OPT_REPORT:
			o->report_path = optarg;
			break;
		case OPT_TEXT_REPORT:
			o->text_report_path = optarg;
			break;
		case OPT_SUMMARY:
			o->summary = true;
			break;
		case OPT_KEYLOG:
			add_keylog(o, optarg);
			break;
		case OPT_EMBED_KEYS:
			o->evidence.pcapng = true;
			break;
		case OPT_BRIEF:
			o->brief = true;
			break;
		case OPT_LOCALTIME:
			o->localtime = true;
			break;
		case OPT_ANONYMIZE:
			if (!*optarg)
				fail_usage("--anonymize: the key is empty");
			o->anon_key = optarg;
			break;
		case OPT_DB:
		case OPT_DB_KEEP:
		case OPT_SINCE:
			parse_db_option(o, c, optarg);
			break;
		case OPT_METRICS:
		case OPT_METRICS_INTERVAL:
		case OPT_METRICS_LISTEN:
			parse_metrics_option(o, c, optarg);
			break;
		case OPT_OUTPUT:
			if (!*optarg)
				fail_usage("--output: expected a file name");
			o->output_path = optarg;
			break;
		case OPT_MTA_LOG:
		case OPT_LOG_SKEW:
		case OPT_FIND:
			parse_mta_option(o, c, optarg);
			break;
		case OPT_CA_FILE:
			o->ca_file = optarg;
			break;
		case OPT_CA_PATH:
			o->ca_path = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			print_version();
			exit(0);
		case ':':
			if (optopt > 0 && optopt < OPT_SESSIONS)
				fail_usage("option '-%c' needs an argument", optopt);
			fail_usage("option '%s' needs an argument", argv[optind - 1]);
			break;
		default:
			/* optopt names a short option even inside a cluster;
			 * for a long one it holds our value (>= OPT_SESSIONS)
			 * or 0, and only argv names it. */
			if (optopt > 0 && optopt < OPT_SESSIONS)
				fail_usage("unknown option '-%c' (try --help)", optopt);
			fail_usage("unknown option '%s' (try --help)", argv[optind - 1]);
		}
	}
	for (int i = optind; i < argc; i++)
		add_file(o, argv[i]);
	check_input(o);
	load_trust(o);
	if (o->evidence.rotate_bytes && !o->evidence.path)
		fail_usage("-C: needs -w FILE");
	if (o->evidence.pcapng && !o->evidence.path)
		fail_usage("--embed-keys: needs -w FILE");
	if (o->evidence.pcapng && !o->nkeylogs)
		fail_usage("--embed-keys: needs --keylog FILE");
	check_mta_options(o);
}

/* One file through the sessions view; false on an input error. */
static bool run_sessions_view(const struct options *o, const char *file)
{
	struct sti_sessions_view *view = sti_sessions_view_new();
	struct sti_table *t = view ? sti_table_new(&o->cfg, &sti_sessions_view_ops, view) : NULL;
	if (!t) {
		fprintf(stderr, "%s: %s: out of memory\n", progname, file);
		sti_sessions_view_free(view);
		return false;
	}
	struct sti_ingest_stats st;
	memset(&st, 0, sizeof(st));
	char err[1536];
	enum sti_ingest_rc rc = sti_ingest_file(file, t, &st, err, sizeof(err));
	sti_table_flush(t);
	/* What was gathered before a read error is still reported. */
	bool read = rc == STI_INGEST_OK || rc == STI_INGEST_TRUNCATED;
	if (read || rc == STI_INGEST_READ_ERROR) {
		printf("# file %s\n", file);
		sti_sessions_view_print(view, stdout);
		sti_sessions_view_print_stats(stdout, file, &st, sti_table_stats(t));
	}
	fflush(stdout);
	if (rc != STI_INGEST_OK)
		fprintf(stderr, "%s: %s: %s\n", progname, file, err);
	sti_table_free(t);
	sti_sessions_view_free(view);
	return read;
}

/* Whether the input arrives as it happens: an interface, or standard input
 * that is not a regular file (tcpdump -w - | starttls-inspect -): then
 * each report line is flushed as it is written. */
static bool input_is_live(const struct options *o)
{
	struct stat st;
	if (o->live.iface)
		return true;
	for (size_t i = 0; i < o->nfiles; i++)
		if (strcmp(o->files[i], "-") == 0)
			return fstat(STDIN_FILENO, &st) != 0 || !S_ISREG(st.st_mode);
	return false;
}

/* The files written beside standard output, closed by the caller. */
struct side_files {
	FILE *markdown;   /* --report */
	FILE *text;       /* --text-report */
};

/* REP teed with a reporter writing to PATH, opened here (exit 2 when it
 * cannot be): the Markdown ticket report, or the text report. NULL when
 * out of memory; REP is then destroyed. */
static struct sti_reporter *tee_to_file(struct sti_reporter *rep, const char *path,
					bool markdown, FILE **f,
					const struct sti_report_opts *ro,
					const struct sti_selection *sel)
{
	char err[512];
	*f = sti_fopen_private(path, err, sizeof(err));
	if (!*f) {
		rep->ops->destroy(rep);
		fprintf(stderr, "%s: %s\n", progname, err);
		exit(EXIT_INPUT_ERROR);
	}
	struct sti_reporter *side = markdown ? sti_report_markdown_new(*f, ro, sel)
		: sti_report_text_new(*f, ro);
	struct sti_reporter *both = side ? sti_report_tee_new(rep, side) : NULL;
	if (!both) {
		rep->ops->destroy(rep);
		if (side)
			side->ops->destroy(side);
	}
	return both;
}

/* The reporter on standard output, and the report files if asked. */
static struct sti_reporter *make_reporter(const struct options *o,
					  const struct sti_selection *sel,
					  struct sti_evidence *ev, struct side_files *side)
{
	struct sti_report_opts ro = {
		.color = !o->json && !o->markdown && !o->no_color && isatty(STDOUT_FILENO),
		.min_version = o->policy.min_version,
		.redact = o->evidence.redact,
		.live = o->live.iface != NULL,
		.flush_lines = input_is_live(o),
		.full = sti_selection_given(sel),
		.brief = o->brief,
		.localtime = o->localtime,
		.evidence_path = o->evidence.path,
		.evidence = ev,
		.mta_find = o->find != NULL,
	};
	struct sti_reporter *rep = o->json ? sti_report_json_new(stdout, &ro)
		: o->markdown ? sti_report_markdown_new(stdout, &ro, sel)
		: o->summary ? sti_report_inventory_new(stdout, &ro, false)
		: o->brief ? sti_report_brief_new(stdout, &ro)
		: sti_report_text_new(stdout, &ro);
	if (rep && o->summary && o->json) {
		/* Ahead of the JSON reporter: its summary stays the last line. */
		struct sti_reporter *inv = sti_report_inventory_new(stdout, &ro, true);
		struct sti_reporter *both = inv ? sti_report_tee_new(inv, rep) : NULL;
		if (!both) {
			if (inv)
				inv->ops->destroy(inv);
			rep->ops->destroy(rep);
			return NULL;
		}
		rep = both;
	}
	ro.color = false;
	if (rep && o->report_path)
		rep = tee_to_file(rep, o->report_path, true, &side->markdown, &ro, sel);
	/* The text report as the default output shows it: the page (web/)
	 * gets it from the same run as the JSON lines and the ticket. */
	if (rep && o->text_report_path)
		rep = tee_to_file(rep, o->text_report_path, false, &side->text, &ro, sel);
	return rep;
}

/* --db with an input: the batching writer, teed behind the reporter.
 * The database is opened before any input is read: a bad one stops the
 * run at once. */
static struct sti_reporter *attach_db(const struct options *o, struct sti_reporter *rep,
				      struct sti_reporter **dbrep)
{
	char err[512];
	*dbrep = NULL;
	if (!o->ndbs || !rep)
		return rep;
	struct sti_db *db = sti_db_open(o->dbs[0], STI_DB_WRITE, err, sizeof(err));
	struct sti_reporter *w = db ? sti_report_db_new(db, o->db_keep_us, err, sizeof(err)) : NULL;
	struct sti_reporter *both = w ? sti_report_tee_new(rep, w) : NULL;
	if (!both) {
		if (w)
			w->ops->destroy(w);
		else
			sti_db_close(db);
		rep->ops->destroy(rep);
		fprintf(stderr, "%s: --db %s\n", progname, db && w ? "out of memory" : err);
		exit(EXIT_INPUT_ERROR);
	}
	*dbrep = w;
	return both;
}

/* The counters and their two outlets, started before the first input. */
struct service_metrics {
	struct sti_metrics *m;
	struct sti_metrics_file *file;
	struct sti_metrics_http *http;
};

static void start_metrics(const struct options *o, struct sti_analysis *a,
			  struct service_metrics *sm)
{
	char err[512];
	memset(sm, 0, sizeof(*sm));
	if (!o->metrics_path && !o->metrics_listen)
		return;
	sm->m = sti_metrics_new();
	if (!sm->m)
		fail_usage("--metrics: out of memory");
	if (o->metrics_listen && !(sm->http = sti_metrics_http_start(sm->m, o->metrics_listen,
								     err, sizeof(err))))
		fail_usage("%s", err);
	unsigned every = o->metrics_interval_s ? o->metrics_interval_s : 15;
	if (o->metrics_path && !(sm->file = sti_metrics_file_start(sm->m, o->metrics_path, every,
								   err, sizeof(err))))
		fail_usage("%s", err);
	sti_analysis_set_metrics(a, sm->m);
}

/* The last write of the file; false when a write failed. */
static bool stop_metrics(struct service_metrics *sm)
{
	char err[512];
	bool ok = sti_metrics_file_stop(sm->file, err, sizeof(err));
	sti_metrics_http_stop(sm->http);
	sti_metrics_free(sm->m);
	return ok;
}

/* A ticket that would come out empty is said, in one line. */
static void warn_empty_selection(const struct options *o, uint64_t selected)
{
	if (selected || !(sti_selection_given(&o->evidence.sel) || o->evidence.path ||
			  o->report_path))
		return;
	char what[512];
	sti_selection_describe(&o->evidence.sel, what, sizeof(what));
	fflush(stdout);
	fprintf(stderr, "%s: warning: %s matched no session%s\n", progname, what,
		o->evidence.path || o->report_path ? "; the evidence and report are empty" : "");
}

/* -w to a path that cannot be written fails before any reading. */
static void check_writable(const char *path)
{
	char err[512];
	FILE *f = path ? sti_fopen_private(path, err, sizeof(err)) : NULL;
	if (!path)
		return;
	if (!f) {
		fprintf(stderr, "%s: -w %s\n", progname, err);
		exit(EXIT_INPUT_ERROR);
	}
	fclose(f);
}

/* Every --mta-log file, before any capture: one line and exit 2 on error. */
static struct sti_mtalog *read_mta_logs(const struct options *o)
{
	struct sti_mtalog *log = sti_mtalog_new();
	char err[600];
	if (!log) {
		fprintf(stderr, "%s: out of memory\n", progname);
		exit(EXIT_INPUT_ERROR);
	}
	for (size_t i = 0; i < o->nmta_logs; i++)
		if (!sti_mtalog_read_file(log, o->mta_logs[i], err, sizeof(err))) {
			fprintf(stderr, "%s: --mta-log %s\n", progname, err);
			exit(EXIT_INPUT_ERROR);
		}
	const struct sti_mtalog_stats *st = sti_mtalog_stats(log);
	if (st->sessions_over_cap || st->lines_over_cap)
		fprintf(stderr, "%s: warning: MTA logs: %llu sessions past %d and %llu lines"
			" past the caps were not kept\n", progname,
			(unsigned long long)st->sessions_over_cap, STI_MTALOG_SESSIONS_MAX,
			(unsigned long long)st->lines_over_cap);
	return log;
}

/* Closes a report file; false (and one line) when a write to it failed. */
static bool close_side_file(FILE *f, const char *path)
{
	if (!f || !(ferror(f) | fclose(f)))
		return true;
	fprintf(stderr, "%s: %s: write error\n", progname, path);
	return false;
}

/* Every file through the verdict pipeline; the exit status of SPEC 7. */
static int run_verdicts(const struct options *o)
{
	struct side_files side = { NULL, NULL };
	struct sti_keylog *keylog = load_keylogs(o);
	struct sti_reporter *dbrep;
	check_writable(o->evidence.path);
	struct sti_anon *anon = o->anon_key ? sti_anon_new(o->anon_key) : NULL;
	struct sti_evidence_cfg evcfg = o->evidence;
	struct sti_selection report_sel = o->evidence.sel;
	/* Reports see pseudonyms: --host names a real address. */
	for (size_t i = 0; anon && i < report_sel.nhosts; i++)
		sti_anon_addr(anon, &report_sel.hosts[i]);
	evcfg.anon = anon;
	evcfg.keylog = keylog;
	struct sti_evidence *ev = o->evidence.path ? sti_evidence_new(&evcfg) : NULL;
	struct sti_reporter *rep = attach_db(o, make_reporter(o, &report_sel, ev, &side),
					     &dbrep);
	struct sti_analysis *a = rep ? sti_analysis_new(&o->cfg, &o->policy, rep) : NULL;
	if (!a || (o->evidence.path && !ev) || (o->anon_key && !anon)) {
		fprintf(stderr, "%s: out of memory\n", progname);
		sti_analysis_free(a);
		sti_evidence_free(ev);
		sti_anon_free(anon);
		sti_keylog_free(keylog);
		if (rep)
			rep->ops->destroy(rep);
		close_side_file(side.markdown, o->report_path);
		close_side_file(side.text, o->text_report_path);
		return EXIT_INPUT_ERROR;
	}
	sti_analysis_set_evidence(a, ev);
	sti_analysis_set_anon(a, anon);
	sti_analysis_set_keylog(a, keylog);
	struct service_metrics sm;
	start_metrics(o, a, &sm);
	sti_analysis_set_selection(a, &o->evidence.sel);
	struct sti_mtalog *mtalog = o->nmta_logs ? read_mta_logs(o) : NULL;
	if (mtalog && !sti_analysis_set_mtalog(a, mtalog, &o->mta_join, o->find)) {
		fprintf(stderr, "%s: out of memory\n", progname);
		exit(EXIT_INPUT_ERROR);
	}
	bool ok = true;
	if (o->live.iface)
		ok = sti_analysis_live(a, &o->live);
	for (size_t i = 0; i < o->nfiles; i++)
		ok &= sti_analysis_file(a, o->files[i]);
	bool problems = sti_analysis_finish(a);
	ok &= stop_metrics(&sm);
	char dberr[512];
	if (dbrep && !sti_report_db_drain(dbrep, dberr, sizeof(dberr))) {
		fprintf(stderr, "%s: --db %s\n", progname, dberr);
		ok = false;
	}
	warn_empty_selection(o, sti_analysis_selected(a));
	sti_analysis_free(a);
	sti_keylog_free(keylog);
	sti_mtalog_free(mtalog);
	sti_evidence_free(ev);
	sti_anon_free(anon);
	rep->ops->destroy(rep);
	ok &= close_side_file(side.markdown, o->report_path);
	ok &= close_side_file(side.text, o->text_report_path);
	if (!ok)
		return EXIT_INPUT_ERROR;
	return problems ? 1 : 0;
}

/* --summary --db FILE... with no input: the inventory of the stored
 * sessions (of the last --since), several databases merged. */
static int run_db_summary(const struct options *o)
{
	struct sti_report_opts ro = { .min_version = o->policy.min_version, .dated = true };
	struct sti_db **dbs = calloc(o->ndbs, sizeof(*dbs));
	char err[512];
	if (!dbs)
		fail_usage("--db: out of memory");
	for (size_t i = 0; i < o->ndbs; i++) {
		dbs[i] = sti_db_open(o->dbs[i], STI_DB_READ, err, sizeof(err));
		if (!dbs[i]) {
			fprintf(stderr, "%s: --db %s\n", progname, err);
			while (i--)
				sti_db_close(dbs[i]);
			free(dbs);
			return EXIT_INPUT_ERROR;
		}
	}
	struct sti_reporter *rep = o->json ? sti_report_inventory_new(stdout, &ro, true)
		: o->markdown ? sti_report_inventory_markdown_new(stdout, &ro)
		: sti_report_inventory_new(stdout, &ro, false);
	struct sti_tally tally;
	memset(&tally, 0, sizeof(tally));
	int64_t since = o->since_us ? wall_clock_now_us() - o->since_us : INT64_MIN;
	bool ok = rep != NULL;
	if (!ok)
		fprintf(stderr, "%s: out of memory\n", progname);
	for (size_t i = 0; ok && i < o->ndbs; i++) {
		ok = sti_db_replay(dbs[i], since, rep, &tally, err, sizeof(err));
		if (!ok)
			fprintf(stderr, "%s: --db %s\n", progname, err);
	}
	/* What was read before an error is still printed. */
	if (rep) {
		rep->ops->finish(rep, &tally);
		rep->ops->destroy(rep);
	}
	for (size_t i = 0; i < o->ndbs; i++)
		sti_db_close(dbs[i]);
	free(dbs);
	if (!ok)
		return EXIT_INPUT_ERROR;
	return tally.by_outcome[STI_OUTCOME_FAILED] || tally.by_outcome[STI_OUTCOME_DEPRECATED];
}

int main(int argc, char **argv)
{
	struct options o;
	memset(&o, 0, sizeof(o));
	sti_session_cfg_defaults(&o.cfg);
	sti_policy_defaults(&o.policy);
	sti_selection_defaults(&o.evidence.sel);
	o.evidence.redact = true;
	o.live.snaplen = STI_LIVE_SNAPLEN_DEFAULT;
	o.live.buffer_kib = STI_LIVE_BUFFER_KIB_DEFAULT;
	parse_options(argc, argv, &o);
	char err[512];
	if (o.output_path && !sti_live_output_open(o.output_path, err, sizeof(err)))
		fail_usage("%s", err);
	int status;
	if (db_summary_only(&o)) {
		status = run_db_summary(&o);
	} else if (o.sessions_view) {
		bool ok = true;
		for (size_t i = 0; i < o.nfiles; i++)
			ok &= run_sessions_view(&o, o.files[i]);
		status = ok ? 0 : EXIT_INPUT_ERROR;
	} else {
		status = run_verdicts(&o);
	}
	free(o.files);
	free(o.keylogs);
	free(o.dbs);
	free(o.mta_logs);
	return status;
}
