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

/* Where to split name into prefix/name: 0 for no split, the index of the
 * separating '/' otherwise, -1 if it cannot be split. The rule is GNU tar's
 * (split_long_name): the rightmost '/' that leaves at most 155 bytes of
 * prefix, provided the rest fits the 100-byte name field. */
static int split_at(const char *name, size_t len)
{
    if (len <= LEN_NAME) return 0;
    size_t i = len < LEN_PREFIX + 1 ? len - 1 : LEN_PREFIX;
    while (i > 0 && name[i] != '/') i--;
    if (i == 0 || len - i - 1 > LEN_NAME || len - i - 1 == 0) return -1;
    return (int)i;
}

/* POSIX portable file name characters plus a few that need no quoting in
 * JSON, sha256sum lines or a shell word. */
static const char NAME_CHARS[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                 "0123456789._-+@=,:~/";

int kt_tar_name_check(const char *name, kt_err *err)
{
    size_t len = strlen(name);
    if (len == 0) return kt_fail(err, KT_E_DATA, "empty member name");
    if (len > KT_TAR_NAME_MAX)
        return kt_fail(err, KT_E_DATA, "name is %zu bytes, longer than %d", len, KT_TAR_NAME_MAX);
    if (name[0] == '/') return kt_fail(err, KT_E_DATA, "absolute name \"%s\"", name);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!strchr(NAME_CHARS, c) || c == '\0')
            return kt_fail(err, KT_E_DATA,
                           "name contains byte 0x%02x; names use only A-Z a-z 0-9 and . _ - + @ "
                           "= , : ~ /",
                           c);
    }
    const char *p = name;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t clen = slash ? (size_t)(slash - p) : strlen(p);
        if (clen == 0) return kt_fail(err, KT_E_DATA, "name \"%s\" has an empty component", name);
        if ((clen == 1 && p[0] == '.') || (clen == 2 && p[0] == '.' && p[1] == '.'))
            return kt_fail(err, KT_E_DATA, "name \"%s\" has a \".\" or \"..\" component", name);
        if (!slash) break;
        p = slash + 1;
    }
    if (split_at(name, len) < 0)
        return kt_fail(err, KT_E_DATA, "name \"%s\" cannot be split into ustar prefix/name", name);
    return 0;
}

static void octal(uint8_t *field, int digits, uint64_t v)
{
    char tmp[24];
    snprintf(tmp, sizeof tmp, "%0*llo", digits, (unsigned long long)v);
    memcpy(field, tmp, (size_t)digits);
    field[digits] = '\0';
}

int kt_tar_header(uint8_t hdr[KT_TAR_BLOCK], const char *name, uint64_t size, uint64_t mtime,
                  kt_err *err)
{
    if (kt_tar_name_check(name, err) < 0) return -1;
    if (size > KT_TAR_SIZE_MAX)
        return kt_fail(err, KT_E_LIMIT, "\"%s\" is %llu bytes; ustar holds at most %llu", name,
                       (unsigned long long)size, (unsigned long long)KT_TAR_SIZE_MAX);
    if (mtime > KT_TAR_MTIME_MAX)
        return kt_fail(err, KT_E_DATA, "mtime %llu does not fit ustar", (unsigned long long)mtime);
    size_t len = strlen(name);
    int cut = split_at(name, len);
    memset(hdr, 0, KT_TAR_BLOCK);
    if (cut == 0) {
        memcpy(hdr + OFF_NAME, name, len);
    } else {
        memcpy(hdr + OFF_PREFIX, name, (size_t)cut);
        memcpy(hdr + OFF_NAME, name + cut + 1, len - (size_t)cut - 1);
    }
    octal(hdr + OFF_MODE, 7, 0644);
    octal(hdr + OFF_UID, 7, 0);
    octal(hdr + OFF_GID, 7, 0);
    octal(hdr + OFF_SIZE, 11, size);
    octal(hdr + OFF_MTIME, 11, mtime);
    hdr[OFF_TYPE] = '0';
    memcpy(hdr + OFF_MAGIC, "ustar", 6);
    memcpy(hdr + OFF_VERSION, "00", 2);
    octal(hdr + OFF_DEVMAJ, 7, 0);
    octal(hdr + OFF_DEVMIN, 7, 0);
    memset(hdr + OFF_CHKSUM, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < KT_TAR_BLOCK; i++) sum += hdr[i];
    octal(hdr + OFF_CHKSUM, 6, sum);
    hdr[OFF_CHKSUM + 7] = ' ';
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

int kt_tar_header_parse(const uint8_t hdr[KT_TAR_BLOCK], char name[KT_TAR_NAME_MAX + 1],
                        uint64_t *size, uint64_t *mtime, kt_err *err)
{
    char base[LEN_NAME + 1], prefix[LEN_PREFIX + 1];
    memcpy(base, hdr + OFF_NAME, LEN_NAME);
    base[LEN_NAME] = '\0';
    memcpy(prefix, hdr + OFF_PREFIX, LEN_PREFIX);
    prefix[LEN_PREFIX] = '\0';
    if (prefix[0])
        snprintf(name, KT_TAR_NAME_MAX + 1, "%s/%s", prefix, base);
    else
        snprintf(name, KT_TAR_NAME_MAX + 1, "%s", base);

    if (memcmp(hdr + OFF_MAGIC, "ustar", 6) != 0 || memcmp(hdr + OFF_VERSION, "00", 2) != 0)
        return kt_fail(err, KT_E_TAMPER, "header of \"%s\" is not POSIX ustar (magic/version)",
                       name);
    if (hdr[OFF_TYPE] != '0')
        return kt_fail(err, KT_E_TAMPER, "member \"%s\" is %s; only regular files are allowed",
                       name, type_name(hdr[OFF_TYPE]));
    if (kt_tar_name_check(name, err) < 0) return -1;
    if (parse_octal(hdr + OFF_SIZE, 11, size) < 0)
        return kt_fail(err, KT_E_TAMPER, "member \"%s\": size field is not canonical octal", name);
    if (parse_octal(hdr + OFF_MTIME, 11, mtime) < 0)
        return kt_fail(err, KT_E_TAMPER, "member \"%s\": mtime field is not canonical octal", name);
    uint8_t want[KT_TAR_BLOCK];
    if (kt_tar_header(want, name, *size, *mtime, err) < 0) return -1;
    for (int i = 0; i < KT_TAR_BLOCK; i++)
        if (want[i] != hdr[i])
            return kt_fail(err, KT_E_TAMPER,
                           "member \"%s\": header byte %d (%s) differs from the canonical form",
                           name, i, field_at(i));
    return 0;
}
