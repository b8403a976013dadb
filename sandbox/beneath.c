#include "beneath.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_CLOEXEC)

static int walk_open(int rootfd, const char *rel)
{
    int fd = openat(rootfd, ".", DIR_FLAGS);
    const char *p = rel;
    while (fd >= 0 && *p) {
        char comp[256];
        size_t len = strcspn(p, "/");
        if (len == 0) {
            p++;
            continue;
        }
        if (len >= sizeof comp || (len == 2 && p[0] == '.' && p[1] == '.')) {
            close(fd);
            errno = len >= sizeof comp ? ENAMETOOLONG : EXDEV;
            return -1;
        }
        memcpy(comp, p, len);
        comp[len] = '\0';
        /* O_NOFOLLOW: a symlink is never followed (ELOOP, or ENOTDIR with
         * O_DIRECTORY: told apart from a file here). */
        int next = openat(fd, comp, DIR_FLAGS | O_NOFOLLOW);
        int e = errno;
        struct stat st;
        if (next < 0 && (e == ENOTDIR || e == ELOOP) &&
            fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
            e = ELOOP;
        close(fd);
        errno = e;
        fd = next;
        p += len;
    }
    return fd;
}

int kt_open_dir_beneath(int rootfd, const char *rel, int *walk)
{
    if (!*rel) return openat(rootfd, ".", DIR_FLAGS);
    if (!*walk) {
        struct open_how how = {
            .flags = DIR_FLAGS,
            .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
        };
        for (int tries = 0; tries < 16; tries++) {
            long fd = syscall(SYS_openat2, rootfd, rel, &how, sizeof how);
            if (fd >= 0) return (int)fd;
            if (errno == ENOSYS) {
                *walk = 1;
                break;
            }
            if (errno != EAGAIN) return -1; /* EAGAIN: a rename raced the lookup */
        }
        if (!*walk) return -1;
    }
    return walk_open(rootfd, rel);
}

static int rm_dir_contents(int fd, int depth)
{
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (errno = 0, de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        if (unlinkat(dirfd(d), de->d_name, 0) == 0 || errno == ENOENT) continue;
        if (errno != EISDIR && errno != EPERM) {
            rc = -1;
            break;
        }
        rc = kt_rmtree_at(dirfd(d), de->d_name, depth - 1);
    }
    if (rc == 0 && errno) rc = -1;
    int e = errno;
    closedir(d);
    errno = e;
    return rc;
}

int kt_rmtree_at(int dfd, const char *name, int depth)
{
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode)) return unlinkat(dfd, name, 0) < 0 && errno != ENOENT ? -1 : 0;
    if (depth <= 0) return errno = ELOOP, -1;
    for (int pass = 0; pass < 3; pass++) {
        int fd = openat(dfd, name, DIR_FLAGS | O_NOFOLLOW);
        if (fd < 0 && errno == EACCES && fchmodat(dfd, name, 0700, 0) == 0)
            fd = openat(dfd, name, DIR_FLAGS | O_NOFOLLOW);
        if (fd < 0) return -1;
        /* Unprivileged, a directory without write permission keeps its
         * entries: make it ours to empty (it is removed next). */
        if ((st.st_mode & 0700) != 0700 && geteuid() != 0) fchmod(fd, 0700);
        if (rm_dir_contents(fd, depth) < 0) return -1;
        if (unlinkat(dfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT) return 0;
        if (errno != ENOTEMPTY) return -1;
    }
    return -1;
}
