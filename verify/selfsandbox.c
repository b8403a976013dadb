#include "selfsandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>

int kt_self_sandbox(kt_err *err)
{
    static const char *const allowed[] = {
        /* descriptors already open */
        "read",
        "readv",
        "pread64",
        "write",
        "writev",
        "pwrite64",
        "lseek",
        "close",
        "fadvise64",
        /* memory */
        "brk",
        "mmap",
        "munmap",
        "mremap",
        "mprotect",
        "madvise",
        /* time, signals, exit */
        "clock_gettime",
        "gettimeofday",
        "rt_sigreturn",
        "rt_sigprocmask",
        "sigaltstack",
        "futex",
        "exit",
        "exit_group",
    };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return kt_fail_errno(err, KT_E_INTERNAL, errno, "PR_SET_NO_NEW_PRIVS");
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
    if (!ctx) return kt_fail(err, KT_E_INTERNAL, "cannot build the verifier's seccomp filter");
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof allowed / sizeof allowed[0]; i++) {
        int nr = seccomp_syscall_resolve_name(allowed[i]);
        if (nr != __NR_SCMP_ERROR) rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
    }
    /* fstat(fd) is newfstatat(fd, "", buf, AT_EMPTY_PATH) in glibc: allow only that form */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(newfstatat), 1,
                              SCMP_A3(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, AT_EMPTY_PATH));
    if (rc == 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fstat), 0);
    /* Threads (the bundle file's read-ahead), never a new process: clone only
     * with CLONE_THREAD; clone3's flags sit behind a pointer the filter cannot
     * read, so it gets ENOSYS, and glibc's pthread_create falls back to clone. */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
    if (rc == 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    static const char *const thread_calls[] = {"set_robust_list", "rseq"};
    for (size_t i = 0; rc == 0 && i < sizeof thread_calls / sizeof thread_calls[0]; i++) {
        int nr = seccomp_syscall_resolve_name(thread_calls[i]);
        if (nr != __NR_SCMP_ERROR) rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
    }
    if (rc == 0) rc = seccomp_load(ctx);
    seccomp_release(ctx);
    if (rc < 0)
        return kt_fail_errno(err, KT_E_INTERNAL, -rc,
                             "cannot install the verifier's seccomp filter");
    return 0;
}
