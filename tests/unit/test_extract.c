/* kiemthu-verify --extract (verify/extract.h): the names it writes, its
 * staging and commit, and the self-sandbox it runs under (Landlock beneath
 * DIR plus the seccomp filter), tried from a child that _exit()s with the
 * number of the first thing that went wrong. */
#include "testutil.h"

#include <valgrind/valgrind.h>

#include "../../core/name.h"
#include "../../verify/extract.h"
#include "../../verify/selfsandbox.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>

static void names_written(void **state)
{
    (void)state;
    static const struct {
        const char *member, *file; /* file NULL: refused */
    } cases[] = {
        {"evidence/a%20b", "evidence/a b"},
        {"evidence/r%C3%A9sum%C3%A9", "evidence/r\xc3\xa9sum\xc3\xa9"},
        {"evidence/sub%20dir/x", "evidence/sub dir/x"},
        {"manifest.json", "manifest.json"},
        /* kept encoded: '%', controls, C1, bidi, BOM, invalid UTF-8 */
        {"evidence/100%25", "evidence/100%25"},
        {"evidence/esc%1B%5B2J%0D", "evidence/esc%1B%5B2J%0D"},
        {"evidence/tab%09x", "evidence/tab%09x"},
        {"evidence/del%7F", "evidence/del%7F"},
        {"evidence/c1%C2%9B2J", "evidence/c1%C2%9B2J"},
        {"evidence/bidi%E2%80%AEgnp.exe", "evidence/bidi%E2%80%AEgnp.exe"},
        {"evidence/%EF%BB%BFbom", "evidence/%EF%BB%BFbom"},
        {"evidence/lone%C3", "evidence/lone%C3"},
        {"evidence/overlong%C0%AF", "evidence/overlong%C0%AF"},
        {"evidence/surrogate%ED%A0%80", "evidence/surrogate%ED%A0%80"},
        {"evidence/nl%0Ax/y", "evidence/nl%0Ax/y"},
        /* structure: refused whatever the verifier let through */
        {"evidence/../x", NULL},
        {"evidence//x", NULL},
        {"/etc/passwd", NULL},
        {"evidence/./x", NULL},
        {"evidence/%2E%2E/x", NULL},
        {"evidence/a%2Fb", NULL},
        {"evidence/a%00", NULL},
        {"", NULL},
    };
    char out[16384];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kt_err err;
        int rc = kt_extract_path(cases[i].member, out, sizeof out, &err);
        if (cases[i].file && (rc != 0 || strcmp(out, cases[i].file)))
            fail_msg("case %zu %s: got %s (%s)", i, cases[i].member, rc ? "error" : out, err.msg);
        if (!cases[i].file && rc == 0)
            fail_msg("case %zu %s: not refused (%s)", i, cases[i].member, out);
    }
}

static void long_names(void **state)
{
    (void)state;
    char member[8192], out[16384];
    kt_err err;
    /* 127 x e-acute = 254 bytes decoded: a file; 128 = 256 bytes: not */
    strcpy(member, "evidence/");
    for (int i = 0; i < 127; i++) strcat(member, "%C3%A9");
    assert_int_equal(kt_extract_path(member, out, sizeof out, &err), 0);
    assert_int_equal(strlen(out), strlen("evidence/") + 254);
    strcat(member, "%C3%A9");
    assert_int_equal(kt_extract_path(member, out, sizeof out, &err), -1);
    assert_int_equal(err.cls, KT_E_CANTCREAT);
    assert_non_null(strstr(err.msg, "256 bytes"));
    /* 100 control bytes: only the encoded form is shown, and it is 300 bytes */
    strcpy(member, "evidence/");
    for (int i = 0; i < 100; i++) strcat(member, "%01");
    assert_int_equal(kt_extract_path(member, out, sizeof out, &err), -1);
    assert_non_null(strstr(err.msg, "300 bytes"));
}

/* Distinct members never map to the same file: random raw names, every
 * byte value, encoded as create does, then mapped. */
