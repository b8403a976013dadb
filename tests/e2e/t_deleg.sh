# Rootless limits on cgroup v2 (issue 11, part 2): an unprivileged caller
# (uid 65534) whose cgroup sits in a subtree delegated to it (chowned, as
# systemd's user@.service delegates) gets real cgroup v2 limits in a sibling
# group; without delegation it falls back to rlimits and says so on stderr.
# Needs cgroup v2 alone at /sys/fs/cgroup (make check runs it in the VM).
SANDBOX=$KT_BIN/kiemthu-sandbox
SAFE=$KT_SRC/profiles/seccomp-startup-safe.json
CG=/sys/fs/cgroup

# as_member GROUP CMD...: move a shell into GROUP (as root), then become uid 65534 and run CMD
as_member() {
    sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec setpriv --reuid=65534 --regid=65534 --clear-groups "$@"' sh "$@"
}
delegate() { # delegate DIR: hand DIR to uid 65534 as systemd does (the directory and its control files)
    chown 65534:65534 "$1" "$1/cgroup.procs" "$1/cgroup.subtree_control" "$1/cgroup.threads"
}
drec() { echo "$1/seccomp-startup-safe/run.json"; }

if ! is_root || ! command -v setpriv > /dev/null; then
    skip "delegated cgroup v2 tests (need root to build the delegated subtree, and setpriv)"
elif [ "$(stat -fc %T "$CG" 2> /dev/null)" != cgroup2fs ] || ! grep -qw memory "$CG/cgroup.subtree_control" 2> /dev/null; then
    skip "delegated cgroup v2 tests (this host is not cgroup v2 with pids/memory/cpu enabled at $CG; make check runs them in the VM)"
elif ! as_nobody unshare -U true 2> /dev/null || ! as_nobody test -x "$SANDBOX"; then
    skip "delegated cgroup v2 tests (uid 65534 cannot use user namespaces or reach $SANDBOX)"
