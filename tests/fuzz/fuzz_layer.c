/* libFuzzer: a layer (gzip, zstd or plain tar) unpacked into a fresh
 * directory; whatever the bytes, nothing may appear beside that directory.
 * Small caps keep the fuzzer from filling the disk. */
#include "../../sandbox/beneath.h"
#include "../../sandbox/unpack.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct src {
    const uint8_t *p;
    size_t n, pos;
} src;

static ssize_t rd(void *ctx, void *buf, size_t n, kt_err *err)
{
    (void)err;
    src *s = ctx;
    size_t k = s->n - s->pos < n ? s->n - s->pos : n;
    memcpy(buf, s->p + s->pos, k);
    s->pos += k;
    return (ssize_t)k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    char parent[] = "/tmp/kt-fuzz-layer-XXXXXX";
    if (!mkdtemp(parent)) abort();
    int pfd = open(parent, O_RDONLY | O_DIRECTORY);
    if (pfd < 0 || mkdirat(pfd, "root", 0755) < 0) abort();
    int root = openat(pfd, "root", O_RDONLY | O_DIRECTORY);
    kt_img_caps caps;
    kt_img_caps_default(&caps);
    caps.max_unpacked = 1 << 20;
    caps.max_entries = 256;
    kt_unpacker *u;
    kt_err err;
    if (kt_unpack_new(root, &caps, &u, &err) == 0) {
        src s = {data, n, 0};
        /* twice: the second layer meets what the first made */
        if (kt_unpack_layer(u, rd, &s, KT_COMP_ANY, NULL, "l", &err) == 0) {
            s.pos = 0;
            kt_unpack_layer(u, rd, &s, KT_COMP_ANY, NULL, "l", &err);
        }
        kt_unpack_stats st;
        kt_unpack_finish(u, &st, &err);
        kt_unpack_free(u);
    }
    close(root);
    DIR *d = fdopendir(dup(pfd));
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, "root")) {
            fprintf(stderr, "escaped: %s/%s\n", parent, de->d_name);
            abort();
        }
    closedir(d);
    if (kt_rmtree_at(pfd, "root", 1000) < 0) abort();
    close(pfd);
    rmdir(parent);
    return 0;
}
