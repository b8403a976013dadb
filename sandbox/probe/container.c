/* --runner container: the expectations that differ when the probe runs
 * under a container runtime (docker/podman + runc/crun) with the seed's
 * flags instead of kiemthu-sandbox. The runtime adds a few things of its own
 * that are not host leaks: read-only binds of /etc/hosts, /etc/hostname,
 * /etc/resolv.conf, /etc/passwd, /etc/group and /run/.containerenv (podman)
 * or /.dockerenv; a read-only /sys with masked paths; and the variables
 * container, HOSTNAME, HOME and TERM. Everything else is held to the same
 * standard as in kiemthu-sandbox. */
#include "probe.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

static const char *const runtime_files[] = {
    "/etc/hosts", "/etc/hostname",      "/etc/resolv.conf", "/etc/passwd",
    "/etc/group", "/run/.containerenv", "/.dockerenv",      NULL};

int container_mount_allowed(const char *mp)
{
    for (const char *const *f = runtime_files; *f; f++)
        if (!strcmp(mp, *f)) return 1;
    /* /sys is mounted read-only by every runtime (checked by sys-read-only) */
    return !strcmp(mp, "/sys") || !strncmp(mp, "/sys/", 5);
}

int container_env_allowed(const char *var)
{
    static const char *const names[] = {"container=", "HOSTNAME=", "HOME=", "TERM=", NULL};
    for (const char *const *n = names; *n; n++)
        if (!strncmp(var, *n, strlen(*n))) return 1;
    return 0;
}

/* /run is present under podman only to hold .containerenv: allowed when it
 * holds nothing else. */
int container_run_ok(void)
{
    DIR *d = opendir("/run");
    if (!d) return 1;
    struct dirent *de;
    int ok = 1;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
            strcmp(de->d_name, ".containerenv"))
            ok = 0;
    closedir(d);
    return ok;
}

void probes_container(probe_ctx *c)
{
    struct statvfs sv;
    int ok = statvfs("/sys", &sv) == 0;
    probe_add(c, "sys-read-only", "/sys absent or read-only (container runtime)",
              !ok || (sv.f_flag & ST_RDONLY), "%s",
              !ok                       ? "absent"
              : (sv.f_flag & ST_RDONLY) ? "read-only"
                                        : "writable");
}

/* Probes that attest kiemthu-sandbox's baseline filter, which a container
 * runtime does not apply: under --runner container they are not counted as
 * passing or failing, but folded into one "runner-specific" entry that keeps
 * what each observed, so the report still shows the exposure. */
static const char *const baseline_only[] = {"baseline-denied-syscalls",
                                            "io-uring-denied",
                                            "keyring-denied",
                                            "userns-denied",
                                            "userns-mount-denied",
                                            "unshare-userns-denied",
                                            "mount-api-denied",
                                            "vsock-denied",
                                            "socket-families-denied",
                                            "pdeathsig-kept",
                                            NULL};

void probes_fold_runner_specific(probe_ctx *c)
{
    char seen[sizeof c->r[0].observed] = "";
    size_t kept = 0, folded = 0;
    for (size_t i = 0; i < c->n; i++) {
        int specific = 0;
        for (const char *const *b = baseline_only; *b && !specific; b++)
            specific = !strcmp(c->r[i].id, *b);
        if (!specific) {
            c->r[kept++] = c->r[i];
            continue;
        }
        folded++;
        char one[160];
        snprintf(one, sizeof one, "%s%s: %.60s (%s)", seen[0] ? "; " : "", c->r[i].id,
                 c->r[i].observed, c->r[i].pass ? "as kiemthu's baseline" : "not denied");
        if (strlen(seen) + strlen(one) < sizeof seen) strcat(seen, one);
    }
    c->n = kept;
    if (folded)
        probe_add(c, "runner-specific",
                  "kiemthu-sandbox's baseline-filter probes: not applicable under a container "
                  "runtime; what each observed",
                  1, "%s", seen);
}
