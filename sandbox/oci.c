#include "oci.h"

#include "../core/json_canon.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define REF_NAME "org.opencontainers.image.ref.name"
#define MAX_DEPTH 16
#define MAX_DOCKER_IMAGES 256

enum kt_media kt_media_kind(const char *mt, enum kt_comp *comp)
{
    static const struct {
        const char *type;
        enum kt_media kind;
        enum kt_comp comp;
    } known[] = {
        {MT_OCI_INDEX, KT_MT_INDEX, KT_COMP_ANY},
        {MT_DOCKER_LIST, KT_MT_INDEX, KT_COMP_ANY},
        {MT_OCI_MANIFEST, KT_MT_MANIFEST, KT_COMP_ANY},
        {MT_DOCKER_MANIFEST, KT_MT_MANIFEST, KT_COMP_ANY},
        {"application/vnd.oci.image.config.v1+json", KT_MT_CONFIG, KT_COMP_ANY},
        {"application/vnd.docker.container.image.v1+json", KT_MT_CONFIG, KT_COMP_ANY},
        {"application/vnd.oci.image.layer.v1.tar", KT_MT_LAYER, KT_COMP_NONE},
        {"application/vnd.oci.image.layer.v1.tar+gzip", KT_MT_LAYER, KT_COMP_GZIP},
        {"application/vnd.oci.image.layer.v1.tar+zstd", KT_MT_LAYER, KT_COMP_ZSTD},
        {"application/vnd.oci.image.layer.nondistributable.v1.tar", KT_MT_LAYER, KT_COMP_NONE},
        {"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", KT_MT_LAYER, KT_COMP_GZIP},
        {"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", KT_MT_LAYER, KT_COMP_ZSTD},
        {"application/vnd.docker.image.rootfs.diff.tar", KT_MT_LAYER, KT_COMP_ANY},
        {"application/vnd.docker.image.rootfs.diff.tar.gzip", KT_MT_LAYER, KT_COMP_ANY},
        {"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", KT_MT_LAYER, KT_COMP_ANY},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(mt, known[i].type) == 0) {
            if (comp) *comp = known[i].comp;
            return known[i].kind;
        }
    return KT_MT_UNKNOWN;
}

/* cJSON would cut a string at an escaped NUL, where Go's decoder (Docker,
 * podman, skopeo) keeps it: a document that reads differently to them and
 * to us is refused. A backslash only ever occurs inside a string. */
static int has_nul_escape(const char *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++) {
        if (p[i] != '\\') continue;
        if (p[i + 1] == 'u' && i + 5 < n && memcmp(p + i + 2, "0000", 4) == 0) return 1;
        i++; /* skip the escaped character */
    }
    return 0;
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Go keeps the last of two equal keys, cJSON the first: refuse both. */
static int check_keys(const cJSON *v, int depth, const char *what, kt_err *err)
{
    if (depth > MAX_DEPTH)
        return kt_fail(err, KT_E_LIMIT, "%s: JSON nested deeper than %d levels", what, MAX_DEPTH);
    size_t n = 0;
    for (const cJSON *c = v->child; c; c = c->next) {
        n++;
        if ((cJSON_IsObject(c) || cJSON_IsArray(c)) && check_keys(c, depth + 1, what, err) < 0)
            return -1;
    }
    if (!cJSON_IsObject(v) || n < 2) return 0;
    const char **keys = malloc(n * sizeof *keys);
    if (!keys) return kt_fail(err, KT_E_NOMEM, "out of memory");
    size_t i = 0;
    for (const cJSON *c = v->child; c; c = c->next) keys[i++] = c->string;
    qsort(keys, n, sizeof *keys, cmp_key);
    int rc = 0;
    char eb[96];
    for (i = 1; i < n && rc == 0; i++)
        if (strcmp(keys[i - 1], keys[i]) == 0)
            rc = kt_fail(err, KT_E_DATA, "%s: key \"%s\" appears twice", what,
                         kt_clip(keys[i], eb, sizeof eb));
    free(keys);
    return rc;
}

