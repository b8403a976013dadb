/* kiemthu-verify - check a bundle offline against keys the auditor pins. */
#include "../core/cli.h"
#include "../core/escape.h"
#include "../core/tsa.h"
#include "../core/layout.h"
#include "../keys/keys.h"
#include "report.h"
#include "selfsandbox.h"
#include "verify.h"

#include <errno.h>
#include <libxml/parser.h>
#include <valgrind/valgrind.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_KEYS 16
#define MAX_TSA_CERTS 8

enum {
    OPT_HELP = 'h',
    OPT_VERSION = 256,
    OPT_MAX_SIZE,
    OPT_SPOOL_MAX,
    OPT_THRESHOLD,
    OPT_TSA_CERT,
    OPT_TRUST,
};

typedef struct verify_ctx {
    const char *bundle;
    const char *keypaths[MAX_KEYS];
    size_t nkeys;
    const char *tsa_certs[MAX_TSA_CERTS];
    size_t ntsa;
    const char *trust;
    unsigned threshold;
    enum kt_format fmt;
    uint64_t max_total;
    uint64_t spool_max;
    const char *policy;
} verify_ctx;

static const kt_option opts[] = {
    {"key", 'k', "PUB", "pinned Ed25519 public key (SPKI PEM); repeatable, at most 16"},
    {"trust", OPT_TRUST, "FILE",
     "keyring: keys with validity windows and revocation, threshold, TSA certificates"},
    {"threshold", OPT_THRESHOLD, "N", "this many distinct trusted keys must have signed (1)"},
    {"tsa-cert", OPT_TSA_CERT, "CERT",
     "pinned TSA certificate or CA (PEM); the time-stamp token must verify (repeatable)"},
    {"format", 'f', "FMT", "output: text (default), json, or markdown"},
    {"policy", 'p', "FILE", "adjudicate under this policy instead of the bundle's own"},
    {"max-size", OPT_MAX_SIZE, "BYTES", "refuse bundles whose members add up to more (64 GiB)"},
    {"spool-max", OPT_SPOOL_MAX, "BYTES",
     "from stdin, keep at most this many bytes of the members a policy reads (1 GiB)"},
    {"help", OPT_HELP, NULL, "show this help"},
    {"version", OPT_VERSION, NULL, "show the version"},
    {NULL, 0, NULL, NULL},
};

static const char synopsis[] =
    "kiemthu-verify BUNDLE (--key PUB | --trust KEYRING)... [--threshold N] [--tsa-cert CERT]...\n"
    "                      [--policy FILE] [--format text|json|markdown]";
static const char about[] =
    "Verify a kiemthu evidence bundle offline: canonical tar form, DSSE/Ed25519 signature by a\n"
    "pinned key, and every evidence member against the signed manifest. BUNDLE may be - (stdin).\n"
    "Exit codes: 0 PASS; 1 authentic but the evidence adjudicates to FAIL; 2 not authentic or\n"
    "not intact (bad signature, untrusted key, tampering, malformed); 3 could not be checked\n"
    "(I/O error, a limit such as --max-size): no finding; 64 usage error.";

static void show_progress(void *arg, uint64_t bytes, uint64_t total)
{
    (void)arg;
    if (!kt_cli_progress_due()) return;
    if (total)
        fprintf(stderr, "\rkiemthu-verify: %llu of %llu MiB checked ",
                (unsigned long long)(bytes >> 20), (unsigned long long)(total >> 20));
    else
        fprintf(stderr, "\rkiemthu-verify: %llu MiB checked ", (unsigned long long)(bytes >> 20));
}

static int usage_error(const char *msg)
{
    kt_esc_line(stderr, "kiemthu-verify: %s", msg);
    fprintf(stderr, "Usage: %s\nTry 'kiemthu-verify --help'.\n", synopsis);
    return KT_EXIT_USAGE;
}

static int parse_args(verify_ctx *ctx, int argc, char **argv)
{
    kt_cli cli;
    kt_cli_init(&cli, opts);
    /* Permute so the bundle may come before or after the options. */
    cli.shortopts[0] = '-';
    int c;
    while ((c = getopt_long(argc, argv, cli.shortopts, cli.longopts, NULL)) != -1) {
        switch (c) {
        case 1:
            if (ctx->bundle) return usage_error("more than one bundle given");
            ctx->bundle = optarg;
            break;
        case 'k':
            if (ctx->nkeys == MAX_KEYS) return usage_error("too many --key options");
            ctx->keypaths[ctx->nkeys++] = optarg;
            break;
        case OPT_TRUST:
            if (ctx->trust) return usage_error("--trust is given once");
            ctx->trust = optarg;
            break;
        case OPT_TSA_CERT:
            if (ctx->ntsa == MAX_TSA_CERTS) return usage_error("too many --tsa-cert options");
            ctx->tsa_certs[ctx->ntsa++] = optarg;
            break;
        case OPT_THRESHOLD: {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v < 1 || v > 64)
                return usage_error("--threshold takes a number from 1 to 64");
            ctx->threshold = (unsigned)v;
            break;
        }
        case 'f':
            if (strcmp(optarg, "text") == 0)
                ctx->fmt = KT_FMT_TEXT;
            else if (strcmp(optarg, "json") == 0)
                ctx->fmt = KT_FMT_JSON;
            else if (strcmp(optarg, "markdown") == 0)
                ctx->fmt = KT_FMT_MARKDOWN;
            else
                return usage_error("--format takes text, json or markdown");
            break;
        case 'p':
            ctx->policy = optarg;
            break;
        case OPT_MAX_SIZE:
        case OPT_SPOOL_MAX: {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (errno || *end || end == optarg || optarg[0] == '-')
                return usage_error(c == OPT_MAX_SIZE ? "--max-size takes a byte count"
                                                     : "--spool-max takes a byte count");
            *(c == OPT_MAX_SIZE ? &ctx->max_total : &ctx->spool_max) = v;
            break;
        }
        case OPT_HELP:
            kt_cli_usage(stdout, synopsis, about, opts);
            exit(0);
        case OPT_VERSION:
            printf("kiemthu-verify %s\n", KT_VERSION);
            exit(0);
        default:
            return KT_EXIT_USAGE;
        }
    }
    if (!ctx->bundle) return usage_error("no bundle given");
    if (ctx->nkeys == 0 && !ctx->trust)
        return usage_error("no --key given. kiemthu-verify trusts only keys you pin: pass the "
                           "signer's public key, e.g. --key ci.pub, or a keyring, --trust FILE "
                           "(a key inside the bundle is never trusted)");
    return 0;
}

