#include "imgref.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kt_img_caps_default(kt_img_caps *caps)
{
    caps->max_json = 4u << 20;       /* containerd's manifest limit */
    caps->max_unpacked = 4ULL << 30; /* --image-max-size */
    caps->max_entries = 1000000;     /* files, dirs, links of all layers */
    caps->max_layers = 128;          /* Docker's own limit is 127 */
    caps->max_manifests = 1024;
    caps->max_members = 100000;
    caps->max_args = 4096;
}

uint64_t kt_img_caps_max_blob(const kt_img_caps *caps)
{
    /* gzip adds at most 5 bytes per 16 KiB stored block, zstd about 1/256 */
    return caps->max_unpacked + caps->max_unpacked / 128 + (1u << 20);
}

const char *kt_imgref_kind_name(enum kt_ref_kind k)
{
    switch (k) {
    case KT_REF_OCI:
        return "oci";
    case KT_REF_OCI_ARCHIVE:
        return "oci-archive";
    case KT_REF_DOCKER_ARCHIVE:
        return "docker-archive";
    }
    return "?";
}

int kt_digest_valid(const char *d)
{
    if (strncmp(d, "sha256:", 7) != 0) return 0;
    d += 7;
    size_t i = 0;
    for (; d[i]; i++)
        if (!((d[i] >= '0' && d[i] <= '9') || (d[i] >= 'a' && d[i] <= 'f'))) return 0;
    return i == 64;
}

static int printable(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f) return 0;
    return 1;
}

static int set_tag(kt_imgref *r, const char *tag, kt_err *err)
{
    if (!*tag) return kt_fail(err, KT_E_USAGE, "--image %s: empty name after ':'", r->text);
    if (strlen(tag) >= sizeof r->tag || !printable(tag))
        return kt_fail(err, KT_E_USAGE,
                       "--image %s: the name after ':' is too long or not printable", r->text);
    snprintf(r->tag, sizeof r->tag, "%s", tag);
    return 0;
}

/* oci: and oci-archive: split at "@sha256:" (a manifest digest) or at the
 * first ':' (a ref.name), as skopeo splits them. */
static int split_oci(kt_imgref *r, char *rest, kt_err *err)
{
    char *at = strstr(rest, "@sha256:"), *other = strrchr(rest, '@');
    if (!at && other && other[1] &&
        strspn(other + 1, "abcdefghijklmnopqrstuvwxyz0123456789") == strcspn(other + 1, ":") &&
        other[1 + strcspn(other + 1, ":")] == ':')
        return kt_fail(err, KT_E_USAGE, "--image %s: only sha256 digests are supported", r->text);
    if (at) {
        *at = '\0';
        if (!kt_digest_valid(at + 1))
            return kt_fail(err, KT_E_USAGE,
                           "--image %s: a digest is sha256: and 64 lowercase hex digits", r->text);
        snprintf(r->digest, sizeof r->digest, "%s", at + 1);
    } else {
        char *colon = strchr(rest, ':');
        if (colon) {
            *colon = '\0';
            if (set_tag(r, colon + 1, err) < 0) return -1;
        }
    }
    return 0;
}

/* docker-archive: FILE[:NAME:TAG] or FILE:@N, split at the first ':'. */
static int split_docker(kt_imgref *r, char *rest, kt_err *err)
{
    char *colon = strchr(rest, ':');
    if (!colon) return 0;
    *colon = '\0';
    const char *sel = colon + 1;
    if (sel[0] == '@') {
        char *end;
        errno = 0;
        long v = strtol(sel + 1, &end, 10);
        if (errno || end == sel + 1 || *end || v < 0 || v > 65535)
            return kt_fail(err, KT_E_USAGE, "--image %s: @N takes an image number", r->text);
        r->index = v;
        return 0;
    }
    return set_tag(r, sel, err);
}

int kt_imgref_parse(const char *s, kt_imgref *out, kt_err *err)
{
    memset(out, 0, sizeof *out);
    out->index = -1;
    if (strlen(s) >= sizeof out->text)
        return kt_fail(err, KT_E_USAGE, "--image: reference too long");
    snprintf(out->text, sizeof out->text, "%s", s);
    static const struct {
        const char *prefix;
        enum kt_ref_kind kind;
    } kinds[] = {{"oci:", KT_REF_OCI},
                 {"oci-archive:", KT_REF_OCI_ARCHIVE},
                 {"docker-archive:", KT_REF_DOCKER_ARCHIVE}};
    size_t k = 0;
    while (k < 3 && strncmp(s, kinds[k].prefix, strlen(kinds[k].prefix)) != 0) k++;
    if (k == 3)
        return kt_fail(err, KT_E_USAGE,
                       "--image %.200s: kiemthu reads images from files only, as oci:DIR[:TAG], "
                       "oci-archive:FILE[:TAG] or docker-archive:FILE (no registry, no daemon; "
                       "copy one first, e.g. skopeo copy docker://IMAGE oci:DIR:TAG)",
                       s);
    out->kind = kinds[k].kind;
    char rest[sizeof out->text];
    snprintf(rest, sizeof rest, "%s", s + strlen(kinds[k].prefix));
    int rc = out->kind == KT_REF_DOCKER_ARCHIVE ? split_docker(out, rest, err)
                                                : split_oci(out, rest, err);
    if (rc < 0) return -1;
    if (!rest[0]) return kt_fail(err, KT_E_USAGE, "--image %s: no path given", out->text);
    size_t len = strlen(rest);
    if (len >= sizeof out->path)
        return kt_fail(err, KT_E_USAGE, "--image %s: path too long", out->text);
    memcpy(out->path, rest, len + 1);
    return 0;
}

int kt_member_name(const char *in, char *out, size_t n)
{
    if (in[0] == '/') return -1;
    size_t o = 0;
    const char *p = in;
    while (*p) {
        size_t len = strcspn(p, "/");
        if (len == 2 && p[0] == '.' && p[1] == '.') return -1;
        if (len && !(len == 1 && p[0] == '.')) {
            if (o + (o ? 1 : 0) + len + 1 > n) return -1;
            if (o) out[o++] = '/';
            memcpy(out + o, p, len);
            o += len;
        }
        p += len;
        while (*p == '/') p++;
    }
    if (n == 0) return -1;
    out[o] = '\0';
    return 0;
}

const char *kt_esc(const char *s, char *out, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int plain = *p >= 0x20 && *p < 0x7f && *p != '\\';
        if (o + (plain ? 1 : 4) + 4 > n) {
            if (n >= 4) memcpy(out + (o < n - 4 ? o : n - 4), "...", 4);
            return out;
        }
        if (plain) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '\\', out[o++] = 'x', out[o++] = hx[*p >> 4], out[o++] = hx[*p & 15];
        }
    }
    if (n) out[o] = '\0';
    return out;
}

const char *kt_clip(const char *s, char *out, size_t n)
{
    if (!n) return out;
    size_t len = strlen(s);
    if (len < n) {
        memcpy(out, s, len + 1);
    } else if (n >= 4) {
        memcpy(out, s, n - 4);
        memcpy(out + n - 4, "...", 4);
    } else {
        out[0] = '\0';
    }
    return out;
}
