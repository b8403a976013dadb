#include "outdir.h"

#include "../core/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

int kt_outdir_create(uint64_t size, uid_t uid, gid_t gid)
{
    int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
    if (fs < 0) return -1;
    char sz[32], u[16], g[16];
    snprintf(sz, sizeof sz, "%llu", (unsigned long long)size);
    snprintf(u, sizeof u, "%u", (unsigned)uid);
    snprintf(g, sizeof g, "%u", (unsigned)gid);
    int mfd = -1;
    if (fsconfig(fs, FSCONFIG_SET_STRING, "size", sz, 0) == 0 &&
        fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0755", 0) == 0 &&
        fsconfig(fs, FSCONFIG_SET_STRING, "uid", u, 0) == 0 &&
        fsconfig(fs, FSCONFIG_SET_STRING, "gid", g, 0) == 0 &&
        fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
        mfd = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
    int e = errno;
    close(fs);
    errno = e;
    return mfd;
}

static int copy_file(int sdir, int ddir, const char *name, kt_outcopy *out, const char *host,
                     kt_err *err)
{
    int in = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0) return kt_fail_errno(err, KT_E_IO, errno, "cannot read /out/%s", name);
    int o = openat(ddir, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (o < 0) {
        int e = errno;
        close(in);
        return kt_fail_errno(err, KT_E_IO, e, "cannot create %s/%s", host, name);
    }
    char buf[65536];
    ssize_t n;
    int rc = 0;
    while ((n = read(in, buf, sizeof buf)) > 0) {
        if (kt_write_all(o, buf, (size_t)n) < 0) {
            rc = kt_fail_errno(err, KT_E_IO, errno, "cannot write %s/%s", host, name);
            break;
        }
        out->bytes += (uint64_t)n;
    }
    if (n < 0 && rc == 0) rc = kt_fail_errno(err, KT_E_IO, errno, "cannot read /out/%s", name);
    close(in);
    if (close(o) < 0 && rc == 0)
        rc = kt_fail_errno(err, KT_E_IO, errno, "cannot write %s/%s", host, name);
    out->files += rc == 0;
    return rc;
}

static int copy_tree(int sdir, int ddir, const char *host, int depth, kt_outcopy *out, kt_err *err)
{
    if (depth > 64) return kt_fail(err, KT_E_DATA, "/out is nested deeper than 64 directories");
    int it = dup(sdir);
    DIR *d = it < 0 ? NULL : fdopendir(it);
    if (!d) {
        if (it >= 0) close(it);
        return kt_fail_errno(err, KT_E_IO, errno, "cannot list /out");
    }
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        struct stat st;
        if (fstatat(sdir, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            rc = kt_fail_errno(err, KT_E_IO, errno, "cannot stat /out/%s", de->d_name);
        } else if (S_ISREG(st.st_mode)) {
            rc = copy_file(sdir, ddir, de->d_name, out, host, err);
        } else if (S_ISDIR(st.st_mode)) {
            if (mkdirat(ddir, de->d_name, 0755) < 0 && errno != EEXIST) {
                rc = kt_fail_errno(err, KT_E_IO, errno, "cannot create %s/%s", host, de->d_name);
                break;
            }
            int s2 = openat(sdir, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            int d2 = openat(ddir, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (s2 < 0 || d2 < 0)
                rc = kt_fail_errno(err, KT_E_IO, errno, "cannot open %s/%s", host, de->d_name);
            else
                rc = copy_tree(s2, d2, host, depth + 1, out, err);
            if (s2 >= 0) close(s2);
            if (d2 >= 0) close(d2);
        } else {
            out->skipped++; /* links and the like stay behind: nothing is followed */
        }
    }
    closedir(d);
    return rc;
}

int kt_outdir_copy(int mfd, const char *host_dir, kt_outcopy *out, kt_err *err)
{
    memset(out, 0, sizeof *out);
    int src = openat(mfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int dst = open(host_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc;
    if (src < 0 || dst < 0)
        rc = kt_fail_errno(err, KT_E_IO, errno, "cannot open /out or %s to copy it", host_dir);
    else
        rc = copy_tree(src, dst, host_dir, 0, out, err);
    if (src >= 0) close(src);
    if (dst >= 0) close(dst);
    return rc;
}
