/* /out, after the payload: the copy into the attempt's record (regular files
 * and directories only, never through a link, byte order, every cap, every
 * refusal by name, the deadline and the runner's stop signals), the
 * canonical attempt's files published to the host --out, the detached
 * size-capped tmpfs, and kt_tree_remove on trees no C stack could walk. */
#include "testutil.h"

#include "../../core/sha256.h"
#include "../../sandbox/outdir.h"

#include <errno.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

typedef struct fx {
    char *dir;      /* scratch */
    char src[4096]; /* what the payload left */
    char dst[4096]; /* the attempt's out/ */
    int srcfd, dstfd;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->dir = tu_tmpdir();
    snprintf(f->src, sizeof f->src, "%s/src", f->dir);
    snprintf(f->dst, sizeof f->dst, "%s/dst", f->dir);
    assert_int_equal(mkdir(f->src, 0755), 0);
    assert_int_equal(mkdir(f->dst, 0755), 0);
    f->srcfd = open(f->src, O_RDONLY | O_DIRECTORY);
    f->dstfd = open(f->dst, O_RDONLY | O_DIRECTORY);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    close(f->srcfd);
    close(f->dstfd);
    kt_err err;
    int parent = open("/tmp", O_RDONLY | O_DIRECTORY);
    kt_tree_remove(parent, f->dir + strlen("/tmp/"), &err);
    close(parent);
    free(f->dir);
    free(f);
    return 0;
}

static const kt_out_caps big = {1u << 30, 4096, 32};

static int copy(fx *f, const kt_out_caps *caps, kt_outstop *stop, kt_outcopy *out)
{
    kt_err err;
    int rc = kt_outdir_copy(f->srcfd, f->dstfd, caps, stop, out, &err);
    if (rc < 0) print_message("copy: %s\n", err.msg);
    return rc;
}

static const char *refusal(const kt_outcopy *c, const char *name)
{
    for (size_t i = 0; i < c->nrefused; i++)
        if (!strcmp(c->refused[i].name, name)) return c->refused[i].reason;
    return NULL;
}

static void sha_hex(const char *s, size_t n, char out[KT_SHA256_HEX])
{
    uint8_t h[KT_SHA256_LEN];
    kt_sha256(s, n, h);
    kt_hex(h, sizeof h, out);
}

/* Files and directories are copied, hashed and listed in byte order; the
 * copy holds exactly the bytes; names of every kind survive raw. */
static void copies_files_in_order(void **state)
{
    fx *f = *state;
    tu_writes(f->src, "b", "bee");
    tu_writes(f->src, "a/x", "ax");
    tu_writes(f->src, "a/\x01 \xff", "odd name");
    tu_writes(f->src, "B", "upper");
    tu_write(f->src, "empty", "", 0);
    kt_outcopy c;
    assert_int_equal(copy(f, &big, NULL, &c), 0);
    assert_int_equal(c.nfiles, 5);
    assert_int_equal(c.nrefused, 0);
    const char *want[] = {"B", "a/\x01 \xff", "a/x", "b", "empty"};
    for (size_t i = 0; i < 5; i++) assert_string_equal(c.files[i].name, want[i]);
    char hex[KT_SHA256_HEX];
    sha_hex("ax", 2, hex);
    assert_string_equal(c.files[2].sha256, hex);
    assert_int_equal(c.files[2].size, 2);
    assert_int_equal(c.bytes, 3 + 8 + 2 + 5);
    assert_null(c.stopped);
    char p[8192];
    snprintf(p, sizeof p, "%s/a/\x01 \xff", f->dst);
    size_t n;
    uint8_t *got = tu_slurp(p, &n);
    assert_int_equal(n, 8);
    assert_memory_equal(got, "odd name", 8);
    free(got);
    kt_outcopy_free(&c);
}

/* A symlink (to a file, to a directory, dangling) is refused and never
 * followed; a FIFO is refused without blocking; nothing else is made. */
