/* kiemthu-bundle - make signing keys and signed evidence bundles. */
#include "../core/cli.h"
#include "../core/escape.h"
#include "../core/exitcode.h"
#include "../core/layout.h"
#include "../keys/keys.h"
#include "cmd_policy.h"
#include "cmd_timestamp.h"
#include "cmd_venue.h"
#include "create.h"
#include "sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { OPT_HELP = 'h', OPT_VERSION = 256 };

typedef struct bundle_ctx {
    const char *evidence;
    const char *out;
    const char *keys[KT_MAX_SIGNERS];
    size_t nkeys;
    const char *policy;
    const char *tsa;
    int quiet;
} bundle_ctx;

static const kt_option keygen_opts[] = {
    {"output", 'o', "PREFIX", "write PREFIX.key (0600) and PREFIX.pub; never overwrites"},
    {"help", OPT_HELP, NULL, "show this help"},
    {NULL, 0, NULL, NULL},
};

static const kt_option keyid_opts[] = {
    {"help", OPT_HELP, NULL, "show this help"},
    {NULL, 0, NULL, NULL},
};

static const kt_option create_opts[] = {
    {"evidence", 'e', "DIR", "evidence folder to bundle (regular files only)"},
    {"key", 'k', "KEY",
     "Ed25519 secret key (PKCS#8 PEM, mode 0600); repeat for several signatures (at most 16); "
     "default: $" KT_KEY_ENV},
    {"output", 'o', "FILE", "bundle to write (replaced atomically)"},
    {"policy", 'p', "FILE",
     "adjudication policy, bundled as evidence/policy.json (default: the "
     "evidence's own policy.json, if any)"},
    {"tsa", 't', "URL",
     "add an RFC 3161 time-stamp token over the envelope from this TSA (http:// or https://)"},
    {"quiet", 'q', NULL, "print nothing on success"},
    {"help", OPT_HELP, NULL, "show this help"},
    {NULL, 0, NULL, NULL},
};

static void usage(FILE *f)
{
    fprintf(
        f,
        "Usage: kiemthu-bundle keygen -o PREFIX\n"
        "       kiemthu-bundle create --evidence DIR [--key KEY]... [--policy FILE] [--tsa URL]\n"
        "                             -o bundle.tar\n"
        "       kiemthu-bundle timestamp BUNDLE --tsa URL -o OUT\n"
        "       kiemthu-bundle check-policy --policy FILE [--evidence DIR]\n"
        "       kiemthu-bundle keyid KEY\n"
        "       kiemthu-bundle venue -o FILE [--set KEY=VALUE]...\n"
        "       kiemthu-bundle --help | --version\n\n"
        "Run 'kiemthu-bundle COMMAND --help' for the options of a command.\n"
        "Environment: SOURCE_DATE_EPOCH (member mtime and manifest time; default 0),\n"
        "             " KT_KEY_ENV " (secret key PEM text when --key is not given).\n"
        "Exit codes: 0 ok, 1 bundle written but the policy verdict is FAIL, 64 usage,\n"
        "            65 malformed input (including a malformed policy), 66 missing input,\n"
        "            70 internal error, 73 cannot create output, 74 I/O error.\n");
}

/* Progress on stderr, only for a person watching a terminal, at most 4 times a second. */
static void show_progress(void *arg, uint64_t bytes, size_t files)
{
    (void)arg;
    if (!kt_cli_progress_due()) return;
    fprintf(stderr, "\rkiemthu-bundle: %zu files, %llu MiB hashed and written ", files,
            (unsigned long long)(bytes >> 20));
}

static int fail(const char *cmd, const kt_err *err)
{
    kt_esc_line(stderr, "kiemthu-bundle %s: error: %s", cmd, err->msg);
    return kt_exit_code(err->cls);
}

