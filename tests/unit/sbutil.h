/* sbutil.h - a sandbox context as kiemthu-sandbox's main() fills it, for the
 * unit tests of the sandbox modules (header-only). */
#ifndef KT_SBUTIL_H
#define KT_SBUTIL_H

#include "testutil.h"

#include "../../sandbox/baseline.h"
#include "../../sandbox/cgroup.h"
#include "../../sandbox/filter.h"
#include "../../sandbox/ns.h"
#include "../../sandbox/sandbox.h"

#include <valgrind/valgrind.h>

/* Skip (with the reason) where the sandbox cannot be built: valgrind cannot
 * run a process under a seccomp filter; not root needs user namespaces. */
static inline void sb_needs_sandbox(void)
{
    if (RUNNING_ON_VALGRIND) {
        print_message("SKIPPED: the sandbox installs seccomp filters (valgrind 3.19 cannot)\n");
        skip();
    }
    kt_err err;
    if (geteuid() != 0 && kt_ns_userns_available(&err) < 0) {
        print_message("SKIPPED: not root and no user namespaces: %s\n", err.msg);
        skip();
    }
}

static inline void sb_defaults(kt_sandbox *sb, char *const *argv)
{
    static char path[] = KT_SB_PATH;
    memset(sb, 0, sizeof *sb);
    sb->argv = argv;
    sb->envp[0] = path;
    sb->uid = KT_SB_UID;
    sb->gid = KT_SB_GID;
    sb->output_cap = 1 << 20;
    sb->tmp_size = KT_SB_TMP_SIZE;
    sb->out_caps = (kt_out_caps){1 << 20, 4096, 32};
    sb->out_mfd = -1;
    sb->netns_fd = -1;
    sb->limits[KT_LIMIT_PIDS].value = KT_SB_PIDS;
    sb->limits[KT_LIMIT_MEMORY].value = KT_SB_MEMORY;
    sb->limits[KT_LIMIT_SWAP].value = KT_SB_MEMORY;
    sb->limits[KT_LIMIT_CPUS].value = KT_SB_MILLICPUS;
    sb->outer_uid = getuid();
    sb->outer_gid = getgid();
    sb->userns = geteuid() != 0;
}

/* A profile from the repository, or NULL with a failed test. */
static inline kt_profile *sb_profile(const char *rel)
{
    char *p = tu_fixture(rel);
    kt_profile *prof = NULL;
    kt_err err;
    if (kt_profile_load(p, &prof, &err) < 0) fail_msg("%s: %s", rel, err.msg);
    free(p);
    return prof;
}

#endif