static void refuses_links_and_specials(void **state)
{
    fx *f = *state;
    tu_writes(f->dir, "secret", "host secret");
    char p[8192], t[8192];
    snprintf(p, sizeof p, "%s/tofile", f->src);
    snprintf(t, sizeof t, "%s/secret", f->dir);
    assert_int_equal(symlink(t, p), 0);
    snprintf(p, sizeof p, "%s/todir", f->src);
    assert_int_equal(symlink(f->dir, p), 0);
    snprintf(p, sizeof p, "%s/dangling", f->src);
    assert_int_equal(symlink("/nonexistent/x", p), 0);
    snprintf(p, sizeof p, "%s/fifo", f->src);
    assert_int_equal(mkfifo(p, 0644), 0);
    snprintf(p, sizeof p, "%s/sock", f->src);
    assert_int_equal(mknod(p, S_IFSOCK | 0644, 0), 0);
    tu_writes(f->src, "ok", "fine");
    kt_outcopy c;
    assert_int_equal(copy(f, &big, NULL, &c), 0);
    assert_int_equal(c.nfiles, 1);
    assert_string_equal(refusal(&c, "tofile"), "symlink");
    assert_string_equal(refusal(&c, "todir"), "symlink");
    assert_string_equal(refusal(&c, "dangling"), "symlink");
    assert_string_equal(refusal(&c, "fifo"), "special file");
    assert_string_equal(refusal(&c, "sock"), "special file");
    struct stat st;
    snprintf(p, sizeof p, "%s/tofile", f->dst);
    assert_int_equal(lstat(p, &st), -1);
    snprintf(p, sizeof p, "%s/fifo", f->dst);
    assert_int_equal(lstat(p, &st), -1);
    kt_outcopy_free(&c);
}

/* Caps: apparent size (a sparse 4 GiB file counts 4 GiB), file count,
 * depth, path length; each refusal named, the rest still copied. */
static void caps(void **state)
{
    fx *f = *state;
    char p[8192];
    snprintf(p, sizeof p, "%s/sparse", f->src);
    int fd = open(p, O_WRONLY | O_CREAT, 0644);
    assert_int_equal(ftruncate(fd, 4LL << 30), 0);
    close(fd);
    tu_writes(f->src, "a1", "1234");
    tu_writes(f->src, "a2", "5678");
    tu_writes(f->src, "a3", "9");
    tu_writes(f->src, "d1/d2/d3/deep", "deep");
    char longname[300];
    memset(longname, 'n', 255);
    longname[255] = '\0';
    char rel[4096] = "";
    for (int i = 0; i < 9; i++) strcat(rel, longname), strcat(rel, "/");
    strcat(rel, "leaf");
    tu_writes(f->src, rel, "far");
    kt_out_caps caps = {6, 2, 2}; /* 6 bytes, 2 files, depth 2 */
    kt_outcopy c;
    assert_int_equal(copy(f, &caps, NULL, &c), 0);
    assert_int_equal(c.nfiles, 2);
    assert_string_equal(c.files[0].name, "a1");
    assert_string_equal(c.files[1].name, "a3"); /* a2 would pass 6 bytes */
    assert_string_equal(refusal(&c, "a2"), "size cap");
    assert_string_equal(refusal(&c, "sparse"), "file cap");
    assert_string_equal(refusal(&c, "d1/d2/d3"), "depth cap");
    assert_int_equal(c.bytes, 5);
    kt_outcopy_free(&c);

    kt_out_caps wide = {1u << 20, 100, 32};
    /* a1 exists in dst now: the record refuses the write, which stops the
     * copy and is recorded (the payload can fill the record), never an error */
    assert_int_equal(copy(f, &wide, NULL, &c), 0);
    assert_string_equal(c.stopped, "record write failed");
    assert_int_equal(c.stopped_errno, EEXIST);
    assert_string_equal(c.stopped_at, "a1");
    assert_int_equal(c.nfiles, 0);
    kt_outcopy_free(&c);
    int parent = open(f->dir, O_RDONLY | O_DIRECTORY);
    kt_err err;
    assert_int_equal(kt_tree_remove(parent, "dst", &err), 0);
    assert_int_equal(mkdir(f->dst, 0755), 0);
    close(f->dstfd);
    f->dstfd = open(f->dst, O_RDONLY | O_DIRECTORY);
    close(parent);
    assert_int_equal(copy(f, &wide, NULL, &c), 0);
    assert_string_equal(refusal(&c, "sparse"), "size cap");
    int found = 0;
    for (size_t i = 0; i < c.nrefused; i++)
        found |= !strcmp(c.refused[i].reason, "path too long") &&
                 strlen(c.refused[i].name) <= KT_OUT_PATH_MAX + 1;
    assert_true(found);
    kt_outcopy_free(&c);
}