static int parse_doc(const char *p, size_t n, const char *what, const kt_img_caps *caps, int array,
                     cJSON **out, kt_err *err)
{
    if (n > caps->max_json)
        return kt_fail(err, KT_E_LIMIT, "%s: %zu bytes, over the cap of %llu", what, n,
                       (unsigned long long)caps->max_json);
    if (has_nul_escape(p, n)) return kt_fail(err, KT_E_DATA, "%s: contains \\u0000", what);
    cJSON *v = NULL;
    if (kt_json_parse(p, n, what, &v, err) < 0) return -1;
    if (array ? !cJSON_IsArray(v) : !cJSON_IsObject(v)) {
        cJSON_Delete(v);
        return kt_fail(err, KT_E_DATA, "%s: not a JSON %s", what, array ? "array" : "object");
    }
    if (check_keys(v, 0, what, err) < 0) {
        cJSON_Delete(v);
        return -1;
    }
    *out = v;
    return 0;
}

/* A string member: absent (NULL or null) is "" unless required. */
static int get_str(const cJSON *o, const char *key, int required, char *out, size_t n,
                   const char *what, kt_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v)) {
        if (required) return kt_fail(err, KT_E_DATA, "%s: \"%s\" missing", what, key);
        out[0] = '\0';
        return 0;
    }
    if (!cJSON_IsString(v)) return kt_fail(err, KT_E_DATA, "%s: \"%s\" is not a string", what, key);
    if (strlen(v->valuestring) >= n)
        return kt_fail(err, KT_E_DATA, "%s: \"%s\" is too long", what, key);
    snprintf(out, n, "%s", v->valuestring);
    return 0;
}

static int get_size(const cJSON *o, const char *key, uint64_t *out, const char *what, kt_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v)) return kt_fail(err, KT_E_DATA, "%s: \"%s\" missing", what, key);
    double d = v->valuedouble;
    if (!isfinite(d) || d < 0 || d != floor(d) || d > 9007199254740991.0)
        return kt_fail(err, KT_E_DATA, "%s: \"%s\" is not a size", what, key);
    *out = (uint64_t)d;
    return 0;
}

static int check_schema(const cJSON *doc, const char *what, kt_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "schemaVersion");
    if (!cJSON_IsNumber(v) || v->valuedouble != 2)
        return kt_fail(err, KT_E_DATA, "%s: schemaVersion is not 2", what);
    return 0;
}

static int parse_platform(const cJSON *o, kt_desc *d, const char *what, kt_err *err)
{
    const cJSON *pl = cJSON_GetObjectItemCaseSensitive(o, "platform");
    if (!pl || cJSON_IsNull(pl)) return 0;
    if (!cJSON_IsObject(pl)) return kt_fail(err, KT_E_DATA, "%s: platform is not an object", what);
    d->has_platform = 1;
    if (get_str(pl, "architecture", 1, d->arch, sizeof d->arch, what, err) < 0 ||
        get_str(pl, "os", 1, d->os, sizeof d->os, what, err) < 0 ||
        get_str(pl, "variant", 0, d->variant, sizeof d->variant, what, err) < 0)
        return -1;
    return 0;
}

static int parse_desc(const cJSON *o, kt_desc *d, const char *what, kt_err *err)
{
    memset(d, 0, sizeof *d);
    if (!cJSON_IsObject(o)) return kt_fail(err, KT_E_DATA, "%s: not an object", what);
    if (get_str(o, "mediaType", 1, d->media_type, sizeof d->media_type, what, err) < 0 ||
        get_str(o, "digest", 1, d->digest, sizeof d->digest, what, err) < 0 ||
        get_size(o, "size", &d->size, what, err) < 0)
        return -1;
    char eb[96];
    if (!kt_digest_valid(d->digest))
        return kt_fail(err, KT_E_DATA,
                       "%s: digest \"%s\" is not sha256: and 64 lowercase hex digits "
                       "(other algorithms are not supported)",
                       what, kt_clip(d->digest, eb, sizeof eb));
    const cJSON *ann = cJSON_GetObjectItemCaseSensitive(o, "annotations");
    if (ann && !cJSON_IsNull(ann)) {
        if (!cJSON_IsObject(ann))
            return kt_fail(err, KT_E_DATA, "%s: annotations is not an object", what);
        if (get_str(ann, REF_NAME, 0, d->ref_name, sizeof d->ref_name, what, err) < 0) return -1;
    }
    return parse_platform(o, d, what, err);
}

