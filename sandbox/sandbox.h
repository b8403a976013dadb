/* sandbox.h - the one context every sandbox module reads: what to run, the
 * isolation to apply, and where things are. Filled by main() (and, for each
 * attempt, by the ladder), never global. */
#ifndef KT_SANDBOX_H
#define KT_SANDBOX_H

#include "contract.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define KT_SB_MAX_BINDS 16
#define KT_SB_MAX_ENV 64

typedef struct kt_bind {
    const char *src; /* host path, absolute and resolved */
    const char *dst; /* path inside the sandbox */
} kt_bind;

enum kt_limit_kind { KT_LIMIT_PIDS, KT_LIMIT_MEMORY, KT_LIMIT_SWAP, KT_LIMIT_CPUS, KT_LIMIT_N };

typedef struct kt_limit {
    uint64_t value;          /* pids; bytes; memory+swap bytes; CPUs x 1000 */
    const char *enforced_by; /* "cgroup2", "cgroup1", "rlimit", "affinity", "none" */
} kt_limit;

/* What /out may hold, enforced by the runner when it copies /out into the
 * attempt's record (outdir.h); every refusal is recorded by name. */
typedef struct kt_out_caps {
    uint64_t bytes; /* total apparent size of the files kept */
    uint64_t files; /* regular files kept */
    unsigned depth; /* directory nesting */
} kt_out_caps;

typedef struct kt_sandbox {
    /* what */
    char *const *argv;
    char *envp[KT_SB_MAX_ENV + 2]; /* PATH first, NULL-terminated */
    size_t nenv;
    char *env_host[KT_SB_MAX_ENV + 1]; /* entries of envp from --env NAME: values not recorded */
    size_t nenv_host;
    const char
        *workdir; /* -w/--chdir, else an image's WorkingDir: where the payload starts (NULL: /) */
    /* where */
    const char *in_dir, *out_dir; /* host, resolved; NULL = not mounted */
    const char *rootfs;           /* host, resolved; NULL = host mode */
    kt_bind binds[KT_SB_MAX_BINDS];
    size_t nbinds;
    /* how */
    uid_t uid;
    gid_t gid;
    int userns; /* not root: a user namespace maps uid/gid to the caller */
    uid_t outer_uid;
    gid_t outer_gid;
    double timeout_s;  /* 0 = none */
    size_t output_cap; /* bytes kept of stdout and of stderr each */
    uint64_t tmp_size; /* /tmp tmpfs size */
    kt_limit limits[KT_LIMIT_N];
    uint64_t out_size; /* cap on /out (tmpfs, copied out); 0 = a bind */
    kt_out_caps out_caps;
    int out_exec; /* --out-exec: /out is not mounted noexec */

    /* ---- set for each attempt by the ladder and spawn ---- */
    /* What the host's cgroups offer, read once per run (cgroup.h). */
    const struct kt_cgroup_host *cgroup_host;
    /* The payload's own cgroup directories, shown read-only inside (as
     * Docker shows a container its cgroup) so kiemthu-probe can attest them. */
    kt_bind cgroup_views[4];
    size_t ncgroup_views;
    /* The exact bytes of the attempt's profile and of the baseline, written
     * into a read-only tmpfs at KT_SB_VIEW_DIR so kiemthu-probe can check the
     * filters the kernel enforces against them. NULL: not shown. */
    const char *profile_view, *baseline_view;
    size_t profile_view_len, baseline_view_len;
    /* --exec-once: the filter notifies on execve/execveat; the runner lets
     * the payload's first exec continue and answers later ones with this
     * errno. 0: not in effect (no flag, or the profile allows exec). */
    int exec_once_errno;
    /* /out for this attempt: the detached size-capped tmpfs (mount fd), or
     * else a directory the runner made for it (bind), or neither. */
    int out_mfd;
    const char *out_bind;
    /* --image: the image (rootfs is its unpacked tree; its WorkingDir goes to
     * workdir unless --chdir was given). */
    const struct kt_image *image;
    /* What was hashed of the program, its script and the --ro-bind sources
     * (hostexec.h), for run.json. */
    const struct kt_hostexec *hostexec;
    /* A network namespace made ahead (netprep.h), or NULL; spawn takes it
     * for the first sandbox and sets netns_fd for the child (-1: the clone
     * makes one). */
    struct kt_netprep *netprep;
    int netns_fd;
} kt_sandbox;

#endif
