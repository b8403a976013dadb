/* child.h - the sandbox's first process, between clone() and the payload's
 * execve(): the checklist in security order, and the status protocol it
 * speaks to the runner. Internal to spawn.c. */
#ifndef KT_CHILD_H
#define KT_CHILD_H

#include "../core/err.h"
#include "cgroup.h"
#include "filter.h"
#include "sandbox.h"

/* The status pipe (close-on-exec): the child writes READY just before it
 * installs the filters and calls execve, and a report if something fails.
 * READY then end of file: execve succeeded. A report: setup failed or the
 * payload could not start. Nothing at all: the child died during setup,
 * which is the runner's failure, never "started". */
#define KT_CHILD_READY 'R'
#define KT_CHILD_LISTENER 'L' /* then an int: the seccomp listener's fd, for pidfd_getfd */
enum { KT_REPORT_SETUP = 1, KT_REPORT_EXEC = 2 };
typedef struct kt_child_report {
    int kind;
    int err; /* errno */
    char what[sizeof(((kt_err *)0)->msg)];
} kt_child_report;

/* The filters, installed in this order as the last step before execve. */
typedef struct kt_child_filters {
    const kt_bpf *baseline; /* NULL: --baseline none */
    const kt_bpf *profile;  /* NULL: none; not read by the child, which gets it with "a" */
} kt_child_filters;

/* After "a" the runner sends the profile's filter (it may compile it while
 * the child sets itself up): this header, then len struct sock_filter. */
typedef struct kt_child_go {
    unsigned int flags;           /* SECCOMP_FILTER_FLAG_* */
    unsigned short len;           /* 0: no profile filter */
    unsigned char listen;         /* exec-once: ask for a seccomp listener */
    unsigned char baseline_first; /* the profile would refuse seccomp(2) to the baseline */
} kt_child_go;

typedef struct kt_child_io {
    int sync_fd;   /* "g" once the id maps are written (user namespace only); "a" (then
                      kt_child_go and the profile's filter) once we are in every group
                      we join neither at birth nor ourselves; the runner keeps its end
                      open while it lives (end of file = it died) */
    int joined_fd; /* an eventfd: written once we are in our v1 groups (if any). Not a
                      pipe or socket: their wakeups are "sync", and would pull the
                      runner onto our CPU, where its work would delay our set-up */
    int status_fd; /* write end of the status pipe */
    int out_w, err_w;
    int out_sock;        /* where the /out tmpfs's mount fd goes to the runner (SCM_RIGHTS) */
    const kt_cgroup *cg; /* the groups: the child joins the v1 ones itself */
    /* 15 random hex digits the child takes as its name (PR_SET_NAME) before
     * the filters go in: a successful execve renames it after the program,
     * so a process that died with this name never got past its execve. The
     * payload cannot learn it: its own exec overwrote it. */
    const char *exec_tag;
} kt_child_io;

__attribute__((noreturn)) void kt_child_main(kt_sandbox *sb, const kt_child_filters *f,
                                             const kt_child_io *io);

#endif
