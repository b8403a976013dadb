#include "record.h"

#include "envarg.h"
#include "image.h"

#include "../core/buf.h"
#include "../core/fsutil.h"
#include "../core/json_canon.h"
#include "../core/jsonb.h"
#include "../core/layout.h"
#include "../core/name.h"
#include "../core/sha256.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define RECORD_SCHEMA 2

/* Emit doc into dirfd/name through a temporary file and a rename, so a reader
 * never sees half a record. No fsync: a record is an input to kiemthu-bundle,
 * which makes its output durable. */
static int write_json(int dirfd, const char *name, cJSON *doc, kt_err *err)
{
    kt_buf b;
    kt_buf_init(&b, 0);
    int rc = kt_json_emit_doc(doc, &b, err);
    cJSON_Delete(doc);
    if (rc < 0) return kt_buf_free(&b), -1;
    char tmp[96];
    snprintf(tmp, sizeof tmp, ".%s.tmp", name);
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    rc = -1;
    if (fd < 0)
        kt_fail_errno(err, KT_E_CANTCREAT, errno, "cannot create %s", tmp);
    else if (kt_write_all(fd, b.data, b.len) < 0)
        kt_fail_errno(err, KT_E_IO, errno, "cannot write %s", tmp);
    else if (renameat(dirfd, tmp, dirfd, name) < 0)
        kt_fail_errno(err, KT_E_IO, errno, "cannot rename %s to %s", tmp, name);
    else
        rc = 0;
    int e = errno; /* the caller tells want of space from other failures */
    if (fd >= 0) close(fd);
    if (rc < 0) unlinkat(dirfd, tmp, 0);
    kt_buf_free(&b);
    errno = e;
    return rc;
}

/* A payload-chosen path as it appears in the record: the bundle's member-name
 * encoding (core/name.h), so a policy can name the member run.json lists.
 * Paths kept are at most KT_OUT_PATH_MAX bytes, so the encoding fits. */
static const char *encoded(const char *raw, char *buf, size_t n)
{
    kt_err e;
    if (kt_name_encode(raw, buf, n, &e) < 0) snprintf(buf, n, "%s", "?");
    return buf;
}

void kt_attempt_outcome(const kt_attempt *a, char *out, size_t n)
{
    const kt_run *r = &a->run;
    if (!a->ran)
        snprintf(out, n, "not tried");
    else if (a->runner_failed)
        snprintf(out, n, "not run: the runner failed");
    else if (r->interrupted)
        snprintf(out, n, "runner interrupted by SIG%s%s", sigabbrev_np(r->interrupted),
                 r->started ? " (the payload had started)" : "");
    else if (!r->started && r->died_at_exec && r->signal)
        snprintf(out, n, "not started: killed by signal %d (%s) before its execve completed",
                 r->signal, strsignal(r->signal));
    else if (!r->started && r->died_at_exec)
        snprintf(out, n, "not started: ended before its execve completed");
    else if (!r->started)
        snprintf(out, n, "not started: execve: %s", strerror(r->exec_errno));
    else if (r->timed_out)
        snprintf(out, n, "started, killed at the timeout");
    else if (r->signal)
        snprintf(out, n, "started, killed by signal %d (%s)%s", r->signal, strsignal(r->signal),
                 r->oom_killed ? ", out of memory" : "");
    else
        snprintf(out, n, "started, exit %d", r->exit_code);
}

static void add_limit(kt_jb *b, cJSON *lim, const char *key, const kt_limit *l, const char *unit,
                      const kt_limit_hit *h)
{
    cJSON *o = kt_jb_obj(b, lim, key);
    kt_jb_int(b, o, "value", (int64_t)l->value);
    kt_jb_text(b, o, "unit", unit);
    kt_jb_text(b, o, "enforced_by", l->enforced_by ? l->enforced_by : "none");
    /* Whether the payload reached the limit: true, false, or null when the
     * mechanism keeps no count (rlimit, affinity); the raw counters beside. */
    if (h->hit < 0) {
        kt_jb_null(b, o, "hit");
        kt_jb_text(b, o, "hit_unknown", h->note ? h->note : "");
    } else {
        kt_jb_bool(b, o, "hit", h->hit);
    }
    cJSON *ev = kt_jb_obj(b, o, "events");
    for (size_t i = 0; i < h->nev; i++) kt_jb_int(b, ev, h->ev[i].name, (int64_t)h->ev[i].value);
}

