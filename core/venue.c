#include "venue.h"

#include "json_canon.h"

#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS 12

typedef struct ci {
    const char *name, *marker, *marker_value; /* marker_value NULL: any non-empty value */
    const char *fields[MAX_FIELDS][2];        /* {field, variable} */
} ci;

static const ci cis[] = {
    {"github-actions",
     "GITHUB_ACTIONS",
     "true",
     {{"repository", "GITHUB_REPOSITORY"},
      {"run_id", "GITHUB_RUN_ID"},
      {"run_attempt", "GITHUB_RUN_ATTEMPT"},
      {"job", "GITHUB_JOB"},
      {"commit", "GITHUB_SHA"},
      {"ref", "GITHUB_REF"},
      {"workflow_ref", "GITHUB_WORKFLOW_REF"},
      {"server_url", "GITHUB_SERVER_URL"},
      {"runner_os", "RUNNER_OS"},
      {"runner_arch", "RUNNER_ARCH"},
      {"runner_environment", "RUNNER_ENVIRONMENT"}}},
    {"gitlab-ci",
     "GITLAB_CI",
     "true",
     {{"repository", "CI_PROJECT_PATH"},
      {"run_id", "CI_PIPELINE_ID"},
      {"job", "CI_JOB_ID"},
      {"commit", "CI_COMMIT_SHA"},
      {"ref", "CI_COMMIT_REF_NAME"},
      {"server_url", "CI_SERVER_URL"},
      {"runner_arch", "CI_RUNNER_EXECUTABLE_ARCH"}}},
    {"buildkite",
     "BUILDKITE",
     "true",
     {{"repository", "BUILDKITE_REPO"},
      {"run_id", "BUILDKITE_BUILD_ID"},
      {"job", "BUILDKITE_JOB_ID"},
      {"commit", "BUILDKITE_COMMIT"},
      {"ref", "BUILDKITE_BRANCH"}}},
    {"jenkins",
     "JENKINS_URL",
     NULL,
     {{"run_id", "BUILD_TAG"},
      {"job", "JOB_NAME"},
      {"commit", "GIT_COMMIT"},
      {"ref", "GIT_BRANCH"},
      {"server_url", "JENKINS_URL"}}},
};

int kt_venue_value_ok(const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n >= 512 || !kt_utf8_valid(v, n)) return 0;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)) return 0;
    return 1;
}

void kt_venue_build(kt_jb *b, cJSON *obj)
{
    for (size_t i = 0; i < sizeof cis / sizeof cis[0]; i++) {
        const char *m = getenv(cis[i].marker);
        if (!m || !*m || (cis[i].marker_value && strcmp(m, cis[i].marker_value) != 0)) continue;
        kt_jb_str(b, obj, "ci", cis[i].name);
        for (size_t k = 0; k < MAX_FIELDS && cis[i].fields[k][0]; k++) {
            const char *v = getenv(cis[i].fields[k][1]);
            if (v && kt_venue_value_ok(v)) kt_jb_str(b, obj, cis[i].fields[k][0], v);
        }
        return;
    }
    kt_jb_str(b, obj, "ci", "local");
}
