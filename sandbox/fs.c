#include "fs.h"

#include "../core/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

/* Bind src (host path) onto dst (path under the stage), then remount it with
 * flags. A file or directory is created at dst to mount on. */
static int bind(const char *src, const char *dst, unsigned long flags, kt_err *st)
{
    struct stat s;
    if (stat(src, &s) < 0) return kt_fail_errno(st, KT_E_INTERNAL, errno, "bind source %s", src);
    if (S_ISDIR(s.st_mode)) {
        if (mkdir(dst, 0755) < 0 && errno != EEXIST)
            return kt_fail_errno(st, KT_E_INTERNAL, errno, "mkdir %s", dst);
    } else {
        int fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0 && errno != EEXIST && errno != EROFS && errno != EACCES)
            return kt_fail_errno(st, KT_E_INTERNAL, errno, "create %s", dst);
        if (fd >= 0) close(fd);
    }
    if (mount(src, dst, "none", MS_BIND | MS_REC, NULL) < 0)
        return kt_fail_errno(st, KT_E_INTERNAL, errno, "bind %s on %s", src, dst);
    unsigned long f = MS_REMOUNT | MS_BIND | flags | locked_flags(src);
    if (mount("none", dst, "none", f, NULL) < 0)
        return kt_fail_errno(st, KT_E_INTERNAL, errno, "remount %s", dst);
    return 0;
}

#define RO_FLAGS (MS_RDONLY | MS_NOSUID | MS_NODEV)

static int mkdirs(const char *path, kt_err *st)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
            return kt_fail_errno(st, KT_E_INTERNAL, errno, "mkdir %s", tmp);
        *p = '/';
    }
    if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
        return kt_fail_errno(st, KT_E_INTERNAL, errno, "mkdir %s", tmp);
    return 0;
}

/* /usr, and /bin /sbin /lib* as the host has them: symlinks into usr/
 * (merged /usr) are recreated, real directories are bound read-only. */
static int host_system_dirs(kt_err *st)
{
    static const char *const tops[] = {"bin", "sbin", "lib", "lib32", "lib64", "libx32"};
    if (bind("/usr", STAGE "/usr", RO_FLAGS, st) < 0) return -1;
    /* Debian's program names are often /etc/alternatives symlinks (awk,
     * editor, ...) and the loader reads ld.so.cache: both are needed to run
     * programs, and hold only links and library paths. */
    static const char *const etc[] = {"/etc/alternatives", "/etc/ld.so.cache"};
    for (size_t i = 0; i < sizeof etc / sizeof etc[0]; i++) {
        char dst[64];
        snprintf(dst, sizeof dst, STAGE "%s", etc[i]);
        if (access(etc[i], F_OK) == 0 && bind(etc[i], dst, RO_FLAGS, st) < 0) return -1;
    }
    for (size_t i = 0; i < sizeof tops / sizeof tops[0]; i++) {
        char host[64], dst[64], target[PATH_MAX];
        snprintf(host, sizeof host, "/%s", tops[i]);
        snprintf(dst, sizeof dst, STAGE "/%s", tops[i]);
        struct stat s;
        if (lstat(host, &s) < 0) continue;
        if (S_ISLNK(s.st_mode)) {
            ssize_t n = readlink(host, target, sizeof target - 1);
            if (n < 0) return kt_fail_errno(st, KT_E_INTERNAL, errno, "readlink %s", host);
            target[n] = '\0';
            if (symlink(target, dst) < 0)
                return kt_fail_errno(st, KT_E_INTERNAL, errno, "symlink %s", dst);
        } else if (S_ISDIR(s.st_mode)) {
            if (bind(host, dst, RO_FLAGS, st) < 0) return -1;
        }
    }
    return 0;
}