static int cmd_keygen(int argc, char **argv)
{
    kt_cli cli;
    kt_cli_init(&cli, keygen_opts);
    const char *prefix = NULL;
    int c;
    while ((c = getopt_long(argc, argv, cli.shortopts, cli.longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            prefix = optarg;
            break;
        case OPT_HELP:
            kt_cli_usage(stdout, "kiemthu-bundle keygen -o PREFIX",
                         "Generate an Ed25519 key pair (openssl-compatible PEM).", keygen_opts);
            return 0;
        default:
            return KT_EXIT_USAGE;
        }
    }
    if (!prefix || optind != argc) {
        fprintf(stderr, "kiemthu-bundle keygen: usage: kiemthu-bundle keygen -o PREFIX\n");
        return KT_EXIT_USAGE;
    }
    kt_err err;
    kt_err_clear(&err);
    kt_pubkey pub;
    if (kt_keys_init(&err) < 0 || kt_keygen_write(prefix, &pub, &err) < 0)
        return fail("keygen", &err);
    kt_esc_line(stdout, "wrote %s.key (secret, mode 0600) and %s.pub", prefix, prefix);
    printf("key id: %s\n", pub.keyid);
    return 0;
}

/* The key id of a public or secret key: for a secret key, the id and
 * nothing else is printed (errors name the file, never its content). */
static int cmd_keyid(int argc, char **argv)
{
    static const char syn[] = "kiemthu-bundle keyid KEY";
    kt_cli cli;
    kt_cli_init(&cli, keyid_opts);
    int c;
    while ((c = getopt_long(argc, argv, cli.shortopts, cli.longopts, NULL)) != -1) {
        if (c != OPT_HELP) return KT_EXIT_USAGE;
        kt_cli_usage(
            stdout, syn,
            "Print the key id of an Ed25519 key, public (SPKI PEM) or secret (PKCS#8 PEM,\n"
            "mode 0600): the lowercase hex SHA-256 of the public key's SPKI DER, as the\n"
            "bundle's envelope names it and kiemthu-verify prints it. For a secret key\n"
            "only the id is printed.",
            keyid_opts);
        return 0;
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "kiemthu-bundle keyid: usage: %s\n", syn);
        return KT_EXIT_USAGE;
    }
    kt_err err;
    kt_err_clear(&err);
    char id[KT_KEYID_HEX];
    int secret;
    if (kt_keys_init(&err) < 0 || kt_key_id_load(argv[optind], id, &secret, &err) < 0)
        return fail("keyid", &err);
    printf("%s\n", id);
    return 0;
}

/* create's options into ctx: 0, or the exit status (0 after --help, with
 * *done set). */
static int parse_create(bundle_ctx *ctx, int argc, char **argv, int *done)
{
    kt_cli cli;
    kt_cli_init(&cli, create_opts);
    int c;
    while ((c = getopt_long(argc, argv, cli.shortopts, cli.longopts, NULL)) != -1) {
        switch (c) {
        case 'e':
            ctx->evidence = optarg;
            break;
        case 'k':
            if (ctx->nkeys == KT_MAX_SIGNERS) {
                fprintf(stderr, "kiemthu-bundle create: at most %d --key\n", KT_MAX_SIGNERS);
                return KT_EXIT_USAGE;
            }
            ctx->keys[ctx->nkeys++] = optarg;
            break;
        case 't':
            ctx->tsa = optarg;
            break;
        case 'o':
            ctx->out = optarg;
            break;
        case 'p':
            ctx->policy = optarg;
            break;
        case 'q':
            ctx->quiet = 1;
            break;
        case OPT_HELP:
            kt_cli_usage(
                stdout,
                "kiemthu-bundle create --evidence DIR [--key KEY]... [--policy FILE] [--tsa URL] "
                "-o FILE",
                "Pack an evidence folder into a signed, byte-reproducible bundle.", create_opts);
            *done = 1;
            return 0;
        default:
            return KT_EXIT_USAGE;
        }
    }
    if (!ctx->evidence || !ctx->out || optind != argc) {
        fprintf(stderr, "kiemthu-bundle create: usage: kiemthu-bundle create --evidence DIR "
                        "[--key KEY] [--policy FILE] -o FILE\n");
        return KT_EXIT_USAGE;
    }
    return 0;
}

/* Every --key, or the one in $KT_KEY_ENV; on failure none is left loaded. */
static int load_keys(const bundle_ctx *ctx, kt_seckey **keys, size_t nkeys, kt_err *err)
{
    if (kt_keys_init(err) < 0) return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < nkeys; i++)
        rc = ctx->nkeys ? kt_seckey_load(ctx->keys[i], &keys[i], err)
                        : kt_seckey_load_env(&keys[i], err);
    if (rc == 0) return 0;
    if (!ctx->nkeys && err->cls == KT_E_NOINPUT)
        snprintf(err->msg, sizeof err->msg, "no signing key: pass --key KEY or set %s", KT_KEY_ENV);
    for (size_t i = 0; i < nkeys; i++) kt_seckey_free(keys[i]), keys[i] = NULL;
    return -1;
}

