#include "unpack.h"

#include "../core/sha256.h"
#include "entry.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define IO_BUF (1u << 20)

struct kt_unpacker {
    kt_tree t;
};

typedef struct layer_io {
    kt_unpacker *u; /* NULL: verify only, nothing written */
    const kt_img_caps *caps;
    uint64_t *bytes; /* decompressed bytes so far, against caps->max_unpacked */
    kt_unpack_read_fn rd;
    void *rctx;
    kt_err src_err;
    int src_failed, cap_hit;
    struct archive *dec; /* the decompressor: raw format over gzip/zstd/none */
    kt_sha256_ctx diff;  /* of the decompressed stream: the diff_id */
    char *buf;
} layer_io;

static la_ssize_t src_read(struct archive *a, void *ctx, const void **buf)
{
    layer_io *io = ctx;
    ssize_t r = io->rd(io->rctx, io->buf, IO_BUF, &io->src_err);
    if (r < 0) {
        io->src_failed = 1;
        archive_set_error(a, EIO, "%s", io->src_err.msg);
        return -1;
    }
    *buf = io->buf;
    return r;
}

/* The tar reader's input: the decompressor's output, hashed and counted. */
static la_ssize_t tar_read(struct archive *a, void *ctx, const void **buf)
{
    layer_io *io = ctx;
    size_t n;
    la_int64_t off;
    int r = archive_read_data_block(io->dec, buf, &n, &off);
    if (r == ARCHIVE_EOF) return 0;
    if (r != ARCHIVE_OK) {
        archive_set_error(a, EIO, "%s", archive_error_string(io->dec));
        return -1;
    }
    if (n > io->caps->max_unpacked - *io->bytes) {
        io->cap_hit = 1;
        archive_set_error(a, EFBIG, "over the unpacked-size cap");
        return -1;
    }
    *io->bytes += n;
    kt_sha256_update(&io->diff, *buf, n);
    return (la_ssize_t)n;
}

static int check_filter(layer_io *io, enum kt_comp comp, const char *layer, kt_err *err)
{
    int code = archive_filter_code(io->dec, 0), count = archive_filter_count(io->dec);
    int ok = comp == KT_COMP_ANY    ? (code == ARCHIVE_FILTER_NONE || code == ARCHIVE_FILTER_GZIP ||
                                    code == ARCHIVE_FILTER_ZSTD)
             : comp == KT_COMP_GZIP ? code == ARCHIVE_FILTER_GZIP
             : comp == KT_COMP_ZSTD ? code == ARCHIVE_FILTER_ZSTD
                                    : code == ARCHIVE_FILTER_NONE;
    /* Compressed twice is not a layer format (Docker decompresses once). */
    if (!ok || count > (code == ARCHIVE_FILTER_NONE ? 1 : 2))
        return kt_fail(err, KT_E_DATA, "%s: compressed as %s%s, not as its media type says", layer,
                       archive_filter_name(io->dec, 0), count > 2 ? " twice" : "");
    return 0;
}

static int stream_error(layer_io *io, struct archive *a, const char *layer, kt_err *err)
{
    if (io->src_failed) return *err = io->src_err, -1;
    if (io->cap_hit)
        return kt_fail(err, KT_E_LIMIT,
                       "%s: refused: decompresses to more than the unpacked-size cap of %llu bytes "
                       "(--image-max-size)",
                       layer, (unsigned long long)io->caps->max_unpacked);
    return kt_fail(err, KT_E_DATA, "%s: not a valid layer: %s", layer,
                   archive_error_string(a) ? archive_error_string(a) : "unreadable");
}