int kt_oci_parse_index(const char *p, size_t n, const char *what, const kt_img_caps *caps,
                       kt_index *out, kt_err *err)
{
    memset(out, 0, sizeof *out);
    cJSON *doc;
    if (parse_doc(p, n, what, caps, 0, &doc, err) < 0) return -1;
    int rc = -1;
    char mt[KT_OCI_NAME], eb[128];
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(doc, "manifests");
    if (check_schema(doc, what, err) < 0 ||
        get_str(doc, "mediaType", 0, mt, sizeof mt, what, err) < 0)
        goto out;
    if (mt[0] && kt_media_kind(mt, NULL) != KT_MT_INDEX) {
        kt_fail(err, KT_E_DATA, "%s: mediaType \"%s\" is not an image index", what,
                kt_clip(mt, eb, sizeof eb));
        goto out;
    }
    if (cJSON_GetObjectItemCaseSensitive(doc, "layers") ||
        cJSON_GetObjectItemCaseSensitive(doc, "config")) {
        kt_fail(err, KT_E_DATA, "%s: an index with \"layers\" or \"config\" is ambiguous", what);
        goto out;
    }
    if (!cJSON_IsArray(ms)) {
        kt_fail(err, KT_E_DATA, "%s: \"manifests\" missing", what);
        goto out;
    }
    size_t count = (size_t)cJSON_GetArraySize(ms);
    if (count > caps->max_manifests) {
        kt_fail(err, KT_E_LIMIT, "%s: %zu manifests, over the cap of %u", what, count,
                caps->max_manifests);
        goto out;
    }
    if (count && !(out->m = calloc(count, sizeof *out->m))) {
        kt_fail(err, KT_E_NOMEM, "out of memory");
        goto out;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, ms)
    {
        char w[KT_OCI_NAME + 32];
        snprintf(w, sizeof w, "%s manifests[%zu]", what, out->n);
        if (parse_desc(e, &out->m[out->n], w, err) < 0) goto out;
        out->n++;
    }
    rc = 0;
out:
    cJSON_Delete(doc);
    if (rc < 0) kt_index_free(out);
    return rc;
}

void kt_index_free(kt_index *ix)
{
    free(ix->m);
    ix->m = NULL;
    ix->n = 0;
}

int kt_index_select(const kt_index *ix, const kt_imgref *ref, const char *what, const kt_desc **out,
                    kt_err *err)
{
    const kt_desc *found = NULL;
    for (size_t i = 0; i < ix->n; i++) {
        const kt_desc *d = &ix->m[i];
        int match = ref->digest[0] ? strcmp(d->digest, ref->digest) == 0
                    : ref->tag[0]  ? strcmp(d->ref_name, ref->tag) == 0
                                   : 1;
        if (!match) continue;
        if (found && strcmp(found->digest, d->digest) != 0)
            return kt_fail(err, KT_E_DATA,
                           ref->tag[0] || ref->digest[0]
                               ? "%s: more than one image matches %s"
                               : "%s: holds several images; name one as %s:TAG or @sha256:DIGEST",
                           what, ref->text);
        found = d;
    }
    if (!found)
        return kt_fail(err, KT_E_NOINPUT, "%s: no image %s%s", what,
                       ref->digest[0] ? ref->digest
                       : ref->tag[0]  ? "named "
                                      : "at all",
                       ref->digest[0] ? "" : ref->tag);
    *out = found;
    return 0;
}

int kt_index_select_platform(const kt_index *ix, const char *what, const kt_desc **out, kt_err *err)
{
    char seen[256] = "";
    size_t used = 0;
    for (size_t i = 0; i < ix->n; i++) {
        const kt_desc *d = &ix->m[i];
        if (d->has_platform && strcmp(d->os, "linux") == 0 && strcmp(d->arch, "amd64") == 0) {
            *out = d;
            return 0;
        }
        char e1[40], e2[40];
        if (used < sizeof seen - 1)
            used += (size_t)snprintf(seen + used, sizeof seen - used, "%s%s/%s", used ? ", " : "",
                                     kt_clip(d->has_platform ? d->os : "?", e1, sizeof e1),
                                     kt_clip(d->has_platform ? d->arch : "?", e2, sizeof e2));
        if (used >= sizeof seen) used = sizeof seen - 1;
    }
    return kt_fail(err, KT_E_DATA, "%s: no linux/amd64 image (this host's platform); it has: %s",
                   what, ix->n ? seen : "nothing");
}

