/* kiemthu-verify - check a bundle offline against keys the auditor pins.
 *
 * Every run ends in one of the documented exit codes, and with --format json
 * in exactly one JSON object on stdout, whatever stopped it: a refused command
 * line (64), a bundle that cannot be opened or read or is over a limit
 * (UNCHECKED, 3: no finding), a verdict (0 PASS, 1 FAIL, 2 REJECT,
 * 4 AUTHENTIC without a policy). */
#include "../core/cli.h"
#include "../core/escape.h"
#include "../core/tsa.h"
#include "../core/layout.h"
#include "../core/tarread.h"
#include "../keys/keys.h"
#include "extract.h"
#include "htmldata.h"
#include "report.h"
#include "hashpool.h"
#include "selfsandbox.h"
#include "verify.h"

#include <errno.h>
#include <libxml/parser.h>
#include <valgrind/valgrind.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/mman.h>
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
    OPT_LIST,
    OPT_EXTRACT,
};

typedef struct verify_ctx {
    const char *bundle;
    const char *keypaths[MAX_KEYS];
    size_t nkeys;
    const char *tsa_certs[MAX_TSA_CERTS];
    size_t ntsa;
    const char *trust; /* --trust KEYRING */
    unsigned threshold;
    kt_trust *pinned; /* the keys and TSA certificates loaded from the above */
    enum kt_format fmt;
    uint64_t max_total;
    uint64_t spool_max;
    const char *policy;
    int list;            /* --list */
    const char *extract; /* --extract DIR */
    int help, version;
    char usage[1024]; /* why the command line was refused */
} verify_ctx;

static const kt_option opts[] = {
    {"key", 'k', "PUB", "pinned Ed25519 public key (SPKI PEM); repeatable, at most 16"},
    {"trust", OPT_TRUST, "FILE",
     "keyring: keys with validity windows and revocation, threshold, TSA certificates"},
    {"threshold", OPT_THRESHOLD, "N", "this many distinct trusted keys must have signed (1)"},
    {"tsa-cert", OPT_TSA_CERT, "CERT",
     "pinned TSA certificate or CA (PEM); the time-stamp token must verify (repeatable)"},
    {"format", 'f', "FMT", "output: text (default), json, markdown, or html (one page)"},
    {"policy", 'p', "FILE", "adjudicate under this policy instead of the bundle's own"},
    {"max-size", OPT_MAX_SIZE, "BYTES", "refuse bundles whose members add up to more (64 GiB)"},
    {"spool-max", OPT_SPOOL_MAX, "BYTES",
     "from stdin, keep at most this many bytes of the members a policy reads (1 GiB)"},
    {"list", OPT_LIST, NULL, "also list every member: sha256, size, name (as verified)"},
    {"extract", OPT_EXTRACT, "DIR",
     "write the members into DIR (new or empty), only once the whole bundle verified"},
    {"help", OPT_HELP, NULL, "show this help"},
    {"version", OPT_VERSION, NULL, "show the version"},
    {NULL, 0, NULL, NULL},
};

static const char synopsis[] =
    "kiemthu-verify BUNDLE (--key PUB | --trust KEYRING)... [--threshold N] [--tsa-cert CERT]...\n"
    "                      [--policy FILE] [--list] [--extract DIR]\n"
    "                      [--format text|json|markdown|html]";
static const char about[] =
    "Verify a kiemthu evidence bundle offline: canonical tar form, DSSE/Ed25519 signature by\n"
    "a pinned key, every evidence member against the signed manifest, and the evidence\n"
    "re-adjudicated under the policy. BUNDLE may be - (stdin).\n"
    "Exit codes: 0 PASS; 1 authentic but the evidence adjudicates to FAIL; 2 REJECT: not\n"
    "authentic or not intact (bad signature, untrusted key, tampering, malformed);\n"
    "3 UNCHECKED: could not be checked (I/O error, a limit such as --max-size): no finding;\n"
    "4 AUTHENTIC: authentic and intact, but no policy adjudicated the evidence (not a PASS);\n"
    "64 usage error; with --extract, a bundle that verified but could not be written: 73 (DIR\n"
    "not empty, a name that cannot be a file here, no Landlock), 74 (a write failed).\n"
    "With --format json, every run prints exactly one JSON object.";

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

