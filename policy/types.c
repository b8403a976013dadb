/* types.c - the check types: name, parameters, what passes, an example, and
 * the function that evaluates it. docs/POLICY.md and `kiemthu-bundle
 * check-policy --help` are written from this table. */
#include "check.h"

#include <stdio.h>
#include <string.h>

/* A made-up pin for the examples: any 64 lowercase hex digits. */
#define EX_HEX "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define CK(name, params, summary, example, fn)                                                     \
    {                                                                                              \
        {name, params, summary, example}, fn                                                       \
    }

static const kt_check_type types[] = {
    CK("run_started", "run:s profile:s expect:b", "run.json's \"started\" equals expect",
       "{\"id\": \"b4-strict-not-started\", \"type\": \"run_started\", \"run\": \"probe\", "
       "\"profile\": \"seccomp-deny-by-default\", \"expect\": false, \"description\": \"...\"}",
       ck_run_started),
    CK("exit_code", "run:s profile:s expect:i",
       "the run exited with expect (killed or not started: fail)",
       "{\"id\": \"p23-mvp-exit\", \"type\": \"exit_code\", \"run\": \"mvp\", \"profile\": "
       "\"@canonical\", \"expect\": 0, \"description\": \"...\"}",
       ck_exit_code),
    CK("canonical_profile", "run:s expect:s",
       "the canonical profile, re-derived from the run records, is expect",
       "{\"id\": \"b4-canonical\", \"type\": \"canonical_profile\", \"run\": \"probe\", "
       "\"expect\": \"seccomp-startup-safe\", \"description\": \"...\"}",
       ck_canonical),
    CK("probe_report", "run:s profile:s min_probes:i file:s?",
       "a consistent probe report, every probe passes, at least min_probes",
       "{\"id\": \"b4-probes-pass\", \"type\": \"probe_report\", \"run\": \"probe\", "
       "\"profile\": \"@canonical\", \"min_probes\": 20, \"description\": \"...\"}",
       ck_probe_report),
    CK("probe_ids", "run:s profile:s ids:u file:s?",
       "the probe report lists exactly these probe ids, each once",
       "{\"id\": \"b4-probe-ids\", \"type\": \"probe_ids\", \"run\": \"probe\", \"profile\": "
       "\"@canonical\", \"ids\": [\"uid\", \"gid\", \"no-new-privs\"], \"description\": \"...\"}",
       ck_probe_ids),
    CK("run_profiles_pinned", "run:s profiles:m",
       "every attempted profile of the run is pinned, and its run.json profile_sha256 is the pin",
       "{\"id\": \"b4-profiles-pinned\", \"type\": \"run_profiles_pinned\", \"run\": \"probe\", "
       "\"profiles\": {\"seccomp-startup-safe\": \"" EX_HEX "\"}, \"description\": \"...\"}",
       ck_run_profiles_pinned),
    CK("run_baseline", "run:s sha256:h?",
       "every attempt ran with the baseline filter (not \"none\"), whose sha256 is the pin",
       "{\"id\": \"b4-baseline\", \"type\": \"run_baseline\", \"run\": \"probe\", \"sha256\": "
       "\"" EX_HEX "\", \"description\": \"...\"}",
       ck_run_baseline),
    CK("run_filter_checked", "run:s min_points:i?",
       "every filter an attempt compiled was checked against its rules (at least min_points, "
       "default 1) before anything ran under it",
       "{\"id\": \"b4-filter-checked\", \"type\": \"run_filter_checked\", \"run\": \"probe\", "
       "\"description\": \"...\"}",
       ck_run_filter_checked),
    CK("image_pinned", "run:s digest:d", "every attempt of the run ran the image with this digest",
       "{\"id\": \"b4-image-pinned\", \"type\": \"image_pinned\", \"run\": \"probe\", "
       "\"digest\": \"sha256:" EX_HEX "\", \"description\": \"...\"}",
       ck_image_pinned),
    CK("image_digest_consistent", "run:s pinned:d?",
       "every attempt of the run records the same image_digest (and it is pinned, if given)",
       "{\"id\": \"b4-image\", \"type\": \"image_digest_consistent\", \"run\": \"probe\", "
       "\"description\": \"...\"}",
       ck_image_digest),
    CK("limit_not_hit", "run:s profile:s limits:l",
       "run.json says none of these limits was hit (unknowable: error)",
       "{\"id\": \"p23-mvp-limits\", \"type\": \"limit_not_hit\", \"run\": \"mvp\", \"profile\": "
       "\"@canonical\", \"limits\": [\"pids\", \"memory\"], \"description\": \"...\"}",
       ck_limit_not_hit),
    CK("files_present", "run:s profile:s files:a", "each runs/<run>/<profile>/<file> exists",
       "{\"id\": \"p23-mvp-outputs\", \"type\": \"files_present\", \"run\": \"mvp\", \"profile\": "
       "\"@canonical\", \"files\": [\"out/report.json\"], \"description\": \"...\"}",
       ck_files_present),
    CK("report_triplet", "run:s profile:s dir:s?",
       "<dir>/report.sha256 is exactly sha256sum of report.json and report.md",
       "{\"id\": \"p23-mvp-triplet\", \"type\": \"report_triplet\", \"run\": \"mvp\", "
       "\"profile\": \"@canonical\", \"description\": \"...\"}",
       ck_report_triplet),
    CK("json_field", "file:s pointer:s equals:j",
       "the value at the RFC 6901 pointer equals equals (canonical JSON)",
       "{\"id\": \"p23-report-verdict\", \"type\": \"json_field\", \"file\": "
       "\"runs/mvp/seccomp-startup-safe/out/report.json\", \"pointer\": \"/verdict\", "
       "\"equals\": \"PASS\", \"description\": \"...\"}",
       ck_json_field),
    CK("profile_sha256", "file:s sha256:h", "the evidence file's sha256 is the pinned value",
       "{\"id\": \"profile-safe-hash\", \"type\": \"profile_sha256\", \"file\": "
       "\"profiles/seccomp-startup-safe.json\", \"sha256\": \"" EX_HEX
       "\", \"description\": \"...\"}",
       ck_profile_sha256),
    CK("junit", "file:s min_tests:i max_failures:i? max_errors:i?",
       "JUnit XML with at least min_tests cases, at most max_failures / max_errors (default 0)",
       "{\"id\": \"p23-tests\", \"type\": \"junit\", \"file\": \"tests/junit.xml\", "
       "\"min_tests\": 5, \"description\": \"...\"}",
       ck_junit),
    CK("guard_passed", "file:s", "the capability guard's JSON says pass with no violations",
       "{\"id\": \"p23-guard\", \"type\": \"guard_passed\", \"file\": \"guard/guard.json\", "
       "\"description\": \"...\"}",
       ck_guard),
    CK("venue_fields", "file:s fields:a", "each field is a non-empty string or an integer",
       "{\"id\": \"venue\", \"type\": \"venue_fields\", \"file\": \"venue.json\", \"fields\": "
       "[\"ci\", \"run_id\", \"commit\"], \"description\": \"...\"}",
       ck_venue),
};

