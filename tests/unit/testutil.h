/* testutil.h - helpers shared by the cmocka unit tests (header-only). */
#ifndef KT_TESTUTIL_H
#define KT_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef KT_SRCDIR
#define KT_SRCDIR "."
#endif

static inline char *tu_tmpdir(void)
{
    char tmpl[] = "/tmp/kt-unit-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

/* Write dir/rel, creating parents; one component at a time, so rel may be
 * longer than PATH_MAX. */
static inline void tu_write(const char *dir, const char *rel, const void *p, size_t n)
{
    int at = open(dir, O_RDONLY | O_DIRECTORY);
    assert_true(at >= 0);
    char *copy = strdup(rel), *s = copy;
    for (char *slash; (slash = strchr(s, '/')); s = slash + 1) {
        *slash = '\0';
        mkdirat(at, s, 0755);
        int next = openat(at, s, O_RDONLY | O_DIRECTORY);
        assert_true(next >= 0);
        close(at);
        at = next;
    }
    int fd = openat(at, s, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, p, n), (ssize_t)n);
    close(fd);
    close(at);
    free(copy);
}

static inline void tu_writes(const char *dir, const char *rel, const char *s)
{
    tu_write(dir, rel, s, strlen(s));
}

static int tu_rm_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(p);
}

static inline void tu_rmrf(char *dir)
{
    nftw(dir, tu_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

/* Copy a committed test key to dir/name with mode 0600 (git drops modes). */
static inline char *tu_key_copy(const char *dir, const char *fixture, const char *name)
{
    char src[4096], *dst = malloc(4096);
    snprintf(src, sizeof src, "%s/fixtures/keys/%s", KT_SRCDIR, fixture);
    snprintf(dst, 4096, "%s/%s", dir, name);
    FILE *in = fopen(src, "rb");
    assert_non_null(in);
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf, in);
    fclose(in);
    int fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, n), (ssize_t)n);
    fchmod(fd, 0600);
    close(fd);
    return dst;
}

static inline char *tu_fixture(const char *rel)
{
    char *p = malloc(4096);
    snprintf(p, 4096, "%s/%s", KT_SRCDIR, rel);
    return p;
}

static inline uint8_t *tu_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc((size_t)n + 1);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    p[n] = 0;
    *len = (size_t)n;
    return p;
}

#endif
