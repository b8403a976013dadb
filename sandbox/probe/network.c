/* Network namespace with loopback only; sockets denied by the profile. */
#include "probe.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef AF_PACKET
#define AF_PACKET 17
#endif

static int sock_errno(int family, int type)
{
    int fd = socket(family, type | SOCK_CLOEXEC, 0);
    if (fd < 0) return errno;
    close(fd);
    return 0;
}

void probes_network(probe_ctx *c)
{
    static const struct {
        const char *id;
        int family, type;
    } s[] = {{"socket-inet", AF_INET, SOCK_STREAM},
             {"socket-inet6", AF_INET6, SOCK_STREAM},
             {"socket-netlink", AF_NETLINK, SOCK_RAW},
             {"socket-packet", AF_PACKET, SOCK_RAW}};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        int e = sock_errno(s[i].family, s[i].type);
        probe_add(c, s[i].id, "socket creation fails", e != 0, "%s",
                  e ? strerror(e) : "socket created");
    }
    FILE *f = fopen("/proc/net/dev", "re");
    char line[512], ifs[256] = "";
    int n = 0, only_lo = 1;
    for (int i = 0; f && fgets(line, sizeof line, f); i++) {
        if (i < 2) continue;
        char name[64];
        if (sscanf(line, " %63[^:]:", name) != 1) continue;
        n++;
        only_lo &= !strcmp(name, "lo");
        if (strlen(ifs) + strlen(name) + 2 < sizeof ifs) strcat(strcat(ifs, name), " ");
    }
    if (f) fclose(f);
    probe_add(c, "interfaces", "lo only", f && n == 1 && only_lo, "%s",
              f ? ifs : "/proc/net/dev unreadable");
}
