/* The child's checklist steps one by one, each in a forked child of its own
 * (so nothing here changes the test process): privileges (caps.c), the
 * namespaces' contents (ns.c) and the filesystem (fs.c). Each child exits
 * with the number of the first check that failed, 0 if all held. */
#include "sbutil.h"

#include "../../sandbox/caps.h"
#include "../../sandbox/fs.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* Run fn in a child; its exit status (0: every check held). */
static int in_child(int (*fn)(void *), void *arg)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) _exit(fn(arg));
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (!WIFEXITED(st)) fail_msg("child killed by signal %d", WTERMSIG(st));
    return WEXITSTATUS(st);
}

static void needs_root(const char *what)
{
    if (geteuid() != 0) {
        print_message("SKIPPED: %s (needs root)\n", what);
        skip();
    }
}

/* ---- caps.c ------------------------------------------------------------ */

static int cap_sets_empty(void)
{
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    if (syscall(SYS_capget, &hdr, d) < 0) return 0;
    for (int i = 0; i < 2; i++)
        if (d[i].effective || d[i].permitted || d[i].inheritable) return 0;
    for (int cap = 0; cap < 64; cap++) {
        int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
        if (r < 0) break;
        if (r || prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) > 0) return 0;
    }
    return 1;
}

static int privileges_child(void *arg)
{
    kt_sandbox *sb = arg;
    kt_err err;
    long before = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 1);
    if (kt_caps_no_new_privs(&err) < 0 || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) return 1;
    if (kt_caps_drop_bounding(&err) < 0) return 2;
    if (prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) != 0) return 3;
    if (kt_caps_set_identity(sb, &err) < 0) return 4;
    uid_t r, e, s;
    gid_t rg, eg, sg;
    if (getresuid(&r, &e, &s) < 0 || r != 65532 || e != 65532 || s != 65532) return 5;
    if (getresgid(&rg, &eg, &sg) < 0 || rg != 65532 || eg != 65532 || sg != 65532) return 6;
    if (getgroups(0, NULL) != 0) return 7;
    if (kt_caps_clear(&err) < 0 || !cap_sets_empty()) return 8;
    if (kt_caps_fresh_keyrings(sb, &err) < 0) return 9;
    long after = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
    if (before >= 0 && after == before) return 10; /* not the runner's keyring */
    /* and nothing can be regained: back to root fails */
    if (setresuid(0, 0, 0) == 0 || errno != EPERM) return 11;
    return 0;
}

/* NNP, bounding set, groups -> gid -> uid, every set empty, a fresh
 * session keyring: in the checklist's order, as root. */
static void privileges(void **state)
{
    (void)state;
    needs_root("identity change and capability sets");
    kt_sandbox sb;
    sb_defaults(&sb, NULL);
    assert_int_equal(in_child(privileges_child, &sb), 0);
}

static int too_late_child(void *arg)
{
    kt_sandbox *sb = arg;
    kt_err err;
    if (kt_caps_set_identity(sb, &err) < 0) return 1;
    /* the bounding set can no longer be emptied without CAP_SETPCAP: an
     * error naming the step, which is why the checklist drops it first */
    if (kt_caps_drop_bounding(&err) == 0) return 2;
    if (!strstr(err.msg, "capability")) return 3;
    return 0;
}

static void order_matters(void **state)
{
    (void)state;
    needs_root("identity change");
    kt_sandbox sb;
    sb_defaults(&sb, NULL);
    assert_int_equal(in_child(too_late_child, &sb), 0);
}

/* ---- ns.c -------------------------------------------------------------- */

static void clone_flags(void **state)
{
    (void)state;
    kt_sandbox sb;
    sb_defaults(&sb, NULL);
    sb.userns = 0;
    int want = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS;
    assert_int_equal(kt_ns_clone_flags(&sb), want);
    sb.userns = 1;
    assert_int_equal(kt_ns_clone_flags(&sb), want | CLONE_NEWUSER);
}

static int net_uts_child(void *arg)
{
    (void)arg;
    kt_err err;
    if (unshare(CLONE_NEWNET | CLONE_NEWUTS) < 0) return 1;
    if (kt_ns_net_uts(&err) < 0) return 2;
    char host[64];
    if (gethostname(host, sizeof host) < 0 || strcmp(host, "kiemthu")) return 3;
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0 || !(ifr.ifr_flags & IFF_UP)) return 4;
    /* loopback is the only interface */
    struct if_nameindex *ni = if_nameindex();
    int n = 0;
    for (struct if_nameindex *p = ni; p && p->if_index; p++) n++;
    if_freenameindex(ni);
    return n == 1 ? 0 : 5;
}

/* A new network namespace gets loopback up and nothing else; the hostname. */
static void net_and_uts(void **state)
{
    (void)state;
    needs_root("new network and UTS namespaces");
    assert_int_equal(in_child(net_uts_child, NULL), 0);
}

