/* http.h - one HTTP(S) POST to a Time-Stamp Authority (libcurl): the
 * request body, Content-Type application/timestamp-query; the answer must be
 * 200 with Content-Type application/timestamp-reply and at most max bytes.
 * Only http and https, no redirects, a 30 s limit; https uses the system's CA
 * store (what the answer says is judged later, by its signature). */
#ifndef KT_HTTP_H
#define KT_HTTP_H

#include "../core/buf.h"
#include "../core/err.h"

#include <stddef.h>
#include <stdint.h>

int kt_http_tsa(const char *url, const uint8_t *req, size_t n, size_t max, kt_buf *resp,
                kt_err *err);

#endif
