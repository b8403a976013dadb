#include "entry.h"

#include "beneath.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 256             /* path components of one entry */
#define DIRMETA_BYTES (64u << 20) /* names of directories kept for their final metadata */
#define WH ".wh."
#define WH_OPQ ".wh..wh..opq"
#define WH_META ".wh..wh."

static uint64_t path_hash(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    return h ? h : 1;
}

static int set_has(const pathset *s, uint64_t h)
{
    if (!s->cap) return 0;
    for (size_t i = h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        if (s->slot[i] == h) return 1;
        if (!s->slot[i]) return 0;
    }
}

static int set_add(pathset *s, uint64_t h)
{
    if (2 * (s->n + 1) > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        uint64_t *slot = calloc(cap, sizeof *slot);
        if (!slot) return -1;
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->slot[i]) continue;
            size_t j = s->slot[i] & (cap - 1);
            while (slot[j]) j = (j + 1) & (cap - 1);
            slot[j] = s->slot[i];
        }
        free(s->slot);
        s->slot = slot;
        s->cap = cap;
    }
    size_t i = h & (s->cap - 1);
    while (s->slot[i] && s->slot[i] != h) i = (i + 1) & (s->cap - 1);
    if (!s->slot[i]) s->slot[i] = h, s->n++;
    return 0;
}

/* rel and every ancestor of it become upper paths. */
static int mark_upper(kt_tree *u, const char *rel, kt_err *err)
{
    for (size_t len = strlen(rel); len;) {
        uint64_t h = path_hash(rel, len);
        if (set_has(&u->upper, h)) break;
        if (set_add(&u->upper, h) < 0) return kt_fail(err, KT_E_NOMEM, "out of memory");
        while (len && rel[len - 1] != '/') len--;
        if (len) len--;
    }
    return 0;
}

static void drop_cache(kt_tree *u)
{
    if (u->cached_fd >= 0) close(u->cached_fd);
    u->cached_fd = -1;
    u->cached_rel[0] = '\0';
}

static void free_dirs(dirmeta *d, size_t n)
{
    for (size_t i = 0; i < n; i++) free(d[i].rel);
}

/* The parent directory of an entry, created (0755, as Docker does) where
 * missing. The descriptor belongs to the cache: never close it. */
static int parent_fd(kt_tree *u, const char *rel, int create, const char *what, kt_err *err)
{
    if (u->cached_fd >= 0 && strcmp(u->cached_rel, rel) == 0) return u->cached_fd;
    drop_cache(u);
    int fd = kt_open_dir_beneath(u->rootfd, rel, &u->walk);
    for (size_t at = 0; fd < 0 && errno == ENOENT && create && rel[at];) {
        /* Make the first missing component, then try again from there. */
        size_t len = at + strcspn(rel + at, "/");
        char prefix[PATH_MAX];
        snprintf(prefix, sizeof prefix, "%.*s", (int)len, rel);
        int p = kt_open_dir_beneath(u->rootfd, prefix, &u->walk);
        if (p < 0 && errno == ENOENT) {
            const char *slash = strrchr(prefix, '/');
            char parent[PATH_MAX];
            snprintf(parent, sizeof parent, "%.*s", slash ? (int)(slash - prefix) : 0, prefix);
            int pp = kt_open_dir_beneath(u->rootfd, parent, &u->walk);
            if (pp < 0) break;
            int made = mkdirat(pp, slash ? slash + 1 : prefix, 0755);
            int e = errno;
            close(pp);
            if (made < 0 && e != EEXIST) {
                errno = e;
                break;
            }
        } else if (p < 0) {
            break;
        } else {
            close(p);
        }
        at = len + (rel[len] == '/');
        fd = kt_open_dir_beneath(u->rootfd, rel, &u->walk);
    }
    if (fd < 0) {
        int e = errno;
        char eb[256];
        if (e == EXDEV || e == ELOOP)
            return kt_fail(err, KT_E_DATA,
                           "%s: refused: the directory %s leads out of the image root (through a "
                           "symlink or \"..\")",
                           what, kt_clip(rel, eb, sizeof eb));
        return kt_fail_errno(err, KT_E_DATA, e, "%s: directory %s", what,
                             kt_clip(rel, eb, sizeof eb));
    }
    snprintf(u->cached_rel, sizeof u->cached_rel, "%s", rel);
    u->cached_fd = fd;
    return fd;
}

