/* kiemthu-sandbox - the seed's deny-by-default `docker run`, natively. */
#include "../core/cli.h"
#include "../core/escape.h"
#include "../core/layout.h"
#include "baseline.h"
#include "envarg.h"
#include "evidence.h"
#include "image.h"
#include "ladder.h"
#include "netprep.h"
#include "ns.h"
#include "paths.h"
#include "profile.h"
#include "reach.h"
#include "runmsg.h"
#include "sandbox.h"
#include "cmd_compile.h"
#include "shipped.h"
#include "tee.h"
#include "units.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_PROFILES KT_LADDER_MAX
#define EXIT_RUNNER KT_EXIT_RUNNER

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
    OPT_OUT_EXEC,
    OPT_OUT_FILES,
    OPT_BASELINE,
    OPT_IMAGE,
    OPT_CACHE,
    OPT_ENTRYPOINT,
    OPT_IMAGE_MAX,
    OPT_TEE,
    OPT_EVIDENCE,
    OPT_CHDIR = 'w',
};

static const kt_option opts[] = {
    {"profile", 'p', "FILE|NAME",
     "Docker-format seccomp profile, a file or a shipped NAME (kiemthu-sandbox profiles lists "
     "them); repeat for a ladder, strictest first"},
    {"in", OPT_IN, "DIR", "host directory mounted read-only at /in"},
    {"out", OPT_OUT, "DIR", "host directory mounted writable at /out"},
    {"record", OPT_RECORD, "DIR", "where each attempt's run.json, stdout, stderr go (required)"},
    {"evidence", OPT_EVIDENCE, "DIR",
     "copy the profiles used into DIR/profiles/ (default: RECORD/../.. if RECORD is .../runs/X)"},
    {"timeout", OPT_TIMEOUT, "SECONDS", "kill the whole sandbox after this long (default: none)"},
    {"rootfs", OPT_ROOTFS, "DIR", "run inside this tree, read-only, instead of host /usr"},
    {"image", OPT_IMAGE, "REF",
     "run this image, verified and unpacked, as the read-only root: oci:DIR[:TAG|@sha256:...], "
     "oci-archive:FILE[:TAG], docker-archive:FILE[:NAME:TAG|:@N]; its Entrypoint, Cmd (replaced "
     "by ARGs), Env and WorkingDir apply"},
    {"cache", OPT_CACHE, "DIR",
     "where unpacked images are kept (default $XDG_CACHE_HOME/kiemthu; /var/cache/kiemthu as "
     "root)"},
    {"entrypoint", OPT_ENTRYPOINT, "CMD", "replace the image's Entrypoint (\"\" clears it)"},
    {"image-max-size", OPT_IMAGE_MAX, "SIZE", "cap on an image's unpacked bytes (default 4g)"},
    {"ro-bind", OPT_RO_BIND, "SRC:DST", "also mount host SRC read-only at DST (repeatable)"},
    {"env", OPT_ENV, "K=V|NAME",
     "add a variable to the otherwise empty environment; NAME passes the host's value, which "
     "run.json does not record (repeatable)"},
    {"tee", OPT_TEE, NULL,
     "also show the payload's stdout and stderr live on ours, control bytes escaped"},
    {"chdir", OPT_CHDIR, "DIR", "the payload's working directory inside the sandbox (default /)"},
    {"all-profiles", OPT_ALL, NULL, "run every profile, not only up to the first that starts"},
    {"pids", OPT_PIDS, "N", "process limit (default 64)"},
    {"memory", OPT_MEMORY, "SIZE", "memory limit, e.g. 256m (default 256m)"},
    {"memory-swap", OPT_SWAP, "SIZE", "memory + swap limit (default: equal to --memory)"},
    {"cpus", OPT_CPUS, "N", "CPU limit, e.g. 1 or 0.5 (default 1)"},
    {"output-cap", OPT_OUTPUT_CAP, "SIZE", "bytes of stdout and of stderr kept (default 16m)"},
    {"tmp-size", OPT_TMP_SIZE, "SIZE", "size of the /tmp tmpfs (default 16m)"},
    {"out-size", OPT_OUT_SIZE, "SIZE",
     "as root, /out is a tmpfs of this size copied to --out afterwards (default 256m; 0: bind)"},
    {"out-exec", OPT_OUT_EXEC, NULL, "let the payload execute files in /out (noexec by default)"},
    {"out-files", OPT_OUT_FILES, "N",
     "most files of /out kept in each attempt's record (default 4096; the rest are listed)"},
    {"baseline", OPT_BASELINE, "FILE|NAME|none",
     "the baseline filter installed with every profile (default: the built-in copy of the "
     "shipped baseline.json; none: no baseline, recorded, and the shipped policy fails it)"},
    {"exec-once", OPT_EXEC_ONCE, NULL,
     "let exactly the payload's first exec through a profile that denies exec; later execs get "
     "the profile's errno (seccomp user notification)"},
    {"timings", OPT_TIMINGS, NULL, "print how long each attempt and its cgroup work took"},
    {"help", OPT_HELP, NULL, "show this help"},
    {"version", OPT_VERSION, NULL, "show the version"},
    {NULL, 0, NULL, NULL},
};