/* Not root: a user namespace maps 65532 to the caller, setgroups denied. */
static void id_maps(void **state)
{
    (void)state;
    kt_err err;
    if (kt_ns_userns_available(&err) < 0) {
        print_message("SKIPPED: user namespaces: %s\n", err.msg);
        skip();
    }
    kt_sandbox sb;
    sb_defaults(&sb, NULL);
    sb.userns = 1;
    int go[2];
    assert_int_equal(pipe(go), 0);
    fflush(NULL);
    pid_t pid = (pid_t)syscall(SYS_clone, SIGCHLD | CLONE_NEWUSER, NULL, NULL, NULL, NULL);
    assert_true(pid >= 0);
    if (pid == 0) {
        char c;
        if (read(go[0], &c, 1) != 1) _exit(1);
        if (getuid() != 65532 || getgid() != 65532) _exit(2);
        gid_t g = 65532;
        _exit(setgroups(1, &g) == 0 ? 3 : 0);
    }
    assert_int_equal(kt_ns_write_maps(&sb, pid, &err), 0);
    assert_int_equal(write(go[1], "g", 1), 1);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    /* a child that is gone: the maps cannot be written, and err says so */
    assert_int_equal(kt_ns_write_maps(&sb, pid, &err), -1);
    assert_non_null(strstr(err.msg, "id maps"));
    close(go[0]), close(go[1]);
}

/* ---- fs.c -------------------------------------------------------------- */

typedef struct fsarg {
    kt_sandbox sb;
    char in[4096];
} fsarg;

static int fs_child(void *arg)
{
    fsarg *a = arg;
    kt_err err;
    if (unshare(CLONE_NEWNS) < 0) return 1;
    if (kt_fs_setup(&a->sb, &err) < 0) {
        fprintf(stderr, "fs: %s\n", err.msg);
        return 2;
    }
    char cwd[64];
    if (!getcwd(cwd, sizeof cwd) || strcmp(cwd, "/")) return 3;
    if (mkdir("/x", 0755) == 0 || errno != EROFS) return 4;                 /* read-only root */
    if (access("/usr/bin/true", X_OK) < 0) return 5;                        /* host /usr */
    if (access("/home", F_OK) == 0 || access("/root", F_OK) == 0) return 6; /* never */
    if (access("/run", F_OK) == 0) return 7;
    int fd = open("/tmp/t", O_WRONLY | O_CREAT, 0755); /* /tmp writable */
    if (fd < 0) return 8;
    close(fd);
    if (access("/tmp/t", X_OK) == 0 || errno != EACCES) return 9; /* noexec */
    if (open("/in/file", O_RDONLY) < 0) return 10;
    if (open("/in/new", O_WRONLY | O_CREAT, 0644) >= 0 || errno != EROFS) return 11;
    fd = open("/dev/null", O_WRONLY);
    if (fd < 0 || write(fd, "x", 1) != 1) return 12;
    close(fd);
    if (access("/dev/sda", F_OK) == 0 || access("/dev/mem", F_OK) == 0) return 13;
    if (open("/proc/sys/kernel/hostname", O_WRONLY) >= 0 || errno != EROFS) return 14;
    FILE *v = fopen(KT_SB_PROFILE_VIEW, "r");
    char buf[64] = {0};
    if (!v || !fgets(buf, sizeof buf, v) || strcmp(buf, "{\"view\":1}")) return 15;
    fclose(v);
    if (open(KT_SB_PROFILE_VIEW, O_WRONLY) >= 0 || errno != EROFS) return 16;
    if (access("/bin/sh", X_OK) < 0) return 17; /* the merged-usr links */
    return 0;
}

/* The new root as the payload will see it: /usr read-only, /tmp writable
 * but noexec, /in read-only, a minimal /dev, /proc/sys read-only, the
 * filter views read-only, no /home, /root or /run. */
static void filesystem(void **state)
{
    (void)state;
    needs_root("mounts in a new mount namespace");
    char *dir = tu_tmpdir();
    tu_writes(dir, "file", "in");
    static fsarg a;
    sb_defaults(&a.sb, NULL);
    snprintf(a.in, sizeof a.in, "%s", dir);
    a.sb.in_dir = a.in;
    a.sb.profile_view = "{\"view\":1}";
    a.sb.profile_view_len = strlen(a.sb.profile_view);
    assert_int_equal(in_child(fs_child, &a), 0);
    tu_rmrf(dir);
}

static int rootfs_child(void *arg)
{
    fsarg *a = arg;
    kt_err err;
    if (unshare(CLONE_NEWNS) < 0) return 1;
    if (kt_fs_setup(&a->sb, &err) == 0) return 2;
    return strstr(err.msg, "mount point /proc missing") ? 0 : 3;
}

/* A --rootfs tree is never changed: a mount point it lacks is an error that
 * names it, not a directory made in the tree. */
static void rootfs_missing_mount_point(void **state)
{
    (void)state;
    needs_root("mounts in a new mount namespace");
    char *dir = tu_tmpdir();
    tu_writes(dir, "bin/true", "");
    static fsarg a;
    sb_defaults(&a.sb, NULL);
    snprintf(a.in, sizeof a.in, "%s", dir);
    a.sb.rootfs = a.in;
    assert_int_equal(in_child(rootfs_child, &a), 0);
    struct stat st;
    char p[4200];
    snprintf(p, sizeof p, "%s/proc", dir);
    assert_int_equal(stat(p, &st), -1);
    tu_rmrf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(privileges),
        cmocka_unit_test(order_matters),
        cmocka_unit_test(clone_flags),
        cmocka_unit_test(net_and_uts),
        cmocka_unit_test(id_maps),
        cmocka_unit_test(filesystem),
        cmocka_unit_test(rootfs_missing_mount_point),
    };
    return cmocka_run_group_tests_name("isolation", tests, NULL, NULL);
}