static int refuse(verify_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(verify_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->usage, sizeof ctx->usage, fmt, ap);
    va_end(ap);
    return KT_EXIT_USAGE;
}

static int parse_format(const char *s, enum kt_format *out)
{
    if (strcmp(s, "text") == 0)
        *out = KT_FMT_TEXT;
    else if (strcmp(s, "json") == 0)
        *out = KT_FMT_JSON;
    else if (strcmp(s, "markdown") == 0)
        *out = KT_FMT_MARKDOWN;
    else if (strcmp(s, "html") == 0)
        *out = KT_FMT_HTML;
    else
        return -1;
    return 0;
}

/* Permute (the bundle may come before or after the options, returned as 1),
 * report a missing argument as ':' and print nothing: errors are ours. */
static void cli_tables(kt_cli *cli)
{
    kt_cli_init(cli, opts);
    size_t n = strlen(cli->shortopts);
    memmove(cli->shortopts + 2, cli->shortopts + 1, n);
    cli->shortopts[0] = '-';
    cli->shortopts[1] = ':';
    opterr = 0;
}

/* The output format, found before anything else is parsed: a command line
 * refused before its -f json is reached still gets a JSON answer. */
static enum kt_format scan_format(int argc, char **argv)
{
    kt_cli cli;
    cli_tables(&cli);
    enum kt_format fmt = KT_FMT_TEXT;
    int c;
    while ((c = getopt_long(argc, argv, cli.shortopts, cli.longopts, NULL)) != -1)
        if (c == 'f') parse_format(optarg, &fmt);
    optind = 0; /* glibc: a full re-initialisation for the real parse */
    return fmt;
}

static int parse_size(verify_ctx *ctx, int c, const char *arg)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (errno || *end || end == arg || arg[0] == '-')
        return refuse(ctx, "--%s takes a byte count, not \"%s\"",
                      c == OPT_MAX_SIZE ? "max-size" : "spool-max", arg);
    *(c == OPT_MAX_SIZE ? &ctx->max_total : &ctx->spool_max) = v;
    return 0;
}

/* getopt printed nothing (opterr = 0): say what was wrong, naming the option
 * from the table (argv[optind - 1] is not always it: "-k" at the end). */
static int bad_option(verify_ctx *ctx, int c, char **argv)
{
    const kt_option *o = opts;
    while (o->name && o->val != optopt) o++;
    if (c == ':') return refuse(ctx, "option --%s needs an argument", o->name ? o->name : "?");
    if (o->name) return refuse(ctx, "option --%s takes no argument", o->name);
    if (optopt) return refuse(ctx, "unknown option -%c", optopt);
    return refuse(ctx, "unknown option %s", argv[optind - 1]);
}

