/* checks_run.c - check types over run records (docs/RUN_RECORD.md):
 * runs/<run>/ladder.json and runs/<run>/<profile>/{run.json,stdout,out/}. */
#include "check.h"

#include "../core/sha256.h"

#include <stdio.h>
#include <string.h>

void ck_run_started(check_ctx *c)
{
    char buf[256];
    const char *prof = ck_profile_of(c, buf, sizeof buf);
    cJSON *r = prof ? ck_run_json(c, ck_str(c, "run"), prof) : NULL;
    if (!r) return;
    int want = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->chk, "expect"));
    int got = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "started"));
    const cJSON *outcome = cJSON_GetObjectItemCaseSensitive(r, "outcome");
    ck_verdict(c, got == want ? KT_RESULT_PASS : KT_RESULT_FAIL, "%s/%s %s%s%s", ck_str(c, "run"),
               prof, got ? "started" : "did not start", cJSON_IsString(outcome) ? ": " : "",
               cJSON_IsString(outcome) ? outcome->valuestring : "");
    cJSON_Delete(r);
}

void ck_exit_code(check_ctx *c)
{
    char buf[256];
    const char *prof = ck_profile_of(c, buf, sizeof buf);
    cJSON *r = prof ? ck_run_json(c, ck_str(c, "run"), prof) : NULL;
    if (!r) return;
    const cJSON *ec = cJSON_GetObjectItemCaseSensitive(r, "exit_code");
    long long want = ck_num(c, "expect", 0);
    if (cJSON_IsNull(ec))
        ck_verdict(c, KT_RESULT_FAIL, "%s/%s has no exit code (not started or killed)",
                   ck_str(c, "run"), prof);
    else
        ck_verdict(c, (long long)ec->valuedouble == want ? KT_RESULT_PASS : KT_RESULT_FAIL,
                   "%s/%s exited %lld (expected %lld)", ck_str(c, "run"), prof,
                   (long long)ec->valuedouble, want);
    cJSON_Delete(r);
}

void ck_canonical(check_ctx *c)
{
    char got[256];
    if (ck_canonical_of(c, ck_str(c, "run"), got, sizeof got) < 0) return;
    ck_verdict(c, !strcmp(got, ck_str(c, "expect")) ? KT_RESULT_PASS : KT_RESULT_FAIL,
               "canonical profile of %s is %s, the strictest that started (expected %s)",
               ck_str(c, "run"), got, ck_str(c, "expect"));
}

void ck_files_present(check_ctx *c)
{
    char buf[256], path[600];
    const char *prof = ck_profile_of(c, buf, sizeof buf);
    if (!prof) return;
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(c->chk, "files");
    int n = 0;
    for (const cJSON *f = files->child; f; f = f->next, n++) {
        snprintf(path, sizeof path, "runs/%s/%s/%s", ck_str(c, "run"), prof, f->valuestring);
        ck_used(c, path);
        if (!kt_ev_exists(c->ev, path)) {
            ck_verdict(c, KT_RESULT_FAIL, "%s is missing", path);
            return;
        }
    }
    ck_verdict(c, KT_RESULT_PASS, "all %d files present in runs/%s/%s", n, ck_str(c, "run"), prof);
}

void ck_report_triplet(check_ctx *c)
{
    char buf[256], base[600], path[700];
    const char *prof = ck_profile_of(c, buf, sizeof buf);
    if (!prof) return;
    snprintf(base, sizeof base, "runs/%s/%s/%s", ck_str(c, "run"), prof,
             ck_str(c, "dir") ? ck_str(c, "dir") : "out");
    static const char *const names[] = {"report.json", "report.md"};
    const char *sums;
    size_t slen;
    kt_err err;
    snprintf(path, sizeof path, "%s/report.sha256", base);
    ck_used(c, path);
    if (kt_ev_get(c->ev, path, &sums, &slen, &err) < 0) {
        ck_verdict(c, KT_RESULT_FAIL, "%s", err.msg);
        return;
    }
    /* exactly: "<hex>  report.json\n<hex>  report.md\n" (sha256sum's format) */
    char want[2 * (KT_SHA256_HEX + 16)] = "";
    for (int i = 0; i < 2; i++) {
        const char *data;
        size_t len;
        snprintf(path, sizeof path, "%s/%s", base, names[i]);
        ck_used(c, path);
        if (kt_ev_get(c->ev, path, &data, &len, &err) < 0) {
            ck_verdict(c, KT_RESULT_FAIL, "%s", err.msg);
            return;
        }
        uint8_t h[KT_SHA256_LEN];
        char hex[KT_SHA256_HEX], line[KT_SHA256_HEX + 16];
        kt_sha256(data, len, h);
        kt_hex(h, sizeof h, hex);
        snprintf(line, sizeof line, "%s  %s\n", hex, names[i]);
        strcat(want, line);
    }
    if (slen != strlen(want) || memcmp(sums, want, slen))
        ck_verdict(c, KT_RESULT_FAIL, "%s/report.sha256 does not match report.json and report.md",
                   base);
    else
        ck_verdict(c, KT_RESULT_PASS, "report.sha256 matches report.json and report.md");
}
