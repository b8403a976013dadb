/* libFuzzer: the guard's ELF reader (libelf) on hostile images. */
#include "../../guard/guard.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    char *copy = malloc(n ? n : 1); /* libelf may write into an image it was given */
    if (!copy) return 0;
    memcpy(copy, data, n);
    kt_guard g;
    kt_guard_init(&g);
    kt_err err;
    if (kt_guard_scan_elf(&g, copy, n, "fuzz", &err) == 0) {
        cJSON *doc = NULL;
        if (kt_guard_json(&g, "fuzz", &doc, &err) == 0) cJSON_Delete(doc);
    }
    kt_guard_free(&g);
    free(copy);
    return 0;
}
