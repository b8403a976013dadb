/* shipped.h - `kiemthu-sandbox profiles`: the seccomp profiles that can be
 * given by name (core/datadir.h has the search order), with each one's
 * sha256 (what a policy pins) and path. */
#ifndef KT_SHIPPED_H
#define KT_SHIPPED_H

#include "../core/err.h"

#include <limits.h>
#include <stddef.h>

/* Profiles and a baseline given by name, as files: paths[i] and *baseline
 * (unless NULL, "" or "none") are replaced by the resolved file, kept in
 * store[i] and bstore. -1 with err (kt_profile_resolve). */
int kt_shipped_resolve(const char **paths, size_t n, char store[][PATH_MAX], const char **baseline,
                       char bstore[PATH_MAX], kt_err *err);

/* The subcommand: prints "NAME SHA256 PATH" per profile (the one a name
 * resolves to: a name shadowed by an earlier directory is not listed
 * again), then the directories searched. Returns the exit code. */
int kt_cmd_profiles(int argc, char **argv);

#endif
