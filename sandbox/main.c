/* kiemthu-sandbox - the seed's deny-by-default `docker run`, natively. */
#include "../core/cli.h"
#include "../core/layout.h"
#include "image.h"
#include "ns.h"
#include "profile.h"
#include "reach.h"
#include "record.h"
#include "sandbox.h"
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_PROFILES 8
#define EXIT_RUNNER 125 /* Docker's: the runner failed or no profile let the payload start */

enum {
    OPT_HELP = 'h',
    OPT_VERSION = 256,
    OPT_IN,
    OPT_OUT,
    OPT_RECORD,
    OPT_TIMEOUT,
    OPT_ROOTFS,
    OPT_RO_BIND,
    OPT_ENV,
    OPT_ALL,
    OPT_PIDS,
    OPT_MEMORY,
    OPT_SWAP,
    OPT_CPUS,
    OPT_OUTPUT_CAP,
    OPT_TMP_SIZE,
    OPT_TIMINGS,
    OPT_EXEC_ONCE,
    OPT_OUT_SIZE,
};

static const kt_option opts[] = {
    {"profile", 'p', "FILE", "Docker-format seccomp profile; repeat for a ladder, strictest first"},
    {"in", OPT_IN, "DIR", "host directory mounted read-only at /in"},
    {"out", OPT_OUT, "DIR", "host directory mounted writable at /out"},
    {"record", OPT_RECORD, "DIR", "where each attempt's run.json, stdout, stderr go (required)"},
    {"timeout", OPT_TIMEOUT, "SECONDS", "kill the whole sandbox after this long (default: none)"},
    {"rootfs", OPT_ROOTFS, "DIR", "run inside this tree, read-only, instead of host /usr"},
    {"ro-bind", OPT_RO_BIND, "SRC:DST", "also mount host SRC read-only at DST (repeatable)"},
    {"env", OPT_ENV, "K=V", "add a variable to the otherwise empty environment (repeatable)"},
    {"all-profiles", OPT_ALL, NULL, "run every profile, not only up to the first that starts"},
    {"pids", OPT_PIDS, "N", "process limit (default 64)"},
    {"memory", OPT_MEMORY, "SIZE", "memory limit, e.g. 256m (default 256m)"},
    {"memory-swap", OPT_SWAP, "SIZE", "memory + swap limit (default: equal to --memory)"},
    {"cpus", OPT_CPUS, "N", "CPU limit, e.g. 1 or 0.5 (default 1)"},
    {"output-cap", OPT_OUTPUT_CAP, "SIZE", "bytes of stdout and of stderr kept (default 16m)"},
    {"tmp-size", OPT_TMP_SIZE, "SIZE", "size of the /tmp tmpfs (default 16m)"},
    {"out-size", OPT_OUT_SIZE, "SIZE",
     "as root, /out is a tmpfs of this size copied to --out afterwards (default 256m; 0: bind)"},
    {"exec-once", OPT_EXEC_ONCE, NULL,
     "let exactly the payload's first exec through a profile that denies exec; later execs get "
     "the profile's errno (seccomp user notification)"},
    {"timings", OPT_TIMINGS, NULL, "print how long each attempt and its cgroup work took"},
    {"help", OPT_HELP, NULL, "show this help"},
    {"version", OPT_VERSION, NULL, "show the version"},
    {NULL, 0, NULL, NULL},
};

static const char synopsis[] =
    "kiemthu-sandbox run --profile FILE [--profile FILE]... --record DIR [--in DIR] [--out DIR]\n"
    "                       [--timeout SECONDS] [--rootfs DIR] [options] -- COMMAND [ARG]...";
static const char about[] =
    "Run COMMAND under the seed's deny-by-default isolation: new mount, PID, network, IPC and\n"
    "UTS namespaces (and user, when not root), uid/gid 65532, read-only root, noexec /tmp,\n"
    "no capabilities, no-new-privileges, the seccomp profile loaded just before exec,\n"
    "pids/memory/CPU limits, empty environment but PATH. Profiles are tried in order; the\n"
    "first under which COMMAND started is canonical. Exit status: COMMAND's under the\n"
    "canonical profile (128+N if killed by signal N); 125 if no profile let it start or the\n"
    "runner failed; 64 usage.";

typedef struct sb_ctx {
    kt_sandbox sb;
    const char *profiles[MAX_PROFILES];
    size_t nprofiles;
    const char *record;
    int all, timings, exec_once;
    char in_real[PATH_MAX], out_real[PATH_MAX], rootfs_real[PATH_MAX];
    char bind_src[KT_SB_MAX_BINDS][PATH_MAX];
    char *bind_dst[KT_SB_MAX_BINDS];
} sb_ctx;

