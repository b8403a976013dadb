/* libFuzzer: the policy parser, and evaluation over a small evidence set. */
#include "../../policy/policy.h"

#include <stdlib.h>
#include <string.h>

#define H64(c) c c c c c c c c c c c c c c c c
#define H0 H64("0000")
#define H1 H64("1111")
#define H4 H64("4444")

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    kt_err err;
    kt_policy *p = NULL;
    if (kt_policy_parse((const char *)data, n, "p", &p, &err) < 0) return 0;
    kt_evidence ev;
    kt_ev_init_mem(&ev);
    static const char *const files[][2] = {
        {"runs/r/ladder.json",
         "{\"attempts\":[{\"attempted\":true,\"profile\":\"s\"}],\"canonical\":\"s\"}"},
        {"runs/r/s/run.json",
         "{\"started\":true,\"exit_code\":0,\"profile\":\"s\",\"image_digest\":\"sha256:" H0
         "\",\"profile_sha256\":\"" H1 "\",\"baseline\":{\"name\":\"b\",\"sha256\":\"" H4
         "\"},\"limits\":{\"pids\":{\"hit\":false},\"memory\":{\"hit\":null},"
         "\"memory_swap\":{\"hit\":true},\"cpus\":{}}}"},
        {"runs/r/s/stdout", "{\"probes\":[{\"id\":\"a\",\"expect\":1,\"observed\":1,\"pass\":true},"
                            "{\"id\":\"b\",\"expect\":1,\"observed\":1,\"pass\":true}]"
                            ",\"passed\":2,\"total\":2}"},
        {"venue.json", "{\"ci\":\"x\"}"},
        {"t.xml", "<testsuite tests=\"1\"><testcase/></testsuite>"},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        kt_ev_add(&ev, files[i][0], strdup(files[i][1]), strlen(files[i][1]), strlen(files[i][1]),
                  &err);
    kt_adjudication a;
    if (kt_policy_eval(p, &ev, &a, &err) == 0) {
        cJSON *j = NULL;
        if (kt_adjudication_json(p, &a, &j, &err) == 0) kt_adjudication_compare(j, p, &a, &err);
        cJSON_Delete(j);
        kt_adjudication_free(&a);
    }
    kt_ev_free(&ev);
    kt_policy_free(p);
    return 0;
}
