/* oci.h - the JSON documents of an image, parsed once
 * and checked strictly: an OCI index (index.json, or a nested image index /
 * Docker manifest list), an image manifest, an image config, and the
 * manifest.json of a docker-archive. Pure functions over bytes: no file
 * access here (imgsrc.h reads, image.h drives the whole verification).
 *
 * Every document must be valid UTF-8 JSON without NUL bytes or "\u0000",
 * duplicate keys or trailing data, at most caps->max_json bytes; a manifest
 * must not look like an index and an index not like a manifest (the
 * media-type confusion of CVE-2021-41190). Digests are "sha256:" + 64
 * lowercase hex digits; any other algorithm is refused. */
#ifndef KT_OCI_H
#define KT_OCI_H

#include "../core/err.h"
#include "imgref.h"

#include <stddef.h>
#include <stdint.h>

/* What a media type is. */
enum kt_media {
    KT_MT_UNKNOWN,
    KT_MT_INDEX,    /* OCI image index or Docker manifest list */
    KT_MT_MANIFEST, /* OCI image manifest or Docker v2 schema 2 manifest */
    KT_MT_CONFIG,   /* OCI or Docker image config */
    KT_MT_LAYER,
};
/* How a layer is compressed; KT_COMP_ANY: Docker media types and
 * docker-archive layers, where Docker itself detects the compression. */
enum kt_comp { KT_COMP_NONE, KT_COMP_GZIP, KT_COMP_ZSTD, KT_COMP_ANY };

enum kt_media kt_media_kind(const char *media_type, enum kt_comp *comp);

typedef struct kt_desc {
    char media_type[KT_OCI_NAME];
    char digest[KT_OCI_DIGEST];
    uint64_t size;
    char ref_name[KT_OCI_NAME];         /* org.opencontainers.image.ref.name, "" if none */
    char os[32], arch[32], variant[32]; /* platform, "" if none */
    int has_platform;
} kt_desc;

typedef struct kt_index {
    kt_desc *m;
    size_t n;
} kt_index;

int kt_oci_parse_index(const char *p, size_t n, const char *what, const kt_img_caps *caps,
                       kt_index *out, kt_err *err);
void kt_index_free(kt_index *ix);
/* index.json's choice: by ref->digest, by ref->tag (ref.name annotation), or
 * the only descriptor. */
int kt_index_select(const kt_index *ix, const kt_imgref *ref, const char *what, const kt_desc **out,
                    kt_err *err);
/* A list's linux/amd64 entry (the host platform). */
int kt_index_select_platform(const kt_index *ix, const char *what, const kt_desc **out,
                             kt_err *err);

typedef struct kt_manifest {
    kt_desc config;
    kt_desc *layers;
    size_t nlayers;
} kt_manifest;

/* media_type: the descriptor's, which the document's own must not contradict. */
int kt_oci_parse_manifest(const char *p, size_t n, const char *what, const char *media_type,
                          const kt_img_caps *caps, kt_manifest *out, kt_err *err);
void kt_manifest_free(kt_manifest *m);

typedef struct kt_imgconfig {
    char os[32], arch[32], variant[32];
    char **entrypoint, **cmd, **env; /* NULL-terminated; NULL when absent */
    size_t nentrypoint, ncmd, nenv;
    char *workdir; /* "" when none */
    char *user;    /* "" when none */
    char (*diff_ids)[KT_OCI_DIGEST];
    size_t ndiff_ids;
} kt_imgconfig;

/* The config must be for linux/amd64. */
int kt_oci_parse_config(const char *p, size_t n, const char *what, const kt_img_caps *caps,
                        kt_imgconfig *out, kt_err *err);
void kt_imgconfig_free(kt_imgconfig *c);

/* One image of a docker-archive's manifest.json, chosen by ref->tag (one of
 * its RepoTags), ref->index, or as the only one. */
typedef struct kt_docker_manifest {
    char config[KT_OCI_PATH];
    char **layers; /* member names */
    size_t nlayers;
    char tag[KT_OCI_NAME]; /* the first RepoTag, "" if none */
} kt_docker_manifest;

int kt_docker_parse_manifest(const char *p, size_t n, const char *what, const kt_imgref *ref,
                             const kt_img_caps *caps, kt_docker_manifest *out, kt_err *err);
void kt_docker_manifest_free(kt_docker_manifest *m);

#endif
