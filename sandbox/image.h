/* image.h - run from a container image: `--image REF` (imgref.h).
 *
 * kt_image_open verifies before it uses: the layout's index.json (or a
 * docker-archive's manifest.json), then the manifest, the config and every
 * layer, in that order, each blob's size and sha256 against the descriptor
 * that names it, caps first; a list is resolved to its linux/amd64 entry.
 * It then gets the unpacked tree from the cache or makes it (rootfs.h).
 *
 * What it records (docs/RUN_RECORD.md): image_digest is the digest of the
 * manifest index.json points to (what `skopeo inspect --format
 * '{{.Digest}}' oci:DIR` prints); a docker-archive holds no manifest file
 * (skopeo synthesises one that exists nowhere), so there it is the config
 * digest, the image ID, which is a file in every format. */
#ifndef KT_IMAGE_H
#define KT_IMAGE_H

#include "../core/err.h"
#include "../core/jsonb.h"
#include "hostexec.h"
#include "imgref.h"
#include "oci.h"
#include "rootfs.h"
#include "sandbox.h"

#include <stddef.h>

typedef struct kt_image {
    kt_imgref ref;
    char image_digest[KT_OCI_DIGEST];    /* what a policy pins */
    char manifest_digest[KT_OCI_DIGEST]; /* the image manifest; "" for docker-archive */
    char index_digest[KT_OCI_DIGEST];    /* the list it was chosen from; "" if none */
    char config_digest[KT_OCI_DIGEST];
    char platform[100];
    kt_rootfs_layer *layers;
    char (*media_types)[KT_OCI_NAME]; /* "" for docker-archive */
    size_t nlayers;
    kt_imgconfig config;
    kt_rootfs rootfs;
    char **argv; /* kt_image_prepare's command */
} kt_image;

/* cache_dir NULL: the default cache. */
int kt_image_open(kt_image *img, const char *ref, const char *cache_dir, const kt_img_caps *caps,
                  kt_err *err);
void kt_image_free(kt_image *img);

/* The command, as `docker run` makes it: the image's Entrypoint (or
 * --entrypoint: a non-empty one drops the image's Cmd, an empty one clears
 * the Entrypoint), then args if any, else the image's Cmd. *out is a
 * malloc'd NULL-terminated array of borrowed strings. */
int kt_image_argv(const kt_image *img, const char *entrypoint, char *const *args, size_t nargs,
                  char ***out, kt_err *err);

/* The environment: PATH first (the user's --env PATH=, else the image's,
 * else the sandbox default), then the image's Env, then the user's --env,
 * a name given again replacing the earlier value. sb->envp holds the
 * user's variables on entry (envp[0] = PATH; user_path: set by --env). */
int kt_image_env(const kt_image *img, kt_sandbox *sb, int user_path, kt_err *err);

/* Add the "image" object of run.json to parent. */
void kt_image_json(const kt_image *img, kt_jb *b, cJSON *parent);

/* All of it for kiemthu-sandbox run: open (verify, unpack or find in the
 * cache), then point sb at the tree (read-only root), the command (args:
 * what came after --), the environment and the WorkingDir. */
int kt_image_prepare(kt_image *img, kt_sandbox *sb, const char *ref, const char *cache_dir,
                     const char *entrypoint, char *const *args, size_t nargs,
                     const kt_img_caps *caps, int user_path, kt_err *err);

/* image_digest of any run: the image's (above), the --rootfs tree's or the
 * host program's (hostexec.h). */
int kt_image_digest(const kt_sandbox *sb, char out[KT_DIGEST_STR], char *host_path, size_t n,
                    kt_err *err);

#endif