static void add_limits(kt_jb *b, cJSON *o, const kt_sandbox *sb, const kt_run *r)
{
    cJSON *lim = kt_jb_obj(b, o, "limits");
    const kt_limit_hit *hits = r->cgroup.hits;
    add_limit(b, lim, "pids", &sb->limits[KT_LIMIT_PIDS], "tasks", &hits[KT_LIMIT_PIDS]);
    add_limit(b, lim, "memory", &sb->limits[KT_LIMIT_MEMORY], "bytes", &hits[KT_LIMIT_MEMORY]);
    add_limit(b, lim, "memory_swap", &sb->limits[KT_LIMIT_SWAP], "bytes", &hits[KT_LIMIT_SWAP]);
    add_limit(b, lim, "cpus", &sb->limits[KT_LIMIT_CPUS], "millicpus", &hits[KT_LIMIT_CPUS]);
    cJSON *cgv = kt_jb_obj(b, o, "cgroup");
    if (r->cgroup.version)
        kt_jb_int(b, cgv, "version", r->cgroup.version);
    else
        kt_jb_null(b, cgv, "version");
    kt_jb_bool(b, cgv, "delegated", r->cgroup.delegated);
    kt_jb_text(b, cgv, "fallback_reason", r->cgroup_why[0] ? r->cgroup_why : NULL);
}

static void add_stream(kt_jb *b, cJSON *o, const char *key, const kt_run *r, int i, size_t cap)
{
    cJSON *s = kt_jb_obj(b, o, key);
    kt_jb_int(b, s, "bytes", (int64_t)r->bytes[i]);
    kt_jb_int(b, s, "stored", (int64_t)r->stored[i]);
    kt_jb_int(b, s, "cap", (int64_t)cap);
    kt_jb_bool(b, s, "truncated", r->bytes[i] > r->stored[i]);
    int failed = r->store_errno[i] != 0, removed = r->store_removed[i];
    char why[160];
    snprintf(why, sizeof why, "%s%s%s", failed ? strerror(r->store_errno[i]) : "",
             failed && removed ? "; " : "",
             removed ? "what was stored was removed to make room for run.json" : "");
    kt_jb_str(b, s, "store_error", failed || removed ? why : NULL);
}

static void add_baseline(kt_jb *b, cJSON *o, const kt_ladder *l)
{
    if (!l->baseline) {
        kt_jb_text(b, o, "baseline", "none");
        return;
    }
    cJSON *bl = kt_jb_obj(b, o, "baseline");
    kt_jb_text(b, bl, "name", l->baseline_name);
    kt_jb_text(b, bl, "sha256", kt_profile_sha256(l->baseline));
}

/* Which libseccomp compiled the profile, the program it made (by digest:
 * the same profile, libseccomp and options give the same bytes), and at how
 * many points it was found to answer as the rules say (filtercheck.h). */
static void add_filter_facts(kt_jb *b, cJSON *o, const kt_filter *f)
{
    char ver[48], hex[KT_SHA256_HEX];
    kt_filter_libseccomp(ver, sizeof ver);
    kt_jb_text(b, o, "libseccomp", ver);
    if (f->bpf.insns) {
        kt_filter_bpf_sha256(&f->bpf, hex);
        kt_jb_text(b, o, "filter_bpf_sha256", hex);
    } else {
        kt_jb_null(b, o, "filter_bpf_sha256");
    }
    kt_jb_int(b, o, "filter_checked_points", (int64_t)f->checked_points);
}

