/* walk.h - list an evidence directory: regular files only, each with its
 * member name (core/name.h), sorted by that name.
 *
 * A symlink, device, FIFO, socket or unreadable entry is an error naming the
 * path; nothing is skipped silently. Every limit of a bundle (core/name.h,
 * core/layout.h) is checked here, for every file, before anything is written:
 * path length and depth, file size, number of files, total size. */
#ifndef KT_WALK_H
#define KT_WALK_H

#include "../core/err.h"

#include <stddef.h>
#include <stdint.h>

typedef struct kt_evfile {
    char *raw;     /* path relative to the evidence directory, as on disk */
    char *enc;     /* its encoding: the member is "evidence/" + enc */
    uint64_t size; /* from the walk's stat; checked again when read */
} kt_evfile;

typedef struct kt_evlist {
    kt_evfile *f; /* sorted by enc (byte order) */
    size_t n;
    size_t cap;
    uint64_t total; /* sum of sizes */
} kt_evlist;

/* reserve: members the caller will add (policy.json) counted against the cap. */
int kt_walk_evidence(int rootfd, const char *root, size_t reserve, kt_evlist *out, kt_err *err);
void kt_evlist_free(kt_evlist *l);

#endif
