#include "ustar.h"

#include <stdio.h>
#include <string.h>

/* Field offsets and lengths (POSIX ustar). */
enum {
    OFF_NAME = 0,
    LEN_NAME = 100,
    OFF_MODE = 100,
    OFF_UID = 108,
    OFF_GID = 116,
    OFF_SIZE = 124,
    OFF_MTIME = 136,
    OFF_CHKSUM = 148,
    OFF_TYPE = 156,
    OFF_LINK = 157,
    OFF_MAGIC = 257,
    OFF_VERSION = 263,
    OFF_UNAME = 265,
    OFF_GNAME = 297,
    OFF_DEVMAJ = 329,
    OFF_DEVMIN = 337,
    OFF_PREFIX = 345,
    LEN_PREFIX = 155,
    OFF_PAD = 500,
};

int kt_tar_block_is_zero(const uint8_t blk[KT_TAR_BLOCK])
{
    for (int i = 0; i < KT_TAR_BLOCK; i++)
        if (blk[i]) return 0;
    return 1;
}

int kt_tar_name_check(const char *name, kt_err *err)
{
    return kt_name_check(name, KT_TAR_NAME_MAX, err);
}

static void octal(uint8_t *field, int digits, uint64_t v)
{
    char tmp[24];
    snprintf(tmp, sizeof tmp, "%0*llo", digits, (unsigned long long)v);
    memcpy(field, tmp, (size_t)digits);
    field[digits] = '\0';
}

static void checksum(uint8_t *hdr)
{
    memset(hdr + OFF_CHKSUM, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < KT_TAR_BLOCK; i++) sum += hdr[i];
    octal(hdr + OFF_CHKSUM, 6, sum);
    hdr[OFF_CHKSUM + 7] = ' ';
}

/* The block both headers share: mode, ids, size, mtime, magic; the typeflag
 * and name are the caller's. */
static void common(uint8_t *hdr, uint64_t size, uint64_t mtime)
{
    memset(hdr, 0, KT_TAR_BLOCK);
    octal(hdr + OFF_MODE, 7, 0644);
    octal(hdr + OFF_UID, 7, 0);
    octal(hdr + OFF_GID, 7, 0);
    octal(hdr + OFF_SIZE, 11, size);
    octal(hdr + OFF_MTIME, 11, mtime);
    memcpy(hdr + OFF_MAGIC, "ustar", 6);
    memcpy(hdr + OFF_VERSION, "00", 2);
}

static size_t digits10(size_t v)
{
    size_t d = 1;
    while (v >= 10) v /= 10, d++;
    return d;
}

/* "LEN path=NAME\n", LEN counting the whole record including itself. */
static size_t pax_record_len(size_t namelen)
{
    size_t base = 1 + 5 + namelen + 1; /* ' ' "path=" name '\n' */
    size_t d = digits10(base);
    if (digits10(base + d) != d) d++;
    return base + d;
}