static void add_isolation(kt_jb *b, cJSON *o, const kt_sandbox *sb)
{
    cJSON *iso = kt_jb_obj(b, o, "isolation");
    kt_jb_int(b, iso, "uid", sb->uid);
    kt_jb_int(b, iso, "gid", sb->gid);
    cJSON *ns = kt_jb_arr(b, iso, "namespaces");
    static const char *const names[] = {"mount", "pid", "network", "ipc", "uts"};
    for (size_t i = 0; i < 5; i++) kt_jb_text(b, ns, NULL, names[i]);
    if (sb->userns) kt_jb_text(b, ns, NULL, "user");
    kt_jb_bool(b, iso, "no_new_privileges", 1);
    kt_jb_text(b, iso, "capabilities",
               "none (bounding, permitted, effective, inheritable and ambient sets empty)");
    kt_jb_text(b, iso, "keyrings",
               sb->userns
                   ? "fresh session keyring; user keyrings of the sandbox's user namespace"
                   : "fresh session keyring; uid 65532's user keyrings emptied before the run");
    kt_jb_text(b, iso, "root", sb->rootfs ? sb->rootfs : "host /usr, read-only");
    kt_jb_bool(b, iso, "read_only_root", 1);
    char tmp[96];
    snprintf(tmp, sizeof tmp, "tmpfs rw,noexec,nosuid,nodev,size=%llu",
             (unsigned long long)sb->tmp_size);
    kt_jb_text(b, iso, "tmp", tmp);
    kt_jb_text(b, iso, "network", "loopback only");
    /* What the payload may execute besides the read-only root: /out only with
     * --out-exec; memory (memfd_create + execveat) always, as in Docker. */
    cJSON *ex = kt_jb_arr(b, iso, "exec_from");
    kt_jb_text(b, ex, NULL, "read-only root and binds");
    if (sb->out_dir && sb->out_exec) kt_jb_text(b, ex, NULL, "/out (--out-exec)");
    kt_jb_text(b, ex, NULL, "memfd (memfd_create + execveat)");
    cJSON *env = kt_jb_arr(b, iso, "env");
    cJSON *host = kt_jb_arr(b, iso, "env_from_host"); /* --env NAME: the name, never the value */
    for (size_t i = 0; sb->envp[i]; i++) {
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(sb->envp[i], "="), sb->envp[i]);
        kt_jb_text(b, kt_env_from_host(sb, sb->envp[i]) ? host : env, NULL,
                   kt_env_from_host(sb, sb->envp[i]) ? name : sb->envp[i]);
    }
    kt_jb_text(b, iso, "workdir", sb->workdir ? sb->workdir : "/");
    kt_jb_text(b, iso, "in", sb->in_dir);
    kt_jb_text(b, iso, "out", sb->out_dir);
}

