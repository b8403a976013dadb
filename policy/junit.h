/* junit.h - count tests, failures, errors and skips in JUnit XML, as cmocka
 * (CMOCKA_MESSAGE_OUTPUT=xml) and pytest (--junitxml) write it. Parsed with
 * libxml2 without network access or entity expansion. */
#ifndef KT_JUNIT_H
#define KT_JUNIT_H

#include "../core/err.h"

#include <stddef.h>

typedef struct kt_junit {
    long tests, failures, errors, skipped;
} kt_junit;

int kt_junit_parse(const char *xml, size_t n, const char *what, kt_junit *out, kt_err *err);

#endif
