/* no-landlock CMD [ARG]... - run CMD where the kernel seems to have no
 * Landlock: a seccomp filter answers landlock_create_ruleset,
 * landlock_add_rule and landlock_restrict_self with ENOSYS, as a kernel
 * before 5.13 (or one without landlock among its LSMs) does. */
#define _GNU_SOURCE
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) return 64;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return 70;
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) return 70;
    if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(landlock_create_ruleset), 0) < 0 ||
        seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(landlock_add_rule), 0) < 0 ||
        seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(landlock_restrict_self), 0) < 0 ||
        seccomp_load(ctx) < 0) {
        fprintf(stderr, "no-landlock: cannot install the filter\n");
        return 70;
    }
    seccomp_release(ctx);
    execvp(argv[1], argv + 1);
    perror("no-landlock: exec");
    return 127;
}
