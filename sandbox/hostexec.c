#include "hostexec.h"

#include "imgref.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Sandbox path -> host path, following the mounts kt_fs_setup makes. */
static int to_host(const kt_sandbox *sb, const char *in, char *out, size_t n)
{
    size_t best = 0;
    const char *src = NULL;
    for (size_t i = 0; i < sb->nbinds; i++) {
        size_t l = strlen(sb->binds[i].dst);
        if (strncmp(in, sb->binds[i].dst, l) == 0 && (in[l] == '/' || !in[l]) && l > best)
            best = l, src = sb->binds[i].src;
    }
    int w = -1;
    if (src)
        w = snprintf(out, n, "%s%s", src, in + best);
    else if (sb->in_dir && strncmp(in, "/in/", 4) == 0)
        w = snprintf(out, n, "%s%s", sb->in_dir, in + 3);
    else {
        static const char *const sys[] = {"/usr/", "/bin/",   "/sbin/",
                                          "/lib",  "/lib64/", "/etc/alternatives/"};
        for (size_t i = 0; i < sizeof sys / sizeof sys[0] && w < 0; i++)
            if (strncmp(in, sys[i], strlen(sys[i])) == 0) w = snprintf(out, n, "%s", in);
    }
    return w < 0 || (size_t)w >= n ? -1 : 0;
}

/* p as the payload's kernel resolves it: relative to the working directory
 * (the payload starts there), "." and ".." taken lexically. */
