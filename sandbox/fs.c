#include "fs.h"

#include "../core/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#define STAGE "/tmp" /* where the new root is assembled, in our own mount namespace */

/* Flags a bind must keep: in a user namespace the kernel refuses to clear a
 * locked nosuid/nodev/noexec/atime flag, so carry over what the source has. */
static unsigned long locked_flags(const char *path)
{
    struct statvfs sv;
    unsigned long f = 0;
    if (statvfs(path, &sv) < 0) return 0;
    if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
    if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
    if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
    if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
    return f;
}

/* The mount point for `inside` (an absolute path in the sandbox) beneath the
 * stage, resolved one component at a time without following any symbolic
 * link: a --rootfs tree or an image is not ours, and a link in it (or an
 * absolute link under host /usr) would otherwise make the runner create or
 * mount on a host path. Missing parts are made (kind 'd': a directory, 'f':
 * an empty file; 0: look up only, anything but a link) only in host mode,
 * where the stage is our own tmpfs; a tree is never changed. Returns an O_PATH descriptor, and in
 * fdpath the /proc/self/fd path to mount on; -1 with err. */
static int target(const kt_sandbox *sb, const char *inside, int kind, char *fdpath, size_t n,
                  kt_err *st)
{
    int create = !sb->rootfs;
    int cur = open(STAGE, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (cur < 0) return kt_fail_errno(st, KT_E_INTERNAL, errno, "open the stage");
    const char *p = inside;
    while (*p == '/') p++;
    while (*p) {
        size_t len = strcspn(p, "/");
        char comp[NAME_MAX + 1];
        if (len > NAME_MAX) {
            close(cur);
            return kt_fail(st, KT_E_INTERNAL, "mount point %s: a name is too long", inside);
        }
        memcpy(comp, p, len);
        comp[len] = '\0';
        const char *rest = p + len;
        while (*rest == '/') rest++;
        int last = !*rest, dir = !last || kind == 'd', file = last && kind == 'f';
        if (!strcmp(comp, ".") || !strcmp(comp, "..")) {
            close(cur);
            return kt_fail(st, KT_E_INTERNAL, "mount point %s: \".\" or \"..\" in it", inside);
        }
        int next = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC | (dir ? O_DIRECTORY : 0));
        if (next < 0 && errno == ENOENT && create) {
            int made =
                dir ? mkdirat(cur, comp, 0755)
                    : openat(cur, comp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
            if (!dir && made >= 0) close(made);
            next = made < 0 ? -1
                            : openat(cur, comp,
                                     O_PATH | O_NOFOLLOW | O_CLOEXEC | (dir ? O_DIRECTORY : 0));
        }
        struct stat s;
        int e = errno;
        /* O_PATH | O_NOFOLLOW opens a link itself: refuse it; a file target
         * must be a regular file. */
        if (next >= 0 && !dir &&
            (fstat(next, &s) < 0 || S_ISLNK(s.st_mode) || (file && !S_ISREG(s.st_mode)))) {
            close(next);
            next = -1;
            e = S_ISLNK(s.st_mode) ? ELOOP : EINVAL;
        }
        close(cur);
        if (next < 0) {
            if (e == ENOENT && sb->rootfs)
                return kt_fail(st, KT_E_INTERNAL,
                               "mount point %s missing (with --rootfs or --image it must be "
                               "in the tree)",
                               inside);
            return kt_fail_errno(st, KT_E_INTERNAL, e == ENOTDIR ? ELOOP : e,
                                 "mount point %s (no part of it may be a symbolic link)", inside);
        }
        cur = next;
        p = rest;
    }
    snprintf(fdpath, n, "/proc/self/fd/%d", cur);
    return cur;
}

/* mount_setattr(2) (Linux 5.12), by number: older C libraries lack it. */
struct kt_mount_attr {
    uint64_t attr_set, attr_clr, propagation, userns_fd;
};
#define KT_ATTR_RDONLY 0x1
#define KT_ATTR_NOSUID 0x2
#define KT_ATTR_NODEV 0x4
#define KT_ATTR_NOEXEC 0x8
#define KT_AT_RECURSIVE 0x8000

static uint64_t attr_bits(unsigned long flags)
{
    return ((flags & MS_RDONLY) ? KT_ATTR_RDONLY : 0) | ((flags & MS_NOSUID) ? KT_ATTR_NOSUID : 0) |
           ((flags & MS_NODEV) ? KT_ATTR_NODEV : 0) | ((flags & MS_NOEXEC) ? KT_ATTR_NOEXEC : 0);
}

/* A read-only bind's flags on every mount of its tree: a mount beneath the
 * bind's source (a tmpfs under --in, say) comes along with MS_REC, and a
 * remount would change only the top one. One call sets them all (and
 * clears none: what a user namespace locks stays). 1 where the kernel has
 * no mount_setattr (before 5.12): the caller remounts the top mount, the
 * old behaviour, said in the docs. */
static int flags_recursive(int fd, unsigned long flags, const char *inside, kt_err *st)
{
    struct kt_mount_attr a = {attr_bits(flags), 0, 0, 0};
    if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | KT_AT_RECURSIVE, &a, sizeof a) == 0)
        return 0;
    if (errno == ENOSYS) return 1;
    return kt_fail_errno(st, KT_E_INTERNAL, errno, "make every mount under %s read-only", inside);
}

