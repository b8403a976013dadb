#include "trust.h"

#include "../core/fsutil.h"
#include "../core/json_canon.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int kt_parse_rfc3339(const char *s, int64_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (!end || *end || strlen(s) != 20) return -1;
    struct tm check = tm;
    time_t t = timegm(&tm);
    /* no 2026-02-31: the date must survive the round trip */
    if (tm.tm_mday != check.tm_mday || tm.tm_mon != check.tm_mon) return -1;
    *out = (int64_t)t;
    return 0;
}

static int add_key(kt_trust *t, const kt_pubkey *pub, const char *what, kt_err *err)
{
    if (t->nkeys == KT_TRUST_MAX_KEYS)
        return kt_fail(err, KT_E_USAGE, "%s: more than %d trusted keys", what, KT_TRUST_MAX_KEYS);
    for (size_t i = 0; i < t->nkeys; i++)
        if (!strcmp(t->keys[i].pub.keyid, pub->keyid))
            return kt_fail(err, KT_E_USAGE, "%s: key %s is given twice", what, pub->keyid);
    kt_trusted_key *k = &t->keys[t->nkeys++];
    memset(k, 0, sizeof *k);
    k->pub = *pub;
    k->not_before = INT64_MIN;
    k->not_after = INT64_MAX;
    k->revoked_at = INT64_MAX;
    return 0;
}

int kt_trust_add_keyfile(kt_trust *t, const char *path, kt_err *err)
{
    kt_pubkey pub;
    if (kt_pubkey_load(path, &pub, err) < 0) return -1;
    if (add_key(t, &pub, path, err) < 0) return -1;
    t->keys[t->nkeys - 1].file = path;
    return 0;
}

static int time_field(const cJSON *key, const char *field, int64_t dflt, int64_t *out,
                      const char *what, int i, kt_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(key, field);
    if (!v) {
        *out = dflt;
        return 0;
    }
    if (!cJSON_IsString(v) || kt_parse_rfc3339(v->valuestring, out) < 0)
        return kt_fail(err, KT_E_USAGE, "%s: keys[%d].%s must be a time like 2026-05-01T00:00:00Z",
                       what, i, field);
    return 0;
}

static int only_fields(const cJSON *o, const char *const *ok, const char *what, kt_err *err)
{
    for (const cJSON *c = o->child; c; c = c->next) {
        int known = 0;
        for (const char *const *k = ok; *k; k++) known |= !strcmp(*k, c->string);
        if (!known) return kt_fail(err, KT_E_USAGE, "%s: unknown field \"%.64s\"", what, c->string);
    }
    return 0;
}

static int parse_key(kt_trust *t, const cJSON *key, const char *what, int i, kt_err *err)
{
    static const char *const fields[] = {"name",      "public_key", "not_before",
                                         "not_after", "revoked_at", NULL};
    char where[300];
    snprintf(where, sizeof where, "%s: keys[%d]", what, i);
    if (!cJSON_IsObject(key)) return kt_fail(err, KT_E_USAGE, "%s is not an object", where);
    if (only_fields(key, fields, where, err) < 0) return -1;
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(key, "name");
    const cJSON *pem = cJSON_GetObjectItemCaseSensitive(key, "public_key");
    if (!cJSON_IsString(name) || !*name->valuestring || strlen(name->valuestring) > 63)
        return kt_fail(err, KT_E_USAGE, "%s: \"name\" must be 1-63 characters", where);
    if (!cJSON_IsString(pem))
        return kt_fail(err, KT_E_USAGE, "%s: \"public_key\" must be SPKI PEM text", where);
    kt_pubkey pub;
    int64_t nb, na, rv;
    if (kt_pubkey_from_pem(pem->valuestring, strlen(pem->valuestring), where, &pub, err) < 0) {
        err->cls = KT_E_USAGE;
        return -1;
    }
    if (time_field(key, "not_before", INT64_MIN, &nb, what, i, err) < 0 ||
        time_field(key, "not_after", INT64_MAX, &na, what, i, err) < 0 ||
        time_field(key, "revoked_at", INT64_MAX, &rv, what, i, err) < 0)
        return -1;
    if (nb > na) return kt_fail(err, KT_E_USAGE, "%s: not_before is after not_after", where);
    if (add_key(t, &pub, where, err) < 0) return -1;
    kt_trusted_key *k = &t->keys[t->nkeys - 1];
    snprintf(k->name, sizeof k->name, "%s", name->valuestring);
    k->not_before = nb;
    k->not_after = na;
    k->revoked_at = rv;
    return 0;
}