static int parse_args(verify_ctx *ctx, int argc, char **argv)
{
    kt_cli cli;
    cli_tables(&cli);
    int c;
    while ((c = getopt_long(argc, argv, cli.shortopts, cli.longopts, NULL)) != -1) {
        switch (c) {
        case 1:
            if (ctx->bundle) return refuse(ctx, "more than one bundle given (\"%s\")", optarg);
            ctx->bundle = optarg;
            break;
        case 'k':
            if (ctx->nkeys == MAX_KEYS) return refuse(ctx, "more than %d --key options", MAX_KEYS);
            ctx->keypaths[ctx->nkeys++] = optarg;
            break;
        case OPT_TRUST:
            if (ctx->trust) return refuse(ctx, "--trust is given once");
            ctx->trust = optarg;
            break;
        case OPT_TSA_CERT:
            if (ctx->ntsa == MAX_TSA_CERTS)
                return refuse(ctx, "more than %d --tsa-cert options", MAX_TSA_CERTS);
            ctx->tsa_certs[ctx->ntsa++] = optarg;
            break;
        case OPT_THRESHOLD: {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v < 1 || v > 64)
                return refuse(ctx, "--threshold takes a number from 1 to 64, not \"%s\"", optarg);
            ctx->threshold = (unsigned)v;
            break;
        }
        case 'f':
            if (parse_format(optarg, &ctx->fmt) < 0)
                return refuse(ctx, "--format takes text, json, markdown or html, not \"%s\"",
                              optarg);
            break;
        case 'p':
            ctx->policy = optarg;
            break;
        case OPT_MAX_SIZE:
        case OPT_SPOOL_MAX:
            if (parse_size(ctx, c, optarg)) return KT_EXIT_USAGE;
            break;
        case OPT_LIST:
            ctx->list = 1;
            break;
        case OPT_EXTRACT:
            if (ctx->extract) return refuse(ctx, "more than one --extract given");
            ctx->extract = optarg;
            break;
        case OPT_HELP:
            ctx->help = 1;
            return 0;
        case OPT_VERSION:
            ctx->version = 1;
            return 0;
        default:
            return bad_option(ctx, c, argv);
        }
    }
    if (!ctx->bundle) return refuse(ctx, "no bundle given");
    if (ctx->nkeys == 0 && !ctx->trust)
        return refuse(ctx, "no --key given. kiemthu-verify trusts only keys you pin: pass the "
                           "signer's public key, e.g. --key ci.pub, or a keyring, --trust FILE "
                           "(a key inside the bundle is never trusted)");
    return 0;
}

/* The report went to stdout, or the run says it could not report. */
static int flushed(int rc)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "kiemthu-verify: cannot write the report to standard output: %s\n",
                strerror(errno));
        return KT_EXIT_UNCHECKED;
    }
    return rc;
}

static int finish_usage(const verify_ctx *ctx)
{
    if (ctx->fmt == KT_FMT_JSON) {
        kt_report_no_verdict_json(stdout, ctx->bundle, KT_EXIT_USAGE, "usage", ctx->usage, NULL);
    } else {
        kt_esc_line(stderr, "kiemthu-verify: %s", ctx->usage);
        fprintf(stderr, "Usage: %s\nTry 'kiemthu-verify --help'.\n", synopsis);
    }
    return flushed(KT_EXIT_USAGE);
}

static int finish_info(const verify_ctx *ctx)
{
    if (ctx->fmt != KT_FMT_JSON) {
        if (ctx->help)
            kt_cli_usage(stdout, synopsis, about, opts);
        else
            printf("kiemthu-verify %s\n", KT_VERSION);
        return flushed(0);
    }
    char *text = NULL;
    size_t len = 0;
    FILE *m = ctx->help ? open_memstream(&text, &len) : NULL;
    if (m) {
        kt_cli_usage(m, synopsis, about, opts);
        fclose(m);
    }
    int rc = kt_report_no_verdict_json(stdout, NULL, 0, NULL, NULL, text);
    free(text);
    return flushed(rc < 0 ? KT_EXIT_UNCHECKED : 0);
}

static int finish_in(const verify_ctx *ctx, const kt_report_in *in)
{
    int rc = kt_report_print(stdout, ctx->fmt, in);
    return flushed(rc < 0 ? KT_EXIT_UNCHECKED : kt_report_exit(in));
}

static int finish(const verify_ctx *ctx, const kt_verify_result *res)
{
    kt_report_in in = {.bundle = ctx->bundle, .trust = ctx->pinned, .res = res};
    return finish_in(ctx, &in);
}

/* --extract DIR refused before the bundle was read (DIR not empty, no
 * Landlock): no verdict, exit 73. */
static int finish_cantcreat(const verify_ctx *ctx, const kt_err *err)
{
    if (ctx->fmt == KT_FMT_JSON)
        kt_report_no_verdict_json(stdout, ctx->bundle, KT_EXIT_CANTCREAT,
                                  kt_errclass_name(err->cls), err->msg, NULL);
    else
        kt_esc_line(stderr, "kiemthu-verify: %s", err->msg);
    return flushed(KT_EXIT_CANTCREAT);
}

