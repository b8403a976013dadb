#include "evidence.h"

#include "../core/datadir.h"
#include "../core/fsutil.h"
#include "../core/newfile.h"
#include "paths.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int kt_evidence_root(const char *given, const char *record_abs, char *out, size_t n)
{
    out[0] = '\0';
    if (given) return kt_path_absolute(given, out, n);
    char parent[PATH_MAX];
    kt_dirname(record_abs, parent, sizeof parent);
    const char *base = strrchr(parent, '/');
    if (!base || strcmp(base + 1, "runs") != 0 || base == parent) return 0; /* not /runs/X */
    kt_dirname(parent, out, n);
    return 0;
}

/* 1 if the open file holds exactly bytes[0..n). */
static int same_bytes(int fd, const char *bytes, size_t n)
{
    char *have = malloc(n + 1);
    ssize_t got = have ? kt_read_full(fd, have, n + 1) : -1;
    int same = got == (ssize_t)n && memcmp(have, bytes, n) == 0;
    free(have);
    return same;
}

/* Write bytes as dfd/file unless that exists (then it must hold them). */
static int put(int dfd, const char *dir, const char *file, const char *bytes, size_t n,
               int *written, kt_err *err)
{
    for (int tries = 0; tries < 2; tries++) {
        int fd = openat(dfd, file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0) {
            struct stat st;
            int same = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && same_bytes(fd, bytes, n);
            close(fd);
            if (same) return 0;
            return kt_fail(err, KT_E_CANTCREAT,
                           "%s/%s exists and is not the profile this run used (another run with "
                           "a different profile of that name? use a new evidence folder, or "
                           "rename the profile)",
                           dir, file);
        }
        if (errno != ENOENT)
            return kt_fail_errno(err, KT_E_CANTCREAT, errno, "cannot open %s/%s", dir, file);
        /* Into an error of its own: EEXIST (another run put the file there
         * meanwhile) is not a failure when the bytes are the same, and must
         * not be left in err for the caller to report. */
        kt_err werr;
        kt_err_clear(&werr);
        if (kt_write_new(dfd, dir, file, bytes, n, 0644, &werr) == 0) {
            (*written)++;
            return 0;
        }
        if (errno != EEXIST) {
            *err = werr;
            return -1;
        }
    }
    return kt_fail(err, KT_E_CANTCREAT, "cannot write %s/%s", dir, file);
}

int kt_evidence_profiles(const char *root, const kt_ladder *l, int *written, kt_err *err)
{
    char dir[PATH_MAX];
    *written = 0;
    if (snprintf(dir, sizeof dir, "%s/profiles", root) >= (int)sizeof dir)
        return kt_fail(err, KT_E_CANTCREAT, "evidence folder path too long: %s", root);
    if (kt_mkdir_parents(dir, 0755) < 0)
        return kt_fail_errno(err, KT_E_CANTCREAT, errno, "cannot create %s", dir);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return kt_fail_errno(err, KT_E_CANTCREAT, errno, "cannot open %s (a symbolic link?)", dir);
    int rc = 0;
    char file[300];
    size_t n;
    for (size_t i = 0; rc == 0 && i < l->n; i++) {
        const char *bytes = kt_profile_bytes(l->att[i].profile, &n);
        snprintf(file, sizeof file, "%s.json", l->att[i].name);
        rc = put(dfd, dir, file, bytes, n, written, err);
    }
    if (rc == 0 && l->baseline) {
        size_t bl = strlen(l->baseline_name);
        int has_json = bl > 5 && strcmp(l->baseline_name + bl - 5, ".json") == 0;
        snprintf(file, sizeof file, "%.*s", (int)(has_json ? bl - 5 : bl), l->baseline_name);
        if (!kt_profile_name_valid(file))
            rc = kt_fail(err, KT_E_DATA,
                         "--baseline %s: its file name cannot name a file in the evidence "
                         "(letters, digits, '.', '_', '+', '-'; rename it)",
                         l->baseline_name);
        strcat(file, ".json");
        const char *bytes = kt_profile_bytes(l->baseline, &n);
        if (rc == 0) rc = put(dfd, dir, file, bytes, n, written, err);
    }
    close(dfd);
    return rc;
}
