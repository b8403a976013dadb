#include "paths.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Append the components of rest to out (absolute), applying "." and "..". */
static int append_parts(char *out, size_t n, const char *rest)
{
    size_t len = strlen(out);
    while (*rest) {
        size_t l = strcspn(rest, "/");
        if (l == 0 || (l == 1 && rest[0] == '.')) {
            /* empty or "." */
        } else if (l == 2 && rest[0] == '.' && rest[1] == '.') {
            char *slash = strrchr(out, '/');
            len = slash && slash != out ? (size_t)(slash - out) : 1;
            out[len] = '\0';
        } else {
            if (len + (len > 1) + l + 1 > n) return errno = ENAMETOOLONG, -1;
            if (len > 1) out[len++] = '/';
            memcpy(out + len, rest, l);
            len += l;
            out[len] = '\0';
        }
        rest += l + (rest[l] == '/');
    }
    return 0;
}

int kt_path_absolute(const char *path, char *out, size_t n)
{
    char buf[PATH_MAX];
    if (!*path) return errno = ENOENT, -1;
    if (path[0] == '/') {
        if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
            return errno = ENAMETOOLONG, -1;
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd)) return -1;
        if (snprintf(buf, sizeof buf, "%s/%s", cwd, path) >= (int)sizeof buf)
            return errno = ENAMETOOLONG, -1;
    }
    /* Walk back from the whole path to the longest prefix that exists. */
    size_t cut = strlen(buf);
    char resolved[PATH_MAX];
    for (;;) {
        char save = buf[cut];
        buf[cut] = '\0';
        char *r = realpath(cut ? buf : "/", resolved);
        buf[cut] = save;
        if (r) break;
        if (errno != ENOENT && errno != ENOTDIR) return -1;
        while (cut > 0 && buf[cut - 1] != '/') cut--;
        if (cut > 0) cut--; /* drop the slash too */
    }
    if (snprintf(out, n, "%s", resolved) >= (int)n) return errno = ENAMETOOLONG, -1;
    return append_parts(out, n, buf + cut);
}

int kt_path_overlap(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    const char *s = la <= lb ? a : b, *l = la <= lb ? b : a;
    size_t ls = la <= lb ? la : lb;
    if (strncmp(s, l, ls) != 0) return 0;
    return l[ls] == '\0' || l[ls] == '/' || (ls == 1 && s[0] == '/');
}

int kt_mkdir_parents(const char *path, mode_t mode)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) return errno = ENAMETOOLONG, -1;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, mode) < 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(tmp, mode) < 0 && errno != EEXIST) return -1;
    struct stat st;
    if (stat(tmp, &st) < 0) return -1;
    if (!S_ISDIR(st.st_mode)) return errno = ENOTDIR, -1;
    return 0;
}
