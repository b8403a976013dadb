#include "hostexec.h"

#include "../core/fsutil.h"
#include "treedigest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Sandbox path -> host path, following the mounts kt_fs_setup makes. */
static int to_host(const kt_sandbox *sb, const char *in, char *out, size_t n)
{
    size_t best = 0;
    const char *src = NULL;
    for (size_t i = 0; i < sb->nbinds; i++) {
        size_t l = strlen(sb->binds[i].dst);
        if (strncmp(in, sb->binds[i].dst, l) == 0 && (in[l] == '/' || !in[l]) && l > best)
            best = l, src = sb->binds[i].src;
    }
    if (src) return snprintf(out, n, "%s%s", src, in + best), 0;
    if (sb->in_dir && strncmp(in, "/in/", 4) == 0)
        return snprintf(out, n, "%s%s", sb->in_dir, in + 3), 0;
    if (sb->out_dir && strncmp(in, "/out/", 5) == 0)
        return snprintf(out, n, "%s%s", sb->out_dir, in + 4), 0;
    static const char *const sys[] = {"/usr/", "/bin/", "/sbin/", "/lib", "/lib64/"};
    for (size_t i = 0; i < sizeof sys / sizeof sys[0]; i++)
        if (strncmp(in, sys[i], strlen(sys[i])) == 0) return snprintf(out, n, "%s", in), 0;
    return -1;
}

static int host_program(const kt_sandbox *sb, char *out, size_t n)
{
    const char *cmd = sb->argv[0];
    if (strchr(cmd, '/')) return to_host(sb, cmd, out, n);
    const char *path = sb->envp[0] + strlen("PATH=");
    while (*path) {
        size_t len = strcspn(path, ":");
        char in[PATH_MAX];
        snprintf(in, sizeof in, "%.*s/%s", (int)len, path, cmd);
        struct stat st;
        if (to_host(sb, in, out, n) == 0 && stat(out, &st) == 0 && S_ISREG(st.st_mode)) return 0;
        path += len + (path[len] == ':');
    }
    return -1;
}

int kt_host_digest(const kt_sandbox *sb, char out[KT_DIGEST_STR], char *host_path, size_t n,
                   kt_err *err)
{
    if (sb->rootfs) {
        int fd = open(sb->rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            return kt_fail_errno(err, KT_E_NOINPUT, errno, "cannot open --rootfs %s", sb->rootfs);
        int rc = kt_tree_digest(fd, sb->rootfs, out, NULL, err);
        close(fd);
        snprintf(host_path, n, "%s", sb->rootfs);
        return rc;
    }
    if (host_program(sb, host_path, n) < 0)
        return kt_fail(err, KT_E_NOINPUT,
                       "cannot find %s on the sandbox's PATH (host mode maps "
                       "/usr, /bin, /sbin, /lib*, /in, /out and --ro-bind)",
                       sb->argv[0]);
    int fd = open(host_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || kt_file_digest(fd, out) < 0) {
        int e = errno;
        if (fd >= 0) close(fd);
        return kt_fail_errno(err, KT_E_NOINPUT, e, "cannot read %s", host_path);
    }
    close(fd);
    return 0;
}