static void add_out(kt_jb *b, cJSON *o, const kt_sandbox *sb, const kt_attempt *a)
{
    if (!sb->out_dir || !a->out_mode) {
        kt_jb_null(b, o, "out");
        return;
    }
    const kt_outcopy *c = &a->out;
    char name[3 * KT_OUT_PATH_MAX + 8];
    cJSON *od = kt_jb_obj(b, o, "out");
    kt_jb_text(b, od, "mode", a->out_mode);
    if (sb->out_size)
        kt_jb_int(b, od, "size_cap", (int64_t)sb->out_size);
    else
        kt_jb_null(b, od, "size_cap");
    kt_jb_bool(b, od, "noexec", !sb->out_exec);
    cJSON *caps = kt_jb_obj(b, od, "caps");
    kt_jb_int(b, caps, "bytes", (int64_t)sb->out_caps.bytes);
    kt_jb_int(b, caps, "files", (int64_t)sb->out_caps.files);
    kt_jb_int(b, caps, "dirs", (int64_t)sb->out_caps.files);
    kt_jb_int(b, caps, "depth", (int64_t)sb->out_caps.depth);
    kt_jb_int(b, od, "bytes", (int64_t)c->bytes);
    kt_jb_int(b, od, "dirs", (int64_t)c->dirs);
    cJSON *files = kt_jb_arr(b, od, "files");
    for (size_t i = 0; i < c->nfiles; i++) {
        cJSON *f = kt_jb_obj(b, files, NULL);
        kt_jb_text(b, f, "name", encoded(c->files[i].name, name, sizeof name));
        kt_jb_int(b, f, "size", (int64_t)c->files[i].size);
        kt_jb_text(b, f, "sha256", c->files[i].sha256);
    }
    cJSON *ref = kt_jb_arr(b, od, "refused");
    for (size_t i = 0; i < c->nrefused; i++) {
        cJSON *f = kt_jb_obj(b, ref, NULL);
        kt_jb_text(b, f, "name", encoded(c->refused[i].name, name, sizeof name));
        kt_jb_text(b, f, "reason", c->refused[i].reason);
    }
    kt_jb_int(b, od, "refused_more", (int64_t)c->refused_more);
    kt_jb_text(b, od, "stopped", c->stopped);
    if (c->stopped_errno) {
        kt_jb_int(b, od, "stopped_errno", c->stopped_errno);
        kt_jb_text(b, od, "stopped_error", strerror(c->stopped_errno));
    } else {
        kt_jb_null(b, od, "stopped_errno");
        kt_jb_null(b, od, "stopped_error");
    }
    if (c->stopped_at)
        kt_jb_text(b, od, "stopped_at", encoded(c->stopped_at, name, sizeof name));
    else
        kt_jb_null(b, od, "stopped_at");
    kt_jb_text(b, od, "error", a->out_error[0] ? a->out_error : NULL);
}

static void add_result(kt_jb *b, cJSON *o, const kt_attempt *a)
{
    const kt_run *r = &a->run;
    char outcome[256];
    kt_attempt_outcome(a, outcome, sizeof outcome);
    kt_jb_bool(b, o, "started", r->started);
    kt_jb_text(b, o, "outcome", outcome);
    if (r->started || !r->exec_errno)
        kt_jb_null(b, o, "not_started_errno");
    else
        kt_jb_int(b, o, "not_started_errno", r->exec_errno);
    if (r->exit_code >= 0)
        kt_jb_int(b, o, "exit_code", r->exit_code);
    else
        kt_jb_null(b, o, "exit_code");
    if (r->signal) {
        kt_jb_int(b, o, "signal", r->signal);
        kt_jb_text(b, o, "signal_name", sigabbrev_np(r->signal) ? sigabbrev_np(r->signal) : "?");
    } else {
        kt_jb_null(b, o, "signal");
        kt_jb_null(b, o, "signal_name");
    }
    kt_jb_bool(b, o, "timed_out", r->timed_out);
    kt_jb_bool(b, o, "oom_killed", r->oom_killed);
    if (r->interrupted) {
        char sig[32];
        snprintf(sig, sizeof sig, "SIG%s", sigabbrev_np(r->interrupted));
        kt_jb_text(b, o, "interrupted", sig);
    } else {
        kt_jb_null(b, o, "interrupted");
    }
    kt_jb_int(b, o, "duration_ms", (int64_t)r->duration_ms);
}