int kt_tar_header(uint8_t *hdr, size_t *len, const char *name, uint64_t size, uint64_t mtime,
                  kt_err *err)
{
    if (kt_tar_name_check(name, err) < 0) return -1;
    if (size > KT_TAR_SIZE_MAX)
        return kt_fail(err, KT_E_LIMIT, "\"%s\" is %llu bytes; ustar holds at most %llu", name,
                       (unsigned long long)size, (unsigned long long)KT_TAR_SIZE_MAX);
    if (mtime > KT_TAR_MTIME_MAX)
        return kt_fail(err, KT_E_DATA, "mtime %llu does not fit ustar", (unsigned long long)mtime);
    size_t nlen = strlen(name), off = 0;
    if (nlen > KT_TAR_NAME_FIELD) {
        /* GNU tar's pax extended header, as its exthdr.name/delete options make it */
        size_t rec = pax_record_len(nlen);
        common(hdr, rec, mtime);
        memcpy(hdr + OFF_NAME, KT_TAR_PAX_NAME, sizeof KT_TAR_PAX_NAME - 1);
        hdr[OFF_TYPE] = 'x';
        checksum(hdr);
        uint8_t *data = hdr + KT_TAR_BLOCK;
        size_t padded = rec + kt_tar_pad(rec);
        memset(data, 0, padded);
        int n = snprintf((char *)data, rec + 1, "%zu path=%s\n", rec, name);
        if (n < 0 || (size_t)n != rec)
            return kt_fail(err, KT_E_INTERNAL, "pax record length mismatch");
        off = KT_TAR_BLOCK + padded;
    }
    uint8_t *h = hdr + off;
    common(h, size, mtime);
    memcpy(h + OFF_NAME, name, nlen < KT_TAR_NAME_FIELD ? nlen : KT_TAR_NAME_FIELD);
    h[OFF_TYPE] = '0';
    octal(h + OFF_DEVMAJ, 7, 0);
    octal(h + OFF_DEVMIN, 7, 0);
    checksum(h);
    *len = off + KT_TAR_BLOCK;
    return 0;
}

static int parse_octal(const uint8_t *field, int digits, uint64_t *out)
{
    uint64_t v = 0;
    for (int i = 0; i < digits; i++) {
        if (field[i] < '0' || field[i] > '7') return -1;
        v = v << 3 | (uint64_t)(field[i] - '0');
    }
    if (field[digits] != '\0') return -1;
    *out = v;
    return 0;
}

static const char *field_at(int off)
{
    static const struct {
        int off;
        const char *name;
    } fields[] = {
        {OFF_NAME, "name"},     {OFF_MODE, "mode"},          {OFF_UID, "uid"},
        {OFF_GID, "gid"},       {OFF_SIZE, "size"},          {OFF_MTIME, "mtime"},
        {OFF_CHKSUM, "chksum"}, {OFF_TYPE, "typeflag"},      {OFF_LINK, "linkname"},
        {OFF_MAGIC, "magic"},   {OFF_VERSION, "version"},    {OFF_UNAME, "uname"},
        {OFF_GNAME, "gname"},   {OFF_DEVMAJ, "devmajor"},    {OFF_DEVMIN, "devminor"},
        {OFF_PREFIX, "prefix"}, {OFF_PAD, "header padding"},
    };
    const char *name = "name";
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (off >= fields[i].off) name = fields[i].name;
    return name;
}

static const char *type_name(uint8_t t)
{
    switch (t) {
    case '1':
        return "a hard link";
    case '2':
        return "a symbolic link";
    case '3':
        return "a character device";
    case '4':
        return "a block device";
    case '5':
        return "a directory";
    case '6':
        return "a FIFO";
    case 'x':
    case 'g':
        return "a pax extended header";
    case 'L':
    case 'K':
        return "a GNU long-name header";
    case '\0':
        return "an old-style regular file (typeflag NUL)";
    default:
        return "an unsupported member type";
    }
}

int kt_tar_block_kind(const uint8_t blk[KT_TAR_BLOCK], uint64_t *pax_size, kt_err *err)
{
    if (memcmp(blk + OFF_MAGIC, "ustar", 6) != 0 || memcmp(blk + OFF_VERSION, "00", 2) != 0)
        return kt_fail(err, KT_E_TAMPER, "a header is not POSIX ustar (magic/version)");
    if (blk[OFF_TYPE] == '0') return 0;
    if (blk[OFF_TYPE] != 'x')
        return kt_fail(err, KT_E_TAMPER, "a member is %s; only regular files are allowed",
                       type_name(blk[OFF_TYPE]));
    if (parse_octal(blk + OFF_SIZE, 11, pax_size) < 0)
        return kt_fail(err, KT_E_TAMPER, "pax header: size field is not canonical octal");
    if (*pax_size == 0 || *pax_size > KT_TAR_PAX_MAX)
        return kt_fail(err, KT_E_TAMPER,
                       "pax header declares %llu bytes; a canonical one holds one path record "
                       "of at most %d bytes",
                       (unsigned long long)*pax_size, KT_TAR_PAX_MAX);
    return 1;
}

