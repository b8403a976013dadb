/* PID namespace and environment. */
#include "probe.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

void probes_process(probe_ctx *c)
{
    DIR *d = opendir("/proc");
    int n = 0, foreign = 0;
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (!isdigit((unsigned char)de->d_name[0])) continue;
        n++;
        char path[300], line[256];
        snprintf(path, sizeof path, "/proc/%s/status", de->d_name);
        FILE *f = fopen(path, "re");
        unsigned uid = 0;
        while (f && fgets(line, sizeof line, f))
            if (sscanf(line, "Uid: %u", &uid) == 1) break;
        if (f) fclose(f);
        if (uid != c->cfg->uid) foreign++;
    }
    if (d) closedir(d);
    probe_add(c, "pid-namespace", "only the sandbox's own processes are visible",
              d && n > 0 && !foreign, "%d processes visible, %d of another uid; this one is pid %d",
              n, foreign, (int)getpid());
    int only_path = environ && environ[0] && !strncmp(environ[0], "PATH=", 5) && !environ[1];
    size_t count = 0;
    for (char **e = environ; e && *e; e++) count++;
    if (c->cfg->container) {
        probes_environment_container(c, count);
        return;
    }
    probe_add(c, "environment", "PATH only", only_path, "%zu variable(s)%s%s", count,
              count ? ", first: " : "", count ? strtok(environ[0], "=") : "");
}

/* Under a container runtime: PATH plus the runtime's own variables, nothing
 * from the host or the caller. */
void probes_environment_container(probe_ctx *c, size_t count)
{
    char extra[200] = "";
    int path = 0;
    for (char **e = environ; e && *e; e++) {
        if (!strncmp(*e, "PATH=", 5)) {
            path = 1;
        } else if (!container_env_allowed(*e)) {
            size_t n = strcspn(*e, "=");
            if (strlen(extra) + n + 2 < sizeof extra) strncat(strcat(extra, " "), *e, n);
        }
    }
    probe_add(c, "environment", "PATH, plus only the runtime's container, HOSTNAME, HOME, TERM",
              path && !extra[0], "%zu variable(s)%s%s", count, extra[0] ? "; unexpected:" : "",
              extra);
}