static __attribute__((format(printf, 1, 2))) int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "kiemthu-sandbox: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nUsage: %s\nTry 'kiemthu-sandbox --help'.\n", synopsis);
    return KT_EXIT_USAGE;
}

static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || s[0] == '-') return -1;
    uint64_t mul = 1;
    if (*end) {
        switch (*end) {
        case 'k':
        case 'K':
            mul = 1ULL << 10;
            break;
        case 'm':
        case 'M':
            mul = 1ULL << 20;
            break;
        case 'g':
        case 'G':
            mul = 1ULL << 30;
            break;
        default:
            return -1;
        }
        if (end[1] && !((end[1] == 'b' || end[1] == 'B') && !end[2])) return -1;
    }
    if (v > UINT64_MAX / mul) return -1;
    *out = v * mul;
    return 0;
}

static int parse_millis(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (errno || end == s || *end || !(d > 0) || d > 1e6) return -1;
    *out = (uint64_t)(d * 1000 + 0.5);
    return *out ? 0 : -1;
}

static int resolve_dir(const char *opt, const char *in, char *out)
{
    struct stat st;
    char why[PATH_MAX + 128];
    if (kt_reach(in, 1, why, sizeof why) < 0) {
        fprintf(stderr, "kiemthu-sandbox: %s %s: %s\n", opt, in,
                errno == ENOENT ? "not an existing directory" : why);
        return -1;
    }
    if (!realpath(in, out) || stat(out, &st) < 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "kiemthu-sandbox: %s %s: not an existing directory\n", opt, in);
        return -1;
    }
    return 0;
}

