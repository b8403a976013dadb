/* Layer unpacking: layers built here with libarchive's writer (ustar/pax,
 * gzip, zstd), applied to a fresh directory inside a scratch parent; every
 * hostile case must fail and leave the parent holding nothing but the root. */
#include "testutil.h"

#include "../../core/sha256.h"
#include "../../sandbox/unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <sys/sysmacros.h>
#include <errno.h>

typedef struct mem {
    unsigned char *p;
    size_t len, cap, pos;
} mem;

static la_ssize_t mem_write(struct archive *a, void *ctx, const void *buf, size_t n)
{
    (void)a;
    mem *m = ctx;
    if (m->len + n > m->cap) {
        m->cap = (m->len + n) * 2;
        m->p = realloc(m->p, m->cap);
        assert_non_null(m->p);
    }
    memcpy(m->p + m->len, buf, n);
    m->len += n;
    return (la_ssize_t)n;
}

enum { T_FILE, T_DIR, T_SYMLINK, T_HARDLINK, T_CHR, T_FIFO };

typedef struct ent {
    int type;
    const char *name;
    const char *data; /* file content, or link target */
    int mode;
    int64_t size; /* declared size when >= 0 and data is NULL (for bombs) */
} ent;

/* A layer holding ents, compressed with filter ("none", "gzip", "zstd"). */
static mem make_layer(const ent *e, size_t n, const char *filter)
{
    mem m = {0};
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    if (!strcmp(filter, "gzip")) archive_write_add_filter_gzip(a);
    if (!strcmp(filter, "zstd")) archive_write_add_filter_zstd(a);
    archive_write_set_bytes_in_last_block(a, 1);
    assert_int_equal(archive_write_open(a, &m, NULL, mem_write, NULL), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *x = archive_entry_new();
        archive_entry_set_pathname(x, e[i].name);
        archive_entry_set_mtime(x, 1000000 + (time_t)i, 0);
        archive_entry_set_mode(x,
                               (e[i].mode ? e[i].mode : 0644) | (e[i].type == T_DIR       ? AE_IFDIR
                                                                 : e[i].type == T_SYMLINK ? AE_IFLNK
                                                                 : e[i].type == T_CHR     ? AE_IFCHR
                                                                 : e[i].type == T_FIFO    ? AE_IFIFO
                                                                                       : AE_IFREG));
        size_t len = 0;
        if (e[i].type == T_FILE) {
            len = e[i].data ? strlen(e[i].data) : 0;
            archive_entry_set_size(x, e[i].data ? (la_int64_t)len : e[i].size);
        }
        if (e[i].type == T_SYMLINK) archive_entry_set_symlink(x, e[i].data);
        if (e[i].type == T_HARDLINK) {
            archive_entry_set_hardlink(x, e[i].data);
            archive_entry_set_size(x, 0);
        }
        if (e[i].type == T_CHR) archive_entry_set_rdev(x, makedev(1, 3));
        assert_true(archive_write_header(a, x) >= ARCHIVE_WARN);
        if (len) assert_int_equal(archive_write_data(a, e[i].data, len), (la_ssize_t)len);
        if (e[i].type == T_FILE && !e[i].data && e[i].size > 0) {
            /* a bomb: zeros, written until the declared size */
            static char zeros[1 << 16];
            for (int64_t left = e[i].size; left > 0; left -= (int64_t)sizeof zeros)
                archive_write_data(a, zeros,
                                   left < (int64_t)sizeof zeros ? (size_t)left : sizeof zeros);
        }
        archive_entry_free(x);
    }
    archive_write_close(a);
    archive_write_free(a);
    return m;
}

static ssize_t mem_read(void *ctx, void *buf, size_t n, kt_err *err)
{
    (void)err;
    mem *m = ctx;
    size_t k = m->len - m->pos < n ? m->len - m->pos : n;
    memcpy(buf, m->p + m->pos, k);
    m->pos += k;
    return (ssize_t)k;
}