static void one_to_one(void **state)
{
    (void)state;
    enum { N = 4000 };
    static char files[N][64], raws[N][16];
    static const char pool[] = "a%\x1b\xc3\xa9\x9b \xe2\x80\xae.";
    unsigned seed = 12345;
    for (int i = 0; i < N; i++) {
        char enc[64], member[80];
        int len = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 4;
        for (int k = 0; k < len; k++)
            raws[i][k] = pool[((seed = seed * 1103515245u + 12345u) >> 16) % (sizeof pool - 1)];
        raws[i][len] = '\0';
        if (!strcmp(raws[i], ".") || !strcmp(raws[i], "..")) raws[i][0] = 'b';
        assert_int_equal(kt_name_encode(raws[i], enc, sizeof enc, NULL), 0);
        snprintf(member, sizeof member, "evidence/%s", enc);
        assert_int_equal(kt_extract_path(member, files[i], sizeof files[i], NULL), 0);
        for (int j = 0; j < i; j++)
            if (!strcmp(files[i], files[j]) && strcmp(raws[i], raws[j]))
                fail_msg("two names map to the file %s", files[i]);
    }
}

static void member(kt_extract *x, const char *name, const char *data)
{
    kt_extract_begin(x, name, strlen(data));
    kt_extract_data(x, (const uint8_t *)data, strlen(data));
    kt_extract_end(x);
}

static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static void stage_commit_discard(void **state)
{
    char *top = *state, dir[4200], path[4300];
    snprintf(dir, sizeof dir, "%s/out", top);
    kt_extract *x;
    kt_err err;
    assert_int_equal(kt_extract_open(dir, &x, &err), 0); /* made: it did not exist */
    member(x, "evidence/a%20b", "one");
    member(x, "evidence/sub/%1Bx", "two");
    member(x, "manifest.dsse.json", "env");
    member(x, "manifest.json", "man");
    assert_null(kt_extract_failed(x));
    /* before the verdict: only staged names */
    snprintf(path, sizeof path, "%s/evidence", dir);
    assert_int_equal(access(path, F_OK), -1);
    snprintf(path, sizeof path, "%s/" KT_EXTRACT_STAGE "evidence/a b", dir);
    assert_int_equal(access(path, F_OK), 0);
    assert_int_equal(kt_extract_commit(x, &err), 0);
    assert_int_equal(kt_extract_files(x), 4);
    kt_extract_close(x);
    assert_int_equal(entries(dir), 3);
    snprintf(path, sizeof path, "%s/evidence/sub/%%1Bx", dir);
    size_t n;
    uint8_t *got = tu_slurp(path, &n);
    assert_int_equal(n, 3);
    assert_memory_equal(got, "two", 3);
    free(got);

    /* not empty now: refused */
    assert_int_equal(kt_extract_open(dir, &x, &err), -1);
    assert_int_equal(err.cls, KT_E_CANTCREAT);
    assert_non_null(strstr(err.msg, "not empty"));
    /* a symbolic link to an empty directory: refused */
    snprintf(path, sizeof path, "%s/empty", top);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(dir, sizeof dir, "%s/link", top);
    assert_int_equal(symlink(path, dir), 0);
    assert_int_equal(kt_extract_open(dir, &x, &err), -1);
    assert_non_null(strstr(err.msg, "symbolic link"));

    /* discarded (a bundle that did not verify): nothing left */
    assert_int_equal(kt_extract_open(path, &x, &err), 0);
    member(x, "evidence/a", "1");
    member(x, "evidence/d/e/f", "2");
    kt_extract_begin(x, "evidence/g", 5); /* cut short: no end */
    kt_extract_data(x, (const uint8_t *)"12", 2);
    kt_extract_discard(x);
    kt_extract_close(x);
    assert_int_equal(entries(path), 0);

    /* the same file twice (a name that collides): failed, nothing committed */
    assert_int_equal(kt_extract_open(path, &x, &err), 0);
    member(x, "evidence/a", "1");
    member(x, "evidence/a", "2");
    assert_non_null(kt_extract_failed(x));
    assert_int_equal(kt_extract_commit(x, &err), -1);
    kt_extract_close(x);
    assert_int_equal(entries(path), 0);
}

/* Under kt_self_sandbox_beneath(DIR): new files and directories beneath DIR,
 * nothing else anywhere. */