/* A recursive copy of the mount tree at src, detached (open_tree), given
 * flags on every mount of it and attached on tfd (a directory or file
 * beneath the stage, resolved without links): three calls, nothing looked
 * up again, and no moment where the copy is attached without its flags.
 * 1 where the kernel lacks open_tree or mount_setattr (before 5.12): the
 * caller binds and remounts instead. */
static int attach_copy(const char *src, int tfd, unsigned long flags, const char *inside,
                       kt_err *st)
{
    int tree = (int)syscall(SYS_open_tree, AT_FDCWD, src,
                            OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | KT_AT_RECURSIVE);
    if (tree < 0)
        return errno == ENOSYS
                   ? 1
                   : kt_fail_errno(st, KT_E_INTERNAL, errno, "bind %s on %s", src, inside);
    struct kt_mount_attr a = {attr_bits(flags), 0, 0, 0};
    if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | KT_AT_RECURSIVE, &a, sizeof a) < 0) {
        int e = errno;
        close(tree);
        return e == ENOSYS ? 1 : kt_fail_errno(st, KT_E_INTERNAL, e, "set the flags of %s", inside);
    }
    int rc = move_mount(tree, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
    int e = errno;
    close(tree);
    return rc < 0 ? kt_fail_errno(st, KT_E_INTERNAL, e, "bind %s on %s", src, inside) : 0;
}

/* Bind src (a host path or /proc/self/fd/N) onto `inside` with flags on
 * every mount of its tree (attach_copy). Where the kernel cannot, the old
 * way: bind, then set the flags through the mount's own root, looked up
 * again beneath the stage after the bind. */
static int bind(const kt_sandbox *sb, const char *src, const char *inside, unsigned long flags,
                kt_err *st)
{
    struct stat s;
    if (stat(src, &s) < 0) return kt_fail_errno(st, KT_E_INTERNAL, errno, "bind source %s", src);
    char at[64];
    int fd = target(sb, inside, S_ISDIR(s.st_mode) ? 'd' : 'f', at, sizeof at, st);
    if (fd < 0) return -1;
    int rc = attach_copy(src, fd, flags, inside, st);
    if (rc <= 0) {
        close(fd);
        return rc;
    }
    rc = mount(src, at, "none", MS_BIND | MS_REC, NULL);
    int e = errno;
    close(fd);
    if (rc < 0) return kt_fail_errno(st, KT_E_INTERNAL, e, "bind %s on %s", src, inside);
    if ((fd = target(sb, inside, 0, at, sizeof at, st)) < 0) return -1;
    rc = (flags & MS_RDONLY) ? flags_recursive(fd, flags, inside, st) : 1;
    if (rc <= 0) {
        close(fd);
        return rc;
    }
    unsigned long f = MS_REMOUNT | MS_BIND | flags | locked_flags(src);
    rc = mount("none", at, "none", f, NULL);
    e = errno;
    close(fd);
    if (rc < 0) return kt_fail_errno(st, KT_E_INTERNAL, e, "remount %s", inside);
    return 0;
}

