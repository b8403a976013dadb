/* libFuzzer: the JUnit XML reader (libxml2). */
#include "../../policy/junit.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    kt_junit j;
    kt_err err;
    kt_junit_parse((const char *)data, n, "junit.xml", &j, &err);
    return 0;
}