int kt_tar_pax_path(const uint8_t *data, size_t n, char name[KT_TAR_NAME_MAX + 1], kt_err *err)
{
    /* "LEN path=NAME\n": the exact record is compared later; here only take
     * NAME safely (LEN must cover the record and end in the newline). */
    size_t i = 0, len = 0;
    while (i < n && i < 8 && data[i] >= '0' && data[i] <= '9') len = len * 10 + (data[i++] - '0');
    static const char key[] = " path=";
    if (i == 0 || len > n || len < i + sizeof key || memcmp(data + i, key, sizeof key - 1) != 0 ||
        data[len - 1] != '\n')
        return kt_fail(err, KT_E_TAMPER, "pax header does not hold one \"path\" record");
    size_t start = i + sizeof key - 1, nlen = len - 1 - start;
    if (nlen > KT_TAR_NAME_MAX || memchr(data + start, '\0', nlen))
        return kt_fail(err, KT_E_TAMPER, "pax path record is not a member name");
    memcpy(name, data + start, nlen);
    name[nlen] = '\0';
    return 0;
}

int kt_tar_file_header(const uint8_t blk[KT_TAR_BLOCK], char name[KT_TAR_NAME_FIELD + 1],
                       uint64_t *size, uint64_t *mtime, kt_err *err)
{
    uint64_t dummy;
    int kind = kt_tar_block_kind(blk, &dummy, err);
    if (kind < 0) return -1;
    if (kind == 1) return kt_fail(err, KT_E_TAMPER, "two pax headers in a row");
    for (int i = OFF_PREFIX; i < OFF_PREFIX + LEN_PREFIX; i++)
        if (blk[i])
            return kt_fail(err, KT_E_TAMPER,
                           "the prefix field is used (a prefix/name split): a name over 100 bytes "
                           "needs a pax path record");
    if (name) {
        memcpy(name, blk + OFF_NAME, KT_TAR_NAME_FIELD);
        name[KT_TAR_NAME_FIELD] = '\0';
    }
    if (parse_octal(blk + OFF_SIZE, 11, size) < 0)
        return kt_fail(err, KT_E_TAMPER, "size field is not canonical octal");
    if (parse_octal(blk + OFF_MTIME, 11, mtime) < 0)
        return kt_fail(err, KT_E_TAMPER, "mtime field is not canonical octal");
    return 0;
}

int kt_tar_header_check(const uint8_t *seq, size_t len, const char *name, uint64_t size,
                        uint64_t mtime, kt_err *err)
{
    uint8_t want[KT_TAR_HDR_MAX];
    size_t wlen;
    if (kt_tar_header(want, &wlen, name, size, mtime, err) < 0) {
        err->cls = KT_E_TAMPER;
        return -1;
    }
    if (wlen != len)
        return kt_fail(err, KT_E_TAMPER, "%s (member \"%.200s\")",
                       wlen > len ? "a name over 100 bytes needs a pax path record"
                                  : "a pax header where the canonical form has none",
                       name);
    for (size_t i = 0; i < len; i++) {
        if (want[i] == seq[i]) continue;
        size_t last = len - KT_TAR_BLOCK;
        if (i >= last)
            return kt_fail(
                err, KT_E_TAMPER,
                "header byte %zu (%s) differs from the canonical form (member \"%.200s\")",
                i - last, field_at((int)(i - last)), name);
        return kt_fail(
            err, KT_E_TAMPER,
            "pax header byte %zu (%s) differs from the canonical form (member \"%.200s\")", i,
            i < KT_TAR_BLOCK ? field_at((int)i) : "path record", name);
    }
    return 0;
}