static const char synopsis[] =
    "kiemthu-sandbox run --profile FILE|NAME [--profile ...]... --record DIR [--in DIR]\n"
    "                       [--out DIR] [--timeout SECONDS] [--rootfs DIR] [options]\n"
    "                       -- COMMAND [ARG]...\n"
    "       kiemthu-sandbox run --profile FILE|NAME... --record DIR --image REF [options]\n"
    "                       [-- ARG...]\n"
    "       kiemthu-sandbox profiles [--names]\n"
    "       kiemthu-sandbox compile [--exec-once] PROFILE...";
static const char about[] =
    "Run COMMAND under deny-by-default isolation: new mount, PID, network, IPC and\n"
    "UTS namespaces (and user, when not root), uid/gid 65532, read-only root, noexec /tmp,\n"
    "no capabilities, no-new-privileges, the seccomp profile loaded just before exec,\n"
    "pids/memory/CPU limits, empty environment but PATH. Profiles are tried in order; the\n"
    "first under which COMMAND started is canonical. Exit status: COMMAND's under the\n"
    "canonical profile (128+N if killed by signal N); 125 if no profile let it start or the\n"
    "runner failed; 126 if COMMAND cannot be executed, 127 if not found; 64 usage.";

typedef struct sb_ctx {
    kt_sandbox sb;
    const char *profiles[MAX_PROFILES];
    size_t nprofiles;
    char profile_path[MAX_PROFILES][PATH_MAX], baseline_path[PATH_MAX]; /* names resolved */
    const char *record, *evidence;
    char evidence_real[PATH_MAX]; /* "" when there is no evidence folder (evidence.h) */
    const char *baseline;
    int all, timings, exec_once, tee;
    char in_real[PATH_MAX], out_real[PATH_MAX], rootfs_real[PATH_MAX], record_real[PATH_MAX];
    char bind_src[KT_SB_MAX_BINDS][PATH_MAX];
    char *bind_dst[KT_SB_MAX_BINDS];
    const char *image, *cache, *entrypoint; /* --image and what goes with it */
    kt_img_caps caps;
    int user_path; /* --env PATH=... */
} sb_ctx;

/* Every line that may carry bytes that are not ours (an error message naming
 * a payload's file, an image's Entrypoint or WorkingDir, an argument) goes
 * out through the escaper (core/escape.h): no control byte, C1 control or
 * invalid UTF-8 reaches the operator's terminal raw, whichever module wrote
 * the message. Our own ASCII text passes unchanged. */
static void say(const char *msg)
{
    kt_esc_line(stderr, "kiemthu-sandbox: %s", msg);
}