#define RO_FLAGS (MS_RDONLY | MS_NOSUID | MS_NODEV)

/* Mount a filesystem of fstype on the directory `inside`. */
static int mount_fs(const kt_sandbox *sb, const char *inside, const char *fstype,
                    unsigned long flags, const char *opts, kt_err *st)
{
    char at[64];
    int fd = target(sb, inside, 'd', at, sizeof at, st);
    if (fd < 0) return -1;
    int rc = mount(fstype, at, fstype, flags, opts);
    int e = errno;
    close(fd);
    return rc < 0 ? kt_fail_errno(st, KT_E_INTERNAL, e, "mount %s on %s", fstype, inside) : 0;
}

/* Remount the mount at `inside` with flags (through its root, looked up anew). */
static int remount(const kt_sandbox *sb, const char *inside, unsigned long flags, const char *opts,
                   kt_err *st)
{
    char at[64];
    int fd = target(sb, inside, 0, at, sizeof at, st);
    if (fd < 0) return -1;
    int rc = mount("none", at, "none", MS_REMOUNT | flags, opts);
    int e = errno;
    close(fd);
    return rc < 0 ? kt_fail_errno(st, KT_E_INTERNAL, e, "remount %s", inside) : 0;
}

/* A symbolic link in the stage's own tmpfs (host mode), or in a tmpfs we
 * mounted: dir is resolved without links, the link is made inside it. */
static int make_link(const kt_sandbox *sb, const char *dir, const char *name, const char *to,
                     kt_err *st)
{
    char at[64];
    int fd = target(sb, dir, 0, at, sizeof at, st);
    if (fd < 0) return -1;
    int rc = symlinkat(to, fd, name);
    int e = errno;
    close(fd);
    return rc < 0 ? kt_fail_errno(st, KT_E_INTERNAL, e, "symlink %s/%s", dir, name) : 0;
}

/* /usr, and /bin /sbin /lib* as the host has them: symlinks into usr/
 * (merged /usr) are recreated, real directories are bound read-only. */
static int host_system_dirs(const kt_sandbox *sb, kt_err *st)
{
    static const char *const tops[] = {"bin", "sbin", "lib", "lib32", "lib64", "libx32"};
    if (bind(sb, "/usr", "/usr", RO_FLAGS, st) < 0) return -1;
    /* Debian's program names are often /etc/alternatives symlinks (awk,
     * editor, ...) and the loader reads ld.so.cache: both are needed to run
     * programs, and hold only links and library paths. */
    static const char *const etc[] = {"/etc/alternatives", "/etc/ld.so.cache"};
    for (size_t i = 0; i < sizeof etc / sizeof etc[0]; i++)
        if (access(etc[i], F_OK) == 0 && bind(sb, etc[i], etc[i], RO_FLAGS, st) < 0) return -1;
    for (size_t i = 0; i < sizeof tops / sizeof tops[0]; i++) {
        char host[64], to[PATH_MAX];
        snprintf(host, sizeof host, "/%s", tops[i]);
        struct stat s;
        if (lstat(host, &s) < 0) continue;
        if (S_ISLNK(s.st_mode)) {
            ssize_t n = readlink(host, to, sizeof to - 1);
            if (n < 0) return kt_fail_errno(st, KT_E_INTERNAL, errno, "readlink %s", host);
            to[n] = '\0';
            if (make_link(sb, "/", tops[i], to, st) < 0) return -1;
        } else if (S_ISDIR(s.st_mode)) {
            if (bind(sb, host, host, RO_FLAGS, st) < 0) return -1;
        }
    }
    return 0;
}

