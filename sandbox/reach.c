#include "reach.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The first directory on the way to abs that the real uid cannot search;
 * "" if every one can be searched. */
static void first_blocked(const char *abs, char *out, size_t n)
{
    char prefix[PATH_MAX];
    out[0] = '\0';
    for (const char *p = abs + 1;; p++) {
        if (*p != '/' && *p) continue;
        size_t len = (size_t)(p - abs);
        if (len >= sizeof prefix) return;
        memcpy(prefix, abs, len);
        prefix[len] = '\0';
        struct stat st;
        if (!*p) return; /* the last component is the target itself */
        if (stat(prefix, &st) == 0 && S_ISDIR(st.st_mode) && access(prefix, X_OK) < 0 &&
            errno == EACCES) {
            snprintf(out, n, "%s", prefix);
            return;
        }
    }
}

int kt_reach(const char *path, int want_read, kt_err *err)
{
    char abs[PATH_MAX];
    if (path[0] == '/') {
        snprintf(abs, sizeof abs, "%s", path);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd)) snprintf(cwd, sizeof cwd, ".");
        if ((size_t)snprintf(abs, sizeof abs, "%s/%s", cwd, path) >= sizeof abs) {
            kt_fail(err, KT_E_DATA, "path too long");
            return errno = ENAMETOOLONG, -1;
        }
    }
    struct stat st;
    int e = 0;
    if (stat(abs, &st) < 0)
        e = errno;
    else if (want_read && access(abs, S_ISDIR(st.st_mode) ? R_OK | X_OK : R_OK) < 0)
        e = errno;
    if (!e) return 0;
    if (e == EACCES) {
        char blocked[PATH_MAX];
        first_blocked(abs, blocked, sizeof blocked);
        if (blocked[0])
            kt_fail(err, KT_E_DATA,
                    "permission denied for uid %u (it cannot enter %s); move it or pass a copy",
                    (unsigned)getuid(), blocked);
        else
            kt_fail(err, KT_E_DATA,
                    "permission denied for uid %u (it cannot read it); move it or pass a copy",
                    (unsigned)getuid());
    } else if (e == ENOENT) {
        kt_fail(err, KT_E_NOINPUT, "does not exist");
    } else {
        kt_fail(err, KT_E_DATA, "%s", strerror(e));
    }
    errno = e;
    return -1;
}