else
    D=$CG/kt-deleg-$$
    mkdir "$D" "$D/job" && echo "+pids +memory +cpu" > "$D/cgroup.subtree_control"
    delegate "$D"; delegate "$D/job"
    U=$(newdir); chmod 777 "$U"

    run as_member "$D/job" "$SANDBOX" run -p "$SAFE" --record "$U/basic" -- /bin/true
    r=$(drec "$U/basic")
    [ "$RC" -eq 0 ] && [ "$(jget "$r" "sorted(set(v['enforced_by'] for v in d['limits'].values()))")" = '["cgroup2"]' ] &&
        ok "uid 65534 in a delegated subtree: every limit enforced_by cgroup2" || not_ok "delegated: exit $RC, limits $(jget "$r" "d['limits']")"
    [ "$(jget "$r" "d['cgroup']")" = '{"delegated": true, "fallback_reason": null, "version": 2}' ] &&
        ok "run.json: cgroup {version 2, delegated true}" || not_ok "run.json cgroup: $(jget "$r" "d['cgroup']")"
    grep -q 'fall back' "$T/err" && not_ok "a delegated run warns of a fallback" || ok "no fallback warning when delegated"

    run as_member "$D/job" "$SANDBOX" run -p "$SAFE" --record "$U/forks" -- /bin/sh -c '(while :; do sleep 30 & done) 2> /dev/null; exit 0'
    r=$(drec "$U/forks")
    [ "$(jget "$r" "d['limits']['pids']['hit']")" = true ] && [ "$(jget "$r" "d['limits']['pids']['enforced_by']")" = cgroup2 ] &&
        ok "delegated: a fork loop hits pids.max (events max $(jget "$r" "d['limits']['pids']['events']['max']"))" || not_ok "delegated fork loop: $(jget "$r" "d['limits']['pids']")"
    if [ -x /usr/bin/python3 ]; then
        run as_member "$D/job" "$SANDBOX" run -p "$SAFE" --record "$U/hog" -- /usr/bin/python3 -c 'b = bytearray(1 << 30)'
        r=$(drec "$U/hog")
        [ "$(jget "$r" "d['oom_killed']")" = true ] && [ "$(jget "$r" "d['limits']['memory']['hit']")" = true ] &&
            ok "delegated: a 1 GiB allocation is OOM-killed by memory.max and recorded" || not_ok "delegated hog: $(jget "$r" "[d['outcome'], d['limits']['memory']]")"
    fi
    left=$(find "$D" -mindepth 1 -maxdepth 1 -type d -name 'kiemthu-*' | wc -l)
    [ "$left" -eq 0 ] && ok "delegated: the sandbox's sibling groups are removed" || not_ok "delegated: $left groups left in $D"

    # Not delegated: our group and its parent belong to root.
    N=$CG/kt-nodeleg-$$
    mkdir "$N" "$N/job"
    run as_member "$N/job" "$SANDBOX" run -p "$SAFE" --record "$U/nodeleg" -- /bin/true
    r=$(drec "$U/nodeleg")
    [ "$RC" -eq 0 ] && [ "$(jget "$r" "d['limits']['pids']['enforced_by']")" = rlimit ] && [ "$(jget "$r" "d['cgroup']['delegated']")" = false ] &&
        ok "not delegated: falls back to rlimits" || not_ok "not delegated: exit $RC $(jget "$r" "d['limits']['pids']")"
    grep -q "warning: seccomp-startup-safe: limits fall back to rlimits/CPU affinity (pids rlimit, memory rlimit, cpus affinity): no cgroup v2 subtree is delegated to uid 65534" "$T/err" &&
        ok "not delegated: stderr says so and why" || not_ok "not delegated: no warning on stderr"
    # Only its own group delegated, not the parent: a child of a populated
    # group is forbidden, so there is nowhere to go; fall back, say why.
    chown 65534:65534 "$N/job" "$N/job/cgroup.procs" "$N/job/cgroup.subtree_control"
    run as_member "$N/job" "$SANDBOX" run -p "$SAFE" --record "$U/ownonly" -- /bin/true
    [ "$RC" -eq 0 ] && [ "$(jget "$(drec "$U/ownonly")" "d['limits']['memory']['enforced_by']")" = rlimit ] &&
        ok "only its own (populated) group delegated: falls back to rlimits, never a child of a populated group" || not_ok "own-only: exit $RC"
    # Its own group delegated, with controllers to hand on, but nothing above
    # it: the processes in it (the caller) move into a leaf child, and the
    # sandbox's groups go beside the leaf (as systemd and crun do).
    echo "+pids +memory +cpu" > "$N/cgroup.subtree_control"
    run as_member "$N/job" "$SANDBOX" run -p "$SAFE" --record "$U/moved" -- /bin/true
    r=$(drec "$U/moved")
    [ "$RC" -eq 0 ] && [ "$(jget "$r" "sorted(set(v['enforced_by'] for v in d['limits'].values()))")" = '["cgroup2"]' ] &&
        [ "$(jget "$r" "d['cgroup']['delegated']")" = true ] &&
        ok "own populated group delegated: the caller moved into a leaf, limits by cgroup2 beside it" ||
        not_ok "moved caller: exit $RC, $(jget "$r" "[d['limits']['pids'], d['cgroup']]")"
    grep -q "moved 1 process(es) into $N/job/kiemthu-leaf" "$T/err" && ok "moved caller: stderr says what moved where" ||
        not_ok "moved caller: no note on stderr"
    [ -z "$(find "$N/job" -mindepth 1 -maxdepth 1 -name 'kiemthu-[0-9]*')" ] && ok "moved caller: the sandbox's groups are removed" ||
        not_ok "moved caller: groups left in $N/job"
    rmdir "$N/job/kiemthu-leaf" 2> /dev/null
    # A CI job in a container: the root of its cgroup namespace holds the
    # job's processes, so it cannot hand controllers to children (EBUSY). As
    # root there, every process in it moves into a leaf.
    if unshare --cgroup --mount true 2> /dev/null; then
        C=$CG/kt-nsroot-$$
        mkdir "$C" # controllers available to it (the root enables them), none enabled in it
        cat > "$T/ns.sh" << 'EOS'
echo $$ > "$1/cgroup.procs" || exit 90
sleep 300 & echo $! > "$2/peer"
shift 2
exec unshare --cgroup --mount --propagation private sh -c 'umount /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup && exec "$@"' sh "$@"
EOS
        C2=$(newdir)
        run sh "$T/ns.sh" "$C" "$C2" "$SANDBOX" run -p "$SAFE" --record "$C2/rec" -- /bin/cat /proc/self/cgroup
        r=$(drec "$C2/rec")
        peer=$(cat "$C2/peer" 2> /dev/null)
        [ "$RC" -eq 0 ] && [ "$(jget "$r" "sorted(set(v['enforced_by'] for v in d['limits'].values()))")" = '["cgroup2"]' ] &&
            ok "container (cgroup namespace root holds processes): limits by cgroup2" ||
            not_ok "container: exit $RC, $(jget "$r" "[d['limits']['pids'], d['cgroup']]")"
        grep -q "^0::/kt-nsroot-$$/kiemthu-leaf\$" "/proc/$peer/cgroup" 2> /dev/null &&
            ok "container: the job's other process moved into the leaf too" ||
            not_ok "container: peer $peer in $(cat "/proc/$peer/cgroup" 2> /dev/null)"
        grep -qE 'moved 2 process\(es\) into /sys/fs/cgroup/kiemthu-leaf' "$T/err" && ok "container: stderr says what moved" ||
            not_ok "container: no note on stderr"
        [ -n "$peer" ] && kill "$peer" 2> /dev/null
        rmdir "$C/kiemthu-leaf" "$C" 2> /dev/null
    else
        skip "container case (unshare --cgroup --mount unavailable)"
    fi
    rmdir "$D/job" "$D" "$N/job" "$N" 2> /dev/null
    [ ! -e "$D" ] && [ ! -e "$N" ] && ok "test groups removed" || not_ok "test groups left: $D $N"
fi
