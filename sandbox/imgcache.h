/* imgcache.h - unpacked image trees, content-addressed by their layer chain.
 *
 *   CACHE/rootfs/<key>/tree       a complete tree, never changed once there
 *   CACHE/rootfs/<key>/meta.json  what kiemthu recorded when it made it
 *   CACHE/tmp/<key>.<pid>/        a tree being made
 *   CACHE/locks/<key>.lock        flock(2)ed while a key is looked up and made
 *
 * <key> is the OCI ChainID of the layers' diff_ids (the one a runtime names
 * a layer stack by), prefixed "v1-" for this unpacker's rules. A tree is
 * made under tmp/, flushed (syncfs) and renamed into rootfs/ in one step:
 * a run that is killed, at any moment, leaves at most a tmp/ directory
 * that no run uses, and that the next run for the same key removes (it
 * holds the key's lock, so no live run owns it). Concurrent runs for one
 * key wait on its lock and then find the tree made.
 *
 * The cache root (--cache DIR, else $XDG_CACHE_HOME/kiemthu or
 * ~/.cache/kiemthu, /var/cache/kiemthu as root) must be owned by the user
 * and writable by no one else; rootfs/, tmp/ and locks/ are 0700, so that
 * nobody else reaches a tree (an image may hold set-id programs). */
#ifndef KT_IMGCACHE_H
#define KT_IMGCACHE_H

#include "../core/err.h"
#include "imgref.h"

#include <limits.h>
#include <stddef.h>

#define KT_CACHE_KEY 72 /* "v1-" + 64 hex + NUL */

typedef struct kt_cache {
    char root[PATH_MAX]; /* absolute */
    int rootfs_fd, tmp_fd, locks_fd;
    int lock_fd; /* the held key lock, -1 if none */
} kt_cache;

typedef struct kt_cache_tx {
    char name[KT_CACHE_KEY + 32]; /* under tmp/ */
    int dir_fd;                   /* tmp/<name> */
    int tree_fd;                  /* tmp/<name>/tree, O_RDONLY | O_DIRECTORY */
} kt_cache_tx;

/* The default cache directory for this user. */
int kt_cache_default_dir(char *out, size_t n, kt_err *err);
/* Open (creating if needed) the cache at dir (NULL: the default). */
int kt_cache_open(kt_cache *c, const char *dir, kt_err *err);
void kt_cache_close(kt_cache *c);

/* The key of a layer chain. */
void kt_cache_key(const char (*diff_ids)[KT_OCI_DIGEST], size_t n, char key[KT_CACHE_KEY]);

/* Take the key's lock (waiting for another run that holds it). Released by
 * kt_cache_close or kt_cache_unlock. */
int kt_cache_lock(kt_cache *c, const char *key, kt_err *err);
void kt_cache_unlock(kt_cache *c);

/* 1 and the tree's path and meta.json (malloc'd) if the key is there, 0 if not. */
int kt_cache_lookup(kt_cache *c, const char *key, char tree[PATH_MAX], char **meta, size_t *len,
                    kt_err *err);

/* Start making key's tree (the lock held): stale attempts removed first. */
int kt_cache_begin(kt_cache *c, const char *key, kt_cache_tx *tx, kt_err *err);
/* meta.json written, everything flushed, renamed into place. */
int kt_cache_commit(kt_cache *c, const char *key, kt_cache_tx *tx, const char *meta, size_t len,
                    kt_err *err);
void kt_cache_abort(kt_cache *c, kt_cache_tx *tx);

#endif
