/* netprep.c - a network namespace made ahead by a thread (netprep.h). */
#include "netprep.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void *make_netns(void *arg)
{
    kt_netprep *np = arg;
    if (unshare(CLONE_NEWNET) < 0) {
        np->err = errno;
        return NULL;
    }
    np->fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (np->fd < 0) np->err = errno;
    return NULL;
}

void kt_netprep_start(kt_netprep *np)
{
    np->fd = -1;
    np->err = 0;
    np->started = 0;
    /* On a CPU of its own: placed beside the runner (as the scheduler first
     * does) it would only delay it. With one CPU there is nothing to gain. */
    cpu_set_t set;
    int here = sched_getcpu();
    if (here < 0 || sched_getaffinity(0, sizeof set, &set) < 0 || CPU_COUNT(&set) < 2) return;
    CPU_CLR(here, &set);
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0) return;
    if (pthread_attr_setaffinity_np(&attr, sizeof set, &set) == 0)
        np->started = pthread_create(&np->thread, &attr, make_netns, np) == 0;
    pthread_attr_destroy(&attr);
}

int kt_netprep_take(kt_netprep *np)
{
    if (np->started) {
        pthread_join(np->thread, NULL);
        np->started = 0;
    }
    int fd = np->fd;
    np->fd = -1;
    return fd;
}