int kt_trust_parse(kt_trust *t, const char *bytes, size_t n, const char *what, kt_err *err)
{
    static const char *const fields[] = {"kiemthuTrust", "threshold", "keys", "tsa_certs", NULL};
    cJSON *doc = NULL;
    if (kt_json_parse(bytes, n, what, &doc, err) < 0) {
        err->cls = KT_E_USAGE;
        return -1;
    }
    int rc = -1;
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(doc, "kiemthuTrust");
    const cJSON *thr = cJSON_GetObjectItemCaseSensitive(doc, "threshold");
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(doc, "keys");
    const cJSON *tsa = cJSON_GetObjectItemCaseSensitive(doc, "tsa_certs");
    if (!cJSON_IsObject(doc) || !cJSON_IsNumber(ver) || ver->valuedouble != 1) {
        kt_fail(err, KT_E_USAGE, "%s: a keyring is an object with \"kiemthuTrust\": 1", what);
    } else if (only_fields(doc, fields, what, err) < 0) {
    } else if (!cJSON_IsArray(keys) || !keys->child) {
        kt_fail(err, KT_E_USAGE, "%s: \"keys\" must be a non-empty array", what);
    } else if (thr && (!cJSON_IsNumber(thr) || thr->valuedouble < 1 || thr->valuedouble > 64 ||
                       thr->valuedouble != (int)thr->valuedouble)) {
        kt_fail(err, KT_E_USAGE, "%s: \"threshold\" must be an integer from 1 to 64", what);
    } else if (tsa && !cJSON_IsArray(tsa)) {
        kt_fail(err, KT_E_USAGE, "%s: \"tsa_certs\" must be an array of PEM texts", what);
    } else {
        rc = 0;
        int i = 0;
        for (const cJSON *k = keys->child; rc == 0 && k; k = k->next, i++)
            rc = parse_key(t, k, what, i, err);
        for (const cJSON *c = tsa ? tsa->child : NULL; rc == 0 && c; c = c->next) {
            rc = cJSON_IsString(c)
                     ? kt_tsa_certs_add(&t->tsa, c->valuestring, strlen(c->valuestring), what, err)
                     : kt_fail(err, KT_E_USAGE, "%s: a tsa_certs entry is not text", what);
            if (rc < 0) err->cls = KT_E_USAGE;
        }
        if (rc == 0 && thr) t->threshold = (unsigned)thr->valuedouble;
    }
    cJSON_Delete(doc);
    return rc;
}

int kt_trust_load(kt_trust *t, const char *path, kt_err *err)
{
    char *buf;
    size_t n;
    if (kt_read_file(path, KT_TRUST_MAX, &buf, &n, err) < 0) return -1;
    int rc = kt_trust_parse(t, buf, n, path, err);
    free(buf);
    return rc;
}

int kt_trust_add_tsa_file(kt_trust *t, const char *path, kt_err *err)
{
    char *buf;
    size_t n;
    if (kt_read_file(path, 1u << 20, &buf, &n, err) < 0) return -1;
    int rc = kt_tsa_certs_add(&t->tsa, buf, n, path, err);
    free(buf);
    return rc;
}

void kt_trust_free(kt_trust *t)
{
    kt_tsa_certs_free(t->tsa);
    t->tsa = NULL;
}
