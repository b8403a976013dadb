/* hostexec.h - what runs in host mode, hashed: the program the sandbox's
 * PATH resolves (image_digest: its sha256), and, since an interpreter's
 * hash says nothing about the product, the script it runs — the file a
 * "#!" line hands to its interpreter (both hashed), or the script file an
 * interpreter is given in argv (sh, bash, python3, perl, node, ... :
 * options skipped, inline code with -c/-e/-m noted instead). Every
 * --ro-bind source is hashed too, in any mode: a file by its sha256, a
 * directory by its tree digest (treedigest.h). Paths are mapped to the
 * host through the mounts the sandbox makes; nothing is executed.
 * docs/RUN_RECORD.md: "executed" and "ro_binds". */
#ifndef KT_HOSTEXEC_H
#define KT_HOSTEXEC_H

#include "../core/err.h"
#include "../core/jsonb.h"
#include "sandbox.h"
#include "treedigest.h"

#include <limits.h>
#include <stddef.h>

typedef struct kt_hashed {
    int set;
    char path[PATH_MAX]; /* as the sandbox names it */
    char host[PATH_MAX]; /* the file hashed (symlinks resolved) */
    char digest[KT_DIGEST_STR];
} kt_hashed;

typedef struct kt_bind_digest {
    const char *kind; /* "file", "tree" or "other" */
    char digest[KT_DIGEST_STR];
} kt_bind_digest;

typedef struct kt_hostexec {
    int host_mode;         /* neither --rootfs nor --image */
    kt_hashed program;     /* argv[0], as PATH resolves it */
    kt_hashed interpreter; /* a "#!" program's interpreter */
    kt_hashed script;      /* the script an interpreter runs */
    char shebang[128];     /* the "#!" line (escaped), "" if none */
    char note[256];        /* why no script was hashed, "" if there is nothing to say */
    kt_bind_digest binds[KT_SB_MAX_BINDS];
    size_t nbinds;
} kt_hostexec;

int kt_hostexec_hash(const kt_sandbox *sb, kt_hostexec *hx, kt_err *err);
/* run.json: "executed" (null unless host mode) and "ro_binds". */
void kt_hostexec_json(const kt_hostexec *hx, const kt_sandbox *sb, kt_jb *b, cJSON *parent);

/* image_digest without an image: the --rootfs tree's digest, or the host
 * program's sha256 (from hx when given). host_path gets what was hashed. */
int kt_host_digest(const kt_sandbox *sb, const kt_hostexec *hx, char out[KT_DIGEST_STR],
                   char *host_path, size_t n, kt_err *err);

#endif
