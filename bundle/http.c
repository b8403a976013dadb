#include "http.h"

#include <curl/curl.h>
#include <string.h>
#include <strings.h>

struct sink {
    kt_buf *b;
    int too_big;
};

static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
    struct sink *s = arg;
    size_t n = size * nmemb;
    if (kt_buf_append(s->b, p, n, NULL) < 0) {
        s->too_big = 1;
        return 0; /* curl stops with CURLE_WRITE_ERROR */
    }
    return n;
}

int kt_http_tsa(const char *url, const uint8_t *req, size_t n, size_t max, kt_buf *resp,
                kt_err *err)
{
    if (strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8))
        return kt_fail(err, KT_E_USAGE, "--tsa %s: the URL must be http:// or https://", url);
    static int inited;
    if (!inited && curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
        return kt_fail(err, KT_E_INTERNAL, "cannot initialise libcurl");
    inited = 1;
    CURL *c = curl_easy_init();
    struct curl_slist *hdrs = NULL;
    hdrs = curl_slist_append(hdrs, "Content-Type: application/timestamp-query");
    hdrs = curl_slist_append(hdrs, "Accept: application/timestamp-reply");
    if (!c || !hdrs) {
        curl_slist_free_all(hdrs);
        curl_easy_cleanup(c);
        return kt_fail(err, KT_E_NOMEM, "out of memory");
    }
    kt_buf_init(resp, max);
    struct sink s = {resp, 0};
    char why[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)req);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)n);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, why);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    char *type = NULL;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type);
    int ok = -1;
    if (s.too_big)
        kt_fail(err, KT_E_DATA, "TSA %s: the answer is larger than %zu bytes", url, max);
    else if (rc != CURLE_OK)
        kt_fail(err, KT_E_IO, "TSA %s: %s", url, *why ? why : curl_easy_strerror(rc));
    else if (status != 200)
        kt_fail(err, KT_E_DATA, "TSA %s answered HTTP %ld", url, status);
    else if (!type || strncasecmp(type, "application/timestamp-reply", 27))
        kt_fail(err, KT_E_DATA,
                "TSA %s answered Content-Type %.64s, not application/timestamp-reply", url,
                type ? type : "(none)");
    else
        ok = 0;
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    if (ok < 0) kt_buf_free(resp);
    return ok;
}
