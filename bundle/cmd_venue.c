#include "cmd_venue.h"

#include "../core/cli.h"
#include "../core/escape.h"
#include "../core/exitcode.h"
#include "../core/fsutil.h"
#include "../core/json_canon.h"
#include "../core/jsonb.h"
#include "../core/newfile.h"
#include "../core/venue.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SYNOPSIS "kiemthu-bundle venue -o FILE [--set KEY=VALUE]..."
#define MAX_SETS 32

static const kt_option opts[] = {
    {"output", 'o', "FILE", "where to write it (it must not exist; - for stdout)"},
    {"set", 's', "KEY=VALUE",
     "add or replace a field, e.g. --set commit=\"$(git rev-parse HEAD)\" (repeatable)"},
    {"help", 'h', NULL, "show this help"},
    {NULL, 0, NULL, NULL},
};

/* what, then arg (the caller's, escaped) in quotes if given. */
static int usage_error(const char *what, const char *arg)
{
    kt_esc_line(stderr, "kiemthu-bundle venue: %s%s%s%s", what, arg ? " \"" : "", arg ? arg : "",
                arg ? "\"" : "");
    fprintf(stderr, "Usage: " SYNOPSIS "\n");
    return KT_EXIT_USAGE;
}

static int fail(const kt_err *err)
{
    kt_esc_line(stderr, "kiemthu-bundle venue: error: %s", err->msg);
    return kt_exit_code(err->cls);
}

/* KEY: [a-z][a-z0-9_]{0,63}, and "ci" is the detector's. */
static int key_ok(const char *k, size_t n)
{
    if (n == 0 || n > 64 || k[0] < 'a' || k[0] > 'z') return 0;
    for (size_t i = 0; i < n; i++)
        if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
            return 0;
    return 1;
}

/* The document: the venue, each --set replacing or adding a field. */
static int build(char *const *sets, size_t nsets, kt_buf *out, kt_err *err)
{
    kt_jb b;
    kt_jb_init(&b);
    kt_venue_build(&b, b.root);
    for (size_t i = 0; i < nsets; i++) {
        char key[65];
        size_t kl = (size_t)(strchr(sets[i], '=') - sets[i]);
        snprintf(key, sizeof key, "%.*s", (int)kl, sets[i]);
        if (b.root) cJSON_DeleteItemFromObjectCaseSensitive(b.root, key);
        kt_jb_str(&b, b.root, key, sets[i] + kl + 1);
    }
    cJSON *doc;
    if (kt_jb_done(&b, &doc, "venue", err) < 0) return -1;
    int rc = kt_json_emit_doc(doc, out, err);
    cJSON_Delete(doc);
    return rc;
}

static int write_out(const char *path, const kt_buf *doc, kt_err *err)
{
    if (strcmp(path, "-") == 0)
        return kt_write_all(STDOUT_FILENO, doc->data, doc->len) < 0
                   ? kt_fail_errno(err, KT_E_IO, errno, "cannot write to stdout")
                   : 0;
    char dir[PATH_MAX];
    kt_dirname(path, dir, sizeof dir);
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return kt_fail_errno(err, KT_E_CANTCREAT, errno, "cannot open %s", dir);
    int rc = kt_write_new(dfd, dir, name, doc->data, doc->len, 0644, err);
    if (rc < 0 && errno == EEXIST)
        kt_fail(err, KT_E_CANTCREAT, "%s exists; the venue is written once, to a new file", path);
    close(dfd);
    return rc;
}

int kt_cmd_venue(int argc, char **argv)
{
    kt_cli cli;
    kt_cli_init(&cli, opts);
    const char *output = NULL;
    char *sets[MAX_SETS];
    size_t nsets = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, cli.shortopts, cli.longopts, NULL)) != -1) {
        switch (ch) {
        case 'o':
            output = optarg;
            break;
        case 's': {
            const char *eq = strchr(optarg, '=');
            if (!eq || !key_ok(optarg, (size_t)(eq - optarg)) || !strncmp(optarg, "ci=", 3))
                return usage_error("--set takes KEY=VALUE, KEY lower-case letters, digits and '_' "
                                   "(not ci), not",
                                   optarg);
            if (!kt_venue_value_ok(eq + 1))
                return usage_error("--set: the value must be UTF-8 text without control "
                                   "characters, 1 to 511 bytes:",
                                   optarg);
            if (nsets == MAX_SETS) return usage_error("at most 32 --set", NULL);
            sets[nsets++] = optarg;
            break;
        }
        case 'h':
            kt_cli_usage(
                stdout, SYNOPSIS,
                "Write where this run happens as JSON for the evidence (venue.json): the CI\n"
                "(GitHub Actions, GitLab CI, Buildkite, Jenkins; else \"local\") and its\n"
                "repository, run id, job, commit, ref and runner, from the CI's own variables.\n"
                "Exit codes: 0 written, 64 usage, 73 FILE exists or cannot be created, 74 I/O.",
                opts);
            return 0;
        default:
            return KT_EXIT_USAGE;
        }
    }
    if (!output || optind != argc)
        return usage_error("%s", "-o FILE is required, and nothing else");
    kt_err err;
    kt_err_clear(&err);
    kt_buf doc;
    kt_buf_init(&doc, 0);
    int rc = build(sets, nsets, &doc, &err) < 0 || write_out(output, &doc, &err) < 0;
    if (rc == 0 && strcmp(output, "-") != 0)
        kt_esc_line(stdout, "wrote %s: %.*s", output, (int)doc.len - 1, doc.data);
    kt_buf_free(&doc);
    return rc ? fail(&err) : 0;
}
