#include "record.h"

#include "../core/buf.h"
#include "../core/fsutil.h"
#include "../core/json_canon.h"
#include "../core/layout.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int write_json(const char *path, const cJSON *doc, kt_err *err)
{
    kt_buf b;
    kt_buf_init(&b, 0);
    if (kt_json_emit_doc(doc, &b, err) < 0) {
        kt_buf_free(&b);
        return -1;
    }
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    int rc = -1;
    if (fd < 0) {
        kt_fail_errno(err, KT_E_CANTCREAT, errno, "cannot create %s", tmp);
    } else if (kt_write_all(fd, b.data, b.len) < 0) {
        /* No fsync: a record is an input to kiemthu-bundle, which makes its
         * output durable; the rename keeps a reader from seeing half a file. */
        kt_fail_errno(err, KT_E_IO, errno, "cannot write %s", tmp);
    } else if (rename(tmp, path) < 0) {
        kt_fail_errno(err, KT_E_IO, errno, "cannot rename %s", tmp);
    } else {
        rc = 0;
    }
    if (fd >= 0) close(fd);
    if (rc < 0) unlink(tmp);
    kt_buf_free(&b);
    return rc;
}

void kt_record_outcome(const kt_attempt *a, char *out, size_t n)
{
    const kt_run *r = &a->run;
    if (!a->ran)
        snprintf(out, n, "not tried (a stricter profile started)");
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

static void add_limit(cJSON *lim, const char *key, const kt_limit *l, const char *unit,
                      const kt_limit_hit *h)
{
    cJSON *o = cJSON_AddObjectToObject(lim, key);
    cJSON_AddNumberToObject(o, "value", (double)l->value);
    cJSON_AddStringToObject(o, "unit", unit);
    cJSON_AddStringToObject(o, "enforced_by", l->enforced_by ? l->enforced_by : "none");
    /* Whether the payload reached the limit: true, false, or null when the
     * mechanism keeps no count (rlimit, affinity); the raw counters beside. */
    if (h->hit < 0) {
        cJSON_AddNullToObject(o, "hit");
        cJSON_AddStringToObject(o, "hit_unknown", h->note ? h->note : "");
    } else {
        cJSON_AddBoolToObject(o, "hit", h->hit);
    }
    cJSON *ev = cJSON_AddObjectToObject(o, "events");
    for (size_t i = 0; i < h->nev; i++)
        cJSON_AddNumberToObject(ev, h->ev[i].name, (double)h->ev[i].value);
}

static void add_stream(cJSON *o, const char *key, const kt_run *r, int i, size_t cap)
{
    cJSON *s = cJSON_AddObjectToObject(o, key);
    cJSON_AddNumberToObject(s, "bytes", (double)r->bytes[i]);
    cJSON_AddNumberToObject(s, "stored", (double)r->stored[i]);
    cJSON_AddNumberToObject(s, "cap", (double)cap);
    cJSON_AddBoolToObject(s, "truncated", r->bytes[i] > r->stored[i]);
}

int kt_record_run(const char *dir, const kt_sandbox *sb, const kt_attempt *a,
                  const char *image_digest, kt_err *err)
{
    const kt_run *r = &a->run;
    cJSON *o = cJSON_CreateObject();
    if (!o) return kt_fail(err, KT_E_NOMEM, "out of memory");
    char outcome[256];
    kt_record_outcome(a, outcome, sizeof outcome);
    cJSON_AddNumberToObject(o, "schema", 1);
    cJSON_AddStringToObject(o, "tool", "kiemthu-sandbox " KT_VERSION);
    cJSON_AddStringToObject(o, "profile", a->profile_name);
    cJSON_AddStringToObject(o, "profile_sha256", kt_profile_sha256(a->profile));
    cJSON_AddBoolToObject(o, "started", r->started);
    cJSON_AddStringToObject(o, "outcome", outcome);
    if (r->started || !r->exec_errno)
        cJSON_AddNullToObject(o, "not_started_errno");
    else
        cJSON_AddNumberToObject(o, "not_started_errno", r->exec_errno);
    if (r->exit_code >= 0)
        cJSON_AddNumberToObject(o, "exit_code", r->exit_code);
    else
        cJSON_AddNullToObject(o, "exit_code");
    if (r->signal) {
        cJSON_AddNumberToObject(o, "signal", r->signal);
        cJSON_AddStringToObject(o, "signal_name",
                                sigabbrev_np(r->signal) ? sigabbrev_np(r->signal) : "?");
    } else {
        cJSON_AddNullToObject(o, "signal");
        cJSON_AddNullToObject(o, "signal_name");
    }
    cJSON_AddBoolToObject(o, "timed_out", r->timed_out);
    cJSON_AddBoolToObject(o, "oom_killed", r->oom_killed);
    cJSON_AddNumberToObject(o, "duration_ms", (double)r->duration_ms);
    cJSON *argv = cJSON_AddArrayToObject(o, "argv");
    for (char *const *p = sb->argv; *p; p++) cJSON_AddItemToArray(argv, cJSON_CreateString(*p));
    cJSON_AddStringToObject(o, "image_digest", image_digest);
    cJSON_AddStringToObject(o, "image_kind", sb->rootfs ? "rootfs-tree" : "host-program");
    const char *const *ign;
    size_t nign = kt_profile_ignored(a->profile, &ign);
    cJSON *ig = cJSON_AddArrayToObject(o, "ignored_syscalls");
    for (size_t i = 0; i < nign; i++) cJSON_AddItemToArray(ig, cJSON_CreateString(ign[i]));
    cJSON *lim = cJSON_AddObjectToObject(o, "limits");
    const kt_limit_hit *hits = r->cgroup.hits;
    add_limit(lim, "pids", &sb->limits[KT_LIMIT_PIDS], "tasks", &hits[KT_LIMIT_PIDS]);
    add_limit(lim, "memory", &sb->limits[KT_LIMIT_MEMORY], "bytes", &hits[KT_LIMIT_MEMORY]);
    add_limit(lim, "memory_swap", &sb->limits[KT_LIMIT_SWAP], "bytes", &hits[KT_LIMIT_SWAP]);
    add_limit(lim, "cpus", &sb->limits[KT_LIMIT_CPUS], "millicpus", &hits[KT_LIMIT_CPUS]);
    cJSON *cgv = cJSON_AddObjectToObject(o, "cgroup");
    if (r->cgroup.version)
        cJSON_AddNumberToObject(cgv, "version", r->cgroup.version);
    else
        cJSON_AddNullToObject(cgv, "version");
    cJSON_AddBoolToObject(cgv, "delegated", r->cgroup.delegated);
    if (r->cgroup_why[0])
        cJSON_AddStringToObject(cgv, "fallback_reason", r->cgroup_why);
    else
        cJSON_AddNullToObject(cgv, "fallback_reason");
    if (r->exec_once) {
        cJSON *eo = cJSON_AddObjectToObject(o, "exec_once");
        cJSON_AddBoolToObject(eo, "first_exec_allowed", r->first_exec_allowed);
        cJSON_AddNumberToObject(eo, "later_execs_denied", (double)r->execs_denied);
        cJSON_AddNumberToObject(eo, "errno", sb->exec_once_errno);
    } else {
        cJSON_AddNullToObject(o, "exec_once");
    }
    cJSON_AddNumberToObject(o, "timeout_s", (double)(uint64_t)sb->timeout_s);
    cJSON_AddNumberToObject(o, "cgroups_left_behind", r->cgroups_left);
    add_stream(o, "stdout", r, 0, sb->output_cap);
    add_stream(o, "stderr", r, 1, sb->output_cap);
    cJSON *iso = cJSON_AddObjectToObject(o, "isolation");
    cJSON_AddNumberToObject(iso, "uid", sb->uid);
    cJSON_AddNumberToObject(iso, "gid", sb->gid);
    cJSON *ns = cJSON_AddArrayToObject(iso, "namespaces");
    static const char *const names[] = {"mount", "pid", "network", "ipc", "uts"};
    for (size_t i = 0; i < 5; i++) cJSON_AddItemToArray(ns, cJSON_CreateString(names[i]));
    if (sb->userns) cJSON_AddItemToArray(ns, cJSON_CreateString("user"));
    cJSON_AddBoolToObject(iso, "no_new_privileges", 1);
    cJSON_AddStringToObject(iso, "capabilities",
                            "none (bounding, permitted, effective, "
                            "inheritable and ambient sets empty)");
    cJSON_AddStringToObject(iso, "root", sb->rootfs ? sb->rootfs : "host /usr, read-only");
    cJSON_AddBoolToObject(iso, "read_only_root", 1);
    char tmp[96];
    snprintf(tmp, sizeof tmp, "tmpfs rw,noexec,nosuid,nodev,size=%llu",
             (unsigned long long)sb->tmp_size);
    cJSON_AddStringToObject(iso, "tmp", tmp);
    cJSON_AddStringToObject(iso, "network", "loopback only");
    cJSON *env = cJSON_AddArrayToObject(iso, "env");
    for (size_t i = 0; sb->envp[i]; i++) cJSON_AddItemToArray(env, cJSON_CreateString(sb->envp[i]));
    if (sb->in_dir)
        cJSON_AddStringToObject(iso, "in", sb->in_dir);
    else
        cJSON_AddNullToObject(iso, "in");
    if (sb->out_dir)
        cJSON_AddStringToObject(iso, "out", sb->out_dir);
    else
        cJSON_AddNullToObject(iso, "out");
    if (sb->out_dir) {
        cJSON *od = cJSON_AddObjectToObject(o, "out");
        cJSON_AddStringToObject(od, "mode",
                                r->out_capped ? "tmpfs, copied to the host afterwards"
                                              : "bind of the host directory");
        if (r->out_capped) {
            cJSON_AddNumberToObject(od, "size_cap", (double)sb->out_size);
            cJSON_AddNullToObject(od, "why_no_cap");
        } else {
            cJSON_AddNullToObject(od, "size_cap");
            cJSON_AddStringToObject(od, "why_no_cap",
                                    sb->out_size ? strerror(r->out_errno) : "--out-size 0");
        }
        cJSON_AddNumberToObject(od, "files", (double)r->outcopy.files);
        cJSON_AddNumberToObject(od, "bytes", (double)r->outcopy.bytes);
        cJSON_AddNumberToObject(od, "skipped", (double)r->outcopy.skipped);
    } else {
        cJSON_AddNullToObject(o, "out");
    }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/run.json", dir);
    int rc = write_json(path, o, err);
    cJSON_Delete(o);
    return rc;
}

int kt_record_ladder(const char *record, const kt_attempt *a, size_t n, int canonical, kt_err *err)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return kt_fail(err, KT_E_NOMEM, "out of memory");
    cJSON_AddNumberToObject(o, "schema", 1);
    if (canonical >= 0)
        cJSON_AddStringToObject(o, "canonical", a[canonical].profile_name);
    else
        cJSON_AddNullToObject(o, "canonical");
    cJSON_AddStringToObject(o, "rule",
                            "the first profile, strictest first, under which the "
                            "payload started");
    cJSON *arr = cJSON_AddArrayToObject(o, "attempts");
    for (size_t i = 0; i < n; i++) {
        cJSON *e = cJSON_CreateObject();
        char outcome[256];
        kt_record_outcome(&a[i], outcome, sizeof outcome);
        cJSON_AddStringToObject(e, "profile", a[i].profile_name);
        cJSON_AddStringToObject(e, "profile_sha256", kt_profile_sha256(a[i].profile));
        cJSON_AddBoolToObject(e, "attempted", a[i].ran);
        cJSON_AddBoolToObject(e, "started", a[i].ran && a[i].run.started);
        cJSON_AddStringToObject(e, "outcome", outcome);
        cJSON_AddItemToArray(arr, e);
    }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/ladder.json", record);
    int rc = write_json(path, o, err);
    cJSON_Delete(o);
    return rc;
}
