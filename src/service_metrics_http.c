/*
 * service_metrics_http.c - GET /metrics over HTTP/1.x: the request parser and a
 * one-connection-at-a-time server thread.
 */
#define _GNU_SOURCE   /* accept4, pipe2 */
#include "sti/service_metrics_http.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "sti/rd.h"

/* ---- the parser ---- */

/* The next line (without its LF and a CR before it) into line; false when
 * r holds no LF. */
static bool next_line(struct sti_rd *r, struct sti_rd *line)
{
	struct sti_rd scan = *r;
	size_t n = 0;
	uint8_t c;
	while (sti_rd_u8(&scan, &c)) {
		if (c == '\n') {
			if (!sti_rd_sub(r, n, line) || !sti_rd_skip(r, 1))
				return false;
			if (line->n && line->p[line->n - 1] == '\r')
				line->n--;
			return true;
		}
		n++;
	}
	return false;
}

/* The next space-separated word of line. */
static bool next_word(struct sti_rd *line, struct sti_rd *word)
{
	size_t n = 0;
	while (n < line->n && line->p[n] != ' ')
		n++;
	if (!sti_rd_sub(line, n, word))
		return false;
	if (!sti_rd_empty(line) && !sti_rd_skip(line, 1))
		return false;
	return true;
}

static bool word_is(const struct sti_rd *w, const char *s)
{
	return w->n == strlen(s) && memcmp(w->p, s, w->n) == 0;
}

static bool contains(const struct sti_rd *r, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = 0; k <= r->n && i <= r->n - k; i++)
		if (strncasecmp((const char *)r->p + i, needle, k) == 0)
			return true;
	return false;
}

/* "GET /metrics HTTP/1.1": the verdict of the request line alone. */
static enum sti_http_verdict request_line(struct sti_rd line, struct sti_http_request *out)
{
	struct sti_rd method, target, version;
	if (!next_word(&line, &method) || !next_word(&line, &target) ||
	    !next_word(&line, &version) || !sti_rd_empty(&line) || !method.n || !target.n)
		return STI_HTTP_BAD_REQUEST;
	if (!word_is(&version, "HTTP/1.1") && !word_is(&version, "HTTP/1.0"))
		return STI_HTTP_BAD_REQUEST;
	out->head = word_is(&method, "HEAD");
	if (!out->head && !word_is(&method, "GET"))
		return STI_HTTP_BAD_METHOD;
	/* "/metrics", with a query string or not (Prometheus adds none) */
	static const char path[] = "/metrics";
	size_t n = sizeof(path) - 1;
	if (target.n < n || memcmp(target.p, path, n) != 0 || (target.n > n && target.p[n] != '?'))
		return STI_HTTP_NOT_FOUND;
	return STI_HTTP_METRICS;
}

/* One header line: "Name: value". */
static bool header(struct sti_rd line, struct sti_http_request *out)
{
	size_t colon = 0;
	while (colon < line.n && line.p[colon] != ':')
		colon++;
	if (colon == 0 || colon == line.n)
		return false;
	struct sti_rd name;
	if (!sti_rd_sub(&line, colon, &name) || !sti_rd_skip(&line, 1))
		return false;
	if (name.n == 6 && strncasecmp((const char *)name.p, "accept", 6) == 0 &&
	    contains(&line, "application/openmetrics-text"))
		out->openmetrics = true;
	return true;
}

void sti_http_parse(const uint8_t *buf, size_t len, struct sti_http_request *out)
{
	memset(out, 0, sizeof(*out));
	struct sti_rd r = sti_rd_init(buf, len < STI_HTTP_REQUEST_MAX ? len : STI_HTTP_REQUEST_MAX);
	struct sti_rd line;
	bool first = true, bad_header = false;
	enum sti_http_verdict v = STI_HTTP_BAD_REQUEST;
	/* Decided only at the blank line: a verdict never depends on where
	 * the bytes were split. */
	while (next_line(&r, &line)) {
		if (first) {
			v = request_line(line, out);
			first = false;
			continue;
		}
		if (sti_rd_empty(&line)) {
			out->verdict = bad_header && v == STI_HTTP_METRICS ? STI_HTTP_BAD_REQUEST : v;
			return;
		}
		if (!header(line, out))
			bad_header = true;
	}
	out->verdict = len >= STI_HTTP_REQUEST_MAX ? STI_HTTP_TOO_LARGE : STI_HTTP_INCOMPLETE;
}

/* ---- the server ---- */

struct sti_metrics_http {
	struct sti_metrics *m;
	int listen_fd;
	int stop_pipe[2];
	pthread_t thread;
};

static void send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;   /* the client went away or stalled: its loss */
		p += w;
		n -= (size_t)w;
	}
}

static void respond_error(int fd, enum sti_http_verdict v)
{
	static const struct { enum sti_http_verdict v; const char *status, *extra, *body; } errs[] = {
		{ STI_HTTP_NOT_FOUND, "404 Not Found", "", "only /metrics is served\n" },
		{ STI_HTTP_BAD_METHOD, "405 Method Not Allowed", "Allow: GET, HEAD\r\n",
		  "only GET and HEAD\n" },
		{ STI_HTTP_TOO_LARGE, "431 Request Header Fields Too Large", "",
		  "request too large\n" },
		{ STI_HTTP_BAD_REQUEST, "400 Bad Request", "", "bad request\n" },
	};
	size_t i = 0;
	while (i + 1 < sizeof(errs) / sizeof(errs[0]) && errs[i].v != v)
		i++;
	char head[512];
	int n = snprintf(head, sizeof(head), "HTTP/1.1 %s\r\n%sContent-Type: text/plain; "
			 "charset=utf-8\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
			 errs[i].status, errs[i].extra, strlen(errs[i].body), errs[i].body);
	if (n > 0 && (size_t)n < sizeof(head))
		send_all(fd, head, (size_t)n);
}

