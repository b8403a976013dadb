/* htmldata.h - what the HTML report (html.h) shows beyond the verdict, read
 * from the verified evidence once the bundle verified: each run's profile
 * ladder (runs/R/ladder.json) with every attempt's record (runs/R/P/run.json),
 * the probe reports (runs/R/P/stdout or out/probe.json, when they are
 * kiemthu-probe's {"probes": [...]}), the venue (venue.json) and the policy
 * in use, parsed so that each check's parameters can be shown as what was
 * expected.
 *
 * Every byte here came from the bundle: a file is read only through the
 * evidence access of the verification (re-read and re-hashed from a bundle
 * file; from a stream, only what was kept), parsed as JSON, and shown only
 * through core/escape.h. What cannot be read or parsed is shown as missing,
 * with the reason; nothing here changes the verdict. Caps: 64 runs, 32
 * attempts a run, 1 MiB per file, 64 MiB in all (sizes known from the
 * verified members before anything is read). */
#ifndef KT_HTMLDATA_H
#define KT_HTMLDATA_H

#include "../core/err.h"
#include "../policy/evidence.h"
#include "verify.h"

#include <cjson/cJSON.h>

#define KT_HTML_MAX_RUNS 64
#define KT_HTML_MAX_ATTEMPTS 32
#define KT_HTML_FILE_MAX (1u << 20)   /* one file the report reads */
#define KT_HTML_TOTAL_MAX (64u << 20) /* all of them */

typedef struct kt_html_attempt {
    cJSON *entry;  /* the ladder's attempt object (not owned) */
    cJSON *run;    /* run.json, or NULL */
    char why[256]; /* why run.json is not shown */
    cJSON *probes; /* a probe report, or NULL */
    char probes_file[64];
} kt_html_attempt;

typedef struct kt_html_run {
    char name[256]; /* the run's directory, as its member name encodes it */
    cJSON *ladder;  /* ladder.json, or NULL */
    char why[256];  /* why ladder.json is not shown */
    kt_html_attempt att[KT_HTML_MAX_ATTEMPTS];
    size_t n;
    int more; /* attempts past the cap */
} kt_html_run;

typedef struct kt_html_data {
    kt_html_run *runs;
    size_t n;
    int more_runs;
    cJSON *venue;  /* venue.json, or NULL */
    cJSON *policy; /* the policy in use, or NULL */
} kt_html_data;

/* From a stream, the members the report reads (relative to evidence/). */
int kt_html_wants(const char *rel);

/* Read what the report shows. policy/n: the auditor's policy bytes, or NULL
 * for the bundle's own (evidence/policy.json). Returns -1 only when out of
 * memory. */
int kt_html_gather(kt_html_data *d, kt_evidence *ev, const kt_verify_result *res,
                   const char *policy, size_t n);
void kt_html_data_free(kt_html_data *d);

#endif
