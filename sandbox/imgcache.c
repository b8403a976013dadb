#include "imgcache.h"

#include "../core/fsutil.h"
#include "../core/sha256.h"
#include "beneath.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define META_MAX (1u << 20)
#define RM_DEPTH 300

int kt_cache_default_dir(char *out, size_t n, kt_err *err)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int w;
    if (geteuid() == 0)
        w = snprintf(out, n, "/var/cache/kiemthu");
    else if (xdg && xdg[0] == '/')
        w = snprintf(out, n, "%s/kiemthu", xdg);
    else if (home && home[0] == '/')
        w = snprintf(out, n, "%s/.cache/kiemthu", home);
    else
        return kt_fail(err, KT_E_USAGE,
                       "no cache directory: set XDG_CACHE_HOME or give --cache DIR");
    if (w < 0 || (size_t)w >= n) return kt_fail(err, KT_E_USAGE, "cache directory path too long");
    return 0;
}

static int mkdir_p(const char *path, mode_t last_mode)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, 0755) < 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    return mkdir(tmp, last_mode) < 0 && errno != EEXIST ? -1 : 0;
}

static int sub_dir(int root, const char *name, const char *where, kt_err *err)
{
    if (mkdirat(root, name, 0700) < 0 && errno != EEXIST)
        return kt_fail_errno(err, KT_E_CANTCREAT, errno, "cannot create %s/%s", where, name);
    int fd = openat(root, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0) return kt_fail_errno(err, KT_E_CANTCREAT, errno, "cannot open %s/%s", where, name);
    if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 077)) {
        close(fd);
        return kt_fail(err, KT_E_DATA,
                       "%s/%s must be a directory owned by uid %u with mode 0700 (nobody else may "
                       "reach an unpacked image)",
                       where, name, (unsigned)geteuid());
    }
    return fd;
}

int kt_cache_open(kt_cache *c, const char *dir, kt_err *err)
{
    memset(c, 0, sizeof *c);
    c->rootfs_fd = c->tmp_fd = c->locks_fd = c->lock_fd = -1;
    char def[PATH_MAX];
    if (!dir) {
        if (kt_cache_default_dir(def, sizeof def, err) < 0) return -1;
        dir = def;
    }
    if (mkdir_p(dir, 0700) < 0)
        return kt_fail_errno(err, KT_E_CANTCREAT, errno, "cannot create the cache %s", dir);
    if (!realpath(dir, c->root))
        return kt_fail_errno(err, KT_E_CANTCREAT, errno, "cannot resolve the cache %s", dir);
    int fd = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct stat st;
    if (fd < 0) return kt_fail_errno(err, KT_E_CANTCREAT, errno, "cannot open the cache %s", dir);
    /* Whoever can write here could plant a tree under a key we trust. */
    if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 022)) {
        close(fd);
        return kt_fail(err, KT_E_DATA,
                       "the cache %s must be owned by uid %u and writable by no one else "
                       "(chmod go-w)",
                       c->root, (unsigned)geteuid());
    }
    if ((c->rootfs_fd = sub_dir(fd, "rootfs", c->root, err)) < 0 ||
        (c->tmp_fd = sub_dir(fd, "tmp", c->root, err)) < 0 ||
        (c->locks_fd = sub_dir(fd, "locks", c->root, err)) < 0) {
        close(fd);
        kt_cache_close(c);
        return -1;
    }
    close(fd);
    return 0;
}

void kt_cache_close(kt_cache *c)
{
    kt_cache_unlock(c);
    int *fds[] = {&c->rootfs_fd, &c->tmp_fd, &c->locks_fd};
    for (size_t i = 0; i < 3; i++)
        if (*fds[i] >= 0) close(*fds[i]), *fds[i] = -1;
}

void kt_cache_key(const char (*diff_ids)[KT_OCI_DIGEST], size_t n, char key[KT_CACHE_KEY])
{
    /* ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)) */
    char chain[KT_OCI_DIGEST] = "";
    uint8_t d[KT_SHA256_LEN];
    char hex[KT_SHA256_HEX];
    for (size_t i = 0; i < n; i++) {
        if (i == 0) {
            snprintf(chain, sizeof chain, "%s", diff_ids[0]);
            continue;
        }
        kt_sha256_ctx h;
        kt_sha256_init(&h);
        kt_sha256_update(&h, chain, strlen(chain));
        kt_sha256_update(&h, " ", 1);
        kt_sha256_update(&h, diff_ids[i], strlen(diff_ids[i]));
        kt_sha256_final(&h, d);
        kt_hex(d, sizeof d, hex);
        snprintf(chain, sizeof chain, "sha256:%s", hex);
    }
    if (n == 0) { /* no layers: an empty tree */
        kt_sha256("", 0, d);
        kt_hex(d, sizeof d, hex);
        snprintf(chain, sizeof chain, "sha256:%s", hex);
    }
    snprintf(key, KT_CACHE_KEY, "v1-%s", chain + strlen("sha256:"));
}

