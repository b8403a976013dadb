/* no-userns CMD [ARG]... - run CMD as uid/gid 65534 inside a fresh user
 * namespace whose own user.max_user_namespaces is 0, so that CMD cannot
 * create a user namespace: what Ubuntu 24.04's AppArmor restriction looks
 * like to an unprivileged program. The host's limits are not touched. Root only. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int put(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY);
    if (fd < 0) return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc < 2) return 64;
    int go[2];
    if (pipe(go) < 0) return 70;
    pid_t pid = fork();
    if (pid < 0) return 70;
    if (pid == 0) {
        char c;
        close(go[1]);
        if (unshare(CLONE_NEWUSER) < 0) _exit(71);
        if (read(go[0], &c, 1) != 1) _exit(72);
        /* ns root now: limit this namespace (and its children) to none */
        if (put("/proc/sys/user/max_user_namespaces", "0") < 0) {
            perror("no-userns: max_user_namespaces");
            _exit(73);
        }
        if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
            setresuid(65534, 65534, 65534) < 0)
            _exit(74);
        execvp(argv[1], argv + 1);
        _exit(127);
    }
    close(go[0]);
    /* Let the child unshare, then map a range of ids, as only a parent can. */
    char path[64];
    for (int i = 0; i < 200; i++) {
        snprintf(path, sizeof path, "/proc/%d/uid_map", pid);
        if (put(path, "0 0 65536") == 0) break;
        usleep(5000);
    }
    snprintf(path, sizeof path, "/proc/%d/gid_map", pid);
    if (put(path, "0 0 65536") < 0) return 75;
    if (write(go[1], "g", 1) != 1) return 76;
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
