#include "junit.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

static int is(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

/* Count one <testsuite>: its <testcase> children and what each holds. The
 * element counts are authoritative; the suite's attributes, when present,
 * must agree with them (a report that claims "tests=31" for 30 cases is
 * malformed, not a pass). */
static int suite(const xmlNode *s, kt_junit *j, const char *what, kt_err *err)
{
    kt_junit c = {0, 0, 0, 0};
    for (const xmlNode *t = s->children; t; t = t->next) {
        if (is(t, "testsuite")) {
            if (suite(t, j, what, err) < 0) return -1;
            continue;
        }
        if (!is(t, "testcase")) continue;
        c.tests++;
        for (const xmlNode *k = t->children; k; k = k->next) {
            if (is(k, "failure")) c.failures++;
            if (is(k, "error")) c.errors++;
            if (is(k, "skipped")) c.skipped++;
        }
    }
    static const char *const attrs[] = {"tests", "failures", "errors"};
    long counts[] = {c.tests, c.failures, c.errors};
    for (int i = 0; i < 3; i++) {
        xmlChar *v = xmlGetProp(s, (const xmlChar *)attrs[i]);
        if (!v) continue;
        char *end;
        long n = strtol((const char *)v, &end, 10);
        int bad = *end || end == (char *)v || n < 0;
        xmlFree(v);
        /* a nested-suite wrapper may count its children's cases */
        if (bad)
            return kt_fail(err, KT_E_DATA, "%s: testsuite attribute %s is not a count", what,
                           attrs[i]);
        if (c.tests && n != counts[i])
            return kt_fail(err, KT_E_DATA, "%s: testsuite says %s=%ld but holds %ld", what,
                           attrs[i], n, counts[i]);
    }
    j->tests += c.tests;
    j->failures += c.failures;
    j->errors += c.errors;
    j->skipped += c.skipped;
    return 0;
}

int kt_junit_parse(const char *xml, size_t n, const char *what, kt_junit *out, kt_err *err)
{
    memset(out, 0, sizeof *out);
    if (n > (16u << 20)) return kt_fail(err, KT_E_LIMIT, "%s: larger than 16 MiB", what);
    xmlDoc *doc = xmlReadMemory(xml, (int)n, what, NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) return kt_fail(err, KT_E_DATA, "%s: not well-formed XML", what);
    int rc = 0;
    const xmlNode *root = xmlDocGetRootElement(doc);
    if (root && is(root, "testsuites")) {
        for (const xmlNode *s = root->children; s && rc == 0; s = s->next)
            if (is(s, "testsuite")) rc = suite(s, out, what, err);
    } else if (root && is(root, "testsuite")) {
        rc = suite(root, out, what, err);
    } else {
        rc = kt_fail(err, KT_E_DATA, "%s: root element is not <testsuites> or <testsuite>", what);
    }
    xmlFreeDoc(doc);
    return rc;
}
