#include "image.h"

#include "../core/buf.h"
#include "../core/fsutil.h"
#include "../core/sha256.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int hash_fd(int fd, uint8_t out[KT_SHA256_LEN])
{
    kt_sha256_ctx h;
    kt_sha256_init(&h);
    char buf[65536];
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) break;
        kt_sha256_update(&h, buf, (size_t)r);
    }
    kt_sha256_final(&h, out);
    return 0;
}

static void digest_str(const uint8_t d[KT_SHA256_LEN], char out[KT_DIGEST_STR])
{
    char hex[KT_SHA256_HEX];
    kt_hex(d, KT_SHA256_LEN, hex);
    snprintf(out, KT_DIGEST_STR, "sha256:%s", hex);
}

/* Sandbox path -> host path, following the mounts kt_fs_setup makes. */
static int to_host(const kt_sandbox *sb, const char *in, char *out, size_t n)
{
    size_t best = 0;
    const char *src = NULL;
    for (size_t i = 0; i < sb->nbinds; i++) {
        size_t l = strlen(sb->binds[i].dst);
        if (strncmp(in, sb->binds[i].dst, l) == 0 && (in[l] == '/' || !in[l]) && l > best)
            best = l, src = sb->binds[i].src;
    }
    if (src) return snprintf(out, n, "%s%s", src, in + best), 0;
    if (sb->in_dir && strncmp(in, "/in/", 4) == 0)
        return snprintf(out, n, "%s%s", sb->in_dir, in + 3), 0;
    if (sb->out_dir && strncmp(in, "/out/", 5) == 0)
        return snprintf(out, n, "%s%s", sb->out_dir, in + 4), 0;
    static const char *const sys[] = {"/usr/", "/bin/", "/sbin/", "/lib", "/lib64/"};
    for (size_t i = 0; i < sizeof sys / sizeof sys[0]; i++)
        if (strncmp(in, sys[i], strlen(sys[i])) == 0) return snprintf(out, n, "%s", in), 0;
    return -1;
}

static int host_program(const kt_sandbox *sb, char *out, size_t n)
{
    const char *cmd = sb->argv[0];
    if (strchr(cmd, '/')) return to_host(sb, cmd, out, n);
    const char *path = sb->envp[0] + strlen("PATH=");
    while (*path) {
        size_t len = strcspn(path, ":");
        char in[PATH_MAX];
        snprintf(in, sizeof in, "%.*s/%s", (int)len, path, cmd);
        struct stat st;
        if (to_host(sb, in, out, n) == 0 && stat(out, &st) == 0 && S_ISREG(st.st_mode)) return 0;
        path += len + (path[len] == ':');
    }
    return -1;
}

typedef struct walker {
    kt_sha256_ctx h;
    kt_err *err;
    const char *root;
    size_t entries;
} walker;

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk(walker *w, int dfd, const char *rel, int depth)
{
    if (depth > 256) return kt_fail(w->err, KT_E_DATA, "%s: tree too deep", w->root);
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return kt_fail_errno(w->err, KT_E_DATA, errno, "cannot list %s/%s", w->root, rel);
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **p = realloc(names, cap * sizeof *p);
            if (!p) {
                rc = kt_fail(w->err, KT_E_NOMEM, "out of memory");
                break;
            }
            names = p;
        }
        if (!(names[n] = strdup(de->d_name))) {
            rc = kt_fail(w->err, KT_E_NOMEM, "out of memory");
            break;
        }
        n++;
    }
    if (rc == 0 && n) qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char path[PATH_MAX], line[PATH_MAX * 2 + 128];
        snprintf(path, sizeof path, "%s%s%s", rel, *rel ? "/" : "", names[i]);
        struct stat st;
        if (fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
            rc = kt_fail_errno(w->err, KT_E_DATA, errno, "cannot stat %s/%s", w->root, path);
            break;
        }
        unsigned mode = (unsigned)st.st_mode & 07777;
        w->entries++;
        if (S_ISDIR(st.st_mode)) {
            snprintf(line, sizeof line, "d %04o %s\n", mode, path);
            kt_sha256_update(&w->h, line, strlen(line));
            int sub = openat(dirfd(d), names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0)
                rc = kt_fail_errno(w->err, KT_E_DATA, errno, "cannot open %s/%s", w->root, path);
            else
                rc = walk(w, sub, path, depth + 1);
        } else if (S_ISREG(st.st_mode)) {
            uint8_t dg[KT_SHA256_LEN];
            char hex[KT_SHA256_HEX];
            int fd = openat(dirfd(d), names[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0 || hash_fd(fd, dg) < 0) {
                rc = kt_fail_errno(w->err, KT_E_DATA, errno, "cannot read %s/%s", w->root, path);
            } else {
                kt_hex(dg, sizeof dg, hex);
                snprintf(line, sizeof line, "f %04o %s %s\n", mode, path, hex);
                kt_sha256_update(&w->h, line, strlen(line));
            }
            if (fd >= 0) close(fd);
        } else if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            ssize_t t = readlinkat(dirfd(d), names[i], target, sizeof target - 1);
            if (t < 0) {
                rc = kt_fail_errno(w->err, KT_E_DATA, errno, "readlink %s/%s", w->root, path);
                break;
            }
            target[t] = '\0';
            snprintf(line, sizeof line, "l %s %s\n", path, target);
            kt_sha256_update(&w->h, line, strlen(line));
        } else {
            snprintf(line, sizeof line, "o %07o %s\n", (unsigned)st.st_mode, path);
            kt_sha256_update(&w->h, line, strlen(line));
        }
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    closedir(d);
    return rc;
}

int kt_image_digest(const kt_sandbox *sb, char out[KT_DIGEST_STR], char *host_path, size_t n,
                    kt_err *err)
{
    uint8_t d[KT_SHA256_LEN];
    if (sb->rootfs) {
        walker w = {.err = err, .root = sb->rootfs};
        kt_sha256_init(&w.h);
        int fd = open(sb->rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            return kt_fail_errno(err, KT_E_NOINPUT, errno, "cannot open --rootfs %s", sb->rootfs);
        if (walk(&w, fd, "", 0) < 0) return -1;
        kt_sha256_final(&w.h, d);
        snprintf(host_path, n, "%s", sb->rootfs);
    } else {
        if (host_program(sb, host_path, n) < 0)
            return kt_fail(err, KT_E_NOINPUT,
                           "cannot find %s on the sandbox's PATH (host mode maps "
                           "/usr, /bin, /sbin, /lib*, /in, /out and --ro-bind)",
                           sb->argv[0]);
        int fd = open(host_path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || hash_fd(fd, d) < 0) {
            int e = errno;
            if (fd >= 0) close(fd);
            return kt_fail_errno(err, KT_E_NOINPUT, e, "cannot read %s", host_path);
        }
        close(fd);
    }
    digest_str(d, out);
    return 0;
}
