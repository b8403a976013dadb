/* libFuzzer: kiemthu-probe's own small JSON reader. */
#include "../../sandbox/probe/json.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    char why[128];
    pj *v = pj_parse((const char *)data, n, why, sizeof why);
    pj_get(v, "syscalls");
    pj_free(v);
    return 0;
}
