#include "spool.h"

#include "../core/fsutil.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

void kt_spool_open(kt_spool *s, int fd, uint64_t max)
{
    s->own = fd < 0;
    s->fd = fd >= 0 ? fd : memfd_create("kiemthu-verify-spool", MFD_CLOEXEC);
    s->used = 0;
    s->max = max ? max : KT_SPOOL_MAX_DEFAULT;
    s->failed = s->fd < 0;
}

int kt_spool_room(const kt_spool *s, uint64_t size)
{
    return !s->failed && size <= s->max - s->used;
}

void kt_spool_write(void *arg, const uint8_t *p, size_t n)
{
    kt_spool *s = arg;
    if (s->failed) return;
    if (kt_write_all(s->fd, p, n) < 0)
        s->failed = 1; /* memory full: the members read later are not kept */
    else
        s->used += n;
}

void kt_spool_close(kt_spool *s)
{
    if (s->own && s->fd >= 0) close(s->fd);
    s->fd = -1;
}
