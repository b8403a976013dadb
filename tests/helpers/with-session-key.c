/* with-session-key CMD...: run CMD in a new session keyring holding a user
 * key "kiemthu-runner-secret", as a systemd service, an ssh session or PAM
 * would give the runner one. */
#include <errno.h>
#include <linux/keyctl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) return fprintf(stderr, "usage: with-session-key CMD...\n"), 64;
    if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "kiemthu-test") < 0 ||
        syscall(SYS_add_key, "user", "kiemthu-runner-secret", "s3cr3t", 6,
                KEY_SPEC_SESSION_KEYRING) < 0) {
        fprintf(stderr, "with-session-key: %s\n", strerror(errno));
        return 77;
    }
    execvp(argv[1], argv + 1);
    fprintf(stderr, "with-session-key: %s: %s\n", argv[1], strerror(errno));
    return 127;
}