static int dev_setup(const char *root, kt_err *st)
{
    static const char *const nodes[] = {"null", "zero", "full", "random", "urandom"};
    static const char *const links[][2] = {
        {"/proc/self/fd", "fd"},
        {"/proc/self/fd/0", "stdin"},
        {"/proc/self/fd/1", "stdout"},
        {"/proc/self/fd/2", "stderr"},
    };
    char dev[PATH_MAX], p[PATH_MAX + 64];
    snprintf(dev, sizeof dev, "%s/dev", root);
    if (mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k") < 0)
        return kt_fail_errno(st, KT_E_INTERNAL, errno, "mount tmpfs on /dev");
    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
        char src[64];
        snprintf(src, sizeof src, "/dev/%s", nodes[i]);
        snprintf(p, sizeof p, "%s/%s", dev, nodes[i]);
        if (bind(src, p, MS_NOSUID | MS_NOEXEC, st) < 0) return -1;
    }
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", dev, links[i][1]);
        if (symlink(links[i][0], p) < 0)
            return kt_fail_errno(st, KT_E_INTERNAL, errno, "symlink /dev/%s", links[i][1]);
    }
    if (mount("none", dev, "none", MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC, "mode=0755") < 0)
        return kt_fail_errno(st, KT_E_INTERNAL, errno, "remount /dev read-only");
    return 0;
}

