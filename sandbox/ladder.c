#include "ladder.h"

#include "baseline.h"
#include "cgroup.h"
#include "reach.h"
#include "record.h"
#include "watch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#define PARTIAL ".partial-" /* RECORD/.partial-<profile>.<runner pid>: an attempt being written */

int kt_stop_signals_block(sigset_t *old, kt_err *err)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &set, old) < 0)
        return kt_fail_errno(err, KT_E_INTERNAL, errno, "sigprocmask");
    int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0) return kt_fail_errno(err, KT_E_INTERNAL, errno, "signalfd");
    return fd;
}

static int pending_stop(int sigfd)
{
    if (sigfd < 0) return 0;
    struct signalfd_siginfo si;
    if (read(sigfd, &si, sizeof si) == (ssize_t)sizeof si) return (int)si.ssi_signo;
    return 0;
}

/* Attempts left half-written by runners that were killed (SIGKILL cannot be
 * caught): ".partial-NAME.PID" where PID is no longer running. */
static void reclaim_partials(int recfd)
{
    int it = dup(recfd);
    DIR *d = it < 0 ? NULL : fdopendir(it);
    if (!d) {
        if (it >= 0) close(it);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strncmp(de->d_name, PARTIAL, strlen(PARTIAL)) != 0) continue;
        const char *dot = strrchr(de->d_name, '.');
        long pid = dot ? strtol(dot + 1, NULL, 10) : 0;
        if (pid <= 0) continue;
        /* Alive (and not us: then a dead runner had our pid): leave it. */
        int alive = pid != getpid() && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
        if (alive) continue;
        kt_err e;
        kt_tree_remove(recfd, de->d_name, &e);
    }
    closedir(d);
}

static int open_capture(int dirfd, const char *dpath, const char *name, kt_err *err)
{
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) kt_fail_errno(err, KT_E_CANTCREAT, errno, "cannot create %s/%s", dpath, name);
    return fd;
}

/* With --out-size 0, /out binds a directory the runner makes in the attempt. */
static int make_out_bind(kt_sandbox *sb, int dfd, const char *dpath, char *path, size_t n,
                         kt_err *err)
{
    if (mkdirat(dfd, "out.raw", 0700) < 0)
        return kt_fail_errno(err, KT_E_CANTCREAT, errno, "cannot create %s/out.raw", dpath);
    /* As root the payload's uid must own it; in a user namespace we are that uid. */
    if (!sb->userns && fchownat(dfd, "out.raw", sb->uid, sb->gid, AT_SYMLINK_NOFOLLOW) < 0)
        return kt_fail_errno(err, KT_E_INTERNAL, errno, "cannot chown %s/out.raw", dpath);
    snprintf(path, n, "%s/out.raw", dpath);
    sb->out_bind = path;
    return 0;
}

/* With --out-size 0: out.raw, the bind, removed; what cannot be removed (the
 * payload chose the tree) is moved out of the attempt, to a name the next run
 * into RECORD reclaims, and said in run.json. */
static void remove_out_raw(kt_attempt *a, int recfd, int dfd)
{
    kt_err e;
    if (kt_tree_remove(dfd, "out.raw", &e) == 0) return;
    char aside[300];
    snprintf(aside, sizeof aside, PARTIAL "%s-out.raw.%ld", a->name, (long)getpid());
    int moved = renameat(dfd, "out.raw", recfd, aside) == 0;
    snprintf(a->out_error, sizeof a->out_error, "out.raw: %s; %s", e.msg,
             moved ? "moved out of the attempt to RECORD/" PARTIAL "*" : "left in the attempt");
}

/* What the payload left in /out, into the attempt's out/ directory. Nothing
 * here fails the attempt: the payload can fill the record's filesystem, so a
 * refused write stops the copy and is recorded (out.stopped), as is any other
 * failure (a->out_error). */
