#include "chain.h"

void kt_chain_init(kt_chain *c, uint64_t size, uint8_t (*states)[KT_SHA256_LEN])
{
    kt_sha256_init(&c->h);
    c->done = 0;
    c->size = size;
    c->states = kt_chain_count(size) ? states : NULL;
}

void kt_chain_update(kt_chain *c, const void *p, size_t n)
{
    if (!c->states) {
        kt_sha256_update(&c->h, p, n);
        c->done += n;
        return;
    }
    const uint8_t *b = p;
    while (n) {
        uint64_t to_edge = KT_CHUNK - c->done % KT_CHUNK;
        size_t k = n < to_edge ? n : (size_t)to_edge;
        kt_sha256_update(&c->h, b, k);
        c->done += k;
        b += k, n -= k;
        /* a value at each edge strictly inside the member (none at its end) */
        if (c->done % KT_CHUNK == 0 && c->done < c->size)
            kt_sha256_state(&c->h, c->states[c->done / KT_CHUNK - 1]);
    }
}

void kt_chain_final(kt_chain *c, uint8_t out[KT_SHA256_LEN])
{
    kt_sha256_final(&c->h, out);
}
