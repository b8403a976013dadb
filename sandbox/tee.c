#include "tee.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The locale a terminal is set up for, as programs read it. */
static int utf8_locale(void)
{
    static const char *const vars[] = {"LC_ALL", "LC_CTYPE", "LANG"};
    for (size_t i = 0; i < 3; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v) return strcasestr(v, "utf-8") || strcasestr(v, "utf8");
    }
    return 0;
}

/* A view of fd that never blocks: a file as it is (it never waits for a
 * reader), a socket as it is (send with MSG_DONTWAIT), a pipe or terminal
 * through a new open file description with O_NONBLOCK (setting it on fd
 * itself would change the description our caller shares). */
static void view(kt_tee *t, int i, int fd)
{
    struct stat st;
    t->fd[i] = -1;
    if (fstat(fd, &st) < 0) {
        t->off_why[i] = "it is closed";
        return;
    }
    if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) {
        t->fd[i] = fd;
    } else if (S_ISSOCK(st.st_mode)) {
        t->fd[i] = fd;
        t->sock[i] = 1;
    } else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        t->fd[i] = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        t->own[i] = t->fd[i] >= 0;
        if (t->fd[i] < 0)
            t->off_why[i] =
                errno == ENXIO ? "nothing reads it" : "no non-blocking view of it (/proc/self/fd)";
    } else {
        t->off_why[i] = "it is neither a file, a pipe, a terminal nor a socket";
    }
}

void kt_tee_open(kt_tee *t)
{
    memset(t, 0, sizeof *t);
    int utf8 = utf8_locale();
    for (int i = 0; i < 2; i++) {
        t->st[i].utf8 = utf8;
        view(t, i, i + 1);
    }
    kt_buf_init(&t->scratch, 0);
}

/* Write what fits now; count the rest. SIGPIPE is held off while writing
 * (a reader that went away must not end the runner) and taken back if ours. */
static void put(kt_tee *t, int i, const char *p, size_t n)
{
    sigset_t pipeset, old;
    sigemptyset(&pipeset);
    sigaddset(&pipeset, SIGPIPE);
    sigprocmask(SIG_BLOCK, &pipeset, &old);
    while (n) {
        ssize_t w =
            t->sock[i] ? send(t->fd[i], p, n, MSG_DONTWAIT | MSG_NOSIGNAL) : write(t->fd[i], p, n);
        if (w > 0) {
            p += w, n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            t->dropped[i] += n;
            break;
        }
        if (w < 0 && errno == EPIPE) {
            struct timespec zero = {0, 0};
            sigtimedwait(&pipeset, NULL, &zero);
            t->off_why[i] = "its reader went away";
        } else {
            t->off_why[i] = "a write to it failed";
        }
        t->dropped[i] += n;
        break;
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
}

void kt_tee_write(kt_tee *t, int which, const void *p, size_t n)
{
    if (which < 0 || which > 1 || t->fd[which] < 0 || t->off_why[which] || n == 0) return;
    t->scratch.len = 0;
    if (kt_esc_stream_put(&t->st[which], &t->scratch, p, n, NULL) < 0) {
        t->dropped[which] += n; /* out of memory: not shown, never shown raw */
        return;
    }
    put(t, which, t->scratch.data, t->scratch.len);
}

void kt_tee_end(kt_tee *t)
{
    for (int i = 0; i < 2; i++) {
        if (t->fd[i] < 0 || t->off_why[i]) continue;
        t->scratch.len = 0;
        if (kt_esc_stream_end(&t->st[i], &t->scratch, NULL) == 0 && t->scratch.len)
            put(t, i, t->scratch.data, t->scratch.len);
    }
}

void kt_tee_close(kt_tee *t)
{
    for (int i = 0; i < 2; i++)
        if (t->own[i] && t->fd[i] >= 0) close(t->fd[i]);
    kt_buf_free(&t->scratch);
}

const char *kt_tee_note(const kt_tee *t, int i, char *buf, size_t n)
{
    const char *name = i ? "stderr" : "stdout";
    if (t->off_why[i])
        snprintf(buf, n, "warning: --tee: the payload's %s was not shown (from then on): %s", name,
                 t->off_why[i]);
    else if (t->dropped[i])
        snprintf(buf, n,
                 "warning: --tee: %llu bytes of the payload's %s not shown (the reader did not "
                 "keep up); the record has them",
                 (unsigned long long)t->dropped[i], name);
    else
        return NULL;
    return buf;
}
