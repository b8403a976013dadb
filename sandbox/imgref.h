/* imgref.h - naming an image: the reference the user gives, the caps that
 * bound the work of reading one, digests, and archive member names. */
#ifndef KT_IMGREF_H
#define KT_IMGREF_H

#include "../core/err.h"

#include <stddef.h>
#include <stdint.h>

#define KT_OCI_DIGEST 72 /* "sha256:" + 64 hex + NUL */
#define KT_OCI_NAME 256  /* tags, media types, member names */
#define KT_OCI_PATH 4096

/* Caps, each checked before the work it protects (docs/RUN_RECORD.md). */
typedef struct kt_img_caps {
    uint64_t max_json;      /* one index, manifest, config or manifest.json */
    uint64_t max_unpacked;  /* decompressed bytes of all layers together */
    uint64_t max_entries;   /* tar entries of all layers together */
    uint32_t max_layers;    /* layers of one image */
    uint32_t max_manifests; /* descriptors in one index */
    uint32_t max_members;   /* members of an oci-archive / docker-archive */
    uint32_t max_args;      /* Entrypoint + Cmd + Env strings */
} kt_img_caps;

void kt_img_caps_default(kt_img_caps *caps);
/* The largest compressed layer blob worth reading under these caps:
 * max_unpacked plus what incompressible data grows by in gzip or zstd. */
uint64_t kt_img_caps_max_blob(const kt_img_caps *caps);

enum kt_ref_kind { KT_REF_OCI, KT_REF_OCI_ARCHIVE, KT_REF_DOCKER_ARCHIVE };

/* oci:DIR[:TAG|@sha256:HEX], oci-archive:FILE[:TAG|@sha256:HEX],
 * docker-archive:FILE[:NAME:TAG|:@INDEX] */
typedef struct kt_imgref {
    enum kt_ref_kind kind;
    char path[KT_OCI_PATH];
    char tag[KT_OCI_NAME];        /* "" when none */
    char digest[KT_OCI_DIGEST];   /* "" when none */
    long index;                   /* docker-archive "@N"; -1 when none */
    char text[KT_OCI_PATH + 512]; /* as given */
} kt_imgref;

int kt_imgref_parse(const char *s, kt_imgref *out, kt_err *err);
const char *kt_imgref_kind_name(enum kt_ref_kind k); /* "oci", ... */

/* "sha256:" + 64 lowercase hex digits. */
int kt_digest_valid(const char *d);

/* An archive member name made canonical: "./" prefixes and repeated or
 * trailing '/' removed. Absolute names, "..", empty and over-long names
 * are refused (-1). */
int kt_member_name(const char *in, char *out, size_t n);

/* s with every byte outside printable ASCII (and '\\') written as \xNN,
 * cut to fit n bytes: for names from an image kept in a record field. */
const char *kt_esc(const char *s, char *out, size_t n);
/* s as it is, cut to fit n bytes ("..." at the end when cut): for names and
 * strings from an image in error messages, which are escaped once where
 * they are shown (core/escape.h) or recorded (kt_jb_text), never twice. */
const char *kt_clip(const char *s, char *out, size_t n);

#endif
