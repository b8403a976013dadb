/* kiemthu-probe - attest the sandbox from inside. Prints one JSON report:
 * {"probes": [{"id", "expect", "observed", "pass"}...], "passed": N, "total": M}
 * and writes it to /out/probe.json when /out is writable. Exit 0 only if every
 * probe passes. Expectations default to the seed's docker flags. */
#include "../../core/cli.h"
#include "../../core/layout.h"
#include "../contract.h"
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_PROFILE KT_SB_PROFILE_VIEW
#define DEFAULT_BASELINE KT_SB_BASELINE_VIEW

enum {
    OPT_HELP = 'h',
    OPT_VERSION = 256,
    OPT_UID,
    OPT_GID,
    OPT_PIDS,
    OPT_MEMORY,
    OPT_SWAP,
    OPT_CPUS,
    OPT_TMP,
    OPT_ALLOW,
    OPT_OUTPUT,
    OPT_EXEC_DENIED,
    OPT_NO_PROFILE,
    OPT_BASELINE,
    OPT_NO_BASELINE,
    OPT_RUNNER,
};

static const kt_option opts[] = {
    {"profile", 'p', "FILE",
     "seccomp profile to check the kernel's filter against (default " DEFAULT_PROFILE ")"},
    {"no-profile", OPT_NO_PROFILE, NULL, "do not check the filter against a profile"},
    {"baseline", OPT_BASELINE, "FILE",
     "the baseline filter installed with the profile (default " DEFAULT_BASELINE ")"},
    {"no-baseline", OPT_NO_BASELINE, NULL,
     "do not check the filter against a baseline (the escape probes still run)"},
    {"uid", OPT_UID, "N", "expected uid (65532)"},
    {"gid", OPT_GID, "N", "expected gid (65532)"},
    {"pids", OPT_PIDS, "N", "expected pids limit, at most (64)"},
    {"memory", OPT_MEMORY, "BYTES", "expected memory limit, at most (268435456)"},
    {"memory-swap", OPT_SWAP, "BYTES", "expected memory+swap limit, at most (= --memory)"},
    {"cpus", OPT_CPUS, "MILLICPUS", "expected CPU limit in millicpus, at most (1000)"},
    {"tmp-size", OPT_TMP, "BYTES", "expected /tmp size, at most (16777216)"},
    {"allow-mount", OPT_ALLOW, "PATH",
     "another expected mount point (e.g. where the probe is bound)"},
    {"exec-denied", OPT_EXEC_DENIED, NULL,
     "also attest that execve fails once running (--exec-once)"},
    {"output", 'o', "FILE", "also write the report here (default /out/probe.json; - for none)"},
    {"runner", OPT_RUNNER, "NAME",
     "kiemthu (default) or container: allow what a docker/podman runtime adds (/etc/hosts, "
     "/run/.containerenv, read-only /sys, container/HOSTNAME/HOME/TERM)"},
    {"help", OPT_HELP, NULL, "show this help"},
    {"version", OPT_VERSION, NULL, "show the version"},
    {NULL, 0, NULL, NULL},
};

void probe_add(probe_ctx *c, const char *id, const char *expect, int pass, const char *fmt, ...)
{
    if (c->n == PROBE_MAX) return;
    probe_result *r = &c->r[c->n++];
    snprintf(r->id, sizeof r->id, "%s", id);
    snprintf(r->expect, sizeof r->expect, "%s", expect);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->observed, sizeof r->observed, fmt, ap);
    va_end(ap);
    r->pass = pass;
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

/* Canonical JSON (keys sorted, no spaces), like every kiemthu record. */
static void report(FILE *f, const probe_ctx *c)
{
    size_t passed = 0;
    fputs("{\"passed\":", f);
    for (size_t i = 0; i < c->n; i++) passed += c->r[i].pass;
    fprintf(f, "%zu,\"probes\":[", passed);
    for (size_t i = 0; i < c->n; i++) {
        fputs(i ? ",{\"expect\":" : "{\"expect\":", f);
        json_str(f, c->r[i].expect);
        fputs(",\"id\":", f);
        json_str(f, c->r[i].id);
        fputs(",\"observed\":", f);
        json_str(f, c->r[i].observed);
        fprintf(f, ",\"pass\":%s}", c->r[i].pass ? "true" : "false");
    }
    fprintf(f, "],\"total\":%zu}\n", c->n);
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-') return -1;
    *out = v;
    return 0;
}