static int parse_layers(const cJSON *ls, kt_manifest *m, const char *what, const kt_img_caps *caps,
                        kt_err *err)
{
    if (!cJSON_IsArray(ls)) return kt_fail(err, KT_E_DATA, "%s: \"layers\" missing", what);
    size_t count = (size_t)cJSON_GetArraySize(ls);
    if (count > caps->max_layers)
        return kt_fail(err, KT_E_LIMIT, "%s: %zu layers, over the cap of %u", what, count,
                       caps->max_layers);
    if (count && !(m->layers = calloc(count, sizeof *m->layers)))
        return kt_fail(err, KT_E_NOMEM, "out of memory");
    const cJSON *e;
    cJSON_ArrayForEach(e, ls)
    {
        char w[KT_OCI_NAME + 32];
        snprintf(w, sizeof w, "%s layers[%zu]", what, m->nlayers);
        kt_desc *d = &m->layers[m->nlayers];
        if (parse_desc(e, d, w, err) < 0) return -1;
        char eb[128];
        if (kt_media_kind(d->media_type, NULL) != KT_MT_LAYER)
            return kt_fail(err, KT_E_DATA, "%s: unknown layer media type \"%s\"", w,
                           kt_clip(d->media_type, eb, sizeof eb));
        m->nlayers++;
    }
    return 0;
}

int kt_oci_parse_manifest(const char *p, size_t n, const char *what, const char *media_type,
                          const kt_img_caps *caps, kt_manifest *out, kt_err *err)
{
    memset(out, 0, sizeof *out);
    cJSON *doc;
    if (parse_doc(p, n, what, caps, 0, &doc, err) < 0) return -1;
    int rc = -1;
    char mt[KT_OCI_NAME], w[KT_OCI_NAME + 32], eb[128], eb2[128];
    if (check_schema(doc, what, err) < 0 ||
        get_str(doc, "mediaType", 0, mt, sizeof mt, what, err) < 0)
        goto out;
    if (mt[0] && (kt_media_kind(mt, NULL) != KT_MT_MANIFEST ||
                  (media_type && media_type[0] && strcmp(mt, media_type) != 0))) {
        kt_fail(err, KT_E_DATA, "%s: mediaType \"%s\" is not the descriptor's \"%s\"", what,
                kt_clip(mt, eb, sizeof eb), kt_clip(media_type ? media_type : "", eb2, sizeof eb2));
        goto out;
    }
    if (cJSON_GetObjectItemCaseSensitive(doc, "manifests")) {
        kt_fail(err, KT_E_DATA, "%s: a manifest with \"manifests\" is ambiguous", what);
        goto out;
    }
    snprintf(w, sizeof w, "%s config", what);
    if (parse_desc(cJSON_GetObjectItemCaseSensitive(doc, "config"), &out->config, w, err) < 0)
        goto out;
    if (kt_media_kind(out->config.media_type, NULL) != KT_MT_CONFIG) {
        kt_fail(err, KT_E_DATA, "%s: config media type \"%s\" is not a container image's", w,
                kt_clip(out->config.media_type, eb, sizeof eb));
        goto out;
    }
    if (parse_layers(cJSON_GetObjectItemCaseSensitive(doc, "layers"), out, what, caps, err) < 0)
        goto out;
    rc = 0;
out:
    cJSON_Delete(doc);
    if (rc < 0) kt_manifest_free(out);
    return rc;
}

void kt_manifest_free(kt_manifest *m)
{
    free(m->layers);
    m->layers = NULL;
    m->nlayers = 0;
}

/* A null or absent member leaves *out NULL; else an array of strings. */
static int get_strv(const cJSON *o, const char *key, char ***out, size_t *nout, size_t *budget,
                    const char *what, kt_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    *out = NULL;
    *nout = 0;
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsArray(v)) return kt_fail(err, KT_E_DATA, "%s: %s is not an array", what, key);
    size_t count = (size_t)cJSON_GetArraySize(v);
    if (count > *budget) return kt_fail(err, KT_E_LIMIT, "%s: too many strings in %s", what, key);
    *budget -= count;
    char **a = calloc(count + 1, sizeof *a);
    if (!a) return kt_fail(err, KT_E_NOMEM, "out of memory");
    *out = a;
    const cJSON *e;
    cJSON_ArrayForEach(e, v)
    {
        if (!cJSON_IsString(e))
            return kt_fail(err, KT_E_DATA, "%s: %s[%zu] is not a string", what, key, *nout);
        if (!(a[*nout] = strdup(e->valuestring))) return kt_fail(err, KT_E_NOMEM, "out of memory");
        (*nout)++;
    }
    return 0;
}

