# kiemthu-sandbox: every isolation property observed from inside, as root and
# as an unprivileged user, with the try-syscall helper.
SANDBOX=$KT_BIN/kiemthu-sandbox
TRY=$KT_BIN/tests/try-syscall
STRICT=$KT_SRC/profiles/seccomp-deny-by-default.json
SAFE=$KT_SRC/profiles/seccomp-startup-safe.json
MOBY=$KT_SRC/tests/fixtures/moby-default-seccomp.json

SB_AS=
can_sandbox() {
    is_root || { unshare -U true 2> /dev/null; }
}

# sb_run REC [sandbox options] -- CMD...: run with /in, /out and the helper at /app/try-syscall
sb_run() {
    local rec=$1; shift
    run $SB_AS "$SANDBOX" run --in "$SBIN" --out "$SBOUT" --record "$rec" \
        --ro-bind "$TRY:/app/try-syscall" "$@"
}

# inside DESC WANT_STDOUT_REGEX CMD: run CMD under the startup-safe profile and grep its stdout
inside() {
    local desc=$1 re=$2; shift 2
    local rec; rec=$(mktemp -u "$RECDIR/rec.XXXXXX")
    sb_run "$rec" -p "$SAFE" -- /bin/sh -c "$*"
    if [ "$RC" -ne 0 ] && [ "$RC" -ne 1 ]; then not_ok "$desc (sandbox exit $RC)"; return; fi
    if grep -qE -- "$re" "$rec/seccomp-startup-safe/stdout"; then ok "$desc"
    else not_ok "$desc (stdout: $(head -c 300 "$rec/seccomp-startup-safe/stdout" | tr '\n' ' '))"; fi
}

# errno_of DESC WANT OP: try-syscall OP exits with WANT inside the sandbox
errno_of() {
    inside "$1" "^rc=$2\$" "/app/try-syscall $3 2>/dev/null; echo rc=\$?"
}

