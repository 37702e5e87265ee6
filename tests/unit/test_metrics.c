/*
 * test_metrics.c - the counters, their two text formats, the textfile
 * writer, and the /metrics request parser (whole, byte by byte, hostile).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sti/service_metrics.h"
#include "sti/service_metrics_http.h"
#include "sti/tls.h"

static char *render(const struct sti_metrics_counts *c, enum sti_metrics_format f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	sti_metrics_render(c, f, out);
	assert_int_equal(fclose(out), 0);
	return buf;
}

static void add_session(struct sti_metrics *m, uint16_t version, enum sti_outcome o,
			enum sti_cause c, enum sti_reason r)
{
	struct sti_record rec;
	struct sti_tls_facts tls;
	struct sti_verdict v;
	memset(&rec, 0, sizeof(rec));
	struct sti_tls_facts_room room;
	sti_tls_facts_init(&tls, &room);
	memset(&v, 0, sizeof(v));
	if (version) {
		tls.established = true;
		tls.version = version;
		rec.tls = &tls;
	}
	v.outcome = o;
	v.cause = c;
	v.reason = r;
	sti_metrics_session(m, &rec, &v);
}

static void test_counts_and_prometheus_text(void **state)
{
	(void)state;
	struct sti_metrics *m = sti_metrics_new();
	assert_non_null(m);
	add_session(m, 0x0301, STI_OUTCOME_DEPRECATED, STI_CAUSE_CLIENT,
		    STI_REASON_VERSION_BELOW_POLICY);
	add_session(m, 0x0304, STI_OUTCOME_OK, STI_CAUSE_NONE, STI_REASON_TLS_OK);
	add_session(m, 0x0304, STI_OUTCOME_OK, STI_CAUSE_NONE, STI_REASON_TLS_OK);
	add_session(m, 0, STI_OUTCOME_NO_TLS, STI_CAUSE_SERVER, STI_REASON_STARTTLS_NOT_OFFERED);
	struct sti_ingest_stats st;
	memset(&st, 0, sizeof(st));
	st.frames = 100;
	st.by_status[STI_DEC_MALFORMED] = 2;
	st.by_status[STI_DEC_TRUNCATED] = 1;
	st.kernel_dropped = 7;
	sti_metrics_input(m, &st, 5, 1, false);   /* a live capture, running */
	struct sti_metrics_counts c;
	sti_metrics_snapshot(m, &c);
	assert_int_equal(c.by_version[STI_MV_TLS13], 2);
	assert_int_equal(c.by_version[STI_MV_NONE], 1);
	assert_int_equal(c.open_sessions, 5);
	char *text = render(&c, STI_METRICS_PROMETHEUS);
	assert_non_null(strstr(text, "# HELP starttls_inspect_sessions_total Sessions reported, "
				     "by verdict outcome.\n# TYPE starttls_inspect_sessions_total "
				     "counter\n"));
	assert_non_null(strstr(text, "\nstarttls_inspect_sessions_total{outcome=\"ok\"} 2\n"));
	assert_non_null(strstr(text, "\nstarttls_inspect_sessions_by_cause_total{cause=\"server\"} 1\n"));
	assert_non_null(strstr(text, "\nstarttls_inspect_sessions_by_reason_total{reason="
				     "\"version_below_policy\"} 1\n"));
	assert_non_null(strstr(text, "\nstarttls_inspect_sessions_by_version_total{version=\"1.0\"} 1\n"));
	assert_non_null(strstr(text, "\nstarttls_inspect_packets_total 100\n"));
	assert_non_null(strstr(text, "\nstarttls_inspect_malformed_frames_total 3\n"));
	assert_non_null(strstr(text, "\nstarttls_inspect_kernel_dropped_packets_total 7\n"));
	assert_non_null(strstr(text, "\nstarttls_inspect_sessions_evicted_total 1\n"));
	assert_non_null(strstr(text, "# TYPE starttls_inspect_open_sessions gauge\n"
				     "starttls_inspect_open_sessions 5\n"));
	assert_null(strstr(text, "# EOF"));
	free(text);

	/* The input ends: its counts stay, a second input adds to them. */
	sti_metrics_input(m, &st, 0, 1, true);
	st.frames = 10;
	sti_metrics_input(m, &st, 2, 0, false);
	sti_metrics_snapshot(m, &c);
	assert_int_equal(c.packets, 110);
	assert_int_equal(c.evicted, 1);
	assert_int_equal(c.open_sessions, 2);
	sti_metrics_free(m);
}