static int parse_args(sb_ctx *c, int argc, char **argv)
{
    kt_sandbox *sb = &c->sb;
    kt_cli cli;
    kt_cli_init(&cli, opts);
    uint64_t swap = 0;
    int swap_set = 0, ch;
    while ((ch = getopt_long(argc, argv, cli.shortopts, cli.longopts, NULL)) != -1) {
        uint64_t v;
        switch (ch) {
        case 'p':
            if (c->nprofiles == MAX_PROFILES)
                return usage_error("at most %d profiles", MAX_PROFILES);
            c->profiles[c->nprofiles++] = optarg;
            break;
        case OPT_IN:
            sb->in_dir = optarg;
            break;
        case OPT_OUT:
            sb->out_dir = optarg;
            break;
        case OPT_RECORD:
            c->record = optarg;
            break;
        case OPT_ROOTFS:
            sb->rootfs = optarg;
            break;
        case OPT_ALL:
            c->all = 1;
            break;
        case OPT_TIMINGS:
            c->timings = 1;
            break;
        case OPT_EXEC_ONCE:
            c->exec_once = 1;
            break;
        case OPT_TIMEOUT: {
            char *end;
            errno = 0;
            double t = strtod(optarg, &end);
            if (errno || *end || end == optarg || !(t > 0) || t > 86400 * 7)
                return usage_error("--timeout takes seconds (> 0), not \"%s\"", optarg);
            sb->timeout_s = t;
            break;
        }
        case OPT_RO_BIND: {
            char *colon = strchr(optarg, ':');
            if (!colon || colon == optarg || colon[1] != '/' || sb->nbinds == KT_SB_MAX_BINDS)
                return usage_error("--ro-bind takes SRC:/DST, not \"%s\"", optarg);
            *colon = '\0';
            size_t i = sb->nbinds;
            char why[PATH_MAX + 128] = "does not exist";
            if (kt_reach(optarg, 1, why, sizeof why) < 0 || !realpath(optarg, c->bind_src[i]))
                return usage_error("--ro-bind source %s: %s", optarg, why);
            c->bind_dst[i] = colon + 1;
            sb->binds[i] = (kt_bind){c->bind_src[i], c->bind_dst[i]};
            sb->nbinds++;
            break;
        }
        case OPT_ENV:
            if (!strchr(optarg, '=') || optarg[0] == '=' || sb->nenv == KT_SB_MAX_ENV)
                return usage_error("--env takes K=V, not \"%s\"", optarg);
            if (strncmp(optarg, "PATH=", 5) == 0)
                sb->envp[0] = optarg;
            else
                sb->envp[1 + sb->nenv++] = optarg;
            break;
        case OPT_PIDS:
            if (parse_size(optarg, &v) < 0 || v == 0 || v > 4194304)
                return usage_error("--pids takes a count, not \"%s\"", optarg);
            sb->limits[KT_LIMIT_PIDS].value = v;
            break;
        case OPT_MEMORY:
            if (parse_size(optarg, &v) < 0 || v < (4u << 20))
                return usage_error("--memory takes a size of at least 4m, not \"%s\"", optarg);
            sb->limits[KT_LIMIT_MEMORY].value = v;
            break;
        case OPT_SWAP:
            if (parse_size(optarg, &swap) < 0)
                return usage_error("--memory-swap: bad size \"%s\"", optarg);
            swap_set = 1;
            break;
        case OPT_CPUS:
            if (parse_millis(optarg, &v) < 0)
                return usage_error("--cpus takes a number > 0, not \"%s\"", optarg);
            sb->limits[KT_LIMIT_CPUS].value = v;
            break;
        case OPT_OUTPUT_CAP:
            if (parse_size(optarg, &v) < 0 || v > (1ULL << 32))
                return usage_error("--output-cap: bad size \"%s\"", optarg);
            sb->output_cap = (size_t)v;
            break;
        case OPT_TMP_SIZE:
            if (parse_size(optarg, &v) < 0 || v < 4096)
                return usage_error("--tmp-size: bad size \"%s\"", optarg);
            sb->tmp_size = v;
            break;
        case OPT_OUT_SIZE:
            if (parse_size(optarg, &v) < 0 || (v && v < 4096))
                return usage_error("--out-size: bad size \"%s\"", optarg);
            sb->out_size = v;
            break;
        case OPT_HELP:
            kt_cli_usage(stdout, synopsis, about, opts);
            exit(0);
        case OPT_VERSION:
            printf("kiemthu-sandbox %s\n", KT_VERSION);
            exit(0);
        default:
            return KT_EXIT_USAGE;
        }
    }
    sb->limits[KT_LIMIT_SWAP].value = swap_set ? swap : sb->limits[KT_LIMIT_MEMORY].value;
    if (sb->limits[KT_LIMIT_SWAP].value < sb->limits[KT_LIMIT_MEMORY].value)
        return usage_error("--memory-swap must be at least --memory");
    if (optind >= argc) return usage_error("no COMMAND given (put it after --)");
    if (c->nprofiles == 0)
        return usage_error("no --profile given; the sandbox always applies a seccomp profile "
                           "(e.g. profiles/seccomp-startup-safe.json)");
    if (!c->record) return usage_error("--record DIR is required");
    sb->argv = argv + optind;
    if (sb->in_dir && resolve_dir("--in", sb->in_dir, c->in_real) < 0) return KT_EXIT_USAGE;
    if (sb->out_dir && resolve_dir("--out", sb->out_dir, c->out_real) < 0) return KT_EXIT_USAGE;
    if (sb->rootfs && resolve_dir("--rootfs", sb->rootfs, c->rootfs_real) < 0) return KT_EXIT_USAGE;
    if (sb->in_dir) sb->in_dir = c->in_real;
    if (sb->out_dir) sb->out_dir = c->out_real;
    if (sb->rootfs) sb->rootfs = c->rootfs_real;
    return 0;
}

/* The payload runs as uid 65532: say so now rather than let it fail later. */
static int check_out_writable(const kt_sandbox *sb)
{
    /* As root with a size cap the runner copies /out out itself. */
    if (!sb->out_dir || (!sb->userns && sb->out_size)) return 0;
    struct stat st;
    if (stat(sb->out_dir, &st) < 0) return -1;
    int ok = sb->userns ? access(sb->out_dir, W_OK | X_OK) == 0
                        : (st.st_uid == sb->uid && (st.st_mode & 0300) == 0300) ||
                              (st.st_gid == sb->gid && (st.st_mode & 0030) == 0030) ||
                              (st.st_mode & 0003) == 0003;
    if (!ok)
        fprintf(stderr,
                "kiemthu-sandbox: --out %s is not writable by uid %u; run 'chmod 0777 %s' "
                "(as the seed's workflow did) or 'chown %u %s'\n",
                sb->out_dir, (unsigned)sb->uid, sb->out_dir, (unsigned)sb->uid, sb->out_dir);
    return ok ? 0 : -1;
}

static void base_name(const char *path, char *out, size_t n)
{
    const char *b = strrchr(path, '/');
    snprintf(out, n, "%s", b ? b + 1 : path);
    size_t l = strlen(out);
    if (l > 5 && strcmp(out + l - 5, ".json") == 0) out[l - 5] = '\0';
}

static int open_capture(const char *dir, const char *name, kt_err *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) kt_fail_errno(err, KT_E_CANTCREAT, errno, "cannot create %s", path);
    return fd;
}

