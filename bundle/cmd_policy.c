/* cmd_policy.c - kiemthu-bundle check-policy (a command: it prints). */
#include "cmd_policy.h"

#include "../core/cli.h"
#include "../core/datadir.h"
#include "../core/escape.h"
#include "../core/exitcode.h"
#include "../policy/policy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

enum { OPT_HELP = 'h' };

static const kt_option opts[] = {
    {"policy", 'p', "FILE", "the policy to validate (POLICY.md, named below)"},
    {"evidence", 'e', "DIR", "also evaluate it on this evidence folder and print the check table"},
    {"help", OPT_HELP, NULL, "show this help, with every check type and an example of each"},
    {NULL, 0, NULL, NULL},
};

#define SYNOPSIS "kiemthu-bundle check-policy --policy FILE [--evidence DIR]"

static void help(void)
{
    kt_cli_usage(stdout, SYNOPSIS,
                 "Validate an adjudication policy; with --evidence, evaluate it on the evidence\n"
                 "and print the check table as create would, without signing anything.\n"
                 "Exit codes: 0 valid (and every check passes), 1 a check fails, 64 usage,\n"
                 "65 invalid policy, 66 policy or evidence missing.",
                 opts);
    printf("\nCheck types (%s/POLICY.md; \"profile\" may be \"@canonical\"):\n",
           kt_docdir_installed());
    const kt_check_info *t;
    for (size_t i = 0; (t = kt_policy_check_type(i)); i++) {
        char params[600];
        kt_check_params_text(t, params, sizeof params);
        printf("\n  %s: %s\n    parameters: %s\n    example: %s\n", t->name, t->summary, params,
               t->example);
    }
}

static int fail(const kt_err *err)
{
    kt_esc_line(stderr, "kiemthu-bundle check-policy: error: %s", err->msg);
    return kt_exit_code(err->cls);
}

/* Evaluate on a directory, as create reads it, and print the table. */
static int evaluate(const kt_policy *p, const char *dir)
{
    kt_err err;
    kt_err_clear(&err);
    int rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) {
        kt_fail_errno(&err, errno == ENOENT ? KT_E_NOINPUT : KT_E_DATA, errno,
                      "cannot open evidence directory %s", dir);
        return fail(&err);
    }
    kt_evidence ev;
    kt_ev_init_dir(&ev, rootfd, dir);
    kt_adjudication a;
    int rc = kt_policy_eval(p, &ev, &a, &err);
    kt_ev_free(&ev);
    close(rootfd);
    if (rc < 0) return fail(&err);
    size_t passed = 0;
    kt_esc_line(stdout, "policy %s (sha256 %s) on %s, not signed:", kt_policy_name(p),
                kt_policy_sha256(p), dir);
    for (size_t i = 0; i < a.n; i++) {
        kt_esc_line(stdout, "  %-5s %-28s %s", kt_result_name(a.checks[i].result), a.checks[i].id,
                    a.checks[i].reason);
        passed += a.checks[i].result == KT_RESULT_PASS;
    }
    printf("verdict: %s (%zu/%zu checks pass)\n", a.pass ? "PASS" : "FAIL", passed, a.n);
    rc = a.pass ? KT_EXIT_OK : KT_EXIT_FAIL;
    kt_adjudication_free(&a);
    return rc;
}

int kt_cmd_check_policy(int argc, char **argv)
{
    kt_cli cli;
    kt_cli_init(&cli, opts);
    const char *policy = NULL, *evidence = NULL;
    int c;
    while ((c = getopt_long(argc, argv, cli.shortopts, cli.longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            policy = optarg;
            break;
        case 'e':
            evidence = optarg;
            break;
        case OPT_HELP:
            help();
            return KT_EXIT_OK;
        default:
            return KT_EXIT_USAGE;
        }
    }
    if (!policy || optind != argc) {
        fprintf(stderr, "kiemthu-bundle check-policy: usage: " SYNOPSIS "\n");
        return KT_EXIT_USAGE;
    }
    kt_err err;
    kt_err_clear(&err);
    kt_policy *p = NULL;
    if (kt_policy_load(policy, &p, &err) < 0) return fail(&err);
    int rc = KT_EXIT_OK;
    if (evidence)
        rc = evaluate(p, evidence);
    else
        kt_esc_line(stdout, "%s: a valid policy, \"%s\", sha256 %s", policy, kt_policy_name(p),
                    kt_policy_sha256(p));
    kt_policy_free(p);
    return rc;
}
