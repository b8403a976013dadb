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
