/* create.h - build a signed, byte-reproducible bundle from an evidence folder. */
#ifndef KT_CREATE_H
#define KT_CREATE_H

#include "../core/err.h"
#include "../keys/keys.h"

#include <stddef.h>
#include <stdint.h>

typedef struct kt_create_opts {
    const char *evidence_dir;
    const char *out_path;
    const kt_seckey *key;
    uint64_t source_date_epoch;
} kt_create_opts;

typedef struct kt_create_result {
    size_t evidence_members;
    uint64_t evidence_bytes;
    uint64_t bundle_bytes;
    char keyid[KT_KEYID_HEX];
} kt_create_result;

/* Parse SOURCE_DATE_EPOCH strictly: 1-11 decimal digits, no sign, no leading
 * zero, at most 8589934591 (the ustar mtime limit). NULL or "" gives 0. */
int kt_parse_source_date_epoch(const char *s, uint64_t *out, kt_err *err);

int kt_bundle_create(const kt_create_opts *o, kt_create_result *res, kt_err *err);

#endif