static int confined_child(int dirfd, const char *outside)
{
    kt_err err;
    if (kt_self_sandbox_beneath(dirfd, &err) < 0) return 10;
    int fd = openat(dirfd, "f", KT_EXTRACT_FILE_FLAGS, 0644);
    if (fd < 0 || write(fd, "ok", 2) != 2 || close(fd) < 0) return 11;
    if (mkdirat(dirfd, "d", KT_EXTRACT_DIR_MODE) < 0) return 12;
    int d = openat(dirfd, "d", KT_EXTRACT_DIR_FLAGS);
    if (d < 0) return 13;
    fd = openat(d, "g", KT_EXTRACT_FILE_FLAGS, 0644);
    if (fd < 0 || close(fd) < 0) return 14;
    /* escapes: "..", an absolute path, relative to the cwd (Landlock, seccomp) */
    if (openat(dirfd, "../escape", KT_EXTRACT_FILE_FLAGS, 0644) >= 0) return 20;
    if (openat(d, "../../escape2", KT_EXTRACT_FILE_FLAGS, 0644) >= 0) return 21;
    if (openat(dirfd, outside, KT_EXTRACT_FILE_FLAGS, 0644) >= 0) return 22;
    if (openat(AT_FDCWD, "escape3", KT_EXTRACT_FILE_FLAGS, 0644) >= 0 || errno != EPERM) return 23;
    if (mkdirat(dirfd, outside, KT_EXTRACT_DIR_MODE) >= 0) return 24;
    /* other flags and modes, reading, links, renames that replace */
    if (openat(dirfd, "f", O_WRONLY | O_TRUNC | O_CLOEXEC) >= 0 || errno != EPERM) return 30;
    if (openat(dirfd, "f", O_RDONLY | O_CLOEXEC) >= 0 || errno != EPERM) return 31;
    if (openat(dirfd, "h", O_WRONLY | O_CREAT | O_CLOEXEC, 0644) >= 0 || errno != EPERM) return 32;
    if (mkdirat(dirfd, "e", 0777) >= 0 || errno != EPERM) return 33;
    if (symlinkat("/etc/passwd", dirfd, "l") >= 0 || errno != EPERM) return 34;
    if (linkat(dirfd, "f", dirfd, "f3", 0) >= 0 || errno != EPERM) return 35;
    if (renameat2(dirfd, "f", dirfd, "d/g", 0) >= 0 || errno != EPERM) return 36;
    if (renameat2(dirfd, "f", dirfd, "f2", RENAME_NOREPLACE) < 0) return 37;
    if (renameat2(dirfd, "f2", dirfd, outside, RENAME_NOREPLACE) >= 0) return 38;
    if (unlinkat(dirfd, "f2", 0) < 0) return 39;
    if (open("/etc/hostname", O_RDONLY) >= 0 || errno != EPERM) return 40;
    if (socket(AF_UNIX, SOCK_STREAM, 0) >= 0 || errno != EPERM) return 41;
    return 0;
}

static void sandbox_beneath(void **state)
{
    if (RUNNING_ON_VALGRIND) {
        print_message(
            "SKIPPED: seccomp under valgrind (valgrind 3.19 cannot run under a filter)\n");
        skip();
    }
    if (kt_landlock_abi() < 1) {
        print_message("SKIPPED: this kernel has no Landlock (--extract refuses to run there)\n");
        skip();
    }
    char *top = *state, dir[4200], outside[4300];
    snprintf(dir, sizeof dir, "%s/dir", top);
    snprintf(outside, sizeof outside, "%s/outside", top);
    kt_extract *x;
    kt_err err;
    assert_int_equal(kt_extract_open(dir, &x, &err), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) _exit(confined_child(kt_extract_dirfd(x), outside));
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    if (WEXITSTATUS(st)) fail_msg("confined child: step %d", WEXITSTATUS(st));
    kt_extract_close(x);
    /* nothing outside DIR; inside, exactly what was allowed */
    assert_int_equal(access(outside, F_OK), -1);
    char p[4400];
    snprintf(p, sizeof p, "%s/escape", top);
    assert_int_equal(access(p, F_OK), -1);
    assert_int_equal(entries(dir), 1); /* d (f moved to f2, then removed) */
    snprintf(p, sizeof p, "%s/d/g", dir);
    assert_int_equal(access(p, F_OK), 0);
}

static int setup(void **state)
{
    *state = tu_tmpdir();
    return 0;
}

static int teardown(void **state)
{
    tu_rmrf(*state);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_written),
        cmocka_unit_test(long_names),
        cmocka_unit_test(one_to_one),
        cmocka_unit_test_setup_teardown(stage_commit_discard, setup, teardown),
        cmocka_unit_test_setup_teardown(sandbox_beneath, setup, teardown),
    };
    return cmocka_run_group_tests_name("extract", tests, NULL, NULL);
}