/* Remove what is at name (any type, a whole tree for a directory). */
static int remove_at(kt_tree *u, int pfd, const char *name, const char *what, kt_err *err)
{
    struct stat st;
    if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) return 0;
    if (S_ISDIR(st.st_mode)) {
        /* The cached directory may be inside what goes, unless it is pfd. */
        if (u->cached_fd != pfd) drop_cache(u);
        if (kt_rmtree_at(pfd, name, MAX_DEPTH + 8) < 0)
            return kt_fail_errno(err, KT_E_IO, errno, "%s: cannot remove what was there", what);
        return 0;
    }
    if (unlinkat(pfd, name, 0) < 0 && errno != ENOENT)
        return kt_fail_errno(err, KT_E_IO, errno, "%s: cannot remove what was there", what);
    return 0;
}

/* Whiteouts: remove rel unless this layer made it; inside a directory this
 * layer made, remove only what it did not make. keep_self: an opaque
 * directory stays, its lower contents go. */
static int whiteout_tree(kt_tree *u, int pfd, const char *name, const char *rel, int keep_self,
                         int depth, const char *what, kt_err *err)
{
    if (!keep_self && !set_has(&u->upper, path_hash(rel, strlen(rel))))
        return remove_at(u, pfd, name, what, err);
    if (depth > MAX_DEPTH) return kt_fail(err, KT_E_LIMIT, "%s: tree too deep", what);
    int fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return 0; /* not a directory (or gone): nothing below it */
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return kt_fail(err, KT_E_NOMEM, "out of memory");
    }
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char sub[PATH_MAX];
        if (snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", de->d_name) >=
            (int)sizeof sub)
            rc = kt_fail(err, KT_E_LIMIT, "%s: path too long", what);
        else
            rc = whiteout_tree(u, dirfd(d), de->d_name, sub, 0, depth + 1, what, err);
    }
    closedir(d);
    return rc;
}

static int whiteout(kt_tree *u, const char *entry, const char *parent, const char *base,
                    const char *what, kt_err *err)
{
    u->st.whiteouts++;
    if (strcmp(base, WH_OPQ) != 0 && strncmp(base, WH_META, strlen(WH_META)) == 0)
        return 0; /* other AUFS metadata (.wh..wh.plnk, ...): nothing to apply */
    int opaque = strcmp(base, WH_OPQ) == 0;
    const char *name = base + strlen(WH);
    if (!opaque && (!*name || !strcmp(name, ".") || !strcmp(name, "..")))
        return kt_fail(err, KT_E_DATA, "%s: whiteout without a name", what);
    drop_cache(u); /* what goes may hold the cached directory */
    int pfd = kt_open_dir_beneath(u->rootfd, parent, &u->walk);
    if (pfd < 0 && (errno == ENOENT || errno == ENOTDIR)) return 0; /* nothing there to remove */
    if (pfd < 0) /* the same refusal as for an entry there */
        return parent_fd(u, parent, 0, what, err) < 0 ? -1 : 0;
    /* What goes: the entry's own path without ".wh.", or for an opaque
     * marker the directory's contents. */
    char rel[PATH_MAX];
    size_t plen = *parent ? strlen(parent) + 1 : 0;
    if (opaque)
        snprintf(rel, sizeof rel, "%s", parent);
    else
        memcpy(rel, entry, plen), snprintf(rel + plen, sizeof rel - plen, "%s", name);
    int rc = whiteout_tree(u, pfd, opaque ? "." : name, rel, opaque, 0, what, err);
    close(pfd);
    return rc;
}

static int add_dirmeta(dirmeta **arr, size_t *n, size_t *cap, const char *rel, const dirmeta *m)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        dirmeta *p = realloc(*arr, c * sizeof *p);
        if (!p) return -1;
        *arr = p;
        *cap = c;
    }
    (*arr)[*n] = *m;
    if (!((*arr)[*n].rel = strdup(rel))) return -1;
    (*n)++;
    return 0;
}

static void meta_of(struct archive_entry *e, dirmeta *m)
{
    m->mode = archive_entry_mode(e) & 07777;
    m->uid = (uid_t)archive_entry_uid(e);
    m->gid = (gid_t)archive_entry_gid(e);
    m->mtime.tv_sec = archive_entry_mtime(e);
    m->mtime.tv_nsec = archive_entry_mtime_is_set(e) ? archive_entry_mtime_nsec(e) : 0;
}

