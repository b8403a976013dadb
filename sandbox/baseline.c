#include "baseline.h"

#include <string.h>

/* profiles/baseline.json, byte for byte (the Makefile rebuilds this object
 * when the file changes). */
__asm__(".section .rodata\n"
        ".global kt_baseline_json\n"
        ".type kt_baseline_json, @object\n"
        "kt_baseline_json:\n"
        ".incbin \"profiles/baseline.json\"\n"
        ".global kt_baseline_json_end\n"
        "kt_baseline_json_end:\n"
        ".byte 0\n"
        ".previous\n");
extern const char kt_baseline_json[], kt_baseline_json_end[];

int kt_baseline_load(const char *spec, kt_profile **out, const char **name, kt_err *err)
{
    *out = NULL;
    if (spec && strcmp(spec, "none") == 0) {
        *name = "none";
        return 0;
    }
    if (spec && *spec) {
        const char *b = strrchr(spec, '/');
        *name = b ? b + 1 : spec;
        return kt_profile_load(spec, out, err);
    }
    *name = KT_BASELINE_NAME;
    return kt_profile_parse(kt_baseline_json, (size_t)(kt_baseline_json_end - kt_baseline_json),
                            KT_BASELINE_NAME " (built in)", out, err);
}