static void collect_out(kt_ladder *l, kt_attempt *a, int recfd, int dfd, int mfd, int sigfd)
{
    kt_sandbox *sb = l->sb;
    int src = mfd >= 0 ? openat(mfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                       : openat(dfd, "out.raw", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int dst = -1;
    kt_err err;
    if (mkdirat(dfd, "out", 0755) < 0 ||
        (dst = openat(dfd, "out", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
        a->out.stopped = "record write failed";
        a->out.stopped_errno = errno;
    } else if (src >= 0) {
        uint64_t deadline =
            sb->timeout_s > 0 ? a->run.start_ms + (uint64_t)(sb->timeout_s * 1000) : 0;
        kt_outstop stop = {deadline, a->run.interrupted ? -1 : sigfd, 0};
        if (kt_outdir_copy(src, dst, &sb->out_caps, &stop, &a->out, &err) < 0)
            snprintf(a->out_error, sizeof a->out_error, "%s", err.msg);
        if (stop.signo && !a->run.interrupted) a->run.interrupted = stop.signo;
    } else {
        a->out.stopped = "no /out"; /* the sandbox never handed it over (setup stopped) */
    }
    if (src >= 0) close(src);
    if (dst >= 0) close(dst);
    if (mfd < 0) remove_out_raw(a, recfd, dfd);
}

/* The captured output, the larger stream first, emptied so that run.json
 * fits: said in run.json (store_error). */
static int record_run_captures_removed(kt_ladder *l, kt_attempt *a, int dfd, kt_err *err)
{
    kt_run *r = &a->run;
    int first = r->stored[1] > r->stored[0];
    for (int k = 0; k < 2; k++) {
        int i = k ? !first : first;
        if (!r->stored[i]) continue;
        int fd = openat(dfd, i ? "stderr" : "stdout", O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) return -1;
        close(fd);
        r->stored[i] = 0;
        r->store_removed[i] = 1;
        if (kt_record_run(dfd, l, a, err) == 0) return 0;
    }
    return -1;
}

/* run.json; when the record's filesystem cannot take it (the payload may
 * have filled it through /out, stdout or stderr), the copy of /out is given
 * up to make room, then the captured output, and run.json says so. */
static int record_run(kt_ladder *l, kt_attempt *a, int dfd, kt_err *err)
{
    if (kt_record_run(dfd, l, a, err) == 0) return 0;
    /* only for want of space: any other failure keeps every byte recorded */
    if (errno != ENOSPC && errno != EDQUOT) return -1;
    if (!l->sb->out_dir) return record_run_captures_removed(l, a, dfd, err);
    char why[sizeof err->msg];
    snprintf(why, sizeof why, "%s", err->msg);
    kt_err e;
    if (kt_tree_remove(dfd, "out", &e) < 0 || mkdirat(dfd, "out", 0755) < 0) return -1;
    kt_outcopy *c = &a->out;
    const char *stopped = c->stopped ? c->stopped : "record write failed";
    int stopped_errno = c->stopped_errno;
    char *at = c->stopped_at;
    c->stopped_at = NULL;
    kt_outcopy_free(c); /* the files it listed are gone */
    c->stopped = stopped;
    c->stopped_errno = stopped_errno;
    c->stopped_at = at;
    snprintf(a->out_error, sizeof a->out_error,
             "run.json could not be written (%s): the copy of /out was removed to make room", why);
    if (kt_record_run(dfd, l, a, err) == 0) return 0;
    return record_run_captures_removed(l, a, dfd, err);
}

/* What the runner does while an attempt's sandbox sets itself up (spawn.h):
 * compile the profile for this sandbox and, once per run, remove the groups
 * killed runners left (ours are spared, cgroup.h). */
typedef struct late_ctx {
    kt_ladder *l;
    kt_attempt *a;
    uint64_t compile_us;
    int recfd, *dfd;     /* the record, and the attempt's directory once made */
    const char *tmpname; /* its .partial name */
    const char *dpath;   /* its path, for errors */
    kt_spawn_io *io;     /* where the captures go */
} late_ctx;

/* The attempt's directory and its capture files: a new inode each, which on
 * a file system that just freed many (ext4 skips inodes freed in the last
 * minute, one inode table block read each) can take longer than the
 * sandbox's set-up, so they are made while it sets up. */
static int make_attempt_dir(late_ctx *c, kt_err *err)
{
    if (*c->dfd >= 0) return 0;
    if (mkdirat(c->recfd, c->tmpname, 0755) < 0)
        return kt_fail_errno(err, KT_E_CANTCREAT, errno, "cannot create %s", c->dpath);
    c->a->dir_made = 1;
    *c->dfd = openat(c->recfd, c->tmpname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (*c->dfd < 0) return kt_fail_errno(err, KT_E_CANTCREAT, errno, "cannot open %s", c->dpath);
    if ((c->io->out_fd = open_capture(*c->dfd, c->dpath, "stdout", err)) < 0 ||
        (c->io->err_fd = open_capture(*c->dfd, c->dpath, "stderr", err)) < 0)
        return -1;
    return 0;
}

static void reclaim_groups(kt_ladder *l)
{
    if (l->reclaimed) return;
    uint64_t t = kt_now_us();
    kt_cgroup_reclaim(&l->cghost);
    kt_timing_lap(&l->t, KT_PH_RECLAIM, &t);
    l->reclaimed = 1;
}

static int meanwhile(void *ctx, kt_child_filters *f, kt_sandbox *sb, kt_err *err)
{
    late_ctx *c = ctx;
    kt_filter_opts fo = {c->l->exec_once, 0};
    kt_rulesel_env env;
    kt_rulesel_env_host(&env);
    uint64_t t = kt_now_us();
    if (kt_filter_compile(c->a->profile, &env, &fo, &c->a->filter, err) < 0) return -1;
    c->compile_us = kt_now_us() - t;
    f->profile = &c->a->filter.bpf;
    sb->exec_once_errno = c->l->exec_once ? c->a->filter.exec_errno : 0;
    if (make_attempt_dir(c, err) < 0) return -1;
    reclaim_groups(c->l);
    return 0;
}

/* One attempt, written into RECORD/.partial-NAME.PID and renamed to
 * RECORD/NAME once complete. -1: the runner failed; the half attempt is
 * removed if the payload never ran, else kept (stdout, stderr) under its
 * .partial name. */
static int attempt(kt_ladder *l, kt_attempt *a, size_t i, int recfd, int sigfd, kt_err *err)
{
    kt_sandbox *sb = l->sb;
    char tmpname[300], dpath[PATH_MAX], outraw[PATH_MAX + 16], tag[64];
    snprintf(tmpname, sizeof tmpname, PARTIAL "%s.%ld", a->name, (long)getpid());
    snprintf(dpath, sizeof dpath, "%s/%s", l->record, tmpname);
    a->ran = 1;
    a->dir_made = 0;
    uint64_t t;
    int dfd = -1;
    kt_spawn_io io = {-1, -1, sigfd, -1, l->tee, meanwhile, NULL};
    late_ctx late = {l, a, 0, recfd, &dfd, tmpname, dpath, &io};
    io.meanwhile_ctx = &late;
    int rc = -1, ran = 0;
    sb->out_bind = NULL;
    a->out_mode = !sb->out_dir ? NULL : sb->out_size ? "tmpfs" : "bind";
    /* A bound /out is in the attempt's directory: made before the clone. */
    if (sb->out_dir && !sb->out_size &&
        (make_attempt_dir(&late, err) < 0 ||
         make_out_bind(sb, dfd, dpath, outraw, sizeof outraw, err) < 0))
        goto out;
    sb->profile_view = kt_profile_bytes(a->profile, &sb->profile_view_len);
    kt_child_filters f = {l->baseline ? &l->baseline_filter.bpf : NULL, NULL};
    snprintf(tag, sizeof tag, "kiemthu-%ld-%zu", (long)getpid(), i);
    sb->cgroup_host = &l->cghost;
    int spawned = kt_spawn(sb, &f, &io, tag, &a->run, err);
    a->run.t.us[KT_PH_COMPILE] = late.compile_us;
    if (spawned < 0) goto out;
    ran = 1; /* from here on, whatever the payload did is recorded, never removed */
    t = kt_now_us();
    if (sb->out_dir) collect_out(l, a, recfd, dfd, io.out_mfd, sigfd);
    kt_timing_lap(&a->run.t, KT_PH_OUT_COPY, &t);
    if (record_run(l, a, dfd, err) < 0) goto out;
    if (renameat2(recfd, tmpname, recfd, a->name, RENAME_NOREPLACE) < 0) {
        kt_fail_errno(err, KT_E_CANTCREAT, errno, "cannot rename %s to %s/%s", dpath, l->record,
                      a->name);
        goto out;
    }
    kt_timing_lap(&a->run.t, KT_PH_RECORD, &t);
    rc = 0;
out:
    if (io.out_mfd >= 0) close(io.out_mfd);
    if (io.out_fd >= 0) close(io.out_fd);
    if (io.err_fd >= 0) close(io.err_fd);
    if (dfd >= 0) close(dfd);
    if (rc < 0) {
        kt_err e2;
        a->runner_failed = 1;
        if (!ran && !a->run.started && a->dir_made) /* nothing ran: no half attempt */
            kt_tree_remove(recfd, tmpname, &e2);
    }
    return rc;
}

/* The canonical attempt's files, to the host --out (replacing same-named files). */
static int publish_out(const kt_ladder *l, int recfd, kt_err *err)
{
    const kt_attempt *a = &l->att[l->canonical];
    char rel[300];
    snprintf(rel, sizeof rel, "%s/out", a->name);
    int src = openat(recfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int dst = open(l->sb->out_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc;
    if (src < 0 || dst < 0)
        rc = kt_fail_errno(err, KT_E_CANTCREAT, errno, "cannot copy %s/%s to --out %s", l->record,
                           rel, l->sb->out_dir);
    else
        rc = kt_outdir_publish(src, dst, l->sb->out_dir, err);
    if (src >= 0) close(src);
    if (dst >= 0) close(dst);
    return rc;
}

/* "seccomp-startup-safe" from ".../seccomp-startup-safe.json"; -1 if the
 * name cannot be a record directory. */
static int profile_name(const char *path, char *out, size_t n)
{
    const char *b = strrchr(path, '/');
    snprintf(out, n, "%s", b ? b + 1 : path);
    size_t l = strlen(out);
    if (l > 5 && strcmp(out + l - 5, ".json") == 0) out[l - 5] = '\0';
    if (!out[0] || out[0] == '.') return -1;
    for (const char *p = out; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-", *p))
            return -1;
    return 0;
}

int kt_ladder_load(kt_ladder *l, const char *const *paths, size_t n, const char *baseline_spec,
                   kt_err *err)
{
    kt_err why;
    if (n > KT_LADDER_MAX) return kt_fail(err, KT_E_USAGE, "at most %d profiles", KT_LADDER_MAX);
    for (size_t i = 0; i < n; i++) {
        kt_attempt *a = &l->att[i];
        if (kt_reach(paths[i], 1, &why) < 0)
            return kt_fail(err, KT_E_NOINPUT, "profile %s: %s", paths[i], why.msg);
        if (profile_name(paths[i], a->name, sizeof a->name) < 0)
            return kt_fail(err, KT_E_DATA,
                           "profile %s: its file name must be letters, digits, '.', '_', '+' or "
                           "'-' and not start with '.' (it names the record directory)",
                           paths[i]);
        for (size_t j = 0; j < i; j++)
            if (strcmp(a->name, l->att[j].name) == 0)
                return kt_fail(err, KT_E_DATA, "two profiles named %s", a->name);
        if (kt_profile_load(paths[i], &a->profile, err) < 0)
            return kt_fail(err, KT_E_DATA, "invalid profile: %s", err->msg);
        l->n = i + 1;
        char existing[PATH_MAX + 300];
        snprintf(existing, sizeof existing, "%s/%s", l->record, a->name);
        if (access(existing, F_OK) == 0)
            return kt_fail(err, KT_E_CANTCREAT,
                           "%s exists (use a new --record directory for every run)", existing);
    }
    if (kt_baseline_load(baseline_spec, &l->baseline, &l->baseline_name, err) < 0)
        return kt_fail(err, KT_E_DATA, "invalid --baseline: %s", err->msg);
    return 0;
}

int kt_ladder_run(kt_ladder *l, kt_err *err)
{
    l->canonical = -1;
    l->interrupted = 0;
    l->runner_error[0] = '\0';
    l->publish_error[0] = '\0';
    int recfd = open(l->record, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (recfd < 0)
        return kt_fail_errno(err, KT_E_CANTCREAT, errno, "cannot open --record %s", l->record);
    int sigfd = l->sigfd, rc = 0;
    uint64_t t = kt_now_us();
    kt_cgroup_host_probe(&l->cghost);
    reclaim_partials(recfd); /* before ours exist: a dead namesake's may be in the way */
    l->reclaimed = 0;        /* the groups: while the first sandbox sets itself up */
    t = kt_now_us();
    if (l->baseline) {
        /* the built-in baseline was compiled with the sandbox (baseline.h) */
        int pre = kt_baseline_precompiled(l->baseline, &l->baseline_filter, err);
        kt_rulesel_env env;
        kt_rulesel_env_host(&env);
        if (pre < 0) rc = -1;
        /* a --baseline FILE can keep libseccomp busy as a profile can:
         * stop signals watched (watch.h), no sandbox yet to kill */
        if (pre == 0 && (rc = kt_watch_arm(0, sigfd, 0, "the baseline", err)) == 0) {
            rc = kt_filter_compile(l->baseline, &env, NULL, &l->baseline_filter, err);
            kt_watch_disarm();
        }
        l->sb->baseline_view = kt_profile_bytes(l->baseline, &l->sb->baseline_view_len);
        kt_timing_lap(&l->t, KT_PH_BASELINE, &t);
    }
    for (size_t i = 0; rc == 0 && i < l->n && (l->canonical < 0 || l->all); i++) {
        if ((l->interrupted = pending_stop(sigfd))) break;
        kt_attempt *a = &l->att[i];
        rc = attempt(l, a, i, recfd, sigfd, err);
        if (rc == 0 && l->progress) l->progress(l->progress_ctx, l, a);
        if (rc == 0 && a->run.interrupted) l->interrupted = a->run.interrupted;
        if (l->interrupted) break;
        if (rc == 0 && a->run.started && l->canonical < 0) l->canonical = (int)i;
    }
    if (rc < 0) snprintf(l->runner_error, sizeof l->runner_error, "%s", err->msg);
    reclaim_groups(l); /* when no sandbox got that far */
    t = kt_now_us();
    /* before ladder.json, so that it says what could not be published */
    if (rc == 0 && !l->interrupted && l->canonical >= 0 && l->sb->out_dir &&
        publish_out(l, recfd, err) < 0) {
        snprintf(l->publish_error, sizeof l->publish_error, "%s", err->msg);
        rc = -1;
    }
    kt_timing_lap(&l->t, KT_PH_PUBLISH, &t);
    kt_err lerr;
    if (kt_record_ladder(recfd, l, &lerr) < 0 && rc == 0) {
        *err = lerr;
        rc = -1;
    }
    kt_timing_lap(&l->t, KT_PH_LADDER, &t);
    close(recfd);
    return rc;
}

void kt_ladder_free(kt_ladder *l)
{
    for (size_t i = 0; i < l->n; i++) {
        kt_filter_free(&l->att[i].filter);
        kt_outcopy_free(&l->att[i].out);
        kt_profile_free(l->att[i].profile);
        l->att[i].profile = NULL;
    }
    kt_filter_free(&l->baseline_filter);
    kt_profile_free(l->baseline);
    l->baseline = NULL;
}
