/* libFuzzer: the file names kiemthu-verify --extract writes (verify/extract.h).
 * For any member name the verifier accepts, the name written is relative,
 * has no empty, "." or ".." component, and carries no control byte (C0, DEL,
 * or a C1 control encoded in UTF-8): else it aborts. */
#include "../../core/name.h"
#include "../../core/ustar.h"
#include "../../verify/extract.h"

#include <stdlib.h>
#include <string.h>

static int safe_written(const char *w)
{
    const unsigned char *p = (const unsigned char *)w;
    if (!*p || *p == '/') return 0;
    for (; *p; p++) {
        if (*p < 0x20 || *p == 0x7F) return 0;
        if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) return 0;
    }
    for (const char *c = w; c;) {
        const char *s = strchr(c, '/');
        size_t n = s ? (size_t)(s - c) : strlen(c);
        if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.')) return 0;
        c = s ? s + 1 : NULL;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    static char name[KT_TAR_NAME_MAX + 1], out[KT_TAR_NAME_MAX + 64];
    if (n > KT_TAR_NAME_MAX) return 0;
    memcpy(name, data, n);
    name[n] = '\0';
    kt_err err;
    int rc = kt_extract_path(name, out, sizeof out, &err);
    if (kt_tar_name_check(name, &err) < 0) return 0; /* the verifier refuses it first */
    if (rc == 0 && !safe_written(out)) abort();
    if (rc < 0 && err.cls != KT_E_CANTCREAT && err.cls != KT_E_DATA) abort();
    return 0;
}