/* Only the first KT_OUT_REFUSED_LISTED refusals are listed, the rest counted. */
static void refusals_listed_then_counted(void **state)
{
    fx *f = *state;
    for (int i = 0; i < KT_OUT_REFUSED_LISTED + 10; i++) {
        char p[8192];
        snprintf(p, sizeof p, "%s/l%04d", f->src, i);
        assert_int_equal(symlink("x", p), 0);
    }
    kt_outcopy c;
    assert_int_equal(copy(f, &big, NULL, &c), 0);
    assert_int_equal(c.nrefused, KT_OUT_REFUSED_LISTED);
    assert_int_equal(c.refused_more, 10);
    assert_string_equal(c.refused[0].name, "l0000");
    kt_outcopy_free(&c);
}

/* A file the runner cannot read is refused by name; the copy goes on. */
static void unreadable(void **state)
{
    fx *f = *state;
    tu_writes(f->src, "locked", "x");
    tu_writes(f->src, "open", "y");
    tu_writes(f->src, "shut/inner", "z");
    char p[8192];
    snprintf(p, sizeof p, "%s/locked", f->src);
    chmod(p, 0);
    snprintf(p, sizeof p, "%s/shut", f->src);
    chmod(p, 0);
    if (geteuid() == 0) {
        /* root reads anything: check as uid 65534 in a child */
        chmod(f->dir, 0777);
        chmod(f->src, 0777);
        chmod(f->dst, 0777);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0) _exit(2);
            kt_outcopy c;
            kt_err err;
            if (kt_outdir_copy(f->srcfd, f->dstfd, &big, NULL, &c, &err) < 0) _exit(3);
            int ok = c.nfiles == 1 && !strcmp(c.files[0].name, "open") && refusal(&c, "locked") &&
                     !strcmp(refusal(&c, "locked"), "unreadable") && refusal(&c, "shut") &&
                     !strcmp(refusal(&c, "shut"), "unreadable directory");
            _exit(ok ? 0 : 4);
        }
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
        snprintf(p, sizeof p, "%s/shut", f->src);
        chmod(p, 0755);
        return;
    }
    kt_outcopy c;
    assert_int_equal(copy(f, &big, NULL, &c), 0);
    assert_string_equal(refusal(&c, "locked"), "unreadable");
    kt_outcopy_free(&c);
    snprintf(p, sizeof p, "%s/shut", f->src);
    chmod(p, 0755);
}

/* The copy stops at the deadline and for a stop signal, and says so
 * (out.stopped); nothing is copied after that. */
static void deadline_and_signal(void **state)
{
    fx *f = *state;
    tu_writes(f->src, "a", "a");
    tu_writes(f->src, "b", "b");
    kt_outstop past = {1, -1, 0}; /* a deadline long gone */
    kt_outcopy c;
    assert_int_equal(copy(f, &big, &past, &c), 0);
    assert_string_equal(c.stopped, "deadline");
    assert_int_equal(c.nfiles, 0);
    kt_outcopy_free(&c);

    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    assert_int_equal(sigprocmask(SIG_BLOCK, &set, &old), 0);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    assert_true(sfd >= 0);
    assert_int_equal(raise(SIGUSR2), 0);
    kt_outstop stop = {0, sfd, 0};
    assert_int_equal(copy(f, &big, &stop, &c), 0);
    assert_string_equal(c.stopped, "signal");
    assert_int_equal(stop.signo, SIGUSR2);
    assert_int_equal(c.nfiles, 0);
    kt_outcopy_free(&c);
    close(sfd);
    sigprocmask(SIG_SETMASK, &old, NULL);
}

/* publish: the canonical attempt's files replace same-named host files;
 * a symlink planted at a file's name in --out is replaced, never written
 * through; a file in the way of a directory (or the reverse) is an
 * error naming it, and the rest is published all the same. */