static int dev_setup(const kt_sandbox *sb, kt_err *st)
{
    static const char *const nodes[] = {"null", "zero", "full", "random", "urandom"};
    static const char *const links[][2] = {
        {"/proc/self/fd", "fd"},
        {"/proc/self/fd/0", "stdin"},
        {"/proc/self/fd/1", "stdout"},
        {"/proc/self/fd/2", "stderr"},
    };
    if (mount_fs(sb, "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k", st) < 0)
        return -1;
    /* From here on /dev is our own tmpfs: what is made in it stays in it.
     * As root (no user namespace) the nodes are made, as runc makes them;
     * in a user namespace, where mknod is refused, the host's are bound. */
    kt_sandbox host = *sb;
    host.rootfs = NULL;
    int made = 0;
    if (!sb->userns) {
        char at[64];
        int fd = target(&host, "/dev", 0, at, sizeof at, st);
        if (fd < 0) return -1;
        for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
            char host_node[64];
            struct stat hs;
            snprintf(host_node, sizeof host_node, "/dev/%s", nodes[i]);
            if (stat(host_node, &hs) < 0 || !S_ISCHR(hs.st_mode) ||
                mknodat(fd, nodes[i], S_IFCHR | 0666, hs.st_rdev) < 0)
                break;
            if (fchmodat(fd, nodes[i], 0666, 0) < 0) { /* the umask took bits: bind it instead */
                unlinkat(fd, nodes[i], 0);
                break;
            }
            made++;
        }
        close(fd);
    }
    for (size_t i = (size_t)made; i < sizeof nodes / sizeof nodes[0]; i++) {
        char node[64];
        snprintf(node, sizeof node, "/dev/%s", nodes[i]);
        if (bind(&host, node, node, MS_NOSUID | MS_NOEXEC, st) < 0) return -1;
    }
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
        if (make_link(sb, "/dev", links[i][1], links[i][0], st) < 0) return -1;
    return remount(sb, "/dev", MS_RDONLY | MS_NOSUID | MS_NOEXEC, "mode=0755", st);
}

