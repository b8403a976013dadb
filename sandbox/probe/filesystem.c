/* Read-only root, /tmp, /in, /out, what is absent, and the mount table. */
#include "probe.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

static int create_errno(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return errno;
    close(fd);
    unlink(path);
    return 0;
}

/* Copy this program into /tmp and try to run it. */
static int exec_from_tmp(void)
{
    int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    int out = open("/tmp/.kiemthu-probe-exec", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    if (in < 0 || out < 0) return errno ? errno : EIO;
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n) break;
    close(in);
    close(out);
    pid_t pid = fork();
    if (pid < 0) return errno;
    if (pid == 0) {
        /* if it does run, it must not write into the report */
        int null = open("/dev/null", O_WRONLY);
        dup2(null >= 0 ? null : 2, 1);
        char *argv[] = {"/tmp/.kiemthu-probe-exec", "--version", NULL};
        char *envp[] = {NULL};
        execve(argv[0], argv, envp);
        _exit(errno & 0xff);
    }
    int st;
    waitpid(pid, &st, 0);
    unlink("/tmp/.kiemthu-probe-exec");
    return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

static int mount_allowed(const probe_cfg *cfg, const char *mp)
{
    static const char *const exact[] = {
        "/", "/usr", "/etc/alternatives", "/etc/ld.so.cache", "/tmp", "/in", "/out"};
    static const char *const under[] = {"/proc", "/dev", "/sys/fs/cgroup"};
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
        if (!strcmp(mp, exact[i])) return 1;
    for (size_t i = 0; i < sizeof under / sizeof under[0]; i++) {
        size_t l = strlen(under[i]);
        if (!strncmp(mp, under[i], l) && (mp[l] == '/' || !mp[l])) return 1;
    }
    for (size_t i = 0; i < cfg->nallowed; i++)
        if (!strcmp(mp, cfg->allowed_mounts[i])) return 1;
    return cfg->container && container_mount_allowed(mp);
}

void probes_filesystem(probe_ctx *c)
{
    int e = create_errno("/.kiemthu-probe-write");
    probe_add(c, "root-read-only", "writing / fails with EROFS", e == EROFS, "%s",
              e ? strerror(e) : "write succeeded");
    e = create_errno("/usr/.kiemthu-probe-write");
    probe_add(c, "usr-read-only", "writing /usr fails with EROFS", e == EROFS, "%s",
              e ? strerror(e) : "write succeeded");
    e = create_errno("/tmp/.kiemthu-probe-write");
    probe_add(c, "tmp-writable", "writing /tmp succeeds", e == 0, "%s",
              e ? strerror(e) : "write succeeded");
    e = exec_from_tmp();
    probe_add(
        c, "tmp-noexec",
        "a program copied to /tmp cannot be executed (EACCES; EPERM under an exec-denying profile)",
        e == EACCES || e == EPERM, "%s", e ? strerror(e) : "it ran");
    struct statvfs sv;
    int ok = statvfs("/tmp", &sv) == 0;
    probe_add(c, "tmp-mount-flags", "rw,nosuid,nodev,noexec",
              ok && !(sv.f_flag & ST_RDONLY) && (sv.f_flag & ST_NOSUID) && (sv.f_flag & ST_NODEV) &&
                  (sv.f_flag & ST_NOEXEC),
              "%s%s%s%s", ok && (sv.f_flag & ST_RDONLY) ? "ro" : "rw",
              ok && (sv.f_flag & ST_NOSUID) ? ",nosuid" : "",
              ok && (sv.f_flag & ST_NODEV) ? ",nodev" : "",
              ok && (sv.f_flag & ST_NOEXEC) ? ",noexec" : "");
    unsigned long long size = ok ? (unsigned long long)sv.f_blocks * sv.f_frsize : 0;
    char want[64];
    snprintf(want, sizeof want, "<= %llu bytes", (unsigned long long)c->cfg->tmp_size);
    probe_add(c, "tmp-size", want, ok && size > 0 && size <= c->cfg->tmp_size, "%llu bytes", size);
    DIR *d = opendir("/in");
    int readable = d != NULL;
    if (d) closedir(d);
    ok = statvfs("/in", &sv) == 0 && (sv.f_flag & ST_RDONLY);
    e = create_errno("/in/.kiemthu-probe-write");
    probe_add(c, "in-read-only", "/in readable, writes fail with EROFS",
              readable && ok && e == EROFS, "%s, %s", readable ? "readable" : "not readable",
              e ? strerror(e) : "write succeeded");
    e = create_errno("/out/.kiemthu-probe-write");
    probe_add(c, "out-writable", "writing /out succeeds", e == 0, "%s",
              e ? strerror(e) : "write succeeded");
    e = create_errno("/proc/sys/kernel/hostname");
    probe_add(c, "proc-sys-read-only", "writing /proc/sys fails", e != 0, "%s",
              e ? strerror(e) : "write succeeded");
    static const char *const absent[] = {
        "/home",          "/root", "/run", "/var/run", "/var/run/docker.sock", "/run/docker.sock",
        "/var/lib/docker"};
    char seen[256] = "";
    for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++) {
        struct stat st;
        if (c->cfg->container && !strcmp(absent[i], "/run") && container_run_ok()) continue;
        if (lstat(absent[i], &st) == 0) {
            strncat(seen, absent[i], sizeof seen - strlen(seen) - 2);
            strcat(seen, " ");
        }
    }
    probe_add(c, "host-paths-absent", "no /home, /root, /run, /var/run, docker socket", !seen[0],
              "%s", seen[0] ? seen : "none present");
    FILE *f = fopen("/proc/self/mountinfo", "re");
    char line[4096], extra[300] = "";
    int n = 0;
    while (f && fgets(line, sizeof line, f)) {
        char mp[4096];
        if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1) continue;
        n++;
        if (!mount_allowed(c->cfg, mp) && strlen(extra) + strlen(mp) + 2 < sizeof extra) {
            strcat(extra, mp);
            strcat(extra, " ");
        }
    }
    if (f) fclose(f);
    probe_add(
        c, "mounts-expected",
        "only /, /usr, /etc/alternatives, /etc/ld.so.cache, /proc, /dev, /tmp, /in, /out, cgroups",
        f && n > 0 && !extra[0], "%d mounts%s%s", n, extra[0] ? "; unexpected: " : "", extra);
}
