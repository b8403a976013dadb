/* report.h - print a verification result as text, stable JSON, or Markdown
 * (for $GITHUB_STEP_SUMMARY). */
#ifndef KT_REPORT_H
#define KT_REPORT_H

#include "verify.h"

#include <stdio.h>

enum kt_format { KT_FMT_TEXT, KT_FMT_JSON, KT_FMT_MARKDOWN };

/* Exit code for a result: 0 PASS, 1 FAIL, 2 REJECT. */
int kt_report_exit(const kt_verify_result *res);
int kt_report_print(FILE *f, enum kt_format fmt, const char *bundle, const kt_trust *trust,
                    const kt_verify_result *res);

#endif
