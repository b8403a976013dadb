#include "datadir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Set by the Makefile from PREFIX (a generated header, so that a new PREFIX
 * rebuilds this file); the defaults are make's. */
#ifndef KT_DATADIR
#define KT_DATADIR "/usr/local/share/kiemthu"
#endif
#ifndef KT_DOCDIR
#define KT_DOCDIR "/usr/local/share/doc/kiemthu"
#endif

const char *kt_datadir_installed(void)
{
    return KT_DATADIR;
}

const char *kt_docdir_installed(void)
{
    return KT_DOCDIR;
}

int kt_profile_arg_is_path(const char *arg)
{
    size_t n = strlen(arg);
    return strchr(arg, '/') || (n >= 5 && strcmp(arg + n - 5, ".json") == 0);
}

int kt_profile_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 200 || name[0] == '.') return 0;
    return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-") == n;
}

/* Append dir/profiles to the list unless it is there already or too long. */
static size_t add_dir(char dirs[KT_DATADIR_SEARCH_MAX][PATH_MAX], size_t k, const char *base)
{
    char d[PATH_MAX];
    if (k == KT_DATADIR_SEARCH_MAX || !base[0]) return k;
    if (snprintf(d, sizeof d, "%s/profiles", base) >= (int)sizeof d) return k;
    for (size_t i = 0; i < k; i++)
        if (strcmp(dirs[i], d) == 0) return k;
    memcpy(dirs[k], d, strlen(d) + 1);
    return k + 1;
}

size_t kt_profile_dirs(char dirs[KT_DATADIR_SEARCH_MAX][PATH_MAX])
{
    size_t k = 0;
    const char *env = getenv(KT_DATADIR_ENV);
    if (env && env[0]) k = add_dir(dirs, k, env);
    char exe[PATH_MAX];
    ssize_t r = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (r > 0) {
        exe[r] = '\0';
        /* PREFIX/bin/kiemthu-sandbox -> PREFIX/share/kiemthu */
        char *slash = strrchr(exe, '/');
        if (slash) *slash = '\0';
        slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            char rel[PATH_MAX];
            if (snprintf(rel, sizeof rel, "%s/share/kiemthu", exe) < (int)sizeof rel)
                k = add_dir(dirs, k, rel);
        }
    }
    return add_dir(dirs, k, KT_DATADIR);
}

int kt_profile_resolve(const char *arg, char *out, size_t n, kt_err *err)
{
    if (kt_profile_arg_is_path(arg)) {
        if (snprintf(out, n, "%s", arg) >= (int)n)
            return kt_fail(err, KT_E_USAGE, "profile path too long: %.80s...", arg);
        return 0;
    }
    if (!kt_profile_name_valid(arg))
        return kt_fail(err, KT_E_USAGE,
                       "profile \"%.200s\": a name is letters, digits, '.', '_', '+' or '-' (and "
                       "does not start with '.'); a path contains a '/' or ends in .json",
                       arg);
    char dirs[KT_DATADIR_SEARCH_MAX][PATH_MAX];
    size_t k = kt_profile_dirs(dirs);
    char looked[1024] = "";
    size_t used = 0;
    for (size_t i = 0; i < k; i++) {
        char cand[PATH_MAX + 256];
        struct stat st;
        snprintf(cand, sizeof cand, "%s/%s.json", dirs[i], arg);
        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode)) {
            if (snprintf(out, n, "%s", cand) >= (int)n)
                return kt_fail(err, KT_E_USAGE, "profile path too long: %.80s...", cand);
            return 0;
        }
        if (used < sizeof looked)
            used += (size_t)snprintf(looked + used, sizeof looked - used, "%s%s", i ? ", " : "",
                                     dirs[i]);
    }
    struct stat st;
    int local = stat(arg, &st) == 0;
    return kt_fail(err, KT_E_NOINPUT,
                   "profile \"%s\": no %s.json in %s (set " KT_DATADIR_ENV
                   " to a directory holding profiles/, or give a path%s%s)",
                   arg, arg, looked, local ? ": ./" : "", local ? arg : "");
}

void kt_datadir_shown(char *out, size_t n)
{
    char dirs[KT_DATADIR_SEARCH_MAX][PATH_MAX];
    size_t k = kt_profile_dirs(dirs);
    for (size_t i = 0; i < k; i++) {
        struct stat st;
        if (stat(dirs[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            dirs[i][strlen(dirs[i]) - strlen("/profiles")] = '\0';
            char real[PATH_MAX];
            snprintf(out, n, "%s", realpath(dirs[i], real) ? real : dirs[i]);
            return;
        }
    }
    snprintf(out, n, "%s", KT_DATADIR);
}
