/* verify/hashpool.c: the digests of many ranges of one file, on 1..4
 * threads, each equal to a plain SHA-256 of those bytes; ranges large
 * enough to be read ahead; a range the file does not hold; progress. */
#include "testutil.h"

#include "../../core/sha256.h"
#include "../../verify/hashpool.h"

#include <sys/mman.h>

#define FILE_BYTES (9u << 20)

static uint8_t *data;

static int make_file(void)
{
    int fd = memfd_create("hashpool", 0);
    assert_true(fd >= 0);
    data = malloc(FILE_BYTES);
    assert_non_null(data);
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < FILE_BYTES; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        data[i] = (uint8_t)x;
    }
    assert_int_equal(write(fd, data, FILE_BYTES), (ssize_t)FILE_BYTES);
    return fd;
}

/* Sizes from 1 byte to 5 MiB (read ahead: at least two 1 MiB slots), at
 * offsets that are not block-aligned, overlapping as they please. */
static size_t make_jobs(kt_hashjob *j)
{
    static const uint64_t sizes[] = {
        1, 511, 512, 4096, 65537, 300000, 1u << 20, (2u << 20) + 3, 5u << 20, 7, (3u << 20) - 1};
    size_t n = sizeof sizes / sizeof sizes[0];
    for (size_t i = 0; i < n; i++)
        j[i] = (kt_hashjob){
            .offset = (i * 777777u) % (FILE_BYTES - sizes[i]), .size = sizes[i], .tag = 100 + i};
    return n;
}

static uint64_t last, calls;
static int backwards;

static void progress(void *arg, uint64_t bytes)
{
    (void)arg;
    if (bytes < last) backwards = 1;
    last = bytes;
    calls++;
}

static void digests_match_on_any_number_of_threads(void **state)
{
    (void)state;
    int fd = make_file();
    for (int cpus = 1; cpus <= 4; cpus++) {
        kt_hashjob j[16];
        size_t n = make_jobs(j), failed = 0;
        uint64_t total = 0;
        for (size_t i = 0; i < n; i++) total += j[i].size;
        last = calls = 0;
        backwards = 0;
        kt_err err;
        assert_int_equal(kt_hash_ranges(fd, j, n, cpus, progress, NULL, &failed, &err), 0);
        for (size_t i = 0; i < n; i++) {
            uint8_t want[32];
            kt_sha256(data + j[i].offset, (size_t)j[i].size, want);
            if (memcmp(want, j[i].sha256, 32) != 0)
                fail_msg("cpus %d: range %zu (%llu bytes) hashed wrong", cpus, i,
                         (unsigned long long)j[i].size);
            assert_int_equal(j[i].tag, 100 + i);
        }
        assert_false(backwards);
        /* Only the calling thread reports, whichever thread hashed what,
         * and its last report is the total. */
        assert_true(calls > 0);
        assert_int_equal(last, total);
    }
    kt_hashjob none;
    size_t failed = 0;
    kt_err err;
    assert_int_equal(kt_hash_ranges(fd, &none, 0, 2, NULL, NULL, &failed, &err), 0);
    close(fd);
    free(data);
}

/* A range past the end (the file shrank after its headers were read): an
 * error naming that job, whether read ahead or in turn, never a digest. */
static void range_past_the_end_fails(void **state)
{
    (void)state;
    int fd = make_file();
    static const uint64_t sizes[] = {4096, 4u << 20};
    for (size_t s = 0; s < 2; s++) {
        for (int cpus = 1; cpus <= 2; cpus++) {
            kt_hashjob j[3] = {{.offset = 0, .size = 1000, .tag = 7},
                               {.offset = FILE_BYTES - sizes[s] / 2, .size = sizes[s], .tag = 8},
                               {.offset = 5, .size = 70000, .tag = 9}};
            size_t failed = 0;
            kt_err err;
            kt_err_clear(&err);
            assert_int_equal(kt_hash_ranges(fd, j, 3, cpus, NULL, NULL, &failed, &err), -1);
            assert_int_equal(failed, 8);
            assert_int_equal(err.cls, KT_E_TAMPER);
            assert_non_null(strstr(err.msg, "truncated"));
        }
    }
    close(fd);
    free(data);
}

/* A descriptor that cannot be read: an I/O error, not a finding. */
static void unreadable_is_an_io_error(void **state)
{
    (void)state;
    int fd = open("/dev/null", O_WRONLY);
    assert_true(fd >= 0);
    kt_hashjob j = {.offset = 0, .size = 10, .tag = 1};
    size_t failed = 0;
    kt_err err;
    kt_err_clear(&err);
    assert_int_equal(kt_hash_ranges(fd, &j, 1, 1, NULL, NULL, &failed, &err), -1);
    assert_int_equal(err.cls, KT_E_IO);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(digests_match_on_any_number_of_threads),
        cmocka_unit_test(range_past_the_end_fails),
        cmocka_unit_test(unreadable_is_an_io_error),
    };
    return cmocka_run_group_tests_name("hashpool", tests, NULL, NULL);
}
