/* venue.h - where a run happens, from the CI's own environment, for the
 * evidence's venue.json (the policy's venue_fields check reads it).
 *
 * The CI is recognised by its marker variable and its values read from its
 * variables, under common names:
 *   github-actions  GITHUB_ACTIONS=true: repository, run_id, run_attempt, job,
 *                   commit, ref, workflow_ref, server_url, runner_os,
 *                   runner_arch, runner_environment (GITHUB_*, RUNNER_*)
 *   gitlab-ci       GITLAB_CI=true: repository, run_id (pipeline), job, commit,
 *                   ref, server_url, runner_arch (CI_*)
 *   buildkite       BUILDKITE=true: repository, run_id, job, commit, ref
 *   jenkins         JENKINS_URL set: run_id (BUILD_TAG), job, commit (GIT_COMMIT),
 *                   ref (GIT_BRANCH), server_url
 *   local           none of them
 * as {"ci": NAME, FIELD: VALUE...}. A value is taken only when it is valid
 * UTF-8 without control characters and under 512 bytes (else left out). */
#ifndef KT_VENUE_H
#define KT_VENUE_H

#include "jsonb.h"

#include <cjson/cJSON.h>

/* Add the venue's fields to the object obj of builder b. */
void kt_venue_build(kt_jb *b, cJSON *obj);

/* 1 if a --set value would be taken (the same rule as above). */
int kt_venue_value_ok(const char *v);

#endif