static void test_openmetrics_text(void **state)
{
	(void)state;
	struct sti_metrics_counts c;
	memset(&c, 0, sizeof(c));
	c.packets = 4;
	char *text = render(&c, STI_METRICS_OPENMETRICS);
	/* A counter family is named without _total; its samples keep it. */
	assert_non_null(strstr(text, "# TYPE starttls_inspect_packets counter\n"
				     "starttls_inspect_packets_total 4\n"));
	size_t n = strlen(text);
	assert_true(n > 6);
	assert_string_equal(text + n - 6, "# EOF\n");
	free(text);
}

static void test_textfile_written_atomically(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_metrics.XXXXXX", path[256], tmp[300], err[512];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sti.prom", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	struct sti_metrics *m = sti_metrics_new();
	struct sti_metrics_file *f = sti_metrics_file_start(m, path, 3600, err, sizeof(err));
	assert_non_null(f);
	assert_int_equal(access(path, R_OK), 0);   /* the first write, at start */
	add_session(m, 0x0303, STI_OUTCOME_OK, STI_CAUSE_NONE, STI_REASON_TLS_OK);
	assert_true(sti_metrics_file_stop(f, err, sizeof(err)));   /* the last */
	FILE *in = fopen(path, "r");
	assert_non_null(in);
	char line[256];
	bool found = false;
	while (fgets(line, sizeof(line), in))
		found |= strcmp(line, "starttls_inspect_sessions_by_version_total{version=\"1.2\"} 1\n") == 0;
	fclose(in);
	assert_true(found);
	assert_int_not_equal(access(tmp, F_OK), 0);   /* renamed, not left */
	unlink(path);
	rmdir(dir);

	assert_null(sti_metrics_file_start(m, "/nonexistent-dir/x.prom", 1, err, sizeof(err)));
	assert_string_equal(err, "--metrics /nonexistent-dir/x.prom.tmp: No such file or directory");
	sti_metrics_free(m);
}

/* ---- the request parser ---- */

static struct sti_http_request parse(const char *s)
{
	struct sti_http_request r;
	sti_http_parse((const uint8_t *)s, strlen(s), &r);
	return r;
}