static void publish(void **state)
{
    fx *f = *state;
    tu_writes(f->src, "report.json", "new");
    tu_writes(f->src, "sub/inner", "in");
    tu_writes(f->dst, "report.json", "old");
    tu_writes(f->dir, "target", "must not change");
    char p[8192], t[8192];
    snprintf(p, sizeof p, "%s/link", f->dst);
    snprintf(t, sizeof t, "%s/target", f->dir);
    assert_int_equal(symlink(t, p), 0);
    tu_writes(f->src, "link", "replaced");
    kt_err err;
    assert_int_equal(kt_outdir_publish(f->srcfd, f->dstfd, f->dst, &err), 0);
    size_t n;
    snprintf(p, sizeof p, "%s/report.json", f->dst);
    uint8_t *b = tu_slurp(p, &n);
    assert_memory_equal(b, "new", 3);
    free(b);
    b = tu_slurp(t, &n);
    assert_memory_equal(b, "must not change", n);
    free(b);
    snprintf(p, sizeof p, "%s/link", f->dst);
    struct stat st;
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    snprintf(p, sizeof p, "%s/sub/inner", f->dst);
    assert_int_equal(lstat(p, &st), 0);

    /* a file where the tree has a directory, a directory where it has a
     * file: both named (encoded), everything else still published */
    tu_writes(f->src, "clash/x", "x");
    tu_writes(f->dst, "clash", "file");
    tu_writes(f->src, "d\nir", "file");
    tu_writes(f->dst, "d\nir/keep", "kept");
    tu_writes(f->src, "zz-after", "after");
    tu_writes(f->src, "sub/later", "later");
    assert_int_equal(kt_outdir_publish(f->srcfd, f->dstfd, f->dst, &err), -1);
    assert_non_null(strstr(err.msg, f->dst));
    assert_true(strstr(err.msg, "clash") || strstr(err.msg, "d%0Air"));
    assert_null(strchr(err.msg, '\n'));
    assert_non_null(strstr(err.msg, "2 name(s) not published"));
    snprintf(p, sizeof p, "%s/zz-after", f->dst);
    assert_int_equal(lstat(p, &st), 0);
    snprintf(p, sizeof p, "%s/sub/later", f->dst);
    assert_int_equal(lstat(p, &st), 0);
    snprintf(p, sizeof p, "%s/d\nir/keep", f->dst);
    assert_int_equal(lstat(p, &st), 0);
}

/* Directories count against a cap of their own (as many as files): empty
 * ones cost the record's disk too. */
static void directory_cap(void **state)
{
    fx *f = *state;
    char p[8192];
    for (int i = 0; i < 5; i++) {
        snprintf(p, sizeof p, "%s/d%d", f->src, i);
        assert_int_equal(mkdir(p, 0755), 0);
    }
    const kt_out_caps three = {1u << 30, 3, 32};
    kt_outcopy c;
    assert_int_equal(copy(f, &three, NULL, &c), 0);
    assert_int_equal(c.dirs, 3);
    assert_string_equal(refusal(&c, "d3"), "directory cap");
    assert_string_equal(refusal(&c, "d4"), "directory cap");
    assert_null(refusal(&c, "d2"));
    kt_outcopy_free(&c);
}

/* kt_tree_remove: a tree deeper than PATH_MAX, with directories the
 * payload left mode 000, and a symlink to outside that must not be
 * followed; deeper than it can hold open: an error, never a crash. */
