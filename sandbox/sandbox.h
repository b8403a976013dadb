/* sandbox.h - the one context every sandbox module reads: what to run, the
 * isolation to apply, and where things are. Filled by main(), never global. */
#ifndef KT_SANDBOX_H
#define KT_SANDBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define KT_SB_MAX_BINDS 16
#define KT_SB_MAX_ENV 64
#define KT_SB_UID 65532
#define KT_SB_GID 65532
#define KT_SB_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

typedef struct kt_bind {
    const char *src; /* host path, absolute and resolved */
    const char *dst; /* path inside the sandbox */
} kt_bind;

enum kt_limit_kind { KT_LIMIT_PIDS, KT_LIMIT_MEMORY, KT_LIMIT_SWAP, KT_LIMIT_CPUS, KT_LIMIT_N };

typedef struct kt_limit {
    uint64_t value;          /* pids; bytes; memory+swap bytes; CPUs x 1000 */
    const char *enforced_by; /* "cgroup2", "cgroup1", "rlimit", "affinity", "none" */
} kt_limit;

typedef struct kt_sandbox {
    /* what */
    char *const *argv;
    char *envp[KT_SB_MAX_ENV + 2]; /* PATH first, NULL-terminated */
    size_t nenv;
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
    /* The payload's own cgroup directories, shown read-only inside (as
     * Docker shows a container its cgroup) so kiemthu-probe can attest them. */
    kt_bind cgroup_views[4];
    size_t ncgroup_views;
    /* The seccomp profile of this attempt, shown read-only at
     * KT_SB_PROFILE_VIEW so the payload (kiemthu-probe) can check that the
     * filter the kernel enforces is this profile. */
    const char *profile_path;
    /* --exec-once: the filter notifies on execve/execveat; the runner lets
     * the payload's first exec continue and answers later ones with this
     * errno. 0: not in effect (no flag, or the profile allows exec). */
    int exec_once_errno;
    uint64_t out_size; /* cap on /out (tmpfs, copied out); 0 = bind the host directory */
    int out_mfd;       /* set by kt_spawn: the detached /out tmpfs, or -1 for a bind */
} kt_sandbox;

#define KT_SB_PROFILE_VIEW "/etc/kiemthu/seccomp-profile.json"

#endif
