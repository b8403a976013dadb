/* report.h - print a verification result as text, stable JSON, or Markdown
 * (for $GITHUB_STEP_SUMMARY). */
#ifndef KT_REPORT_H
#define KT_REPORT_H

#include "verify.h"

#include <stdio.h>

enum kt_format { KT_FMT_TEXT, KT_FMT_JSON, KT_FMT_MARKDOWN, KT_FMT_HTML };

struct kt_html_data;

/* What a report shows. */
typedef struct kt_report_in {
    const char *bundle;    /* as given on the command line */
    const kt_trust *trust; /* the pinned keys, to name the signers */
    const kt_verify_result *res;
    int list;            /* --list: every member, its size and sha256 */
    const char *extract; /* --extract DIR, or NULL */
    int extracted;       /* the members were written into it */
    size_t extracted_files;
    kt_err extract_err; /* why not, when the bundle verified */
    /* --format html: what the evidence says beyond the verdict (htmldata.h) */
    const struct kt_html_data *html;
} kt_report_in;

/* Exit code: 0 PASS, 1 FAIL, 2 REJECT, 3 UNCHECKED, 4 AUTHENTIC (no policy);
 * for a bundle that verified but could not be extracted, 73 (DIR or a name
 * unusable) or 74 (a write failed). */
int kt_report_exit(const kt_report_in *in);
/* 0, or -1 if the report could not be built (JSON: a fixed object is
 * printed instead, so the output is still exactly one object). */
int kt_report_print(FILE *f, enum kt_format fmt, const kt_report_in *in);
/* How trusted key k is named in a report: its file, or "keyring: NAME" (in
 * buf); NULL for k < 0 (a signature no trusted key verifies). */
const char *kt_report_key_label(const kt_trust *t, int k, char *buf, size_t n);
/* One JSON object for a run that reached no verdict: a refused command line
 * (cls "usage", why), or --help / --version (why NULL; usage: the help text,
 * or NULL). bundle may be NULL. */
int kt_report_no_verdict_json(FILE *f, const char *bundle, int exit_code, const char *cls,
                              const char *why, const char *usage);

#endif