static int parse_run_config(const cJSON *c, kt_imgconfig *out, const char *what,
                            const kt_img_caps *caps, kt_err *err)
{
    size_t budget = caps->max_args;
    char wd[KT_OCI_PATH], user[KT_OCI_NAME];
    if (!c || cJSON_IsNull(c))
        c = NULL;
    else if (!cJSON_IsObject(c))
        return kt_fail(err, KT_E_DATA, "%s: \"config\" is not an object", what);
    if (get_strv(c, "Entrypoint", &out->entrypoint, &out->nentrypoint, &budget, what, err) < 0 ||
        get_strv(c, "Cmd", &out->cmd, &out->ncmd, &budget, what, err) < 0 ||
        get_strv(c, "Env", &out->env, &out->nenv, &budget, what, err) < 0 ||
        get_str(c, "WorkingDir", 0, wd, sizeof wd, what, err) < 0 ||
        get_str(c, "User", 0, user, sizeof user, what, err) < 0)
        return -1;
    for (size_t i = 0; i < out->nenv; i++)
        if (!strchr(out->env[i], '=') || out->env[i][0] == '=')
            return kt_fail(err, KT_E_DATA, "%s: Env[%zu] is not NAME=VALUE", what, i);
    char eb[128];
    if (wd[0] && wd[0] != '/')
        return kt_fail(err, KT_E_DATA, "%s: WorkingDir \"%s\" is not absolute", what,
                       kt_clip(wd, eb, sizeof eb));
    if (!(out->workdir = strdup(wd)) || !(out->user = strdup(user)))
        return kt_fail(err, KT_E_NOMEM, "out of memory");
    return 0;
}

static int parse_rootfs(const cJSON *r, kt_imgconfig *out, const char *what,
                        const kt_img_caps *caps, kt_err *err)
{
    char type[32];
    if (!cJSON_IsObject(r)) return kt_fail(err, KT_E_DATA, "%s: \"rootfs\" missing", what);
    if (get_str(r, "type", 1, type, sizeof type, what, err) < 0) return -1;
    if (strcmp(type, "layers") != 0)
        return kt_fail(err, KT_E_DATA, "%s: rootfs type is not \"layers\"", what);
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(r, "diff_ids");
    if (!cJSON_IsArray(ids)) return kt_fail(err, KT_E_DATA, "%s: rootfs.diff_ids missing", what);
    size_t count = (size_t)cJSON_GetArraySize(ids);
    if (count > caps->max_layers)
        return kt_fail(err, KT_E_LIMIT, "%s: %zu diff_ids, over the cap of %u", what, count,
                       caps->max_layers);
    if (count && !(out->diff_ids = calloc(count, sizeof *out->diff_ids)))
        return kt_fail(err, KT_E_NOMEM, "out of memory");
    const cJSON *e;
    cJSON_ArrayForEach(e, ids)
    {
        if (!cJSON_IsString(e) || !kt_digest_valid(e->valuestring))
            return kt_fail(err, KT_E_DATA, "%s: rootfs.diff_ids[%zu] is not a sha256 digest", what,
                           out->ndiff_ids);
        snprintf(out->diff_ids[out->ndiff_ids++], KT_OCI_DIGEST, "%s", e->valuestring);
    }
    return 0;
}

int kt_oci_parse_config(const char *p, size_t n, const char *what, const kt_img_caps *caps,
                        kt_imgconfig *out, kt_err *err)
{
    memset(out, 0, sizeof *out);
    cJSON *doc;
    if (parse_doc(p, n, what, caps, 0, &doc, err) < 0) return -1;
    int rc = -1;
    if (get_str(doc, "architecture", 1, out->arch, sizeof out->arch, what, err) < 0 ||
        get_str(doc, "os", 1, out->os, sizeof out->os, what, err) < 0 ||
        get_str(doc, "variant", 0, out->variant, sizeof out->variant, what, err) < 0)
        goto out;
    if (strcmp(out->os, "linux") != 0 || strcmp(out->arch, "amd64") != 0) {
        char e1[136], e2[136];
        kt_fail(err, KT_E_DATA, "%s: the image is for %s/%s; this host runs linux/amd64", what,
                kt_clip(out->os, e1, sizeof e1), kt_clip(out->arch, e2, sizeof e2));
        goto out;
    }
    if (parse_rootfs(cJSON_GetObjectItemCaseSensitive(doc, "rootfs"), out, what, caps, err) < 0 ||
        parse_run_config(cJSON_GetObjectItemCaseSensitive(doc, "config"), out, what, caps, err) < 0)
        goto out;
    rc = 0;
out:
    cJSON_Delete(doc);
    if (rc < 0) kt_imgconfig_free(out);
    return rc;
}

static void free_strv(char **v)
{
    if (!v) return;
    for (char **p = v; *p; p++) free(*p);
    free(v);
}

