/* cmd_timestamp.c - kiemthu-bundle timestamp (a command: it prints).
 *
 * The bundle is read once with the canonical reader (core/tarread.h), so a
 * malformed archive is refused rather than extended; the envelope's bytes are
 * kept for the token's imprint. The new bundle is the old one's members
 * byte for byte, then timestamp.tst, then the end blocks, written atomically
 * (bundle/tarwriter.h). The signatures and the manifest are unchanged: only
 * kiemthu-verify judges them. */
#include "cmd_timestamp.h"

#include "../core/buf.h"
#include "../core/cli.h"
#include "../core/escape.h"
#include "../core/exitcode.h"
#include "../core/layout.h"
#include "../core/tarread.h"
#include "../core/tsa.h"
#include "sign.h"
#include "tarwriter.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SYNOPSIS "kiemthu-bundle timestamp BUNDLE --tsa URL -o OUT"

static const kt_option opts[] = {
    {"tsa", 't', "URL", "the Time-Stamp Authority (http:// or https://)"},
    {"output", 'o', "FILE", "the time-stamped bundle to write (replaced atomically)"},
    {"quiet", 'q', NULL, "print nothing on success"},
    {"help", 'h', NULL, "show this help"},
    {NULL, 0, NULL, NULL},
};

static void sink_none(void *arg, const uint8_t *p, size_t n)
{
    (void)arg, (void)p, (void)n;
}

static void sink_buf(void *arg, const uint8_t *p, size_t n)
{
    kt_buf_append(arg, p, n, NULL); /* the size was checked against the limit first */
}

/* Walk the bundle: every header canonical, the envelope kept, the manifest
 * last and no token yet. *end gets the offset of the end-of-archive blocks. */
static int read_bundle(int fd, const char *path, kt_buf *env, uint64_t *mtime, uint64_t *end,
                       kt_err *err)
{
    kt_tarr r;
    if (kt_tarr_init(&r, fd, 0, err) < 0) return -1;
    char name[KT_TAR_NAME_MAX + 1], last[KT_TAR_NAME_MAX + 1] = "";
    uint64_t size;
    int rc;
    while ((rc = kt_tarr_next(&r, name, &size, mtime, err)) == 1) {
        if (!strcmp(name, KT_TIMESTAMP_NAME)) {
            rc = kt_fail(err, KT_E_DATA, "%s already has a time-stamp token", path);
            break;
        }
        int is_env = !strcmp(name, KT_ENVELOPE_NAME);
        if (is_env && size > KT_MAX_ENVELOPE) {
            rc = kt_fail(err, KT_E_LIMIT, "%s: %s is larger than %u bytes", path, name,
                         KT_MAX_ENVELOPE);
            break;
        }
        if (is_env) kt_buf_init(env, KT_MAX_ENVELOPE);
        if ((rc = kt_tarr_data(&r, size, is_env ? sink_buf : sink_none, env, err)) < 0) break;
        snprintf(last, sizeof last, "%s", name);
        *end = r.off;
    }
    kt_tarr_free(&r);
    if (rc < 0) return -1;
    if (strcmp(last, KT_MANIFEST_NAME) || !env->data)
        return kt_fail(err, KT_E_DATA, "%s is not a kiemthu bundle (no %s and %s at its end)", path,
                       KT_ENVELOPE_NAME, KT_MANIFEST_NAME);
    return 0;
}

static int stamp(const char *in, const char *url, const char *out, kt_err *err)
{
    int fd = open(in, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return kt_fail_errno(err, errno == ENOENT ? KT_E_NOINPUT : KT_E_DATA, errno,
                             "cannot open %s", in);
    kt_buf env, token;
    kt_buf_init(&env, KT_MAX_ENVELOPE);
    kt_buf_init(&token, 0);
    uint64_t mtime = 0, end = 0;
    kt_tarw *w = NULL;
    int rc = read_bundle(fd, in, &env, &mtime, &end, err);
    if (rc == 0) rc = kt_timestamp_envelope(url, &env, &token, err);
    if (rc == 0 && lseek(fd, 0, SEEK_SET) != 0)
        rc = kt_fail_errno(err, KT_E_IO, errno, "cannot re-read %s", in);
    if (rc == 0) rc = kt_tarw_open(&w, out, mtime, err);
    if (rc == 0) rc = kt_tarw_add_raw(w, fd, end, in, err);
    if (rc == 0) rc = kt_tarw_add_mem(w, KT_TIMESTAMP_NAME, token.data, token.len, err);
    if (rc == 0) {
        rc = kt_tarw_commit(w, err);
        w = NULL;
    }
    kt_tarw_abort(w);
    kt_buf_free(&env);
    kt_buf_free(&token);
    close(fd);
    return rc;
}

int kt_cmd_timestamp(int argc, char **argv)
{
    kt_cli cli;
    kt_cli_init(&cli, opts);
    cli.shortopts[0] = '-'; /* the bundle may come before or after the options */
    const char *in = NULL, *url = NULL, *out = NULL;
    int quiet = 0, c;
    while ((c = getopt_long(argc, argv, cli.shortopts, cli.longopts, NULL)) != -1) {
        switch (c) {
        case 1:
            if (in) goto usage;
            in = optarg;
            break;
        case 't':
            url = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            kt_cli_usage(stdout, SYNOPSIS,
                         "Add an RFC 3161 time-stamp token over the envelope to a bundle that has "
                         "none.\nExit codes: 0 written, 64 usage, 65 not a bundle or already "
                         "time-stamped, or the TSA's answer refused, 66 missing input,\n73 cannot "
                         "create the output, 74 I/O error (the TSA unreachable included).",
                         opts);
            return 0;
        default:
            return KT_EXIT_USAGE;
        }
    }
    if (!in || !url || !out) goto usage;
    kt_err err;
    kt_err_clear(&err);
    if (stamp(in, url, out, &err) < 0) {
        kt_esc_line(stderr, "kiemthu-bundle timestamp: error: %s", err.msg);
        return kt_exit_code(err.cls);
    }
    if (!quiet) kt_esc_line(stdout, "wrote %s: %s with a time-stamp token from %s", out, in, url);
    return 0;
usage:
    fprintf(stderr, "kiemthu-bundle timestamp: usage: " SYNOPSIS "\n");
    return KT_EXIT_USAGE;
}
