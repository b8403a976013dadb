#include "dsse.h"

#include "b64.h"
#include "json_canon.h"
#include "jsonb.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

int kt_dsse_pae(const char *type, const uint8_t *body, size_t n, kt_buf *out, kt_err *err)
{
    if (kt_buf_printf(out, err, "DSSEv1 %zu %s %zu ", strlen(type), type, n) < 0) return -1;
    return kt_buf_append(out, body, n, err);
}

static int by_keyid(const void *a, const void *b)
{
    return strcmp((*(const kt_dsse_sigref *const *)a)->keyid,
                  (*(const kt_dsse_sigref *const *)b)->keyid);
}

int kt_dsse_emit(const char *type, const uint8_t *payload, size_t n, const kt_dsse_sigref *sigs,
                 size_t nsigs, kt_buf *out, kt_err *err)
{
    if (nsigs == 0 || nsigs > KT_DSSE_MAX_SIGS)
        return kt_fail(err, KT_E_DATA, "an envelope has 1 to %d signatures, not %zu",
                       KT_DSSE_MAX_SIGS, nsigs);
    const kt_dsse_sigref *order[KT_DSSE_MAX_SIGS];
    for (size_t i = 0; i < nsigs; i++) {
        if (!sigs[i].keyid || sigs[i].sig_len != KT_DSSE_SIG_LEN)
            return kt_fail(err, KT_E_DATA, "signature %zu has no keyid or is not %d bytes", i,
                           KT_DSSE_SIG_LEN);
        order[i] = &sigs[i];
    }
    qsort(order, nsigs, sizeof order[0], by_keyid);
    for (size_t i = 1; i < nsigs; i++)
        if (!strcmp(order[i - 1]->keyid, order[i]->keyid))
            return kt_fail(err, KT_E_DATA, "two signatures by key %.64s", order[i]->keyid);
    char *p64 = kt_b64_encode(payload, n);
    kt_jb b;
    kt_jb_init(&b);
    if (!p64) kt_jb_item(&b, NULL, "payload", NULL); /* marks the builder failed */
    kt_jb_str(&b, b.root, "payload", p64 ? p64 : "");
    kt_jb_str(&b, b.root, "payloadType", type);
    free(p64);
    cJSON *arr = kt_jb_arr(&b, b.root, "signatures");
    for (size_t i = 0; i < nsigs; i++) {
        char *s64 = kt_b64_encode(order[i]->sig, KT_DSSE_SIG_LEN);
        cJSON *s = kt_jb_obj(&b, arr, NULL);
        kt_jb_str(&b, s, "keyid", order[i]->keyid);
        if (!s64) kt_jb_item(&b, NULL, "sig", NULL);
        kt_jb_str(&b, s, "sig", s64 ? s64 : "");
        free(s64);
    }
    cJSON *env;
    /* checked once, before a byte of the envelope is written */
    if (kt_jb_done(&b, &env, "the DSSE envelope", err) < 0) return -1;
    int rc = kt_json_emit_doc(env, out, err);
    cJSON_Delete(env);
    return rc;
}

void kt_dsse_env_free(kt_dsse_env *env)
{
    free(env->payload_type);
    free(env->payload);
    for (size_t i = 0; i < env->nsigs; i++) {
        free(env->sigs[i].keyid);
        free(env->sigs[i].sig);
    }
    memset(env, 0, sizeof *env);
}

static int only_keys(const cJSON *obj, const char *const *allowed, const char *what, kt_err *err)
{
    for (const cJSON *c = obj->child; c; c = c->next) {
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(c->string, *a) == 0) ok = 1;
        if (!ok) return kt_fail(err, KT_E_DATA, "%s: unexpected field \"%.64s\"", what, c->string);
    }
    return 0;
}

static int parse_sig(const cJSON *s, kt_dsse_sig *out, kt_err *err)
{
    static const char *const allowed[] = {"keyid", "sig", NULL};
    if (!cJSON_IsObject(s)) return kt_fail(err, KT_E_DATA, "DSSE signature is not an object");
    if (only_keys(s, allowed, "DSSE signature", err) < 0) return -1;
    const cJSON *sig = cJSON_GetObjectItemCaseSensitive(s, "sig");
    const cJSON *kid = cJSON_GetObjectItemCaseSensitive(s, "keyid");
    if (!cJSON_IsString(sig)) return kt_fail(err, KT_E_DATA, "DSSE signature has no \"sig\"");
    if (kid && !cJSON_IsString(kid))
        return kt_fail(err, KT_E_DATA, "DSSE signature \"keyid\" is not a string");
    if (kt_b64_decode(sig->valuestring, strlen(sig->valuestring), &out->sig, &out->sig_len, err) <
        0)
        return kt_fail(err, KT_E_DATA, "DSSE signature: \"sig\" is not valid base64");
    if (kid && !(out->keyid = strdup(kid->valuestring)))
        return kt_fail(err, KT_E_NOMEM, "out of memory");
    return 0;
}

int kt_dsse_parse(const char *p, size_t n, kt_dsse_env *out, kt_err *err)
{
    static const char *const allowed[] = {"payload", "payloadType", "signatures", NULL};
    memset(out, 0, sizeof *out);
    cJSON *env = NULL;
    if (kt_json_parse(p, n, "DSSE envelope", &env, err) < 0) return -1;
    int rc = -1;
    const cJSON *payload = cJSON_GetObjectItemCaseSensitive(env, "payload");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(env, "payloadType");
    const cJSON *sigs = cJSON_GetObjectItemCaseSensitive(env, "signatures");
    if (!cJSON_IsObject(env)) {
        kt_fail(err, KT_E_DATA, "DSSE envelope is not a JSON object");
        goto out;
    }
    if (only_keys(env, allowed, "DSSE envelope", err) < 0) goto out;
    if (!cJSON_IsString(payload) || !cJSON_IsString(type) || !cJSON_IsArray(sigs)) {
        kt_fail(err, KT_E_DATA,
                "DSSE envelope needs string \"payload\", string \"payloadType\" "
                "and array \"signatures\"");
        goto out;
    }
    if (kt_b64_decode(payload->valuestring, strlen(payload->valuestring), &out->payload,
                      &out->payload_len, err) < 0) {
        kt_fail(err, KT_E_DATA, "DSSE envelope: \"payload\" is not valid base64");
        goto out;
    }
    if (!(out->payload_type = strdup(type->valuestring))) {
        kt_fail(err, KT_E_NOMEM, "out of memory");
        goto out;
    }
    for (const cJSON *s = sigs->child; s; s = s->next) {
        if (out->nsigs == KT_DSSE_MAX_SIGS) {
            kt_fail(err, KT_E_LIMIT, "DSSE envelope has more than %d signatures", KT_DSSE_MAX_SIGS);
            goto out;
        }
        if (parse_sig(s, &out->sigs[out->nsigs++], err) < 0) goto out;
    }
    if (out->nsigs == 0) {
        kt_fail(err, KT_E_DATA, "DSSE envelope has no signatures");
        goto out;
    }
    rc = 0;
out:
    cJSON_Delete(env);
    if (rc < 0) kt_dsse_env_free(out);
    return rc;
}