/* The trusted keys and TSA certificates, all read before the self-sandbox. */
static int load_trust(const verify_ctx *ctx, kt_trust *t)
{
    kt_err err;
    kt_err_clear(&err);
    for (size_t i = 0; i < ctx->nkeys; i++) {
        if (kt_trust_add_keyfile(t, ctx->keypaths[i], &err) < 0) {
            kt_esc_line(stderr, "kiemthu-verify: cannot use --key %s: %s", ctx->keypaths[i],
                        err.msg);
            return -1;
        }
    }
    if (ctx->trust && kt_trust_load(t, ctx->trust, &err) < 0) {
        kt_esc_line(stderr, "kiemthu-verify: cannot use --trust: %s", err.msg);
        return -1;
    }
    for (size_t i = 0; i < ctx->ntsa; i++) {
        if (kt_trust_add_tsa_file(t, ctx->tsa_certs[i], &err) < 0) {
            kt_esc_line(stderr, "kiemthu-verify: cannot use --tsa-cert %s: %s", ctx->tsa_certs[i],
                        err.msg);
            return -1;
        }
    }
    /* OpenSSL reads its configuration and providers lazily: now, not under the filter */
    if (kt_tsa_preload(&err) < 0) {
        kt_esc_line(stderr, "kiemthu-verify: %s", err.msg);
        return -1;
    }
    unsigned need = ctx->threshold ? ctx->threshold : t->threshold ? t->threshold : 1;
    if (need > t->nkeys) {
        fprintf(stderr, "kiemthu-verify: the threshold is %u, but only %zu keys are trusted\n",
                need, t->nkeys);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    verify_ctx ctx = {.fmt = KT_FMT_TEXT, .max_total = KT_MAX_TOTAL_DEFAULT};
    int rc = parse_args(&ctx, argc, argv);
    if (rc) return rc;
    kt_err err;
    kt_err_clear(&err);
    if (kt_keys_init(&err) < 0) {
        kt_esc_line(stderr, "kiemthu-verify: %s", err.msg);
        return KT_EXIT_USAGE;
    }
    static kt_trust trust; /* 64 keys: not on the stack */
    if (load_trust(&ctx, &trust) < 0) return KT_EXIT_USAGE;
    int fd = strcmp(ctx.bundle, "-") == 0 ? STDIN_FILENO
                                          : open(ctx.bundle, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        kt_esc_line(stderr, "kiemthu-verify: cannot open %s: %s", ctx.bundle, strerror(errno));
        return KT_EXIT_REJECT;
    }
    kt_policy *auditor = NULL;
    if (ctx.policy && kt_policy_load(ctx.policy, &auditor, &err) < 0) {
        kt_esc_line(stderr, "kiemthu-verify: cannot use --policy: %s", err.msg);
        if (fd != STDIN_FILENO) close(fd);
        return KT_EXIT_USAGE;
    }
    kt_verify_opts vo = {.trust = &trust,
                         .threshold = ctx.threshold,
                         .now = (int64_t)time(NULL),
                         .max_total = ctx.max_total,
                         .auditor = auditor,
                         .spool_fd = -1,
                         .spool_max = ctx.spool_max};
    /* A stream cannot be re-read: the members a policy reads are kept in a
     * memfd, which must exist before the self-sandbox forbids making one. */
    struct stat st;
    if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode))
        vo.spool_fd = memfd_create("kiemthu-verify-spool", MFD_CLOEXEC);
    if (isatty(STDERR_FILENO)) vo.progress = show_progress;
        /* Everything is open: from here on, read, write, memory and exit only.
         * Not in ASan builds, whose LeakSanitizer needs ptrace, clone and /proc
         * at exit; the unit test selfsandbox_refuses_open covers the filter. */
#if !defined(__SANITIZE_ADDRESS__)
    xmlInitParser();
    fflush(stdout);
    /* valgrind (3.19) cannot run a process under a seccomp filter */
    if (RUNNING_ON_VALGRIND)
        fprintf(stderr,
                "kiemthu-verify: note: under valgrind, the self-sandbox is not installed\n");
    else if (kt_self_sandbox(&err) < 0) {
        kt_esc_line(stderr, "kiemthu-verify: %s", err.msg);
        return KT_EXIT_REJECT;
    }
#endif
    kt_verify_result res;
    kt_verify_fd(fd, &vo, &res);
    if (vo.progress) fprintf(stderr, "\r\033[K");
    if (fd != STDIN_FILENO) close(fd);
    if (vo.spool_fd >= 0) close(vo.spool_fd);
    kt_report_print(stdout, ctx.fmt, ctx.bundle, &trust, &res);
    rc = kt_report_exit(&res);
    kt_verify_result_free(&res);
    kt_policy_free(auditor);
    kt_trust_free(&trust);
    return rc;
}