int kt_record_run(int dirfd, const kt_ladder *l, const kt_attempt *a, kt_err *err)
{
    const kt_sandbox *sb = l->sb;
    const kt_run *r = &a->run;
    kt_jb b;
    kt_jb_init(&b);
    cJSON *o = b.root;
    kt_jb_int(&b, o, "schema", RECORD_SCHEMA);
    kt_jb_text(&b, o, "tool", "kiemthu-sandbox " KT_VERSION);
    kt_jb_text(&b, o, "profile", a->name);
    kt_jb_text(&b, o, "profile_sha256", kt_profile_sha256(a->profile));
    add_baseline(&b, o, l);
    if (l->baseline && r->filters_in) /* both installed before the exec */
        kt_jb_text(&b, o, "filter_order",
                   r->baseline_first ? "baseline, profile" : "profile, baseline");
    else
        kt_jb_null(&b, o, "filter_order");
    add_result(&b, o, a);
    cJSON *argv = kt_jb_arr(&b, o, "argv");
    for (char *const *p = sb->argv; *p; p++) kt_jb_text(&b, argv, NULL, *p);
    kt_jb_text(&b, o, "image_digest", l->image_digest);
    kt_jb_text(&b, o, "image_kind",
               sb->image    ? "container-image"
               : sb->rootfs ? "rootfs-tree"
                            : "host-program");
    if (sb->image)
        kt_image_json(sb->image, &b, o);
    else
        kt_jb_null(&b, o, "image");
    kt_hostexec_json(sb->hostexec, sb, &b, o);
    cJSON *ig = kt_jb_arr(&b, o, "ignored_syscalls");
    for (size_t i = 0; i < a->filter.nignored; i++) kt_jb_text(&b, ig, NULL, a->filter.ignored[i]);
    add_filter_facts(&b, o, &a->filter);
    add_limits(&b, o, sb, r);
    if (r->exec_once) {
        cJSON *eo = kt_jb_obj(&b, o, "exec_once");
        kt_jb_bool(&b, eo, "first_exec_allowed", r->first_exec_allowed);
        kt_jb_int(&b, eo, "later_execs_denied", (int64_t)r->execs_denied);
        kt_jb_int(&b, eo, "errno", sb->exec_once_errno);
    } else {
        kt_jb_null(&b, o, "exec_once");
    }
    kt_jb_int(&b, o, "timeout_s", (int64_t)sb->timeout_s);
    kt_jb_int(&b, o, "cgroups_left_behind", r->cgroups_left);
    add_stream(&b, o, "stdout", r, 0, sb->output_cap);
    add_stream(&b, o, "stderr", r, 1, sb->output_cap);
    add_isolation(&b, o, sb);
    add_out(&b, o, sb, a);
    cJSON *doc;
    if (kt_jb_done(&b, &doc, "run.json", err) < 0) return -1;
    return write_json(dirfd, "run.json", doc, err);
}

int kt_record_ladder(int recfd, const kt_ladder *l, kt_err *err)
{
    kt_jb b;
    kt_jb_init(&b);
    cJSON *o = b.root;
    kt_jb_int(&b, o, "schema", RECORD_SCHEMA);
    kt_jb_text(&b, o, "canonical", l->canonical >= 0 ? l->att[l->canonical].name : NULL);
    kt_jb_text(&b, o, "rule",
               "the first profile, strictest first, under which the payload started");
    add_baseline(&b, o, l);
    if (l->interrupted) {
        char sig[32];
        snprintf(sig, sizeof sig, "SIG%s", sigabbrev_np(l->interrupted));
        kt_jb_text(&b, o, "interrupted", sig);
    } else {
        kt_jb_null(&b, o, "interrupted");
    }
    kt_jb_text(&b, o, "runner_error", l->runner_error[0] ? l->runner_error : NULL);
    kt_jb_text(&b, o, "publish_error", l->publish_error[0] ? l->publish_error : NULL);
    cJSON *arr = kt_jb_arr(&b, o, "attempts");
    for (size_t i = 0; i < l->n; i++) {
        const kt_attempt *a = &l->att[i];
        cJSON *e = kt_jb_obj(&b, arr, NULL);
        char outcome[256];
        kt_attempt_outcome(a, outcome, sizeof outcome);
        kt_jb_text(&b, e, "profile", a->name);
        kt_jb_text(&b, e, "profile_sha256", kt_profile_sha256(a->profile));
        kt_jb_bool(&b, e, "attempted", a->ran);
        kt_jb_bool(&b, e, "started", a->ran && a->run.started);
        kt_jb_text(&b, e, "outcome", outcome);
    }
    cJSON *doc;
    if (kt_jb_done(&b, &doc, "ladder.json", err) < 0) return -1;
    return write_json(recfd, "ladder.json", doc, err);
}