static void diff_id_of(const mem *m, const char *filter, char out[KT_OCI_DIGEST])
{
    /* the decompressed bytes: decompress with libarchive's raw reader */
    struct archive *a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_raw(a);
    assert_int_equal(archive_read_open_memory(a, m->p, m->len), ARCHIVE_OK);
    struct archive_entry *e;
    assert_int_equal(archive_read_next_header(a, &e), ARCHIVE_OK);
    kt_sha256_ctx h;
    kt_sha256_init(&h);
    char buf[65536];
    la_ssize_t r;
    while ((r = archive_read_data(a, buf, sizeof buf)) > 0) kt_sha256_update(&h, buf, (size_t)r);
    archive_read_free(a);
    (void)filter;
    uint8_t d[32];
    char hex[65];
    kt_sha256_final(&h, d);
    kt_hex(d, 32, hex);
    snprintf(out, KT_OCI_DIGEST, "sha256:%s", hex);
}

typedef struct scratch {
    char *parent; /* holds only "root" and, for escape tests, "outside" */
    char root[4096];
    int rootfd;
    kt_unpacker *u;
    kt_img_caps caps;
} scratch;

static void scratch_init(scratch *s)
{
    s->parent = tu_tmpdir();
    snprintf(s->root, sizeof s->root, "%s/root", s->parent);
    assert_int_equal(mkdir(s->root, 0755), 0);
    s->rootfd = open(s->root, O_RDONLY | O_DIRECTORY);
    assert_true(s->rootfd >= 0);
    kt_img_caps_default(&s->caps);
    s->u = NULL;
}

static int apply(scratch *s, const ent *e, size_t n, const char *filter, enum kt_comp comp,
                 kt_err *err)
{
    if (!s->u) {
        kt_err e0;
        assert_int_equal(kt_unpack_new(s->rootfd, &s->caps, &s->u, &e0), 0);
    }
    mem m = make_layer(e, n, filter);
    char id[KT_OCI_DIGEST];
    diff_id_of(&m, filter, id);
    int rc = kt_unpack_layer(s->u, mem_read, &m, comp, id, "layer", err);
    free(m.p);
    return rc;
}

#define APPLY_OK(s, arr)                                                                           \
    do {                                                                                           \
        kt_err err_;                                                                               \
        if (apply(s, arr, sizeof arr / sizeof arr[0], "none", KT_COMP_NONE, &err_) < 0)            \
            fail_msg("%s", err_.msg);                                                              \
    } while (0)

static void scratch_done(scratch *s)
{
    kt_unpack_free(s->u);
    close(s->rootfd);
    tu_rmrf(s->parent);
}

/* Nothing but "root" (and the escape target dir, if made) in the parent,
 * and the escape target empty. */
static void nothing_outside(const scratch *s)
{
    DIR *d = opendir(s->parent);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || !strcmp(de->d_name, "root"))
            continue;
        if (!strcmp(de->d_name, "outside")) {
            char p[4200];
            snprintf(p, sizeof p, "%s/outside", s->parent);
            DIR *o = opendir(p);
            struct dirent *x;
            int n = 0;
            while ((x = readdir(o))) n += strcmp(x->d_name, ".") && strcmp(x->d_name, "..");
            closedir(o);
            if (n) fail_msg("something was written into %s", p);
            continue;
        }
        fail_msg("%s appeared next to the root", de->d_name);
    }
    closedir(d);
}

