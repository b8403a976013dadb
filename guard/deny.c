/* deny.c - the capability deny list (docs/GUARD.md), version 1. */
#include "guard.h"

#include <string.h>

static const struct {
    const char *category;
    const char *symbols[16];
} deny[] = {
    {"network",
     {"socket", "socketpair", "connect", "bind", "listen", "accept", "accept4", "sendto", "sendmsg",
      "recvfrom", "recvmsg", "getaddrinfo", "gethostbyname", NULL}},
    {"exec",
     {"execve", "execv", "execvp", "execvpe", "execl", "execlp", "execle", "fexecve", "execveat",
      "system", "popen", "posix_spawn", "posix_spawnp", NULL}},
    {"fork", {"fork", "vfork", "clone", "clone3", "daemon", NULL}},
    {"ptrace", {"ptrace", "process_vm_readv", "process_vm_writev", NULL}},
    {"dlopen", {"dlopen", "dlmopen", NULL}},
    {"mount", {"mount", "umount", "umount2", "pivot_root", "chroot", "unshare", "setns", NULL}},
    {"privilege",
     {"setuid", "setgid", "seteuid", "setegid", "setresuid", "setresgid", "capset", "setgroups",
      NULL}},
    {"kernel",
     {"init_module", "finit_module", "delete_module", "kexec_load", "reboot", "bpf",
      "perf_event_open", "swapon", "swapoff", NULL}},
    {"raw-syscall", {"syscall", NULL}},
};

const char *kt_guard_category(const char *sym)
{
    for (size_t i = 0; i < sizeof deny / sizeof deny[0]; i++)
        for (const char *const *s = deny[i].symbols; *s; s++)
            if (!strcmp(*s, sym)) return deny[i].category;
    return NULL;
}
