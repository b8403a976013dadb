#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int kt_write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (w == 0) {
            errno = EIO;
            return -1;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

ssize_t kt_read_full(int fd, void *p, size_t n)
{
    char *c = p;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, c + got, n - got);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (r == 0) break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

int kt_read_file(const char *path, size_t cap, char **out, size_t *len, kt_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return kt_fail_errno(err, errno == ENOENT ? KT_E_NOINPUT : KT_E_DATA, errno,
                             "cannot open %s", path);
    int rc = kt_read_fd(fd, cap, path, out, len, err);
    close(fd);
    return rc;
}

int kt_read_fd(int fd, size_t cap, const char *path, char **out, size_t *len, kt_err *err)
{
    struct stat st;
    if (fstat(fd, &st) < 0) return kt_fail_errno(err, KT_E_IO, errno, "cannot stat %s", path);
    if (!S_ISREG(st.st_mode)) return kt_fail(err, KT_E_DATA, "%s is not a regular file", path);
    if ((uint64_t)st.st_size > cap)
        return kt_fail(err, KT_E_LIMIT, "%s is %lld bytes, more than the limit of %zu", path,
                       (long long)st.st_size, cap);
    /* Sized by fstat (not by the cap: a 4 MiB buffer for a 600-byte profile
     * is an mmap, an munmap and page faults), grown if the file grows while
     * it is read, never past cap + 1 bytes. */
    size_t have = (size_t)st.st_size + 1, n = 0;
    char *buf = malloc(have + 1);
    if (!buf) return kt_fail(err, KT_E_NOMEM, "out of memory reading %s", path);
    for (;;) {
        ssize_t r = kt_read_full(fd, buf + n, have - n);
        if (r < 0) {
            int e = errno;
            free(buf);
            return kt_fail_errno(err, KT_E_IO, e, "cannot read %s", path);
        }
        n += (size_t)r;
        if (n > cap) {
            free(buf);
            return kt_fail(err, KT_E_LIMIT, "%s grew past the limit of %zu bytes", path, cap);
        }
        if (n < have) break; /* the end of the file */
        size_t more = have > (cap + 1) / 2 ? cap + 1 : have * 2;
        char *nb = realloc(buf, more + 1);
        if (!nb) {
            free(buf);
            return kt_fail(err, KT_E_NOMEM, "out of memory reading %s", path);
        }
        buf = nb, have = more;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

void kt_dirname(const char *path, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, cap, ".");
    else if (slash == path)
        snprintf(out, cap, "/");
    else
        snprintf(out, cap, "%.*s", (int)(slash - path), path);
}

int kt_write_text(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = kt_write_all(fd, text, strlen(text));
    int e = errno;
    if (close(fd) < 0 && rc == 0) {
        rc = -1;
        e = errno;
    }
    errno = e;
    return rc;
}

int kt_open_beneath(int rootfd, const char *rel)
{
    /* openat2 refuses a symlink anywhere in the path, even if one replaced a
     * directory after the walk listed it; fall back to O_NOFOLLOW on kernels
     * before 5.6. O_NONBLOCK: a FIFO swapped in after a check opens at once
     * (and fstat then refuses it) instead of blocking; regular files ignore it. */
    struct open_how how = {
        .flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
        .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    long fd = syscall(SYS_openat2, rootfd, rel, &how, sizeof how);
    if (fd >= 0 || errno != ENOSYS) return (int)fd;
    return openat(rootfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
}