static int exists(const scratch *s, const char *rel)
{
    struct stat st;
    return fstatat(s->rootfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static char *slurp_rel(const scratch *s, const char *rel)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", s->root, rel);
    size_t n;
    return (char *)tu_slurp(p, &n);
}

static void basic_tree(void **state)
{
    (void)state;
    scratch s;
    scratch_init(&s);
    ent l[] = {
        {T_DIR, "./usr/", NULL, 0755, -1},
        {T_DIR, "usr/bin", NULL, 0750, -1},
        {T_FILE, "usr/bin/app", "#!/bin/sh\necho hi\n", 04755, -1},
        {T_SYMLINK, "bin", "usr/bin", 0777, -1},
        {T_HARDLINK, "usr/bin/app2", "usr/bin/app", 0, -1},
        {T_FILE, "etc/deep/er/file", "x", 0600, -1}, /* parents made implicitly */
        {T_CHR, "dev/null", NULL, 0666, -1},
        {T_FIFO, "run/fifo", NULL, 0600, -1},
        {T_FILE, "caf\xc3\xa9 \x01name", "odd", 0644, -1},
    };
    APPLY_OK(&s, l);
    kt_unpack_stats st;
    kt_err err;
    assert_int_equal(kt_unpack_finish(s.u, &st, &err), 0);
    struct stat sb;
    assert_int_equal(fstatat(s.rootfd, "usr/bin/app", &sb, 0), 0);
    assert_int_equal(sb.st_mode & 07777, 04755);
    assert_int_equal(sb.st_mtime, 1000002);
    assert_int_equal(sb.st_nlink, 2);
    assert_int_equal(fstatat(s.rootfd, "usr/bin", &sb, 0), 0);
    assert_int_equal(sb.st_mode & 07777, 0750);
    assert_int_equal(sb.st_mtime, 1000001);
    char target[64] = {0};
    assert_int_equal(readlinkat(s.rootfd, "bin", target, sizeof target), 7);
    assert_string_equal(target, "usr/bin");
    assert_int_equal(fstatat(s.rootfd, "etc/deep", &sb, 0), 0);
    assert_int_equal(sb.st_mode & 07777, 0755);
    assert_false(exists(&s, "dev/null"));
    assert_int_equal(fstatat(s.rootfd, "run/fifo", &sb, AT_SYMLINK_NOFOLLOW), 0);
    assert_true(S_ISFIFO(sb.st_mode));
    assert_true(exists(&s, "caf\xc3\xa9 \x01name"));
    assert_int_equal(st.devices_skipped, 1);
    assert_string_equal(st.skipped[0], "dev/null");
    assert_int_equal(st.files, 3);
    assert_int_equal(st.hardlinks, 1);
    assert_int_equal(st.symlinks, 1);
    nothing_outside(&s);
    scratch_done(&s);
}

static void whiteouts_and_opaque(void **state)
{
    (void)state;
    scratch s;
    scratch_init(&s);
    ent l1[] = {
        {T_FILE, "a/keep", "1", 0, -1},       {T_FILE, "a/gone", "2", 0, -1},
        {T_FILE, "o/lower1", "3", 0, -1},     {T_DIR, "o/lowerdir", NULL, 0755, -1},
        {T_FILE, "o/lowerdir/x", "4", 0, -1}, {T_FILE, "d/sub/file", "5", 0, -1},
        {T_FILE, "same", "6", 0, -1},
    };
    APPLY_OK(&s, l1);
    ent l2[] = {
        {T_FILE, "a/.wh.gone", "", 0, -1},
        {T_DIR, "o", NULL, 0755, -1},
        {T_FILE, "o/new", "7", 0, -1}, /* same layer, before the marker: stays */
        {T_FILE, "o/.wh..wh..opq", "", 0, -1},
        {T_FILE, "o/after", "8", 0, -1},
        {T_FILE, ".wh.d", "", 0, -1}, /* a whole directory */
        {T_FILE, "newfile", "9", 0, -1},
        {T_FILE, ".wh.newfile", "", 0, -1}, /* same layer: does not remove it */
        {T_FILE, ".wh.nothing-there", "", 0, -1},
        {T_FILE, "missing/.wh.x", "", 0, -1}, /* parent missing: nothing to do */
        {T_FILE, ".wh..wh.plnk", "", 0, -1},  /* AUFS metadata: ignored */
    };
    APPLY_OK(&s, l2);
    assert_true(exists(&s, "a/keep"));
    assert_false(exists(&s, "a/gone"));
    assert_false(exists(&s, "a/.wh.gone"));
    assert_true(exists(&s, "o"));
    assert_true(exists(&s, "o/new"));
    assert_true(exists(&s, "o/after"));
    assert_false(exists(&s, "o/lower1"));
    assert_false(exists(&s, "o/lowerdir"));
    assert_false(exists(&s, "o/.wh..wh..opq"));
    assert_false(exists(&s, "d"));
    assert_true(exists(&s, "newfile"));
    assert_true(exists(&s, "same"));
    nothing_outside(&s);
    scratch_done(&s);
}

static void replacements(void **state)
{
    (void)state;
    scratch s;
    scratch_init(&s);
    ent l1[] = {{T_DIR, "x", NULL, 0755, -1}, {T_FILE, "x/f", "1", 0, -1},
                {T_FILE, "y", "file", 0, -1}, {T_SYMLINK, "z", "/etc", 0, -1},
                {T_FILE, "h", "orig", 0, -1}, {T_HARDLINK, "h2", "h", 0, -1}};
    APPLY_OK(&s, l1);
    /* a file replaces a directory, a directory a file, a file a symlink;
     * writing "h2" anew must not write through the hard link into "h" */
    ent l2[] = {{T_FILE, "x", "now a file", 0, -1},
                {T_DIR, "y", NULL, 0700, -1},
                {T_FILE, "z", "not a link", 0, -1},
                {T_FILE, "h2", "new", 0, -1}};
    APPLY_OK(&s, l2);
    struct stat st;
    assert_int_equal(fstatat(s.rootfd, "x", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(fstatat(s.rootfd, "y", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(fstatat(s.rootfd, "z", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_true(S_ISREG(st.st_mode));
    char *h = slurp_rel(&s, "h");
    assert_string_equal(h, "orig");
    free(h);
    scratch_done(&s);
}

/* Each hostile layer alone, into a fresh root. */
static void expect_refused(const ent *e, size_t n, const char *needle, int setup_outside)
{
    scratch s;
    scratch_init(&s);
    char outside[4200];
    snprintf(outside, sizeof outside, "%s/outside", s.parent);
    if (setup_outside) assert_int_equal(mkdir(outside, 0755), 0);
    kt_err err;
    int rc = apply(&s, e, n, "none", KT_COMP_NONE, &err);
    if (rc == 0) fail_msg("a hostile layer was accepted (want \"%s\")", needle);
    if (!strstr(err.msg, needle)) fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle);
    nothing_outside(&s);
    scratch_done(&s);
}

static void escapes_refused(void **state)
{
    (void)state;
    ent dotdot[] = {{T_FILE, "../outside/pwned", "x", 0, -1}};
    expect_refused(dotdot, 1, "outside the image", 1);
    ent inner_dotdot[] = {{T_FILE, "a/../../outside/pwned", "x", 0, -1}};
    expect_refused(inner_dotdot, 1, "outside the image", 1);
    ent absolute[] = {{T_FILE, "/tmp/kt-unpack-abs-pwned", "x", 0, -1}};
    expect_refused(absolute, 1, "outside the image", 0);
    assert_int_equal(access("/tmp/kt-unpack-abs-pwned", F_OK), -1);
    /* a symlink to the outside, then an entry through it */
    ent sym_rel[] = {{T_SYMLINK, "s", "../outside", 0, -1}, {T_FILE, "s/pwned", "x", 0, -1}};
    expect_refused(sym_rel, 2, "leads out of the image root", 1);
    ent sym_abs[] = {{T_SYMLINK, "s", "/tmp", 0, -1}, {T_FILE, "s/kt-unpack-pwned", "x", 0, -1}};
    expect_refused(sym_abs, 2, "leads out of the image root", 0);
    assert_int_equal(access("/tmp/kt-unpack-pwned", F_OK), -1);
    ent sym_deep[] = {{T_DIR, "d", NULL, 0755, -1},
                      {T_SYMLINK, "d/up", "../../outside", 0, -1},
                      {T_DIR, "d/up/newdir", NULL, 0755, -1}};
    expect_refused(sym_deep, 3, "leads out of the image root", 1);
    /* hard links to outside files */
    ent hl_dotdot[] = {{T_HARDLINK, "h", "../outside/target", 0, -1}};
    expect_refused(hl_dotdot, 1, "hard link", 1);
    ent hl_abs[] = {{T_HARDLINK, "h", "/etc/passwd", 0, -1}};
    expect_refused(hl_abs, 1, "hard link", 0);
    ent hl_sym[] = {{T_SYMLINK, "s", "/etc", 0, -1}, {T_HARDLINK, "h", "s/passwd", 0, -1}};
    expect_refused(hl_sym, 2, "leads out of the image root", 0);
    ent hl_dir[] = {{T_DIR, "d", NULL, 0755, -1}, {T_HARDLINK, "h", "d", 0, -1}};
    expect_refused(hl_dir, 2, "hard link to a directory", 0);
    ent hl_missing[] = {{T_HARDLINK, "h", "nothing", 0, -1}};
    expect_refused(hl_missing, 1, "does not exist", 0);
    /* whiteouts through a symlink that leaves */
    ent wh_sym[] = {{T_SYMLINK, "s", "../outside", 0, -1}, {T_FILE, "s/.wh.victim", "", 0, -1}};
    scratch s;
    scratch_init(&s);
    char victim[4200];
    snprintf(victim, sizeof victim, "%s/outside", s.parent);
    mkdir(victim, 0755);
    strcat(victim, "/victim");
    int fd = open(victim, O_WRONLY | O_CREAT, 0644);
    close(fd);
    kt_err err;
    assert_int_equal(apply(&s, wh_sym, 2, "none", KT_COMP_NONE, &err), -1);
    assert_int_equal(access(victim, F_OK), 0);
    unlink(victim);
    scratch_done(&s);
}

static void symlink_inside_followed(void **state)
{
    (void)state;
    /* merged /usr: lib -> usr/lib, then a later entry through it (stays inside) */
    scratch s;
    scratch_init(&s);
    ent l[] = {{T_DIR, "usr/lib", NULL, 0755, -1},
               {T_SYMLINK, "lib", "usr/lib", 0, -1},
               {T_FILE, "lib/libx.so", "elf", 0, -1}};
    APPLY_OK(&s, l);
    assert_true(exists(&s, "usr/lib/libx.so"));
    scratch_done(&s);
    /* the same without openat2 (old kernels): any symlink in a parent is refused */
    scratch_init(&s);
    kt_err err;
    assert_int_equal(kt_unpack_new(s.rootfd, &s.caps, &s.u, &err), 0);
    kt_unpack_force_walk(s.u);
    assert_int_equal(apply(&s, l, 3, "none", KT_COMP_NONE, &err), -1);
    if (!strstr(err.msg, "leads out of the image root")) fail_msg("%s", err.msg);
    scratch_done(&s);
    /* and plain paths work in walk mode */
    scratch_init(&s);
    assert_int_equal(kt_unpack_new(s.rootfd, &s.caps, &s.u, &err), 0);
    kt_unpack_force_walk(s.u);
    ent plain[] = {{T_FILE, "a/b/c", "1", 0, -1}, {T_FILE, "a/.wh.b", "", 0, -1}};
    assert_int_equal(apply(&s, plain, 1, "none", KT_COMP_NONE, &err), 0);
    assert_int_equal(apply(&s, plain + 1, 1, "none", KT_COMP_NONE, &err), 0);
    assert_false(exists(&s, "a/b"));
    scratch_done(&s);
}

static void compression(void **state)
{
    (void)state;
    ent l[] = {{T_FILE, "f", "compressed content", 0, -1}};
    const struct {
        const char *filter;
        enum kt_comp comp;
        int ok;
    } cases[] = {
        {"gzip", KT_COMP_GZIP, 1}, {"zstd", KT_COMP_ZSTD, 1}, {"none", KT_COMP_NONE, 1},
        {"gzip", KT_COMP_ANY, 1},  {"zstd", KT_COMP_ANY, 1},  {"none", KT_COMP_ANY, 1},
        {"gzip", KT_COMP_NONE, 0}, {"none", KT_COMP_GZIP, 0}, {"zstd", KT_COMP_GZIP, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        scratch s;
        scratch_init(&s);
        kt_err err;
        int rc = apply(&s, l, 1, cases[i].filter, cases[i].comp, &err);
        if ((rc == 0) != cases[i].ok)
            fail_msg("case %zu (%s): rc %d: %s", i, cases[i].filter, rc, rc ? err.msg : "");
        if (rc == 0) {
            char *c = slurp_rel(&s, "f");
            assert_string_equal(c, "compressed content");
            free(c);
        } else {
            assert_non_null(strstr(err.msg, "not as its media type says"));
        }
        scratch_done(&s);
    }
}

static void diff_id_checked(void **state)
{
    (void)state;
    scratch s;
    scratch_init(&s);
    kt_err err;
    assert_int_equal(kt_unpack_new(s.rootfd, &s.caps, &s.u, &err), 0);
    ent l[] = {{T_FILE, "f", "x", 0, -1}};
    mem m = make_layer(l, 1, "gzip");
    const char *wrong = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
    assert_int_equal(kt_unpack_layer(s.u, mem_read, &m, KT_COMP_GZIP, wrong, "L", &err), -1);
    assert_non_null(strstr(err.msg, "diff_id"));
    free(m.p);
    /* garbage is not a layer */
    mem g = {(unsigned char *)strdup("this is not a tar archive at all, not even close......"), 55,
             0, 0};
    assert_int_equal(kt_unpack_layer(s.u, mem_read, &g, KT_COMP_ANY, NULL, "L", &err), -1);
    free(g.p);
    scratch_done(&s);
}

static void caps_enforced(void **state)
{
    (void)state;
    /* a file declaring more than the cap: refused at its header, nothing written */
    scratch s;
    scratch_init(&s);
    s.caps.max_unpacked = 1 << 20;
    ent big[] = {{T_FILE, "big", NULL, 0, (int64_t)8 << 30}};
    /* the writer would write 8 GiB: build the header by hand instead */
    (void)big;
    unsigned char tar[1024 + 512] = {0};
    memcpy(tar, "big", 3);
    memcpy(tar + 100, "0000644", 7);
    memcpy(tar + 108, "0000000", 7);
    memcpy(tar + 116, "0000000", 7);
    memcpy(tar + 124, "77777777777", 11); /* 8 GiB - 1 */
    memcpy(tar + 136, "00000000000", 11);
    tar[156] = '0';
    memcpy(tar + 257, "ustar", 6);
    memcpy(tar + 263, "00", 2);
    memset(tar + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++) sum += tar[i];
    snprintf((char *)tar + 148, 8, "%06o", sum);
    mem m = {tar, sizeof tar, sizeof tar, 0};
    kt_err err;
    assert_int_equal(kt_unpack_new(s.rootfd, &s.caps, &s.u, &err), 0);
    assert_int_equal(kt_unpack_layer(s.u, mem_read, &m, KT_COMP_NONE, NULL, "L", &err), -1);
    assert_int_equal(err.cls, KT_E_LIMIT);
    assert_false(exists(&s, "big"));
    scratch_done(&s);
    /* a gzip bomb of many files: stopped as the decompressed bytes pass the cap */
    scratch_init(&s);
    s.caps.max_unpacked = 4 << 20;
    ent bomb[64];
    char names[64][16];
    for (int i = 0; i < 64; i++) {
        snprintf(names[i], sizeof names[i], "zero%02d", i);
        bomb[i] = (ent){T_FILE, names[i], NULL, 0, 1 << 20};
    }
    kt_unpack_stats st;
    assert_int_equal(apply(&s, bomb, 64, "gzip", KT_COMP_GZIP, &err), -1);
    assert_int_equal(err.cls, KT_E_LIMIT);
    assert_int_equal(kt_unpack_finish(s.u, &st, &err), 0);
    assert_true(st.bytes <= 4 << 20);
    nothing_outside(&s);
    scratch_done(&s);
    /* too many entries */
    scratch_init(&s);
    s.caps.max_entries = 10;
    ent many[12];
    for (int i = 0; i < 12; i++) many[i] = (ent){T_DIR, names[i], NULL, 0755, -1};
    assert_int_equal(apply(&s, many, 12, "none", KT_COMP_NONE, &err), -1);
    assert_int_equal(err.cls, KT_E_LIMIT);
    scratch_done(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(basic_tree),
        cmocka_unit_test(whiteouts_and_opaque),
        cmocka_unit_test(replacements),
        cmocka_unit_test(escapes_refused),
        cmocka_unit_test(symlink_inside_followed),
        cmocka_unit_test(compression),
        cmocka_unit_test(diff_id_checked),
        cmocka_unit_test(caps_enforced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
