#include "selfsandbox.h"

#include "extract.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <linux/landlock.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Landlock rights newer than some uapi headers (ABI 2, 3, 5) */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif

int kt_landlock_abi(void)
{
    long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    return v > 0 ? (int)v : 0;
}

/* Every file-system right this kernel's Landlock knows is handled, and only
 * these are granted, beneath dirfd alone: make directories and regular files,
 * write them, list and remove them. Renames stay within one directory (the
 * staged names are in DIR itself), so "refer" is not granted; neither are
 * reading files, executing, truncating, devices, links, FIFOs or sockets. */
static int landlock_beneath(int dirfd, kt_err *err)
{
    int abi = kt_landlock_abi();
    if (abi < 1)
        return kt_fail(err, KT_E_CANTCREAT,
                       "--extract confines its writes to DIR with Landlock (Linux 5.13 or later, "
                       "with landlock among the enabled LSMs), and this kernel has none; nothing "
                       "was written. Verify without --extract, or see the members with --list");
    uint64_t handled = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1: bits 0-12 */
    if (abi >= 2) handled |= LANDLOCK_ACCESS_FS_REFER;
    if (abi >= 3) handled |= LANDLOCK_ACCESS_FS_TRUNCATE;
    if (abi >= 5) handled |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
    struct landlock_ruleset_attr attr = {.handled_access_fs = handled};
    int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
    if (rs < 0) return kt_fail_errno(err, KT_E_INTERNAL, errno, "landlock_create_ruleset");
    struct landlock_path_beneath_attr beneath = {
        .allowed_access = LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
                          LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
                          LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE,
        .parent_fd = dirfd,
    };
    int rc = 0;
    if (syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &beneath, 0) < 0)
        rc = kt_fail_errno(err, KT_E_INTERNAL, errno, "landlock_add_rule");
    else if (syscall(SYS_landlock_restrict_self, rs, 0) < 0)
        rc = kt_fail_errno(err, KT_E_INTERNAL, errno, "landlock_restrict_self");
    close(rs);
    return rc;
}

/* A directory descriptor argument: not AT_FDCWD (-100), nor any negative int. */
#define DIRFD_ARG(n) SCMP_CMP((n), SCMP_CMP_MASKED_EQ, 0x80000000u, 0)
#define INT_ARG(n, v) SCMP_CMP((n), SCMP_CMP_MASKED_EQ, 0xffffffffu, (uint32_t)(v))

/* --extract's calls, each with its arguments pinned where seccomp can see
 * them; Landlock holds the paths beneath DIR, which seccomp cannot read. */
static int allow_extract(scmp_filter_ctx ctx)
{
    int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 2, DIRFD_ARG(0),
                              INT_ARG(2, KT_EXTRACT_FILE_FLAGS));
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 2, DIRFD_ARG(0),
                              INT_ARG(2, KT_EXTRACT_DIR_FLAGS));
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mkdirat), 2, DIRFD_ARG(0),
                              INT_ARG(2, KT_EXTRACT_DIR_MODE));
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(renameat2), 3, DIRFD_ARG(0),
                              DIRFD_ARG(2), INT_ARG(4, RENAME_NOREPLACE));
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(unlinkat), 2, DIRFD_ARG(0),
                              INT_ARG(2, 0));
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(unlinkat), 2, DIRFD_ARG(0),
                              INT_ARG(2, AT_REMOVEDIR));
    return rc;
}

static int install(int dirfd, kt_err *err)
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
    /* Landlock first: the filter below does not allow its calls */
    if (dirfd >= 0 && landlock_beneath(dirfd, err) < 0) return -1;
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
    if (rc == 0 && dirfd >= 0) rc = allow_extract(ctx);
    if (rc == 0) rc = seccomp_load(ctx);
    seccomp_release(ctx);
    if (rc < 0)
        return kt_fail_errno(err, KT_E_INTERNAL, -rc,
                             "cannot install the verifier's seccomp filter");
    return 0;
}

int kt_self_sandbox(kt_err *err)
{
    return install(-1, err);
}

int kt_self_sandbox_beneath(int dirfd, kt_err *err)
{
    return install(dirfd, err);
}
