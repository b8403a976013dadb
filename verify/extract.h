/* extract.h - kiemthu-verify --extract DIR: write a bundle's members beneath
 * DIR, from exactly the bytes the verifier hashed, under their names only once
 * the whole bundle verified.
 *
 * Why it stages as it reads, instead of a second pass after the verdict:
 *  - Every byte is read once. The verifier hands each member's bytes to the
 *    hash and to the staged file from the same buffer, so what lands on disk
 *    is what was verified, even if the bundle file is changed while it is
 *    read; a second read (tar x after the verdict) could meet other bytes.
 *    A pipe works the same, and memory does not grow with the bundle (a
 *    memfd spool of every member would hold up to 64 GiB in memory).
 *  - Nothing is under its final name before the verdict. Each top-level entry
 *    (evidence/, manifest.dsse.json, manifest.json and timestamp.tst if any)
 *    is staged in DIR as ".kiemthu-partial." + its name, and renamed to its
 *    name (same directory, RENAME_NOREPLACE) only when the bundle is authentic and
 *    intact (PASS, FAIL or AUTHENTIC); otherwise everything staged is
 *    removed. A verifier killed half-way leaves only .kiemthu-partial.*.
 *  - DIR is created if missing and refused if it is a symbolic link or not
 *    empty. It is opened before the self-sandbox; every directory and file is
 *    then made beneath it one component at a time: mkdirat + openat
 *    O_DIRECTORY|O_NOFOLLOW, files openat O_CREAT|O_EXCL|O_NOFOLLOW. No link
 *    is followed and nothing that exists is written to. The self-sandbox
 *    (selfsandbox.h) allows exactly those calls, and Landlock confines them
 *    to DIR.
 *
 * Names (kt_extract_path): each component of a member name is decoded
 * (core/name.h) and written decoded when the result is printable: valid
 * UTF-8 without control characters (C0, DEL, C1), without bidi controls or
 * line/paragraph separators, and without '%'. Otherwise the component is
 * written as it is encoded (ASCII, e.g. "evil%1B%5B2J"), so no name on disk
 * carries a byte a terminal or a shell loop acts on. The mapping is one to
 * one: a decoded component never contains '%', an encoded one that differs
 * from its decoding always does. A component longer than 255 bytes (NAME_MAX)
 * cannot be a file: nothing is extracted, and the member is named. Absolute
 * names, "..", "." and empty components never reach here (the verifier
 * refuses them, and kt_extract_path refuses them again). */
#ifndef KT_EXTRACT_H
#define KT_EXTRACT_H

#include "../core/err.h"

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>

#define KT_EXTRACT_STAGE ".kiemthu-partial."
/* The only ways --extract opens and makes things; the self-sandbox allows
 * openat with exactly these flags and mkdirat with exactly this mode. */
#define KT_EXTRACT_FILE_FLAGS (O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC)
#define KT_EXTRACT_DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#define KT_EXTRACT_FILE_MODE 0644
#define KT_EXTRACT_DIR_MODE 0755

typedef struct kt_extract kt_extract;

/* Open DIR (made if missing, 0755), refusing a symbolic link or a non-empty
 * directory (KT_E_CANTCREAT). Before the self-sandbox. */
int kt_extract_open(const char *dir, kt_extract **out, kt_err *err);
/* DIR's descriptor, for the self-sandbox's Landlock rule. */
int kt_extract_dirfd(const kt_extract *x);

/* The verifier's member observer (verify.h): a member begins, its bytes,
 * its end. A failure here never changes the verdict: it is kept, the rest
 * of the bundle is still verified, and nothing is committed. */
void kt_extract_begin(void *x, const char *member, uint64_t size);
void kt_extract_data(void *x, const uint8_t *p, size_t n);
void kt_extract_end(void *x);

/* The first failure while staging (NULL if none): KT_E_CANTCREAT (a name
 * that cannot be a file here, an entry that exists) or KT_E_IO. */
const kt_err *kt_extract_failed(const kt_extract *x);
/* After an authentic verdict with no failure: rename the staged entries to
 * their names. Else (or if that fails) call kt_extract_discard. */
int kt_extract_commit(kt_extract *x, kt_err *err);
/* Remove everything staged. */
void kt_extract_discard(kt_extract *x);
/* Files written (staged or committed). */
size_t kt_extract_files(const kt_extract *x);
/* Close DIR; if it was made here and nothing was committed, remove it. */
void kt_extract_close(kt_extract *x);

/* The path, relative to DIR, where --extract writes member (see above). */
int kt_extract_path(const char *member, char *out, size_t cap, kt_err *err);

#endif