static __attribute__((format(printf, 1, 2))) int usage_error(const char *fmt, ...)
{
    char msg[2 * PATH_MAX + 256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    say(msg);
    fprintf(stderr, "Usage: %s\nTry 'kiemthu-sandbox --help'.\n", synopsis);
    return KT_EXIT_USAGE;
}

static int resolve_dir(const char *opt, const char *in, char *out)
{
    struct stat st;
    kt_err why;
    if (kt_reach(in, 1, &why) < 0) {
        kt_esc_line(stderr, "kiemthu-sandbox: %s %s: %s", opt, in,
                    errno == ENOENT ? "not an existing directory" : why.msg);
        return -1;
    }
    if (!realpath(in, out) || stat(out, &st) < 0 || !S_ISDIR(st.st_mode)) {
        kt_esc_line(stderr, "kiemthu-sandbox: %s %s: not an existing directory", opt, in);
        return -1;
    }
    return 0;
}

/* Why path cannot be used, as kt_reach words it for EACCES. */
static const char *path_why(const char *path, int e, kt_err *why)
{
    if (e != EACCES || kt_reach(path, 0, why) == 0 || errno != EACCES)
        snprintf(why->msg, sizeof why->msg, "%s", strerror(e));
    return why->msg;
}

/* --in, --rootfs: existing directories; --out: made if missing (as docker
 * -v makes a bind source); --record: made later, once every profile is
 * valid. --out and --record may not overlap (either inside the other): the
 * payload must not write over its own record. */
static int check_paths(sb_ctx *c)
{
    kt_sandbox *sb = &c->sb;
    kt_err why;
    if (sb->in_dir && resolve_dir("--in", sb->in_dir, c->in_real) < 0) return KT_EXIT_USAGE;
    if (sb->rootfs && resolve_dir("--rootfs", sb->rootfs, c->rootfs_real) < 0) return KT_EXIT_USAGE;
    if (kt_path_absolute(c->record, c->record_real, sizeof c->record_real) < 0) {
        kt_esc_line(stderr, "kiemthu-sandbox: cannot create --record %s: %s", c->record,
                    path_why(c->record, errno, &why));
        return EXIT_RUNNER;
    }
    if (kt_evidence_root(c->evidence, c->record_real, c->evidence_real, sizeof c->evidence_real))
        return usage_error("--evidence %s: %s", c->evidence, strerror(errno));
    if (sb->out_dir) {
        if (kt_path_absolute(sb->out_dir, c->out_real, sizeof c->out_real) < 0)
            return usage_error("--out %s: %s", sb->out_dir, path_why(sb->out_dir, errno, &why));
        if (kt_path_overlap(c->out_real, c->record_real))
            return usage_error("--out %s and --record %s overlap (one is inside the other); the "
                               "payload could write over its own record",
                               c->out_real, c->record_real);
        if (c->evidence_real[0] && kt_path_overlap(c->out_real, c->evidence_real))
            return usage_error("--out %s and the evidence folder %s overlap; the payload's files "
                               "would be evidence it chose (a policy.json, a venue.json)",
                               c->out_real, c->evidence_real);
        if (kt_mkdir_parents(c->out_real, 0755) < 0)
            return usage_error("--out %s: %s", sb->out_dir, path_why(sb->out_dir, errno, &why));
        if (resolve_dir("--out", c->out_real, c->out_real) < 0) return KT_EXIT_USAGE;
    }
    if (sb->in_dir) sb->in_dir = c->in_real;
    if (sb->out_dir) sb->out_dir = c->out_real;
    if (sb->rootfs) sb->rootfs = c->rootfs_real;
    c->record = c->record_real;
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
        case OPT_EVIDENCE:
            c->evidence = optarg;
            break;
        case OPT_ROOTFS:
            sb->rootfs = optarg;
            break;
        case OPT_IMAGE:
            c->image = optarg;
            break;
        case OPT_CACHE:
            c->cache = optarg;
            break;
        case OPT_ENTRYPOINT:
            c->entrypoint = optarg;
            break;
        case OPT_IMAGE_MAX:
            if (kt_parse_size(optarg, &v) < 0 || v < (1u << 20))
                return usage_error("--image-max-size takes a size of at least 1m, not \"%s\"",
                                   optarg);
            c->caps.max_unpacked = v;
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
        case OPT_OUT_EXEC:
            sb->out_exec = 1;
            break;
        case OPT_BASELINE:
            c->baseline = optarg;
            break;
        case OPT_CHDIR:
            if (optarg[0] != '/')
                return usage_error("--chdir takes an absolute path inside the sandbox, not \"%s\"",
                                   optarg);
            sb->workdir = optarg;
            break;
        case OPT_OUT_FILES:
            if (kt_parse_size(optarg, &v) < 0 || v == 0 || v > 1000000)
                return usage_error("--out-files takes a count (1..1000000), not \"%s\"", optarg);
            sb->out_caps.files = v;
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
            kt_err why = {.msg = "does not exist"};
            if (kt_reach(optarg, 1, &why) < 0 || !realpath(optarg, c->bind_src[i]))
                return usage_error("--ro-bind source %s: %s", optarg, why.msg);
            c->bind_dst[i] = colon + 1;
            sb->binds[i] = (kt_bind){c->bind_src[i], c->bind_dst[i]};
            sb->nbinds++;
            break;
        }
        case OPT_ENV: {
            kt_err e;
            if (kt_env_add(sb, optarg, &c->user_path, &e) < 0) return usage_error("%s", e.msg);
            break;
        }
        case OPT_TEE:
            c->tee = 1;
            break;
        case OPT_PIDS:
            if (kt_parse_size(optarg, &v) < 0 || v == 0 || v > 4194304)
                return usage_error("--pids takes a count, not \"%s\"", optarg);
            sb->limits[KT_LIMIT_PIDS].value = v;
            break;
        case OPT_MEMORY:
            if (kt_parse_size(optarg, &v) < 0 || v < (4u << 20))
                return usage_error("--memory takes a size of at least 4m, not \"%s\"", optarg);
            sb->limits[KT_LIMIT_MEMORY].value = v;
            break;
        case OPT_SWAP:
            if (kt_parse_size(optarg, &swap) < 0)
                return usage_error("--memory-swap: bad size \"%s\"", optarg);
            swap_set = 1;
            break;
        case OPT_CPUS:
            if (kt_parse_millis(optarg, &v) < 0)
                return usage_error("--cpus takes a number > 0, not \"%s\"", optarg);
            sb->limits[KT_LIMIT_CPUS].value = v;
            break;
        case OPT_OUTPUT_CAP:
            if (kt_parse_size(optarg, &v) < 0 || v > (1ULL << 32))
                return usage_error("--output-cap: bad size \"%s\"", optarg);
            sb->output_cap = (size_t)v;
            break;
        case OPT_TMP_SIZE:
            if (kt_parse_size(optarg, &v) < 0 || v < 4096)
                return usage_error("--tmp-size: bad size \"%s\"", optarg);
            sb->tmp_size = v;
            break;
        case OPT_OUT_SIZE:
            if (kt_parse_size(optarg, &v) < 0 || (v && v < 4096))
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
    if (optind >= argc && !c->image) return usage_error("no COMMAND given (put it after --)");
    if (c->image && sb->rootfs) return usage_error("--image and --rootfs exclude each other");
    if ((c->cache || c->entrypoint) && !c->image)
        return usage_error("--cache and --entrypoint go with --image");
    if (c->nprofiles == 0)
        return usage_error("no --profile given; the sandbox always applies a seccomp profile "
                           "(e.g. --profile seccomp-startup-safe; kiemthu-sandbox profiles lists "
                           "the shipped ones)");
    if (!c->record) return usage_error("--record DIR is required");
    sb->argv = argv + optind;
    return check_paths(c);
}