sandbox_suite() { # $1: label (root / unprivileged)
    local who=$1
    SBIN=$(newdir); SBOUT=$(newdir); RECDIR=$(newdir); chmod 777 "$SBOUT"; echo "input" > "$SBIN/data"
    [ "$who" = unprivileged ] && chown -R 65534:65534 "$SBOUT" "$RECDIR"

    # The ladder: strict is recorded as not started, startup-safe is canonical.
    local rec=$RECDIR/ladder
    sb_run "$rec" -p "$STRICT" -p "$SAFE" -- /bin/true
    [ "$RC" -eq 0 ] && ok "$who: ladder exits with the payload's code (0)" || not_ok "$who: ladder exit $RC"
    grep -q '"started":false' "$rec/seccomp-deny-by-default/run.json" &&
        grep -q '"not_started_errno":1' "$rec/seccomp-deny-by-default/run.json" &&
        ok "$who: strict profile recorded as not started (execve EPERM)" || not_ok "$who: strict profile recorded as not started"
    grep -q '"canonical":"seccomp-startup-safe"' "$rec/ladder.json" &&
        ok "$who: canonical = startup-safe" || not_ok "$who: canonical = startup-safe"
    grep -qE 'canonical profile: seccomp-startup-safe .*seccomp-deny-by-default: not started' "$T/err" &&
        ok "$who: the tool says why strict is not canonical" || not_ok "$who: the tool says why strict is not canonical"
    sb_run "$RECDIR/strict-only" -p "$STRICT" -- /bin/true
    [ "$RC" -eq 125 ] && ok "$who: strict alone: exit 125 (nothing started)" || not_ok "$who: strict alone: exit $RC"

    inside "$who: uid and gid 65532, no other groups" '^65532 65532 65532$' 'echo $(id -u) $(id -g) $(id -G)'
    inside "$who: every capability set empty" '^0000000000000000 0000000000000000 0000000000000000 0000000000000000 0000000000000000$' \
        "grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status | awk '{printf \"%s \", \$2}' | sed 's/ \$//'; echo"
    inside "$who: NoNewPrivs 1, Seccomp 2 (filter)" '^1 2$' "echo \$(awk '/^NoNewPrivs/{print \$2}' /proc/self/status) \$(awk '/^Seccomp:/{print \$2}' /proc/self/status)"
    inside "$who: PID namespace (payload is PID 1, no host processes)" '^1 [1-9]$' 'echo $$ $(ls /proc | grep -c "^[0-9]")'
    inside "$who: only the loopback interface" '^lo$' "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '"
    # ... and it is up: in the first attempt's namespace (as root made ahead
    # by a thread, which also brings lo up while the sandbox sets up,
    # netprep.h) and in a later attempt's (made by the clone).
    local lo=$RECDIR/lo
    echo '{"defaultAction": "SCMP_ACT_ALLOW"}' > "$RECDIR/lo-a.json"
    cp "$RECDIR/lo-a.json" "$RECDIR/lo-b.json"
    sb_run "$lo" -p "$RECDIR/lo-a.json" -p "$RECDIR/lo-b.json" --all-profiles -- /usr/bin/python3 -c \
        "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', 0)); s.sendto(b'up', s.getsockname()); print('lo', s.recv(2).decode())"
    grep -qx 'lo up' "$lo/lo-a/stdout" 2> /dev/null && grep -qx 'lo up' "$lo/lo-b/stdout" 2> /dev/null &&
        ok "$who: loopback up and carrying packets, first and second attempt" ||
        not_ok "$who: loopback (exit $RC): $(cat "$lo"/lo-*/stdout "$lo"/lo-*/stderr 2> /dev/null | head -c 300)"
    inside "$who: environment is PATH only" '^PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin$' 'exec /usr/bin/env'
    inside "$who: hostname is the sandbox's own" '^kiemthu$' 'cat /proc/sys/kernel/hostname'
    inside "$who: no /home, /root, /run, /var/run, docker socket" '^none$' \
        'for p in /home /root /run /var/run /var/run/docker.sock /run/docker.sock /etc/passwd; do [ -e $p ] && echo $p; done; echo none'
    inside "$who: /in readable" '^input$' 'cat /in/data'
    inside "$who: only stdin, stdout, stderr are inherited" '^0 1 2 3 $' 'ls /proc/self/fd | sort -n | tr "\n" " "; echo'
    # /dev's nodes: made (mknod) as root, the host's bound where a user
    # namespace refuses mknod; the profile views are files of the root tmpfs
    local devnodes=; [ "$who" = unprivileged ] && devnodes='/dev/full /dev/null /dev/random /dev/urandom /dev/zero '
    inside "$who: mounts are exactly the expected ones" "^/ /app/try-syscall /dev ${devnodes}/etc/alternatives /etc/ld.so.cache /in /out /proc /proc/bus /proc/irq /proc/sys (/proc/sysrq-trigger )?(/sys/fs/cgroup[a-z/]* )*/tmp /usr \$" \
        "awk '{print \$5}' /proc/self/mountinfo | sort | tr '\n' ' '; echo"
    inside "$who: /dev's nodes are the host's devices, mode 0666" '^1,3 666 1,5 666 1,7 666 1,8 666 1,9 666 $' \
        'for n in null zero full random urandom; do printf "%s " "$(stat -c "%t,%T %a" /dev/$n)"; done; echo'
    inside "$who: the profile views are read-only files" '^444 444 EROFS$' \
        'stat -c %a /etc/kiemthu/seccomp-profile.json /etc/kiemthu/seccomp-baseline.json | tr "\n" " "; (echo x > /etc/kiemthu/new) 2>&1 | grep -q "Read-only" && echo EROFS'
    inside "$who: /tmp is tmpfs rw,nosuid,nodev,noexec, 16 MiB" '^rw,nosuid,nodev,noexec.*[ ,]size=16384k' \
        "awk '\$5==\"/tmp\"{print \$6, \$NF}' /proc/self/mountinfo"
    errno_of "$who: writing / fails with EROFS" 30 write-root
    errno_of "$who: writing /usr fails with EROFS" 30 write-usr
    errno_of "$who: writing /in fails with EROFS" 30 write-in
    errno_of "$who: writing /proc/sys fails with EROFS" 30 write-proc-sys
    errno_of "$who: /out is writable" 0 write-out
    errno_of "$who: /tmp is writable" 0 write-tmp
    errno_of "$who: exec from /tmp fails (noexec: EACCES)" 13 exec-tmp
    errno_of "$who: mknod fails (EPERM)" 1 mknod
    errno_of "$who: setuid(0) fails (EPERM; EINVAL where uid 0 is unmapped)" "(1|22)" setuid0
    for op in socket-inet socket-inet6 socket-netlink ptrace-parent mount unshare chroot pivot_root bpf perf_event_open; do
        errno_of "$who: $op denied by the profile (EPERM)" 1 "$op"
    done
    # A family the baseline refuses too: the baseline, installed last, answers.
    errno_of "$who: socket-packet denied (EAFNOSUPPORT from the baseline)" 97 socket-packet
    # Docker's default profile: real programs run; AF_VSOCK gets its errno, AF_UNIX is allowed
    local mrec=$RECDIR/moby
    sb_run "$mrec" -p "$MOBY" -- /bin/sh -c '/app/try-syscall socket-vsock; echo vsock=$?; /app/try-syscall socket-unix; echo unix=$?; ls /usr > /dev/null && echo ls-ok'
    if grep -q '^vsock=97$' "$mrec/moby-default-seccomp/stdout" && grep -q '^unix=0$' "$mrec/moby-default-seccomp/stdout" &&
        grep -q '^ls-ok$' "$mrec/moby-default-seccomp/stdout"; then ok "$who: Docker's default profile runs sh/ls; AF_VSOCK refused (EAFNOSUPPORT: the baseline answers), AF_UNIX allowed"
    else not_ok "$who: Docker's default profile (stdout: $(tr '\n' ' ' < "$mrec/moby-default-seccomp/stdout"))"; fi
    [ -z "$(ls -A "$SBIN" | grep -v '^data$')" ] && ok "$who: /in on the host unchanged" || not_ok "$who: /in on the host changed"
}