/* What was written and, with a policy, the verdict; returns the exit status. */
static int print_created(const bundle_ctx *ctx, const kt_create_result *res, size_t nkeys)
{
    if (!ctx->quiet) {
        /* names, the policy and check reasons may carry outside bytes */
        kt_esc_line(stdout, "wrote %s: %zu evidence files, %llu bytes, signed by key %s", ctx->out,
                    res->evidence_members, (unsigned long long)res->bundle_bytes, res->keyids[0]);
        for (size_t i = 1; i < nkeys; i++) printf("  and by key %s\n", res->keyids[i]);
        if (res->timestamped) kt_esc_line(stdout, "  time-stamped by %s", ctx->tsa);
        if (res->adjudicated) {
            kt_esc_line(stdout, "policy %s (sha256 %s):", res->policy_name, res->policy_sha256);
            for (size_t i = 0; i < res->adj.n; i++)
                kt_esc_line(stdout, "  %-5s %-28s %s", kt_result_name(res->adj.checks[i].result),
                            res->adj.checks[i].id, res->adj.checks[i].reason);
        }
    }
    if (!res->adjudicated) return 0;
    size_t passed = 0;
    for (size_t i = 0; i < res->adj.n; i++) passed += res->adj.checks[i].result == KT_RESULT_PASS;
    fprintf(res->adj.pass ? stdout : stderr, "verdict: %s (%zu/%zu checks pass)%s\n",
            res->adj.pass ? "PASS" : "FAIL", passed, res->adj.n,
            res->adj.pass ? "" : "; the signed bundle records the failure");
    return res->adj.pass ? 0 : KT_EXIT_FAIL;
}

static int cmd_create(int argc, char **argv)
{
    bundle_ctx ctx = {0};
    int done = 0, rc = parse_create(&ctx, argc, argv, &done);
    if (rc || done) return rc;
    kt_err err;
    kt_err_clear(&err);
    kt_create_opts o = {
        .evidence_dir = ctx.evidence, .out_path = ctx.out, .policy_path = ctx.policy};
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (kt_parse_source_date_epoch(sde, &o.source_date_epoch, &err) < 0)
        return fail("create", &err);
    kt_seckey *keys[KT_MAX_SIGNERS] = {NULL};
    size_t nkeys = ctx.nkeys ? ctx.nkeys : 1;
    if (load_keys(&ctx, keys, nkeys, &err) < 0) return fail("create", &err);
    o.keys = (const kt_seckey *const *)keys;
    o.nkeys = nkeys;
    o.tsa_url = ctx.tsa;
    if (isatty(STDERR_FILENO)) o.progress = show_progress;
    kt_create_result res;
    rc = kt_bundle_create(&o, &res, &err);
    for (size_t i = 0; i < nkeys; i++) kt_seckey_free(keys[i]);
    if (o.progress) fprintf(stderr, "\r\033[K");
    if (rc < 0) {
        kt_create_result_free(&res);
        return fail("create", &err);
    }
    /* Reproducible by default, but an auditor would then read 1970 as the time. */
    if ((!sde || !*sde) && !ctx.quiet)
        fprintf(stderr,
                "kiemthu-bundle create: note: SOURCE_DATE_EPOCH is not set, so the bundle's "
                "time is 1970-01-01T00:00:00Z; set it, e.g. to the commit's time: "
                "SOURCE_DATE_EPOCH=$(git log -1 --format=%%ct)\n");
    rc = print_created(&ctx, &res, nkeys);
    kt_create_result_free(&res);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return KT_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("kiemthu-bundle %s\n", KT_VERSION);
        return 0;
    }
    if (strcmp(cmd, "keygen") == 0) return cmd_keygen(argc - 1, argv + 1);
    if (strcmp(cmd, "create") == 0) return cmd_create(argc - 1, argv + 1);
    if (strcmp(cmd, "timestamp") == 0) return kt_cmd_timestamp(argc - 1, argv + 1);
    if (strcmp(cmd, "check-policy") == 0) return kt_cmd_check_policy(argc - 1, argv + 1);
    if (strcmp(cmd, "keyid") == 0) return cmd_keyid(argc - 1, argv + 1);
    if (strcmp(cmd, "venue") == 0) return kt_cmd_venue(argc - 1, argv + 1);
    kt_esc_line(stderr, "kiemthu-bundle: unknown command \"%s\"", cmd);
    usage(stderr);
    return KT_EXIT_USAGE;
}
