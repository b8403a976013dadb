/* libFuzzer: image references and the image JSON documents (OCI index,
 * manifest, config, docker-archive manifest.json), and what is chosen from
 * them. The first byte picks the parser. */
#include "../../sandbox/oci.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    if (n < 1) return 0;
    kt_img_caps caps;
    kt_img_caps_default(&caps);
    caps.max_json = 1 << 16;
    kt_err err;
    const char *p = (const char *)data + 1;
    size_t len = n - 1;
    kt_imgref ref;
    kt_imgref_parse("oci:x", &ref, &err);
    switch (data[0] % 5) {
    case 0: {
        kt_index ix;
        if (kt_oci_parse_index(p, len, "i", &caps, &ix, &err) == 0) {
            const kt_desc *d;
            kt_index_select(&ix, &ref, "i", &d, &err);
            kt_index_select_platform(&ix, "i", &d, &err);
            kt_index_free(&ix);
        }
        break;
    }
    case 1: {
        kt_manifest m;
        if (kt_oci_parse_manifest(p, len, "m", NULL, &caps, &m, &err) == 0) kt_manifest_free(&m);
        break;
    }
    case 2: {
        kt_imgconfig c;
        if (kt_oci_parse_config(p, len, "c", &caps, &c, &err) == 0) kt_imgconfig_free(&c);
        break;
    }
    case 3: {
        kt_docker_manifest m;
        kt_imgref_parse("docker-archive:x", &ref, &err);
        if (kt_docker_parse_manifest(p, len, "d", &ref, &caps, &m, &err) == 0)
            kt_docker_manifest_free(&m);
        break;
    }
    default: {
        char *s = malloc(len + 1), out[256];
        memcpy(s, p, len);
        s[len] = '\0';
        kt_imgref_parse(s, &ref, &err);
        kt_member_name(s, out, sizeof out);
        kt_esc(s, out, sizeof out);
        free(s);
    }
    }
    return 0;
}
