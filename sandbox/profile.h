/* profile.h - Docker-format seccomp profiles (moby/profiles, runtime-spec
 * LinuxSeccomp), parsed and validated into an immutable value.
 *
 * Parsing validates the whole profile before anything runs: unknown keys,
 * actions, ops, flags or architectures, both "architectures" and "archMap",
 * a missing "defaultAction" are errors naming the file and the JSON path.
 * A parsed profile never changes; filter.h compiles it into a new value.
 * The file is read once (core/jsondoc.h): the bytes shown to the payload,
 * the sha256 the record holds and the tree compiled are one buffer. */
#ifndef KT_PROFILE_H
#define KT_PROFILE_H

#include "../core/err.h"
#include "../core/sha256.h"

#include <cjson/cJSON.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>

typedef struct kt_profile kt_profile;

/* Limits a profile is checked against, with what the compiler takes: the
 * conditions of one rule; names x (1 + conditions) over all rules (Docker's
 * default profile: 452), which keeps libseccomp 2.5.4 far from the 65536
 * instructions at which its 16-bit count overflows: a review measured ~10.5
 * instructions per unit with masked conditions on every little-endian
 * architecture, ~21,500 at this limit (the kernel takes 4096 anyway). */
#define KT_PROFILE_MAX_ARGS 48
#define KT_PROFILE_MAX_UNITS 2048

int kt_profile_load(const char *path, kt_profile **out, kt_err *err);
int kt_profile_parse(const char *bytes, size_t n, const char *name, kt_profile **out, kt_err *err);
void kt_profile_free(kt_profile *p);

/* sha256 of the exact bytes, lowercase hex. */
const char *kt_profile_sha256(const kt_profile *p);
/* The path (or name) it was read from, for messages. */
const char *kt_profile_file(const kt_profile *p);
/* The exact bytes (what the payload is shown and the record hashes). */
const char *kt_profile_bytes(const kt_profile *p, size_t *n);
/* The validated document: every field filter.c reads has been checked. */
const cJSON *kt_profile_json(const kt_profile *p);

/* Action value for a Docker action name and errno; -1 if unknown. */
int kt_profile_action(const char *name, int errno_ret, uint32_t *out);
/* Comparison for a Docker op name ("SCMP_CMP_EQ"); -1 if unknown. */
int kt_profile_op(const char *name, enum scmp_compare *out);
/* libseccomp token for a Docker architecture name ("SCMP_ARCH_X86_64"); 0 if
 * this libseccomp does not know it (valid, but never native here). */
uint32_t kt_profile_arch_token(const char *docker);

#endif