typedef struct run_ctx {
    sb_ctx *c;
    kt_ladder l;
    char digest[KT_DIGEST_STR];
    kt_image img;
    kt_hostexec hx;
} run_ctx;

/* Load and validate everything before anything runs. */
static int prepare(run_ctx *r, kt_err *err)
{
    sb_ctx *c = r->c;
    kt_ladder *l = &r->l;
    kt_err why;
    char host_path[PATH_MAX];
    uint64_t t = kt_now_us();
    if (kt_shipped_resolve(c->profiles, c->nprofiles, c->profile_path, &c->baseline,
                           c->baseline_path, err) < 0)
        return -1;
    if (kt_ladder_load(l, c->profiles, c->nprofiles, c->baseline, err) < 0) return -1;
    kt_timing_lap(&l->t, KT_PH_LOAD, &t);
    if (c->sb.userns && kt_ns_userns_available(err) < 0) return -1;
    /* An image is verified and unpacked (or found in the cache) before any
     * record exists; it sets the root, the command, Env and WorkingDir. */
    size_t nargs = 0;
    while (c->sb.argv[nargs]) nargs++;
    if (c->image && kt_image_prepare(&r->img, &c->sb, c->image, c->cache, c->entrypoint, c->sb.argv,
                                     nargs, &c->caps, c->user_path, err) < 0)
        return -1;
    /* What runs, hashed: the program and its script, the --ro-bind sources. */
    if (kt_hostexec_hash(&c->sb, &r->hx, err) < 0) return -1;
    c->sb.hostexec = &r->hx;
    if (kt_mkdir_parents(c->record, 0755) < 0)
        return kt_fail(err, KT_E_CANTCREAT, "cannot create --record %s: %s", c->record,
                       path_why(c->record, errno, &why));
    if (kt_image_digest(&c->sb, r->digest, host_path, sizeof host_path, err) < 0) return -1;
    l->image_digest = r->digest;
    int n;
    if (c->evidence_real[0] && kt_evidence_profiles(c->evidence_real, l, &n, err) < 0) return -1;
    if (c->evidence_real[0])
        fprintf(stderr, "kiemthu-sandbox: the profiles used are in %s/profiles/ (%d new)\n",
                c->evidence_real, n);
    kt_timing_lap(&l->t, KT_PH_PREPARE, &t);
    return 0;
}

