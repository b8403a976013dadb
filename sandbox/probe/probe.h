/* probe.h - kiemthu-probe: attest from inside the sandbox each property the
 * runner promised. Each probe records what it expected, what it observed,
 * and whether they match; the report is JSON on stdout and /out/probe.json. */
#ifndef KT_PROBE_H
#define KT_PROBE_H

#include <stddef.h>
#include <stdint.h>

#define PROBE_MAX 128

typedef struct probe_result {
    char id[48];
    char expect[160];
    char observed[400];
    int pass;
} probe_result;

/* What the probes expect; defaults are the seed's docker flags. */
typedef struct probe_cfg {
    unsigned uid, gid;
    uint64_t pids, memory, swap, millicpus, tmp_size;
    const char *profile_path;  /* the seccomp profile the runner applied */
    const char *baseline_path; /* the baseline filter installed with it */
    const char *allowed_mounts[32];
    size_t nallowed;
    int expect_exec_denied; /* strict profile under --exec-once: exec after start fails */
    int container;          /* --runner container: a docker/podman runtime's extras allowed */
} probe_cfg;

struct pj;

typedef struct probe_ctx {
    const probe_cfg *cfg;
    probe_result r[PROBE_MAX];
    size_t n;
    /* The filters in force, as the runner shows them (NULL if unreadable). */
    struct pj *profile, *baseline;
    char profile_why[160], baseline_why[160];
} probe_ctx;

/* Record one result; the format is for "observed". */
void probe_add(probe_ctx *c, const char *id, const char *expect, int pass, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

void probes_identity(probe_ctx *c);
void probes_filesystem(probe_ctx *c);
void probes_network(probe_ctx *c);
void probes_process(probe_ctx *c);
void probes_limits(probe_ctx *c);
void probes_seccomp(probe_ctx *c);
void probes_escape(probe_ctx *c);

/* Read the profile and baseline views (filters.c). */
void probe_filters_load(probe_ctx *c);
void probe_filters_free(probe_ctx *c);
/* What the filters in force answer for syscall name called with args, as
 * the kernel combines them (the baseline, installed last, answers where both
 * deny): the errno, 0 if both allow it, -1 if it cannot be told. */
int probe_filter_errno(const probe_ctx *c, const char *name, const long args[6]);
/* 1 if the rule applies to this sandbox (rulesel.h). */
int probe_rule_applies(const struct pj *rule);
void probes_container(probe_ctx *c);
void probes_fold_runner_specific(probe_ctx *c);
/* container.c: what a container runtime adds that is not a host leak */
int container_mount_allowed(const char *mp);
int container_env_allowed(const char *var);
int container_run_ok(void);
void probes_environment_container(probe_ctx *c, size_t count);

#endif
