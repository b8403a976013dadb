/* libFuzzer: DSSE envelope parsing, canonical JSON, and the Statement check. */
#include "../../core/dsse.h"
#include "../../core/json_canon.h"
#include "../../core/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    kt_err err;
    kt_dsse_env env;
    if (kt_dsse_parse((const char *)data, n, &env, &err) == 0) kt_dsse_env_free(&env);
    cJSON *st = NULL;
    if (kt_json_parse_canonical((const char *)data, n, "m", &st, &err) == 0) {
        kt_subject s = {.name = "evidence/a", .size = 1};
        kt_manifest_check(st, &s, 1, 0, &err);
        cJSON_Delete(st);
    }
    return 0;
}
