#include "timings.h"

#include <stdio.h>

void kt_timings_format(const kt_timings *t, enum kt_phase from, enum kt_phase to, char *buf,
                       size_t n)
{
    static const char *const names[KT_PH_N] = {
        "load",          "prepare",   "reclaim",       "baseline compile",
        "ladder.json",   "publish",   "compile",       "cgroup create",
        "clone",         "setup",     "cgroup attach", "run",
        "cgroup remove", "/out copy", "record",
    };
    size_t used = 0;
    buf[0] = '\0';
    for (int p = (int)from; p < (int)to && used < n; p++) {
        int w = snprintf(buf + used, n - used, "%s%s %llu us", p == (int)from ? "" : ", ", names[p],
                         (unsigned long long)t->us[p]);
        if (w < 0) break;
        used += (size_t)w;
    }
}
