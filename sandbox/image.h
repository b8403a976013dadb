/* image.h - what ran, as a digest: in host mode the sha256 of the executed
 * program's file; with --rootfs the sha256 of the tree's canonical listing
 * (docs/RUN_RECORD.md): one line per entry, byte-sorted by path,
 * "d MODE PATH", "f MODE PATH SHA256", "l PATH TARGET", "o TYPE PATH". */
#ifndef KT_IMAGE_H
#define KT_IMAGE_H

#include "../core/err.h"
#include "sandbox.h"

#define KT_DIGEST_STR 72 /* "sha256:" + 64 hex + NUL */

int kt_image_digest(const kt_sandbox *sb, char out[KT_DIGEST_STR], char *host_path, size_t n,
                    kt_err *err);

#endif
