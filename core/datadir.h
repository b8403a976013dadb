/* datadir.h - where kiemthu's shipped data is, and how a profile is named.
 *
 * `make install` puts the shipped seccomp profiles, the baseline and the
 * policy in DATADIR/profiles/ (DATADIR = $(PREFIX)/share/kiemthu) and the
 * documentation in DOCDIR ($(PREFIX)/share/doc/kiemthu); both are compiled in.
 *
 * A profile argument that contains a '/' or ends in ".json" is a path, used
 * as given. Anything else is a name (letters, digits, '.', '_', '+', '-', not
 * starting with '.'), looked up as NAME.json in, in this order:
 *   1. $KIEMTHU_DATADIR/profiles, when that variable is set (a checkout's top
 *      directory is a data dir too: KIEMTHU_DATADIR=$PWD);
 *   2. DIR/../share/kiemthu/profiles, DIR being the directory of the running
 *      program (a relocated install, a DESTDIR tree);
 *   3. DATADIR/profiles, the compiled-in data dir.
 * The first directory that holds NAME.json wins; a name found nowhere is an
 * error that lists where it looked. */
#ifndef KT_DATADIR_H
#define KT_DATADIR_H

#include "err.h"

#include <limits.h>
#include <stddef.h>

#define KT_DATADIR_ENV "KIEMTHU_DATADIR"
#define KT_DATADIR_SEARCH_MAX 3

/* The compiled-in directories (make PREFIX=...). */
const char *kt_datadir_installed(void);
const char *kt_docdir_installed(void);

/* 1 if arg names a profile by path ('/' in it, or ending in ".json"). */
int kt_profile_arg_is_path(const char *arg);

/* 1 if name is a valid profile name (see above). */
int kt_profile_name_valid(const char *name);

/* The profile directories searched, in order; a candidate that does not fit
 * PATH_MAX is left out. Returns how many. */
size_t kt_profile_dirs(char dirs[KT_DATADIR_SEARCH_MAX][PATH_MAX]);

/* arg as a file: a path is copied as is; a name is looked up. -1 with err:
 * KT_E_USAGE for a malformed name, KT_E_NOINPUT when no directory holds it
 * (the message lists each directory looked in). */
int kt_profile_resolve(const char *arg, char *out, size_t n, kt_err *err);

/* The data directory to name in messages: the first searched one that
 * exists (its profiles/ subdirectory, without the "/profiles"), else the
 * compiled-in one. */
void kt_datadir_shown(char *out, size_t n);

#endif
