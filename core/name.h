/* name.h - how a file's name becomes a bundle member name (docs/FORMAT.md §1).
 *
 * A file name is any bytes but NUL; a member name uses only ASCII that needs
 * no quoting in a shell word, a JSON string, a sha256sum line or a sed
 * expression. The encoding keeps the bytes A-Z a-z 0-9 . _ - + @ = , : ~ and
 * the separator '/' as they are, and writes every other byte (space, '%',
 * control bytes, every byte of a UTF-8 character, ...) as '%' and two
 * UPPER-case hex digits. It is reversible and has exactly one form: a '%'
 * that encodes a byte kept literally, lower-case hex, "%2F" (a '/' inside a
 * component) or "%00" is not an encoding kiemthu writes, and the verifier
 * refuses it. So encode(decode(x)) == x for every member name it accepts.
 *
 *   "out/report é.txt"  ->  "out/report%20%C3%A9.txt"
 *
 * kiemthu-bundle create stores the file DIR/<path> as member
 * "evidence/" + kt_name_encode(<path>), and kiemthu-sandbox writes output
 * file names in run.json with the same function, so a policy names a member
 * by what run.json says.
 *
 * Limits of kiemthu-bundle create (checked for every file before anything is
 * written; a runner keeps what a payload can reach below them): */
#ifndef KT_NAME_H
#define KT_NAME_H

#include "err.h"

#include <stddef.h>

#define KT_NAME_RAW_MAX 4095                  /* bytes of a path below the evidence root */
#define KT_NAME_DEPTH_MAX 128                 /* directories below the evidence root */
#define KT_NAME_ENC_MAX (3 * KT_NAME_RAW_MAX) /* bytes of its encoding */
#define KT_NAME_ESCAPE '%'

/* Encode raw (a '/'-separated relative path, any bytes but NUL) into out
 * (outsz bytes, NUL-terminated). Fails only if raw is empty or the result
 * does not fit; KT_NAME_ENC_MAX + 1 bytes always suffice for a raw path of
 * at most KT_NAME_RAW_MAX bytes. */
int kt_name_encode(const char *raw, char *out, size_t outsz, kt_err *err);

/* Bytes kt_name_encode() writes for raw, without the NUL. */
size_t kt_name_encoded_len(const char *raw);

/* Decode a canonical encoding; anything kt_name_encode() would not have
 * written (see above) is refused with the reason. out gets at most outsz - 1
 * bytes and a NUL. */
int kt_name_decode(const char *enc, char *out, size_t outsz, kt_err *err);

/* A canonical encoded relative path: 1..maxlen bytes, no leading '/', no
 * empty, "." or ".." component, every byte literal or a canonical %XX. */
int kt_name_check(const char *enc, size_t maxlen, kt_err *err);

/* 1 if byte c is written as itself (the separator '/' included). */
int kt_name_literal(unsigned char c);

#endif