void kt_imgconfig_free(kt_imgconfig *c)
{
    free_strv(c->entrypoint);
    free_strv(c->cmd);
    free_strv(c->env);
    free(c->workdir);
    free(c->user);
    free(c->diff_ids);
    memset(c, 0, sizeof *c);
}

static int has_tag(const cJSON *img, const char *tag, char *first, size_t n)
{
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(img, "RepoTags"), *t;
    int found = 0;
    first[0] = '\0';
    cJSON_ArrayForEach(t, tags)
    {
        if (!cJSON_IsString(t)) continue;
        if (!first[0] && strlen(t->valuestring) < n) snprintf(first, n, "%s", t->valuestring);
        if (tag[0] && strcmp(t->valuestring, tag) == 0) found = 1;
    }
    return found;
}

static int docker_pick(const cJSON *doc, const kt_imgref *ref, const char *what, const cJSON **out,
                       kt_docker_manifest *m, kt_err *err)
{
    size_t count = (size_t)cJSON_GetArraySize(doc), i = 0;
    if (count == 0) return kt_fail(err, KT_E_DATA, "%s: lists no image", what);
    if (count > MAX_DOCKER_IMAGES)
        return kt_fail(err, KT_E_LIMIT, "%s: %zu images, over the cap of %d", what, count,
                       MAX_DOCKER_IMAGES);
    const cJSON *img, *found = NULL;
    cJSON_ArrayForEach(img, doc)
    {
        if (!cJSON_IsObject(img))
            return kt_fail(err, KT_E_DATA, "%s: [%zu] is not an object", what, i);
        const cJSON *tags = cJSON_GetObjectItemCaseSensitive(img, "RepoTags");
        if (tags && !cJSON_IsNull(tags) && !cJSON_IsArray(tags))
            return kt_fail(err, KT_E_DATA, "%s: [%zu] RepoTags is not an array", what, i);
        char first[KT_OCI_NAME];
        int match = has_tag(img, ref->tag, first, sizeof first);
        if (ref->index >= 0 ? (long)i == ref->index : ref->tag[0] ? match : 1) {
            if (found)
                return kt_fail(err, KT_E_DATA,
                               "%s: holds several images; name one as docker-archive:FILE:NAME:TAG "
                               "or docker-archive:FILE:@N",
                               what);
            found = img;
            snprintf(m->tag, sizeof m->tag, "%s", first);
        }
        i++;
    }
    if (!found)
        return kt_fail(err, KT_E_NOINPUT, "%s: no image %s", what, ref->tag[0] ? ref->tag : "@N");
    *out = found;
    return 0;
}

int kt_docker_parse_manifest(const char *p, size_t n, const char *what, const kt_imgref *ref,
                             const kt_img_caps *caps, kt_docker_manifest *out, kt_err *err)
{
    memset(out, 0, sizeof *out);
    cJSON *doc;
    if (parse_doc(p, n, what, caps, 1, &doc, err) < 0) return -1;
    int rc = -1;
    const cJSON *img = NULL;
    char cfg[KT_OCI_PATH];
    if (docker_pick(doc, ref, what, &img, out, err) < 0 ||
        get_str(img, "Config", 1, cfg, sizeof cfg, what, err) < 0)
        goto out;
    if (kt_member_name(cfg, out->config, sizeof out->config) < 0 || !out->config[0]) {
        char eb[128];
        kt_fail(err, KT_E_DATA, "%s: Config \"%s\" is not a safe relative name", what,
                kt_clip(cfg, eb, sizeof eb));
        goto out;
    }
    size_t budget = caps->max_layers;
    if (get_strv(img, "Layers", &out->layers, &out->nlayers, &budget, what, err) < 0) goto out;
    if (!out->layers) {
        kt_fail(err, KT_E_DATA, "%s: \"Layers\" missing", what);
        goto out;
    }
    for (size_t i = 0; i < out->nlayers; i++) {
        char norm[KT_OCI_PATH];
        if (kt_member_name(out->layers[i], norm, sizeof norm) < 0 || !norm[0]) {
            kt_fail(err, KT_E_DATA, "%s: Layers[%zu] is not a safe relative name", what, i);
            goto out;
        }
        snprintf(out->layers[i], strlen(out->layers[i]) + 1, "%s", norm);
    }
    rc = 0;
out:
    cJSON_Delete(doc);
    if (rc < 0) kt_docker_manifest_free(out);
    return rc;
}

void kt_docker_manifest_free(kt_docker_manifest *m)
{
    free_strv(m->layers);
    m->layers = NULL;
    m->nlayers = 0;
}
