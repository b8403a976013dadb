/* imgsrc.h - the files of an image, wherever they are: an OCI layout
 * directory, or the members of an uncompressed oci-archive / docker-archive
 * tar, addressed by the same names ("index.json", "blobs/sha256/HEX",
 * "manifest.json", ...). Nothing is extracted: a member is read in place,
 * hashed as it is read, and its size and sha256 checked at the end.
 *
 * In a layout directory every name is opened one component at a time with
 * O_NOFOLLOW beneath the directory, and must be a regular file; in an
 * archive, every member name must be relative without "..", appear once,
 * and be a regular file (a docker-archive symlink to another member is
 * followed within the archive, as legacy `docker save` writes them). */
#ifndef KT_IMGSRC_H
#define KT_IMGSRC_H

#include "../core/err.h"
#include "../core/sha256.h"
#include "imgref.h"
#include "oci.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct kt_imgsrc kt_imgsrc;

typedef struct kt_member {
    kt_imgsrc *src;
    int fd;                 /* layout directory: the member's file */
    struct archive *a;      /* archive: positioned at the member's data */
    uint64_t size, done;    /* size as found, bytes read so far */
    kt_sha256_ctx h;        /* of every byte read */
    char name[KT_OCI_PATH]; /* for messages */
} kt_member;

int kt_imgsrc_open(const kt_imgref *ref, const kt_img_caps *caps, kt_imgsrc **out, kt_err *err);
void kt_imgsrc_close(kt_imgsrc *s);

/* The size of member NAME; -1 (KT_E_NOINPUT) when there is none. */
int kt_imgsrc_stat(kt_imgsrc *s, const char *name, uint64_t *size, kt_err *err);

/* Open member NAME for reading. */
int kt_imgsrc_member(kt_imgsrc *s, const char *name, kt_member *m, kt_err *err);
/* Up to n bytes; 0 at the end of the member. */
ssize_t kt_member_read(kt_member *m, void *buf, size_t n, kt_err *err);
/* Read what is left, then require exactly m->size bytes in all; digest gets
 * "sha256:" + the hex of everything read. */
int kt_member_finish(kt_member *m, char digest[KT_OCI_DIGEST], kt_err *err);
void kt_member_close(kt_member *m);

/* A whole member of at most cap bytes (checked before reading) into a
 * malloc'd NUL-terminated buffer, with its digest. */
int kt_imgsrc_read(kt_imgsrc *s, const char *name, uint64_t cap, char **data, size_t *len,
                   char digest[KT_OCI_DIGEST], kt_err *err);
/* The blob a descriptor names: its size must be at most cap and equal to the
 * blob's, its digest the blob's sha256. what names the descriptor. */
int kt_imgsrc_read_blob(kt_imgsrc *s, const kt_desc *d, uint64_t cap, const char *what, char **data,
                        size_t *len, kt_err *err);

/* "blobs/sha256/HEX" of a valid digest. */
void kt_blob_name(const char *digest, char *out, size_t n);

#endif