/* Every probe in turn; the report on stdout and in output ("-": stdout only).
 * Exit 0 only if every probe passed. */
static int run(const probe_cfg *cfg, const char *output)
{
    static probe_ctx c;
    c.cfg = cfg;
    probe_filters_load(&c);
    probes_identity(&c);
    probes_filesystem(&c);
    probes_network(&c);
    probes_process(&c);
    probes_limits(&c);
    probes_seccomp(&c);
    probes_escape(&c);
    probe_filters_free(&c);
    if (cfg->container) {
        probes_fold_runner_specific(&c);
        probes_container(&c);
    }
    report(stdout, &c);
    fflush(stdout);
    if (strcmp(output, "-")) {
        FILE *f = fopen(output, "we");
        if (f) {
            report(f, &c);
            fclose(f);
        }
    }
    for (size_t i = 0; i < c.n; i++)
        if (!c.r[i].pass) return 1;
    return 0;
}

int main(int argc, char **argv)
{
    probe_cfg cfg = {.uid = KT_SB_UID,
                     .gid = KT_SB_GID,
                     .pids = KT_SB_PIDS,
                     .memory = KT_SB_MEMORY,
                     .swap = 0,
                     .millicpus = KT_SB_MILLICPUS,
                     .tmp_size = KT_SB_TMP_SIZE,
                     .profile_path = DEFAULT_PROFILE,
                     .baseline_path = DEFAULT_BASELINE};
    const char *output = "/out/probe.json";
    kt_cli cli;
    kt_cli_init(&cli, opts);
    int ch;
    while ((ch = getopt_long(argc, argv, cli.shortopts, cli.longopts, NULL)) != -1) {
        uint64_t v = 0;
        int numeric = ch == OPT_UID || ch == OPT_GID || ch == OPT_PIDS || ch == OPT_MEMORY ||
                      ch == OPT_SWAP || ch == OPT_CPUS || ch == OPT_TMP;
        if (numeric && parse_u64(optarg, &v) < 0) {
            fprintf(stderr, "kiemthu-probe: \"%s\" is not a number\n", optarg);
            return KT_EXIT_USAGE;
        }
        switch (ch) {
        case 'p':
            cfg.profile_path = optarg;
            break;
        case OPT_NO_PROFILE:
            cfg.profile_path = NULL;
            break;
        case OPT_BASELINE:
            cfg.baseline_path = optarg;
            break;
        case OPT_NO_BASELINE:
            cfg.baseline_path = NULL;
            break;
        case OPT_UID:
            cfg.uid = (unsigned)v;
            break;
        case OPT_GID:
            cfg.gid = (unsigned)v;
            break;
        case OPT_PIDS:
            cfg.pids = v;
            break;
        case OPT_MEMORY:
            cfg.memory = v;
            break;
        case OPT_SWAP:
            cfg.swap = v;
            break;
        case OPT_CPUS:
            cfg.millicpus = v;
            break;
        case OPT_TMP:
            cfg.tmp_size = v;
            break;
        case OPT_ALLOW:
            if (cfg.nallowed < sizeof cfg.allowed_mounts / sizeof cfg.allowed_mounts[0] - 1)
                cfg.allowed_mounts[cfg.nallowed++] = optarg;
            break;
        case OPT_EXEC_DENIED:
            cfg.expect_exec_denied = 1;
            break;
        case 'o':
            output = optarg;
            break;
        case OPT_RUNNER:
            if (strcmp(optarg, "kiemthu") && strcmp(optarg, "container")) {
                fprintf(stderr, "kiemthu-probe: --runner takes kiemthu or container\n");
                return KT_EXIT_USAGE;
            }
            cfg.container = !strcmp(optarg, "container");
            break;
        case OPT_HELP:
            kt_cli_usage(
                stdout, "kiemthu-probe [options]",
                "Attest the sandbox from inside; JSON report on stdout and in /out/probe.json.\n"
                "Exit 0 only if every probe passes, 1 otherwise, 64 on a usage error.",
                opts);
            return 0;
        case OPT_VERSION:
            printf("kiemthu-probe %s\n", KT_VERSION);
            return 0;
        default:
            return KT_EXIT_USAGE;
        }
    }
    if (!cfg.swap) cfg.swap = cfg.memory;
    cfg.allowed_mounts[cfg.nallowed++] = KT_SB_VIEW_DIR;
    return run(&cfg, output);
}
