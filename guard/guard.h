/* guard.h - the capability guard (docs/GUARD.md): a binary's imported
 * symbols and, optionally, the identifiers its C sources call, against a deny
 * list. It fails closed: anything it cannot read or inspect is an error, never
 * a silent pass. */
#ifndef KT_GUARD_H
#define KT_GUARD_H

#include "../core/err.h"
#include "../core/sha256.h"

#include <cjson/cJSON.h>
#include <stddef.h>

#define KT_GUARD_BINARY_MAX (512u << 20) /* largest binary read into memory */
#define KT_GUARD_SOURCE_MAX (64u << 20)  /* largest single source file scanned */
#define KT_GUARD_FILES_MAX 200000        /* entries walked under --source */
#define KT_GUARD_DEPTH_MAX 64            /* directory levels under --source */
#define KT_GUARD_VIOLATIONS_MAX 1000     /* listed; the rest are counted */

typedef struct kt_guard_violation {
    const char *category; /* static */
    char symbol[64];
    char *where; /* "dynsym" or the source file, relative to --source, displayable */
} kt_guard_violation;

typedef struct kt_guard {
    int allow_static;
    int is_static;     /* the binary has no dynamic symbol table */
    long symbols;      /* imported symbols checked */
    long source_files; /* C files scanned, -1 without --source */
    char sha256[KT_SHA256_HEX];
    kt_guard_violation *v;
    size_t n, cap;
    long more; /* violations past KT_GUARD_VIOLATIONS_MAX */
} kt_guard;

void kt_guard_init(kt_guard *g);
void kt_guard_free(kt_guard *g);

/* The deny-list category of a symbol, or NULL. */
const char *kt_guard_category(const char *symbol);

/* Read the binary once (a regular file of at most KT_GUARD_BINARY_MAX bytes),
 * hash it and scan its dynamic symbol table from the same bytes. Not ELF,
 * unreadable or malformed: -1 (KT_E_DATA; KT_E_NOINPUT if missing). */
int kt_guard_scan_binary(kt_guard *g, const char *path, kt_err *err);

/* The same on an image in memory (the fuzz target's entry); what names it. */
int kt_guard_scan_elf(kt_guard *g, char *image, size_t len, const char *what, kt_err *err);

/* Scan every .c and .h file under dir. A symbolic link, an unreadable entry,
 * a non-regular .c/.h file, a file over KT_GUARD_SOURCE_MAX, a tree deeper
 * than KT_GUARD_DEPTH_MAX or larger than KT_GUARD_FILES_MAX: -1 (KT_E_DATA),
 * naming the path. */
int kt_guard_scan_source(kt_guard *g, const char *dir, kt_err *err);

/* Record a violation (deduplicated by symbol and place). */
int kt_guard_violation_add(kt_guard *g, const char *symbol, const char *category, const char *where,
                           kt_err *err);

/* 1 when nothing was found (and a static binary was allowed). */
int kt_guard_pass(const kt_guard *g);

/* The result document, built with core/jsonb. */
int kt_guard_json(const kt_guard *g, const char *binary, cJSON **out, kt_err *err);

/* A file name as the result shows it: valid UTF-8, no control characters;
 * each other byte, and '\', as \xNN (reversible). Malloc'd, NULL on ENOMEM. */
char *kt_guard_display(const char *name);

#endif