int kt_cache_lock(kt_cache *c, const char *key, kt_err *err)
{
    char name[KT_CACHE_KEY + 8];
    snprintf(name, sizeof name, "%s.lock", key);
    kt_cache_unlock(c);
    c->lock_fd = openat(c->locks_fd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (c->lock_fd < 0)
        return kt_fail_errno(err, KT_E_CANTCREAT, errno, "cannot create %s/locks/%s", c->root,
                             name);
    int r;
    do r = flock(c->lock_fd, LOCK_EX);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        int e = errno;
        kt_cache_unlock(c);
        return kt_fail_errno(err, KT_E_IO, e, "cannot lock %s/locks/%s", c->root, name);
    }
    return 0;
}

void kt_cache_unlock(kt_cache *c)
{
    if (c->lock_fd >= 0) close(c->lock_fd); /* closing releases the flock */
    c->lock_fd = -1;
}

int kt_cache_lookup(kt_cache *c, const char *key, char tree[PATH_MAX], char **meta, size_t *len,
                    kt_err *err)
{
    int fd = openat(c->rootfs_fd, key, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return 0;
        return kt_fail_errno(err, KT_E_IO, errno, "cannot open %s/rootfs/%s", c->root, key);
    }
    close(fd);
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/rootfs/%s/meta.json", c->root, key) >= (int)sizeof path ||
        snprintf(tree, PATH_MAX, "%s/rootfs/%s/tree", c->root, key) >= PATH_MAX)
        return kt_fail(err, KT_E_USAGE, "the cache path %s is too long", c->root);
    return kt_read_file(path, META_MAX, meta, len, err) < 0 ? -1 : 1;
}

/* tmp/<key>.* left by runs that died: nobody else holds the key's lock. */
static int remove_stale(kt_cache *c, const char *key, kt_err *err)
{
    int fd = openat(c->tmp_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (!d) {
        if (fd >= 0) close(fd);
        return kt_fail_errno(err, KT_E_IO, errno, "cannot list %s/tmp", c->root);
    }
    size_t klen = strlen(key);
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d)))
        if (strncmp(de->d_name, key, klen) == 0 && de->d_name[klen] == '.' &&
            kt_rmtree_at(c->tmp_fd, de->d_name, RM_DEPTH) < 0)
            rc = kt_fail_errno(err, KT_E_IO, errno, "cannot remove %s/tmp/%s", c->root, de->d_name);
    closedir(d);
    return rc;
}

int kt_cache_begin(kt_cache *c, const char *key, kt_cache_tx *tx, kt_err *err)
{
    memset(tx, 0, sizeof *tx);
    tx->dir_fd = tx->tree_fd = -1;
    if (remove_stale(c, key, err) < 0) return -1;
    snprintf(tx->name, sizeof tx->name, "%s.%ld", key, (long)getpid());
    if (mkdirat(c->tmp_fd, tx->name, 0700) < 0)
        return kt_fail_errno(err, KT_E_CANTCREAT, errno, "cannot create %s/tmp/%s", c->root,
                             tx->name);
    tx->dir_fd = openat(c->tmp_fd, tx->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (tx->dir_fd < 0 || mkdirat(tx->dir_fd, "tree", 0755) < 0 ||
        (tx->tree_fd =
             openat(tx->dir_fd, "tree", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
        int e = errno;
        kt_cache_abort(c, tx);
        return kt_fail_errno(err, KT_E_CANTCREAT, e, "cannot create %s/tmp/%s/tree", c->root, key);
    }
    return 0;
}

int kt_cache_commit(kt_cache *c, const char *key, kt_cache_tx *tx, const char *meta, size_t len,
                    kt_err *err)
{
    int fd =
        openat(tx->dir_fd, "meta.json", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    int rc = fd < 0 || kt_write_all(fd, meta, len) < 0 ? -1 : 0;
    int e = errno;
    if (fd >= 0) close(fd);
    if (rc < 0)
        return kt_fail_errno(err, KT_E_IO, e, "cannot write %s/tmp/%s/meta.json", c->root,
                             tx->name);
    /* Everything on disk before the name that says "complete": a crash
     * after the rename must not leave a tree of empty files. */
    if (syncfs(tx->tree_fd) < 0)
        return kt_fail_errno(err, KT_E_IO, errno, "cannot flush %s/tmp/%s", c->root, tx->name);
    if (renameat(c->tmp_fd, tx->name, c->rootfs_fd, key) < 0)
        return kt_fail_errno(err, KT_E_IO, errno, "cannot rename %s/tmp/%s into rootfs/", c->root,
                             tx->name);
    fsync(c->rootfs_fd);
    close(tx->tree_fd);
    close(tx->dir_fd);
    tx->tree_fd = tx->dir_fd = -1;
    tx->name[0] = '\0';
    return 0;
}

void kt_cache_abort(kt_cache *c, kt_cache_tx *tx)
{
    if (tx->tree_fd >= 0) close(tx->tree_fd);
    if (tx->dir_fd >= 0) close(tx->dir_fd);
    tx->tree_fd = tx->dir_fd = -1;
    if (tx->name[0]) kt_rmtree_at(c->tmp_fd, tx->name, RM_DEPTH);
}
