/* tarwriter.h - stream a canonical ustar archive (core/ustar.h) into a new
 * file that appears under its final name only when complete.
 *
 * The archive is written to an unnamed O_TMPFILE in the target directory
 * (a hidden mkstemp file where the filesystem lacks O_TMPFILE), fsync'd, then
 * linked and renamed into place: if the process dies at any moment nothing
 * partial exists under the final name. Data is read once, hashed while it
 * sits in the output buffer, and handed to a writer thread, so hashing and
 * writing run on both cores. Memory is a fixed 4 x 1 MiB. */
#ifndef KT_TARWRITER_H
#define KT_TARWRITER_H

#include "../core/err.h"
#include "../core/sha256.h"

#include <stddef.h>
#include <stdint.h>

typedef struct kt_tarw kt_tarw;

int kt_tarw_open(kt_tarw **out, const char *path, uint64_t mtime, kt_err *err);
/* Add a member of exactly size bytes read from fd; digest gets its SHA-256,
 * and states (if not NULL) its chain values, kt_chain_count(size) of them
 * (core/chain.h: recorded as it is hashed, at no extra cost). what names
 * the source file in messages. */
int kt_tarw_add_fd(kt_tarw *w, const char *name, int fd, uint64_t size, const char *what,
                   uint8_t digest[KT_SHA256_LEN], uint8_t (*states)[KT_SHA256_LEN], kt_err *err);
int kt_tarw_add_mem(kt_tarw *w, const char *name, const void *p, size_t n, kt_err *err);
/* Copy n bytes of archive from fd as they are (the members of a bundle being
 * extended: kiemthu-bundle timestamp); what names fd in messages. */
int kt_tarw_add_raw(kt_tarw *w, int fd, uint64_t n, const char *what, kt_err *err);
/* Bytes of archive produced so far. */
uint64_t kt_tarw_size(const kt_tarw *w);
/* Archive offset of the data of the member added last. */
uint64_t kt_tarw_data_offset(const kt_tarw *w);
/* Wait until everything added so far is in the file; then the members can be
 * read back with pread(kt_tarw_fd(w), ...) (create adjudicates on them). */
int kt_tarw_sync(kt_tarw *w, kt_err *err);
int kt_tarw_fd(const kt_tarw *w);
/* Finish, fsync and move into place; w is freed either way. */
int kt_tarw_commit(kt_tarw *w, kt_err *err);
/* Discard everything; w is freed. */
void kt_tarw_abort(kt_tarw *w);

#endif