static int proc_setup(const kt_sandbox *sb, kt_err *st)
{
    if (mount_fs(sb, "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, st) < 0) return -1;
    /* As Docker does: kernel tunables stay read-only even for a root payload. */
    static const char *const ro[] = {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus"};
    for (size_t i = 0; i < sizeof ro / sizeof ro[0]; i++) {
        char at[64];
        kt_err absent;
        int fd = target(sb, ro[i], 0, at, sizeof at, &absent);
        if (fd < 0) continue;
        const unsigned long ro_flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
        int rc = attach_copy(at, fd, ro_flags, ro[i], st);
        if (rc <= 0) {
            close(fd);
            if (rc < 0) return -1;
            continue;
        }
        rc = mount(at, at, "none", MS_BIND | MS_REC, NULL);
        int e = errno;
        close(fd);
        if (rc < 0) return kt_fail_errno(st, KT_E_INTERNAL, e, "make %s read-only", ro[i]);
        if ((fd = target(sb, ro[i], 0, at, sizeof at, st)) < 0) return -1;
        rc = flags_recursive(fd, ro_flags, ro[i], st);
        close(fd);
        if (rc < 0 || (rc > 0 && remount(sb, ro[i], MS_BIND | ro_flags, NULL, st) < 0)) return -1;
    }
    return 0;
}

/* Write one view file into the views tmpfs (directory fd dfd). */
static int write_view(int dfd, const char *name, const char *bytes, size_t n, kt_err *st)
{
    int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
    if (fd < 0) return kt_fail_errno(st, KT_E_INTERNAL, errno, "create %s", name);
    int rc = kt_write_all(fd, bytes, n);
    int e = errno;
    close(fd);
    return rc < 0 ? kt_fail_errno(st, KT_E_INTERNAL, e, "write %s", name) : 0;
}

/* The filters in force, for kiemthu-probe: the exact profile and baseline
 * bytes at KT_SB_VIEW_DIR, read-only. In host mode they are files of the
 * root tmpfs, which is made read-only with the root; a --rootfs tree gets a
 * small read-only tmpfs there, only if it has that directory (the tree is
 * never changed). */
static int views_setup(const kt_sandbox *sb, kt_err *st)
{
    if (!sb->profile_view && !sb->baseline_view) return 0;
    char at[64];
    kt_err absent;
    int fd = target(sb, KT_SB_VIEW_DIR, 'd', at, sizeof at, sb->rootfs ? &absent : st);
    if (fd < 0) return sb->rootfs ? 0 : -1;
    int rc = 0, e = 0;
    if (sb->rootfs) {
        rc = mount("tmpfs", at, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=9m");
        e = errno;
        close(fd);
        if (rc < 0) return kt_fail_errno(st, KT_E_INTERNAL, e, "mount tmpfs on %s", KT_SB_VIEW_DIR);
        if ((fd = target(sb, KT_SB_VIEW_DIR, 0, at, sizeof at, st)) < 0) return -1;
    }
    const char *pv = strrchr(KT_SB_PROFILE_VIEW, '/') + 1,
               *bv = strrchr(KT_SB_BASELINE_VIEW, '/') + 1;
    rc = (sb->profile_view && write_view(fd, pv, sb->profile_view, sb->profile_view_len, st) < 0) ||
                 (sb->baseline_view &&
                  write_view(fd, bv, sb->baseline_view, sb->baseline_view_len, st) < 0)
             ? -1
             : 0;
    close(fd);
    if (rc < 0 || !sb->rootfs) return rc;
    return remount(sb, KT_SB_VIEW_DIR, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755",
                   st);
}

/* /out: the detached size-capped tmpfs the first process made (noexec unless
 * --out-exec), or a bind of the directory the runner made for this attempt.
 * noexec because /out is the payload's scratch space like /tmp, and
 * --tmpfs /tmp:noexec says what users expect of that. */
static int out_setup(const kt_sandbox *sb, int bindfd, kt_err *st)
{
    unsigned long noexec = sb->out_exec ? 0 : MS_NOEXEC;
    if (sb->out_mfd >= 0) {
        char at[64];
        int fd = target(sb, "/out", 'd', at, sizeof at, st);
        if (fd < 0) return -1;
        int rc =
            move_mount(sb->out_mfd, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
        int e = errno;
        close(fd);
        return rc < 0 ? kt_fail_errno(st, KT_E_INTERNAL, e, "attach the /out tmpfs") : 0;
    }
    if (bindfd < 0) return 0;
    char fdpath[64];
    snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", bindfd);
    return bind(sb, fdpath, "/out", MS_NOSUID | MS_NODEV | noexec, st);
}

/* What the sandbox's root holds besides the tree or the host's /usr. */
static int populate(const kt_sandbox *sb, int infd, int outfd, const int *bindfds, kt_err *st)
{
    if (proc_setup(sb, st) < 0 || dev_setup(sb, st) < 0) return -1;
    char opts[64], fdpath[64];
    snprintf(opts, sizeof opts, "mode=1777,size=%llu", (unsigned long long)sb->tmp_size);
    if (mount_fs(sb, "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts, st) < 0) return -1;
    if (infd >= 0) {
        snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", infd);
        if (bind(sb, fdpath, "/in", RO_FLAGS, st) < 0) return -1;
    }
    if (out_setup(sb, outfd, st) < 0) return -1;
    for (size_t i = 0; i < sb->nbinds; i++) {
        snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", bindfds[i]);
        if (bind(sb, fdpath, sb->binds[i].dst, RO_FLAGS, st) < 0) return -1;
    }
    if (views_setup(sb, st) < 0) return -1;
    /* The payload's cgroups, read-only, where a container would see them.
     * A --rootfs tree without /sys/fs/cgroup simply does not get them. */
    for (size_t i = 0; i < sb->ncgroup_views; i++) {
        char at[64];
        kt_err absent;
        int fd = sb->rootfs ? target(sb, sb->cgroup_views[i].dst, 0, at, sizeof at, &absent) : 0;
        if (fd < 0) continue;
        if (sb->rootfs) close(fd);
        if (bind(sb, sb->cgroup_views[i].src, sb->cgroup_views[i].dst, RO_FLAGS | MS_NOEXEC, st) <
            0)
            return -1;
    }
    return 0;
}

int kt_fs_setup(const kt_sandbox *sb, kt_err *st)
{
    /* Nothing we mount may propagate back to the host. */
    if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
        return kt_fail_errno(st, KT_E_INTERNAL, errno, "make / private");
    /* The bind sources are resolved now, before the stage hides host /tmp. */
    int infd = -1, outfd = -1, rootfd = -1;
    int bindfds[KT_SB_MAX_BINDS];
    if (sb->in_dir && (infd = open(sb->in_dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
        return kt_fail_errno(st, KT_E_INTERNAL, errno, "open --in %s", sb->in_dir);
    if (sb->out_bind && (outfd = open(sb->out_bind, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
        return kt_fail_errno(st, KT_E_INTERNAL, errno, "open the /out directory %s", sb->out_bind);
    for (size_t i = 0; i < sb->nbinds; i++)
        if ((bindfds[i] = open(sb->binds[i].src, O_PATH | O_CLOEXEC)) < 0)
            return kt_fail_errno(st, KT_E_INTERNAL, errno, "open --ro-bind %s", sb->binds[i].src);
    if (sb->rootfs && (rootfd = open(sb->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
        return kt_fail_errno(st, KT_E_INTERNAL, errno, "open --rootfs %s", sb->rootfs);
    if (sb->rootfs) {
        char fdpath[64];
        snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", rootfd);
        if (mount(fdpath, STAGE, "none", MS_BIND | MS_REC, NULL) < 0)
            return kt_fail_errno(st, KT_E_INTERNAL, errno, "bind --rootfs %s", sb->rootfs);
    } else {
        /* room for the views (views_setup): a profile and the baseline, 4 MiB each at most */
        if (mount("tmpfs", STAGE, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=9m") < 0)
            return kt_fail_errno(st, KT_E_INTERNAL, errno, "mount the root tmpfs");
        if (host_system_dirs(sb, st) < 0) return -1;
    }
    if (populate(sb, infd, outfd, bindfds, st) < 0) return -1;

    /* Swap roots: the old root is stacked on the new one, then detached. */
    if (chdir(STAGE) < 0) return kt_fail_errno(st, KT_E_INTERNAL, errno, "chdir to the new root");
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return kt_fail_errno(st, KT_E_INTERNAL, errno, "pivot_root");
    if (umount2(".", MNT_DETACH) < 0)
        return kt_fail_errno(st, KT_E_INTERNAL, errno, "detach the old root");
    if (chdir("/") < 0) return kt_fail_errno(st, KT_E_INTERNAL, errno, "chdir /");
    if (mount("none", "/", "none", MS_REMOUNT | MS_BIND | RO_FLAGS | locked_flags("/"), NULL) < 0)
        return kt_fail_errno(st, KT_E_INTERNAL, errno, "remount / read-only");
    if (infd >= 0) close(infd);
    if (outfd >= 0) close(outfd);
    for (size_t i = 0; i < sb->nbinds; i++) close(bindfds[i]);
    if (rootfd >= 0) close(rootfd);
    return 0;
}