if ! can_sandbox; then
    skip "kiemthu-sandbox tests: neither root nor unprivileged user namespaces available here"
else
    expect 0 "sandbox --help" "$SANDBOX" --help
    expect 64 "sandbox run without COMMAND" "$SANDBOX" run -p "$SAFE" --record "$T/x"
    expect_msg 64 'no --profile' "sandbox run without --profile" "$SANDBOX" run --record "$T/x" -- /bin/true
    expect_msg 64 'not an existing directory' "sandbox --in must exist" "$SANDBOX" run -p "$SAFE" --in "$T/nope" --record "$T/x" -- /bin/true

    # Malformed profiles are refused before anything runs, naming file and JSON path.
    printf '{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],"archMap":[]}' > "$T/both.json"
    expect_msg 125 'both.json: \$: has both "architectures" and "archMap"' "malformed profile refused with file and path" \
        "$SANDBOX" run -p "$SAFE" -p "$T/both.json" --record "$T/bad-rec" -- /bin/true
    [ -e "$T/bad-rec" ] && not_ok "nothing ran for a malformed profile" || ok "nothing ran for a malformed profile (no record)"
    printf '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getpid","no_such_call"],"action":"SCMP_ACT_ERRNO"}]}' > "$T/unk.json"
    expect_msg 0 'syscall "no_such_call" is unknown here; ignored' "unknown syscall names: warned and ignored" \
        "$SANDBOX" run -p "$T/unk.json" --record "$T/unk-rec" -- /bin/true
    grep -q '"ignored_syscalls":\["no_such_call"\]' "$T/unk-rec/unk/run.json" && ok "ignored syscall recorded in run.json" || not_ok "ignored syscall recorded in run.json"
    # --out-size 0 binds a directory the runner makes for the attempt (owned by
    # 65532), so any --out works; the runner copies the files out itself.
    RO=$(newdir)
    is_root && { expect 0 "--out-size 0: the payload writes /out whatever --out's owner" \
        "$SANDBOX" run -p "$SAFE" --out-size 0 --out "$RO" --record "$T/ro-rec" -- /bin/sh -c 'echo hi > /out/x'; }
    is_root && { [ "$(cat "$RO/x" 2> /dev/null)" = hi ] && [ -f "$T/ro-rec/seccomp-startup-safe/out/x" ] &&
        [ ! -e "$T/ro-rec/seccomp-startup-safe/out.raw" ] && ok "--out-size 0: /out in the record and in --out, nothing else left" ||
        not_ok "--out-size 0: /out not copied"; }

    if is_root; then sandbox_suite root; else skip "root sandbox suite (not root)"; fi
    if is_root && [ -x "$KT_BIN/tests/no-userns" ]; then
        NU=$(newdir); chmod 777 "$NU"
        expect_msg 125 'refuses unprivileged user namespaces.*AppArmor.*run as root' \
            "no user namespaces allowed: exit 125 saying why and what to do" \
            "$KT_BIN/tests/no-userns" "$SANDBOX" run -p "$SAFE" --record "$NU/r" -- /bin/true
    else
        skip "user-namespace refusal test (needs root to build the restricted namespace)"
    fi
    if is_root && command -v setpriv > /dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups unshare -U true 2> /dev/null; then
        SB_AS="setpriv --reuid=65534 --regid=65534 --clear-groups"
        sandbox_suite unprivileged
        SB_AS=
    else
        skip "unprivileged sandbox suite (needs root to drop to uid 65534 via setpriv, and user namespaces)"
    fi
fi