static void respond_metrics(struct sti_metrics_http *h, int fd,
			    const struct sti_http_request *req)
{
	char *body = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&body, &len);
	if (!out)
		return;
	struct sti_metrics_counts c;
	sti_metrics_snapshot(h->m, &c);
	enum sti_metrics_format f = req->openmetrics ? STI_METRICS_OPENMETRICS
						     : STI_METRICS_PROMETHEUS;
	sti_metrics_render(&c, f, out);
	if (fclose(out) == 0) {
		char head[256];
		int n = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n"
				 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
				 req->openmetrics ? STI_METRICS_OPENMETRICS_TYPE
						  : STI_METRICS_PROMETHEUS_TYPE, len);
		if (n > 0 && (size_t)n < sizeof(head))
			send_all(fd, head, (size_t)n);
		if (!req->head)
			send_all(fd, body, len);
	}
	free(body);
}

/* One connection: read until the request is decided, the cap, the
 * timeout or the end; answer; close. */
static void serve(struct sti_metrics_http *h, int fd)
{
	uint8_t buf[STI_HTTP_REQUEST_MAX];
	size_t used = 0;
	struct sti_http_request req = { .verdict = STI_HTTP_INCOMPLETE };
	struct timeval tv = { .tv_sec = STI_HTTP_TIMEOUT_S };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (req.verdict == STI_HTTP_INCOMPLETE && used < sizeof(buf)) {
		ssize_t n = recv(fd, buf + used, sizeof(buf) - used, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;   /* gone, or too slow: nothing to answer */
		used += (size_t)n;
		sti_http_parse(buf, used, &req);
	}
	if (req.verdict == STI_HTTP_METRICS)
		respond_metrics(h, fd, &req);
	else
		respond_error(fd, req.verdict);
}

static void *http_main(void *arg)
{
	struct sti_metrics_http *h = arg;
	struct pollfd p[2] = {
		{ .fd = h->listen_fd, .events = POLLIN },
		{ .fd = h->stop_pipe[0], .events = POLLIN },
	};
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		int fd = accept4(h->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		serve(h, fd);
		close(fd);
	}
	return NULL;
}

/* "HOST:PORT", "[V6]:PORT" or "PORT" into host and port strings. */
static bool split_listen(const char *text, char *host, size_t hlen, char *port, size_t plen)
{
	const char *colon = strrchr(text, ':');
	const char *p = colon ? colon + 1 : text;
	size_t h = colon ? (size_t)(colon - text) : 0;
	const char *hs = text;
	if (h >= 2 && text[0] == '[' && text[h - 1] == ']') {
		hs++;
		h -= 2;
	}
	if (!*p || strspn(p, "0123456789") != strlen(p) || strlen(p) >= plen || h >= hlen)
		return false;
	if (h)
		memcpy(host, hs, h);
	host[h] = '\0';
	if (!h)
		snprintf(host, hlen, "%s", STI_HTTP_DEFAULT_HOST);
	snprintf(port, plen, "%s", p);
	return atoi(port) > 0 && atoi(port) <= 65535;
}

static int bind_listen(const char *text, char *err, size_t errlen)
{
	char host[256], port[8];
	if (!split_listen(text, host, sizeof(host), port, sizeof(port))) {
		snprintf(err, errlen, "--metrics-listen %s: not ADDR:PORT or PORT (a port from "
			 "1 to 65535)", text);
		return -1;
	}
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	int rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0) {
		snprintf(err, errlen, "--metrics-listen %s: %s", text, gai_strerror(rc));
		return -1;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 4) != 0) {
		snprintf(err, errlen, "--metrics-listen %s: %s", text, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

struct sti_metrics_http *sti_metrics_http_start(struct sti_metrics *m, const char *listen_at,
						char *err, size_t errlen)
{
	struct sti_metrics_http *h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "--metrics-listen %s: out of memory", listen_at);
		return NULL;
	}
	h->m = m;
	h->listen_fd = bind_listen(listen_at, err, errlen);
	if (h->listen_fd < 0) {
		free(h);
		return NULL;
	}
	if (pipe2(h->stop_pipe, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "--metrics-listen %s: %s", listen_at, strerror(errno));
		close(h->listen_fd);
		free(h);
		return NULL;
	}
	int rc = pthread_create(&h->thread, NULL, http_main, h);
	if (rc != 0) {
		snprintf(err, errlen, "--metrics-listen %s: cannot start: %s", listen_at,
			 strerror(rc));
		close(h->stop_pipe[0]);
		close(h->stop_pipe[1]);
		close(h->listen_fd);
		free(h);
		return NULL;
	}
	return h;
}

void sti_metrics_http_stop(struct sti_metrics_http *h)
{
	if (!h)
		return;
	ssize_t w;
	do
		w = write(h->stop_pipe[1], "x", 1);
	while (w < 0 && errno == EINTR);
	pthread_join(h->thread, NULL);
	close(h->stop_pipe[0]);
	close(h->stop_pipe[1]);
	close(h->listen_fd);
	free(h);
}