static void tree_remove(void **state)
{
    fx *f = *state;
    tu_writes(f->dir, "outside/keep", "keep");
    int at = dup(f->srcfd);
    for (int i = 0; i < 600; i++) { /* 600 x 12 bytes: deeper than PATH_MAX */
        assert_int_equal(mkdirat(at, "abcdefghijk", 0755), 0);
        int next = openat(at, "abcdefghijk", O_RDONLY | O_DIRECTORY);
        assert_true(next >= 0);
        if (i == 300) {
            char t[8192];
            snprintf(t, sizeof t, "%s/outside", f->dir);
            assert_int_equal(symlinkat(t, at, "escape"), 0);
            assert_int_equal(mkdirat(at, "locked", 0755), 0);
            int l = openat(at, "locked", O_RDONLY | O_DIRECTORY);
            assert_int_equal(mknodat(l, "fifo", S_IFIFO | 0644, 0), 0);
            close(l);
            assert_int_equal(fchmodat(at, "locked", 0, 0), 0);
        }
        close(at);
        at = next;
    }
    close(at);
    int parent = open(f->dir, O_RDONLY | O_DIRECTORY);
    kt_err err;
    assert_int_equal(kt_tree_remove(parent, "src", &err), 0);
    struct stat st;
    assert_int_equal(fstatat(parent, "src", &st, AT_SYMLINK_NOFOLLOW), -1);
    assert_int_equal(fstatat(parent, "outside/keep", &st, 0), 0);
    assert_int_equal(kt_tree_remove(parent, "src", &err), 0); /* already gone: fine */

    /* deeper than any fixed stack or descriptor limit: removed all the same */
    assert_int_equal(mkdirat(parent, "deep", 0755), 0);
    at = openat(parent, "deep", O_RDONLY | O_DIRECTORY);
    for (int i = 0; i < 5000; i++) {
        assert_int_equal(mkdirat(at, "d", 0755), 0);
        int next = openat(at, "d", O_RDONLY | O_DIRECTORY);
        if (i % 1000 == 999) assert_int_equal(mkfifoat(next, "p", 0600), 0);
        close(at);
        at = next;
    }
    close(at);
    assert_int_equal(kt_tree_remove(parent, "deep", &err), 0);
    assert_int_equal(fstatat(parent, "deep", &st, AT_SYMLINK_NOFOLLOW), -1);
    mkdirat(parent, "src", 0755); /* for teardown */
    close(parent);
}

/* The /out tmpfs: owned by the payload's uid, capped, noexec unless asked.
 * Made in the caller's mount namespace by fsopen/fsmount: needs
 * CAP_SYS_ADMIN (the sandbox's first process has it in its namespaces). */
static void tmpfs_made(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        print_message("SKIPPED: the /out tmpfs (fsopen needs CAP_SYS_ADMIN; run as root)\n");
        skip();
    }
    kt_err err;
    int mfd = kt_outdir_make(64 * 1024, 65532, 65532, 0, &err);
    if (mfd < 0) fail_msg("%s", err.msg);
    struct stat st;
    assert_int_equal(fstat(mfd, &st), 0);
    assert_int_equal(st.st_uid, 65532);
    assert_int_equal(st.st_gid, 65532);
    assert_int_equal(st.st_mode & 07777, 0755);
    int fd = openat(mfd, "fill", O_WRONLY | O_CREAT, 0755);
    assert_true(fd >= 0);
    char buf[4096] = {0};
    ssize_t w = 0, total = 0;
    while ((w = write(fd, buf, sizeof buf)) > 0) total += w;
    assert_int_equal(errno, ENOSPC);
    assert_true(total <= 64 * 1024);
    close(fd);
    /* noexec: a file in it cannot be executed */
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d/fill", mfd);
    assert_int_equal(access(path, X_OK), -1);
    assert_int_equal(errno, EACCES);
    close(mfd);
    mfd = kt_outdir_make(64 * 1024, 65532, 65532, 1, &err);
    assert_true(mfd >= 0);
    fd = openat(mfd, "run", O_WRONLY | O_CREAT, 0755);
    close(fd);
    snprintf(path, sizeof path, "/proc/self/fd/%d/run", mfd);
    assert_int_equal(access(path, X_OK), 0);
    close(mfd);
}

int main(void)
{
    /* kt_tree_remove holds one descriptor whatever the depth: keep the
     * default limit (1024) so a test deeper than that proves it */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(copies_files_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(refuses_links_and_specials, setup, teardown),
        cmocka_unit_test_setup_teardown(caps, setup, teardown),
        cmocka_unit_test_setup_teardown(directory_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(refusals_listed_then_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(unreadable, setup, teardown),
        cmocka_unit_test_setup_teardown(deadline_and_signal, setup, teardown),
        cmocka_unit_test_setup_teardown(publish, setup, teardown),
        cmocka_unit_test_setup_teardown(tree_remove, setup, teardown),
        cmocka_unit_test(tmpfs_made),
    };
    return cmocka_run_group_tests_name("outdir", tests, NULL, NULL);
}