/* Owner, then mode (chown clears set-id bits), then times, on an open file. */
static int apply_meta_fd(const kt_tree *u, int fd, const dirmeta *m, int set_mode)
{
    if (u->chown && fchown(fd, m->uid, m->gid) < 0) return -1;
    if (set_mode && fchmod(fd, m->mode) < 0) return -1;
    struct timespec ts[2] = {m->mtime, m->mtime};
    return futimens(fd, ts);
}

static int make_dir(kt_tree *u, int pfd, const char *base, const char *rel, struct archive_entry *e,
                    const char *what, kt_err *err)
{
    struct stat st;
    if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode) &&
        remove_at(u, pfd, base, what, err) < 0)
        return -1;
    /* 0700 until the end of the layer: a 0555 directory must still take
     * this layer's entries, even unprivileged. */
    if (mkdirat(pfd, base, 0700) < 0 && errno != EEXIST)
        return kt_fail_errno(err, KT_E_IO, errno, "%s: mkdir", what);
    dirmeta m;
    meta_of(e, &m);
    u->dirbytes += strlen(rel) + 1;
    if (u->dirbytes > DIRMETA_BYTES)
        return kt_fail(err, KT_E_LIMIT, "%s: too many directory names in one layer", what);
    if (add_dirmeta(&u->dirs, &u->ndirs, &u->capdirs, rel, &m) < 0)
        return kt_fail(err, KT_E_NOMEM, "out of memory");
    u->st.dirs++;
    return 0;
}

static int write_data(struct archive *tar, int fd, const char *what, kt_err *err)
{
    const void *buf;
    size_t n;
    la_int64_t off;
    int r;
    while ((r = archive_read_data_block(tar, &buf, &n, &off)) == ARCHIVE_OK) {
        const char *p = buf;
        while (n) {
            ssize_t w = pwrite(fd, p, n, off);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) return kt_fail_errno(err, KT_E_IO, w < 0 ? errno : EIO, "%s: write", what);
            p += w, n -= (size_t)w, off += w;
        }
    }
    if (r != ARCHIVE_EOF) return kt_fail(err, KT_E_DATA, "%s: %s", what, archive_error_string(tar));
    return 0;
}

static int make_file(kt_tree *u, struct archive *tar, int pfd, const char *base,
                     struct archive_entry *e, const char *what, kt_err *err)
{
    la_int64_t size = archive_entry_size(e);
    uint64_t left = u->caps.max_unpacked - u->st.bytes;
    if (size < 0 || (uint64_t)size > left)
        return kt_fail(err, KT_E_LIMIT,
                       "%s: declares %lld bytes, more than the %llu left under the unpacked-size "
                       "cap (--image-max-size)",
                       what, (long long)size, (unsigned long long)left);
    if (remove_at(u, pfd, base, what, err) < 0) return -1;
    int fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return kt_fail_errno(err, KT_E_IO, errno, "%s: create", what);
    dirmeta m;
    meta_of(e, &m);
    int rc = write_data(tar, fd, what, err);
    if (rc == 0 && (ftruncate(fd, size) < 0 || apply_meta_fd(u, fd, &m, 1) < 0))
        rc = kt_fail_errno(err, KT_E_IO, errno, "%s: set size, owner, mode or time", what);
    close(fd);
    u->st.files++;
    return rc;
}

