/* netprep.h - the sandbox's network namespace, made ahead (root only).
 *
 * Creating a network namespace is the costliest part of the sandbox's
 * clone (~0.4 ms here: every pernet subsystem, the loopback device, its
 * sysctls). As root, a thread makes one while the runner loads, hashes and
 * makes its cgroups: it unshares CLONE_NEWNET (which moves only that
 * thread) and keeps a descriptor of the namespace; the child brings its
 * loopback up, as when the clone makes it (done here, with the runner busy
 * on the other CPU, it waited on RCU and took longer than the clone saves). The first attempt's
 * child joins it with setns() as the first thing it does, before any other step, and the clone
 * leaves CLONE_NEWNET out. The namespace is as fresh as the clone's: nothing ever ran in it. Later
 * attempts (and unprivileged runs, where the child's own user namespace must own its network
 * namespace) make theirs in the clone as before. */
#ifndef KT_NETPREP_H
#define KT_NETPREP_H

#include <pthread.h>

typedef struct kt_netprep {
    pthread_t thread;
    int started; /* the thread was started (and not yet joined) */
    int fd;      /* the namespace, once taken: -1 if none could be made */
    int err;     /* errno of the step that failed, 0 if none */
} kt_netprep;

/* Start the thread. Failing to start it is not an error: the clone then
 * makes the namespace. Call while the process has no other thread that
 * could clone a sandbox. */
void kt_netprep_start(kt_netprep *np);
/* Join the thread (before any clone: a process clones its sandbox with no
 * other thread alive) and hand over the namespace's descriptor, once:
 * -1 when there is none (the clone makes one). The caller closes it. */
int kt_netprep_take(kt_netprep *np);

#endif
