/* kiemthu-guard BINARY [--source DIR] [-o guard.json] - the capability guard.
 *
 * The seed's L2 build guard scanned the MVP's source for forbidden
 * capabilities. This one reads the binary's imported symbols (the ELF dynamic
 * symbol table, through elfutils' libelf) and, optionally, identifiers called
 * in its C sources, against a deny list (docs/GUARD.md). It fails closed: a
 * binary or source it cannot read, a link in the source tree, a file too
 * large to scan is exit 65, never a pass. A statically linked binary imports
 * nothing that can be inspected, so it fails unless --allow-static. */
#include "../core/cli.h"
#include "../core/datadir.h"
#include "../core/exitcode.h"
#include "../core/fsutil.h"
#include "../core/json_canon.h"
#include "../core/layout.h"
#include "guard.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXIT_VIOLATION 3
enum { OPT_ALLOW_STATIC = 256, OPT_VERSION };

typedef struct guard_ctx {
    const char *binary, *source, *output;
    int allow_static;
} guard_ctx;

static const kt_option opts[] = {
    {"source", 's', "DIR", "also scan the C sources under DIR (no symbolic links)"},
    {"allow-static", OPT_ALLOW_STATIC, NULL,
     "accept a statically linked binary (nothing to inspect)"},
    {"output", 'o', "FILE", "write the JSON result here too (replaced atomically)"},
    {"help", 'h', NULL, "show this help"},
    {"version", OPT_VERSION, NULL, "show the version"},
    {NULL, 0, NULL, NULL},
};

#define SYNOPSIS "kiemthu-guard BINARY [--source DIR] [--allow-static] [-o FILE]"

/* Messages name paths the user or an attacker chose: print them escaped. */
static int fail(const kt_err *err)
{
    char *shown = kt_guard_display(err->msg);
    fprintf(stderr, "kiemthu-guard: error: %s\n", shown ? shown : "(out of memory)");
    free(shown);
    return kt_exit_code(err->cls);
}

static int parse(guard_ctx *g, int argc, char **argv, int *done)
{
    kt_cli cli;
    kt_cli_init(&cli, opts);
    cli.shortopts[0] = '-'; /* BINARY may come before or after the options */
    int ch;
    *done = 0;
    while ((ch = getopt_long(argc, argv, cli.shortopts, cli.longopts, NULL)) != -1) {
        switch (ch) {
        case 1:
            if (g->binary) goto usage;
            g->binary = optarg;
            break;
        case 's':
            g->source = optarg;
            break;
        case 'o':
            g->output = optarg;
            break;
        case OPT_ALLOW_STATIC:
            g->allow_static = 1;
            break;
        case 'h':
            kt_cli_usage(
                stdout, SYNOPSIS,
                "Check a binary's imported symbols (and its C sources) against the\n"
                "capability deny list (GUARD.md in the documentation, below).\n"
                "Exit 0 pass, 3 violation, 64 usage, 65 unreadable, not ELF, or a source\n"
                "tree it cannot scan whole, 66 missing, 73/74 the output cannot be written.",
                opts);
            printf("\nDocumentation: %s/GUARD.md\n", kt_docdir_installed());
            *done = 1;
            return 0;
        case OPT_VERSION:
            printf("kiemthu-guard %s\n", KT_VERSION);
            *done = 1;
            return 0;
        default:
            return KT_EXIT_USAGE;
        }
    }
    if (g->binary) return 0;
usage:
    fprintf(stderr, "kiemthu-guard: usage: " SYNOPSIS "\n");
    return KT_EXIT_USAGE;
}

/* Write the document to path: a temporary file beside it, fsync'd, renamed,
 * so path never holds half a result. */
static int write_atomic(const char *path, const char *data, size_t n, kt_err *err)
{
    char dir[4096], tmp[4200];
    kt_dirname(path, dir, sizeof dir);
    snprintf(tmp, sizeof tmp, "%s/.kiemthu-guard.XXXXXX", dir);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) return kt_fail_errno(err, KT_E_CANTCREAT, errno, "cannot create %s", path);
    mode_t mask = umask(0);
    umask(mask);
    int rc = 0;
    if (fchmod(fd, 0644 & ~mask) < 0 || kt_write_all(fd, data, n) < 0 || fsync(fd) < 0)
        rc = kt_fail_errno(err, KT_E_IO, errno, "cannot write %s", path);
    if (close(fd) < 0 && rc == 0) rc = kt_fail_errno(err, KT_E_IO, errno, "cannot write %s", path);
    if (rc == 0 && rename(tmp, path) < 0)
        rc = kt_fail_errno(err, KT_E_CANTCREAT, errno, "cannot create %s", path);
    if (rc < 0) unlink(tmp);
    return rc;
}

int main(int argc, char **argv)
{
    guard_ctx ctx = {0};
    int done, rc = parse(&ctx, argc, argv, &done);
    if (rc || done) return rc;
    kt_err err;
    kt_err_clear(&err);
    kt_guard g;
    kt_guard_init(&g);
    g.allow_static = ctx.allow_static;
    cJSON *doc = NULL;
    kt_buf out;
    kt_buf_init(&out, 0);
    if (kt_guard_scan_binary(&g, ctx.binary, &err) < 0 ||
        (ctx.source && kt_guard_scan_source(&g, ctx.source, &err) < 0) ||
        kt_guard_json(&g, ctx.binary, &doc, &err) < 0 || kt_json_emit_doc(doc, &out, &err) < 0 ||
        (ctx.output && write_atomic(ctx.output, out.data, out.len, &err) < 0)) {
        rc = fail(&err);
    } else {
        fwrite(out.data, 1, out.len, stdout);
        rc = kt_guard_pass(&g) ? 0 : EXIT_VIOLATION;
        if (fflush(stdout) != 0) rc = KT_EXIT_IOERR;
    }
    cJSON_Delete(doc);
    kt_buf_free(&out);
    kt_guard_free(&g);
    return rc;
}