static int proc_setup(const char *root, kt_err *st)
{
    char p[PATH_MAX], sys[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/proc", root);
    if (mkdir(p, 0555) < 0 && errno != EEXIST)
        return kt_fail_errno(st, KT_E_INTERNAL, errno, "mkdir /proc");
    if (mount("proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        return kt_fail_errno(st, KT_E_INTERNAL, errno, "mount /proc");
    /* As Docker does: kernel tunables stay read-only even for a root payload. */
    static const char *const ro[] = {"sys", "sysrq-trigger", "irq", "bus"};
    for (size_t i = 0; i < sizeof ro / sizeof ro[0]; i++) {
        snprintf(sys, sizeof sys, "%s/%s", p, ro[i]);
        if (access(sys, F_OK) < 0) continue;
        if (mount(sys, sys, "none", MS_BIND | MS_REC, NULL) < 0 ||
            mount("none", sys, "none",
                  MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
            return kt_fail_errno(st, KT_E_INTERNAL, errno, "make /proc/%s read-only", ro[i]);
    }
    return 0;
}

/* A directory to mount on: made in the root tmpfs, but never in a --rootfs
 * tree (which must not change; its digest is recorded). */
static int mount_point(const kt_sandbox *sb, const char *root, const char *dir, kt_err *st)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s%s", root, dir);
    struct stat s;
    if (stat(p, &s) == 0 && S_ISDIR(s.st_mode)) return 0;
    errno = ENOENT;
    if (!sb->rootfs && mkdir(p, 0755) == 0) return 0;
    return kt_fail_errno(st, KT_E_INTERNAL, errno,
                         "mount point %s missing (with --rootfs, create it in the tree)", dir);
}

/* Write one view file into the views tmpfs. */
static int write_view(const char *path, const char *bytes, size_t n, kt_err *st)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
    if (fd < 0) return kt_fail_errno(st, KT_E_INTERNAL, errno, "create %s", path);
    int rc = kt_write_all(fd, bytes, n);
    int e = errno;
    close(fd);
    errno = e;
    return rc < 0 ? kt_fail_errno(st, KT_E_INTERNAL, errno, "write %s", path) : 0;
}

/* The filters in force, for kiemthu-probe: a small read-only tmpfs at
 * KT_SB_VIEW_DIR holding the exact profile and baseline bytes. A --rootfs
 * tree gets it only if it has that directory (the tree is never changed). */
static int views_setup(const kt_sandbox *sb, kt_err *st)
{
    if (!sb->profile_view && !sb->baseline_view) return 0;
    const char *dir = STAGE KT_SB_VIEW_DIR;
    struct stat s;
    if (sb->rootfs && (stat(dir, &s) < 0 || !S_ISDIR(s.st_mode))) return 0;
    if (!sb->rootfs && mkdirs(dir, st) < 0) return -1;
    if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=8m") < 0)
        return kt_fail_errno(st, KT_E_INTERNAL, errno, "mount tmpfs on %s", KT_SB_VIEW_DIR);
    if (sb->profile_view &&
        write_view(STAGE KT_SB_PROFILE_VIEW, sb->profile_view, sb->profile_view_len, st) < 0)
        return -1;
    if (sb->baseline_view &&
        write_view(STAGE KT_SB_BASELINE_VIEW, sb->baseline_view, sb->baseline_view_len, st) < 0)
        return -1;
    if (mount("none", dir, "none", MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
              "mode=0755") < 0)
        return kt_fail_errno(st, KT_E_INTERNAL, errno, "remount %s read-only", KT_SB_VIEW_DIR);
    return 0;
}

/* /out: the runner's detached size-capped tmpfs (created noexec unless
 * --out-exec), or a bind of the directory the runner made for this attempt.
 * noexec because /out is the payload's scratch space like /tmp, and
 * --tmpfs /tmp:noexec says what users expect of that. */
static int out_setup(const kt_sandbox *sb, int bindfd, kt_err *st)
{
    unsigned long noexec = sb->out_exec ? 0 : MS_NOEXEC;
    if (sb->out_mfd >= 0) {
        if (mount_point(sb, STAGE, "/out", st) < 0) return -1;
        if (move_mount(sb->out_mfd, "", AT_FDCWD, STAGE "/out", MOVE_MOUNT_F_EMPTY_PATH) < 0)
            return kt_fail_errno(st, KT_E_INTERNAL, errno, "attach the /out tmpfs");
        return 0;
    }
    if (bindfd < 0) return 0;
    char fdpath[64];
    snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", bindfd);
    if (mount_point(sb, STAGE, "/out", st) < 0 ||
        bind(fdpath, STAGE "/out", MS_NOSUID | MS_NODEV | noexec, st) < 0)
        return -1;
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
    char fdpath[64];

    if (sb->rootfs) {
        snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", rootfd);
        if (mount(fdpath, STAGE, "none", MS_BIND | MS_REC, NULL) < 0)
            return kt_fail_errno(st, KT_E_INTERNAL, errno, "bind --rootfs %s", sb->rootfs);
        static const char *const need[] = {"/proc", "/dev", "/tmp"};
        for (size_t i = 0; i < 3; i++)
            if (mount_point(sb, STAGE, need[i], st) < 0) return -1;
    } else {
        if (mount("tmpfs", STAGE, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m") < 0)
            return kt_fail_errno(st, KT_E_INTERNAL, errno, "mount the root tmpfs");
        static const char *const dirs[] = {"/dev", "/tmp", "/etc"};
        for (size_t i = 0; i < 3; i++)
            if (mount_point(sb, STAGE, dirs[i], st) < 0) return -1;
        if (host_system_dirs(st) < 0) return -1;
    }
    if (proc_setup(STAGE, st) < 0 || dev_setup(STAGE, st) < 0) return -1;
    char opts[64];
    snprintf(opts, sizeof opts, "mode=1777,size=%llu", (unsigned long long)sb->tmp_size);
    if (mount("tmpfs", STAGE "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) < 0)
        return kt_fail_errno(st, KT_E_INTERNAL, errno, "mount /tmp");
    char dst[PATH_MAX];
    if (infd >= 0) {
        snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", infd);
        if (mount_point(sb, STAGE, "/in", st) < 0 || bind(fdpath, STAGE "/in", RO_FLAGS, st) < 0)
            return -1;
    }
    if (out_setup(sb, outfd, st) < 0) return -1;
    for (size_t i = 0; i < sb->nbinds; i++) {
        snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", bindfds[i]);
        snprintf(dst, sizeof dst, STAGE "%s", sb->binds[i].dst);
        char parent[PATH_MAX];
        snprintf(parent, sizeof parent, "%s", dst);
        char *slash = strrchr(parent, '/');
        if (slash && slash != parent) {
            *slash = '\0';
            if (mkdirs(parent, st) < 0) return -1;
        }
        if (bind(fdpath, dst, RO_FLAGS, st) < 0) return -1;
    }
    if (views_setup(sb, st) < 0) return -1;
    /* The payload's cgroups, read-only, where a container would see them.
     * A --rootfs tree without /sys/fs/cgroup simply does not get them. */
    for (size_t i = 0; i < sb->ncgroup_views; i++) {
        snprintf(dst, sizeof dst, STAGE "%s", sb->cgroup_views[i].dst);
        if (sb->rootfs && access(dst, F_OK) < 0) continue;
        if (mkdirs(dst, st) < 0 || bind(sb->cgroup_views[i].src, dst, RO_FLAGS | MS_NOEXEC, st) < 0)
            return -1;
    }

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