/* A run stopped before the bundle was read: no finding about it. */
static int unchecked(const verify_ctx *ctx, kt_verify_result *res)
{
    res->verdict = KT_VERDICT_UNCHECKED;
    return finish(ctx, res);
}

/* The trusted keys, TSA certificates and the auditor's policy, all read
 * before the self-sandbox. */
static int load_inputs(verify_ctx *ctx, kt_policy **auditor, kt_err *err)
{
    kt_trust *t = ctx->pinned;
    for (size_t i = 0; i < ctx->nkeys; i++)
        if (kt_trust_add_keyfile(t, ctx->keypaths[i], err) < 0)
            return refuse(ctx, "cannot use --key %s: %s", ctx->keypaths[i], err->msg);
    if (ctx->trust && kt_trust_load(t, ctx->trust, err) < 0)
        return refuse(ctx, "cannot use --trust: %s", err->msg);
    for (size_t i = 0; i < ctx->ntsa; i++)
        if (kt_trust_add_tsa_file(t, ctx->tsa_certs[i], err) < 0)
            return refuse(ctx, "cannot use --tsa-cert %s: %s", ctx->tsa_certs[i], err->msg);
    unsigned need = ctx->threshold ? ctx->threshold : t->threshold ? t->threshold : 1;
    if (need > t->nkeys)
        return refuse(ctx, "the threshold is %u, but only %zu keys are trusted", need, t->nkeys);
    if (ctx->policy && kt_policy_load(ctx->policy, auditor, err) < 0)
        return refuse(ctx, "cannot use --policy: %s", err->msg);
    return 0;
}

/* Everything is open: from here on, read, write, memory and exit only
 * (and, with --extract, making files beneath DIR). Not in ASan builds, whose
 * LeakSanitizer needs ptrace, clone and /proc at exit (the unit test
 * selfsandbox_refuses_open covers the filter), nor under valgrind (3.19),
 * which cannot run a process under a seccomp filter. */
static int confining(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return 0;
#else
    return !RUNNING_ON_VALGRIND;
#endif
}

static int confine(int dirfd, kt_err *err)
{
    xmlInitParser();
    fflush(stdout);
    if (!confining()) {
#if !defined(__SANITIZE_ADDRESS__)
        fprintf(stderr,
                "kiemthu-verify: note: under valgrind, the self-sandbox is not installed\n");
#endif
        return 0;
    }
    return dirfd >= 0 ? kt_self_sandbox_beneath(dirfd, err) : kt_self_sandbox(err);
}

/* --extract: DIR is opened before the self-sandbox; a kernel without
 * Landlock is refused first, so that not even DIR is made. */
static int open_extract(const verify_ctx *ctx, kt_extract **x, kt_err *err)
{
    if (confining() && kt_landlock_abi() < 1)
        return kt_fail(err, KT_E_CANTCREAT,
                       "--extract confines its writes to DIR with Landlock (Linux 5.13 or later, "
                       "with landlock among the enabled LSMs), and this kernel has none; nothing "
                       "was written. Verify without --extract, or see the members with --list");
    return kt_extract_open(ctx->extract, x, err);
}

/* --format html: read the run records, probe reports, venue and policy
 * while the verified evidence is still open. */
typedef struct html_ctx {
    kt_html_data data;
    const kt_policy *auditor;
    int ok;
} html_ctx;

static void html_inspect(void *arg, kt_evidence *ev, const kt_verify_result *res)
{
    html_ctx *h = arg;
    size_t n = 0;
    const char *p = h->auditor ? kt_policy_bytes(h->auditor, &n) : NULL;
    h->ok = kt_html_gather(&h->data, ev, res, p, n) == 0;
}

/* After the verdict: the staged members go into place only for a bundle
 * that verified (authentic and intact), else they are removed. */
