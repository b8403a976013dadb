#include "tarreader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RBUF (1u << 20)

int kt_tarr_init(kt_tarr *r, int fd, size_t bufsize, kt_err *err)
{
    memset(r, 0, sizeof *r);
    r->fd = fd;
    r->cap = bufsize ? (bufsize < 2 * KT_TAR_BLOCK ? 2 * KT_TAR_BLOCK : bufsize) : RBUF;
    if (!(r->buf = malloc(r->cap))) return kt_fail(err, KT_E_NOMEM, "out of memory");
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        r->file_size = (uint64_t)st.st_size;
        posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
    return 0;
}

void kt_tarr_free(kt_tarr *r)
{
    free(r->buf);
    r->buf = NULL;
}

/* Make at least n (<= cap) bytes available; returns how many are (< n at EOF). */
static ssize_t fill(kt_tarr *r, size_t n, kt_err *err)
{
    if (r->len - r->pos >= n) return (ssize_t)(r->len - r->pos);
    memmove(r->buf, r->buf + r->pos, r->len - r->pos);
    r->len -= r->pos;
    r->pos = 0;
    while (r->len < n && !r->at_end) {
        ssize_t got = read(r->fd, r->buf + r->len, r->cap - r->len);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return kt_fail_errno(err, KT_E_IO, errno, "cannot read the bundle");
        if (got == 0) r->at_end = 1;
        r->len += (size_t)got;
    }
    return (ssize_t)r->len;
}

static void consume(kt_tarr *r, size_t n)
{
    r->pos += n;
    r->off += n;
}

static int check_magic(const uint8_t *p, size_t n, kt_err *err)
{
    static const struct {
        const char *magic;
        size_t len;
        const char *name;
    } kinds[] = {
        {"\x1f\x8b", 2, "gzip"},
        {"\xfd"
         "7zXZ\0",
         6, "xz"},
        {"\x28\xb5\x2f\xfd", 4, "zstd"},
        {"BZh", 3, "bzip2"},
        {"\x04\x22\x4d\x18", 4, "lz4"},
        {"PK\x03\x04", 4, "zip"},
    };
    if (n == 0) return kt_fail(err, KT_E_TAMPER, "the bundle is empty");
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (n >= kinds[i].len && memcmp(p, kinds[i].magic, kinds[i].len) == 0)
            return kt_fail(err, KT_E_TAMPER,
                           "the bundle is %s-compressed; kiemthu bundles are "
                           "plain uncompressed tar",
                           kinds[i].name);
    if (n < KT_TAR_BLOCK || memcmp(p + 257, "ustar", 5) != 0)
        return kt_fail(err, KT_E_TAMPER, "not a ustar archive");
    return 0;
}

int kt_tarr_next(kt_tarr *r, char name[KT_TAR_NAME_MAX + 1], uint64_t *size, uint64_t *mtime,
                 kt_err *err)
{
    ssize_t avail = fill(r, KT_TAR_BLOCK, err);
    if (avail < 0) return -1;
    if (r->off == 0 && check_magic(r->buf + r->pos, (size_t)avail, err) < 0) return -1;
    if (avail < KT_TAR_BLOCK)
        return kt_fail(err, KT_E_TAMPER, "truncated at byte %llu: end-of-archive blocks missing",
                       (unsigned long long)(r->off + (uint64_t)avail));
    const uint8_t *h = r->buf + r->pos;
    if (kt_tar_block_is_zero(h)) {
        consume(r, KT_TAR_BLOCK);
        if ((avail = fill(r, KT_TAR_BLOCK, err)) < 0) return -1;
        if (avail < KT_TAR_BLOCK)
            return kt_fail(err, KT_E_TAMPER,
                           "truncated: the second end-of-archive block is "
                           "missing");
        if (!kt_tar_block_is_zero(r->buf + r->pos))
            return kt_fail(err, KT_E_TAMPER, "data after an end-of-archive block at byte %llu",
                           (unsigned long long)r->off);
        consume(r, KT_TAR_BLOCK);
        if ((avail = fill(r, 1, err)) < 0) return -1;
        if (avail > 0)
            return kt_fail(err, KT_E_TAMPER,
                           "trailing bytes after the end of the archive at "
                           "byte %llu",
                           (unsigned long long)r->off);
        return 0;
    }
    if (kt_tar_header_parse(h, name, size, mtime, err) < 0) {
        err->cls = KT_E_TAMPER;
        return -1;
    }
    consume(r, KT_TAR_BLOCK);
    uint64_t need = *size + kt_tar_pad(*size);
    if (r->file_size && need > r->file_size - r->off)
        return kt_fail(err, KT_E_TAMPER,
                       "member \"%s\" declares %llu bytes but the bundle ends "
                       "%llu bytes later",
                       name, (unsigned long long)*size,
                       (unsigned long long)(r->file_size - r->off));
    return 1;
}

int kt_tarr_data(kt_tarr *r, uint64_t size, kt_tarr_sink sink, void *arg, kt_err *err)
{
    uint64_t left = size;
    while (left) {
        ssize_t avail = fill(r, 1, err);
        if (avail < 0) return -1;
        if (avail == 0) return kt_fail(err, KT_E_TAMPER, "truncated inside member data");
        size_t k = (uint64_t)avail < left ? (size_t)avail : (size_t)left;
        sink(arg, r->buf + r->pos, k);
        consume(r, k);
        left -= k;
    }
    size_t pad = (size_t)kt_tar_pad(size);
    if (pad) {
        ssize_t avail = fill(r, pad, err);
        if (avail < 0) return -1;
        if ((size_t)avail < pad) return kt_fail(err, KT_E_TAMPER, "truncated inside padding");
        for (size_t i = 0; i < pad; i++)
            if (r->buf[r->pos + i])
                return kt_fail(err, KT_E_TAMPER, "non-zero padding byte after member data");
        consume(r, pad);
    }
    return 0;
}
