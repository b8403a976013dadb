# "started" means the payload's execve completed (sandbox/spawn.c, the
# child's exec_tag): the child takes a random name before its filters go in,
# and a successful execve renames it after the program. A profile that kills
# execve, or denies execve and write (so no report comes back), once read as
# "started" and became canonical (review, 2026-11-29); a payload that did
# start and then dies the same way, or renames itself, is still "started".
SANDBOX=$KT_BIN/kiemthu-sandbox
SAFE=$KT_SRC/profiles/seccomp-startup-safe.json

if ! is_root; then
    skip "started (the test profiles' records are made as root)"
    return 0
fi
P=$(newdir)
cat > "$P/killexec.json" << 'EOF'
{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["execve"], "action": "SCMP_ACT_KILL_PROCESS"}]}
EOF
cat > "$P/nowrite.json" << 'EOF'
{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["execve", "write"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
EOF

# started NAME: the attempt's started, not_started_errno, exit_code, signal, outcome
started() { jget "$1/$2/run.json" "' '.join(str(d[k]) for k in ('started', 'not_started_errno', 'exit_code', 'signal'))"; }

run "$SANDBOX" run -p "$P/killexec.json" -p "$SAFE" --record "$T/k" -- /bin/true
if [ "$RC" -eq 0 ] && [ "$(started "$T/k" killexec)" = "False None None 31" ] &&
    jget "$T/k/killexec/run.json" "d['outcome']" | grep -q "killed by signal 31 .* before its execve completed" &&
    [ "$(jget "$T/k/ladder.json" "d['canonical']")" = seccomp-startup-safe ]; then
    ok "a profile that kills execve: not started (signal 31 before its execve completed), the next profile canonical"
else
    not_ok "kill at execve: exit $RC, $(started "$T/k" killexec), canonical $(jget "$T/k/ladder.json" "d['canonical']")"
fi

run "$SANDBOX" run -p "$P/nowrite.json" -p "$SAFE" --record "$T/w" -- /bin/true
if [ "$RC" -eq 0 ] && [ "$(jget "$T/w/nowrite/run.json" "d['started']")" = false ] &&
    [ "$(jget "$T/w/nowrite/run.json" "d['filter_order']")" = "profile, baseline" ] &&
    [ "$(jget "$T/w/ladder.json" "d['canonical']")" = seccomp-startup-safe ]; then
    ok "a profile that denies execve and write (no report): not started, the next profile canonical"
else
    not_ok "deny execve and write: exit $RC, $(started "$T/w" nowrite), canonical $(jget "$T/w/ladder.json" "d['canonical']")"
fi

# A payload that started, renamed itself and was then killed by the
# profile (SIGSYS on a later call): still started. (PID 1 cannot kill itself
# with a signal; the profile's KILL_PROCESS on chroot does it.)
cat > "$P/killchroot.json" << 'EOF'
{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["chroot"], "action": "SCMP_ACT_KILL_PROCESS"}]}
EOF
run "$SANDBOX" run -p "$P/killchroot.json" --record "$T/s" --ro-bind "$KT_BIN/tests/try-syscall:/app/try-syscall" -- \
    /bin/sh -c 'printf kt-renamed > /proc/$$/comm; exec /app/try-syscall chroot'
if [ "$(started "$T/s" killchroot)" = "True None None 31" ]; then
    ok "a payload killed by its profile after its execve (renamed first): started, signal 31"
else
    not_ok "killed after its execve: $(started "$T/s" killchroot)"
fi

# not started before the filters: no filter order is claimed
run "$SANDBOX" run -p "$P/killexec.json" --record "$T/o" -- /bin/true
[ "$(jget "$T/o/killexec/run.json" "d['filter_order']")" = "profile, baseline" ] &&
    ok "killed at its execve: the filters were in, filter_order says so" ||
    not_ok "killed at its execve: filter_order $(jget "$T/o/killexec/run.json" "d['filter_order']")"

# A parent that ignored SIGCHLD (review 3): waitid answered ECHILD and the
# runner spun at 100% CPU for ever. The runner resets it.
start=$(date +%s)
exec_with 'signal.signal(signal.SIGCHLD, signal.SIG_IGN)' "$SANDBOX" run -p "$SAFE" --record "$T/c" -- /bin/true > "$T/out" 2> "$T/err" &
pid=$!
net_on "$pid"
net_wait "$pid"; rc=$RC
[ "$rc" -eq 0 ] && [ "$(jget "$T/c/seccomp-startup-safe/run.json" "d['started']")" = true ] &&
    [ $(($(date +%s) - start)) -lt 30 ] && ok "SIGCHLD ignored by the parent: the run completes, started" ||
    not_ok "SIGCHLD ignored: exit $rc after $(($(date +%s) - start)) s"

# Where /proc is not of the runner's PID namespace, /proc/PID names another
# process: no guess, a runner error (review 3: it counted as started).
if command -v unshare > /dev/null; then
    run unshare --pid --fork "$SANDBOX" run -p "$SAFE" --record "$T/p" -- /bin/true
    if [ "$RC" -eq 125 ] && grep -q "cannot tell whether the payload started" "$T/err"; then
        ok "/proc of another PID namespace: a runner error (125), not a guess"
    else
        not_ok "/proc of another PID namespace: exit $RC, $(head -c 300 "$T/err")"
    fi
else
    skip "/proc of another PID namespace (no unshare)"
fi
