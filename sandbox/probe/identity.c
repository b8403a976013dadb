/* Credentials, capability sets, no-new-privileges, seccomp mode. */
#include "probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The value after "Key:" in /proc/self/status, trimmed. */
static int status_field(const char *key, char *out, size_t n)
{
    FILE *f = fopen("/proc/self/status", "re");
    if (!f) return -1;
    char line[512];
    size_t kl = strlen(key);
    int found = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, kl) || line[kl] != ':') continue;
        char *v = line + kl + 1;
        while (*v == ' ' || *v == '\t') v++;
        v[strcspn(v, "\n")] = '\0';
        snprintf(out, n, "%s", v);
        found = 0;
        break;
    }
    fclose(f);
    return found;
}

void probes_identity(probe_ctx *c)
{
    uid_t r, e, s;
    gid_t rg, eg, sg;
    getresuid(&r, &e, &s);
    getresgid(&rg, &eg, &sg);
    char want[64];
    snprintf(want, sizeof want, "%u %u %u", c->cfg->uid, c->cfg->uid, c->cfg->uid);
    probe_add(c, "uid", want, r == c->cfg->uid && e == c->cfg->uid && s == c->cfg->uid, "%u %u %u",
              (unsigned)r, (unsigned)e, (unsigned)s);
    snprintf(want, sizeof want, "%u %u %u", c->cfg->gid, c->cfg->gid, c->cfg->gid);
    probe_add(c, "gid", want, rg == c->cfg->gid && eg == c->cfg->gid && sg == c->cfg->gid,
              "%u %u %u", (unsigned)rg, (unsigned)eg, (unsigned)sg);
    gid_t groups[64];
    int ng = getgroups(64, groups);
    int only_own = ng == 0 || (ng == 1 && groups[0] == c->cfg->gid);
    char list[256] = "";
    for (int i = 0; i < ng && i < 8; i++) {
        char one[16];
        snprintf(one, sizeof one, "%s%u", i ? "," : "", (unsigned)groups[i]);
        strcat(list, one);
    }
    probe_add(c, "supplementary-groups", "none (or only the primary group)", ng >= 0 && only_own,
              "[%s]", list);
    static const char *const sets[][2] = {{"CapEff", "cap-effective"},
                                          {"CapPrm", "cap-permitted"},
                                          {"CapInh", "cap-inheritable"},
                                          {"CapAmb", "cap-ambient"},
                                          {"CapBnd", "cap-bounding"}};
    for (size_t i = 0; i < 5; i++) {
        char v[64] = "?";
        int got = status_field(sets[i][0], v, sizeof v) == 0;
        probe_add(c, sets[i][1], "0000000000000000", got && strtoull(v, NULL, 16) == 0, "%s", v);
    }
    char v[64] = "?";
    int got = status_field("NoNewPrivs", v, sizeof v) == 0;
    probe_add(c, "no-new-privs", "1", got && !strcmp(v, "1"), "%s", v);
    got = status_field("Seccomp", v, sizeof v) == 0;
    probe_add(c, "seccomp-mode", "2 (filter)", got && !strcmp(v, "2"), "%s", v);
}