#define NTYPES (sizeof types / sizeof types[0])

const kt_check_type *kt_check_type_of(const char *name)
{
    for (size_t i = 0; i < NTYPES; i++)
        if (!strcmp(types[i].info.name, name)) return &types[i];
    return NULL;
}

const kt_check_info *kt_policy_check_type(size_t i)
{
    return i < NTYPES ? &types[i].info : NULL;
}

void kt_policy_type_names(char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < NTYPES && used < cap; i++) {
        int w = snprintf(out + used, cap - used, "%s%s", i ? ", " : "", types[i].info.name);
        if (w < 0) break;
        used += (size_t)w;
    }
}

static const char *kind_text(char k)
{
    switch (k) {
    case 's':
        return "string";
    case 'i':
        return "integer";
    case 'b':
        return "true or false";
    case 'j':
        return "any JSON value (integers only)";
    case 'a':
        return "array of strings";
    case 'u':
        return "non-empty array of distinct strings";
    case 'h':
        return "sha256, 64 lowercase hex digits";
    case 'd':
        return "digest, sha256:<64 lowercase hex digits>";
    case 'm':
        return "object: profile name -> sha256";
    case 'l':
        return "non-empty array of distinct limits: pids, memory, memory_swap, cpus";
    }
    return "?";
}

const char *kt_check_kind_text(char kind)
{
    return kind_text(kind);
}

void kt_check_params_text(const kt_check_info *t, char *out, size_t cap)
{
    char spec[160];
    size_t used = 0;
    snprintf(spec, sizeof spec, "%s", t->params);
    out[0] = '\0';
    char *save = NULL;
    for (char *tok = strtok_r(spec, " ", &save); tok && used < cap;
         tok = strtok_r(NULL, " ", &save)) {
        char *colon = strchr(tok, ':');
        *colon = '\0';
        int w = snprintf(out + used, cap - used, "%s%s (%s%s)", used ? ", " : "", tok,
                         kind_text(colon[1]), colon[2] == '?' ? ", optional" : "");
        if (w < 0) break;
        used += (size_t)w;
    }
}