static void test_http_requests(void **state)
{
	(void)state;
	struct sti_http_request r = parse("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(r.verdict, STI_HTTP_METRICS);
	assert_false(r.head);
	assert_false(r.openmetrics);
	r = parse("HEAD /metrics HTTP/1.0\r\n\r\n");
	assert_int_equal(r.verdict, STI_HTTP_METRICS);
	assert_true(r.head);
	r = parse("GET /metrics?x=1 HTTP/1.1\nAccept: text/plain;q=0.5, "
		  "Application/OpenMetrics-Text; version=1.0.0\n\n");
	assert_int_equal(r.verdict, STI_HTTP_METRICS);
	assert_true(r.openmetrics);
	assert_int_equal(parse("GET / HTTP/1.1\r\n\r\n").verdict, STI_HTTP_NOT_FOUND);
	assert_int_equal(parse("GET /metricsx HTTP/1.1\r\n\r\n").verdict, STI_HTTP_NOT_FOUND);
	assert_int_equal(parse("GET /metrics/../etc HTTP/1.1\r\n\r\n").verdict, STI_HTTP_NOT_FOUND);
	assert_int_equal(parse("POST /metrics HTTP/1.1\r\n\r\n").verdict, STI_HTTP_BAD_METHOD);
	assert_int_equal(parse("GET /metrics HTTP/2\r\n\r\n").verdict, STI_HTTP_BAD_REQUEST);
	assert_int_equal(parse("GET /metrics\r\n\r\n").verdict, STI_HTTP_BAD_REQUEST);
	assert_int_equal(parse("GET  /metrics HTTP/1.1\r\n\r\n").verdict, STI_HTTP_BAD_REQUEST);
	assert_int_equal(parse("GET /metrics HTTP/1.1\r\nno colon\r\n\r\n").verdict,
			 STI_HTTP_BAD_REQUEST);
	assert_int_equal(parse("\r\n\r\n").verdict, STI_HTTP_BAD_REQUEST);
	assert_int_equal(parse("GET /metrics HTTP/1.1\r\nHost: x\r\n").verdict,
			 STI_HTTP_INCOMPLETE);
	assert_int_equal(parse("").verdict, STI_HTTP_INCOMPLETE);
	sti_http_parse(NULL, 0, &r);
	assert_int_equal(r.verdict, STI_HTTP_INCOMPLETE);
}

static void test_http_size_cap(void **state)
{
	(void)state;
	size_t n = STI_HTTP_REQUEST_MAX + 100;
	char *big = malloc(n + 1);
	assert_non_null(big);
	memset(big, 'a', n);
	memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
	memcpy(big + n - 4, "\r\n\r\n", 4);
	big[n] = '\0';
	/* The blank line lies past the cap: too large, however much came. */
	struct sti_http_request r;
	sti_http_parse((const uint8_t *)big, n, &r);
	assert_int_equal(r.verdict, STI_HTTP_TOO_LARGE);
	sti_http_parse((const uint8_t *)big, STI_HTTP_REQUEST_MAX - 1, &r);
	assert_int_equal(r.verdict, STI_HTTP_INCOMPLETE);
	sti_http_parse((const uint8_t *)big, STI_HTTP_REQUEST_MAX, &r);
	assert_int_equal(r.verdict, STI_HTTP_TOO_LARGE);
	free(big);
}

/* The server re-parses what it has after every read: the first verdict
 * that is not INCOMPLETE, one byte at a time, is the verdict of the whole. */
static void test_http_byte_at_a_time(void **state)
{
	(void)state;
	static const char *const reqs[] = {
		"GET /metrics HTTP/1.1\r\nAccept: application/openmetrics-text\r\n\r\n",
		"HEAD /metrics HTTP/1.0\r\n\r\n",
		"GET /x HTTP/1.1\r\n\r\n",
		"PUT /metrics HTTP/1.1\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nbad\r\n\r\ntrailing",
	};
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		struct sti_http_request whole, part;
		size_t len = strlen(reqs[i]);
		sti_http_parse((const uint8_t *)reqs[i], len, &whole);
		part.verdict = STI_HTTP_INCOMPLETE;
		for (size_t k = 1; k <= len && part.verdict == STI_HTTP_INCOMPLETE; k++)
			sti_http_parse((const uint8_t *)reqs[i], k, &part);
		assert_int_equal(part.verdict, whole.verdict);
		assert_int_equal(part.head, whole.head);
		assert_int_equal(part.openmetrics, whole.openmetrics);
	}
}

static void test_listen_refused(void **state)
{
	(void)state;
	char err[512];
	struct sti_metrics *m = sti_metrics_new();
	assert_null(sti_metrics_http_start(m, "localhost:0x50", err, sizeof(err)));
	assert_string_equal(err, "--metrics-listen localhost:0x50: not ADDR:PORT or PORT "
				 "(a port from 1 to 65535)");
	assert_null(sti_metrics_http_start(m, "70000", err, sizeof(err)));
	struct sti_metrics_http *h = sti_metrics_http_start(m, "127.0.0.1:19180", err, sizeof(err));
	if (h) {   /* the port may be taken on a busy machine: then skip this part */
		assert_null(sti_metrics_http_start(m, "127.0.0.1:19180", err, sizeof(err)));
		assert_string_equal(err, "--metrics-listen 127.0.0.1:19180: Address already in use");
		sti_metrics_http_stop(h);
	}
	sti_metrics_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_and_prometheus_text),
		cmocka_unit_test(test_openmetrics_text),
		cmocka_unit_test(test_textfile_written_atomically),
		cmocka_unit_test(test_http_requests),
		cmocka_unit_test(test_http_size_cap),
		cmocka_unit_test(test_http_byte_at_a_time),
		cmocka_unit_test(test_listen_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
