/* walk.h - list an evidence directory: regular files only, sorted by name.
 * A symlink, device, FIFO, socket or unreadable entry is an error naming the
 * path; nothing is skipped silently. */
#ifndef KT_WALK_H
#define KT_WALK_H

#include "../core/err.h"

#include <stddef.h>

typedef struct kt_evlist {
    char **paths; /* relative to the evidence directory, byte-sorted */
    size_t n;
    size_t cap;
} kt_evlist;

int kt_walk_evidence(int rootfd, const char *root, kt_evlist *out, kt_err *err);
void kt_evlist_free(kt_evlist *l);

#endif