/* mkdir -p */
static int mkdir_parents(const char *path)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) return errno = ENAMETOOLONG, -1;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, 0755) < 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    return mkdir(tmp, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

static void remove_attempt(const char *dir)
{
    static const char *const files[] = {"stdout", "stderr", "run.json"};
    char path[PATH_MAX + 16];
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

static int cmd_run(int argc, char **argv)
{
    sb_ctx c;
    memset(&c, 0, sizeof c);
    kt_sandbox *sb = &c.sb;
    static char default_path[] = KT_SB_PATH;
    sb->envp[0] = default_path;
    sb->uid = KT_SB_UID;
    sb->gid = KT_SB_GID;
    sb->output_cap = 16u << 20;
    sb->tmp_size = 16u << 20;
    sb->out_size = 256u << 20;
    sb->out_mfd = -1;
    sb->limits[KT_LIMIT_PIDS].value = 64;
    sb->limits[KT_LIMIT_MEMORY].value = 256u << 20;
    sb->limits[KT_LIMIT_CPUS].value = 1000;
    int rc = parse_args(&c, argc, argv);
    if (rc) return rc;
    sb->envp[1 + sb->nenv] = NULL;
    sb->outer_uid = getuid();
    sb->outer_gid = getgid();
    sb->userns = geteuid() != 0;
    kt_err err;
    kt_err_clear(&err);

    /* Every profile is parsed and validated before anything runs. */
    kt_profile *profiles[MAX_PROFILES] = {0};
    kt_attempt att[MAX_PROFILES];
    char names[MAX_PROFILES][256];
    memset(att, 0, sizeof att);
    rc = EXIT_RUNNER;
    char why[PATH_MAX + 128];
    for (size_t i = 0; i < c.nprofiles; i++) {
        if (kt_reach(c.profiles[i], 1, why, sizeof why) < 0) {
            fprintf(stderr, "kiemthu-sandbox: profile %s: %s\n", c.profiles[i], why);
            goto out;
        }
        if (kt_profile_load(c.profiles[i], &profiles[i], &err) < 0) {
            fprintf(stderr, "kiemthu-sandbox: invalid profile: %s\n", err.msg);
            goto out;
        }
        base_name(c.profiles[i], names[i], sizeof names[i]);
        for (size_t j = 0; j < i; j++)
            if (strcmp(names[i], names[j]) == 0) {
                fprintf(stderr, "kiemthu-sandbox: two profiles named %s\n", names[i]);
                goto out;
            }
        att[i] = (kt_attempt){names[i], profiles[i], 0, {0}};
    }
    if (sb->userns && !kt_ns_userns_available(why, sizeof why)) {
        fprintf(stderr, "kiemthu-sandbox: not root and %s\n", why);
        goto out;
    }
    if (check_out_writable(sb) < 0) goto out;
    char digest[KT_DIGEST_STR], host_path[PATH_MAX];
    if (kt_image_digest(sb, digest, host_path, sizeof host_path, &err) < 0) {
        fprintf(stderr, "kiemthu-sandbox: %s\n", err.msg);
        goto out;
    }
    if (mkdir_parents(c.record) < 0) {
        int e = errno;
        if (e != EACCES || kt_reach(c.record, 0, why, sizeof why) == 0 || errno != EACCES)
            snprintf(why, sizeof why, "%s", strerror(e));
        fprintf(stderr, "kiemthu-sandbox: cannot create --record %s: %s\n", c.record, why);
        goto out;
    }
    kt_profile_env env;
    kt_profile_env_host(&env);
    int canonical = -1;
    for (size_t i = 0; i < c.nprofiles && (canonical < 0 || c.all); i++) {
        char dir[PATH_MAX], tag[64];
        snprintf(dir, sizeof dir, "%s/%s", c.record, names[i]);
        if (mkdir(dir, 0755) < 0) {
            fprintf(stderr, "kiemthu-sandbox: cannot create %s: %s%s\n", dir, strerror(errno),
                    errno == EEXIST ? " (use a new --record directory for every run)" : "");
            goto out;
        }
        scmp_filter_ctx ctx = NULL;
        kt_bpf filter;
        sb->exec_once_errno = 0;
        int compiled = c.exec_once ? kt_profile_compile_exec_once(profiles[i], &env, &ctx,
                                                                  &sb->exec_once_errno, &err)
                                   : kt_profile_compile(profiles[i], &env, &ctx, &err);
        if (compiled < 0 || kt_profile_export(ctx, &filter, &err) < 0) {
            fprintf(stderr, "kiemthu-sandbox: %s\n", err.msg);
            if (ctx) seccomp_release(ctx);
            remove_attempt(dir);
            goto out;
        }
        seccomp_release(ctx);
        const char *const *ign;
        size_t nign = kt_profile_ignored(profiles[i], &ign);
        for (size_t k = 0; k < nign; k++)
            fprintf(stderr,
                    "kiemthu-sandbox: warning: %s: syscall \"%s\" is unknown here; ignored\n",
                    names[i], ign[k]);
        int ofd = open_capture(dir, "stdout", &err),
            efd = ofd < 0 ? -1 : open_capture(dir, "stderr", &err);
        if (ofd < 0 || efd < 0) {
            fprintf(stderr, "kiemthu-sandbox: %s\n", err.msg);
            kt_bpf_free(&filter);
            if (ofd >= 0) close(ofd);
            goto out;
        }
        snprintf(tag, sizeof tag, "kiemthu-%ld-%zu", (long)getpid(), i);
        char profile_real[PATH_MAX];
        sb->profile_path = realpath(c.profiles[i], profile_real) ? profile_real : NULL;
        att[i].ran = 1;
        int s = kt_spawn(sb, &filter, ofd, efd, tag, &att[i].run, &err);
        kt_bpf_free(&filter);
        close(ofd);
        close(efd);
        if (s < 0) {
            /* The runner failed, not the payload: leave no half-written attempt. */
            fprintf(stderr, "kiemthu-sandbox: %s: %s\n", names[i], err.msg);
            remove_attempt(dir);
            att[i].ran = 0;
            goto out;
        }
        if (kt_record_run(dir, sb, &att[i], digest, &err) < 0) {
            fprintf(stderr, "kiemthu-sandbox: %s\n", err.msg);
            goto out;
        }
        char outcome[256];
        kt_record_outcome(&att[i], outcome, sizeof outcome);
        fprintf(stderr, "kiemthu-sandbox: %s: %s (%llu ms)\n", names[i], outcome,
                (unsigned long long)att[i].run.duration_ms);
        if (c.timings)
            fprintf(stderr,
                    "kiemthu-sandbox: timings: %s: %llu us in total, %llu us of it on cgroups\n",
                    names[i], (unsigned long long)att[i].run.total_us,
                    (unsigned long long)att[i].run.cgroup_us);
        if (att[i].run.cgroup_why[0])
            fprintf(stderr,
                    "kiemthu-sandbox: warning: %s: limits fall back to rlimits/CPU affinity "
                    "(pids %s, memory %s, cpus %s): %s\n",
                    names[i], sb->limits[KT_LIMIT_PIDS].enforced_by,
                    sb->limits[KT_LIMIT_MEMORY].enforced_by, sb->limits[KT_LIMIT_CPUS].enforced_by,
                    att[i].run.cgroup_why);
        if (att[i].run.cgroups_left)
            fprintf(stderr, "kiemthu-sandbox: warning: %d cgroup(s) could not be removed\n",
                    att[i].run.cgroups_left);
        if (att[i].run.started && canonical < 0) canonical = (int)i;
    }
    if (kt_record_ladder(c.record, att, c.nprofiles, canonical, &err) < 0) {
        fprintf(stderr, "kiemthu-sandbox: %s\n", err.msg);
        goto out;
    }
    if (canonical < 0) {
        fprintf(stderr, "kiemthu-sandbox: no profile let the payload start\n");
        goto out;
    }
    fprintf(stderr, "kiemthu-sandbox: canonical profile: %s (the strictest that started",
            names[canonical]);
    for (int i = 0; i < canonical; i++) {
        char outcome[256];
        kt_record_outcome(&att[i], outcome, sizeof outcome);
        fprintf(stderr, "; %s: %s", names[i], outcome);
    }
    fprintf(stderr, ")\n");
    const kt_run *r = &att[canonical].run;
    rc = r->signal ? 128 + r->signal : r->exit_code;
out:
    for (size_t i = 0; i < c.nprofiles; i++) kt_profile_free(profiles[i]);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "Usage: %s\n", synopsis);
        return KT_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        kt_cli_usage(stdout, synopsis, about, opts);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("kiemthu-sandbox %s\n", KT_VERSION);
        return 0;
    }
    if (!strcmp(argv[1], "run")) return cmd_run(argc - 1, argv + 1);
    fprintf(stderr, "kiemthu-sandbox: unknown command \"%s\"\nUsage: %s\n", argv[1], synopsis);
    return KT_EXIT_USAGE;
}
