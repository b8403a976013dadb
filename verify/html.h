/* html.h - kiemthu-verify --format html: one self-contained HTML page.
 *
 * The page loads nothing: no script, no image, no link, no font, no URL of
 * any kind, and a Content-Security-Policy meta element forbids them all
 * (default-src 'none'; the one style element is allowed by its sha256, so
 * not even an inline style could apply). Every string that did not come from
 * kiemthu -- names, key file, policy, check reasons, ladder and run records,
 * probe ids and values, venue -- goes through core/escape.h (KT_ESC_HTML:
 * every ASCII punctuation character becomes a character reference, controls
 * and bidi overrides are shown as \xNN / \u{XXXX}), so none of it can be
 * markup; none is ever put in an attribute. The output is printable ASCII.
 *
 * It shows the verdict, the signer and time, the check table with what each
 * check expected (its parameters in the policy) next to what it found (its
 * reason), each run's profile ladder (which profile started, exit codes,
 * limit hits), the probe results and the member list with digests. */
#ifndef KT_HTML_H
#define KT_HTML_H

#include "htmldata.h"
#include "report.h"

#include <stdio.h>

/* d may be NULL (a bundle that did not verify shows the verdict only). */
int kt_report_html(FILE *f, const kt_report_in *in, const kt_html_data *d);

#endif
