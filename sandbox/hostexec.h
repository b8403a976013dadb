/* hostexec.h - what ran, as a digest: in host mode the sha256 of the executed
 * program's file; with --rootfs the sha256 of the tree's canonical listing
 * (docs/RUN_RECORD.md): one line per entry, byte-sorted by path,
 * "d MODE PATH", "f MODE PATH SHA256", "l PATH TARGET", "o TYPE PATH". */
#ifndef KT_HOSTEXEC_H
#define KT_HOSTEXEC_H

#include "../core/err.h"
#include "sandbox.h"
#include "treedigest.h"

#include <stddef.h>

int kt_host_digest(const kt_sandbox *sb, char out[KT_DIGEST_STR], char *host_path, size_t n,
                   kt_err *err);

#endif
