#include "newfile.h"

#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* A hidden named file when O_TMPFILE is not there; *tmpname gets its name. */
static int open_named(int dirfd, const char *name, char *tmpname, size_t n)
{
    static unsigned seq;
    for (int tries = 0; tries < 100; tries++) {
        snprintf(tmpname, n, ".%s.tmp-%ld-%u", name, (long)getpid(), seq++);
        int fd = openat(dirfd, tmpname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    return -1;
}

int kt_write_new(int dirfd, const char *dir, const char *name, const void *p, size_t n, mode_t mode,
                 kt_err *err)
{
    char tmpname[300] = "";
    int fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL))
        fd = open_named(dirfd, name, tmpname, sizeof tmpname);
    if (fd < 0) return kt_fail_errno(err, KT_E_CANTCREAT, errno, "cannot create a file in %s", dir);
    int rc = 0;
    if (kt_write_all(fd, p, n) < 0 || fchmod(fd, mode) < 0 || fsync(fd) < 0) {
        rc = kt_fail_errno(err, KT_E_IO, errno, "cannot write %s/%s", dir, name);
    } else if (tmpname[0]) {
        if (linkat(dirfd, tmpname, dirfd, name, 0) < 0)
            rc = kt_fail_errno(err, KT_E_CANTCREAT, errno, "cannot create %s/%s", dir, name);
    } else {
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        if (linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW) < 0)
            rc = kt_fail_errno(err, KT_E_CANTCREAT, errno, "cannot create %s/%s", dir, name);
    }
    int e = errno;
    if (tmpname[0]) unlinkat(dirfd, tmpname, 0);
    close(fd);
    errno = e;
    return rc;
}