static int absolute(const kt_sandbox *sb, const char *p, char *in)
{
    char tmp[PATH_MAX];
    const char *wd = sb->workdir ? sb->workdir : "/";
    int w = p[0] == '/' ? snprintf(tmp, sizeof tmp, "%s", p)
                        : snprintf(tmp, sizeof tmp, "%s/%s", wd, p);
    if (w < 0 || (size_t)w >= sizeof tmp) return -1;
    size_t o = 0;
    in[0] = '\0';
    char *save = NULL;
    for (char *c = strtok_r(tmp, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        if (!strcmp(c, ".")) continue;
        if (!strcmp(c, "..")) {
            char *sl = strrchr(in, '/');
            if (sl) *sl = '\0', o = (size_t)(sl - in);
            continue;
        }
        int k = snprintf(in + o, PATH_MAX - o, "/%s", c);
        if (k < 0 || (size_t)k >= PATH_MAX - o) return -1;
        o += (size_t)k;
    }
    if (!o) snprintf(in, PATH_MAX, "/");
    return 0;
}

static int is_file(const char *host)
{
    struct stat st;
    return stat(host, &st) == 0 && S_ISREG(st.st_mode);
}

/* The file the payload runs for cmd, as the child's own lookup finds it: a
 * name with a '/' relative to the working directory, else the PATH's entries
 * in order (a relative entry such as "." relative to the working directory
 * too). A script argument (script=1) is looked for in the working directory
 * first, then on the PATH, as bash does. */
static int resolve_path(const kt_sandbox *sb, const char *cmd, int script, char *in, char *out,
                        size_t n)
{
    if (strchr(cmd, '/') || script) {
        if (absolute(sb, cmd, in) == 0 && to_host(sb, in, out, n) == 0 && (!script || is_file(out)))
            return 0;
        if (strchr(cmd, '/')) return -1;
    }
    const char *path = sb->envp[0] + strlen("PATH=");
    while (*path) {
        size_t len = strcspn(path, ":");
        char rel[PATH_MAX];
        snprintf(rel, sizeof rel, "%.*s/%s", (int)len, path, cmd);
        if (absolute(sb, rel, in) == 0 && to_host(sb, in, out, n) == 0 && is_file(out)) return 0;
        path += len + (path[len] == ':');
    }
    return -1;
}

/* Hash the host file behind sandbox name cmd (a PATH search if it has no '/'). */
static int hash_file(const kt_sandbox *sb, const char *cmd, int script, kt_hashed *h)
{
    char host[PATH_MAX];
    memset(h, 0, sizeof *h);
    if (resolve_path(sb, cmd, script, h->path, host, sizeof host) < 0) return -1;
    if (!realpath(host, h->host)) return -1;
    int fd = open(h->host, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    int rc =
        fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ? -1 : kt_file_digest(fd, h->digest);
    if (fd >= 0) close(fd);
    h->set = rc == 0;
    return rc;
}

enum family { NONE, SH, PY, PERL, RUBY, NODE, PHP, LUA, AWK };

static enum family family_of(const char *argv0)
{
    const char *b = strrchr(argv0, '/');
    b = b ? b + 1 : argv0;
    static const struct {
        const char *prefix;
        int exact;
        enum family f;
    } names[] = {{"sh", 1, SH},       {"bash", 1, SH},   {"dash", 1, SH},   {"ash", 1, SH},
                 {"ksh", 1, SH},      {"mksh", 1, SH},   {"zsh", 1, SH},    {"python", 0, PY},
                 {"pypy", 0, PY},     {"perl", 0, PERL}, {"ruby", 0, RUBY}, {"node", 1, NODE},
                 {"nodejs", 1, NODE}, {"php", 0, PHP},   {"lua", 0, LUA},   {"awk", 1, AWK},
                 {"gawk", 1, AWK},    {"mawk", 1, AWK},  {"nawk", 1, AWK}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t l = strlen(names[i].prefix);
        if (names[i].exact
                ? !strcmp(b, names[i].prefix)
                : !strncmp(b, names[i].prefix, l) && strspn(b + l, "0123456789.") == strlen(b + l))
            return names[i].f;
    }
    return NONE;
}

/* Per family: short options that take inline code, that name the script
 * file, that take a value. */
static const struct {
    const char *inline_code, *script, *value;
} opts[] = {
    [SH] = {"c", "", "oO"},     [PY] = {"cm", "", "WXQ"}, [PERL] = {"eE", "", "IMm"},
    [RUBY] = {"e", "", "IrCE"}, [NODE] = {"ep", "", "r"}, [PHP] = {"r", "f", "cdz"},
    [LUA] = {"e", "", "l"},     [AWK] = {"", "f", "vF"},
};

/* The script file an interpreter's argv names; NULL with a note when the
 * code is inline, read from stdin, or there is none. */
static const char *script_arg(enum family f, char *const *argv, char *note, size_t n)
{
    static const char *const long_inline[] = {"--eval", "--print", "--command"};
    for (size_t i = 1; argv[i]; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) return argv[i + 1];
        if (a[0] == '-' && a[1] == '-') {
            for (size_t k = 0; k < 3; k++)
                if (!strncmp(a, long_inline[k], strlen(long_inline[k])))
                    return snprintf(note, n, "inline code in argv (%s)", long_inline[k]), NULL;
            continue;
        }
        if ((a[0] == '-' || (f == SH && a[0] == '+')) && a[1]) {
            for (const char *c = a + 1; *c; c++) {
                if (strchr(opts[f].inline_code, *c))
                    return snprintf(note, n, "inline code in argv (-%c)", *c), NULL;
                if (strchr(opts[f].script, *c)) return c[1] ? c + 1 : argv[i + 1];
                if (strchr(opts[f].value, *c)) {
                    if (!c[1] && argv[i + 1]) i++;
                    break;
                }
            }
            continue;
        }
        if (!strcmp(a, "-")) return snprintf(note, n, "the script is read from stdin"), NULL;
        if (f == AWK) return snprintf(note, n, "inline program in argv"), NULL;
        return a;
    }
    snprintf(note, n, "no script named in argv");
    return NULL;
}

/* "#!INTERP [ARG]" at the start of the program: the kernel runs INTERP with
 * the program as its script. */
static void shebang(const kt_sandbox *sb, kt_hostexec *hx)
{
    char head[256] = {0};
    int fd = open(hx->program.host, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    ssize_t r = fd < 0 ? -1 : read(fd, head, sizeof head - 1);
    if (fd >= 0) close(fd);
    if (r < 2 || head[0] != '#' || head[1] != '!') return;
    head[strcspn(head, "\n")] = '\0';
    kt_esc(head, hx->shebang, sizeof hx->shebang);
    char *p = head + 2 + strspn(head + 2, " \t"), *interp = p;
    p += strcspn(p, " \t");
    if (*p) *p++ = '\0';
    char *arg = p + strspn(p, " \t");
    arg[strcspn(arg, " \t")] = '\0';
    const char *b = strrchr(interp, '/');
    /* #!/usr/bin/env NAME: NAME, as the PATH finds it, is the interpreter. */
    const char *target = b && !strcmp(b + 1, "env") && *arg && *arg != '-' ? arg : interp;
    if (hash_file(sb, target, 0, &hx->interpreter) < 0)
        snprintf(hx->note, sizeof hx->note,
                 "the #! interpreter is not on a mount the runner reads");
}

static int bind_digest(const kt_bind *bd, kt_bind_digest *d, kt_err *err)
{
    struct stat st;
    int fd = open(bd->src, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0) {
        int e = errno;
        if (fd >= 0) close(fd);
        return kt_fail_errno(err, KT_E_NOINPUT, e, "cannot read --ro-bind %s", bd->src);
    }
    int rc = 0;
    d->kind = S_ISDIR(st.st_mode) ? "tree" : S_ISREG(st.st_mode) ? "file" : "other";
    if (S_ISDIR(st.st_mode))
        rc = kt_tree_digest(fd, bd->src, d->digest, NULL, err);
    else if (S_ISREG(st.st_mode) && kt_file_digest(fd, d->digest) < 0)
        rc = kt_fail_errno(err, KT_E_NOINPUT, errno, "cannot read --ro-bind %s", bd->src);
    close(fd);
    return rc;
}

int kt_hostexec_hash(const kt_sandbox *sb, kt_hostexec *hx, kt_err *err)
{
    memset(hx, 0, sizeof *hx);
    for (size_t i = 0; i < sb->nbinds; i++)
        if (bind_digest(&sb->binds[i], &hx->binds[hx->nbinds++], err) < 0) return -1;
    if (sb->rootfs || sb->image) return 0;
    hx->host_mode = 1;
    if (hash_file(sb, sb->argv[0], 0, &hx->program) < 0)
        return kt_fail(err, KT_E_NOINPUT,
                       "cannot find %s on the sandbox's PATH (host mode maps /usr, /bin, /sbin, "
                       "/lib*, /in and --ro-bind)",
                       sb->argv[0]);
    shebang(sb, hx);
    enum family f = family_of(hx->program.host);
    if (f == NONE) f = family_of(sb->argv[0]);
    if (f == NONE || hx->shebang[0]) return 0;
    const char *s = script_arg(f, sb->argv, hx->note, sizeof hx->note);
    if (s && hash_file(sb, s, 1, &hx->script) < 0) {
        char eb[128];
        snprintf(hx->note, sizeof hx->note,
                 "the script %s is not a file on a mount the runner reads",
                 kt_esc(s, eb, sizeof eb));
    }
    return 0;
}

static void json_hashed(kt_jb *b, cJSON *o, const char *key, const kt_hashed *h)
{
    if (!h->set) {
        kt_jb_null(b, o, key);
        return;
    }
    cJSON *e = kt_jb_obj(b, o, key);
    kt_jb_text(b, e, "path", h->path);
    kt_jb_text(b, e, "host_path", h->host);
    kt_jb_text(b, e, "sha256", h->digest);
}

void kt_hostexec_json(const kt_hostexec *hx, const kt_sandbox *sb, kt_jb *b, cJSON *parent)
{
    if (hx && hx->host_mode) {
        cJSON *e = kt_jb_obj(b, parent, "executed");
        json_hashed(b, e, "program", &hx->program);
        json_hashed(b, e, "interpreter", &hx->interpreter);
        json_hashed(b, e, "script", &hx->script);
        kt_jb_text(b, e, "shebang", hx->shebang[0] ? hx->shebang : NULL);
        kt_jb_text(b, e, "note", hx->note[0] ? hx->note : NULL);
    } else {
        kt_jb_null(b, parent, "executed");
    }
    cJSON *rb = kt_jb_arr(b, parent, "ro_binds");
    for (size_t i = 0; hx && i < hx->nbinds; i++) {
        cJSON *e = kt_jb_obj(b, rb, NULL);
        kt_jb_text(b, e, "source", sb->binds[i].src);
        kt_jb_text(b, e, "destination", sb->binds[i].dst);
        kt_jb_text(b, e, "kind", hx->binds[i].kind);
        kt_jb_text(b, e, "digest", hx->binds[i].digest[0] ? hx->binds[i].digest : NULL);
    }
}

int kt_host_digest(const kt_sandbox *sb, const kt_hostexec *hx, char out[KT_DIGEST_STR],
                   char *host_path, size_t n, kt_err *err)
{
    if (sb->rootfs) {
        int fd = open(sb->rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            return kt_fail_errno(err, KT_E_NOINPUT, errno, "cannot open --rootfs %s", sb->rootfs);
        int rc = kt_tree_digest(fd, sb->rootfs, out, NULL, err);
        close(fd);
        snprintf(host_path, n, "%s", sb->rootfs);
        return rc;
    }
    kt_hostexec local;
    if (!hx || !hx->program.set) {
        if (kt_hostexec_hash(sb, &local, err) < 0) return -1;
        hx = &local;
    }
    snprintf(out, KT_DIGEST_STR, "%s", hx->program.digest);
    snprintf(host_path, n, "%s", hx->program.host);
    return 0;
}