/* The seed's profile before any option: uid 65532, 64 pids, 256 MiB,
 * one CPU, 16 MiB /tmp and output, PATH alone in the environment. c is
 * zeroed already (static storage). */
static void set_defaults(sb_ctx *c)
{
    static char default_path[] = KT_SB_PATH;
    kt_sandbox *sb = &c->sb;
    sb->envp[0] = default_path;
    sb->uid = KT_SB_UID;
    sb->gid = KT_SB_GID;
    sb->output_cap = KT_SB_OUTPUT_CAP;
    sb->tmp_size = KT_SB_TMP_SIZE;
    sb->out_size = KT_SB_OUT_SIZE;
    sb->out_caps = (kt_out_caps){0, 4096, 32};
    sb->out_mfd = -1;
    sb->netns_fd = -1;
    sb->limits[KT_LIMIT_PIDS].value = KT_SB_PIDS;
    sb->limits[KT_LIMIT_MEMORY].value = KT_SB_MEMORY;
    sb->limits[KT_LIMIT_CPUS].value = KT_SB_MILLICPUS;
    sb->outer_uid = getuid();
    sb->outer_gid = getgid();
    sb->userns = geteuid() != 0;
    kt_img_caps_default(&c->caps);
}

static int cmd_run(int argc, char **argv)
{
    uint64_t t0 = kt_now_us();
    /* Static, so zeroed without a memset that would fault in every page of
     * their ~0.3 MB of PATH_MAX buffers: cmd_run runs once per process. */
    static sb_ctx c;
    static run_ctx r;
    set_defaults(&c);
    kt_sandbox *sb = &c.sb;
    kt_err err;
    kt_err_clear(&err);
    sigset_t oldmask;
    int sigfd = kt_stop_signals_block(&oldmask, &err);
    if (sigfd < 0) {
        say(err.msg);
        return EXIT_RUNNER;
    }
    int rc = parse_args(&c, argc, argv);
    if (rc) return rc;
    /* As root, the first sandbox's network namespace is made meanwhile. */
    static kt_netprep net;
    if (!sb->userns) {
        kt_netprep_start(&net);
        sb->netprep = &net;
    }
    sb->envp[1 + sb->nenv] = NULL;
    sb->out_caps.bytes = sb->out_size ? sb->out_size : KT_SB_OUT_SIZE;
    r.c = &c;
    kt_ladder *l = &r.l;
    l->sb = sb;
    l->record = c.record;
    l->all = c.all;
    l->exec_once = c.exec_once;
    l->progress = kt_msg_attempt;
    l->progress_ctx = &c.timings;
    l->sigfd = sigfd;
    static kt_tee tee;
    if (c.tee) {
        kt_tee_open(&tee);
        l->tee = &tee;
    }
    int prepared = prepare(&r, &err);
    if (prepared < 0 && r.hx.host_mode && !r.hx.program.set) {
        /* host mode: not there, as exec would say */
        rc = kt_msg_exec_exit(sb, ENOENT, sb->argv[0]);
    } else if (prepared < 0) {
        say(err.msg);
        rc = err.cls == KT_E_USAGE ? KT_EXIT_USAGE : EXIT_RUNNER;
    } else if (kt_ladder_run(l, &err) < 0) {
        say(err.msg);
        rc = l->interrupted ? 128 + l->interrupted : EXIT_RUNNER;
    } else {
        rc = kt_msg_outcome(l, sb->argv[0]);
    }
    char note[160];
    for (int i = 0; c.tee && i < 2; i++)
        if (kt_tee_note(&tee, i, note, sizeof note)) fprintf(stderr, "kiemthu-sandbox: %s\n", note);
    kt_tee_close(&tee);
    kt_env_free(sb);
    if (l->cghost.v2_moved)
        fprintf(stderr,
                "kiemthu-sandbox: note: moved %d process(es) into %s: cgroup v2 lets a group "
                "that holds processes hand no controllers to the sandbox's groups\n",
                l->cghost.v2_moved, l->cghost.v2_leaf);
    if (c.timings) {
        kt_msg_phases("run", &l->t, KT_PH_LOAD, KT_PH_COMPILE);
        fprintf(stderr, "kiemthu-sandbox: timings: %llu us from main() to here\n",
                (unsigned long long)(kt_now_us() - t0));
    }
    int unused = sb->netprep ? kt_netprep_take(&net) : -1; /* joined; no attempt took it */
    if (unused >= 0) close(unused);
    kt_ladder_free(l);
    kt_image_free(&r.img);
    close(sigfd);
    /* A stop signal that came while nothing could act on it (a failed
     * prepare) is delivered now, with its default action. */
    sigprocmask(SIG_SETMASK, &oldmask, NULL);
    return rc;
}

int main(int argc, char **argv)
{
    /* a parent that ignored SIGCHLD would make the sandbox unwaitable (ECHILD) */
    signal(SIGCHLD, SIG_DFL);
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
    if (!strcmp(argv[1], "profiles")) return kt_cmd_profiles(argc - 1, argv + 1);
    if (!strcmp(argv[1], "compile")) return kt_cmd_compile(argc - 1, argv + 1);
    kt_esc_line(stderr, "kiemthu-sandbox: unknown command \"%s\"", argv[1]);
    fprintf(stderr, "Usage: %s\n", synopsis);
    return KT_EXIT_USAGE;
}
