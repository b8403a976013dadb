/* libFuzzer: kiemthu-probe's own small JSON reader. */
#include "../../sandbox/probe/json.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    kt_err why;
    pj *v = pj_parse((const char *)data, n, &why);
    pj_get(v, "syscalls");
    pj_free(v);
    return 0;
}
