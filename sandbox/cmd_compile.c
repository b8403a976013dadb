#include "cmd_compile.h"

#include "../core/cli.h"
#include "../core/datadir.h"
#include "../core/escape.h"
#include "../core/exitcode.h"
#include "../core/sha256.h"
#include "filter.h"
#include "profile.h"
#include "rulesel.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>

enum { OPT_EXEC_ONCE = 1000 };

static const kt_option opts[] = {
    {"exec-once", OPT_EXEC_ONCE, NULL,
     "compile as run --exec-once does (execve/execveat denials answered by the runner)"},
    {"help", 'h', NULL, "show this help"},
    {NULL, 0, NULL, NULL},
};

static int one(const char *arg, int exec_once, kt_err *err)
{
    char path[PATH_MAX];
    kt_profile *p = NULL;
    if (kt_profile_resolve(arg, path, sizeof path, err) < 0) return -1;
    if (kt_profile_load(path, &p, err) < 0) return -1;
    kt_rulesel_env env;
    kt_rulesel_env_host(&env);
    kt_filter_opts fo = {exec_once, 0};
    kt_filter f;
    int rc = kt_filter_compile(p, &env, &fo, &f, err);
    if (rc == 0) {
        char ver[48], hex[KT_SHA256_HEX];
        kt_filter_libseccomp(ver, sizeof ver);
        kt_filter_bpf_sha256(&f.bpf, hex);
        kt_esc_fputs(stdout, path, KT_ESC_TEXT);
        printf("\n  profile_sha256         %s\n  libseccomp             %s\n"
               "  instructions           %u\n  filter_bpf_sha256      %s\n"
               "  filter_checked_points  %zu\n",
               kt_profile_sha256(p), ver, f.bpf.len, hex, f.checked_points);
        if (f.relaid)
            printf(
                "  layout                 libseccomp's other one (the first failed the check)\n");
        kt_filter_free(&f);
    }
    kt_profile_free(p);
    return rc;
}

int kt_cmd_compile(int argc, char **argv)
{
    kt_cli cli;
    kt_cli_init(&cli, opts);
    int exec_once = 0, ch;
    while ((ch = getopt_long(argc, argv, cli.shortopts, cli.longopts, NULL)) != -1) {
        if (ch == OPT_EXEC_ONCE) {
            exec_once = 1;
        } else if (ch == 'h') {
            kt_cli_usage(
                stdout, "kiemthu-sandbox compile [--exec-once] PROFILE...",
                "Compile each seccomp profile (a file or a shipped NAME) as a run on this "
                "host would,\nhold the filter to its rules, and print what run.json "
                "records of it. Exit status: 0\nall compiled; 65 a profile is invalid or too "
                "large to check; 70 a filter does not answer\nas its rules say (a "
                "libseccomp bug); 66 not found; 64 usage.",
                opts);
            return 0;
        } else {
            return KT_EXIT_USAGE;
        }
    }
    if (optind == argc) {
        fprintf(stderr, "kiemthu-sandbox compile: give one or more profiles (files or names)\n");
        return KT_EXIT_USAGE;
    }
    int worst = 0;
    for (int i = optind; i < argc; i++) {
        kt_err err;
        kt_err_clear(&err);
        if (one(argv[i], exec_once, &err) < 0) {
            fputs("kiemthu-sandbox compile: ", stderr);
            kt_esc_fputs(stderr, err.msg, KT_ESC_TEXT);
            fputc('\n', stderr);
            if (!worst) worst = kt_exit_code(err.cls);
        }
    }
    return worst;
}