static int make_symlink(kt_tree *u, int pfd, const char *base, struct archive_entry *e,
                        const char *what, kt_err *err)
{
    const char *target = archive_entry_symlink(e);
    if (!target || !*target || strlen(target) >= PATH_MAX)
        return kt_fail(err, KT_E_DATA, "%s: symlink without a usable target", what);
    if (remove_at(u, pfd, base, what, err) < 0) return -1;
    /* The target is only text here: it is resolved inside the sandbox,
     * where the tree is the root; nothing of ours ever follows it. */
    if (symlinkat(target, pfd, base) < 0)
        return kt_fail_errno(err, KT_E_IO, errno, "%s: symlink", what);
    dirmeta m;
    meta_of(e, &m);
    struct timespec ts[2] = {m.mtime, m.mtime};
    if ((u->chown && fchownat(pfd, base, m.uid, m.gid, AT_SYMLINK_NOFOLLOW) < 0) ||
        utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
        return kt_fail_errno(err, KT_E_IO, errno, "%s: symlink owner or time", what);
    u->st.symlinks++;
    return 0;
}

static void note_device(kt_tree *u, const char *rel)
{
    if (u->st.nskipped_listed < KT_UNPACK_LISTED)
        kt_esc(rel, u->st.skipped[u->st.nskipped_listed++], sizeof u->st.skipped[0]);
    u->st.devices_skipped++;
}

static int make_hardlink(kt_tree *u, int pfd, const char *base, const char *rel,
                         struct archive_entry *e, const char *what, kt_err *err)
{
    char target[PATH_MAX], eb[256];
    if (kt_member_name(archive_entry_hardlink(e), target, sizeof target) < 0 || !target[0])
        return kt_fail(err, KT_E_DATA,
                       "%s: refused: hard link to \"%s\" (absolute or \"..\": outside the image)",
                       what, kt_clip(archive_entry_hardlink(e), eb, sizeof eb));
    if (strcmp(target, rel) == 0) return 0;
    const char *slash = strrchr(target, '/');
    char tparent[PATH_MAX];
    snprintf(tparent, sizeof tparent, "%.*s", slash ? (int)(slash - target) : 0, target);
    const char *tbase = slash ? slash + 1 : target;
    /* Both ends are opened beneath the root; the parent of the new name
     * first, since opening the target's parent replaces the cached one. */
    int dfd = dup(pfd);
    if (dfd < 0) return kt_fail_errno(err, KT_E_IO, errno, "%s", what);
    int tfd = parent_fd(u, tparent, 0, what, err);
    struct stat st;
    int rc = -1;
    if (tfd < 0) goto out;
    if (fstatat(tfd, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        kt_fail(err, KT_E_DATA, "%s: hard link to %s, which does not exist", what,
                kt_clip(target, eb, sizeof eb));
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        kt_fail(err, KT_E_DATA, "%s: hard link to a directory", what);
        goto out;
    }
    tfd = dup(tfd);
    if (remove_at(u, dfd, base, what, err) < 0) goto out_t;
    if (linkat(tfd, tbase, dfd, base, 0) < 0) {
        kt_fail_errno(err, KT_E_IO, errno, "%s: link", what);
        goto out_t;
    }
    u->st.hardlinks++;
    rc = 0;
out_t:
    close(tfd);
out:
    close(dfd);
    return rc;
}

static int make_node(kt_tree *u, struct archive *tar, int pfd, const char *base, const char *rel,
                     struct archive_entry *e, const char *what, kt_err *err)
{
    if (archive_entry_hardlink(e)) return make_hardlink(u, pfd, base, rel, e, what, err);
    switch (archive_entry_filetype(e)) {
    case AE_IFREG:
        return make_file(u, tar, pfd, base, e, what, err);
    case AE_IFDIR:
        return make_dir(u, pfd, base, rel, e, what, err);
    case AE_IFLNK:
        return make_symlink(u, pfd, base, e, what, err);
    case AE_IFIFO: {
        dirmeta m;
        meta_of(e, &m);
        if (remove_at(u, pfd, base, what, err) < 0) return -1;
        if (mkfifoat(pfd, base, 0600) < 0 ||
            (u->chown && fchownat(pfd, base, m.uid, m.gid, AT_SYMLINK_NOFOLLOW) < 0) ||
            fchmodat(pfd, base, m.mode, 0) < 0)
            return kt_fail_errno(err, KT_E_IO, errno, "%s: fifo", what);
        u->st.fifos++;
        return 0;
    }
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFSOCK:
        /* A device node in a cache is a door to the host's devices for
         * anyone who reaches the cache: never made. */
        if (remove_at(u, pfd, base, what, err) < 0) return -1;
        note_device(u, rel);
        return 0;
    default:
        return kt_fail(err, KT_E_DATA, "%s: unknown entry type", what);
    }
}

static int depth_ok(const char *rel)
{
    int n = 1;
    for (const char *p = rel; *p; p++) n += *p == '/';
    return n <= MAX_DEPTH;
}

int kt_entry_apply(kt_tree *u, struct archive *tar, struct archive_entry *e, const char *layer,
                   kt_err *err)
{
    const char *raw = archive_entry_pathname(e);
    char rel[PATH_MAX], what[PATH_MAX / 2], eb[300];
    if (!raw) return kt_fail(err, KT_E_DATA, "%s: an entry without a name", layer);
    snprintf(what, sizeof what, "%s: entry %s", layer, kt_clip(raw, eb, sizeof eb));
    if (++u->st.entries > u->caps.max_entries)
        return kt_fail(err, KT_E_LIMIT, "%s: more than %llu entries in the image", layer,
                       (unsigned long long)u->caps.max_entries);
    if (kt_member_name(raw, rel, sizeof rel) < 0)
        return kt_fail(err, KT_E_DATA,
                       "%s: refused: an absolute or \"..\" name leads outside "
                       "the image",
                       what);
    if (!depth_ok(rel))
        return kt_fail(err, KT_E_LIMIT, "%s: more than %d levels deep", what, MAX_DEPTH);
    if (!rel[0]) { /* the root itself: only its metadata */
        dirmeta m;
        meta_of(e, &m);
        if (archive_entry_filetype(e) != AE_IFDIR)
            return kt_fail(err, KT_E_DATA, "%s: root is not a directory", what);
        return add_dirmeta(&u->dirs, &u->ndirs, &u->capdirs, "", &m) < 0
                   ? kt_fail(err, KT_E_NOMEM, "out of memory")
                   : 0;
    }
    const char *slash = strrchr(rel, '/');
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%.*s", slash ? (int)(slash - rel) : 0, rel);
    const char *base = slash ? slash + 1 : rel;
    if (strncmp(base, WH, strlen(WH)) == 0) return whiteout(u, rel, parent, base, what, err);
    int pfd = parent_fd(u, parent, 1, what, err);
    if (pfd < 0 || make_node(u, tar, pfd, base, rel, e, what, err) < 0) return -1;
    return mark_upper(u, rel, err);
}

/* The end of a layer: its directories get their owners, modes and times
 * (after their contents, which would change the times). */
int kt_tree_layer_end(kt_tree *u, const char *layer, kt_err *err)
{
    drop_cache(u);
    int rc = 0;
    for (size_t i = 0; i < u->ndirs && rc == 0; i++) {
        dirmeta *m = &u->dirs[i];
        int fd = kt_open_dir_beneath(u->rootfd, m->rel, &u->walk);
        if (fd < 0) continue; /* replaced later in the layer */
        /* Unprivileged, a directory we could not write to would refuse the
         * next layer's entries: it stays u+rwx until kt_unpack_finish. */
        int locked = !u->chown && (m->mode & 0700) != 0700;
        mode_t mode = locked ? m->mode | 0700 : m->mode;
        if ((u->chown && fchown(fd, m->uid, m->gid) < 0) || fchmod(fd, mode) < 0)
            rc = kt_fail_errno(err, KT_E_IO, errno, "%s: directory %s: owner or mode", layer,
                               m->rel);
        if (rc == 0 && locked && add_dirmeta(&u->locked, &u->nlocked, &u->caplocked, m->rel, m) < 0)
            rc = kt_fail(err, KT_E_NOMEM, "out of memory");
        close(fd);
    }
    /* Times last, deepest first would not matter: a directory's time only
     * changes when an entry in it does, and every entry is in place now. */
    for (size_t i = 0; i < u->ndirs && rc == 0; i++) {
        int fd = kt_open_dir_beneath(u->rootfd, u->dirs[i].rel, &u->walk);
        struct timespec ts[2] = {u->dirs[i].mtime, u->dirs[i].mtime};
        if (fd >= 0 && futimens(fd, ts) < 0)
            rc = kt_fail_errno(err, KT_E_IO, errno, "%s: directory time", layer);
        if (fd >= 0) close(fd);
    }
    free_dirs(u->dirs, u->ndirs);
    u->ndirs = 0;
    u->dirbytes = 0;
    free(u->upper.slot);
    memset(&u->upper, 0, sizeof u->upper);
    return rc;
}

void kt_tree_init(kt_tree *t, int rootfd, const kt_img_caps *caps)
{
    memset(t, 0, sizeof *t);
    t->rootfd = rootfd;
    t->caps = *caps;
    t->chown = geteuid() == 0;
    t->cached_fd = -1;
}

void kt_tree_free(kt_tree *t)
{
    drop_cache(t);
    free(t->upper.slot);
    free_dirs(t->dirs, t->ndirs);
    free(t->dirs);
    free_dirs(t->locked, t->nlocked);
    free(t->locked);
}

int kt_tree_finish(kt_tree *u, kt_err *err)
{
    for (size_t i = 0; i < u->nlocked; i++) {
        int fd = kt_open_dir_beneath(u->rootfd, u->locked[i].rel, &u->walk);
        if (fd < 0) continue; /* gone in a later layer */
        int rc = fchmod(fd, u->locked[i].mode);
        struct timespec ts[2] = {u->locked[i].mtime, u->locked[i].mtime};
        if (rc == 0) rc = futimens(fd, ts);
        close(fd);
        if (rc < 0)
            return kt_fail_errno(err, KT_E_IO, errno, "directory %s: mode", u->locked[i].rel);
    }
    return 0;
}
