/*
 * service_metrics_http.h - the --metrics-listen endpoint: HTTP/1.x GET (or HEAD)
 * /metrics and nothing else, one connection at a time, from a thread of its
 * own so a slow or hostile client never holds up the capture.
 *
 * The request is untrusted input: it is read into a fixed buffer of
 * STI_HTTP_REQUEST_MAX bytes and parsed by sti_http_parse(), a pure
 * function of the bytes received so far (fuzz/fuzz_http.c).
 */
#ifndef STI_SERVICE_METRICS_HTTP_H
#define STI_SERVICE_METRICS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sti/service_metrics.h"

#define STI_HTTP_REQUEST_MAX 4096   /* request line and headers */
#define STI_HTTP_TIMEOUT_S 2        /* to send the request, or take the answer */
#define STI_HTTP_DEFAULT_HOST "127.0.0.1"

enum sti_http_verdict {
	STI_HTTP_INCOMPLETE,    /* no blank line yet: read more */
	STI_HTTP_METRICS,       /* 200 with the metrics */
	STI_HTTP_NOT_FOUND,     /* 404: another path */
	STI_HTTP_BAD_METHOD,    /* 405: not GET or HEAD */
	STI_HTTP_BAD_REQUEST,   /* 400: not HTTP/1.0 or 1.1, a header without ':' */
	STI_HTTP_TOO_LARGE      /* 431: no end of headers within the cap */
};

struct sti_http_request {
	enum sti_http_verdict verdict;
	bool head;              /* HEAD: headers only */
	bool openmetrics;       /* Accept names application/openmetrics-text */
};

/*
 * The request in buf[0..len) (all the bytes received so far). Only the
 * first STI_HTTP_REQUEST_MAX bytes are looked at; the verdict is
 * INCOMPLETE until they hold the blank line that ends the headers, and
 * never changes once it is something else, however the bytes were split.
 */
void sti_http_parse(const uint8_t *buf, size_t len, struct sti_http_request *out);

struct sti_metrics_http;

/*
 * Listen on "HOST:PORT", "[IPv6]:PORT" or "PORT" (host 127.0.0.1) and
 * serve m. NULL with err set ("--metrics-listen TEXT: why") when the text
 * is not an address or the port cannot be bound (in use, privileged).
 */
struct sti_metrics_http *sti_metrics_http_start(struct sti_metrics *m, const char *listen,
						char *err, size_t errlen);
void sti_metrics_http_stop(struct sti_metrics_http *h);

#endif /* STI_SERVICE_METRICS_HTTP_H */
