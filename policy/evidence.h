/* evidence.h - read access to evidence files by their path relative to the
 * evidence root ("runs/probe/seccomp-startup-safe/run.json"), whether they
 * sit in a directory (check-policy), in the bundle being written (create) or
 * in a bundle being verified (kiemthu-verify re-reads a bundle file, and
 * keeps the members a policy may read from a stream in a spool, verify/want.h). */
#ifndef KT_EVIDENCE_H
#define KT_EVIDENCE_H

#include "../core/err.h"

#include <stddef.h>
#include <stdint.h>

#define KT_EV_FILE_MAX (16u << 20)  /* largest evidence file a check reads */
#define KT_EV_TOTAL_MAX (64u << 20) /* kept in memory by the verifier, in all */

typedef struct kt_ev_entry {
    char *path;
    char *data; /* NULL if not kept (too large, or to be re-read from srcfd) */
    size_t len;
    uint64_t size;
    int64_t offset;     /* in srcfd, or -1 */
    uint8_t sha256[32]; /* the digest the streaming pass computed */
} kt_ev_entry;

typedef struct kt_evidence {
    int rootfd; /* directory source, or -1 */
    int srcfd;  /* a seekable bundle whose members are re-read on demand, or -1 */
    const char *root;
    kt_ev_entry *e; /* memory source (sorted by path), and the directory cache */
    size_t n, cap;
    uint64_t kept;
    /* The first member a check asked for whose bytes a stream did not keep
     * (verify/want.h): the result is "could not be checked", not a verdict. */
    const char *unavailable;
    /* The first member whose re-read failed with an I/O error: also "could
     * not be checked", never a finding about the bundle. */
    const char *io_failed;
    int io_errno;
} kt_evidence;

void kt_ev_init_dir(kt_evidence *ev, int rootfd, const char *root);
void kt_ev_init_mem(kt_evidence *ev);
/* Memory source: take ownership of data (may be NULL: a member too large to keep). */
int kt_ev_add(kt_evidence *ev, const char *path, char *data, size_t len, uint64_t size,
              kt_err *err);
/* Bundle source: path's bytes are at offset in srcfd and must hash to sha256
 * when re-read (the streaming pass computed it; a change meanwhile is an error). */
int kt_ev_add_ref(kt_evidence *ev, const char *path, int64_t offset, uint64_t size,
                  const uint8_t sha256[32], kt_err *err);

/* 1 if path exists, 0 if not. */
int kt_ev_exists(kt_evidence *ev, const char *path);
/* The bytes of path; error if missing or too large. */
int kt_ev_get(kt_evidence *ev, const char *path, const char **data, size_t *len, kt_err *err);
void kt_ev_free(kt_evidence *ev);

#endif