static int read_entries(layer_io *io, struct archive *tar, const char *layer, kt_err *err)
{
    struct archive_entry *e;
    int r;
    while ((r = archive_read_next_header(tar, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN)
        if (kt_entry_apply(&io->u->t, tar, e, layer, err) < 0) {
            if (io->src_failed || io->cap_hit) stream_error(io, tar, layer, err);
            return -1;
        }
    if (r != ARCHIVE_EOF) return stream_error(io, tar, layer, err);
    /* The diff_id covers the whole stream, end blocks and padding too. */
    const void *buf;
    la_ssize_t got;
    while ((got = tar_read(tar, io, &buf)) > 0) {
    }
    return got < 0 ? stream_error(io, io->dec, layer, err) : 0;
}

static int run_layer(layer_io *io, enum kt_comp comp, const char *layer, kt_err *err)
{
    struct archive *tar = NULL;
    struct archive_entry *e;
    int rc = -1;
    io->dec = archive_read_new();
    if (!io->dec) return kt_fail(err, KT_E_NOMEM, "out of memory");
    archive_read_support_filter_gzip(io->dec);
    archive_read_support_filter_zstd(io->dec);
    archive_read_support_format_raw(io->dec);
    if (archive_read_open(io->dec, io, NULL, src_read, NULL) != ARCHIVE_OK ||
        archive_read_next_header(io->dec, &e) != ARCHIVE_OK) {
        stream_error(io, io->dec, layer, err);
        goto out;
    }
    if (check_filter(io, comp, layer, err) < 0) goto out;
    if (!io->u) { /* verify only: the decompressed stream, hashed and counted */
        const void *buf;
        la_ssize_t got;
        while ((got = tar_read(io->dec, io, &buf)) > 0) {
        }
        rc = got < 0 ? stream_error(io, io->dec, layer, err) : 0;
        goto out;
    }
    if (!(tar = archive_read_new())) {
        kt_fail(err, KT_E_NOMEM, "out of memory");
        goto out;
    }
    archive_read_support_format_tar(tar);
    if (archive_read_open(tar, io, NULL, tar_read, NULL) != ARCHIVE_OK) {
        stream_error(io, tar, layer, err);
        goto out;
    }
    rc = read_entries(io, tar, layer, err);
out:
    if (tar) archive_read_free(tar);
    archive_read_free(io->dec);
    return rc;
}

static int layer(kt_unpacker *u, const kt_img_caps *caps, uint64_t *bytes, kt_unpack_read_fn rd,
                 void *ctx, enum kt_comp comp, const char *diff_id, const char *what, kt_err *err)
{
    layer_io *io = calloc(1, sizeof *io);
    char *buf = malloc(IO_BUF);
    if (!io || !buf) {
        free(io);
        free(buf);
        return kt_fail(err, KT_E_NOMEM, "out of memory");
    }
    *io = (layer_io){.u = u, .caps = caps, .bytes = bytes, .rd = rd, .rctx = ctx, .buf = buf};
    kt_sha256_init(&io->diff);
    int rc = run_layer(io, comp, what, err);
    if (rc == 0 && diff_id) {
        uint8_t d[KT_SHA256_LEN];
        char hex[KT_SHA256_HEX];
        kt_sha256_final(&io->diff, d);
        kt_hex(d, sizeof d, hex);
        if (strcmp(diff_id + strlen("sha256:"), hex) != 0)
            rc = kt_fail(err, KT_E_DATA,
                         "%s: decompressed content has sha256:%s, the config's diff_id says %s",
                         what, hex, diff_id);
    }
    free(io->buf);
    free(io);
    return rc;
}

int kt_unpack_layer(kt_unpacker *u, kt_unpack_read_fn rd, void *ctx, enum kt_comp comp,
                    const char *diff_id, const char *what, kt_err *err)
{
    if (layer(u, &u->t.caps, &u->t.st.bytes, rd, ctx, comp, diff_id, what, err) < 0) return -1;
    return kt_tree_layer_end(&u->t, what, err);
}

int kt_unpack_verify(kt_unpack_read_fn rd, void *ctx, enum kt_comp comp, const char *diff_id,
                     const kt_img_caps *caps, uint64_t *bytes, const char *what, kt_err *err)
{
    return layer(NULL, caps, bytes, rd, ctx, comp, diff_id, what, err);
}

int kt_unpack_finish(kt_unpacker *u, kt_unpack_stats *stats, kt_err *err)
{
    if (kt_tree_finish(&u->t, err) < 0) return -1;
    *stats = u->t.st;
    return 0;
}

int kt_unpack_new(int rootfd, const kt_img_caps *caps, kt_unpacker **out, kt_err *err)
{
    kt_unpacker *u = calloc(1, sizeof *u);
    if (!u) return kt_fail(err, KT_E_NOMEM, "out of memory");
    kt_tree_init(&u->t, rootfd, caps);
    *out = u;
    return 0;
}

void kt_unpack_force_walk(kt_unpacker *u)
{
    u->t.walk = 1;
}

void kt_unpack_free(kt_unpacker *u)
{
    if (!u) return;
    kt_tree_free(&u->t);
    free(u);
}