static void settle_extract(kt_extract *x, kt_report_in *in)
{
    const kt_verify_result *res = in->res;
    int auth = res->verdict == KT_VERDICT_PASS || res->verdict == KT_VERDICT_FAIL ||
               res->verdict == KT_VERDICT_AUTHENTIC;
    if (auth && kt_extract_commit(x, &in->extract_err) == 0) {
        in->extracted = 1;
        in->extracted_files = kt_extract_files(x);
        return;
    }
    kt_extract_discard(x);
}

int main(int argc, char **argv)
{
    static kt_trust trust; /* 64 keys: not on the stack */
    verify_ctx ctx = {.max_total = KT_MAX_TOTAL_DEFAULT, .pinned = &trust};
    ctx.fmt = scan_format(argc, argv);
    kt_verify_result res;
    memset(&res, 0, sizeof res);
    kt_err *err = &res.err;
    if (parse_args(&ctx, argc, argv)) return finish_usage(&ctx);
    if (ctx.help || ctx.version) return finish_info(&ctx);
    if (kt_keys_init(err) < 0) return unchecked(&ctx, &res);
    kt_policy *auditor = NULL;
    if (load_inputs(&ctx, &auditor, err)) return finish_usage(&ctx);
    /* OpenSSL reads its configuration and providers lazily: now, not under the filter */
    if (kt_tsa_preload(err) < 0) return unchecked(&ctx, &res);
    kt_extract *x = NULL;
    if (ctx.extract && open_extract(&ctx, &x, err) < 0) {
        kt_policy_free(auditor);
        return finish_cantcreat(&ctx, err);
    }
    int fd = strcmp(ctx.bundle, "-") == 0 ? STDIN_FILENO
                                          : open(ctx.bundle, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        kt_fail_errno(err, KT_E_IO, errno, "cannot open %s", ctx.bundle);
        kt_policy_free(auditor);
        kt_extract_close(x);
        return unchecked(&ctx, &res);
    }
    kt_verify_opts vo = {.trust = &trust,
                         .threshold = ctx.threshold,
                         .now = (int64_t)time(NULL),
                         .max_total = ctx.max_total,
                         .auditor = auditor,
                         .spool_fd = -1,
                         .spool_max = ctx.spool_max,
                         .cpus = kt_hash_cpus()}; /* asked before the self-sandbox refuses it */
    /* A stream cannot be re-read: the members a policy reads are kept in a
     * memfd, which must exist before the self-sandbox forbids making one.
     * Stdin from a file read partly already is such a stream (tarread.h). */
    if (!kt_tarr_is_file(fd, NULL)) vo.spool_fd = memfd_create("kiemthu-verify-spool", MFD_CLOEXEC);
    if (isatty(STDERR_FILENO)) vo.progress = show_progress;
    kt_member_observer watch = {kt_extract_begin, kt_extract_data, kt_extract_end, x};
    if (x) vo.observe = &watch;
    html_ctx html = {.auditor = auditor};
    if (ctx.fmt == KT_FMT_HTML) {
        vo.keep = kt_html_wants;
        vo.inspect = html_inspect;
        vo.inspect_arg = &html;
    }
    int rc;
    if (confine(x ? kt_extract_dirfd(x) : -1, err) < 0) {
        rc = err->cls == KT_E_CANTCREAT ? finish_cantcreat(&ctx, err) : unchecked(&ctx, &res);
    } else {
        kt_verify_fd(fd, &vo, &res);
        if (vo.progress) fprintf(stderr, "\r\033[K");
        kt_report_in in = {.bundle = ctx.bundle,
                           .trust = &trust,
                           .res = &res,
                           .list = ctx.list,
                           .extract = ctx.extract,
                           .html = html.ok ? &html.data : NULL};
        if (x) settle_extract(x, &in);
        rc = finish_in(&ctx, &in);
    }
    kt_extract_close(x);
    kt_html_data_free(&html.data);
    if (fd != STDIN_FILENO) close(fd);
    if (vo.spool_fd >= 0) close(vo.spool_fd);
    kt_verify_result_free(&res);
    kt_policy_free(auditor);
    kt_trust_free(&trust);
    return rc;
}
